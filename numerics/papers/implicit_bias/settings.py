"""Settings of Lyu & Zhu's experiments (profile sections ``implicit_bias.deep_linear`` and
``implicit_bias.homogeneous``) and the runs they describe; torch-free, so a bad value is refused at once.

Perturbation sizes are fractions of the data's margin, measured per seed by the reference solvers: of the l2
margin gamma for l2 attacks, of the l_inf-robust margin gamma_1 for l_inf attacks.  ``data`` (both sections, or
``--set implicit_bias.data=FILE.npz``) replaces the generated datasets by a user's own.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from numerics.experiment import register_aliases, register_settings, require_positive

DEEP_LINEAR, HOMOGENEOUS = "implicit_bias.deep_linear", "implicit_bias.homogeneous"
ATTACK_NORMS = {"fgm": "l2", "pgd2": "l2", "fgsm": "linf", "pgdinf": "linf"}
SCHEDULES = ("normalized", "constant")


def _anneal(value: float) -> None:
    if not 0 < value <= 1:
        raise ValueError(f"anneal is the final fraction of the step, in (0, 1], got {value!r}")


def _fractions(name: str, values: tuple[float, ...], low: float, high: float) -> None:
    """Judged fractions lie inside the theorem's regime (0, 1); controls beyond the margin, in [1, 4]."""
    if not values or not all(low <= v < high if high == 1 else low <= v <= high for v in values):
        raise ValueError(f"{name} are fractions of the data's margin in {'(0, 1)' if high == 1 else '[1, 4]'}, "
                         f"got {values!r}")


