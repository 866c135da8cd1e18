"""Settings of Lyu & Zhu's experiments (profile sections ``implicit_bias.deep_linear`` and
``implicit_bias.homogeneous``) and the runs they describe; torch-free, so a bad value is refused at once.

Perturbation sizes are fractions of the data's margin, measured per seed by the reference solvers: of the l2
margin gamma for l2 attacks, of the l_inf-robust margin gamma_1 for l_inf attacks.  ``data`` (both sections, or
``--set implicit_bias.data=FILE.npz``) replaces the generated datasets by a user's own.
"""
from __future__ import annotations

from dataclasses import dataclass

from numerics.experiment import Run, design_of, register_aliases, register_settings
from numerics.settings_fields import Settings, setting
from theory.papers.implicit_bias.designs import LinearDesign, Norm

DEEP_LINEAR, HOMOGENEOUS = "implicit_bias.deep_linear", "implicit_bias.homogeneous"
ATTACK_NORMS = {"fgm": Norm.L2, "pgd2": Norm.L2, "fgsm": Norm.LINF, "pgdinf": Norm.LINF}
SCHEDULES = ("normalized", "constant")


@dataclass(frozen=True, kw_only=True)
class BatchRun(Run):
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


@dataclass(frozen=True, kw_only=True)
class LinearRun(BatchRun):
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
class HomogeneousRun(BatchRun):
    """Two-layer relu^2 nets over seeds (attack fgm, pgd2: l2; fgsm, pgdinf: l_inf; none: clean training, Lyu &
    Li's problem)."""

    eps: float
    width: int
    pgd_steps: int


def _digest(path: str) -> str:
    from numerics.papers.implicit_bias.data import file_digest

    return file_digest(path) if path else ""


def _anneal():
    return setting(0.1, meaning="normalised steps end at anneal * eta (training.annealed); constant steps never "
                                "anneal", above=0, high=1)


def _depths(default: tuple[int, ...], meaning: str):
    return setting(default, meaning=meaning, low=1, high=8, why="the product's scale overflows float64 early")


def _fractions(default: tuple[float, ...], meaning: str):
    return setting(default, meaning=meaning, above=0, below=1, unit="the data's margin",
                   why="the theorem's regime")


def _data():
    return setting("", meaning="a .npz file with X and y, used instead of the generated datasets")


@dataclass(frozen=True)
class DeepLinearSettings(Settings):
    """Theorem A: deep linear nets on separable data (the digest's C1-C5)."""

    seeds: int = setting(10, meaning="seeds (datasets and initialisations)", low=2)
    n: int = setting(40, meaning="points of the gaussian data (l2 claims)", low=2)
    d: int = setting(10, meaning="dimension of the gaussian data", low=2)
    sparse_n: int = setting(30, meaning="points of the sparse data (l_inf claims)", low=2)
    sparse_d: int = setting(20, meaning="dimension of the sparse data", low=2)
    init: float = setting(0.1, meaning="W_k ~ N(0, init^2 / fan_in)", above=0)
    checkpoints: int = setting(8, meaning="checkpoints along training", low=2)
    l2_depths: tuple[int, ...] = _depths((2, 3), "depths of the l2 runs")
    l2_eps: tuple[float, ...] = _fractions((0.5, 0.9), "fractions of gamma judged by the limit claims")
    control_eps: tuple[float, ...] = setting((1.2,), meaning="fractions of gamma beyond the margin, where the "
                                             "precondition fails (the control)", low=1, high=4,
                                             unit="the data's margin")
    l2_steps: int = setting(40000, meaning="steps of the l2 runs (the slowest, L = 3 at eps = 0.9 gamma, reaches "
                                           "sigma_2/sigma_1 ~ 1e-4 here)", low=2)
    l2_eta: float = setting(0.02, meaning="step of the l2 runs", above=0)
    anneal: float = _anneal()
    linf_depths: tuple[int, ...] = _depths((1, 3), "depths of the l_inf runs")
    linf_eps: tuple[float, ...] = _fractions((0.3,), "fractions of gamma_1 judged by the l_inf claims")
    linf_steps: int = setting(30000, meaning="steps of the l_inf runs", low=2)
    linf_eta: float = setting(0.01, meaning="step of the l_inf runs", above=0)
    rate_depths: tuple[int, ...] = _depths((1, 3), "depths of the rate runs")
    rate_eps: tuple[float, ...] = _fractions((0.5, 0.9), "fractions of gamma trained against clean training (eps = "
                                                         "0), constant steps")
    rate_steps: int = setting(10000, meaning="steps of the rate runs", low=2)
    rate_eta: float = setting(0.5, meaning="constant step of the rate runs", above=0)
    data: str = _data()

    def runs(self, design: LinearDesign) -> list[LinearRun]:
        """The runs of a design: L2 (limit claims and the control), LINF, RATE (constant steps)."""
        digest = _digest(self.data)
        match design_of(LinearDesign, design, DEEP_LINEAR):
            case LinearDesign.L2:
                return [LinearRun.of(self, data=self.data or "gaussian", digest=digest, attack="fgm", L=L,
                                     eps=self.l2_eps, control=self.control_eps, steps=self.l2_steps, eta=self.l2_eta,
                                     schedule="normalized") for L in self.l2_depths]
            case LinearDesign.LINF:
                return [LinearRun.of(self, data=self.data or "sparse", digest=digest, attack="fgsm", L=L,
                                     eps=self.linf_eps, control=(), steps=self.linf_steps, eta=self.linf_eta,
                                     schedule="normalized", n=self.sparse_n, d=self.sparse_d) for L in self.linf_depths]
            case LinearDesign.RATE:
                return [LinearRun.of(self, data=self.data or "gaussian", digest=digest, attack="fgm", L=L,
                                     eps=self.rate_eps, control=(0.0,), steps=self.rate_steps, eta=self.rate_eta,
                                     schedule="constant", anneal=1.0) for L in self.rate_depths]


