"""What a reporter does through their private link, and the job that closes tickets left without an answer.

The link carries an unguessable token (the reporter row's, not the tracking code, which is shared freely). With
it the reporter may:
- add information or a photo while the ticket is open (kept for staff only: it may name people);
- once it is resolved, within PETA_REOPEN_DAYS working days (default 10): confirm it (→ closed) or reopen it with
  a reason (→ in progress, back to the same SKPD). Reopening keeps the due dates, which run from intake as every
  clock here does: the city has been late since they passed, and the history says so;
- rate the handling (1–5 and a comment) once it is resolved or closed; a later rating replaces the earlier;
- stop (or resume) the messages.
A resolved ticket not confirmed or reopened within the window closes by itself (`close_silent`, a worker job),
recorded in the history. Every change bumps the ticket's version, so a staff page open meanwhile sees a conflict.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aduan import history, notifications
from aduan.clocks import WorkCalendar
from aduan.errors import Conflict, DomainError, NotFound
from aduan.models import Complaint, Rating, Reporter
from aduan.partitions import of_code
from aduan.photos import process_photo
from aduan.queries import public
from aduan.settings import Settings
from aduan.statuses import OPEN_STATUSES
from aduan.text import clean_text, format_moment

C, REPORTER, RATING = Complaint.__table__, Reporter.__table__, Rating.__table__
LABEL = "pelapor / reporter"
SYSTEM = "sistem / system"
MAX_REPLY = 2000
CLOSE_JOB_LOCK = 731_001  # pg advisory lock: one worker closes silent tickets at a time


def _owned(conn: Connection, token: str, *, lock: bool = False) -> dict:
    """The ticket whose reporter holds `token` (locked for a change), or 404."""
    stmt = (select(C.c.id, C.c.tracking_code, C.c.status, C.c.version, C.c.resolved_at, C.c.closed_at,
                   C.c.handling_due_at, C.c.category_id, C.c.public, REPORTER.c.id.label("reporter_id"),
                   REPORTER.c.lang, REPORTER.c.notify)
            .select_from(C.join(REPORTER, REPORTER.c.id == C.c.reporter_id)).where(REPORTER.c.token == token))
    row = conn.execute(stmt.with_for_update(of=C) if lock else stmt).mappings().first()
    if row is None or not token:
        raise NotFound("Tautan tidak dikenal atau sudah tidak berlaku.", "Unknown or expired link.")
    return dict(row)


def window_ends(cal: WorkCalendar, resolved_at: dt.datetime, days: int) -> dt.datetime:
    """The end of the last working day on which a resolution may be confirmed or reopened."""
    return cal.due_at(resolved_at, days)


def page(conn: Connection, token: str, settings: Settings, now: dt.datetime) -> dict:
    """What the private page shows and offers: the reporter's own ticket (unredacted), history, rating, actions."""
    t = _owned(conn, token)
    view = dict(conn.execute(public.public_view().where(C.c.id == t["id"])).mappings().one())
    view["history"] = public.history(conn, t["id"])
    rating = conn.execute(select(RATING.c.score, RATING.c.comment).where(RATING.c.complaint_id == t["id"])).first()
    cal = WorkCalendar.from_connection(conn, settings.timezone)
    ends = window_ends(cal, t["resolved_at"], settings.reopen_days) if t["resolved_at"] else None
    in_window = t["status"] in ("resolved", "closed") and ends is not None and now <= ends
    return {"ticket": view, "notify": t["notify"], "lang": t["lang"], "window_ends": ends,
            "rating": dict(rating._mapping) if rating else None, "sent": _sent(conn, t["id"]),
            "can": {"reply": t["status"] in OPEN_STATUSES, "confirm": t["status"] == "resolved" and in_window,
                    "reopen": in_window, "rate": t["status"] in ("resolved", "closed")}}


_SENT = text("""
SELECT e.created_at, e.note,
       (SELECT count(*) FROM attachment a WHERE a.complaint_id = e.complaint_id AND a.event_id = e.id) AS photos
  FROM complaint_event e
 WHERE e.complaint_id = :id AND e.kind = 'note' AND e.data->>'by' = 'reporter'
 ORDER BY e.created_at, e.id
""")


def _sent(conn: Connection, complaint_id: int) -> list[dict]:
    """What the reporter sent through this page (information, photos, reopening reasons): staff-only steps the
    public history leaves out, shown back to the one who wrote them."""
    return [dict(r) for r in conn.execute(_SENT, {"id": complaint_id}).mappings()]


