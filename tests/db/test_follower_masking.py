"""A follower is the public: an officer's note that reaches them has phone numbers, e-mail addresses and NIK masked
as on the public pages, while the reporter (whose ticket it is) gets the note as written."""
from __future__ import annotations

from sqlalchemy import text

from aduan import notifications
from tests.fieldkit import make_ticket

NOTE = "Sudah dicek; hubungi pak RT di 0812 3456 7890 atau rt05@contoh.id"


def test_followers_get_the_note_masked_the_reporter_as_written(engine, settings, app):
    code = make_ticket(engine, settings, status="in_progress")
    with engine.begin() as c:
        cid = c.execute(text("SELECT id FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar_one()
        rid = c.execute(text("INSERT INTO reporter (email, token) VALUES ('pelapor@contoh.id', 'tok-r') "
                             "RETURNING id")).scalar_one()
        c.execute(text("UPDATE complaint SET reporter_id = :r, anonymous = false WHERE id = :i"), {"r": rid, "i": cid})
        c.execute(text("INSERT INTO follower (complaint_id, email, token, confirmed_at) "
                       "VALUES (:i, 'tetangga@contoh.id', 'tok-f', now())"), {"i": cid})
        notifications.enqueue(c, cid, "resolved", settings, note=NOTE)
        bodies = dict(c.execute(text("SELECT recipient, body FROM outbox WHERE complaint_id = :i"), {"i": cid}).all())
    assert "0812 3456 7890" in bodies["reporter"] and "rt05@contoh.id" in bodies["reporter"]
    assert "0812 3456 7890" not in bodies["follower"] and "rt05@contoh.id" not in bodies["follower"]
    assert "[email disembunyikan]" in bodies["follower"] and "0812-" in bodies["follower"]
