"""Seed 004 (Gao et al.): the numerics against SymPy and autograd, and every check against its planted twin
(shared/papers/seed004.md, section 3): each twin is run on real samples and must be VIOLATED."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
import torch

from numerics.backends import evaluate
from numerics.experiment import ESTIMATORS, EXPERIMENTS
from numerics.papers.ntk_convergence import estimators  # noqa: F401  (registers the experiments and estimators)
from numerics.papers.ntk_convergence import settings as cfg
from numerics.papers.ntk_convergence.adversary import perturb, strong_loss
from numerics.papers.ntk_convergence.networks import ACTIVATIONS, TwoLayer
from numerics.papers.ntk_convergence.training import project_ball
from numerics.random import Draws
from theory.papers.ntk_convergence import bounds
from theory.registry import REGISTRY
from theory.symbols import z
from verify.judge import check_config, estimator_arguments
from verify.profiles import get_profile
from verify.verdict import ConfigResult, Status

PROFILE = get_profile("quick")


def judged(claim, sample, **changes) -> Status:
    """The claim (with ``changes`` to its fields or params) judged on a sample, as a run would."""
    return judgement(claim, sample, **changes).status


def judgement(claim, sample, **changes) -> ConfigResult:
    """``judged``'s whole result: status, interval and reason."""
    params = dict(claim.params)
    params.update(changes.pop("params", {}))
    claim = dataclasses.replace(claim, params=tuple(params.items()), **changes)
    found = ESTIMATORS[claim.quantity]
    estimate = found(sample, **estimator_arguments(claim, found, {}))
    experiment = EXPERIMENTS[found.experiment]
    return check_config(claim, experiment, sample.config, estimate, PROFILE.delta, sample.units)


def draw(name: str, run, seed: int = 3):
    return EXPERIMENTS[name].draw(run, None, Draws(seed))


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_torch_activations_match_the_sympy_expressions(activation):
    grid = torch.linspace(-8, 8, 101, dtype=torch.float64)
    for order in range(3):
        expected = evaluate(sp.diff(bounds.ACTIVATIONS[activation], z, order), {z: grid.numpy()})
        np.testing.assert_allclose(ACTIVATIONS[activation](grid, order).numpy(), expected, rtol=1e-12, atol=1e-14)


def test_constants_are_the_exact_suprema():
    assert bounds.derivative_bounds("softplus") == (1, sp.Rational(1, 4))
    assert sp.simplify(bounds.derivative_bounds("tanh")[1] - 4 / (3 * sp.sqrt(3))) == 0
    assert bounds.loss_lipschitz() == 1
    assert sp.simplify(bounds.AVERAGE_REGRET_RATE - bounds.G * bounds.R / sp.sqrt(bounds.T)) == 0
    assert bounds.width_exponent(bounds.LINEARISATION_BOUND) == sp.Rational(-1, 2)


@pytest.mark.parametrize("linear", [False, True])
def test_hand_written_gradients_match_autograd(linear):
    net = TwoLayer.init(3, 8, 5, Draws(1))
    W = net.W0 + 0.3 * Draws(2).standard_normal(tuple(net.W0.shape))
    x = Draws(3).standard_normal((3, 4, 5))
    coeff = Draws(4).standard_normal((3, 4))
    output = net.linearised_output if linear else net.output
    xr, Wr = x.clone().requires_grad_(True), W.clone().requires_grad_(True)
    (output(W, xr) * coeff).sum().backward()
    (output(Wr, x) * coeff).sum().backward()
    grad_x = net.linearised_input_grad(W, x) if linear else net.input_grad(W, x)
    grad_W = net.linearised_weight_grad(x, coeff) if linear else net.weight_grad(W, x, coeff)
    torch.testing.assert_close(xr.grad, grad_x * coeff[..., None])
    torch.testing.assert_close(Wr.grad, grad_W)


def test_the_initialisation_is_antisymmetric_and_widths_are_prefixes():
    net = TwoLayer.init(2, 16, 4, Draws(5))
    x = Draws(6).standard_normal((2, 7, 4))
    assert net.output(net.W0, x).abs().max() < 1e-14
    narrow = net.prefix(8)
    torch.testing.assert_close(narrow.W0, net.W0[:, [0, 1, 2, 3, 8, 9, 10, 11]])
    assert narrow.output(narrow.W0, x).abs().max() < 1e-14


