"""The router generator: ``ws.py`` → ``ws_generated/``, as parse and check → emit.

``python -m topicwire.codegen components/trading`` writes the module's
``ws_generated/``; ``--check`` fails, naming each file, when the checked-in
files are not what it would write. A bad declaration fails with
``file:line:column`` and the fix (see :mod:`topicwire.codegen.declarations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topicwire.codegen.declarations import Model, check
from topicwire.codegen.diagnostic import Diagnostic, Diagnostics
from topicwire.codegen.emit import GENERATED_DIR, render

__all__ = ["Component", "Diagnostic", "Diagnostics", "Stale", "check_fresh", "generate", "write"]


class Stale(Exception):
    """The checked-in generated code is not what the generator writes now."""


@dataclass(frozen=True)
class Component:
    """A Python module's folder (``components/trading``) and its package (``components/trading/trading``)."""

    root: Path
    package_dir: Path

    @classmethod
    def locate(cls, path: str | Path) -> Component:
        """The component at ``path``: a folder holding ``ws.py``, or holding one package that does."""
        root = Path(path)
        if (root / "ws.py").is_file():
            return cls(root.parent, root)
        candidates = sorted(found.parent for found in root.glob("*/ws.py"))
        if len(candidates) != 1:
            what = "no package with a ws.py" if not candidates else f"{len(candidates)} packages with a ws.py"
            raise FileNotFoundError(f"{root}: {what}; point at the package folder that holds ws.py")
        return cls(root, candidates[0])

    @property
    def generated_dir(self) -> Path:
        """``<package>/ws_generated``."""
        return self.package_dir / GENERATED_DIR


def generate(component: Component) -> tuple[Model, dict[str, str]]:
    """The checked declarations and the generated files' contents (raises :class:`Diagnostics`)."""
    model = check(component.root, component.package_dir)
    return model, render(model)


def _stale_files(component: Component, files: dict[str, str]) -> list[Path]:
    if not component.generated_dir.is_dir():
        return []
    return sorted(path for path in component.generated_dir.glob("*.py") if path.name not in files)


def write(component: Component) -> list[Path]:
    """Writes ``ws_generated/`` (unchanged files are left alone) and removes the files it no longer generates."""
    _, files = generate(component)
    component.generated_dir.mkdir(exist_ok=True)
    for stale in _stale_files(component, files):
        stale.unlink()
    written = []
    for name, contents in files.items():
        path = component.generated_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != contents:
            path.write_text(contents, encoding="utf-8")
        written.append(path)
    return written


def check_fresh(component: Component) -> None:
    """Raises :class:`Stale`, naming every stale, missing or extra file, unless ``ws_generated/`` is up to date."""
    _, files = generate(component)
    problems = []
    for name, contents in files.items():
        path = component.generated_dir / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != contents:
            problems.append(f"{path} is stale")
    problems += [f"{path} is not generated from ws.py any more" for path in _stale_files(component, files)]
    if problems:
        raise Stale("generated code is out of date; run `just codegen`:\n  " + "\n  ".join(problems))
