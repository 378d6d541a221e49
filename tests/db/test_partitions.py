"""Complaints and their history are partitioned by city-time month (issue 14): ids carry the month, lookups read
one partition, keys hold across months, the coming months are made ahead, and an import of months the city does
not have yet attaches them whole, with the same rows and counts as an insert through the parent."""
from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import and_, column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from aduan import partitions
from aduan.bulk_load import load_complaints
from aduan.intake import Submission, submit
from aduan.partitions import ID_MONTH, month_key, of_code, partition_name
from aduan.queries import public
from layers.counts import drift

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def session(conn):
    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        yield s


def _sub(**kw) -> Submission:
    base = dict(category="jalan-rusak", description="Jalan berlubang di depan pasar", lon=114.51, lat=-3.39)
    return Submission(**(base | kw))


def _frame(days: list[str]) -> pd.DataFrame:
    """A history file: one pin per day, a few statuses, some with their follow-up and resolution times."""
    n = len(days)
    return pd.DataFrame({
        "lon": [114.505 + 0.002 * (i % 5) for i in range(n)], "lat": [-3.395 + 0.002 * (i % 4) for i in range(n)],
        "category": ["jalan-rusak" if i % 2 else "sampah" for i in range(n)],
        "description": [f"riwayat {i}" for i in range(n)], "created_at": days,
        "status": ["closed" if i % 3 else "new" for i in range(n)],
        "followed_up_at": [f"{d} 15:00" if i % 3 else None for i, d in enumerate(days)],
        "closed_at": [f"{d} 18:00" if i % 3 else None for i, d in enumerate(days)],
    })


def _where(conn, complaint_id: int) -> tuple[str, list[str]]:
    """The partition holding a complaint, and those holding its history."""
    table = conn.execute(text("SELECT tableoid::regclass::text FROM complaint WHERE id = :i"), {"i": complaint_id})
    events = conn.execute(text("SELECT DISTINCT tableoid::regclass::text FROM complaint_event "
                               "WHERE complaint_id = :i"), {"i": complaint_id})
    return table.scalar_one(), events.scalars().all()


def test_a_complaint_and_its_history_live_in_the_partition_of_its_city_month(session, conn, settings):
    """A desk entry received last month gets that month in its id and its code, and lands, with its history,
    in that month's partitions; a web report lands in this month's."""
    received = dt.datetime.now(WITA).replace(day=1, hour=9) - dt.timedelta(days=3)
    desk = submit(session, _sub(channel="phone", received_at=received), settings)
    web = submit(session, _sub(), settings)
    for res, when in ((desk, received), (web, dt.datetime.now(WITA))):
        key = month_key(when)
        assert res.complaint_id // ID_MONTH == key
        assert res.tracking_code.split("-")[1] == f"{key % 10000:04d}"
        assert _where(conn, res.complaint_id) == (partition_name("complaint", key),
                                                   [partition_name("complaint_event", key)])


def test_a_lookup_by_id_and_a_tickets_history_read_one_partition(session, conn, settings):
    """The planner prunes every other month: by the complaint's id, and by its id in the history."""
    res = submit(session, _sub(), settings)
    assert len(partitions.month_keys(conn)) >= 4
    for sql in ("SELECT * FROM complaint WHERE id = :i", "SELECT * FROM complaint_event WHERE complaint_id = :i"):
        plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}"), {"i": res.complaint_id}).scalars())
        assert len(set(re.findall(r"complaint(?:_event)?_y\d{4}m\d{2}\b", plan))) == 1, plan


