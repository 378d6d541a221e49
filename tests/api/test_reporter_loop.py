"""The reporter's private link (reply, confirm, reopen, rate, stop messages), silence closing a ticket, following
by e-mail with double opt-in, and the small things a new user noticed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from sqlalchemy import text

from aduan import replies
from aduan.accounts import load_account
from aduan.workflow import Change, apply
from tests.fieldkit import jpeg_bytes, login, make_user

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}


def _submit(client, **extra) -> str:
    r = client.post("/api/v1/complaints", json=GOOD | {"email": "siti@contoh.id"} | extra)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["tracking_code"]


def _token(engine, code: str) -> str:
    with engine.connect() as c:
        return c.execute(text("SELECT r.token FROM reporter r JOIN complaint c ON c.reporter_id = r.id "
                              "WHERE c.tracking_code = :c"), {"c": code}).scalar_one()


def _row(engine, code: str) -> dict:
    with engine.connect() as c:
        return dict(c.execute(text("SELECT * FROM complaint WHERE tracking_code = :c"), {"c": code}).mappings().one())


def _resolve(engine, settings, code: str, public_note: bool = False) -> None:
    uid = make_user(engine, f"admin-{code}@kominfo.test", "admin")
    with engine.begin() as c:
        admin = load_account(c, uid).user
        apply(c, settings, admin, code, Change("start", _row(engine, code)["version"]))
    with engine.begin() as c:
        apply(c, settings, admin, code, Change("resolve", _row(engine, code)["version"], note="Sudah ditambal",
                                               public=public_note))


def _outbox_kinds(engine) -> list[tuple[str, str]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT kind, recipient FROM outbox ORDER BY id"))]


def test_the_private_link_in_the_message_opens_the_reporters_page(client, engine):
    """The link the 'received' message carries opens a page with the reporter's own text and the reply form."""
    code = _submit(client)
    with engine.connect() as c:
        body = c.execute(text("SELECT body FROM outbox WHERE channel = 'email'")).scalar_one()
    link = next(word for word in body.split() if "/balas/" in word)
    page = client.get(link.split("8000", 1)[1])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert code in html and "Jalan berlubang" in html and 'id="reply-form"' in html


def test_an_english_reporters_links_open_in_english(client, engine):
    """Whatever the browser says: the message's links carry the reporter's language, and the page speaks it."""
    _submit(client, lang="en")
    with engine.connect() as c:
        body = c.execute(text("SELECT body FROM outbox WHERE channel = 'email'")).scalar_one()
    links = [word for word in body.split() if "/lacak/" in word or "/balas/" in word]
    assert len(links) == 2 and all(link.endswith("?lang=en") for link in links)
    fresh = client.application.test_client()  # no language cookie, an Indonesian browser
    page = fresh.get(links[1].split("8000", 1)[1], headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_the_private_page_shows_the_reporter_what_they_sent(client, engine, settings):
    """Information sent to staff is not in the public history: the page lists it back to its writer, photo and
    all, and no one else's notes."""
    code = _submit(client)
    token = _token(engine, code)
    client.post(f"/balas/{token}", data={"action": "reply", "note": "Lubangnya makin dalam setelah hujan",
                                         "photo": (io.BytesIO(jpeg_bytes()), "lubang.jpg")},
                content_type="multipart/form-data")
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, code,
              Change("note", _row(engine, code)["version"], note="Catatan internal petugas", public=False))
    html = client.get(f"/balas/{token}").get_data(as_text=True)
    sent = html.split('id="sent"', 1)[1].split("</section>", 1)[0]
    assert "Lubangnya makin dalam setelah hujan" in sent and "Foto: 1" in sent
    assert "Catatan internal petugas" not in html
    english = client.get(f"/balas/{token}?lang=en").get_data(as_text=True)
    sent_en = english.split('id="sent"', 1)[1].split("</section>", 1)[0]
    assert "Photos: 1" in sent_en and "Foto" not in sent_en


def test_an_unknown_link_is_404(client):
    """A made-up token opens nothing."""
    assert client.get("/balas/bukan-token").status_code == 404


