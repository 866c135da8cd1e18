"""The mean-field experiments' training configurations and how a claim's design chooses them (torch-free).

``TrainingSetup`` is one adversarial-training configuration of ``meanfield.dynamics``; ``dynamics_points`` turns
the dynamics settings and a ``DynamicsDesign`` (the claim's, from ``theory.papers.meanfield.designs``) into the
points judged: setups, or Sweeps of them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from numerics.experiment import Sweep, design_of
from numerics.orders import norm_order
from numerics.settings_fields import Settings, setting
from theory.papers.meanfield.designs import DynamicsDesign
from theory.papers.meanfield.spec import NetworkSpec

if TYPE_CHECKING:
    from numerics.papers.meanfield.settings import DynamicsSettings

Regime = Literal["population", "dataset"]
REGIMES: tuple[Regime, ...] = ("population", "dataset")


@dataclass(frozen=True)
class TrainingSetup(Settings):
    """One adversarial-training experiment: the network and how it is trained."""

    spec: NetworkSpec = setting(meaning="the network (bias-free ReLU)")
    eta: float = setting(meaning="learning rate of gradient descent on W", above=0)
    eps: float = setting(meaning="radius of the l_p ball of the inner maximisation", above=0)
    steps: int = setting(meaning="gradient steps", low=1)
    p: float = setting(2, meaning="the perturbation norm (inf: l_oo)", low=1, finite=False)
    q: float = setting(2, meaning="the output norm (inf: l_oo)", low=1, finite=False)
    regime: Regime = setting("population", meaning="fresh inputs every step, or one dataset", choices=REGIMES)
    inputs: int = setting(16, meaning="inputs per step (population) or the dataset's size (dataset)", low=1)
    pgd_steps: int = setting(4, meaning="steps of the inner PGD", low=1)
    pgd_restarts: int = setting(1, meaning="restarts of the inner PGD", low=1)
    clean_steps: int = setting(0, meaning="> 0: also train the clean task from the initial and the final weights "
                                          "(capacity)", low=0)
    clean_lr: float = setting(0.2, meaning="the clean task's step, a fraction of each network's initial Polyak "
                                           "step", above=0)
    clean_inputs: int = setting(64, meaning="inputs of the clean task", low=1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", norm_order(self.p))
        object.__setattr__(self, "q", norm_order(self.q))
        super().__post_init__()

    def as_dict(self) -> dict:
        out = asdict(self)
        out["spec"] = self.spec.as_dict()
        out["p"], out["q"] = ("oo" if x == float("inf") else int(x) for x in (self.p, self.q))
        return out

    def values(self) -> dict:
        """Substitution map for theory expressions: the spec's symbols, eta, eps and t = steps."""
        from theory.symbols import eps, eta, t  # SymPy: not at import, the settings are read before it loads

        return {**self.spec.values(), eta: self.eta, eps: self.eps, t: self.steps}


def spec(settings: DynamicsSettings, arch: str, critical: bool = False, **changes) -> NetworkSpec:
    """A bias-free ReLU spec; ``critical`` starts vanilla nets at omega = 1 (sigma_w2 = 2)."""
    sigma_w2 = 2.0 if critical and arch == "vanilla" else dict(settings.sigma_w2)[arch]
    values = {"d": settings.d, "K": 1, "N": settings.N, "L": settings.L, "sigma_w2": sigma_w2, **changes}
    return NetworkSpec(arch=arch, sigma_b2=0.0, **values)


def setup(settings: DynamicsSettings, spec: NetworkSpec, eta: float, steps: int, p=2, q=2,
          **changes) -> TrainingSetup:
    """A setup of the settings' radius, inputs and PGD (l_oo balls of the same l2 size at the vertices)."""
    p, q = norm_order(p), norm_order(q)
    radius = settings.eps / math.sqrt(spec.d) if p == math.inf else settings.eps
    return TrainingSetup(spec, eta=eta, eps=radius, steps=steps, p=p, q=q, inputs=settings.inputs,
                         pgd_steps=settings.pgd_steps, pgd_restarts=2 * spec.K if q == math.inf else 1, **changes)


def dynamics_points(settings: DynamicsSettings, design: DynamicsDesign, arch: str, p=2, q=2) -> list:
    """The points of one design: setups, or a Sweep of setups judged as one point (its middle one's values)."""
    design = design_of(DynamicsDesign, design, "dynamics")
    at = lambda **changes: spec(settings, arch, **changes)  # noqa: E731
    rate = {"eta": settings.rate_eta, "steps": settings.rate_steps}
    train = {"eta": settings.train_eta, "steps": settings.train_steps}
    capacity = {"clean_steps": settings.clean_steps, "clean_lr": settings.clean_lr, **train}
    widths = (settings.narrow_width, settings.N)

    def trained(depth: int) -> dict:
        """The depth designs' training; at the capacity designs' depth their setup itself, so that the two share
        one job (training the clean task too, from copies, changes no adversarial-training number)."""
        return capacity if depth == settings.L else train

    def sweep(setups: list) -> Sweep:
        return Sweep(tuple(setups), at=len(setups) // 2)

    match design:
        case DynamicsDesign.MAP:
            return [setup(settings, at(N=n), step, settings.horizon, regime=regime)
                    for n in settings.map_widths for step in settings.map_etas for regime in settings.regimes]
        case DynamicsDesign.WIDTH:
            return [sweep([setup(settings, at(N=n), **rate) for n in settings.widths])]
        case DynamicsDesign.BETA_D:
            return [setup(settings, at(d=dim), p=p, q=q, **rate) for dim in settings.beta_dims]
        case DynamicsDesign.BETA_K:
            return [setup(settings, at(K=k), p=p, q=q, **rate) for k in settings.beta_outputs]
        case DynamicsDesign.DEPTHS:
            return [sweep([setup(settings, at(critical=True, L=depth), **trained(depth)) for depth in settings.depths])]
        case DynamicsDesign.CAPACITY:
            return [setup(settings, at(critical=True), **capacity)]
        case DynamicsDesign.DEPTHS_WIDTH:  # the depths at each width; the theory side at N's middle depth
            depths = settings.depths
            return [Sweep(tuple(setup(settings, at(critical=True, N=n, L=depth), **trained(depth))
                                for n in widths for depth in depths), at=len(depths) + len(depths) // 2)]
        case DynamicsDesign.CAPACITY_WIDTH:
            return [Sweep(tuple(setup(settings, at(critical=True, N=n), **capacity) for n in widths), at=1)]