def test_a_lookup_by_tracking_code_reads_its_month_only_and_codes_cannot_lie_about_it(session, conn, settings):
    """The ticket page's query, bounded by the code's month, reads one partition; a row whose code names another
    month than its id is refused (the bound would never find it)."""
    from aduan.queries.public import C as PUBLIC
    from aduan.queries.public import public_view

    res = submit(session, _sub(), settings)
    query = public_view().where(PUBLIC.c.tracking_code == res.tracking_code, of_code(PUBLIC.c.id, res.tracking_code))
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    plan = "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())
    scanned = set(re.findall(r" on (complaint_y\d{4}m\d{2}) complaint\b", plan))  # the ticket, not its original
    assert scanned == {partition_name("complaint", month_key(dt.datetime.now(WITA)))}, plan
    with pytest.raises(IntegrityError, match="complaint_code_month"), conn.begin_nested():
        conn.execute(text("UPDATE complaint SET tracking_code = 'BJM-1901-ABCDEF' WHERE id = :i"),
                     {"i": res.complaint_id})


def test_a_creation_time_moved_out_of_its_ids_month_is_refused(session, conn, settings):
    """created_at must stay in the month its id names, give or take a day in UTC (migration 0021): a query by time
    bounds the id by it, so a row moved out of its month would silently drop out of time-range answers."""
    res = submit(session, _sub(), settings)
    for shift in ("-40 days", "40 days"):
        with pytest.raises(IntegrityError, match="complaint_created_month"), conn.begin_nested():
            conn.execute(text("UPDATE complaint SET created_at = created_at + CAST(:s AS interval) WHERE id = :i"),
                         {"s": shift, "i": res.complaint_id})
    conn.execute(text("UPDATE complaint SET created_at = created_at + interval '1 minute' WHERE id = :i"),
                 {"i": res.complaint_id})


