"""The status-update form, parsed into a workflow Change (no Flask; takes the form mapping and the upload)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from aduan.errors import DomainError
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
    """Read at most one byte more than allowed, so a huge upload is refused without holding it all."""
    if upload is None or not upload.filename:
        return None
    data = upload.read(max_bytes + 1)
    return data if data else None


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
