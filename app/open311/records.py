"""Our rows as Open311 records: field names and order exactly as GeoReport v2 lists them.

Standard fields never depend on `extensions=true`; our richer data goes only into `extended_attributes`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from aduan.statuses import UPDATE_STATES, label, open311_status
from app.open311.formats import w3c

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
LIST_TYPES = ("singlevaluelist", "multivaluelist")
DATATYPES = ("string", "number", "datetime", "text", *LIST_TYPES)
MediaUrl = Callable[[int, str], str]  # (attachment id, content type) -> absolute URL


def service_notice(skpd_name: str, due: dt.datetime | None, tz: dt.tzinfo) -> str:
    """What will happen: who handles it and by when (the handling clock, in the city's time, e.g. WITA)."""
    if due is None:
        return f"Ditangani oleh {skpd_name}. / Handled by {skpd_name}."
    day = due.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    return (f"Ditangani oleh {skpd_name}; target selesai {day}. / "
            f"Handled by {skpd_name}; expected to be resolved by {day}.")


def request_record(row: Mapping, tz: dt.tzinfo, media_url: MediaUrl, *, extensions: bool = False,
                   lang: str = "id") -> dict:
    """One <request> of a row of the public view (a confidential ticket arrives redacted)."""
    record = {
        "service_request_id": row["tracking_code"],
        "status": open311_status(row["status"]),
        "status_notes": row["status_notes"],
        "service_name": row["category_name_en"] if lang == "en" else row["category_name"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["skpd"],
        "service_notice": service_notice(row["skpd"], row["handling_due_at"], tz),
        "requested_datetime": w3c(row["created_at"], tz),
        "updated_datetime": w3c(row["updated_at"], tz),
        "expected_datetime": w3c(row["handling_due_at"], tz),
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": media_url(row["photo_id"], row["photo_type"]) if row["photo_id"] else None,
    }
    if extensions:
        record["extended_attributes"] = extended_attributes(row, tz)
    return record


def extended_attributes(row: Mapping, tz: dt.tzinfo) -> dict:
    """Our own richer data (documented in docs/open311.md): status, SKPD, kelurahan, routing rule and flags."""
    routing = row["routing"] or {}
    return {
        "status": row["status"],
        "skpd_code": row["skpd_code"],
        "skpd_name": row["skpd"],
        "kelurahan_code": row["kelurahan_code"],
        "kelurahan_name": row["kelurahan"],
        "kecamatan_code": row["kecamatan_code"],
        "kecamatan_name": row["kecamatan"],
        "service_area": routing.get("service_area_name"),
        "kelurahan_rule": routing.get("kelurahan_rule"),
        "skpd_rule": routing.get("skpd_rule"),
        "flags": list(row["routing_flags"] or []),
        "snapped_m": routing.get("snapped_m"),
        "followup_expected_datetime": w3c(row["followup_due_at"], tz),
        "supporters": row["supporters"],
        "duplicate_of": row["duplicate_of"],
        "service_name_en": row["category_name_en"],
        "attributes": [{"code": code, "values": values} for code, values in sorted((row["attributes"] or {}).items())],
    }


def update_record(row: Mapping, tz: dt.tzinfo, media_url: MediaUrl, lang: str = "id") -> dict:
    """One <request_update> of servicerequestupdates, as FixMyStreet reads them (its status names)."""
    return {
        "update_id": str(row["update_id"]),
        "service_request_id": row["tracking_code"],
        "status": UPDATE_STATES.get(row["status"], "OPEN"),
        "updated_datetime": w3c(row["created_at"], tz),
        "description": row["note"] or label(row["status"], lang),
        "media_url": media_url(row["photo_id"], row["photo_type"]) if row["photo_id"] else None,
        "external_status_code": row["status"],
    }


def service_record(cat: Mapping, lang: str = "id") -> dict:
    """One <service>; every category is realtime (the tracking code comes back at once)."""
    name = cat["name_en"] if lang == "en" else cat["name_id"]
    description = (cat["description_en"] if lang == "en" else cat["description_id"]) or name
    return {
        "service_code": cat["code"],
        "service_name": name,
        "description": description,
        "metadata": bool(attribute_list(cat["attributes"])),
        "type": "realtime",
        "keywords": cat["keywords"] or "",
        "group": cat["group_name"] or "",
    }


def attribute_list(raw: object) -> list[dict]:
    """category.attributes as the spec's attribute list; malformed entries (no code) are skipped."""
    items = raw if isinstance(raw, list) else []
    out = [_attribute(a, i) for i, a in enumerate(items) if isinstance(a, Mapping) and a.get("code")]
    return sorted(out, key=lambda a: a["order"])


def _attribute(a: Mapping, index: int) -> dict:
    datatype = a.get("datatype") if a.get("datatype") in DATATYPES else "string"
    attr = {
        "variable": bool(a.get("variable", True)),
        "code": str(a["code"]),
        "datatype": datatype,
        "required": bool(a.get("required", False)),
        "datatype_description": a.get("datatype_description"),
        "order": int(a.get("order") or index + 1),
        "description": a.get("description") or str(a["code"]),
    }
    if datatype in LIST_TYPES:
        attr["values"] = [{"key": str(v["key"]), "name": str(v.get("name") or v["key"])}
                          for v in a.get("values") or [] if isinstance(v, Mapping) and "key" in v]
    return attr


def service_definition(cat: Mapping) -> dict:
    """The <service_definition> of one category."""
    return {"service_code": cat["code"], "attributes": attribute_list(cat["attributes"])}


def created(code: str, notice: str) -> dict:
    """The POST answer; we keep no user accounts, so account_id is empty."""
    return {"service_request_id": code, "service_notice": notice, "account_id": None}


def token(code: str) -> dict:
    """A token is the tracking code itself: requests are created at once (type realtime)."""
    return {"service_request_id": code, "token": code}


EXTENSIONS = [
    {"name": "paging", "parameters": ["page", "page_size"],
     "description": "page (1..) and page_size (1..1000, default 1000) for GET requests"},
    {"name": "bbox", "parameters": ["bbox"],
     "description": "bbox=min_lon,min_lat,max_lon,max_lat (WGS84) for GET requests"},
    {"name": "radius", "parameters": ["lat", "long", "radius"],
     "description": "requests within radius metres (default 500, max 20000) of lat/long"},
    {"name": "extended_attributes", "parameters": ["extensions"],
     "description": "extensions=true adds extended_attributes: our status, SKPD, kelurahan, routing rule, flags"},
    {"name": "lang", "parameters": ["lang"], "description": "lang=en for English service names (default id)"},
    {"name": "idempotency", "parameters": ["Idempotency-Key", "idempotency_key"],
     "description": "a retried POST with the same key returns the same service_request_id"},
    {"name": "media_upload", "parameters": ["media"],
     "description": "POST as multipart/form-data may carry up to 3 photos in 'media' (JPEG/PNG/WebP)"},
]


def discovery(endpoint_url: str, city_name: str, changeset: str) -> dict:
    """The Service Discovery document (wiki.open311.org/Service_Discovery), plus our extensions."""
    return {
        "changeset": changeset,
        "contact": f"Peta Aduan {city_name} (meja pengaduan / complaint desk)",
        "key_service": "Kunci API diberikan oleh admin Peta Aduan (flask --app app create-api-key NAMA). / "
                       "API keys are issued by the Peta Aduan admin (flask --app app create-api-key NAME).",
        "endpoints": [{
            "specification": SPEC_URL,
            "url": endpoint_url,
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
        "extensions": EXTENSIONS,
    }
