// The checked-in generated clients and compiled dist/ (which the host embeds
// for the dashboard, so it builds without Node) must match what the
// generator and tsc make now; this names the stale file and the command.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startHost } from "./support/host.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules/.bin/tsc");

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
  }
  return out.sort();
}

async function assertSameTree(expected, actual, fix) {
  assert.deepEqual(await files(actual), await files(expected), `files differ from ${relative(root, actual)}: ${fix}`);
  for (const file of await files(expected)) {
    const [want, have] = await Promise.all([readFile(join(expected, file), "utf8"), readFile(join(actual, file), "utf8")]);
    assert.ok(want === have, `${relative(root, join(actual, file))} is stale: ${fix}`);
  }
}

let host;
let scratch;
before(async () => {
  host = await startHost();
  scratch = await mkdtemp(join(tmpdir(), "topicwire-fresh-"));
});
after(async () => {
  await host?.stop();
  await rm(scratch, { recursive: true, force: true });
});

test("generated/*.ts are what generate.mjs makes from the modules' routes", async () => {
  const modules = await host.modules();
  const out = join(scratch, "generated");
  const child = execFile(process.execPath, [join(root, "tools/generate.mjs"), out]);
  child.stdin.end(JSON.stringify(modules));
  await new Promise((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`generate.mjs exited ${code}`)))));
  await assertSameTree(out, join(root, "generated"), "run `curl -s HOST/api/v1/modules | node tools/generate.mjs generated` (or topicwire client-ts), then npm run build");
});

test("dist/ is what tsc compiles from src/ and generated/", async () => {
  const out = join(scratch, "dist");
  await run(tsc, ["-p", join(root, "tsconfig.build.json"), "--outDir", out]);
  await run(tsc, ["-p", join(root, "tsconfig.generated.json"), "--outDir", join(out, "generated")]);
  await assertSameTree(out, join(root, "dist"), "run npm run build in clients/ts");
});
