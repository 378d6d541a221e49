"""The Kota Banjarmasin demo: synthetic boundaries, real-looking reference data, a synthetic complaint history.

`seed()` writes all of it on a connection whose transaction the caller owns (the `seed-demo` command), so a
failure leaves the database as it was. Reference rows are upserted by code, so seeding twice refreshes them;
service areas of the same name are closed (valid_to) and replaced, so tickets keep the area they were routed to.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import Connection, text

from aduan import places
from aduan.bulk_load import LoadReport, load_complaints
from aduan.demo import reference as ref
from aduan.settings import Settings
from geo import synthetic
from geo.boundary_load import load_generation

Say = Callable[[str], None]
GENERATION_NAME = "Batas SINTETIS demo Kota Banjarmasin (bukan batas resmi)"
GENERATION_SOURCE = ("synthetic: power diagram of approximate kelurahan centres (app/demo/kelurahan.csv), "
                     "synthetic Sungai Martapura gap and 4 m slivers, synthetic population; not official")
PLACES_GEOJSON = Path(__file__).with_name("places.geojson")  # real landmarks, approximate coordinates


@dataclass
class SeedSummary:
    """What the seed wrote, for the command's closing lines."""

    generation_id: int = 0
    kecamatan: int = 0
    kelurahan: int = 0
    skpd: int = 0
    categories: int = 0
    service_areas: int = 0
    places: int = 0
    complaints: LoadReport = field(default_factory=LoadReport)
    by_status: dict[str, int] = field(default_factory=dict)
    by_skpd: dict[str, int] = field(default_factory=dict)


def has_boundaries(conn: Connection) -> bool:
    """`--if-empty` asks this: a database that already holds a boundary generation is left alone."""
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM boundary_generation)")).scalar())


def seed(conn: Connection, settings: Settings, *, complaints: int, seed: int, now: pd.Timestamp, say: Say,
         progress: Callable[[str, int, int], None] | None = None) -> SeedSummary:
    """Everything the demo needs, in the caller's transaction: boundaries, SKPD, categories, areas, history."""
    out = SeedSummary()
    say("generating synthetic kelurahan …")
    city = synthetic.generate_city(synthetic.read_centres(ref.KELURAHAN_CSV), seed=seed)
    say("loading boundary generation (synthetic, activated) …")
    out.generation_id = load_generation(conn, city.kelurahan, city.kecamatan, name=GENERATION_NAME,
                                        source=GENERATION_SOURCE, synthetic=True, activate=True, progress=say)
    out.kecamatan, out.kelurahan = len(city.kecamatan), len(city.kelurahan)
    say("loading SKPD, categories and service areas …")
    skpd_ids = upsert_skpd(conn)
    category_ids = upsert_categories(conn, skpd_ids)
    out.skpd, out.categories = len(skpd_ids), len(category_ids)
    out.service_areas = replace_service_areas(conn, city, skpd_ids, category_ids)
    out.places = load_demo_places(conn, settings)
    if complaints <= 0:
        return out
    say(f"generating {complaints:,} synthetic complaints …")
    frame = synthetic.generate_complaints(city, ref.profiles(), now=now, n=complaints, seed=seed)
    say("loading complaints (COPY, routing in PostGIS, due dates) …")
    out.complaints = load_complaints(conn, frame, settings=settings, channel_default="demo", progress=progress)
    out.by_status, out.by_skpd = _tallies(conn, out.generation_id)
    return out


def load_demo_places(conn: Connection, settings: Settings) -> int:
    """The demo's patokan for the search box (aduan/demo/places.geojson), replacing those of an earlier seed."""
    doc = json.loads(PLACES_GEOJSON.read_text(encoding="utf-8"))
    frame = pd.DataFrame([f["properties"] | {"geometry": shapely.geometry.shape(f["geometry"])}
                          for f in doc["features"]])
    return places.load_places(conn, frame, source="demo", replace=True, tolerance_m=settings.snap_tolerance_m,
                              city_name=settings.city_name).loaded


