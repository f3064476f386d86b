# meshmap: `make run` (build and serve), `make test` (every test), `make bench` (measurements).
# Each target runs scripts/setup.sh first, which installs whatever is missing.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

export PATH := $(CURDIR)/tools/node_modules/.bin:$(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)
# The version the badge shows; a canary build sets it, e.g. `make build MESHMAP_VERSION=1.2.0-canary`.
MESHMAP_VERSION ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)+$(shell git rev-parse --short HEAD 2>/dev/null || echo local)
export MESHMAP_VERSION
# Extra Chromium flags for the browser tests (see tests/webdriver.json).
export WASM_BINDGEN_TEST_WEBDRIVER_JSON := $(CURDIR)/tests/webdriver.json
# The runner's limit for the whole browser suite (its default, 20 s, is about what the suite takes).
export WASM_BINDGEN_TEST_TIMEOUT ?= 180

.PHONY: setup build run test test-native test-browser test-example test-fuzz fuzz bench example

setup:
	@scripts/setup.sh

build: setup
	scripts/build.sh dist

run: setup
	@scripts/run-local.sh

test: setup test-native test-browser test-example test-fuzz

# Pure logic, nginx, gateway and end-to-end tests; the ignored ones need the release build.
# With the `ssr` feature: the Leptos components render on the server (tests/components_ssr.rs)
# and their doc examples compile.
test-native: build
	cargo test --workspace --features meshmap/ssr -- --include-ignored

# wasm-bindgen-test in headless Chromium.
test-browser:
	cargo test --target wasm32-unknown-unknown --test web

# The example Leptos app (examples/leptos-app) builds with Trunk as a user's app would.
test-example: setup
	scripts/build-example.sh

# The example Leptos app, built and served on 127.0.0.1 (README: "Using meshmap from Leptos").
example: setup
	scripts/build-example.sh --serve

# A short pass over every fuzz target (seconds each; `make fuzz` runs longer).
test-fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-10}

# Every fuzz target for a minute (FUZZ_SECONDS to change), from the committed seeds.
fuzz: setup
	scripts/fuzz.sh $${FUZZ_SECONDS:-60}

bench: build
	scripts/bench.sh dist
