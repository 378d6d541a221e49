"""Planner pages: the layer map, SKPD performance, exports. Each view parses, calls one function, serialises."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, json, render_template, request
from flask_babel import gettext as _

from aduan.errors import NotFound
from aduan.queries import reference
from app import current_settings
from app.auth.session import current_user
from app.db import read_engine
from app.errors import Answer, page_shape, problem
from app.http import csp, not_modified, validated, validator
from app.i18n import current_lang
from app.planner import exports
from app.planner.pdf import html_to_pdf
from app.planner.report import charts_for, trend_chart
from layers import catalog
from layers.cache import data_version
from layers.choropleth import kelurahan_geometries
from layers.filters import LayerFilter, check_codes, parse_filter
from layers.folium_pages import heat_page
from layers.heat import heat_points
from layers.performance import parse_group, performance
from layers.statement import cached_sentences, month_of, monthly_report

bp = Blueprint("planner", __name__)
PRIVATE = "private, max-age=60"  # a staff session may see more than the public: no shared caches



def _filter(conn, *, aggregate: bool = True) -> LayerFilter:
    """The request's filter. Logged-in staff see confidential complaints in aggregates (so every SKPD appears
    in the performance report); exports, which leave the building, hold public complaints only."""
    flt = parse_filter(request.args, current_settings().timezone)
    check_codes(conn, flt)
    if aggregate and current_user() is not None:
        flt = replace(flt, public_only=False)
    return flt


def _choices(conn) -> dict:
    return {"categories": reference.category_choices(conn), "skpd": reference.skpd_choices(conn)}


def _json(doc: dict, mimetype: str = "application/geo+json") -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), mimetype=mimetype, headers={"Cache-Control": PRIVATE})


@bp.get("/")
def map_page():
    with read_engine().connect() as conn:
        flt = parse_filter({}, current_settings().timezone)
        return render_template("planner/map.html", choices=_choices(conn), center=reference.city_centre(conn),
                               flt=flt, months=[m.isoformat()[:7] for m in flt.months()], layers=catalog.LAYERS)


@bp.get("/layers/<name>.geojson")
def layer(name: str):
    settings = current_settings()
    with read_engine().begin() as conn:
        flt = _filter(conn)
        etag = validator(flt.key(), data_version(conn), settings.h3_resolution)
        if (unchanged := not_modified(etag, PRIVATE)) is not None:
            return unchanged
        return validated(_json(catalog.layer(conn, name, flt, settings)), etag, PRIVATE)


@bp.get("/heat")
def heat():
    s = current_settings()
    with read_engine().connect() as conn:
        flt = _filter(conn)
        outlines = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": g, "properties": {
            "code": c}} for c, g in kelurahan_geometries(conn).items()]}
        html = heat_page(heat_points(conn, flt), outlines, reference.city_centre(conn), tile_url=s.tile_url,
                         attribution=s.tile_attribution, title=_("Peta panas aduan"))
    # Folium writes its map as inline script: this page alone allows that (it holds aggregated public data only).
    policy = csp(s.tile_url).replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": policy})


def _performance():
    group = parse_group(request.args.get("group"))
    with read_engine().begin() as conn:
        flt = _filter(conn)
        return flt, group, performance(conn, flt, group)


@bp.get("/performance")
def performance_page():
    flt, group, table = _performance()
    rows, city = table[table["scope"] != "city"], table[table["scope"] == "city"]
    with read_engine().begin() as conn:  # begin: the statement is cached on commit
        choices = _choices(conn)
        words = cached_sentences(conn, flt, current_lang(), current_settings().city_name)
    return render_template("planner/performance.html", table=rows, city=city.to_dict(orient="records"),
                           group=group, flt=flt, choices=choices, charts=charts_for(rows, group), words=words,
                           query=request.query_string.decode(), group_links=_group_links())


def _group_links() -> list[tuple[str, str, str]]:
    args = {k: v for k, v in request.args.items() if k != "group"}
    groups = [("skpd", "SKPD"), ("skpd,kelurahan", "SKPD · kelurahan"),
              ("skpd,month", _("SKPD · bulan")),
              ("skpd,kelurahan,month", _("SKPD · kelurahan · bulan")),
              ("month", _("Bulan"))]
    return [(g, label, "?" + urlencode({**args, "group": g})) for g, label in groups]




def _report() -> tuple[dict, str]:
    settings = current_settings()
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    start, _end = month_of(request.args.get("bulan"), today)
    with read_engine().connect() as conn:
        data = monthly_report(conn, start, settings.timezone, current_lang(), settings.city_name,
                              public_only=current_user() is None)
    return data, start.strftime("%Y-%m")


@bp.get("/laporan")
def monthly_report_page():
    """The month's report for the mayor's office, to print (A4 print styles) or download as PDF."""
    data, month = _report()
    return render_template("planner/report.html", r=data, month=month, inline_css=None,
                           trend_svg=trend_chart(data["trend"]))


@bp.get("/laporan.pdf")
def monthly_report_pdf():
    data, month = _report()
    css = (Path(current_app.static_folder) / "css" / "report.css").read_text(encoding="utf-8")
    html = render_template("planner/report.html", r=data, month=month, inline_css=css,
                           trend_svg=trend_chart(data["trend"]))
    return _download(html_to_pdf(html), "application/pdf", f"laporan-aduan-{month}.pdf")


@bp.get("/performance.csv")
def performance_csv():
    flt, group, table = _performance()
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return _download(buf.getvalue().encode(), "text/csv", f"kinerja-skpd-{'-'.join(group)}.csv")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/export/<name>.<fmt>")
def export(name: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise NotFound(f"Format '{fmt}' tidak ada (geojson, csv, gpkg).", f"No format '{fmt}' (geojson, csv, gpkg).")
    if name not in ("complaints", *catalog.LAYERS):
        raise NotFound(f"Layer '{name}' tidak ada.", f"No layer '{name}'.")
    with read_engine().begin() as conn:
        fc = catalog.export_collection(conn, name, _filter(conn, aggregate=False), current_settings())
    today = dt.datetime.now(ZoneInfo(current_settings().timezone)).date().isoformat()
    return _download(exports.render(fc, fmt, name), exports.FORMATS[fmt], f"peta-aduan-{name}-{today}.{fmt}")


_page = page_shape("planner/error.html")


def error_shape(answer: Answer):
    """HTML pages show the message; data endpoints (and clients that want no HTML) get problem details."""
    if request.path.endswith((".geojson", ".csv", ".gpkg")) or not request.accept_mimetypes.accept_html:
        return problem(answer)
    return _page(answer)
