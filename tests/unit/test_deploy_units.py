"""The systemd units in deploy/ are copied as they are: each `flask` command they start must be one the app has,
each server they start must name the app's factory, and each timer must start a service that is there."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

from app import create_app

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


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
