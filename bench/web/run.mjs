// `make bench`, the browser half: meshmap against the Leaflet-world references in one run, on the
// same machine, server, data and Chromium. Prints a Markdown table and writes a JSON file.
//
//   node bench/web/run.mjs --dist dist --out target/bench/browser.json [--runs 15] [--only a,b]
//
// Scenarios (each a cold load in a fresh browser context unless said otherwise):
//   first-map-geojson  plain Leaflet page vs meshmap: raster base + the countries as a GeoJSON overlay
//   first-map-geojson-canvas  the same against Leaflet with `preferCanvas: true`
//   first-map-mobile   the same on a phone's network (150 ms, 1.6 Mbit/s, brotli as served)
//   first-map-vector   Leaflet + protomaps-leaflet vs meshmap's default vector-tile map
//   tiles              vector tile decode + draw per tile and memory after five zoom levels:
//                      meshmap vs protomaps-leaflet vs Leaflet.VectorGrid on the same captured tiles
//   points             10k / 100k / 1M points: first draw, frame time while dragging, click accuracy:
//                      meshmap vs Leaflet's canvas renderer vs Leaflet.glify (WebGL, software here)
//   shapes             GeoJSON overlays (177 countries, 10,000 and 45,000 polygons): first map, drag frames,
//                      memory, click to popup: meshmap vs Leaflet SVG and canvas, VectorGrid.Slicer,
//                      MapLibre GL (WebGL in software)
//   weight             the code each page loads, and maplibre-gl's as the WebGL alternative's

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { launch, withPage, markTime, heapAfterGc, bytesByKind, interleaved, compare, median, percentile } from "./browser.mjs";
import { startServer, rasterTile } from "./server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith("--") ? "" : all[i + 1]]] : pairs), []),
);
const dist = path.resolve(args.dist ?? "dist");
const out = path.resolve(args.out ?? "target/bench/browser.json");
const runs = Number(args.runs ?? 15);
const only = args.only ? new Set(args.only.split(",")) : null;
const tilesDir = path.join(repo, "bench/tiles");
const DESKTOP = { width: 1280, height: 800 };

// ---- What the server serves --------------------------------------------------------------------

const distFile = (name) => path.join(dist, name);
const configs = new Map();
const points = new Map();

function routes(pathname) {
  // meshmap scenarios: /m/<scenario>/ is the app with that scenario's config.json.
  let match = pathname.match(/^\/m\/([a-z0-9-]+)\/(.*)$/);
  if (match) {
    const [, scenario, rest] = match;
    if (rest === "" || rest === "index.html") return { file: distFile("index.html") };
    if (rest === "config.json") return configs.has(scenario) ? { bytes: Buffer.from(JSON.stringify(configs.get(scenario))), type: "application/json", ext: ".json" } : null;
    if (rest.startsWith("data/")) return { file: distFile(rest) };
    return null;
  }
  if (pathname.startsWith("/ref/")) return { file: path.join(here, "pages", pathname.slice(5)) };
  if (pathname.startsWith("/lib/")) return { file: path.join(here, "node_modules", pathname.slice(5)) };
  match = pathname.match(/^\/raster\/(\d+)\/(\d+)\/(\d+)\.png$/);
  if (match) return { bytes: rasterTile(+match[1], +match[2], +match[3]), type: "image/png", ext: ".png" };
  match = pathname.match(/^\/vt\/([a-z_]+)\/(\d+)\/(\d+)\/(\d+)$/);
  if (match) {
    const file = path.join(tilesDir, match[1], match[2], match[3], `${match[4]}.mvt`);
    if (!fs.existsSync(file)) return null;
    const bytes = fs.readFileSync(file);
    return bytes.length ? { bytes, type: "application/x-protobuf", ext: ".mvt" } : { status: 204 };
  }
  if (pathname === "/vt/index.json") return { bytes: Buffer.from(JSON.stringify(capturedTiles())), type: "application/json", ext: ".json" };
  match = pathname.match(/^\/points\/(\d+)\.(bin|geojson)$/);
  if (match) return pointsFile(+match[1], match[2]);
  match = pathname.match(/^\/shapes\/([a-z0-9-]+)\.geojson$/);
  if (match && SHAPES[match[1]]) return { file: shapesFile(match[1]) };
  const file = distFile(pathname.slice(1));
  return fs.existsSync(file) && fs.statSync(file).isFile() ? { file } : null;
}

function capturedTiles() {
  const list = [];
  for (const source of fs.readdirSync(tilesDir).filter((d) => fs.statSync(path.join(tilesDir, d)).isDirectory())) {
    for (const z of fs.readdirSync(path.join(tilesDir, source)))
      for (const x of fs.readdirSync(path.join(tilesDir, source, z)))
        for (const y of fs.readdirSync(path.join(tilesDir, source, z, x))) list.push(`${source}/${z}/${x}/${y.replace(/\.mvt$/, "")}`);
  }
  return list;
}

