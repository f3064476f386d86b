#!/usr/bin/env bash
# Lays out an nginx prefix directory for a local run of nginx/nginx.conf or nginx/gateway.conf:
# the repo's config files are linked in unchanged; only the per-run site/*.conf files are written.
#
#   scripts/nginx-prefix.sh app     <prefix> <dist> <port> <metrics-port>
#   scripts/nginx-prefix.sh gateway <prefix> <port> <app-stable> <app-canary> <backend-stable> <backend-canary> [canary-percent] [api-stable api-canary]
#     (upstreams as host:port; canary-percent defaults to 10; /api/ goes to the API's upstreams,
#     the backends' when none are given)
# Then: scripts/nginx-run.sh <prefix> <nginx.conf|gateway.conf>
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kind=$1 prefix=$2
mkdir -p "$prefix/conf/site" "$prefix/tmp"
prefix=$(cd "$prefix" && pwd)

case "$kind" in
  app)
    dist=$(cd "$3" && pwd) port=$4 metrics=$5
    mkdir -p "$prefix/config-override"
    ln -sfn "$repo/nginx/nginx.conf" "$prefix/conf/nginx.conf"
    ln -sfn "$repo/nginx/security-headers.conf" "$prefix/conf/security-headers.conf"
    ln -sfn "$repo/nginx/cors-preflight.conf" "$prefix/conf/cors-preflight.conf"
    ln -sfn "$repo/nginx/site/csp.conf" "$prefix/conf/site/csp.conf"
    echo "listen 127.0.0.1:$port;" > "$prefix/conf/site/listen.conf"
    echo "listen 127.0.0.1:$metrics;" > "$prefix/conf/site/metrics-listen.conf"
    ln -sfn "$dist" "$prefix/html"
    ;;
  gateway)
    port=$3 percent=${8:-10}
    ln -sfn "$repo/nginx/gateway.conf" "$prefix/conf/gateway.conf"
    ln -sfn "$repo/nginx/cors-preflight.conf" "$prefix/conf/cors-preflight.conf"
    echo "listen 127.0.0.1:$port;" > "$prefix/conf/site/gateway-listen.conf"
    cat > "$prefix/conf/site/gateway-upstreams.conf" <<CONF
upstream app_stable { server $4; keepalive 32; }
upstream app_canary { server $5; keepalive 32; }
upstream backend_stable { server $6; keepalive 32; }
upstream backend_canary { server $7; keepalive 32; }
upstream api_stable { server ${9:-$6}; keepalive 32; }
upstream api_canary { server ${10:-$7}; keepalive 32; }
CONF
    "$repo/scripts/gateway-split.sh" "$percent" > "$prefix/conf/site/gateway-split.conf"
    ;;
  *) echo "usage: $0 app|gateway ..." >&2; exit 2 ;;
esac
