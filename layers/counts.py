"""The layers' input: complaint counts per H3 cell and local day, read from `complaint_count`.

`complaint_count` is kept equal to the complaint table by triggers in the writing transaction
(migrations/sql/complaint_count_v1.sql; their functions now complaint_count_v2.sql), so a layer over a million
complaints sums a few hundred thousand count rows in PostgreSQL instead of fetching a million points into
Python. Every complaint's cell (`complaint.h3_cell`) is computed when it is written, at the resolution recorded
in `layer_grid`; the days are local days in the time zone recorded there. `recount` rebuilds both (after the city
changes PETA_H3_RESOLUTION or PETA_TIMEZONE) and `drift` compares the counts with a recount from the points.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Engine, Select, Table, and_, cast, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from aduan.db import plan_for_values
from aduan.errors import Unavailable
from aduan.models import ComplaintCount, ComplaintCountMonth
from geo.cells import cell_names, cells_of
from layers.filters import LayerFilter, next_month

Progress = Callable[[str, int, int], None]


def check_grid(conn: Connection, res: int | None, tz: str) -> None:
    """The counts are at the resolution (None: any) and in the time zone asked for, or a 503 that says what to
    run."""
    row = conn.execute(text("SELECT res, tz FROM layer_grid")).first()
    if row is None or row.tz != tz or res not in (None, row.res):
        have = "none" if row is None else f"H3 {row.res}, {row.tz}"
        raise Unavailable(
            f"Peta sedang disiapkan ulang: hitungan tersimpan ({have}) tidak sama dengan setelan (H3 {res}, {tz}). "
            "Petugas TI: jalankan `flask --app app recount-layers`.",
            f"Layers are being prepared: the stored counts ({have}) do not match the settings (H3 {res}, {tz}). "
            "IT: run `flask --app app recount-layers`.")


def _spans(lo: dt.date, hi: dt.date) -> list[tuple[Table, str, dt.date, dt.date]]:
    """[lo, hi) as (table, its date column, from, to): whole calendar months from the monthly counts (a month's
    rows are ~1/20 of its days'), the days before and after them from the daily ones."""
    daily, monthly = ComplaintCount.__table__, ComplaintCountMonth.__table__
    first = lo if lo.day == 1 else next_month(lo)
    last = hi.replace(day=1)
    if first >= last:
        return [(daily, "day", lo, hi)]
    return [(t, col, a, b) for t, col, a, b in ((daily, "day", lo, first), (monthly, "month", first, last),
                                                (daily, "day", last, hi)) if a < b]


def _rows(flt: LayerFilter, lo: dt.date, hi: dt.date, cells: list[int] | None = None, tag: int = 0) -> Select:
    """Count rows of [lo, hi) that pass the filter (the same meaning as `LayerFilter.condition` over complaints),
    of some cells only when given, as (cell, day, kelurahan_id, n, tag)."""
    parts = []
    for t, col, a, b in _spans(lo, hi):
        where = [t.c[col] >= a, t.c[col] < b, flt.kind_condition(t)]
        if cells is not None:
            where.append(t.c.cell == func.any(cast(cells, ARRAY(BigInteger))))
        parts.append(select(t.c.cell, t.c[col].label("day"), t.c.kelurahan_id, t.c.n,
                            literal(tag).label("tag")).where(and_(*where)))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _frame(conn: Connection, stmt: Select, columns: list[str]) -> pd.DataFrame:
    plan_for_values(conn)  # the period's dates decide which count rows to read
    frame = pd.DataFrame(conn.execute(stmt).all(), columns=columns)
    frame["cell"] = cell_names(frame["cell"].to_numpy()) if len(frame) else pd.Series([], dtype=object)
    return frame


def cell_totals(conn: Connection, flt: LayerFilter, res: int, *, previous: bool = False,
                cells: list[int] | None = None) -> pd.DataFrame:
    """Per cell with complaints (of `cells` when given): `count` in the filter's range (and `count_prev` in the
    period before it)."""
    check_grid(conn, res, flt.tz)
    if not previous:
        r = _rows(flt, flt.start, flt.end, cells).subquery("r")
        n = func.sum(r.c.n)
        return _frame(conn, select(r.c.cell, n).group_by(r.c.cell).having(n > 0), ["cell", "count"])
    r = union_all(_rows(flt, flt.start, flt.end, cells, tag=0),
                  _rows(flt, flt.previous().start, flt.start, cells, tag=1)).subquery("r")
    now = func.coalesce(func.sum(r.c.n).filter(r.c.tag == 0), 0)
    before = func.coalesce(func.sum(r.c.n).filter(r.c.tag == 1), 0)
    stmt = select(r.c.cell, now, before).group_by(r.c.cell).having(func.sum(r.c.n) > 0)
    return _frame(conn, stmt, ["cell", "count", "count_prev"])


def cell_months(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """Per cell and calendar month ('YYYY-MM') with complaints: `count`."""
    check_grid(conn, res, flt.tz)
    r = _rows(flt, flt.start, flt.end).subquery("r")
    month, n = func.to_char(r.c.day, "YYYY-MM"), func.sum(r.c.n)
    return _frame(conn, select(r.c.cell, month, n).group_by(r.c.cell, month).having(n > 0), ["cell", "month", "count"])


def kelurahan_totals(flt: LayerFilter) -> Select:
    """(kelurahan_id, n) of the routed kelurahan, for the choropleth (checked by its caller's `check_grid`)."""
    r = _rows(flt, flt.start, flt.end).subquery("r")
    n = func.sum(r.c.n)
    return select(r.c.kelurahan_id, n.label("n")).group_by(r.c.kelurahan_id).having(n > 0)


_CELLS_VERSION = text("""
SELECT (SELECT max(id) FROM boundary_generation WHERE active),
       (SELECT max((SELECT max(id) FROM cell_change WHERE cell_change.cell = c.cell))
          FROM unnest(CAST(:cells AS bigint[])) AS c(cell))
""")
# Each cell's months are probed only within the first and last month it has changes for (two index lookups): a
# planner's ten-year filter at z13 probed 69 cells × 121 months (27-42 ms) where 19 months hold complaints.
_CELL_MONTH_VERSIONS = text("""
SELECT c.cell, m.month,
       (SELECT max(id) FROM cell_change WHERE cell_change.cell = c.cell AND cell_change.month = m.month)
  FROM unnest(CAST(:cells AS bigint[])) AS c(cell),
       LATERAL (SELECT min(month) AS lo, max(month) AS hi FROM cell_change WHERE cell_change.cell = c.cell) span,
       unnest(CAST(:months AS date[])) AS m(month)
 WHERE m.month BETWEEN span.lo AND span.hi
""")


def cells_version(conn: Connection, cells: list[int]) -> str:
    """The newest change among some cells, any month (and the boundary generation), one index lookup per cell: a
    tile stays cached until its own cells change."""
    generation, newest = conn.execute(_CELLS_VERSION, {"cells": cells}).one()
    return f"{generation}|{'' if newest is None else newest}"


def cell_month_versions(conn: Connection, cells: list[int], months: list[dt.date]) -> dict[tuple[int, dt.date], int]:
    """The newest change of each (cell, month) that has one, one index lookup each: it moves with any complaint of
    that month written, moved between statuses or re-routed in that cell. A pair left out has no change recorded,
    so no complaint (every function that counts records the pairs it counts,
    migrations/sql/complaint_count_v2.sql)."""
    rows = conn.execute(_CELL_MONTH_VERSIONS, {"cells": cells, "months": months})
    return {(cell, month): v for cell, month, v in rows if v is not None}


def prune_changes(conn: Connection) -> int:
    """Forget all but the newest change of each (cell, month) (the versions read only those, and a cell's newest
    is among them); returns rows deleted."""
    return conn.execute(text("DELETE FROM cell_change c WHERE id < (SELECT max(id) FROM cell_change n "
                             "WHERE n.cell = c.cell AND n.month = c.month)")).rowcount


_DRIFT = text("""
WITH truth AS (
  SELECT (created_at AT TIME ZONE g.tz)::date AS day, h3_cell AS cell, category_id, skpd_id, kelurahan_id, status,
         public, count(*)::int AS n
    FROM complaint, layer_grid g GROUP BY 1, 2, 3, 4, 5, 6, 7),
kept AS (SELECT day, cell, category_id, skpd_id, kelurahan_id, status, public, n FROM complaint_count WHERE n <> 0),
month_truth AS (SELECT date_trunc('month', day)::date, cell, category_id, skpd_id, kelurahan_id, status, public,
                       sum(n)::int FROM truth GROUP BY 1, 2, 3, 4, 5, 6, 7),
month_kept AS (SELECT month, cell, category_id, skpd_id, kelurahan_id, status, public, n FROM complaint_count_month
                WHERE n <> 0)
SELECT 'day', * FROM (SELECT * FROM truth EXCEPT ALL SELECT * FROM kept) a
UNION ALL SELECT 'day', * FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM truth) b
UNION ALL SELECT 'month', * FROM (SELECT * FROM month_truth EXCEPT ALL SELECT * FROM month_kept) c
UNION ALL SELECT 'month', * FROM (SELECT * FROM month_kept EXCEPT ALL SELECT * FROM month_truth) d
""")


def drift(conn: Connection) -> list[tuple]:
    """Count rows (daily and monthly) that differ from a recount of the complaint table (empty when right)."""
    return [tuple(r) for r in conn.execute(_DRIFT)]


def recount(conn: Connection, res: int, tz: str, progress: Progress | None = None,
            batch: int = 200_000) -> int:
    """Give every complaint its cell at `res`, rebuild the counts in `tz` local days; returns complaints counted.

    The caller owns the transaction (all or nothing: the layers see the old counts until it commits)."""
    say = progress or (lambda stage, done, total: None)
    conn.execute(text("INSERT INTO layer_grid (res, tz) VALUES (:r, :tz) "
                      "ON CONFLICT (only_row) DO UPDATE SET res = EXCLUDED.res, tz = EXCLUDED.tz"),
                 {"r": res, "tz": tz})
    total = conn.execute(text("SELECT count(*) FROM complaint")).scalar_one()
    conn.execute(text("CREATE TEMP TABLE recount_cell (id bigint PRIMARY KEY, cell bigint)"))
    raw = conn.connection.driver_connection
    done, last = 0, 0
    while True:
        rows = conn.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM complaint WHERE id > :last ORDER BY id "
                                 "LIMIT :n"), {"last": last, "n": batch}).all()
        if not rows:
            break
        ids, lon, lat = (np.array(c) for c in zip(*rows, strict=True))
        buf = io.StringIO()
        pd.DataFrame({"id": ids, "cell": cells_of(lon.astype(float), lat.astype(float), res)}).to_csv(
            buf, header=False, index=False)
        with raw.cursor() as cur, cur.copy("COPY recount_cell (id, cell) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        done, last = done + len(rows), int(ids[-1])
        say("cells", done, total)
    with _counting_paused(conn):
        conn.execute(text("UPDATE complaint c SET h3_cell = r.cell FROM recount_cell r "
                          "WHERE r.id = c.id AND c.h3_cell IS DISTINCT FROM r.cell"))
        conn.execute(text("SELECT peta_recount_complaints()"))  # migrations/sql/complaint_count_v2.sql
    conn.execute(text("DROP TABLE recount_cell"))
    say("counted", total, total)
    return total


def cluster_by_cell(engine: Engine, progress: Progress | None = None) -> int:
    """Rewrite the complaints in cell order, so a tile's or a box's points lie on few pages (a z14 tile at 1M
    complaints: 0.34 s → 0.18 s). A night job: each monthly partition is rewritten in a transaction of its own
    (CLUSTER locks what it rewrites, ~1 s per 50k complaints), so only that month waits meanwhile. It follows the
    cell index (migration 0018), which the binned tiles read cells by."""
    with engine.connect() as conn:
        parts = conn.execute(_CELL_INDEXES).all()
    done = 0
    for i, (table, index) in enumerate(parts, 1):
        with engine.begin() as conn:  # names from the catalogue, already quoted where needed
            conn.execute(text(f"CLUSTER {table} USING {index}"))
            conn.execute(text(f"ANALYZE {table}"))
            done += conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        if progress:
            progress(table, i, len(parts))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE complaint"))  # the parent's own statistics: autovacuum never gathers them
    return done


# Each monthly partition with its piece of the cell index.
_CELL_INDEXES = text("SELECT x.indrelid::regclass::text, i.inhrelid::regclass::text FROM pg_inherits i "
                     "JOIN pg_index x ON x.indexrelid = i.inhrelid WHERE i.inhparent = 'complaint_cell'::regclass "
                     "ORDER BY 1")


@contextmanager
def _counting_paused(conn: Connection) -> Iterator[None]:
    """The update trigger off while `recount` rewrites every cell (it rebuilds the counts itself afterwards)."""
    conn.execute(text("ALTER TABLE complaint DISABLE TRIGGER complaint_count_update"))
    yield
    conn.execute(text("ALTER TABLE complaint ENABLE TRIGGER complaint_count_update"))