def reply_text(value: object, field: str) -> str | None:
    """A citizen's text, cleaned; refused when longer than MAX_REPLY rather than cut (nothing they wrote is lost
    without them knowing)."""
    cleaned = clean_text(value, None)
    if cleaned is not None and len(cleaned) > MAX_REPLY:
        raise DomainError(f"Teks terlalu panjang: {len(cleaned)} karakter, paling banyak {MAX_REPLY}.",
                          f"The text is too long: {len(cleaned)} characters, at most {MAX_REPLY}.", field=field)
    return cleaned


def reply(conn: Connection, token: str, note: str, photo: bytes | None, settings: Settings,
          now: dt.datetime) -> int:
    """More information (text and/or one photo) while the ticket is open; staff-only, it may name people."""
    t = _owned(conn, token, lock=True)
    if t["status"] not in OPEN_STATUSES:
        raise Conflict("Aduan sudah selesai; tambahan informasi hanya untuk aduan yang masih terbuka.",
                       "The ticket is no longer open; information can be added to open tickets only.")
    text_ = reply_text(note, "note")
    processed = process_photo(photo, settings.max_upload_bytes) if photo else None
    if not text_ and processed is None:
        raise DomainError("Tulis informasi tambahan atau lampirkan foto.", "Write something or attach a photo.",
                          field="note")
    event_id = history.add_event(conn, t["id"], "note", at=now, actor_label=LABEL, note=text_, public=False,
                                 data={"by": "reporter"})
    if processed is not None:
        history.add_photo(conn, t["id"], event_id, processed, role="report", public=False)
    _touch(conn, t["id"], now)
    return event_id


def confirm(conn: Connection, token: str, settings: Settings, now: dt.datetime) -> None:
    """The reporter confirms the resolution: the ticket closes. Confirming a ticket that is closed already (a
    double tap, a second browser tab, the silence job that got there first) is done, not an error."""
    t = _owned(conn, token, lock=True)
    if t["status"] == "closed":
        return
    _check_window(conn, t, settings, now, "confirm")
    _set_status(conn, t, "closed", now, "Penyelesaian dikonfirmasi pelapor / resolution confirmed by the reporter",
                {"by": "reporter"}, closed_at=now)


def reopen(conn: Connection, token: str, reason: str, settings: Settings, now: dt.datetime) -> None:
    """The reporter says it is not fixed: back to its SKPD, in progress, with the reason for staff."""
    t = _owned(conn, token, lock=True)
    _check_window(conn, t, settings, now, "reopen")
    why = reply_text(reason, "reason")
    if not why:
        raise DomainError("Tuliskan mengapa masalahnya belum beres.", "Say why the problem is not fixed.",
                          field="reason")
    due = t["handling_due_at"]
    data = {"by": "reporter", "reason": why, "previous": {"resolved_at": t["resolved_at"].isoformat()},
            "clocks": "unchanged", "handling_due_at": due.isoformat()}
    day_id, day_en = (format_moment(due, settings.timezone, lang, with_time=False) for lang in ("id", "en"))
    was = due < now
    note = (f"Dibuka kembali oleh pelapor; tenggat tetap dihitung dari tanggal aduan: penanganan "
            f"{'sudah jatuh tempo' if was else 'jatuh tempo'} {day_id} / reopened by the reporter; due dates still "
            f"count from intake: handling {'was' if was else 'is'} due {day_en}")
    _set_status(conn, t, "in_progress", now, note, data, resolved_at=None, closed_at=None)
    history.add_event(conn, t["id"], "note", at=now, actor_label=LABEL, note=why, public=False,
                      data={"by": "reporter"})
    notifications.enqueue(conn, t["id"], "reopened", settings, to_reporter=False)  # followers heard "resolved"


def rate(conn: Connection, token: str, score: object, comment: str | None, now: dt.datetime) -> None:
    """A rating of the handling, 1–5 with an optional comment; once resolved or closed."""
    t = _owned(conn, token)
    if t["status"] not in ("resolved", "closed"):
        raise Conflict("Penilaian dapat diberikan setelah aduan selesai ditangani.",
                       "The handling can be rated once the ticket is resolved.")
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise DomainError("Nilai harus 1 sampai 5.", "The rating must be 1 to 5.", field="score")
    row = {"complaint_id": t["id"], "score": value, "comment": reply_text(comment, "comment"),
           "updated_at": now}
    conn.execute(pg_insert(RATING).values(**row, created_at=now).on_conflict_do_update(
        index_elements=[RATING.c.complaint_id], set_={k: row[k] for k in ("score", "comment", "updated_at")}))
    conn.execute(update(C).where(C.c.id == t["id"]).values(updated_at=now))  # the figures' caches see it


