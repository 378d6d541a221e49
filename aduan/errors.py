"""Domain errors carry a message in Indonesian and English; app/errors.py turns them into HTTP answers."""
from __future__ import annotations


class DomainError(Exception):
    """A problem the user can fix or should know about; `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message_id: str, message_en: str, *, field: str | None = None, status: int | None = None):
        super().__init__(message_en)
        self.message_id = message_id
        self.message_en = message_en
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message_id, "message_en": self.message_en}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class OgcError(Exception):
    """An error in the OGC exception shape: a code, a description (Indonesian) and its English."""

    def __init__(self, status: int, code: str, description: str, description_en: str):
        super().__init__(description_en)
        self.status, self.code, self.description, self.description_en = status, code, description, description_en

    def as_dict(self) -> dict:
        return {"code": self.code, "description": self.description, "description_en": self.description_en}
