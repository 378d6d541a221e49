"""SKPD, categories, CSV imports, city days off and boundary generations from the admin pages (no Flask).

Forms are checked by the same rules as the CSV imports (aduan/city_setup.py's `skpd_record`/`category_record`), so
a value refused in a file is refused in a form with the same message naming the column. Every change is audited
with what changed (aduan/admin.py). An SKPD admin may change only the names and e-mail of their own SKPD.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, insert, select, text, update

from aduan import city_setup
from aduan.admin import SKPD_SELF_FIELDS, Actor, audit, changes, uploaded_file
from aduan.city_setup import CATEGORY_T, SKPD_T
from aduan.errors import Conflict, DomainError, NotFound
from aduan.permissions import check_admin, check_skpd
from aduan.statuses import OPEN_STATUSES
from geo import boundary_load

SKPD_FIELDS = ("name", "name_en", "email", "active")
CATEGORY_FIELDS = ("name", "name_en", "skpd", "followup_days", "handling_days", "confidential",
                   "duplicate_radius_m", "resolve_needs_evidence", "active")
CSV_ONLY = ("Unggah berkas CSV (.csv, UTF-8).", "Upload a CSV file (.csv, UTF-8).")
IMPORTS = {"skpd": city_setup.import_skpd, "categories": city_setup.import_categories}


# --- SKPD ----------------------------------------------------------------------------------------------------------

def get_skpd(conn: Connection, code: str) -> dict:
    row = conn.execute(select(SKPD_T).where(SKPD_T.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"SKPD {code!r} tidak ditemukan.", f"No SKPD {code!r}.")
    return dict(row)


def save_skpd(conn: Connection, actor: Actor, code: str, cells: dict[str, str], *, new: bool = False) -> str:
    """Create (new=True) or edit one SKPD; an SKPD admin's edit keeps everything but the names and e-mail."""
    if new:
        check_admin(actor.user)
    else:
        check_skpd(actor.user, code)
    allowed = SKPD_FIELDS if actor.user.role == "admin" else SKPD_SELF_FIELDS
    record = city_setup.skpd_record({"code": code, **{k: (cells.get(k) or "").strip() for k in allowed}})
    if new:
        if conn.execute(select(SKPD_T.c.id).where(SKPD_T.c.code == record["code"])).first():
            raise Conflict(f"SKPD {code!r} sudah ada.", f"SKPD {code!r} already exists.", field="code")
        conn.execute(insert(SKPD_T).values(**record))
        audit(conn, actor, "skpd.create", f"skpd:{code}", {k: v for k, v in record.items() if k != "code"})
        return code
    before = get_skpd(conn, code)
    with city_setup.keeping_routing_targets(conn):
        conn.execute(update(SKPD_T).where(SKPD_T.c.code == code).values(**record))
    audit(conn, actor, "skpd.update", f"skpd:{code}", changes(before, record))
    return code


# --- categories ----------------------------------------------------------------------------------------------------

_CATEGORIES = text("SELECT c.*, s.code AS skpd FROM category c JOIN skpd s ON s.id = c.default_skpd_id "
                   "ORDER BY c.active DESC, c.code")


def list_categories(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(_CATEGORIES).mappings()]


def get_category(conn: Connection, code: str) -> dict:
    row = next((c for c in list_categories(conn) if c["code"] == code), None)
    if row is None:
        raise NotFound(f"Kategori {code!r} tidak ditemukan.", f"No category {code!r}.")
    return row


def _attributes(raw: str | None) -> list | None:
    """Open311 service-definition attributes: a JSON list of objects with at least `code` and `datatype`."""
    if not (raw or "").strip():
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(a, dict) and "code" in a and "datatype" in a
                                              for a in value):
        raise DomainError("Atribut harus berupa daftar JSON objek dengan 'code' dan 'datatype'.",
                          "Attributes must be a JSON list of objects with 'code' and 'datatype'.", field="attributes")
    return value


