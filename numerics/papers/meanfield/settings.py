"""The mean-field paper's settings: one frozen dataclass per experiment (its profile section
``meanfield.<name>``), the cross-section checks, and the ``--set`` shorthands (the dynamics designs' setups are
``designs``).

Nothing here imports torch or builds a claim, so ``atv run`` validates a profile, a ``--set`` or a ``--config``
and refuses a bad value in well under a second; ``experiments`` attaches each dataclass to its experiment.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from numerics.experiment import Sweep, register_aliases, register_settings
from numerics.papers.meanfield.designs import REGIMES, dynamics_points
from numerics.settings_fields import Settings, setting
from theory.papers.meanfield.designs import DynamicsDesign
from theory.papers.meanfield.names import ARCHITECTURES, EXPLICIT_RESIDUAL_DEPTHS
from theory.papers.meanfield.spec import NetworkSpec

#: the experiments' names (their profile sections)
JACOBIAN, FIGURES, GAUSSIAN, NORMS, DYNAMICS = (f"meanfield.{name}" for name in (
    "jacobian", "figures", "gaussian", "network_norms", "dynamics"))

DTYPES = ("float32", "float64")


def _networks(default: int, low: int, why: str):
    return setting(default, meaning="independent networks per configuration", low=low, why=why)


def _ladder(default: tuple[int, ...], what: str):
    """The widths N of a ladder the N -> oo claims are extrapolated from (``numerics.extrapolation``)."""
    return setting(default, meaning=f"widths N of the ladder the N -> oo claims are extrapolated from ({what})", low=1,
                   count=3, increasing=True, why="a fit of r_inf + c N^-gamma with gamma stated needs a degree of "
                                                 "freedom to be checked")


def _chunk(default: int):
    return setting(default, meaning="networks held in memory at once", low=0, why="0: sized from the memory budget")


def _dtype():
    return setting("float64", meaning="the networks' floating-point type", choices=DTYPES)


def _input_scales():
    return setting((1.0, 10.0), meaning="||x|| / sqrt(d) of the fixed inputs (x_0 first)", count=2, above=0,
                   rule=(lambda scales: scales[0] == 1.0, "start with 1.0 (x_0, the reference input, has norm "
                                                           "sqrt(d))"))


@dataclass(frozen=True)
class JacobianSettings(Settings):
    """Theorem 4.1: every activation x width x depth x bias variance is one configuration per architecture.

    Activations are (u, v, sigma_w2) zipped; a single value applies to every activation.
    """

    networks: int = _networks(1024, 4, "the rank correlation and the two-input comparison split the networks")
    chunk: int = _chunk(32)
    dtype: str = _dtype()
    input_scales: tuple[float, ...] = _input_scales()
    d: int = setting(32, meaning="input dimension", low=1)
    K: int = setting(32, meaning="output dimension", low=1)
    N: tuple[int, ...] = setting((512,), meaning="widths (units per hidden layer)", low=1, distinct=True)
    L: tuple[int, ...] = setting((4,), meaning="depths (hidden layers)", low=1, distinct=True)
    sigma_b2: tuple[float, ...] = setting((0.01,), meaning="bias variances", low=0)
    u: tuple[float, ...] = setting((1.0, 1.0), meaning="the activation's slope for positive inputs, per activation")
    v: tuple[float, ...] = setting((0.0, 0.5), meaning="the activation's slope for negative inputs, per activation")
    sigma_w2: tuple[float, ...] = setting((2.0, 1.5), meaning="weight variance, per activation", above=0)
    #: the cross term of a residual network grows with sigma_b2 (``theory.papers.meanfield.residual_bias``) and as
    #: sigma_w2 falls (18% of Var a at sigma_w2 = 0.5, sigma_b2 = 0.1, L = 4; 7% at sigma_w2 = 2)
    bias_sigma_b2: tuple[float, ...] = setting(
        (0.1,), meaning="more bias variances at which the bias-variance claims are judged, at the first "
                        "configuration", low=0, count=0)
    bias_weight_variance: float = setting(0.5, meaning="the weight variance sigma_w2 of those configurations", low=0,
                                          why="0: the first configuration's")
    ladder: tuple[int, ...] = _ladder((64, 128, 256, 512), "each configuration at each width; a width in N shares "
                                                           "its job")

    def check(self) -> None:
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

    def ladders(self, specs: list[NetworkSpec]) -> list[Sweep]:
        """Each configuration on the ladder of widths: a Sweep whose theory is evaluated at the widest rung."""
        return [Sweep.widest(tuple(replace(spec, N=n) for n in self.ladder)) for spec in specs]

    def width_sweeps(self, arch: str, low: int) -> list[Sweep]:
        """Each configuration beside its twin at width min(low, N // 2): a Sweep judged at the configured N."""
        return [Sweep((replace(spec, N=min(low, spec.N // 2)), spec), at=1) for spec in self.specs(arch)
                if spec.N >= 2]


def _theorem_size(default: int, meaning: str):
    return setting(default, meaning=meaning, low=0, why="0: the Theorem 4.1 configuration's")


@dataclass(frozen=True)
class FigureSettings(Settings):
    """The Theorem 4.1 figures: histograms at the last Theorem 4.1 configuration, and depth and width sweeps
    (their sizes 0 take the Theorem 4.1 verdicts' value, so the figures show what was judged)."""

    networks: int = _networks(48, 2, "an interval needs two networks")
    chunk: int = _chunk(0)
    dtype: str = _dtype()
    input_scales: tuple[float, ...] = _input_scales()
    d: int = _theorem_size(0, "input dimension of the sweeps")
    K: int = _theorem_size(0, "output dimension of the width sweep and the histograms")
    N: int = _theorem_size(0, "width of the depth sweep")
    depth_K: int = _theorem_size(0, "output dimension of the depth sweep")
    depths: tuple[int, ...] = setting((1, 2, 3, 4, 6, 8), meaning="depths of the depth sweep", low=1, distinct=True)
    width_L: int = setting(4, meaning="depth of the width sweep", low=1)
    widths: tuple[int, ...] = setting((32, 64, 128, 256, 512), meaning="widths of the width sweep", low=1,
                                      distinct=True)


def _trend_rows(what: str):
    return (lambda rows: all(lo < hi for _, lo, hi in rows), f"list rows ({what}) with low < high")


@dataclass(frozen=True)
class GaussianSettings(Settings):
    """Operator norms of Gaussian matrices: shapes (K, d) for Chevet and the tails, for the seed values, and
    (K, d_lo, d_hi) / (d, K_lo, K_hi) pairs for the dimension trends.

    The seed values in their regimes: ``k1_dims`` are the d at which beta_{2,2} = 1 is judged at K = 1 (up to the
    paper's d = 1000) and ``k_map`` the (K, d) where it stops holding as K grows; ``limit_dims`` x
    ``limit_outputs`` the K grid over which the p = 1 values are judged as K -> oo limits (at its largest K).
    Those designs compute only the claim's own pair, so a wide shape costs one norm.
    """

    matrices: int = setting(2000, meaning="Gaussian matrices per shape", low=2, why="an interval needs two matrices")
    beta_shapes: tuple[tuple[int, int], ...] = setting(((3, 10), (1, 16), (8, 12)), low=1,
                                                       meaning="(K, d) shapes of Chevet's bound and the tails")
    seed_shapes: tuple[tuple[int, int], ...] = setting(tuple((K, d) for K in (2, 4, 8) for d in (2, 4, 8, 16)),
                                                       meaning="(K, d) shapes of the seed values", low=1)
    d_trends: tuple[tuple[int, int, int], ...] = setting(((4, 4, 16),), meaning="(K, d_lo, d_hi): trends in d",
                                                         low=1, rule=_trend_rows("K, d_lo, d_hi"))
    K_trends: tuple[tuple[int, int, int], ...] = setting(((8, 2, 8),), meaning="(d, K_lo, K_hi): trends in K",
                                                         low=1, rule=_trend_rows("d, K_lo, K_hi"))
    k1_dims: tuple[int, ...] = setting((2, 16, 128, 1000), meaning="d at which beta_{2,2} = 1 is judged at K = 1",
                                       low=1, distinct=True)
    k_map: tuple[tuple[int, int], ...] = setting(tuple((K, 1000) for K in (1, 2, 4, 8)), low=1,
                                                 meaning="(K, d) where beta_{2,2} = 1 stops holding as K grows")
    limit_dims: tuple[int, ...] = setting((4,), meaning="d of the K -> oo limits (p = 1)", low=1, distinct=True)
    limit_outputs: tuple[int, ...] = setting((4, 64, 1024, 8192), meaning="K grid of the K -> oo limits (judged at "
                                             "the largest)", low=1, count=2, increasing=True)


#: the largest side whose 2^(side - 1) sign vectors ``opnorm`` enumerates by default (2^16 vertices)
EXACT_SIDE = 17


@dataclass(frozen=True)
class NormSettings(Settings):
    """Theorem 5.1 at the network level: the first Theorem 4.1 configuration at this d and K (every (oo, .) norm
    is exact by enumeration up to d = 17)."""

    d: int = setting(12, meaning="input dimension", low=1, high=EXACT_SIDE,
                     why="||J||_{oo->2} enumerates 2^(d-1) sign vectors: exact up to 17")
    K: int = setting(4, meaning="output dimension", low=1, high=EXACT_SIDE,
                     why="||J||_{2->1} enumerates 2^(K-1) sign vectors: exact up to 17")
    networks: int = _networks(128, 2, "an interval needs two networks")
    inputs: int = setting(16, meaning="inputs for the sup-over-x gap", low=1)
    pgd_networks: int = setting(48, meaning="networks attacked by PGD", low=1)
    pgd_steps: int = setting(20, meaning="PGD steps", low=1)
    pgd_restarts: int = setting(8, meaning="PGD restarts", low=1)
    eps_fraction: float = setting(0.1, meaning="eps_p = eps_fraction * ||x_0||_p", above=0)
    reference_matrices: int = setting(4000, meaning="Gaussian reference sample for the network-level ratio", low=2,
                                      why="an interval needs two matrices")
    chunk: int = _chunk(0)
    dtype: str = setting("float64", meaning="the floating-point type of the Jacobians whose norms are taken (PGD's "
                                            "values and the certificates are always float64)", choices=DTYPES)
    certificate_networks: int = setting(8, meaning="PGD networks whose segments x_0 -> x_0 + eta* are walked (the "
                                                   "step-1 certificate)", low=1)
    ladder: tuple[int, ...] = _ladder((64, 128, 256, 512, 1024), "norms only, no attack")
    ladder_networks: int = _networks(512, 10, "r_inf's interval resamples the networks within each rung: fewer than "
                                                  "10 leave too few distinct resamples to trust")


@dataclass(frozen=True)
class DynamicsSettings(Settings):
    """Training dynamics (THEORY.md section 4): bias-free ReLU networks, K = 1, l2 PGD.

    Each design is a list of ``TrainingSetup``s: ``map`` is the regime map (widths x learning rates x regimes)
    for the ODE and the Euler identity; ``width`` the initial rate over widths; ``beta_d`` / ``beta_K`` the
    initial rate over d (K = 1) or K (p = 1, q = oo); ``depths`` adversarial training then clean gradients over
    depth, from criticality for vanilla nets; ``capacity`` adds clean training from both weights;
    ``depths_width`` / ``capacity_width`` are those at ``narrow_width`` and at N (same eta, eps, steps), whose N
    setups are the ``depths`` / ``capacity`` ones (shared jobs): a narrow second width is the cheap one.  At depth
    L the depth designs train the capacity setup itself (one job for both; its networks are that job's).
    """

    networks: int = _networks(64, 2, "an interval needs two networks")
    d: int = setting(16, meaning="input dimension", low=1)
    L: int = setting(4, meaning="depth", choices=EXPLICIT_RESIDUAL_DEPTHS,
                     why="where dsolve gives the residual r(t) explicitly")
    N: int = setting(128, meaning="width", low=1)
    eps: float = setting(0.5, meaning="l2 radius; the l_oo radius is eps / sqrt(d) (the same l2 size at the ball's "
                                      "vertices)", above=0)
    inputs: int = setting(16, meaning="inputs per step (population) or dataset size", low=1)
    pgd_steps: int = setting(3, meaning="steps of the inner PGD", low=1)
    sigma_w2: tuple[tuple[str, float], ...] = setting(
        (("vanilla", 3.0), ("residual", 1.0)), meaning="(architecture, weight variance): r0 != 1, so the exponents "
        "differ", above=0, rule=(lambda pairs: sorted(arch for arch, _ in pairs) == sorted(ARCHITECTURES),
                                 f"give one value per architecture ({', '.join(ARCHITECTURES)})"))
    map_widths: tuple[int, ...] = setting((32, 128), meaning="widths of the regime map", low=1, distinct=True)
    map_etas: tuple[float, ...] = setting((0.002, 0.02), meaning="learning rates of the regime map", above=0,
                                          distinct=True)
    regimes: tuple[str, ...] = setting(("population", "dataset"), meaning="regimes of the regime map",
                                       choices=REGIMES)
    horizon: int = setting(20, meaning="steps of the regime map", low=1)
    rate_eta: float = setting(0.002, meaning="learning rate of the initial-rate designs", above=0)
    rate_steps: int = setting(2, meaning="steps of the initial-rate designs", low=1)
    widths: tuple[int, ...] = setting((32, 64, 128, 256), meaning="widths of the initial rate's slope", low=1,
                                      count=2, distinct=True, why="a slope needs two")
    beta_dims: tuple[int, ...] = setting((8, 32), meaning="d of the initial rate over d (K = 1)", low=1,
                                         distinct=True)
    beta_outputs: tuple[int, ...] = setting((1, 4), meaning="K of the initial rate over K (p = 1, q = oo)", low=1,
                                            distinct=True)
    depths: tuple[int, ...] = setting((2, 4, 8), meaning="depths of the depth designs", low=1, count=2,
                                      distinct=True, why="a slope needs two")
    train_eta: float = setting(0.05, meaning="learning rate of the depth and capacity designs", above=0)
    train_steps: int = setting(40, meaning="adversarial steps of the depth and capacity designs", low=1)
    clean_steps: int = setting(100, meaning="clean training steps of the capacity designs", low=1)
    clean_lr: float = setting(0.2, meaning="the clean task's step, a fraction of each network's initial Polyak "
                                           "step", above=0)
    narrow_N: int = setting(0, meaning="the second, smaller width of the width-alleviation designs", low=0,
                            why="0: N // 4")

    def check(self) -> None:
        if not 1 <= self.narrow_width < self.N:
            raise ValueError(f"dynamics.narrow_N must lie in [1, dynamics.N = {self.N}) (0: N // 4), got "
                             f"{self.narrow_N}")
        for arch in ARCHITECTURES:
            for design in DynamicsDesign:
                self.design(design, arch)

    @property
    def narrow_width(self) -> int:
        """The narrow width of the width-alleviation designs: ``narrow_N``, or N // 4 when it is 0."""
        return self.narrow_N or self.N // 4

    def design(self, design: DynamicsDesign, arch: str, p=2, q=2) -> list:
        """The points of one design (``designs.dynamics_points``)."""
        return dynamics_points(self, design, arch, p, q)


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


def _exact_size(name: str, default: int, meaning: str):
    return setting(default, meaning=meaning, low=1, high=EXACT_LIMITS[name],
                   why="the MILP's time grows exponentially with the network")


@dataclass(frozen=True)
class ExactSettings(Settings):
    """Theorem 5.1's first step against the exact adversarial loss (a MILP per network, ``numerics.papers.
    meanfield.milp``): ``networks`` networks of the first Theorem 4.1 activation at these small sizes, one input
    x_0 (||x_0||_2 = sqrt(d)), eps_p = eps_fraction ||x_0||_p, PGD with ``pgd_steps`` x ``pgd_restarts``, and
    ``matrices`` Gaussian K x d matrices for beta_{p,q} of the mean-field bound."""

    networks: int = setting(8, meaning="networks (one MILP each)", low=1)
    d: int = _exact_size("d", 6, "input dimension")
    K: int = _exact_size("K", 2, "output dimension")
    N: int = _exact_size("N", 12, "width")
    L: int = _exact_size("L", 2, "depth")
    eps_fraction: float = setting(0.1, meaning="eps_p = eps_fraction * ||x_0||_p", above=0)
    pgd_steps: int = setting(20, meaning="PGD steps", low=1)
    pgd_restarts: int = setting(8, meaning="PGD restarts", low=1)
    matrices: int = setting(2000, meaning="Gaussian K x d matrices for beta_{p,q}", low=2,
                            why="beta_{p,q} is a mean over matrices")


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