def test_the_check_leaves_a_day_of_margin_in_utc_so_every_zones_month_fits(session, conn, settings):
    """A city month's first and last minutes lie within 14 hours of a UTC month's edge in every zone (UTC+14 to
    UTC-12): the check accepts a day beyond each UTC edge and refuses what lies farther."""
    res = submit(session, _sub(), settings)
    month = res.complaint_id // ID_MONTH
    first = dt.datetime(month // 100, month % 100, 1, tzinfo=dt.UTC)
    after = dt.datetime(partitions.month_after(month) // 100, partitions.month_after(month) % 100, 1, tzinfo=dt.UTC)
    day, minute = dt.timedelta(days=1), dt.timedelta(minutes=1)
    move = text("UPDATE complaint SET created_at = :t WHERE id = :i")
    for kept in (first - day, first - dt.timedelta(hours=14), after + dt.timedelta(hours=14), after + day - minute):
        conn.execute(move, {"t": kept, "i": res.complaint_id})
    for refused in (first - day - minute, after + day):
        with pytest.raises(IntegrityError, match="complaint_created_month"), conn.begin_nested():
            conn.execute(move, {"t": refused, "i": res.complaint_id})


def test_every_months_indexes_are_named_after_their_month_and_parent(conn, settings):
    """complaint_open_geom_m's piece of November 2026 is complaint_y2026m11_open_geom_m, in every way a month is
    made (migration, worker, import): plans name the index they used."""
    load_complaints(conn, _frame(["2019-08-01 09:00"]), settings=settings)
    names = conn.execute(text("SELECT tablename, indexname FROM pg_indexes WHERE tablename ~ '_y[0-9]{4}m[0-9]{2}$'"))
    wrong = [(t, i) for t, i in names if t.rsplit("_", 1)[1] not in i]
    assert wrong == []
    assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'complaint_y2019m08_open_geom_m'")
                        ).scalar() == 1


def test_tracking_codes_are_unique_within_their_month(session, conn, settings):
    """A second ticket with a code already used in its month is refused by the month's unique index."""
    res = submit(session, _sub(), settings)
    with pytest.raises(IntegrityError), conn.begin_nested():
        cols = ("tracking_code, category_id, description, geom, generation_id, kelurahan_id, skpd_id, routing, "
                "created_at, followup_due_at, handling_due_at, h3_cell")
        conn.execute(text(f"INSERT INTO complaint (id, {cols}) SELECT peta_next_complaint_id(:m), {cols} "
                          "FROM complaint WHERE id = :i"),
                     {"m": res.complaint_id // ID_MONTH, "i": res.complaint_id})


def test_an_idempotency_key_and_a_channel_reference_name_one_ticket_across_months(session, conn, settings):
    """The same key sent again a month later returns the first ticket; and the database itself refuses a
    second ticket under a key already used in another month (what a race at a month's edge would try)."""
    last_month = dt.datetime.now(WITA).replace(day=1, hour=9) - dt.timedelta(days=2)
    first = submit(session, _sub(channel="whatsapp", channel_ref="wamid.1", idempotency_key="k-1",
                                 received_at=last_month), settings)
    again = submit(session, _sub(channel="whatsapp", channel_ref="wamid.1"), settings)
    assert (again.created, again.complaint_id) == (False, first.complaint_id)
    other = submit(session, _sub(), settings)
    assert other.complaint_id // ID_MONTH != first.complaint_id // ID_MONTH
    for kind, key in (("idempotency", "api:k-1"), ("channel", "whatsapp:wamid.1")):
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO complaint_key (kind, key, complaint_id) VALUES (:k, :v, :i)"),
                         {"k": kind, "v": key, "i": other.complaint_id})


def _drop_month_if_empty(conn, key: int) -> None:
    for parent in ("complaint_event", "complaint"):
        name = partition_name(parent, key)
        if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
            assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() == 0
            conn.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {name}"))  # a referenced partition
            conn.execute(text(f"DROP TABLE {name}"))


def test_a_desk_entry_dated_into_a_month_nobody_made_makes_it(session, conn, settings):
    """A complaint received ten months ago, when the city had no partition for that month: the month is made
    and the ticket stored in it, in one submission."""
    received = dt.datetime.now(WITA) - dt.timedelta(days=300)
    _drop_month_if_empty(conn, month_key(received))
    res = submit(session, _sub(channel="walk_in", received_at=received), settings)
    assert res.created and month_key(received) in partitions.month_keys(conn)
    assert _where(conn, res.complaint_id)[0] == partition_name("complaint", month_key(received))


def test_the_worker_job_makes_this_month_and_the_next_three(engine, settings):
    """Dropped (empty) partitions of the coming months are made again; a second run makes none."""
    coming = partitions.next_months(dt.datetime.now(WITA).date(), 3)
    with engine.begin() as c:
        _drop_month_if_empty(c, coming[-1])
    assert partitions.ensure_ahead(engine, settings) == [coming[-1]]
    assert partitions.ensure_ahead(engine, settings) == []
    with engine.connect() as c:
        assert set(coming) <= set(partitions.month_keys(c))


def _rows(conn, month: int) -> list[tuple]:
    """What an import stored for a month, without its ids and random codes."""
    return conn.execute(text(
        "SELECT c.description, c.category_id, c.status, c.kelurahan_id, c.skpd_id, c.routing::text, "
        "c.routing_flags, c.h3_cell, c.created_at, c.followup_due_at, c.handling_due_at, c.closed_at, "
        "array_agg((e.kind, e.to_status, e.created_at) ORDER BY e.created_at, e.id) "
        "FROM complaint c JOIN complaint_event e ON e.complaint_id = c.id "
        "WHERE c.id >= :lo AND c.id < :hi GROUP BY c.id ORDER BY c.description"),
        {"lo": month * ID_MONTH, "hi": partitions.month_after(month) * ID_MONTH}).all()


def test_an_import_of_new_months_attaches_them_indexed_with_the_same_rows_and_counts(conn, settings):
    """Months the city has no partition for are loaded as whole partitions: attached, with every index of the
    parents and unique codes, counted; and what is stored equals the same file loaded through the parents."""
    days = [f"2019-03-{d:02d} 09:00" for d in range(1, 29)] + [f"2019-04-{d:02d} 10:00" for d in range(1, 21)]
    for key in (201903, 201904):
        assert key not in partitions.month_keys(conn)
    report = load_complaints(conn, _frame(days), settings=settings)
    assert report.loaded == 48 and {201903, 201904} <= set(partitions.month_keys(conn))
    for parent in partitions.PARENTS:
        wanted = conn.execute(text("SELECT count(*) FROM pg_index WHERE indrelid = CAST(:p AS regclass)"),
                              {"p": parent}).scalar()
        have = conn.execute(text("SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid "
                                 "WHERE i.indrelid = CAST(:t AS regclass)"),
                            {"t": partition_name(parent, 201903)}).scalar()
        assert have == wanted  # each of the parent's indexes has its partition under it
    assert conn.execute(text("SELECT count(*) FROM complaint_count_month WHERE month = '2019-03-01'")).scalar() > 0
    assert drift(conn) == []
    whole = _rows(conn, 201903)
    conn.execute(text("DELETE FROM complaint WHERE id >= :lo AND id < :hi"),
                 {"lo": 201903 * ID_MONTH, "hi": 201905 * ID_MONTH})
    assert load_complaints(conn, _frame(days), settings=settings).loaded == 48  # now through the parents
    assert _rows(conn, 201903) == whole
    assert drift(conn) == []


def test_an_import_stops_no_reader_and_writers_only_while_it_attaches(engine, settings, app):
    """While an import fills and indexes new months, the city keeps writing; from the attach to the commit a
    writer waits (readers never do)."""
    month = 201801
    with engine.connect() as c:
        assert month not in partitions.month_keys(c)
    probe = engine.connect()

    def write() -> None:
        with probe.begin():
            probe.execute(text("SET LOCAL lock_timeout = '300ms'"))
            probe.execute(text("UPDATE complaint SET supporters = supporters WHERE id = 0"))

    def read() -> int:
        with probe.begin():
            probe.execute(text("SET LOCAL lock_timeout = '300ms'"))
            return probe.execute(text("SELECT count(*) FROM complaint")).scalar()

    try:
        with engine.begin() as c:
            assert partitions.detached_month(c, month)
            partitions.index_month(c, month)
            write()
            read()
            partitions.attach_month(c, month)
            read()
            with pytest.raises(OperationalError, match="lock timeout"):
                write()
        write()
    finally:
        probe.close()
        with engine.begin() as c:
            _drop_month_if_empty(c, month)


def test_two_imports_of_the_same_new_month_both_load(engine, settings, app):
    """The second import waits for the first to attach the month, then loads through it."""
    frame = _frame(["2018-06-10 09:00", "2018-06-11 09:00"])
    errors: list[BaseException] = []

    def load() -> None:
        try:
            with engine.begin() as c:
                load_complaints(c, frame, settings=settings)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint WHERE id >= :lo AND id < :hi"),
                         {"lo": 201806 * ID_MONTH, "hi": 201807 * ID_MONTH}).scalar() == 4


def test_an_old_month_is_archived_by_the_documented_statements(engine, settings, app):
    """docs/partitions.md: detach the history, drop it, detach the complaints, drop them, recount: the month is
    gone from the tables and the layers, and nothing else moved."""
    with engine.begin() as c:
        load_complaints(c, _frame(["2017-05-02 09:00", "2017-05-03 09:00"]), settings=settings)
        load_complaints(c, _frame(["2017-06-02 09:00"]), settings=settings)
    with engine.begin() as c:
        for sql in ("ALTER TABLE complaint_event DETACH PARTITION complaint_event_y2017m05",
                    "DROP TABLE complaint_event_y2017m05",
                    "ALTER TABLE complaint DETACH PARTITION complaint_y2017m05", "DROP TABLE complaint_y2017m05",
                    "SELECT peta_recount_complaints()"):
            c.execute(text(sql))
    with engine.connect() as c:
        assert 201705 not in partitions.month_keys(c) and 201706 in partitions.month_keys(c)
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM complaint_count WHERE day < '2017-06-01'")).scalar() == 0
        assert drift(c) == []


def test_a_months_history_points_at_that_months_complaints(session, conn, settings):
    """History for a complaint that does not exist is refused; deleting a complaint takes its history along —
    in a month made with the schema and in one an import attached."""
    load_complaints(conn, _frame(["2019-11-05 09:00"]), settings=settings)
    imported = conn.execute(text("SELECT id FROM complaint WHERE id >= :lo AND id < :hi"),
                            {"lo": 201911 * ID_MONTH, "hi": 201912 * ID_MONTH}).scalar_one()
    for complaint_id in (submit(session, _sub(), settings).complaint_id, imported):
        month = complaint_id // ID_MONTH
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO complaint_event (complaint_id, kind) VALUES (:i, 'note')"),
                         {"i": month * ID_MONTH + 999_999_999})
        conn.execute(text("DELETE FROM complaint WHERE id = :i"), {"i": complaint_id})
        assert conn.execute(text("SELECT count(*) FROM complaint_event WHERE complaint_id = :i"),
                            {"i": complaint_id}).scalar() == 0