@dataclass(frozen=True)
class HomogeneousSettings(Settings):
    """Theorem B: two-layer relu^2 nets (homogeneous of degree 3, bias-free) on XOR data (the digest's C6-C8)."""

    seeds: int = setting(10, meaning="seeds (datasets and initialisations)", low=2)
    n: int = setting(40, meaning="points of the XOR data", low=2)
    d: int = setting(5, meaning="dimension of the XOR data", low=2)
    width: int = setting(20, meaning="hidden units", low=2)
    init: float = setting(0.5, meaning="scale of the initial weights", above=0)
    eps: float = setting(0.1, meaning="perturbation radius", above=0)
    attacks: tuple[str, ...] = setting(("fgm", "fgsm"), meaning="attacks trained against (l2: fgm, pgd2; l_inf: "
                                       "fgsm, pgdinf)", choices=tuple(ATTACK_NORMS))
    steps: int = setting(60000, meaning="steps (eta = 0.01 annealed to 1e-3: every seed's KKT residual below 1e-3 in "
                                        "the probes)", low=2)
    eta: float = setting(0.01, meaning="normalised step", above=0)
    anneal: float = _anneal()
    pgd_steps: int = setting(5, meaning="steps of the PGD attacks", low=1)
    checkpoints: int = setting(8, meaning="checkpoints along training", low=2)
    data: str = _data()

    def runs(self, norm: Norm) -> list[HomogeneousRun]:
        """One run per attack of the given norm."""
        norm = design_of(Norm, norm, HOMOGENEOUS)
        return [HomogeneousRun.of(self, data=self.data or "xor", digest=_digest(self.data), attack=attack,
                                  schedule="normalized") for attack in self.attacks if ATTACK_NORMS[attack] == norm]


def _check_data(settings, profile) -> None:
    """A user's dataset is read and checked when the profile is, so a bad file is refused before any work."""
    if settings.data:
        from numerics.papers.implicit_bias.data import load

        load(settings.data)


register_settings(DEEP_LINEAR, DeepLinearSettings, _check_data)
register_settings(HOMOGENEOUS, HomogeneousSettings, _check_data)
register_aliases({"implicit_bias.data": (f"{DEEP_LINEAR}.data", f"{HOMOGENEOUS}.data")},
                 {"deep_linear": DEEP_LINEAR, "homogeneous": HOMOGENEOUS})
