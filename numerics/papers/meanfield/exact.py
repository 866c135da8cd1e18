"""``meanfield.exact``: the exact adversarial loss of small networks (MILP) between PGD and the first step of
Theorem 5.1, with the mean-field bound reported beside it.

Per network and (p, q) in {1, oo}^2, at one input x_0 and eps_p = eps_fraction ||x_0||_p:
  PGD (the project's attack, float64)  <=  L_adv in [L^-, L^+] (``milp.exact_adv_loss``)
  <=  eps max_k ||J_k||_{p->q} over the linear pieces along x_0 + t eta* (``segments``, H1's walk)
and, in the mean-field limit, eps beta_{p,q} sqrt(omega^L) with beta_{p,q} = E||G||_{p->q} / sqrt(d) from a
Gaussian reference sample.  The estimator turns the sandwich into one certificate statistic per claim.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from numerics import stats
from numerics.attacks import pgd
from numerics.device import one_thread
from numerics.estimate import Estimate
from numerics.experiment import estimator, register_experiment
from numerics.opnorms import norm_order, vector_norm
from numerics.papers.meanfield.experiments import NetworkExperiment, _spec_label
from numerics.papers.meanfield.milp import ZERO, exact_adv_loss
from numerics.papers.meanfield.networks import sample_networks
from numerics.papers.meanfield.samples import fixed_inputs, sample_gaussian_norms
from numerics.papers.meanfield.segments import local_bound, segment_pieces
from numerics.papers.meanfield.settings import EXACT, ExactSettings, exact_spec
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec

#: the (p, q) the MILP handles
EXACT_PAIRS = tuple((p, q) for p in (1.0, float("inf")) for q in (1.0, float("inf")))


@dataclass(frozen=True)
class PairResult:
    """One (p, q) over the B networks."""

    eps: float
    pgd: np.ndarray  # (B,) PGD's best ||f(x_0 + eta) - f(x_0)||_q (float64)
    lower: np.ndarray  # (B,) the MILP's certified value L^-
    upper: np.ndarray  # (B,) its dual bound L^+
    local: np.ndarray  # (B,) eps max_k ||J_k||_{p->q} along the segment to the MILP's maximiser
    pieces: np.ndarray  # (B,) linear pieces on that segment
    binaries: np.ndarray  # (B,) binaries of the largest MILP solved
    gaussian_mean: float  # E||G||_{p->q} over the reference matrices
    seconds: np.ndarray  # (B,) MILP seconds per network


@dataclass(frozen=True)
class ExactSample:
    spec: NetworkSpec
    pairs: dict  # (p, q) -> PairResult
    pgd_steps: int
    pgd_restarts: int
    matrices: int
    seconds: float

    @property
    def units(self) -> int:
        """Independent sampling units: networks."""
        return next(iter(self.pairs.values())).pgd.size


def sample_exact(spec: NetworkSpec, settings: ExactSettings, draws: Draws, progress=None) -> ExactSample:
    """PGD, the exact loss and the segment's local bound for every network and pair (one shared input x_0)."""
    with one_thread():  # tiny networks: a second torch thread only adds contention
        return _sample_exact(spec, settings, draws, progress)


