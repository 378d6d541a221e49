"""SKPD performance against the clocks, computed from the tickets (nothing stored): per SKPD, kelurahan and/or
month, and a last city-wide row (`scope` "city", its group keys empty) — tickets, median and mean working days
to follow-up and to handling (resolution), the share followed up within 5 and handled within 15 working days,
and open tickets now overdue.

Working days use the same calendar as the due dates (weekends, national holidays, city days off, WITA); the
intake day is not counted. A ticket counts toward a share only once it can be judged: it was followed up
(resolved), or more than 5 (15) working days have passed without it. Shares are percentages.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, exists, func, select

from aduan.clocks import WorkCalendar
from aduan.errors import DomainError
from aduan.models import Complaint, ComplaintEvent, Kelurahan, Rating, Skpd
from aduan.statuses import OPEN_STATUSES
from layers.cache import cached_frame
from layers.filters import LayerFilter

GROUPS = ("skpd", "kelurahan", "month")
SUMMARY = ("tickets", "followup_median", "followup_mean", "handling_median", "handling_mean", "followup_within_5",
           "handling_within_15", "open_overdue", "ratings", "rating_mean", "reopen_rate")
_KEYS = {"skpd": ["skpd_code", "skpd"], "kelurahan": ["kelurahan_code", "kelurahan"], "month": ["month"]}


def _tickets(flt: LayerFilter) -> Select:
    """What the figures are computed from: one row per matching ticket with its SKPD, kelurahan, month and clocks."""
    c, s, k, r, e = (Complaint.__table__, Skpd.__table__, Kelurahan.__table__, Rating.__table__,
                     ComplaintEvent.__table__)
    reopened = exists().where(e.c.complaint_id == c.c.id, e.c.kind == "status", e.c.to_status == "in_progress",
                              e.c.data["by"].astext == "reporter")
    return (select(s.c.code.label("skpd_code"), s.c.name.label("skpd"), k.c.code.label("kelurahan_code"),
                   k.c.name.label("kelurahan"), func.to_char(func.timezone(flt.tz, c.c.created_at), "YYYY-MM")
                   .label("month"), c.c.status, c.c.created_at, c.c.followed_up_at, c.c.resolved_at,
                   c.c.followup_due_at, c.c.handling_due_at, r.c.score, reopened.label("reopened"))
            .select_from(c.join(s, s.c.id == c.c.skpd_id).join(k, k.c.id == c.c.kelurahan_id)
                         .outerjoin(r, r.c.complaint_id == c.c.id))
            .where(flt.condition(c)))


def parse_group(raw: str | None) -> tuple[str, ...]:
    """`skpd`, `skpd,month`, … in canonical order; anything else is a 400."""
    asked = [g.strip() for g in (raw or "skpd").split(",") if g.strip()]
    if not asked or set(asked) - set(GROUPS):
        raise DomainError("Pengelompokan: skpd, kelurahan, month (dipisah koma).",
                          "Group by: skpd, kelurahan, month (comma-separated).", field="group")
    return tuple(g for g in GROUPS if g in asked)


def working_days(cal: WorkCalendar, start: pd.Series, end: pd.Series) -> np.ndarray:
    """Working days from the day after `start` to `end`'s day inclusive (never negative); NaN where `end` is
    missing. The calendar's own count, vectorised."""
    out = np.full(len(start), np.nan)
    ok = end.notna().to_numpy()
    if ok.any():
        out[ok] = np.maximum(cal.working_days_between_many(start[ok], end[ok]), 0)
    return out


def _per_ticket(frame: pd.DataFrame, cal: WorkCalendar, now: dt.datetime) -> pd.DataFrame:
    now_s = pd.Series(pd.Timestamp(now), index=frame.index)
    elapsed = working_days(cal, frame["created_at"], now_s)
    f = frame.assign(wd_followup=working_days(cal, frame["created_at"], frame["followed_up_at"]),
                     wd_handling=working_days(cal, frame["created_at"], frame["resolved_at"]))
    f["judge5"] = f["followed_up_at"].notna() | (elapsed > 5)
    f["judge15"] = f["resolved_at"].notna() | (elapsed > 15)
    f["ok5"] = f["wd_followup"] <= 5
    f["ok15"] = f["wd_handling"] <= 15
    is_open = f["status"].isin(OPEN_STATUSES)
    f["overdue"] = is_open & (((f["followed_up_at"].isna()) & (f["followup_due_at"] < now_s))
                              | (f["handling_due_at"] < now_s))
    return f


def _share(ok: pd.Series, judged: pd.Series) -> float:
    n = int(judged.sum())
    return round(100.0 * float((ok & judged).sum()) / n, 1) if n else float("nan")


def _summarise(g: pd.DataFrame) -> pd.Series:
    return pd.Series({
        "tickets": len(g),
        "followup_median": g["wd_followup"].median(), "followup_mean": round(g["wd_followup"].mean(), 2),
        "handling_median": g["wd_handling"].median(), "handling_mean": round(g["wd_handling"].mean(), 2),
        "followup_within_5": _share(g["ok5"], g["judge5"]), "handling_within_15": _share(g["ok15"], g["judge15"]),
        "open_overdue": int(g["overdue"].sum()),
        "ratings": int(g["score"].notna().sum()),
        "rating_mean": round(float(g["score"].mean()), 2) if g["score"].notna().any() else float("nan"),
        "reopen_rate": _share(g["reopened"], g["resolved_at"].notna() | g["reopened"]),
    })


def performance_table(conn: Connection, flt: LayerFilter, group: tuple[str, ...], now: dt.datetime) -> pd.DataFrame:
    """One row per group with the numbers above."""
    frame = pd.DataFrame(conn.execute(_tickets(flt)).mappings().all(),
                         columns=["skpd_code", "skpd", "kelurahan_code", "kelurahan", "month", "status", "created_at",
                                  "followed_up_at", "resolved_at", "followup_due_at", "handling_due_at", "score",
                                  "reopened"])
    keys = [k for g in group for k in _KEYS[g]]
    if frame.empty:
        return pd.DataFrame(columns=keys + list(SUMMARY) + ["scope"])
    for col in ("created_at", "followed_up_at", "resolved_at", "followup_due_at", "handling_due_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    frame["reopened"] = frame["reopened"].astype(bool)
    per = _per_ticket(frame, WorkCalendar.from_connection(conn, flt.tz), now)
    out = per.groupby(keys, sort=True)[list(per.columns)].apply(_summarise).reset_index().assign(scope="group")
    city = _summarise(per).to_frame().T.assign(scope="city")  # the city-wide row, last; its keys are empty
    out = pd.concat([out, city], ignore_index=True)
    return out.astype({"tickets": int, "open_overdue": int, "ratings": int})


def performance(conn: Connection, flt: LayerFilter, group: tuple[str, ...], now: dt.datetime | None = None
                ) -> pd.DataFrame:
    """Cached per filter, grouping and hour (overdue counts move with the clock)."""
    now = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    params = {"filter": flt.key(), "group": list(group), "hour": now.strftime("%Y-%m-%dT%H")}
    return cached_frame(conn, "performance", params, lambda: performance_table(conn, flt, group, now))
