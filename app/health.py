"""`/healthz`: what a load balancer and a sysadmin need to know, fast."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine

bp = Blueprint("health", __name__)

_SQL = text("""
SELECT postgis_lib_version() AS postgis, current_setting('server_version') AS postgresql,
       (SELECT json_build_object('id', id, 'name', name, 'synthetic', synthetic,
                                 'activated_at', activated_at)
          FROM boundary_generation WHERE active) AS generation
""")


@bp.get("/healthz")
def healthz():
    try:
        with get_engine().connect() as conn:
            row = conn.execute(_SQL).mappings().one()
    except SQLAlchemyError as exc:
        return jsonify(status="error", database="unreachable", error=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok", postgresql=row["postgresql"], postgis=row["postgis"],
                   boundary_generation=row["generation"])
