"""Reference data for the Kota Banjarmasin demo: SKPD, categories (Open311 services) and service-area rules.

The SKPD and category lists are what a Banjarmasin resident would recognise; the service areas are SYNTHETIC
(built from the synthetic kelurahan, river and main roads of `geo.synthetic`) but follow real practice: PDAM
zones per treatment plant, DLH waste-collection areas, markets whose waste the market office collects, a PUPR
drainage-maintenance zone overlapped by the BPBD flood-prone zone, main-road street lights by Dishub, titian in
riverside settlements by Perkim. Speeds and season hints only shape the synthetic complaint history.
Description templates for that history live in templates.json (Indonesian, keyed by category code).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from geo.synthetic import CategoryProfile

HERE = Path(__file__).resolve().parent
KELURAHAN_CSV = HERE / "kelurahan.csv"


@dataclass(frozen=True)
class SkpdDef:
    """A city agency; the medians (working days) only shape the synthetic history: to follow-up, and from
    follow-up to resolution. Some SKPD are slower; city-wide the demo follows up in about 1.5 working days and
    handles in about 3.5, as the city reports of itself."""

    code: str
    name: str
    name_en: str
    followup_median_days: float
    handling_median_days: float


SKPD = [
    SkpdDef("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "Public Works and Spatial Planning Agency", 1.3, 1.8),
    SkpdDef("PERKIM", "Dinas Perumahan Rakyat dan Kawasan Permukiman", "Housing and Settlements Agency", 1.3, 1.8),
    SkpdDef("DLH", "Dinas Lingkungan Hidup", "Environment Agency", 0.5, 1),
    SkpdDef("DISHUB", "Dinas Perhubungan", "Transportation Agency", 0.8, 1.2),
    SkpdDef("PDAM", "Perumda Air Minum Bandarmasih", "Bandarmasih Water Utility (PDAM)", 0.3, 1),
    SkpdDef("SATPOLPP", "Satuan Polisi Pamong Praja", "Municipal Public Order Police", 0.8, 1),
    SkpdDef("DAMKAR", "Dinas Pemadam Kebakaran dan Penyelamatan", "Fire and Rescue Service", 0.1, 0.5),
    SkpdDef("DINKES", "Dinas Kesehatan", "Health Office", 0.8, 1.2),
    SkpdDef("DISDIK", "Dinas Pendidikan", "Education Office", 1.5, 2.5),
    SkpdDef("DINSOS", "Dinas Sosial", "Social Affairs Office", 2, 2.5),
    SkpdDef("BPBD", "Badan Penanggulangan Bencana Daerah", "Regional Disaster Management Agency", 0.5, 1),
    SkpdDef("DISKOMINFOTIK", "Dinas Komunikasi, Informatika dan Statistik",
            "Communication, Informatics and Statistics Office", 0.5, 1),
    SkpdDef("DISPERDAGIN", "Dinas Perdagangan dan Perindustrian", "Trade and Industry Office (markets)", 1, 2),
]


@dataclass(frozen=True)
class CategoryDef:
    """An Open311 service as the city offers it, plus hints for the synthetic history (weight, season, hotspot)."""

    code: str
    group: str
    skpd: str
    name_id: str
    name_en: str
    description_id: str
    description_en: str
    keywords: str
    weight: float
    duplicate_radius_m: int = 250
    confidential: bool = False
    followup_days: int = 5
    handling_days: int = 15
    season: tuple[int, float] = (1, 1.0)  # (peak month, rate at the peak relative to the trough)
    hotspot: tuple[str | None, float] = (None, 0.0)  # (kind, share of rows), see geo.synthetic
    attributes: list[dict] = field(default_factory=list)  # Open311 service definition attributes


def _choice(code: str, question_id: str, values: list[tuple[str, str]], order: int = 1) -> dict:
    """An optional Open311 single-value-list attribute (questions in Indonesian, keys stable)."""
    return {"variable": True, "code": code, "datatype": "singlevaluelist", "required": False,
            "datatype_description": None, "order": order, "description": question_id,
            "values": [{"key": k, "name": n} for k, n in values]}


G_ROAD, G_WATER, G_CLEAN, G_TRAFFIC = "Jalan & Jembatan", "Drainase & Banjir", "Kebersihan & Lingkungan", \
    "Lalu Lintas & Penerangan"
G_ORDER, G_HAZARD, G_SOCIAL = "Ketertiban Umum", "Bencana & Kebakaran", "Kesehatan, Pendidikan & Sosial"

CATEGORIES = [
    CategoryDef("jalan-rusak", G_ROAD, "PUPR", "Jalan rusak / berlubang", "Damaged road / pothole",
                "Jalan berlubang, aspal mengelupas atau amblas.", "Potholes, broken or subsiding asphalt.",
                "jalan, lubang, berlubang, aspal, amblas, rusak, bolong", 0.13, season=(1, 1.4),
                hotspot=("road", 0.3), attributes=[_choice("ukuran", "Perkiraan ukuran kerusakan", [
                    ("kecil", "Kecil (< 50 cm)"), ("sedang", "Sedang (0,5–2 m)"), ("besar", "Besar (> 2 m)")])]),
    CategoryDef("jembatan-titian-rusak", G_ROAD, "PUPR", "Jembatan / titian rusak",
                "Damaged bridge / wooden walkway (titian)",
                "Jembatan atau titian kayu lapuk, papan lepas, pegangan patah.",
                "Bridges or wooden walkways (titian) with rotten or missing planks or broken rails.",
                "jembatan, titian, kayu ulin, papan, lapuk, patah", 0.05, duplicate_radius_m=150,
                hotspot=("river", 0.5)),
    CategoryDef("drainase-tersumbat", G_WATER, "PUPR", "Drainase / saluran tersumbat", "Blocked drain",
                "Saluran air, gorong-gorong atau handil tersumbat sampah atau lumpur.",
                "Drains, culverts or small canals blocked by waste or silt.",
                "drainase, saluran, got, gorong-gorong, handil, tersumbat, mampet", 0.09, season=(12, 2.0),
                hotspot=("flood", 0.3)),
    CategoryDef("genangan-banjir", G_WATER, "PUPR", "Genangan / banjir", "Flooding / standing water",
                "Air menggenang di jalan atau permukiman setelah hujan atau saat pasang.",
                "Standing water on roads or in neighbourhoods after rain or at high tide.",
                "banjir, genangan, tergenang, pasang, rob, banyu", 0.08, duplicate_radius_m=500, season=(1, 4.0),
                hotspot=("flood", 0.5), attributes=[_choice("kedalaman", "Perkiraan kedalaman air", [
                    ("mata-kaki", "Semata kaki"), ("lutut", "Selutut"), ("pinggang", "Sepinggang atau lebih")])]),
    CategoryDef("sampah-menumpuk", G_CLEAN, "DLH", "Sampah menumpuk / tidak diangkut", "Uncollected waste",
                "Sampah di TPS atau pinggir jalan tidak diangkut.", "Waste at a collection point left uncollected.",
                "sampah, TPS, bau, menumpuk, tidak diangkut, kotor", 0.12, duplicate_radius_m=200,
                hotspot=("market", 0.35)),
    CategoryDef("tps-liar", G_CLEAN, "DLH", "Tempat pembuangan sampah liar", "Illegal dumping site",
                "Orang membuang sampah di lahan kosong, bantaran atau sungai.",
                "Waste dumped on empty land, river banks or into rivers.",
                "buang sampah, liar, lahan kosong, bantaran", 0.05, hotspot=("river", 0.3)),
    CategoryDef("pencemaran-sungai", G_CLEAN, "DLH", "Pencemaran sungai / limbah", "River pollution / effluent",
                "Air sungai berubah warna, berbau, ikan mati atau ada buangan limbah.",
                "Discoloured or smelly river water, dead fish or effluent discharges.",
                "sungai, limbah, tercemar, ikan mati, minyak, bau", 0.025, duplicate_radius_m=500,
                hotspot=("river", 0.7)),
    CategoryDef("pohon-tumbang", G_CLEAN, "DLH", "Pohon tumbang / rawan tumbang", "Fallen or dangerous tree",
                "Pohon tumbang menghalangi jalan atau dahan rawan patah.",
                "A fallen tree blocking the way, or branches about to break.",
                "pohon, tumbang, dahan, ranting, patah, angin", 0.03, duplicate_radius_m=100, season=(12, 1.8),
                hotspot=("road", 0.4)),
    CategoryDef("lampu-jalan-mati", G_TRAFFIC, "PERKIM", "Lampu penerangan jalan mati", "Street light out",
                "Lampu PJU mati, berkedip atau tiangnya miring.", "A street light that is out, flickers or leans.",
                "lampu, PJU, penerangan, gelap, mati, tiang", 0.09, duplicate_radius_m=100,
                hotspot=("road", 0.5)),
    CategoryDef("lampu-lalu-lintas-rusak", G_TRAFFIC, "DISHUB", "Lampu lalu lintas rusak", "Traffic light fault",
                "Lampu lalu lintas mati, macet di satu warna atau tertutup.",
                "A traffic light that is out, stuck or hidden.", "lampu merah, traffic light, APILL, simpang",
                0.025, duplicate_radius_m=100, hotspot=("road", 0.8)),
    CategoryDef("parkir-liar", G_TRAFFIC, "DISHUB", "Parkir liar", "Illegal parking",
                "Kendaraan parkir di bahu jalan atau trotoar hingga mengganggu lalu lintas.",
                "Vehicles parked on the carriageway or pavement, blocking traffic.",
                "parkir, liar, juru parkir, trotoar, macet", 0.04, duplicate_radius_m=150, hotspot=("market", 0.5)),
    CategoryDef("air-pdam", "Air Bersih", "PDAM", "Air PDAM mati / bocor / keruh",
                "No water, leaking main or dirty water (PDAM)",
                "Air ledeng tidak mengalir, pipa bocor, atau air keruh dan asin.",
                "Tap water not running, a leaking pipe, or cloudy or salty water.",
                "PDAM, air, ledeng, bocor, keruh, asin, mati, pipa", 0.08, duplicate_radius_m=500,
                season=(9, 1.8), hotspot=("road", 0.2)),
    CategoryDef("pkl-ketertiban", G_ORDER, "SATPOLPP", "PKL / gangguan ketertiban umum",
                "Street vendors / public order",
                "PKL menempati trotoar, keributan, atau gangguan ketertiban lain.",
                "Vendors occupying pavements, disturbances or other public-order problems.",
                "PKL, pedagang, trotoar, ribut, ketertiban, mabuk", 0.04, duplicate_radius_m=150, confidential=True,
                hotspot=("market", 0.5)),
    CategoryDef("bangunan-liar", G_ORDER, "SATPOLPP", "Bangunan liar / tanpa izin", "Unlicensed building",
                "Bangunan tanpa PBG, di atas saluran atau di bantaran sungai.",
                "Buildings without a permit, over drains or on river banks.",
                "bangunan, liar, izin, PBG, bantaran, sempadan", 0.025, confidential=True, hotspot=("river", 0.4)),
    CategoryDef("kebakaran-lahan", G_HAZARD, "DAMKAR", "Kebakaran lahan / asap", "Land or peat fire / smoke",
                "Lahan gambut atau semak terbakar, asap pekat. Kebakaran yang sedang terjadi: telepon 113.",
                "Peat or scrub burning, thick smoke. For a fire in progress call 113.",
                "kebakaran, lahan, gambut, asap, api, karhutla", 0.015, duplicate_radius_m=1000, season=(9, 8.0),
                hotspot=("fringe", 0.8)),
    CategoryDef("fasilitas-kesehatan", G_SOCIAL, "DINKES", "Layanan / fasilitas kesehatan",
                "Health facility or service", "Keluhan layanan Puskesmas, posyandu, atau fasilitas kesehatan.",
                "Complaints about a Puskesmas, posyandu or other health service.",
                "puskesmas, posyandu, obat, pelayanan, kesehatan", 0.02),
    CategoryDef("nyamuk-dbd", G_SOCIAL, "DINKES", "Sarang nyamuk / kasus DBD", "Mosquitoes / dengue",
                "Banyak jentik atau nyamuk, ada warga terkena DBD, permintaan fogging.",
                "Mosquito breeding, dengue cases, requests for fogging.",
                "nyamuk, DBD, demam berdarah, fogging, jentik, abate", 0.025, duplicate_radius_m=300,
                season=(2, 2.5), hotspot=("flood", 0.3)),
    CategoryDef("sekolah-rusak", G_SOCIAL, "DISDIK", "Sekolah / fasilitas pendidikan rusak",
                "Damaged school building", "Atap bocor, plafon runtuh, kelas atau toilet sekolah rusak.",
                "Leaking roofs, fallen ceilings, damaged classrooms or school toilets.",
                "sekolah, SD, SMP, atap, plafon, kelas, toilet", 0.015, duplicate_radius_m=100),
    CategoryDef("bantuan-sosial", G_SOCIAL, "DINSOS", "Bantuan sosial", "Social assistance",
                "Bansos (PKH, BPNT) tidak tepat sasaran, warga terlantar, ODGJ di jalan.",
                "Social aid (PKH, BPNT) mistargeted, neglected residents, people in need on the street.",
                "bansos, PKH, BPNT, terlantar, miskin, ODGJ, bantuan", 0.03, duplicate_radius_m=50,
                confidential=True),
    CategoryDef("lainnya", "Lainnya", "DISKOMINFOTIK", "Lainnya", "Other",
                "Aduan lain; petugas aduan meneruskan ke SKPD yang tepat.",
                "Anything else; the complaint desk forwards it to the right agency.", "lain, umum, lainnya",
                0.03),
]


@dataclass(frozen=True)
class ServiceAreaDef:
    """A synthetic service area: built by `geo.synthetic.area_from` from the keywords in `shape`."""

    name: str
    skpd: str
    priority: int
    categories: tuple[str, ...]
    shape: dict


SELATAN, TIMUR, BARAT, UTARA, TENGAH = "63.71.01", "63.71.02", "63.71.03", "63.71.04", "63.71.05"
SERVICE_AREAS = [
    # Two PDAM plant zones overlapping by 300 m where they meet: equal priority, the smaller zone wins there.
    ServiceAreaDef("Zona Layanan PDAM IPA A. Yani (Timur–Selatan)", "PDAM", 0, ("air-pdam",),
                   {"kecamatan": (TIMUR, SELATAN), "grow_m": 300}),
    ServiceAreaDef("Zona Layanan PDAM IPA Pramuka (Utara–Tengah–Barat)", "PDAM", 0, ("air-pdam",),
                   {"kecamatan": (UTARA, TENGAH, BARAT), "grow_m": 300}),
    ServiceAreaDef("Wilayah Angkutan Sampah DLH Utara", "DLH", 0, ("sampah-menumpuk", "tps-liar"),
                   {"kecamatan": (UTARA, BARAT, TENGAH), "grow_m": 200}),
    ServiceAreaDef("Wilayah Angkutan Sampah DLH Selatan", "DLH", 0, ("sampah-menumpuk", "tps-liar"),
                   {"kecamatan": (SELATAN, TIMUR), "grow_m": 200}),
    # Markets collect their own waste: a higher priority inside the DLH areas.
    ServiceAreaDef("Kawasan Pasar (UPTD Pasar)", "DISPERDAGIN", 10, ("sampah-menumpuk",), {"markets_m": 250}),
    ServiceAreaDef("Zona Pemeliharaan Drainase PUPR Pusat Kota", "PUPR", 5,
                   ("drainase-tersumbat", "genangan-banjir"), {"kecamatan": (TENGAH,), "grow_m": 500}),
    # Flood-prone zone: along the Martapura and in low-lying kelurahan; overlaps the drainage zone, BPBD wins.
    ServiceAreaDef("Zona Rawan Banjir BPBD", "BPBD", 10, ("genangan-banjir",),
                   {"kelurahan": ("63.71.02.1005", "63.71.04.1002", "63.71.04.1010", "63.71.01.1002"),
                    "river_m": 400}),
    ServiceAreaDef("Koridor Jalan Protokol (PJU Dishub)", "DISHUB", 10, ("lampu-jalan-mati", "pohon-tumbang"),
                   {"roads_m": 60}),
    ServiceAreaDef("Permukiman Bantaran Sungai (titian, Perkim)", "PERKIM", 5, ("jembatan-titian-rusak",),
                   {"river_m": 300}),
]


def templates() -> dict[str, list[str]]:
    """Indonesian complaint texts per category code, for the synthetic history."""
    return json.loads((HERE / "templates.json").read_text(encoding="utf-8"))


# Infrastructure: resolving needs an after-photo and a public note (the work is shown, not just claimed).
EVIDENCE_TO_RESOLVE = frozenset({"jalan-rusak", "jembatan-titian-rusak", "drainase-tersumbat", "lampu-jalan-mati",
                                 "lampu-lalu-lintas-rusak", "air-pdam", "sekolah-rusak"})


def profiles() -> list[CategoryProfile]:
    """What `geo.synthetic.generate_complaints` needs to know about each category."""
    speed = {s.code: s for s in SKPD}
    text = templates()
    return [CategoryProfile(
        code=c.code, weight=c.weight, templates=tuple(text[c.code]), season_peak_month=c.season[0],
        season_boost=c.season[1], hotspot=c.hotspot[0], hotspot_share=c.hotspot[1], confidential=c.confidential,
        followup_median_days=speed[c.skpd].followup_median_days,
        handling_median_days=speed[c.skpd].handling_median_days) for c in CATEGORIES]
