"""The dashboard in a real browser (Debian's Chromium driven by Playwright)
against a real host: it loads without console errors, lists both modules,
draws bars on its chart, and an order placed from its ticket shows up FILLED
in its orders table. Saves a screenshot for a person to look at.

Env: TOPICWIRE_BIN, TOPICWIRE_COMPONENTS (as the Node tests), optionally
DASHBOARD_SCREENSHOT (default: target/dashboard.png at the repository root)
and CHROMIUM (default /usr/bin/chromium).

When the host serves the dashboard at `/`, the test uses it directly;
otherwise it serves the work tree's dashboard through
clients/ts/tools/dashboard-dev-server.mjs, which passes /api/* and WebSockets
to the host.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE.parent.parent
REPO = CLIENT_DIR.parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def serving(base):
    try:
        _, body = get(f"{base}/api/v1/modules")
        modules = json.loads(body)["modules"]
        return all(any(m["module"] == name and m["state"] == "serving" for m in modules) for name in ("datafeed", "broker"))
    except (OSError, ValueError, KeyError):
        return False


@pytest.fixture(scope="module")
def host():
    binary = os.environ.get("TOPICWIRE_BIN")
    components = os.environ.get("TOPICWIRE_COMPONENTS")
    if not binary or not components:
        pytest.fail("TOPICWIRE_BIN and TOPICWIRE_COMPONENTS must be set (see clients/ts/test/run-all.sh)")
    work = Path(tempfile.mkdtemp(prefix="topicwire-dashboard-"))
    (work / "components").mkdir()
    for name in ("datafeed.wasm", "broker.wasm"):
        shutil.copy(Path(components) / name, work / "components" / name)
    (work / "topicwire.toml").write_text("[modules.datafeed]\nTICK_MS = 100\n")
    port = free_port()
    log = open(work / "host.log", "w")
    process = subprocess.Popen(
        [binary, "serve", "--components-dir", str(work / "components"), "--listen", f"127.0.0.1:{port}",
         "--cache-dir", str(work / "cache"), "--data-dir", str(work / "data"), "--config", str(work / "topicwire.toml")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while not serving(base):
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail(f"topicwire did not serve:\n{(work / 'host.log').read_text()}")
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)
    log.close()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def dashboard_url(host):
    try:
        status, body = get(f"{host}/")
        if status == 200 and 'id="chart"' in body:
            print(f"dashboard served by the host at {host}/")
            yield f"{host}/"
            return
    except OSError:
        pass
    server = subprocess.Popen(
        ["node", str(CLIENT_DIR / "tools" / "dashboard-dev-server.mjs"), "--upstream", host, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, text=True,
    )
    line = server.stdout.readline().strip()
    assert line.startswith("listening on "), f"dashboard-dev-server said: {line!r}"
    url = line.removeprefix("listening on ")
    print(f"the host does not serve the dashboard yet: serving the work tree's at {url}/, proxying to {host}")
    yield f"{url}/"
    server.terminate()
    server.wait(10)


def test_dashboard(dashboard_url):
    problems = []
    screenshot = Path(os.environ.get("DASHBOARD_SCREENSHOT", REPO / "target" / "dashboard.png"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 940})
        page.on("console", lambda message: problems.append(f"console.{message.type}: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.goto(dashboard_url)

        for module in ("datafeed", "broker"):
            page.wait_for_selector(f'#modules [data-module="{module}"]', timeout=10_000)
            assert page.inner_text(f'#modules [data-module="{module}"] .badge') == "serving"

        page.wait_for_function("Number(document.getElementById('chart').dataset.points) >= 5", timeout=10_000)
        page.wait_for_selector('#topics tr[data-topic^="bars:"]', timeout=10_000)

        page.select_option("#order-symbol", "MSFT")
        page.select_option("#order-type", "2")
        page.fill("#order-qty", "7")
        page.click("#place-order")
        page.wait_for_selector("#ticket-result[data-order-id]", timeout=10_000)
        order_id = page.get_attribute("#ticket-result", "data-order-id")
        page.wait_for_selector(f'#orders tr[data-order-id="{order_id}"] td[data-status="FILLED"]', timeout=10_000)
        page.wait_for_selector('#positions tr[data-symbol="MSFT"]', timeout=10_000)

        page.hover("#chart", position={"x": 400, "y": 200})
        page.wait_for_timeout(1500)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
        print(f"screenshot: {screenshot}")
        browser.close()
    assert problems == [], "\n".join(problems)
