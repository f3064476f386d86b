// Validates custom resources in rendered manifests (multi-document YAML files given as arguments)
// against the @kubernetes-models packages' CRD schemas: Istio, the Prometheus Operator and Argo
// Rollouts (types, enums, required fields). Exit status 1 with one line per problem.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const tools = join(dirname(fileURLToPath(import.meta.url)), "..", "tools");
const require = createRequire(join(tools, "package.json"));
const yaml = require("js-yaml");

const packages = {
  "networking.istio.io": "@kubernetes-models/istio",
  "security.istio.io": "@kubernetes-models/istio",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "argoproj.io": "@kubernetes-models/argo-rollouts",
};

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const pkg = packages[group];
  if (!pkg) return undefined;
  const path = join(tools, "node_modules", pkg, group, version, `${kind}.js`);
  const module = await import(pathToFileURL(path).href).catch(() => null);
  return module?.[kind] ?? null;
}

let problems = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
    const Model = await modelFor(doc.apiVersion ?? "", doc.kind ?? "");
    if (Model === undefined) continue;
    if (Model === null) {
      console.log(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
      problems += 1;
      continue;
    }
    checked += 1;
    try {
      new Model(doc).validate();
    } catch (error) {
      console.log(`${where}: ${error.message}`);
      problems += 1;
    }
  }
}
console.error(`validate-crds: ${checked} custom resources checked, ${problems} problems`);
process.exit(problems ? 1 : 0);
