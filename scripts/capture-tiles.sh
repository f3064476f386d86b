#!/usr/bin/env bash
# Captures the vector tiles `make bench` draws (bench/tiles/<source>/<z>/<x>/<y>.mvt, an empty file
# for 204 No Content) from Martin over the sample data, so the tile benchmarks run without a
# database. Run it again after changing db/ or martin/config.yaml; commit the result.
# Tiles: the whole world at zooms 0-2, and the views of the benchmark's zoom path (1280x800 around
# 48.5 N 9 E, zooms 2-6, as bench/web/pages/tiles-common.js zooms) with a ring of neighbours.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
run=$(mktemp -d "${TMPDIR:-/tmp}/meshmap-capture.XXXXXX")
chmod 755 "$run"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/db.sh stop "$run/db" 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT
db_port=$(free_port); martin_port=$(free_port)
scripts/db.sh start "$run/db" "$db_port"
scripts/db-load.sh "$db_port" >/dev/null 2>&1
DATABASE_URL="postgresql://meshmap_tiles@127.0.0.1:$db_port/meshmap" \
  martin --config martin/config.yaml --listen-addresses "127.0.0.1:$martin_port" > "$run/martin.log" 2>&1 &
pids+=($!)
wait_port "$martin_port"
rm -rf bench/tiles
python3 - "$martin_port" <<'PY'
import math, os, sys, urllib.request
port = sys.argv[1]
def covering(lat, lng, z, width=1280, height=800, ring=1):
    world = 256 * 2 ** z
    lat_r = math.radians(max(-85.05112878, min(85.05112878, lat)))
    cx = math.floor((lng + 180) / 360 * world)
    cy = math.floor((1 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2 * world)
    x0, y0 = math.floor((cx - width / 2) / 256) - ring, math.floor((cy - height / 2) / 256) - ring
    x1, y1 = math.ceil((cx + width / 2) / 256) - 1 + ring, math.ceil((cy + height / 2) / 256) - 1 + ring
    n = 2 ** z
    return {(z, x % n, y) for x in range(x0, x1 + 1) for y in range(max(0, y0), min(n - 1, y1) + 1)}
tiles = set()
for z in range(3):
    tiles |= {(z, x, y) for x in range(2 ** z) for y in range(2 ** z)}
for z in range(2, 7):
    tiles |= covering(48.5, 9, z)
count = 0
for source in ("countries", "places"):
    for z, x, y in sorted(tiles):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{source}/{z}/{x}/{y}") as response:
            body = response.read() if response.status == 200 else b""
        path = f"bench/tiles/{source}/{z}/{x}/{y}.mvt"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        count += 1
print(f"captured {count} tiles into bench/tiles", file=sys.stderr)
PY
du -sh bench/tiles
