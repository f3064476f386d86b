#!/usr/bin/env bash
# Serves a built bundle on 127.0.0.1 (a free port unless PORT is set) until interrupted.
# A plain static server for now; the nginx config of issue #4 replaces it.
set -euo pipefail
dist=${1:-dist}
[ -f "$dist/index.html" ] || { echo "no $dist/index.html: run 'make build' first" >&2; exit 1; }
port=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
echo "meshmap is serving $dist; open:" >&2
echo "http://127.0.0.1:$port/"
exec python3 -m http.server --bind 127.0.0.1 --directory "$dist" "$port" 2>/dev/null
