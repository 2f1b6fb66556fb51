//! `BENCHMARKS.md`: the results as tables, against the targets.

use serde_json::Value;
use std::fmt::Write;

const TARGETS: &str = "\
| target | goal |
|---|---|
| s1 | p99 ≤ 1 ms, ≤ 1 µs server CPU per delivered message |
| s2 | p99 ≤ 2 ms |
| s2b | 100% delivered, p99 ≤ 5 ms |
| s3 | ≥ 1M delivered messages/s per server core (or CPU per message when the load generator limits) |
| idle | ≤ 16 KiB per connection |
| startup | warm restart ≤ 200 ms to first subscription |
| hot swap | largest gap ≤ 50 ms, zero disconnects |
| native baseline | component within 1.2× of the native producer's CPU per message |
| Python system (FastAPI + FastWS, one core) | ~9.4k updates/s to 100 clients at 10 ms, p99 7.7 ms, ~21 µs CPU per delivered message |
";

/// The report for `results` (one JSON object per scenario).
pub(crate) fn markdown(results: &[Value], quick: bool) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    let _ = writeln!(
        out,
        "Produced by `just bench{}` on this repository's 2-core machine: the server (`topicwire serve`, release) \
         pinned to core 0 with `taskset`, the load generator (`bench/`) to core 1, loopback WebSockets. \
         Latency is from the probe component's send timestamp to receipt (same clock). \
         Raw results: `BENCHMARKS.json`.\n",
        if quick { " --quick" } else { "" }
    );
    out.push_str("## Fan-out\n\n");
    out.push_str("| scenario | conns | topics | rate/topic | delivered/s | expected/s | p50 ms | p90 ms | p99 ms | max ms | server CPU % | CPU µs/msg | errors | disconnects |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for result in results.iter().filter(|result| result["delivered_per_s"].is_number()) {
        let rate = 1000.0 / result["tick_ms"].as_f64().unwrap_or(1.0) * result["burst"].as_f64().unwrap_or(1.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {rate}/s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            result["scenario"].as_str().unwrap_or_default(),
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
            result["errors"],
            result["disconnects"],
        );
    }
    out.push_str("\n## Cost of wasm isolation\n\nServer CPU per delivered message, component vs the built-in native producer on the same host path:\n\n| scenario | component µs/msg | native µs/msg | ratio |\n|---|---|---|---|\n");
    for result in results {
        let name = result["scenario"].as_str().unwrap_or_default();
        let native_name = format!("{name}-native");
        let Some(native) = results.iter().find(|other| other["scenario"] == native_name.as_str()) else { continue };
        let (wasm_cpu, native_cpu) = (
            result["server_cpu_us_per_msg"].as_f64().unwrap_or(0.0),
            native["server_cpu_us_per_msg"].as_f64().unwrap_or(0.0),
        );
        let ratio = if native_cpu > 0.0 { format!("{:.2}", wasm_cpu / native_cpu) } else { "n/a".into() };
        let _ = writeln!(out, "| {name} | {wasm_cpu} | {native_cpu} | {ratio} |");
    }
    out.push_str("\n## Other measurements\n\n| scenario | result |\n|---|---|\n");
    for result in results.iter().filter(|result| !result["delivered_per_s"].is_number()) {
        let mut fields = result.as_object().cloned().unwrap_or_default();
        let name = fields.remove("scenario").unwrap_or_default();
        let text: Vec<String> = fields.iter().map(|(key, value)| format!("{key} = {value}")).collect();
        let _ = writeln!(out, "| {} | {} |", name.as_str().unwrap_or_default(), text.join(", "));
    }
    out.push_str("\n## Targets\n\n");
    out.push_str(TARGETS);
    out
}
