"""Migration 0024 stores complaint.routing as the declared record: every field survives the change of type, a
clerk's override moves beside it, the downgrade gives the same `jsonb` back, and a key the type does not declare
stops the upgrade before anything changes."""
from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from aduan.schema import alembic_config, create_database, drop_database
from tests import citykit

DECIDED = {"generation_id": 1, "kelurahan_id": 3, "kelurahan_code": "99.01.01.1001", "kelurahan_name": "Satu",
           "kecamatan_id": 1, "kecamatan_code": "99.01.01", "kecamatan_name": "Kota", "kelurahan_rule": "snapped",
           "overlap_count": 0, "snapped_m": 12.3, "depth_m": 0.0, "service_area_id": None,
           "service_area_name": None, "skpd_id": 2, "skpd_code": "DLH", "skpd_name": "Dinas Lingkungan Hidup",
           "skpd_rule": "category_default", "category_code": "sampah", "flags": ["snapped", "near_border"]}
MANUAL = {"from_skpd": "DLH", "to_skpd": "PUPR", "reason": "saluran", "by": 7, "at": "2026-11-03T09:00:00+08:00"}


def _city_at_0023(url: str, records: list[dict]) -> None:
    command.upgrade(alembic_config(url), "0023")
    eng = create_engine(url)
    with eng.begin() as c:
        citykit.build_city(c)
        c.execute(text("SELECT peta_ensure_month(202611)"))
        for n, record in enumerate(records):
            c.execute(text(
                "INSERT INTO complaint (id, tracking_code, category_id, description, geom, generation_id, "
                "kelurahan_id, skpd_id, routing, created_at, followup_due_at, handling_due_at, h3_cell) "
                "SELECT peta_next_complaint_id(202611), :code, cat.id, 'lama', "
                "ST_SetSRID(ST_MakePoint(114.51, -3.39), 4326), k.generation_id, k.id, cat.default_skpd_id, "
                "CAST(:routing AS jsonb), :at, :at, :at, 613046395383414783 "
                "FROM category cat, kelurahan k WHERE cat.code = 'sampah' ORDER BY k.id LIMIT 1"),
                {"code": f"BJM-2611-AAAAA{n}", "routing": json.dumps(record), "at": "2026-11-02 08:00+08"})
    eng.dispose()


@pytest.fixture
def scratch(database_url):
    url = make_url(database_url)
    name = create_database(url.set(database=f"{url.database}_mig24").render_as_string(hide_password=False),
                           replace=True)
    yield name
    drop_database(name)


def test_0024_types_the_record_and_moves_the_override_beside_it(scratch):
    """Field for field the same record (numbers, NULLs, the flags list); the override in its own column; the
    downgrade folds it back into the same `jsonb` as before."""
    _city_at_0023(scratch, [DECIDED, {**DECIDED, "manual": MANUAL}])
    eng = create_engine(scratch)
    with eng.connect() as c:
        before = c.execute(text("SELECT tracking_code, routing FROM complaint ORDER BY 1")).all()
    command.upgrade(alembic_config(scratch), "0024")
    with eng.connect() as c:
        assert c.execute(text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                              "WHERE attrelid = 'complaint'::regclass AND attname = 'routing'")).scalar() \
            == "routing_record"
        rows = c.execute(text("SELECT tracking_code, to_jsonb(routing), routing_manual, (routing).snapped_m, "
                              "(routing).flags FROM complaint ORDER BY 1")).all()
        assert [r[1] for r in rows] == [DECIDED, DECIDED]
        assert [r[2] for r in rows] == [None, MANUAL]
        assert [(float(r[3]), r[4]) for r in rows] == [(12.3, ["snapped", "near_border"])] * 2
    command.downgrade(alembic_config(scratch), "0023")
    with eng.connect() as c:
        assert c.execute(text("SELECT tracking_code, routing FROM complaint ORDER BY 1")).all() == before
        assert c.execute(text("SELECT count(*) FROM information_schema.columns "
                              "WHERE table_name = 'complaint' AND column_name = 'routing_manual'")).scalar() == 0
    eng.dispose()


def test_0024_refuses_a_key_the_record_would_lose(scratch):
    """A record with a field the type does not declare stops the upgrade, names the field, and changes nothing."""
    _city_at_0023(scratch, [DECIDED, {**DECIDED, "explanation": "lama"}])
    with pytest.raises(RuntimeError, match="explanation"):
        command.upgrade(alembic_config(scratch), "0024")
    eng = create_engine(scratch)
    with eng.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0023"
        assert c.execute(text("SELECT count(*) FROM complaint WHERE routing ? 'explanation'")).scalar() == 1
    eng.dispose()
