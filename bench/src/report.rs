//! `BENCHMARKS.md`, rendered from the results alone (so a measurement taken
//! apart can be recorded later). It leads with Topicwire against the floor —
//! the least a server can spend on the same fan-out — because absolute
//! numbers of one machine say little; then what they mean (prose kept in
//! `bench/findings.md`), every row, the cost of wasm, the many-core run,
//! connections and memory, durable state, the cluster, allocators, any other result as it
//! is, the first run and the targets.

use serde_json::Value;
use std::fmt::Write;

/// What the numbers against the floor mean and where the remaining time
/// goes: prose kept beside the code, so a new run keeps it.
const FINDINGS: &str = include_str!("../findings.md");

/// What differs between Topicwire and the peer, Sockudo, and how to read
/// their rows: prose kept beside the code.
const PEER: &str = include_str!("../peer.md");

/// How the design would scale beyond this machine's cores: prose kept beside the code.
const SCALING_BEYOND: &str = include_str!("../scaling.md");

/// Where a fresh clone's first build spends its time: prose kept beside the code.
const FIRST_RUN_FINDINGS: &str = include_str!("../first_run.md");

const TARGETS: &str = "\
| target | goal |
|---|---|
| s1, s2, s2b, s4 | server CPU per delivered message ≤ 1.2× the floor's |
| s1, s2 | p99 ≤ 1.2× the floor's |
| s2b, s4 | delivered/s ≥ 95 % of the floor's |
| native baseline | component within 1.1× of the native producer's CPU per message |
| many cores | fan-out of one module's topics not bound to its actor's core: more delivered/s with a second server core |
| idle | ≤ 8 KiB server memory per connection, at 50 000 connections |
| memory after load | server RSS back near its baseline ~2 s after every connection is gone |
| storm | connects + subscribes per second, until errors appear: reported |
| startup | warm restart ≤ 200 ms to first subscription |
| hot swap | largest gap ≤ 50 ms, zero disconnects |
| durable state | µs per durable put and get from a component, broker orders/s with every order committed: reported |
| cluster | 3 nodes, 3000 connections on 10 shared topics at 100 ms: delivered/s, p99, CPU per delivered message per node, NATS messages per update, failover gap: reported |
| positions | s1 and s2 CPU per message with positions ÷ without, same commit, same rounds: within the run's noise |
| recovery | time to recover 1000 missed updates and memory per topic of history: reported |
| cluster failover, reliable | orders acknowledged while the leader is killed: 0 events lost, beside the gap |
| first run | fresh clone, nothing cached but downloaded crates: `./dev run` to first served subscription ≤ 8 min, then `./dev test` ≤ 6 min |
| Python system (FastAPI + FastWS, one core) | ~9.4k updates/s to 100 clients at 10 ms, p99 7.7 ms, ~21 µs CPU per delivered message |
";

/// A bound on one ratio to the floor.
struct RatioTarget {
    scenario: &'static str,
    /// Largest CPU per message ÷ floor's.
    cpu: Option<f64>,
    /// Largest p99 ÷ floor's.
    p99: Option<f64>,
    /// Smallest delivered/s ÷ floor's.
    delivered: Option<f64>,
}

const RATIO_TARGETS: &[RatioTarget] = &[
    RatioTarget { scenario: "s1", cpu: Some(1.2), p99: Some(1.2), delivered: None },
    RatioTarget { scenario: "s2", cpu: Some(1.2), p99: Some(1.2), delivered: None },
    RatioTarget { scenario: "s2b", cpu: Some(1.2), p99: None, delivered: Some(0.95) },
    RatioTarget { scenario: "s4", cpu: Some(1.2), p99: None, delivered: Some(0.95) },
];

/// Largest component ÷ native CPU per message.
const NATIVE_TARGET: f64 = 1.1;

/// The report for `results` (one JSON object per scenario).
pub(crate) fn markdown(results: &[Value]) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    intro(&mut out, find(results, "run"));
    against_the_floor(&mut out, results);
    findings(&mut out);
    against_sockudo(&mut out, results);
    fanout_rows(&mut out, results);
    wasm_cost(&mut out, results);
    positions_cost(&mut out, results);
    python_components(&mut out, results);
    many_cores(&mut out, results);
    connections_and_memory(&mut out, results);
    durable_state(&mut out, find(results, "state"));
    recovery(&mut out, find(results, "recovery"));
    cluster(&mut out, find(results, "cluster"));
    allocators(&mut out, find(results, "allocators"));
    other_measurements(&mut out, results);
    first_run(&mut out, find(results, "first_run"));
    soak(&mut out, find(results, "soak"));
    out.push_str("\n## Targets\n\n");
    out.push_str(TARGETS);
    out
}

fn intro(out: &mut String, run: Option<&Value>) {
    let quick = run.is_some_and(|run| run["quick"] == true);
    let server_cpus = run.and_then(|run| run["server_cpus"].as_str());
    let load_cpus = run.and_then(|run| run["load_cpus"].as_str()).unwrap_or("any CPU");
    let pinning = match server_cpus {
        Some(cpus) => format!("pinned to CPU {cpus} with `taskset`, the load generator (`bench/`) on CPU {load_cpus}"),
        None => "not pinned".to_owned(),
    };
    let _ = writeln!(
        out,
        "Produced by `just bench{}` on a machine with CPUs {} (commit {}): each scenario on a fresh server \
         (`topicwire serve`, release), {pinning}; the `-all-cores` rows put the server and the load generator \
         on every CPU, sharing them. Loopback WebSockets; latency is from an update's send timestamp to its \
         receipt (same clock). Raw results: `BENCHMARKS.json`.\n",
        if quick { " --quick" } else { "" },
        run.map_or("–".to_owned(), |run| text(&run["all_cpus"])),
        run.map_or("–".to_owned(), |run| text(&run["commit"])),
    );
    let repeats = run.and_then(|run| run["repeats"].as_u64()).unwrap_or(1);
    if repeats > 1 {
        let _ = writeln!(
            out,
            "Each fan-out scenario ran {repeats} times, in rounds (every fan-out scenario once per round, so each \
             server's runs are spread over the machine's drift): a row shows the median of its runs, and a ratio the \
             median of the ratios taken round by round (each run against the run of its round), with their range \
             in brackets (lowest–highest).\n"
        );
    }
    if quick {
        out.push_str("**A smoke run** (`--quick`): small sizes and 2-second windows; not for comparison.\n\n");
    }
}