const PROBE = { lng: -40, lat: 45 };

/// Deterministic points: clustered around the sample places, so the density looks like real data.
function pointsData(count) {
  if (points.has(count)) return points.get(count);
  const places = JSON.parse(fs.readFileSync(path.join(repo, "assets/data/places.geojson"), "utf8")).features.map((f) => f.geometry.coordinates);
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const lng = new Float32Array(count), lat = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const [plng, plat] = places[Math.floor(random() * places.length)];
    const spread = 0.2 + random() * 6;
    const angle = random() * Math.PI * 2, distance = Math.sqrt(random()) * spread;
    lng[i] = Math.max(-180, Math.min(180, plng + Math.cos(angle) * distance));
    lat[i] = Math.max(-85, Math.min(85, plat + Math.sin(angle) * distance));
  }
  // The last point is the click probe: alone in the North Atlantic, where every page clicks.
  lng[count - 1] = PROBE.lng;
  lat[count - 1] = PROBE.lat;
  const data = { lng, lat };
  points.set(count, data);
  return data;
}

function pointsFile(count, format) {
  const { lng, lat } = pointsData(count);
  if (format === "bin") {
    // meshmap's compact form: little-endian f32 pairs (lng, lat).
    const bytes = Buffer.alloc(count * 8);
    for (let i = 0; i < count; i++) {
      bytes.writeFloatLE(lng[i], i * 8);
      bytes.writeFloatLE(lat[i], i * 8 + 4);
    }
    return { bytes, type: "application/octet-stream", ext: ".bin" };
  }
  const features = [];
  for (let i = 0; i < count; i++) features.push(`{"type":"Feature","properties":{"id":${i}},"geometry":{"type":"Point","coordinates":[${lng[i]},${lat[i]}]}}`);
  return { bytes: Buffer.from(`{"type":"FeatureCollection","features":[${features.join(",")}]}`), type: "application/geo+json", ext: ".geojson" };
}

// GeoJSON documents for the "shapes" scenario: the sample countries, and polygons shaped like
// administrative areas (generated by the shapes_draw example, bench/grid.rs: ~100 vertices each,
// shared wiggly borders) at 10,000 (22 MB) and 45,000 (~100 MB).
const SHAPES = {
  countries: { label: "177 countries (0.2 MB)", view: { center: [20, 0], zoom: 2 }, timeout: 60000 },
  "grid-10000": { label: "10,000 polygons (22 MB)", view: { center: [52, 15], zoom: 5 }, count: 10000, timeout: 180000 },
  "grid-45000": { label: "45,000 polygons (~100 MB)", view: { center: [52, 15], zoom: 5 }, count: 45000, timeout: 120000 },
};
function shapesFile(name) {
  if (name === "countries") return distFile("data/countries.geojson");
  const file = path.join(repo, "target/bench/shapes", `${name}.geojson`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    execFileSync("cargo", ["run", "--release", "--quiet", "--example", "shapes_draw", "--", "--write", file, String(SHAPES[name].count)], { cwd: repo, stdio: "inherit" });
  }
  return file;
}

// ---- Scenario configs (meshmap) ----------------------------------------------------------------

const overlayStyle = { color: "#b03a2e", weight: 1, opacity: 1, fillColor: "#e74c3c", fillOpacity: 0.2 };
configs.set("geojson", {
  view: { center: [20, 0], zoom: 2, minZoom: 1, maxZoom: 10 },
  baseLayers: [{ name: "Raster", url: "/raster/{z}/{x}/{y}.png", maxZoom: 10, attribution: "bench tiles" }],
  overlays: [{ name: "Countries", type: "geojson", url: "data/countries.geojson", style: overlayStyle }],
});
for (const [name, data] of Object.entries(SHAPES)) {
  configs.set(`shapes-${name}`, {
    view: { ...data.view, minZoom: 1, maxZoom: 12 },
    baseLayers: [{ name: "Raster", url: "/raster/{z}/{x}/{y}.png", maxZoom: 12, attribution: "bench tiles" }],
    overlays: [{ name: "Shapes", type: "geojson", url: `/shapes/${name}.geojson`, style: overlayStyle }],
  });
}
const countriesStyle = { color: "#8a8a7a", weight: 0.8, fillColor: "#f2efe9", fillOpacity: 1 };
const placesStyle = { color: "#ffffff", weight: 1.5, fillColor: "#c0392b", fillOpacity: 0.9, radius: 4, label: "name", labelMinZoom: 3 };
configs.set("vector", {
  view: { center: [20, 0], zoom: 2, minZoom: 1, maxZoom: 10 },
  tiles: { url: "/vt/", catalog: false },
  baseLayers: [{ name: "Countries", type: "vector", url: "/vt/countries/{z}/{x}/{y}", attribution: "Natural Earth", style: countriesStyle }],
  overlays: [{ name: "Places", type: "vector", url: "/vt/places/{z}/{x}/{y}", visible: true, style: placesStyle }],
});

