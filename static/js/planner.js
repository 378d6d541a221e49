/* Planner layer map: switchable layers with legends, filters, a month slider, popups with the numbers.
   Everything comes from this server (/planner/layers/*.geojson); no CDN, no external basemap unless configured. */
(function () {
  "use strict";
  var el = document.getElementById("planner-map");
  var en = el.dataset.lang === "en";
  var t = function (id, eng) { return en ? eng : id; };
  var LABELS = JSON.parse(el.dataset.labels || "{}");  // legend keys and pattern names, from the page's catalog
  var label = function (key) { return LABELS[key] || key; };
  var base = el.dataset.base;
  var months = el.dataset.months.split(",");
  var center = el.dataset.center.split(",").map(Number);
  var map = L.map(el, { preferCanvas: true }).setView(center, 12);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var state = window.plannerState = { layer: null, features: 0, loading: false, requests: 0 };
  var current = null, outlines = null, legend = L.control({ position: "bottomright" });
  legend.onAdd = function () { this._div = L.DomUtil.create("div", "legend"); return this._div; };
  legend.addTo(map);

  var SEQ = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];
  var DIV = { "-3": "#2166ac", "-2": "#67a9cf", "-1": "#d1e5f0", "0": "#f7f7f7", "1": "#fddbc7", "2": "#ef8a62", "3": "#b2182b" };
  var PATTERN = { new: "#fee08b", consecutive: "#fdae61", intensifying: "#d73027", persistent: "#a50026",
    diminishing: "#f46d43", sporadic: "#fdd49e", oscillating: "#c994c7", historical: "#bdbdbd" };

  function form() { return document.getElementById("filters"); }
  function selected() { return document.querySelector("input[name=layer]:checked").value; }
  function measure() { return document.getElementById("measure").value; }
  function monthIndex() { return Number(document.getElementById("month").value); }

  function params() {
    var p = new URLSearchParams(new FormData(form()));
    Array.from(p.keys()).forEach(function (k) { if (!p.get(k)) p.delete(k); });
    if (document.getElementById("monthly").checked && selected() !== "emerging") {
      var m = months[monthIndex()], d = new Date(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0);
      p.set("start", m + "-01");
      p.set("end", m + "-" + String(d.getDate()).padStart(2, "0"));
    }
    return p.toString();
  }

  function breaks(values) {
    var v = values.filter(function (x) { return x !== null && !isNaN(x); }).sort(function (a, b) { return a - b; });
    if (!v.length) return [0, 0, 0, 0];
    return [0.2, 0.4, 0.6, 0.8].map(function (q) { return v[Math.min(v.length - 1, Math.floor(q * v.length))]; });
  }
  function classOf(x, b) { var i = 0; while (i < b.length && x > b[i]) i++; return i; }
  function fmt(x) { return x === null || x === undefined ? t("tidak ada data", "no data") : (typeof x === "number" ? Math.round(x * 100) / 100 : x); }

  function popup(props) {
    var rows = Object.keys(props).filter(function (k) { return !Array.isArray(props[k]); }).map(function (k) {
      return "<tr><th>" + label(k) + "</th><td>" + String(fmt(props[k])).replace(/</g, "&lt;") + "</td></tr>";
    });
    if (props.months) {
      var i = monthIndex();
      rows.push("<tr><th>" + props.months[i] + "</th><td>" + t("jumlah ", "count ") + props.counts[i] + ", Gi* bin " + props.bins[i] + "</td></tr>");
    }
    return "<table class='popup'>" + rows.join("") + "</table>";
  }

  function legendHtml(title, items) {
    return "<strong>" + title + "</strong>" + items.map(function (it) {
      return "<div><i style='background:" + it[0] + "'></i>" + it[1] + "</div>";
    }).join("");
  }

  function sequential(fc, key) {
    var b = breaks(fc.features.map(function (f) { return f.properties[key]; }));
    var items = SEQ.map(function (c, i) { return [c, i === 0 ? "≤ " + fmt(b[0]) : (i < 4 ? fmt(b[i - 1]) + " – " + fmt(b[i]) : "> " + fmt(b[3]))]; });
    items.push(["#cccccc", t("tidak ada data", "no data")]);
    return { style: function (f) {
      var x = f.properties[key];
      return { color: "#555", weight: 0.5, fillOpacity: 0.7, fillColor: x === null || x === undefined ? "#cccccc" : SEQ[classOf(x, b)] };
    }, legend: legendHtml(label(key), items) };
  }

  function diverging(key) {
    var steps = [[-10, "-3"], [-5, "-2"], [-1, "-1"], [0, "0"], [1, "1"], [5, "2"], [10, "3"]];
    return { style: function (f) {
      var x = f.properties[key], c = "0";
      if (x === null) return { color: "#555", weight: 0.5, fillOpacity: 0.5, fillColor: "#ccc" };
      steps.forEach(function (s) { if ((s[0] < 0 && x <= s[0]) || (s[0] > 0 && x >= s[0])) c = s[1]; });
      if (x < 0 && c === "0") c = "-1"; if (x > 0 && c === "0") c = "1";
      return { color: "#555", weight: 0.5, fillOpacity: 0.7, fillColor: DIV[c] };
    }, legend: legendHtml(t("Perubahan", "Change"), [[DIV["3"], "≥ +10"], [DIV["2"], "+5 … +9"], [DIV["1"], "+1 … +4"],
      [DIV["0"], "0"], [DIV["-1"], "−1 … −4"], [DIV["-2"], "−5 … −9"], [DIV["-3"], "≤ −10"]]) };
  }

  function hotspotStyle(getBin) {
    return { style: function (f) { var b = String(getBin(f)); return { color: "#777", weight: 0.4, fillOpacity: b === "0" ? 0.15 : 0.75, fillColor: DIV[b] }; },
      legend: legendHtml("Gi* (FDR)", [[DIV["3"], t("Panas 99 %", "Hot 99 %")], [DIV["2"], t("Panas 95 %", "Hot 95 %")],
        [DIV["1"], t("Panas 90 %", "Hot 90 %")], [DIV["0"], t("Tidak signifikan", "Not significant")],
        [DIV["-1"], t("Dingin 90 %", "Cold 90 %")], [DIV["-2"], t("Dingin 95 %", "Cold 95 %")], [DIV["-3"], t("Dingin 99 %", "Cold 99 %")]]) };
  }

  function emergingStyle() {
    var items = Object.keys(PATTERN).map(function (k) { return [PATTERN[k], label(k)]; });
    items.push(["#9ecae1", t("dingin (cold_*)", "cold (cold_*)")], ["#f7f7f7", label("no_pattern")]);
    return { style: function (f) {
      var p = f.properties.pattern, side = p.split("_")[0], name = p.slice(side.length + 1);
      var fill = side === "hot" ? PATTERN[name] : (side === "cold" ? "#9ecae1" : "#f7f7f7");
      var b = f.properties.bins[monthIndex()];
      return { color: b > 0 ? "#b2182b" : (b < 0 ? "#2166ac" : "#777"), weight: b ? 2 : 0.4, fillOpacity: 0.7, fillColor: fill };
    }, legend: legendHtml(t("Pola (garis: Gi* bulan terpilih)", "Pattern (outline: Gi* of the chosen month)"), items) };
  }

  function render(name, fc) {
    if (current) map.removeLayer(current);
    var spec;
    if (name === "heat") {
      current = L.heatLayer(fc.features.map(function (f) { var c = f.geometry.coordinates; return [c[1], c[0], f.properties.count]; }),
        { radius: 18, blur: 15, maxZoom: 16, max: Math.max.apply(null, fc.features.map(function (f) { return f.properties.count; }).concat([1])) });
      spec = { legend: legendHtml(t("Kepadatan aduan", "Complaint density"), [["#0000ff", t("rendah", "low")], ["#00ff00", ""], ["#ff0000", t("tinggi", "high")]]) };
    } else if (name === "late") {
      current = L.geoJSON(fc, { pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 5, color: f.properties.late_kind === "handling" ? "#b00020" : "#d9822b", weight: 1, fillOpacity: 0.8 });
      }, onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); } });
      spec = { legend: legendHtml(t("Terlambat", "Late"), [["#d9822b", t("tindak lanjut", "follow-up")], ["#b00020", t("penanganan", "handling")]]) };
    } else {
      var key = measure();
      if (name === "hotspots") spec = hotspotStyle(function (f) { return f.properties.gi_bin; });
      else if (name === "emerging") spec = emergingStyle();
      else if (key === "change") spec = diverging("change");
      else if (key === "per_1000" && name !== "choropleth") spec = sequential(fc, "per_km2");
      else spec = sequential(fc, key === "change" ? "count" : key);
      current = L.geoJSON(fc, { style: spec.style, onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); } });
    }
    current.addTo(map);
    legend._div.innerHTML = spec.legend;
    state.features = fc.features.length;
  }

  function setStatus(text) { document.getElementById("status").textContent = text; }

  function downloads(name) {
    ["geojson", "csv", "gpkg"].forEach(function (fmt) {
      document.getElementById("dl-" + fmt).href = base + "export/" + (name === "heat" ? "complaints" : name) + "." + fmt + "?" + params();
    });
  }

  function load() {
    var name = selected(), seq = ++state.requests;
    state.loading = true;
    setStatus(t("Memuat…", "Loading…"));
    downloads(name);
    fetch(base + "layers/" + name + ".geojson?" + params()).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.detail || r.statusText); return body; });
    }).then(function (fc) {
      if (seq !== state.requests) return;
      render(name, fc);
      state.layer = name;
      state.loading = false;
      setStatus(fc.features.length + " " + t("fitur", "features") + " · " + fc.start + " – " + fc.end);
    }).catch(function (err) { state.loading = false; setStatus(t("Gagal: ", "Failed: ") + err.message); });
  }

  function loadOutlines() {
    fetch(base + "layers/choropleth.geojson").then(function (r) { return r.json(); }).then(function (fc) {
      outlines = L.geoJSON(fc, { style: { color: "#333", weight: 1, fill: false }, interactive: false }).addTo(map);
      if (fc.features.length) map.fitBounds(outlines.getBounds());
    });
  }

  document.querySelectorAll("input[name=layer]").forEach(function (r) { r.addEventListener("change", load); });
  document.getElementById("measure").addEventListener("change", load);
  form().addEventListener("submit", function (e) { e.preventDefault(); load(); });
  document.getElementById("monthly").addEventListener("change", load);
  document.getElementById("month").addEventListener("input", function () {
    document.getElementById("month-label").textContent = months[monthIndex()];
    if (selected() === "emerging" && current) { current.setStyle(emergingStyle().style); }
    else if (document.getElementById("monthly").checked) load();
  });
  loadOutlines();
  load();
})();
