"""Any city: a synthetic Kota Jayapura (WIT, UTM 54S) set up from files alone, then a complaint routed in it.

The scratch database is migrated with PETA_METRIC_SRID=32754, as a Jayapura install would be; its boundaries
come through `import-boundaries` (a GeoJSON in UTM 54S metres), its SKPD, categories and service areas through
the setup imports (tests/data/second_city/, synthetic). Nothing of the Banjarmasin test city is in it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from aduan.clocks import WorkCalendar
from aduan.intake import Submission, submit
from aduan.settings import Settings
from app import create_app
from geo.routing import OutsideCityError
from tests.conftest import scratch_database

DATA = Path(__file__).resolve().parents[1] / "data" / "second_city"
WIT = ZoneInfo("Asia/Jayapura")
EAST, WEST = (140.72, -2.555), (140.68, -2.585)  # Kelurahan Uji Timur Laut, Kelurahan Uji Barat Daya


@pytest.fixture(scope="module")
def jayapura(database_url):
    """(settings, engine, CLI outputs) of a Jayapura database built from the files; dropped afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PETA_METRIC_SRID", "32754")
        with scratch_database(database_url, "jayapura") as url:
            settings = Settings(database_url=url, secret_key="t", city_name="Kota Jayapura", city_prefix="JPR",
                                timezone="Asia/Jayapura", metric_srid=32754)
            app = create_app({"SETTINGS": settings, "TESTING": True, "SECRET_KEY": "t"})
            runner = app.test_cli_runner()
            outputs = {name: runner.invoke(args=args) for name, args in (
                ("boundaries", ["import-boundaries", str(DATA / "kelurahan_utm54s.geojson"), "--code-field",
                                "KODE_KEL", "--name-field", "NAMOBJ", "--population-field", "PENDUDUK",
                                "--activate"]),
                ("skpd", ["import-skpd", str(DATA / "skpd.csv")]),
                ("categories", ["import-categories", str(DATA / "categories.csv")]),
                ("areas", ["import-service-areas", str(DATA / "service_areas.geojson")]),
                ("list", ["skpd", "list"]))}
            again = (("skpd", "skpd.csv"), ("categories", "categories.csv"), ("service-areas", "service_areas.geojson"))
            outputs.update({f"again {name}": runner.invoke(args=[f"import-{name}", str(DATA / file)])
                            for name, file in again})
            app.extensions["db_engine"].dispose()
            engine = create_engine(url)
            yield settings, engine, outputs
            engine.dispose()


def _submit(engine, settings: Settings, category: str, lon_lat: tuple[float, float]):
    with Session(engine) as session:
        return submit(session, Submission(category=category, description="uji kota kedua", lon=lon_lat[0],
                                          lat=lon_lat[1], anonymous=True), settings)


def _ticket(engine, complaint_id: int):
    with engine.connect() as c:
        return c.execute(text("SELECT c.tracking_code, c.created_at, c.followup_due_at, c.handling_due_at, "
                              "s.code AS skpd, k.code AS kelurahan, ST_SRID(c.geom_m) AS srid "
                              "FROM complaint c JOIN skpd s ON s.id = c.skpd_id JOIN kelurahan k "
                              "ON k.id = c.kelurahan_id WHERE c.id = :i"), {"i": complaint_id}).one()


def test_every_setup_command_succeeds_from_the_files(jayapura):
    """Boundaries, SKPD, categories and service areas all import; `skpd list` shows what hangs on each."""
    _, _, out = jayapura
    for name, result in out.items():
        assert result.exit_code == 0, (name, result.output)
    assert "EPSG:32754 -> EPSG:4326 (measured in EPSG:32754)" in out["boundaries"].output
    listed = {line.split()[0]: line.split()[1:] for line in out["list"].output.splitlines()}
    assert listed["PUPR"][:6] == ["3", "categories", "0", "areas", "0", "users"]
    assert listed["PDAM"][:4] == ["0", "categories", "1", "areas"]


def test_running_the_setup_files_again_changes_nothing(jayapura):
    """Re-runnable: the second run of each file reports every row or area unchanged."""
    _, _, out = jayapura
    assert "unchanged     3 SKPD" in out["again skpd"].output and "created       0" in out["again skpd"].output
    assert "unchanged     4 categories" in out["again categories"].output
    areas = out["again service-areas"].output
    assert "unchanged     2 areas" in areas and "ended         0" in areas and "created       0" in areas


def test_the_schema_measures_in_utm_54s(jayapura):
    """The metric column and the routing function were fixed to EPSG:32754 at migration time."""
    _, engine, _ = jayapura
    with engine.connect() as c:
        assert c.execute(text("SELECT Find_SRID('public', 'complaint', 'geom_m')")).scalar() == 32754
        assert "32754" in c.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'peta_route'")).scalar()


def test_a_water_complaint_in_the_east_goes_to_pdam_by_its_service_area(jayapura):
    """East of lon 140.70 the PDAM zone (priority 5) takes `air-mati` from its default SKPD, PUPR."""
    settings, engine, _ = jayapura
    result = _submit(engine, settings, "air-mati", EAST)
    assert result.decision["skpd_code"] == "PDAM" and result.decision["skpd_rule"] == "service_area"
    assert result.decision["kelurahan_code"] == "91.71.02.1001"
    assert _ticket(engine, result.complaint_id).srid == 32754


def test_a_water_complaint_in_the_west_falls_back_to_the_default_skpd(jayapura):
    """No PDAM zone in the west: the category's default SKPD from categories.csv handles it."""
    settings, engine, _ = jayapura
    result = _submit(engine, settings, "air-mati", WEST)
    assert (result.decision["skpd_code"], result.decision["skpd_rule"]) == ("PUPR", "category_default")
    assert result.decision["kelurahan_code"] == "91.71.01.1002"


def test_tracking_code_has_the_city_prefix_and_the_wit_month(jayapura):
    """JPR-yymm-XXXXXX, the month taken in WIT."""
    settings, engine, _ = jayapura
    ticket = _ticket(engine, _submit(engine, settings, "sampah", WEST).complaint_id)
    assert ticket.tracking_code.startswith(f"JPR-{ticket.created_at.astimezone(WIT):%y%m}-")


def test_due_dates_are_wit_working_days_with_the_files_clock_lengths(jayapura):
    """`sampah` has 3/10 working days in categories.csv; both are due at 23:59:59 WIT (14:59:59 UTC)."""
    settings, engine, _ = jayapura
    ticket = _ticket(engine, _submit(engine, settings, "sampah", EAST).complaint_id)
    cal = WorkCalendar([], "Asia/Jayapura")
    assert ticket.followup_due_at == cal.due_at(ticket.created_at, 3)
    assert ticket.handling_due_at == cal.due_at(ticket.created_at, 10)
    assert ticket.handling_due_at.astimezone(WIT).time() == dt.time(23, 59, 59)
    assert ticket.handling_due_at.astimezone(dt.UTC).time() == dt.time(14, 59, 59)


def test_a_pin_in_banjarmasin_is_outside_kota_jayapura(jayapura):
    """Refused with the second city's name; nothing stored."""
    settings, engine, _ = jayapura
    with pytest.raises(OutsideCityError, match="Kota Jayapura"):
        _submit(engine, settings, "sampah", (114.59, -3.32))
