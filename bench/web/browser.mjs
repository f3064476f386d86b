// Headless Chromium (Debian's, through playwright-core: no browser download) and the statistics
// every browser benchmark shares: cold loads in fresh contexts, interleaved, medians, and the
// reference measured against itself as the noise floor.

import { chromium } from "playwright-core";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-precise-memory-info",
  "--js-flags=--expose-gc",
];

export async function launch() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
  return browser;
}

/// A fresh context (empty cache) per load: every load is a first visit. Every page gets the
/// `app-version=stable` cookie the gateway sets on a first visit, so meshmap sends X-App-Version
/// on its own requests as it does in production (the reference pages ignore it).
export async function withPage(browser, viewport, work, origin) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  if (origin) await context.addCookies([{ name: "app-version", value: "stable", url: origin }]);
  // Marks reach the benchmark as console messages from a small observer, not by polling the page
  // with evaluated scripts: Playwright's first evaluation injects its own ~20 ms script on the
  // page's main thread, which would land inside whichever page's load is still running.
  await context.addInitScript(MARK_REPORTER);
  const page = await context.newPage();
  const marks = new Map();
  const waiting = new Map();
  page.on("console", (message) => {
    const match = /^bench:mark (\S+) ([0-9.]+)$/.exec(message.text());
    if (!match) return;
    marks.set(match[1], Number(match[2]));
    waiting.get(match[1])?.forEach((resolve) => resolve(Number(match[2])));
  });
  page.__markSeen = (name) => marks.has(name) ? Promise.resolve(marks.get(name)) : new Promise((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve]));
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  try {
    return await work(page, errors);
  } finally {
    await context.close();
  }
}

const MARK_REPORTER = `new PerformanceObserver((list) => {
  for (const mark of list.getEntries()) console.debug("bench:mark " + mark.name + " " + mark.startTime);
}).observe({ type: "mark", buffered: true });`;

/// Waits for a performance mark, returns its startTime (ms since navigation start).
export async function markTime(page, name, timeout = 60000) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no performance mark "${name}" within ${timeout} ms`)), timeout)));
  try {
    return await Promise.race([page.__markSeen(name), late]);
  } finally {
    clearTimeout(timer);
  }
}

/// JS heap in use after a full garbage collection, with ArrayBuffer backing stores (wasm memory,
/// typed arrays) counted: bytes.
export async function heapAfterGc(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const usage = await cdp.send("Runtime.getHeapUsage");
  await cdp.detach();
  return usage.usedSize + (usage.embedderHeapUsedSize ?? 0) + (usage.backingStorageSize ?? 0);
}

/// Bytes the page loaded, by kind: raw (decoded) and as transferred (brotli where compressible).
export async function bytesByKind(page) {
  const entries = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return [nav, ...performance.getEntriesByType("resource")].map((e) => ({
      name: e.name, raw: e.decodedBodySize, encoded: e.encodedBodySize, type: e.initiatorType,
    }));
  });
  const kinds = {};
  for (const entry of entries) {
    const kind = kindOf(entry);
    kinds[kind] ??= { raw: 0, encoded: 0, files: 0 };
    kinds[kind].raw += entry.raw;
    kinds[kind].encoded += entry.encoded;
    kinds[kind].files += 1;
  }
  return kinds;
}

function kindOf({ name, type }) {
  const path = new URL(name).pathname;
  if (type === "navigation" || path.endsWith(".html") || path.endsWith("/")) return "html";
  if (path.endsWith(".wasm")) return "wasm";
  if (path.endsWith(".js") || path.endsWith(".mjs")) return "js";
  if (path.endsWith(".css")) return "css";
  if (/\.(png|jpe?g|webp|mvt|pbf)$/.test(path) || path.startsWith("/raster/") || path.startsWith("/vt/")) return "tiles";
  if (/\.(json|geojson|bin)$/.test(path)) return "data";
  return "other";
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/// Runs `load(variant)` for A (reference), B (meshmap) and A again (the reference against itself),
/// interleaved (the order rotates each round), after one discarded warm-up round.
export async function interleaved(runs, variants, load, { warmUp = true } = {}) {
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = warmUp ? -1 : 0; round < runs; round++) {
    const order = variants.map((_, i) => variants[(i + Math.max(round, 0)) % variants.length]);
    for (const variant of order) {
      const value = await load(variant);
      if (round >= 0) results[variant].push(value);
    }
  }
  return results;
}

/// Compares B with A: the ratio of medians, and whether it lies outside the noise floor (how far
/// A's two series differ from each other, at least 3%).
export function compare(a, aAgain, b) {
  const ma = median(a), ma2 = median(aAgain), mb = median(b);
  const noise = Math.max(Math.abs(ma2 / ma - 1), 0.03);
  const ratio = mb / ma;
  // Every figure here is better lower (time, bytes, memory, frame time).
  const verdict = Math.abs(ratio - 1) <= noise ? "no difference" : ratio < 1 ? "meshmap ahead" : "meshmap behind";
  return { reference: ma, referenceAgain: ma2, meshmap: mb, ratio, noise, verdict };
}
