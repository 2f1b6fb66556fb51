#!/usr/bin/env python3
"""Holds every module's REST API to its OpenAPI document with Schemathesis.

Starts a real `topicwire serve` (a free loopback port, temporary folders)
serving the given components, finds each module that serves an OpenAPI
document (`GET /api/v1/{module}/openapi.json`), and runs `schemathesis run`
against it with every check, a bounded number of examples per operation and
a fixed seed (so a run is repeatable; pass `--seed` for others). Fails if
any check fails, if no module serves a document, or if a module restarted
(a guest fault) or the host stopped being healthy meanwhile.

    run.py --topicwire target/debug/topicwire --schemathesis PATH [--max-examples N] [--seed S] A.wasm B.wasm ...

Extra arguments after `--` go to every `schemathesis run`.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

DEADLINE_S = 60


def get(url):
    """`GET url`: status and body (JSON when it is JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


class Host:
    """`topicwire serve` on a free port, its log forwarded with a prefix."""

    def __init__(self, binary, components, folder):
        components_dir = folder / "components"
        components_dir.mkdir()
        for wasm in components:
            shutil.copy(wasm, components_dir / Path(wasm).name)
        self.modules = sorted(Path(wasm).stem for wasm in components)
        config = folder / "topicwire.toml"
        config.write_text("")
        command = [binary, "serve", "--listen", "127.0.0.1:0", "--components-dir", str(components_dir)]
        command += ["--data-dir", str(folder / "data"), "--cache-dir", str(folder / "cache"), "--config", str(config)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"}
        )
        self.log = []
        self.base = None
        self.listening = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self.listening.wait(DEADLINE_S) or self.base is None:
            self.stop()
            sys.exit(f"contract: the host did not listen within {DEADLINE_S} s")
        self._wait_until_serving()

    def _read_log(self):
        for line in self.process.stderr:
            if self.base is None and "listening on http://" in line:
                address = line.split("listening on http://", 1)[1].split()[0]
                self.base = f"http://{address}"
                self.listening.set()
            self.log.append(line)
        self.listening.set()

    def _wait_until_serving(self):
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            status, body = get(f"{self.base}/api/v1/modules")
            if status == 200:
                serving = {entry["module"] for entry in body["modules"] if entry["state"] == "serving"}
                if serving.issuperset(self.modules):
                    return
            time.sleep(0.05)
        self.stop()
        sys.exit(f"contract: {self.modules} did not all serve within {DEADLINE_S} s")

    def restarts(self):
        """Instance restarts per module, as `/api/v1/modules` counts them."""
        _, body = get(f"{self.base}/api/v1/modules")
        return {entry["module"]: entry["restarts"] for entry in body["modules"]}

    def print_log(self, lines=60):
        """The end of the host's log, to see what went wrong."""
        for line in self.log[-lines:]:
            print(f"[host] {line}", end="", file=sys.stderr)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topicwire", required=True, help="the topicwire binary")
    parser.add_argument("--schemathesis", required=True, help="the schemathesis command")
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation and phase")
    parser.add_argument("--seed", default="1", help="the generation seed")
    parser.add_argument("components", nargs="+", help="component files to serve")
    arguments, extra = parser.parse_known_args()
    extra = [argument for argument in extra if argument != "--"]
    # Schemathesis runs in the temporary folder: the caller's relative paths are resolved first.
    schemathesis = os.path.abspath(arguments.schemathesis)

    with tempfile.TemporaryDirectory(prefix="topicwire-contract-") as folder:
        host = Host(arguments.topicwire, arguments.components, Path(folder))
        try:
            checked, failed = [], []
            for module in host.modules:
                document = f"{host.base}/api/v1/{module}/openapi.json"
                status, body = get(document)
                if status != 200 or not isinstance(body, dict) or "openapi" not in body:
                    print(f"contract: {module} serves no OpenAPI document ({status}): nothing to check")
                    continue
                command = [schemathesis, "--no-color", "run", document, "--url", f"{host.base}/api/v1/{module}"]
                command += ["--checks", "all", "--max-examples", str(arguments.max_examples)]
                command += ["--seed", arguments.seed, "--generation-database", "none", *extra]
                print(f"contract: {module}: {' '.join(command)}", flush=True)
                started = time.monotonic()
                # In the temporary folder: Schemathesis keeps files of its own where it runs.
                passed = subprocess.run(command, cwd=folder).returncode == 0
                print(f"contract: {module}: {'passed' if passed else 'FAILED'} in {time.monotonic() - started:.1f} s")
                checked.append(module)
                if not passed:
                    failed.append(module)
            status, health = get(f"{host.base}/healthz")
            restarted = {module: count for module, count in host.restarts().items() if count}
            if failed or restarted or status != 200:
                host.print_log()
        finally:
            host.stop()
    if status != 200 or health.get("status") != "ok":
        failed.append(f"the host's health ({status} {health})")
    if restarted:
        failed.append(f"instances restarted: {restarted}")
    if not checked:
        failed.append("no module serves an OpenAPI document")
    if failed:
        sys.exit(f"contract: failed: {', '.join(failed)}")
    print(f"contract: {len(checked)} passed, 0 failed")


if __name__ == "__main__":
    main()