// ---- Scenarios ---------------------------------------------------------------------------------

const results = { date: new Date().toISOString(), machine: machine(), runs, scenarios: {} };
const table = [];
const row = (scenario, figure, reference, meshmap, ratio, note = "") => table.push({ scenario, figure, reference, meshmap, ratio, note });
const ms = (v) => `${v.toFixed(0)} ms`;
const kb = (v) => `${(v / 1000).toFixed(1)} KB`;
const mb = (v) => `${(v / 1e6).toFixed(1)} MB`;

// `--observe`: for builds that do not set the mark (older meshmap), a watcher in every page marks
// the moment all tiles are loaded and at least `--paths` (177) shapes are drawn.
const observeScript = `(() => {
  const want = ${Number(args.paths ?? 177)};
  const check = () => {
    const tiles = [...document.querySelectorAll(".leaflet-tile")];
    const paths = document.querySelectorAll("path.leaflet-interactive").length;
    if (tiles.length && tiles.every((t) => t.classList.contains("leaflet-tile-loaded")) && paths >= want) {
      performance.mark("bench:observed-complete");
    } else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`;
const completeMark = "observe" in args ? "bench:observed-complete" : "meshmap:complete";

/// `--trace DIR`: one visit of each `[name, url]` with a Chromium performance trace, until
/// `done(page)`, written to DIR/<prefix>-<name>.json (`--trace-cpu` adds a CPU profile).
async function traceVisits(prefix, visits, done) {
  fs.mkdirSync(args.trace, { recursive: true });
  const categories = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink.user_timing", "loading", "netlog"];
  if ("trace-cpu" in args) categories.push("disabled-by-default-v8.cpu_profiler");
  for (const [name, url] of visits) {
    const file = path.join(args.trace, `${prefix}-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`);
    await withPage(browser, DESKTOP, async (page) => {
      await browser.startTracing(page, { path: file, categories });
      await page.goto(url);
      await done(page);
      await browser.stopTracing();
    }, server.origin);
    console.log(`trace of one ${name} visit: ${file}`);
  }
}

/// A phone's network (issue 25): 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, as
/// Chromium's network emulation throttles it; the pages' code is served brotli-compressed as
/// nginx serves it.
const MOBILE_NETWORK = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 };

async function firstMap(browser, scenario, referenceUrl, meshmapUrl, referenceName, { network, runs: scenarioRuns } = {}) {
  const load = (url) => withPage(browser, DESKTOP, async (page, errors) => {
    if ("observe" in args) await page.addInitScript(observeScript);
    if (network) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", network);
    }
    await page.goto(url);
    const complete = await markTime(page, completeMark);
    const heap = await heapAfterGc(page);
    const bytes = await bytesByKind(page);
    if (errors.length) console.error(`  ${url}: ${errors.join("; ")}`);
    const timeline = "timeline" in args ? await page.evaluate(() => performance.getEntries().filter((e) => e.entryType !== "paint").map((e) => [e.entryType, e.name.replace(location.origin, ""), Math.round(e.startTime), Math.round(e.responseEnd ?? e.startTime + e.duration)])) : null;
    return { complete, heap, bytes, timeline };
  }, server.origin);
  const series = await interleaved(scenarioRuns ?? runs, ["A", "B", "A2"], (v) => load(v === "B" ? meshmapUrl : referenceUrl));
  const pick = (v, f) => series[v].map(f);
  const time = compare(pick("A", (r) => r.complete), pick("A2", (r) => r.complete), pick("B", (r) => r.complete));
  const heap = compare(pick("A", (r) => r.heap), pick("A2", (r) => r.heap), pick("B", (r) => r.heap));
  const bytes = { reference: series.A[0].bytes, meshmap: series.B[0].bytes };
  // `--timeline`: where the time goes in the median load of each page (start and end of every
  // request and mark, ms since navigation).
  if ("timeline" in args) {
    for (const v of ["A", "B"]) {
      const middle = [...series[v]].sort((x, y) => x.complete - y.complete)[series[v].length >> 1];
      console.log(`timeline of the median ${v === "B" ? "meshmap" : referenceName} load (${ms(middle.complete)}):`);
      for (const [type, name, start, end] of middle.timeline) console.log(`  ${String(start).padStart(5)} ${String(end).padStart(5)}  ${type.padEnd(10)} ${name}`);
    }
  }
  // `--trace DIR`: one more load of each page with a Chromium performance trace (open it in
  // DevTools' Performance panel, or summarise it with bench/web/trace-summary.py); `--trace-cpu` adds a CPU profile.
  if (args.trace) {
    await traceVisits(scenario, [[referenceName, referenceUrl], ["meshmap", meshmapUrl]], (page) => markTime(page, completeMark));
  }
  results.scenarios[scenario] = { time, heap, bytes, samples: { reference: pick("A", (r) => r.complete), referenceAgain: pick("A2", (r) => r.complete), meshmap: pick("B", (r) => r.complete) } };
  row(scenario, "first complete map (median)", ms(time.reference), ms(time.meshmap), time.ratio, `${time.verdict}; noise floor ±${(time.noise * 100).toFixed(0)}% (${referenceName} vs itself: ${ms(time.referenceAgain)})`);
  row(scenario, "JS heap + buffers after load (GC'd)", mb(heap.reference), mb(heap.meshmap), heap.ratio, heap.verdict);
  const code = (k) => ["wasm", "js", "css"].reduce((sum, kind) => sum + (k[kind]?.encoded ?? 0), 0);
  row(scenario, "page code (JS + wasm + CSS, brotli)", kb(code(bytes.reference)), kb(code(bytes.meshmap)), code(bytes.meshmap) / code(bytes.reference));
  for (const kind of ["wasm", "js", "css", "html", "data", "tiles"]) {
    const a = bytes.reference[kind], b = bytes.meshmap[kind];
    if (!a && !b) continue;
    const text = (k) => (k ? `${kb(k.raw)} raw / ${kb(k.encoded)} sent (${k.files})` : "—");
    row(scenario, `first-view ${kind}`, text(a), text(b), a && b && a.encoded ? b.encoded / a.encoded : NaN);
  }
}

