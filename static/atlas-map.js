/* SSE Atlas: the map's JavaScript, one function per map piece of atlas/present/mapview.py.
 *
 * Python keeps only the glue: each map element's script is one call such as
 * `atlasRegionLayer(group, geometries, props, 0.8)` with its data as HTML-safe JSON. The file is
 * linked by the base map (right after Leaflet and atlas-leaflet-setup.js), so layers that
 * streamlit-folium swaps in later find these functions; every element also links it, so a
 * standalone page (`atlas.present.offline.standalone_html`) always has it. Served by Streamlit
 * at /app/static/atlas-map.js; the whole file only defines functions (Leaflet is used when a
 * function is called, i.e. from the map script, which runs after every asset has loaded).
 *
 * Every text these functions put into the page as HTML (tooltips, popups, the legend, the
 * cells note) arrives already HTML-escaped by Python (`mapview.esc`); the attributions are
 * escaped there too.
 */
"use strict";

/** Style of the offline country outlines (the background without tiles). */
var ATLAS_OUTLINE_STYLE = {color: "#8c8c8c", weight: 0.6, fillColor: "#f4f4f1", fillOpacity: 1};

/** Source attributions in Leaflet's attribution control (`texts`: escaped HTML). */
function atlasAttribution(map, texts) {
  map.attributionControl.setPrefix(false);
  for (var i = 0; i < texts.length; i++) {
    map.attributionControl.addAttribution(texts[i]);
  }
}

/** The offline background: country outlines, drawn under everything, not clickable. */
function atlasOutlines(map, geometries) {
  return L.geoJSON(geometries, {interactive: false, style: ATLAS_OUTLINE_STYLE}).addTo(map);
}

/** Offline outlines in a pane under the tiles, shown as soon as one tile fails to load. */
function atlasTileFallback(map, tiles, geometries) {
  var pane = map.createPane("atlasFallback");
  pane.style.zIndex = 150;  /* under the tile pane (200) */
  pane.style.display = "none";
  L.geoJSON(geometries, {
    pane: "atlasFallback", interactive: false, style: ATLAS_OUTLINE_STYLE
  }).addTo(map);
  var shown = false;
  tiles.on("tileerror", function () {
    if (shown) { return; }
    shown = true;
    pane.style.display = "";
    map.getContainer().classList.add("atlas-tiles-failed");
    var note = L.control({position: "topright"});
    note.onAdd = function () {
      var div = L.DomUtil.create("div", "atlas-tiles-note");
      div.style.cssText = "background:rgba(255,255,255,.9);padding:4px 8px;" +
        "border-radius:4px;font:13px sans-serif";
      div.textContent = "Map tiles unavailable: showing offline outlines";
      return div;
    };
    note.addTo(map);
  });
}

/** Regions styled from per-feature properties (`fill`, `selected`, escaped `tip`), added to
 * `parent`. `geometries` and `props` are parallel arrays; a null geometry is skipped. A click
 * reports the feature with its `code` (streamlit-folium's last_active_drawing). */
function atlasRegionLayer(parent, geometries, props, opacity) {
  var features = [];
  for (var i = 0; i < geometries.length; i++) {
    if (geometries[i]) {
      features.push({type: "Feature", geometry: geometries[i], properties: props[i]});
    }
  }
  var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
    style: function (f) { return {
      fillColor: f.properties.fill, fillOpacity: opacity,
      color: f.properties.selected ? "#000000" : "#ffffff",
      weight: f.properties.selected ? 3 : 0.6 }; },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.tip, {sticky: true});
      l.on("mouseover", function () { l.setStyle({weight: 2, color: "#333"}); });
      l.on("mouseout", function () { layer.resetStyle(l); });
    }
  });
  layer.eachLayer(function (l) {
    if (l.feature.properties.selected) { l.bringToFront(); }
  });
  return layer.addTo(parent);
}

/** The legend (`html`: markup made from escaped text) as a Leaflet control that lives and
 * dies with its FeatureGroup, so swapping the group replaces it. */
