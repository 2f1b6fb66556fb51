// Starts a real `topicwire serve` for a test: the built datafeed and broker
// components copied into a temporary folder, fast datafeed ticks, a free port
// on 127.0.0.1. Tests then talk to it over real sockets, as apps do.
//
// Env: TOPICWIRE_BIN (the topicwire binary), TOPICWIRE_COMPONENTS (folder with datafeed.wasm and broker.wasm).

import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Datafeed tick in the tests' hosts, ms. */
export const TICK_MS = 50;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: see clients/ts/test/run-all.sh`);
  return value;
}

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A running host; `restart()` brings it back on the same port and folders. */
export class Host {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.process = undefined;
  }

  /** `ws://…/api/v1/{module}/ws`. */
  wsUrl(module) {
    return `ws://127.0.0.1:${this.port}/api/v1/${module}/ws`;
  }

  /** Starts the binary and waits until both modules serve. */
  async start() {
    const args = ["serve", "--components-dir", join(this.dir, "components"), "--listen", `127.0.0.1:${this.port}`];
    args.push("--cache-dir", join(this.dir, "cache"), "--data-dir", join(this.dir, "data"), "--config", join(this.dir, "topicwire.toml"));
    const log = join(this.dir, "host.log");
    const out = openSync(log, "a");
    this.process = spawn(required("TOPICWIRE_BIN"), args, { stdio: ["ignore", out, out] });
    closeSync(out);
    const exited = new Promise((resolve) => this.process.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const early = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (early !== undefined) throw new Error(`topicwire exited with ${early}:\n${await readFile(log, "utf8")}`);
      if (await this.serving()) return;
    }
    throw new Error(`topicwire did not serve within 60 s:\n${await readFile(log, "utf8")}`);
  }

  async serving() {
    try {
      if (!(await fetch(`${this.url}/healthz`)).ok) return false;
      const { modules } = await this.modules();
      return ["datafeed", "broker"].every((name) => modules.some((m) => m.module === name && m.state === "serving"));
    } catch {
      return false;
    }
  }

  /** `GET /api/v1/modules`. */
  async modules() {
    const response = await fetch(`${this.url}/api/v1/modules`);
    if (!response.ok) throw new Error(`/api/v1/modules answered ${response.status}`);
    return response.json();
  }

  /** The `topics` entry of `topic` in `/api/v1/modules`, or undefined when it is not live. */
  async topic(module, topic) {
    const { modules } = await this.modules();
    return modules.find((m) => m.module === module)?.topics?.find((t) => t.topic === topic);
  }

  /** Kills the process (SIGKILL: no goodbye to clients) and waits for it to exit. */
  async kill(signal = "SIGKILL") {
    const child = this.process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  async restart() {
    await this.kill();
    await this.start();
  }

  /** Stops the host and removes its folders. */
  async stop() {
    await this.kill("SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A host with `datafeed` ticking every `TICK_MS`, started and serving. */
export async function startHost() {
  const components = required("TOPICWIRE_COMPONENTS");
  const dir = await mkdtemp(join(tmpdir(), "topicwire-ts-"));
  await mkdir(join(dir, "components"));
  for (const name of ["datafeed.wasm", "broker.wasm"]) await copyFile(join(components, name), join(dir, "components", name));
  await writeFile(join(dir, "topicwire.toml"), `[modules.datafeed]\nTICK_MS = ${TICK_MS}\n`);
  const host = new Host(dir, await freePort());
  await host.start();
  return host;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the first value `poll()` returns that is not undefined; rejects after `ms`. */
export async function eventually(poll, { ms = 5000, what = "condition" } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}
