"""The desk's review queue and the moderation page's reads (no Flask).

A ticket waits for review while it is open, has not been reviewed (no `review` event: aduan/moderation.py), and
either its routing was uncertain — flagged `overlap`, `snapped` or `near_border` by peta_route() (geo/routing.py's
FLAG_NAMES) — or a clerk entered it from another channel (`entered_by_id`). Oldest first: the longest wait is
the first to be checked. Staff read the original text here; the public reads the public view.

The queue filters open tickets with a sequential pass over them (no index serves "flagged or entered, not
reviewed"); a partial index on complaint `WHERE routing_flags <> '{}' OR entered_by_id IS NOT NULL` would be the
schema change if the open backlog grows past what that pass reads quickly.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, text

from aduan.models import Category, Complaint, ComplaintEvent, Kelurahan, Skpd, User
from aduan.permissions import StaffUser
from aduan.queries import tickets
from aduan.statuses import OPEN_STATUSES
from aduan.text import mask_contacts
from geo.routing import FLAG_NAMES

C, CAT, SKPD, KEL = Complaint.__table__, Category.__table__, Skpd.__table__, Kelurahan.__table__
EVENT, USER = ComplaintEvent.__table__, User.__table__
REVIEW_FLAGS = tuple(FLAG_NAMES)  # every flag peta_route() sets asks for a look
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    """One page of the review queue."""

    rows: list[dict]
    total: int
    page: int
    pages: int


def waiting() -> ColumnElement[bool]:
    """Open, flagged or entered by the desk, and not reviewed yet."""
    reviewed = exists().where(EVENT.c.complaint_id == C.c.id, EVENT.c.kind == "review")
    flagged = C.c.routing_flags.overlap(list(REVIEW_FLAGS))
    return and_(C.c.status.in_(OPEN_STATUSES), or_(flagged, C.c.entered_by_id.is_not(None)), ~reviewed)


def review_queue(conn: Connection, page: int = 1, page_size: int = PAGE_SIZE) -> QueuePage:
    """The page-th page of tickets waiting for review, oldest first, with why each is waiting."""
    total = conn.execute(select(func.count()).select_from(C).where(waiting())).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    stmt = (select(C.c.tracking_code, C.c.status, C.c.channel, C.c.created_at, C.c.routing_flags,
                   func.left(C.c.description, 120).label("title"), CAT.c.name_id, CAT.c.name_en,
                   SKPD.c.code.label("skpd_code"), KEL.c.name.label("kelurahan"),
                   func.coalesce(USER.c.name, USER.c.email).label("entered_by"))
            .select_from(C.join(CAT, CAT.c.id == C.c.category_id).join(SKPD, SKPD.c.id == C.c.skpd_id)
                         .join(KEL, KEL.c.id == C.c.kelurahan_id).outerjoin(USER, USER.c.id == C.c.entered_by_id))
            .where(waiting()).order_by(C.c.created_at, C.c.id).limit(page_size).offset((page - 1) * page_size))
    return QueuePage([dict(r) for r in conn.execute(stmt).mappings()], total, page, pages)


_EXTRA = text("""
SELECT c.public_description, c.entered_by_id IS NOT NULL AS entered,
       EXISTS (SELECT 1 FROM complaint_event e WHERE e.complaint_id = c.id AND e.kind = 'review') AS reviewed
  FROM complaint c WHERE c.id = :id
""")
_PHOTO_STEPS = text("""
SELECT a.id, coalesce(e.public, true) AS step_public FROM attachment a
  LEFT JOIN complaint_event e ON e.id = a.event_id WHERE a.complaint_id = :id
""")


def moderation_ticket(conn: Connection, user: StaffUser, code: str) -> dict:
    """The staff ticket (original text, every photo, history) plus what moderation needs: the public text, whether
    each photo may be shown publicly, and whether the ticket waits for review."""
    t = tickets.staff_ticket(conn, user, code)
    t.update(conn.execute(_EXTRA, {"id": t["id"]}).mappings().one())
    steps = dict(conn.execute(_PHOTO_STEPS, {"id": t["id"]}).all())
    t["photos"] = [{**p, "step_public": steps.get(p["id"], True)} for p in t["photos"]]
    t["public_text"] = mask_contacts(t["public_description"] or t["description"])  # as the public reads it
    t["waiting"] = not t["reviewed"] and t["status"] in OPEN_STATUSES and (
        t["entered"] or bool(set(t["routing_flags"] or []) & set(REVIEW_FLAGS)))
    return t
