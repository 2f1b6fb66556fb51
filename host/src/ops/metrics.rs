//! `GET /metrics`: the host's counters in the Prometheus text format, built
//! on request from what the modules, their storage and the gateway already track.

use crate::runtime::status::{ModuleReport, ModuleState};
use crate::state::stats::{OperationReport, StorageReport};
use std::fmt::Write;

/// What the edge counts, beside the modules' reports.
#[derive(Debug, Clone, Default)]
pub struct HostGauges {
    /// Open WebSocket connections.
    pub connections: usize,
    /// Open HTTP connections that are not WebSockets.
    pub http_connections: usize,
    /// Component files that failed to load and serve nothing.
    pub failed_loads: usize,
    /// Requests refused by authentication (401).
    pub auth_refusals: u64,
    /// Bytes every topic's history holds (`max_history_bytes` bounds it).
    pub history_bytes: usize,
    /// History entries dropped to stay within a bound (count, age or bytes).
    pub history_dropped: u64,
    /// WebSocket connections ended, by close code (`none`: without a close frame).
    pub closes: Vec<(String, u64)>,
}

/// The exposition text.
pub fn render(modules: &[ModuleReport], host: &HostGauges) -> String {
    let mut out = String::new();
    let one = |value: f64| [(String::new(), value)];
    gauge(&mut out, "topicwire_connections", "Open WebSocket connections.", &one(host.connections as f64));
    gauge(
        &mut out,
        "topicwire_http_connections",
        "Open HTTP connections that are not WebSockets.",
        &one(host.http_connections as f64),
    );
    gauge(
        &mut out,
        "topicwire_failed_loads",
        "Component files that failed to load and serve nothing.",
        &one(host.failed_loads as f64),
    );
    counter(
        &mut out,
        "topicwire_auth_refused_total",
        "Requests and WebSocket upgrades refused for a missing or bad token.",
        &one(host.auth_refusals as f64),
    );
    let closes: Vec<(String, f64)> =
        host.closes.iter().map(|(code, count)| (format!("{{code=\"{code}\"}}"), *count as f64)).collect();
    counter(
        &mut out,
        "topicwire_connections_closed_total",
        "WebSocket connections ended, by close code (1008: too many messages or a slow consumer; none: without a close frame).",
        &closes,
    );
    let per_module = |value: &dyn Fn(&ModuleReport) -> f64| -> Vec<(String, f64)> {
        modules.iter().map(|m| (format!("{{module=\"{}\"}}", m.status.module), value(m))).collect()
    };
    gauge(&mut out, "topicwire_module_topics", "Live topics.", &per_module(&|m| m.live.topics.len() as f64));
    gauge(
        &mut out,
        "topicwire_module_subscriptions",
        "Subscriptions to the module's topics.",
        &per_module(&|m| m.live.topics.iter().map(|topic| topic.subscribers).sum::<usize>() as f64),
    );
    gauge(
        &mut out,
        "topicwire_module_serving",
        "1 while the module serves, 0 while restarting or quarantined.",
        &per_module(&|m| f64::from(matches!(m.status.state, ModuleState::Serving | ModuleState::FailedReload))),
    );
    gauge(
        &mut out,
        "topicwire_module_quarantined",
        "1 while the module is quarantined (it is retried after its cool-down).",
        &per_module(&|m| f64::from(m.status.state == ModuleState::Quarantined)),
    );
    counter(
        &mut out,
        "topicwire_module_quarantines_total",
        "Times the module was quarantined after repeated crashes.",
        &per_module(&|m| m.status.quarantines as f64),
    );
    counter(
        &mut out,
        "topicwire_module_reloads_total",
        "Successful reloads.",
        &per_module(&|m| m.status.reloads as f64),
    );
    counter(
        &mut out,
        "topicwire_module_restarts_total",
        "Instance restarts after traps.",
        &per_module(&|m| m.status.restarts as f64),
    );
    counter(
        &mut out,
        "topicwire_module_updates_total",
        "Updates accepted from the current instance.",
        &per_module(&|m| m.live.published as f64),
    );
    gauge(
        &mut out,
        "topicwire_module_memory_bytes",
        "Linear memory the current instance holds (all its memories).",
        &per_module(&|m| m.live.memory.bytes as f64),
    );
    let mut refused = Vec::new();
    for m in modules {
        let r = &m.live.refused;
        for (reason, count) in [
            ("not_live", r.not_live),
            ("too_large", r.too_large),
            ("invalid_json", r.invalid_json),
            ("rate_limited", r.rate_limited),
            ("timers", r.timers),
            ("not_stored", r.not_stored),
        ] {
            refused.push((format!("{{module=\"{}\",reason=\"{reason}\"}}", m.status.module), count as f64));
        }
    }
    counter(
        &mut out,
        "topicwire_module_refused_total",
        "Updates and timers refused from the current instance.",
        &refused,
    );
    gauge(
        &mut out,
        "topicwire_history_bytes",
        "Bytes the topics' histories hold, all modules.",
        &one(host.history_bytes as f64),
    );
    counter(
        &mut out,
        "topicwire_history_dropped_total",
        "History entries dropped to stay within a bound (count, age or max_history_bytes).",
        &one(host.history_dropped as f64),
    );
    gauge(
        &mut out,
        "topicwire_module_history_updates",
        "Updates the module's topics keep for recovery.",
        &per_module(&|m| m.live.topics.iter().map(|topic| topic.history).sum::<usize>() as f64),
    );
    let mut recoveries = Vec::new();
    for m in modules {
        let r = &m.live.recoveries;
        for (outcome, count) in [("recovered", r.recovered), ("not_recovered", r.not_recovered)] {
            recoveries.push((format!("{{module=\"{}\",outcome=\"{outcome}\"}}", m.status.module), count as f64));
        }
    }
    counter(
        &mut out,
        "topicwire_module_recoveries_total",
        "Subscribes that asked to recover, by outcome.",
        &recoveries,
    );
    counter(
        &mut out,
        "topicwire_module_replayed_total",
        "Updates sent again by recoveries.",
        &per_module(&|m| m.live.recoveries.replayed as f64),
    );
    storage(&mut out, modules);
    out
}