def test_added_information_and_photo_reach_staff_only(client, engine):
    """A reply while open is a staff-only note with a staff-only photo; the public history does not show it."""
    code = _submit(client)
    resp = client.post(f"/balas/{_token(engine, code)}", data={
        "action": "reply", "note": "Lubangnya makin besar, dekat rumah Pak Budi",
        "photo": (io.BytesIO(jpeg_bytes()), "lubang.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 303
    with engine.connect() as c:
        event = c.execute(text("SELECT e.public, e.actor_label, (SELECT count(*) FROM attachment a WHERE "
                               "a.event_id = e.id AND NOT a.public) FROM complaint_event e WHERE e.kind = 'note'")
                          ).one()
    assert event == (False, "pelapor / reporter", 1)
    public = client.get(f"/api/v1/complaints/{code}").get_json()
    assert "Pak Budi" not in str(public) and public["photos"] == []


def test_confirming_a_resolution_closes_the_ticket(client, engine, settings):
    """After resolution the reporter confirms: closed, and the history says who closed it."""
    code = _submit(client)
    _resolve(engine, settings, code)
    assert client.post(f"/balas/{_token(engine, code)}", data={"action": "confirm"}).status_code == 303
    row = _row(engine, code)
    assert row["status"] == "closed" and row["closed_at"] is not None


def test_confirming_twice_is_done_not_an_error(client, engine, settings):
    """A double tap: the second confirm answers as the first did and changes nothing more."""
    code = _submit(client)
    _resolve(engine, settings, code)
    token = _token(engine, code)
    assert client.post(f"/balas/{token}", data={"action": "confirm"}).status_code == 303
    closed = _row(engine, code)
    again = client.post(f"/balas/{token}", data={"action": "confirm"})
    assert again.status_code == 303 and "ok=confirm" in again.headers["Location"]
    assert _row(engine, code)["version"] == closed["version"]


def test_the_public_history_shows_every_status_step_even_without_a_public_note(client, engine, settings):
    """A resolution made with a staff-only note still appears in the public history, without the note."""
    code = _submit(client)
    _resolve(engine, settings, code, public_note=False)
    steps = client.get(f"/api/v1/complaints/{code}").get_json()["history"]
    assert [s["to_status"] for s in steps] == ["new", "in_progress", "resolved"]
    assert steps[-1]["note"] is None


def test_reopening_within_the_window_sends_it_back_with_its_due_dates(client, engine, settings):
    """Not fixed: back in progress with the SKPD, the reason kept for staff, the clocks still counted from intake."""
    code = _submit(client)
    _resolve(engine, settings, code)
    before = _row(engine, code)
    resp = client.post(f"/balas/{_token(engine, code)}", data={"action": "reopen", "reason": "Lubang muncul lagi"})
    assert resp.status_code == 303
    after = _row(engine, code)
    assert (after["status"], after["resolved_at"], after["skpd_id"]) == ("in_progress", None, before["skpd_id"])
    assert after["handling_due_at"] == before["handling_due_at"] and after["version"] == before["version"] + 1
    with engine.connect() as c:
        data = c.execute(text("SELECT data FROM complaint_event WHERE kind = 'status' ORDER BY id DESC LIMIT 1")
                         ).scalar_one()
    assert data["by"] == "reporter" and data["clocks"] == "unchanged"


def test_reopening_needs_a_reason_and_keeps_the_page(client, engine, settings):
    """An empty reason is refused with a message; nothing changes."""
    code = _submit(client)
    _resolve(engine, settings, code)
    resp = client.post(f"/balas/{_token(engine, code)}", data={"action": "reopen", "reason": " "})
    assert resp.status_code == 400 and 'id="error"' in resp.get_data(as_text=True)
    assert _row(engine, code)["status"] == "resolved"


def test_after_the_window_the_reporter_can_no_longer_reopen(engine, settings, client):
    """Past N working days after resolution, reopen and confirm are refused (409)."""
    code = _submit(client)
    _resolve(engine, settings, code)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    with engine.begin() as c, pytest.raises(replies.Conflict):
        replies.reopen(c, _token(engine, code), "masih rusak", settings, later)


@pytest.mark.parametrize("score,status", [("4", 303), ("6", 400), ("x", 400)])
def test_rating_takes_one_to_five(client, engine, settings, score, status):
    """A rating is 1–5; anything else is a bilingual 400."""
    code = _submit(client)
    _resolve(engine, settings, code)
    resp = client.post(f"/balas/{_token(engine, code)}", data={"action": "rate", "score": score, "comment": "Cepat"})
    assert resp.status_code == status


def test_rating_before_resolution_is_refused(client, engine):
    """An open ticket cannot be rated yet."""
    code = _submit(client)
    assert client.post(f"/balas/{_token(engine, code)}", data={"action": "rate", "score": "5"}).status_code == 409


def test_ratings_and_reopen_rates_appear_per_skpd(client, engine, settings):
    """The performance table counts ratings and the share of resolutions the reporter reopened."""
    from layers.filters import parse_filter
    from layers.performance import performance_table

    first, second = _submit(client), _submit(client, description="Jalan amblas dekat jembatan")
    for code in (first, second):
        _resolve(engine, settings, code)
    client.post(f"/balas/{_token(engine, first)}", data={"action": "rate", "score": "2"})
    client.post(f"/balas/{_token(engine, second)}", data={"action": "reopen", "reason": "Belum beres"})
    with engine.connect() as c:
        table = performance_table(c, parse_filter({}, settings.timezone), ("skpd",), dt.datetime.now(dt.UTC))
    row = table.set_index("skpd_code").loc["PUPR"]
    assert row["ratings"] == 1 and row["rating_mean"] == 2.0 and row["reopen_rate"] == 50.0


def test_a_reporter_who_stops_the_messages_gets_no_more(client, engine, settings):
    """Opting out on the private page: later steps queue nothing for them."""
    code = _submit(client)
    client.post(f"/balas/{_token(engine, code)}", data={"action": "stop"})
    _resolve(engine, settings, code)
    assert _outbox_kinds(engine) == [("received", "reporter")]


def test_stopping_withdraws_the_messages_still_waiting(client, engine, settings):
    """What was queued before the stop (here: the 'received' e-mail and WhatsApp, the gateway not configured yet)
    is withdrawn, not sent later; a message already sent stays as it was, and staff see which were withdrawn."""
    sent = _submit(client, phone="081234567890")
    with engine.begin() as c:
        c.execute(text("UPDATE outbox SET status = 'sent' WHERE channel = 'email'"))
    client.post(f"/balas/{_token(engine, sent)}", data={"action": "stop"})
    with engine.connect() as c:
        rows = c.execute(text("SELECT channel, status FROM outbox ORDER BY id")).all()
    assert rows == [("email", "sent"), ("whatsapp", "withdrawn")]
    make_user(engine, "pupr-admin@kominfo.test", "admin")
    login(client, "pupr-admin@kominfo.test")
    page = client.get(f"/field/aduan/{sent}").get_data(as_text=True)
    assert "ditarik: pelapor berhenti menerima pesan" in page


def test_the_private_page_is_kept_out_of_caches_and_search_engines(client, engine):
    """Its address is the credential: no copy on a shared computer's disk, no index entry, even after a refusal."""
    token = _token(engine, _submit(client))
    for resp in (client.get(f"/balas/{token}"), client.post(f"/balas/{token}", data={"action": "nope"})):
        assert resp.headers["Cache-Control"] == "private, no-store"
        assert "noindex" in resp.headers["X-Robots-Tag"]
    head = client.get(f"/balas/{token}").get_data(as_text=True).split("</head>")[0]
    assert '<meta name="robots" content="noindex, nofollow">' in head


def test_silence_closes_a_resolved_ticket_after_the_window(client, engine, settings):
    """A worker job closes tickets resolved more than N working days ago without an answer; newer ones stay."""
    old, new = _submit(client), _submit(client, description="Jalan retak di gang tiga")
    for code in (old, new):
        _resolve(engine, settings, code)
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET resolved_at = now() - interval '20 days' WHERE tracking_code = :c"),
                  {"c": old})
    assert replies.close_silent(engine, settings) == 1
    assert (_row(engine, old)["status"], _row(engine, new)["status"]) == ("closed", "resolved")
    history = client.get(f"/api/v1/complaints/{old}").get_json()["history"]
    assert history[-1]["to_status"] == "closed" and "tanggapan" in history[-1]["note"]


def test_only_one_worker_closes_silent_tickets_at_a_time(client, engine, settings):
    """The job takes an advisory lock: a second worker at the same moment does nothing."""
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": replies.CLOSE_JOB_LOCK})
        try:
            assert replies.close_silent(engine, settings) == 0
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": replies.CLOSE_JOB_LOCK})


def test_following_is_double_opt_in_and_ends_from_any_message(app, client, engine, settings):
    """Follow → a confirmation message only; after the link, steps reach the follower with an unfollow link."""
    code = _submit(client)
    assert client.post(f"/lacak/{code}/ikuti", data={"email": "Tetangga@Contoh.id"}).status_code == 200
    assert client.post(f"/lacak/{code}/ikuti", data={"email": "tetangga@contoh.id"}).status_code == 200
    assert _outbox_kinds(engine)[1:] == [("follow_confirm", "follower")]  # asked twice, one confirmation
    with engine.connect() as c:
        token = c.execute(text("SELECT token FROM follower")).scalar_one()
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, code, Change("start", 1, note="Tim berangkat", public=True))
    assert ("followed_up", "follower") not in _outbox_kinds(engine)  # not confirmed yet
    assert client.get(f"/ikuti/{token}").status_code == 200
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, code, Change("resolve", 2, note="Beres", public=True))
    with engine.connect() as c:
        body = c.execute(text("SELECT body FROM outbox WHERE recipient = 'follower' AND kind = 'resolved'")
                         ).scalar_one()
    assert f"/berhenti/{token}" in body and "/balas/" not in body
    # the ticket is the reporter's, not the follower's: no "your complaint", no offer to reopen it
    assert f"aduan {code} yang Anda ikuti selesai ditangani" in body
    assert "aduan Anda" not in body and "Buka kembali" not in body
    client.post(f"/berhenti/{token}")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM follower")).scalar() == 0


