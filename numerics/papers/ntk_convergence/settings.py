"""Settings of Gao et al.'s experiments (profile sections ``ntk_convergence.*``) and the runs they describe;
torch-free, so a bad value is refused at once.

Data for the training experiments: n points uniform on the unit sphere of R^d with random +-1 labels, one dataset
per seed; perturbations are l2 balls of radius delta (X = 1 + delta).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import math

from numerics.experiment import register_aliases, register_settings, require_positive

LINEARISATION = "ntk_convergence.linearisation"
REGRET = "ntk_convergence.regret"
TRAINING = "ntk_convergence.training"
CAPACITY = "ntk_convergence.capacity"
ACTIVATIONS = ("softplus", "tanh")
ATTACKS = ("pgd", "fgm", "random", "none")
#: "ntk": the ball ||W - W_0||_F <= R (the invariant reading); "per_neuron": R / sqrt(m), the paper's convention
#: transplanted into the NTK parametrisation (the planted twin: its function-space radius shrinks with m)
BALLS = ("ntk", "per_neuron")


def _at_least(settings, minimum: int, *names: str) -> None:
    for name in names:
        value = getattr(settings, name)
        values = value if isinstance(value, tuple) else (value,)
        if not values or not all(isinstance(v, int) and v >= minimum for v in values):
            raise ValueError(f"{name} must be integers >= {minimum}, got {value!r}")


def _widths(name: str, widths: tuple[int, ...], even: bool = True) -> None:
    if len(widths) < 2 or list(widths) != sorted(set(widths)) or (even and any(w % 2 for w in widths)):
        raise ValueError(f"{name} must be two or more increasing{' even' if even else ''} widths, got {widths!r}")


@dataclass(frozen=True)
class Run:
    """A job: every field is part of its identity (``describe``)."""

    def describe(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class LinearisationRun(Run):
    seeds: int
    d: int
    widths: tuple[int, ...]
    radii: tuple[float, ...]
    norms: tuple[float, ...]
    inputs: int
    ascent_steps: int
    activation: str


@dataclass(frozen=True)
class LinearisationSettings:
    """D1: the linearisation error over the ball against L_2 ||x||^2 R^2 / (2 sqrt m)."""

    seeds: int = 12
    d: int = 10
    widths: tuple[int, ...] = (64, 256, 1024, 4096)
    radii: tuple[float, ...] = (1.0, 4.0)
    norms: tuple[float, ...] = (0.5, 1.0, 2.0)  # input norms (1.0 is where the tightness claim reads)
    inputs: int = 4  # random directions per norm
    ascent_steps: int = 10  # projected ascent over W' - W in the ball, from the aligned movement
    activation: str = "softplus"

    def __post_init__(self) -> None:
        _at_least(self, 2, "seeds", "d", "inputs")
        _at_least(self, 0, "ascent_steps")
        _widths("widths", self.widths)
        require_positive(self, "radii", "norms")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")

    def runs(self, design: str = "") -> list[LinearisationRun]:
        return [LinearisationRun(seeds=self.seeds, d=self.d, widths=self.widths, radii=self.radii, norms=self.norms,
                                 inputs=self.inputs, ascent_steps=self.ascent_steps, activation=self.activation)]


@dataclass(frozen=True, kw_only=True)
class RegretRun(Run):
    seeds: int
    n: int
    d: int
    width: int
    radius: float
    delta: float
    horizons: tuple[int, ...]
    attack_steps: int
    comparator_steps: int


@dataclass(frozen=True)
class RegretSettings:
    """D3: online gradient descent on the linearised model, at the theorem's step R / (G sqrt T) per horizon T."""

    seeds: int = 8
    n: int = 16
    d: int = 10
    width: int = 128
    radius: float = 4.0
    delta: float = 0.1
    horizons: tuple[int, ...] = (16, 64, 256)
    attack_steps: int = 3
    comparator_steps: int = 60  # accelerated projected gradient steps for the hindsight comparator

    def __post_init__(self) -> None:
        _at_least(self, 2, "seeds", "n", "d", "width")
        _at_least(self, 1, "horizons", "attack_steps", "comparator_steps")
        _widths("horizons", self.horizons, even=False)
        require_positive(self, "radius", "delta")

    def runs(self, design: str = "") -> list[RegretRun]:
        return [RegretRun(seeds=self.seeds, n=self.n, d=self.d, width=self.width, radius=self.radius,
                          delta=self.delta, horizons=self.horizons, attack_steps=self.attack_steps,
                          comparator_steps=self.comparator_steps)]


@dataclass(frozen=True, kw_only=True)
class TrainingRun(Run):
    seeds: int
    n: int
    d: int
    widths: tuple[int, ...]
    attacks: tuple[str, ...]
    radius: float | None  # None: unconstrained (the lazy-training design)
    ball: str
    delta: float
    steps: int
    alpha: float | str  # a step size, or "theorem": R / (G sqrt T)
    attack_steps: int
    eval_steps: int
    eval_restarts: int


def ball_radius(run: TrainingRun, width: int) -> float | None:
    """The ball's radius at a width (None: unconstrained); the twin ball shrinks like 1 / sqrt(m)."""
    if run.radius is None:
        return None
    return run.radius / math.sqrt(width) if run.ball == "per_neuron" else run.radius


