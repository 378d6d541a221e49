"""Citizens hear back: each step they should know of reaches them through the outbox, over a real SMTP server and a
real HTTP gateway, at most once, without ever blocking or undoing the staff action."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import threading

import pytest
from sqlalchemy import text

from aduan import outbox, worker
from aduan.accounts import load_account
from aduan.db import make_engine
from aduan.workflow import Change, apply
from tests.fieldkit import make_user
from tests.mailkit import free_port, gateway_receiver, smtp_server

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}
REPORTER = {"name": "Siti Rahmah", "email": "siti@contoh.id", "phone": "081234567890"}


def _submit(client, **extra) -> str:
    r = client.post("/api/v1/complaints", json=GOOD | extra)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["tracking_code"]


def _outbox(engine) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text("SELECT * FROM outbox ORDER BY id")).mappings()]


def _admin(engine):
    uid = make_user(engine, "meja@kominfo.test", "admin")
    with engine.connect() as c:
        return load_account(c, uid).user


def _act(engine, settings, code: str, action: str, version: int, **kw):
    with engine.begin() as c:
        return apply(c, settings, _admin_cached(engine), code, Change(action, version, **kw))


_ADMINS: dict = {}


def _admin_cached(engine):
    if "u" not in _ADMINS or _ADMINS.get("engine") is not engine:
        _ADMINS.update(u=_admin(engine), engine=engine)
    return _ADMINS["u"]


@pytest.fixture(autouse=True)
def _fresh_admin():
    _ADMINS.clear()
    yield
    _ADMINS.clear()


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


def test_a_submission_with_an_email_queues_the_received_message(client, engine):
    """The 'received' message is written with the ticket, in the reporter's language, to their address."""
    code = _submit(client, **REPORTER)
    rows = _outbox(engine)
    assert [(r["kind"], r["recipient"], r["channel"], r["status"]) for r in rows] == [
        ("received", "reporter", "email", "pending"), ("received", "reporter", "whatsapp", "pending")]
    assert rows[0]["address"] == "siti@contoh.id" and code in rows[0]["subject"]
    assert f"/lacak/{code}" in rows[0]["body"] and "/balas/" in rows[0]["body"] and "Dinas PUPR" in rows[0]["body"]


def test_anonymous_and_contactless_reports_queue_nothing(client, engine):
    """No contact, or identity hidden: nobody to tell, nothing stored."""
    _submit(client)
    _submit(client, anonymous=True, **REPORTER)
    assert _outbox(engine) == []


def test_without_smtp_messages_wait_and_are_shown_as_not_sent(client, engine, settings):
    """No PETA_SMTP_URL: the worker leaves e-mail in the outbox, pending."""
    _submit(client, email="siti@contoh.id")
    assert worker.round_once(engine, settings) == {"stale": 0}
    assert [r["status"] for r in _outbox(engine)] == ["pending"]


def test_the_worker_sends_over_smtp_in_the_reporters_language(client, engine, settings, mailbox):
    """An English-speaking reporter gets the message in English, over a real SMTP server."""
    code = _submit(client, email="siti@contoh.id", lang="en")
    sent = outbox.deliver_due(engine, dataclasses.replace(settings, smtp_url=mailbox.url))
    assert sent == {"sent": 1} and len(mailbox.messages) == 1
    msg = mailbox.messages[0]
    assert msg["To"] == "siti@contoh.id" and code in msg["Subject"] and "received" in msg["Subject"]
    body = msg.get_payload(decode=True).decode()
    assert "Track:" in body and "private link" in body
    assert [r["status"] for r in _outbox(engine)] == ["sent"]


