"""Run profiles as data: ``quick``, ``paper``, ``paper-cpu`` and ``full`` are the TOML files of this folder.

A profile has a description, a default device, delta (the family-wise error of each claim's intervals) and one
section per experiment, ``[<paper>.<experiment>]``, whose fields are that experiment's settings dataclass; a
section left out takes the dataclass's defaults, so a new paper runs before any profile mentions it.

Overrides (``--set KEY=VALUE`` or a TOML ``--config`` file) are parsed against the field's type, never evaluated:
numbers, comma-separated lists or TOML arrays (``[[3, 10], [1, 16]]``) for tuples.  KEY is ``delta``,
``SECTION.FIELD`` (``meanfield.dynamics.networks``), a short section name a paper registers
(``dynamics.networks``) or a flat key it registers (``N``, ``networks``: the mean-field paper's documented
settings).  In a ``--config`` file, top-level keys are such KEYs and tables are sections.
"""
from __future__ import annotations

import math
import tomllib
import typing
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from numerics.device import DeviceError, check_spelling
from numerics.experiment import KEY_ALIASES, SECTION_ALIASES, SETTINGS
from numerics.papers import load_settings

FOLDER = Path(__file__).parent
TOP_LEVEL = ("description", "device", "delta")


class ProfileError(ValueError):
    """An unknown profile or setting, or a value out of its allowed range (reported as one sentence)."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    device: str  # auto | cpu | cuda[:i], the default of --device
    delta: float  # family-wise error of each claim's intervals
    sections: Mapping[str, Any]  # experiment name -> its settings (those the file sets; others are defaults)

    def __getitem__(self, experiment: str):
        """The settings of an experiment (its defaults where the profile has no section for it)."""
        if experiment not in self.sections:
            return SETTINGS[experiment].Settings()
        return self.sections[experiment]

    def describe(self) -> dict:
        """Every setting of every registered experiment, for results.json."""
        return {"name": self.name, "description": self.description, "device": self.device, "delta": self.delta,
                "sections": {name: asdict(self[name]) for name in sorted(SETTINGS)}}

    def validate(self) -> "Profile":
        if not 0 < self.delta < 1:
            raise ProfileError(f"delta must lie in (0, 1), got {self.delta}")
        try:
            check_spelling(self.device)
        except DeviceError as err:
            raise ProfileError(f"profile {self.name!r}: {err}") from None
        for name, entry in SETTINGS.items():
            try:
                if entry.check is not None:
                    entry.check(self[name], self)
            except ValueError as err:
                raise ProfileError(f"{name}: {err}") from None
        return self

    def with_overrides(self, overrides: Mapping[str, object]) -> "Profile":
        """A copy with settings replaced (``overrides``: KEY -> raw value, as in the module docstring)."""
        top: dict[str, object] = {}
        changes: dict[str, dict[str, object]] = {}
        for key, raw in overrides.items():
            if key in TOP_LEVEL[1:]:
                top[key] = _coerce(raw, str if key == "device" else float, key)
                continue
            for section, name in _targets(key):
                changes.setdefault(section, {})[name] = _coerce(raw, _field_types(section)[name], key)
        sections = dict(self.sections)
        for section, values in changes.items():
            sections[section] = _build(section, values, self[section])
        return replace(self, sections=sections, **top).validate()


def _field_types(section: str) -> dict:
    return typing.get_type_hints(SETTINGS[section].Settings)


def _targets(key: str) -> list[tuple[str, str]]:
    """(section, field) pairs a KEY stands for, or a ProfileError that lists what is allowed."""
    if key in KEY_ALIASES:
        return [tuple(target.rsplit(".", 1)) for target in KEY_ALIASES[key]]
    section, dot, name = key.rpartition(".")
    section = SECTION_ALIASES.get(section, section)
    if not dot or section not in SETTINGS:
        flat = ", ".join(["delta", *sorted(KEY_ALIASES)])
        raise ProfileError(f"unknown setting {key!r}; allowed: {flat}, or SECTION.FIELD with SECTION one of "
                           f"{', '.join(sorted(SETTINGS))} (or {', '.join(sorted(SECTION_ALIASES))})")
    if name not in _field_types(section):
        raise ProfileError(f"unknown setting {key!r}; {section} has {', '.join(_field_types(section))}")
    return [(section, name)]


def _build(section: str, values: Mapping[str, object], base=None):
    """The section's settings with ``values`` replaced (validated by the dataclass), or a ProfileError."""
    Settings = SETTINGS[section].Settings
    try:
        return replace(base, **values) if base is not None else Settings(**values)
    except ValueError as err:
        raise ProfileError(f"{section}: {err}") from None


