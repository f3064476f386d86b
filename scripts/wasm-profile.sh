#!/usr/bin/env bash
# Where the wasm's bytes go: the release build's wasm run through the same wasm-bindgen and
# wasm-opt -Oz as the bundle, keeping function names, then twiggy's largest items and a total by
# crate. Part of `make bench` (installs twiggy from crates.io on first use).
# Usage: scripts/wasm-profile.sh [how many items, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"
TWIGGY_VERSION=0.8.0
if [ "$(twiggy --version 2>/dev/null)" != "twiggy-opt $TWIGGY_VERSION" ]; then
  echo "[bench] installing twiggy $TWIGGY_VERSION (a minute or two)" >&2
  cargo install --locked twiggy --version "$TWIGGY_VERSION" >&2
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/meshmap-twiggy.XXXXXX")
trap 'rm -rf "$out"' EXIT
. scripts/lib.sh
# Built as scripts/build.sh builds it (the pinned nightly, std with immediate-abort panics).
RUSTUP_TOOLCHAIN="$MESHMAP_NIGHTLY" CARGO_TARGET_DIR=target/release-wasm \
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
  cargo build --release --quiet --target wasm32-unknown-unknown -p meshmap-app --bin meshmap
wasm-bindgen --target web --keep-debug --out-dir "$out" target/release-wasm/wasm32-unknown-unknown/release/meshmap.wasm
# The same features index.html gives wasm-opt; -g keeps the names twiggy reports.
wasm-opt -Oz -g --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$out/meshmap_bg.wasm" -o "$out/named.wasm"
echo "wasm by crate (bytes of code and data, names section excluded; twiggy on the -Oz build):"
twiggy top -n 100000 -f csv "$out/named.wasm" | python3 -c '
import csv, re, sys, collections
by = collections.Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row["Name"], int(row["ShallowSize"])
    if name.startswith("custom section") or "subsection" in name:
        continue
    if name.startswith("data segment"):
        key = "(data: strings, tables)"
    else:
        m = re.match(r"[<&\s]*(?:impl\s+|dyn\s+|mut\s+)?([A-Za-z_][A-Za-z0-9_]*)", name)
        key = m.group(1) if m else name[:30]
    by[key] += size
total = sum(by.values())
for key, size in by.most_common(15):
    print(f"  {size:8d}  {100 * size / total:5.1f}%  {key}")
print(f"  {total:8d}  total")
'
echo
echo "largest items:"
twiggy top -n "${1:-25}" "$out/named.wasm" | grep -v 'function names\|custom section' | cut -c1-150
