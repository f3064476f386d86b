#!/usr/bin/env bash
# The origins config.json fetches from (tile hosts, data and API servers), as the nginx line that
# puts them into the Content-Security-Policy's connect-src and img-src (nginx/site/csp.conf):
#   scripts/csp-origins.sh <config.json> > <prefix>/tmp/config-origins.conf
# Run when the app server starts (container/entrypoint.sh, scripts/nginx-run.sh), so a config
# from a ConfigMap is allowed what it names, and nothing else. A template's placeholders in a host
# (https://{s}.tile.example.org) become a wildcard (https://*.tile.example.org). Anything that is
# not plainly scheme://host[:port] is left out (it goes into nginx's config).
set -euo pipefail
config=$1
origins=""
if [ -r "$config" ]; then
  while IFS= read -r origin; do
    case " $origins " in *" $origin "*) continue ;; esac
    origins="$origins${origins:+ }$origin"
  # attributionUrl is a link people follow, not something the page fetches.
  done < <(sed -E 's/"attributionUrl"[[:space:]]*:[[:space:]]*"[^"]*"//g' "$config" | grep -oE '"https?://[^"/?#]+' | cut -c2- | sed -E 's/\{[^}]*\}/*/g' \
             | grep -E '^https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$' | LC_ALL=C sort -u)
fi
printf 'set $meshmap_config_origins "%s";\n' "$origins"
