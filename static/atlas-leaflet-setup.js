/* SSE Atlas: runs right after the vendored leaflet.js (see atlas/offline.py).
 * Inline <script> in folium's header never runs under st_folium (the header is inserted
 * with innerHTML), so settings that must hold before the map script live here. */
(function () {
  "use strict";
  if (window.L && L.Icon && L.Icon.Default) {
    // Default marker icons from the local copy (a trailing slash is required).
    L.Icon.Default.imagePath = "/app/static/vendor/leaflet-1.9.3/images/";
  }
})();
