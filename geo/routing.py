"""The routing decision: point + category → kelurahan, service area, SKPD, with the rule that fired.

The decision itself runs in PostGIS (`peta_route()`, migrations/sql/route_v3.sql, installed by migration 0010)
so a single submission and a set-based import of a million rows follow exactly the same rules in one round trip.
This module validates the input, calls it, names the result and explains it in Indonesian and English.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from sqlalchemy import Connection, Float, bindparam, exists, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from aduan.errors import Unprocessable
from aduan.models import BoundaryGeneration, Kelurahan
from geo.errors import GeoError
from geo.points import bound_point


class RoutingError(GeoError):
    """The point cannot be routed; carries a message in Indonesian and English."""


class OutsideCityError(RoutingError, Unprocessable):
    """Farther from the city than the snapping tolerance: refused, nothing is stored."""

    code = "outside_city"


# The flags peta_route() sets (migrations/sql/route_v3.sql) as staff read them: the one table of their names.
FLAG_NAMES: dict[str, tuple[str, str]] = {
    "overlap": ("Kelurahan tumpang tindih: dipilih yang paling dalam", "Overlapping kelurahan: the deepest chosen"),
    "snapped": ("Di luar batas kelurahan: digeser ke yang terdekat", "Outside every kelurahan: snapped to the nearest"),
    "near_border": ("Dekat batas wilayah", "Near a border"),
}


def flag_name(flag: str, lang: str = "id") -> str:
    """A routing flag in words (an unknown flag keeps its code)."""
    names = FLAG_NAMES.get(flag)
    return flag if names is None else names[1 if lang == "en" else 0]


@dataclass(frozen=True)
class RoutingDecision:
    """What `peta_route()` decided, with names, ready to store on the ticket and to show."""

    generation_id: int
    kelurahan_id: int
    kelurahan_code: str
    kelurahan_name: str
    kecamatan_id: int | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    kelurahan_rule: str  # covers | overlap | snapped
    overlap_count: int
    snapped_m: float | None
    depth_m: float | None
    service_area_id: int | None
    service_area_name: str | None
    skpd_id: int
    skpd_code: str
    skpd_name: str
    skpd_rule: str  # service_area | category_default
    category_code: str
    flags: list[str] = field(default_factory=list)

    def as_record(self) -> dict:
        """complaint.routing as its readers see it: the structured decision (the explanation is derived)."""
        rec = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict() deep-copies every value
        rec["flags"] = list(self.flags)
        return rec

    @classmethod
    def from_record(cls, record: dict) -> RoutingDecision:
        """The decision as PostgreSQL built its record (ROUTING_RECORD_SQL), metres already rounded."""
        return cls(**{**record, "flags": list(record["flags"] or [])})


# The stored routing record, built by PostgreSQL for every path (a submission, an import, a re-route) as the type
# migration 0022 declares and complaint.routing stores (0024): one definition of its fields and of how its metres
# are rounded (to 0.1 m, half away from zero). Only this fixed fragment is formatted into statements. Expects
# aliases: r (peta_route row), k (kelurahan), kc (kecamatan), sa (service_area), sk (skpd), c (category).
ROUTING_RECORD_SQL = """ROW(
    r.generation_id, r.kelurahan_id, k.code, k.name, r.kecamatan_id, kc.code, kc.name, r.kelurahan_rule,
    r.overlap_count, round(r.snapped_m::numeric, 1), round(r.depth_m::numeric, 1), r.service_area_id, sa.name,
    r.skpd_id, sk.code, sk.name, r.skpd_rule, c.code, r.flags)::routing_record"""

_ROUTE_SQL = text("""
SELECT to_jsonb({record}) AS record
  FROM peta_route(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :category_id, :tolerance_m, :near_border_m) r
  JOIN category c ON c.id = :category_id
  LEFT JOIN kelurahan k ON k.id = r.kelurahan_id
  LEFT JOIN kecamatan kc ON kc.id = r.kecamatan_id
  LEFT JOIN service_area sa ON sa.id = r.service_area_id
  LEFT JOIN skpd sk ON sk.id = r.skpd_id
""".replace("{record}", ROUTING_RECORD_SQL))


def check_lon_lat(lon: object, lat: object) -> tuple[float, float]:
    """Numbers, finite, on Earth: anything else is the user's mistake, not a server error."""
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RoutingError("Koordinat harus berupa angka (bujur/lintang).",
                           "Coordinates must be numbers (longitude/latitude).", "lon") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise RoutingError("Koordinat tidak valid (NaN/Infinity).", "Coordinates are not finite numbers.", "lon")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise RoutingError("Koordinat di luar jangkauan bumi (bujur −180..180, lintang −90..90).",
                           "Coordinates out of range (longitude −180..180, latitude −90..90).", "lon")
    return x, y


