"""The field forms, parsed into domain values (no Flask; they take the form or query mapping): the status update
as a workflow Change, the queue's filters as a QueueQuery, the assignment's officer."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from aduan.errors import DomainError
from aduan.queries.queue import QueueQuery
from aduan.text import parse_bool
from aduan.tracking import normalise_code
from aduan.workflow import Change, Position
from geo.routing import check_lon_lat


class Upload(Protocol):
    filename: str | None

    def read(self, size: int = -1) -> bytes: ...


def _version(form: Mapping[str, str]) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise DomainError("Versi aduan hilang dari formulir; muat ulang halaman.",
                          "The ticket version is missing from the form; reload the page.", field="version") from None


def _position(form: Mapping[str, str]) -> Position | None:
    """The officer's position from the browser, if it was shared; accuracy is optional."""
    if not (form.get("lon") or form.get("lat")):
        return None
    lon, lat = check_lon_lat(form.get("lon"), form.get("lat"))
    try:
        accuracy = float(form.get("accuracy_m") or "nan")
    except ValueError:
        accuracy = math.nan
    return Position(lon, lat, round(accuracy, 1) if math.isfinite(accuracy) and accuracy >= 0 else None)


def _photo(upload: Upload | None, max_bytes: int) -> bytes | None:
    """Read at most one byte more than allowed, so a huge upload is refused without holding it all. A file chosen
    but empty stays b"" (the photo check refuses it); no file chosen (no name) is None."""
    if upload is None or not upload.filename:
        return None
    return upload.read(max_bytes + 1)


def change_from_form(form: Mapping[str, str], upload: Upload | None, max_photo_bytes: int) -> Change:
    """Parse what the browser sent; the workflow checks everything that depends on the ticket."""
    return Change(
        action=(form.get("action") or "").strip(),
        version=_version(form),
        note=(form.get("note") or "").replace("\r\n", "\n"),
        public=parse_bool(form.get("public")),
        position=_position(form),
        photo=_photo(upload, max_photo_bytes),
        photo_role=form.get("photo_role") or None,
        duplicate_of=normalise_code(form["duplicate_of"]) if form.get("duplicate_of") else None,
        skpd_code=(form.get("skpd") or "").strip() or None,
    )


def _whole(args: Mapping[str, str], name: str, default: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(f"«{name}» harus bilangan bulat.", f"«{name}» must be a whole number.", field=name) from None
    if not 1 <= value <= 1_000_000:
        raise DomainError(f"«{name}» di luar rentang.", f"«{name}» is out of range.", field=name)
    return value


def queue_query(args: Mapping[str, str], skpd: str | None) -> QueueQuery:
    """The queue's filters from the query string (empty means any); the domain checks the values."""
    def text(name: str) -> str | None:
        return (args.get(name) or "").strip() or None

    return QueueQuery(skpd=skpd, category=text("category"), kelurahan=text("kelurahan"), status=text("status"),
                      due=text("due"), flagged=parse_bool(args.get("flagged")), assigned=text("assigned"),
                      sort=text("sort") or "due", page=_whole(args, "page", 1))


def officer_id(form: Mapping[str, str]) -> int | None:
    """The officer chosen in the assignment form; empty means "nobody"."""
    raw = (form.get("officer") or "").strip()
    return None if not raw else _whole(form, "officer", 0)
