"""Spatial problems a person can fix: part of the one exception family (aduan/errors.py), so the web layer and
the CLI answer them like every other domain error. geo/ itself knows nothing of HTTP."""
from __future__ import annotations

from aduan.errors import DomainError


class GeoError(DomainError):
    """A spatial input problem; `str()` is the one-line reason, Indonesian first."""

    code = "bad_location"

    def __init__(self, message_id: str, message_en: str, field: str | None = None) -> None:
        super().__init__(message_id, message_en, field=field)