def test_a_reopening_reaches_whoever_heard_of_the_resolution(client, engine, settings):
    """Reopened by its reporter: the followers, told "resolved", hear it is open again (the reporter knows).
    Reopened by staff (a rejected ticket taken up after all): the reporter hears it too."""
    code = _submit(client)
    client.post(f"/lacak/{code}/ikuti", data={"email": "tetangga@contoh.id"})
    with engine.connect() as c:
        client.get(f"/ikuti/{c.execute(text('SELECT token FROM follower')).scalar_one()}")
    _resolve(engine, settings, code)
    client.post(f"/balas/{_token(engine, code)}", data={"action": "reopen", "reason": "Masih berlubang"})
    assert _outbox_kinds(engine)[-1:] == [("reopened", "follower")]
    with engine.connect() as c:
        body = c.execute(text("SELECT body FROM outbox WHERE kind = 'reopened'")).scalar_one()
    assert f"Aduan {code} yang Anda ikuti dibuka kembali" in body
    rejected = _submit(client, description="Pohon tumbang menutup jalan")
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, rejected, Change("reject", 1, note="Bukan wewenang"))
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, rejected, Change("reopen", 2, note="Ternyata wewenang kami"))
    with engine.connect() as c:
        told = c.execute(text("SELECT o.kind FROM outbox o JOIN complaint k ON k.id = o.complaint_id "
                              "WHERE k.tracking_code = :c AND o.recipient = 'reporter' ORDER BY o.id"),
                         {"c": rejected}).scalars().all()
    assert told == ["received", "rejected", "reopened"]


