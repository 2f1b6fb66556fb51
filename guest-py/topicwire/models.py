"""Models with Pydantic's class syntax, for code that runs inside a component.

Pydantic 2's validation core (``pydantic_core``) is native code built for
the machine it is installed on, so ``import pydantic`` fails inside a
component (measured: see the README, "Writing a component in Python").
This module accepts the same class syntax and answers the same calls for
what route models use::

    class TradeSubscriptionRequest(BaseModel):
        \"\"\"The symbols whose trades to stream.\"\"\"
        symbols: list[str] = Field(min_length=1, description="Tickers, e.g. AAPL")

    request = TradeSubscriptionRequest.model_validate_json('{"symbols": ["AAPL"]}')
    request.model_dump(mode="json")      # {'symbols': ['AAPL']}
    TradeSubscriptionRequest.model_json_schema()

Validation follows Pydantic's lax mode (``"3"`` is a valid ``int``, ``1``
a valid ``bool``), unknown fields are ignored (or refused with
``model_config = ConfigDict(extra="forbid")``), and errors carry Pydantic's
locations, messages and types (``ValidationError.errors()``). The tests
check both against Pydantic itself, where it is installed.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``,
``Any``, ``list[X]``, ``dict[str, X]``, ``Optional[X]`` / ``X | None``,
``Union[...]``, ``Literal[...]``, ``Enum`` subclasses (``IntEnum``,
``str, Enum``), nested models and ``Annotated[X, Field(...)]``.
``Field`` takes ``default``, ``default_factory``, ``alias``, ``title``,
``description``, ``examples``, ``gt``/``ge``/``lt``/``le`` and
``min_length``/``max_length``; ``field_validator`` and ``model_validator``
work as in Pydantic (modes ``before`` and ``after``).
"""

from __future__ import annotations

import copy
import enum
import inspect
import json
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = [
    "BaseModel",
    "ConfigDict",
    "Field",
    "FieldInfo",
    "ValidationError",
    "field_validator",
    "model_validator",
]


class _Undefined:
    """No default: the field is required."""

    _instance: ClassVar[_Undefined | None] = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "PydanticUndefined"


UNDEFINED: Any = _Undefined()
_INVALID: Any = object()


