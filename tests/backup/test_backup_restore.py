"""Backups that restore, end to end with the real tools: a private primary archiving its WAL with exactly the
lines `scripts/backup.sh archive-config` prints, a base backup by `scripts/backup.sh base`, complaints submitted
through intake before and after a moment T, and `scripts/restore.sh` bringing back, on servers of their own,
exactly the complaints before T (point in time) or all of them (to the end of the archive). Pruning keeps what
the newest backup needs: a restore from the pruned archive still has every complaint.

The scripts run as the clusters' OS user, as a sysadmin runs them (`sudo -u postgres`), from a copy in the
test's folder (a clone under /root is not readable by that user).
"""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from aduan.intake import Submission, submit
from aduan.schema import alembic_config, create_database
from aduan.settings import Settings
from tests import citykit
from tests.mailkit import free_port
from tests.pgkit import Cluster, pg_owned_tempdir, run_as_pg, temporary_cluster

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
DATABASE = "peta_aduan_backup"
BEFORE, AFTER = 5, 3  # complaints written before T (N) and after it (M)


@dataclass
class Setup:
    """The primary, the folders the scripts work in, and what was written around T."""

    primary: Cluster
    engine: Engine
    work: Path
    archive: Path
    backups: Path
    backup: Path
    target_time: str

    def script(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """scripts/NAME run as the clusters' user against the primary, as libpq's variables name it."""
        env = {"PGHOST": "127.0.0.1", "PGPORT": str(self.primary.port), "PGUSER": "postgres"}
        return run_as_pg("bash", str(self.work / name), *args, env=env, check=check)


def _submit(engine: Engine, settings: Settings, n: int, label: str) -> None:
    """n complaints through intake, as the app stores them (each one its own committed transaction)."""
    with Session(engine) as session:
        for i in range(n):
            submit(session, Submission(category="jalan-rusak", description=f"Jalan berlubang {label} {i}",
                                       lon=114.51, lat=-3.39, idempotency_key=str(uuid.uuid4())), settings)


def _switch_and_wait_archived(engine: Engine, archive: Path, timeout_s: float = 30.0) -> None:
    """Close the current WAL segment and wait until archive_command has put it in the archive."""
    with engine.connect() as conn:
        segment = conn.execute(text("SELECT pg_walfile_name(pg_switch_wal())")).scalar_one()
    deadline = time.monotonic() + timeout_s
    while not (archive / segment).exists():
        assert time.monotonic() < deadline, f"{segment} was not archived: {sorted(p.name for p in archive.iterdir())}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    work = pg_owned_tempdir("peta-backup-")
    try:
        for name in ("backup.sh", "restore.sh"):
            shutil.copy(SCRIPTS / name, work / name)
        archive, backups = work / "wal", work / "base"
        run_as_pg("mkdir", str(archive), str(backups))
        conf = subprocess.run(["bash", str(SCRIPTS / "backup.sh"), "archive-config", str(archive), "--timeout",
                               "60"], check=True, capture_output=True, text=True).stdout
        with temporary_cluster(conf) as primary:
            url = create_database(primary.url(DATABASE))
            command.upgrade(alembic_config(url), "head")
            engine = create_engine(url)
            settings = Settings(database_url=url, secret_key="test-secret", submit_limit=0)
            try:
                with engine.begin() as conn:
                    citykit.build_city(conn)
                setup = Setup(primary, engine, work, archive, backups, Path(), "")
                setup.backup = Path(setup.script("backup.sh", "base", str(backups)).stdout.strip())
                _submit(engine, settings, BEFORE, "sebelum")
                with engine.connect() as conn:  # the server's clock, the one commit times are taken from
                    setup.target_time = conn.execute(text("SELECT now()::text")).scalar_one()
                _switch_and_wait_archived(engine, archive)
                _submit(engine, settings, AFTER, "sesudah")
                _switch_and_wait_archived(engine, archive)
                yield setup
            finally:
                engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def _restored(setup: Setup, backup: Path, archive: Path, name: str, *options: str) -> Iterator[Engine]:
    """restore.sh into a new data folder, that server started on a port of its own until replay is over and it
    takes writes; yields an engine on it, and stops it whatever happens."""
    cluster = Cluster(setup.work / name / "data", free_port())
    setup.script("restore.sh", str(backup), str(archive), str(cluster.data), "--port", str(cluster.port), *options)
    assert (cluster.data / "recovery.signal").exists()
    engine = create_engine(cluster.url(DATABASE))
    try:
        cluster.start()
        deadline = time.monotonic() + 30
        while True:  # pg_ctl returns once read-only connections are allowed; promotion follows the replay
            with engine.connect() as conn:
                if not conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one():
                    break
            assert time.monotonic() < deadline, (cluster.data.parent / "log").read_text()
            time.sleep(0.1)
        yield engine
    finally:
        engine.dispose()
        cluster.stop("immediate")


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM complaint")).scalar_one()


def test_the_base_backup_is_checked_and_holds_its_own_wal(setup: Setup) -> None:
    assert setup.backup.parent == setup.backups and setup.backup.name.startswith("base-")
    assert {p.name for p in setup.backup.iterdir()} == {"base.tar.gz", "pg_wal.tar.gz", "backup_manifest",
                                                       "backup_label.txt"}
    assert "START WAL LOCATION" in (setup.backup / "backup_label.txt").read_text()
    assert "whole" in setup.script("backup.sh", "verify", str(setup.backup)).stderr
    assert _count(setup.engine) == BEFORE + AFTER


def test_a_point_in_time_restore_has_exactly_the_complaints_before_t(setup: Setup) -> None:
    with _restored(setup, setup.backup, setup.archive, "pitr", "--time", setup.target_time) as engine:
        assert _count(engine) == BEFORE
        with engine.begin() as conn:  # promoted: it takes writes
            conn.execute(text("CREATE TABLE restored_ok (id int)"))
    assert "recovery stopping before commit" in (setup.work / "pitr" / "log").read_text()  # T, not the end
    # archive_mode was off on the restored server: its new timeline did not reach the primary's archive
    assert not list(setup.archive.glob("*.history")), sorted(p.name for p in setup.archive.iterdir())


def test_a_full_restore_has_every_archived_complaint(setup: Setup) -> None:
    with _restored(setup, setup.backup, setup.archive, "full") as engine:
        assert _count(engine) == BEFORE + AFTER


def test_prune_keeps_the_newest_backup_and_the_wal_it_needs(setup: Setup) -> None:
    backups, archive = setup.work / "prune-base", setup.work / "prune-wal"
    run_as_pg("cp", "-a", str(setup.backups), str(backups))  # the first backup, in folders of this test's own
    newest = Path(setup.script("backup.sh", "base", str(backups), "--no-verify").stdout.strip())
    with setup.engine.begin() as conn:  # written after the newest backup: only the archive holds it
        conn.execute(text("CREATE TABLE after_newest AS SELECT 42 AS answer"))
    _switch_and_wait_archived(setup.engine, setup.archive)
    run_as_pg("cp", "-a", str(setup.archive), str(archive))
    start = (newest / "backup_label.txt").read_text().split("(file ")[1][:24]
    before = sorted(p.name for p in archive.iterdir() if len(p.name) == 24)
    setup.script("backup.sh", "prune", str(backups), "1", str(archive))
    assert [p.name for p in backups.iterdir() if p.is_dir()] == [newest.name]
    after = sorted(p.name for p in archive.iterdir() if len(p.name) == 24)
    assert before[0] < start and after == [s for s in before if s >= start] and len(after) >= 2, (before, after)
    with _restored(setup, newest, archive, "pruned") as engine, engine.connect() as conn:
        assert _count(engine) == BEFORE + AFTER
        assert conn.execute(text("SELECT answer FROM after_newest")).scalar_one() == 42


def test_archive_command_copies_once_and_never_overwrites_another_file(tmp_path: Path) -> None:
    """The printed archive_command itself, run by sh as PostgreSQL runs it: a segment is copied under its name
    (no temporary file left), the same segment again is success, a different file of that name is refused."""
    archive = tmp_path / "wal"
    archive.mkdir()
    conf = subprocess.run(["bash", str(SCRIPTS / "backup.sh"), "archive-config", str(archive)], check=True,
                          capture_output=True, text=True).stdout
    line = next(x for x in conf.splitlines() if x.startswith("archive_command"))
    template = line.split("= '", 1)[1].rsplit("'", 1)[0]
    segment, other = tmp_path / "seg", tmp_path / "other"
    segment.write_bytes(b"wal" * 1000)
    other.write_bytes(b"not the same")

    def archive_it(path: Path) -> int:
        cmd = template.replace("%p", str(path)).replace("%f", "000000010000000000000007")
        return subprocess.run(["sh", "-c", cmd]).returncode

    assert archive_it(segment) == 0
    assert [p.name for p in archive.iterdir()] == ["000000010000000000000007"]
    assert archive_it(segment) == 0
    assert archive_it(other) != 0
    assert (archive / "000000010000000000000007").read_bytes() == segment.read_bytes()
    assert "must not contain" in subprocess.run(["bash", str(SCRIPTS / "backup.sh"), "archive-config", "/a b"],
                                                capture_output=True, text=True).stderr


def test_restore_refuses_a_folder_that_is_not_empty(setup: Setup) -> None:
    target = setup.work / "busy"
    run_as_pg("mkdir", "-p", str(target))
    run_as_pg("touch", str(target / "PG_VERSION"))
    out = setup.script("restore.sh", str(setup.backup), str(setup.archive), str(target), check=False)
    assert out.returncode != 0 and "not empty" in out.stderr
