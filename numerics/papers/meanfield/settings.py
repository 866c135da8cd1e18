"""The mean-field paper's settings: one frozen dataclass per experiment (its profile section
``meanfield.<name>``), the training setups the dynamics designs list, and the ``--set`` shorthands.

Nothing here imports torch or builds a claim, so ``atv run`` validates a profile, a ``--set`` or a ``--config``
and refuses a bad value in well under a second; ``experiments`` attaches each dataclass to its experiment.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Literal

from numerics.experiment import Sweep, register_aliases, register_settings
from numerics.orders import norm_order
from theory.papers.meanfield.dynamics import EXPLICIT_RESIDUAL_DEPTHS
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec
from theory.symbols import eps, eta, t

#: the experiments' names (their profile sections)
JACOBIAN, FIGURES, GAUSSIAN, NORMS, DYNAMICS = (f"meanfield.{name}" for name in (
    "jacobian", "figures", "gaussian", "network_norms", "dynamics"))

Regime = Literal["population", "dataset"]
REGIMES: tuple[Regime, ...] = ("population", "dataset")


@dataclass(frozen=True)
class TrainingSetup:
    """One adversarial-training experiment: the network and how it is trained."""

    spec: NetworkSpec
    eta: float  # learning rate of gradient descent on W
    eps: float  # radius of the l_p ball of the inner maximisation
    steps: int
    p: float = 2
    q: float = 2
    regime: Regime = "population"
    inputs: int = 16  # inputs per step (population) or the dataset's size (dataset)
    pgd_steps: int = 4
    pgd_restarts: int = 1
    clean_steps: int = 0  # > 0: also train the clean task from the initial and the final weights (capacity)
    clean_lr: float = 0.2  # a fraction of each network's initial Polyak step
    clean_inputs: int = 64

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"regime must be one of {', '.join(REGIMES)}, got {self.regime!r}")
        for name in ("eta", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("steps", "inputs", "pgd_steps", "pgd_restarts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        object.__setattr__(self, "p", norm_order(self.p))
        object.__setattr__(self, "q", norm_order(self.q))

    def as_dict(self) -> dict:
        out = asdict(self)
        out["spec"] = self.spec.as_dict()
        out["p"], out["q"] = ("oo" if x == float("inf") else int(x) for x in (self.p, self.q))
        return out

    def values(self) -> dict:
        """Substitution map for theory expressions: the spec's symbols, eta, eps and t = steps."""
        return {**self.spec.values(), eta: self.eta, eps: self.eps, t: self.steps}


def _positive(settings, *names: str) -> None:
    """Every value positive; a list non-empty, without repeats (a sweep over equal values has no span)."""
    for name in names:
        values = getattr(settings, name)
        if isinstance(values, tuple) and (not values or len(set(values)) < len(values)):
            raise ValueError(f"{name} needs one or more distinct values, got {values!r}")
        for value in values if isinstance(values, tuple) else (values,):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")


def _at_least(settings, floor: int, why: str, *names: str) -> None:
    for name in names:
        if getattr(settings, name) < floor:
            raise ValueError(f"{name} must be >= {floor} ({why}), got {getattr(settings, name)}")


def _chunk(settings) -> None:
    if settings.chunk < 0:
        raise ValueError(f"chunk must be >= 0 (0: sized from memory), got {settings.chunk}")


def _dtype(settings) -> None:
    if settings.dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {settings.dtype!r}")


