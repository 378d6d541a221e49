"""The moderation page's forms, parsed into an aduan.moderation.Moderation (no Flask; takes the form mapping)."""
from __future__ import annotations

from collections.abc import Mapping

from aduan.errors import DomainError
from aduan.moderation import Moderation


def _int(form: Mapping[str, str], name: str) -> int | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise DomainError("Nilai tidak valid.", "Invalid value.", field=name)
    return int(value)


def moderation_from_form(form: Mapping[str, str]) -> Moderation:
    """What the clerk asked for; aduan.moderation checks everything that depends on the ticket."""
    return Moderation(
        action=(form.get("action") or "").strip(),
        attachment_id=_int(form, "attachment_id"),
        text=form.get("public_text"),
        note=(form.get("note") or "").replace("\r\n", "\n"),
        skpd_code=(form.get("skpd") or "").strip() or None,
        version=_int(form, "version"),
    )
