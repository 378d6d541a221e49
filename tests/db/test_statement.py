"""The city's statement from hand-built tickets around a weekend and a city day off: working days as the due dates
count them and calendar days beside them, on time by each ticket's own due moment, per SKPD and channel, the
re-route rate, and the words in Indonesian (decimal comma) and English."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from layers.filters import LayerFilter
from layers.statement import period_label, sentences, statement

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
NOVEMBER = LayerFilter(dt.date(2026, 11, 1), dt.date(2026, 12, 1))


@pytest.fixture
def tickets(conn, settings):
    """T1 Fri 27 Nov → followed Mon 30 (1 working day, 2.96 calendar) → resolved Wed 2 Dec across the day off on
    Tue 1 Dec (2 wd, 5.0 cd), re-routed once; T2 Mon 30 Nov 08:00 → followed the same day (0 wd, 0.29 cd) → resolved
    Fri 4 Dec (3 wd, 4.0 cd); T3 Fri 6 Nov, still open and past both due moments."""
    conn.execute(text("INSERT INTO day_off (day, name) VALUES ('2026-12-01', 'cuti bersama uji')"))
    frame = pd.DataFrame([
        (114.51, -3.39, "jalan-rusak", "T1", "2026-11-27 10:00", "resolved", "2026-11-30 09:00", "2026-12-02 10:00",
         "whatsapp"),
        (114.51, -3.39, "jalan-rusak", "T2", "2026-11-30 08:00", "resolved", "2026-11-30 15:00", "2026-12-04 08:00",
         "web"),
        (114.53, -3.39, "lampu-jalan", "T3", "2026-11-06 10:00", "new", None, None, "whatsapp"),
    ], columns=["lon", "lat", "category", "description", "created_at", "status", "followed_up_at", "resolved_at",
                "channel"])
    assert load_complaints(conn, frame, settings=settings).refused == []
    conn.execute(text("INSERT INTO complaint_event (complaint_id, kind, actor_label, note) "
                      "SELECT id, 'reroute', 'uji', 'dialihkan' FROM complaint WHERE description = 'T1'"))


def test_city_figures_on_both_day_bases(conn, tickets):
    city = statement(conn, NOVEMBER, NOW).city
    assert city.tickets == 3
    assert (city.followup_mean, city.followup_median) == (0.5, 0.5)  # T1 1 wd (weekend skipped), T2 0 wd
    assert city.followup_mean_calendar == pytest.approx((71 / 24 + 7 / 24) / 2)
    assert (city.handling_mean, city.handling_median) == (2.5, 2.5)  # T1 2 wd and T2 3 wd: the day off skipped
    assert city.handling_mean_calendar == pytest.approx((5.0 + 4.0) / 2)
    assert city.followup_on_time == pytest.approx(200 / 3)  # T3 is judged (past due) and late
    assert city.handling_on_time == pytest.approx(200 / 3)
    assert city.rerouted == pytest.approx(100 / 3)


def test_per_skpd_and_per_channel(conn, tickets):
    st = statement(conn, NOVEMBER, NOW)
    skpd = {code: fig for code, _, fig in st.by_skpd}
    assert set(skpd) == {"PUPR", "DISHUB"} and skpd["PUPR"].tickets == 2 and skpd["DISHUB"].tickets == 1
    assert skpd["PUPR"].followup_on_time == 100.0 and skpd["DISHUB"].followup_on_time == 0.0
    assert math.isnan(skpd["DISHUB"].followup_mean)  # nothing followed up yet: no figure, not zero
    channels = {ch: fig for ch, fig in st.by_channel}
    assert channels["whatsapp"].tickets == 2 and channels["web"].tickets == 1
    assert channels["whatsapp"].rerouted == 50.0


def test_a_ticket_not_yet_due_is_not_judged(conn, tickets):
    early = statement(conn, NOVEMBER, dt.datetime(2026, 11, 9, 12, tzinfo=dt.UTC)).by_skpd
    dishub = next(fig for code, _, fig in early if code == "DISHUB")
    assert math.isnan(dishub.followup_on_time)  # T3's follow-up is due on 13 Nov


def test_the_statement_in_words(conn, tickets):
    st = statement(conn, NOVEMBER, NOW)
    words = sentences(st, "id", "Kota Uji")
    assert words["period"] == "November 2026"
    assert words["city"] == (
        "Kota Uji, November 2026: 3 aduan; tindak lanjut rata-rata 0,5 hari kerja (median 0,5; 1,6 hari kalender; "
        "standar 5), 67% tepat waktu; penanganan rata-rata 2,5 hari kerja (median 2,5; 4,5 hari kalender; "
        "standar 15), 67% tepat waktu; 33% dialihkan ke SKPD lain.")
    en = sentences(st, "en", "Test City")
    assert en["city"].startswith("Test City, November 2026: 3 complaints; followed up in 0.5 working days")
    assert ("whatsapp", "WhatsApp: 2 aduan; tindak lanjut rata-rata 1,0 hari kerja (median 1,0; 3,0 hari kalender; "
            "standar 5), 50% tepat waktu; penanganan rata-rata 2,0 hari kerja (median 2,0; 5,0 hari kalender; "
            "standar 15), 50% tepat waktu; 50% dialihkan ke SKPD lain.") in words["channel"]
    dishub = dict(words["skpd"])["DISHUB"]
    assert "rata-rata – hari kerja" in dishub and "0% tepat waktu" in dishub


def test_thousands_and_period_labels_follow_the_locale():
    from layers.statement import number

    assert (number(1234, "id", 0), number(1234, "en", 0), number(1.25, "id"), number(float("nan"), "id")) == (
        "1.234", "1,234", "1,2", "–")
    assert period_label(dt.date(2026, 9, 1), dt.date(2026, 11, 1), "id") == "1 Sep 2026 – 31 Okt 2026"
    assert period_label(dt.date(2026, 12, 1), dt.date(2027, 1, 1), "en") == "December 2026"


def test_skpd_are_named_in_the_readers_language(conn, tickets):
    """English readers get the SKPD's English name where the city gave one, the Indonesian one otherwise."""
    conn.execute(text("UPDATE skpd SET name_en = 'Public Works Office' WHERE code = 'PUPR'"))
    names = {code: name for code, name, _ in statement(conn, NOVEMBER, NOW, "en").by_skpd}
    assert names == {"PUPR": "Public Works Office", "DISHUB": "Dinas Perhubungan"}
    assert {code: name for code, name, _ in statement(conn, NOVEMBER, NOW).by_skpd}["PUPR"] == "Dinas PUPR"


def test_an_old_reroute_that_kept_the_skpd_is_not_counted_as_forwarded(conn, tickets):
    """Before 'routing' steps, re-importing a boundary file wrote 're-routed: PUPR → PUPR': it forwarded nothing."""
    conn.execute(text("INSERT INTO complaint_event (complaint_id, kind, actor_label, note, data) "
                      "SELECT id, 'reroute', 'sistem', 'Dialihkan ulang otomatis / re-routed: PUPR → PUPR', "
                      "jsonb_build_object('from_skpd', 'PUPR', 'to_skpd', 'PUPR') FROM complaint "
                      "WHERE description = 'T2'"))
    assert statement(conn, NOVEMBER, NOW).city.rerouted == pytest.approx(100 / 3)  # still T1 only
