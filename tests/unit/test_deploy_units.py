"""The systemd units in deploy/ are copied as they are: each `flask` command they start must be one the app has,
each server they start must name the app's factory, and each timer must start a service that is there."""
from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

from app import create_app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = DEPLOY / "systemd"


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # keys are case-sensitive in systemd
    unit.read_string(path.read_text())
    return unit


def test_every_flask_command_a_unit_starts_exists():
    commands = set(create_app().cli.list_commands(None))
    started = {}
    for path in sorted(UNITS.glob("*.service")):
        exec_start = _unit(path)["Service"]["ExecStart"]
        if "gunicorn" in exec_start:
            assert exec_start.endswith(" app:create_app()"), path.name
            continue
        found = re.search(r"flask --app app (\S+)", exec_start)
        assert found, path.name
        started[path.name] = found.group(1)
    assert {"worker", "recompute-layers"} <= set(started.values())  # the glob found the units
    assert {name: cmd for name, cmd in started.items() if cmd not in commands} == {}


def test_every_timer_starts_a_service_that_is_there():
    timers = sorted(UNITS.glob("*.timer"))
    assert timers
    for timer in timers:
        unit = _unit(timer)
        assert unit["Timer"]["OnCalendar"] and unit["Install"]["WantedBy"] == "timers.target"
        assert (UNITS / unit["Timer"].get("Unit", timer.with_suffix(".service").name)).exists(), timer.name


def test_the_env_example_reads_the_same_in_sh_as_the_docs_source_it():
    """docs/deploy.md runs `flask` commands with `sh -c 'set -a; . /etc/peta-aduan/env; set +a; …'`: every value
    must come through whole (a value with spaces unquoted stopped dash before the command ran)."""
    env = DEPLOY / "env.example"
    out = subprocess.run(["sh", "-c", f'set -a; . "{env}"; set +a; env'], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    got = dict(line.split("=", 1) for line in out.stdout.splitlines() if line.startswith(("PETA_", "DATABASE_")))
    assert out.stderr == ""
    assert got["PETA_CITY_NAME"] == "Kota Banjarmasin"
    assert got["PETA_MAIL_FROM"] == "Peta Aduan Banjarmasin <aduan@example.go.id>"
