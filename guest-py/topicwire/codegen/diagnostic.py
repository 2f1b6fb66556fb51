"""Errors that point at the offending declaration and say how to fix it (the Rust generator's format)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a module's declarations."""

    #: File the problem is in, relative to the component's folder (e.g. ``trading/ws.py``).
    file: str
    #: 1-based line.
    line: int
    #: 1-based column.
    column: int
    #: What is wrong.
    message: str
    #: How to fix it.
    help: str

    def __str__(self) -> str:
        return f"error: {self.message}\n  --> {self.file}:{self.line}:{self.column}\n   = help: {self.help}"


class Diagnostics(Exception):
    """Every problem found, in source order."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(diagnostic) for diagnostic in diagnostics))
        self.diagnostics = diagnostics
