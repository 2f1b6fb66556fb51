#!/usr/bin/env bash
# Runs every test of the TypeScript client and the dashboard, installing what
# is missing first: node_modules (npm ci), Debian's Chromium, the pinned
# Playwright and pytest. Needs a built host and components:
#   TOPICWIRE_BIN=/path/to/topicwire TOPICWIRE_COMPONENTS=/folder/with/datafeed.wasm+broker.wasm clients/ts/test/run-all.sh
set -euo pipefail

: "${TOPICWIRE_BIN:?set TOPICWIRE_BIN to the topicwire binary}"
: "${TOPICWIRE_COMPONENTS:?set TOPICWIRE_COMPONENTS to the folder holding datafeed.wasm and broker.wasm}"
# Relative paths are the caller's: resolve them before moving to the package.
TOPICWIRE_BIN=$(realpath "$TOPICWIRE_BIN")
TOPICWIRE_COMPONENTS=$(realpath "$TOPICWIRE_COMPONENTS")
export TOPICWIRE_BIN TOPICWIRE_COMPONENTS
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
python3 -c 'import playwright, pytest' 2>/dev/null || python3 -m pip install -q -r test/browser/requirements.txt

echo "== typecheck (generated clients, example)"
npm run --silent typecheck
echo "== node tests"
node --test --test-concurrency=1 test/*.test.mjs
echo "== browser test"
python3 -m pytest -q -s -p no:cacheprovider test/browser
