"""`flask import-complaints` on files that go wrong: a NUL in one row refuses that row only; an empty or binary
file stops with a clear message and no traceback."""
from __future__ import annotations

from sqlalchemy import text

HEADER = "lon,lat,category,description,created_at\n"


def _write(tmp_path, name: str, body: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def test_a_nul_in_one_row_refuses_that_row_and_loads_the_rest(runner, engine, tmp_path):
    """Three rows, one with a NUL: two loaded, one refused with its reason."""
    rows = "".join(f"114.51,-3.39,jalan-rusak,Jalan{sep}rusak {i},2026-11-02 09:00\n"
                   for i, sep in enumerate((" ", "\x00", " ")))
    result = runner.invoke(args=["import-complaints", _write(tmp_path, "nul.csv", (HEADER + rows).encode())])
    assert result.exit_code == 0, result.output
    assert "loaded: 2   refused: 1" in result.stdout and "NUL" in result.stdout
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 2
    with engine.begin() as c:
        c.execute(text("TRUNCATE complaint, complaint_event RESTART IDENTITY CASCADE"))


def test_an_empty_or_binary_file_is_a_clear_error(runner, tmp_path):
    """No traceback: exit code 1 with a bilingual reason."""
    for name, body, reason in (("empty.csv", b"", "empty"), ("binary.csv", bytes(range(256)) * 8, "UTF-8 CSV")):
        result = runner.invoke(args=["import-complaints", _write(tmp_path, name, body)])
        assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output


def test_a_broken_chunk_after_good_ones_stops_with_a_clear_error_and_writes_nothing(runner, engine, tmp_path):
    """Read two rows at a time, the file turns to bytes that are not UTF-8 after four good rows: exit code 1 with
    the reason, and not one of the good rows is loaded (the import is one transaction)."""
    good = "".join(f"114.51,-3.39,jalan-rusak,Jalan rusak {i},2026-11-02 09:00\n" for i in range(4))
    body = (HEADER + good).encode() + b"114.51,-3.39,jalan-rusak,\xff\xfe rusak,2026-11-02 09:00\n"
    result = runner.invoke(args=["import-complaints", _write(tmp_path, "late.csv", body), "--chunk-rows", "2"])
    assert result.exit_code == 1 and "UTF-8 CSV" in result.output and "Traceback" not in result.output
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0
