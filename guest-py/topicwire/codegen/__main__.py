"""``python -m topicwire.codegen [--check] COMPONENT...``: writes (or checks) each module's ``ws_generated/``."""

from __future__ import annotations

import argparse
import sys
import time

from topicwire.codegen import Component, Diagnostics, Stale, check_fresh, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topicwire.codegen", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if the checked-in generated code is stale, instead of writing it"
    )
    parser.add_argument(
        "components", nargs="+", help="component folders (e.g. components/trading) or the packages holding ws.py"
    )
    args = parser.parse_args(argv)
    failed = False
    for path in args.components:
        started = time.perf_counter()
        try:
            component = Component.locate(path)
            if args.check:
                check_fresh(component)
                print(f"codegen: {path} is up to date ({(time.perf_counter() - started) * 1e3:.1f} ms)")
            else:
                written = write(component)
                print(f"codegen: {path} -> {len(written)} files ({(time.perf_counter() - started) * 1e3:.1f} ms)")
        except (Diagnostics, Stale, FileNotFoundError) as error:
            print(f"codegen: {path}: {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