@dataclass(frozen=True)
class TrainingSettings:
    """D2 (the theorem), its weak-attack reading, and lazy training (D4): projected adversarial training of the
    two-layer softplus network on random labels, every width a prefix of the widest (paired)."""

    seeds: int = 8
    n: int = 32
    d: int = 10
    steps: int = 200
    attack_steps: int = 3  # the training PGD's steps
    eval_steps: int = 20  # the strong attack that lower-estimates L*
    eval_restarts: int = 3
    ball: str = "ntk"
    # the theorem design: PGD training, fixed R, the widths the gap is judged at
    widths: tuple[int, ...] = (128, 512, 2048)
    radius: float = 2.0
    delta: float = 0.1
    alpha: float | str = 1.0
    attacks: tuple[str, ...] = ("pgd", "fgm")
    # the weak attacks, at a radius where clean training is not robust (the twin "robust loss" needs it)
    weak_widths: tuple[int, ...] = (512, 2048)
    weak_radius: float = 1.0
    weak_delta: float = 0.5
    weak_attacks: tuple[str, ...] = ("fgm", "random", "none")
    # lazy training: unconstrained, fixed step
    lazy_widths: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    lazy_alpha: float = 10.0
    lazy_steps: int = 100

    def __post_init__(self) -> None:
        _at_least(self, 2, "seeds", "n", "d")
        _at_least(self, 1, "steps", "attack_steps", "eval_steps", "eval_restarts", "lazy_steps")
        for name in ("widths", "weak_widths", "lazy_widths"):
            _widths(name, getattr(self, name))
        require_positive(self, "radius", "delta", "weak_radius", "weak_delta", "lazy_alpha")
        if not (self.alpha == "theorem" or isinstance(self.alpha, (int, float)) and self.alpha > 0):
            raise ValueError(f"alpha must be a step size > 0 or \"theorem\", got {self.alpha!r}")
        for name in ("attacks", "weak_attacks"):
            chosen = getattr(self, name)
            if not chosen or any(a not in ATTACKS for a in chosen):
                raise ValueError(f"{name} must be among {', '.join(ATTACKS)}, got {chosen!r}")
        if self.ball not in BALLS:
            raise ValueError(f"ball must be one of {', '.join(BALLS)}, got {self.ball!r}")

    def runs(self, design: str) -> list[TrainingRun]:
        """``theorem`` (PGD training), ``weak`` (weak attacks at a large radius) or ``lazy`` (unconstrained)."""
        common = dict(seeds=self.seeds, n=self.n, d=self.d, steps=self.steps, ball=self.ball,
                      attack_steps=self.attack_steps, eval_steps=self.eval_steps, eval_restarts=self.eval_restarts)
        if design == "theorem":
            return [TrainingRun(widths=self.widths, attacks=self.attacks, radius=self.radius, delta=self.delta,
                                alpha=self.alpha, **common)]
        if design == "weak":
            return [TrainingRun(widths=self.weak_widths, attacks=self.weak_attacks, radius=self.weak_radius,
                                delta=self.weak_delta, alpha=self.alpha, **common)]
        if design == "lazy":
            return [TrainingRun(widths=self.lazy_widths, attacks=("pgd",), radius=None, delta=self.delta,
                                alpha=self.lazy_alpha, **{**common, "steps": self.lazy_steps})]
        raise ValueError(f"unknown training design {design!r}; designs: theorem, weak, lazy")


@dataclass(frozen=True, kw_only=True)
class CapacityRun(Run):
    dims: tuple[int, ...]
    pairs: int
    patterns: int
    widths: tuple[int, ...]
    margin: float  # rho - sqrt(1 - 1/k): how far the robust radius is above the forcing radius
    steps: int
    lr: float
    attack_steps: int
    attack_restarts: int
    eval_steps: int
    eval_restarts: int


@dataclass(frozen=True)
class CapacitySettings:
    """D5: the smallest width that memorises the hard family, robustly and cleanly, per dimension d."""

    dims: tuple[int, ...] = (3, 5, 9)
    pairs: int = 2  # K: N = 2K points
    patterns: int = 16  # random sign patterns per (d, width)
    widths: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24)
    margin: float = 0.02
    steps: int = 500  # Adam steps
    lr: float = 0.02
    attack_steps: int = 5  # training PGD
    attack_restarts: int = 2
    eval_steps: int = 50  # the judging PGD
    eval_restarts: int = 5

    def __post_init__(self) -> None:
        _at_least(self, 1, "pairs", "steps", "attack_steps", "attack_restarts", "eval_steps", "eval_restarts",
                  "widths")
        _at_least(self, 2, "patterns")
        _at_least(self, 3, "dims")
        _widths("dims", self.dims, even=False)
        _widths("widths", self.widths, even=False)
        require_positive(self, "margin", "lr")

    def runs(self, design: str = "") -> list[CapacityRun]:
        return [CapacityRun(dims=self.dims, pairs=self.pairs, patterns=self.patterns, widths=self.widths,
                            margin=self.margin, steps=self.steps, lr=self.lr, attack_steps=self.attack_steps,
                            attack_restarts=self.attack_restarts, eval_steps=self.eval_steps,
                            eval_restarts=self.eval_restarts)]


register_settings(LINEARISATION, LinearisationSettings)
register_settings(REGRET, RegretSettings)
register_settings(TRAINING, TrainingSettings)
register_settings(CAPACITY, CapacitySettings)
register_aliases({}, {"linearisation": LINEARISATION, "regret": REGRET, "training": TRAINING,
                      "capacity": CAPACITY})
