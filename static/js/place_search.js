/* Find the place: one search box for any Leaflet map (citizen form, public map, desk). It asks
   /api/v1/places for kelurahan, kecamatan and the city's patokan near the map centre and lists them as a
   keyboard-navigable listbox (↑/↓, Enter, Escape). Names are data: every result is written as text, never HTML.

   Markup (ids are free; the classes are what this script looks for):
     <div class="place-search" id="…">
       <label for="X">…</label><input id="X" class="place-q" type="search">
       <ul class="place-results" hidden></ul><p class="place-status" aria-live="polite"></p>
     </div>
   Use: PetaAduan.placeSearch(rootElement, map, function onChoose(place) {…}). */
(function () {
  "use strict";
  var P = window.PetaAduan, t = P.t;
  var ZOOM = {kelurahan: 15, kecamatan: 14};

  function kindLabel(kind) {
    if (kind === "kelurahan") return "Kelurahan";
    if (kind === "kecamatan") return "Kecamatan";
    return kind;
  }

  function distanceText(m) {
    if (m == null) return "";
    return m < 1000 ? Math.round(m / 10) * 10 + " m" : (m / 1000).toFixed(1).replace(".", t(",", ".")) + " km";
  }

  function placeSearch(root, map, onChoose) {
    var input = root.querySelector(".place-q"), list = root.querySelector(".place-results");
    var status = root.querySelector(".place-status");
    var results = [], resultsFor = null, active = -1, timer = null, asked = 0, chooseFirst = false;
    var base = (root.id || "place") + "-opt-";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    list.id = list.id || base + "list";
    list.setAttribute("role", "listbox");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function render() {
      list.textContent = "";
      results.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = base + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        var name = document.createElement("strong");
        name.textContent = p.name;
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = " · " + kindLabel(p.kind) + (p.distance_m != null ? " · " + distanceText(p.distance_m) : "");
        li.appendChild(name);
        li.appendChild(meta);
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      if (active >= 0) input.setAttribute("aria-activedescendant", base + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function ask() {
      var q = input.value.trim(), mine = ++asked;
      if (!q) { results = []; resultsFor = null; close(); status.textContent = ""; return; }
      var c = map.getCenter();
      P.getJSON(P.cfg.api + "/places?limit=8&q=" + encodeURIComponent(q.slice(0, 100)) +
                "&lon=" + c.lng.toFixed(6) + "&lat=" + c.lat.toFixed(6)).then(function (res) {
        if (mine !== asked) return;  /* an older answer arriving late */
        results = res.ok ? res.body.places : [];
        resultsFor = q;
        active = -1;
        render();
        if (chooseFirst && results.length) { chooseFirst = false; choose(0); return; }
        chooseFirst = false;
        status.textContent = res.ok ? (results.length ? results.length + t(" tempat ditemukan; pilih dengan ↑/↓ dan Enter.",
          " places found; choose with ↑/↓ and Enter.") : t("Tempat tidak ditemukan.", "No place found.")) :
          t(res.body.detail, res.body.detail_en || res.body.detail);
      });
    }

    function choose(i) {
      var p = results[i];
      if (!p) return;
      input.value = p.name;
      close();
      map.once("moveend", function () {  /* where the map now looks, for tests and for the page's own use */
        var c = map.getCenter();
        map.getContainer().setAttribute("data-centre", c.lng.toFixed(5) + "," + c.lat.toFixed(5));
      });
      map.setView([p.lat, p.lon], ZOOM[p.kind] || 17);
      status.textContent = t("Peta dipindah ke ", "Map moved to ") + p.name + ".";
      if (onChoose) onChoose(p);
    }

    function move(step) {
      if (!results.length) return;
      active = (active + step + results.length) % results.length;
      render();
      status.textContent = results[active].name + " · " + kindLabel(results[active].kind);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
      else if (ev.key === "Enter") {
        ev.preventDefault();  /* inside a form: Enter chooses a place, it never submits the complaint */
        if (results.length && resultsFor === input.value.trim()) choose(active >= 0 ? active : 0);
        else { clearTimeout(timer); chooseFirst = true; ask(); }  /* typed faster than the answers came */
      } else if (ev.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    return {choose: choose};
  }

  P.placeSearch = placeSearch;
})();