fn against_the_floor(out: &mut String, results: &[Value]) {
    out.push_str(
        "## Against the floor\n\n\
         The floor (`topicwire-bench floor-server`, `bench/src/floor/`) is the least any server can spend on the \
         same fan-out: one thread, one epoll loop, each topic's update frame built once per tick and written with \
         one `write()` per subscriber — the probe's frames (same shape and size, carrying their send time), the \
         same topics, rates, pinning, load generator and windows. Ratios are Topicwire ÷ floor for CPU per \
         delivered message and p99, and Topicwire's delivered/s ÷ the floor's. The floor ticks each topic one \
         period after its first subscription; the `-floor-spread` runs tick it at the phase the host gives it \
         (keyed by the topic's first subscriber, as Topicwire's are), the last two columns. \
         Where a connection's topics tick together Topicwire writes them to it in one `writev`, so it can \
         spend less than the floor, which writes every frame on its own.\n\n\
         | scenario | Topicwire µs/msg | floor µs/msg | ratio | p99 ms | floor p99 ms | ratio | delivered ratio | targets | floor on the host's schedule µs/msg | ratio |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let is_floor = |result: &&Value| result["producer"].as_str().is_some_and(|producer| producer.starts_with("floor"));
    for result in fanouts(results).filter(|result| !is_floor(result) && result["producer"] != "sockudo") {
        let name = name(result);
        let Some(floor) = find(results, &format!("{}-floor", base(name))) else { continue };
        let cpu = spread(ratios(result, floor, "server_cpu_us_per_msg"));
        let p99 = spread(ratios(result, floor, "p99_ms"));
        let delivered = spread(ratios(result, floor, "delivered_per_s"));
        let floor_spread = find(results, &format!("{}-floor-spread", base(name)));
        let spread_cpu = floor_spread.map_or(Value::Null, |spread| spread["server_cpu_us_per_msg"].clone());
        let spread_ratio = floor_spread.and_then(|floor| spread(ratios(result, floor, "server_cpu_us_per_msg")));
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            result["server_cpu_us_per_msg"],
            floor["server_cpu_us_per_msg"],
            shown_spread(cpu.as_ref()),
            result["p99_ms"],
            floor["p99_ms"],
            shown_spread(p99.as_ref()),
            shown_spread(delivered.as_ref()),
            verdict(name, median_of(&cpu), median_of(&p99), median_of(&delivered)),
            text(&spread_cpu),
            shown_spread(spread_ratio.as_ref()),
        );
    }
}

fn against_sockudo(out: &mut String, results: &[Value]) {
    let peers: Vec<&Value> = fanouts(results).filter(|result| result["producer"] == "sockudo").collect();
    if peers.is_empty() {
        return;
    }
    let version = find(results, "run").map_or("–".to_owned(), |run| text(&run["sockudo"]));
    let _ = writeln!(
        out,
        "\n## Against Sockudo\n\n\
         [Sockudo](https://crates.io/crates/sockudo) {version} (Pusher protocol, Rust, axum and tokio; built by \
         `just bench` with `cargo install --locked`), on the same layouts, pinned to the same core, with the same \
         load generator (speaking the Pusher protocol to it: `pusher:subscribe` to a channel per topic) and windows. \
         A publisher process (`topicwire-bench publisher`, on the load generator's core, its CPU counted apart) \
         drives each topic at the layout's rate through Sockudo's HTTP events API, signed as Pusher requires \
         (`batch_events` for the ticks due together, `events` for a lone one); the same publisher drives \
         Topicwire's probe through its REST API (`POST /api/v1/bench/publish`, the `-rest` rows), and the plain \
         rows are Topicwire as in the rest of this report, its ticks made inside the server by the probe's \
         timers. Ratios are Topicwire ÷ Sockudo.\n\n\
         | scenario | server | fed by | delivered/s | p99 ms | server CPU µs/msg | publisher CPU µs/msg | errors | ÷ Sockudo CPU/msg | ÷ Sockudo p99 | ÷ Sockudo delivered/s |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    for peer in peers {
        let layout = base(name(peer));
        for result in
            [Some(peer), find(results, &format!("{layout}-rest")), find(results, layout)].into_iter().flatten()
        {
            let (server, fed, compared) = match result["producer"].as_str() {
                Some("sockudo") => ("Sockudo", "publisher, Pusher HTTP API", false),
                Some("rest") => ("Topicwire", "publisher, probe's REST API", true),
                _ => ("Topicwire", "the probe's timers, inside", true),
            };
            let versus = |field: &str| {
                if compared { shown_spread(spread(ratios(result, peer, field)).as_ref()) } else { String::new() }
            };
            let _ = writeln!(
                out,
                "| {} | {server} | {fed} | {} | {} | {} | {} | {} | {} | {} | {} |",
                name(result),
                result["delivered_per_s"],
                result["p99_ms"],
                result["server_cpu_us_per_msg"],
                text(&result["publisher_cpu_us_per_msg"]),
                result["errors"],
                versus("server_cpu_us_per_msg"),
                versus("p99_ms"),
                versus("delivered_per_s"),
            );
        }
    }
    if !PEER.trim().is_empty() {
        let _ = writeln!(out, "\n{}", PEER.trim_end());
    }
}

/// Met or missed, for a scenario with ratio targets; empty otherwise.
fn verdict(name: &str, cpu: Option<f64>, p99: Option<f64>, delivered: Option<f64>) -> String {
    let Some(target) = RATIO_TARGETS.iter().find(|target| target.scenario == name) else { return String::new() };
    let mut missed = Vec::new();
    let mut check = |what: &str, value: Option<f64>, bound: Option<f64>, at_most: bool| {
        let (Some(value), Some(bound)) = (value, bound) else { return };
        if (at_most && value > bound) || (!at_most && value < bound) {
            missed.push(format!("{what} {value:.2} {} {bound}", if at_most { ">" } else { "<" }));
        }
    };
    check("CPU", cpu, target.cpu, true);
    check("p99", p99, target.p99, true);
    check("delivered", delivered, target.delivered, false);
    if missed.is_empty() { "met".to_owned() } else { format!("missed: {}", missed.join(", ")) }
}

fn findings(out: &mut String) {
    if !FINDINGS.trim().is_empty() {
        let _ = writeln!(out, "\n{}", FINDINGS.trim_end());
    }
}

fn fanout_rows(out: &mut String, results: &[Value]) {
    out.push_str(
        "\n## Fan-out\n\n\
         | scenario | server CPUs | conns | topics | rate/topic | delivered/s | expected/s | p50 ms | p90 ms | p99 ms | max ms | server CPU % | CPU µs/msg | load generator CPU % | publisher CPU % | errors | disconnects |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in fanouts(results) {
        let rate = 1000.0 / result["tick_ms"].as_f64().unwrap_or(1.0) * result["burst"].as_f64().unwrap_or(1.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {rate}/s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            name(result),
            text(&result["server_cpus"]),
            result["conns"],
            result["topics"],
            result["delivered_per_s"],
            result["expected_per_s"],
            result["p50_ms"],
            result["p90_ms"],
            result["p99_ms"],
            result["max_ms"],
            result["server_cpu_pct"],
            result["server_cpu_us_per_msg"],
            text(&result["load_cpu_pct"]),
            text(&result["publisher_cpu_pct"]),
            result["errors"],
            result["disconnects"],
        );
    }
}

fn wasm_cost(out: &mut String, results: &[Value]) {
    let _ = writeln!(
        out,
        "\n## Cost of wasm isolation\n\n\
         Server CPU per delivered message, the probe component vs the built-in native producer on the same host \
         path (target: within {NATIVE_TARGET}×):\n\n\
         | scenario | component µs/msg | native µs/msg | ratio |\n|---|---|---|---|"
    );
    for result in fanouts(results).filter(|result| result["producer"] == "component") {
        let name = name(result);
        let Some(native) = find(results, &format!("{name}-native")) else { continue };
        let (component_cpu, native_cpu) = (&result["server_cpu_us_per_msg"], &native["server_cpu_us_per_msg"]);
        let cpu = spread(ratios(result, native, "server_cpu_us_per_msg"));
        let _ = writeln!(out, "| {name} | {component_cpu} | {native_cpu} | {} |", shown_spread(cpu.as_ref()));
    }
}