@dataclass(frozen=True, kw_only=True)
class Run:
    """What every batched training run of this paper is: its data, attack, schedule and sizes (the job's
    identity: ``describe``)."""

    data: str  # a generator (gaussian, sparse, xor) or a .npz path
    digest: str  # the file's content hash ("" for a generator)
    attack: str
    steps: int
    eta: float
    schedule: str
    seeds: int
    n: int
    d: int
    init: float
    checkpoints: int
    anneal: float  # the normalised step decays to anneal * eta over the second half (1: constant)

    def describe(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class LinearRun(Run):
    """Deep linear nets (attack fgm: l2, or fgsm: l_inf, both exact for linear models): every seed times every
    perturbation fraction."""

    L: int
    eps: tuple[float, ...]  # fractions of gamma (fgm) or gamma_1 (fgsm) that the claims judge
    control: tuple[float, ...]  # fractions trained beside them as controls (beyond the margin, or clean: 0)

    @property
    def fractions(self) -> tuple[float, ...]:
        """Every fraction of the batch: the judged ones, then the controls."""
        return self.eps + self.control


@dataclass(frozen=True, kw_only=True)
class HomogeneousRun(Run):
    """Two-layer relu^2 nets over seeds (attack fgm, pgd2: l2; fgsm, pgdinf: l_inf; none: clean training, Lyu &
    Li's problem)."""

    eps: float
    width: int
    pgd_steps: int


def _digest(path: str) -> str:
    from numerics.papers.implicit_bias.data import file_digest

    return file_digest(path) if path else ""


@dataclass(frozen=True)
class DeepLinearSettings:
    """Theorem A: deep linear nets on separable data (the digest's C1-C5)."""

    seeds: int = 10
    n: int = 40  # gaussian data (l2 claims)
    d: int = 10
    sparse_n: int = 30  # sparse data (l_inf claims)
    sparse_d: int = 20
    init: float = 0.1  # W_k ~ N(0, init^2 / fan_in)
    checkpoints: int = 8
    l2_depths: tuple[int, ...] = (2, 3)
    l2_eps: tuple[float, ...] = (0.5, 0.9)  # fractions of gamma judged by the limit claims
    control_eps: tuple[float, ...] = (1.2,)  # beyond the margin: the precondition fails
    l2_steps: int = 40000  # the slowest run (L = 3, eps = 0.9 gamma) reaches sigma_2/sigma_1 ~ 1e-4 here
    l2_eta: float = 0.02
    anneal: float = 0.1  # normalised steps end at anneal * eta (training.annealed); constant steps never anneal
    linf_depths: tuple[int, ...] = (1, 3)
    linf_eps: tuple[float, ...] = (0.3,)  # fractions of gamma_1
    linf_steps: int = 30000
    linf_eta: float = 0.01
    rate_depths: tuple[int, ...] = (1, 3)
    rate_eps: tuple[float, ...] = (0.5, 0.9)  # against clean training (eps = 0), constant steps
    rate_steps: int = 10000
    rate_eta: float = 0.5
    data: str = ""  # a .npz file with X and y, used instead of both generated datasets

    def __post_init__(self) -> None:
        for name in ("seeds", "n", "d", "sparse_n", "sparse_d", "checkpoints", "l2_steps", "linf_steps", "rate_steps"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be >= 2, got {getattr(self, name)!r}")
        require_positive(self, "init", "l2_eta", "linf_eta", "rate_eta", "l2_depths", "linf_depths", "rate_depths")
        _anneal(self.anneal)
        for name in ("l2_eps", "linf_eps", "rate_eps"):
            _fractions(name, getattr(self, name), 1e-9, 1)
        _fractions("control_eps", self.control_eps, 1, 4)
        if max(self.l2_depths + self.linf_depths + self.rate_depths) > 8:
            raise ValueError("depths above 8 are not supported (the product's scale overflows float64 early)")

    def runs(self, design: str) -> list[LinearRun]:
        """The runs of a design: ``l2`` (limit claims and the control), ``linf``, ``rate`` (constant steps)."""
        common = dict(seeds=self.seeds, init=self.init, checkpoints=self.checkpoints, digest=_digest(self.data),
                      anneal=self.anneal)
        if design == "l2":
            return [LinearRun(data=self.data or "gaussian", attack="fgm", L=L, eps=self.l2_eps,
                              control=self.control_eps, steps=self.l2_steps, eta=self.l2_eta,
                              schedule="normalized", n=self.n, d=self.d, **common) for L in self.l2_depths]
        if design == "linf":
            return [LinearRun(data=self.data or "sparse", attack="fgsm", L=L, eps=self.linf_eps, control=(),
                              steps=self.linf_steps, eta=self.linf_eta, schedule="normalized", n=self.sparse_n,
                              d=self.sparse_d, **common)
                    for L in self.linf_depths]
        if design == "rate":
            return [LinearRun(data=self.data or "gaussian", attack="fgm", L=L, eps=self.rate_eps, control=(0.0,),
                              steps=self.rate_steps, eta=self.rate_eta, schedule="constant", n=self.n, d=self.d,
                              **{**common, "anneal": 1.0}) for L in self.rate_depths]
        raise ValueError(f"unknown deep-linear design {design!r}; designs: l2, linf, rate")


@dataclass(frozen=True)
class HomogeneousSettings:
    """Theorem B: two-layer relu^2 nets (homogeneous of degree 3, bias-free) on XOR data (the digest's C6-C8)."""

    seeds: int = 10
    n: int = 40
    d: int = 5
    width: int = 20
    init: float = 0.5
    eps: float = 0.1
    attacks: tuple[str, ...] = ("fgm", "fgsm")
    steps: int = 60000  # eta = 0.01 annealed to 1e-3: every seed's KKT residual below 1e-3 in the probes
    eta: float = 0.01
    anneal: float = 0.1
    pgd_steps: int = 5
    checkpoints: int = 8
    data: str = ""

    def __post_init__(self) -> None:
        for name in ("seeds", "n", "d", "width", "steps", "checkpoints"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be >= 2, got {getattr(self, name)!r}")
        require_positive(self, "init", "eps", "eta", "pgd_steps")
        _anneal(self.anneal)
        unknown = [a for a in self.attacks if a not in ATTACK_NORMS]
        if unknown or not self.attacks:
            raise ValueError(f"attacks must be among {', '.join(ATTACK_NORMS)}, got {self.attacks!r}")

    def runs(self, norm: str) -> list[HomogeneousRun]:
        """One run per attack of the given norm (l2 or linf)."""
        return [HomogeneousRun(data=self.data or "xor", digest=_digest(self.data), attack=attack, eps=self.eps,
                               steps=self.steps, eta=self.eta, schedule="normalized", seeds=self.seeds, n=self.n,
                               d=self.d, width=self.width, init=self.init, pgd_steps=self.pgd_steps,
                               checkpoints=self.checkpoints, anneal=self.anneal)
                for attack in self.attacks if ATTACK_NORMS[attack] == norm]


def _check_data(settings, profile) -> None:
    """A user's dataset is read and checked when the profile is, so a bad file is refused before any work."""
    if settings.data:
        from numerics.papers.implicit_bias.data import load

        load(settings.data)


register_settings(DEEP_LINEAR, DeepLinearSettings, _check_data)
register_settings(HOMOGENEOUS, HomogeneousSettings, _check_data)
register_aliases({"implicit_bias.data": (f"{DEEP_LINEAR}.data", f"{HOMOGENEOUS}.data")},
                 {"deep_linear": DEEP_LINEAR, "homogeneous": HOMOGENEOUS})
