"""Set-based loading of many complaints (history imports, demo data, benchmarks).

The rows arrive in chunks. A thread reads and checks the next chunk in pandas (vectorised) while PostgreSQL
stages and routes the one before: each chunk is COPYed into a staging table and routed there by
`peta_route_many()`, one spatial join with exactly the rules of the `peta_route()` a single submission uses
(tests/db/test_bulk_load_speed_equivalence.py). Once all are routed, the complaints get their ids in time order and
are inserted a month at a time with their history. Rows that cannot be loaded are reported with a reason; the rest
go in. Memory holds a chunk or two and the tracking codes drawn (~90 MB a million rows), not the file. The caller
owns the transaction.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from aduan import partitions
from aduan.channels import CHANNELS
from aduan.clocks import WorkCalendar
from aduan.partitions import ID_MONTH, PARENTS, month_after, partition_name
from aduan.settings import Settings
from aduan.statuses import NOT_A_PROBLEM, STATUSES
from aduan.text import FALSE_WORDS, MAX_DESCRIPTION, TRUE_WORDS, UNSTORABLE
from aduan.tracking import tracking_codes
from geo.cells import cells_of
from geo.routing import ROUTING_RECORD_SQL

Progress = Callable[[str, int, int], None]  # stage, rows done, rows in all (0 when not known in advance)
STAGING_COLUMNS = ["month", "row_no", "lon", "lat", "category_id", "description", "created_at", "status",
                   "followed_up_at", "resolved_at", "closed_at", "channel", "public", "tracking_code",
                   "followup_due_at", "handling_due_at", "external_id", "h3_cell"]
TIME_COLUMNS = ("created_at", "followed_up_at", "resolved_at", "closed_at", "followup_due_at", "handling_due_at")
REQUIRED_COLUMNS = ("lon", "lat", "category", "description", "created_at")
COLUMNS = REQUIRED_COLUMNS + ("status", "followed_up_at", "resolved_at", "closed_at", "channel", "public",
                              "external_id")  # what a file may bring; other columns are ignored
CHUNK_ROWS = 25_000  # checked in Python (~0.35 s) while PostgreSQL stages and routes the one before (~0.5 s)
PROGRESS_ROWS = 100_000  # a progress line each time this many more rows have been read


@dataclass
class LoadReport:
    """What happened: rows loaded, rows refused (place in the file from 0, reason), routing flags seen."""

    loaded: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    flags: Counter = field(default_factory=Counter)

    def refused_by_reason(self) -> Counter:
        return Counter(reason for _, reason in self.refused)


@dataclass
class _Checked:
    """One chunk, checked and written as CSV for COPY by the reading thread."""

    rows_in: int
    refused: list[tuple[int, str]]
    csv: bytes = b""
    rows: int = 0
    months: frozenset[int] = frozenset()


def load_complaints(conn: Connection, rows: pd.DataFrame | Iterable[pd.DataFrame], *, settings: Settings,
                    channel_default: str = "import", progress: Progress | None = None, total: int = 0,
                    chunk_rows: int = CHUNK_ROWS) -> LoadReport:
    """Load complaints (columns: lon, lat, category, description, created_at, and optionally status,
    followed_up_at, resolved_at, closed_at, channel, public, external_id): one frame, or its chunks in file order
    (a chunk's index holds the rows' numbers in the file, which refusals name). `total` is the number of rows
    for progress when known; a frame's own length otherwise."""
    report = LoadReport()
    say = progress or (lambda stage, done, total: None)
    if isinstance(rows, pd.DataFrame):
        frame = rows.reset_index(drop=True)
        total = total or len(frame)
        rows = (frame.iloc[i:i + chunk_rows] for i in range(0, len(frame), chunk_rows))
    categories = pd.read_sql_query(
        text("SELECT code, id, followup_days, handling_days, confidential FROM category"), conn).set_index("code")
    check = _Checker(categories, WorkCalendar.from_connection(conn, settings.timezone), settings, channel_default)
    _create_staging(conn)
    seen = staged = 0
    months: set[int] = set()
    chunks = iter(rows)
    # One chunk ahead: the thread reads and checks chunk k+1 (Python, GIL held) while this one waits on PostgreSQL
    # staging and routing chunk k (libpq releases the GIL). Only this thread touches the connection.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check") as pool:
        ahead = pool.submit(check.next, chunks)
        while (part := ahead.result()) is not None:
            ahead = pool.submit(check.next, chunks)
            report.refused += part.refused
            if part.rows:
                _copy_chunk(conn, part.csv)
                _route_chunk(conn, staged + 1, staged + part.rows + 1, settings)
                staged += part.rows
                months |= part.months
            if (seen + part.rows_in) // PROGRESS_ROWS > seen // PROGRESS_ROWS:
                say("routed", staged, total)
            seen += part.rows_in
    if seen % PROGRESS_ROWS:  # the last chunk did not end on a progress line
        say("routed", staged, total)
    if staged:
        _redraw_code_collisions(conn, settings.city_prefix, settings.timezone, check.codes)
        outside = conn.execute(text("SELECT s.row_no FROM staging_routed r JOIN staging_complaint s ON s.key = r.key "
                                    "WHERE r.kelurahan_id IS NULL")).scalars().all()
        report.refused += [(int(r), f"outside {settings.city_name} (> {settings.snap_tolerance_m:.0f} m)")
                           for r in outside]
        conn.execute(text("CREATE UNIQUE INDEX ON staging_routed (key); ANALYZE staging_complaint; "
                          "ANALYZE staging_routed"))  # each month's insert reads its own key range by index
        report.loaded = _insert_by_month(conn, sorted(months), say, staged - len(outside))
        report.flags.update(dict(conn.execute(text(
            "SELECT f, count(*) FROM staging_routed, unnest(flags) f GROUP BY f")).all()))
    conn.execute(text("DROP VIEW staged_complaint; DROP TABLE staging_routed, staging_complaint; "
                      "DROP SEQUENCE staging_seq"))
    say("loaded", report.loaded, total or seen)
    return report