fn positions_cost(out: &mut String, results: &[Value]) {
    let rows: Vec<(&Value, &Value)> = fanouts(results)
        .filter(|result| result["producer"] == "component")
        .filter_map(|result| Some((result, find(results, &format!("{}-unnumbered", name(result)))?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "\n## Cost of positions\n\n\
         Every update carries its topic's position (`,\"offset\":N,\"epoch\":\"E\"` in its frame). The same \
         commit built with feature `unnumbered` frames updates without it, as before positions existed; both run \
         the same probe in the same rounds. The ratio is the cost of positions (CPU per delivered message; a \
         ratio within the rounds' range of 1 is within this run's noise):\n\n\
         | scenario | with positions µs/msg | without µs/msg | ratio | p99 ms with | p99 ms without |\n\
         |---|---|---|---|---|---|\n",
    );
    for (with, without) in rows {
        let cpu = spread(ratios(with, without, "server_cpu_us_per_msg"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            name(with),
            with["server_cpu_us_per_msg"],
            without["server_cpu_us_per_msg"],
            shown_spread(cpu.as_ref()),
            with["p99_ms"],
            without["p99_ms"],
        );
    }
}

fn python_components(out: &mut String, results: &[Value]) {
    let python = find(results, "python");
    let rows: Vec<&Value> = fanouts(results).filter(|result| result["producer"] == "python-component").collect();
    if python.is_none() && rows.is_empty() {
        return;
    }
    out.push_str(
        "\n## Python components\n\n\
         The probe's Python twin (`tests/fixtures/probe-py`, built with componentize-py: CPython 3.14 and the SDK \
         in the component) beside the Rust probe. Server CPU per delivered message on the same layouts:\n\n\
         | scenario | Rust probe µs/msg | Python probe µs/msg | Python ÷ Rust | floor µs/msg | Python ÷ floor | Python delivered ratio | Python p99 ms | Rust instance memory | Python instance memory |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in rows {
        let layout = base(name(result));
        let rust_result = find(results, layout);
        let rust = rust_result.map_or(&Value::Null, |rust| &rust["server_cpu_us_per_msg"]);
        let rust_memory = rust_result.map_or(&Value::Null, |rust| &rust["instance_memory"]["bytes"]);
        let floor =
            find(results, &format!("{layout}-floor")).map_or(&Value::Null, |floor| &floor["server_cpu_us_per_msg"]);
        let cpu = &result["server_cpu_us_per_msg"];
        let _ = writeln!(
            out,
            "| {layout} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            text(rust),
            text(cpu),
            shown(ratio(cpu.as_f64(), rust.as_f64())),
            text(floor),
            shown(ratio(cpu.as_f64(), floor.as_f64())),
            text(&result["delivered_ratio"]),
            text(&result["p99_ms"]),
            mib_bytes(rust_memory),
            mib_bytes(&result["instance_memory"]["bytes"]),
        );
    }
    let Some(python) = python else { return };
    out.push_str(
        "\nThe component itself, timed with wasmtime in the harness (the host's engine settings, release build), \
         and the host serving it (spawn to first served subscription; RSS with one module, and per further module \
         with a live topic; the instance's linear memory, loaded and with that topic live, what `max_memory_mib` \
         bounds per memory):\n\n\
         | probe | file | compile | cache entry | from the cache | instantiate | host start, empty cache | host start, warm cache | host RSS, one module | RSS per further module | instance memory, loaded | instance memory, live |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (label, size) in [("rust", "rust_probe"), ("python", "python_probe")] {
        let (engine, host) = (&python["engine"][label], &python["host"][label]);
        let _ = writeln!(
            out,
            "| {label} | {} | {} ms | {} | {} ms | {} µs | {} ms | {} ms | {} | {} | {} | {} |",
            mib_bytes(&python["size_bytes"][size]),
            text(&engine["compile_ms"]),
            mib_bytes(&engine["cache_entry_bytes"]),
            text(&engine["from_cache_ms"]),
            text(&engine["instantiate_us"]),
            text(&host["cold_start_ms"]),
            text(&host["warm_start_ms"]),
            mib(&host["rss_kib_one_module"]),
            mib(&host["rss_kib_per_more_module"]),
            mib_bytes(&host["instance_memory_loaded"]["bytes"]),
            mib_bytes(&host["instance_memory_live"]["bytes"]),
        );
    }
    let _ = writeln!(out, "\nThe `trading` module (Python) is {}.", mib_bytes(&python["size_bytes"]["python_trading"]));
}

/// Bytes as MiB with one decimal (KiB below one MiB).
fn mib_bytes(bytes: &Value) -> String {
    match bytes.as_f64() {
        Some(bytes) if bytes >= 1024.0 * 1024.0 => format!("{:.1} MiB", bytes / 1024.0 / 1024.0),
        Some(bytes) => format!("{:.0} KiB", bytes / 1024.0),
        None => "–".to_owned(),
    }
}

fn many_cores(out: &mut String, results: &[Value]) {
    let alls: Vec<&Value> = fanouts(results).filter(|result| name(result).ends_with("-all-cores")).collect();
    let Some(first) = alls.first() else { return };
    let _ = writeln!(
        out,
        "\n## Many cores: one server core, then CPUs {}\n\n\
         Each of these layouts offers more than one core can serve: `s4` many small topics (per-update work on \
         the module's actor), `s5` one large topic (its writes are spread over the cores, `host/src/hub/fanout.rs`). \
         On every CPU the load generator (a thread per CPU) shares the cores with the server, so the server gets \
         less than all of them; CPU % is of one core.\n\n\
         | run | server CPUs | delivered/s | server CPU % | CPU µs/msg | p99 ms | load generator CPU % |\n\
         |---|---|---|---|---|---|---|",
        text(&first["server_cpus"]),
    );
    let mut scalings = Vec::new();
    for all in &alls {
        let base = base(name(all));
        let one = find(results, base);
        for result in [one, Some(*all), find(results, &format!("{base}-floor"))].into_iter().flatten() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                name(result),
                text(&result["server_cpus"]),
                result["delivered_per_s"],
                result["server_cpu_pct"],
                result["server_cpu_us_per_msg"],
                result["p99_ms"],
                text(&result["load_cpu_pct"]),
            );
        }
        if let Some(one) = one {
            let scaling = ratio(all["delivered_per_s"].as_f64(), one["delivered_per_s"].as_f64());
            scalings.push(format!("`{base}` ×{}", shown(scaling)));
        }
    }
    if !scalings.is_empty() {
        let _ = writeln!(
            out,
            "\nDelivered/s from one server core to CPUs {}: {}.",
            text(&first["server_cpus"]),
            scalings.join(", ")
        );
    }
    let _ = writeln!(out, "\n{}", SCALING_BEYOND.trim_end());
}

fn connections_and_memory(out: &mut String, results: &[Value]) {
    let idle = find(results, "idle");
    let load = find(results, "memory_after_load");
    let storm = find(results, "storm");
    if idle.is_none() && load.is_none() && storm.is_none() {
        return;
    }
    out.push_str("\n## Connections and memory\n\n");
    if let Some(idle) = idle {
        let limited = if idle["conns"] == idle["conns_wanted"] {
            String::new()
        } else {
            format!(
                " ({} asked; the open-files limit here is {} and raising it needs `CAP_SYS_RESOURCE`)",
                idle["conns_wanted"], idle["open_files_limit"]
            )
        };
        let _ = writeln!(
            out,
            "**Idle connections**: {} connections{limited}, opened in {} s: **{} KiB of server memory per \
             connection**. Server RSS {} before, {} with them open, {} {} s after they are gone ({} after {} s); {} errors.\n",
            idle["conns"],
            idle["connect_s"],
            idle["kib_per_conn"],
            mib(&idle["server_rss_before_kib"]),
            mib(&idle["server_rss_open_kib"]),
            mib(&idle["server_rss_after_kib"]),
            idle["settle_s"],
            mib(&idle["server_rss_later_kib"]),
            idle["later_s"],
            idle["errors"],
        );
    }
    if let Some(load) = load {
        let _ = writeln!(
            out,
            "**Memory after load**: {} connections on {} topics ticking every {} ms ({} delivered/s), then none: \
             server RSS {} before, {} at the peak, **{} {} s after every connection is gone** ({} retained; {} after {} s).\n",
            load["conns"],
            load["topics"],
            load["tick_ms"],
            load["delivered_per_s"],
            mib(&load["server_rss_before_kib"]),
            mib(&load["server_rss_peak_kib"]),
            mib(&load["server_rss_after_kib"]),
            load["settle_s"],
            mib(&load["retained_kib"]),
            mib(&load["server_rss_later_kib"]),
            load["later_s"],
        );
    }
    if let Some(storm) = storm {
        let _ = writeln!(
            out,
            "**Connection storm**: new connections (connect, upgrade, subscribe) asked at a rate doubling every \
             {} s stage; each stays open to the end of its stage, and an attempt taking over {} s is an error. \
             **Reached {} connects + subscribes per second** (the most a stage without errors achieved); it \
             stopped rising at {}.\n\n\
             | asked /s | attempts | subscribed | errors | achieved /s | p50 ms | p99 ms | server CPU % | load generator CPU % |\n\
             |---|---|---|---|---|---|---|---|---|",
            storm["stage_s"],
            storm["attempt_limit_s"],
            storm["reached_per_s"],
            text(&storm["stopped_by"]),
        );
        for stage in storm["stages"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                stage["rate"],
                stage["attempts"],
                stage["subscribed"],
                stage["errors"],
                stage["achieved_per_s"],
                stage["p50_ms"],
                stage["p99_ms"],
                stage["server_cpu_pct"],
                stage["load_cpu_pct"],
            );
        }
    }
}

