"""Open311 wire formats: one nested structure, rendered as the spec's XML or its JSON mapping (Spark convention).

Lists become repeated elements named by the spec (`<services><service>…`, `<service_requests><request>…`,
`<errors><error>…`); in JSON the same lists are arrays and the root element disappears. Everything is UTF-8.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from flask import Response

FORMATS = ("xml", "json")
# The spec's HTTP content types (GeoReport v2, "Format Support").
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# A list under one of these keys holds elements with the singular name.
ITEM_NAMES = {
    "services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
    "values": "value", "endpoints": "endpoint", "formats": "format", "flags": "flag", "extensions": "extension",
    "parameters": "parameter", "photos": "photo", "service_request_updates": "request_update",
}
# Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3c(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """The spec's datetime: W3C ISO 8601 with an explicit offset, here in the city's time zone (WITA)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(el, key, child)
    elif isinstance(value, list | tuple):
        for child in value:
            _fill(el, ITEM_NAMES.get(name, "item"), child)
    else:
        el.text = _text(value)


def to_xml(root: str, body: Any) -> bytes:
    """The XML document: declaration with encoding, no namespace, as the spec asks."""
    holder = ET.Element("holder")
    _fill(holder, root, body)
    return XML_DECLARATION + ET.tostring(holder[0], encoding="unicode").encode("utf-8")


def to_json(body: Any) -> bytes:
    """The JSON mapping of the same structure (lists are arrays; the XML root is dropped)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")


def respond(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    """One response in the format the URL suffix asked for."""
    data = to_json(body) if fmt == "json" else to_xml(root, body)
    return Response(data, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, description: str, code: int | None = None) -> Response:
    """The spec's error list: [{code, description}]; the code is the HTTP status unless a finer one is given."""
    return respond(fmt, "errors", [{"code": code or status, "description": description}], status)
