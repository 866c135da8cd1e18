"""The experiment contract and its registries: experiments, estimators and probes (DESIGN.md).

An experiment's **settings** (a frozen dataclass, its profile section, named like the experiment) register on
their own, from a module that imports no torch (``numerics/papers/<paper>/settings.py``), so that a profile and
its overrides are validated before anything heavy loads.

An **experiment** turns one configuration into one Monte Carlo sample.  It declares
- ``Settings``: its registered settings dataclass;
- ``points(claim, profile)``: the configurations a claim is judged at (a ``Sweep`` is one point made of several
  configurations, e.g. a slope over widths);
- ``values(config)``: the configuration's values for the theory side (a SymPy substitution map);
- ``describe(config)``: a JSON description (it also names the job and derives its seed);
- ``draw(config, settings, draws, progress) -> sample``, picklable in and out, so a job can travel to a worker.

An **estimator** (a function sample -> ``Estimate``) registers against an experiment by name; a claim names the
estimator (``Claim.quantity``).  A **probe** runs experiments for a figure rather than for a verdict and
summarises its samples (and the run's verdicts) into the figure's data.  A **measurement** of a declared
``theory.quantities.Quantity`` is what ``atv check-bound`` and ``verify.testing`` call.  Papers register all of them from their column (``numerics/papers/<paper>/``);
``numerics.papers.load_all`` imports every column.
"""
from __future__ import annotations

import inspect
import json
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

from theory.quantities import Quantity

if TYPE_CHECKING:  # importing it loads scipy: kept out of the settings' import path
    from numerics.estimate import Estimate

Progress = Callable[[int], None] | None


class RegistrationError(LookupError):
    """An experiment, estimator or probe that is missing, registered twice or inconsistent (one line)."""


@dataclass(frozen=True)
class Sweep:
    """Several configurations judged together as one point; the theory side is evaluated at ``configs[at]``."""

    configs: tuple
    at: int = 0

    @classmethod
    def widest(cls, rungs: tuple) -> "Sweep":
        """A ladder of widths (narrowest first), its theory evaluated at the widest rung."""
        return cls(rungs, at=len(rungs) - 1)

    @property
    def chosen(self):
        """The configuration whose values the theory side is evaluated at."""
        return self.configs[self.at]


def members(point) -> tuple:
    """The configurations of a point (a Sweep's, or the point itself)."""
    return point.configs if isinstance(point, Sweep) else (point,)


def canonical(description: Mapping) -> str:
    """A description as canonical JSON: the identity of a job (equal descriptions are one job)."""
    return json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)


class Experiment:
    """Base class of an experiment; a paper subclasses it once per kind of sample and registers an instance."""

    #: registry key and profile section, "<paper>.<experiment>"
    name: ClassVar[str]
    #: the settings dataclass (frozen; every field has a default)
    Settings: ClassVar[type]
    #: claim params read by ``points`` to choose configurations (not passed to estimators)
    config_params: ClassVar[tuple[str, ...]] = ()
    #: the fewest units its estimators read (a first round has at least this many; see ``units``)
    least_units: ClassVar[int] = 2
    #: units come in blocks of this many with a stream each: a round ends on a block's end (see ``units``)
    grain: ClassVar[int] = 1

    def points(self, claim, profile) -> list:
        raise NotImplementedError

    def values(self, config) -> dict:
        raise NotImplementedError

    def describe(self, config) -> dict:
        raise NotImplementedError

    def draw(self, config, settings, draws, progress: Progress = None):
        raise NotImplementedError

    def units(self, config, settings) -> int | None:
        """The independent units (networks) a job draws when they may come in rounds: unit i from its own
        stream, so parts drawn by ``draw_part`` and ``join``-ed are the whole job's sample, bit for bit.  None:
        the job is drawn whole (its units share streams, or its sample is not a set of units)."""
        return None

    def draw_part(self, config, settings, draws, first: int, count: int, progress: Progress = None):
        """Units ``first`` .. ``first + count - 1`` of the job's sample (see ``units``)."""
        raise NotImplementedError(f"{self.name} draws its jobs whole")

    def join(self, parts: list):
        """One sample from consecutive parts (see ``units``)."""
        raise NotImplementedError(f"{self.name} draws its jobs whole")

    def part_size(self, config, settings, count: int) -> int:
        """The progress bar's total for a part of ``count`` units (``draw_part`` advances it by units)."""
        return count

    def label(self, config, settings) -> str:
        """What a progress bar says while the job runs."""
        return f"{self.name} {canonical(self.describe(config))}"

    def size(self, config, settings) -> int:
        """The progress bar's total (``draw`` advances it)."""
        return 1

    def magnitude(self, config) -> tuple:
        """Orders configurations by size, to report the smallest one that violates a claim."""
        return ()

    def memory(self, config, settings) -> int:
        """Bytes the smallest piece of the job (one network, one training step's networks) needs at once, at
        least; a plan refuses a job whose piece exceeds all the memory of its device, before anything is drawn."""
        return 0


