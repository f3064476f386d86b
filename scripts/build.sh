#!/usr/bin/env bash
# The release build, as CI and the Dockerfile run it: Trunk, then postbuild (CSP-safe loader,
# precompressed assets). Usage: scripts/build.sh [dist dir]; MESHMAP_VERSION sets the badge.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
trunk build --release --dist "$dist"
python3 scripts/postbuild.py "$dist"
