"""Reads ``ws.py`` with ``ast`` and checks its declarations into a :class:`Model`, or into every error found.

Accepted in ``ws.py``, inside ``if TYPE_CHECKING:`` (the Python system's
syntax, single- or multi-line)::

    if TYPE_CHECKING:
        route("trades")  # or route("orders", delivery="reliable", history=1000, history_ttl_secs=300)
        TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]
        \"\"\"Trades of the symbols asked for, as they happen.\"\"\"  # the route's description

        Service: TypeAlias = Trading        # the class with the route handlers
        Http: TypeAlias = TradingApi        # optional: the REST API (a topicwire.HttpService)

Every name must be imported (or defined) in ``ws.py``. A model imported
from the module's own package must be a class there deriving from
``BaseModel``; the service class must define ``create_<route>`` for each
route.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass, field
from pathlib import Path

from topicwire.codegen.diagnostic import Diagnostic, Diagnostics
from topicwire.router import DEFAULT_HISTORY_TTL_SECS, MAX_HISTORY, MAX_HISTORY_TTL_SECS, History, check_history

#: The declaration naming the class with the handlers.
SERVICE_ALIAS = "Service"
#: The declaration naming the REST API class.
HTTP_ALIAS = "Http"
ROUTER = "WsRouter"
EXAMPLE = 'route("trades") above `TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]`'
ALIAS_EXAMPLE = "TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]"
DELIVERY_HELP = (
    'write `delivery="conflate"` (the default: a slow client gets the latest update per topic) or '
    '`delivery="reliable"` (never conflated; a client that cannot keep up is closed)'
)
OPTIONS_HELP = (
    'the options are `delivery="conflate"` or `"reliable"`, `history=N` (updates kept per topic) and '
    '`history_ttl_secs=S` (how long), e.g. route("orders", delivery="reliable", history=1000, history_ttl_secs=300)'
)
HISTORY_HELP = (
    f"write `history=N` with N from 1 to {MAX_HISTORY} (updates kept per topic; 0 keeps none) and optionally "
    f"`history_ttl_secs=S` with S from 1 to {MAX_HISTORY_TTL_SECS} (seconds they are kept; "
    f"{DEFAULT_HISTORY_TTL_SECS} by default)"
)
#: Names a route cannot take: they would shadow the generated package's own modules.
RESERVED = {"app", "__init__"}
#: Base classes that make a model.
MODEL_BASES = {"BaseModel"}


@dataclass(frozen=True)
class Import:
    """Where a name in ``ws.py`` comes from: ``from <module> import <name>`` (``level`` leading dots)."""

    module: str
    name: str
    level: int


@dataclass
class Route:
    """One checked route."""

    #: Route name, e.g. ``trades`` or ``broker-connection``.
    name: str
    #: The declaring alias, e.g. ``TradeWsRouter``.
    alias: str
    #: The route's description (the string after the alias).
    description: str
    #: ``conflate`` or ``reliable``.
    delivery: str
    #: The request and data model names, as ``ws.py`` spells them.
    request: str
    data: str
    #: The declared history (``None``: the delivery's default).
    history: History | None = None

    @property
    def python_name(self) -> str:
        """The route's part of handler and file names: ``broker-connection`` gives ``broker_connection``."""
        return self.name.replace("-", "_")

    @property
    def topic_class(self) -> str:
        """The generated topic class: ``TradeWsRouter`` gives ``TradeWsTopic``."""
        stem = self.alias[: -len("Router")] if self.alias.endswith("Router") else self.alias
        return f"{stem}Topic"


@dataclass
class Model:
    """A checked module: what the emitter renders."""

    #: The package's name, e.g. ``trading``.
    package: str
    #: ``ws.py`` relative to the component folder, for headers.
    ws_file: str
    routes: list[Route] = field(default_factory=list)
    #: The service class name, as imported in ``ws.py``.
    service: str = ""
    #: The REST API class name, if any.
    http: str | None = None
    #: Every name ``ws.py`` imports.
    imports: dict[str, Import] = field(default_factory=dict)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_type_alias(annotation: ast.expr) -> bool:
    return (isinstance(annotation, ast.Name) and annotation.id == "TypeAlias") or (
        isinstance(annotation, ast.Attribute) and annotation.attr == "TypeAlias"
    )


def _route_marker(statement: ast.stmt) -> ast.Call | None:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        function = statement.value.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
        if name == "route":
            return statement.value
    return None


def _docstring(statement: ast.stmt | None) -> str | None:
    if (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    ):
        return statement.value.value
    return None


def _description(text: str) -> str:
    """The first paragraph of a docstring, on one line."""
    import inspect

    paragraph = inspect.cleandoc(text).split("\n\n")[0]
    return " ".join(paragraph.split())


