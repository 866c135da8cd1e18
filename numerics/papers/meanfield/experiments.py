"""The mean-field paper's experiments, each with its settings (its profile section ``meanfield.<name>``).

- ``meanfield.jacobian``: J and a of many networks at fixed inputs (Theorem 4.1), over a grid of activations,
  widths, depths and bias variances;
- ``meanfield.gaussian``: operator norms of Gaussian K x d matrices (Chevet, tails, seed values, trends);
- ``meanfield.network_norms``: ||J(x)||_{p->q} over inputs and PGD's adversarial loss (Theorem 5.1);
- ``meanfield.dynamics``: adversarial training of bias-free networks (Section 6), in designs of setups;
- ``meanfield.figures``: the Theorem 4.1 figures' samples (fewer networks, the figures' own sizes).
The flat keys of ``atv run --set`` (``N``, ``networks``, ...) and the short section names (``dynamics.*``,
``norms.*``) are aliases registered here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch

from numerics.experiment import Experiment, Sweep, design_of, register_experiment
from numerics.opnorms import searched
from numerics.orders import PAIRS, pair_orders
from numerics.papers.meanfield.designs import TrainingSetup
from numerics.papers.meanfield.samples import (GAUSSIAN_CHUNK, attacked_copies, join_gaussian, join_jacobians,
                                               network_bytes, sample_gaussian_norms, sample_jacobians,
                                               sample_network_norms)
from numerics.papers.meanfield.settings import (DYNAMICS, FIGURES, GAUSSIAN, JACOBIAN, NORMS, DynamicsSettings,
                                                FigureSettings, GaussianSettings, JacobianSettings, NormSettings,
                                                norm_spec)
from numerics.papers.meanfield.training import join_runs, train_adversarial
from theory.papers.meanfield.designs import DynamicsDesign, GaussianDesign, JacobianDesign
from theory.papers.meanfield.network import NetworkSpec
from theory.symbols import K as K_symbol
from theory.symbols import d as d_symbol




@dataclass(frozen=True)
class Shape:
    """A K x d Gaussian matrix shape: the configuration of ``meanfield.gaussian``; ``pair`` ("2_2") when only
    that norm is computed (empty: all nine)."""

    K: int
    d: int
    pair: str = ""

    def values(self) -> dict:
        return {K_symbol: self.K, d_symbol: self.d}

    def pairs(self) -> tuple:
        """The (p, q) orders to compute."""
        if not self.pair:
            return PAIRS
        return (pair_orders(self.pair),)


def _spec_label(spec: NetworkSpec) -> str:
    return (f"{spec.arch}, d={spec.d}, K={spec.K}, N={spec.N}, L={spec.L}, sigma_w2={spec.sigma_w2:g}, "
            f"sigma_b2={spec.sigma_b2:g}" + ("" if (spec.u, spec.v) == (1.0, 0.0) else f", u={spec.u:g}, v={spec.v:g}"))


class NetworkExperiment(Experiment):
    """Experiments whose configuration is a NetworkSpec."""

    def values(self, config: NetworkSpec) -> dict:
        return config.values()

    def describe(self, config: NetworkSpec) -> dict:
        return config.as_dict()

    def magnitude(self, config: NetworkSpec) -> tuple:
        return (config.K * config.d, config.K)


class JacobianExperiment(NetworkExperiment):
    """J(x) and a(x) of ``networks`` networks at the fixed inputs.

    Claim params choose other configurations: ``K`` the first configuration at that output dimension (the paper's
    K = 1), ``low_width`` each configuration beside a narrower twin (a Sweep, for a trend in N), ``design`` =
    ``JacobianDesign.BIAS_VARIANCES`` the configurations plus the first one at each of the settings'
    ``bias_sigma_b2``; ``limit`` puts each chosen configuration on the settings' ladder of widths."""

    name = JACOBIAN
    Settings = JacobianSettings
    config_params = ("K", "low_width", "design")
    least_units = 4  # as JacobianSettings.networks: the rank correlation and the two-input law split the networks

    def points(self, claim, profile) -> list:
        settings, params = profile[self.name], dict(claim.params)
        if "K" in params:
            return [replace(settings.specs(claim.arch)[0], K=int(params["K"]))]
        if "low_width" in params:
            return settings.width_sweeps(claim.arch, int(params["low_width"]))
        specs = settings.specs(claim.arch)
        if "design" in params:
            match design_of(JacobianDesign, params["design"], self.name):
                case JacobianDesign.BIAS_VARIANCES:
                    specs = settings.bias_specs(claim.arch)
        return settings.ladders(specs) if "limit" in params else specs

    def draw(self, config, settings, draws, progress=None):
        return self.draw_part(config, settings, draws, 0, settings.networks, progress)

    def units(self, config, settings) -> int:
        return settings.networks

    def draw_part(self, config, settings, draws, first, count, progress=None):
        return sample_jacobians(config, count, settings.input_scales, draws, chunk=settings.chunk,
                                dtype=getattr(torch, settings.dtype), progress=progress, first=first)

    def join(self, parts: list):
        return join_jacobians(parts)

    def label(self, config, settings) -> str:
        return f"J and a of {settings.networks} networks ({_spec_label(config)})"

    def size(self, config, settings) -> int:
        return settings.networks

    def memory(self, config, settings) -> int:
        return network_bytes(config, len(settings.input_scales), getattr(torch, settings.dtype))