def test_attacks_stay_in_the_ball_and_the_projection_is_exact():
    net = TwoLayer.init(2, 8, 4, Draws(7))
    W = net.W0 + Draws(8).standard_normal(tuple(net.W0.shape))
    x = Draws(9).standard_normal((2, 5, 4))
    y = Draws(10).signs((2, 5))
    for attack in cfg.ATTACKS:
        moved = perturb(net, W, x, y, 0.3, attack, 4, Draws(11))
        assert (moved - x).norm(dim=-1).max() <= 0.3 + 1e-12
    clean = strong_loss(net, W, x, y, 1e-9, 1, 1, Draws(12))
    assert torch.all(strong_loss(net, W, x, y, 0.3, 10, 2, Draws(12)) >= clean)
    projected, outside = project_ball(W, net.W0, 1.0)
    assert torch.allclose((projected - net.W0).flatten(1).norm(dim=1)[outside], torch.ones(int(outside.sum()),
                                                                                           dtype=torch.float64))


LIN = cfg.LinearisationSettings(seeds=6).runs()[0]


@pytest.fixture(scope="module")
def linearisation():
    return draw(cfg.LINEARISATION, LIN)


def test_the_linearisation_checks_hold_and_catch_their_twins(linearisation):
    bound, exponent, tight = (REGISTRY[f"ntk_convergence.lin.{name}"] for name in ("bound", "exponent", "tightness"))
    assert judged(bound, linearisation) is Status.HOLDS
    assert judged(bound, linearisation, params={"form": "width_over_m"}) is Status.VIOLATED  # R^2 / m
    assert judged(bound, linearisation, params={"form": "quarter_L2"}) is Status.VIOLATED
    assert judged(exponent, linearisation) is Status.HOLDS
    wrong = bounds.width_exponent(bounds.LINEARISATION_FORMS["width_over_m"])
    assert wrong == -1 and judged(exponent, linearisation, rhs=wrong) is Status.VIOLATED
    assert judged(tight, linearisation) is Status.HOLDS
    assert judged(tight, linearisation, params={"form": "quarter_L2"}) is Status.VIOLATED


@pytest.fixture(scope="module")
def regret():
    return draw(cfg.REGRET, cfg.RegretSettings(seeds=4, horizons=(64, 256), comparator_steps=40).runs()[0])


def test_the_regret_checks_hold_and_catch_their_twins(regret):
    bound, rate = REGISTRY["ntk_convergence.ogd.regret"], REGISTRY["ntk_convergence.ogd.rate"]
    assert np.all(regret.gap < 1e-2 * regret.hindsight)  # the comparator is (nearly) the hindsight minimiser
    assert judged(bound, regret) is Status.HOLDS
    assert judged(bound, regret, params={"form": "no_distance_term"}) is Status.VIOLATED
    assert judged(rate, regret) is Status.HOLDS
    assert judged(rate, regret, params={"form": "one_over_T"}) is Status.VIOLATED  # a 1/T rate


@pytest.mark.slow
def test_the_surrogate_bound_holds_for_a_weak_attack_but_not_for_the_robust_loss():
    run = cfg.TrainingSettings(seeds=4, weak_widths=(1024, 2048), weak_attacks=("none",)).runs("weak")[0]
    sample = draw(cfg.TRAINING, run)
    claim = REGISTRY["ntk_convergence.thm.any_attack"]
    assert judged(claim, sample) is Status.HOLDS
    assert judged(claim, sample, params={"score": "robust_final"}) is Status.VIOLATED


@pytest.mark.slow
def test_the_reach_check_catches_the_ball_of_radius_R_over_sqrt_m():
    """Sized to the twin: its slope is -1/2 against a band of +-0.15 around 0, so two widths 8x apart (their slope
    is the exponent), half the steps and a 10 x 2 strong attack suffice: the true ball's slope interval is about
    +-0.04 around 0 and the twin's about -0.49 +- 0.04 (4 seeds).  The twin ball is out of the claim's regime (its
    radius changes with m), reported with its interval, which lies wholly below the band."""
    settings = cfg.TrainingSettings(seeds=4, attacks=("fgm",), widths=(128, 1024), steps=100, eval_steps=10,
                                    eval_restarts=2)
    claim = REGISTRY["ntk_convergence.ball.reach"]
    assert judged(claim, draw(cfg.TRAINING, settings.runs("theorem")[0])) is Status.HOLDS
    twin = judgement(claim, draw(cfg.TRAINING, dataclasses.replace(settings, ball="per_neuron").runs("theorem")[0]))
    assert twin.status is Status.OUT_OF_REGIME and "radius changes with the width" in twin.reason
    assert twin.ci_high < -twin.tolerance


def test_the_lazy_check_catches_the_wrong_exponents():
    """Two widths 8x apart (the per-seed slope is the exponent) and 6 seeds instead of 4 (the t quantile at 5
    degrees of freedom, not 3): the slope interval is about -0.50 +- 0.02, inside the band +-0.05 with more room
    than before (+-0.046), and the twins (0, -1) are 10 bands away.  The strong attack is one step: the movement
    check reads only ||W_T - W_0|| and ||W_0||."""
    settings = cfg.TrainingSettings(seeds=6, lazy_widths=(128, 1024), eval_steps=1, eval_restarts=1)
    sample = draw(cfg.TRAINING, settings.runs("lazy")[0])
    claim = REGISTRY["ntk_convergence.lazy.movement"]
    assert judged(claim, sample) is Status.HOLDS
    assert judged(claim, sample, rhs=sp.Integer(0)) is Status.VIOLATED
    assert judged(claim, sample, rhs=sp.Integer(-1)) is Status.VIOLATED


