"""The city's own statement of service, computed from its tickets: "November 2026: 1.234 aduan; tindak lanjut
rata-rata 1,5 hari kerja (standar 5), 96% tepat waktu; penanganan rata-rata 3,5 hari kerja (standar 15), 98% tepat
waktu" — for the whole city, per SKPD and per channel, with the re-route (forwarding) rate.

Two day bases, both stated: working days as the due dates count them (layers/performance.py: from the day after
intake to the day it happened, weekends, holidays and city days off left out) and calendar days (elapsed time / 24 h).
On time means by the ticket's own due moment (its category's standard), so a category with a 3-day standard is
judged by 3; a ticket counts once it can be judged (done, or its due moment has passed). Numbers are written in the
reader's locale by Babel (Indonesian decimal comma and thousands dot).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import Connection, and_, exists, func, not_, select

from aduan.channels import channel_name
from aduan.clocks import WorkCalendar
from aduan.errors import DomainError
from aduan.models import Complaint, ComplaintEvent, Kelurahan, Skpd
from layers.cache import cached_bytes
from layers.filters import LayerFilter, next_month
from layers.performance import working_days

STANDARD_FOLLOWUP, STANDARD_HANDLING = 5, 15  # the city's service standard (a category may set its own)


@dataclass(frozen=True)
class Figures:
    """One group's figures; NaN where nothing could be judged yet."""

    tickets: int
    followup_mean: float
    followup_median: float
    followup_mean_calendar: float
    followup_on_time: float  # percent of the judged tickets
    handling_mean: float
    handling_median: float
    handling_mean_calendar: float
    handling_on_time: float
    rerouted: float  # percent of the tickets sent on to another SKPD


@dataclass(frozen=True)
class Statement:
    start: dt.date
    end: dt.date  # exclusive
    city: Figures
    by_skpd: list[tuple[str, str, Figures]]  # code, name, figures
    by_channel: list[tuple[str, Figures]]


COLUMNS = ["skpd_code", "skpd", "skpd_en", "kelurahan", "month", "channel", "created_at", "followed_up_at",
           "resolved_at", "followup_due_at", "handling_due_at", "rerouted"]


