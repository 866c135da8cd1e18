"""Settings of Gao et al.'s experiments (profile sections ``ntk_convergence.*``) and the runs they describe;
torch-free, so a bad value is refused at once.

Data for the training experiments: n points uniform on the unit sphere of R^d with random +-1 labels, one dataset
per seed; perturbations are l2 balls of radius delta (X = 1 + delta).
"""
from __future__ import annotations

from dataclasses import dataclass

import math

from numerics.experiment import Run, design_of, register_aliases, register_settings
from numerics.settings_fields import Settings, setting
from theory.papers.ntk_convergence.designs import TrainingDesign

LINEARISATION = "ntk_convergence.linearisation"
REGRET = "ntk_convergence.regret"
TRAINING = "ntk_convergence.training"
CAPACITY = "ntk_convergence.capacity"
ACTIVATIONS = ("softplus", "tanh")
ATTACKS = ("pgd", "fgm", "random", "none")
#: "ntk": the ball ||W - W_0||_F <= R (the invariant reading); "per_neuron": R / sqrt(m), the paper's convention
#: transplanted into the NTK parametrisation (the planted twin: its function-space radius shrinks with m, so
#: ntk_convergence.ball.reach is out of regime there)
BALLS = ("ntk", "per_neuron")


def _widths(default: tuple[int, ...], meaning: str, even: bool = True):
    """Two or more increasing widths (even ones: the antisymmetric initialisation pairs the neurons)."""
    return setting(default, meaning=meaning, low=1, count=2, increasing=True, even=even)


def _seeds(default: int):
    return setting(default, meaning="seeds (datasets and initialisations)", low=2)


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
class LinearisationSettings(Settings):
    """D1: the linearisation error over the ball against L_2 ||x||^2 R^2 / (2 sqrt m)."""

    seeds: int = _seeds(12)
    d: int = setting(10, meaning="input dimension", low=2)
    widths: tuple[int, ...] = _widths((64, 256, 1024, 4096), "widths m")
    radii: tuple[float, ...] = setting((1.0, 4.0), meaning="radii R of the ball ||W' - W_0||_F <= R", above=0)
    norms: tuple[float, ...] = setting((0.5, 1.0, 2.0), meaning="input norms (1.0 is where the tightness claim "
                                                                "reads)", above=0)
    inputs: int = setting(4, meaning="random directions per norm", low=2)
    ascent_steps: int = setting(10, meaning="projected ascent over W' - W in the ball, from the aligned movement",
                                low=0)
    activation: str = setting("softplus", meaning="the activation", choices=ACTIVATIONS)

    def runs(self) -> list[LinearisationRun]:
        return [LinearisationRun.of(self)]


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
class RegretSettings(Settings):
    """D3: online gradient descent on the linearised model, at the theorem's step R / (G sqrt T) per horizon T."""

    seeds: int = _seeds(8)
    n: int = setting(16, meaning="points per dataset", low=2)
    d: int = setting(10, meaning="input dimension", low=2)
    width: int = setting(128, meaning="width m", low=2)
    radius: float = setting(4.0, meaning="radius R of the ball", above=0)
    delta: float = setting(0.1, meaning="l2 perturbation radius", above=0)
    horizons: tuple[int, ...] = setting((16, 64, 256), meaning="horizons T", low=1, count=2, increasing=True)
    attack_steps: int = setting(3, meaning="PGD steps of the online adversary", low=1)
    comparator_steps: int = setting(60, meaning="accelerated projected gradient steps for the hindsight comparator",
                                    low=1)

    def runs(self) -> list[RegretRun]:
        return [RegretRun.of(self)]


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
    dtype: str  # the training's arithmetic (TrainingSettings.dtype)


