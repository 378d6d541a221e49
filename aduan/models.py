"""The data model (SQLAlchemy 2 + GeoAlchemy2). Migrations own the schema; a test checks they agree."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import UserDefinedType

from aduan.partitions import CODE_MONTH_SQL, CREATED_MONTH_SQL
from aduan.permissions import ROLES
from aduan.settings import metric_srid_from_env
from aduan.statuses import ALL_SQL, OPEN_SQL

# The city's metric CRS (UTM 50S for Banjarmasin); fixed into the schema when it is first migrated.
METRIC_SRID = metric_srid_from_env()


class Base(DeclarativeBase):
    pass


class RoutingRecord(UserDefinedType):
    """complaint.routing: stored as the declared composite `routing_record` (migrations 0022, 0024), read and
    written as the dict of its fields. A composite is ~1/6 of `jsonb`'s cost to build and ~2/5 of its bytes to
    store; selecting it as `to_jsonb(...)` keeps every reader's dict (the same keys, numbers and flags list)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "routing_record"

    def bind_processor(self, dialect: Any) -> Any:
        return lambda value: None if value is None else json.dumps(value)

    def bind_expression(self, bindvalue: Any) -> ColumnElement:
        return func.jsonb_populate_record(literal_column("NULL::routing_record"), cast(bindvalue, JSONB),
                                          type_=self)

    def column_expression(self, col: Any) -> ColumnElement:
        return func.to_jsonb(col, type_=JSONB)


ischema_names["routing_record"] = RoutingRecord  # reflected as itself: the models-match-migrations test compares it


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class BoundaryGeneration(Base):
    """One import of boundaries; tickets keep the generation they were routed with."""

    __tablename__ = "boundary_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    report: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _now()
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("boundary_generation_one_active", "active", unique=True, postgresql_where=text("active")),
    )


class Kecamatan(Base):
    """District; parent of kelurahan."""

    __tablename__ = "kecamatan"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("boundary_generation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    __table_args__ = (UniqueConstraint("generation_id", "code"),)


class Kelurahan(Base):
    """Urban village, the smallest administrative area and the first routing step."""

    __tablename__ = "kelurahan"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("boundary_generation.id", ondelete="CASCADE"))
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    kecamatan: Mapped[Kecamatan | None] = relationship()
    __table_args__ = (UniqueConstraint("generation_id", "code"),)


class KelurahanPiece(Base):
    """Subdivided lookup geometry (ST_Subdivide) so point lookups test small polygons."""

    __tablename__ = "kelurahan_piece"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id", ondelete="CASCADE"), index=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("boundary_generation.id", ondelete="CASCADE"))
    geom = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)


