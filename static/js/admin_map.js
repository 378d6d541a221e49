/* Admin service-area map: the areas in force (dashed grey, from the admin-only GeoJSON endpoint) and, on the
   preview page, the areas of the uploaded file (coloured, from a JSON data block: the CSP allows no inline script). */
(function () {
  "use strict";
  var el = document.getElementById("area-map");
  if (!el || !window.PetaAduan) return;
  var P = window.PetaAduan;
  var map = P.baseMap(el, {interactiveOutlines: false, fit: false});
  var colours = ["#d1495b", "#00798c", "#edae49", "#30638e", "#66a182", "#8d6a9f"];
  var bySkpd = {};
  function colour(code) {
    if (!(code in bySkpd)) bySkpd[code] = colours[Object.keys(bySkpd).length % colours.length];
    return bySkpd[code];
  }
  function label(f) {
    var p = f.properties || {};
    return P.escapeHtml(p.skpd + ": " + p.name + " (" + (p.categories || []).join(", ") + "; prioritas/priority " + p.priority + ")");
  }
  var previewId = el.getAttribute("data-preview");
  var current = L.geoJSON(null, {
    style: previewId ? {color: "#666", weight: 2, dashArray: "6 4", fillOpacity: 0.05}
                     : function (f) { return {color: colour(f.properties.skpd), weight: 2, fillOpacity: 0.2}; },
    onEachFeature: function (f, layer) { layer.bindTooltip(label(f), {sticky: true}); }
  }).addTo(map);
  P.getJSON(el.getAttribute("data-current")).then(function (res) {
    if (res.ok) current.addData(res.body);
    el.setAttribute("data-current-count", String(current.getLayers().length));
    if (!previewId && current.getLayers().length) map.fitBounds(current.getBounds());
    else if (!previewId) map.outlinesReady.then(function (o) { if (o.getLayers().length) map.fitBounds(o.getBounds()); });
  });
  if (previewId) {
    var data = JSON.parse(document.getElementById(previewId).textContent);
    var fresh = L.geoJSON(data, {
      style: function (f) { return {color: colour(f.properties.skpd), weight: 3, fillOpacity: 0.35}; },
      onEachFeature: function (f, layer) { layer.bindTooltip(label(f), {sticky: true}); }
    }).addTo(map);
    el.setAttribute("data-preview-count", String(fresh.getLayers().length));
    if (fresh.getLayers().length) map.fitBounds(fresh.getBounds());
  }
})();
