"""Declared settings: each field of an experiment's settings carries its meaning and its constraints.

A paper declares a field with ``setting(default, meaning=..., low=..., ...)``; from that one declaration derive
- the check of a settings object (``Settings.__post_init__``: every field, then the class's cross-field ``check``),
- the reading of a text or TOML value for ``--set`` and ``--config`` (``Declaration.parse``),
- the listing of ``atv run --settings`` (``Declaration.constraint``, ``meaning``, ``unit``),
- the JSON schema of the settings in results.json (``settings_schema``).
A plain dataclass field (a paper that declares nothing) is read by its type alone and has no constraint.

Torch-free and SymPy-free: a bad value is refused before anything heavy loads.  Errors are one sentence naming
the key, the bad value and what is allowed.
"""
from __future__ import annotations

import math
import tomllib
import typing
from dataclasses import MISSING, Field, dataclass, field, fields
from types import UnionType
from typing import Any, Callable

#: the key of a field's Declaration in its ``dataclasses.Field.metadata``
KEY = "atv.setting"

_COUNTS = {0: "zero or more", 1: "one or more", 2: "two or more", 3: "three or more"}


@dataclass(frozen=True)
class Declaration:
    """What one setting means and what values it takes.

    Bounds apply to a number and to every number of a tuple (nested tuples included): ``low``/``high`` inclusive,
    ``above``/``below`` exclusive.  A tuple has at least ``count`` entries, ``distinct`` ones or ``increasing``
    (strictly), ``even`` ones where asked.  ``choices`` are the allowed values (of each entry of a tuple); with
    bounds as well, a value is either a number within them or one of the choices.  ``rule`` is one more
    requirement on the whole value: a predicate and what it asks, as a verb phrase ("contain 1.0").  ``why``
    says why the bounds are what they are; ``unit`` what the number counts or measures.  Numbers are finite
    unless ``finite`` is False (a norm order may be inf).
    """

    name: str
    type: Any
    default: Any
    meaning: str = ""
    low: float | None = None
    high: float | None = None
    above: float | None = None
    below: float | None = None
    count: int = 1
    distinct: bool = False
    increasing: bool = False
    even: bool = False
    choices: tuple | None = None
    rule: tuple[Callable[[Any], bool], str] | None = None
    why: str = ""
    unit: str = ""
    finite: bool = True

    # -- what is allowed, in words -------------------------------------------------------------------------
    def _bounds(self) -> str:
        """The numeric range, as 'be >= 4' / 'lie in [1, 17]' ('' without bounds)."""
        lo = (self.low, "[") if self.low is not None else (self.above, "(") if self.above is not None else None
        hi = (self.high, "]") if self.high is not None else (self.below, ")") if self.below is not None else None
        if lo and hi:
            return f"lie in {lo[1]}{_num(lo[0])}, {_num(hi[0])}{hi[1]}"
        if lo:
            return f"be {'>=' if lo[1] == '[' else '>'} {_num(lo[0])}"
        if hi:
            return f"be {'<=' if hi[1] == ']' else '<'} {_num(hi[0])}"
        return ""

    def _entry(self) -> str:
        """What one number (or one entry) must be: 'be > 0', 'be one of float32, float64', 'be > 0 or theorem'."""
        bounds = self._bounds()
        if self.choices is None:
            return bounds
        if bounds:
            return f"{bounds} or {' or '.join(str(c) for c in self.choices)}"
        return f"be one of {', '.join(str(c) for c in self.choices)}"

    def _shape(self) -> str:
        """A list's shape: 'two or more increasing even values'."""
        words = [_COUNTS.get(self.count, f"{self.count} or more")]
        words += ["increasing"] if self.increasing else ["distinct"] if self.distinct else []
        words += ["even"] if self.even else []
        return " ".join(words) + " values"

    def _is_list(self) -> bool:
        return _is_tuple(self.type) and _variadic(self.type)

    def constraint(self) -> str:
        """Every constraint, for the listing: '>= 4', 'two or more increasing values, each > 0', 'any'."""
        entry = self._entry()
        entry = entry[3:] if entry.startswith("be ") else entry[4:] if entry.startswith("lie ") else entry
        text = f"{self._shape()}{', each ' + entry if entry else ''}" if self._is_list() else entry
        if self.rule is not None:
            text = f"{text}; must {self.rule[1]}" if text else f"must {self.rule[1]}"
        if self.why:
            text = f"{text} ({self.why})" if text else f"({self.why})"
        return text or "any"

    # -- reading a value ------------------------------------------------------------------------------------
    def parse(self, raw: object, key: str | None = None):
        """``raw`` (a ``--set`` string or a TOML value) as this setting's type; one sentence naming ``key`` (this
        setting's name by default) when it is not of that type.  Constraints are not checked: see ``check``."""
        return _coerce(raw, self.type, key or self.name, self.choices)

    # -- checking a value -----------------------------------------------------------------------------------
    def problem(self, value, key: str | None = None) -> str | None:
        """The one sentence that refuses ``value`` for this setting (named ``key``), or None when it is allowed."""
        key = key or self.name
        why = f" ({self.why})" if self.why else ""
        if self._is_list():
            entry_type = _args(self.type)[0]
            if not isinstance(value, tuple) or not all(_of_type(v, entry_type) for v in value):
                return f"{key} must be a list of {_type_words(entry_type, plural=True)}, got {value!r}"
            if (len(value) < self.count or (self.distinct and len(set(value)) < len(value))
                    or (self.increasing and any(b <= a for a, b in zip(value, value[1:])))
                    or (self.even and any(v % 2 for v in value))):
                return f"{key} needs {self._shape()}{why}, got {value!r}"
            if not all(self._entry_ok(v, entry_type) for v in value):
                return f"{key} must {self._entry() or 'be finite'} (every entry){why}, got {value!r}"
        elif not _of_type(value, self.type) and not (self.choices and _plain(value) in self.choices):
            return f"{key} must be {_type_words(self.type)}, got {value!r}"
        elif not self._entry_ok(value, self.type):
            return f"{key} must {self._entry() or 'be finite'}{why}, got {value!r}"
        if self.rule is not None and not self.rule[0](value):
            return f"{key} must {self.rule[1]}, got {value!r}"
        return None

    def check(self, value, key: str | None = None) -> None:
        """Raise ValueError with ``problem``'s sentence when ``value`` is refused."""
        problem = self.problem(value, key)
        if problem is not None:
            raise ValueError(problem)

    def _entry_ok(self, value, hint) -> bool:
        if self.choices is not None and _plain(value) in self.choices:
            return True
        if not _of_type(value, hint):
            return False
        numbers = list(_numbers(value))
        if self.choices is not None and not (numbers and self._bounds()):
            return False
        return all(_within(x, self) for x in numbers)

    # -- the schema -----------------------------------------------------------------------------------------
    def schema(self) -> dict:
        """A JSON-schema fragment: type, bounds, choices, description (meaning and constraint)."""
        out = _json_type(self.type)
        if self.choices is not None and not self._bounds() and not _is_tuple(self.type):
            out = {"enum": list(self.choices)}
        target = out.get("items", out) if self._is_list() else out
        for name, key in (("low", "minimum"), ("high", "maximum"), ("above", "exclusiveMinimum"),
                          ("below", "exclusiveMaximum")):
            if getattr(self, name) is not None and "type" in target and target["type"] in ("integer", "number"):
                target[key] = getattr(self, name)
        if self._is_list():
            out["minItems"] = self.count
        description = "; ".join(part for part in (self.meaning, self.constraint(), self.unit) if part)
        return {**out, "description": description, "default": _jsonable(self.default)}


