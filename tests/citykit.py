"""A tiny test city built in code: two kecamatan, four kelurahan with a shared edge, a gap and an overlap.

    lat -3.36  +----------C----------+ +--------D---------+        C and D overlap in a 0.0005° sliver
               |   99.01.02.1001     |X|  99.01.02.1002   |        (lon 114.5195 .. 114.5200)
    lat -3.3795+---------------------+-+------------------+
               (gap: lat -3.3800 .. -3.3795, about 55 m)
    lat -3.38  +----------A----------+--------B-----------+        A and B share the edge lon 114.52
               |   99.01.01.1001     |  99.01.01.1002     |
    lat -3.40  +---------------------+--------------------+
            114.50                114.52               114.54
"""
from __future__ import annotations

from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, text

KECAMATAN = {"99.01.01": "Kecamatan Selatan Uji", "99.01.02": "Kecamatan Utara Uji"}
KELURAHAN = {
    "99.01.01.1001": ("Kelurahan A", box(114.50, -3.40, 114.52, -3.38), 12000),
    "99.01.01.1002": ("Kelurahan B", box(114.52, -3.40, 114.54, -3.38), None),
    "99.01.02.1001": ("Kelurahan C", box(114.50, -3.3795, 114.52, -3.36), 8000),
    "99.01.02.1002": ("Kelurahan D", box(114.5195, -3.3795, 114.54, -3.36), 5000),
}
SKPD = {"PUPR": "Dinas PUPR", "DLH": "Dinas Lingkungan Hidup", "DISHUB": "Dinas Perhubungan"}
CATEGORIES = {  # code: (name_id, name_en, default skpd)
    "jalan-rusak": ("Jalan rusak", "Damaged road", "PUPR"),
    "sampah": ("Sampah menumpuk", "Uncollected waste", "DLH"),
    "lampu-jalan": ("Lampu jalan mati", "Street light out", "DISHUB"),
}
# Service areas for "sampah": a big one (east half) and a smaller, higher-priority one inside it.
SERVICE_AREAS = [
    ("DLH Zona Timur", "DLH", 0, box(114.52, -3.40, 114.54, -3.36), ["sampah"]),
    ("Dishub Koridor", "DISHUB", 5, box(114.525, -3.39, 114.535, -3.37), ["sampah"]),
]


def build_city(conn: Connection) -> int:
    """Insert the tiny city as the active boundary generation; return the generation id."""
    gen = conn.execute(text("INSERT INTO boundary_generation (name, synthetic, active, activated_at) "
                            "VALUES ('test city', true, true, now()) RETURNING id")).scalar_one()
    kec_ids = {}
    for code, name in KECAMATAN.items():
        parts = [g for c, (_, g, _) in KELURAHAN.items() if c.startswith(code)]
        kec_ids[code] = conn.execute(text(
            "INSERT INTO kecamatan (generation_id, code, name, geom) "
            "VALUES (:g, :c, :n, ST_Multi(ST_Union(ARRAY("
            "SELECT ST_GeomFromText(w, 4326) FROM unnest(CAST(:w AS text[])) w)))) "
            "RETURNING id"), {"g": gen, "c": code, "n": name, "w": [p.wkt for p in parts]}).scalar_one()
    for code, (name, geom, pop) in KELURAHAN.items():
        kid = conn.execute(text(
            "INSERT INTO kelurahan (generation_id, kecamatan_id, code, name, population, area_km2, geom) "
            "VALUES (:g, :k, :c, :n, :p, ST_Area(ST_GeomFromText(:w, 4326)::geography) / 1e6, "
            "ST_GeomFromText(:w, 4326)) RETURNING id"),
            {"g": gen, "k": kec_ids[code[:8]], "c": code, "n": name, "p": pop,
             "w": MultiPolygon([geom]).wkt}).scalar_one()
        conn.execute(text("INSERT INTO kelurahan_piece (kelurahan_id, generation_id, geom) "
                          "SELECT :k, :g, ST_Subdivide(geom, 64) FROM kelurahan WHERE id = :k"), {"k": kid, "g": gen})
    skpd_ids = {code: conn.execute(text("INSERT INTO skpd (code, name) VALUES (:c, :n) RETURNING id"),
                                   {"c": code, "n": name}).scalar_one() for code, name in SKPD.items()}
    cat_ids = {}
    for code, (nid, nen, skpd) in CATEGORIES.items():
        cat_ids[code] = conn.execute(text(
            "INSERT INTO category (code, name_id, name_en, default_skpd_id) VALUES (:c, :i, :e, :s) RETURNING id"),
            {"c": code, "i": nid, "e": nen, "s": skpd_ids[skpd]}).scalar_one()
    for name, skpd, prio, geom, cats in SERVICE_AREAS:
        sid = conn.execute(text(
            "INSERT INTO service_area (skpd_id, name, priority, area_m2, geom, valid_from) "
            "VALUES (:s, :n, :p, ST_Area(ST_GeomFromText(:w, 4326)::geography), "
            "ST_Multi(ST_GeomFromText(:w, 4326)), now() - interval '1 day') RETURNING id"),
            {"s": skpd_ids[skpd], "n": name, "p": prio, "w": geom.wkt}).scalar_one()
        for c in cats:
            conn.execute(text("INSERT INTO service_area_category VALUES (:s, :c)"), {"s": sid, "c": cat_ids[c]})
    return gen
