"""The set-based routing of imports (`peta_route_many`) decides exactly what `peta_route` decides for one pin."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from geo.routing import route_point

COLUMNS = ["generation_id", "kelurahan_id", "kecamatan_id", "kelurahan_rule", "overlap_count", "snapped_m",
           "depth_m", "service_area_id", "skpd_id", "skpd_rule", "service_area_depth_m", "flags"]
# Edge cases on the test city (tests/citykit.py): the A|B shared edge and a corner, the C∩D overlap sliver,
# the A/C gap (snapped), just outside the city (snapped), beyond the tolerance, the far side of the globe,
# service-area borders, and pins a few metres inside a border.
EDGES = [(114.52, -3.39), (114.52, -3.38), (114.50, -3.40), (114.5197, -3.37), (114.5195, -3.37),
         (114.51, -3.37975), (114.53, -3.37975), (114.4990, -3.39), (114.5450, -3.39), (114.60, -3.39),
         (-150.0, 10.0), (114.525, -3.38), (114.525, -3.385), (114.5301, -3.39), (114.52005, -3.39),
         (114.50005, -3.395), (114.535, -3.37), (114.54, -3.36), (114.52, -3.3795)]


def _pins(n: int, seed: int) -> list[tuple[float, float]]:
    """Random pins over and around the city (some outside, some in the gap) plus the edge cases."""
    rng = np.random.default_rng(seed)
    return EDGES + list(zip(rng.uniform(114.495, 114.545, n).tolist(), rng.uniform(-3.405, -3.355, n).tolist(),
                            strict=True))


def _one_by_one(conn, pins, cats, tol, nb) -> list[tuple]:
    stmt = text("SELECT * FROM peta_route(ST_SetSRID(ST_MakePoint(:x, :y), 4326), :c, :tol, :nb)")
    return [tuple(conn.execute(stmt, {"x": x, "y": y, "c": c, "tol": tol, "nb": nb}).one())
            for (x, y), c in zip(pins, cats, strict=True)]


def _all_at_once(conn, pins, cats, tol, nb) -> list[tuple]:
    rows = conn.execute(text(
        "SELECT * FROM peta_route_many(CAST(:k AS bigint[]), ARRAY(SELECT ST_SetSRID(ST_MakePoint(x, y), 4326) "
        "FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) WITH ORDINALITY AS u(x, y, i) ORDER BY i), "
        "CAST(:c AS integer[]), :tol, :nb) ORDER BY key"),
        {"k": list(range(len(pins))), "x": [p[0] for p in pins], "y": [p[1] for p in pins], "c": cats,
         "tol": tol, "nb": nb}).all()
    assert [r[0] for r in rows] == list(range(len(pins)))
    return [tuple(r[1:]) for r in rows]


def _every_category(conn, n: int) -> list[int]:
    cats = conn.execute(text("SELECT id FROM category ORDER BY id")).scalars().all()
    return [cats[i % len(cats)] for i in range(n)]


def _same(conn, pins, tol=250.0, nb=10.0) -> None:
    chosen = _every_category(conn, len(pins))
    single, many = _one_by_one(conn, pins, chosen, tol, nb), _all_at_once(conn, pins, chosen, tol, nb)
    for pin, a, b in zip(pins, single, many, strict=True):
        assert dict(zip(COLUMNS, b, strict=True)) == dict(zip(COLUMNS, a, strict=True)), pin


@pytest.mark.parametrize(("tol", "nb"), [(250.0, 10.0), (50.0, 0.0), (1000.0, 300.0)])
def test_many_pins_get_the_single_pin_decision(conn, tol, nb):
    """Random and edge-case pins, in every category, at several tolerances and border widths."""
    _same(conn, _pins(400, seed=int(tol)), tol, nb)


def test_every_rule_and_flag_is_among_the_cases(conn):
    """The comparison covers covers, overlap, snapped, outside, service areas and category defaults."""
    pins = _pins(400, seed=250)
    rows = _all_at_once(conn, pins, _every_category(conn, len(pins)), 250.0, 10.0)
    rules = {r[3] for r in rows} | {r[9] for r in rows}
    flags = {f for r in rows for f in r[11]}
    assert {"covers", "overlap", "snapped", None, "service_area", "category_default"} <= rules
    assert {"overlap", "snapped", "near_border"} <= flags


def test_service_areas_out_of_force_and_a_second_generation_are_ignored_alike(conn):
    """An expired and a future service area, and an inactive generation, change neither decision."""
    conn.execute(text(
        "INSERT INTO service_area (skpd_id, name, priority, area_m2, geom, valid_from, valid_to) "
        "SELECT s.id, n, 99, 1, ST_Multi(ST_MakeEnvelope(114.50, -3.40, 114.54, -3.36, 4326)), f, t "
        "FROM skpd s, (VALUES ('lama', now() - interval '2 days', now() - interval '1 day'), "
        "('nanti', now() + interval '1 day', NULL)) v(n, f, t) WHERE s.code = 'PUPR'"))
    conn.execute(text("INSERT INTO service_area_category SELECT a.id, c.id FROM service_area a, category c "
                      "WHERE a.name IN ('lama', 'nanti')"))
    conn.execute(text("INSERT INTO boundary_generation (name, active) VALUES ('draft', false)"))
    _same(conn, _pins(150, seed=3))


def test_no_active_generation_refuses_alike(conn):
    """Without an active generation every pin is outside, both ways."""
    conn.execute(text("UPDATE boundary_generation SET active = false"))
    _same(conn, _pins(30, seed=4))


def test_import_routes_like_single_submissions(conn, settings):
    """Rows loaded by the import carry the routing record a single submission would get."""
    pins = _pins(300, seed=5)
    frame = pd.DataFrame({"lon": [p[0] for p in pins], "lat": [p[1] for p in pins],
                          "category": ["sampah", "jalan-rusak", "lampu-jalan"] * 100 + ["sampah"] * 19,
                          "description": "uji", "created_at": "2026-03-02 08:00"})
    report = load_complaints(conn, frame, settings=settings)
    assert report.loaded + len(report.refused) == len(frame)
    rows = conn.execute(text(
        "SELECT ST_X(c.geom), ST_Y(c.geom), c.category_id, c.skpd_id, c.kelurahan_id, c.routing_flags, "
        "r.skpd_id, r.kelurahan_id, r.flags FROM complaint c CROSS JOIN LATERAL peta_route(c.geom, c.category_id, "
        ":tol, :nb) r"), {"tol": settings.snap_tolerance_m, "nb": settings.near_border_m}).all()
    assert len(rows) == report.loaded
    for row in rows:
        assert (row.skpd_id, row.kelurahan_id, list(row.routing_flags)) == (row[6], row[7], list(row[8]))


def test_import_stores_the_record_a_submission_stores(conn, settings):
    """One definition of the stored routing record: what an import stores for a pin is, key for key and to the
    decimetre, what a single submission at the same pin would store (edge cases included: snapped, overlap,
    near a border)."""
    pins = [p for p in _pins(120, seed=8) if 114.4 < p[0] < 114.7]
    frame = pd.DataFrame({"lon": [p[0] for p in pins], "lat": [p[1] for p in pins],
                          "category": (["sampah", "jalan-rusak", "lampu-jalan"] * len(pins))[:len(pins)],
                          "description": "uji", "created_at": "2026-03-02 08:00"})
    report = load_complaints(conn, frame, settings=settings)
    rows = conn.execute(text("SELECT ST_X(geom) AS x, ST_Y(geom) AS y, category_id, to_jsonb(routing) AS routing "
                             "FROM complaint")).all()
    assert len(rows) == report.loaded > 100
    assert {f for r in rows for f in r.routing["flags"]} >= {"snapped", "near_border"}
    for row in rows:
        single = route_point(conn, row.x, row.y, row.category_id, city_name=settings.city_name,
                             tolerance_m=settings.snap_tolerance_m, near_border_m=settings.near_border_m)
        assert row.routing == single.as_record()
