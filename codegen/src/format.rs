//! Formats generated code with the toolchain's `rustfmt`, run from the
//! component's folder so the project's `rustfmt.toml` applies. Generated files
//! are checked in and `cargo fmt --check` runs over them: formatting them the
//! same way is what keeps `codegen --check` and `cargo fmt` from disagreeing.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// `code` formatted by `rustfmt` (edition 2024), with `dir`'s `rustfmt.toml`.
pub fn rustfmt(dir: &Path, code: &str) -> Result<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(&rustfmt)
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt; install it with `rustup component add rustfmt`")?;
    // Write on another thread: rustfmt may fill its stdout pipe before reading all input.
    let mut stdin = child.stdin.take().context("rustfmt has no stdin")?;
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("rustfmt failed")?;
    writer.join().map_err(|_| anyhow::anyhow!("writing to rustfmt panicked"))?.context("cannot write to rustfmt")?;
    if !output.status.success() {
        bail!("rustfmt failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    String::from_utf8(output.stdout).context("rustfmt printed invalid UTF-8")
}
