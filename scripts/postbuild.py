#!/usr/bin/env python3
"""Finishes a Trunk release bundle for production serving.

1. Moves Trunk's inline `<script type="module">` loader into a hashed file, so the page runs under a
   Content-Security-Policy without 'unsafe-inline'.
2. Writes `.gz` (gzip -9) and `.br` (brotli -q 11) next to every compressible asset, for nginx's
   gzip_static / brotli_static. config.json is left alone: it is replaced at deploy time (ConfigMap),
   and a stale precompressed copy would shadow the mounted file.

Usage: scripts/postbuild.py <dist dir>
"""
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
    tag = f'<script type="module" src="/{name}" integrity="{sri}"></script>'
    html = html[: match.start()] + tag + html[match.end():]
    with open(index, "w", encoding="utf-8") as f:
        f.write(html)
    print(f"postbuild: moved the inline loader to {name}")


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
    precompress(dist)


if __name__ == "__main__":
    main()