def setting(default: Any = MISSING, *, meaning: str, low: float | None = None, high: float | None = None,
            above: float | None = None, below: float | None = None, count: int = 1, distinct: bool = False,
            increasing: bool = False, even: bool = False, choices: tuple | None = None,
            rule: tuple[Callable[[Any], bool], str] | None = None, why: str = "", unit: str = "",
            finite: bool = True) -> Any:
    """A settings field: its default (none: a required field) and its declaration (see ``Declaration``), as a
    ``dataclasses.field``."""
    declared = dict(meaning=meaning, low=low, high=high, above=above, below=below, count=count, distinct=distinct,
                    increasing=increasing, even=even, choices=None if choices is None else tuple(choices),
                    rule=rule, why=why, unit=unit, finite=finite)
    return field(default=default, metadata={KEY: declared})


def declarations(settings) -> dict[str, Declaration]:
    """Every field of a settings dataclass (class or instance) with its declaration, in field order; a plain
    field is declared by its type alone."""
    cls = settings if isinstance(settings, type) else type(settings)
    cached = cls.__dict__.get("_declarations")
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    out = {}
    for item in fields(cls):
        if item.name.startswith("_"):
            continue
        out[item.name] = Declaration(item.name, hints[item.name], _default(item), **item.metadata.get(KEY, {}))
    setattr(cls, "_declarations", out)
    return out


def validate(settings) -> None:
    """Check every field of a settings object against its declaration (ValueError: one sentence)."""
    for name, declared in declarations(settings).items():
        declared.check(getattr(settings, name))


@dataclass(frozen=True)
class Settings:
    """Base of an experiment's settings: a frozen dataclass whose fields are ``setting(...)`` declarations.

    ``__post_init__`` checks every field against its declaration, then ``check()``, the constraints between
    fields that a single declaration cannot state (a subclass overrides it; it raises ValueError)."""

    def __post_init__(self) -> None:
        validate(self)
        self.check()

    def check(self) -> None:
        """Constraints between fields (one sentence each, raised as ValueError)."""


def settings_schema(settings) -> dict:
    """The JSON schema of one settings dataclass, from its declarations (no field required: a results file of an
    older version, with a setting since added, still reads)."""
    return {"type": "object", "properties": {name: d.schema() for name, d in declarations(settings).items()}}


