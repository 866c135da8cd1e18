"""Lyu & Zhu's models and perturbations: the hand-written gradients against autograd, and the exact identities
the theorems rest on as Hypothesis properties (scale invariance of the perturbations, homogeneity, the Euler
identity, the linear closed forms), each with a twin that must fail."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.backends import evaluate
from numerics.papers.implicit_bias.models import DeepLinear, Relu2, perturb
from numerics.papers.implicit_bias.training import checkpoint_steps, step_scale_function
from numerics.random import Draws
from theory.papers.implicit_bias.margins import ROBUST_MARGIN, dual_norm, homogeneity_residuals, s
from theory.symbols import eps as eps_symbol

SCALE_INVARIANT = ("fgm", "fgsm", "pgd2", "pgdinf")
seeds = st.integers(0, 2**32 - 1)
scales = st.floats(-3, 3).map(lambda e: 10.0**e)  # c log-uniform on [1e-3, 1e3]


def relu2(seed: int, B: int = 3, n: int = 6, d: int = 4, m: int = 5) -> tuple[Relu2, torch.Tensor, torch.Tensor]:
    draws = Draws(seed)
    model = Relu2.init(B, m, d, 1.0, draws)
    X = draws.standard_normal((B, n, d))
    return model, X, draws.signs((B, n))


def test_deep_linear_gradients_match_autograd():
    draws = Draws(1)
    model = DeepLinear.init(2, [4, 3, 5, 1], 1.0, draws)
    row = draws.standard_normal((2, 4))
    layers = [layer.clone().requires_grad_(True) for layer in model.layers]
    product = layers[0]
    for layer in layers[1:]:
        product = torch.bmm(layer, product)
    (product[:, 0, :] * row).sum().backward()
    for mine, layer in zip(model.gradients(row), layers):
        torch.testing.assert_close(mine, layer.grad, rtol=1e-12, atol=1e-12)


def test_relu2_gradients_match_autograd():
    model, X, y = relu2(2)
    a, W = model.a.clone().requires_grad_(True), model.W.clone().requires_grad_(True)
    points = X.clone().requires_grad_(True)
    weights = torch.rand(y.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    f = (torch.relu(torch.bmm(points, W.transpose(1, 2))) ** 2 * a[:, None, :]).sum(-1)
    (weights * f).sum().backward()
    ga, gW = model.param_grads(X, weights)
    torch.testing.assert_close(ga, a.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gW, W.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.input_grad(X) * weights[..., None], points.grad, rtol=1e-12, atol=1e-12)
    per_point = model.per_point_grads(X)  # summing the per-point gradients with the weights gives the same
    torch.testing.assert_close((weights[..., None] * per_point).sum(1), torch.cat([ga, gW.flatten(1)], -1))


@given(seeds, scales, st.sampled_from(SCALE_INVARIANT))
def test_perturbations_are_scale_invariant(seed, c, attack):
    """delta(c theta) = delta(theta): grad_x f(c theta) = c^3 grad_x f(theta) and every step normalises it."""
    model, X, y = relu2(seed)
    eps = torch.full((3,), 0.3, dtype=torch.float64)
    base = perturb(model.input_grad, X, y, eps, attack)
    scaled = perturb(model.scaled(c).input_grad, X, y, eps, attack)
    torch.testing.assert_close(scaled, base, rtol=1e-9, atol=1e-12)
    assert torch.all(base.norm(dim=-1) <= 0.3 * (1 + 1e-12)) if attack in ("fgm", "pgd2") else \
        torch.all(base.abs() <= 0.3 * (1 + 1e-12))


def test_raw_gradient_pgd_twin_is_not_scale_invariant():
    """The twin the digest names: PGD with raw gradient steps moves by a c-dependent length."""
    model, X, y = relu2(3)
    eps = torch.full((3,), 0.3, dtype=torch.float64)
    base = perturb(model.input_grad, X, y, eps, "pgd2_raw")
    scaled = perturb(model.scaled(1e-3).input_grad, X, y, eps, "pgd2_raw")
    assert (scaled - base).abs().max() > 1e-2


@pytest.mark.parametrize("attack", ["fgm", "fgsm", "pgd2", "pgdinf"])
def test_perturbations_are_zero_where_the_input_gradient_vanishes(attack):
    model, X, y = relu2(4)
    dead = Relu2(model.a, -model.W.abs())  # every unit inactive on X >= 0: grad_x f = 0
    delta = perturb(dead.input_grad, X.abs(), y, torch.full((3,), 0.3, dtype=torch.float64), attack)
    assert torch.all(delta == 0)


@pytest.mark.parametrize("size", [1e-170, 1.0, 1e200])
def test_the_l2_direction_is_a_unit_vector_at_any_scale_of_the_gradient(size):
    """FGM's direction at a gradient of any size is the unit vector along it: a plain norm overflows past 1e154
    (then the direction, and the perturbation, silently vanished) and underflows below 1e-162."""
    from numerics.papers.implicit_bias.models import _direction

    grad = torch.tensor([[3.0, -4.0, 0.0]], dtype=torch.float64) * size
    torch.testing.assert_close(_direction(grad, 2), torch.tensor([[0.6, -0.8, 0.0]], dtype=torch.float64))
    assert torch.equal(_direction(torch.zeros(1, 3, dtype=torch.float64), 2), torch.zeros(1, 3, dtype=torch.float64))


@given(seeds, scales)
def test_relu2_is_3_homogeneous_and_satisfies_euler(seed, c):
    model, X, _ = relu2(seed)
    f = model(X)
    torch.testing.assert_close(model.scaled(c)(X), c**3 * f, rtol=1e-9, atol=1e-300)
    euler = (model.flat()[:, None, :] * model.per_point_grads(X)).sum(-1)
    torch.testing.assert_close(euler, 3 * f, rtol=1e-10, atol=1e-12)


def test_a_bias_breaks_homogeneity():
    """The twin: one bias in the hidden layer and f(c theta) != c^3 f(theta)."""
    model, X, _ = relu2(5)

    def biased(net: Relu2) -> torch.Tensor:
        return (torch.relu(torch.bmm(X, net.W.transpose(1, 2)) + 0.5) ** 2 * net.a[:, None, :]).sum(-1)

    assert not torch.allclose(biased(model.scaled(2.0)), 8 * biased(model), rtol=1e-3)


@given(seeds)
def test_deep_linear_euler_identity(seed):
    """<theta, grad_theta (w_prod . x)> = L w_prod . x for a depth-L linear net."""
    draws = Draws(seed)
    model = DeepLinear.init(2, [4, 3, 3, 1], 1.0, draws)
    x = draws.standard_normal((2, 4))
    inner = sum((layer * grad).sum(dim=(1, 2)) for layer, grad in zip(model.layers, model.gradients(x)))
    torch.testing.assert_close(inner, 3 * (model.product() * x).sum(-1), rtol=1e-10, atol=1e-12)


@given(seeds, st.floats(0.01, 2.0))
def test_linear_closed_forms_are_the_inner_minimum(seed, eps):
    """min over the eps-ball of y w.(x + delta) = ROBUST_MARGIN: for l_inf by an LP over the box, for l2 at the
    closed-form minimiser, which no point of the ball undercuts (checked at 200 random points)."""
    rng = np.random.default_rng(seed)
    w, x, y = rng.normal(size=5), rng.normal(size=5), rng.choice([-1.0, 1.0])
    margin = y * w @ x
    linf = linprog(y * w, bounds=[(-eps, eps)] * 5, method="highs")
    assert linf.status == 0
    assert math.isclose(margin + linf.fun, evaluate(ROBUST_MARGIN, {s: margin, dual_norm: np.abs(w).sum(),
                                                                    eps_symbol: eps}), rel_tol=1e-9, abs_tol=1e-9)
    l2 = evaluate(ROBUST_MARGIN, {s: margin, dual_norm: np.linalg.norm(w), eps_symbol: eps})
    best = -eps * y * w / np.linalg.norm(w)
    assert math.isclose(y * w @ (x + best), l2, rel_tol=1e-12, abs_tol=1e-12)
    directions = rng.normal(size=(200, 5))
    inside = directions / np.linalg.norm(directions, axis=1, keepdims=True) * eps * rng.uniform(size=(200, 1))
    assert np.all(y * (x + inside) @ w >= l2 - 1e-12)


def test_symbolic_identities_hold_exactly():
    assert all(sp.simplify(residual) == 0 for residual in homogeneity_residuals(width=2, dim=3).values())


def test_step_scale_keeps_the_relative_step_of_a_homogeneous_model_constant():
    """With one point (softmax weight 1), eta ||theta||^{2-L} ||grad q|| / ||theta|| is the same at theta and at
    c theta (grad q is (L-1)-homogeneous): normalised steps move the direction at a pace free of the scale."""
    model, X, _ = relu2(6, n=1)
    steps = []
    for c in (1.0, 7.0, 300.0):
        net = model.scaled(c)
        grad_norm = net.per_point_grads(X)[:, 0].norm(dim=-1)
        steps.append(step_scale_function(net.degree)(net.norm()) * grad_norm / net.norm())
    torch.testing.assert_close(steps[1], steps[0], rtol=1e-10, atol=0)
    torch.testing.assert_close(steps[2], steps[0], rtol=1e-10, atol=0)


def test_checkpoints_are_increasing_and_end_at_the_last_step():
    steps = checkpoint_steps(60000, 8)
    assert steps == sorted(set(steps)) and steps[-1] == 60000 and len(steps) == 8
    with pytest.raises(ValueError):
        checkpoint_steps(0, 8)


def test_training_runs_on_one_thread_and_restores_the_count():
    from numerics.device import one_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@given(seeds)
def test_the_one_step_perturbations_are_the_theory_s_closed_forms(seed):
    """FGSM and FGM as ``perturb`` computes them equal ``margins.FGSM`` / ``margins.FGM`` evaluated coordinatewise
    (the formulas the derivations print), wherever the input gradient is not 0 (FGM's formula is 0/0 there;
    ``perturb`` sets delta = 0, tested above)."""
    from theory.papers.implicit_bias.margins import FGM, FGSM, g_j, g_norm
    from theory.papers.implicit_bias.margins import y as y_symbol

    model, X, y = relu2(seed)
    eps = torch.full((3,), 0.3, dtype=torch.float64)
    grad = model.input_grad(X)
    values = {eps_symbol: 0.3, y_symbol: y[..., None], g_j: grad, g_norm: grad.norm(dim=-1, keepdim=True)}
    torch.testing.assert_close(perturb(model.input_grad, X, y, eps, "fgsm"), evaluate(FGSM, values, "torch"))
    defined = grad.norm(dim=-1) > 0
    torch.testing.assert_close(perturb(model.input_grad, X, y, eps, "fgm")[defined],
                               evaluate(FGM, values, "torch")[defined])
