#!/usr/bin/env bash
# Builds the runtime image from ./dist with podman, on a Debian base made locally with mmdebstrap
# (no image registry is reachable here). Prints the image name. Everything is cached:
#   .cache/base-nginx.tar           mmdebstrap minbase + nginx-light + brotli module (about a minute)
#   localhost/meshmap-base:bookworm  that tarball imported
# podman reads container/containers.conf (runc, no default ulimits), not the machine's config.
#   scripts/container-image.sh [tag]           the app, default tag localhost/meshmap:local
#   scripts/container-image.sh --loader [tag]  the database loader (Dockerfile target `loader`),
#                                              default tag localhost/meshmap-loader:local
#   scripts/container-image.sh --api [tag]     the API (target `api-prebuilt`, from a release
#                                              build made here), default localhost/meshmap-api:local
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF=$PWD/container/containers.conf
target=runtime-prebuilt default_tag=localhost/meshmap:local
if [ "${1:-}" = "--loader" ]; then
  target=loader default_tag=localhost/meshmap-loader:local
  shift
elif [ "${1:-}" = "--api" ]; then
  target=api-prebuilt default_tag=localhost/meshmap-api:local
  shift
  cargo build --release --quiet -p meshmap-api >&2
fi
tag=${1:-$default_tag}
base_tar=.cache/base-nginx.tar
base_image=localhost/meshmap-base:bookworm

[ "$target" != runtime-prebuilt ] || [ -f dist/index.html ] || { echo "no dist/: run 'make build' first" >&2; exit 1; }
# Tests build the image in parallel: one builder at a time.
mkdir -p .cache
exec 9>.cache/image.lock
flock 9
if [ ! -f "$base_tar" ]; then
  mkdir -p .cache
  # The machine's own apt sources: the Debian mirror is the one registry we can reach.
  sources=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
  [ -n "$sources" ] || sources=/etc/apt/sources.list
  echo "[image] making the Debian base with mmdebstrap from $sources" >&2
  # mmdebstrap picks the output format from the name: the partial file must end in .tar too.
  partial=.cache/base-nginx.part.tar
  rm -rf "$partial"
  mmdebstrap --quiet --variant=minbase --include=nginx-light,libnginx-mod-http-brotli-static \
    bookworm "$partial" "$sources" >&2
  mv "$partial" "$base_tar"
fi
if ! podman image exists "$base_image"; then
  podman import --quiet "$base_tar" "$base_image" >/dev/null
fi
# The loader fetches its data from PyPI at build time; pass the machine's CA bundle in case a
# TLS-intercepting proxy sits in between (as on this machine).
podman build --quiet --format docker --target "$target" \
  --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt \
  --build-arg RUNTIME_IMAGE="$base_image" -t "$tag" . >/dev/null
echo "$tag"