def _valid_route_name(name: str) -> bool:
    return (
        bool(name)
        and name[0].isascii()
        and name[0].islower()
        and all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in name)
    )


def _router_args(value: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    if not isinstance(value, ast.Subscript):
        return None
    base = value.value
    name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
    if name != ROUTER or not isinstance(value.slice, ast.Tuple) or len(value.slice.elts) != 2:
        return None
    request, data = value.slice.elts
    return request, data


class _Checker:
    def __init__(self, root: Path, package_dir: Path) -> None:
        self.root = root
        self.package_dir = package_dir
        self.ws_path = package_dir / "ws.py"
        self.ws_file = self.ws_path.relative_to(root).as_posix()
        self.errors: list[Diagnostic] = []
        self.parsed: dict[Path, ast.Module | None] = {}

    def error(self, node: ast.AST | None, message: str, help: str, file: str | None = None) -> None:
        line = getattr(node, "lineno", 1) if node is not None else 1
        column = getattr(node, "col_offset", 0) + 1 if node is not None else 1
        self.errors.append(Diagnostic(file or self.ws_file, line, column, message, help))

    def parse(self, path: Path) -> ast.Module | None:
        if path not in self.parsed:
            try:
                self.parsed[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except (OSError, SyntaxError):
                self.parsed[path] = None
        return self.parsed[path]

    def check(self) -> Model:
        try:
            tree = ast.parse(self.ws_path.read_text(encoding="utf-8"), filename=self.ws_file)
        except SyntaxError as error:
            self.errors.append(
                Diagnostic(
                    self.ws_file,
                    error.lineno or 1,
                    (error.offset or 0) or 1,
                    f"syntax error: {error.msg}",
                    "fix the syntax",
                )
            )
            raise Diagnostics(self.errors) from None
        model = Model(package=self.package_dir.name, ws_file=self.ws_file)
        model.imports = _imports(tree)
        defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        blocks = [node.body for node in tree.body if isinstance(node, ast.If) and _is_type_checking(node.test)]
        seen: dict[str, int] = {}
        aliases: dict[str, int] = {}
        service_node: ast.AST | None = None
        for body in [tree.body, *blocks]:
            pending: ast.Call | None = None
            for index, statement in enumerate(body):
                marker = _route_marker(statement)
                if marker is not None:
                    if pending is not None:
                        self.error(
                            pending,
                            "`route(...)` is not followed by a route declaration",
                            f"put it right above the alias, e.g. {EXAMPLE}",
                        )
                    pending = marker
                    continue
                if isinstance(statement, ast.Assign) and _router_args(statement.value) is not None:
                    target = statement.targets[0]
                    name = target.id if isinstance(target, ast.Name) else "..."
                    self.error(statement, f"`{name}` must be annotated `: TypeAlias`", f"write it as {ALIAS_EXAMPLE}")
                    pending = None
                    continue
                if not (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and _is_type_alias(statement.annotation)
                    and statement.value is not None
                ):
                    if pending is not None:
                        self.error(
                            pending,
                            "`route(...)` is not followed by a route declaration",
                            f"put it right above the alias, e.g. {EXAMPLE}",
                        )
                        pending = None
                    continue
                alias = statement.target.id
                value = statement.value
                marker, pending = pending, None
                if alias in (SERVICE_ALIAS, HTTP_ALIAS) and marker is None:
                    if not isinstance(value, ast.Name) or not self.known(value.id, model.imports, defined):
                        shown = ast.unparse(value)
                        what = "the service class" if alias == SERVICE_ALIAS else "the REST API class"
                        self.error(
                            value,
                            f"`{alias}` must name {what}, found `{shown}`",
                            f"import the class in {self.ws_file} and write `{alias}: TypeAlias = MyClass`",
                        )
                        continue
                    if alias == SERVICE_ALIAS:
                        model.service, service_node = value.id, value
                    else:
                        model.http = value.id
                    continue
                args = _router_args(value)
                if marker is None:
                    if args is not None:
                        self.error(
                            statement,
                            f"route declaration `{alias}` has no route name",
                            f'add `route("name")` above it, e.g. {EXAMPLE}',
                        )
                    continue
                route_name, delivery, history = self.marker_args(marker)
                if args is None:
                    self.error(
                        value,
                        f"`{alias}` must be an alias of `WsRouter[Request, Data]`, found `{ast.unparse(value)}`",
                        f"declare routes as {ALIAS_EXAMPLE}",
                    )
                    continue
                if alias in aliases:
                    self.error(
                        statement,
                        f"`{alias}` is declared twice (first at {self.ws_file}:{aliases[alias]})",
                        "give each declaration its own name",
                    )
                    continue
                aliases[alias] = statement.lineno
                request, data = (
                    self.model_name(node, role, model.imports, defined)
                    for node, role in zip(args, ("subscription request", "update data"), strict=True)
                )
                if route_name is None:
                    continue
                name, name_node = route_name
                if not _valid_route_name(name):
                    self.error(
                        name_node,
                        f"route name `{name}` is not valid",
                        "use lowercase letters, digits and `-`, starting with a letter "
                        "(e.g. `trades`, `broker-connection`)",
                    )
                    continue
                if name.replace("-", "_") in RESERVED or keyword.iskeyword(name.replace("-", "_")):
                    self.error(
                        name_node,
                        f"route name `{name}` is reserved: generated code would not import",
                        "choose another name",
                    )
                    continue
                if name in seen:
                    self.error(
                        name_node,
                        f"route `{name}` is declared twice (first at {self.ws_file}:{seen[name]})",
                        "give each route a unique name, or remove the duplicate",
                    )
                    continue
                seen[name] = name_node.lineno
                docstring = _docstring(body[index + 1] if index + 1 < len(body) else None)
                if request and data:
                    model.routes.append(
                        Route(name, alias, _description(docstring or ""), delivery, request, data, history)
                    )
            if pending is not None:
                self.error(
                    pending,
                    "`route(...)` is not followed by a route declaration",
                    f"put it right above the alias, e.g. {EXAMPLE}",
                )
        if not model.routes and not self.errors:
            self.error(
                None, "no routes are declared", f"declare at least one route inside `if TYPE_CHECKING:`, e.g. {EXAMPLE}"
            )
        if not model.service:
            self.error(
                None,
                "the service class is not declared",
                "add `Service: TypeAlias = MyService` inside `if TYPE_CHECKING:`, naming the class with the handlers",
            )
        elif service_node is not None and not self.errors:
            self.check_service(model, service_node)
        if self.errors:
            raise Diagnostics(sorted(self.errors, key=lambda d: (d.file != self.ws_file, d.file, d.line, d.column)))
        return model

    def known(self, name: str, imports: dict[str, Import], defined: set[str]) -> bool:
        return name in imports or name in defined

    def marker_args(self, marker: ast.Call) -> tuple[tuple[str, ast.AST] | None, str, History | None]:
        delivery = "conflate"
        if (
            len(marker.args) != 1
            or not isinstance(marker.args[0], ast.Constant)
            or not isinstance(marker.args[0].value, str)
        ):
            self.error(
                marker,
                "the route name must be one string literal, optionally followed by "
                '`delivery="..."`, `history=N` and `history_ttl_secs=S`',
                f"write it as {EXAMPLE}",
            )
            name = None
        else:
            name = (marker.args[0].value, marker.args[0])
        numbers: dict[str, tuple[int, ast.AST]] = {}
        bad_history = False
        for keyword_arg in marker.keywords:
            value = keyword_arg.value
            if keyword_arg.arg == "delivery":
                if isinstance(value, ast.Constant) and value.value in ("conflate", "reliable"):
                    delivery = value.value
                else:
                    self.error(value, f"unknown delivery `{ast.unparse(value)}`", DELIVERY_HELP)
            elif keyword_arg.arg in ("history", "history_ttl_secs"):
                bound = MAX_HISTORY if keyword_arg.arg == "history" else MAX_HISTORY_TTL_SECS
                number = _whole_number(value)
                if number is None:
                    self.error(
                        value,
                        f"`{keyword_arg.arg}` must be a whole number, found `{ast.unparse(value)}`",
                        HISTORY_HELP,
                    )
                    bad_history = True
                elif number > bound:
                    self.error(
                        value,
                        f"`{keyword_arg.arg}={number}` is out of bounds: at most {bound}",
                        HISTORY_HELP,
                    )
                    bad_history = True
                else:
                    numbers[keyword_arg.arg] = (number, value)
            else:
                # Python itself refuses a keyword given twice, so only unknown ones are left.
                self.error(value, f"unknown route option `{keyword_arg.arg}`", OPTIONS_HELP)
        history = None
        if numbers and not bad_history:
            size = numbers.get("history")
            ttl = numbers.get("history_ttl_secs")
            try:
                history = check_history(None if size is None else size[0], None if ttl is None else ttl[0])
            except ValueError:
                where = (size or ttl)[1]  # type: ignore[index]
                given = (
                    f"`history={size[0]}` with `history_ttl_secs={ttl[0]}`"
                    if size and ttl
                    else ("`history_ttl_secs=0` alone")
                )
                self.error(
                    where,
                    f"{given} keeps nothing",
                    f"give both a value above 0, or write `history=0` alone for none; {HISTORY_HELP}",
                )
        return name, delivery, history

    def model_name(self, node: ast.expr, role: str, imports: dict[str, Import], defined: set[str]) -> str | None:
        if not isinstance(node, ast.Name):
            self.error(
                node,
                f"the {role} must be a model class name, found `{ast.unparse(node)}`",
                f"declare a model class in the module's models and name it, e.g. {ALIAS_EXAMPLE}",
            )
            return None
        name = node.id
        if name in defined:
            return name
        origin = imports.get(name)
        if origin is None:
            self.error(
                node,
                f"unknown model `{name}`: it is not imported or defined in {self.ws_file}",
                f"import it (e.g. `from .models import {name}`) or fix the name",
            )
            return None
        source = self.source_of(origin)
        if source is None:
            return name  # outside the module's package: not ours to read
        tree = self.parse(source)
        relative = source.relative_to(self.root).as_posix()
        classes = {} if tree is None else {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        if origin.name not in classes:
            self.error(
                node,
                f"unknown model `{name}`: no class `{origin.name}` in {relative}",
                f"define `class {origin.name}(BaseModel):` in {relative}, or fix the name",
            )
            return None
        if not _derives_from_model(classes[origin.name], classes):
            self.error(
                node,
                f"`{name}` ({relative}:{classes[origin.name].lineno}) is not a model",
                f"derive it from topicwire.BaseModel: `class {origin.name}(BaseModel):`",
            )
            return None
        return name

    def source_of(self, origin: Import) -> Path | None:
        """The file of the module's package that ``origin`` imports from, if it is one."""
        if origin.level == 0:
            parts = origin.module.split(".")
            if parts[0] != self.package_dir.name:
                return None
            base, parts = self.package_dir, parts[1:]
        else:
            base = self.package_dir
            for _ in range(origin.level - 1):
                base = base.parent
            parts = origin.module.split(".") if origin.module else []
        path = base.joinpath(*parts)
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def check_service(self, model: Model, node: ast.Name) -> None:
        origin = model.imports.get(model.service)
        source = self.source_of(origin) if origin else self.ws_path
        tree = self.parse(source) if source else None
        if tree is None:
            return
        relative = source.relative_to(self.root).as_posix()
        class_name = origin.name if origin else model.service
        classes = {item.name: item for item in tree.body if isinstance(item, ast.ClassDef)}
        service = classes.get(class_name)
        if service is None:
            self.error(
                node,
                f"unknown service `{model.service}`: no class `{class_name}` in {relative}",
                f"define `class {class_name}(WsRouteService):` in {relative}, or fix the name",
            )
            return
        methods = _methods(service, classes)
        if methods is None:
            return  # a base class from elsewhere may define them
        for route in model.routes:
            handler = f"create_{route.python_name}"
            if handler not in methods:
                self.error(
                    service,
                    f"`{class_name}` does not define `{handler}`",
                    f"add `def {handler}(self, topic: {route.topic_class}) -> None:` to it: "
                    "it starts (or refuses) the route's topics",
                    file=relative,
                )


def _whole_number(node: ast.expr) -> int | None:
    """The value of a non-negative integer literal (``1_000`` too), else ``None``."""
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0:
        return node.value
    return None


def _imports(tree: ast.Module) -> dict[str, Import]:
    found: dict[str, Import] = {}
    nodes = list(tree.body)
    for node in list(nodes):
        if isinstance(node, ast.If):
            nodes.extend(node.body)
            nodes.extend(node.orelse)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                found.setdefault(alias.asname or alias.name, Import(node.module or "", alias.name, node.level))
    return found


def _derives_from_model(node: ast.ClassDef, classes: dict[str, ast.ClassDef], depth: int = 0) -> bool:
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
        if name in MODEL_BASES:
            return True
        if name in classes and depth < 16 and _derives_from_model(classes[name], classes, depth + 1):
            return True
    return False


def _methods(node: ast.ClassDef, classes: dict[str, ast.ClassDef], depth: int = 0) -> set[str] | None:
    """The methods ``node`` defines with its bases in the same file; ``None`` when a base is from elsewhere."""
    names = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
        if name in ("WsRouteService", "object"):
            continue
        if name in classes and depth < 16:
            inherited = _methods(classes[name], classes, depth + 1)
            if inherited is None:
                return None
            names |= inherited
        else:
            return None
    return names


def check(root: Path, package_dir: Path) -> Model:
    """The checked declarations of the module whose ``ws.py`` is in ``package_dir``; raises :class:`Diagnostics`."""
    return _Checker(root, package_dir).check()
