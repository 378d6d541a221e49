"""CLI commands for staff accounts and the city's days off (cuti bersama; the admin pages' functions, audited as
the console).

    flask --app app create-user EMAIL --role ROLE [--skpd CODE] [--name NAME]   (password from stdin)
    flask --app app days-off add 2026-12-24 "Cuti bersama Natal"
    flask --app app days-off list [--year 2026]
    flask --app app days-off remove 2026-12-24
"""
from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from flask.cli import with_appcontext

from aduan.accounts import create_user
from aduan.admin import CONSOLE
from aduan.admin_city import add_day_off, list_days_off, remove_day_off
from aduan.errors import DomainError
from aduan.permissions import ROLES
from app.db import get_engine


def _read_password() -> str:
    """Hidden prompt (asked twice) on a terminal; from a pipe, the first line."""
    if sys.stdin.isatty():
        first = getpass.getpass("Kata sandi / Password: ")
        if first != getpass.getpass("Ulangi / Repeat: "):
            raise click.ClickException("Kata sandi tidak sama. / The passwords do not match.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _fail(err: DomainError) -> click.ClickException:
    return click.ClickException(f"{err.message_id} / {err.message_en}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="officer, skpd_admin, planner or admin")
@click.option("--skpd", "skpd_code", default=None,
              help="SKPD code (required for officer and skpd_admin; `flask skpd list` shows them)")
@click.option("--name", default=None, help="Display name shown in ticket history")
@with_appcontext
def create_user_command(email: str, role: str, skpd_code: str | None, name: str | None) -> None:
    """Create a staff account; the password is read from stdin and stored as an Argon2id hash."""
    password = _read_password()
    try:
        with get_engine().begin() as conn:
            uid = create_user(conn, email, password, role, skpd_code, name)
    except DomainError as err:
        raise _fail(err) from None
    click.echo(f"Pengguna #{uid} dibuat ({role}). / User #{uid} created ({role}).")


@click.group("days-off")
def days_off() -> None:
    """City-declared days off (cuti bersama) on top of the national holidays."""


@days_off.command("add")
@click.argument("day")
@click.argument("name")
@with_appcontext
def days_off_add(day: str, name: str) -> None:
    """Declare DAY (YYYY-MM-DD) a day off. Due dates already stored are not moved: declare days off early."""
    try:
        with get_engine().begin() as conn:
            affected = add_day_off(conn, CONSOLE, day, name)
    except DomainError as err:
        raise _fail(err) from None
    date = dt.date.fromisoformat(day.strip())
    click.echo(f"{date} ({date:%A}) dicatat sebagai hari libur: {name.strip()}. / recorded as a day off.")
    if date.weekday() >= 5:
        click.echo("Catatan: tanggal ini akhir pekan. / Note: this date is a weekend day.")
    if affected:
        click.echo(f"{affected} aduan terbuka bertenggat setelah tanggal ini; tenggat tersimpan tidak diubah. / "
                   f"{affected} open tickets are due after this date; their stored due dates are unchanged.")


@days_off.command("list")
@click.option("--year", type=int, default=None)
@with_appcontext
def days_off_list(year: int | None) -> None:
    """List the days off (all, or one year)."""
    with get_engine().connect() as conn:
        rows = [r for r in reversed(list_days_off(conn)) if year is None or r["day"].year == year]
    if not rows:
        click.echo("Belum ada hari libur kota. / No city days off.")
    for r in rows:
        click.echo(f"{r['day'].isoformat()}  {r['name']}")


@days_off.command("remove")
@click.argument("day")
@with_appcontext
def days_off_remove(day: str) -> None:
    """Remove a day off."""
    try:
        with get_engine().begin() as conn:
            remove_day_off(conn, CONSOLE, day)
    except DomainError as err:
        raise _fail(err) from None
    click.echo(f"{day.strip()} dihapus. / {day.strip()} removed.")


COMMANDS: list = [create_user_command, days_off]
