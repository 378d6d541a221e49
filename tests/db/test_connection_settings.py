"""What every connection the app opens is set to (aduan/db.py CONNECT_OPTIONS), checked on the server."""
from __future__ import annotations

from sqlalchemy import text

from aduan.db import make_engine


def test_app_connections_plan_each_execution_for_its_values_without_jit(database_url):
    eng = make_engine(database_url)
    try:
        with eng.connect() as conn:
            for _ in range(7):  # psycopg prepares a statement from its fifth run; the settings hold after it too
                mode = conn.execute(text("SELECT current_setting('plan_cache_mode')")).scalar()
            assert mode == "force_custom_plan"
            assert conn.execute(text("SHOW jit")).scalar() == "off"
    finally:
        eng.dispose()
