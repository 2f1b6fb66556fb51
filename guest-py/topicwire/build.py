"""``python3 guest-py/topicwire/build.py COMPONENT -o OUT.wasm``: builds a Python module into a wasm component.

It runs componentize-py (pinned, :data:`COMPONENTIZE_PY`) on the module's
generated entry point, ``<package>.ws_generated.app``, for the world its
``ws_generated/`` names, with the module's folder, this SDK and the folders
its ``pyproject.toml`` lists (``[tool.topicwire] python-path``) on the path.

- componentize-py lives in a virtualenv of its own, ``target/componentize-py``
  (created, and the pinned version installed, when missing): componentize-py
  also bundles the running environment's ``site-packages``, so a private
  environment keeps whatever else is installed out of the component.
- A component is rebuilt only when its inputs change (every file on its
  path, the WIT folder, the world and the componentize-py version; their
  digest is kept beside the output): componentize-py snapshots an
  interpreter whose hash seed is random, so two builds of the same sources
  differ, and a new file means a new compilation for the host (tens of
  seconds for CPython's 18 MB).

It runs as a script (the tests' build script and the recipes call it with
no ``PYTHONPATH``) and imports nothing from the SDK.
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if sys.version_info < (3, 11):  # noqa: UP036 - this script says so before tomllib fails
    raise SystemExit(
        f"Python 3.11 or newer builds the Python components; this is {sys.version.split()[0]} (set PYTHON)"
    )

import tomllib  # noqa: E402 - after the version check, which names the problem

#: The componentize-py the recipes use.
COMPONENTIZE_PY = "0.25.1"
#: The SDK's folder (``guest-py``), on every component's path.
SDK_DIR = Path(__file__).resolve().parents[1]
#: The workspace (``guest-py``'s parent), whose ``target/`` holds the virtualenv.
WORKSPACE = SDK_DIR.parent
#: What is never an input: caches, tests, generated snapshots.
IGNORED_DIRS = {"__pycache__", "tests", ".pytest_cache", ".git", "node_modules"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def componentize_py(venv: Path) -> Path:
    """The pinned componentize-py in ``venv``, installed when missing or of another version.

    Builds run side by side (a build script builds several components at once), so the
    check and the install hold a lock beside ``venv``: one installs, the others wait and find it.
    """
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return install_componentize_py(venv)


def install_componentize_py(venv: Path) -> Path:
    """``componentize_py``'s work, under its lock."""
    executable = venv / "bin" / "componentize-py"
    if executable.exists():
        version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=False)
        if COMPONENTIZE_PY in version.stdout:
            return executable
    log(
        f"python3 -m venv --without-pip {venv} && "
        f"python3 -m pip --python {venv} install componentize-py=={COMPONENTIZE_PY}"
    )
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    subprocess.run([*pip, "--quiet", "--disable-pip-version-check", f"componentize-py=={COMPONENTIZE_PY}"], check=True)
    return executable


def locate(path: Path) -> tuple[Path, Path]:
    """The component's folder and its package (the folder holding ``ws.py``)."""
    if (path / "ws.py").is_file():
        return path.parent, path
    packages = sorted(found.parent for found in path.glob("*/ws.py"))
    if len(packages) != 1:
        raise SystemExit(f"{path}: expected one package with a ws.py, found {len(packages)}")
    return path, packages[0]


def world_of(package: Path) -> str:
    """The world ``ws_generated/__init__.py`` names (``WORLD = "..."``), read without importing it."""
    init = package / "ws_generated" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"{init} is missing: run `just codegen` (python -m topicwire.codegen {package.parent})")
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "WORLD" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{init} names no WORLD: regenerate it")


def python_path(root: Path) -> list[Path]:
    """The component's folder, the SDK, and the extra folders of its ``pyproject.toml``."""
    paths = [root, SDK_DIR]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        settings = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("topicwire", {})
        paths += [(root / extra).resolve() for extra in settings.get("python-path", [])]
    return paths


def digest(paths: list[Path], wit: Path, world: str, app: str) -> str:
    """The digest of every input of a build."""
    sha = hashlib.sha256(f"componentize-py {COMPONENTIZE_PY}\nworld {world}\napp {app}\n".encode())
    for base in [*paths, wit]:
        files = []
        for directory, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
            files += [Path(directory) / name for name in names if not name.endswith((".pyc", ".wasm"))]
        for file in sorted(files):
            sha.update(f"{file.relative_to(base).as_posix()}\n".encode())
            sha.update(hashlib.sha256(file.read_bytes()).digest())
    return sha.hexdigest()


def build(
    component: Path, output: Path, wit: Path, venv: Path, force: bool = False, first: list[Path] | None = None
) -> bool:
    """Builds ``component`` into ``output`` unless its inputs are unchanged; returns whether it built.

    ``first`` are folders put on the path before the component's own, whose
    modules take precedence (a test fixture's second version overrides one).
    """
    root, package = locate(component)
    world = world_of(package)
    app = f"{package.name}.ws_generated.app"
    paths = [path.resolve() for path in first or []] + python_path(root)
    inputs = digest(paths, wit, world, app)
    stamp = output.with_name(output.name + ".inputs")
    if not force and output.is_file() and stamp.is_file() and stamp.read_text().strip() == inputs:
        return False
    executable = componentize_py(venv)
    command = [str(executable), "-d", str(wit), "-w", world, "componentize", app]
    for path in paths:
        command += ["-p", str(path)]
    command += ["-o", str(output)]
    log(" ".join(command))
    output.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    started = time.perf_counter()
    # The virtualenv's site-packages, not the caller's, is what componentize-py adds to the path.
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    stamp.write_text(inputs + "\n")
    log(f"  -> {output} ({output.stat().st_size} bytes, {time.perf_counter() - started:.1f} s)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="guest-py/topicwire/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("component", type=Path, help="the module's folder (e.g. components/trading)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the component file to write")
    parser.add_argument("--wit", type=Path, default=WORKSPACE / "wit", help="the WIT folder (default: the workspace's)")
    parser.add_argument(
        "--venv", type=Path, default=WORKSPACE / "target" / "componentize-py", help="componentize-py's virtualenv"
    )
    parser.add_argument("--copy-to", type=Path, help="also copy the component there (e.g. components/trading.wasm)")
    parser.add_argument("--force", action="store_true", help="build even if the inputs are unchanged")
    parser.add_argument(
        "--first", type=Path, action="append", default=[], help="a folder to put on the path before the component's own"
    )
    args = parser.parse_args(argv)
    build(args.component, args.output, args.wit, args.venv, args.force, args.first)
    if args.copy_to:
        shutil.copyfile(args.output, args.copy_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
