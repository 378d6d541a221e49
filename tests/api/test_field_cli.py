"""CLI: `create-user` (password from stdin) and `days-off add/list/remove`, which move due dates of new tickets."""
from __future__ import annotations

from sqlalchemy import text

from tests.fieldkit import login, make_ticket, ticket_row


def _create(runner, *args, password="kata-sandi-kuat-1"):
    return runner.invoke(args=["create-user", *args], input=password + "\n")


def test_create_user_reads_the_password_from_a_pipe_and_can_log_in(runner, client):
    """The created officer logs in with the password given on stdin."""
    result = _create(runner, "dewi@pupr.test", "--role", "officer", "--skpd", "PUPR", "--name", "Dewi")
    assert result.exit_code == 0, result.output
    assert login(client, "dewi@pupr.test", "kata-sandi-kuat-1").status_code == 303


def test_create_user_stores_only_an_argon2_hash(runner, engine):
    """The password never reaches the database in clear."""
    _create(runner, "dewi@pupr.test", "--role", "officer", "--skpd", "PUPR")
    with engine.connect() as c:
        assert c.execute(text("SELECT password_hash FROM app_user")).scalar_one().startswith("$argon2id$")


def test_officer_without_skpd_is_refused(runner):
    """Officers must be bound to an SKPD; the message says so in both languages."""
    result = _create(runner, "dewi@pupr.test", "--role", "officer")
    assert result.exit_code != 0 and "--skpd" in result.output and "must be bound" in result.output


def test_short_password_is_refused(runner):
    """Passwords shorter than 10 characters are refused."""
    result = _create(runner, "dewi@pupr.test", "--role", "admin", password="pendek")
    assert result.exit_code != 0 and "minimal 10" in result.output


def test_unknown_skpd_is_refused(runner):
    """A typo in the SKPD code is an error, not a silent NULL."""
    result = _create(runner, "dewi@x.test", "--role", "skpd_admin", "--skpd", "PUPRR")
    assert result.exit_code != 0 and "PUPRR" in result.output


def test_existing_email_is_refused(runner):
    """E-mail addresses are unique, case-insensitively."""
    _create(runner, "dewi@pupr.test", "--role", "admin")
    result = _create(runner, "DEWI@pupr.test", "--role", "admin")
    assert result.exit_code != 0 and "sudah ada" in result.output


def test_unknown_role_is_refused(runner):
    """Only the four roles exist."""
    assert _create(runner, "dewi@pupr.test", "--role", "boss").exit_code != 0


def test_days_off_add_list_remove(runner, engine):
    """A day off is added, listed and removed again; both changes are in the audit log, made by the console."""
    assert runner.invoke(args=["days-off", "add", "2026-12-24", "Cuti bersama Natal"]).exit_code == 0
    assert "2026-12-24  Cuti bersama Natal" in runner.invoke(args=["days-off", "list"]).output
    assert runner.invoke(args=["days-off", "remove", "2026-12-24"]).exit_code == 0
    assert "Belum ada" in runner.invoke(args=["days-off", "list"]).output
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT action, actor_user_id, client FROM audit_log ORDER BY id")).all()
        conn.execute(text("DELETE FROM audit_log"))
    assert rows == [("day_off.add", None, "console"), ("day_off.remove", None, "console")]


def test_days_off_bad_date_is_refused(runner):
    """Dates are YYYY-MM-DD."""
    result = runner.invoke(args=["days-off", "add", "24/12/2026", "Natal"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_removing_a_missing_day_off_is_an_error(runner):
    """Removing a day that is not a day off says so."""
    assert runner.invoke(args=["days-off", "remove", "2026-12-23"]).exit_code != 0


def test_cuti_bersama_in_the_database_moves_due_dates_of_new_tickets(runner, engine, settings):
    """A day off in the database is skipped by the clock of tickets received after it was declared."""
    before = ticket_row(engine, make_ticket(engine, settings, created_at="2026-11-02 09:00"))
    runner.invoke(args=["days-off", "add", "2026-11-05", "Cuti bersama uji"])
    after = ticket_row(engine, make_ticket(engine, settings, created_at="2026-11-02 09:00"))
    # Mon 2 Nov + 5 working days: end of Mon 9 Nov; with Thu 5 Nov off, end of Tue 10 Nov (23:59:59 WITA).
    assert before["followup_due_at"].isoformat() == "2026-11-09T15:59:59+00:00"
    assert after["followup_due_at"].isoformat() == "2026-11-10T15:59:59+00:00"