class FieldInfo:
    """What ``Field(...)`` declares about a field (and, once resolved, its annotation)."""

    __slots__ = (
        "default",
        "default_factory",
        "alias",
        "title",
        "description",
        "examples",
        "gt",
        "ge",
        "lt",
        "le",
        "min_length",
        "max_length",
        "annotation",
    )

    def __init__(
        self,
        default: Any = UNDEFINED,
        *,
        default_factory: Callable[[], Any] | None = None,
        alias: str | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: list[Any] | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        if default is not UNDEFINED and default_factory is not None:
            raise TypeError("cannot specify both default and default_factory")
        self.default = default
        self.default_factory = default_factory
        self.alias = alias
        self.title = title
        self.description = description
        self.examples = examples
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.min_length, self.max_length = min_length, max_length
        self.annotation: Any = None

    def is_required(self) -> bool:
        """Whether the field has neither a default nor a default factory."""
        return self.default is UNDEFINED and self.default_factory is None

    def get_default(self) -> Any:
        """A fresh default: the factory's value, or a deep copy of a mutable default."""
        if self.default_factory is not None:
            return self.default_factory()
        default = self.default
        if isinstance(default, (str, int, float, bool, type(None), enum.Enum, tuple, frozenset)):
            return default
        return copy.deepcopy(default)

    def _constraints(self) -> dict[str, Any]:
        names = ("gt", "ge", "lt", "le", "min_length", "max_length")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def __repr__(self) -> str:
        shown = [
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if getattr(self, name) not in (None, UNDEFINED)
        ]
        return f"FieldInfo({', '.join(shown)})"


def Field(  # noqa: N802 - Pydantic's name
    default: Any = UNDEFINED,
    *,
    default_factory: Callable[[], Any] | None = None,
    alias: str | None = None,
    title: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """Declares a field's default, alias, description and constraints, as Pydantic's ``Field``."""
    return FieldInfo(
        default,
        default_factory=default_factory,
        alias=alias,
        title=title,
        description=description,
        examples=examples,
        gt=gt,
        ge=ge,
        lt=lt,
        le=le,
        min_length=min_length,
        max_length=max_length,
    )


def ConfigDict(**settings: Any) -> dict[str, Any]:  # noqa: N802 - Pydantic's name
    """A model's settings: ``extra`` (``"ignore"``, the default, or ``"forbid"``) and ``populate_by_name``."""
    unknown = set(settings) - {"extra", "populate_by_name", "title"}
    if unknown:
        raise TypeError(f"unsupported model_config keys: {', '.join(sorted(unknown))}")
    return dict(settings)


class ValidationError(ValueError):
    """Validation failed; ``errors()`` lists every failure with its ``loc``, ``msg`` and ``type``."""

    def __init__(self, title: str, errors: list[dict[str, Any]]) -> None:
        self.title = title
        self._errors = errors
        super().__init__(self.__str__())

    def errors(self) -> list[dict[str, Any]]:
        """Every failure: ``{"type", "loc", "msg", "input"}``, as Pydantic gives them."""
        return list(self._errors)

    def error_count(self) -> int:
        """How many failures."""
        return len(self._errors)

    def describe(self) -> str:
        """One line naming each field and what is wrong: ``symbols.0: Input should be a valid string``."""
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" if error["loc"] else error["msg"]
            for error in self._errors
        )

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'} for {self.title}"]
        for error in self._errors:
            lines.append(".".join(str(part) for part in error["loc"]) or self.title)
            lines.append(f"  {error['msg']} [type={error['type']}, input_value={error['input']!r}]")
        return "\n".join(lines)


def _error(errors: list[dict[str, Any]], loc: tuple[Any, ...], kind: str, msg: str, value: Any) -> Any:
    errors.append({"type": kind, "loc": loc, "msg": msg, "input": value})
    return _INVALID


# A validator takes a value, where it is (for errors) and the error list, and
# returns the validated value or _INVALID (having appended why).
Validator = Callable[[Any, tuple[Any, ...], list[dict[str, Any]]], Any]


def _validate_str(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    return _error(errors, loc, "string_type", "Input should be a valid string", value)


def _validate_int(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is bool:
        return int(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            return _error(errors, loc, "finite_number", "Input should be a finite number", value)
        if value.is_integer():
            return int(value)
        msg = "Input should be a valid integer, got a number with a fractional part"
        return _error(errors, loc, "int_from_float", msg, value)
    if kind is str:
        text = value.strip()
        if text and "_" not in text:
            try:
                return int(text)
            except ValueError:
                pass
        msg = "Input should be a valid integer, unable to parse string as an integer"
        return _error(errors, loc, "int_parsing", msg, value)
    if isinstance(value, int):
        return int(value)
    return _error(errors, loc, "int_type", "Input should be a valid integer", value)


def _validate_float(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    kind = type(value)
    if kind is float:
        return value
    if kind is int or kind is bool:
        return float(value)
    if kind is str:
        text = value.strip()
        if text and "_" not in text:
            try:
                return float(text)
            except ValueError:
                pass
        msg = "Input should be a valid number, unable to parse string as a number"
        return _error(errors, loc, "float_parsing", msg, value)
    if isinstance(value, (int, float)):
        return float(value)
    return _error(errors, loc, "float_type", "Input should be a valid number", value)


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def _validate_bool(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    kind = type(value)
    if kind is bool:
        return value
    if kind is int or kind is float:
        if value == 1:
            return True
        if value == 0:
            return False
    elif kind is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    else:
        return _error(errors, loc, "bool_type", "Input should be a valid boolean", value)
    return _error(errors, loc, "bool_parsing", "Input should be a valid boolean, unable to interpret input", value)


def _validate_none(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if value is None:
        return None
    return _error(errors, loc, "none_required", "Input should be None", value)


def _validate_any(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    return value


def _either(values: list[Any]) -> str:
    shown = [repr(value) for value in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _type_name(tp: Any) -> str:
    """The name Pydantic gives a union member in error locations."""
    if isinstance(tp, type):
        return tp.__name__
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return "literal[" + ",".join(repr(arg) for arg in typing.get_args(tp)) + "]"
    if origin is not None:
        args = ",".join(_type_name(arg) for arg in typing.get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return str(tp)


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is types.UnionType


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _split_annotated(tp: Any) -> tuple[Any, list[FieldInfo]]:
    infos: list[FieldInfo] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        infos.extend(arg for arg in args[1:] if isinstance(arg, FieldInfo))
    return tp, infos


def _merge_constraints(infos: list[FieldInfo]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for info in infos:
        merged.update(info._constraints())
    return merged


def _compile(tp: Any, constraints: dict[str, Any] | None = None) -> Validator:
    """A validator of annotation ``tp`` with ``constraints`` (``ge``, ``min_length``, ...)."""
    tp, infos = _split_annotated(tp)
    constraints = {**_merge_constraints(infos), **(constraints or {})}
    validate = _compile_type(tp)
    if not constraints:
        return validate
    return _with_constraints(validate, constraints)


def _bound(value: float) -> str:
    """A bound as Pydantic prints it: ``1.0`` as ``1``."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _with_constraints(validate: Validator, constraints: dict[str, Any]) -> Validator:
    gt, ge, lt, le = (constraints.get(name) for name in ("gt", "ge", "lt", "le"))
    min_length, max_length = constraints.get("min_length"), constraints.get("max_length")

    def constrained(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        value = validate(value, loc, errors)
        if value is _INVALID or value is None:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if gt is not None and not value > gt:
                return _error(errors, loc, "greater_than", f"Input should be greater than {_bound(gt)}", value)
            if ge is not None and not value >= ge:
                return _error(
                    errors, loc, "greater_than_equal", f"Input should be greater than or equal to {_bound(ge)}", value
                )
            if lt is not None and not value < lt:
                return _error(errors, loc, "less_than", f"Input should be less than {_bound(lt)}", value)
            if le is not None and not value <= le:
                return _error(
                    errors, loc, "less_than_equal", f"Input should be less than or equal to {_bound(le)}", value
                )
        elif isinstance(value, str):
            if min_length is not None and len(value) < min_length:
                unit = "character" if min_length == 1 else "characters"
                return _error(
                    errors, loc, "string_too_short", f"String should have at least {min_length} {unit}", value
                )
            if max_length is not None and len(value) > max_length:
                unit = "character" if max_length == 1 else "characters"
                return _error(errors, loc, "string_too_long", f"String should have at most {max_length} {unit}", value)
        elif isinstance(value, (list, dict)):
            noun = "List" if isinstance(value, list) else "Dictionary"
            if min_length is not None and len(value) < min_length:
                unit = "item" if min_length == 1 else "items"
                msg = f"{noun} should have at least {min_length} {unit} after validation, not {len(value)}"
                return _error(errors, loc, "too_short", msg, value)
            if max_length is not None and len(value) > max_length:
                unit = "item" if max_length == 1 else "items"
                msg = f"{noun} should have at most {max_length} {unit} after validation, not {len(value)}"
                return _error(errors, loc, "too_long", msg, value)
        return value

    return constrained


_SCALARS: dict[Any, Validator] = {
    str: _validate_str,
    int: _validate_int,
    float: _validate_float,
    bool: _validate_bool,
    type(None): _validate_none,
    None: _validate_none,
    Any: _validate_any,
    object: _validate_any,
}


def _compile_type(tp: Any) -> Validator:
    if tp in _SCALARS:
        return _SCALARS[tp]
    if _is_model(tp):
        return _model_validator(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_validator(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_union(tp):
        members = [arg for arg in args if arg is not type(None)]
        nullable = len(members) < len(args)
        inner = _compile(members[0]) if len(members) == 1 else _union_validator(members)
        if not nullable:
            return inner

        def optional(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
            return None if value is None else inner(value, loc, errors)

        return optional
    if origin is typing.Literal:
        return _literal_validator(list(args))
    if tp is list or origin is list or origin is typing.List:  # noqa: UP006
        return _list_validator(_compile(args[0]) if args else _validate_any)
    if tp is dict or origin is dict or origin is typing.Dict:  # noqa: UP006
        keys, values = (_compile(args[0]), _compile(args[1])) if args else (_validate_any, _validate_any)
        return _dict_validator(keys, values)
    raise TypeError(
        f"topicwire.BaseModel does not support the annotation {tp!r}; see topicwire.models for what it does"
    )


def _model_validator(model: type[BaseModel]) -> Validator:
    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if isinstance(value, model):
            return value
        return model._validate_mapping(value, loc, errors)

    return validate


def _enum_validator(kind: type[enum.Enum]) -> Validator:
    values = [member.value for member in kind]
    by_value = {member.value: member for member in kind}
    numeric = all(isinstance(value, int) and not isinstance(value, bool) for value in values)

    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if isinstance(value, kind):
            return value
        try:
            if value in by_value and type(value) is not bool:
                return by_value[value]
        except TypeError:  # unhashable input
            pass
        if numeric and isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                number = None
            if number in by_value:
                return by_value[number]
        return _error(errors, loc, "enum", f"Input should be {_either(values)}", value)

    return validate


def _literal_validator(allowed: list[Any]) -> Validator:
    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        for candidate in allowed:
            if value == candidate and type(value) is type(candidate):
                return candidate
        return _error(errors, loc, "literal_error", f"Input should be {_either(allowed)}", value)

    return validate


def _list_validator(item: Validator) -> Validator:
    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if not isinstance(value, (list, tuple)):
            return _error(errors, loc, "list_type", "Input should be a valid list", value)
        before = len(errors)
        out = [item(element, (*loc, index), errors) for index, element in enumerate(value)]
        return _INVALID if len(errors) > before else out

    return validate


def _dict_validator(key: Validator, item: Validator) -> Validator:
    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if not isinstance(value, dict):
            return _error(errors, loc, "dict_type", "Input should be a valid dictionary", value)
        before = len(errors)
        out = {key(k, (*loc, k, "[key]"), errors): item(v, (*loc, k), errors) for k, v in value.items()}
        return _INVALID if len(errors) > before else out

    return validate


def _exact(tp: Any, value: Any) -> bool:
    """Whether ``value`` is exactly of member ``tp`` (Pydantic's smart unions try that first)."""
    tp, _ = _split_annotated(tp)
    if tp in (str, int, float, bool):
        return type(value) is tp
    if _is_model(tp) or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return isinstance(value, tp)
    return False


def _union_validator(members: list[Any]) -> Validator:
    compiled = [(member, _compile(member), _type_name(_split_annotated(member)[0])) for member in members]

    def validate(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        for member, validator, _ in compiled:
            if _exact(member, value):
                scratch: list[dict[str, Any]] = []
                result = validator(value, loc, scratch)
                if not scratch:
                    return result
        failures: list[dict[str, Any]] = []
        for _, validator, name in compiled:
            scratch = []
            result = validator(value, (*loc, name), scratch)
            if not scratch:
                return result
            failures.extend(scratch)
        errors.extend(failures)
        return _INVALID

    return validate


class _Decorated:
    """A ``field_validator`` or ``model_validator`` awaiting its class."""

    def __init__(self, function: Any, mode: str, fields: tuple[str, ...] | None) -> None:
        if mode not in ("before", "after"):
            raise TypeError(f"validator mode {mode!r} is not supported: use 'before' or 'after'")
        self.function = function.__func__ if isinstance(function, (classmethod, staticmethod)) else function
        self.is_classmethod = isinstance(function, classmethod) or fields is None and mode == "before"
        self.mode = mode
        self.fields = fields


def field_validator(*fields: str, mode: str = "after") -> Callable[[Any], Any]:
    """Runs a classmethod on ``fields`` before or after their type is checked.

    A ``ValueError`` (or ``AssertionError``) it raises is an error of that field.
    """

    def decorate(function: Any) -> Any:
        return _Decorated(function, mode, fields)

    return decorate


def model_validator(*, mode: str) -> Callable[[Any], Any]:
    """Runs on the whole input (``before``, a classmethod) or the validated model (``after``, a method)."""

    def decorate(function: Any) -> Any:
        return _Decorated(function, mode, None)

    return decorate


def _value_error(errors: list[dict[str, Any]], loc: tuple[Any, ...], error: Exception, value: Any) -> Any:
    if isinstance(error, AssertionError):
        return _error(errors, loc, "assertion_error", f"Assertion failed, {error}", value)
    return _error(errors, loc, "value_error", f"Value error, {error}", value)


class _Field:
    """A resolved field: its name, key on the wire, info and validator."""

    __slots__ = ("name", "key", "info", "validate", "before", "after")

    def __init__(self, name: str, info: FieldInfo) -> None:
        self.name = name
        self.key = info.alias or name
        self.info = info
        self.validate = _compile(info.annotation, info._constraints())
        self.before: list[Callable[[Any], Any]] = []
        self.after: list[Callable[[Any], Any]] = []


class _Schema:
    """A model's resolved fields, validators and settings, built on first use."""

    def __init__(self, model: type[BaseModel]) -> None:
        localns: dict[str, Any] = {}
        for klass in reversed(model.__mro__):
            localns.update(klass.__dict__.get("_tw_parent_namespace") or {})
        hints = typing.get_type_hints(model, localns=localns or None, include_extras=True)
        self.fields: dict[str, _Field] = {}
        self.infos: dict[str, FieldInfo] = {}
        for name, annotation in hints.items():
            if name.startswith("_") or name == "model_config" or typing.get_origin(annotation) is ClassVar:
                continue
            if annotation is ClassVar:
                continue
            info = _declared_info(model, name)
            annotation, extra = _split_annotated(annotation)
            for more in extra:
                _merge_into(info, more)
            info.annotation = annotation
            self.infos[name] = info
            self.fields[name] = _Field(name, info)
        config: dict[str, Any] = {}
        for klass in reversed(model.__mro__):
            config.update(klass.__dict__.get("model_config", {}) or {})
        self.forbid_extra = config.get("extra", "ignore") == "forbid"
        self.populate_by_name = bool(config.get("populate_by_name", False))
        self.title = config.get("title", model.__name__)
        self.keys = {field.key for field in self.fields.values()} | set(self.fields)
        self.model_before: list[Callable[[Any], Any]] = []
        self.model_after: list[Callable[[Any], Any]] = []
        for klass in reversed(model.__mro__):
            for attribute in klass.__dict__.values():
                if isinstance(attribute, _Decorated):
                    self._register(model, attribute)

    def _register(self, model: type[BaseModel], decorated: _Decorated) -> None:
        function = decorated.function
        if decorated.fields is None:
            if decorated.mode == "before":
                self.model_before.append(lambda value: function(model, value))
            else:
                self.model_after.append(function)
            return
        bound = (lambda value, f=function: f(model, value)) if decorated.is_classmethod else function
        for name in decorated.fields:
            if name not in self.fields:
                raise TypeError(f"{model.__name__}: field_validator names an unknown field `{name}`")
            (self.fields[name].before if decorated.mode == "before" else self.fields[name].after).append(bound)


def _declared_info(model: type[BaseModel], name: str) -> FieldInfo:
    """The ``Field(...)`` or plain default the nearest class declares for ``name``; none: required."""
    for klass in model.__mro__:
        declared = klass.__dict__.get(name, UNDEFINED)
        if declared is UNDEFINED or isinstance(declared, _Decorated) or klass is BaseModel:
            continue
        return copy.copy(declared) if isinstance(declared, FieldInfo) else FieldInfo(declared)
    return FieldInfo()


def _merge_into(info: FieldInfo, more: FieldInfo) -> None:
    for slot in FieldInfo.__slots__:
        value = getattr(more, slot)
        if slot == "default":
            if value is not UNDEFINED and info.default is UNDEFINED:
                info.default = value
        elif value is not None and slot != "annotation":
            setattr(info, slot, value)


class _ModelMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        # A model declared inside a function may name its neighbours in string
        # annotations (`from __future__ import annotations`): keep the names
        # the function had, as Pydantic does, to resolve them on first use.
        frame = sys._getframe(1)
        cls._tw_parent_namespace = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else None
        return cls

    @property
    def model_fields(cls) -> dict[str, FieldInfo]:
        """The fields, by name, in declaration order (bases' first)."""
        return dict(cls._tw_schema().infos)  # type: ignore[attr-defined]


class BaseModel(metaclass=_ModelMeta):
    """A model: annotated fields with defaults, validated on construction, as Pydantic's ``BaseModel``."""

    model_config: ClassVar[dict[str, Any]] = {}

    def __init__(self, /, **data: Any) -> None:
        errors: list[dict[str, Any]] = []
        values = type(self)._validate_fields(data, (), errors)
        if errors:
            raise ValidationError(type(self)._tw_schema().title, errors)
        self.__dict__.update(values)
        self._tw_after((), errors)
        if errors:
            raise ValidationError(type(self)._tw_schema().title, errors)

    @classmethod
    def _tw_schema(cls) -> _Schema:
        schema = cls.__dict__.get("_tw_resolved")
        if schema is None:
            schema = _Schema(cls)
            cls._tw_resolved = schema
        return schema

    @classmethod
    def _validate_fields(cls, data: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> dict[str, Any]:
        schema = cls._tw_schema()
        for before in schema.model_before:
            try:
                data = before(data)
            except (ValueError, AssertionError) as error:
                _value_error(errors, loc, error, data)
                return {}
        if not isinstance(data, dict):
            _error(errors, loc, "model_type", f"Input should be a valid dictionary or instance of {cls.__name__}", data)
            return {}
        values: dict[str, Any] = {}
        for field in schema.fields.values():
            where = (*loc, field.key)
            if field.key in data:
                raw = data[field.key]
            elif schema.populate_by_name and field.name in data:
                raw = data[field.name]
            elif field.info.is_required():
                _error(errors, where, "missing", "Field required", data)
                continue
            else:
                values[field.name] = field.info.get_default()
                continue
            for before in field.before:
                try:
                    raw = before(raw)
                except (ValueError, AssertionError) as error:
                    raw = _value_error(errors, where, error, raw)
                    break
            if raw is _INVALID:
                continue
            value = field.validate(raw, where, errors)
            if value is _INVALID:
                continue
            for after in field.after:
                try:
                    value = after(value)
                except (ValueError, AssertionError) as error:
                    value = _value_error(errors, where, error, value)
                    break
            if value is not _INVALID:
                values[field.name] = value
        if schema.forbid_extra:
            for key in data:
                if key not in schema.keys:
                    _error(errors, (*loc, key), "extra_forbidden", "Extra inputs are not permitted", data[key])
        return values

    @classmethod
    def _validate_mapping(cls, data: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        before = len(errors)
        values = cls._validate_fields(data, loc, errors)
        if len(errors) > before:
            return _INVALID
        model = cls.__new__(cls)
        model.__dict__.update(values)
        model._tw_after(loc, errors)
        return _INVALID if len(errors) > before else model

    def _tw_after(self, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> None:
        for after in type(self)._tw_schema().model_after:
            try:
                after(self)
            except (ValueError, AssertionError) as error:
                _value_error(errors, loc, error, self)

    @classmethod
    def model_validate(cls, obj: Any) -> Any:
        """``obj`` (a dict, or an instance) validated into this model; raises ``ValidationError``."""
        if isinstance(obj, cls):
            return obj
        errors: list[dict[str, Any]] = []
        model = cls._validate_mapping(obj, (), errors)
        if errors:
            raise ValidationError(cls._tw_schema().title, errors)
        return model

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Any:
        """JSON text validated into this model; malformed JSON is a ``json_invalid`` error."""
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            failure = {"type": "json_invalid", "loc": (), "msg": f"Invalid JSON: {error}", "input": text}
            raise ValidationError(cls._tw_schema().title, [failure]) from None
        return cls.model_validate(data)

    @classmethod
    def model_construct(cls, **values: Any) -> Any:
        """A model from trusted values, without validation (defaults fill the rest)."""
        model = cls.__new__(cls)
        for name, info in cls._tw_schema().infos.items():
            model.__dict__[name] = values[name] if name in values else info.get_default()
        return model

    def model_dump(self, *, mode: str = "python", by_alias: bool = False, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as a dict; ``mode="json"`` gives JSON values (enums as their values)."""
        json_mode = mode == "json"
        out: dict[str, Any] = {}
        for field in type(self)._tw_schema().fields.values():
            value = self.__dict__.get(field.name)
            if value is None and exclude_none:
                continue
            out[field.key if by_alias else field.name] = _dump(value, json_mode, by_alias, exclude_none)
        return out

    def model_dump_json(self, *, by_alias: bool = False, exclude_none: bool = False, indent: int | None = None) -> str:
        """The fields as JSON text (compact, UTF-8 kept)."""
        data = self.model_dump(mode="json", by_alias=by_alias, exclude_none=exclude_none)
        separators = (",", ":") if indent is None else None
        return json.dumps(data, ensure_ascii=False, separators=separators, indent=indent, allow_nan=False)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy, with ``update`` applied (not validated)."""
        model = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            model.__dict__.update(update)
        return model

    @classmethod
    def model_json_schema(cls, by_alias: bool = True) -> dict[str, Any]:
        """The JSON Schema of the model, as Pydantic writes it (nested models and enums under ``$defs``)."""
        defs: dict[str, Any] = {}
        schema = _model_body(cls, defs, by_alias)
        if defs:
            schema["$defs"] = dict(sorted(defs.items()))
        return schema

    def __copy__(self) -> Any:
        model = type(self).__new__(type(self))
        model.__dict__.update(self.__dict__)
        return model

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment] - mutable, as Pydantic's models

    def __iter__(self) -> Any:
        yield from ((name, self.__dict__.get(name)) for name in type(self)._tw_schema().fields)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__.get(name)!r}" for name in type(self)._tw_schema().fields)
        return f"{type(self).__name__}({shown})"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _dump(value: Any, json_mode: bool, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json" if json_mode else "python", by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, enum.Enum):
        return value.value if json_mode else value
    if isinstance(value, (list, tuple)):
        return [_dump(item, json_mode, by_alias, exclude_none) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item, json_mode, by_alias, exclude_none) for key, item in value.items()}
    return value


# JSON Schema, as Pydantic 2 writes it (mode "validation").


def _model_body(model: type[BaseModel], defs: dict[str, Any], by_alias: bool) -> dict[str, Any]:
    schema = model._tw_schema()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in schema.fields.values():
        key = field.key if by_alias else field.name
        properties[key] = _field_schema(field, key, defs, by_alias)
        if field.info.is_required():
            required.append(key)
    body: dict[str, Any] = {}
    doc = model.__dict__.get("__doc__")
    if doc:
        body["description"] = inspect.cleandoc(doc)
    body["properties"] = properties
    if required:
        body["required"] = required
    body["title"] = schema.title
    body["type"] = "object"
    if schema.forbid_extra:
        body["additionalProperties"] = False
    return body


def _field_schema(field: _Field, key: str, defs: dict[str, Any], by_alias: bool) -> dict[str, Any]:
    info = field.info
    schema = dict(_type_schema(info.annotation, defs, by_alias))
    _apply_constraints(schema, info._constraints())
    if _wants_title(info.annotation) or info.title is not None:
        schema["title"] = info.title if info.title is not None else key.title().replace("_", " ")
    if info.description is not None:
        schema["description"] = info.description
    if info.examples is not None:
        schema["examples"] = info.examples
    if not info.is_required() and info.default_factory is None:
        schema["default"] = _dump(info.default, True, by_alias, False)
    return dict(sorted(schema.items()))


def _wants_title(tp: Any) -> bool:
    """Pydantic leaves the title off a field whose schema is a reference to a model or an enum (or its optional)."""
    tp, _ = _split_annotated(tp)
    if _is_union(tp):
        members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return len(members) != 1 or _wants_title(members[0])
    return not (_is_model(tp) or (isinstance(tp, type) and issubclass(tp, enum.Enum)))


def _apply_constraints(schema: dict[str, Any], constraints: dict[str, Any]) -> None:
    kind = schema.get("type")
    names = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
    for name, keyword in names.items():
        if name in constraints:
            schema[keyword] = constraints[name]
    lengths = {
        "string": ("minLength", "maxLength"),
        "array": ("minItems", "maxItems"),
        "object": ("minProperties", "maxProperties"),
    }
    if kind in lengths:
        low, high = lengths[kind]
        if "min_length" in constraints:
            schema[low] = constraints["min_length"]
        if "max_length" in constraints:
            schema[high] = constraints["max_length"]


def _json_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return None


def _type_schema(tp: Any, defs: dict[str, Any], by_alias: bool) -> dict[str, Any]:
    tp, infos = _split_annotated(tp)
    if infos:
        schema = dict(_type_schema(tp, defs, by_alias))
        _apply_constraints(schema, _merge_constraints(infos))
        return dict(sorted(schema.items()))
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null", None: "null"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is Any or tp is object:
        return {}
    if _is_model(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _model_body(tp, defs, by_alias)
        return {"$ref": f"#/$defs/{name}"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        name = tp.__name__
        if name not in defs:
            values = [member.value for member in tp]
            body: dict[str, Any] = {}
            doc = tp.__dict__.get("__doc__")
            if doc and doc != "An enumeration.":
                body["description"] = inspect.cleandoc(doc)
            body["enum"] = values
            body["title"] = name
            kinds = {_json_type(value) for value in values}
            if len(kinds) == 1 and None not in kinds:
                body["type"] = kinds.pop()
            defs[name] = body
        return {"$ref": f"#/$defs/{name}"}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_union(tp):
        return {"anyOf": [_type_schema(arg, defs, by_alias) for arg in args]}
    if origin is typing.Literal:
        values = list(args)
        kinds = {_json_type(value) for value in values}
        schema = {"const": values[0]} if len(values) == 1 else {"enum": values}
        if len(kinds) == 1 and None not in kinds:
            schema["type"] = kinds.pop()
        return schema
    if tp is list or origin is list:
        return {"items": _type_schema(args[0], defs, by_alias) if args else {}, "type": "array"}
    if tp is dict or origin is dict:
        values = _type_schema(args[1], defs, by_alias) if args else True
        return {"additionalProperties": values, "type": "object"}
    raise TypeError(f"topicwire.BaseModel does not support the annotation {tp!r}")
