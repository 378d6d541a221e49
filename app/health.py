"""`/healthz`: what a load balancer and a sysadmin need to know, fast."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from aduan import partitions
from aduan.schema import code_revisions
from app import current_settings
from app.db import get_engine

bp = Blueprint("health", __name__)

_SQL = text("""
SELECT postgis_lib_version() AS postgis, current_setting('server_version') AS postgresql,
       (SELECT json_build_object('id', id, 'name', name, 'synthetic', synthetic,
                                 'activated_at', activated_at)
          FROM boundary_generation WHERE active) AS generation,
       Find_SRID('public', 'complaint', 'geom_m') AS schema_srid,
       (SELECT max(inhrelid::regclass::text) FROM pg_inherits
         WHERE inhparent = 'complaint'::regclass) AS last_partition,
       (SELECT version_num FROM alembic_version) AS revision
""")


@bp.get("/healthz")
def healthz():
    """200 while this instance can serve: with the primary down but a replica in use it answers "degraded" (public
    map, tiles and OGC serve, submissions answer 503) — every instance shares the primary, so a balancer marking
    them all down for it would stop the map too. 503 when nothing can be read."""
    replicas = current_app.extensions["db_replicas"].report()
    extra = {"replicas": replicas} if replicas else {}
    try:
        with get_engine().connect() as conn:
            row = conn.execute(_SQL).mappings().one()
    except SQLAlchemyError as exc:
        if any(r["in_use"] for r in replicas):
            return jsonify(status="degraded", database="primary_unreachable", error=exc.__class__.__name__,
                           message="The primary is unreachable: public reads are served from a replica, "
                                   "submissions and staff pages answer 503.",
                           message_id="Basis data utama tidak terjangkau: tampilan publik dilayani dari replika, "
                                      "pengiriman aduan dan halaman petugas menjawab 503.", **extra)
        return jsonify(status="error", database="unreachable", error=exc.__class__.__name__, **extra), 503
    needed = code_revisions()[0]
    if row["revision"] in code_revisions()[1:]:  # code updated, `flask db upgrade` not run: writes would fail
        return jsonify(status="error", database="ok", error="schema_behind_code", schema_revision=row["revision"],
                       code_revision=needed,
                       message=f"The database schema is at migration {row['revision']} but this code needs "
                               f"{needed}: run `flask --app app db upgrade` (make run does).",
                       message_id=f"Skema basis data berada di migrasi {row['revision']}, tetapi kode ini "
                                  f"memerlukan {needed}: jalankan `flask --app app db upgrade` "
                                  "(make run menjalankannya)."), 503
    configured = current_settings().metric_srid
    if row["schema_srid"] != configured:  # distances would be computed in one CRS and stored in another
        return jsonify(status="error", database="ok", error="metric_srid_mismatch",
                       message=f"PETA_METRIC_SRID is {configured} but the database was migrated with "
                               f"EPSG:{row['schema_srid']}; set it back (the schema fixes the metric CRS).",
                       message_id=f"PETA_METRIC_SRID bernilai {configured}, tetapi basis data dimigrasikan dengan "
                                  f"EPSG:{row['schema_srid']}; kembalikan nilainya."), 503
    return jsonify(status="ok", database="ok", schema_revision=row["revision"], postgresql=row["postgresql"],
                   postgis=row["postgis"],
                   boundary_generation=row["generation"], metric_srid=configured,
                   **partitions_ahead(row["last_partition"], current_settings().timezone), **extra)


def partitions_ahead(last: str | None, tz: str) -> dict:
    """The last monthly partition and how many months it is ahead; with none ahead, a warning (the worker, which
    makes them, is not running: a submission then makes its month itself, slower)."""
    ahead = partitions.months_between(partitions.month_key(dt.datetime.now(ZoneInfo(tz))),
                                      int(last[-7:-3]) * 100 + int(last[-2:])) if last else -1
    out: dict = {"partitions": {"last": last, "months_ahead": ahead}}
    if ahead < 1:
        out["warning"] = ("No partition for next month: is the worker running? `flask db partitions` makes them.")
        out["warning_id"] = ("Belum ada partisi untuk bulan depan: apakah worker berjalan? `flask db partitions` "
                             "membuatnya.")
    return out
