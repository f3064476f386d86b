#!/usr/bin/env bash
# Runs nginx in the foreground on a prefix laid out by scripts/nginx-prefix.sh:
#   scripts/nginx-run.sh <prefix> <nginx.conf|gateway.conf>
# Started as root (CI, this machine), nginx would run its workers as `nobody`, who may not be able
# to read a checkout under a private home directory; so root keeps its workers as root here. The
# container runs as a non-root user and never takes this path.
set -euo pipefail
prefix=$1 conf=$2
globals='daemon off;'
if [ "$(id -u)" -eq 0 ]; then globals="$globals user root;"; fi
if [ "$conf" = nginx.conf ]; then
  # As the container's entrypoint does: the CSP allows what the served config.json names.
  config="$prefix/config-override/config.json"
  [ -f "$config" ] || config="$prefix/html/config.json"
  "$(dirname "$0")/csp-origins.sh" "$config" > "$prefix/tmp/config-origins.conf"
fi
# nginx lives in /usr/sbin, which a non-login root shell (CI) may not have on PATH.
exec "$(command -v nginx || echo /usr/sbin/nginx)" -e stderr -p "$prefix" -c "$prefix/conf/$conf" -g "$globals"