def _frame(conn: Connection, flt: LayerFilter) -> pd.DataFrame:
    c, s, k, e = Complaint.__table__, Skpd.__table__, Kelurahan.__table__, ComplaintEvent.__table__
    # an automatic re-route records its SKPDs at the top of its data; older versions also wrote one where the SKPD
    # stayed (a boundary file imported again), which forwarded nothing
    same_skpd = and_(e.c.data["from_skpd"].astext.is_not(None),
                     e.c.data["from_skpd"].astext == e.c.data["to_skpd"].astext)
    rerouted = exists().where(e.c.complaint_id == c.c.id, e.c.kind == "reroute", not_(same_skpd))
    rows = conn.execute(
        select(s.c.code.label("skpd_code"), s.c.name.label("skpd"), s.c.name_en.label("skpd_en"),
               k.c.name.label("kelurahan"),
               func.to_char(func.timezone(flt.tz, c.c.created_at), "YYYY-MM").label("month"), c.c.channel,
               c.c.created_at, c.c.followed_up_at, c.c.resolved_at, c.c.followup_due_at, c.c.handling_due_at,
               rerouted.label("rerouted"))
        .select_from(c.join(s, s.c.id == c.c.skpd_id).join(k, k.c.id == c.c.kelurahan_id))
        .where(flt.condition(c))).mappings().all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("created_at", "followed_up_at", "resolved_at", "followup_due_at", "handling_due_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame["rerouted"] = frame["rerouted"].astype(bool)
    return frame


def _clocks(frame: pd.DataFrame, cal: WorkCalendar, now: dt.datetime) -> pd.DataFrame:
    """Per ticket: days to follow-up and handling on both bases, and whether each was judged and on time."""
    now_ts = pd.Timestamp(now)
    f = frame.assign(
        wd_followup=working_days(cal, frame["created_at"], frame["followed_up_at"]),
        wd_handling=working_days(cal, frame["created_at"], frame["resolved_at"]),
        cd_followup=(frame["followed_up_at"] - frame["created_at"]).dt.total_seconds() / 86400,
        cd_handling=(frame["resolved_at"] - frame["created_at"]).dt.total_seconds() / 86400)
    f["judged_followup"] = f["followed_up_at"].notna() | (f["followup_due_at"] < now_ts)
    f["judged_handling"] = f["resolved_at"].notna() | (f["handling_due_at"] < now_ts)
    f["ok_followup"] = f["followed_up_at"].notna() & (f["followed_up_at"] <= f["followup_due_at"])
    f["ok_handling"] = f["resolved_at"].notna() & (f["resolved_at"] <= f["handling_due_at"])
    return f


def _pct(ok: pd.Series, judged: pd.Series) -> float:
    n = int(judged.sum())
    return 100.0 * float((ok & judged).sum()) / n if n else math.nan


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if values.notna().any() else math.nan


def figures(f: pd.DataFrame) -> Figures:
    """The figures of one group of tickets (rows of `_clocks`)."""
    return Figures(
        tickets=len(f), followup_mean=_mean(f["wd_followup"]), followup_median=float(np.nanmedian(f["wd_followup"]))
        if f["wd_followup"].notna().any() else math.nan, followup_mean_calendar=_mean(f["cd_followup"]),
        followup_on_time=_pct(f["ok_followup"], f["judged_followup"]),
        handling_mean=_mean(f["wd_handling"]), handling_median=float(np.nanmedian(f["wd_handling"]))
        if f["wd_handling"].notna().any() else math.nan, handling_mean_calendar=_mean(f["cd_handling"]),
        handling_on_time=_pct(f["ok_handling"], f["judged_handling"]),
        rerouted=100.0 * float(f["rerouted"].mean()) if len(f) else math.nan)


def _skpd_name(group: pd.DataFrame, lang: str) -> str:
    """The SKPD's name in the reader's language (its English name where the city gave one)."""
    name_en = group["skpd_en"].iloc[0]
    return str(name_en) if lang == "en" and isinstance(name_en, str) and name_en else str(group["skpd"].iloc[0])


def statement(conn: Connection, flt: LayerFilter, now: dt.datetime | None = None, lang: str = "id") -> Statement:
    """The city's figures for the filter's period, with the same per SKPD (named in `lang`) and per channel."""
    now = now or dt.datetime.now(dt.UTC)
    per = _clocks(_frame(conn, flt), WorkCalendar.from_connection(conn, flt.tz), now)
    by_skpd = [(code, _skpd_name(g, lang), figures(g)) for code, g in per.groupby("skpd_code", sort=True)]
    by_channel = [(str(ch), figures(g)) for ch, g in per.groupby("channel", sort=True)]
    return Statement(flt.start, flt.end, figures(per), by_skpd, by_channel)


def cached_sentences(conn: Connection, flt: LayerFilter, lang: str, city_name: str,
                     now: dt.datetime | None = None) -> dict:
    """`sentences` of the filter's period, cached per data version and hour like the performance table."""
    now = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    params = {"filter": flt.key(), "lang": lang, "city": city_name, "hour": now.strftime("%Y-%m-%dT%H")}
    payload = cached_bytes(conn, "statement", params, lambda: json.dumps(
        sentences(statement(conn, flt, now, lang), lang, city_name)).encode())
    return json.loads(payload)


WORST_MIN_TICKETS = 5  # a kelurahan with fewer judged tickets says little about its service


def monthly_report(conn: Connection, start: dt.date, tz: str, lang: str, city_name: str, *,
                   public_only: bool = True, now: dt.datetime | None = None) -> dict:
    """The mayor's monthly report: the month's statement, the last twelve months' trend, the worst-served
    kelurahan (lowest share handled on time, at least WORST_MIN_TICKETS judged) and the SKPD figures."""
    now = now or dt.datetime.now(dt.UTC)
    end = next_month(start)
    first = start
    for _ in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    year = LayerFilter(first, end, tz=tz, public_only=public_only)
    per = _clocks(_frame(conn, year), WorkCalendar.from_connection(conn, tz), now)
    month = per[per["month"] == start.strftime("%Y-%m")]
    st = Statement(start, end, figures(month),
                   [(code, _skpd_name(g, lang), figures(g)) for code, g in month.groupby("skpd_code", sort=True)],
                   [(str(ch), figures(g)) for ch, g in month.groupby("channel", sort=True)])
    trend = []
    m = first
    while m < end:
        nxt = next_month(m)
        trend.append((m.strftime("%Y-%m"), figures(per[per["month"] == m.strftime("%Y-%m")])))
        m = nxt
    worst = []
    for name, g in month.groupby("kelurahan", sort=True):
        fig = figures(g)
        if int(g["judged_handling"].sum()) >= WORST_MIN_TICKETS and not math.isnan(fig.handling_on_time):
            worst.append((str(name), fig))
    worst.sort(key=lambda item: (item[1].handling_on_time, -item[1].tickets))
    return {"words": sentences(st, lang, city_name), "city": st.city, "skpd": st.by_skpd, "trend": trend,
            "worst": worst[:10], "min_tickets": WORST_MIN_TICKETS}


def month_of(raw: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, first day of the next month) of `YYYY-MM`, by default the last full month; a month in the
    future or more than five years back is refused."""
    if not raw:
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    else:
        try:
            first = dt.date.fromisoformat(f"{raw.strip()}-01")
        except ValueError:
            raise DomainError("Bulan harus berbentuk TTTT-BB, mis. 2026-11.",
                              "The month must look like YYYY-MM, e.g. 2026-11.", field="bulan") from None
        if first > today or first.year < today.year - 5:
            raise DomainError("Bulan di luar rentang (lima tahun terakhir).",
                              "The month is out of range (the last five years).", field="bulan")
    return first, next_month(first)


def public_statement(conn: Connection, start: dt.date, end: dt.date, tz: str, lang: str, city_name: str) -> dict:
    """The transparency page's figures: the city line counts every ticket (confidential categories too, as
    numbers only); the per-SKPD lines count public tickets only, so a confidential category is never singled out."""
    every = LayerFilter(start, end, tz=tz, public_only=False)
    public = LayerFilter(start, end, tz=tz, public_only=True)
    city = cached_sentences(conn, every, lang, city_name)
    return {"period": city["period"], "city": city["city"],
            "skpd": cached_sentences(conn, public, lang, city_name)["skpd"]}


def period_label(start: dt.date, end: dt.date, lang: str) -> str:
    """'November 2026' for a calendar month, else '1 Sep 2026 – 31 Okt 2026' (end inclusive)."""
    last = end - dt.timedelta(days=1)
    if start.day == 1 and (last + dt.timedelta(days=1)).day == 1 and (start.year, start.month) == (last.year,
                                                                                                last.month):
        return format_date(start, "MMMM y", locale=lang)
    return f"{format_date(start, 'd MMM y', locale=lang)} – {format_date(last, 'd MMM y', locale=lang)}"


def number(value: float, lang: str, decimals: int = 1) -> str:
    """1,5 (id) or 1.5 (en); an en dash when there is no figure."""
    if value is None or math.isnan(value):
        return "–"
    return format_decimal(value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=lang)


def sentence(fig: Figures, lang: str, label: str | None = None) -> str:
    """The statement in plain words, e.g. for the city or one SKPD or channel."""
    n = lambda v, d=1: number(v, lang, d)  # noqa: E731 - a local shorthand
    head = f"{label}: " if label else ""
    if lang == "en":
        return (f"{head}{n(fig.tickets, 0)} complaints; followed up in {n(fig.followup_mean)} working days on average "
                f"(median {n(fig.followup_median)}; {n(fig.followup_mean_calendar)} calendar days; standard "
                f"{STANDARD_FOLLOWUP}), {n(fig.followup_on_time, 0)}% on time; handled in {n(fig.handling_mean)} "
                f"working days on average (median {n(fig.handling_median)}; {n(fig.handling_mean_calendar)} calendar "
                f"days; standard {STANDARD_HANDLING}), {n(fig.handling_on_time, 0)}% on time; "
                f"{n(fig.rerouted, 0)}% forwarded to another agency.")
    return (f"{head}{n(fig.tickets, 0)} aduan; tindak lanjut rata-rata {n(fig.followup_mean)} hari kerja "
            f"(median {n(fig.followup_median)}; {n(fig.followup_mean_calendar)} hari kalender; standar "
            f"{STANDARD_FOLLOWUP}), {n(fig.followup_on_time, 0)}% tepat waktu; penanganan rata-rata "
            f"{n(fig.handling_mean)} hari kerja (median {n(fig.handling_median)}; {n(fig.handling_mean_calendar)} "
            f"hari kalender; standar {STANDARD_HANDLING}), {n(fig.handling_on_time, 0)}% tepat waktu; "
            f"{n(fig.rerouted, 0)}% dialihkan ke SKPD lain.")


def sentences(st: Statement, lang: str, city_name: str) -> dict:
    """The city's sentence and one per SKPD and per channel, ready to print."""
    period = period_label(st.start, st.end, lang)
    return {"period": period,
            "city": sentence(st.city, lang, f"{city_name}, {period}"),
            "skpd": [(code, sentence(fig, lang, name)) for code, name, fig in st.by_skpd],
            "channel": [(ch, sentence(fig, lang, channel_name(ch, lang))) for ch, fig in st.by_channel]}