@pytest.mark.parametrize("start,end,lo,hi", [
    ("2026-12-01T00:30:00+08:00", None, 202611, None),  # 30 November 16:30 UTC: a day earlier is November
    ("2026-12-02T00:00:00+08:00", "2026-12-30T23:00:00+08:00", 202611, 202701),  # a day's margin both ways
    (None, "2026-12-31T23:30:00+08:00", None, 202702),  # 1 January a day later: January is in
    ("2027-01-01T05:00:00+14:00", "2027-01-01T05:00:00-11:00", 202612, 202702),  # the zones furthest from UTC
])
def test_creation_times_bound_the_ids_a_day_beyond_each_end(start, end, lo, hi):
    """The id bounds of a creation-time range take in the months a day beyond it, in UTC: every zone's month of
    the range is inside, so a row the time condition keeps is never pruned away."""
    cond = partitions.created_between(column("id"), start and dt.datetime.fromisoformat(start),
                                      end and dt.datetime.fromisoformat(end))
    sql = str(cond.compile(compile_kwargs={"literal_binds": True}))
    assert ("id >=" in sql) == (lo is not None) and ("id <" in sql) == (hi is not None), sql
    assert lo is None or f"id >= {lo * ID_MONTH}" in sql
    assert hi is None or f"id < {hi * ID_MONTH}" in sql


