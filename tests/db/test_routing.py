"""Routing on imperfect boundaries is total and deterministic (README § How routing decides)."""
from __future__ import annotations

import pytest

from geo.routing import OutsideCityError, RoutingError, explain, route_point


def _route(conn, ids, lon, lat, category="jalan-rusak", **kw):
    return route_point(conn, lon, lat, ids["category"][category], city_name="Kota Uji", **kw)


def test_point_inside_one_kelurahan(conn, ids):
    """A point well inside A is covered by A alone, rule 'covers', no flags."""
    d = _route(conn, ids, 114.51, -3.39)
    assert (d.kelurahan_code, d.kelurahan_rule, d.flags) == ("99.01.01.1001", "covers", [])
    assert d.kecamatan_code == "99.01.01"


def test_point_on_shared_edge_is_deterministic_and_flagged(conn, ids):
    """A point exactly on the A|B edge is covered by both: lowest code wins, flagged overlap and near_border."""
    d = _route(conn, ids, 114.52, -3.39)
    assert d.kelurahan_code == "99.01.01.1001"
    assert d.kelurahan_rule == "overlap" and d.overlap_count == 2
    assert {"overlap", "near_border"} <= set(d.flags)


def test_overlap_picks_the_deepest(conn, ids):
    """In the C∩D sliver the point nearer D's interior goes to D... and the deeper one wins."""
    d = _route(conn, ids, 114.51999, -3.37)
    assert d.kelurahan_rule == "overlap"
    # 114.51999 is 0.00049° inside D's west edge but only 0.00001° inside C's east edge.
    assert d.kelurahan_code == "99.01.02.1002"


def test_gap_snaps_to_nearest_with_distance(conn, ids):
    """A point in the 55 m gap between A and C snaps to the nearer one, with metres recorded."""
    d = _route(conn, ids, 114.51, -3.37960)  # 0.0001° (≈11 m) below C, 0.0004° above A
    assert d.kelurahan_rule == "snapped" and "snapped" in d.flags
    assert d.kelurahan_code == "99.01.02.1001"
    assert 5 < d.snapped_m < 20


def test_outside_tolerance_is_refused_naming_the_city(conn, ids):
    """Two km outside the city: refused, and the message names the city."""
    with pytest.raises(OutsideCityError) as err:
        _route(conn, ids, 114.56, -3.39)
    assert "Kota Uji" in err.value.message_id and "Kota Uji" in err.value.message_en


def test_within_tolerance_outside_city_snaps(conn, ids):
    """100 m east of B (tolerance 250 m) snaps to B."""
    d = _route(conn, ids, 114.5409, -3.39)
    assert d.kelurahan_code == "99.01.01.1002" and d.kelurahan_rule == "snapped"
    assert 90 < d.snapped_m < 110


@pytest.mark.parametrize("lon,lat", [("abc", 1), (float("nan"), -3.3), (float("inf"), -3.3), (200, 0), (None, 1)])
def test_bad_coordinates_are_refused(conn, ids, lon, lat):
    """Strings, NaN, Infinity, out-of-range or missing coordinates give a RoutingError, not a crash."""
    with pytest.raises(RoutingError):
        _route(conn, ids, lon, lat)


def test_no_service_area_uses_category_default(conn, ids):
    """Road damage has no service area: the category's default SKPD, rule 'category_default'."""
    d = _route(conn, ids, 114.51, -3.39)
    assert (d.skpd_code, d.skpd_rule, d.service_area_id) == ("PUPR", "category_default", None)


def test_highest_priority_service_area_wins(conn, ids):
    """Waste inside both DLH Zona Timur (priority 0) and Dishub Koridor (priority 5): priority 5 wins."""
    d = _route(conn, ids, 114.53, -3.38 + 0.001, category="sampah")
    assert d.skpd_code == "DISHUB" and d.service_area_name == "Dishub Koridor"


def test_service_area_outside_smaller_area(conn, ids):
    """Waste in the east half but outside the corridor goes to DLH via its zone."""
    d = _route(conn, ids, 114.538, -3.395, category="sampah")
    assert (d.skpd_code, d.skpd_rule) == ("DLH", "service_area")


def test_explanation_names_the_decision(conn, ids):
    """The stored record explains itself in both languages."""
    rec = _route(conn, ids, 114.51, -3.37990).as_record()
    assert "digeser" in explain(rec, "id") and "Dinas PUPR" in explain(rec, "id")
    assert "snapped" in explain(rec, "en")
    assert explain(rec, "id", ("PUPR", "Dinas PUPR")) == explain(rec, "id")  # still with the SKPD routing chose
    assert explain(rec, "en", ("DLH", "Dinas Lingkungan Hidup")) == (
        explain(rec, "en").removesuffix(".") + "; later handed by staff to Dinas Lingkungan Hidup.")
    # a record migrated from one without flags (migration 0024 leaves the field NULL) explains itself all the same
    assert explain(rec | {"flags": None}, "en") == explain(rec | {"flags": []}, "en")
