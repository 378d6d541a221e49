"""`flask recompute-layers` fills the shared cache that the pages then read; `recount-layers` redoes the counts."""
from __future__ import annotations

from dataclasses import replace

import h3
from sqlalchemy import text

from layers.counts import drift, recount
from tests import planner_data

city_data = planner_data.city_data  # the fixture, by name


def test_recompute_layers_warms_the_cache(runner, city_data, engine):
    """After the command the four layers are cached for the default filter."""
    result = runner.invoke(args=["recompute-layers"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        layers = set(conn.execute(text("SELECT layer FROM layer_cache")).scalars())
    assert layers == {"hexbins", "choropleth", "hotspots", "emerging", "city_cells"}  # + the city's grid


def test_recompute_layers_refuses_a_bad_date(runner):
    """A malformed --start is reported, not a traceback."""
    result = runner.invoke(args=["recompute-layers", "--start", "kemarin"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_recount_layers_follows_a_resolution_change(app, runner, city_data, engine, client):
    """A city that changes PETA_H3_RESOLUTION gets a 503 naming the command; after it, layers at the new grid."""
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, h3_resolution=settings.h3_resolution + 1)
    try:
        refused = client.get("/ogc/collections/hexbins/items")
        assert refused.status_code == 503 and "recount-layers" in refused.get_data(as_text=True)
        result = runner.invoke(args=["recount-layers"])
        assert result.exit_code == 0, result.output
        assert f"{city_data['loaded']:,} complaints counted at H3 {settings.h3_resolution + 1}" in result.output
        served = client.get("/ogc/collections/hexbins/items?limit=5")
        assert served.status_code == 200
        assert {h3.get_resolution(f["id"]) for f in served.get_json()["features"]} == {settings.h3_resolution + 1}
    finally:
        app.config["SETTINGS"] = settings
        with engine.begin() as conn:
            recount(conn, settings.h3_resolution, settings.timezone)


def test_cluster_complaints_keeps_every_complaint_and_its_counts(runner, city_data, engine):
    """Rewriting the table in cell order, a month at a time, keeps the rows (and the counts equal a recount) and
    orders every month."""
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*), sum(id), sum(h3_cell % 1000) FROM complaint")).one()
    result = runner.invoke(args=["cluster-complaints"])
    assert result.exit_code == 0, result.output
    assert f"{city_data['loaded']:,} complaints rewritten in cell order" in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(id), sum(h3_cell % 1000) FROM complaint")).one() == before
        assert conn.execute(text(  # each month by its piece of the cell index the binned tiles read (0018)
            "SELECT bool_and(x.indisclustered) FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid "
            "WHERE i.inhparent = 'complaint_cell'::regclass")).scalar() is True
        assert drift(conn) == []
        assert conn.execute(text(  # each month stored in cell order
            "SELECT min(s.correlation) FROM pg_stats s JOIN pg_inherits i ON i.inhrelid = s.tablename::regclass "
            "WHERE i.inhparent = 'complaint'::regclass AND s.attname = 'h3_cell'")).scalar() > 0.99