fn durable_state(out: &mut String, state: Option<&Value>) {
    let Some(state) = state else { return };
    let _ = writeln!(
        out,
        "\n## Durable state\n\n\
         A module's `wasi:keyvalue` state is kept in `<data_dir>/<module>.redb` (file system: {}), every write one \
         transaction committed with an fsync before the component goes on. **A durable put costs {} µs and a get \
         {} µs, timed inside the ledger fixture** ({} puts, then {} gets, in one call each). Over REST, one request \
         after another on one kept-alive connection, {}-byte values: a put adds **{} µs** and a get **{} µs** to a \
         request the component answers without its store.\n\n\
         | request | requests | requests/s | µs each | p50 ms | p99 ms | server CPU µs each |\n\
         |---|---|---|---|---|---|---|",
        text(&state["data_fs"]),
        state["inside_put_us"],
        state["inside_get_us"],
        state["inside_puts"],
        state["inside_gets"],
        state["value_bytes"],
        state["rest_put_us"],
        state["rest_get_us"],
    );
    for row in state["rest"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            text(&row["request"]),
            row["requests"],
            row["per_s"],
            row["us_each"],
            row["p50_ms"],
            row["p99_ms"],
            row["server_cpu_us_each"],
        );
    }
    let _ = writeln!(
        out,
        "\n**Broker orders with durability on**: `POST /api/v1/broker/orders`, buy limit orders far below the \
         market (each stays working), {} per account; each order is committed before it is answered. Clients send \
         one order after another, each on its own connection and accounts.\n\n\
         | clients | orders | orders/s | p50 ms | p99 ms | max ms | server CPU % | server CPU µs/order |\n\
         |---|---|---|---|---|---|---|---|",
        state["orders_per_account"],
    );
    for run in state["order_runs"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            run["clients"],
            run["orders"],
            run["orders_per_s"],
            run["p50_ms"],
            run["p99_ms"],
            run["max_ms"],
            run["server_cpu_pct"],
            run["server_cpu_us_per_order"],
        );
    }
}

fn recovery(out: &mut String, recovery: Option<&Value>) {
    let Some(recovery) = recovery else { return };
    let _ = writeln!(
        out,
        "\n## Recovery\n\n\
         The broker's `orders` route (reliable, the default history: 1000 updates per topic for 300 s), every \
         order committed before it is answered, on one node.\n\n\
         **Time to recover {} missed updates**: a client notes its position and goes away while a watcher keeps \
         the topic live; {} orders later it subscribes on a new connection with `since` that position and gets \
         `recovered: true` and exactly the missed updates, in order. From sending the subscribe to receiving the \
         last of them: **{} ms** (median of {} runs; {}–{} ms). {} clients that missed the same updates \
         recovering at once, as after a network blip, all had them {} ms after they asked; the server spent {} µs \
         of CPU per update replayed.\n\n\
         **Memory per topic of history**: {} topics holding {} updates each: the host counts **{} bytes per \
         topic** in their histories ({} bytes per update, the shared frame as sent; `topicwire_history_bytes`); \
         its RSS grew by **{} KiB per topic** more than for as many orders on accounts nobody watched (their \
         topics not live, so nothing kept; the broker's own state grows alike). `max_history_bytes` bounds all \
         topics' together.",
        recovery["missed"],
        recovery["missed"],
        recovery["recover_ms_median"],
        recovery["trials"].as_array().map_or(0, Vec::len),
        recovery["recover_ms_min"],
        recovery["recover_ms_max"],
        recovery["together"]["clients"],
        recovery["together"]["ms"],
        recovery["together"]["server_cpu_us_per_update"],
        recovery["topics"],
        recovery["updates_per_topic"],
        recovery["history_bytes_per_topic"],
        recovery["history_bytes_per_update"],
        recovery["rss_kib_per_topic"],
    );
}

