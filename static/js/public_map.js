/* Public map: non-confidential complaints, clustered. Popups are built from text, never from raw HTML. */
(function () {
  "use strict";
  var P = window.PetaAduan, t = P.t, esc = P.escapeHtml;
  var el = document.getElementById("map");
  var map = P.baseMap(el);
  var cluster = L.markerClusterGroup({chunkedLoading: true});
  map.addLayer(cluster);
  var onlyOpen = document.getElementById("only-open");

  function load() {
    cluster.clearLayers();
    P.getJSON(P.cfg.api + "/map-points" + (onlyOpen.checked ? "?status=open" : "")).then(function (res) {
      if (!res.ok) return;
      var markers = res.body.features.map(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var m = L.circleMarker([c[1], c[0]], {radius: 6, weight: 1, color: "#0b6e4f", fillOpacity: 0.8});
        m.bindPopup("<strong>" + esc(t(p.name_id, p.name_en)) + "</strong><br>" + esc(p.status) + "<br>" +
          '<a href="' + el.dataset.track + "/" + encodeURIComponent(p.tracking_code) + '">' +
          esc(p.tracking_code) + "</a>");
        return m;
      });
      cluster.addLayers(markers);
      document.getElementById("count").textContent = markers.length + t(" aduan", " complaints");
    });
  }
  P.placeSearch(document.getElementById("place-search"), map, null);  /* choosing a place pans the map */
  onlyOpen.addEventListener("change", load);
  load();
})();
