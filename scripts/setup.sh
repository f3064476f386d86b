#!/usr/bin/env bash
# Installs what building and testing meshmap needs, skipping whatever is already there.
# Idempotent and quick when everything is present. Called by `make run`, `make test`, `make bench`.
#
# Everything comes from a package registry (crates.io, npm, Debian); nothing from GitHub or a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

# --- Debian packages: the browser and driver for tests, brotli for precompression and the size
# report, nginx (with the brotli module) for the app server and gateway, wrk for the load check,
# podman + runc + mmdebstrap to build and run the container image locally, PostgreSQL 15 +
# PostGIS 3.3 and ogr2ogr for the tile data.
apt_packages=(chromium chromium-driver brotli nginx-light libnginx-mod-http-brotli-static wrk
  podman runc mmdebstrap uidmap postgresql-15-postgis-3 gdal-bin)
# The container's builder stage installs its few packages itself and needs only the build tools.
if [ -n "${MESHMAP_SETUP_BUILD_ONLY:-}" ]; then apt_packages=(); fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # Install services without starting them (nginx would grab port 80): the project starts its own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    trap 'as_root rm -f "$policy"' EXIT
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Rust: the wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --- The pinned nightly with the standard library's source, for the release wasm (scripts/build.sh
# rebuilds std with immediate-abort panics) and fuzzing (scripts/fuzz.sh). Seconds to install.
. scripts/lib.sh
if ! rustup component list --installed --toolchain "$MESHMAP_NIGHTLY" 2>/dev/null | grep -q '^rust-src' \
  || ! rustup target list --installed --toolchain "$MESHMAP_NIGHTLY" 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "installing the $MESHMAP_NIGHTLY toolchain (minimal, with rust-src and the wasm target)"
  rustup toolchain install "$MESHMAP_NIGHTLY" --profile minimal -c rust-src -t wasm32-unknown-unknown
fi

# --- Trunk, pinned (0.22 needs a newer rustc than this toolchain).
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (takes several minutes)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# --- wasm-bindgen-cli at exactly the version Cargo.lock resolves wasm-bindgen to.
# Not --locked: its own lockfile pins a crate version the registry no longer serves.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then log "no wasm-bindgen in Cargo.lock"; exit 1; fi
if ! grep -q "wasm_bindgen = \"$bindgen_version\"" Trunk.toml; then
  log "Trunk.toml [tools] wasm_bindgen must be \"$bindgen_version\" (the Cargo.lock version)"; exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
  log "installing wasm-bindgen-cli $bindgen_version"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# --- Martin, the vector tile server, pinned: 1.14.0 is the newest that builds with rustc 1.95.
# Only the postgres feature: the default features include rendering, which downloads at build time.
MARTIN_VERSION=1.14.0
if [ -z "${MESHMAP_SETUP_BUILD_ONLY:-}" ] && [ "$(martin --version 2>/dev/null)" != "martin $MARTIN_VERSION" ]; then
  log "installing martin $MARTIN_VERSION (takes several minutes)"
  cargo install --locked martin --version "$MARTIN_VERSION" --no-default-features --features postgres
fi

# --- npm tools (tools/package-lock.json): wasm-opt from binaryen@132 (Debian's binaryen 108 breaks
# the wasm), js-yaml and the @kubernetes-models CRD schemas for scripts/validate-crds.mjs, axe-core
# for the browser tests' accessibility checks.
# Reinstalled when the lock file changes.
lock_stamp=tools/node_modules/.meshmap-lock.sha256
if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$(sha256sum < tools/package-lock.json)" ]; then
  log "installing npm tools (binaryen, Kubernetes model schemas, axe-core)"
  # Errors shown (a cold CI run once failed here with nothing said); one retry for a registry
  # hiccup.
  npm_tools() { npm ci --prefix tools --no-audit --no-fund --loglevel=error --engine-strict=false; }
  npm_tools || { log "npm ci failed; retrying once"; sleep 5; npm_tools; }
  sha256sum < tools/package-lock.json > "$lock_stamp"
fi

# --- Kubernetes manifest validators from PyPI (tools/requirements-k8s.txt) in tools/venv.
if [ -z "${MESHMAP_SETUP_BUILD_ONLY:-}" ]; then
  req_stamp=tools/venv/.meshmap-requirements.sha256
  if [ "$(cat "$req_stamp" 2>/dev/null)" != "$(sha256sum < tools/requirements-k8s.txt)" ]; then
    log "installing the Kubernetes validators from PyPI into tools/venv"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-k8s.txt
    sha256sum < tools/requirements-k8s.txt > "$req_stamp"
  fi
  # kubectl (with its built-in kustomize) renders the manifests. Machines of this kind ship it; it
  # is not in Debian's archive or on PyPI/npm, so a machine without it is told so.
  if ! kubectl kustomize --help >/dev/null 2>&1; then
    log "kubectl with kustomize is missing: install kubectl >= 1.27 (it bundles kustomize 5) to run tests/k8s.rs"
    exit 1
  fi
fi

# --- Crates, so builds (Trunk runs offline) never need the network.
cargo fetch --quiet
cargo fetch --quiet --target wasm32-unknown-unknown
# The standard library's own crates (dlmalloc, wasip1...), which the release build rebuilds offline
# from the nightly's source: a fresh machine has none of them in its registry cache.
RUSTUP_TOOLCHAIN="$MESHMAP_NIGHTLY" cargo fetch --quiet \
  --manifest-path "$(rustc +"$MESHMAP_NIGHTLY" --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"

log "ready"