def design_of(Design: type[Enum], value, experiment: str):
    """``value`` (a claim's design: a member, or its text) as a member of ``Design``, or a ValueError listing
    the designs of ``experiment``."""
    try:
        return Design(value)
    except ValueError:
        raise ValueError(f"unknown {experiment} design {value!r}; designs: "
                         f"{', '.join(repr(member.value) for member in Design)}") from None


@dataclass(frozen=True, kw_only=True)
class Run:
    """A job of a ``RunExperiment``: a projection of its experiment's settings (the fields it shares with them, by
    name) and what its design sets.  Every field is part of the job's identity (``describe``)."""

    @classmethod
    def of(cls, settings, **values):
        """The run with every field the settings have under the same name taken from them, but ``values``."""
        own = {item.name for item in fields(cls)}
        shared = {item.name: getattr(settings, item.name) for item in fields(settings) if item.name in own}
        return cls(**{**shared, **values})

    def describe(self) -> dict:
        return asdict(self)


class RunExperiment(Experiment):
    """An experiment whose configurations are its settings section's runs (``Settings.runs(design)``, or
    ``Settings.runs()`` for a claim without one), the design named by one claim param (``design_param``: a member
    of the paper's design enum, which the settings dispatch on); the claims' right-hand sides are constants there,
    so a configuration has no theory values and describes itself (``config.describe()``)."""

    design_param: ClassVar[str] = "design"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.config_params = (cls.design_param,)

    def points(self, claim, profile) -> list:
        design, settings = dict(claim.params).get(self.design_param), profile[self.name]
        return settings.runs() if design is None else settings.runs(design)

    def values(self, config) -> dict:
        return {}

    def describe(self, config) -> dict:
        return config.describe()


@dataclass(frozen=True)
class SettingsEntry:
    """An experiment's settings dataclass and the check of it against the whole profile (cross-section
    constraints; the dataclass checks its own fields): ``check(settings, profile)`` raises ValueError."""

    Settings: type
    check: Callable[[Any, Any], None] | None = None


@dataclass(frozen=True)
class Estimator:
    """A statistic of one experiment's samples; ``params`` are the keyword arguments it accepts from a claim.

    ``sweep``: it reads one sample per configuration of a ``Sweep`` (a tuple), not one sample.
    """

    name: str
    experiment: str
    function: Callable[..., Estimate]
    params: tuple[str, ...]
    sweep: bool = False

    def __call__(self, sample, **params) -> Estimate:
        return self.function(sample, **params)


@dataclass(frozen=True)
class Probe:
    """The data of a figure: experiment points to run and a summary of their samples.

    ``points(profile)`` lists (experiment name, point) pairs; ``summarize(samples, profile, verdicts)`` gets one
    sample (a tuple for a Sweep) per point, in that order, and the run's verdicts; it returns JSON-able data.
    Which claims it serves is said once, by the figures drawn from it (``report.figures.Figure.supports``): a run
    computes it when a selected claim is one of them.
    """

    name: str
    points: Callable[[Any], list]
    summarize: Callable[[list, Any, list], dict]


@dataclass(frozen=True)
class Measurement:
    """One measurement of a quantity at one configuration.

    ``values`` gives every symbol the quantity's bounds may name (SymPy symbol -> float) at that configuration;
    ``interval`` is the confidence interval of a Monte Carlo mean (``Certainty.INTERVAL``), None otherwise.
    """

    value: float
    values: Mapping[Any, float]
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class Measure:
    """How a paper's column measures a declared ``theory.quantities.Quantity``.

    ``measure(config, options)``: ``config`` holds a value per domain key and ``seed`` (every random draw of the
    measurement comes from it); ``options`` every option's value.  ``strategy(domain, options)``, when given,
    replaces the Hypothesis strategy derived from the domain (``verify.strategies.configs``): it must draw
    configurations of the same keys.
    """

    quantity: Quantity
    measure: Callable[[Mapping[str, Any], Mapping[str, str]], Measurement]
    strategy: Callable[[Mapping, Mapping], Any] | None = None

    def __call__(self, config: Mapping[str, Any], options: Mapping[str, str]) -> Measurement:
        return self.measure(config, options)


