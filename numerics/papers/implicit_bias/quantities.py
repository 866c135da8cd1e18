"""Measurements of Lyu & Zhu's quantities (``theory.papers.implicit_bias.quantities``).

One configuration is one tiny adversarial training run, from its own seed (CPU, float64): the column's dataset
(Gaussian under fgm, sparse under fgsm), its reference solved twice by ``references`` (the l2-SVM, or the
mixed-norm problem at eps), a deep linear net initialised as the column's, and ``steps`` normalised steps of
Algorithm 1 (``training.train_deep_linear``).  Both quantities come from the same run, each carrying the other's
value as a bound symbol (e for the deficit, Delta for the direction error).

Tiny runs reach the limit direction to the last bit (1 - cos = 1e-32 within a few thousand steps), where float64
leaves e and Delta nothing but rounding (Delta = -1e-16 was measured), so the two are computed at ``DIGITS``
digits: the reference is re-solved exactly on the support of its float solution and certified there by the KKT
conditions (sufficient for these convex problems), and the trained direction's margins are taken at that
precision.  A measurement is therefore exact up to the rounding of the floats it reports.  A dataset whose
reference fails either certificate (the float one of ``references``, or the exact one) is redrawn, never measured
against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import mpmath as mp
import numpy as np
import sympy as sp
import torch

from numerics.backends import evaluate
from numerics.device import one_thread
from numerics.experiment import Measurement, register_measurement
from numerics.papers.implicit_bias import data as datasets
from numerics.papers.implicit_bias import references as refs
from numerics.papers.implicit_bias.models import NORM_OF, DeepLinear
from numerics.papers.implicit_bias.settings import DeepLinearSettings
from numerics.papers.implicit_bias.training import train_deep_linear
from numerics.random import Draws
from theory.papers.implicit_bias.margins import (DUAL, LIMIT_MARGIN_L2, ROBUST_MARGIN, degree, dual_norm, e, gamma,
                                                 radius, s)
from theory.papers.implicit_bias.quantities import DIRECTION_ERROR, MARGIN_DEFICIT, deficit, n, rho
from theory.symbols import d, eps, eta, t

#: the column's dataset for each perturbation: l2 claims on Gaussian data, l_inf claims on sparse data
DATA = {"fgm": "gaussian", "fgsm": "sparse"}
INIT = DeepLinearSettings.init
#: datasets drawn before giving up when a reference fails a certificate (about 1 in 100 mixed-norm problems)
TRIES = 3
#: digits of the exact re-solve and of the margins; KKT conditions are certified to 10 digits fewer
DIGITS = 60
#: float support of a reference: constraints within this relative distance of the smallest robust margin, and
#: (l_inf) coordinates above this fraction of the largest
ACTIVE, NONZERO = 1e-9, 1e-7


def _robust(Z: mp.matrix, u: mp.matrix, size: float, order: int):
    """min_i y_i u.x_i - size ||u||_order (``margins.ROBUST_MARGIN``) at the working precision."""
    smallest = min((Z * u)[i] for i in range(Z.rows))
    return evaluate(ROBUST_MARGIN, {s: smallest, dual_norm: mp.norm(u, order), eps: mp.mpf(size)}, "mpmath")


def exact(Z: mp.matrix, w: np.ndarray, size: float, order: int) -> tuple[mp.matrix, mp.mpf] | None:
    """(unit direction, robust margin) of min 1/2 ||w||^2 s.t. y_i w.x_i - size ||w||_order >= 1 (size 0: the
    l2-SVM; order 1: the mixed-norm problem), re-solved at ``DIGITS`` digits on the support of the float solution
    ``w``: with active constraints A, free coordinates J and their signs sigma, M = Z[A, J] - size 1 sigma^T and
    w_J = M^T a, M w_J = 1.  None unless the KKT conditions hold there: a >= 0, sign(w_J) = sigma,
    |sum_i a_i Z_ij| <= size sum(a) off J, every constraint met."""
    Zf = np.array(Z.tolist(), dtype=np.float64)
    unit = w / np.linalg.norm(w)
    margins = Zf @ unit - size * np.linalg.norm(unit, ord=order)
    active = np.flatnonzero(margins <= margins.min() * (1 + ACTIVE)).tolist()
    free = np.flatnonzero(np.abs(w) > NONZERO * np.abs(w).max()).tolist() if size > 0 else list(range(w.size))
    sign = np.sign(w)
    slack = mp.mpf(10) ** (10 - DIGITS)
    M = mp.matrix([[Z[i, j] - size * sign[j] for j in free] for i in active])
    try:
        a = mp.lu_solve(M * M.T, mp.matrix([1] * len(active)))
    except ZeroDivisionError:  # a singular system: the support does not determine a solution
        return None
    solution, part = mp.matrix(Z.cols, 1), M.T * a
    for k, j in enumerate(free):
        solution[j] = part[k]
    fixed = sorted(set(range(Z.cols)) - set(free))
    bound = size * sum(a) + slack
    if not (all(x >= -slack for x in a) and all(sign[j] * solution[j] > 0 for j in free if size > 0)
            and all(abs(sum(a[k] * Z[i, j] for k, i in enumerate(active))) <= bound for j in fixed)
            and _robust(Z, solution, size, order) >= 1 - slack):
        return None
    direction = solution / mp.norm(solution)
    return direction, _robust(Z, direction, size, order)


@dataclass(frozen=True)
class Problem:
    """A dataset, eps and its certified references at ``DIGITS`` digits: the l2-SVM (gamma) and the reference
    of the attack (its direction and robust margin rho)."""

    X: torch.Tensor
    y: torch.Tensor
    Z: mp.matrix  # y_i x_i, exactly
    size: float  # eps
    gamma: mp.mpf
    direction: mp.matrix
    rho: mp.mpf


def _certified(X: np.ndarray, y: np.ndarray, attack: str, fraction: float) -> Problem | None:
    """The problem of one dataset, or None if a reference fails a certificate: eps is a fraction of gamma (fgm)
    or of gamma_1 (fgsm), as in the column; the mixed-norm problem at eps = 0 is the l2-SVM."""
    l2 = refs.l2_svm(X, y)
    Z = mp.matrix((y[:, None] * X).tolist())
    with mp.workdps(DIGITS):
        svm = exact(Z, l2.w, 0.0, 2) if l2.ok else None
        if svm is None:
            return None
        if attack == "fgm":
            size = fraction * float(svm[1])
            limit = evaluate(LIMIT_MARGIN_L2, {gamma: svm[1], eps: mp.mpf(size)}, "mpmath")
            return Problem(torch.as_tensor(X), torch.as_tensor(y), Z, size, svm[1], svm[0], limit)
        size = fraction * refs.linf_margin(X, y)
        if size == 0:
            return Problem(torch.as_tensor(X), torch.as_tensor(y), Z, size, svm[1], *svm)
        mixed = refs.mixed_norm(X, y, size)
        found = exact(Z, mixed.w, size, 1) if mixed.ok else None
        return None if found is None else Problem(torch.as_tensor(X), torch.as_tensor(y), Z, size, svm[1], *found)


def problem(config: Mapping, attack: str, draws: Draws) -> Problem:
    """The configuration's dataset and certified references; a dataset whose reference fails a certificate is
    redrawn from the next stream, deterministically, at most TRIES times."""
    for attempt in range(TRIES):
        X, y = datasets.generate(DATA[attack], int(config["n"]), int(config["d"]),
                                 draws.child("data" if attempt == 0 else f"data{attempt}"))
        found = _certified(X.numpy(), y.numpy(), attack, float(config["eps_fraction"]))
        if found is not None:
            return found
    raise RuntimeError(f"the references of {TRIES} datasets of seed {config['seed']} failed their certificates")


def run(config: Mapping, options: Mapping[str, str]) -> tuple[float, float, dict]:
    """(e, Delta, the bound symbols' values) of one configuration (module docstring)."""
    attack = options["attack"]
    draws = Draws(int(config["seed"]))
    size_d, depth, steps = (int(config[key]) for key in ("d", "L", "steps"))
    found = problem(config, attack, draws)
    model = DeepLinear.init(1, [size_d] * depth + [1], INIT, draws.child("init"))
    with one_thread():
        trace = train_deep_linear(model, found.X[None], found.y[None], torch.tensor([found.size], dtype=torch.float64),
                                  attack, steps, float(config["eta"]), "normalized", [steps])
    order = int(DUAL[sp.oo if NORM_OF[attack] == float("inf") else sp.Integer(2)])
    with mp.workdps(DIGITS):
        w = mp.matrix(trace.w[-1][0].tolist())
        u = w / mp.norm(w)
        error = mp.norm(u - found.direction) ** 2 / 2
        gap = found.rho - _robust(found.Z, u, found.size, order)
    values = {t: steps, degree: depth, n: int(config["n"]), d: size_d, eta: float(config["eta"]), eps: found.size,
              gamma: float(found.gamma), rho: float(found.rho), radius: float(found.X.norm(dim=1).max())}
    return float(error), float(gap), values


def direction_error(config: Mapping, options: Mapping[str, str]) -> Measurement:
    error, gap, values = run(config, options)
    return Measurement(error, {**values, deficit: gap})


def margin_deficit(config: Mapping, options: Mapping[str, str]) -> Measurement:
    error, gap, values = run(config, options)
    return Measurement(gap, {**values, e: error})


register_measurement(DIRECTION_ERROR, direction_error)
register_measurement(MARGIN_DEFICIT, margin_deficit)