# -- reading values (the types settings use: int, float, str, bool, tuples, a number-or-word union) -----------
def _coerce(raw: object, hint, key: str, choices: tuple | None = None):
    if _is_tuple(hint):
        args = _args(hint)
        if isinstance(raw, str):
            text = raw.strip()
            raw = _toml_value(text, key) if text.startswith("[") else [item for item in text.split(",")]
        elif not isinstance(raw, (list, tuple)):
            raw = [raw]
        if _variadic(hint):
            return tuple(_coerce(item, args[0], key, choices) for item in raw)
        if len(raw) != len(args):
            raise ValueError(f"{key} needs {len(args)} values per entry (a TOML array such as [[3, 10]] for a "
                             f"list of them), got {raw!r}")
        return tuple(_coerce(item, arg, key) for item, arg in zip(raw, args))
    if isinstance(raw, (list, tuple, dict)):
        raise ValueError(f"{key} takes a single value, got {raw!r}")
    if _is_union(hint):
        arms = [arm for arm in typing.get_args(hint) if arm is not type(None)]
        if isinstance(raw, str) and choices is not None and raw.strip() in choices:
            return raw.strip()
        for arm in sorted(arms, key=lambda arm: arm is str):
            try:
                return _coerce(raw, arm, key, choices)
            except ValueError:
                continue
        raise ValueError(f"{key} must be {_type_words(hint)}, got {raw!r}")
    if hint is str:
        return str(raw).strip()
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in ("true", "false"):
            return str(raw).strip().lower() == "true"
        raise ValueError(f"{key} must be true or false, got {raw!r}")
    if isinstance(raw, bool) or hint not in (int, float):
        raise ValueError(f"{key} must be {_type_words(hint)}, got {raw!r}")
    try:
        value = int(raw) if hint is int and not isinstance(raw, float) else float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be {_type_words(hint)}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{key} must be finite, got {raw!r}")
    if hint is int and value != int(value):
        raise ValueError(f"{key} must be an integer, got {raw!r}")
    return int(value) if hint is int else value


def _toml_value(text: str, key: str):
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{key}: {text!r} is not a TOML array ({err})") from None


# -- small helpers ------------------------------------------------------------------------------------------
def _is_tuple(hint) -> bool:
    return typing.get_origin(hint) is tuple


def _is_union(hint) -> bool:
    return typing.get_origin(hint) in (typing.Union, UnionType)


def _args(hint) -> tuple:
    return typing.get_args(hint)


def _variadic(hint) -> bool:
    args = _args(hint)
    return len(args) == 2 and args[1] is Ellipsis


def _type_words(hint, plural: bool = False) -> str:
    """'an integer' / 'integers', for the sentences of errors."""
    if _is_union(hint):
        return " or ".join(_type_words(arm, plural) for arm in typing.get_args(hint) if arm is not type(None))
    words = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a word", "words"),
             bool: ("true or false", "true or false")}.get(hint)
    if words is None:
        words = ("a list", "lists") if _is_tuple(hint) else (str(hint), str(hint))
    return words[plural]


def _of_type(value, hint) -> bool:
    """Whether ``value`` is of the type ``hint`` (an int counts as a float; a bool as neither)."""
    if _is_union(hint):
        return any(_of_type(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if _is_tuple(hint):
        if not isinstance(value, tuple):
            return False
        if _variadic(hint):
            return all(_of_type(v, _args(hint)[0]) for v in value)
        return len(value) == len(_args(hint)) and all(_of_type(v, a) for v, a in zip(value, _args(hint)))
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _numbers(value):
    """Every number of a value (nested tuples walked); words are not numbers."""
    if isinstance(value, tuple):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _within(x, d: Declaration) -> bool:
    if isinstance(x, float) and (math.isnan(x) or d.finite and math.isinf(x)):
        return False
    return ((d.low is None or x >= d.low) and (d.high is None or x <= d.high)
            and (d.above is None or x > d.above) and (d.below is None or x < d.below))


def _plain(value):
    return value if isinstance(value, (str, int, float)) else None


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _default(item: Field):
    if item.default is not MISSING:
        return item.default
    if item.default_factory is not MISSING:
        return item.default_factory()
    return None


def _json_type(hint) -> dict:
    if _is_union(hint):
        return {"anyOf": [_json_type(arm) for arm in typing.get_args(hint)]}
    if hint is type(None):
        return {"type": "null"}
    if _is_tuple(hint):
        args = _args(hint)
        if _variadic(hint):
            return {"type": "array", "items": _json_type(args[0])}
        return {"type": "array", "prefixItems": [_json_type(a) for a in args], "minItems": len(args),
                "maxItems": len(args)}
    return {"type": {int: "integer", float: "number", str: "string", bool: "boolean"}.get(hint, "object")} \
        if hint in (int, float, str, bool) else {}


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value