fn cluster(out: &mut String, cluster: Option<&Value>) {
    let Some(cluster) = cluster else { return };
    let pinning = match cluster["server_cpus"].as_str() {
        Some(cpus) => format!(
            "the nodes and `nats-server` all pinned to CPU {cpus}, taking turns on it as one server would (per-node \
             CPU is what each spent, not what it could do alone)"
        ),
        None => "the nodes and `nats-server` not pinned".to_owned(),
    };
    let failover = &cluster["failover"];
    let _ = writeln!(
        out,
        "\n## Cluster\n\n\
         {} `topicwire serve` nodes on one `nats-server` (JetStream, its monitoring port on), each serving the probe \
         as module `bench`; {pinning}. Node {} leads `bench` (the only leader {} s after the third node served): \
         it produces every update and publishes it once to NATS; the followers write it to their own clients. {} connections, {} per node, \
         spread evenly over {} shared topics ticking every {} ms, for {} s: **{} delivered/s** of {} expected, \
         **p99 {} ms end to end** (p50 {}, max {}; from the probe's send stamp on the leader to receipt on any \
         node), {} errors, {} disconnects.\n\n\
         | node | role | conns | delivered/s | p50 ms | p99 ms | max ms | CPU % | CPU µs/delivered msg | NATS msgs in | NATS msgs out |\n\
         |---|---|---|---|---|---|---|---|---|---|---|",
        cluster["nodes"],
        text(&cluster["leader"]),
        cluster["leader_elected_s"],
        cluster["conns"],
        cluster["conns_per_node"],
        cluster["topics"],
        cluster["tick_ms"],
        cluster["window_s"],
        cluster["delivered_per_s"],
        cluster["expected_per_s"],
        cluster["p99_ms"],
        cluster["p50_ms"],
        cluster["max_ms"],
        cluster["errors"],
        cluster["disconnects"],
    );
    for node in cluster["per_node"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            text(&node["node"]),
            text(&node["role"]),
            node["conns"],
            node["delivered_per_s"],
            node["p50_ms"],
            node["p99_ms"],
            node["max_ms"],
            node["cpu_pct"],
            node["cpu_us_per_msg"],
            node["nats_in_msgs"],
            node["nats_out_msgs"],
        );
    }
    let _ = writeln!(
        out,
        "\n**NATS messages per update**: the leader published **{}** per update and NATS delivered **{}** per update \
         to the followers (one per interested node by design: 1 and {}). Counted from NATS's monitoring, `/connz` \
         per node connection and `/varz` in total (server-wide: {} in and {} out per update), before and after the \
         window, less the cluster's background traffic — lease renewals, interest announcements at 1/s per \
         follower, JetStream's replies: {} in/s and {} out/s, measured over {} s with no client — and divided by \
         the updates produced ({}/s, {}/s expected), counted from the leader's own clients, each of whom gets every \
         update of its topic. Raw counts over the window: {} in, {} out. NATS itself spent {} % of a core, {} µs \
         per update.\n\n\
         **Failover**: after the window, {} watchers (one per topic on each survivor) subscribed, and the leader \
         (node {}) was killed with `SIGKILL`. **The largest gap between two updates a watcher received was {} ms**; \
         updates resumed on {} of them, the last {} ms after the kill; node {} held the lease {} ms after it (the \
         lease lapses 3 s after its last renewal).",
        cluster["nats_published_per_update"],
        cluster["nats_delivered_per_update"],
        cluster["nodes"].as_u64().map_or("–".to_owned(), |nodes| nodes.saturating_sub(1).to_string()),
        cluster["nats_in_per_update"],
        cluster["nats_out_per_update"],
        cluster["nats_background_in_per_s"],
        cluster["nats_background_out_per_s"],
        cluster["nats_background_s"],
        cluster["updates_per_s"],
        cluster["updates_expected_per_s"],
        cluster["nats_in_msgs"],
        cluster["nats_out_msgs"],
        cluster["nats_cpu_pct"],
        cluster["nats_cpu_us_per_update"],
        failover["watchers"],
        text(&failover["killed"]),
        failover["gap_ms"],
        failover["resumed_watchers"],
        failover["resumed_ms"],
        text(&failover["new_leader"]),
        failover["new_leader_ms"],
    );
    reliable_failover(out, &cluster["reliable_failover"]);
}

fn reliable_failover(out: &mut String, reliable: &Value) {
    let Some(watchers) = reliable["watchers"].as_array() else { return };
    let gap = watchers.iter().filter_map(|watcher| watcher["gap_ms"].as_f64()).fold(0.0, f64::max);
    let count = |field: &str| watchers.iter().filter_map(|watcher| watcher[field].as_u64()).sum::<u64>();
    let _ = writeln!(
        out,
        "\n**Reliable events through a failover**: three nodes serving the broker; a watcher on each node that \
         does not lead it subscribed to `{}`, and orders were placed one after another ({} ms apart) through node \
         {} while its leader, node {}, was killed with `SIGKILL`: {} orders acknowledged ({} before the kill), {} \
         answered otherwise while no node led. **Reliable events lost: {}** (of the acknowledged orders, the ones \
         a watcher never received; target 0), repeated {}, holes in the offsets {}, beside the failover's gap: \
         no order was taken for {} ms, and the largest gap between two events a watcher received was {} ms. \
         Node {} led after it.",
        text(&reliable["topic"]),
        reliable["pace_ms"],
        text(&reliable["through"]),
        text(&reliable["killed"]),
        reliable["acknowledged"],
        reliable["acknowledged_before_kill"],
        reliable["refused"],
        reliable["lost"],
        count("repeated"),
        count("holes"),
        reliable["unavailable_ms"],
        round_ms(gap),
        text(&reliable["new_leader"]),
    );
}

/// Milliseconds with three decimals.
fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn allocators(out: &mut String, comparison: Option<&Value>) {
    let Some(variants) = comparison.and_then(|comparison| comparison["variants"].as_array()) else { return };
    out.push_str(
        "\n## Allocators\n\n\
         The same server built with each global allocator (`cargo build --release -p topicwire --features \
         mimalloc|jemalloc`; the default is the system one), the scenarios run back to back. Server RSS is read \
         before the load, with it (idle: connections open; load: the peak), and 2 s and 12 s after every \
         connection is gone.\n\n\
         | allocator | s1 µs/msg | s1 p99 ms | s2b µs/msg | s2b p99 ms | idle KiB/conn | idle RSS MiB: before / open / 2 s / 12 s | load RSS MiB: before / peak / 2 s / 12 s |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let readings = |variant: &Value, prefix: &str, during: &str| {
        [
            format!("{prefix}_rss_before_kib"),
            format!("{prefix}_rss_{during}_kib"),
            format!("{prefix}_rss_after_kib"),
            format!("{prefix}_rss_later_kib"),
        ]
        .iter()
        .map(|field| variant[field].as_f64().map_or("–".to_owned(), |kib| format!("{:.1}", kib / 1024.0)))
        .collect::<Vec<_>>()
        .join(" / ")
    };
    for variant in variants {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            text(&variant["allocator"]),
            variant["s1_cpu_us_per_msg"],
            variant["s1_p99_ms"],
            variant["s2b_cpu_us_per_msg"],
            variant["s2b_p99_ms"],
            variant["idle_kib_per_conn"],
            readings(variant, "idle", "open"),
            readings(variant, "load", "peak"),
        );
    }
}

/// Scenarios with a section of their own; any other result is listed under "Other measurements".
const WITH_A_SECTION: &[&str] = &[
    "run",
    "idle",
    "memory_after_load",
    "storm",
    "state",
    "recovery",
    "cluster",
    "allocators",
    "first_run",
    "python",
    "soak",
];

fn other_measurements(out: &mut String, results: &[Value]) {
    let rows: Vec<&Value> = results
        .iter()
        .filter(|result| !result["producer"].is_string())
        .filter(|result| !WITH_A_SECTION.iter().any(|name| result["scenario"] == *name))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("\n## Other measurements\n\n| scenario | result |\n|---|---|\n");
    for result in rows {
        let mut fields = result.as_object().cloned().unwrap_or_default();
        let name = fields.remove("scenario").unwrap_or_default();
        let text: Vec<String> = fields.iter().map(|(key, value)| format!("{key} = {value}")).collect();
        let _ = writeln!(out, "| {} | {} |", name.as_str().unwrap_or_default(), text.join(", "));
    }
}

fn first_run(out: &mut String, record: Option<&Value>) {
    out.push_str("\n## First run\n\n");
    let Some(record) = record else {
        out.push_str(
            "Not measured yet: `just bench-first-run` (a quarter of an hour of compiling; run it on a quiet \
             machine) times a fresh clone's `./dev run` and `./dev test` and records them here.\n",
        );
        return;
    };
    let minutes =
        |value: &Value| value.as_f64().map_or("–".to_owned(), |s| format!("{:.1} min ({s:.0} s)", s / 60.0));
    let _ = writeln!(
        out,
        "| step | time |\n|---|---|\n\
         | `./dev run` to the first served subscription | {} |\n\
         | `./dev test` after it | {} (tests {}) |\n\n\
         How: {}\n",
        minutes(&record["dev_run_s"]),
        minutes(&record["dev_test_s"]),
        if record["dev_test_passed"] == true { "passed" } else { "failed" },
        text(&record["how"]),
    );
    if !FIRST_RUN_FINDINGS.trim().is_empty() {
        let _ = writeln!(out, "{}", FIRST_RUN_FINDINGS.trim_end());
    }
}

