"""`flask recompute-layers` fills the shared cache that the pages then read."""
from __future__ import annotations

from sqlalchemy import text

from tests import planner_data

city_data = planner_data.city_data  # the fixture, by name


def test_recompute_layers_warms_the_cache(runner, city_data, engine):
    """After the command the four layers are cached for the default filter."""
    result = runner.invoke(args=["recompute-layers"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        layers = set(conn.execute(text("SELECT layer FROM layer_cache")).scalars())
    assert layers == {"hexbins", "choropleth", "hotspots", "emerging"}


def test_recompute_layers_refuses_a_bad_date(runner):
    """A malformed --start is reported, not a traceback."""
    result = runner.invoke(args=["recompute-layers", "--start", "kemarin"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
