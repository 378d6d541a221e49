"""One error type for spatial problems a person can fix, with the message in Indonesian and English.

The web layer (app/errors.py) and the CLI turn these into answers; geo/ itself knows nothing of HTTP.
"""
from __future__ import annotations


class GeoError(Exception):
    """A spatial input problem; `str()` is the one-line reason, Indonesian first."""

    def __init__(self, message_id: str, message_en: str, field: str | None = None) -> None:
        super().__init__(f"{message_id} / {message_en}")
        self.message_id = message_id
        self.message_en = message_en
        self.field = field
