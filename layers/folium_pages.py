"""Folium pages that work offline: every script and stylesheet points at /static/vendor, never a CDN.

Folium's Map pulls Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default; the subclasses below
replace those lists with our vendored Leaflet and leaflet.heat. The basemap is the configured tile URL, or
none at all (kelurahan outlines are drawn instead), so the page makes no request outside the server.
"""
from __future__ import annotations

from html import escape

import folium
from folium.plugins import HeatMap

LEAFLET_JS = "/static/vendor/leaflet-1.9.4/leaflet.js"
LEAFLET_CSS = "/static/vendor/leaflet-1.9.4/leaflet.css"
HEAT_JS = "/static/vendor/leaflet.heat-0.2.0/leaflet-heat.js"


class OfflineMap(folium.Map):
    """A folium Map whose only assets are vendored Leaflet."""

    default_js = [("leaflet", LEAFLET_JS)]
    default_css = [("leaflet_css", LEAFLET_CSS)]


class OfflineHeatMap(HeatMap):
    """folium's HeatMap plugin with the vendored leaflet.heat 0.2.0."""

    default_js = [("leaflet-heat.js", HEAT_JS)]


def heat_page(points: list[list[float]], outlines: dict | None, center: tuple[float, float], *,
              tile_url: str = "", attribution: str = "", title: str = "Peta panas aduan") -> str:
    """A standalone heatmap page (points as [lat, lon, weight]) for display or saving as HTML."""
    m = OfflineMap(location=list(center), zoom_start=12, tiles=None, control_scale=True, prefer_canvas=True)
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution or " ", name="basemap").add_to(m)
    if outlines:
        folium.GeoJson(outlines, name="kelurahan", style_function=lambda _: {
            "color": "#555", "weight": 1, "fill": False}).add_to(m)
    OfflineHeatMap(points, name=title, radius=14, blur=18, min_opacity=0.3, max_zoom=16,
                   gradient={0.2: "#2c7bb6", 0.4: "#abd9e9", 0.6: "#ffffbf", 0.8: "#fdae61", 1.0: "#d7191c"},
                   ).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<title>{escape(title)}</title>"))
    return m.get_root().render()
