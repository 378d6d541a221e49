"""Whole pages in each language: with ?lang=en no Indonesian UI text is left; without a choice pages are
Indonesian; figures and dates follow the page's language."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from aduan.statuses import LABELS
from tests.fieldkit import login, make_ticket, make_user

PO = Path(__file__).resolve().parents[2] / "app/translations/en/LC_MESSAGES/messages.po"


class _Text(HTMLParser):
    """The text a reader sees, plus attribute texts (alt, title, placeholder, aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("alt", "title", "placeholder", "aria-label") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def indonesian_texts() -> list[str]:
    """UI texts whose English differs (single words of four letters or more): any on an English page is a miss."""
    with open(PO, "rb") as f:
        catalog = read_po(f)
    texts = [m.id.split("%(")[0].strip() for m in catalog if m.id and m.string != m.id]
    texts += [pair[0] for pair in LABELS.values() if pair[0] != pair[1]]
    return sorted({t for t in texts if len(t.split()) >= 2 or len(t) >= 4})


def found(texts: list[str], page: str) -> list[str]:
    """The texts that stand on the page as words (not inside a longer word)."""
    return [t for t in texts if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", page)]


@pytest.fixture
def code(engine, settings):
    return make_ticket(engine, settings, status="in_progress")


def _staff(client, engine, role, skpd=None):
    make_user(engine, f"{role}@kota.test", role, skpd)
    login(client, f"{role}@kota.test")
    return client


PUBLIC = ["/", "/lacak", "/peta", "/login", "/transparansi"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_page_in_english_has_no_indonesian_ui_text(client, path):
    """Citizen pages with ?lang=en show none of the catalog's Indonesian texts."""
    page = visible(client.get(path + "?lang=en").get_data(as_text=True))
    assert found(indonesian_texts(), page) == []


def test_tracking_page_in_english(client, code):
    """The tracking page in English: no Indonesian text, English month names, the status in English."""
    page = visible(client.get(f"/lacak/{code}?lang=en").get_data(as_text=True))
    assert found(indonesian_texts(), page) == []
    assert "In progress" in page or LABELS["in_progress"][1] in page
    assert re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", page)


def test_tracking_page_is_indonesian_by_default(client, code):
    """Without ?lang or Accept-Language the tracking page is Indonesian, months included."""
    html = client.get(f"/lacak/{code}").get_data(as_text=True)
    page = visible(html)
    assert '<html lang="id">' in html and LABELS["in_progress"][0] in page
    assert "Riwayat" in found(indonesian_texts(), page)  # the detector the English tests rely on sees Indonesian
    assert re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4}", page)


@pytest.mark.parametrize("role, skpd, path", [
    ("officer", "PUPR", "/field/aduan/{code}"), ("officer", "PUPR", "/field/antrian"),
    ("officer", "PUPR", "/field/sekitar"), ("desk", None, "/desk/tinjau"), ("desk", None, "/desk/baru"),
    ("desk", None, "/desk/aduan/{code}/moderasi"), ("planner", None, "/planner/"),
    ("planner", None, "/planner/performance"), ("planner", None, "/planner/laporan")])
def test_staff_page_in_english_has_no_indonesian_ui_text(client, engine, code, role, skpd, path):
    """Staff pages with ?lang=en show none of the catalog's Indonesian texts."""
    staff = _staff(client, engine, role, skpd)
    resp = staff.get(path.format(code=code) + "?lang=en")
    assert resp.status_code == 200
    page = visible(resp.get_data(as_text=True))
    assert found(indonesian_texts(), page) == []


def test_staff_page_is_indonesian_by_default(client, engine, code):
    """The officer's ticket page speaks Indonesian when nothing is asked."""
    page = visible(_staff(client, engine, "officer", "PUPR").get(f"/field/aduan/{code}").get_data(as_text=True))
    assert "Riwayat" in page and "Aduan diterima" in page and "History" not in page