def _sample_exact(spec: NetworkSpec, settings: ExactSettings, draws: Draws, progress) -> ExactSample:
    start = time.perf_counter()
    B = settings.networks
    x0 = fixed_inputs(spec.d, [1.0], draws.child("inputs"))[0]
    net = sample_networks(spec, B, draws)
    origin = x0.expand(B, -1)
    gaussian = sample_gaussian_norms(spec.K, spec.d, settings.matrices, draws.child("gaussian"))
    pairs = {}
    for p, q in EXACT_PAIRS:
        eps = settings.eps_fraction * float(vector_norm(x0, p))
        name = f"{p:g}_{q:g}"
        attack = pgd(net, origin, eps, p, q, steps=settings.pgd_steps, restarts=settings.pgd_restarts,
                     draws=[draws.child(f"pgd/{name}/{i}") for i in range(B)])
        exact = []
        for i in range(B):
            exact.append(exact_adv_loss(net, x0, eps, p, q, index=i))
            if progress is not None:
                progress(1)
        eta = torch.as_tensor(np.stack([e.eta for e in exact]), dtype=x0.dtype, device=x0.device)
        pieces = segment_pieces(net, origin, eta)
        local = local_bound(pieces, p, q, eps)  # exact norms at d <= 8 (settings.EXACT_LIMITS): no search
        pairs[(p, q)] = PairResult(
            eps=eps, pgd=attack.value.cpu().numpy(), lower=np.array([e.value for e in exact]),
            upper=np.array([e.upper for e in exact]), local=local.cpu().numpy(),
            pieces=pieces.counts.cpu().numpy(), binaries=np.array([e.binaries for e in exact]),
            gaussian_mean=float(gaussian.values[(p, q)].mean()), seconds=np.array([e.seconds for e in exact]))
    return ExactSample(spec, pairs, settings.pgd_steps, settings.pgd_restarts, settings.matrices,
                       time.perf_counter() - start)


class ExactExperiment(NetworkExperiment):
    """The exact adversarial loss of ``networks`` small networks, PGD, and the segment's local bound."""

    name = EXACT
    Settings = ExactSettings

    def points(self, claim, profile) -> list:
        return [exact_spec(claim.arch, profile)]

    def draw(self, config, settings, draws, progress=None):
        return sample_exact(config, settings, draws, progress)

    def label(self, config, settings) -> str:
        return f"exact L_adv (MILP) and PGD of {settings.networks} networks ({_spec_label(config)})"

    def size(self, config, settings) -> int:
        return settings.networks * len(EXACT_PAIRS)


register_experiment(ExactExperiment())


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, with 0/0 = 0 (a network whose output does not move) and x/0 = inf for x > 0."""
    zero = denominator <= ZERO
    safe = np.where(zero, 1.0, denominator)
    return np.where(zero, np.where(numerator <= ZERO, 0.0, np.inf), numerator / safe)


@estimator(EXACT)
def exact_sandwich(sample: ExactSample, p, q, prefactor: float) -> Estimate:
    """max over networks of max(PGD / L^+, L^- / (eps max_k ||J_k||_{p->q})): at most 1 on every network.

    A certificate, not an estimate: the interval is the statistic itself.  Figures: how good PGD is (PGD / L_adv,
    mean and min), the local bound's and the mean-field bound's slack, and the MILP's seconds.
    ``prefactor`` is sqrt(omega^L / d), so the mean-field bound is eps prefactor E||G||_{p->q}.
    """
    pair = sample.pairs[(norm_order(p), norm_order(q))]
    above, below = _ratio(pair.pgd, pair.upper), _ratio(pair.lower, pair.local)
    statistic = float(np.maximum(above, below).max())
    meanfield = pair.eps * prefactor * pair.gaussian_mean
    moving = pair.lower > ZERO  # PGD / L_adv is undefined on a network whose output does not move
    figures = {}
    if moving.any():
        quality = pair.pgd[moving] / pair.lower[moving]
        figures.update(pgd_over_exact_mean=float(quality.mean()), pgd_over_exact_min=float(quality.min()),
                       exact_over_local_mean=float(below[moving].mean()))
    figures.update({
        "max_pgd_over_exact_upper": float(above.max()), "max_exact_over_local": float(below.max()),
        "exact_over_meanfield_mean": float(pair.lower.mean() / meanfield),
        "local_over_meanfield_mean": float(pair.local.mean() / meanfield),
        "milp_relative_gap_max": float(_ratio(pair.upper - pair.lower, pair.upper).max()),
        "solve_seconds_mean": float(pair.seconds.mean()), "solve_seconds_max": float(pair.seconds.max()),
        "binaries_max": int(pair.binaries.max()), "pieces_mean": float(pair.pieces.mean()),
        "pgd_steps": sample.pgd_steps, "pgd_restarts": sample.pgd_restarts, "networks": pair.pgd.size,
        "gaussian_matrices": sample.matrices,
    })
    return Estimate(lambda delta: stats.Interval(statistic, statistic, statistic, 0.0, delta), pair.pgd.size,
                    figures=figures)