@pytest.mark.slow
def test_the_capacity_check_holds_and_catches_the_exponential_width_twin():
    """Sized to its twins: the two dimensions furthest apart (3 and 9; the slope's sign and e^6 ~ 400 against a
    robust width capped at twice the widest) and half the training (250 Adam steps at twice the rate, one PGD
    restart, a 25 x 3 judging PGD), 16 patterns as before: the slope's bootstrap interval stays well above 0 (low
    end 0.3-0.7 on seeds 3-5, as 0.35 on the default settings) and the exponential twin's statistic ~100 >> 1."""
    settings = cfg.CapacitySettings(dims=(3, 9), steps=250, lr=0.04, attack_restarts=1, eval_steps=25,
                                    eval_restarts=3)
    sample = draw(cfg.CAPACITY, settings.runs()[0])
    claim = REGISTRY["ntk_convergence.capacity.ratio_grows"]
    assert judged(claim, sample) is Status.HOLDS
    assert judged(claim, sample, comparison="at_most", kind=None, params={"law": "exponential"}) is Status.VIOLATED
    assert judged(claim, sample, rhs=sp.Integer(-1)) is Status.VIOLATED  # "robust needs no more width as d grows"


def test_settings_refuse_bad_values():
    with pytest.raises(ValueError, match="widths"):
        cfg.TrainingSettings(widths=(512, 128))
    with pytest.raises(ValueError, match="alpha"):
        cfg.TrainingSettings(alpha="fast")
    with pytest.raises(ValueError, match="ball"):
        cfg.TrainingSettings(ball="paper")
    with pytest.raises(ValueError, match="activation"):
        cfg.LinearisationSettings(activation="relu")
    assert math.isclose(cfg.TrainingSettings(alpha="theorem").runs("theorem")[0].radius, 2.0)


def _autograd_descent(net, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    point = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(-(y * net(point)).sum(), point)
    return grad


def test_the_capacity_attacks_written_out_gradient_is_autograds():
    """``ReluNets.margins_and_descent`` replaced autograd in the capacity attack's steps: the same margins and
    the same gradient bit for bit, masked (narrower) networks and dead neurons included; a gradient that forgets
    the width mask is told apart."""
    from numerics.papers.ntk_convergence.capacity import ReluNets

    draws = Draws(3)
    net = ReluNets.init(torch.tensor([1.0, 3.0, 6.0]), 4, draws)
    net.b = draws.child("b").standard_normal((3, 6))  # some neurons dead at some points
    x, y = draws.child("x").standard_normal((3, 7, 4)), draws.child("y").signs((3, 7))
    margins, descent = net.margins_and_descent(x, y)
    assert torch.equal(margins, y * net(x))
    assert torch.equal(descent, _autograd_descent(net, x, y))
    unmasked = dataclasses.replace(net, mask=torch.ones_like(net.mask))
    assert not torch.allclose(unmasked.margins_and_descent(x, y)[1], descent)


def test_float32_training_gives_the_float64_runs_numbers_to_float32_rounding():
    """``TrainingSettings.dtype``: both precisions train on the same data and W_0 (float64 draws, rounded) and record
    float64 arrays; at these sizes every recorded number agrees to 2e-3 of itself (the claims' statistics moved by
    ~1e-6 at quick sizes).  The check is tight enough to tell another step size apart."""
    runs = {dtype: dataclasses.replace(cfg.TrainingSettings(seeds=2, n=8, steps=20, widths=(64, 256)).runs("theorem")[0],
                                       dtype=dtype) for dtype in ("float32", "float64")}
    fast, exact = (draw(cfg.TRAINING, runs[dtype]) for dtype in ("float32", "float64"))
    for name in ("loss", "grad_sq", "distance", "robust_final", "surrogate_final", "robust_init"):
        assert getattr(fast, name).dtype == np.float64
        # at W_0, f = 0 everywhere: every point of the ball maximises the loss, float64's gradient is exactly 0 (no
        # step) and float32's a rounding residue (a step of delta somewhere), so step 0's gradient differs by %
        measured, reference = (getattr(sample, name)[:, :, 1:] if name == "grad_sq" else getattr(sample, name)
                               for sample in (fast, exact))
        np.testing.assert_allclose(measured, reference, rtol=2e-3, atol=1e-6, err_msg=name)
    other = draw(cfg.TRAINING, dataclasses.replace(runs["float64"], alpha=0.8))
    assert not np.allclose(other.loss, exact.loss, rtol=2e-3, atol=1e-6)