class Skpd(Base):
    """A city agency (SKPD/OPD) that receives complaints."""

    __tablename__ = "skpd"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Category(Base):
    """What a citizen reports; an Open311 service."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # Open311 service_code
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_id: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    group_name: Mapped[str | None] = mapped_column(String(100))
    keywords: Mapped[str | None] = mapped_column(Text)
    default_skpd_id: Mapped[int] = mapped_column(ForeignKey("skpd.id"))
    followup_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("5"))
    handling_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("15"))
    confidential: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    duplicate_radius_m: Mapped[int] = mapped_column(Integer, server_default=text("250"))
    attributes: Mapped[list | None] = mapped_column(JSONB)  # Open311 service definition attributes
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    resolve_needs_evidence: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # after-photo + note
    default_skpd: Mapped[Skpd] = relationship()
    __table_args__ = (
        CheckConstraint("followup_days > 0 AND handling_days >= followup_days", name="category_clocks"),
    )


service_area_category = Table(
    "service_area_category",
    Base.metadata,
    Column("service_area_id", ForeignKey("service_area.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ServiceArea(Base):
    """A polygon in which one SKPD handles some categories; versioned by validity."""

    __tablename__ = "service_area"
    id: Mapped[int] = mapped_column(primary_key=True)
    skpd_id: Mapped[int] = mapped_column(ForeignKey("skpd.id"))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    area_m2: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[dt.datetime] = _now()
    valid_to: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    skpd: Mapped[Skpd] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=service_area_category)


class Reporter(Base):
    """Contact data of a citizen (PII): kept apart, never in public views, APIs, exports or tiles."""

    __tablename__ = "reporter"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    device_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()
    lang: Mapped[str] = mapped_column(String(5), server_default=text("'id'"))  # messages in the language they used
    notify: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))  # false: opted out of messages
    token: Mapped[str | None] = mapped_column(String(64), unique=True)  # the private link (not the tracking code)


class Complaint(Base):
    """An aduan: the point, what it is, where it was routed and why, and its clocks.

    Partitioned by month through its id, which carries the city-time month it was created in (aduan/partitions.py,
    migration 0020); the tracking code carries the same month and is unique within it, hence city-wide."""

    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tracking_code: Mapped[str] = mapped_column(String(32))  # unique per monthly partition (partitions_v1.sql)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    # Metric copy for distances and KNN ("nearest first") on a GiST index.
    geom_m = mapped_column(
        Geometry("POINT", srid=METRIC_SRID, spatial_index=True),
        Computed(f"ST_Transform(geom, {METRIC_SRID})", persisted=True),
    )
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(20), server_default=text("'web'"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'new'"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    anonymous: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id", ondelete="SET NULL"))
    # Routing snapshot: never silently recomputed.
    generation_id: Mapped[int] = mapped_column(ForeignKey("boundary_generation.id"))
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id"))
    service_area_id: Mapped[int | None] = mapped_column(ForeignKey("service_area.id"))
    skpd_id: Mapped[int] = mapped_column(ForeignKey("skpd.id"), index=True)
    routing: Mapped[dict] = mapped_column(RoutingRecord)  # what routing decided: rule, flags, distances, names
    routing_manual: Mapped[dict | None] = mapped_column(JSONB)  # a clerk's re-route: from/to, reason, who, when
    routing_flags: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default=text("'{}'"))
    # Clocks (timestamps in UTC; due dates are WITA working-day ends).
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()
    followup_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    handling_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    supporters: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    attributes: Mapped[dict | None] = mapped_column(JSONB)  # answers to the category's Open311 attributes
    channel_ref: Mapped[str | None] = mapped_column(String(300))  # message id, post URL, LAPOR! tracking id
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # clocks start here
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # the desk clerk
    public_description: Mapped[str | None] = mapped_column(Text)  # moderated text; the original stays
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # the officer on it
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))  # optimistic locking
    h3_cell: Mapped[int] = mapped_column(BigInteger, nullable=False)  # at layer_grid.res (geo/cells.py), 0015
    __table_args__ = (
        CheckConstraint(
            f"status {ALL_SQL}",
            name="complaint_status",
        ),
        CheckConstraint("char_length(description) BETWEEN 1 AND 5000", name="complaint_description"),
        # the code names the id's month: a lookup by code reads one partition (aduan/partitions.py, code_span)
        CheckConstraint(CODE_MONTH_SQL, name="complaint_code_month"),
        # created_at lies in the id's month, a day's margin each way in UTC (migration 0021): what lets a query by
        # time read only its months (aduan/partitions.py, created_between)
        CheckConstraint(CREATED_MONTH_SQL, name="complaint_created_month"),
        Index("complaint_created_at", "created_at"),
        Index("complaint_open_due", "skpd_id", "handling_due_at",
              postgresql_where=text(f"status {OPEN_SQL}")),
        Index("complaint_open_geom_m", "geom_m", postgresql_using="gist",
              postgresql_where=text(f"status {OPEN_SQL}")),  # migration 0005
        Index("complaint_resolved_at", "resolved_at", "skpd_id"),  # migration 0006
        Index("complaint_assigned_to", "assigned_to_id",
              postgresql_where=text("assigned_to_id IS NOT NULL")),  # migration 0014
        Index("complaint_cell", "h3_cell", "created_at"),  # migration 0018: tile parts, CLUSTER
        {"postgresql_partition_by": "RANGE (id)"},  # migration 0020
    )


class ComplaintKey(Base):
    """A key that names one complaint for good, across months: a client's idempotency key (`idempotency`) or a
    channel's message reference (`channel`, as `channel:reference`). A unique key on the partitioned complaint
    table would have to hold its id; here the primary key makes the second entry of the same key fail."""

    __tablename__ = "complaint_key"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    __table_args__ = (Index("complaint_key_complaint_id", "complaint_id"),)


class LayerGrid(Base):
    """The one row saying at which H3 resolution and in which time zone the complaint counts are kept."""

    __tablename__ = "layer_grid"
    only_row: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    res: Mapped[int] = mapped_column(SmallInteger)
    tz: Mapped[str] = mapped_column(Text)
    __table_args__ = (CheckConstraint("only_row", name="layer_grid_one_row"),)


class _CountKey:
    """What both count tables count by besides the cell and the date, and the count."""

    category_id: Mapped[int] = mapped_column(Integer)
    skpd_id: Mapped[int] = mapped_column(Integer)
    kelurahan_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    public: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)


_COUNT_KEY = ("category_id", "skpd_id", "kelurahan_id", "status", "public")


class ComplaintCount(_CountKey, Base):
    """Complaints per local day, cell, category, SKPD, kelurahan, status and visibility, kept by triggers in the
    writing transaction (migrations/sql/complaint_count_v1.sql); the layers sum these instead of points."""

    __tablename__ = "complaint_count"
    cell: Mapped[int] = mapped_column(BigInteger)  # first in the key: a tile reads its cells' rows
    day: Mapped[dt.date] = mapped_column(Date)
    # the days at the ends of a period are a range of `day`: without this index each end scans the whole table
    __table_args__ = (PrimaryKeyConstraint("cell", "day", *_COUNT_KEY), Index("complaint_count_day", "day"))


class ComplaintCountMonth(_CountKey, Base):
    """The same counts per calendar month (`month` is its first day): a year of layers sums months, not days."""

    __tablename__ = "complaint_count_month"
    cell: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[dt.date] = mapped_column(Date)
    __table_args__ = (PrimaryKeyConstraint("cell", "month", *_COUNT_KEY),
                      Index("complaint_count_month_month", "month"))


class CellChange(Base):
    """Append-only: a row per (cell, city-time month) whose counts a statement changed; a tile's version is the
    newest id among its cells, a binned tile's part per cell and month the newest of that pair (layers/mvt.py),
    so tiles elsewhere and the other months' parts stay cached."""

    __tablename__ = "cell_change"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    cell: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[dt.date] = mapped_column(Date)
    __table_args__ = (Index("cell_change_cell", "cell", "id"), Index("cell_change_cell_month", "cell", "month", "id"))


