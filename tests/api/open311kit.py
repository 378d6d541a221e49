"""Helpers for the Open311 tests: API keys, POSTs, and reading either format into one shape.

`read(resp, fmt)` parses XML with xml.etree and checks the spec's element names on the way, so a test written
against the returned Python structure checks both formats alike.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import Engine, text

from aduan.api_keys import create_api_key

BASE = "/open311/v2"
FORMATS = ("xml", "json")
GOOD = {"service_code": "jalan-rusak", "lat": "-3.39", "long": "114.51",
        "description": "Jalan berlubang dalam di depan sekolah"}
# GET request fields, in the order GeoReport v2 lists them.
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
LIST_ROOTS = {"services": "service", "service_requests": "request", "errors": "error",
              "service_request_updates": "request_update"}
# Lists inside documents, by the spec's element names (and our extensions' own, documented in docs/open311.md).
INNER_LISTS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
               "flags": "flag", "extensions": "extension", "parameters": "parameter"}


def make_key(engine: Engine, name: str = "test client") -> str:
    """A fresh API key (committed: the app checks it in its own transaction)."""
    with engine.begin() as conn:
        return create_api_key(conn, name)


def post(client, key: str | None, fmt: str = "json", headers: dict | None = None, **fields):
    """POST a service request form-encoded, as the spec says clients do."""
    data = dict(GOOD) | fields
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None},
                       headers=headers or {})


def created_id(client, key: str, **fields) -> str:
    """Create one request and return its service_request_id."""
    resp = post(client, key, **fields)
    assert resp.status_code == 200, resp.data
    return resp.get_json()[0]["service_request_id"]


def _element(el: ET.Element):
    children = list(el)
    if el.tag in INNER_LISTS:
        return xml_list(el, INNER_LISTS[el.tag])
    if not children:
        return el.text
    assert len({c.tag for c in children}) == len(children), f"repeated element in <{el.tag}>"
    return {c.tag: _element(c) for c in children}


def xml_list(root: ET.Element, item: str) -> list:
    """The children of a list element, each checked to carry the spec's item name."""
    assert all(child.tag == item for child in root), [c.tag for c in root]
    return [_element(child) for child in root]


def read(resp, fmt: str, root: str):
    """The body as Python: JSON as is; XML checked for its root and item names, texts as strings."""
    if fmt == "json":
        assert resp.content_type == "application/json; charset=utf-8"
        return resp.get_json()
    assert resp.content_type == "text/xml; charset=utf-8"
    assert resp.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    doc = ET.fromstring(resp.data)
    assert doc.tag == root
    return xml_list(doc, LIST_ROOTS[root]) if root in LIST_ROOTS else _element(doc)


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def execute(engine: Engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)