/// Live objects (issue 14): the API's stream of 10,000 simulated flights (MESHMAP_BENCH_API, set
/// by scripts/bench.sh), drawn by the live layer: frame times over 5 s while they move.
async function live(browser) {
  const api = process.env.MESHMAP_BENCH_API;
  if (!api) return;
  const samples = [];
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 5)); i++) {
    samples.push(await withPage(browser, DESKTOP, async (page, errors) => {
      await page.goto(`${server.origin}/ref/live-meshmap.html?api=${encodeURIComponent(api)}`);
      await page.waitForFunction(() => Number(document.querySelector("canvas.meshmap-live")?.dataset.objects ?? 0) > 1000, null, { timeout: 60000 });
      const frames = await page.evaluate(() => new Promise((resolve) => {
        const f = []; let last = performance.now(); const t0 = last;
        const tick = (now) => { f.push(now - last); last = now; if (now - t0 < 5000) requestAnimationFrame(tick); else resolve(f); };
        requestAnimationFrame(tick);
      }));
      const drawn = await page.evaluate(() => Number(document.querySelector("canvas.meshmap-live").dataset.objects));
      if (errors.length) console.error(`  live: ${errors.slice(0, 3).join("; ")}`);
      return { frame: median(frames), p95: percentile(frames, 95), longest: Math.max(...frames), drawn };
    }));
  }
  const m = (f) => median(samples.map(f));
  results.scenarios.live = { frame: m((s) => s.frame), p95: m((s) => s.p95), longest: m((s) => s.longest), drawn: m((s) => s.drawn) };
  const r = results.scenarios.live;
  row("live 10k", `frame time while 10,000 objects stream at 1 Hz (${r.drawn.toFixed(0)} in view), median / p95 / longest`, "", `${r.frame.toFixed(1)} / ${r.p95.toFixed(1)} / ${r.longest.toFixed(0)} ms (${(1000 / r.p95).toFixed(0)} fps at p95)`, NaN, "no reference: the issue asks for >= 50 fps");
}