def test_staff_steps_reach_the_reporter_with_the_public_note_only(client, engine, settings, mailbox):
    """Start (the first follow-up) and resolve each queue a message; a staff-only note never goes out."""
    code = _submit(client, email="siti@contoh.id")
    _act(engine, settings, code, "start", 1, note="Tim dikirim", public=True)
    _act(engine, settings, code, "note", 2, note="Catatan internal: pelapor kerabat camat", public=False)
    _act(engine, settings, code, "resolve", 3, note="Lubang sudah ditambal", public=True)
    kinds = [r["kind"] for r in _outbox(engine)]
    assert kinds == ["received", "followed_up", "resolved"]
    outbox.deliver_due(engine, dataclasses.replace(settings, smtp_url=mailbox.url))
    bodies = [m.get_payload(decode=True).decode() for m in mailbox.messages]
    assert "Tim dikirim" in bodies[1] and "Lubang sudah ditambal" in bodies[2]
    assert not any("internal" in b for b in bodies)


def test_messages_never_carry_the_reporters_data(client, engine):
    """Subject and body hold no name, phone or e-mail: the address is only the envelope's."""
    _submit(client, **REPORTER)
    for row in _outbox(engine):
        for secret in REPORTER.values():
            assert secret not in row["subject"] and secret not in row["body"]


