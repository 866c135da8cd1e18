"""Gao et al.'s probes: the data behind the seed-004 figures, from the same jobs the claims judge.

- ``ntk_convergence.width``: the linearisation error (aligned, unit inputs) and D1's bound against the width, and
  the theorem's gap min_t L_A - L̂* against its accuracy eps(m) (D2);
- ``ntk_convergence.regret``: the linearised model's average regret against the horizon T, with R G / sqrt(T);
- ``ntk_convergence.lazy``: the unconstrained runs' distance from W_0, absolute and relative, against the width.
Each curve is the median over seeds with the range over seeds.
"""
from __future__ import annotations

import numpy as np

from numerics.backends import evaluate
from numerics.experiment import Probe, register_probe
from numerics.stats import median_range
from numerics.papers.ntk_convergence.estimators import _linearisation_bound, comparators, surrogate_bounds
from numerics.papers.ntk_convergence.settings import LINEARISATION, REGRET, TRAINING
from theory.papers.ntk_convergence.bounds import AVERAGE_REGRET_RATE, R, T, X, constants
from theory.papers.ntk_convergence.designs import TrainingDesign


def _width_points(profile) -> list:
    return [(LINEARISATION, run) for run in profile[LINEARISATION].runs()] + \
        [(TRAINING, run) for run in profile[TRAINING].runs(TrainingDesign.THEOREM)]


def width_curves(samples: list, profile, verdicts: list) -> dict:
    lin, training = samples
    unit = np.isclose(lin.norms, 1.0)
    bound = _linearisation_bound(lin, "theorem")[..., unit].mean(-1)  # (W, R): equal over unit inputs
    errors = [{"R": radius, "error": median_range(lin.aligned[:, :, r][..., unit].mean(-1).T),
               "bound": bound[:, r].tolist()} for r, radius in enumerate(lin.config.radii)]
    gap = training.loss.min(2) - comparators(training)[:, None, :]  # (W, A, S)
    accuracy = surrogate_bounds(training) - comparators(training)[:, None, :]
    attacks = [{"attack": attack, "gap": median_range(gap[:, a]), "accuracy": median_range(accuracy[:, a])}
               for a, attack in enumerate(training.config.attacks)]
    return {"widths": list(lin.config.widths), "errors": errors, "training_widths": list(training.config.widths),
            "attacks": attacks, "radius": training.config.radius, "delta": training.config.delta,
            "steps": training.config.steps, "seeds": lin.config.seeds}


def regret_curves(samples: list, profile, verdicts: list) -> dict:
    (sample,) = samples
    config = sample.config
    horizons = np.asarray(config.horizons, dtype=np.float64)
    average = (sample.played - sample.hindsight) / horizons[:, None]
    rate = evaluate(AVERAGE_REGRET_RATE.subs(constants("softplus")), {R: config.radius, T: horizons,
                                                                      X: 1 + config.delta})
    return {"horizons": list(config.horizons), "average": median_range(average), "rate": np.asarray(rate).tolist(),
            "width": config.width, "radius": config.radius, "seeds": config.seeds}


def lazy_curves(samples: list, profile, verdicts: list) -> dict:
    (sample,) = samples
    distance = sample.distance[:, 0]
    return {"widths": list(sample.config.widths), "distance": median_range(distance),
            "relative": median_range(distance / sample.init_norm), "alpha": sample.alpha, "steps": sample.config.steps,
            "seeds": sample.config.seeds}


register_probe(Probe("ntk_convergence.width", _width_points, width_curves))
register_probe(Probe("ntk_convergence.regret",
                     lambda profile: [(REGRET, run) for run in profile[REGRET].runs()], regret_curves))
register_probe(Probe("ntk_convergence.lazy",
                     lambda profile: [(TRAINING, run) for run in profile[TRAINING].runs(TrainingDesign.LAZY)],
                     lazy_curves))
