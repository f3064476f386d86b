#!/usr/bin/env bash
# `make bench`: what a minimal Leptos app (a map and one GeoJSON layer) weighs with meshmap's
# components and with leptos-leaflet 0.10 (crates.io), and Leptos alone (the floor): each built
# like the app (release, wasm-bindgen, wasm-opt -Oz), sizes raw and brotli -q 11 of wasm + glue.
# The apps: bench/leptos-size/ (a workspace of its own, with its own lock file).
set -euo pipefail
cd "$(dirname "$0")/../bench/leptos-size"
export PATH="$PWD/../../tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo build --quiet --release --target wasm32-unknown-unknown
out=$(mktemp -d "${TMPDIR:-/tmp}/meshmap-leptos-size.XXXXXX")
trap 'rm -rf "$out"' EXIT
printf '%-46s %12s %12s %12s\n' "minimal Leptos app (wasm + JS glue)" "raw" "brotli" "over Leptos"
floor=0
for app in leptos-alone with-meshmap with-leptos-leaflet; do
  wasm-bindgen --target web --out-dir "$out/$app" "target/wasm32-unknown-unknown/release/$app.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/$app/${app}_bg.wasm" -o "$out/$app/opt.wasm"
  raw=$(( $(wc -c < "$out/$app/opt.wasm") + $(wc -c < "$out/$app/$app.js") ))
  br=$(( $(brotli -q 11 -c "$out/$app/opt.wasm" | wc -c) + $(brotli -q 11 -c "$out/$app/$app.js" | wc -c) ))
  [ "$app" = leptos-alone ] && floor=$br
  case $app in
    leptos-alone) label="Leptos alone (a button and a signal)" ;;
    with-meshmap) label="map + GeoJSON, meshmap components" ;;
    with-leptos-leaflet) label="map + GeoJSON, leptos-leaflet 0.10" ;;
  esac
  printf '%-46s %12d %12d %12d\n' "$label" "$raw" "$br" $(( br - floor ))
done
echo "(Leaflet's own JS and CSS, about 40 KB brotli, come on top for both map apps.)"
