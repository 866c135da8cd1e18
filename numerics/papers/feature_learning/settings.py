"""Settings of Li & Li's experiment (profile section ``feature_learning.patches``) and the runs it describes;
torch-free, so a bad value is refused at once.

The defaults are the digest's calibrated configuration C* (shared/papers/seed002.md, section 2.2): k = 2, D = 16,
P = 64, alpha = 1, beta = 0.4, q = 3, rho = 1, m = 32, sigma_0 = 0.05, full-batch GD with eta = 1 for 300 steps,
one-step sign AT at epsilon = 0.115.  Two more designs sit beside it, each outside one margin on purpose: ``kill``
(m = 2, kappa_kill = 1.40 >= 1, where the digest's heuristic says one-step AT may not start) and ``race`` (P = 4,
R_learn = 0.26 < 1: v loses the race).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from numerics.experiment import Run, design_of, register_aliases, register_settings
from numerics.settings_fields import Settings, setting
from theory.papers.feature_learning.designs import PatchDesign

PATCHES = "feature_learning.patches"
DTYPES = ("float32", "float64")
#: a claim's design names the runs it is judged at: the calibrated run first, then the one outside its regime
DESIGNS = {PatchDesign.MAIN: ("main",), PatchDesign.ST: ("main", "race"), PatchDesign.AT: ("main", "kill")}


@dataclass(frozen=True, kw_only=True)
class PatchRun(Run):
    """A job: standard and adversarial training of the same seeds' networks on the same data, then evaluation.
    Every field is part of its identity (``describe``)."""

    design: str
    seeds: int
    k: int
    D: int
    P: int
    alpha: float
    beta: float
    sigma_xi: float
    q: int
    rho: float
    m: int
    sigma0: float
    n_train: int
    n_test: int
    eta: float
    steps: int
    eps: float
    pgd_steps: int
    pgd_restarts: int
    eps_scales: tuple[float, ...]
    dtype: str
    radius_sweep: bool  # evaluate at every radius (the calibrated run) or at eps only (the runs outside a margin)

    @property
    def d(self) -> int:
        return self.k + self.D


@dataclass(frozen=True)
class PatchSettings(Settings):
    """R-inf at C*; ``eps_scales`` are the radii (in units of epsilon) of the robust-accuracy curve."""

    seeds: int = setting(8, meaning="seeds (paired networks and data); all eight positive: an exact sign test at "
                                    "p = 1/256", low=2, why="a seed-level interval needs two seeds")
    k: int = setting(2, meaning="classes", low=2, why="a race needs two classes")
    D: int = setting(16, meaning="dense dimension (a power of 2 above k: the non-robust features are Sylvester-"
                                 "Hadamard rows 2..k+1)", low=1)
    P: int = setting(64, meaning="patches per input (v in every patch, u in one)", low=1)
    alpha: float = setting(1.0, meaning="size of the robust feature u_y = alpha e_y", above=0)
    beta: float = setting(0.4, meaning="size of the non-robust feature v_y (a Hadamard row)", above=0)
    sigma_xi: float = setting(0.0, meaning="standard deviation of the patches' noise", low=0)
    q: int = setting(3, meaning="power of the smoothed ReLU", low=3,
                     why="the tensor-power race and its blow-up time need q > 2")
    rho: float = setting(1.0, meaning="threshold of the smoothed ReLU (linear above it)", above=0)
    m: int = setting(32, meaning="neurons per class", low=2, why="the kill ratio needs log m > 0")
    sigma0: float = setting(0.05, meaning="standard deviation of the initial weights", above=0)
    n_train: int = setting(300, meaning="training points", low=1)
    n_test: int = setting(1000, meaning="test points", low=1)
    eta: float = setting(1.0, meaning="learning rate of full-batch gradient descent", above=0)
    steps: int = setting(300, meaning="gradient steps", low=1)
    eps: float = setting(0.115, meaning="the l_oo radius of one-step sign adversarial training", above=0)
    pgd_steps: int = setting(30, meaning="steps of the evaluation PGD", low=1)
    pgd_restarts: int = setting(3, meaning="restarts of the evaluation PGD", low=1)
    eps_scales: tuple[float, ...] = setting((0.5, 0.75, 1.0, 1.5, 2.0, 3.0), above=0, unit="epsilon",
                                            meaning="radii of the robust-accuracy curve",
                                            rule=(lambda scales: 1.0 in scales, "contain 1.0 (the training radius)"))
    dtype: str = setting("float32", meaning="the networks' floating-point type", choices=DTYPES)
    kill_m: int = setting(2, meaning="the kill design's width: kappa_kill = 1.40 at C*", low=2,
                          why="the kill ratio needs log m > 0")
    race_P: int = setting(4, meaning="the race design's patches: R_learn = 0.26 at C*", low=1)

    def check(self) -> None:
        if self.D & (self.D - 1) or self.D < self.k + 1:
            raise ValueError(f"D must be a power of 2 above k (the features are Sylvester-Hadamard rows 2..k+1), "
                             f"got D={self.D}, k={self.k}")

    def runs(self, design: PatchDesign = PatchDesign.MAIN) -> list[PatchRun]:
        """The runs of a claim's design: MAIN the calibrated run, ST it and the race design, AT it and the kill
        design."""
        design = design_of(PatchDesign, design, PATCHES)
        main = PatchRun.of(self, design="main", radius_sweep=True)
        variants = {"main": main, "kill": replace(main, design="kill", m=self.kill_m, radius_sweep=False),
                    "race": replace(main, design="race", P=self.race_P, radius_sweep=False)}
        return [variants[name] for name in DESIGNS[design]]


register_settings(PATCHES, PatchSettings)
register_aliases({}, {"patches": PATCHES})
