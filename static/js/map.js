// The county map (templates/command_room/_county_map.html): township areas, warnings in effect
// shaded, one marker per active incident coloured by response level. Drawn with the vendored
// Leaflet and no tiles: nothing is fetched from outside. The data is the element's data-map
// (command_room/maps.py); official boundaries, when uploaded, come from data-map's
// "boundaries" address once per page and are kept. Maps that arrive later (the wall replaces
// its panels) are drawn when they appear; maps removed with their panel are released.
(function () {
  "use strict";

  var SCHEMATIC_RADIUS_M = 3000;  // the circle drawn around a township seat on the schematic
  var COUNTY_CENTRE = [35.5, 112.85];
  var MARKER_PX = {page: 32, wall: 44};  // about a marker's width: incidents in one township
                                         // sit on a ring around its seat, wide enough for them
  var boundaryCache = {};
  var maps = [];

  function fetchBoundaries(url) {
    if (!boundaryCache[url]) {
      boundaryCache[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("boundaries " + response.status); }
        return response.json();
      });
    }
    return boundaryCache[url];
  }

  function areaClass(code, data) {
    var level = data.warnings[code];
    return "map-area" + (level ? " map-warning map-warning-" + level : "");
  }

  function schematicAreas(data) {
    var areas = {};
    data.townships.forEach(function (township) {
      if (township.lat === null || township.lon === null) { return; }
      areas[township.code] = L.circle([township.lat, township.lon], {
        radius: SCHEMATIC_RADIUS_M, className: areaClass(township.code, data), interactive: false
      });
    });
    return areas;
  }

  function boundaryAreas(data, geojson) {
    var codeOf = {};
    data.townships.forEach(function (township) { codeOf[township.division_code] = township.code; });
    var areas = {};
    geojson.features.forEach(function (feature) {
      var code = codeOf[feature.properties.division_code];
      if (!code) { return; }
      areas[code] = L.geoJSON(feature, {className: areaClass(code, data), interactive: false});
    });
    return areas;
  }

  function seatOf(township, area) {
    if (township.lat !== null && township.lon !== null) { return L.latLng(township.lat, township.lon); }
    return area ? area.getBounds().getCenter() : null;
  }

  function incidentIcon(incident, index, count, size) {
    var dx = 0, dy = 0;
    if (count > 1) {
      var radius = Math.max(0.62 * size, 1.15 * count * size / (2 * Math.PI));
      var angle = 2 * Math.PI * index / count - Math.PI / 2;
      dx = Math.round(radius * Math.cos(angle));
      dy = Math.round(radius * Math.sin(angle));
    }
    var marker = document.createElement("span");
    marker.textContent = incident.id;
    return L.divIcon({
      className: "map-incident map-level-" + (incident.level || "none") + (incident.drill ? " map-drill" : ""),
      html: marker.outerHTML, iconSize: null, iconAnchor: [-dx, -dy]
    });
  }

  function draw(element, data, geojson) {
    var wall = element.dataset.variant === "wall";
    var map = L.map(element, {
      attributionControl: false, zoomControl: !wall, dragging: !wall, scrollWheelZoom: false,
      doubleClickZoom: !wall, boxZoom: !wall, keyboard: !wall, touchZoom: !wall,
      zoomSnap: 0.1, fadeAnimation: false, zoomAnimation: false, markerZoomAnimation: false
    });
    var areas = geojson ? boundaryAreas(data, geojson) : schematicAreas(data);
    var bounds = L.latLngBounds([]);
    var seats = {};
    data.townships.forEach(function (township) {
      var area = areas[township.code];
      var seat = seatOf(township, area);
      if (area) { bounds.extend(geojson ? area.getBounds() : seat.toBounds(2 * SCHEMATIC_RADIUS_M)); }
      if (seat) { seats[township.code] = seat; }
    });
    function fit() {
      map.invalidateSize(false);
      if (bounds.isValid()) {
        var pad = wall ? 36 : 16;
        map.fitBounds(bounds, {padding: [pad, pad], animate: false});
      } else {
        map.setView(COUNTY_CENTRE, 10, {animate: false});  // no township placed: still a view
      }
    }
    fit();  // a view first: Leaflet adds layers to a map once it has one
    data.townships.forEach(function (township) {
      if (areas[township.code]) { areas[township.code].addTo(map); }
      if (!seats[township.code]) { return; }
      L.tooltip({permanent: true, direction: "bottom", offset: [0, 8], className: "map-label", interactive: false})
        .setLatLng(seats[township.code]).setContent(township.name).addTo(map);
    });
    if (data.landmark) {
      L.tooltip({permanent: true, direction: "center", className: "map-label map-landmark", interactive: false})
        .setLatLng([data.landmark.lat, data.landmark.lon]).setContent(data.landmark.name).addTo(map);
    }
    var byTownship = {};
    data.incidents.forEach(function (incident) {
      (byTownship[incident.township] = byTownship[incident.township] || []).push(incident);
    });
    Object.keys(byTownship).forEach(function (code) {
      var seat = seats[code];
      if (!seat) { return; }
      byTownship[code].forEach(function (incident, index, all) {
        var marker = L.marker(seat, {
          icon: incidentIcon(incident, index, all.length, MARKER_PX[wall ? "wall" : "page"]), title: incident.label,
          keyboard: !wall, riseOnHover: true
        }).addTo(map);
        marker.getElement().dataset.incident = incident.id;
        marker.getElement().dataset.township = code;
        if (!wall) {
          marker.on("click", function () { window.location.href = incident.url; });
        }
      });
    });
    if (window.ResizeObserver) { new ResizeObserver(fit).observe(element); }
    element.dataset.ready = "true";
    maps.push({element: element, map: map});
  }

  function init(element) {
    element.dataset.ready = "pending";
    var data = JSON.parse(element.dataset.map);
    if (!data.boundaries) { draw(element, data, null); return; }
    fetchBoundaries(data.boundaries).then(function (geojson) {
      if (document.contains(element)) { draw(element, data, geojson); }
    }, function () {
      if (document.contains(element)) { draw(element, data, null); }  // the seats at least
    });
  }

  function scan() {
    maps = maps.filter(function (entry) {
      if (document.contains(entry.element)) { return true; }
      entry.map.remove();
      return false;
    });
    document.querySelectorAll(".county-map:not([data-ready])").forEach(init);
  }

  function start() {
    if (!window.L) { return; }
    scan();
    new MutationObserver(scan).observe(document.body, {childList: true, subtree: true});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