/// The soak's record (`just soak`, measured apart and kept across benchmark runs).
fn soak(out: &mut String, record: Option<&Value>) {
    out.push_str("\n## Soak\n\n");
    let Some(record) = record else {
        out.push_str("Not run yet: `just soak [MINUTES]` runs it and records it here.\n");
        return;
    };
    let _ = writeln!(
        out,
        "{} minutes on one host: {} churning connections (connect, subscribe, read 4 to 12 s, drop without a \
         close) over 200 probe topics ticking every 200 ms, the probe's file copied over every 5 s, the \
         broker's instance trapped every 20 s, a market order every 100 ms over REST for 20 accounts (each \
         streamed to a subscriber of its `orders`), 20 slow readers of 50 topics each that never read, and \
         malformed frames ten a second. How: {}\n",
        record["minutes"],
        record["connections"],
        text(&record["how"]),
    );
    out.push_str(&crate::soak::minutes_table(record));
    let _ = writeln!(
        out,
        "\nAt the end: {} connections made ({} failed); {} orders placed, {} of them in `GET /orders`, \
         {} refused (503) during traps, {} unanswered; {} traps, {} reloads; {} malformed frames, {} answered. \
         Baseline {} → after the load {} ({}); RSS near the baseline (at most 1.5×): {}. \
         Leaked: {}; lost: {} {}.",
        record["connects"],
        record["connect_errors"],
        record["orders_placed"],
        record["orders_listed"],
        record["orders_refused_during_traps"],
        record["orders_unanswered"],
        record["traps"],
        record["reloads_made"],
        record["malformed_sent"],
        record["malformed_answered"],
        record["baseline"],
        record["end"],
        if record["settled"] == true {
            "back to it once the broker's topics had lingered their history's TTL"
        } else {
            "not back to it within the TTL and a minute"
        },
        record["rss_near_baseline"],
        record["leaked"],
        record["lost_count"],
        record["lost"],
    );
}

/// Fan-out results, in run order.
fn fanouts(results: &[Value]) -> impl Iterator<Item = &Value> {
    results.iter().filter(|result| result["producer"].is_string())
}

fn find<'a>(results: &'a [Value], scenario: &str) -> Option<&'a Value> {
    results.iter().find(|result| result["scenario"] == scenario)
}

fn name(result: &Value) -> &str {
    result["scenario"].as_str().unwrap_or_default()
}

/// The layout a fan-out scenario is a variant of: `s2b` for `s2b-floor`.
fn base(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

fn ratio(value: Option<f64>, reference: Option<f64>) -> Option<f64> {
    match (value, reference) {
        (Some(value), Some(reference)) if reference > 0.0 => Some(value / reference),
        _ => None,
    }
}

/// The ratios of `field` of `result` to `reference`, round by round when
/// both kept their runs (each against the run of its round), else the one
/// of their values.
fn ratios(result: &Value, reference: &Value, field: &str) -> Vec<f64> {
    match (result["runs"].as_array(), reference["runs"].as_array()) {
        (Some(runs), Some(references)) if runs.len() == references.len() && runs.len() > 1 => runs
            .iter()
            .zip(references)
            .filter_map(|(run, reference)| ratio(run[field].as_f64(), reference[field].as_f64()))
            .collect(),
        _ => ratio(result[field].as_f64(), reference[field].as_f64()).into_iter().collect(),
    }
}

/// The median and range of some ratios.
struct Spread {
    median: f64,
    lowest: f64,
    highest: f64,
    count: usize,
}

fn spread(values: Vec<f64>) -> Option<Spread> {
    let median = crate::results::median(&values)?;
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Spread { median, lowest, highest, count: values.len() })
}

fn median_of(spread: &Option<Spread>) -> Option<f64> {
    spread.as_ref().map(|spread| spread.median)
}

/// `1.23`, or `1.23 (1.10–1.31)` over several rounds; a ratio below 0.1 with three decimals.
fn shown_spread(spread: Option<&Spread>) -> String {
    let digits = |value: f64| if value.abs() < 0.1 { format!("{value:.3}") } else { format!("{value:.2}") };
    match spread {
        None => "n/a".to_owned(),
        Some(Spread { median, count: 1, .. }) => digits(*median),
        Some(Spread { median, lowest, highest, .. }) => {
            format!("{} ({}–{})", digits(*median), digits(*lowest), digits(*highest))
        }
    }
}

fn shown(ratio: Option<f64>) -> String {
    ratio.map_or("n/a".to_owned(), |ratio| format!("{ratio:.2}"))
}

