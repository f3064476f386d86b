// Marks "meshmap:complete" when the overlay is drawn and the first view's tiles have loaded,
// exactly when meshmap marks it. `?canvas`: Leaflet's canvas renderer (`preferCanvas: true`),
// what a Leaflet user turns to for many shapes.
const preferCanvas = new URLSearchParams(location.search).has("canvas");
const map = L.map("map", { preferCanvas }).setView([20, 0], 2);
const base = L.tileLayer("/raster/{z}/{x}/{y}.png", { maxZoom: 10, attribution: "bench tiles" }).addTo(map);
const style = { color: "#b03a2e", weight: 1, opacity: 1, fillColor: "#e74c3c", fillOpacity: 0.2 };
const control = L.control.layers({ "Raster": base }, {}, { collapsed: false }).addTo(map);
L.control.scale().addTo(map);
let tiles = false, overlay = false;
const check = () => { if (tiles && overlay && !performance.getEntriesByName("meshmap:complete").length) performance.mark("meshmap:complete"); };
base.once("load", () => { tiles = true; check(); });
fetch("/m/geojson/data/countries.geojson")
  .then((response) => response.json())
  .then((data) => {
    const layer = L.geoJSON(data, {
      style,
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, style),
      onEachFeature: (feature, layer) => layer.bindPopup(() => {
        const table = document.createElement("table");
        for (const [key, value] of Object.entries(feature.properties ?? {})) {
          const row = table.insertRow();
          row.insertCell().textContent = key;
          row.insertCell().textContent = typeof value === "string" ? value : JSON.stringify(value);
        }
        return table;
      }),
    }).addTo(map);
    control.addOverlay(layer, "Countries");
    overlay = true;
    check();
  });
