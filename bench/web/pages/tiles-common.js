// Shared by the vector tile pages: every captured tile is held in memory and `fetch` answers it
// at once, so what is timed per tile is decoding and drawing; the same zoom path for every
// library. Loaded after leaflet.js.
window.__tileTimes = [];
window.__benchDone = false;
const ZOOM_PATH = { center: [48.5, 9], levels: [2, 3, 4, 5, 6] };

async function holdTilesInMemory() {
  const list = await (await fetch("/vt/index.json")).json();
  window.__tileList = list;
  const bodies = new Map();
  await Promise.all(list.map(async (key) => {
    const response = await fetch(`/vt/${key}`);
    bodies.set(`/vt/${key}`, response.status === 204 ? null : await response.arrayBuffer());
  }));
  const real = window.fetch;
  window.fetch = function (input, init) {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.pathname.startsWith("/vt/")) {
      if (!bodies.has(url.pathname)) return Promise.resolve(new Response("not captured", { status: 404 }));
      const body = bodies.get(url.pathname);
      return Promise.resolve(body ? new Response(body.slice(0), { headers: { "content-type": "application/x-protobuf" } }) : new Response(null, { status: 204 }));
    }
    return real.call(this, input, init);
  };
}

// Every GridLayer (meshmap's, protomaps-leaflet's, VectorGrid's): from Leaflet asking for a tile
// to the tile being ready.
function timeEveryTile() {
  const add = L.GridLayer.prototype._addTile, ready = L.GridLayer.prototype._tileReady;
  const started = new Map();
  const key = (layer, coords) => `${L.stamp(layer)}:${layer._tileCoordsToKey(coords)}`;
  L.GridLayer.prototype._addTile = function (coords, container) {
    started.set(key(this, coords), performance.now());
    return add.call(this, coords, container);
  };
  L.GridLayer.prototype._tileReady = function (coords, error, tile) {
    const k = key(this, coords);
    if (started.has(k)) {
      if (!error) window.__tileTimes.push(performance.now() - started.get(k));
      started.delete(k);
    }
    return ready.call(this, coords, error, tile);
  };
}

function gridLayers(map) {
  const layers = [];
  map.eachLayer((layer) => { if (layer instanceof L.GridLayer) layers.push(layer); });
  return layers;
}

function allLoaded(map) {
  return Promise.all(gridLayers(map).map((layer) => new Promise((resolve) => {
    if (!layer.isLoading || !layer.isLoading()) setTimeout(() => (layer.isLoading && layer.isLoading() ? layer.once("load", resolve) : resolve()), 0);
    else layer.once("load", resolve);
  })));
}

/// Every captured tile from zoom 3 up (none drawn yet, so no library has it cached), one at a
/// time, each drawn by every grid layer of the map (Leaflet's own createTile, as Leaflet calls
/// it): nothing else runs meanwhile and the data is in memory, so the time is decoding and
/// drawing that tile, plus the promise turns of reading an answer.
async function drawEachTile(map) {
  const list = window.__tileList;
  const coords = [...new Set(list.filter((k) => k.startsWith("countries/")).map((k) => k.slice("countries/".length)))]
    .map((k) => k.split("/").map(Number))
    .filter(([z]) => z >= 3);
  const layers = gridLayers(map);
  const times = [];
  // Frames run at once meanwhile (frames-first.js): a library that draws or finishes a tile in
  // an animation frame is timed for its work, not for the wait.
  window.__syncFrames = true;
  for (const [z, x, y] of coords) {
    const t0 = performance.now();
    // Every layer asked at once, as Leaflet asks when a view needs the tile (each layer's
    // `_update` in the same turn): a library that draws two sources as two layers is not charged
    // two fetch round trips one after the other.
    await Promise.all(layers.map((layer) => new Promise((resolve) => {
      const point = L.point(x, y);
      point.z = z;
      layer.createTile(point, () => resolve());
    })));
    times.push(performance.now() - t0);
  }
  window.__syncFrames = false;
  return times;
}

/// `?mode=draw`: time each tile on its own (drawEachTile); otherwise zoom through the five
/// levels, for the memory it leaves and the time tiles take when a whole view asks at once.
async function zoomThrough(map) {
  await allLoaded(map);
  if (new URLSearchParams(location.search).get("mode") === "draw") {
    window.__drawTimes = await drawEachTile(map);
    window.__benchDone = true;
    return;
  }
  for (const zoom of ZOOM_PATH.levels.slice(1)) {
    const loaded = Promise.all(gridLayers(map).map((layer) => new Promise((resolve) => layer.once("load", resolve))));
    map.setView(ZOOM_PATH.center, zoom, { animate: false });
    await loaded;
  }
  // Let label passes and re-renders settle before memory is read.
  await new Promise((resolve) => setTimeout(resolve, 300));
  window.__benchDone = true;
}
