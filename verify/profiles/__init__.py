"""Run profiles as data: ``quick``, ``paper``, ``paper-cpu`` and ``full`` are the TOML files of this folder.

A profile has a description, a default device, delta (the family-wise error of each claim's intervals) and one
section per experiment, ``[<paper>.<experiment>]``, whose fields are that experiment's settings dataclass; a
section left out takes the dataclass's defaults, so a new paper runs before any profile mentions it.

Overrides (``--set KEY=VALUE`` or a TOML ``--config`` file) are read and checked by the field's declaration
(``numerics.settings_fields``), never evaluated: numbers, words, comma-separated lists or TOML arrays
(``[[3, 10], [1, 16]]``) for tuples; a refusal is one sentence naming KEY, the value and what is allowed.  KEY is
``delta``, ``rounds``,
``SECTION.FIELD`` (``meanfield.dynamics.networks``), a short section name a paper registers
(``dynamics.networks``) or a flat key it registers (``N``, ``networks``: the mean-field paper's documented
settings).  In a ``--config`` file, top-level keys are such KEYs and tables are sections.
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from numerics.device import DeviceError, check_spelling
from numerics.experiment import KEY_ALIASES, SECTION_ALIASES, SETTINGS
from numerics.papers import load_settings
from numerics.settings_fields import Declaration, declarations
from verify.options import key_values

FOLDER = Path(__file__).parent
#: a profile's own settings, beside its sections
TOP = {
    "description": Declaration("description", str, "", meaning="what the profile is for"),
    "device": Declaration("device", str, "auto", meaning="the default of --device: auto, cpu, cuda or cuda:<index>"),
    "delta": Declaration("delta", float, 1e-3, meaning="family-wise error of each claim's intervals", above=0,
                         below=1),
    "rounds": Declaration("rounds", int, 1, meaning="looks a claim may take: its networks come in this many rounds, "
                          "doubling to each job's own number (the first round 1/2^(rounds-1) of it), and a claim "
                          "stops drawing once decided (experiments whose networks have their own streams); 1 draws "
                          "every job whole", low=1, high=8, why="more looks spend more of delta early"),
}
TOP_LEVEL = tuple(TOP)


class ProfileError(ValueError):
    """An unknown profile or setting, or a value out of its allowed range (reported as one sentence)."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    device: str  # auto | cpu | cuda[:i], the default of --device
    delta: float  # family-wise error of each claim's intervals
    sections: Mapping[str, Any]  # experiment name -> its settings (those the file sets; others are defaults)
    rounds: int = 1  # looks a claim may take (verify.rounds); 1: every job drawn whole

    def __getitem__(self, experiment: str):
        """The settings of an experiment (its defaults where the profile has no section for it)."""
        if experiment not in self.sections:
            return SETTINGS[experiment].Settings()
        return self.sections[experiment]

    def describe(self) -> dict:
        """Every setting of every registered experiment, for results.json."""
        return {"name": self.name, "description": self.description, "device": self.device, "delta": self.delta,
                "rounds": self.rounds, "sections": {name: asdict(self[name]) for name in sorted(SETTINGS)}}

    def listing(self) -> list[str]:
        """Every setting of every registered experiment, for ``atv run --settings``: a header per section (its
        short name for ``--set`` and its docstring's first sentence), then a row per setting: its name, the value
        in use (and its default where that differs), what it allows and what it means."""
        lines = [f"profile {self.name}: {self.description}",
                 "NAME = VALUE  MEANING; ALLOWED; the default where the profile or an override changes it"]
        lines += _rows([(TOP[key], getattr(self, key)) for key in TOP_LEVEL[1:]])
        short = {section: name for name, section in SECTION_ALIASES.items()}
        for name in sorted(SETTINGS):
            Settings = SETTINGS[name].Settings
            also = f"  (--set {short[name]}.KEY)" if name in short else ""
            lines += ["", f"[{name}]{also}  {_first_sentence(Settings.__doc__)}"]
            lines += _rows([(d, getattr(self[name], key)) for key, d in declarations(Settings).items()])
        flat = ", ".join(f"{key} = {' and '.join(targets)}" for key, targets in sorted(KEY_ALIASES.items()))
        return lines + ["", f"flat keys of --set: {flat}"] if flat else lines

    def validate(self) -> "Profile":
        _read(TOP["delta"], self.delta, "delta")
        _read(TOP["rounds"], self.rounds, "rounds")
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
        top, changes = read_values(overrides)
        sections = dict(self.sections)
        for section, values in changes.items():
            sections[section] = _build(section, values, self[section])
        return replace(self, sections=sections, **top).validate()


def schema() -> dict:
    """The JSON schema of a profile as results.json keeps it (``Profile.describe``), from the declarations: each
    setting's type, allowed values and meaning (nothing required, so an older file still reads)."""
    from numerics.settings_fields import settings_schema

    load_settings()
    sections = {name: settings_schema(SETTINGS[name].Settings) for name in sorted(SETTINGS)}
    return {"type": "object", "properties": {"name": {"type": "string"}, **{key: d.schema() for key, d in TOP.items()},
                                             "sections": {"type": "object", "properties": sections}}}


