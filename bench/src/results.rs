//! `BENCHMARKS.json`, the results the Markdown report is rendered from: one
//! JSON object per line, one per scenario, the first (`"scenario":"run"`)
//! saying how the run was made. Measurements a benchmark run does not take
//! (the first run of a fresh clone, half an hour of compiling) are carried
//! over from the previous file, and recorded into it on their own.

use crate::report;
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;

/// Scenarios measured on their own, kept across benchmark runs.
const MEASURED_APART: &[&str] = &["first_run"];

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
    fn a_new_record_replaces_the_old_one() {
        let mut results = vec![json!({"scenario": "run"}), json!({"scenario": "first_run", "dev_run_s": 600})];
        replace(&mut results, json!({"scenario": "first_run", "dev_run_s": 400}));
        replace(&mut results, json!({"scenario": "other"}));
        assert_eq!(results[1]["dev_run_s"], 400);
        assert_eq!(results.len(), 3);
    }
}