def _insert_by_month(conn: Connection, months: list[int], say: Progress, total: int) -> int:
    """Each month's complaints and history: into its partition where the month has one (the insert's keys,
    triggers and counts as for any write), else into a new table that becomes the month's partition at the end.

    A month that arrives whole (a history import before go-live: all of them) is filled without per-row key
    checks or index inserts, indexed in one sorted build per index, then attached, which checks its keys in one
    join each; its counts are recounted from it. The attaching comes last because it stops the city's writers
    (not its readers) until the import commits."""
    have = set(partitions.month_keys(conn))
    new = [m for m in months if m not in have and partitions.detached_month(conn, m)]
    # a month's rows are sorted by time, whole, to draw their ids: ~45 MB at 55,000 rows, which spilled to disk
    # with the default work_mem (70-100 ms a month more); for these inserts only
    before = conn.execute(text("SELECT current_setting('work_mem')")).scalar_one()
    conn.execute(text("SELECT set_config('work_mem', '256MB', true)"))
    loaded = 0
    for month in months:
        span = {"lo": month * ID_MONTH, "hi": month_after(month) * ID_MONTH, "not_a_problem": list(NOT_A_PROBLEM)}
        into = {p: _quoted(conn, partition_name(p, month) if month in new else p) for p in PARENTS}
        order = "" if month in new else _EVENT_ORDER
        loaded += conn.execute(text(_INSERT_MONTH.format(**into, order=order)), span).scalar_one()
        say("inserted", loaded, total)
    conn.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": before})
    for i, month in enumerate(new, 1):
        partitions.index_month(conn, month)
        say("indexed", i, len(new))
    for month in new:
        partitions.attach_month(conn, month)
    return loaded


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _refuse(report: LoadReport, frame: pd.DataFrame, bad: pd.Series, reason: str) -> pd.DataFrame:
    report.refused += [(int(i), reason) for i in frame.index[bad]]
    return frame[~bad]


