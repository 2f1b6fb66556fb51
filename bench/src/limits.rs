//! What the harness changes about its own process, never about the system:
//! its open-files limit (raised once at start; the servers it spawns inherit
//! it) and its CPU affinity (widened to every CPU for the many-core
//! scenarios, then put back).

use anyhow::{Context, Result, bail};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use std::process::{Command, Stdio};

/// File descriptors a process needs beside its connections (listener, epoll,
/// wasmtime's files, logs, HTTP probes of the harness).
const SPARE_FILES: u64 = 256;

/// Raises the open-files limit towards `wanted`: both limits when allowed
/// (`CAP_SYS_RESOURCE`), else the soft one up to the hard one. Returns the
/// limit now in force.
pub(crate) fn raise_open_files(wanted: u64) -> u64 {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let current = current.unwrap_or(u64::MAX);
    if current >= wanted {
        return current;
    }
    if setrlimit(Resource::Nofile, Rlimit { current: Some(wanted), maximum: Some(wanted.max(maximum.unwrap_or(0))) })
        .is_ok()
    {
        return wanted;
    }
    let ceiling = maximum.map_or(wanted, |maximum| maximum.min(wanted));
    match setrlimit(Resource::Nofile, Rlimit { current: Some(ceiling), maximum }) {
        Ok(()) => ceiling,
        Err(_) => current,
    }
}

/// How many connections fit in `open_files` descriptors, on both ends of loopback.
pub(crate) fn connection_budget(open_files: u64) -> usize {
    usize::try_from(open_files.saturating_sub(SPARE_FILES)).unwrap_or(usize::MAX)
}

/// The CPUs this process may run on (`Cpus_allowed_list`, e.g. `1` or `0-1`).
pub(crate) fn own_cpus() -> Result<String> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .map(|cpus| cpus.trim().to_owned())
        .context("no Cpus_allowed_list in /proc/self/status")
}

/// Every online CPU (e.g. `0-1`).
pub(crate) fn online_cpus() -> Result<String> {
    Ok(std::fs::read_to_string("/sys/devices/system/cpu/online")?.trim().to_owned())
}

/// How many CPUs a CPU list (`0-1`, `0,2-3`) names.
pub(crate) fn cpu_count(list: &str) -> usize {
    list.split(',')
        .filter_map(|range| match range.trim().split_once('-') {
            Some((first, last)) => Some(last.parse::<usize>().ok()?.saturating_sub(first.parse().ok()?) + 1),
            None => range.trim().parse::<usize>().ok().map(|_| 1),
        })
        .sum::<usize>()
        .max(1)
}

/// Moves every thread of this process to `cpus` (`taskset -a -p`). Tried
/// again when it fails, as it does when a thread ends while being moved.
fn move_self_to(cpus: &str) -> Result<()> {
    for _ in 0..3 {
        let status = Command::new("taskset")
            .args(["-a", "-p", "-c", cpus, &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status()
            .context("cannot run taskset")?;
        if status.success() {
            return Ok(());
        }
    }
    bail!("taskset -a -p -c {cpus} failed")
}

/// The harness moved to other CPUs; moved back on drop.
pub(crate) struct Moved {
    back_to: String,
}

impl Moved {
    /// Moves the harness to `cpus` until the value is dropped.
    pub(crate) fn to(cpus: &str) -> Result<Self> {
        let back_to = own_cpus()?;
        move_self_to(cpus)?;
        Ok(Self { back_to })
    }
}

impl Drop for Moved {
    fn drop(&mut self) {
        if let Err(error) = move_self_to(&self.back_to) {
            eprintln!("warning: cannot move the load generator back to CPUs {}: {error:#}", self.back_to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_cpus_of_a_list() {
        assert_eq!(cpu_count("0-1"), 2);
        assert_eq!(cpu_count("1"), 1);
        assert_eq!(cpu_count("0,2-3,8-15"), 11);
        assert_eq!(cpu_count(""), 1);
    }

    #[test]
    fn connections_leave_room_for_the_process_own_files() {
        assert_eq!(connection_budget(20_000), 19_744);
        assert_eq!(connection_budget(100), 0);
    }
}
