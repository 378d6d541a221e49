/* The pin-drop form: map, "use my location", categories routable at the pin, nearby duplicates, photo GPS;
   find the place by name, the landmark field pre-filled from the nearest named place, and the pin placed and
   moved with the keyboard (Enter/Space on the map: pin at the centre; arrows move it; Shift: further). */
(function () {
  "use strict";
  var P = window.PetaAduan, t = P.t, esc = P.escapeHtml;
  var form = document.getElementById("report-form");
  var lon = document.getElementById("lon"), lat = document.getElementById("lat");
  var acc = document.getElementById("accuracy_m");
  var where = document.getElementById("where"), hint = document.getElementById("routing-hint");
  var select = document.getElementById("category");
  var dupBox = document.getElementById("duplicates"), dupList = document.getElementById("duplicate-list");
  var map = P.baseMap(document.getElementById("map"));
  var marker = null, routable = {};
  var address = document.getElementById("address"), pinStatus = document.getElementById("pin-status");
  var filled = null, nearAsked = 0, refreshTimer = null;  /* the landmark text we wrote, if the user did not */

  function setPin(latlng, accuracy) {
    if (!marker) {
      marker = L.marker(latlng, {draggable: true, autoPan: true, title: t("Lokasi aduan", "Complaint location")});
      marker.addTo(map);
      marker.on("dragend", function () { pinMoved(marker.getLatLng(), null); });
    } else {
      marker.setLatLng(latlng);
    }
    pinMoved(latlng, accuracy);
  }

  function pinMoved(latlng, accuracy, later) {
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    acc.value = accuracy == null ? "" : Math.round(accuracy);
    clearTimeout(refreshTimer);  /* arrow keys held down: ask the server once the pin rests */
    refreshTimer = setTimeout(function () { refreshCategories(); refreshLandmark(); }, later ? 350 : 0);
  }

  /* The landmark field gets "dekat Pasar Lama, 120 m" unless the user typed something of their own there. */
  function refreshLandmark() {
    var mine = ++nearAsked;
    P.getJSON(P.cfg.api + "/places/nearest?lon=" + lon.value + "&lat=" + lat.value).then(function (res) {
      if (mine !== nearAsked || !res.ok) return;
      var label = res.body.label == null ? null : t(res.body.label, res.body.label_en);
      if (label) pinStatus.textContent = t("Pin: ", "Pin: ") + label + ".";
      if (address.value !== "" && address.value !== filled) return;
      address.value = label || "";
      filled = label || "";
    });
  }

  function refreshCategories() {
    where.textContent = t("Memeriksa lokasi…", "Checking the location…");
    P.getJSON(P.cfg.api + "/categories?lon=" + lon.value + "&lat=" + lat.value).then(function (res) {
      routable = {};
      if (!res.ok) {
        where.textContent = t(res.body.detail, res.body.detail_en || res.body.detail);
        where.className = "error";
        updateOptions();
        return;
      }
      res.body.categories.forEach(function (c) { routable[c.code] = c; });
      var any = res.body.categories[0];
      where.className = res.body.outside_city ? "error" : "muted";
      where.textContent = res.body.outside_city ? t(res.body.message, res.body.message_en) :
        any ? t("Kelurahan ", "Kelurahan ") + any.kelurahan_name : "";
      updateOptions();
      refreshHint();
    });
  }

  function updateOptions() {
    Array.prototype.forEach.call(select.options, function (o) {
      if (!o.value) return;
      o.disabled = lon.value !== "" && !routable[o.value];
    });
  }

  function confidential() {  /* a confidential category keeps no reporter (aduan/intake.py) */
    return !!(select.selectedOptions[0] && select.selectedOptions[0].dataset.confidential === "1");
  }

  function refreshHint() {
    var c = routable[select.value];
    hint.textContent = c ? t("Akan diteruskan ke ", "Will be sent to ") + c.skpd_name : "";
    if (confidential()) {
      hint.textContent += t(" · kategori rahasia: tidak tampil di peta publik, identitas disembunyikan.",
                            " · confidential category: not on the public map, identity hidden.");
    }
    refreshDuplicates();
  }

  var dupAsked = 0;  /* the pin can move while an answer is on its way: only the latest answer is drawn */
  function refreshDuplicates() {
    var mine = ++dupAsked;
    dupList.innerHTML = "";
    dupBox.hidden = true;
    if (!select.value || !lon.value) return;
    P.getJSON(P.cfg.api + "/duplicates?lon=" + lon.value + "&lat=" + lat.value + "&category=" +
              encodeURIComponent(select.value)).then(function (res) {
      if (mine !== dupAsked || !res.ok || !res.body.complaints.length) return;
      res.body.complaints.forEach(function (c) {
        var li = document.createElement("li");
        li.innerHTML = "<strong>" + esc(c.tracking_code) + "</strong> · " + esc(c.distance_m) + " m · " +
          esc(c.description) + " ";
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "secondary";
        btn.textContent = t("Dukung aduan ini", "Support this one");
        btn.addEventListener("click", function () { supportInstead(c.tracking_code, li); });
        li.appendChild(btn);
        dupList.appendChild(li);
      });
      dupBox.hidden = false;
    });
  }

  function supportInstead(code, li) {
    fetch(P.cfg.api + "/complaints/" + encodeURIComponent(code) + "/support", {method: "POST"})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        li.innerHTML = "✓ " + t("Terima kasih, dukungan tercatat untuk ", "Thank you, support recorded for ") +
          '<a href="/lacak/' + encodeURIComponent(code) + '">' + esc(code) + "</a>";
      });
  }

  map.on("click", function (e) { setPin(e.latlng, null); });

  P.placeSearch(document.getElementById("place-search"), map, function (p) {
    setPin(L.latLng(p.lat, p.lon), null);
    pinStatus.textContent = t("Pin ditaruh di ", "Pin placed at ") + p.name + ".";
  });

  /* Keyboard: with the map itself focused, Enter/Space puts the pin at the centre; arrows move the pin (before
     Leaflet pans the map with them); without a pin the arrows still pan. */
  var STEPS = {ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};
  var WORDS = {ArrowUp: ["utara", "north"], ArrowDown: ["selatan", "south"], ArrowLeft: ["barat", "west"],
               ArrowRight: ["timur", "east"]};
  var mapEl = document.getElementById("map");
  mapEl.addEventListener("keydown", function (ev) {
    if (ev.target !== mapEl) return;  /* a focused zoom button or marker keeps its own keys */
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      setPin(map.getCenter(), null);
      pinStatus.textContent = t("Pin ditaruh di tengah peta. Geser dengan tombol panah.",
                                "Pin placed at the map centre. Move it with the arrow keys.");
    } else if (STEPS[ev.key] && marker) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      var step = ev.shiftKey ? 50 : 10, px = map.project(marker.getLatLng());  /* unrounded pixels: no drift */
      var ll = map.unproject(px.add(L.point(STEPS[ev.key][0] * step, STEPS[ev.key][1] * step)));
      marker.setLatLng(ll);
      if (!map.getBounds().pad(-0.1).contains(ll)) map.panTo(ll);
      pinMoved(ll, null, true);
      pinStatus.textContent = t("Pin digeser ke " + WORDS[ev.key][0], "Pin moved " + WORDS[ev.key][1]) + ".";
    }
  }, true);
  select.addEventListener("change", refreshHint);

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { where.textContent = t("GPS tidak tersedia.", "GPS not available."); return; }
    where.textContent = t("Mencari lokasi…", "Locating…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(ll, 17);
      setPin(ll, pos.coords.accuracy);
    }, function () {
      where.textContent = t("Lokasi tidak bisa dibaca; ketuk peta.", "Could not read your location; tap the map.");
    }, {enableHighAccuracy: true, timeout: 15000});
  });

  document.getElementById("photos").addEventListener("change", function (ev) {
    var files = ev.target.files, photoHint = document.getElementById("photo-hint");
    photoHint.textContent = "";
    if (files.length > 3) { photoHint.textContent = t("Paling banyak 3 foto.", "At most 3 photos."); return; }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > 10 * 1024 * 1024) {
        photoHint.textContent = t("Foto terlalu besar (maks. 10 MB): ", "Photo too large (max 10 MB): ") + files[i].name;
        return;
      }
    }
    if (!files.length || lon.value) return;
    var body = new FormData();
    body.append("photos", files[0]);
    fetch(P.cfg.api + "/photo-location", {method: "POST", body: body}).then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.lon == null || lon.value) return;
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "secondary";
        btn.textContent = t("Pakai lokasi dari foto", "Use the photo's location");
        btn.addEventListener("click", function () {
          var ll = L.latLng(res.lat, res.lon);
          map.setView(ll, 17);
          setPin(ll, null);
          btn.remove();
        });
        photoHint.appendChild(btn);
      });
  });

  /* A confidential category keeps no reporter (aduan/intake.py): its contact fields go, and its note says why. */
  var anon = document.getElementById("anonymous"), contact = document.getElementById("contact");
  var confidentialNote = document.getElementById("confidential-contact");
  var promise = document.getElementById("contact-promise");
  function toggleContact() {
    contact.hidden = anon.checked || confidential();
    anon.parentNode.hidden = promise.hidden = confidential();
    confidentialNote.hidden = !confidential();
  }
  anon.addEventListener("change", toggleContact);
  select.addEventListener("change", toggleContact);
  toggleContact();

  form.addEventListener("submit", function (ev) {
    if (!lon.value) {
      ev.preventDefault();
      where.textContent = t("Tandai lokasi di peta dulu.", "Mark the location on the map first.");
      where.className = "error";
      document.getElementById("map").scrollIntoView();
      return;
    }
    document.getElementById("submit").disabled = true;  // a double tap sends once; the idempotency key covers the rest
  });

  if (lon.value && lat.value) {
    map.outlinesReady.then(function () { setPin(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), null); });
  }
})();
