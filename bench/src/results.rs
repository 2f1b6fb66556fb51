//! `BENCHMARKS.json`, the results the Markdown report is rendered from: one
//! JSON object per line, one per scenario, the first (`"scenario":"run"`)
//! saying how the run was made. Measurements a benchmark run does not take
//! (the first run of a fresh clone, half an hour of compiling) are carried
//! over from the previous file, and recorded into it on their own.

use crate::report;
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;

/// Measurements of a fan-out run its repeats are summarised by: the median.
const MEDIAN_FIELDS: &[&str] = &[
    "window_s",
    "delivered_per_s",
    "delivered_ratio",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "server_cpu_pct",
    "server_cpu_us_per_msg",
    "load_cpu_pct",
    "publisher_cpu_pct",
    "publisher_cpu_us_per_msg",
];

/// Counts of a fan-out run its repeats add up.
const SUMMED_FIELDS: &[&str] = &["errors", "disconnects"];

/// One record for the repeats of a fan-out scenario, in run order: the
/// first run's description, the median of each measurement, the counts
/// added up, and every run's own measurements under `runs` (so ratios can
/// be taken run by run, each against the run of its round).
pub(crate) fn merge_runs(runs: Vec<Value>) -> Value {
    let Some(first) = runs.first() else { return Value::Null };
    let mut merged = first.clone();
    let each: Vec<Value> = runs
        .iter()
        .map(|run| {
            let mut own = serde_json::Map::new();
            for field in MEDIAN_FIELDS.iter().chain(SUMMED_FIELDS).chain(&["round", "publisher"]) {
                if !run[field].is_null() {
                    own.insert((*field).to_owned(), run[field].clone());
                }
            }
            Value::Object(own)
        })
        .collect();
    for field in MEDIAN_FIELDS {
        let values: Vec<f64> = runs.iter().filter_map(|run| run[field].as_f64()).collect();
        if let Some(median) = median(&values) {
            merged[field] = serde_json::json!((median * 1000.0).round() / 1000.0);
        }
    }
    for field in SUMMED_FIELDS {
        merged[field] = runs.iter().filter_map(|run| run[field].as_u64()).sum::<u64>().into();
    }
    if let Some(object) = merged.as_object_mut() {
        object.remove("round");
        object.remove("publisher");
    }
    merged["runs"] = Value::Array(each);
    merged
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// Scenarios measured on their own, kept across benchmark runs.
const MEASURED_APART: &[&str] = &["first_run", "soak"];

/// The results in `json_path`; none when it does not exist.
pub(crate) fn read(json_path: &Path) -> Result<Vec<Value>> {
    let text = match std::fs::read_to_string(json_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", json_path.display())),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("{}: not JSON: {line}", json_path.display())))
        .collect()
}

/// Appends the measurements of `previous` taken apart from benchmark runs that `results` lacks.
pub(crate) fn carry_over(previous: Vec<Value>, results: &mut Vec<Value>) {
    for record in previous {
        let kept = MEASURED_APART.iter().any(|name| record["scenario"] == *name);
        if kept && !results.iter().any(|result| result["scenario"] == record["scenario"]) {
            results.push(record);
        }
    }
}

/// Puts `record` in place of the one of the same scenario, or appends it.
pub(crate) fn replace(results: &mut Vec<Value>, record: Value) {
    match results.iter_mut().find(|result| result["scenario"] == record["scenario"]) {
        Some(existing) => *existing = record,
        None => results.push(record),
    }
}

/// Writes the Markdown report to `report_path` and the results beside it (`.json`).
pub(crate) fn write(report_path: &Path, results: &[Value]) -> Result<()> {
    std::fs::write(report_path, report::markdown(results))
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    let json: String = results.iter().map(|result| format!("{result}\n")).collect();
    let json_path = report_path.with_extension("json");
    std::fs::write(&json_path, json).with_context(|| format!("cannot write {}", json_path.display()))?;
    eprintln!("wrote {} and {}", report_path.display(), json_path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_measurements_taken_apart_are_carried_over() {
        let previous = vec![json!({"scenario": "s1", "p99_ms": 9}), json!({"scenario": "first_run", "dev_run_s": 600})];
        let mut results = vec![json!({"scenario": "s1", "p99_ms": 1})];
        carry_over(previous.clone(), &mut results);
        assert_eq!(
            results,
            [json!({"scenario": "s1", "p99_ms": 1}), json!({"scenario": "first_run", "dev_run_s": 600})]
        );
        let mut measured_again = vec![json!({"scenario": "first_run", "dev_run_s": 400})];
        carry_over(previous, &mut measured_again);
        assert_eq!(measured_again, [json!({"scenario": "first_run", "dev_run_s": 400})]);
    }

    #[test]
    fn repeats_are_summarised_by_their_medians_and_kept_run_by_run() {
        let run = |round: u64, cpu: f64, errors: u64| json!({"scenario": "s1", "producer": "component", "round": round, "server_cpu_us_per_msg": cpu, "errors": errors});
        let merged = merge_runs(vec![run(0, 9.0, 1), run(1, 12.0, 0), run(2, 10.0, 2)]);
        assert_eq!(merged["server_cpu_us_per_msg"], 10.0);
        assert_eq!(merged["errors"], 3);
        assert_eq!(merged["producer"], "component");
        assert!(merged["round"].is_null());
        assert_eq!(merged["runs"][1], json!({"server_cpu_us_per_msg": 12.0, "errors": 0, "round": 1}));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_new_record_replaces_the_old_one() {
        let mut results = vec![json!({"scenario": "run"}), json!({"scenario": "first_run", "dev_run_s": 600})];
        replace(&mut results, json!({"scenario": "first_run", "dev_run_s": 400}));
        replace(&mut results, json!({"scenario": "other"}));
        assert_eq!(results[1]["dev_run_s"], 400);
        assert_eq!(results.len(), 3);
    }
}