def test_the_reporter_of_a_merged_ticket_hears_when_the_original_is_resolved(client, engine, settings):
    """Their ticket was closed as a duplicate ("you are counted as its supporter"); the problem itself being fixed
    is what they waited for. The officer's note reaches them as the public reads it: the ticket is not theirs."""
    original = _submit(client)
    merged = _submit(client, email="dua@contoh.id", description="Lubang yang sama di depan pasar")
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, merged, Change("duplicate", 1, duplicate_of=original))
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, original, Change("start", 1))
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, original,
              Change("resolve", 2, note="Ditambal; info pak RT 0812-3456-7890", public=True))
    with engine.connect() as c:
        rows = c.execute(text("SELECT o.kind, o.address, o.body FROM outbox o "
                              "JOIN complaint k ON k.id = o.complaint_id "
                              "WHERE k.tracking_code = :c ORDER BY o.id"), {"c": merged}).all()
    assert [(kind, address) for kind, address, _ in rows] == [
        ("received", "dua@contoh.id"), ("merged", "dua@contoh.id"), ("original_resolved", "dua@contoh.id")]
    body = rows[-1][2]
    assert f"Aduan {original}, tempat aduan Anda digabungkan, dilaporkan selesai ditangani." in body
    assert "0812-****-**90" in body and "3456" not in body
    login(client, "meja@kominfo.test")  # and the original's staff page lists what was merged into it
    page = client.get(f"/field/aduan/{original}").get_data(as_text=True)
    assert f'Duplikat yang digabungkan: <a href="/field/aduan/{merged}">{merged}</a>' in page