def _timestamps(values: pd.Series, tz: str) -> pd.Series:
    """Parse datetimes to UTC; values without an offset are local city time (WITA)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values if values.dt.tz is not None else values.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        return ts.dt.tz_convert("UTC")
    s = values.astype("string").str.strip()
    has_tz = _has_offset(s)
    aware = _parse_dates(s.where(has_tz), utc=True)
    naive = _parse_dates(s.where(~has_tz), utc=False)
    naive = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    return aware.where(has_tz, naive)


_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"  # a UTC offset ending the value (RE2, by Arrow)


def _has_offset(s: pd.Series) -> pd.Series:
    """Which values end in a UTC offset: one RE2 pass by Arrow (~0.1 s a million values, against 0.7 s searching
    each value's last six characters in Python and 0.9 s by pandas' `str.contains` on Python strings)."""
    found = pc.match_substring_regex(pa.array(s, from_pandas=True), _OFFSET)
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False), index=s.index, dtype=bool)


def _parse_dates(s: pd.Series, utc: bool) -> pd.Series:
    """ISO 8601 by pandas' fast parser; only what it refuses goes through the (slow, per value) mixed formats."""
    out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=utc)
    retry = out.isna() & s.notna()
    if retry.any():
        out[retry] = pd.to_datetime(s[retry], errors="coerce", format="mixed", utc=utc)
    return out


