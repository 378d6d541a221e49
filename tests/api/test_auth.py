"""Staff login: Argon2 passwords, a hardened session cookie, CSRF on forms, expiry for pages and APIs."""
from __future__ import annotations

import time

import pytest
from flask import session
from sqlalchemy import text

from aduan.errors import Forbidden
from app.auth.session import require_role
from tests.fieldkit import PASSWORD, csrf_token, login, make_user


def test_login_with_right_password_redirects_officer_to_nearby(client, engine):
    """A correct e-mail and password open a session and land an officer on the nearby page."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    resp = login(client, "andi@pupr.test")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/field/sekitar")
    assert client.get("/field/sekitar").status_code == 200


def test_login_email_is_case_insensitive(client, engine):
    """Staff type their address however they like."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    assert login(client, "  Andi@PUPR.test ").status_code == 303


def test_wrong_password_is_refused_with_a_message(client, engine):
    """A wrong password gives 401 and the form again, in Indonesian by default."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    resp = login(client, "andi@pupr.test", "salah-sekali-123")
    assert resp.status_code == 401
    assert "E-mail atau kata sandi salah" in resp.get_data(as_text=True)


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, engine):
    """No account enumeration: an unknown address reads exactly like a wrong password."""
    resp = login(client, "tidak-ada@pupr.test")
    assert resp.status_code == 401 and "E-mail atau kata sandi salah" in resp.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, engine):
    """A deactivated account is refused like a wrong password."""
    make_user(engine, "lama@pupr.test", "officer", "PUPR", active=False)
    assert login(client, "lama@pupr.test").status_code == 401


def test_password_is_stored_as_argon2id(app, engine):
    """The database holds an Argon2id hash, never the password."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    with engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_without_csrf_token_is_refused(client, engine):
    """A login POST without the CSRF token is a 400 with an id/en message, and no session starts."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    resp = client.post("/login", data={"email": "andi@pupr.test", "password": PASSWORD})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    assert client.get("/field/sekitar").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, engine):
    """The session cookie cannot be read by scripts nor sent on cross-site POSTs."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    cookie = login(client, "andi@pupr.test").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_flag_is_configurable(app, client, engine):
    """With SESSION_COOKIE_SECURE (PETA_SECURE_COOKIES=1) the cookie is only sent over TLS."""
    app.config["SESSION_COOKIE_SECURE"] = True
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    assert "Secure" in login(client, "andi@pupr.test").headers["Set-Cookie"]


def test_secure_cookie_setting_reads_the_environment(monkeypatch):
    """PETA_SECURE_COOKIES=1 turns the Secure flag on."""
    from aduan.settings import Settings

    monkeypatch.setenv("PETA_SECURE_COOKIES", "1")
    assert Settings().secure_cookies is True


def test_page_without_session_redirects_to_login_with_next(client):
    """An anonymous visitor of a staff page is sent to the login form, coming back afterwards."""
    resp = client.get("/field/antrian")
    assert resp.status_code == 302 and "/login?next=/field/antrian" in resp.headers["Location"]


@pytest.mark.parametrize(("role", "skpd", "home"), [
    ("officer", "PUPR", "/field/sekitar"), ("skpd_admin", "PUPR", "/field/antrian"), ("desk", None, "/field/antrian"),
    ("admin", None, "/field/antrian"), ("planner", None, "/planner/")])
def test_each_role_lands_on_its_own_page(client, engine, role, skpd, home):
    make_user(engine, f"{role}@kota.test", role, skpd)
    resp = login(client, f"{role}@kota.test")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(home)
    assert client.get(home).status_code == 200


def test_login_follows_next_on_the_same_site_only(client, engine):
    """`next` may point to a path on this site, never to another host."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    token = csrf_token(client)
    resp = client.post("/login", data={"email": "andi@pupr.test", "password": PASSWORD, "csrf_token": token,
                                       "next": "//evil.example/x"})
    assert resp.headers["Location"].endswith("/field/sekitar")


def test_expired_session_redirects_pages_to_login(client, engine):
    """A session idle for longer than the limit is dropped; pages redirect with expired=1."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    with client.session_transaction() as s:
        s["seen"] = time.time() - 5 * 3600
    resp = client.get("/field/sekitar")
    assert resp.status_code == 302 and "expired=1" in resp.headers["Location"]


def test_expired_session_gets_401_json_from_the_api(client, engine):
    """The JSON API answers an expired session with 401 problem details, not a redirect."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    with client.session_transaction() as s:
        s["iat"] = time.time() - 13 * 3600
    resp = client.get("/api/v1/nearby?lon=114.51&lat=-3.39")
    assert resp.status_code == 401 and resp.json["title"] == "session_expired"
    assert resp.json["detail"].startswith("Sesi Anda telah berakhir")


def test_api_without_session_is_401(client):
    """No session at all: 401 with a login hint."""
    resp = client.get("/api/v1/nearby?lon=114.51&lat=-3.39")
    assert resp.status_code == 401 and resp.json["title"] == "unauthenticated"


def test_password_change_ends_existing_sessions(client, engine):
    """A session opened before the password changed is no longer accepted."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    with engine.begin() as c:
        c.execute(text("UPDATE app_user SET password_hash = 'x' || password_hash"))
    assert client.get("/field/sekitar").status_code == 302


def test_logout_ends_the_session(client, engine):
    """After logout (a CSRF-protected POST) staff pages need a login again."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert resp.status_code == 303
    assert client.get("/field/sekitar").status_code == 302


def test_logout_without_csrf_token_is_refused(client, engine):
    """A cross-site page cannot log staff out: the POST needs the token."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    assert client.post("/logout").status_code == 400
    assert client.get("/field/sekitar").status_code == 200


def test_require_role_refuses_other_roles_with_403(app, client, engine):
    """`require_role` lets the named roles through and answers 403 to every other logged-in role."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    with client.session_transaction() as s:
        claims = dict(s)
    with app.test_request_context("/x"):
        session.update(claims)
        with pytest.raises(Forbidden):
            require_role("admin")(lambda: "ok")()
        assert require_role("officer", "admin")(lambda: "ok")() == "ok"


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, engine):
    """Logout ends the session on the server: replaying the old cookie in another browser gets the login page."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/field/antrian").status_code == 302
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM staff_session")).scalar() == 0


def test_closing_a_users_sessions_ends_them_everywhere(client, engine):
    """close_sessions (password reset, account disabled) ends the user's open sessions."""
    from aduan.accounts import close_sessions

    uid = make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    assert client.get("/field/antrian").status_code == 200
    with engine.begin() as c:
        assert close_sessions(c, uid) == 1
    assert client.get("/field/antrian").status_code == 302


def test_the_session_cookie_is_sent_again_only_when_it_changes(client, engine):
    """A staff answer does not re-sign and resend an unchanged cookie; once its last-seen time is over a minute old
    the next answer moves it and sends the cookie, so an active session's cookie keeps being renewed."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    assert client.get("/field/sekitar").status_code == 200
    assert "Set-Cookie" not in client.get("/field/sekitar").headers
    with client.session_transaction() as s:
        s["seen"] = time.time() - 120
    resp = client.get("/field/sekitar")
    assert resp.status_code == 200 and "session=" in resp.headers.get("Set-Cookie", "")