@dataclass(frozen=True)
class JacobianSettings:
    """Theorem 4.1: every activation x width x depth x bias variance is one configuration per architecture.

    Activations are (u, v, sigma_w2) zipped; a single value applies to every activation.
    """

    networks: int = 1024  # independent networks per configuration
    chunk: int = 32  # networks held in memory at once; 0 sizes chunks from the memory budget
    dtype: str = "float64"
    input_scales: tuple[float, ...] = (1.0, 10.0)  # ||x|| / sqrt(d) of the fixed inputs (x_0 first)
    d: int = 32
    K: int = 32
    N: tuple[int, ...] = (512,)
    L: tuple[int, ...] = (4,)
    sigma_b2: tuple[float, ...] = (0.01,)
    u: tuple[float, ...] = (1.0, 1.0)
    v: tuple[float, ...] = (0.0, 0.5)
    sigma_w2: tuple[float, ...] = (2.0, 1.5)
    #: more bias variances at which the bias-variance claims are judged, at the first configuration (where a
    #: residual network's cross term grows with sigma_b2; see ``theory.papers.meanfield.residual_bias``) ...
    bias_sigma_b2: tuple[float, ...] = (0.1,)
    #: ... with this weight variance sigma_w2 (0: the first configuration's): the cross term grows as sigma_w2 falls
    #: (18% of Var a at sigma_w2 = 0.5, sigma_b2 = 0.1, L = 4; 7% at sigma_w2 = 2)
    bias_weight_variance: float = 0.5

    def __post_init__(self) -> None:
        _at_least(self, 4, "the rank correlation and the two-input comparison split the networks", "networks")
        _chunk(self)
        _dtype(self)
        if len(self.input_scales) < 2 or any(not (s > 0 and math.isfinite(s)) for s in self.input_scales):
            raise ValueError(f"input_scales needs two or more positive numbers, got {self.input_scales}")
        if self.input_scales[0] != 1.0:  # the derived bias variance is evaluated at ||x_0||^2 / d = 1
            raise ValueError(f"input_scales must start with 1.0 (x_0, the reference input, has norm sqrt(d)), got "
                             f"{self.input_scales}")
        if any(not (s >= 0 and math.isfinite(s)) for s in self.bias_sigma_b2):
            raise ValueError(f"bias_sigma_b2 must hold variances >= 0, got {self.bias_sigma_b2}")
        if not (self.bias_weight_variance >= 0 and math.isfinite(self.bias_weight_variance)):
            raise ValueError(f"bias_weight_variance must be > 0, or 0 for the first configuration's, got "
                             f"{self.bias_weight_variance}")
        _positive(self, "N", "L")
        for name in ("sigma_b2", "u", "v", "sigma_w2"):
            if not getattr(self, name):
                raise ValueError(f"{name} needs one or more values")
        lengths = {len(getattr(self, name)) for name in ("u", "v", "sigma_w2")} - {1}
        if len(lengths) > 1:
            raise ValueError("u, v and sigma_w2 list activations: give them equal lengths (or one value each)")
        for arch in ARCHITECTURES:
            self.specs(arch)  # SpecError (a ValueError) names the bad value

    def activations(self) -> list[dict]:
        count = max(len(self.u), len(self.v), len(self.sigma_w2))
        pick = lambda values, i: values[i if len(values) > 1 else 0]  # noqa: E731
        return [{"u": pick(self.u, i), "v": pick(self.v, i), "sigma_w2": pick(self.sigma_w2, i)} for i in range(count)]

    def specs(self, arch: str) -> list[NetworkSpec]:
        """The configurations for one architecture: activation outermost, then N, L, sigma_b2."""
        return [NetworkSpec(arch=arch, d=self.d, K=self.K, N=n, L=depth, sigma_b2=sb2, **act)
                for act in self.activations() for n in self.N for depth in self.L for sb2 in self.sigma_b2]

    def bias_specs(self, arch: str) -> list[NetworkSpec]:
        """``specs``, then the first configuration at each of ``bias_sigma_b2`` (with ``bias_weight_variance`` as
        sigma_w2) that is not among them."""
        specs = self.specs(arch)
        sigma_w2 = self.bias_weight_variance or specs[0].sigma_w2
        extra = [replace(specs[0], sigma_b2=sb2, sigma_w2=sigma_w2) for sb2 in self.bias_sigma_b2]
        return specs + [spec for i, spec in enumerate(extra) if spec not in specs and spec not in extra[:i]]

    def width_sweeps(self, arch: str, low: int) -> list[Sweep]:
        """Each configuration beside its twin at width min(low, N // 2): a Sweep judged at the configured N."""
        return [Sweep((replace(spec, N=min(low, spec.N // 2)), spec), at=1) for spec in self.specs(arch)
                if spec.N >= 2]


@dataclass(frozen=True)
class FigureSettings:
    """The Theorem 4.1 figures: histograms at the last Theorem 4.1 configuration, and depth and width sweeps."""

    networks: int = 48  # networks per point
    chunk: int = 0
    dtype: str = "float64"
    input_scales: tuple[float, ...] = (1.0, 10.0)
    # the sweeps' sizes; 0 (the default) takes the Theorem 4.1 verdicts' value, so the figures show what was judged
    d: int = 0
    K: int = 0
    N: int = 0
    depth_K: int = 0
    depths: tuple[int, ...] = (1, 2, 3, 4, 6, 8)
    width_L: int = 4
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)

    def __post_init__(self) -> None:
        _at_least(self, 2, "an interval needs two networks", "networks")
        _chunk(self)
        _dtype(self)
        _positive(self, "depths", "width_L", "widths")
        for name in ("d", "K", "N", "depth_K"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be positive, or 0 for the Theorem 4.1 configuration's, got "
                                 f"{getattr(self, name)!r}")


@dataclass(frozen=True)
class GaussianSettings:
    """Operator norms of Gaussian matrices: shapes (K, d) for Chevet and the tails, for the seed values, and
    (K, d_lo, d_hi) / (d, K_lo, K_hi) pairs for the dimension trends.

    The seed values in their regimes: ``k1_dims`` are the d at which beta_{2,2} = 1 is judged at K = 1 (up to the
    paper's d = 1000) and ``k_map`` the (K, d) where it stops holding as K grows; ``limit_dims`` x
    ``limit_outputs`` the K grid over which the p = 1 values are judged as K -> oo limits (at its largest K).
    Those designs compute only the claim's own pair, so a wide shape costs one norm.
    """

    matrices: int = 2000  # Gaussian matrices per shape
    beta_shapes: tuple[tuple[int, int], ...] = ((3, 10), (1, 16), (8, 12))
    seed_shapes: tuple[tuple[int, int], ...] = tuple((K, d) for K in (2, 4, 8) for d in (2, 4, 8, 16))
    d_trends: tuple[tuple[int, int, int], ...] = ((4, 4, 16),)
    K_trends: tuple[tuple[int, int, int], ...] = ((8, 2, 8),)
    k1_dims: tuple[int, ...] = (2, 16, 128, 1000)
    k_map: tuple[tuple[int, int], ...] = tuple((K, 1000) for K in (1, 2, 4, 8))
    limit_dims: tuple[int, ...] = (4,)
    limit_outputs: tuple[int, ...] = (4, 64, 1024, 8192)

    def __post_init__(self) -> None:
        _at_least(self, 2, "an interval needs two matrices", "matrices")
        _positive(self, "k1_dims", "limit_dims", "limit_outputs")
        if len(self.limit_outputs) < 2 or list(self.limit_outputs) != sorted(self.limit_outputs):
            raise ValueError(f"limit_outputs must list two or more increasing K, got {self.limit_outputs}")
        for name in ("beta_shapes", "seed_shapes", "d_trends", "K_trends", "k_map"):
            if not getattr(self, name):
                raise ValueError(f"{name} needs one or more shapes")
            if any(value < 1 for row in getattr(self, name) for value in row):
                raise ValueError(f"{name} must hold positive integers, got {getattr(self, name)}")
        for name in ("d_trends", "K_trends"):
            if any(lo >= hi for _, lo, hi in getattr(self, name)):
                raise ValueError(f"{name} rows are (fixed, low, high) with low < high, got {getattr(self, name)}")


#: the largest side whose 2^(side - 1) sign vectors ``opnorm`` enumerates by default (2^16 vertices)
EXACT_SIDE = 17


@dataclass(frozen=True)
class NormSettings:
    """Theorem 5.1 at the network level: the first Theorem 4.1 configuration at this d and K (every (oo, .) norm
    is exact by enumeration up to d = 17)."""

    d: int = 12
    K: int = 4
    networks: int = 128
    inputs: int = 16  # inputs for the sup-over-x gap
    pgd_networks: int = 48
    pgd_steps: int = 20
    pgd_restarts: int = 8
    eps_fraction: float = 0.1  # eps_p = eps_fraction * ||x_0||_p
    reference_matrices: int = 4000  # Gaussian reference sample for the network-level ratio
    chunk: int = 0
    certificate_networks: int = 8  # PGD networks whose segments x_0 -> x_0 + eta* are walked (step-1 certificate)

    def __post_init__(self) -> None:
        _at_least(self, 2, "an interval needs two of them", "networks", "reference_matrices")
        _chunk(self)
        _positive(self, "d", "K", "inputs", "pgd_networks", "pgd_steps", "pgd_restarts", "eps_fraction")
        _positive(self, "certificate_networks")
        for name in ("d", "K"):  # ||J||_{oo->2} enumerates 2^(d-1) sign vectors, ||J||_{2->1} 2^(K-1)
            if getattr(self, name) > EXACT_SIDE:
                raise ValueError(f"norms.{name} must be <= {EXACT_SIDE} so that every operator norm is exact, got "
                                 f"{getattr(self, name)}")


@dataclass(frozen=True)
class DynamicsSettings:
    """Training dynamics (THEORY.md section 4): bias-free ReLU networks, K = 1, l2 PGD.

    Each design is a list of ``TrainingSetup``s: ``map`` is the regime map (widths x learning rates x regimes)
    for the ODE and the Euler identity; ``width`` the initial rate over widths; ``beta_d`` / ``beta_K`` the
    initial rate over d (K = 1) or K (p = 1, q = oo); ``depths`` adversarial training then clean gradients over
    depth, from criticality for vanilla nets; ``capacity`` adds clean training from both weights;
    ``depths_width`` / ``capacity_width`` are those at ``narrow_width`` and at N (same eta, eps, steps), whose N
    setups are the ``depths`` / ``capacity`` ones (shared jobs): a narrow second width is the cheap one.
    """

    networks: int = 64
    d: int = 16
    L: int = 4
    N: int = 128
    eps: float = 0.5  # l2 radius; the l_oo radius is eps / sqrt(d) (the same l2 size at the ball's vertices)
    inputs: int = 16  # inputs per step (population) or dataset size
    pgd_steps: int = 3
    sigma_w2: tuple[tuple[str, float], ...] = (("vanilla", 3.0), ("residual", 1.0))  # r0 != 1: exponents differ
    map_widths: tuple[int, ...] = (32, 128)
    map_etas: tuple[float, ...] = (0.002, 0.02)
    regimes: tuple[str, ...] = ("population", "dataset")
    horizon: int = 20
    rate_eta: float = 0.002
    rate_steps: int = 2
    widths: tuple[int, ...] = (32, 64, 128, 256)
    beta_dims: tuple[int, ...] = (8, 32)
    beta_outputs: tuple[int, ...] = (1, 4)
    depths: tuple[int, ...] = (2, 4, 8)
    train_eta: float = 0.05
    train_steps: int = 40
    clean_steps: int = 100
    clean_lr: float = 0.2  # a fraction of each network's initial Polyak step
    narrow_N: int = 0  # the second, smaller width of the width-alleviation designs; 0: N // 4 (32 at N = 128)

    def __post_init__(self) -> None:
        _at_least(self, 2, "an interval needs two networks", "networks")
        _positive(self, "d", "L", "N", "eps", "inputs", "pgd_steps", "map_widths", "map_etas", "horizon",
                  "rate_eta", "rate_steps", "widths", "beta_dims", "beta_outputs", "depths", "train_eta",
                  "train_steps", "clean_steps", "clean_lr")
        if not 1 <= self.narrow_width < self.N:
            raise ValueError(f"dynamics.narrow_N must lie in [1, dynamics.N = {self.N}) (0: N // 4), got "
                             f"{self.narrow_N}")
        for name in ("widths", "depths"):
            if len(getattr(self, name)) < 2:
                raise ValueError(f"dynamics.{name} needs two or more values to fit a slope")
        bad = [r for r in self.regimes if r not in REGIMES]
        if bad or not self.regimes:
            raise ValueError(f"regimes must list regimes among {', '.join(REGIMES)}, got {self.regimes}")
        if sorted(arch for arch, _ in self.sigma_w2) != sorted(ARCHITECTURES):
            raise ValueError(f"sigma_w2 needs one value per architecture ({', '.join(ARCHITECTURES)})")
        if self.L not in EXPLICIT_RESIDUAL_DEPTHS:
            raise ValueError(f"dynamics.L must be one of {EXPLICIT_RESIDUAL_DEPTHS} (where dsolve gives the residual "
                             f"r(t) explicitly), got {self.L}")
        for arch in ARCHITECTURES:
            for design in DESIGNS:
                self.design(design, arch)

    @property
    def narrow_width(self) -> int:
        """The narrow width of the width-alleviation designs: ``narrow_N``, or N // 4 when it is 0."""
        return self.narrow_N or self.N // 4

    def spec(self, arch: str, critical: bool = False, **changes) -> NetworkSpec:
        """A bias-free ReLU spec; ``critical`` starts vanilla nets at omega = 1 (sigma_w2 = 2)."""
        sigma_w2 = 2.0 if critical and arch == "vanilla" else dict(self.sigma_w2)[arch]
        values = {"d": self.d, "K": 1, "N": self.N, "L": self.L, "sigma_w2": sigma_w2, **changes}
        return NetworkSpec(arch=arch, sigma_b2=0.0, **values)

    def setup(self, spec: NetworkSpec, eta: float, steps: int, p=2, q=2, **changes) -> TrainingSetup:
        p, q = norm_order(p), norm_order(q)
        eps = self.eps / math.sqrt(spec.d) if p == math.inf else self.eps
        return TrainingSetup(spec, eta=eta, eps=eps, steps=steps, p=p, q=q, inputs=self.inputs,
                             pgd_steps=self.pgd_steps, pgd_restarts=2 * spec.K if q == math.inf else 1, **changes)

    def design(self, name: str, arch: str, p=2, q=2) -> list:
        """The points of one design: setups, or a Sweep of setups judged as one point (its middle one's values)."""
        rate = {"eta": self.rate_eta, "steps": self.rate_steps}
        train = {"eta": self.train_eta, "steps": self.train_steps}

        def sweep(setups: list) -> Sweep:
            return Sweep(tuple(setups), at=len(setups) // 2)

        if name == "map":
            return [self.setup(self.spec(arch, N=n), eta, self.horizon, regime=regime)
                    for n in self.map_widths for eta in self.map_etas for regime in self.regimes]
        if name == "width":
            return [sweep([self.setup(self.spec(arch, N=n), **rate) for n in self.widths])]
        if name == "beta_d":
            return [self.setup(self.spec(arch, d=dim), p=p, q=q, **rate) for dim in self.beta_dims]
        if name == "beta_K":
            return [self.setup(self.spec(arch, K=k), p=p, q=q, **rate) for k in self.beta_outputs]
        if name == "depths":
            return [sweep([self.setup(self.spec(arch, critical=True, L=depth), **train) for depth in self.depths])]
        capacity = {"clean_steps": self.clean_steps, "clean_lr": self.clean_lr, **train}
        if name == "capacity":
            return [self.setup(self.spec(arch, critical=True), **capacity)]
        widths = (self.narrow_width, self.N)
        if name == "depths_width":  # the depths at each width; the theory side at N's middle depth
            return [Sweep(tuple(self.setup(self.spec(arch, critical=True, N=n, L=depth), **train)
                                for n in widths for depth in self.depths), at=len(self.depths) + len(self.depths) // 2)]
        if name == "capacity_width":
            return [Sweep(tuple(self.setup(self.spec(arch, critical=True, N=n), **capacity) for n in widths), at=1)]
        raise ValueError(f"unknown dynamics design {name!r}; designs: {', '.join(DESIGNS)}")


DESIGNS = ("map", "width", "beta_d", "beta_K", "depths", "capacity", "depths_width", "capacity_width")


def norm_spec(arch: str, profile) -> NetworkSpec:
    """The first Theorem 4.1 configuration at the network-norm experiment's d and K."""
    first = profile[JACOBIAN].specs(arch)[0]
    norms = profile[NORMS]
    return NetworkSpec(**{**first.as_dict(), "d": norms.d, "K": norms.K})


def _check_norms(settings: "NormSettings", profile) -> None:
    """The network-norm configuration is the first Theorem 4.1 one at the norms' d and K: it must be valid."""
    for arch in ARCHITECTURES:
        norm_spec(arch, profile)


for _name, _settings in ((JACOBIAN, JacobianSettings), (FIGURES, FigureSettings), (GAUSSIAN, GaussianSettings),
                         (DYNAMICS, DynamicsSettings)):
    register_settings(_name, _settings)
register_settings(NORMS, NormSettings, _check_norms)

#: flat keys of ``--set`` (the documented mean-field settings) and the short section names they stand for
ALIASES = {
    **{key: (f"{JACOBIAN}.{key}",) for key in
       ("d", "K", "N", "L", "sigma_w2", "sigma_b2", "u", "v", "networks", "chunk", "dtype", "input_scales")},
    "figure_networks": (f"{FIGURES}.networks",),
}
SECTIONS = {"dynamics": DYNAMICS, "norms": NORMS, "gaussian": GAUSSIAN,
            "figures": FIGURES, "jacobian": JACOBIAN}
register_aliases(ALIASES, SECTIONS)


EXACT = "meanfield.exact"
#: the largest sizes of the exact adversarial loss: one binary per unstable unit, and a MILP's time grows
#: exponentially in its binaries; d <= 8 also keeps every ||J||_{oo->q} of the local bound exact (enumeration)
EXACT_LIMITS = {"d": 8, "K": 3, "N": 16, "L": 3}


@dataclass(frozen=True)
class ExactSettings:
    """Theorem 5.1's first step against the exact adversarial loss (a MILP per network, ``numerics.papers.
    meanfield.milp``): ``networks`` networks of the first Theorem 4.1 activation at these small sizes, one input
    x_0 (||x_0||_2 = sqrt(d)), eps_p = eps_fraction ||x_0||_p, PGD with ``pgd_steps`` x ``pgd_restarts``, and
    ``matrices`` Gaussian K x d matrices for beta_{p,q} of the mean-field bound."""

    networks: int = 8
    d: int = 6
    K: int = 2
    N: int = 12
    L: int = 2
    eps_fraction: float = 0.1
    pgd_steps: int = 20
    pgd_restarts: int = 8
    matrices: int = 2000

    def __post_init__(self) -> None:
        _positive(self, "networks", "d", "K", "N", "L", "eps_fraction", "pgd_steps", "pgd_restarts")
        _at_least(self, 2, "beta_{p,q} is a mean over matrices", "matrices")
        for name, limit in EXACT_LIMITS.items():
            if getattr(self, name) > limit:
                raise ValueError(f"exact.{name} must be <= {limit} (the MILP's time grows exponentially with the "
                                 f"network), got {getattr(self, name)}")


def exact_spec(arch: str, profile) -> NetworkSpec:
    """The first Theorem 4.1 configuration (activation, sigma_w2, sigma_b2) at the exact experiment's sizes."""
    first = profile[JACOBIAN].specs(arch)[0]
    exact = profile[EXACT]
    return NetworkSpec(**{**first.as_dict(), "d": exact.d, "K": exact.K, "N": exact.N, "L": exact.L})


def _check_exact(settings: ExactSettings, profile) -> None:
    for arch in ARCHITECTURES:
        exact_spec(arch, profile)


register_settings(EXACT, ExactSettings, _check_exact)
register_aliases({}, {"exact": EXACT})
