"""Lyu & Zhu's probes: the data behind the seed-003 figures, from the same runs the claims judge (the jobs are
shared, nothing is trained twice).

- ``implicit_bias.direction``: 1 - cos(w_prod, l2-SVM) against steps, adversarial against clean training
  (constant steps), and the normalised-step runs with the limit claim's threshold;
- ``implicit_bias.margins``: the normalised adversarial margin min_i q_i / ||theta||^3 of the relu^2 nets and its
  smoothed version -log(sum_i e^{-q_i}) / ||theta||^3 (the one the monotonicity claim judges) against steps.
Each curve is the median over seeds with the range over seeds.
"""
from __future__ import annotations

import warnings

import numpy as np

from numerics.experiment import Probe, register_probe
from numerics.papers.implicit_bias.estimators import normalized_margins
from numerics.papers.implicit_bias.references import one_minus_cos
from numerics.papers.implicit_bias.settings import DEEP_LINEAR, HOMOGENEOUS
from theory.papers.implicit_bias.designs import LinearDesign, Norm


def _band(values: np.ndarray) -> dict:
    """Median and range over seeds (axis 1) per checkpoint, ignoring NaN (a checkpoint with none is NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN checkpoints
        return {"median": np.nanmedian(values, 1).tolist(), "low": np.nanmin(values, 1).tolist(),
                "high": np.nanmax(values, 1).tolist()}


def _direction_points(profile) -> list:
    settings = profile[DEEP_LINEAR]
    return [(DEEP_LINEAR, run) for design in (LinearDesign.RATE, LinearDesign.L2) for run in settings.runs(design)]


def direction_curves(samples: list, profile, verdicts: list) -> dict:
    """Per run and fraction of the margin: 1 - cos to each seed's l2-SVM direction at every checkpoint."""
    curves = []
    for sample in samples:
        config, E = sample.config, len(sample.config.fractions)
        svm = np.stack([ref.w for ref in sample.references["l2_svm"]])
        for k, fraction in enumerate(config.fractions):
            w = sample.trace.w[:, k::E]  # (C, S): run b = seed * E + k
            curves.append({"L": config.L, "schedule": config.schedule, "eps_over_gamma": fraction,
                           "steps": sample.trace.steps.tolist(), **_band(one_minus_cos(w, svm[None]))})
    threshold = next((v.configs[0]["theory"] for v in verdicts if v.claim_id == "implicit_bias.dln.l2.direction"), None)
    first = samples[0].config
    return {"curves": curves, "threshold": threshold, "seeds": first.seeds, "n": first.n, "d": first.d,
            "data": first.data}


def _margin_points(profile) -> list:
    settings = profile[HOMOGENEOUS]
    return [(HOMOGENEOUS, run) for norm in Norm for run in settings.runs(norm)]


def margin_curves(samples: list, profile, verdicts: list) -> dict:
    """Per attack: the normalised and smoothed margins at every checkpoint (``margins.NORMALIZED_MARGIN``,
    ``margins.SMOOTHED_MARGIN``)."""
    curves = []
    for sample in samples:
        trace = sample.trace
        log_sum, margin, smoothed = normalized_margins(sample)
        smoothed = np.where(log_sum < 0, smoothed, np.nan)  # a margin only from t_0 on (sum_i e^{-q_i} < 1)
        curves.append({"attack": sample.config.attack, "eps": sample.config.eps, "steps": trace.steps.tolist(),
                       **_band(margin), "smoothed": _band(smoothed)})
    first = samples[0].config
    return {"curves": curves, "seeds": first.seeds, "width": first.width, "n": first.n, "d": first.d,
            "data": first.data, "eta": first.eta}


register_probe(Probe("implicit_bias.direction", _direction_points, direction_curves))
register_probe(Probe("implicit_bias.margins", _margin_points, margin_curves))