EXPERIMENTS: dict[str, Experiment] = {}
ESTIMATORS: dict[str, Estimator] = {}
PROBES: dict[str, Probe] = {}
#: quantity id -> its measurement (``register_measurement``)
MEASURES: dict[str, Measure] = {}
SETTINGS: dict[str, SettingsEntry] = {}
#: flat override keys -> the settings they stand for ("N" -> ("meanfield.jacobian.N",)), and short section names
KEY_ALIASES: dict[str, tuple[str, ...]] = {}
SECTION_ALIASES: dict[str, str] = {}


def register_settings(name: str, Settings: type, check: Callable[[Any, Any], None] | None = None) -> None:
    """Register the settings of experiment ``name`` (before the experiment itself, from a torch-free module)."""
    if name in SETTINGS:
        raise RegistrationError(f"the settings of experiment {name!r} are registered twice")
    SETTINGS[name] = SettingsEntry(Settings, check)


def register_experiment(experiment: Experiment) -> Experiment:
    """Register an experiment; its settings too when no settings module registered them first."""
    if experiment.name in EXPERIMENTS:
        raise RegistrationError(f"experiment {experiment.name!r} is registered twice")
    if experiment.name not in SETTINGS:
        register_settings(experiment.name, experiment.Settings)
    elif SETTINGS[experiment.name].Settings is not experiment.Settings:
        raise RegistrationError(f"experiment {experiment.name!r} has settings other than those registered for it")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def estimator(experiment: str, sweep: bool = False) -> Callable[[Callable[..., Estimate]], Callable[..., Estimate]]:
    """Register the decorated function as the estimator named like it, reading samples of ``experiment`` (a
    tuple of them per point with ``sweep``)."""

    def register(function: Callable[..., Estimate]) -> Callable[..., Estimate]:
        if function.__name__ in ESTIMATORS:
            raise RegistrationError(f"estimator {function.__name__!r} is registered twice")
        params = tuple(inspect.signature(function).parameters)[1:]
        ESTIMATORS[function.__name__] = Estimator(function.__name__, experiment, function, params, sweep)
        return function

    return register


def register_probe(probe: Probe) -> Probe:
    if probe.name in PROBES:
        raise RegistrationError(f"probe {probe.name!r} is registered twice")
    PROBES[probe.name] = probe
    return probe


def register_measurement(quantity: Quantity, measure: Callable[[Mapping[str, Any], Mapping[str, str]], Measurement],
                         strategy: Callable[[Mapping, Mapping], Any] | None = None) -> Measure:
    """Register how ``quantity`` (the declared object, not its name) is measured; twice is an error."""
    if quantity.id in MEASURES:
        raise RegistrationError(f"quantity {quantity.id!r} has two measurements")
    MEASURES[quantity.id] = Measure(quantity, measure, strategy)
    return MEASURES[quantity.id]


def register_aliases(keys: Mapping[str, tuple[str, ...]], sections: Mapping[str, str]) -> None:
    """A paper's shorthand for ``--set``: flat keys and short section names (each may be claimed once)."""
    for table, new in ((KEY_ALIASES, keys), (SECTION_ALIASES, sections)):
        taken = set(table) & set(new)
        if taken:
            raise RegistrationError(f"the setting alias {sorted(taken)[0]!r} is registered twice")
        table.update(new)


def experiment_named(name: str) -> Experiment:
    """A registered experiment, or a RegistrationError naming it."""
    if name not in EXPERIMENTS:
        raise RegistrationError(f"no experiment named {name!r} is registered")
    return EXPERIMENTS[name]


def experiment_of(quantity: str) -> tuple[Experiment, Estimator]:
    """The estimator a claim names and the experiment it reads, or a RegistrationError naming what is missing."""
    found = ESTIMATORS.get(quantity)
    if found is None:
        raise RegistrationError(f"no estimator named {quantity!r} is registered")
    experiment = EXPERIMENTS.get(found.experiment)
    if experiment is None:
        raise RegistrationError(f"estimator {quantity!r} reads experiment {found.experiment!r}, which is not "
                                "registered")
    return experiment, found
