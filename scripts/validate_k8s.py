"""Validates rendered Kubernetes manifests (multi-document YAML files given as arguments).

- Core API objects: kubernetes-validate against the Kubernetes version's OpenAPI schemas, strict
  (an unknown field is an error).
- Istio and Prometheus Operator objects: the cloudcoil models of their CRDs (pydantic), checked
  for types and required fields, and strictly: every key must be a field the CRD defines
  (the models themselves would ignore a misspelt key).
- Other custom resources (CloudNativePG, Chaos Mesh, Argo Rollouts) are listed as not covered here:
  scripts/validate-crds.mjs and tests/k8s.rs check them.
Exit status 1 with one line per problem.
"""
import sys
import types
import typing
from importlib import import_module

import kubernetes_validate
import pydantic
import yaml

KUBERNETES_VERSION = "1.32.0"

MODELS = {
    "networking.istio.io/v1": "cloudcoil.models.istio.networking.v1",
    "networking.istio.io/v1alpha3": "cloudcoil.models.istio.networking.v1alpha3",
    "security.istio.io/v1": "cloudcoil.models.istio.security.v1",
    "monitoring.coreos.com/v1": "cloudcoil.models.prometheus_operator.v1",
}


def unknown_fields(model, value, path):
    """Keys in `value` that `model` (a pydantic model class) does not define, recursively."""
    if not isinstance(value, dict):
        return []
    fields = {(f.alias or name): f.annotation for name, f in model.model_fields.items()}
    problems = []
    for key, item in value.items():
        if key not in fields:
            problems.append(f"{path}.{key}: not a field of {model.__name__}")
            continue
        problems += check_annotation(fields[key], item, f"{path}.{key}")
    return problems


def check_annotation(annotation, value, path):
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return check_annotation(args[0], value, path)
    if origin in (typing.Union, types.UnionType):
        candidates = [a for a in args if a is not type(None)]
        results = [check_annotation(a, value, path) for a in candidates]
        return min(results, key=len) if results else []
    if origin in (list, typing.List) and isinstance(value, list) and args:
        return [p for i, item in enumerate(value) for p in check_annotation(args[0], item, f"{path}[{i}]")]
    if origin in (dict, typing.Dict) and isinstance(value, dict) and len(args) == 2:
        return [p for k, item in value.items() for p in check_annotation(args[1], item, f"{path}.{k}")]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.RootModel):
        # oneOf in the CRD schema: a root model over the alternatives.
        return check_annotation(annotation.model_fields["root"].annotation, value, path)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return unknown_fields(annotation, value, path)
    return []


def check_custom(doc, where):
    module = MODELS.get(doc.get("apiVersion"))
    if module is None:
        return None
    model = getattr(import_module(module), doc.get("kind", ""), None)
    if model is None:
        return [f"{where}: no model for {doc.get('apiVersion')} {doc.get('kind')}"]
    problems = []
    try:
        model.model_validate(doc)
    except pydantic.ValidationError as error:
        problems += [f"{where}: {e['loc']}: {e['msg']}" for e in error.errors()]
    problems += [f"{where}: {p}" for p in unknown_fields(model, doc, doc.get("kind", ""))]
    return problems


def main(paths):
    problems, counts = [], {"core": 0, "crd": 0, "other": 0}
    for path in paths:
        with open(path) as handle:
            docs = [d for d in yaml.safe_load_all(handle) if d]
        for doc in docs:
            where = f"{path}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            custom = check_custom(doc, where)
            if custom is not None:
                counts["crd"] += 1
                problems += custom
                continue
            group = doc.get("apiVersion", "").rpartition("/")[0]
            if group and "." in group and not group.endswith(".k8s.io"):
                counts["other"] += 1
                continue
            counts["core"] += 1
            try:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{where}: {'.'.join(str(p) for p in error.path)}: {error.message}")
            except kubernetes_validate.utils.SchemaNotFoundError as error:
                problems.append(f"{where}: {error}")
    for problem in problems:
        print(problem)
    print(f"validate_k8s: {counts['core']} core objects, {counts['crd']} Istio/Prometheus objects checked, "
          f"{counts['other']} other custom resources left to validate-crds.mjs and tests/k8s.rs; "
          f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
