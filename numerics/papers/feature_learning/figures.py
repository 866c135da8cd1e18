"""Li & Li's probes: the data behind the seed-002 figures, from the job the claims judge (the calibrated run).

- ``feature_learning.coefficients``: Gamma^u and Gamma^v (class mean of the best neuron's correlation) against the
  step, for standard and adversarial training, median and range over seeds;
- ``feature_learning.radius``: robust accuracy against the radius for both trainings, under the strong evaluation
  and under AT's own one-step attack, with the predicted thresholds beta / sqrt(D) (ST) and alpha / 2 (u alone).
"""
from __future__ import annotations

from numerics.experiment import Probe, register_probe
from numerics.papers.feature_learning.experiments import TRAININGS
from numerics.papers.feature_learning.settings import PATCHES
from numerics.stats import median_range
from theory.papers.feature_learning.model import ROBUST_LIMIT, THRESHOLDS, D, alpha, beta


def _points(profile) -> list:
    return [(PATCHES, run) for run in profile[PATCHES].runs()]


def _setting(config) -> dict:
    return {"k": config.k, "D": config.D, "P": config.P, "m": config.m, "q": config.q, "alpha": config.alpha,
            "beta": config.beta, "eps": config.eps, "eta": config.eta, "steps": config.steps, "seeds": config.seeds,
            "n_test": config.n_test, "pgd_steps": config.pgd_steps, "pgd_restarts": config.pgd_restarts}


def coefficient_curves(samples: list, profile, verdicts: list) -> dict:
    (sample,) = samples
    curves = {name: {feature: median_range(trace[i].max(-1).mean(-1)) for feature, trace in (("u", sample.A),
                                                                                    ("v", sample.B))}
              for i, name in enumerate(TRAININGS)}
    return {"step": list(range(sample.A.shape[1])), "curves": curves, **_setting(sample.config)}


def radius_curves(samples: list, profile, verdicts: list) -> dict:
    (sample,) = samples
    config = sample.config
    curves = {name: {attack: median_range(sample.robust[attack][i]) for attack in ("strong", "training")}
              for i, name in enumerate(TRAININGS)}
    return {"radii": sample.radii.tolist(), "curves": curves,
            "threshold": float(THRESHOLDS["nonrobust"].subs({beta: config.beta, D: config.D})),
            "robust_limit": float(ROBUST_LIMIT.subs(alpha, config.alpha)), **_setting(config)}


register_probe(Probe("feature_learning.coefficients", _points, coefficient_curves))
register_probe(Probe("feature_learning.radius", _points, radius_curves))
