#!/usr/bin/env bash
# Renders every kustomize overlay into target/k8s/<overlay>.yaml and validates each object:
#   core API objects      kubernetes-validate (strict), via scripts/validate_k8s.py
#   Istio, Prometheus Op. cloudcoil CRD models: types, enums, and no unknown field (same script)
#   Istio, Prometheus Op., Argo Rollouts   @kubernetes-models CRD schemas (scripts/validate-crds.mjs)
# CloudNativePG and Chaos Mesh have no schema package: tests/k8s.rs checks the fields used.
# Needs what scripts/setup.sh installs (tools/venv, tools/node_modules) and kubectl with kustomize.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/k8s
mkdir -p "$out"
files=()
for overlay in k8s/overlays/*/; do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" > "$out/$name.yaml"
  files+=("$out/$name.yaml")
done
tools/venv/bin/python scripts/validate_k8s.py "${files[@]}"
node scripts/validate-crds.mjs "${files[@]}"
echo "validate-k8s: ${#files[@]} overlays render and validate" >&2