async function tiles(browser) {
  // Each library's page zooms through five levels over Europe on tiles held in memory (fetch is
  // answered at once), so the per-tile time is decoding and drawing only.
  // protomaps-leaflet twice: its spread against itself is the noise floor.
  const libraries = { meshmap: "/ref/tiles-meshmap.html", "protomaps-leaflet": "/ref/tiles-protomaps.html", "Leaflet.VectorGrid": "/ref/tiles-vectorgrid.html", "protomaps-leaflet (again)": "/ref/tiles-protomaps.html" };
  const per = {};
  for (const [name, url] of Object.entries(libraries)) per[name] = { draw: [], latency: [], heap: [] };
  const tileRuns = Math.max(5, Math.ceil(runs / 3));
  const visit = (name, mode) => withPage(browser, DESKTOP, async (page, errors) => {
    await page.goto(`${server.origin}${libraries[name]}?mode=${mode}`);
    await page.waitForFunction(() => window.__benchDone === true, null, { timeout: 180000, polling: 50 });
    if (errors.length) console.error(`  ${name} (${mode}): ${errors.join("; ")}`);
    if (mode === "draw") {
      per[name].draw.push(...(await page.evaluate(() => window.__drawTimes)));
    } else {
      per[name].latency.push(...(await page.evaluate(() => window.__tileTimes)));
      per[name].heap.push(await heapAfterGc(page));
    }
  }, server.origin);
  await interleaved(tileRuns, Object.keys(libraries), async (name) => {
    await visit(name, "zoom");
    await visit(name, "draw");
  });
  // `--trace DIR`: one more draw-mode visit of each library with a performance trace.
  if (args.trace) {
    const visits = Object.entries(libraries).filter(([name]) => !name.endsWith("(again)")).map(([name, url]) => [name, `${server.origin}${url}?mode=draw`]);
    await traceVisits("tiles-draw", visits, (page) => page.waitForFunction(() => window.__benchDone === true, null, { timeout: 180000, polling: 50 }));
  }
  const summary = Object.fromEntries(Object.entries(per).map(([name, s]) => [name, {
    tiles: s.draw.length, median: median(s.draw), p95: percentile(s.draw, 95),
    latencyMedian: median(s.latency), latencyP95: percentile(s.latency, 95), heap: median(s.heap),
  }]));
  results.scenarios.tiles = summary;
  const m = summary.meshmap;
  const again = summary["protomaps-leaflet (again)"];
  const floor = (f) => noiseFloor(f(summary["protomaps-leaflet"]), f(again));
  for (const reference of ["protomaps-leaflet", "Leaflet.VectorGrid"]) {
    const r = summary[reference];
    row("tiles", `decode + draw per tile (both sources), median (vs ${reference})`, ms2(r.median), ms2(m.median), m.median / r.median, `${m.tiles} / ${r.tiles} tiles, one at a time (frames run at once, frames-first.js); noise floor ${floor((x) => x.median)}`);
    row("tiles", `decode + draw per tile, p95 (vs ${reference})`, ms2(r.p95), ms2(m.p95), m.p95 / r.p95);
    row("tiles", `tile ready while zooming, median / p95 (vs ${reference})`, `${ms2(r.latencyMedian)} / ${ms2(r.latencyP95)}`, `${ms2(m.latencyMedian)} / ${ms2(m.latencyP95)}`, m.latencyMedian / r.latencyMedian, "from Leaflet asking to the tile drawn, all of a view at once");
    row("tiles", `memory after 5 zoom levels (vs ${reference})`, mb(r.heap), mb(m.heap), m.heap / r.heap, `JS heap + array buffers, after GC; noise floor ${floor((x) => x.heap)}`);
  }
}
const ms2 = (v) => `${v.toFixed(2)} ms`;
/// How far a reference's two series differ: the noise floor a ratio is read against.
const noiseFloor = (a, again) => `±${((Math.abs(again / a - 1)) * 100).toFixed(0)}% (the reference against itself)`;

async function pointsScenario(browser) {
  const cases = [
    { count: 10000, refs: ["leaflet-canvas", "glify"] },
    { count: 100000, refs: ["leaflet-canvas", "glify"] },
    { count: 1000000, refs: ["glify"] },
    // Clustered: meshmap's clustering in Rust against supercluster's in JavaScript with Leaflet
    // markers, the same radius and zooms.
    { count: 100000, refs: ["supercluster"], cluster: true },
    { count: 1000000, refs: ["supercluster"], cluster: true },
  ];
  results.scenarios.points = {};
  const pointRuns = Math.max(3, Math.ceil(runs / 5));
  // `--points clustered` (or `plain`): only those cases.
  for (const { count, refs, cluster } of cases.filter((c) => !args.points || (args.points === "clustered") === !!c.cluster)) {
    // The first reference twice: its spread against itself is the noise floor.
    const variants = ["meshmap", ...refs, "again"];
    const pageOf = (variant) => (variant === "again" ? refs[0] : variant);
    const series = await interleaved(pointRuns, variants, (variant) => withPage(browser, DESKTOP, async (page, errors) => {
      await page.goto(`${server.origin}/ref/points-${pageOf(variant)}.html?n=${count}${cluster ? "&cluster" : ""}`);
      const firstDraw = await markTime(page, "bench:points-drawn", 180000);
      const frames = await dragFrames(page);
      // Back to the first view, then a click on the probe point (the last one).
      await page.evaluate(() => window.__resetView());
      await page.waitForTimeout(800);
      const target = await page.evaluate(() => window.__probe());
      await page.mouse.click(target.x, target.y);
      await page.waitForTimeout(400);
      const click = (await page.evaluate(() => window.__clicked)) === target.id;
      if (errors.length) console.error(`  points ${variant} ${count}: ${errors.slice(0, 3).join("; ")}`);
      return { firstDraw, frame: median(frames), frameP95: percentile(frames, 95), frameMax: Math.max(...frames), click };
    }, server.origin));
    const summary = Object.fromEntries(variants.map((v) => [v, {
      firstDraw: median(series[v].map((r) => r.firstDraw)),
      frame: median(series[v].map((r) => r.frame)),
      frameP95: median(series[v].map((r) => r.frameP95)),
      frameMax: median(series[v].map((r) => r.frameMax)),
      clicks: series[v].filter((r) => r.click === true).length + "/" + series[v].length,
    }]));
    results.scenarios.points[`${count}${cluster ? "-clustered" : ""}`] = summary;
    const m = summary.meshmap;
    for (const reference of refs) {
      const r = summary[reference];
      const label = { glify: "Leaflet.glify (WebGL in software)", supercluster: "Leaflet + supercluster" }[reference] ?? "Leaflet canvas renderer";
      const scenario = `points ${count / 1000}k${cluster ? " clustered" : ""}`;
      row(scenario, `first draw (vs ${label})`, ms(r.firstDraw), ms(m.firstDraw), m.firstDraw / r.firstDraw, reference === refs[0] ? `noise floor ${noiseFloor(r.firstDraw, summary.again.firstDraw)}` : "");
      const frameText = (x) => `${x.frame.toFixed(1)} / ${x.frameP95.toFixed(1)} / ${x.frameMax.toFixed(0)} ms (${(1000 / x.frameP95).toFixed(0)} fps at p95)`;
      row(scenario, `frame time during a 1 s drag and after it, median / p95 / longest (vs ${label})`, frameText(r), frameText(m), m.frameP95 / r.frameP95, "ratio of p95");
      row(scenario, `click finds the clicked point (vs ${label})`, r.clicks, m.clicks, NaN);
    }
  }
}

