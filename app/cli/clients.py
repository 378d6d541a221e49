"""CLI commands: API clients (Open311 and the JSON API)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from aduan.api_keys import create_api_key
from app.db import get_engine


@click.command("create-api-key")
@click.argument("name")
@click.option("--channels", is_flag=True, help="A channel gateway (WhatsApp/SMS/LAPOR! bridge): may send channel, "
              "channel_ref and received_at to POST /api/v1/complaints as the desk does.")
@with_appcontext
def create_api_key_command(name: str, channels: bool) -> None:
    """Create an API client; its key is printed once, on the last line, and only its hash is stored."""
    if not name.strip():
        raise click.BadParameter("nama klien tidak boleh kosong / the client name must not be empty")
    with get_engine().begin() as conn:
        key = create_api_key(conn, name.strip()[:200], channels=channels)
    click.echo(f"Klien API '{name.strip()}' dibuat. Simpan kunci ini; tidak akan ditampilkan lagi. / "
               "API client created. Keep this key; it will not be shown again.")
    click.echo(key)


COMMANDS: list = [create_api_key_command]