class FigureExperiment(JacobianExperiment):
    """The same sample for the figures, with their own (smaller) settings; points come from the probe."""

    name = FIGURES
    Settings = FigureSettings

    def points(self, claim, profile) -> list:
        raise ValueError(f"{self.name} serves figures only; no claim can read it")


class GaussianExperiment(Experiment):
    """||G||_{p->q} of Gaussian matrices for all nine pairs, or for the claim's pair (p, q) only; the claim's
    ``GaussianDesign`` chooses the shapes."""

    name = GAUSSIAN
    Settings = GaussianSettings
    config_params = ("design",)

    def points(self, claim, profile) -> list:
        settings, params = profile[self.name], dict(claim.params)
        pair = f"{params.get('p')}_{params.get('q')}"
        match design_of(GaussianDesign, params.get("design"), self.name):
            case GaussianDesign.BETA_SHAPES:
                return [Shape(K, d) for K, d in settings.beta_shapes]
            case GaussianDesign.SEED_SHAPES:
                return [Shape(K, d) for K, d in settings.seed_shapes]
            case GaussianDesign.TREND_D:
                return [Sweep((Shape(K, lo), Shape(K, hi))) for K, lo, hi in settings.d_trends]
            case GaussianDesign.TREND_K:
                return [Sweep((Shape(lo, d), Shape(hi, d))) for d, lo, hi in settings.K_trends]
            case GaussianDesign.K1_DIMS:
                return [Shape(1, d, pair) for d in settings.k1_dims]
            case GaussianDesign.K_MAP:
                return [Shape(K, d, pair) for K, d in settings.k_map]
            case GaussianDesign.LIMIT:  # judged at the largest K; the smaller ones give the regime boundary
                outputs = settings.limit_outputs
                return [Sweep(tuple(Shape(K, d, pair) for K in outputs), at=len(outputs) - 1)
                        for d in settings.limit_dims]

    def values(self, config: Shape) -> dict:
        return config.values()

    def describe(self, config: Shape) -> dict:
        """The shape (and its one pair, if only one is computed: all-pair jobs keep their earlier identity)."""
        return {key: value for key, value in asdict(config).items() if value != ""}

    def magnitude(self, config: Shape) -> tuple:
        return (config.K * config.d, config.K)

    grain = GAUSSIAN_CHUNK  # a stream per chunk of matrices

    def draw(self, config, settings, draws, progress=None):
        return self.draw_part(config, settings, draws, 0, settings.matrices, progress)

    def units(self, config, settings) -> int:
        return settings.matrices

    def draw_part(self, config, settings, draws, first, count, progress=None):
        sample = sample_gaussian_norms(config.K, config.d, count, draws, pairs=config.pairs(), first=first)
        if progress is not None:
            progress(count)
        return sample

    def join(self, parts: list):
        return join_gaussian(parts)

    def label(self, config, settings) -> str:
        which = f"{config.pair} norms" if config.pair else "norms"
        return f"{which} of {settings.matrices} Gaussian {config.K}x{config.d} matrices"

    def size(self, config, settings) -> int:
        return settings.matrices


@dataclass(frozen=True)
class NormPoint:
    """A configuration of ``meanfield.network_norms``: the networks' spec, and ``pair`` ("2_2") when only that
    pair is computed (empty: all nine)."""

    spec: NetworkSpec
    pair: str = ""
    #: a rung of the width ladder: ``ladder_networks`` networks, their norms at x_0 only (no attack, one input)
    rung: bool = False

    def pairs(self) -> tuple:
        return Shape(self.spec.K, self.spec.d, self.pair).pairs()


