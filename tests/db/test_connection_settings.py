"""How the app's statements are planned (aduan/db.py): JIT off on every connection; a plan for the values a
statement runs with in tile and layer transactions only (the generic plan cannot see a tile's box); a computed
tile without parallel workers, and only that transaction."""
from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import text

from aduan.db import array_literal, make_engine
from layers.counts import cell_totals
from layers.filters import LayerFilter
from layers.mvt import cached_tile

FILTER = LayerFilter(dt.date(2026, 1, 1), dt.date(2026, 2, 1))


def _mode(conn) -> str:  # noqa: ANN001
    return conn.execute(text("SELECT current_setting('plan_cache_mode')")).scalar_one()


def test_connections_have_no_jit_and_keep_prepared_plans(database_url):
    eng = make_engine(database_url)
    try:
        with eng.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            assert _mode(conn) == "auto"  # submissions keep their prepared plans
    finally:
        eng.dispose()


def test_tiles_and_count_layers_are_planned_for_their_values_until_their_transaction_ends(database_url):
    eng = make_engine(database_url)
    try:
        with eng.connect() as conn:
            cached_tile(conn, "complaints", FILTER, 16, 53_634, 33_379, 8, version="probe")
            assert _mode(conn) == "force_custom_plan"
            conn.rollback()
            assert _mode(conn) == "auto"
            cell_totals(conn, FILTER, 8)
            assert _mode(conn) == "force_custom_plan"
            conn.rollback()
    finally:
        eng.dispose()


def _workers(conn) -> str:  # noqa: ANN001
    return conn.execute(text("SELECT current_setting('max_parallel_workers_per_gather')")).scalar_one()


def test_a_computed_tile_runs_without_parallel_workers_and_only_its_transaction(database_url):
    eng = make_engine(database_url)
    try:
        with eng.connect() as conn:
            conn.execute(text("SET max_parallel_workers_per_gather = 2"))  # as a server may have it
            conn.commit()
            default = _workers(conn)
            cached_tile(conn, "complaints", FILTER, 14, 13_408, 8_344, 8, version="probe-workers")
            assert _workers(conn) == "0"
            conn.rollback()
            assert _workers(conn) == default
    finally:
        eng.dispose()


def test_array_literal_parameters_arrive_as_the_same_numbers(engine):
    """Numeric arrays bound as one literal: every value, NaN and infinities included, arrives exactly (floats by
    their shortest round-trip form), cast to int or float8 arrays."""
    floats = np.array([0.1, -2.5e-300, 1 / 3, 123456789.0, np.nan, np.inf, -np.inf])
    ints = np.array([0, -7, 2**62], dtype=np.int64)
    with engine.connect() as conn:
        back_f, back_i = conn.execute(text("SELECT CAST(:f AS float8[]), CAST(:i AS bigint[])"),
                                      {"f": array_literal(floats), "i": array_literal(ints)}).one()
        assert conn.execute(text("SELECT cardinality(CAST(:e AS int[]))"), {"e": array_literal([])}).scalar() == 0
    np.testing.assert_array_equal(np.array(back_f), floats)
    assert back_i == ints.tolist()
