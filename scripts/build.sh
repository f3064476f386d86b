#!/usr/bin/env bash
# The release build, as CI and the Dockerfile run it: Trunk, then postbuild (CSP-safe loader,
# precompressed assets). Usage: scripts/build.sh [dist dir]; MESHMAP_VERSION sets the badge.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
. scripts/lib.sh
# A clean directory: Trunk leaves files of earlier builds (old snippets) in it. Only an earlier
# build's directory is removed (one with an index.html), never whatever else the argument names.
if [ -f "$dist/index.html" ]; then rm -rf "$dist"; fi
# The release wasm: the pinned nightly rebuilds the standard library with panics that abort at
# once (a trap, no message: the panic and formatting machinery is not linked), 18 KB brotli less
# (README "Speed and size"). Its own target directory, so the stable builds keep theirs.
RUSTUP_TOOLCHAIN="$MESHMAP_NIGHTLY" CARGO_TARGET_DIR=target/release-wasm \
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
  trunk build --release --dist "$dist"
python3 scripts/postbuild.py "$dist"
