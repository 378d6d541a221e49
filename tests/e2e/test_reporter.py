"""The reporter hears back, in real headless Chromium: the e-mail that arrived over SMTP carries the private link;
on it they add a photo, and after the resolution they reopen the ticket."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import text

from aduan import outbox
from aduan.accounts import load_account
from aduan.workflow import Change, apply
from tests.e2e.conftest import screenshot
from tests.fieldkit import jpeg_bytes, make_user
from tests.mailkit import smtp_server

pytestmark = pytest.mark.e2e


def _drop_pin_and_submit(page, live_server: str) -> str:
    page.goto(live_server + "/")
    page.wait_for_selector("#map[data-outlines='4']")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75)  # inside Kelurahan A
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan')")
    page.select_option("#category", "jalan-rusak")
    page.fill("#description", "Jalan berlubang di depan sekolah")
    page.fill("#email", "siti@contoh.id")
    page.click("#submit")
    page.wait_for_url("**/lacak/BJM-*")
    return page.locator("#tracking-code").inner_text()


def test_reporter_opens_the_emailed_link_adds_a_photo_and_later_reopens(app, live_server, page, engine, settings,
                                                                        tmp_path):
    """Submit → the worker mails the link → open it → add a photo → the SKPD resolves → reopen with a reason."""
    with smtp_server() as mailbox:
        conf = dataclasses.replace(settings, public_url=live_server, smtp_url=mailbox.url)
        app.config["SETTINGS"] = conf
        code = _drop_pin_and_submit(page, live_server)
        assert outbox.deliver_due(engine, conf) == {"sent": 1}
        body = mailbox.messages[0].get_payload(decode=True).decode()
    assert mailbox.envelopes[0] == ["siti@contoh.id"] and code in mailbox.messages[0]["Subject"]
    link = re.search(r"http://127\.0\.0\.1:\d+/balas/\S+", body).group(0)

    page.goto(link)
    assert page.locator("#tracking-code").inner_text() == code
    photo = tmp_path / "lubang.jpg"
    photo.write_bytes(jpeg_bytes())
    page.fill("#note", "Sekarang ada genangan juga")
    page.set_input_files("#photo", str(photo))
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#done")
    screenshot(page, "reporter-reply")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM attachment WHERE NOT public")).scalar() == 1

    uid = make_user(engine, "meja@kominfo.test", "admin")
    for action in ("start", "resolve"):
        with engine.begin() as c:
            version = c.execute(text("SELECT version FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar()
            apply(c, conf, load_account(c, uid).user, code, Change(action, version, note="Sudah ditambal",
                                                                   public=True))
    page.goto(link)
    assert "Selesai ditangani" in page.locator("#status").inner_text()
    page.fill("#reason", "Lubangnya terbuka lagi setelah hujan")
    page.click("#reopen")
    page.wait_for_selector("#done")
    assert "Sedang ditangani" in page.locator("#status").inner_text()
    screenshot(page, "reporter-reopened")
    assert page.external_requests == []