class ComplaintEvent(Base):
    """Append-only history: who did what, when, where, with which note. Partitioned with its complaint (by
    complaint_id, the same monthly bounds): a ticket's history is read from one partition."""

    __tablename__ = "complaint_event"
    # each month's history points at that month's complaints (a key per partition, migration 0020)
    complaint_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Sequence("complaint_event_id_seq"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # created, status, note, reroute, support, duplicate
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # the officer's position, read per ticket, never searched by place: no spatial index (migration 0017)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = ({"postgresql_partition_by": "RANGE (complaint_id)"},)


def _event_key(table: str) -> ForeignKeyConstraint:
    """A table's pointer at an event of its own complaint: (complaint_id, event_id), so it is found in that
    complaint's partition; a deleted event leaves event_id NULL and the complaint_id standing."""
    return ForeignKeyConstraint(["complaint_id", "event_id"], ["complaint_event.complaint_id", "complaint_event.id"],
                                name=f"{table}_event_id_fkey", ondelete="SET NULL (event_id)")


class Attachment(Base):
    """A photo, re-encoded without metadata; bytes live in the database so app servers stay stateless."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20), server_default=text("'report'"))  # report, before, after
    public: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = (_event_key("attachment"),)


class Follower(Base):
    """Someone who follows a public ticket by e-mail (double opt-in: confirmed by the link in the first message)."""

    __tablename__ = "follower"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(5), server_default=text("'id'"))
    token: Mapped[str] = mapped_column(String(64), unique=True)  # confirm and unfollow links
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = (UniqueConstraint("complaint_id", "email"),)


class Outbox(Base):
    """A message to a reporter or follower, written in the transaction of the step it tells of; a worker sends it.

    pending → sending (claimed, committed before the attempt) → sent | retry (backoff) | failed; a claim that never
    finished (a worker died mid-send) becomes `unknown` and is not sent again: at most once. A reporter who stops
    messages has those still pending or retrying `withdrawn`.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    follower_id: Mapped[int | None] = mapped_column(ForeignKey("follower.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # received, followed_up, rerouted, resolved, … follow_confirm
    recipient: Mapped[str] = mapped_column(String(20))  # reporter | follower
    channel: Mapped[str] = mapped_column(String(20))  # email | whatsapp
    address: Mapped[str] = mapped_column(String(200))  # PII: staff-only, like the reporter table
    lang: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime] = _now()
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'retry', 'sent', 'failed', 'unknown', 'withdrawn')",
                        name="outbox_status"),
        _event_key("outbox"),
        Index("outbox_complaint_id", "complaint_id"),
        Index("outbox_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'retry')")),
    )


