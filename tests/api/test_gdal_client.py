"""GDAL itself as the client (its OAPIF driver, through pyogrio: the same driver QGIS and ogr2ogr use) against the
served app: every public complaint arrives in a few large pages, and an attribute filter on the kelurahan name is
sent to the server and returns exactly the complaints a client-side count finds.

GDAL runs in a child process: it holds the GIL while it waits on HTTP, so it cannot read from a server thread in
its own interpreter."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from werkzeug.wrappers import Request

from tests.e2e.conftest import serve
from tests.planner_data import city_data  # noqa: F401 - the fixture, by name

READ = """
import json, sys, pyogrio
frame = pyogrio.read_dataframe("OAPIF:" + sys.argv[1], layer="complaints", where=sys.argv[2] or None)
print(json.dumps({"crs": frame.crs.to_string(), "kelurahan": frame["kelurahan"].tolist()}))
"""


def gdal_read(base: str, where: str = "") -> dict:
    """What GDAL's OAPIF driver reads from the service: the CRS and every feature's kelurahan."""
    done = subprocess.run([sys.executable, "-c", READ, f"{base}/ogc", where], capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def served(app, city_data):  # noqa: F811 - the fixture, by name
    """The app on a free port, with every /items request it answers recorded."""
    asked: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        req = Request(environ)
        if req.path.endswith("/items"):
            asked.append(req.full_path)
        return inner(environ, start_response)

    app.wsgi_app = recording
    with serve(app) as base:
        yield base, asked, city_data
    app.wsgi_app = inner


def test_gdal_reads_every_complaint_in_large_pages(served):
    base, asked, data = served
    read = gdal_read(base)
    assert len(read["kelurahan"]) == data["loaded"] and read["crs"] in ("OGC:CRS84", "EPSG:4326")
    assert len(asked) <= 2, asked  # the declared limit is used: not 10 features a request


def test_gdal_where_on_the_kelurahan_name_is_answered_by_the_server(served):
    base, asked, _ = served
    everything = gdal_read(base)["kelurahan"]
    name = max(set(everything), key=everything.count)
    asked.clear()
    chosen = gdal_read(base, f"kelurahan = '{name}'")["kelurahan"]
    assert chosen == [name] * everything.count(name) and len(chosen) < len(everything)
    assert any("kelurahan=" in url for url in asked), asked  # filtered by the server, not after a full download