class NormExperiment(NetworkExperiment):
    """Jacobian operator norms of networks over inputs, with PGD values, the step-1 certificates of Theorem 5.1
    and a Gaussian reference.  A claim param ``K`` moves the networks to that output dimension (a seed value's
    regime) and computes the claim's own pair only; a claim param ``limit`` judges it on the settings' ladder of
    widths (one Sweep, the theory evaluated at the widest rung): rungs of norms only, or, with ``attacked_rungs``,
    the whole job (PGD, certificates) at each width."""

    name = NORMS
    Settings = NormSettings
    config_params = ("K", "attacked_rungs")

    def points(self, claim, profile) -> list:
        spec, params = norm_spec(claim.arch, profile), dict(claim.params)
        if "limit" in params:  # rungs of norms only, or (attacked_rungs) the full job with PGD at each width
            rung = not params.get("attacked_rungs", False)
            return [Sweep.widest(tuple(NormPoint(replace(spec, N=n), rung=rung) for n in profile[self.name].ladder))]
        if "K" not in params:
            return [NormPoint(spec)]
        return [NormPoint(replace(spec, K=int(params["K"])), f"{params['p']}_{params['q']}")]

    def values(self, config: NormPoint) -> dict:
        return config.spec.values()

    def describe(self, config: NormPoint) -> dict:
        """The spec (and its one pair, if only one is computed: all-pair jobs keep their earlier identity)."""
        return {**config.spec.as_dict(), **({"pair": config.pair} if config.pair else {}),
                **({"rung": True} if config.rung else {})}

    def magnitude(self, config: NormPoint) -> tuple:
        return super().magnitude(config.spec)

    def draw(self, config, settings, draws, progress=None):
        if config.rung:
            return sample_network_norms(config.spec, settings.ladder_networks, inputs=1, pgd_networks=0, pgd_steps=1,
                                        pgd_restarts=1, eps_fraction=settings.eps_fraction,
                                        gaussian_matrices=settings.reference_matrices, draws=draws,
                                        chunk=settings.chunk, progress=progress, pairs=config.pairs(),
                                        dtype=getattr(torch, settings.dtype))
        return sample_network_norms(config.spec, settings.networks, settings.inputs, settings.pgd_networks,
                                    settings.pgd_steps, settings.pgd_restarts, settings.eps_fraction,
                                    settings.reference_matrices, draws, chunk=settings.chunk, progress=progress,
                                    pairs=config.pairs(), certificate_networks=settings.certificate_networks,
                                    dtype=getattr(torch, settings.dtype))

    def label(self, config, settings) -> str:
        which = f"{config.pair} norms" if config.pair else "operator norms"
        if config.rung:
            return f"{which} of {settings.ladder_networks} networks, a rung of the ladder ({_spec_label(config.spec)})"
        return f"{which} and PGD of {settings.networks} networks ({_spec_label(config.spec)})"

    def size(self, config, settings) -> int:
        return settings.ladder_networks if config.rung else settings.networks

    def memory(self, config, settings) -> int:
        dtype = getattr(torch, settings.dtype)
        if config.rung:
            return network_bytes(config.spec, 1, dtype)
        return network_bytes(config.spec, settings.inputs, dtype, copies=attacked_copies(dtype))


class DynamicsExperiment(Experiment):
    """Adversarial training of ``networks`` networks from one setup."""

    name = DYNAMICS
    Settings = DynamicsSettings
    config_params = ("design", "p", "q")

    def points(self, claim, profile) -> list:
        params = dict(claim.params)
        return profile[self.name].design(design_of(DynamicsDesign, params.get("design"), self.name), claim.arch,
                                         params.get("p", 2), params.get("q", 2))

    def values(self, config: TrainingSetup) -> dict:
        return config.values()

    def describe(self, config: TrainingSetup) -> dict:
        return config.as_dict()

    def draw(self, config, settings, draws, progress=None):
        return train_adversarial(config, settings.networks, draws, progress=progress)

    least_units = 16  # early looks read interval tails: fewer networks make them wide to no purpose

    def units(self, config, settings) -> int | None:
        """The networks, unless the Jacobian norm's sign search draws its starts for the whole batch."""
        spec = config.spec
        return None if searched(config.p, config.q, spec.K, spec.d) else settings.networks

    def draw_part(self, config, settings, draws, first, count, progress=None):
        return train_adversarial(config, count, draws, progress=progress, first=first, total=settings.networks)

    def part_size(self, config, settings, count: int) -> int:
        return self.size(config, settings)  # its bar counts training steps, whatever the networks

    def join(self, parts: list):
        return join_runs(parts)

    def label(self, config, settings) -> str:
        return (f"adversarial training of {settings.networks} {config.spec.arch} networks (N={config.spec.N}, "
                f"L={config.spec.L}, eta={config.eta:g}, {config.regime})")

    def size(self, config, settings) -> int:
        return config.steps

    def memory(self, config, settings) -> int:
        """All networks train at once: at least their float64 weights and forward pass."""
        return settings.networks * network_bytes(config.spec, config.inputs, torch.float64)


for _experiment in (JacobianExperiment(), FigureExperiment(), GaussianExperiment(), NormExperiment(),
                    DynamicsExperiment()):
    register_experiment(_experiment)