function atlasLegend(group, html) {
  var control = L.control({position: "bottomright"});
  control.onAdd = function () {
    var div = L.DomUtil.create("div", "atlas-legend");
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  group.on("add", function () { if (group._map) { control.addTo(group._map); } });
  group.on("remove", function () { control.remove(); });
  if (group._map) { control.addTo(group._map); }
}

/** Initiatives as circle markers in one MarkerCluster group; popups joined on opening.
 * `data.rows`: [lat, lon, part...]; a number part is an index into `data.lookup[k]`;
 * `data.wrap[k]`: the markup around part k. Parts are escaped text. */
function atlasPointLayer(group, data) {
  var cluster = L.markerClusterGroup({maxClusterRadius: 50});
  function part(r, k) {
    var v = r[k + 2];
    return typeof v === "number" ? data.lookup[k][v] : v;
  }
  function popup(r) {
    var out = [];
    for (var k = 0; k < data.wrap.length; k++) {
      var v = part(r, k);
      if (v) { out.push(data.wrap[k][0] + v + data.wrap[k][1]); }
    }
    return out.join("<br>");
  }
  var markers = new Array(data.rows.length);
  for (var i = 0; i < data.rows.length; i++) {
    var r = data.rows[i];
    markers[i] = L.circleMarker([r[0], r[1]], {radius: 5, weight: 1,
      color: "#ffffff", fillColor: "#b2182b", fillOpacity: 0.9}
    ).bindPopup(popup.bind(null, r), {maxWidth: 320});
  }
  cluster.addLayers(markers);
  cluster.addTo(group);
  return cluster;
}

/** Counts per grid cell drawn as cluster bubbles; a click zooms in. `levels`: one grid per
 * zoom level, {z, cells: [lat, lon, n, ...]}; only the current level's cells inside the
 * viewport become markers (redrawn on every move). `note`: markup made from escaped text. */
function atlasCellLayer(group, levels, note) {
  var shown = L.layerGroup().addTo(group);
  var control = L.control({position: "bottomleft"});
  control.onAdd = function () {
    var div = L.DomUtil.create("div", "atlas-cells-note");
    div.style.cssText = "background:rgba(255,255,255,.9);padding:4px 8px;" +
      "border-radius:4px;font:12px sans-serif;max-width:260px";
    div.innerHTML = note;
    return div;
  };
  var map = null;
  function label(n) {
    if (n >= 999500) { return (n / 1e6).toFixed(1).replace(/[.]0$/, "") + "M"; }
    if (n >= 10000) { return Math.round(n / 1000) + "k"; }
    return String(n);
  }
  function zoomIn(e) {
    map.setView(e.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
  }
  function draw() {
    if (!map || !levels.length) { return; }
    var zoom = map.getZoom(), level = levels[0];
    for (var i = 0; i < levels.length; i++) {
      if (levels[i].z <= zoom) { level = levels[i]; }
    }
    var view = map.getBounds().pad(0.25), cells = level.cells;
    shown.clearLayers();
    for (var j = 0; j < cells.length; j += 3) {
      var at = L.latLng(cells[j], cells[j + 1]), n = cells[j + 2];
      if (!view.contains(at)) { continue; }
      var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
      var marker = L.marker(at, {keyboard: false,
        title: n.toLocaleString("en") + " initiatives: click to zoom in",
        icon: L.divIcon({html: "<div><span>" + label(n) + "</span></div>",
          className: "marker-cluster marker-cluster-" + size + " atlas-cell",
          iconSize: L.point(40, 40)})});
      marker.on("click", zoomIn);
      shown.addLayer(marker);
    }
  }
  function start() {
    if (map) { return; }
    map = group._map;
    map.on("moveend", draw);
    control.addTo(map);
    draw();
  }
  group.on("add", start);
  group.on("remove", function () {
    if (map) { map.off("moveend", draw); }
    control.remove();
    map = null;
  });
  if (group._map) { start(); }
}