def upsert_skpd(conn: Connection) -> dict[str, int]:
    """The city's agencies by code (names refreshed when seeding again); returns code -> id."""
    sql = text("INSERT INTO skpd (code, name, name_en) VALUES (:code, :name, :name_en) "
               "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en RETURNING id")
    return {s.code: conn.execute(sql, {"code": s.code, "name": s.name, "name_en": s.name_en}).scalar_one()
            for s in ref.SKPD}


def upsert_categories(conn: Connection, skpd_ids: dict[str, int]) -> dict[str, int]:
    """The Open311 services by code; returns code -> id."""
    sql = text(
        "INSERT INTO category (code, name_id, name_en, description_id, description_en, group_name, keywords, "
        "default_skpd_id, followup_days, handling_days, confidential, duplicate_radius_m, attributes, "
        "resolve_needs_evidence) "
        "VALUES (:code, :name_id, :name_en, :description_id, :description_en, :group, :keywords, :skpd, "
        ":followup_days, :handling_days, :confidential, :duplicate_radius_m, CAST(:attributes AS jsonb), :evidence) "
        "ON CONFLICT (code) DO UPDATE SET name_id = EXCLUDED.name_id, name_en = EXCLUDED.name_en, "
        "description_id = EXCLUDED.description_id, description_en = EXCLUDED.description_en, "
        "group_name = EXCLUDED.group_name, keywords = EXCLUDED.keywords, default_skpd_id = EXCLUDED.default_skpd_id, "
        "followup_days = EXCLUDED.followup_days, handling_days = EXCLUDED.handling_days, "
        "confidential = EXCLUDED.confidential, duplicate_radius_m = EXCLUDED.duplicate_radius_m, "
        "attributes = EXCLUDED.attributes, resolve_needs_evidence = EXCLUDED.resolve_needs_evidence RETURNING id")
    ids = {}
    for c in ref.CATEGORIES:
        params = {k: getattr(c, k) for k in ("code", "name_id", "name_en", "description_id", "description_en",
                                             "group", "keywords", "followup_days", "handling_days",
                                             "confidential", "duplicate_radius_m")}
        params.update(skpd=skpd_ids[c.skpd], attributes=json.dumps(c.attributes) if c.attributes else None,
                      evidence=c.code in ref.EVIDENCE_TO_RESOLVE)
        ids[c.code] = conn.execute(sql, params).scalar_one()
    return ids


def replace_service_areas(conn: Connection, city: synthetic.SyntheticCity, skpd_ids: dict[str, int],
                          category_ids: dict[str, int]) -> int:
    """The synthetic service areas, valid from now; earlier ones of the same name end now."""
    close = text("UPDATE service_area SET valid_to = now() WHERE name = :name AND valid_to IS NULL")
    insert = text(
        "INSERT INTO service_area (skpd_id, name, priority, area_m2, geom, valid_from) "
        "SELECT :skpd, :name, :priority, ST_Area(g::geography), g, now() "
        "FROM (SELECT ST_Multi(ST_GeomFromWKB(:wkb, 4326)) AS g) s RETURNING id")
    link = text("INSERT INTO service_area_category (service_area_id, category_id) VALUES (:a, :c)")
    for area in ref.SERVICE_AREAS:
        geom = synthetic.area_from(city, **area.shape)
        conn.execute(close, {"name": area.name})
        area_id = conn.execute(insert, {"skpd": skpd_ids[area.skpd], "name": area.name, "priority": area.priority,
                                        "wkb": shapely.to_wkb(geom)}).scalar_one()
        conn.execute(link, [{"a": area_id, "c": category_ids[c]} for c in area.categories])
    return len(ref.SERVICE_AREAS)


def _tallies(conn: Connection, generation_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Complaints on this generation by status and by the SKPD they were routed to."""
    status = conn.execute(text("SELECT status, count(*) FROM complaint WHERE generation_id = :g GROUP BY 1 "
                               "ORDER BY 2 DESC"), {"g": generation_id}).all()
    skpd = conn.execute(text("SELECT s.code, count(*) FROM complaint c JOIN skpd s ON s.id = c.skpd_id "
                             "WHERE c.generation_id = :g GROUP BY 1 ORDER BY 2 DESC"), {"g": generation_id}).all()
    return dict(status), dict(skpd)
