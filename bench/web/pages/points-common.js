// Shared by the points pages: the same points (the bench server's /points/<n>.bin, f32 lng/lat
// pairs), the same view and symbol, a click target every page computes the same way, and the
// mark "bench:points-drawn" two frames after the points are drawn.
const COUNT = Number(new URLSearchParams(location.search).get("n") ?? 10000);
const VIEW = { center: [30, 10], zoom: 3 };
const SYMBOL = { radius: 3, weight: 1, color: "#ffffff", fillColor: "#c0392b", fillOpacity: 0.9, opacity: 1 };
window.__clicked = null;

async function loadPoints() {
  const buffer = await (await fetch(`/points/${COUNT}.bin`)).arrayBuffer();
  return new Float32Array(buffer);
}

function markDrawn() {
  // After the frame that shows them.
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("bench:points-drawn")));
}

/// Where the probe point (the data's last, alone in the North Atlantic) is on the page.
function probe(map, count) {
  const p = map.latLngToContainerPoint([45, -40]);
  const rect = map.getContainer().getBoundingClientRect();
  return { id: count - 1, x: rect.left + p.x, y: rect.top + p.y };
}
