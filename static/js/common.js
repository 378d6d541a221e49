/* Peta Aduan shared map helpers: works offline. With no tile URL configured, kelurahan outlines are the map. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("peta-config");  /* data, not code: the CSP allows no inline script */
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  window.PETA = cfg;

  function t(id, en) { return cfg.lang === "en" ? en : id; }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    });
  }

  /* A Leaflet map with the configured tiles (if any) and kelurahan outlines; fits the city unless told not to. */
  function baseMap(el, opts) {
    opts = opts || {};
    var map = L.map(el, {zoomControl: true, preferCanvas: true, maxZoom: 19});
    map.setView([-2.5, 118.0], 5);  /* Indonesia until the city's outlines arrive and the map fits them */
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, {maxZoom: 19, attribution: cfg.tileAttribution || ""}).addTo(map);
    } else {
      el.style.background = "#eef3f1";
    }
    var outlines = L.geoJSON(null, {
      style: {color: "#0b6e4f", weight: 1, fillColor: "#ffffff", fillOpacity: cfg.tileUrl ? 0 : 0.7},
      onEachFeature: function (f, layer) {
        layer.bindTooltip(escapeHtml(f.properties.name), {sticky: true, direction: "top"});
      },
      interactive: opts.interactiveOutlines !== false
    }).addTo(map);
    map.outlinesReady = getJSON(cfg.outlines).then(function (res) {
      if (res.ok) {
        outlines.addData(res.body);
        el.setAttribute("data-outlines", String(outlines.getLayers().length));
        if (opts.fit !== false && outlines.getLayers().length) map.fitBounds(outlines.getBounds());
      }
      return outlines;
    });
    map.outlines = outlines;
    return map;
  }

  window.PetaAduan = {t: t, escapeHtml: escapeHtml, getJSON: getJSON, baseMap: baseMap, cfg: cfg};
})();