def save_category(conn: Connection, actor: Actor, code: str, cells: dict[str, str], *, new: bool = False) -> str:
    """Create or edit one category with the import's checks (handling at least follow-up, a known SKPD, …)."""
    check_admin(actor.user)
    old = None if new else get_category(conn, code)
    if new and conn.execute(select(CATEGORY_T.c.id).where(CATEGORY_T.c.code == code)).first():
        raise Conflict(f"Kategori {code!r} sudah ada.", f"Category {code!r} already exists.", field="code")
    typed = {k: (cells.get(k) or "").strip() for k in CATEGORY_FIELDS}
    record = city_setup.category_record(conn, {"code": code, **typed}, old)
    record["attributes"] = _attributes(cells.get("attributes"))
    if new:
        with city_setup.keeping_routing_targets(conn):
            conn.execute(insert(CATEGORY_T).values(**record))
        audit(conn, actor, "category.create", f"category:{code}", {k: v for k, v in record.items() if k != "code"})
        return code
    with city_setup.keeping_routing_targets(conn):
        conn.execute(update(CATEGORY_T).where(CATEGORY_T.c.code == code).values(**record))
    audit(conn, actor, "category.update", f"category:{code}", changes(old, {**record, "skpd": typed["skpd"]}))
    return code


def import_csv(conn: Connection, actor: Actor, kind: str, data: bytes, filename: str) -> city_setup.ImportReport:
    """city_setup's all-or-nothing import of an uploaded CSV, audited with what it created and changed."""
    check_admin(actor.user)
    if kind not in IMPORTS:
        raise DomainError("Jenis impor tidak dikenal.", "Unknown kind of import.", field="kind")
    with uploaded_file(data, filename, (".csv", ".txt"), CSV_ONLY) as path:
        report = IMPORTS[kind](conn, path)
    audit(conn, actor, f"{kind}.import", f"file:{filename[:150]}",
          {"created": report.created, "updated": report.updated, "unchanged": len(report.unchanged)})
    return report


# --- days off ------------------------------------------------------------------------------------------------------

def list_days_off(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(text("SELECT day, name FROM day_off ORDER BY day DESC")).mappings()]


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError("Tanggal harus YYYY-MM-DD.", "The date must be YYYY-MM-DD.", field="day") from None


def add_day_off(conn: Connection, actor: Actor, day: str, name: str) -> int:
    """Declare a day off; returns how many open tickets are due after it (their stored due dates stay)."""
    check_admin(actor.user)
    date, name = _day(day), (name or "").strip()[:200]
    if not name:
        raise DomainError("Nama hari libur wajib diisi.", "The day off needs a name.", field="name")
    before = conn.execute(text("SELECT name FROM day_off WHERE day = :d"), {"d": date}).scalar()
    conn.execute(text("INSERT INTO day_off (day, name) VALUES (:d, :n) "
                      "ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name"), {"d": date, "n": name})
    audit(conn, actor, "day_off.add", f"day_off:{date}", changes({"name": before}, {"name": name}))
    return conn.execute(text("SELECT count(*) FROM complaint WHERE status = ANY(:open) "
                             "AND handling_due_at > CAST(:d AS date)"),
                        {"d": date, "open": list(OPEN_STATUSES)}).scalar_one()


def remove_day_off(conn: Connection, actor: Actor, day: str) -> None:
    check_admin(actor.user)
    date = _day(day)
    name = conn.execute(text("DELETE FROM day_off WHERE day = :d RETURNING name"), {"d": date}).scalar()
    if name is None:
        raise NotFound(f"{date} bukan hari libur kota.", f"{date} is not a city day off.")
    audit(conn, actor, "day_off.remove", f"day_off:{date}", {"name": name})


# --- boundary generations ------------------------------------------------------------------------------------------

_GENERATIONS = text("""
SELECT g.id, g.name, g.source, g.active, g.synthetic, g.created_at, g.activated_at, g.report,
       (SELECT count(*) FROM kecamatan k WHERE k.generation_id = g.id) AS kecamatan,
       (SELECT count(*) FROM kelurahan k WHERE k.generation_id = g.id) AS kelurahan,
       (SELECT count(*) FROM complaint c WHERE c.generation_id = g.id) AS complaints
  FROM boundary_generation g ORDER BY g.id DESC
""")


def list_generations(conn: Connection) -> list[dict]:
    """Every generation with its import report and how many tickets were routed on it."""
    return [dict(r) for r in conn.execute(_GENERATIONS).mappings()]


def activate_generation(conn: Connection, actor: Actor, generation_id: int) -> None:
    """Route new complaints on a reviewed import (the CLI's rule: it must hold kelurahan)."""
    check_admin(actor.user)
    before = conn.execute(text("SELECT id FROM boundary_generation WHERE active")).scalar()
    boundary_load.activate_generation(conn, generation_id)
    audit(conn, actor, "boundaries.activate", f"generation:{generation_id}",
          {"active": {"before": before, "after": generation_id}})