def route_point(conn: Connection, lon: object, lat: object, category_id: int, *, city_name: str,
                tolerance_m: float = 250.0, near_border_m: float = 10.0) -> RoutingDecision:
    """Decide where a complaint goes; raise OutsideCityError when the point is not in the city."""
    x, y = check_lon_lat(lon, lat)
    record = conn.execute(_ROUTE_SQL, {"lon": x, "lat": y, "category_id": category_id,
                                       "tolerance_m": tolerance_m, "near_border_m": near_border_m}).scalar()
    if record is None:
        raise RoutingError("Kategori tidak dikenal.", "Unknown category.", "category")
    if record["kelurahan_id"] is None:
        raise OutsideCityError(
            f"Lokasi berada di luar wilayah {city_name} (lebih dari {tolerance_m:.0f} m dari batas kota).",
            f"The location is outside {city_name} (more than {tolerance_m:.0f} m from the city boundary).", "lon")
    return RoutingDecision.from_record(record)


def in_city_condition() -> ColumnElement[bool]:
    """True when the point (:lon, :lat) lies within :city_tol metres of a kelurahan of the active generation —
    the city as `check_in_city` sees it, for a statement that should return nothing outside it (values from
    `in_city_values`). A box in degrees (:city_deg) comes first, so the spheroid distance runs on few kelurahan."""
    k, g, point = Kelurahan, BoundaryGeneration, bound_point()
    return exists().where(
        g.id == k.generation_id, g.active,
        k.geom.op("&&")(func.ST_Expand(point, bindparam("city_deg", type_=Float))),
        func.ST_DWithin(func.geography(k.geom), func.geography(point), bindparam("city_tol", type_=Float)))


def in_city_values(tolerance_m: float) -> dict[str, float]:
    """The values `in_city_condition` runs with: the snapping tolerance, and a generous box around it."""
    return {"city_tol": tolerance_m, "city_deg": tolerance_m / 100_000 + 0.001}


_IN_CITY = select(in_city_condition())


def check_in_city(conn: Connection, lon: float, lat: float, *, city_name: str, tolerance_m: float) -> None:
    """A position (an officer's, a search centre) farther from the city than the snapping tolerance is a mistake
    or a spoof: OutsideCityError (422)."""
    if not conn.execute(_IN_CITY, {"lon": lon, "lat": lat, **in_city_values(tolerance_m)}).scalar():
        raise OutsideCityError(f"Posisi berada di luar wilayah {city_name}.", f"The position is outside {city_name}.",
                               "lon")


def explain(rec: dict, lang: str = "id", handled_by: tuple[str, str] | None = None) -> str:
    """A sentence a clerk can read: why this ticket went to this SKPD. `handled_by` is the (code, name) of the SKPD
    that has the ticket now: when staff handed it to another since, the sentence says so, rather than leaving the
    reader with an SKPD the ticket has left (the record keeps what routing decided; `routing_manual` the rest)."""
    kel = f"{rec['kelurahan_name']} ({rec['kelurahan_code']})"
    en = lang == "en"
    rule = rec.get("kelurahan_rule")
    if rule == "overlap":
        where = (f"The point lies in {rec['overlap_count']} overlapping kelurahan; chose {kel} (deepest inside, "
                 "then lowest code)" if en else f"Titik berada di {rec['overlap_count']} kelurahan yang tumpang "
                 f"tindih; dipilih {kel} (paling dalam, lalu kode terkecil)")
    elif rule == "snapped":
        m = float(rec.get("snapped_m") or 0)
        where = (f"The point lies in no kelurahan; snapped {m:.0f} m to {kel}" if en
                 else f"Titik tidak berada di kelurahan mana pun; digeser {m:.0f} m ke {kel}")
    else:
        where = f"The point lies in Kelurahan {kel}" if en else f"Titik berada di Kelurahan {kel}"
    if rec["skpd_rule"] == "service_area":
        who = (f"wilayah layanan «{rec['service_area_name']}» untuk kategori ini → {rec['skpd_name']}" if lang == "id"
               else f"service area «{rec['service_area_name']}» for this category → {rec['skpd_name']}")
    else:
        who = (f"tidak ada wilayah layanan untuk kategori ini → SKPD bawaan kategori: {rec['skpd_name']}"
               if lang == "id" else f"no service area for this category → the category's default SKPD: "
               f"{rec['skpd_name']}")
    note = ""
    if "near_border" in (rec.get("flags") or []):  # NULL in a record migrated from one that had none
        note = " (dekat batas wilayah: perlu diperiksa petugas)" if lang == "id" else " (near a border: staff review)"
    moved = ""
    if handled_by is not None and handled_by[0] != rec.get("skpd_code"):
        moved = (f"; kemudian dialihkan petugas ke {handled_by[1]}" if lang == "id"
                 else f"; later handed by staff to {handled_by[1]}")
    return f"{where}; {who}{note}{moved}."
