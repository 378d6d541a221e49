"""The one exception family: a problem a person can fix or should know about, said in Indonesian and English.

Every error the domain (and geo/, whose errors derive from these) raises for a person is a `DomainError`. The
class says what kind of problem it is; which HTTP status that is, and the shape of the answer (problem details,
Open311's error list, OGC's exception, an HTML page), is decided in one table in app/errors.py. The CLI prints
`str(err)`, both languages on one line.
"""
from __future__ import annotations


class DomainError(Exception):
    """Bad input or a refused action; `code` is a stable machine-readable name, `field` the input at fault."""

    code = "bad_request"

    def __init__(self, message_id: str, message_en: str, *, field: str | None = None) -> None:
        super().__init__(f"{message_id} / {message_en}")
        self.message_id = message_id
        self.message_en = message_en
        self.field = field


class NotFound(DomainError):
    """What was asked for does not exist (or may not be shown to the asker)."""

    code = "not_found"


class Unauthorized(DomainError):
    """A staff login is needed."""

    code = "unauthenticated"


class SessionExpired(Unauthorized):
    """The staff session ended (idle, too old, password changed, account disabled)."""

    code = "session_expired"


class Forbidden(DomainError):
    """Logged in, but this user may not do or see this."""

    code = "forbidden"


class Conflict(DomainError):
    """The thing changed under the user (a stale ticket version, an existing account)."""

    code = "conflict"


class Unprocessable(DomainError):
    """Well-formed input that cannot be acted on, e.g. a point outside the city."""

    code = "unprocessable"


class TooManyRequests(DomainError):
    """A flood limit was reached; retry later."""

    code = "too_many_requests"


class Unavailable(DomainError):
    """Something the answer needs is not there right now (a tool on the server); worth retrying later."""

    code = "unavailable"