def ball_radius(run: TrainingRun, width: int) -> float | None:
    """The ball's radius at a width (None: unconstrained); the twin ball shrinks like 1 / sqrt(m)."""
    if run.radius is None:
        return None
    return run.radius / math.sqrt(width) if run.ball == "per_neuron" else run.radius


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """D2 (the theorem), its weak-attack reading, and lazy training (D4): projected adversarial training of the
    two-layer softplus network on random labels, every width a prefix of the widest (paired).  The theorem design
    trains with PGD at a fixed R, at the widths the gap is judged at; the weak design attacks weakly at a radius
    where clean training is not robust (the twin "robust loss" needs it); the lazy design is unconstrained, with a
    fixed step."""

    seeds: int = _seeds(8)
    n: int = setting(32, meaning="points per dataset", low=2)
    d: int = setting(10, meaning="input dimension", low=2)
    steps: int = setting(200, meaning="projected gradient steps", low=1)
    attack_steps: int = setting(3, meaning="the training PGD's steps", low=1)
    eval_steps: int = setting(20, meaning="steps of the strong attack that lower-estimates L*", low=1)
    eval_restarts: int = setting(3, meaning="restarts of that attack", low=1)
    ball: str = setting("ntk", meaning="ntk: ||W - W_0||_F <= R; per_neuron: R / sqrt(m), the planted twin",
                        choices=BALLS)
    widths: tuple[int, ...] = _widths((128, 512, 2048), "widths of the theorem design")
    radius: float = setting(2.0, meaning="radius R of the theorem design", above=0)
    delta: float = setting(0.1, meaning="l2 perturbation radius of the theorem and lazy designs", above=0)
    alpha: float | str = setting(1.0, meaning="step size, or theorem: R / (G sqrt T)", above=0,
                                 choices=("theorem",))
    attacks: tuple[str, ...] = setting(("pgd", "fgm"), meaning="attacks of the theorem design", choices=ATTACKS)
    weak_widths: tuple[int, ...] = _widths((512, 2048), "widths of the weak design")
    weak_radius: float = setting(1.0, meaning="radius R of the weak design", above=0)
    weak_delta: float = setting(0.5, meaning="perturbation radius of the weak design", above=0)
    weak_attacks: tuple[str, ...] = setting(("fgm", "random", "none"), meaning="attacks of the weak design",
                                            choices=ATTACKS)
    lazy_widths: tuple[int, ...] = _widths((128, 256, 512, 1024, 2048), "widths of the lazy design")
    lazy_alpha: float = setting(10.0, meaning="fixed step of the lazy design", above=0)
    lazy_steps: int = setting(100, meaning="steps of the lazy design", low=1)
    dtype: str = setting("float64", meaning="the training's arithmetic (data and W_0 drawn in float64, then "
                                            "rounded); quick trains in float32: there the verdicts' statistics "
                                            "differ by ~1e-6 of themselves between the two, in 0.55 of the time",
                         choices=("float32", "float64"))

    def runs(self, design: TrainingDesign) -> list[TrainingRun]:
        """THEOREM (PGD training), WEAK (weak attacks at a large radius) or LAZY (unconstrained)."""
        match design_of(TrainingDesign, design, TRAINING):
            case TrainingDesign.THEOREM:
                return [TrainingRun.of(self)]
            case TrainingDesign.WEAK:
                return [TrainingRun.of(self, widths=self.weak_widths, attacks=self.weak_attacks,
                                       radius=self.weak_radius, delta=self.weak_delta)]
            case TrainingDesign.LAZY:
                return [TrainingRun.of(self, widths=self.lazy_widths, attacks=("pgd",), radius=None,
                                       alpha=self.lazy_alpha, steps=self.lazy_steps)]


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
class CapacitySettings(Settings):
    """D5: the smallest width that memorises the hard family, robustly and cleanly, per dimension d."""

    dims: tuple[int, ...] = setting((3, 5, 9), meaning="dimensions d", low=3, count=2, increasing=True)
    pairs: int = setting(2, meaning="K: N = 2K points", low=1)
    patterns: int = setting(16, meaning="random sign patterns per (d, width)", low=2)
    widths: tuple[int, ...] = _widths((1, 2, 3, 4, 6, 8, 12, 16, 24), "widths tried", even=False)
    margin: float = setting(0.02, meaning="rho - sqrt(1 - 1/k): how far the robust radius is above the forcing "
                                          "radius", above=0)
    steps: int = setting(500, meaning="Adam steps", low=1)
    lr: float = setting(0.02, meaning="Adam's learning rate", above=0)
    attack_steps: int = setting(5, meaning="steps of the training PGD", low=1)
    attack_restarts: int = setting(2, meaning="restarts of the training PGD", low=1)
    eval_steps: int = setting(50, meaning="steps of the judging PGD", low=1)
    eval_restarts: int = setting(5, meaning="restarts of the judging PGD", low=1)

    def runs(self) -> list[CapacityRun]:
        return [CapacityRun.of(self)]


register_settings(LINEARISATION, LinearisationSettings)
register_settings(REGRET, RegretSettings)
register_settings(TRAINING, TrainingSettings)
register_settings(CAPACITY, CapacitySettings)
register_aliases({}, {"linearisation": LINEARISATION, "regret": REGRET, "training": TRAINING,
                      "capacity": CAPACITY})