def _coerce(raw: object, hint, key: str):
    """``raw`` (a --set string or a TOML value) as type ``hint``; one sentence naming ``key`` when it is not."""
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if isinstance(raw, str):
            text = raw.strip()
            raw = _toml_value(text, key) if text.startswith("[") else [item for item in text.split(",")]
        elif not isinstance(raw, (list, tuple)):
            raw = [raw]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(item, args[0], key) for item in raw)
        if len(raw) != len(args):
            raise ProfileError(f"{key} needs {len(args)} values per entry (a TOML array such as [[3, 10]] for a "
                               f"list of them), got {raw!r}")
        return tuple(_coerce(item, arg, key) for item, arg in zip(raw, args))
    if isinstance(raw, (list, tuple, dict)):
        raise ProfileError(f"{key} takes a single value, got {raw!r}")
    if hint is str:
        return str(raw).strip()
    if isinstance(raw, bool) or hint not in (int, float):
        raise ProfileError(f"{key} must be {'an integer' if hint is int else 'a number'}, got {raw!r}")
    try:
        value = int(raw) if hint is int and not isinstance(raw, float) else float(raw)
    except (TypeError, ValueError):
        raise ProfileError(f"{key} must be {'an integer' if hint is int else 'a number'}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ProfileError(f"{key} must be finite, got {raw!r}")
    if hint is int and value != int(value):
        raise ProfileError(f"{key} must be an integer, got {raw!r}")
    return int(value) if hint is int else value


def _toml_value(text: str, key: str):
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{key}: {text!r} is not a TOML array ({err})") from None


def _sections(table: Mapping, prefix: str = "") -> dict[str, dict]:
    """Nested TOML tables -> {experiment name: its table}; a table that is neither is an error."""
    out = {}
    for name, value in table.items():
        if not isinstance(value, dict):
            raise ProfileError(f"unknown setting {prefix + name!r} (settings belong in an experiment's section)")
        full = prefix + name
        if full in SETTINGS or full in SECTION_ALIASES:
            out[SECTION_ALIASES.get(full, full)] = value
        elif any(experiment.startswith(full + ".") for experiment in SETTINGS):
            out.update(_sections(value, full + "."))
        else:
            raise ProfileError(f"unknown section [{full}]; sections: {', '.join(sorted(SETTINGS))}")
    return out


def names() -> list[str]:
    return sorted(path.stem for path in FOLDER.glob("*.toml"))


def _read(path: Path, what: str) -> dict:
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ProfileError(f"{what} {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"{what} {str(path)!r} cannot be read: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{what} {str(path)!r} is not valid TOML: {err}") from None


def get_profile(name: str) -> Profile:
    if name not in names():
        raise ProfileError(f"unknown profile {name!r}; allowed: {', '.join(names())}")
    load_settings()
    data = _read(FOLDER / f"{name}.toml", "profile file")
    tables = {key: value for key, value in data.items() if key not in TOP_LEVEL}
    sections = {}
    for section, values in _sections(tables).items():
        types = _field_types(section)
        unknown = [field for field in values if field not in types]
        if unknown:
            raise ProfileError(f"profile {name!r}: [{section}] has no setting {unknown[0]!r}")
        sections[section] = _build(section, {k: _coerce(v, types[k], f"{section}.{k}") for k, v in values.items()})
    return Profile(name, str(data.get("description", "")), str(data.get("device", "auto")),
                   _coerce(data.get("delta", 1e-3), float, "delta"), sections).validate()


def parse_set(pairs: list[str]) -> dict[str, str]:
    """``["N=256", "sigma_b2=0.1"]`` -> ``{"N": "256", "sigma_b2": "0.1"}``."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ProfileError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def load_config(path: Path) -> dict[str, object]:
    """Overrides from a TOML file: top-level keys as they are, each table's fields as SECTION.FIELD."""
    load_settings()
    data = _read(path, "config file")
    flat = {key: value for key, value in data.items() if not isinstance(value, dict)}
    for section, values in _sections({k: v for k, v in data.items() if isinstance(v, dict)}).items():
        flat.update({f"{section}.{field}": value for field, value in values.items()})
    return flat