class Rating(Base):
    """The reporter's rating of the handling (1–5 and a comment); one per ticket, the latest counts."""

    __tablename__ = "rating"
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="rating_score"),)


class RemoteMedia(Base):
    """A photo an Open311 client sent as media_url, fetched by the worker (never during the client's request)."""

    __tablename__ = "remote_media"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = _now()
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="remote_media_status"),
        _event_key("remote_media"),
        Index("remote_media_pending", "id", postgresql_where=text("status = 'pending'")),
    )


class User(Base):
    """Staff account; citizens need none."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    skpd_id: Mapped[int | None] = mapped_column(ForeignKey("skpd.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _now()
    skpd: Mapped[Skpd | None] = relationship()
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="app_user_role"),
        CheckConstraint("role NOT IN ('officer','skpd_admin') OR skpd_id IS NOT NULL", name="app_user_skpd"),
    )


class StaffSession(Base):
    """A staff login on the server: the cookie names it by a random token (only its SHA-256 is kept here), and
    deleting the row (logout, an admin) ends the session wherever the cookie went."""

    __tablename__ = "staff_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = (Index("staff_session_user_id", "user_id"),)


class ApiClient(Base):
    """An Open311/API client; only a hash of its key is kept."""

    __tablename__ = "api_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_prefix: Mapped[str] = mapped_column(String(12), index=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _now()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    channels: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # a channel gateway


class Place(Base):
    """A named place people say (patokan): a street, market, mosque, school, bridge; for the search box."""

    __tablename__ = "place"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry(srid=4326, spatial_index=False), nullable=False)
    created_at: Mapped[dt.datetime] = _now()
    __table_args__ = (Index("place_geom", "geom", postgresql_using="gist"),)


# Fuzzy search on the name (pg_trgm), case-insensitive.
Index("place_name_trgm", func.lower(Place.name).label("name_lower"), postgresql_using="gin",
      postgresql_ops={"name_lower": "gin_trgm_ops"})


class DayOff(Base):
    """A city-declared day off (cuti bersama) on top of the national holidays."""

    __tablename__ = "day_off"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class LayerCache(Base):
    """Computed layers and tiles keyed by layer, filters and data version; shared by every app instance."""

    __tablename__ = "layer_cache"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # a cache: losing it on a crash costs only recomputation
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    layer: Mapped[str] = mapped_column(String(40))
    params_hash: Mapped[str] = mapped_column(String(64), index=True)
    data_version: Mapped[str] = mapped_column(String(200))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()


# Open311 servicerequestupdates reads events by time (migration 0008).
Index("complaint_event_created_at", ComplaintEvent.created_at)
# The layer cache's data version reads max(updated_at); this keeps that an index lookup.
Index("complaint_updated_at", Complaint.updated_at)


class RateLimit(Base):
    """Hits per key (e.g. 'submit:IP', 'login:email') and fixed time window, shared by all app instances."""

    __tablename__ = "rate_limit"
    __table_args__ = {"prefixes": ["UNLOGGED"]}
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class AuditLog(Base):
    """One change made on the admin pages, written in the same transaction as the change (aduan/admin.py)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))  # e.g. 'user.create', 'skpd.update', 'service_areas.replace'
    target: Mapped[str | None] = mapped_column(String(200))  # e.g. 'skpd:PUPR'
    detail: Mapped[dict | None] = mapped_column(JSONB)  # before/after; never passwords or keys
    client: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (Index("audit_log_at", "at"), Index("audit_log_action_at", "action", "at"))
