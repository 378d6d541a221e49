"""Re-routing after map changes is previewed, then applied with history; history imports report refusals."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from aduan.reroute import reroute_open


def _load(conn, settings, rows):
    df = pd.DataFrame(rows, columns=["lon", "lat", "category", "description", "created_at", "status"])
    return load_complaints(conn, df, settings=settings)


def _waste_area_over_a(conn, skpd: str, name: str) -> None:
    """A current service area of `skpd` for waste ('sampah') over Kelurahan A, where the tests drop their pin."""
    conn.execute(text(
        "INSERT INTO service_area (skpd_id, name, priority, area_m2, geom, valid_from) "
        "SELECT id, :name, 9, 1e6, ST_Multi(ST_MakeEnvelope(114.50, -3.40, 114.52, -3.38, 4326)), "
        "now() - interval '1 day' FROM skpd WHERE code = :skpd"), {"name": name, "skpd": skpd})
    conn.execute(text("INSERT INTO service_area_category SELECT currval('service_area_id_seq'), id FROM category "
                      "WHERE code = 'sampah'"))


def test_dry_run_lists_moves_and_changes_nothing(conn, settings):
    """After a new service area appears, the dry run names the move and stores nothing."""
    _load(conn, settings, [(114.51, -3.39, "sampah", "sampah di A", "2026-11-02 09:00", "new")])
    assert conn.execute(text("SELECT s.code FROM complaint c JOIN skpd s ON s.id = c.skpd_id")).scalar() == "DLH"
    _waste_area_over_a(conn, "PUPR", "PUPR Barat")
    moves = reroute_open(conn, tolerance_m=250, near_border_m=10, apply=False)
    assert [(m.from_skpd, m.to_skpd) for m in moves] == [("DLH", "PUPR")]
    assert conn.execute(text("SELECT s.code FROM complaint c JOIN skpd s ON s.id = c.skpd_id")).scalar() == "DLH"


def test_apply_moves_records_history_and_keeps_clocks(conn, settings):
    """Applying moves the ticket, writes a 'reroute' event and leaves due dates unchanged."""
    _load(conn, settings, [(114.51, -3.39, "sampah", "sampah di A", "2026-11-02 09:00", "new"),
                           (114.51, -3.39, "sampah", "sudah selesai", "2026-11-02 09:00", "closed")])
    before = conn.execute(text("SELECT handling_due_at FROM complaint WHERE status = 'new'")).scalar()
    conn.execute(text("UPDATE category SET default_skpd_id = (SELECT id FROM skpd WHERE code = 'DISHUB') "
                      "WHERE code = 'sampah'"))
    moves = reroute_open(conn, tolerance_m=250, near_border_m=10, apply=True)
    assert len(moves) == 1  # the closed one is left alone
    row = conn.execute(text("SELECT s.code, c.handling_due_at, (c.routing).skpd_code FROM complaint c "
                            "JOIN skpd s ON s.id = c.skpd_id WHERE c.status = 'new'")).one()
    assert row == ("DISHUB", before, "DISHUB")
    assert conn.execute(text("SELECT count(*) FROM complaint_event WHERE kind = 'reroute'")).scalar() == 1


def test_import_complaints_cli_reports_refusals(runner, tmp_path, engine):
    """The CLI loads good rows from a CSV, read a row at a time, and reports refused rows with reasons: on screen
    and, with --refused-out, as the file's own rows with their row numbers."""
    path = tmp_path / "lama.csv"
    path.write_text("lon,lat,category,description,created_at,status,public\n"
                    "114.51,-3.39,jalan-rusak,Lubang,2025-06-02 10:00,closed,False\n"
                    "114.99,-3.39,jalan-rusak,Jauh,2025-06-02 10:00,new,True\n"
                    "abc,-3.39,jalan-rusak,Rusak,2025-06-02 10:00,new,ya\n")
    out = runner.invoke(args=["import-complaints", str(path), "--refused-out", str(tmp_path / "ditolak.csv"),
                              "--chunk-rows", "1"])
    assert out.exit_code == 0, out.output
    assert "loaded: 1" in out.output and "refused: 2" in out.output
    assert "routed" in out.stderr and "(100% of the file read)" in out.stderr  # a CSV's length is not known
    assert "outside" in out.output and "coordinates" in out.output
    assert "  row 3: outside" in out.stdout and "  row 4: coordinates" in out.stdout  # as a spreadsheet numbers them
    refused = pd.read_csv(tmp_path / "ditolak.csv", dtype=str)
    assert refused["row"].tolist() == ["3", "4"] and refused["description"].tolist() == ["Jauh", "Rusak"]
    assert "outside" in refused["reason"][0] and "coordinates" in refused["reason"][1]
    with engine.connect() as c:
        assert c.execute(text("SELECT public FROM complaint")).scalar() is False


def test_a_routing_change_that_keeps_the_skpd_is_a_staff_only_step_not_a_reroute(conn, settings):
    """A redrawn map of the same SKPD (here a DLH service area now covering the pin; likewise a boundary file
    imported again) updates the ticket's routing with a staff-only 'routing' step: no public "DLH → DLH", and
    the statement does not count it as forwarded to another agency."""
    _load(conn, settings, [(114.51, -3.39, "sampah", "sampah di A", "2026-11-02 09:00", "new")])
    _waste_area_over_a(conn, "DLH", "DLH Barat")
    moves = reroute_open(conn, tolerance_m=250, near_border_m=10, apply=True)
    assert [(m.from_skpd, m.to_skpd) for m in moves] == [("DLH", "DLH")]
    events = conn.execute(text("SELECT kind, public, note FROM complaint_event WHERE kind IN ('reroute', 'routing')"
                               )).all()
    assert [(k, p) for k, p, _ in events] == [("routing", False)] and "SKPD tetap DLH" in events[0][2]
    assert conn.execute(text("SELECT (routing).service_area_name FROM complaint")).scalar() == "DLH Barat"