/// When a click is answered: from the pointer going down to a popup (Leaflet's or MapLibre's)
/// in the page, whoever draws it.
const CLICK_TIMER = `window.__wasmMemories = [];
for (const name of ["instantiate", "instantiateStreaming"]) {
  const real = WebAssembly[name];
  WebAssembly[name] = async function (...args) {
    const result = await real.apply(this, args);
    const exports = (result.instance ?? result).exports ?? {};
    for (const value of Object.values(exports)) if (value instanceof WebAssembly.Memory) window.__wasmMemories.push(value);
    return result;
  };
}
// The main thread's long tasks (over 50 ms, Chromium's Long Tasks API) until the first complete
// map: how long the page stops answering while it reads and indexes the document.
window.__longTasks = [];
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: "longtask", buffered: true });
} catch {}
addEventListener("pointerdown", () => { window.__down = performance.now(); window.__answered = null; }, true);
new MutationObserver(() => {
  if (window.__down && window.__answered == null && document.querySelector(".leaflet-popup, .maplibregl-popup")) window.__answered = performance.now() - window.__down;
}).observe(document, { childList: true, subtree: true });`;

/// The memory a page holds, measured the same way for every page: the JS heap with array
/// buffers after a full garbage collection, wasm memories (which Chromium's heap figures leave
/// out; recorded as the page instantiates its modules), plus the pixels of every canvas (4 bytes
/// each; a WebGL canvas's drawing buffer, not its textures).
async function pageMemory(page) {
  const heap = await heapAfterGc(page);
  const [canvases, wasm] = await page.evaluate(() => [
    [...document.querySelectorAll("canvas")].reduce((sum, c) => sum + c.width * c.height * 4, 0),
    (window.__wasmMemories ?? []).reduce((sum, m) => sum + m.buffer.byteLength, 0),
  ]);
  return { heap: heap + wasm, canvases, total: heap + wasm + canvases };
}

