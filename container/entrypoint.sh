#!/usr/bin/env bash
# The app server's start: allow the origins the mounted config.json names in the
# Content-Security-Policy (scripts/csp-origins.sh; the config is a ConfigMap that changes without
# a new image), then run nginx in the foreground.
set -euo pipefail
config=/srv/meshmap/config-override/config.json
[ -f "$config" ] || config=/srv/meshmap/html/config.json
/srv/meshmap/csp-origins.sh "$config" > /srv/meshmap/tmp/config-origins.conf
exec nginx -e stderr -p /srv/meshmap -c /srv/meshmap/conf/nginx.conf -g "daemon off;"
