"""Which charts the performance page shows for a grouping (SVG, rendered on the server)."""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _

from app.planner.charts import bar_chart, line_chart

MAX_BARS = 20


def _labels(table: pd.DataFrame, group: tuple[str, ...]) -> list[str]:
    cols = [{"skpd": "skpd", "kelurahan": "kelurahan", "month": "month"}[g] for g in group]
    return table[cols].astype(str).agg(" · ".join, axis=1).tolist()


def _nan_list(series: pd.Series) -> list[float]:
    return [float(v) for v in pd.to_numeric(series, errors="coerce").fillna(float("nan"))]


def charts_for(table: pd.DataFrame, group: tuple[str, ...]) -> list[str]:
    """Bars of working days and of shares per group (the busiest MAX_BARS), and monthly lines when by month."""
    if table.empty:
        return []
    out = []
    if group != ("month",):
        top = table.sort_values("tickets", ascending=False).head(MAX_BARS)
        labels = _labels(top, group)
        days = {_("Median hari kerja ke tindak lanjut"): "followup_median",
                _("Median hari kerja ke penanganan"): "handling_median"}
        out.append(bar_chart(labels, {name: _nan_list(top[col]) for name, col in days.items()},
                             title=_("Hari kerja (median)")))
        out.append(bar_chart(labels, {
            _("≤ 5 hari kerja (tindak lanjut)"): _nan_list(top["followup_within_5"]),
            _("≤ 15 hari kerja (penanganan)"): _nan_list(top["handling_within_15"]),
        }, unit="%", top=100, title=_("Tepat waktu")))
    if "month" in group:
        monthly = table.groupby("month", sort=True).agg(tickets=("tickets", "sum"), overdue=("open_overdue", "sum"))
        out.append(line_chart(monthly.index.tolist(), {
            _("Aduan"): _nan_list(monthly["tickets"]),
            _("Terbuka & terlambat"): _nan_list(monthly["overdue"]),
        }, title=_("Per bulan")))
    return out


def trend_chart(trend: list) -> str:
    """The monthly report's trend over the last twelve months: complaints, and the shares handled on time."""
    labels = [label for label, _fig in trend]
    return (line_chart(labels, {_("Aduan"): [float(f.tickets) for _l, f in trend]}, title=_("Aduan per bulan"))
            + line_chart(labels, {_("Tindak lanjut tepat waktu (%)"): [f.followup_on_time for _l, f in trend],
                                  _("Penanganan tepat waktu (%)"): [f.handling_on_time for _l, f in trend]},
                         title=_("Tepat waktu (%)")))
