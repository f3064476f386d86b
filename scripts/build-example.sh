#!/usr/bin/env bash
# Builds the example Leptos app (examples/leptos-app) with Trunk, release and offline, as an app
# of your own that depends on meshmap would be built; `--serve` then serves it on a free port of
# 127.0.0.1 and prints the URL (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
(cd examples/leptos-app && trunk build --release)
dist=examples/leptos-app/dist
for file in index.html images; do
  [ -e "$dist/$file" ] || { echo "the example's build has no $file" >&2; exit 1; }
done
ls "$dist"/*_bg.wasm > /dev/null
echo "example built: $dist"
if [ "${1:-}" = "--serve" ]; then
  . scripts/lib.sh
  port=$(free_port)
  echo "example: http://127.0.0.1:$port/"
  exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dist"
fi
