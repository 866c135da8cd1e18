"""The training loops' shortcuts (a cached step scale, products and hidden units shared within a step, the loss
skipped where the schedule ignores it, batched progress) against the plain composition of the theory expression
and the models' methods they replace: the same numbers, bit for bit, with twins that a wrong degree is caught."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from numerics.backends import evaluate, value
from numerics.papers.implicit_bias import training
from numerics.papers.implicit_bias.models import DeepLinear, Relu2, perturb
from numerics.random import Draws
from theory.papers.implicit_bias.margins import STEP_SCALE, degree, theta_norm

NORMS = (1e-3, 0.7, 1.0, 3.5, 1e40)


@pytest.mark.parametrize("L", [1, 2, 3, 5])
def test_cached_step_scale_is_the_theory_expression(L):
    """step_scale_function(L) is STEP_SCALE: equal to mpmath's value at 50 digits to float64 rounding, and bit
    for bit to the generic ``evaluate`` the loop used to call every step."""
    norms = torch.tensor(NORMS, dtype=torch.float64)
    cached = training.step_scale_function(L)(norms)
    exact = [value(STEP_SCALE, {degree: L, theta_norm: n}) for n in NORMS]
    np.testing.assert_allclose(cached.numpy(), exact, rtol=1e-13, atol=0)
    assert torch.equal(cached, evaluate(STEP_SCALE, {degree: float(L), theta_norm: norms}, "torch"))


def test_a_cached_step_scale_of_the_wrong_degree_is_caught():
    """The twin: the scale cached for degree L + 1 is not the theory's value at degree L."""
    norms = torch.tensor(NORMS, dtype=torch.float64)
    wrong = training.step_scale_function(4)(norms)
    exact = np.array([value(STEP_SCALE, {degree: 3, theta_norm: n}) for n in NORMS])
    assert not np.allclose(wrong.numpy(), exact, rtol=1e-6)


def test_shared_products_and_hidden_units_give_the_same_gradients():
    """What a step shares (DeepLinear.prefixes, Relu2's hidden units and squares) changes no bit of the
    gradients, and the broadcast outer product is a bmm over a length-1 axis exactly."""
    draws = Draws(7)
    linear = DeepLinear.init(3, [4, 4, 4, 1], 1.0, draws)
    row = draws.standard_normal((3, 4))
    prefixes = linear.prefixes()
    assert torch.equal(prefixes[-1][:, 0, :], linear.product())
    for shared, plain in zip(linear.gradients(row, prefixes), linear.gradients(row)):
        assert torch.equal(shared, plain)
    column, line = draws.standard_normal((3, 4, 1)), draws.standard_normal((3, 1, 4))
    assert torch.equal(column * line, torch.bmm(column, line))

    net = Relu2.init(3, 5, 4, 1.0, draws)
    X, weights = draws.standard_normal((3, 6, 4)), draws.standard_normal((3, 6))
    h = net.hidden(X)
    assert torch.equal(net.output(h * h), net(X))
    for shared, plain in zip(net.param_grads(X, weights, (h, h * h)), net.param_grads(X, weights)):
        assert torch.equal(shared, plain)


def test_margins_without_the_loss_keep_the_weights():
    q = Draws(8).standard_normal((3, 7))
    loss, weights = training._margins(q)
    skipped, same = training._margins(q, with_loss=False)
    assert skipped is None and torch.equal(same, weights)
    torch.testing.assert_close(loss, torch.log(torch.exp(-q).mean(-1)), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("steps", [1, 99, 100, 250])
def test_progress_advances_by_every_step_in_all(steps):
    """The bar moves in chunks, but by ``steps`` in all, and is full once the last step is done."""
    moves: list[int] = []
    done: list[int] = []
    training._run(steps, [steps], done.append, lambda: None, moves.append)
    assert sum(moves) == steps and len(done) == steps and all(0 < move <= 100 for move in moves)


def _plain_step_factor(schedule: str, eta: float, q: torch.Tensor, norm: torch.Tensor, L: int,
                       frozen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The step as first written: generic ``evaluate`` of STEP_SCALE, logsumexp every step (the oracle)."""
    lse = torch.logsumexp(-q, dim=-1) - math.log(q.shape[-1])
    frozen |= L * torch.log(norm) > training.FROZEN_LOG_SCALE
    scale = evaluate(STEP_SCALE, {degree: float(L), theta_norm: norm}, "torch") if schedule == "normalized" \
        else torch.exp(lse)
    return (eta * scale).masked_fill(frozen, 0.0), torch.softmax(-q, dim=-1)


def _plain_relu2(model: Relu2, X, y, eps, attack, steps, eta, schedule, anneal, L) -> list[torch.Tensor]:
    frozen = torch.zeros(X.shape[0], dtype=torch.bool)
    for t in range(1, steps + 1):
        points = X + perturb(model.input_grad, X, y, eps, attack)
        factor, weights = _plain_step_factor(schedule, training.annealed(eta, t, steps, anneal), y * model(points),
                                             model.norm(), L, frozen)
        model.step(model.param_grads(points, -weights * y), factor)
    return [model.flat()]


def _plain_linear(model: DeepLinear, X, y, eps, attack, steps, eta, schedule, anneal, L) -> list[torch.Tensor]:
    frozen = torch.zeros(X.shape[0], dtype=torch.bool)
    for t in range(1, steps + 1):
        w = model.product()
        signed = y[..., None] * (X + perturb(lambda points: w[:, None, :], X, y, eps, attack))
        factor, weights = _plain_step_factor(schedule, training.annealed(eta, t, steps, anneal),
                                             (signed * w[:, None, :]).sum(-1), model.norm(), L, frozen)
        model.step(model.gradients(-(weights[..., None] * signed).sum(1)), factor)
    return [layer.flatten(1) for layer in model.layers]


@pytest.mark.parametrize("kind, attack, schedule", [("relu2", "fgm", "normalized"), ("relu2", "fgsm", "normalized"),
                                                    ("linear", "fgm", "normalized"), ("linear", "fgsm", "constant")])
def test_training_is_bit_for_bit_the_plain_composition(kind, attack, schedule):
    """60 steps of each loop equal the step written plainly from the models' methods and the generic evaluate, to
    the last bit; the twin with the step scale of the wrong degree does not."""
    draws = Draws(9)
    B, n, d, steps = 3, 8, 4, 60
    X, y = draws.standard_normal((B, n, d)), draws.signs((B, n))
    eps = torch.full((B,), 0.05, dtype=torch.float64)
    make = (lambda: Relu2.init(B, 5, d, 0.5, Draws(10))) if kind == "relu2" else \
        (lambda: DeepLinear.init(B, [d, d, d, 1], 0.5, Draws(10)))
    plain = _plain_relu2 if kind == "relu2" else _plain_linear
    train = training.train_relu2 if kind == "relu2" else training.train_deep_linear
    fast_model = make()
    train(fast_model, X, y, eps, attack, steps, 0.05, schedule, [steps], anneal=0.5)
    fast = [fast_model.flat()] if kind == "relu2" else [layer.flatten(1) for layer in fast_model.layers]
    L = fast_model.degree
    with torch.inference_mode():
        reference = plain(make(), X, y, eps, attack, steps, 0.05, schedule, 0.5, L)
        twin = plain(make(), X, y, eps, attack, steps, 0.05, schedule, 0.5, L + 1)
    assert all(torch.equal(a, b) for a, b in zip(fast, reference))
    if schedule == "normalized":
        assert not all(torch.allclose(a, b, rtol=1e-6) for a, b in zip(fast, twin))