def _booleans(values: pd.Series, default: bool = True) -> pd.Series:
    """Booleans from a file, by the one yes/no word list (aduan/text.py); anything else is the default."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(default).astype(bool)
    words = values.astype("string").str.strip().str.lower()
    known = words.isin(TRUE_WORDS | FALSE_WORDS).fillna(False).astype(bool)
    return words.isin(TRUE_WORDS).fillna(False).astype(bool).where(known, default)


def _unstorable(frame: pd.DataFrame) -> pd.Series:
    """Rows with a NUL or a lone surrogate in any text column (PostgreSQL cannot store them). A column held by
    Arrow (pandas' strings when pyarrow is installed: every file read) cannot hold a surrogate and is searched for
    NUL by Arrow (~0.5 ms a column of 25,000 rows); other text is searched as Python strings, as one joined string
    first: clean columns, nearly all of them, then cost one scan instead of one per row."""
    bad = pd.Series(False, index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if _held_by_arrow(values):
            bad |= pc.fill_null(pc.match_substring(pa.array(values), "\0"), False).to_numpy(zero_copy_only=False)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            text_values = values.to_numpy(dtype=object)
            if UNSTORABLE.search("\n".join(v for v in text_values if isinstance(v, str))):
                bad |= pd.Series([isinstance(v, str) and UNSTORABLE.search(v) is not None for v in text_values],
                                 index=frame.index)
    return bad.astype(bool)


def _held_by_arrow(values: pd.Series) -> bool:
    """Text that Arrow holds (as every file's text is read, CSV or vector): Arrow's compute functions search it."""
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _validate(frame: pd.DataFrame, categories: pd.DataFrame, tz: str, channel_default: str,
              report: LoadReport) -> pd.DataFrame:
    """Keep rows that can be loaded; every other row gets a reason."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        report.refused += [(int(i), f"missing column(s): {', '.join(missing)}") for i in frame.index]
        return frame.iloc[0:0]
    f = pd.DataFrame(index=frame.index)
    f["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    f["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    bad = ~(np.isfinite(f["lon"]) & np.isfinite(f["lat"]) & f["lon"].between(-180, 180) & f["lat"].between(-90, 90))
    f = _refuse(report, f, bad, "coordinates missing, not numbers or out of range")
    f = _refuse(report, f, _unstorable(frame.loc[f.index]), "text with a NUL character or a lone surrogate")
    cat = frame.loc[f.index, "category"].astype("string").str.strip()
    f = _refuse(report, f, ~cat.isin(categories.index).fillna(False), "unknown category")
    f["category"] = cat[f.index]
    desc = frame.loc[f.index, "description"].astype("string").str.strip()
    f = _refuse(report, f, desc.isna() | (desc.str.len() == 0), "empty description")
    f = _refuse(report, f, desc[f.index].str.len() > MAX_DESCRIPTION, f"description longer than {MAX_DESCRIPTION}")
    f["description"] = desc[f.index]
    f["created_at"] = _timestamps(frame.loc[f.index, "created_at"], tz)
    f = _refuse(report, f, f["created_at"].isna(), "created_at missing or not a date")
    f = _refuse(report, f, f["created_at"] > pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=5),
                "created_at in the future")
    status = (frame.loc[f.index, "status"].astype("string").str.strip().str.lower().fillna("new")
              if "status" in frame else pd.Series("new", index=f.index, dtype="string"))
    f = _refuse(report, f, ~status.isin(STATUSES), "unknown status")
    f["status"] = status[f.index]
    for col in ("followed_up_at", "resolved_at", "closed_at"):
        f[col] = (_timestamps(frame.loc[f.index, col], tz) if col in frame
                  else pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]"))
        f = _refuse(report, f, f[col].notna() & (f[col] < f["created_at"]), f"{col} before created_at")
    channel = (frame.loc[f.index, "channel"].astype("string").fillna(channel_default) if "channel" in frame
               else pd.Series(channel_default, index=f.index, dtype="string"))
    f["channel"] = channel.where(channel.isin(CHANNELS), channel_default)
    confidential = categories.loc[f["category"], "confidential"].to_numpy()
    f["public"] = (_booleans(frame.loc[f.index, "public"]).to_numpy() if "public" in frame else True) & ~confidential
    f["external_id"] = None
    if "external_id" in frame:
        external = frame.loc[f.index, "external_id"].astype("string").str.strip()
        f["external_id"] = external.mask(external == "")  # a blank reference is no reference
    return f


class _Checker:
    """The reading thread's work: the next chunk checked, given clocks, codes and cells, as COPY text. It alone
    holds the codes drawn so far, unique across chunks, until the load reads them after the last chunk."""

    def __init__(self, categories: pd.DataFrame, cal: WorkCalendar, settings: Settings, channel_default: str):
        self.categories, self.cal, self.settings, self.channel_default = categories, cal, settings, channel_default
        self.codes: set[str] = set()

    def next(self, chunks: Iterator[pd.DataFrame]) -> _Checked | None:
        """None after the last chunk."""
        chunk = next(chunks, None)
        if chunk is None:
            return None
        part = LoadReport()
        clean = _validate(chunk, self.categories, self.settings.timezone, self.channel_default, part)
        out = _Checked(rows_in=len(chunk), refused=part.refused)
        if not clean.empty:
            self._add_clocks_and_codes(clean)
            # staged month by month: a month's rows then lie in one run of pages per chunk, which its insert reads,
            # rather than all over the staging table (a file in random time order read every page for each month)
            out.csv = _copy_block(clean.sort_values(["month", "created_at"], kind="stable"))
            out.rows, out.months = len(clean), frozenset(clean["month"].tolist())
        return out

    def _add_clocks_and_codes(self, f: pd.DataFrame) -> None:
        """Due dates by the category's clocks; tracking codes unique within the load; the layers' H3 cell."""
        s = self.settings
        cats = self.categories.loc[f["category"]]
        f["category_id"] = cats["id"].to_numpy()
        f["followup_due_at"] = self.cal.due_at_many(f["created_at"], cats["followup_days"].to_numpy())
        f["handling_due_at"] = self.cal.due_at_many(f["created_at"], cats["handling_days"].to_numpy())
        local = f["created_at"].dt.tz_convert(s.timezone)
        f["month"] = (local.dt.year * 100 + local.dt.month).to_numpy()  # its partition and the month in its id
        names, at = np.unique(f["month"].to_numpy() % 10000, return_inverse=True)  # a few: format those only
        yymm = np.array([f"{m:04d}" for m in names])[at]
        f["tracking_code"] = _fresh_codes(s.city_prefix, yymm, self.codes)
        f["row_no"] = f.index
        f["h3_cell"] = cells_of(f["lon"].to_numpy(), f["lat"].to_numpy(), s.h3_resolution)


def _fresh_codes(prefix: str, yymm: np.ndarray, taken: set[str]) -> np.ndarray:
    """Codes for these months, none twice and none in `taken` (which then holds them too): ~1.5 a month collide
    by chance among 55,000 (10⁹ codes a month), so a few are drawn again."""
    codes = tracking_codes(prefix, yymm)
    while True:
        listed = codes.tolist()
        again = pd.Series(listed).duplicated().to_numpy() | np.fromiter(
            (c in taken for c in listed), dtype=bool, count=len(listed))
        if not again.any():
            taken.update(listed)
            return codes
        codes[again] = tracking_codes(prefix, yymm[again])


def _copy_block(f: pd.DataFrame) -> bytes:
    """The chunk's rows as CSV for COPY, written by Arrow's CSV writer (C++) rather than by Python: 1.0 s a million
    rows of the reading thread's time, against 6.9 s for COPY's text format built a column at a time in Python.
    Times go as microseconds since the epoch, which `staged_complaint` turns back into timestamps: Arrow writes a
    timestamp in ~1 µs, and PostgreSQL's COPY read 6 million of them in 2.6 s against 0.8 s as integers. Text
    is quoted, its quotes doubled; NULL is the empty unquoted field; floats are written to the last bit."""
    columns = {col: _arrow_column(f[col]) for col in STAGING_COLUMNS}
    sink = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(columns), sink, _CSV)
    return sink.getvalue().to_pybytes()


_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _arrow_column(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        us = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
        return pa.array(us.view(np.int64), mask=np.isnat(us))
    return pa.array(values, from_pandas=True)


def _create_staging(conn: Connection) -> None:
    """Where chunks wait to be routed and inserted. A row's key is its month and its place in the file; its id is
    drawn as it is inserted, in time order (`_INSERT_MONTH`). Its times arrive as microseconds since the epoch
    (`_copy_block`); `staged_complaint` is the same rows with them as timestamps, exact to the microsecond (an
    interval of whole microseconds, whatever the session's time zone)."""
    conn.execute(text(
        "CREATE TEMP SEQUENCE staging_seq; "
        "CREATE TEMP TABLE staging_complaint (month integer, seq bigint UNIQUE DEFAULT nextval('staging_seq'), "
        f"key bigint GENERATED ALWAYS AS (month::bigint * {ID_MONTH} + seq) STORED PRIMARY KEY, "
        "row_no integer, lon float8, lat float8, "
        "category_id integer, description text, created_at bigint, status text, followed_up_at bigint, "
        "resolved_at bigint, closed_at bigint, channel text, public boolean, tracking_code text, "
        "followup_due_at bigint, handling_due_at bigint, external_id text, h3_cell bigint); "
        "CREATE TEMP VIEW staged_complaint AS SELECT seq, key, "
        + ", ".join(f"timestamptz 'epoch' + {c} * interval '1 microsecond' AS {c}" if c in TIME_COLUMNS else c
                    for c in STAGING_COLUMNS)
        + " FROM staging_complaint; "
        "CREATE TEMP TABLE staging_routed AS SELECT * FROM peta_route_many(NULL, NULL, NULL, 0, 0) WITH NO DATA"))


def _copy_chunk(conn: Connection, block: bytes) -> None:
    raw = conn.connection.driver_connection
    columns = ", ".join(STAGING_COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY staging_complaint ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(block)


def _route_chunk(conn: Connection, lo: int, hi: int, settings: Settings) -> None:
    """Route the staged rows numbered lo..hi-1 (one chunk: the staging sequence is this load's alone)."""
    conn.execute(_ROUTE_CHUNK, {"lo": lo, "hi": hi, "tol": settings.snap_tolerance_m, "nb": settings.near_border_m})


def _redraw_code_collisions(conn: Connection, prefix: str, tz: str, taken: set[str]) -> None:
    """Codes already used by earlier tickets are drawn again (rare: ~10⁹ codes a month)."""
    while True:
        rows = conn.execute(text(
            "SELECT s.key, to_char(s.created_at AT TIME ZONE :tz, 'YYMM') FROM staged_complaint s "
            "JOIN complaint c ON c.tracking_code = s.tracking_code"), {"tz": tz}).all()
        if not rows:
            return
        new = _fresh_codes(prefix, np.array([r[1] for r in rows]), taken)
        conn.execute(text("UPDATE staging_complaint SET tracking_code = :c WHERE key = :k"),
                     [{"c": c, "k": r[0]} for c, r in zip(new, rows, strict=True)])


_ROUTE_CHUNK = text("""
INSERT INTO staging_routed
SELECT r.*
  FROM (SELECT array_agg(key) AS k, array_agg(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS g,
               array_agg(category_id) AS c
          FROM staging_complaint WHERE seq >= :lo AND seq < :hi) a
 CROSS JOIN LATERAL peta_route_many(a.k, a.g, a.c, :tol, :nb) r
""")

# One statement a month: its complaints, with ids drawn from the complaint sequence in time order whatever the
# file's order (PostgreSQL evaluates a select list after the query's ORDER BY), so 'newest first' by id is by time;
# their history from the rows the insert returns, as the old system would have written it: intake, follow-up,
# resolution, closing. Only fixed SQL is formatted in (the routing record; the target tables, quoted partition
# names); values are always bound.
_INSERT_MONTH = """
WITH complaint_rows AS (
INSERT INTO {complaint} (id, tracking_code, category_id, description, geom, channel, status, public, anonymous,
                       generation_id, kelurahan_id, kecamatan_id, service_area_id, skpd_id, routing, routing_flags,
                       created_at, updated_at, followup_due_at, handling_due_at, followed_up_at, resolved_at,
                       closed_at, external_id, h3_cell)
SELECT s.month::bigint * {id_month} + nextval('complaint_id_seq'), s.tracking_code, s.category_id, s.description,
       ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), s.channel,
       s.status, s.public, true, r.generation_id, r.kelurahan_id, r.kecamatan_id, r.service_area_id, r.skpd_id,
       {routing_record},
       r.flags, s.created_at, GREATEST(s.created_at, s.followed_up_at, s.resolved_at, s.closed_at),
       s.followup_due_at, s.handling_due_at, s.followed_up_at, s.resolved_at, s.closed_at, s.external_id,
       s.h3_cell
  FROM staged_complaint s
  JOIN staging_routed r ON r.key = s.key
  JOIN kelurahan k ON k.id = r.kelurahan_id
  JOIN category c ON c.id = s.category_id
  JOIN skpd sk ON sk.id = r.skpd_id
  LEFT JOIN kecamatan kc ON kc.id = r.kecamatan_id
  LEFT JOIN service_area sa ON sa.id = r.service_area_id
 WHERE s.key >= :lo AND s.key < :hi AND r.key >= :lo AND r.key < :hi
 ORDER BY s.created_at, s.key
RETURNING id, status, created_at, followed_up_at, resolved_at, closed_at
), history AS (
INSERT INTO {complaint_event} (complaint_id, kind, from_status, to_status, actor_label, note, public, created_at)
SELECT n.id, e.kind, e.from_status, e.to_status, 'impor / import', e.note, true, e.at
  FROM complaint_rows n
 CROSS JOIN LATERAL (VALUES
       (1, 'created', NULL, 'new', 'Aduan diterima / complaint received', n.created_at),
       (2, 'status', 'verified', 'in_progress', 'Ditindaklanjuti / followed up', n.followed_up_at),
       (3, 'status', 'in_progress', 'resolved', 'Selesai ditangani / resolved', n.resolved_at),
       (4, 'status', CASE WHEN n.status = ANY(:not_a_problem) THEN 'new' ELSE 'resolved' END,
        CASE WHEN n.status = ANY(:not_a_problem) THEN n.status ELSE 'closed' END,
        'Ditutup / closed', n.closed_at)
 ) AS e(step, kind, from_status, to_status, note, at)
 WHERE e.at IS NOT NULL
 {order}
)
SELECT count(*) FROM complaint_rows
""".replace("{routing_record}", ROUTING_RECORD_SQL).replace("{id_month}", str(ID_MONTH))
# Into a partition with its indexes: in time order, so the event indexes are appended to rather than written all
# over. A new month builds its indexes after the rows are in: no order needed.
_EVENT_ORDER = "ORDER BY e.at, n.id, e.step"