def set_notify(conn: Connection, token: str, on: bool) -> None:
    """Stop (or resume) messages to this reporter; stopping also withdraws those still waiting to be sent."""
    t = _owned(conn, token)
    conn.execute(update(REPORTER).where(REPORTER.c.id == t["reporter_id"]).values(notify=on))
    if not on:
        notifications.withdraw_reporter_messages(conn, t["id"])


def _check_window(conn: Connection, t: dict, settings: Settings, now: dt.datetime, action: str) -> None:
    allowed = ("resolved",) if action == "confirm" else ("resolved", "closed")
    if t["status"] not in allowed or t["resolved_at"] is None:
        raise Conflict("Aduan ini belum/tidak lagi berstatus selesai ditangani.", "The ticket is not resolved.")
    cal = WorkCalendar.from_connection(conn, settings.timezone)
    if now > window_ends(cal, t["resolved_at"], settings.reopen_days):
        raise Conflict(f"Batas {settings.reopen_days} hari kerja setelah penyelesaian sudah lewat; kirim aduan baru.",
                       f"The {settings.reopen_days} working days after the resolution have passed; file a new "
                       "complaint.")


def _set_status(conn: Connection, t: dict, status: str, now: dt.datetime, note: str, data: dict,
                **columns: object) -> None:
    conn.execute(update(C).where(C.c.id == t["id"]).values(status=status, version=C.c.version + 1, updated_at=now,
                                                            **columns))
    history.add_event(conn, t["id"], "status", at=now, from_status=t["status"], to_status=status,
                      actor_label=LABEL if data.get("by") == "reporter" else SYSTEM, note=note, public=True,
                      data=data)


def _touch(conn: Connection, complaint_id: int, now: dt.datetime) -> None:
    conn.execute(update(C).where(C.c.id == complaint_id).values(version=C.c.version + 1, updated_at=now))


_SILENT = text("""
SELECT id, status, resolved_at FROM complaint
 WHERE status = 'resolved' AND resolved_at < :before
 ORDER BY id FOR UPDATE SKIP LOCKED
""")


def close_silent(engine: Engine, settings: Settings, now: dt.datetime | None = None) -> int:
    """Close resolved tickets that got no answer within the window (a worker job); returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        if not conn.execute(select(func.pg_try_advisory_xact_lock(CLOSE_JOB_LOCK))).scalar():
            return 0  # another worker is at it
        cal = WorkCalendar.from_connection(conn, settings.timezone)
        # N working days are at least N calendar days: tickets resolved more recently cannot be due yet.
        rows = conn.execute(_SILENT, {"before": now - dt.timedelta(days=settings.reopen_days)}).mappings().all()
        due = [dict(r) for r in rows if window_ends(cal, r["resolved_at"], settings.reopen_days) < now]
        days = settings.reopen_days
        for t in due:
            _set_status(conn, t, "closed", now,
                        f"Ditutup otomatis: tidak ada tanggapan pelapor dalam {days} hari kerja / closed: no answer "
                        f"from the reporter within {days} working days", {"by": "system", "rule": "silence"},
                        closed_at=now)
        return len(due)


def client_update(conn: Connection, code: str, client_id: int, client_name: str, note: str | None,
                  ref: str | None, reported_status: str | None, now: dt.datetime) -> tuple[int, bool]:
    """A citizen's update sent by a front end over Open311 (e.g. a comment on FixMyStreet): kept for staff, once
    per (client, its update id); returns (event id, created)."""
    t = conn.execute(select(C.c.id).where(C.c.tracking_code == code, of_code(C.c.id, code)).with_for_update()).scalar()
    if t is None:
        raise NotFound(f"service_request_id tidak ditemukan: {code}.", f"service_request_id not found: {code}.")
    if ref:
        seen = conn.execute(text(
            "SELECT id FROM complaint_event WHERE complaint_id = :c AND data->>'client' = :client "
            "AND data->>'ref' = :ref"), {"c": t, "client": str(client_id), "ref": ref}).scalar()
        if seen is not None:
            return seen, False
    data = {"by": "open311", "client": str(client_id), "ref": ref, "reported_status": reported_status}
    event_id = history.add_event(conn, t, "note", at=now, actor_label=f"warga via {client_name}"[:200],
                                 note=reply_text(note, "description"), public=False, data=data)
    _touch(conn, t, now)
    return event_id, True
