"""The monthly report for the mayor's office: a printable page with the statement, a twelve-month trend, the
worst-served kelurahan and the SKPD table; the same page as a PDF printed by headless Chromium."""
from __future__ import annotations

import io

import pypdf
import pytest

from tests.fieldkit import make_tickets


@pytest.fixture
def november(engine, settings):
    rows = [(114.51, -3.39, "jalan-rusak", f"Lubang {i}", f"2026-11-{2 + i:02d} 09:00", "new") for i in range(6)]
    rows += [(114.53, -3.39, "sampah", "Sampah", "2026-10-05 09:00", "new")]
    return make_tickets(engine, settings, rows)


def test_the_report_page_has_statement_trend_worst_kelurahan_and_skpd_table(client, november):
    page = client.get("/planner/laporan?bulan=2026-11").get_data(as_text=True)
    assert "November 2026: 6 aduan; tindak lanjut rata-rata" in page
    assert page.count("<svg") == 2 and ">26-11<" in page and ">25-12<" in page  # twelve months, Dec to Nov
    worst = page.split('id="worst-kelurahan"')[1].split("</table>")[0]
    assert "Kelurahan A" in worst and "0%" in worst  # six tickets, none followed up or handled in time
    skpd = page.split('id="skpd-table"')[1].split("</table>")[0]
    assert "Dinas PUPR" in skpd and "Seluruh kota" in skpd and "Lubang" not in page
    assert 'href="/planner/laporan.pdf?bulan=2026-11"' in page


def test_the_pdf_is_the_printed_page(client, november):
    r = client.get("/planner/laporan.pdf?bulan=2026-11")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.data)).pages)
    assert "Laporan bulanan pengaduan" in text and "November 2026" in text and "6 aduan" in text
    assert "Unduh PDF" not in text  # the screen's navigation is not printed


def test_without_chromium_the_pdf_says_so_and_the_page_still_prints(client, november, monkeypatch):
    monkeypatch.setenv("PETA_CHROMIUM", "/nonexistent/chromium")
    r = client.get("/planner/laporan.pdf?bulan=2026-11")
    assert r.status_code == 503 and "Chromium" in r.get_data(as_text=True)
    assert client.get("/planner/laporan?bulan=2026-11").status_code == 200


def test_a_bad_month_is_400(client):
    assert client.get("/planner/laporan?bulan=2026-13").status_code == 400
