//! Errors that point at the offending declaration and say how to fix it.

use std::fmt;
use std::path::PathBuf;

/// One problem in a component's declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File the problem is in, relative to the component's root (e.g. `src/ws.rs`).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Diagnostic {
    /// A problem at `span` in `file`.
    pub fn at(
        file: impl Into<PathBuf>,
        span: proc_macro2::Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        let start = span.start();
        Self {
            file: file.into(),
            line: start.line,
            column: start.column + 1,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {}\n  --> {}:{}:{}\n   = help: {}",
            self.message,
            self.file.display(),
            self.line,
            self.column,
            self.help
        )
    }
}

/// Every problem found, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}
