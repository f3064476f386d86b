#!/usr/bin/env bash
# `make bench`: the release bundle's sizes (each asset raw, gzip -9 and brotli -q 11, in bytes) and
# where the wasm's bytes go; load on the app server, gateway and tile path; tile decoding and
# GeoJSON checking natively; then meshmap against the Leaflet-world references in headless
# Chromium (bench/web/run.mjs: a Markdown table, and target/bench/browser.json).
# BENCH_RUNS (default 15) sets the runs per side; BENCH_ONLY a comma list of browser scenarios.
# BENCH_STREAMS (default 2000) sets the live streams of the API load.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist}" && pwd)
[ -f "$dist/index.html" ] || { echo "no $dist/index.html: run 'make build' first" >&2; exit 1; }
printf '%-8s %-40s %10s %10s %10s\n' kind file raw gzip-9 brotli
total_raw=0; total_gz=0; total_br=0
row() {
  local kind=$1 file=$2
  local raw gz br
  raw=$(wc -c < "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  br=$(brotli -q 11 -c "$file" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
  printf '%-8s %-40s %10d %10d %10d\n' "$kind" "$(basename "$file")" "$raw" "$gz" "$br"
}
for f in "$dist"/*.wasm; do row wasm "$f"; done
for f in "$dist"/*.js "$dist"/snippets/*/*.js; do [ "$(basename "$f")" = embed.js ] || row js "$f"; done
for f in "$dist"/*.css; do row css "$f"; done
row html "$dist/index.html"
printf '%-8s %-40s %10d %10d %10d\n' total "(code and styles a first visit loads)" "$total_raw" "$total_gz" "$total_br"
[ -f "$dist/embed.js" ] && row embed "$dist/embed.js"
for f in "$dist"/data/*.geojson; do row data "$f"; done
echo
scripts/wasm-profile.sh 20
echo
scripts/leptos-size.sh

# ---- Load: requests/s and p99 latency with wrk, loopback only, 5 s per case, 2 threads, 50 connections.
# The app server serves the bundle above; the gateway fronts two app servers (stable and canary,
# both this bundle) exactly as `make run` does.
repo=$(pwd)
run=$(mktemp -d "${TMPDIR:-/tmp}/meshmap-bench.XXXXXX")
pids=()
db_dir=$(mktemp -d "${TMPDIR:-/tmp}/meshmap-bench-db.XXXXXX")
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$repo/scripts/db.sh" stop "$db_dir" 2>/dev/null || true
  rm -rf "$run" "$db_dir"
}
trap cleanup EXIT
. "$repo/scripts/lib.sh"
start() { "$repo/scripts/nginx-run.sh" "$1" "$2" > /dev/null & pids+=($!); }

app_port=$(free_port); canary_port=$(free_port); gateway_port=$(free_port); db_port=$(free_port); martin_port=$(free_port)
# PostGIS + Martin with the sample data, behind the gateway's /tiles/ as in `make run`.
chmod 755 "$db_dir"
"$repo/scripts/db.sh" start "$db_dir" "$db_port" >/dev/null
"$repo/scripts/db-load.sh" "$db_port" >/dev/null 2>&1
DATABASE_URL="postgresql://meshmap_tiles@127.0.0.1:$db_port/meshmap" \
  martin --config "$repo/martin/config.yaml" --listen-addresses "127.0.0.1:$martin_port" >/dev/null 2>&1 &
pids+=($!)
"$repo/scripts/nginx-prefix.sh" app "$run/stable" "$dist" "$app_port" "$(free_port)"
"$repo/scripts/nginx-prefix.sh" app "$run/canary" "$dist" "$canary_port" "$(free_port)"
"$repo/scripts/nginx-prefix.sh" gateway "$run/gateway" "$gateway_port" "127.0.0.1:$app_port" "127.0.0.1:$canary_port" "127.0.0.1:$martin_port" "127.0.0.1:$martin_port" 10
start "$run/stable" nginx.conf; start "$run/canary" nginx.conf; start "$run/gateway" gateway.conf
for p in "$app_port" "$canary_port" "$gateway_port" "$martin_port"; do wait_port "$p"; done

wasm=$(cd "$dist" && ls *_bg.wasm | head -n1)
echo
printf '%-34s %12s %10s %10s %8s\n' "load (wrk -t2 -c50 -d5s, br)" "requests/s" "p50" "p99" "errors"
load() { # <label> <url> [wrk header options...]
  local out label=$1 url=$2
  shift 2
  [ $# -gt 0 ] || set -- -H 'Accept-Encoding: br, gzip'
  out=$(wrk -t2 -c50 -d5s --latency "$@" "$url")
  # Errors: answers other than 2xx/3xx, and connect/read/write/timeout errors.
  printf '%-34s %12s %10s %10s %8s\n' "$label" \
    "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
    "$(awk '/Non-2xx or 3xx/ { n += $NF } /^  Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' <<<"$out")"
}
load "app server: index.html" "http://127.0.0.1:$app_port/"
load "app server: wasm" "http://127.0.0.1:$app_port/$wasm"
load "gateway: index.html (split)" "http://127.0.0.1:$gateway_port/"
load "gateway: index.html (stable cookie)" "http://127.0.0.1:$gateway_port/" -H 'Accept-Encoding: br, gzip' -H 'Cookie: app-version=stable'
load "gateway: index.html (canary cookie)" "http://127.0.0.1:$gateway_port/" -H 'Accept-Encoding: br, gzip' -H 'Cookie: app-version=canary'
load "gateway: wasm (split)" "http://127.0.0.1:$gateway_port/$wasm"

# Vector tiles (countries 3/4/2, 5.5 KB): Martin alone, with and without its gzip, and through the
# gateway's tile cache (warm: every request a HIT).
tile=countries/3/4/2
curl -fsS -o /dev/null -H 'X-App-Version: stable' -H 'Accept-Encoding: gzip' "http://127.0.0.1:$gateway_port/tiles/$tile"
load "martin: tile, identity" "http://127.0.0.1:$martin_port/$tile" -H 'Accept-Encoding: identity'
load "martin: tile, gzip" "http://127.0.0.1:$martin_port/$tile" -H 'Accept-Encoding: gzip'
load "gateway: tile, cached gzip" "http://127.0.0.1:$gateway_port/tiles/$tile" -H 'X-App-Version: stable' -H 'Accept-Encoding: gzip'
load "gateway: tile, cached, gunzipped" "http://127.0.0.1:$gateway_port/tiles/$tile" -H 'X-App-Version: stable'

# The API (api/): place search through wrk, and 10,000 live objects simulated at 1 Hz (the
# browser part below draws them: the "live" scenario).
cargo build --release --quiet -p meshmap-api
api_port=$(free_port); api_metrics_port=$(free_port)
DATABASE_URL="postgresql://meshmap_api@127.0.0.1:$db_port/meshmap" LISTEN="127.0.0.1:$api_port" METRICS_LISTEN="127.0.0.1:$api_metrics_port" \
  TRUST_FORWARDED_FOR=1 MESHMAP_VERSION=bench target/release/meshmap-api > "$run/api.log" 2>&1 &
pids+=($!)
wait_port "$api_port"

# Live streams at scale (issue 22): 2,000 streams, each its own client address, 200 never
# reading, while 1000 flights move at 1 Hz; search at 10 and 50 clients before and during.
DATABASE_URL="postgresql://postgres@127.0.0.1:$db_port/meshmap" \
  target/release/meshmap-api simulate --objects 1000 --rate 1 > "$run/simulate-1000.log" 2>&1 &
sim_1000=$!
sleep 4
mkdir -p target/bench
target/release/meshmap-api load --api "127.0.0.1:$api_port" --metrics "127.0.0.1:$api_metrics_port" \
  --streams "${BENCH_STREAMS:-2000}" --stalled "$(( ${BENCH_STREAMS:-2000} / 10 ))" --search-clients 10,50 \
  --search-seconds 10 --stall-wait 90 > target/bench/live-load.json
kill "$sim_1000"; wait "$sim_1000" 2>/dev/null || true
node -e '
const r = JSON.parse(require("fs").readFileSync("target/bench/live-load.json", "utf8"));
const kb = (b) => (b / 1024).toFixed(1) + " KB";
console.log(`live streams: ${r.streams_open} open, ${r.stream_errors} failed, ${kb(r.memory_per_stream)} per stream (budget 32 KB), stalled dropped after ${r.stalled_dropped_after_s} s (budget 30 s); memory ${(r.memory_before/1048576).toFixed(1)} -> ${(r.memory_with_streams/1048576).toFixed(1)} MB, ${(r.memory_after/1048576).toFixed(1)} MB after they closed`);
r.search_alone.forEach((a, i) => { const w = r.search_with_streams[i];
  console.log(`search c${a.clients}: p99 ${a.p99_ms} ms alone, ${w.p99_ms} ms with streams (${(w.p99_ms / a.p99_ms).toFixed(2)}x, budget 2x); errors ${a.errors}/${w.errors}`); });'
psql -q "postgresql://postgres@127.0.0.1:$db_port/meshmap" -c "DELETE FROM live_objects"

DATABASE_URL="postgresql://postgres@127.0.0.1:$db_port/meshmap" \
  target/release/meshmap-api simulate --objects 10000 --rate 1 > "$run/simulate.log" 2>&1 &
pids+=($!)
load "api: search ?q=lisbn (c50)" "http://127.0.0.1:$api_port/api/search?q=lisbn"
wrk_c4=$(wrk -t1 -c4 -d5s --latency "http://127.0.0.1:$api_port/api/search?q=sao%20tome")
printf '%-34s %12s %10s %10s %8s\n' "api: search ?q=sao tome (c4)" \
  "$(awk '/^Requests\/sec/ { print $2 }' <<<"$wrk_c4")" "$(awk '$1 == "50%" { print $2 }' <<<"$wrk_c4")" "$(awk '$1 == "99%" { print $2 }' <<<"$wrk_c4")" "-"
sleep 12
echo "simulate, 10,000 objects at 1 Hz: $(grep -o 'tick [0-9]*: [0-9]* positions written in [0-9]* ms' "$run/simulate.log" | tail -n1)"
export MESHMAP_BENCH_API="http://127.0.0.1:$api_port"

echo
cargo run --release --quiet --example mvt_decode
echo
cargo run --release --quiet --example geojson_check
echo
cargo run --release --quiet --example cluster_build

# ---- The browser: reference libraries from npm (bench/web/package-lock.json), driven by
# playwright-core on Debian's Chromium. Installed here only: `make test` does not need them.
lock_stamp=bench/web/node_modules/.meshmap-lock.sha256
if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$(sha256sum < bench/web/package-lock.json)" ]; then
  echo "[bench] installing the reference libraries from npm" >&2
  npm ci --prefix bench/web --no-audit --no-fund --loglevel=error \
    || { echo "npm ci failed; retrying once" >&2; sleep 5; npm ci --prefix bench/web --no-audit --no-fund --loglevel=error; }
  sha256sum < bench/web/package-lock.json > "$lock_stamp"
fi
echo
node bench/web/run.mjs --dist "$dist" --out target/bench/browser.json --runs "${BENCH_RUNS:-15}" ${BENCH_ONLY:+--only "$BENCH_ONLY"}
