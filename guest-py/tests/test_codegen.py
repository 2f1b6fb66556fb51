"""The generator: snapshots of what it writes, its staleness check, and its errors (file, line and fix).

``BLESS=1 python3 -m pytest guest-py/tests/test_codegen.py`` rewrites the snapshots.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

from topicwire.codegen import Component, Diagnostics, Stale, check_fresh, generate, write

HERE = Path(__file__).parent / "codegen"
SNAPSHOTS = HERE / "snapshots"

MODELS = """
from topicwire import BaseModel

class Req(BaseModel):
    symbol: str

class Data(BaseModel):
    price: float

class NotAModel:
    pass
"""
SERVICE = """
class Svc:
    def create_ticks(self, topic):
        pass
"""


def module(ws: str, models: str = MODELS, service: str = SERVICE) -> Path:
    """A throwaway component ``<tmp>/app`` with package ``app`` holding these files."""
    root = Path(tempfile.mkdtemp(prefix="topicwire-codegen-"))
    package = root / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ws.py").write_text(textwrap.dedent(ws))
    (package / "models.py").write_text(textwrap.dedent(models))
    (package / "service.py").write_text(textwrap.dedent(service))
    return root


def errors_of(ws: str, **files: str) -> list[str]:
    root = module(ws, **files)
    try:
        generate(Component.locate(root))
    except Diagnostics as error:
        return [str(diagnostic) for diagnostic in error.diagnostics]
    finally:
        shutil.rmtree(root)
    raise AssertionError("no error")


HEAD = """\
from typing import TYPE_CHECKING, TypeAlias
from topicwire import WsRouter, route
from .models import Req, Data, NotAModel
from .service import Svc

