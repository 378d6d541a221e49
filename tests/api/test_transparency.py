"""The public transparency page: the city's statement for a month in words, per SKPD; confidential categories
only in the city's numbers; nothing of any ticket or reporter on it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from tests.fieldkit import make_tickets


def _tickets(engine, settings) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    make_tickets(engine, settings, [
        (114.51, -3.39, "jalan-rusak", "Lubang besar dekat rumah Bu Siti", "2026-11-10 09:00", "resolved"),
        (114.512, -3.39, "jalan-rusak", "Aspal retak", "2026-11-12 09:00", "in_progress"),
        (114.53, -3.39, "lampu-jalan", "Rahasia: lampu dekat rumah saya", "2026-11-13 09:00", "new"),
        (114.51, -3.39, "jalan-rusak", "Bulan lain", "2026-10-13 09:00", "new"),
    ])


def test_the_months_statement_in_words_with_confidential_only_in_the_city_total(client, engine, settings):
    _tickets(engine, settings)
    try:
        page = client.get("/transparansi?bulan=2026-11").get_data(as_text=True)
        assert "November 2026: 3 aduan; tindak lanjut rata-rata" in page  # all three, the confidential one too
        skpd = page.split('id="statement-skpd"')[1].split("</ul>")[0]
        assert "<li>Dinas PUPR: 2 aduan; " in skpd
        assert "DISHUB" not in skpd and "Perhubungan" not in skpd  # its only ticket is confidential
        for secret in ("Bu Siti", "Rahasia", "Aspal retak", "Lubang"):
            assert secret not in page
        en = client.get("/transparansi?bulan=2026-11&lang=en").get_data(as_text=True)
        assert "November 2026: 3 complaints; followed up in" in en
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


def test_the_default_is_the_last_full_month(client):
    today = dt.date.today()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    page = client.get("/transparansi").get_data(as_text=True)
    assert f'<option value="{last}" selected>' in page


def test_a_bad_month_is_a_400_in_words(client):
    for bad in ("2026-13", "bulan-lalu", "2099-01"):
        r = client.get(f"/transparansi?bulan={bad}")
        assert r.status_code == 400 and "Bulan" in r.get_data(as_text=True), bad
