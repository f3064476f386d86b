#!/usr/bin/env bash
# `make run`: a stable and a canary build, each served by the production nginx config, behind the
# local gateway that routes like Istio, with PostGIS + Martin behind the gateway's /tiles/.
# Prints one URL; Ctrl-C stops everything.
#   PORT=8080 (gateway port, default: a free one)  CANARY_PERCENT=10  MESHMAP_VERSION=<badge>
set -euo pipefail
cd "$(dirname "$0")/.."
version=${MESHMAP_VERSION:-dev}
run=$PWD/target/run
. scripts/lib.sh

echo "[run] building stable ($version) and canary ($version-canary)" >&2
MESHMAP_VERSION="$version" scripts/build.sh dist >&2
MESHMAP_VERSION="$version-canary" scripts/build.sh dist-canary >&2
echo "[run] building the API (api/)" >&2
cargo build --release --quiet -p meshmap-api >&2

rm -rf "$run" && mkdir -p "$run"
pids=()
# The database lives under /tmp: as root it runs as `postgres`, who must reach its directory.
db_dir=${TMPDIR:-/tmp}/meshmap-run-db
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/db.sh stop "$db_dir" 2>/dev/null || true
  echo "[run] stopped" >&2
}
trap stop INT TERM EXIT

start_nginx() { # <prefix> <conf>
  scripts/nginx-run.sh "$1" "$2" > "$1/access.log" &
  pids+=($!)
}

stable_port=$(free_port); canary_port=$(free_port)
scripts/nginx-prefix.sh app "$run/stable" dist "$stable_port" "$(free_port)"
scripts/nginx-prefix.sh app "$run/canary" dist-canary "$canary_port" "$(free_port)"
start_nginx "$run/stable" nginx.conf
start_nginx "$run/canary" nginx.conf

# PostGIS with the sample data, and Martin (one process serves both versions locally; the gateway
# still routes by X-App-Version, so a second Martin is one more upstream line away).
db_port=$(free_port); martin_port=$(free_port)
scripts/db.sh start "$db_dir" "$db_port"
scripts/db-load.sh "$db_port" >&2
DATABASE_URL="postgresql://meshmap_tiles@127.0.0.1:$db_port/meshmap" \
  martin --config martin/config.yaml --listen-addresses "127.0.0.1:$martin_port" > "$run/martin.log" 2>&1 &
pids+=($!)

# The API, one process per version (as one Deployment per version in k8s/), reading as its own
# read-only login; JSON logs in target/run/api-*.log.
api_stable_port=$(free_port); api_canary_port=$(free_port)
for v in stable canary; do
  port_var=api_${v}_port
  name=$version; [ "$v" = canary ] && name=$version-canary
  DATABASE_URL="postgresql://meshmap_api@127.0.0.1:$db_port/meshmap" LISTEN="127.0.0.1:${!port_var}" \
    METRICS_LISTEN="127.0.0.1:$(free_port)" MESHMAP_VERSION="$name" target/release/meshmap-api > "$run/api-$v.log" 2>&1 &
  pids+=($!)
done
# Live flights for the "Flights (live)" overlay: 1000 along great circles, a position a second.
DATABASE_URL="postgresql://postgres@127.0.0.1:$db_port/meshmap" \
  target/release/meshmap-api simulate --objects "${LIVE_OBJECTS:-1000}" --rate 1 > "$run/simulate.log" 2>&1 &
pids+=($!)

gateway_port=${PORT:-$(free_port)}
scripts/nginx-prefix.sh gateway "$run/gateway" "$gateway_port" \
  "127.0.0.1:$stable_port" "127.0.0.1:$canary_port" "127.0.0.1:$martin_port" "127.0.0.1:$martin_port" \
  "${CANARY_PERCENT:-10}" "127.0.0.1:$api_stable_port" "127.0.0.1:$api_canary_port"
start_nginx "$run/gateway" gateway.conf
for port in "$stable_port" "$canary_port" "$martin_port" "$api_stable_port" "$api_canary_port" "$gateway_port"; do wait_port "$port"; done

echo "[run] stable app :$stable_port, canary app :$canary_port, martin :$martin_port, api :$api_stable_port/:$api_canary_port, postgis :$db_port, gateway :$gateway_port (${CANARY_PERCENT:-10}% canary)" >&2
echo "[run] place search: http://127.0.0.1:$gateway_port/api/search?q=lisbn" >&2
# The embedding example, served from another origin than meshmap, as a host site would be.
example_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory examples "$example_port" >/dev/null 2>&1 &
pids+=($!)
wait_port "$example_port"
echo "[run] tiles: http://127.0.0.1:$gateway_port/tiles/catalog" >&2
echo "[run] embedding example (a host page on another origin): http://127.0.0.1:$example_port/host.html?meshmap=http://127.0.0.1:$gateway_port" >&2
echo "[run] logs: $run/*/access.log; Ctrl-C stops everything" >&2
echo "http://127.0.0.1:$gateway_port/"
wait
