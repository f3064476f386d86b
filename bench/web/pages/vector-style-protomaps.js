// meshmap's default vector style (assets/config.json) as protomaps-leaflet rules: countries filled
// and outlined, places as circles with their names from zoom 3.
function protomapsLayer(options = {}) {
  const P = protomapsL;
  return P.leafletLayer({
    // levelDiff 0: the same 256 px z/x/y tiles meshmap asks for (protomaps-leaflet defaults to
    // 512 px tiles one level up).
    sources: {
      countries: { url: "/vt/countries/{z}/{x}/{y}", maxDataZoom: 10, levelDiff: 0 },
      places: { url: "/vt/places/{z}/{x}/{y}", maxDataZoom: 10, levelDiff: 0 },
    },
    attribution: "Natural Earth",
    paintRules: [
      { dataSource: "countries", dataLayer: "countries", symbolizer: new P.PolygonSymbolizer({ fill: "#f2efe9", opacity: 1, stroke: "#8a8a7a", width: 0.8 }) },
      { dataSource: "places", dataLayer: "places", symbolizer: new P.CircleSymbolizer({ radius: 4, fill: "#c0392b", opacity: 0.9, stroke: "#ffffff", width: 1.5 }) },
    ],
    labelRules: [
      { dataSource: "places", dataLayer: "places", minzoom: 3, symbolizer: new P.OffsetTextSymbolizer({ labelProps: ["name"], fill: "#222", stroke: "rgba(255,255,255,0.9)", width: 3, font: "12px system-ui, sans-serif", offsetX: 7 }) },
    ],
    ...options,
  });
}
