"""Li & Li's declared quantities (``theory.papers.feature_learning.quantities``) and their measurements: the paper
bounds are the theory's expressions, the bisection finds the closed-form threshold of a network that uses only v,
the sampled domain stays inside the model's regime, and each quantity's planted false twin is caught."""
from __future__ import annotations

import math

import pytest
import torch

from numerics.experiment import MEASURES
from numerics.papers.feature_learning.data import features
from numerics.papers.feature_learning.network import PatchCNN
from numerics.papers.feature_learning.quantities import (RELATIVE_TOLERANCE, TRAINING, class_inputs, smallest_fooling,
                                                         trained, trained_using_v)
from theory.papers import quantities
from theory.papers.feature_learning.model import MARGINS, THRESHOLDS
from theory.papers.feature_learning.quantities import FEATURE_RATIO, FOOLING_RADIUS, POWER
from verify.checker import check_bound
from verify.expr import parse

#: the calibrated configuration C* as a configuration of the quantities
C_STAR = {"k": 2, "log2D": 4, "P": 64, "alpha": 1.0, "beta": 0.4, "m": 32}
#: a narrow domain around C*, so a twin's search and shrinking take seconds
NEAR_C_STAR = {"k": (2, 2), "log2D": (3, 4), "P": (48, 64), "alpha": (1.0, 1.0), "beta": (0.4, 0.5), "m": (8, 8)}


def test_the_quantities_are_registered_and_measured():
    assert {FOOLING_RADIUS.id, FEATURE_RATIO.id} <= set(quantities())
    assert {FOOLING_RADIUS.id, FEATURE_RATIO.id} <= set(MEASURES)


def test_the_paper_bounds_are_the_theory_expressions():
    assert parse(FOOLING_RADIUS.bound.text, FOOLING_RADIUS.symbols) - THRESHOLDS["nonrobust"] == 0
    assert parse(FEATURE_RATIO.bound.text, FEATURE_RATIO.symbols) - MARGINS["usage"].rhs == 0


def test_the_declared_texts_name_the_training_the_measurements_run():
    assert TRAINING.q == POWER
    assert f"T = {TRAINING.steps} steps" in FEATURE_RATIO.meaning
    assert f"{TRAINING.steps} full-batch" in FEATURE_RATIO.cost


def test_the_constraints_are_the_race_margin_and_room_for_the_features():
    assert FOOLING_RADIUS.satisfies(C_STAR)
    assert not FOOLING_RADIUS.satisfies({**C_STAR, "P": 16, "beta": 0.3})  # R_learn = 0.43
    assert not FOOLING_RADIUS.satisfies({**C_STAR, "k": 4, "log2D": 2})  # 4 features among 3 Hadamard rows


@pytest.mark.parametrize("k, D", [(2, 16), (3, 8)])
def test_the_bisection_finds_the_threshold_of_a_network_that_uses_only_v(k, D):
    """w_{j,r} = v_j for every neuron: the closed-form threshold beta / sqrt(D) is exact, so the bisection must
    return it (from above, within its tolerance) for one input and for all."""
    alpha, beta, P, m = 1.0, 0.4, 32, 4
    U, V = (torch.as_tensor(F, dtype=torch.float64) for F in features(k, D))
    W = V.repeat_interleave(m, 0)[None]  # (1, k m, d)
    inputs = class_inputs(k, P, U, V, alpha, beta)
    threshold = beta / math.sqrt(D)
    for fooled in ("any", "all"):
        found = smallest_fooling(PatchCNN(k, m, 3, 1.0), W, inputs, V, 2 * threshold, fooled)
        assert threshold * (1 - 1e-12) <= found <= threshold * (1 + 2 * RELATIVE_TOLERANCE)


def test_the_measurements_are_deterministic_and_read_the_trained_network():
    config = {**C_STAR, "seed": 3}
    first, again = (MEASURES[FEATURE_RATIO.id](config, {"classes": "worst"}) for _ in range(2))
    assert first.value == again.value and first.values == again.values
    net = trained(config)
    gamma_u, gamma_v = net.trace.A[-1, 0].max(-1).values, net.trace.B[-1, 0].max(-1).values
    assert first.value == pytest.approx(float((gamma_u / gamma_v).max()), rel=1e-12)
    assert set(first.values) == set(FEATURE_RATIO.symbols.values())


def test_a_network_outside_the_usage_margin_is_redrawn_not_measured():
    """At this seed one class's neurons learn u (Gamma^u / Gamma^v = 0.5 > 1/3 for that class), a network the
    threshold is not derived for: the feature ratio reads it as drawn, the fooling radius redraws it."""
    config = {"k": 4, "log2D": 5, "P": 114, "alpha": 0.8, "beta": 0.3, "m": 8, "seed": 1}
    assert FOOLING_RADIUS.satisfies(config)
    as_drawn = trained(config)
    assert not as_drawn.uses_v()
    assert MEASURES[FEATURE_RATIO.id](config, {"classes": "worst"}).value > MARGINS["usage"].rhs
    redrawn = trained_using_v(config)
    assert redrawn.uses_v() and not torch.equal(redrawn.W, as_drawn.W)


@pytest.mark.slow
def test_planted_twin_of_the_fooling_radius_is_caught():
    """The threshold 1.25 beta / sqrt(D) is refuted even where every class input must be fooled (fooled=all), the
    reading under which beta / sqrt(D) itself survives near C*."""
    result = check_bound("1.25*beta/sqrt(D)", FOOLING_RADIUS.id, options={"fooled": "all"}, lower=True, examples=4,
                         domain=NEAR_C_STAR)
    assert result.found and result.ratio < 1
    assert result.config["seed"] == 0  # shrunk


@pytest.mark.slow
def test_planted_twin_of_the_feature_ratio_is_caught():
    """The digest's twin of C1, "ST learns the robust feature more" (Gamma^u >= 3 Gamma^v), is refuted at once."""
    result = check_bound("3", FEATURE_RATIO.id, lower=True, examples=4, domain=NEAR_C_STAR)
    assert result.found and result.observed < 1
    assert result.config["seed"] == 0
