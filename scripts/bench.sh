#!/usr/bin/env bash
# Size report for the release bundle: each asset raw, gzip -9 and brotli -q 11, in bytes.
set -euo pipefail
dist=${1:-dist}
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
for f in "$dist"/*.js; do row js "$f"; done
for f in "$dist"/*.css; do row css "$f"; done
row html "$dist/index.html"
printf '%-8s %-40s %10d %10d %10d\n' total "(code and styles a first visit loads)" "$total_raw" "$total_gz" "$total_br"
for f in "$dist"/data/*.geojson; do row data "$f"; done