/// A string without its quotes; `–` when absent.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "–".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// KiB as MiB with one decimal.
fn mib(kib: &Value) -> String {
    kib.as_f64().map_or("–".to_owned(), |kib| format!("{:.1} MiB", kib / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fanout(scenario: &str, producer: &str, cpu: f64, p99: f64, delivered: f64) -> Value {
        json!({
            "scenario": scenario, "producer": producer, "server_cpus": "0", "conns": 100, "topics": 1,
            "tick_ms": 10, "burst": 1, "delivered_per_s": delivered, "expected_per_s": 10000.0,
            "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": p99, "max_ms": 5.0, "server_cpu_pct": 10.0,
            "server_cpu_us_per_msg": cpu, "load_cpu_pct": 20.0, "errors": 0, "disconnects": 0,
        })
    }

    #[test]
    fn leads_with_the_ratios_to_the_floor_and_their_verdicts() {
        let results = [
            json!({"scenario": "run", "quick": false, "server_cpus": "0", "load_cpus": "1", "all_cpus": "0-1", "commit": "abc"}),
            fanout("s1", "component", 20.0, 3.0, 10000.0),
            fanout("s1-native", "native", 19.0, 2.0, 10000.0),
            fanout("s1-floor", "floor", 10.0, 2.0, 10000.0),
            fanout("s2b", "component", 11.0, 40.0, 96000.0),
            fanout("s2b-floor", "floor", 10.0, 20.0, 100000.0),
        ];
        let report = markdown(&results);
        let lead = report.find("## Against the floor").unwrap();
        assert!(lead < report.find("## Fan-out").unwrap(), "the ratios come first");
        assert!(report.contains(
            "| s1 | 20.0 | 10.0 | 2.00 | 3.0 | 2.0 | 1.50 | 1.00 | missed: CPU 2.00 > 1.2, p99 1.50 > 1.2 |"
        ));
        assert!(report.contains("| s1-native | 19.0 | 10.0 | 1.90 | 2.0 | 2.0 | 1.00 | 1.00 |  |"));
        assert!(report.contains("| s2b | 11.0 | 10.0 | 1.10 | 40.0 | 20.0 | 2.00 | 0.96 | met |"));
        assert!(report.contains("| s1 | 20.0 | 19.0 | 1.05 |"), "component vs native");
        assert!(report.contains("pinned to CPU 0 with `taskset`, the load generator (`bench/`) on CPU 1"));
        assert!(report.contains("Not measured yet: `just bench-first-run`"));
        assert!(report.contains(FINDINGS.trim_end()), "the findings follow the ratios");
    }

    #[test]
    fn sockudo_rows_divide_topicwire_by_the_peer_round_by_round() {
        let runs = |mut result: Value, cpus: &[f64]| {
            result["runs"] = cpus
                .iter()
                .map(|cpu| json!({"server_cpu_us_per_msg": cpu, "p99_ms": 2.0, "delivered_per_s": 10000.0}))
                .collect();
            result
        };
        let mut sockudo = runs(fanout("s1-sockudo", "sockudo", 12.0, 2.0, 10000.0), &[12.0, 10.0, 16.0]);
        sockudo["publisher_cpu_us_per_msg"] = json!(3.5);
        let results = [
            json!({"scenario": "run", "repeats": 3, "sockudo": "5.2.0"}),
            runs(fanout("s1", "component", 9.0, 2.0, 10000.0), &[9.0, 10.0, 8.0]),
            sockudo,
            runs(fanout("s1-rest", "rest", 12.0, 2.0, 10000.0), &[12.0, 12.0, 12.0]),
            runs(fanout("s1-floor", "floor", 6.0, 2.0, 10000.0), &[6.0, 5.0, 8.0]),
        ];
        let report = markdown(&results);
        assert!(report.contains("Each fan-out scenario ran 3 times, in rounds"));
        assert!(report.contains("## Against Sockudo"));
        assert!(report.contains("Sockudo](https://crates.io/crates/sockudo) 5.2.0"));
        assert!(report.contains(
            "| s1-sockudo | Sockudo | publisher, Pusher HTTP API | 10000.0 | 2.0 | 12.0 | 3.5 | 0 |  |  |  |"
        ));
        assert!(report.contains(
            "| s1 | Topicwire | the probe's timers, inside | 10000.0 | 2.0 | 9.0 | – | 0 | 0.75 (0.50–1.00) | 1.00 (1.00–1.00) | 1.00 (1.00–1.00) |"
        ));
        assert!(report.contains("| s1-rest | Topicwire | publisher, probe's REST API |"));
        assert!(report.contains("| s1 | 9.0 | 6.0 | 1.50 (1.00–2.00) |"), "against the floor, round by round");
        let floor = &report[..report.find("## Against Sockudo").unwrap()];
        assert!(!floor.contains("| s1-sockudo |"), "Sockudo is not Topicwire");
        assert!(report.contains(PEER.trim_end()));
    }

    #[test]
    fn many_cores_compare_with_the_one_core_run() {
        let mut all = fanout("s4-all-cores", "component", 9.0, 50.0, 150000.0);
        all["server_cpus"] = json!("0-1");
        let results =
            [fanout("s4", "component", 8.0, 90.0, 100000.0), all, fanout("s4-floor", "floor", 7.0, 9.0, 140000.0)];
        let report = markdown(&results);
        assert!(report.contains("## Many cores: one server core, then CPUs 0-1"));
        assert!(report.contains("Delivered/s from one server core to CPUs 0-1: `s4` ×1.50."));
        assert!(report.contains(SCALING_BEYOND.trim_end()));
    }

    #[test]
    fn memory_storm_allocators_and_first_run() {
        let results = [
            json!({"scenario": "idle", "conns_wanted": 50000, "conns": 19744, "open_files_limit": 20000, "connect_s": 4.2,
                   "server_rss_before_kib": 30720, "server_rss_open_kib": 204800, "kib_per_conn": 8.81,
                   "server_rss_after_kib": 40960, "settle_s": 2.0, "server_rss_later_kib": 35840, "later_s": 12.0, "errors": 0}),
            json!({"scenario": "storm", "reached_per_s": 3900, "stopped_by": "the first stage with errors", "stage_s": 1.0, "attempt_limit_s": 3.0,
                   "stages": [{"rate": 4000, "attempts": 4000, "subscribed": 3990, "errors": 10, "achieved_per_s": 3890,
                               "p50_ms": 1.0, "p99_ms": 900.0, "server_cpu_pct": 99.0, "load_cpu_pct": 80.0}]}),
            json!({"scenario": "allocators", "variants": [{"allocator": "mimalloc", "s1_cpu_us_per_msg": 10.1, "s1_p99_ms": 2.0,
                   "s2b_cpu_us_per_msg": 8.0, "s2b_p99_ms": 30.0, "idle_kib_per_conn": 9.5,
                   "idle_rss_before_kib": 30720, "idle_rss_open_kib": 204800, "idle_rss_after_kib": 51200, "idle_rss_later_kib": 40960,
                   "load_rss_before_kib": 30720, "load_rss_peak_kib": 409600, "load_rss_after_kib": 40960}]}),
            json!({"scenario": "first_run", "dev_run_s": 681.0, "dev_test_s": 828.0, "dev_test_passed": true, "how": "a fresh clone"}),
        ];
        let report = markdown(&results);
        assert!(report.contains("19744 connections (50000 asked; the open-files limit here is 20000"));
        assert!(report.contains("**8.81 KiB of server memory per connection**"));
        assert!(report.contains("Server RSS 30.0 MiB before, 200.0 MiB with them open, 40.0 MiB 2.0 s after they are gone (35.0 MiB after 12.0 s)"));
        assert!(
            report.contains("**Reached 3900 connects + subscribes per second** (the most a stage without errors achieved); it stopped rising at the first stage with errors.")
        );
        assert!(report.contains("| 4000 | 4000 | 3990 | 10 | 3890 | 1.0 | 900.0 | 99.0 | 80.0 |"));
        assert!(report.contains(
            "| mimalloc | 10.1 | 2.0 | 8.0 | 30.0 | 9.5 | 30.0 / 200.0 / 50.0 / 40.0 | 30.0 / 400.0 / 40.0 / – |"
        ));
        assert!(report.contains("| `./dev run` to the first served subscription | 11.3 min (681 s) |"));
        assert!(report.contains("| `./dev test` after it | 13.8 min (828 s) (tests passed) |"));
        let first_run = &report[report.find("## First run").unwrap()..report.find("## Targets").unwrap()];
        assert!(first_run.contains(FIRST_RUN_FINDINGS.trim_end()), "where the time goes follows the times");
    }

    #[test]
    fn durable_state_rows() {
        let results = [json!({
            "scenario": "state", "data_fs": "ext2/ext3", "value_bytes": 64,
            "inside_puts": 100, "inside_put_us": 2100.5, "inside_gets": 1000, "inside_get_us": 3.2,
            "rest_put_us": 2150.0, "rest_get_us": 12.5,
            "rest": [{"kind": "put", "request": "PUT /api/v1/ledger/blobs/{key}", "requests": 200, "per_s": 450.0,
                      "us_each": 2222.2, "p50_ms": 2.1, "p99_ms": 4.0, "server_cpu_us_each": 90.0}],
            "orders_per_account": 100,
            "order_runs": [{"clients": 8, "orders": 400, "orders_per_s": 390.0, "p50_ms": 20.0, "p99_ms": 30.0,
                            "max_ms": 35.0, "server_cpu_pct": 40.0, "server_cpu_us_per_order": 1000.0}],
        })];
        let report = markdown(&results);
        assert!(report.contains("**A durable put costs 2100.5 µs and a get 3.2 µs, timed inside the ledger fixture**"));
        assert!(report.contains("a put adds **2150.0 µs** and a get **12.5 µs**"));
        assert!(report.contains("| `PUT /api/v1/ledger/blobs/{key}` | 200 | 450.0 | 2222.2 | 2.1 | 4.0 | 90.0 |"));
        assert!(report.contains("| 8 | 400 | 390.0 | 20.0 | 30.0 | 35.0 | 40.0 | 1000.0 |"));
        assert!(!report.contains("| state |"), "not among the other measurements");
    }

    #[test]
    fn cluster_rows_and_failover() {
        let results = [json!({
            "scenario": "cluster", "server_cpus": "0", "nodes": 3, "leader": "a", "leader_elected_s": 0.5,
            "conns": 300, "conns_per_node": 100, "topics": 10, "tick_ms": 100, "window_s": 3.0,
            "delivered_per_s": 2981.0, "expected_per_s": 3000.0, "p50_ms": 1.1, "p99_ms": 11.2, "max_ms": 19.4,
            "errors": 0, "disconnects": 0,
            "per_node": [{"node": "b", "role": "follower", "conns": 100, "delivered_per_s": 993.0, "p50_ms": 1.3,
                          "p99_ms": 13.1, "max_ms": 19.4, "cpu_pct": 1.7, "cpu_us_per_msg": 16.8,
                          "nats_in_msgs": 12, "nats_out_msgs": 315}],
            "nats_published_per_update": 1.006, "nats_delivered_per_update": 2.011, "nats_in_per_update": 1.006,
            "nats_out_per_update": 2.011, "nats_background_in_per_s": 9.0, "nats_background_out_per_s": 13.0,
            "nats_background_s": 2.0, "updates_per_s": 99.0, "updates_expected_per_s": 100.0,
            "nats_in_msgs": 327, "nats_out_msgs": 639, "nats_cpu_pct": 2.0, "nats_cpu_us_per_update": 201.1,
            "failover": {"killed": "a", "new_leader": "c", "new_leader_ms": 2867.1, "watchers": 20,
                         "resumed_watchers": 20, "gap_ms": 3081.3, "resumed_ms": 3081.3},
        })];
        let mut results = results;
        results[0]["reliable_failover"] = json!({"topic": "orders:{\"accountId\":\"F\"}", "killed": "b", "through": "c",
                                  "new_leader": "a", "pace_ms": 20, "acknowledged": 95, "acknowledged_before_kill": 45,
                                  "refused": 3, "lost": 0, "unavailable_ms": 3250.5,
                                  "watchers": [{"node": "a", "events": 95, "lost": 0, "repeated": 0, "holes": 0,
                                                "epochs": 1, "gap_ms": 3300.25},
                                               {"node": "c", "events": 95, "lost": 0, "repeated": 0, "holes": 0,
                                                "epochs": 1, "gap_ms": 3310.5}]});
        let report = markdown(&results);
        assert!(report.contains("## Cluster"));
        assert!(report.contains("**2981.0 delivered/s** of 3000.0 expected, **p99 11.2 ms end to end**"));
        assert!(report.contains("| b | follower | 100 | 993.0 | 1.3 | 13.1 | 19.4 | 1.7 | 16.8 | 12 | 315 |"));
        assert!(report.contains("the leader published **1.006** per update and NATS delivered **2.011** per update"));
        assert!(report.contains("(one per interested node by design: 1 and 2)"));
        assert!(report.contains("**The largest gap between two updates a watcher received was 3081.3 ms**"));
        assert!(report.contains("95 orders acknowledged (45 before the kill), 3 answered otherwise"));
        assert!(report.contains("**Reliable events lost: 0**"));
        assert!(report.contains(
            "no order was taken for 3250.5 ms, and the largest gap between two events a watcher received was 3310.5 ms"
        ));
        assert!(!report.contains("## Other measurements"), "not among the other measurements");
    }

    #[test]
    fn python_rows_show_the_instances_memory() {
        let mut rust = fanout("s1", "component", 20.0, 3.0, 10000.0);
        rust["instance_memory"] = json!({"bytes": 262_144, "largest_bytes": 262_144});
        let mut python = fanout("s1-python", "python-component", 60.0, 4.0, 10000.0);
        python["instance_memory"] = json!({"bytes": 13_565_952, "largest_bytes": 13_565_952});
        let memory = json!({"bytes": 13_565_952, "largest_bytes": 13_565_952});
        let host = json!({"cold_start_ms": 30000.0, "warm_start_ms": 900.0, "rss_kib_one_module": 90000,
            "rss_kib_per_more_module": 20000, "instance_memory_loaded": memory, "instance_memory_live": memory});
        let engine = json!({"compile_ms": 20000.0, "cache_entry_bytes": 50_000_000, "from_cache_ms": 50.0, "instantiate_us": 300.0});
        let results = [
            rust,
            python,
            fanout("s1-floor", "floor", 10.0, 2.0, 10000.0),
            json!({"scenario": "python", "size_bytes": {"rust_probe": 300_000, "python_probe": 19_000_000, "python_trading": 19_100_000},
                "engine": {"rust": engine, "python": engine}, "host": {"rust": host, "python": host}}),
        ];
        let report = markdown(&results);
        let section = &report[report.find("## Python components").unwrap()..];
        let row = section.lines().find(|line| line.starts_with("| s1 |")).unwrap();
        assert!(row.ends_with("| 256 KiB | 12.9 MiB |"), "{row}");
        let python_probe = section.lines().find(|line| line.starts_with("| python |")).unwrap();
        assert!(python_probe.ends_with("| 12.9 MiB | 12.9 MiB |"), "loaded and live: {python_probe}");
    }

    #[test]
    fn positions_cost_and_recovery() {
        let mut with = fanout("s1", "component", 9.0, 2.0, 10000.0);
        let mut without = fanout("s1-unnumbered", "unnumbered-component", 8.8, 1.9, 10000.0);
        with["runs"] = json!([{"server_cpu_us_per_msg": 9.0}, {"server_cpu_us_per_msg": 9.9}]);
        without["runs"] = json!([{"server_cpu_us_per_msg": 9.0}, {"server_cpu_us_per_msg": 9.0}]);
        let recovery = json!({
            "scenario": "recovery", "missed": 1000, "recover_ms_median": 12.5, "recover_ms_min": 11.0,
            "recover_ms_max": 14.0, "topics": 10, "updates_per_topic": 1000, "history_bytes_per_topic": 350000.0,
            "history_bytes_per_update": 350.0, "rss_kib_per_topic": 420.5,
            "trials": [{"ms": 12.5}, {"ms": 11.0}, {"ms": 14.0}],
            "together": {"clients": 100, "ms": 250.5, "server_cpu_us_per_update": 1.25},
        });
        let report = markdown(&[with, without, recovery]);
        assert!(report.contains("## Cost of positions"));
        assert!(report.contains("| s1 | 9.0 | 8.8 | 1.05 (1.00–1.10) | 2.0 | 1.9 |"), "{report}");
        assert!(report.contains(
            "From sending the subscribe to receiving the last of them: **12.5 ms** (median of 3 runs; 11.0–14.0 ms)"
        ));
        assert!(report.contains("100 clients that missed the same updates recovering at once, as after a network blip, all had them 250.5 ms after they asked; the server spent 1.25 µs of CPU per update replayed"));
        assert!(report.contains("**350000.0 bytes per topic**") && report.contains("**420.5 KiB per topic**"));
        assert!(!report.contains("## Other measurements"), "{report}");
    }

    #[test]
    fn results_without_a_section_are_listed_as_they_are() {
        let results = [
            json!({"scenario": "startup", "cold_ms": 484.1, "warm_ms": 12.8}),
            json!({"scenario": "idle", "conns": 1}),
            fanout("s1", "component", 1.0, 1.0, 1.0),
        ];
        let report = markdown(&results);
        let other = &report[report.find("## Other measurements").unwrap()..report.find("## First run").unwrap()];
        assert!(other.contains("| startup | cold_ms = 484.1, warm_ms = 12.8 |"));
        assert!(!other.contains("| idle |") && !other.contains("| s1 |"));
    }

    #[test]
    fn ratios_need_a_positive_reference() {
        assert_eq!(shown(ratio(Some(3.0), Some(2.0))), "1.50");
        assert_eq!(shown(ratio(Some(3.0), Some(0.0))), "n/a");
        assert_eq!(shown(ratio(None, Some(2.0))), "n/a");
        assert_eq!(base("s2b-floor"), "s2b");
        assert_eq!(base("s4-all-cores"), "s4");
    }
}