def test_a_note_on_a_ticket_that_is_not_public_reaches_no_merged_ticket(client, engine, settings):
    """A public ticket merged into one hidden from the public (moderation, or a confidential category): its people
    hear that the original was resolved, not the officer's note, which no public page shows."""
    original = _submit(client)
    merged = _submit(client, email="dua@contoh.id", description="Lubang yang sama di depan pasar")
    client.post(f"/lacak/{merged}/ikuti", data={"email": "tetangga@contoh.id"})
    with engine.begin() as c:
        client.get(f"/ikuti/{c.execute(text('SELECT token FROM follower')).scalar_one()}")
        c.execute(text("UPDATE complaint SET public = false WHERE tracking_code = :c"), {"c": original})
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.begin() as c:
        apply(c, settings, load_account(c, uid).user, merged, Change("duplicate", 1, duplicate_of=original))
    for change in (Change("start", 1), Change("resolve", 2, note="Oknum pos 3 ditindak", public=True)):
        with engine.begin() as c:
            apply(c, settings, load_account(c, uid).user, original, change)
    with engine.connect() as c:
        told = c.execute(text("SELECT recipient, body FROM outbox WHERE kind = 'original_resolved' ORDER BY id")).all()
    assert sorted(r for r, _ in told) == ["follower", "reporter"]
    assert not any("Oknum" in body for _, body in told)


def test_confidential_tickets_cannot_be_followed(client, engine):
    """Only a confidential ticket's reporter hears of it."""
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        code = _submit(client, category="lampu-jalan")
        assert client.post(f"/lacak/{code}/ikuti", data={"email": "x@contoh.id"}).status_code == 404
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{nodash}", "{spaced}"])
def test_a_tracking_code_typed_as_people_type_it_finds_the_ticket(client, engine, typed):
    """Lower case, spaces or no dashes at all: the tracking page finds the ticket."""
    code = _submit(client)
    variants = {"code": code, "lower": code.lower(), "nodash": code.replace("-", "").lower(),
                "spaced": code.replace("-", " ")}
    resp = client.get("/lacak", query_string={"code": typed.format(**variants)}, follow_redirects=True)
    assert resp.status_code == 200 and code in resp.get_data(as_text=True)


def test_a_pin_outside_the_city_says_so(client):
    """Categories at a pin outside the city come with the city's name; a submission there says the same."""
    body = client.get("/api/v1/categories?lon=114.9&lat=-3.39").get_json()
    assert body["categories"] == [] and body["outside_city"] and "Kota Banjarmasin" in body["message"]
    r = client.post("/api/v1/complaints", json=GOOD | {"lon": 114.9, "category": ""})
    assert r.status_code == 422 and "Kota Banjarmasin" in r.get_json()["detail"]


def test_the_worker_command_runs_one_round(runner, settings, app):
    """`flask worker --once` sends what is due and runs the jobs, then exits."""
    app.config["SETTINGS"] = dataclasses.replace(settings)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def test_a_reopened_ticket_states_its_due_date_rule_in_the_history(client, engine, settings):
    """The reopening step says that the clocks still run from intake and when handling was due."""
    code = _submit(client)
    _resolve(engine, settings, code)
    client.post(f"/balas/{_token(engine, code)}", data={"action": "reopen", "reason": "Belum beres"})
    step = client.get(f"/api/v1/complaints/{code}").get_json()["history"][-1]
    assert step["to_status"] == "in_progress" and "dihitung dari tanggal aduan" in step["note"]
    assert "handling is due" in step["note"]  # submitted just now: 15 working days ahead, not past
    assert "was due" not in step["note"]


@pytest.mark.parametrize(("action", "field"), [("reply", "note"), ("reopen", "reason"), ("rate", "comment")])
def test_a_citizens_text_too_long_is_refused_whole_not_cut(client, engine, settings, action, field):
    """Over 2,000 characters the page says so and keeps the text; nothing is stored cut short."""
    code = _submit(client)
    if action != "reply":
        _resolve(engine, settings, code)
    long = "Masih ada lubang di sisi kiri. " * 70  # 2,170 characters
    r = client.post(f"/balas/{_token(engine, code)}", data={"action": action, field: long.strip(), "score": "3"})
    assert r.status_code == 400 and "paling banyak 2000" in r.get_data(as_text=True)
    assert long.strip()[:1500] in r.get_data(as_text=True)  # the form holds what was typed
    with engine.connect() as c:
        stored = c.execute(text("SELECT count(*) FROM complaint_event e JOIN complaint k ON k.id = e.complaint_id "
                                "WHERE k.tracking_code = :c AND e.note LIKE 'Masih ada lubang%'"),
                           {"c": code}).scalar_one()
        rated = c.execute(text("SELECT count(*) FROM rating")).scalar_one()
    assert stored == 0 and rated == 0
