"""gunicorn's access log without secrets: `api_key=…` in a query string is written as `api_key=[redacted]`.

Open311 clients may send their key as a query parameter (the spec's way); a key in a log file is a key anyone with
the logs can use. `make run` passes `--logger-class app.access_log.RedactingLogger`.
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

SECRET_PARAM = re.compile(r"((?:^|[?&])(?:api_key|apikey|token)=)[^&\s\"]*", re.IGNORECASE)


def redact(value: str) -> str:
    """The same text with every api_key/token query value replaced."""
    return SECRET_PARAM.sub(r"\1[redacted]", value)


class RedactingLogger(Logger):
    """gunicorn's logger whose access-log atoms (request line, query string, URL) carry no keys."""

    def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201 - gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "q", "U"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