def test_a_time_range_reads_only_its_months_and_keeps_every_row_of_them(session, conn, settings):
    """Complaints received on the last evening and first morning of months (city time) are all found by a
    creation-time range with the id bounds, exactly as without them; the plan reads those months only."""
    c = public.C
    month_ago = dt.datetime.now(WITA).replace(day=1, hour=0, minute=30, second=0, microsecond=0)
    edges = [month_ago - dt.timedelta(hours=1), month_ago, month_ago + dt.timedelta(hours=23)]
    for when in edges:
        submit(session, _sub(channel="phone", received_at=when), settings)
    old = month_key(month_ago - dt.timedelta(days=200))
    partitions.ensure_months(conn, [old])
    start, end = edges[0] - dt.timedelta(minutes=1), edges[-1] + dt.timedelta(minutes=1)
    timed = and_(c.c.created_at >= start, c.c.created_at < end)
    bounded = and_(timed, partitions.created_between(c.c.id, start, end))
    both = [conn.execute(select(c.c.id).where(w).order_by(c.c.id)).scalars().all() for w in (timed, bounded)]
    assert len(both[0]) == 3 and both[0] == both[1]
    sql = str(select(c.c.id).where(bounded).compile(dialect=postgresql.dialect(),
                                                    compile_kwargs={"literal_binds": True}))
    plan = "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())
    assert partition_name("complaint", old) not in plan and partition_name("complaint", month_key(month_ago)) in plan
