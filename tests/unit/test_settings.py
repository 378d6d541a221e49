"""Settings a city gets wrong are refused when read, naming the variable, before anything is served or migrated."""
from __future__ import annotations

import pytest

from aduan.settings import Settings, SettingsError


@pytest.mark.parametrize(("name", "value", "says"), [
    ("PETA_TIMEZONE", "WIB", "Asia/Jakarta (WIB)"),
    ("PETA_TIMEZONE", "Asia/Jakarte", "not a time zone name"),
    ("PETA_CITY_PREFIX", "KT-SKM", "capital letters"),
    ("PETA_CITY_PREFIX", "skm", "capital letters"),
    ("PETA_METRIC_SRID", "4326", "does not measure in metres"),
    ("PETA_METRIC_SRID", "EPSG:32749", "not a whole number"),
    ("PETA_METRIC_SRID", "999999", "not an EPSG code"),
    ("PETA_SNAP_TOLERANCE_M", "250m", "not a number"),
    ("PETA_NEAR_BORDER_M", "nan", "at least 0"),
    ("PETA_REPLICA_MAX_LAG_S", "inf", "at least 0"),
    ("PETA_H3_RESOLUTION", "16", "0 to 15"),
    ("PETA_REOPEN_DAYS", "0", "at least 1"),
])
def test_a_setting_no_city_can_run_with_is_refused_by_name(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        Settings()
    assert name in str(err.value) and says in str(err.value)


@pytest.mark.parametrize(("name", "value"), [("PETA_TIMEZONE", "Asia/Jayapura"), ("PETA_CITY_PREFIX", "SKM"),
                                             ("PETA_METRIC_SRID", "32749"), ("PETA_SNAP_TOLERANCE_M", " 300 ")])
def test_another_citys_settings_are_taken(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    Settings()


def test_the_web_app_does_not_start_with_a_wrong_setting(monkeypatch):
    """gunicorn and every flask command build the app first: they stop with the variable's name, serving nothing."""
    from app import create_app

    monkeypatch.setenv("PETA_TIMEZONE", "WITA")
    with pytest.raises(SettingsError, match="PETA_TIMEZONE='WITA'"):
        create_app()
