#!/usr/bin/env bash
# Prints the gateway's weighted split for requests without a version cookie: <percent> to canary.
set -euo pipefail
percent=${1:-10}
if ! [[ "$percent" =~ ^[0-9]+(\.[0-9]+)?$ ]] || ! awk -v p="$percent" 'BEGIN { exit !(p <= 100) }'; then
  echo "canary percent must be a number from 0 to 100, got '$percent'" >&2; exit 2
fi
echo "# A random draw per request (\$request_id): $percent% canary, the rest stable."
echo "split_clients \"\${request_id}\" \$split_version {"
if [ "$percent" != "0" ]; then echo "    $percent% canary;"; fi
echo "    * stable;"
echo "}"