if TYPE_CHECKING:
"""


class Snapshots(unittest.TestCase):
    def test_generated_files_match_the_snapshots(self) -> None:
        started = time.perf_counter()
        _, files = generate(Component.locate(HERE / "shop"))
        elapsed = time.perf_counter() - started
        self.assertLess(elapsed, 1.0, "the generator must take well under a second")
        if os.environ.get("BLESS"):
            shutil.rmtree(SNAPSHOTS, ignore_errors=True)
            SNAPSHOTS.mkdir()
            for name, contents in files.items():
                (SNAPSHOTS / name).write_text(contents)
        self.assertEqual(sorted(files), sorted(path.name for path in SNAPSHOTS.glob("*.py")))
        for name, contents in files.items():
            self.assertEqual(
                contents, (SNAPSHOTS / name).read_text(), f"{name} differs from its snapshot (BLESS=1 rewrites)"
            )

    def test_the_generated_code_imports_and_serves(self) -> None:
        root = Path(tempfile.mkdtemp(prefix="topicwire-codegen-"))
        try:
            shutil.copytree(HERE / "shop" / "shop", root / "shop")
            write(Component.locate(root))
            sys.path.insert(0, str(root))
            app = importlib.import_module("shop.ws_generated.app")
            routes = app.module.routes()
            self.assertEqual(
                [(name, delivery.value, history) for name, _, _, _, delivery, history in routes],
                [("orders", "reliable", (500, 120)), ("price-ticks", "conflate", None)],
            )
            self.assertEqual(routes[0][1], "Every change of the account's orders.")
            generated = importlib.import_module("shop.ws_generated")
            self.assertEqual(generated.WORLD, "ws-route-service-http")
            topic = generated.PriceWsTopic.new({"symbol": "AAPL"})
            self.assertEqual(str(topic), 'price-ticks:{"symbol":"AAPL"}')
        finally:
            sys.path.remove(str(root))
            for name in [name for name in sys.modules if name == "shop" or name.startswith("shop.")]:
                del sys.modules[name]
            shutil.rmtree(root)

    def test_check_names_stale_missing_and_extra_files(self) -> None:
        root = module(
            HEAD
            + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n'
        )
        try:
            component = Component.locate(root)
            with self.assertRaisesRegex(Stale, "__init__.py is missing"):
                check_fresh(component)
            write(component)
            check_fresh(component)
            (component.generated_dir / "ticks.py").write_text("# edited\n")
            (component.generated_dir / "old_route.py").write_text("")
            with self.assertRaises(Stale) as stale:
                check_fresh(component)
            self.assertIn("ticks.py is stale", str(stale.exception))
            self.assertIn("old_route.py is not generated from ws.py any more", str(stale.exception))
            write(component)
            self.assertFalse((component.generated_dir / "old_route.py").exists())
            check_fresh(component)
        finally:
            shutil.rmtree(root)


class Errors(unittest.TestCase):
    def assertError(self, ws: str, message: str, line: int, fix: str, **files: str) -> None:  # noqa: N802
        errors = errors_of(ws, **files)
        where = f"  --> app/ws.py:{line}:"
        self.assertTrue(
            any(message in error and where in error and fix in error for error in errors), "\n".join(errors)
        )

    def test_an_unknown_model(self) -> None:
        self.assertError(
            HEAD
            + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Nope, Data]\n    Service: TypeAlias = Svc\n',
            "unknown model `Nope`: it is not imported or defined in app/ws.py",
            8,
            "import it (e.g. `from .models import Nope`)",
        )

    def test_a_model_missing_from_its_module(self) -> None:
        ws = (
            HEAD.replace("Req, Data, NotAModel", "Req, Data, NotAModel, Gone")
            + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, Gone]\n    Service: TypeAlias = Svc\n'
        )
        self.assertError(
            ws,
            "unknown model `Gone`: no class `Gone` in app/models.py",
            8,
            "define `class Gone(BaseModel):` in app/models.py",
        )

    def test_a_class_that_is_not_a_model(self) -> None:
        self.assertError(
            HEAD
            + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, NotAModel]\n    Service: TypeAlias = Svc\n',
            "`NotAModel` (app/models.py:10) is not a model",
            8,
            "derive it from topicwire.BaseModel",
        )

    def test_a_duplicate_route(self) -> None:
        ws = (
            HEAD
            + '    route("ticks")\n    AWsRouter: TypeAlias = WsRouter[Req, Data]\n    route("ticks")\n    BWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n'
        )
        self.assertError(
            ws, "route `ticks` is declared twice (first at app/ws.py:7)", 9, "give each route a unique name"
        )

    def test_malformed_aliases(self) -> None:
        self.assertError(
            HEAD + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req]\n    Service: TypeAlias = Svc\n',
            "`TickWsRouter` must be an alias of `WsRouter[Request, Data]`, found `WsRouter[Req]`",
            8,
            "declare routes as TradeWsRouter: TypeAlias",
        )
        self.assertError(
            HEAD + '    route("ticks")\n    TickWsRouter: TypeAlias = dict[Req, Data]\n    Service: TypeAlias = Svc\n',
            "must be an alias of `WsRouter[Request, Data]`, found `dict[Req, Data]`",
            8,
            "declare routes as",
        )
        self.assertError(
            HEAD + "    TickWsRouter = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n",
            "`TickWsRouter` must be annotated `: TypeAlias`",
            7,
            "write it as TradeWsRouter: TypeAlias = WsRouter[",
        )

    def test_a_missing_route_name(self) -> None:
        self.assertError(
            HEAD + "    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n",
            "route declaration `TickWsRouter` has no route name",
            7,
            'add `route("name")` above it',
        )

    def test_bad_route_names_and_options(self) -> None:
        self.assertError(
            HEAD
            + '    route("Ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n',
            "route name `Ticks` is not valid",
            7,
            "use lowercase letters, digits and `-`",
        )
        self.assertError(
            HEAD
            + '    route("app")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n',
            "route name `app` is reserved",
            7,
            "choose another name",
        )
        self.assertError(
            HEAD
            + '    route("ticks", delivery="fast")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n',
            "unknown delivery `'fast'`",
            7,
            'write `delivery="conflate"`',
        )
        self.assertError(
            HEAD
            + '    route("ticks", histories=3)\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n',
            "unknown route option `histories`",
            7,
            "the options are `delivery=",
        )
        self.assertError(
            HEAD + '    Service: TypeAlias = Svc\n    route("ticks")\n',
            "`route(...)` is not followed by a route declaration",
            8,
            "put it right above the alias",
        )

    def test_histories_out_of_the_hosts_bounds(self) -> None:
        def declaring(options: str) -> str:
            return (
                HEAD
                + f'    route("ticks", {options})\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n'
                + "    Service: TypeAlias = Svc\n"
            )

        self.assertError(
            declaring("history=10001"),
            "`history=10001` is out of bounds: at most 10000",
            7,
            "write `history=N` with N from 1 to 10000",
        )
        self.assertError(
            declaring("history=10, history_ttl_secs=3601"),
            "`history_ttl_secs=3601` is out of bounds: at most 3600",
            7,
            "`history_ttl_secs=S` with S from 1 to 3600",
        )
        self.assertError(
            declaring('history="3"'),
            "`history` must be a whole number, found `'3'`",
            7,
            "write `history=N`",
        )
        self.assertError(
            declaring("history=-1"), "`history` must be a whole number, found `-1`", 7, "write `history=N`"
        )
        self.assertError(
            declaring("history=0, history_ttl_secs=60"),
            "`history=0` with `history_ttl_secs=60` keeps nothing",
            7,
            "give both a value above 0, or write `history=0` alone for none",
        )
        self.assertError(
            declaring("history=5, history_ttl_secs=0"),
            "`history=5` with `history_ttl_secs=0` keeps nothing",
            7,
            "give both a value above 0",
        )
        self.assertError(
            declaring("history_ttl_secs=0"),
            "`history_ttl_secs=0` alone keeps nothing",
            7,
            "write `history=0` alone for none",
        )

    def test_a_declared_history_and_its_defaults(self) -> None:
        cases = {
            "history=3, history_ttl_secs=60": (3, 60),
            "history=1_000": (1000, 300),
            "history=0": (0, 0),
            "history_ttl_secs=30": (1000, 30),
            'delivery="reliable"': None,
        }
        for options, expected in cases.items():
            ws = (
                HEAD
                + f'    route("ticks", {options})\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n'
                + "    Service: TypeAlias = Svc\n"
            )
            root = module(ws)
            try:
                model, files = generate(Component.locate(root))
            finally:
                shutil.rmtree(root)
            ticks = files["ticks.py"]
            self.assertEqual(model.routes[0].history, expected, options)
            if expected is None:
                self.assertNotIn("history", ticks, options)
            else:
                self.assertIn(f"    history=History(size={expected[0]}, ttl_secs={expected[1]}),\n", ticks, options)

    def test_a_missing_service_and_a_missing_handler(self) -> None:
        self.assertError(
            HEAD + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n',
            "the service class is not declared",
            1,
            "add `Service: TypeAlias = MyService`",
        )
        errors = errors_of(
            HEAD
            + '    route("ticks")\n    TickWsRouter: TypeAlias = WsRouter[Req, Data]\n    Service: TypeAlias = Svc\n',
            service="class Svc:\n    pass\n",
        )
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("`Svc` does not define `create_ticks`", errors[0])
        self.assertIn("app/service.py:1:1", errors[0])
        self.assertIn("add `def create_ticks(self, topic: TickWsTopic) -> None:`", errors[0])

    def test_every_error_is_reported_at_once(self) -> None:
        ws = (
            HEAD
            + '    route("ticks")\n    AWsRouter: TypeAlias = WsRouter[Nope, Data]\n    BWsRouter: TypeAlias = WsRouter[Req, Data]\n'
        )
        errors = errors_of(ws)
        self.assertEqual(len(errors), 3, errors)
        self.assertTrue(errors[0].startswith("error: the service class is not declared"), errors)
        self.assertTrue(errors[1].startswith("error: unknown model `Nope`"), errors)
        self.assertIn("  --> app/ws.py:8:", errors[1])
        self.assertIn("   = help: ", errors[1])
        self.assertIn("route declaration `BWsRouter` has no route name", errors[2])


if __name__ == "__main__":
    unittest.main()
