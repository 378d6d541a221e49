/* Field pages: nearby tickets (map + list from /api/v1/nearby) and the ticket page (officer position, form).
   Text is built with textContent / escapeHtml, never from raw HTML; coordinates are [lon, lat] except at Leaflet. */
(function () {
  "use strict";
  var P = window.PetaAduan, t = P.t, esc = P.escapeHtml;
  var SLA_COLOURS = {late: "#b00020", done_late: "#b00020", soon: "#b35c00", ok: "#1e7d32", done: "#1e7d32",
                     none: "#5b6570"};

  function locate(onFix, onFail) {
    if (!navigator.geolocation) { onFail(t("Peramban tidak mendukung lokasi.", "The browser has no geolocation.")); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      onFix(pos.coords.longitude, pos.coords.latitude, pos.coords.accuracy);
    }, function () {
      onFail(t("Lokasi tidak tersedia; ketuk peta untuk memilih titik.", "Location unavailable; tap the map to pick a point."));
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
  }

  function metres(lon1, lat1, lon2, lat2) {
    var r = 6371008.8, rad = Math.PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    var a = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
            Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) * Math.sin(dlon / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  /* The phone's maps app at the ticket (geo: URI); OpenStreetMap for a desktop. Same as field/_navigate.html. */
  function navigate(c, code) {
    var lat = c[1].toFixed(6), lon = c[0].toFixed(6);
    return '<p class="navigate small"><a class="geo" href="' + esc("geo:" + lat + "," + lon + "?q=" + lat + "," + lon +
      "(" + code + ")") + '">' + esc(t("Navigasi ke lokasi", "Navigate there")) + '</a> · <a class="osm" href="' +
      esc("https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=18/" + lat + "/" + lon) +
      '" rel="noopener">OpenStreetMap</a></p>';
  }

  /* The last position the officer had (GPS or a tap), so a page without GPS starts there. */
  var LAST = "peta.field.lastPosition";
  function remember(lon, lat) {
    try { localStorage.setItem(LAST, JSON.stringify([lon, lat])); } catch (e) { /* private mode: no memory */ }
  }
  function lastPosition() {
    try {
      var p = JSON.parse(localStorage.getItem(LAST) || "null");
      return p && isFinite(p[0]) && isFinite(p[1]) ? p : null;
    } catch (e) { return null; }
  }

  /* ---- nearby page ---- */
  function nearbyPage(form) {
    var el = document.getElementById("map"), list = document.getElementById("ticket-list");
    var status = document.getElementById("nearby-status"), where = document.getElementById("where");
    var hasPoint = !!form.lon.value && !!form.lat.value;
    var map = P.baseMap(el, {fit: !hasPoint, interactiveOutlines: false});
    var markers = L.layerGroup().addTo(map), centre = L.layerGroup().addTo(map);
    /* Staff pages for tickets the user may see in full; another SKPD's tickets open on the public page. */
    var ticketUrl = function (p) {
      var staff = form.dataset.seeAll === "1" || p.skpd === form.dataset.mySkpd;
      return (staff ? form.dataset.ticketUrl : form.dataset.publicUrl).replace("__CODE__", encodeURIComponent(p.code));
    };

    function params() {
      var q = new URLSearchParams(new FormData(form));
      if (!form.overdue.checked) q.delete("overdue");
      return q;
    }

    function row(f) {
      var p = f.properties, li = document.createElement("li");
      li.className = "ticket sla-" + p.sla;
      li.dataset.code = p.code;
      li.innerHTML = '<a href="' + esc(ticketUrl(p)) + '"><span class="dist">' + esc(p.distance_m) + " m</span>" +
        "<strong>" + esc(p.category_name) + '</strong> <span class="badge">' + esc(p.status_label) + "</span> " +
        '<span class="badge sla sla-' + esc(p.sla) + '">' + esc(p.sla_text) + "</span>" +
        '<span class="muted small">' + esc(p.code) + " · " + esc(p.skpd) + (p.title ? " · " + esc(p.title) : "") +
        "</span></a>" + navigate(f.geometry.coordinates, p.code);
      return li;
    }

    function marker(f) {
      var p = f.properties, c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], {radius: 8, weight: 2, color: "#fff", fillOpacity: 0.95,
                                            fillColor: SLA_COLOURS[p.sla] || "#5b6570"});
      m.bindPopup("<strong>" + esc(p.category_name) + "</strong><br>" + esc(p.sla_text) + "<br>" +
                  '<a href="' + esc(ticketUrl(p)) + '">' + esc(p.code) + "</a> · " + esc(p.distance_m) + " m");
      return m;
    }

    function show(body, q) {
      list.textContent = "";
      markers.clearLayers();
      body.features.forEach(function (f) { list.appendChild(row(f)); markers.addLayer(marker(f)); });
      status.textContent = body.numberReturned + t(" aduan dalam ", " tickets within ") + q.get("radius_m") + " m";
      centre.clearLayers();
      var ll = [body.center[1], body.center[0]];
      var circle = L.circle(ll, {radius: body.radius_m, color: "#1565c0", weight: 1, fillOpacity: 0.04});
      centre.addLayer(circle);
      centre.addLayer(L.marker(ll, {icon: L.divIcon({className: "me-marker", iconSize: [14, 14]})}));
      map.fitBounds(circle.getBounds(), {maxZoom: 17});
    }

    function search() {
      if (!form.lon.value || !form.lat.value) return;
      var q = params();
      status.textContent = t("Memuat…", "Loading…");
      history.replaceState(null, "", form.action + "?" + q.toString());
      P.getJSON(form.dataset.api + "?" + q.toString()).then(function (res) {
        if (res.status === 401) { window.location = form.dataset.login + "?expired=1&next=" +
                                  encodeURIComponent(location.pathname + location.search); return; }
        if (!res.ok) { status.textContent = t(res.body.detail, res.body.detail_en || res.body.detail); return; }
        show(res.body, q);
      }).catch(function () { status.textContent = t("Jaringan bermasalah; coba lagi.", "Network problem; try again."); });
    }

    function pick(lon, lat, accuracy) {
      form.lon.value = lon.toFixed(6);
      form.lat.value = lat.toFixed(6);
      where.textContent = lat.toFixed(5) + ", " + lon.toFixed(5) + (accuracy ? " (±" + Math.round(accuracy) + " m)" : "");
      search();
    }

    function fix(lon, lat, accuracy) { remember(lon, lat); pick(lon, lat, accuracy); }

    /* No GPS: the last position, else the city's centre (the middle of its outlines), never an empty map. */
    function fallback(msg) {
      var last = lastPosition();
      if (last) { pick(last[0], last[1]); where.textContent = t("Posisi terakhir (GPS tidak tersedia)", "Last position (no GPS)"); return; }
      map.outlinesReady.then(function (outlines) {
        if (!outlines.getLayers().length || form.lon.value) { if (!form.lon.value) where.textContent = msg; return; }
        var c = outlines.getBounds().getCenter();
        pick(c.lng, c.lat);
        where.textContent = t("Pusat kota (GPS tidak tersedia)", "City centre (no GPS)");
        where.dataset.start = "city";
      }, function () { where.textContent = msg; });
    }

    document.getElementById("locate").addEventListener("click", function () {
      where.textContent = t("Mencari lokasi…", "Locating…");
      locate(fix, function (msg) { where.textContent = msg; });
    });
    map.on("click", function (e) { remember(e.latlng.lng, e.latlng.lat); pick(e.latlng.lng, e.latlng.lat); });
    form.addEventListener("change", function (e) { if (e.target.name !== "lon" && e.target.name !== "lat") search(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); search(); });
    if (hasPoint) search(); else locate(fix, fallback);
  }

  /* ---- ticket page ---- */
  function ticketPage(mapEl, form) {
    var lon = parseFloat(mapEl.dataset.lon), lat = parseFloat(mapEl.dataset.lat);
    var map = P.baseMap(mapEl, {fit: false, interactiveOutlines: false});
    map.setView([lat, lon], 17);
    L.circleMarker([lat, lon], {radius: 9, color: "#fff", weight: 2, fillColor: "#b00020", fillOpacity: 1}).addTo(map);
    if (!form) return;
    var me = L.layerGroup().addTo(map), note = document.getElementById("position-status");
    var share = document.getElementById("share-position"), max = parseFloat(form.dataset.onsiteMax);

    function setPosition(x, y, acc) {
      form.lon.value = x.toFixed(6); form.lat.value = y.toFixed(6); form.accuracy_m.value = Math.round(acc || 0);
      var d = metres(x, y, lon, lat);
      note.textContent = t("Posisi Anda ±", "Your position ±") + Math.round(acc || 0) + " m, " + Math.round(d) +
        t(" m dari lokasi aduan", " m from the ticket") + (d > max ? t(" (di luar lokasi)", " (off-site)") : "");
      me.clearLayers();
      me.addLayer(L.marker([y, x], {icon: L.divIcon({className: "me-marker", iconSize: [14, 14]})}));
    }

    function clearPosition(msg) {
      form.lon.value = ""; form.lat.value = ""; form.accuracy_m.value = ""; me.clearLayers();
      note.textContent = msg;
    }

    function toggleExtras() {
      var action = form.action.value;
      form.querySelectorAll("[data-for]").forEach(function (div) {
        div.classList.toggle("shown", div.dataset.for === action);
      });
    }

    share.addEventListener("change", function () {
      if (share.checked) locate(setPosition, clearPosition);
      else clearPosition(t("Posisi tidak disertakan.", "Position not included."));
    });
    form.action.addEventListener("change", toggleExtras);
    toggleExtras();
    if (form.lon.value && form.lat.value) setPosition(parseFloat(form.lon.value), parseFloat(form.lat.value),
                                                      parseFloat(form.accuracy_m.value));
    else locate(setPosition, clearPosition);
  }

  var nearbyForm = document.getElementById("nearby-form");
  if (nearbyForm) nearbyPage(nearbyForm);
  var ticketMap = document.getElementById("ticket-map");
  if (ticketMap) ticketPage(ticketMap, document.getElementById("update-form"));
})();