/// The state families: usage per module, operations by kind with their
/// latency (a summary of count and sum), failures and refusals.
fn storage(out: &mut String, modules: &[ModuleReport]) {
    let stored: Vec<(&str, &StorageReport)> =
        modules.iter().filter_map(|m| Some((m.status.module.as_str(), m.storage.as_ref()?))).collect();
    let usage = |value: &dyn Fn(&StorageReport) -> Option<u64>| -> Vec<(String, f64)> {
        stored
            .iter()
            .filter_map(|(module, report)| Some((format!("{{module=\"{module}\"}}"), value(report)? as f64)))
            .collect()
    };
    gauge(
        out,
        "topicwire_module_state_bytes",
        "Bytes of state stored (bucket names, keys, values).",
        &usage(&|r| r.bytes),
    );
    gauge(out, "topicwire_module_state_keys", "Keys stored.", &usage(&|r| r.keys));
    gauge(out, "topicwire_module_state_max_bytes", "max_state_bytes.", &usage(&|r| Some(r.max_state_bytes)));
    let per_operation = |value: &dyn Fn(&OperationReport) -> f64| -> Vec<(String, f64)> {
        let mut samples = Vec::new();
        for (module, report) in &stored {
            for (operation, counts) in &report.operations {
                samples.push((format!("{{module=\"{module}\",op=\"{operation}\"}}"), value(counts)));
            }
        }
        samples
    };
    let name = "topicwire_module_state_operation_seconds";
    let _ = writeln!(out, "# HELP {name} State operations and their latency, by kind.\n# TYPE {name} summary");
    for (labels, value) in per_operation(&|c| c.count as f64) {
        let _ = writeln!(out, "{name}_count{labels} {value}");
    }
    for (labels, value) in per_operation(&|c| c.total_us as f64 / 1e6) {
        let _ = writeln!(out, "{name}_sum{labels} {value}");
    }
    counter(
        out,
        "topicwire_module_state_failures_total",
        "State operations that failed in the storage (I/O, corruption), by kind.",
        &per_operation(&|c| c.failures as f64),
    );
    let mut refused = Vec::new();
    for (module, report) in &stored {
        for (reason, count) in &report.refused {
            refused.push((format!("{{module=\"{module}\",reason=\"{reason}\"}}"), *count as f64));
        }
    }
    counter(out, "topicwire_module_state_refused_total", "State operations refused by a limit, by reason.", &refused);
}

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    family(out, name, help, "gauge", samples);
}

fn counter(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    family(out, name, help, "counter", samples);
}

fn family(out: &mut String, name: &str, help: &str, kind: &str, samples: &[(String, f64)]) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}