/// GeoJSON overlays (issue 21): the same document drawn by meshmap (Rust, tile canvases),
/// Leaflet (SVG and canvas), Leaflet.VectorGrid.Slicer and MapLibre GL: first complete map, frame
/// times while dragging, memory, and how long a click takes to open a popup. Leaflet's canvas
/// page runs twice: its spread against itself is the noise floor.
async function shapesScenario(browser) {
  const pages = {
    meshmap: (d) => `/m/shapes-${d}/`,
    "Leaflet SVG": (d) => `/ref/shapes-leaflet.html?data=${d}`,
    "Leaflet canvas": (d) => `/ref/shapes-leaflet.html?canvas&data=${d}`,
    "Leaflet canvas (again)": (d) => `/ref/shapes-leaflet.html?canvas&data=${d}`,
    "VectorGrid.Slicer": (d) => `/ref/shapes-vectorgrid.html?data=${d}`,
    "MapLibre GL (software WebGL)": (d) => `/ref/shapes-maplibre.html?data=${d}`,
  };
  results.scenarios.shapes = {};
  const only = args.shapes ? new Set(args.shapes.split(",")) : null;
  for (const [data, spec] of Object.entries(SHAPES).filter(([d]) => !only || only.has(d))) {
    shapesFile(data);
    // The largest document: one visit each, after the server has compressed it once (no warm-up
    // round: a page that takes a minute to draw it would double the benchmark for nothing).
    const big = data === "grid-45000";
    if (big) await fetch(`${server.origin}/shapes/${data}.geojson`, { headers: { "accept-encoding": "br" } }).then((r) => r.arrayBuffer());
    const visits = data === "countries" ? Math.max(3, Math.ceil(runs / 3)) : big ? 1 : 3;
    // A page that did not draw within its timeout once is not tried again.
    const gaveUp = new Set();
    const series = await interleaved(visits, Object.keys(pages), (variant) => gaveUp.has(variant) ? { failed: "skipped" } : withPage(browser, DESKTOP, async (page, errors) => {
      await page.addInitScript(CLICK_TIMER);
      await page.goto(`${server.origin}${pages[variant](data)}`);
      let firstDraw;
      try {
        firstDraw = await markTime(page, "meshmap:complete", spec.timeout);
      } catch {
        gaveUp.add(variant);
        return { failed: `no complete map within ${spec.timeout / 1000} s` };
      }
      const longTasks = await page.evaluate(() => window.__longTasks.slice());
      const memory = await pageMemory(page);
      // A click in the middle of the map (every view there shows a shape), then its popup.
      await page.mouse.click(DESKTOP.width / 2 + 3, DESKTOP.height / 2 + 3);
      const answered = await page.waitForFunction(() => window.__answered, null, { timeout: 10000 }).then((h) => h.jsonValue()).catch(() => NaN);
      await page.keyboard.press("Escape");
      await page.waitForTimeout(300);
      const frames = await dragFrames(page);
      if (errors.length) console.error(`  shapes ${data} ${variant}: ${errors.slice(0, 3).join("; ")}`);
      return { firstDraw, memory: memory.total, heap: memory.heap, canvases: memory.canvases, click: answered, frameP95: percentile(frames, 95), frameMax: Math.max(...frames),
        longestTask: longTasks.length ? Math.max(...longTasks) : 0, longTasks: longTasks.length };
    }, server.origin), { warmUp: !big });
    const summary = {};
    for (const [variant, list] of Object.entries(series)) {
      const ok = list.filter((r) => !r.failed);
      const m = (f) => (ok.length ? median(ok.map(f)) : NaN);
      summary[variant] = ok.length
        ? { firstDraw: m((r) => r.firstDraw), frameP95: m((r) => r.frameP95), frameMax: m((r) => r.frameMax), memory: m((r) => r.memory), heap: m((r) => r.heap), canvases: m((r) => r.canvases), click: m((r) => r.click), longestTask: m((r) => r.longestTask), longTasks: m((r) => r.longTasks), runs: ok.length }
        : { failed: list.find((r) => r.failed)?.failed ?? "failed" };
    }
    results.scenarios.shapes[data] = summary;
    const me = summary.meshmap;
    const floor = summary["Leaflet canvas"]?.firstDraw && summary["Leaflet canvas (again)"]?.firstDraw
      ? Math.abs(summary["Leaflet canvas"].firstDraw - summary["Leaflet canvas (again)"].firstDraw) / summary["Leaflet canvas"].firstDraw : NaN;
    const scenario = `shapes: ${spec.label}`;
    const cell = (x, f) => (x.failed ? x.failed : f(x));
    for (const reference of ["Leaflet SVG", "Leaflet canvas", "VectorGrid.Slicer", "MapLibre GL (software WebGL)"]) {
      const r = summary[reference];
      const ratio = (f) => (me.failed || r.failed ? NaN : f(me) / f(r));
      row(scenario, `first complete map (vs ${reference})`, cell(r, (x) => ms(x.firstDraw)), cell(me, (x) => ms(x.firstDraw)), ratio((x) => x.firstDraw),
        reference === "Leaflet canvas" ? `noise floor ±${(floor * 100).toFixed(0)}% (Leaflet canvas against itself)` : "");
      row(scenario, `frame time while dragging, p95 / longest (vs ${reference})`, cell(r, (x) => `${x.frameP95.toFixed(1)} / ${x.frameMax.toFixed(0)} ms`), cell(me, (x) => `${x.frameP95.toFixed(1)} / ${x.frameMax.toFixed(0)} ms`), ratio((x) => x.frameP95), "ratio of p95");
      row(scenario, `memory: JS heap + buffers + canvas pixels (vs ${reference})`, cell(r, (x) => mb(x.memory)), cell(me, (x) => mb(x.memory)), ratio((x) => x.memory), `meshmap ${cell(me, (x) => `${mb(x.heap)} heap + ${mb(x.canvases)} canvases`)}`);
      row(scenario, `main thread while loading: longest task / tasks over 50 ms (vs ${reference})`, cell(r, (x) => `${ms(x.longestTask)} / ${x.longTasks}`), cell(me, (x) => `${ms(x.longestTask)} / ${x.longTasks}`), ratio((x) => x.longestTask), "the issue asks meshmap for none over 50 ms");
      row(scenario, `click to popup (vs ${reference})`, cell(r, (x) => ms(x.click)), cell(me, (x) => ms(x.click)), ratio((x) => x.click));
    }
  }
}

