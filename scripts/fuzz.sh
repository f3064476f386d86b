#!/usr/bin/env bash
# Fuzzes every parser of outside data (fuzz/fuzz_targets/) with cargo-fuzz (libFuzzer), each for
# a bounded time, starting from the committed seeds (fuzz/seeds/: real tiles, GeoJSON, configs,
# cookies). A crash stops the run and names its input (fuzz/artifacts/<target>/): turn it into a
# regression test, then fix it.
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
# `make fuzz` runs it for a minute a target; `make test` for a few seconds a target.
# Installs, once: the pinned nightly toolchain (scripts/lib.sh) (rustup, minimal profile) and cargo-fuzz (crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
CARGO_FUZZ_VERSION=0.13.1
. scripts/lib.sh
if ! rustup toolchain list | grep -q "^$MESHMAP_NIGHTLY"; then
  echo "[fuzz] installing the $MESHMAP_NIGHTLY toolchain (minimal profile)" >&2
  rustup toolchain install "$MESHMAP_NIGHTLY" --profile minimal >&2
fi
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  echo "[fuzz] installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" >&2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^meshmap-fuzz$')
fi
cd fuzz
cargo +"$MESHMAP_NIGHTLY" fuzz build --release >&2
total=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  log=$(mktemp)
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a leak or a huge allocation.
  if ! cargo +"$MESHMAP_NIGHTLY" fuzz run --release "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "[fuzz] $target FAILED: the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  echo "[fuzz] $target: ${runs:-?} inputs in ${seconds}s, no crash" >&2
  total=$((total + ${runs:-0}))
  rm -f "$log"
done
echo "[fuzz] ${#targets[@]} targets, $total inputs, no crash" >&2
