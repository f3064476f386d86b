// The one static server for every browser benchmark: meshmap's release bundle and the reference
// pages are served by the same process, from loopback, with the same compression (brotli q11 for
// text and wasm when the browser asks for it, cached), so only the pages differ.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".geojson": "application/geo+json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".mvt": "application/vnd.mapbox-vector-tile",
  ".bin": "application/octet-stream",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".geojson", ".wasm", ".svg", ".bin"]);

/// A 256 px PNG raster tile, the same bytes for every page: a tinted background with a grid and
/// some texture, so it weighs about what a real map tile does.
const rasterTiles = new Map();
export function rasterTile(z, x, y) {
  const key = `${z}/${x}/${y}`;
  if (!rasterTiles.has(key)) rasterTiles.set(key, drawRasterTile(z, x, y));
  return rasterTiles.get(key);
}

function drawRasterTile(z, x, y) {
  const size = 256;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  let seed = (z * 73856093) ^ (x * 19349663) ^ (y * 83492791);
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const base = [200 + (z * 7) % 40, 215 + (x * 5) % 30, 225 + (y * 3) % 25];
  for (let row = 0; row < size; row++) {
    const offset = row * (size * 3 + 1);
    raw[offset] = 0;
    for (let col = 0; col < size; col++) {
      const line = row % 32 === 0 || col % 32 === 0 || row === size - 1 || col === size - 1;
      const noise = random() & 0x0f;
      for (let c = 0; c < 3; c++) {
        raw[offset + 1 + col * 3 + c] = line ? base[c] - 60 : Math.min(255, base[c] + noise - 8);
      }
    }
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(raw, { level: 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/// `routes(pathname)` answers `{ file }`, `{ bytes, type }` or null (404). Returns the server and
/// its origin; `close()` stops it.
export async function startServer(routes) {
  const cache = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let answer;
    try {
      answer = routes(decodeURIComponent(url.pathname), url);
    } catch (error) {
      answer = null;
    }
    if (answer && answer.file) {
      try {
        answer = { bytes: fs.readFileSync(answer.file), type: TYPES[path.extname(answer.file)] ?? "application/octet-stream", ext: path.extname(answer.file) };
      } catch {
        answer = null;
      }
    }
    if (!answer) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    if (answer.status === 204) {
      res.writeHead(204, { "access-control-allow-origin": "*" });
      res.end();
      return;
    }
    const headers = {
      "content-type": answer.type,
      "cache-control": "no-cache",
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "X-App-Version",
      vary: "Accept-Encoding",
    };
    let body = answer.bytes;
    const ext = answer.ext ?? path.extname(url.pathname);
    if (COMPRESSIBLE.has(ext) && body.length > 256 && /\bbr\b/.test(req.headers["accept-encoding"] ?? "")) {
      const key = `${url.pathname}:${body.length}:${zlib.crc32(body)}`;
      if (!cache.has(key)) {
        // q11 as nginx's precompressed files; large generated data (millions of points) at q5,
        // or compressing it would take longer than the benchmark.
        const quality = body.length > 1e6 ? 5 : 11;
        cache.set(key, zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
      }
      body = cache.get(key);
      headers["content-encoding"] = "br";
    }
    headers["content-length"] = body.length;
    if (req.method === "OPTIONS") {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
  return { origin, close };
}
