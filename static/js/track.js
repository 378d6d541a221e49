/* The tracking page's small map: the complaint's point (public tickets only). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el) return;
  var ll = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = PetaAduan.baseMap(el, {fit: false});
  map.setView(ll, 16);
  L.circleMarker(ll, {radius: 9, color: "#b00020", weight: 3, fillOpacity: 0.6}).addTo(map);
})();