def test_two_workers_over_a_hundred_messages_send_each_exactly_once(client, engine, settings, mailbox):
    """Two workers claim with SKIP LOCKED: 100 messages, 100 deliveries, no message twice."""
    _submit(client, email="siti@contoh.id")
    with engine.begin() as c:
        c.execute(text("INSERT INTO outbox (complaint_id, kind, recipient, channel, address, lang, subject, body) "
                       "SELECT complaint_id, kind, recipient, channel, 'warga' || g || '@contoh.id', lang, "
                       "subject || ' #' || g, body FROM outbox, generate_series(1, 99) g"))
    smtp = dataclasses.replace(settings, smtp_url=mailbox.url)
    engines = [make_engine(engine.url.render_as_string(hide_password=False)) for _ in range(2)]
    threads = [threading.Thread(target=lambda e=e: [outbox.deliver_due(e, smtp, limit=7) for _ in range(20)])
               for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert len(subjects) == 100 and len(set(subjects)) == 100
    assert {r["status"] for r in _outbox(engine)} == {"sent"}


def test_a_mail_server_that_is_down_delays_and_loses_nothing(client, engine, settings, mailbox):
    """Refused connection: the message waits with backoff; when the server answers it goes out once."""
    code = _submit(client, email="siti@contoh.id")
    down = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    assert outbox.deliver_due(engine, down) == {"retry": 1}
    [row] = _outbox(engine)
    assert row["status"] == "retry" and row["attempts"] == 1 and "unavailable" in row["last_error"]
    assert row["next_attempt_at"] > dt.datetime.now(dt.UTC)
    up = dataclasses.replace(settings, smtp_url=mailbox.url)
    assert outbox.deliver_due(engine, up) == {}  # not due yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert outbox.deliver_due(engine, up, now=later) == {"sent": 1}
    assert len(mailbox.messages) == 1 and code in mailbox.messages[0]["Subject"]


def test_a_message_failing_while_its_reporter_stops_is_withdrawn_not_retried(client, engine, settings,
                                                                           monkeypatch):
    """The reporter stops the messages while this one is being sent (stopping withdraws only what waits); the
    send then fails for a moment: it is withdrawn, not tried again hours after the stop."""
    from aduan.transports import DeliveryFailed

    code = _submit(client, email="siti@contoh.id")

    def send_while_stopping(settings, address, subject, body, message_id):
        with engine.begin() as c:
            c.execute(text("UPDATE reporter SET notify = false WHERE id = (SELECT reporter_id FROM complaint "
                           "WHERE tracking_code = :c)"), {"c": code})
        raise DeliveryFailed("SMTP unavailable: timeout", transient=True)

    monkeypatch.setattr(outbox, "available", lambda settings: {"email": send_while_stopping})
    assert outbox.deliver_due(engine, settings) == {"retry": 1}
    [row] = _outbox(engine)
    assert row["status"] == "withdrawn" and "timeout" in row["last_error"]


def test_a_refused_recipient_fails_without_retrying(client, engine, settings, mailbox):
    """A 550 for the address is permanent: failed, with the server's reason for staff."""
    mailbox.refuse.add("salah@contoh.id")
    _submit(client, email="salah@contoh.id")
    assert outbox.deliver_due(engine, dataclasses.replace(settings, smtp_url=mailbox.url)) == {"failed": 1}
    [row] = _outbox(engine)
    assert row["status"] == "failed" and "550" in row["last_error"]


def test_the_staff_action_commits_whatever_the_mail_server_does(app, client, engine, settings):
    """Resolving through the field page with a dead mail server: the ticket is resolved, the message waits."""
    from tests.fieldkit import login, update

    app.config["SETTINGS"] = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    code = _submit(client, email="siti@contoh.id")
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    assert update(client, code, "start", 1).status_code == 303
    with engine.connect() as c:
        assert c.execute(text("SELECT status FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar() == \
            "in_progress"
    assert [r["status"] for r in _outbox(engine)] == ["pending", "pending"]


def test_a_claim_left_by_a_dead_worker_becomes_unknown_and_is_never_resent(client, engine, settings, mailbox):
    """At most once: a message claimed but never finished is not sent again."""
    _submit(client, email="siti@contoh.id")
    with engine.begin() as c:
        c.execute(text("UPDATE outbox SET status = 'sending', attempts = 1, claimed_at = now() - interval '1 hour'"))
    assert worker.round_once(engine, dataclasses.replace(settings, smtp_url=mailbox.url))["stale"] == 1
    assert [r["status"] for r in _outbox(engine)] == ["unknown"] and mailbox.messages == []


def test_whatsapp_goes_through_the_gateway_signed(client, engine, settings):
    """The gateway gets the documented JSON, signed with HMAC-SHA256 over the timestamp and body."""
    _submit(client, phone="081234567890")
    with gateway_receiver() as gw:
        conf = dataclasses.replace(settings, gateway_url=gw.url, gateway_secret="rahasia-gateway")
        assert outbox.deliver_due(engine, conf) == {"sent": 1}
        [(headers, body, payload)] = gw.requests
    expected = hmac.new(b"rahasia-gateway", headers["X-Peta-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Peta-Signature"] == f"sha256={expected}"
    assert payload["to"] == "081234567890" and payload["channel"] == "whatsapp" and payload["fallback"] == "sms"


@pytest.mark.parametrize("answer,status", [(503, "retry"), (400, "failed")])
def test_gateway_errors_retry_or_fail_by_their_kind(client, engine, settings, answer, status):
    """A gateway that is down is retried later; one that refuses the message is not."""
    _submit(client, phone="081234567890")
    with gateway_receiver() as gw:
        gw.status = answer
        conf = dataclasses.replace(settings, gateway_url=gw.url, gateway_secret="s")
        assert outbox.deliver_due(engine, conf) == {status: 1}


def test_staff_see_on_the_ticket_whether_each_message_went_out(client, engine, settings):
    """The ticket page lists each message with its state in words, never the address to other SKPDs."""
    from tests.fieldkit import login

    code = _submit(client, email="siti@contoh.id")
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    page = client.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert 'id="messages"' in page and "belum terkirim" in page and "<td>diterima</td>" in page  # the step in words


def test_a_city_wide_reroute_tells_the_reporters_whose_ticket_moved(client, engine, settings):
    """`flask reroute` after a map change: each moved ticket's reporter hears of its new SKPD."""
    from aduan.reroute import reroute_open

    _submit(client, email="siti@contoh.id")
    with engine.begin() as c:
        c.execute(text("UPDATE category SET default_skpd_id = (SELECT id FROM skpd WHERE code = 'DISHUB') "
                       "WHERE code = 'jalan-rusak'"))
    try:
        with engine.begin() as c:
            moves = reroute_open(c, tolerance_m=250, near_border_m=10, apply=True, notify=settings)
        assert [(m.from_skpd, m.to_skpd) for m in moves] == [("PUPR", "DISHUB")]
        rows = _outbox(engine)
        assert [r["kind"] for r in rows] == ["received", "rerouted"] and "Dinas Perhubungan" in rows[1]["body"]
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET default_skpd_id = (SELECT id FROM skpd WHERE code = 'PUPR') "
                           "WHERE code = 'jalan-rusak'"))