/// A scripted drag across the map with the mouse, one step a frame for about a second, then
/// half a second of the map settling (redraws at the drag's end count); returns rAF intervals.
async function dragFrames(page) {
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__recording) requestAnimationFrame(tick);
    };
    window.__recording = true;
    requestAnimationFrame(tick);
  });
  const { width, height } = DESKTOP;
  await page.mouse.move(width / 2, height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 60; i++) {
    await page.mouse.move(width / 2 - i * 8, height / 2 - i * 3);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  await page.waitForTimeout(500);
  const frames = await page.evaluate(() => {
    window.__recording = false;
    return window.__frames.slice(1);
  });
  return frames.length ? frames : [NaN];
}

function weight() {
  const brotli = (file) => zlib.brotliCompressSync(fs.readFileSync(file), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const lib = (p) => path.join(here, "node_modules", p);
  const files = {
    "leaflet 1.9.4 (JS + CSS)": [lib("leaflet/dist/leaflet.js"), lib("leaflet/dist/leaflet.css")],
    "protomaps-leaflet 5.1": [lib("protomaps-leaflet/dist/protomaps-leaflet.js")],
    "Leaflet.VectorGrid 1.3 (bundled)": [lib("leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js")],
    "Leaflet.glify 3.3": [lib("leaflet.glify/dist/glify-browser.js")],
    "maplibre-gl (JS + CSS; the WebGL alternative)": [lib("maplibre-gl/dist/maplibre-gl.js"), lib("maplibre-gl/dist/maplibre-gl.css")],
  };
  const meshmapFiles = fs.readdirSync(dist).filter((f) => /^(meshmap-[0-9a-f]+\.js|meshmap-[0-9a-f]+_bg\.wasm)$/.test(f)).map(distFile);
  files["meshmap wasm + glue (no Leaflet)"] = meshmapFiles;
  results.scenarios.weight = Object.fromEntries(Object.entries(files).map(([name, list]) => [name, list.reduce((s, f) => s + brotli(f), 0)]));
  for (const [name, bytes] of Object.entries(results.scenarios.weight)) row("weight", name, "", kb(bytes), NaN, "brotli -q 11");
}

function machine() {
  let chromium = "unknown";
  try {
    chromium = execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], { encoding: "utf8" }).trim();
  } catch {}
  return { chromium, cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

// ---- Main --------------------------------------------------------------------------------------

const server = await startServer(routes);
if ("serve" in args) {
  // `--serve`: only the server, to look at the pages by hand; Ctrl-C stops it.
  console.log(`serving on ${server.origin}/ref/… and ${server.origin}/m/<scenario>/`);
  await new Promise(() => {});
}
const browser = await launch();
const want = (name) => !only || only.has(name);
try {
  if (want("first-map-geojson")) await firstMap(browser, "first-map-geojson", `${server.origin}/ref/leaflet-geojson.html`, `${server.origin}/m/geojson/`, "Leaflet");
  if (want("first-map-geojson-canvas")) await firstMap(browser, "first-map-geojson-canvas", `${server.origin}/ref/leaflet-geojson.html?canvas`, `${server.origin}/m/geojson/`, "Leaflet preferCanvas");
  if (want("first-map-mobile")) await firstMap(browser, "first-map-mobile", `${server.origin}/ref/leaflet-geojson.html`, `${server.origin}/m/geojson/`, "Leaflet", { network: MOBILE_NETWORK, runs: Math.max(5, Math.ceil(runs / 2)) });
  if (want("first-map-vector")) await firstMap(browser, "first-map-vector", `${server.origin}/ref/protomaps-first.html`, `${server.origin}/m/vector/`, "protomaps-leaflet");
  if (want("live")) await live(browser);
  if (want("tiles")) await tiles(browser);
  if (want("points")) await pointsScenario(browser);
  if (want("shapes")) await shapesScenario(browser);
  if (want("weight")) weight();
} finally {
  await browser.close();
  await server.close();
}

const { chromium, cores, cpu } = results.machine;
console.log(`\n${chromium}, ${cores} cores (${cpu}), ${runs} runs per side, medians; ${results.date}\n`);
console.log("| scenario | figure | reference | meshmap | ratio | note |");
console.log("|---|---|---|---|---|---|");
for (const r of table) console.log(`| ${r.scenario} | ${r.figure} | ${r.reference} | ${r.meshmap} | ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) + "×" : ""} | ${r.note} |`);
results.table = table;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(results, null, 2));
console.log(`\n(written to ${path.relative(process.cwd(), out)})`);