def _rows(declared: list[tuple[Declaration, object]]) -> list[str]:
    """Rows NAME = VALUE  MEANING; allowed ...[; default D], names and values aligned (values as --set and TOML
    write them)."""
    cells = [(d.name, _shown(value), "; ".join([d.meaning + (f" [{d.unit}]" if d.unit else ""),
                                                 f"allowed: {d.constraint()}"]
                                                + ([] if value == d.default else [f"default {_shown(d.default)}"])))
             for d, value in declared]
    name_width = max((len(name) for name, _, _ in cells), default=0)
    value_width = min(16, max((len(value) for _, value, _ in cells), default=0))
    return [f"  {name.ljust(name_width)} = {value.ljust(value_width)}  {text}" for name, value, text in cells]


def _shown(value) -> str:
    """A value as TOML writes it: [1, 2] for a tuple, "word" for a string, 0.5 for a number."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if isinstance(value, float) else str(value)


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").replace("``", "").split())
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _declared(section: str) -> dict[str, Declaration]:
    return declarations(SETTINGS[section].Settings)


def _read(declared: Declaration, raw: object, key: str):
    """``raw`` (a --set string or a TOML value) read and checked by its declaration, or a ProfileError naming
    ``key`` (the key as the user wrote it)."""
    try:
        value = declared.parse(raw, key)
        declared.check(value, key)
    except ValueError as err:
        raise ProfileError(str(err)) from None
    return value


def _targets(key: str) -> list[tuple[str, str]]:
    """(section, field) pairs a KEY stands for, or a ProfileError that lists what is allowed."""
    if key in KEY_ALIASES:
        return [tuple(target.rsplit(".", 1)) for target in KEY_ALIASES[key]]
    section, dot, name = key.rpartition(".")
    section = SECTION_ALIASES.get(section, section)
    if not dot or section not in SETTINGS:
        flat = ", ".join([*TOP_LEVEL[2:], *sorted(KEY_ALIASES)])
        raise ProfileError(f"unknown setting {key!r}; allowed: {flat}, or SECTION.FIELD with SECTION one of "
                           f"{', '.join(sorted(SETTINGS))} (or {', '.join(sorted(SECTION_ALIASES))})")
    if name not in _declared(section):
        raise ProfileError(f"unknown setting {key!r}; {section} has {', '.join(_declared(section))}")
    return [(section, name)]


def _build(section: str, values: Mapping[str, object], base=None):
    """The section's settings with ``values`` replaced (validated by the dataclass), or a ProfileError."""
    Settings = SETTINGS[section].Settings
    try:
        return replace(base, **values) if base is not None else Settings(**values)
    except ValueError as err:
        raise ProfileError(f"{section}: {err}") from None


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


def _read_toml(path: Path, what: str) -> dict:
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
    data = _read_toml(FOLDER / f"{name}.toml", "profile file")
    tables = {key: value for key, value in data.items() if key not in TOP_LEVEL}
    sections = {}
    for section, values in _sections(tables).items():
        declared = _declared(section)
        unknown = [field for field in values if field not in declared]
        if unknown:
            raise ProfileError(f"profile {name!r}: [{section}] has no setting {unknown[0]!r}")
        sections[section] = _build(section, {k: _read(declared[k], v, f"{section}.{k}") for k, v in values.items()})
    top = {key: _read(TOP[key], data.get(key, TOP[key].default), key) for key in TOP_LEVEL}
    return Profile(name, **top, sections=sections).validate()


def read_values(overrides: Mapping[str, object]) -> tuple[dict[str, object], dict[str, dict[str, object]]]:
    """(top-level values, section -> field -> value): each value read and checked against its own declaration
    only, or a ProfileError naming its key.  Checks that relate two settings come after, in
    ``Profile.with_overrides``: so the CLI can refuse a config file's bad value even where --set replaces it,
    and still accept a file value that only the --set value of another setting makes valid."""
    top: dict[str, object] = {}
    changes: dict[str, dict[str, object]] = {}
    for key, raw in overrides.items():
        if key in TOP_LEVEL[1:]:
            top[key] = _read(TOP[key], raw, key)
            continue
        for section, name in _targets(key):
            changes.setdefault(section, {})[name] = _read(_declared(section)[name], raw, key)
    return top, changes


def parse_set(pairs: list[str]) -> dict[str, str]:
    """``["N=256", "sigma_b2=0.1"]`` -> ``{"N": "256", "sigma_b2": "0.1"}``."""
    return key_values(pairs, "--set", "key=value", ProfileError)


def load_config(path: Path) -> dict[str, object]:
    """Overrides from a TOML file: top-level keys as they are, each table's fields as SECTION.FIELD."""
    load_settings()
    data = _read_toml(path, "config file")
    flat = {key: value for key, value in data.items() if not isinstance(value, dict)}
    for section, values in _sections({k: v for k, v in data.items() if isinstance(v, dict)}).items():
        flat.update({f"{section}.{field}": value for field, value in values.items()})
    return flat
