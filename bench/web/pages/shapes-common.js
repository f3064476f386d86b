// Shared by the GeoJSON pages (the "shapes" benchmark): which document (`?data=countries`,
// `grid-10000`, `grid-45000`: /shapes/<name>.geojson from the bench server), its view, the style,
// the raster base every page has, and the mark "meshmap:complete" once the overlay is drawn and
// the base's tiles are loaded (meshmap marks the same moment itself).
const DATA = new URLSearchParams(location.search).get("data") ?? "countries";
const DATA_URL = `/shapes/${DATA}.geojson`;
const SHAPES_VIEW = DATA === "countries" ? { center: [20, 0], zoom: 2 } : { center: [52, 15], zoom: 5 };
const SHAPES_STYLE = { color: "#b03a2e", weight: 1, opacity: 1, fillColor: "#e74c3c", fillOpacity: 0.2 };
const RASTER = "/raster/{z}/{x}/{y}.png";

/// Marks "meshmap:complete" when every promise has settled (after the frame that shows them).
function markWhen(...ready) {
  Promise.all(ready).then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
    if (!performance.getEntriesByName("meshmap:complete").length) performance.mark("meshmap:complete");
  })));
}

/// A popup's table of a feature's properties, as meshmap shows them.
function propertiesTable(properties) {
  const table = document.createElement("table");
  for (const [key, value] of Object.entries(properties ?? {})) {
    const row = table.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = typeof value === "string" ? value : JSON.stringify(value);
  }
  return table;
}
