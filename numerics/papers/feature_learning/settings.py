"""Settings of Li & Li's experiment (profile section ``feature_learning.patches``) and the runs it describes;
torch-free, so a bad value is refused at once.

The defaults are the digest's calibrated configuration C* (shared/papers/seed002.md, section 2.2): k = 2, D = 16,
P = 64, alpha = 1, beta = 0.4, q = 3, rho = 1, m = 32, sigma_0 = 0.05, full-batch GD with eta = 1 for 300 steps,
one-step sign AT at epsilon = 0.115.  Two more designs sit beside it, each outside one margin on purpose: ``kill``
(m = 2, kappa_kill = 1.40 >= 1, where the digest's heuristic says one-step AT may not start) and ``race`` (P = 4,
R_learn = 0.26 < 1: v loses the race).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from numerics.experiment import register_aliases, register_settings, require_positive

PATCHES = "feature_learning.patches"
DTYPES = ("float32", "float64")
#: a claim's design names the runs it is judged at: the calibrated run first, then the one outside its regime
DESIGNS = {"": ("main",), "st": ("main", "race"), "at": ("main", "kill")}


@dataclass(frozen=True, kw_only=True)
class PatchRun:
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

    def describe(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PatchSettings:
    """R-inf at C*; ``eps_scales`` are the radii (in units of epsilon) of the robust-accuracy curve."""

    seeds: int = 8  # all eight positive: an exact sign test at p = 1/256
    k: int = 2
    D: int = 16
    P: int = 64
    alpha: float = 1.0
    beta: float = 0.4
    sigma_xi: float = 0.0
    q: int = 3
    rho: float = 1.0
    m: int = 32
    sigma0: float = 0.05
    n_train: int = 300
    n_test: int = 1000
    eta: float = 1.0
    steps: int = 300
    eps: float = 0.115
    pgd_steps: int = 30
    pgd_restarts: int = 3
    eps_scales: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    dtype: str = "float32"
    kill_m: int = 2  # the kill design's width: kappa_kill = 1.40 at C*
    race_P: int = 4  # the race design's patches: R_learn = 0.26 at C*

    def __post_init__(self) -> None:
        for name in ("seeds", "k", "D", "P", "q", "m", "n_train", "n_test", "steps", "pgd_steps", "pgd_restarts",
                     "kill_m", "race_P"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        if self.seeds < 2 or self.k < 2 or self.m < 2 or self.kill_m < 2:
            raise ValueError("seeds, k, m and kill_m must be >= 2 (a seed-level interval needs two seeds, a race "
                             "two classes, the kill ratio log m > 0)")
        if self.D & (self.D - 1) or self.D < self.k + 1:
            raise ValueError(f"D must be a power of 2 above k (the features are Sylvester-Hadamard rows 2..k+1), "
                             f"got D={self.D}, k={self.k}")
        if self.q < 3:
            raise ValueError(f"q must be >= 3 (the tensor-power race and its blow-up time need q > 2), got {self.q}")
        require_positive(self, "alpha", "beta", "rho", "sigma0", "eta", "eps", "eps_scales")
        if self.sigma_xi < 0:
            raise ValueError(f"sigma_xi must be >= 0, got {self.sigma_xi}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if 1.0 not in self.eps_scales:
            raise ValueError(f"eps_scales must contain 1.0 (the training radius), got {self.eps_scales!r}")

    def runs(self, design: str = "") -> list[PatchRun]:
        """The runs of a claim's design: ``""`` the calibrated run, ``st`` it and the race design, ``at`` it and
        the kill design."""
        if design not in DESIGNS:
            raise ValueError(f"unknown patches design {design!r}; designs: {', '.join(repr(d) for d in DESIGNS)}")
        main = PatchRun(design="main", seeds=self.seeds, k=self.k, D=self.D, P=self.P, alpha=self.alpha,
                        beta=self.beta, sigma_xi=self.sigma_xi, q=self.q, rho=self.rho, m=self.m, sigma0=self.sigma0,
                        n_train=self.n_train, n_test=self.n_test, eta=self.eta, steps=self.steps, eps=self.eps,
                        pgd_steps=self.pgd_steps, pgd_restarts=self.pgd_restarts, eps_scales=self.eps_scales,
                        dtype=self.dtype, radius_sweep=True)
        variants = {"main": main, "kill": replace(main, design="kill", m=self.kill_m, radius_sweep=False),
                    "race": replace(main, design="race", P=self.race_P, radius_sweep=False)}
        return [variants[name] for name in DESIGNS[design]]


register_settings(PATCHES, PatchSettings)
register_aliases({}, {"patches": PATCHES})
