"""Floods are refused with 429 and a message; ordinary use never meets a limit."""
from __future__ import annotations

import dataclasses

import pytest

from app import create_app
from tests.fieldkit import login, make_user

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang", "lon": 114.51, "lat": -3.39}


@pytest.fixture
def strict_client(app, settings):
    """The app with low limits: 3 submissions per address, 2 login attempts per e-mail."""
    strict = create_app({"SETTINGS": dataclasses.replace(settings, submit_limit=3, login_limit=2), "TESTING": True})
    yield strict.test_client()
    strict.extensions["db_engine"].dispose()


def test_submission_flood_gets_429_after_the_limit(strict_client):
    """The fourth submission from one address within 10 minutes is refused with a bilingual 429."""
    codes = [strict_client.post("/api/v1/complaints", json=GOOD | {"description": f"aduan {i}"}).status_code
             for i in range(4)]
    assert codes == [201, 201, 201, 429]
    body = strict_client.post("/api/v1/complaints", json=GOOD).get_json()
    assert "Terlalu banyak" in body["detail"] and "Too many" in body["detail_en"]


def test_refused_submissions_count_too(strict_client):
    """The count is committed before the submission is checked: three refused ones (outside the city, rolled
    back) use up the allowance as well, so a flood of bad requests is stopped like any other."""
    codes = [strict_client.post("/api/v1/complaints", json=GOOD | {"lon": 120.0}).status_code for _ in range(3)]
    assert codes == [422, 422, 422]
    assert strict_client.post("/api/v1/complaints", json=GOOD).status_code == 429


def test_other_addresses_are_not_affected(strict_client):
    """A different client address has its own allowance."""
    for i in range(3):
        strict_client.post("/api/v1/complaints", json=GOOD | {"description": f"aduan {i}"})
    r = strict_client.post("/api/v1/complaints", json=GOOD, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 201


def test_citizen_form_flood_shows_the_form_with_429(strict_client):
    """The web form answers a flood with its own page and message, keeping what was typed."""
    form = {k: str(v) for k, v in GOOD.items()}
    for i in range(3):
        strict_client.post("/lapor", data=form | {"idempotency_key": f"k{i}"})
    r = strict_client.post("/lapor", data=form | {"idempotency_key": "k9", "description": "Masih berlubang"})
    assert r.status_code == 429 and "Masih berlubang" in r.get_data(as_text=True)


def test_password_guessing_is_throttled_per_email(strict_client, engine):
    """After two attempts on one account even the right password waits (429); the account stays safe."""
    make_user(engine, "target@pupr.test", "officer", "PUPR")
    assert login(strict_client, "target@pupr.test", "salah-1").status_code == 401
    assert login(strict_client, "target@pupr.test", "salah-2").status_code == 401
    r = login(strict_client, "target@pupr.test")
    assert r.status_code == 429 and "Terlalu banyak" in r.get_data(as_text=True)


def test_nobody_can_lock_an_officer_out_from_elsewhere(strict_client, engine):
    """Failed attempts from one address do not stop the owner logging in from another."""
    make_user(engine, "target@pupr.test", "officer", "PUPR")
    for i in range(5):
        login(strict_client, "target@pupr.test", f"salah-{i}")
    owner = strict_client.application.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert login(owner, "target@pupr.test").status_code == 303


def test_one_password_sprayed_over_many_accounts_is_throttled(strict_client, engine):
    """An address failing on many accounts is stopped too (limit × 5 failures across accounts)."""
    for i in range(12):
        make_user(engine, f"staf{i}@pupr.test", "officer", "PUPR")
    codes = [login(strict_client, f"staf{i}@pupr.test", "Musim-Hujan-2026").status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}


def test_a_successful_login_is_not_counted(strict_client, engine):
    """Logging in and out repeatedly never meets the limit."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    assert [login(strict_client, "andi@pupr.test").status_code for _ in range(4)] == [303] * 4
