#!/usr/bin/env python3
"""Finishes a Trunk release bundle for production serving.

1. Moves Trunk's inline `<script type="module">` loader into a hashed file, so the page runs under a
   Content-Security-Policy without 'unsafe-inline'.
2. Writes `.gz` (gzip -9) and `.br` (brotli -q 11) next to every compressible asset, for nginx's
   gzip_static / brotli_static. config.json is left alone: it is replaced at deploy time (ConfigMap),
   and a stale precompressed copy would shadow the mounted file.

3. Writes `embed.js` (from assets/embed.js) with the bundle's hashed file names, for host pages
   that embed the map.

Usage: scripts/postbuild.py <dist dir>
"""
import json
import base64
import gzip
import hashlib
import os
import re
import subprocess
import sys

COMPRESSIBLE = {".html", ".js", ".css", ".wasm", ".svg", ".geojson", ".txt", ".map"}
NOT_PRECOMPRESSED = {"config.json"}
MIN_SIZE = 256

INLINE_MODULE = re.compile(r'<script type="module">(?P<body>.*?)</script>', re.S)


def externalise_loader(dist):
    index = os.path.join(dist, "index.html")
    with open(index, encoding="utf-8") as f:
        html = f.read()
    match = INLINE_MODULE.search(html)
    if not match:
        return
    body = match.group("body").strip() + "\n"
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    name = f"boot-{digest}.js"
    with open(os.path.join(dist, name), "w", encoding="utf-8") as f:
        f.write(body)
    sri = "sha384-" + base64.b64encode(hashlib.sha384(body.encode()).digest()).decode()
    # async: the wasm starts compiling, and the app fetching its config, while Leaflet (deferred)
    # is still arriving; the app waits for Leaflet only when it creates the map.
    tag = f'<script type="module" src="/{name}" integrity="{sri}" async></script>'
    html = html[: match.start()] + tag + html[match.end():]
    with open(index, "w", encoding="utf-8") as f:
        f.write(html)
    print(f"postbuild: moved the inline loader to {name}")


LEAFLET_SCRIPT = re.compile(r'<script src="(/leaflet-[0-9a-f]+\.js)"')


def start_early(dist):
    """Leaflet deferred (it no longer holds up the page), and config.json requested with the page
    (the browser hands the preloaded response to the app's own fetch)."""
    index = os.path.join(dist, "index.html")
    with open(index, encoding="utf-8") as f:
        html = f.read()
    html, deferred = LEAFLET_SCRIPT.subn(r'<script defer data-meshmap-leaflet src="\1"', html)
    if deferred != 1:
        sys.exit("postbuild: expected one Leaflet <script> in index.html")
    preload = '<link rel="preload" href="config.json" as="fetch" crossorigin="anonymous" />'
    if preload not in html:
        html = html.replace("</title>", "</title>\n    " + preload, 1)
    with open(index, "w", encoding="utf-8") as f:
        f.write(html)


def write_embed_script(dist):
    with open(os.path.join(dist, "index.html"), encoding="utf-8") as f:
        html = f.read()
    names = sorted(os.listdir(dist))
    glue = next(n for n in names if re.fullmatch(r"meshmap-[0-9a-f]+\.js", n))
    assets = {
        "glue": glue,
        "wasm": glue[: -len(".js")] + "_bg.wasm",
        "leaflet": re.search(r'src="/?(leaflet-[0-9a-f]+\.js)"', html).group(1),
        # Leaflet's and the map's styles; page.css styles the full-page app only.
        "css": [n for n in re.findall(r'href="/?((?:leaflet|meshmap)-[0-9a-f]+\.css)"', html)],
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "assets", "embed.js"), encoding="utf-8") as f:
        template = f.read()
    with open(os.path.join(dist, "embed.js"), "w", encoding="utf-8") as f:
        f.write(template.replace("__MESHMAP_ASSETS__", json.dumps(assets)))
    print(f"postbuild: wrote embed.js for {glue}")


def precompress(dist):
    count = 0
    for folder, _, files in os.walk(dist):
        for file in files:
            path = os.path.join(folder, file)
            ext = os.path.splitext(file)[1]
            if ext not in COMPRESSIBLE or file in NOT_PRECOMPRESSED or os.path.getsize(path) < MIN_SIZE:
                continue
            with open(path, "rb") as f:
                data = f.read()
            with open(path + ".gz", "wb") as f:
                f.write(gzip.compress(data, compresslevel=9, mtime=0))
            subprocess.run(["brotli", "-f", "-q", "11", "-o", path + ".br", path], check=True)
            count += 1
    print(f"postbuild: precompressed {count} files (.gz and .br)")


def main():
    dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
    externalise_loader(dist)
    start_early(dist)
    write_embed_script(dist)
    precompress(dist)


if __name__ == "__main__":
    main()
