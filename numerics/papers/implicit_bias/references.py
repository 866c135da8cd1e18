"""Reference max-margin directions for the implicit-bias paper (Lyu & Zhu 2022; ``shared/papers/seed003.md``).

The claims C1 and C4 compare a trained deep linear network with the solution of a max-margin problem of the
clean data (bias-free linear classifiers, binary labels):

- ``l2_svm``:     min 1/2 ||w||_2^2  s.t.  y_i w.x_i >= 1                       (the l2 adversary's limit, C1);
- ``mixed_norm``: min 1/2 ||w||_2^2  s.t.  y_i w.x_i - eps ||w||_1 >= 1         (the l_inf adversary's limit, C4);
- ``l1_svm``:     min ||w||_1        s.t.  y_i w.x_i >= 1                       (the eps -> gamma_1 end, a twin).

A wrong reference would turn every verdict built on it into noise, so each problem is solved twice, by two
independent methods (a dual and a primal formulation, each with its own solver and its own support), and the
answer carries the two methods' agreement and a duality-gap / feasibility certificate measured here from the
returned vectors: solver success flags are never trusted (seed003 §3: L-BFGS-B flagged failure once while
agreeing with the primal to 1e-15).  Each method may finish with an exact "polish": once its support (active
constraints; for the mixed problem also the nonzero coordinates of w and their signs) is known, the KKT
conditions are a linear system, solved by least squares for w and by ``scipy.optimize.nnls`` for the multipliers.
A polish is kept only if it improves that method's own certificate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import OptimizeResult, linprog, minimize, nnls

from numerics.backends import lambdify
from theory.papers.implicit_bias import margins
from theory.symbols import eps as eps_symbol

__all__ = [
    "AGREE", "AGREE_VALUE", "GAP", "NAMES", "Reference", "compare", "l1_svm", "l2_margin", "l2_svm", "linf_margin",
    "mixed_norm", "one_minus_cos", "separable", "soft_threshold",
]

AGREE = 1e-10
"""Largest accepted 1 - cos(w_method1, w_method2) for the problems with a unique solution (l2, mixed)."""
AGREE_VALUE = 1e-9
"""Largest accepted relative difference of the optimal values ||w||_1 of the two l1-SVM methods."""
GAP = 1e-8
"""Largest accepted certificate: relative duality gap or relative constraint violation, both methods."""
NAMES = ("l2_svm", "mixed_norm", "l1_svm")

_SEPARABLE_TOL = 1e-9   # gamma_1 (relative to max_i ||x_i||_2) at or below this counts as "not separable"
_SUPPORT_DUAL = 1e-8    # alpha_i > this * max(alpha): constraint i in a dual method's support
_SUPPORT_MARGIN = 1e-6  # margin_i <= 1 + this: constraint i in a primal method's support
_SUPPORT_W = 1e-7       # |w_j| > this * max|w|: coordinate j in a primal method's support
_POLISH_STEPS = 20      # active-set corrections a polish may make before it gives up
_ROUNDOFF = 1e-13       # certificates this small are ties: the polished (exact-support) answer is preferred


@dataclass(frozen=True)
class Reference:
    """A reference direction solved twice.

    ``w`` is method 1's minimiser (not normalised), ``direction`` = w / ||w||_2.  ``margin`` is the problem's
    normalised margin: 1/||w||_2 (l2), min_i (y_i u.x_i - eps ||u||_1) at u = direction (mixed), 1/||w||_1 (l1).
    ``agreement`` is 1 - cos(w1, w2) (l2, mixed) or the relative difference of the optimal values ||w||_1 (l1,
    whose solution can be non-unique).  ``gap`` is the largest of both methods' relative duality gaps and relative
    constraint violations.  ``ok`` says both checks passed; ``reason`` says, with numbers, which one did not.
    """

    name: str
    w: np.ndarray
    direction: np.ndarray
    margin: float
    agreement: float
    gap: float
    methods: tuple[str, str]
    ok: bool
    reason: str


# ----------------------------------------------------------------------------------------------------- helpers


def _compiled(expr, order) -> Callable:
    """A theory expression as a numpy function of the symbols in ``order`` (lambdify sorts them by name)."""
    symbols, fn = lambdify(expr, "numpy")
    position = [order.index(symbol) for symbol in symbols]
    return lambda *args: fn(*(args[i] for i in position))


_soft = _compiled(margins.SOFT_THRESHOLD, (margins.v, margins.tau))
_robust = _compiled(margins.ROBUST_MARGIN, (margins.s, margins.dual_norm, eps_symbol))


def soft_threshold(values: np.ndarray, t: float) -> np.ndarray:
    """S_t(v) = sign(v) max(|v| - t, 0), coordinatewise (``margins.SOFT_THRESHOLD``): the minimiser of
    1/2||w - v||^2 + t||w||_1, the primal recovery of the mixed-norm dual; it makes exact zeros."""
    values = np.asarray(values, dtype=np.float64)
    if not t >= 0:
        raise ValueError(f"the threshold must be >= 0, got t = {t}")
    return np.asarray(_soft(values, float(t)), dtype=np.float64)


def _validate(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) finite, y (n,) in {-1, +1}; returns float64 copies (one-line ValueError otherwise)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must be a non-empty (n, d) array, got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X has non-finite entries")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"labels must be -1 or +1, got the values {sorted(set(np.unique(y).tolist()))}")
    return X, y.astype(np.float64)


def _unit(w: np.ndarray) -> np.ndarray:
    return w / np.linalg.norm(w)


def _scaled(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Z = y x / s with s = max_i ||x_i||_2 (1 if X = 0): every solver works at unit scale, because L-BFGS-B's
    and HiGHS' tolerances are partly absolute.  The problems are homogeneous: w(Z / s) = s w(Z), eps -> eps / s."""
    norms = np.linalg.norm(X, axis=1)
    scale = float(np.max(norms)) if np.any(norms > 0) else 1.0
    return (y[:, None] * X) / scale, scale


def one_minus_cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 - cos between rows of a and b (broadcast), as ||a_hat - b_hat||^2 / 2: no cancellation, it resolves
    1e-32 where 1 - a_hat.b_hat stops at 1e-16."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return 0.5 * np.sum((a - b) ** 2, axis=-1)


def _robust_margins(Z: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """y_i w.x_i - eps ||w||_1 for every i (Z = y[:, None] * X; ``margins.ROBUST_MARGIN`` with the l1 dual norm of
    the l_inf ball); eps = 0 gives the plain margins."""
    return _robust(Z @ w, float(np.sum(np.abs(w))), eps)


def _certificate(Z: np.ndarray, w: np.ndarray, a: np.ndarray, eps: float) -> float:
    """Optimality certificate of (w, a) for min 1/2||w||^2 s.t. robust margins >= 1 (eps = 0: the l2-SVM).

    The larger of: the relative duality gap |P(w) - D(a)| / P(w), with D(a) = sum a - 1/2 ||S_{eps sum a}(Z^T a)||^2
    (evaluated from a alone, so weak duality bounds the optimum below); the primal violation 1 - min_i margin_i;
    the dual violation max(-a) / max|a|.  Small means w is optimal: 1/2||w - w*||^2 <= P(w) - D(a) for feasible w.
    """
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(a))) or not np.any(w):
        return math.inf
    primal = 0.5 * float(w @ w)
    a_plus = np.maximum(a, 0.0)
    dual = float(np.sum(a_plus)) - 0.5 * float(np.sum(soft_threshold(Z.T @ a_plus, eps * float(np.sum(a_plus))) ** 2))
    gap = abs(primal - dual) / primal
    primal_violation = max(0.0, 1.0 - float(np.min(_robust_margins(Z, w, eps))))
    scale = float(np.max(np.abs(a))) if np.any(a) else 1.0
    dual_violation = max(0.0, -float(np.min(a))) / scale
    return max(gap, primal_violation, dual_violation)


def _certificate_l1(Z: np.ndarray, w: np.ndarray, a: np.ndarray) -> float:
    """Optimality certificate of (w, a) for the l1-SVM LP pair min ||w||_1 s.t. Zw >= 1 / max sum a s.t.
    ||Z^T a||_inf <= 1, a >= 0: the larger of the relative gap |P - D| / P and the relative violations of both."""
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(a))) or not np.any(w):
        return math.inf
    primal = float(np.sum(np.abs(w)))
    dual = float(np.sum(a))
    gap = abs(primal - dual) / primal
    primal_violation = max(0.0, 1.0 - float(np.min(Z @ w)))
    dual_violation = max(0.0, float(np.max(np.abs(Z.T @ a))) - 1.0)
    scale = float(np.max(np.abs(a))) if np.any(a) else 1.0
    return max(gap, primal_violation, dual_violation, max(0.0, -float(np.min(a))) / scale)


def compare(name: str, w1: np.ndarray, w2: np.ndarray, gap: float, methods: tuple[str, str],
            margin: float | None = None) -> Reference:
    """Build the ``Reference`` of two methods' answers and decide ``ok``: one place for the acceptance rule.

    The solvers and the planted-error tests both go through here, so a test that feeds a perturbed w2 exercises
    the same rule as production.  For ``l2_svm`` and ``mixed_norm`` the agreement is 1 - cos(w1, w2) (unique
    solution) and must be <= AGREE; for ``l1_svm`` it is the relative difference of ||w||_1 (the minimiser may be
    non-unique, the value is not) and must be <= AGREE_VALUE.  ``gap`` (the solvers' measured certificate) must be
    <= GAP.  ``margin`` defaults to 1/||w1||_2 (l2, mixed: equal to the measured margin at the optimum) or
    1/||w1||_1 (l1); the solvers pass the margin they measured.
    """
    if name not in NAMES:
        raise ValueError(f"unknown reference {name!r}; expected one of {NAMES}")
    w1 = np.array(w1, dtype=np.float64)
    w2 = np.array(w2, dtype=np.float64)
    if w1.ndim != 1 or w1.shape != w2.shape:
        raise ValueError(f"w1 and w2 must be vectors of one shape, got {w1.shape} and {w2.shape}")
    finite = bool(np.all(np.isfinite(w1)) and np.all(np.isfinite(w2)) and np.any(w1) and np.any(w2))
    if not finite:
        agreement = math.inf
    elif name == "l1_svm":
        v1, v2 = float(np.sum(np.abs(w1))), float(np.sum(np.abs(w2)))
        agreement = abs(v1 - v2) / v1
    else:
        agreement = float(one_minus_cos(w1, w2))
    norm = float(np.linalg.norm(w1)) if finite else math.nan
    direction = w1 / norm if finite else np.full_like(w1, np.nan)
    if margin is None:
        margin = (1.0 / float(np.sum(np.abs(w1))) if name == "l1_svm" else 1.0 / norm) if finite else math.nan
    gap = float(gap)
    tolerance = AGREE_VALUE if name == "l1_svm" else AGREE
    what = "relative difference of the optimal values ||w||_1" if name == "l1_svm" else "1 - cos(w1, w2)"
    reasons = []
    if not finite:
        reasons.append("a method returned a zero or non-finite w")
    elif not agreement <= tolerance:
        reasons.append(f"the two methods disagree: {what} = {agreement:.3g} > {tolerance:g}")
    if not gap <= GAP:
        reasons.append(f"the optimality check failed: duality gap / constraint violation = {gap:.3g} > {GAP:g}")
    reason = "" if not reasons else f"{name}: " + "; ".join(reasons) + "."
    return Reference(name=name, w=w1, direction=direction, margin=float(margin), agreement=float(agreement),
                     gap=gap, methods=(str(methods[0]), str(methods[1])), ok=not reasons, reason=reason)


# ------------------------------------------------------------------------------------------------- polish


def _polish(Z: np.ndarray, eps: float, active: np.ndarray, coords: np.ndarray,
            signs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact KKT point of min 1/2||w||^2 s.t. Z w - eps||w||_1 >= 1 from a guessed support; None if it fails.

    With the active constraints A, the nonzero coordinates J and their signs s fixed, the problem is
    min 1/2||w_J||^2 s.t. M w_J = 1, M = Z[A, J] - eps 1 s^T: w_J is the min-norm solution (least squares) and the
    multipliers solve M^T a = w_J with a >= 0 (nnls).  Small active-set corrections follow the KKT conditions:
    drop constraints whose multiplier is 0, add violated ones; drop coordinates whose sign flipped, add those whose
    |(Z^T a)_j| exceeds eps sum a.  eps = 0 (the l2-SVM) uses every coordinate and no signs.
    """
    n, d = Z.shape
    active = np.array(active, dtype=bool)
    coords = np.array(coords, dtype=bool)
    signs = np.array(signs, dtype=np.float64)
    ones = np.ones(n)
    for _ in range(_POLISH_STEPS):
        if not active.any() or not coords.any():
            return None
        M = Z[np.ix_(active, coords)] - eps * np.outer(ones[active], signs[coords])
        wJ = np.linalg.lstsq(M, ones[active], rcond=None)[0]
        aA = nnls(M.T, wJ)[0]
        w = np.zeros(d)
        w[coords] = wJ
        a = np.zeros(n)
        a[active] = aA
        changed = False
        if eps > 0:
            flipped = coords & (signs * w <= 0)
            if flipped.any():
                coords &= ~flipped
                changed = True
            v = Z.T @ a
            t = eps * float(np.sum(a))
            grow = ~coords & (np.abs(v) > t * (1 + 1e-12) + 1e-300)
            if grow.any():
                coords |= grow
                signs[grow] = np.sign(v[grow])
                changed = True
        violated = ~active & (_robust_margins(Z, w, eps) < 1 - 1e-12)
        if violated.any():
            active |= violated
            changed = True
        idle = active & (a == 0) & (_robust_margins(Z, w, eps) > 1 - 1e-12)
        if not changed and idle.any() and np.count_nonzero(active) > np.count_nonzero(idle):
            active &= ~idle
            continue
        if not changed:
            return w, a
    return None


def _best(Z: np.ndarray, eps: float, raw: tuple[np.ndarray, np.ndarray],
          polished: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Keep the polish only if it improves the method's own certificate (or both are at roundoff level)."""
    raw_cert = _certificate(Z, *raw, eps)
    if polished is not None:
        cert = _certificate(Z, *polished, eps)
        if cert <= max(raw_cert, _ROUNDOFF):
            return polished[0], polished[1], cert, True
    return raw[0], raw[1], raw_cert, False


def _lbfgsb(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], n: int) -> OptimizeResult:
    """Minimise over a >= 0 with L-BFGS-B (analytic gradient), tight tolerances; the flag is not trusted."""
    return minimize(fun, np.zeros(n), jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * n,
                    options={"maxiter": 50_000, "maxfun": 100_000, "ftol": 1e-16, "gtol": 1e-13, "maxcor": 30})


# ----------------------------------------------------------------------------------------------- problems


def _dual_method(Z: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Method 1 (l2 and mixed): maximise the dual over a >= 0 by L-BFGS-B; w = S_{eps sum a}(Z^T a); polish.

    Dual: D(a) = sum a - 1/2 ||S_{eps sum a}(Z^T a)||^2, gradient 1 - (Z w - eps ||w||_1) (Danskin).  Support:
    a_i > 1e-8 max a; coordinates: the exact zeros of the soft threshold.
    """
    n = Z.shape[0]

    def negative_dual(a: np.ndarray) -> tuple[float, np.ndarray]:
        w = soft_threshold(Z.T @ a, eps * float(np.sum(a)))
        value = float(np.sum(a)) - 0.5 * float(w @ w)
        grad = 1.0 - _robust_margins(Z, w, eps)
        return -value, -grad

    a = np.maximum(_lbfgsb(negative_dual, n).x, 0.0)
    w = soft_threshold(Z.T @ a, eps * float(np.sum(a)))
    active = a > _SUPPORT_DUAL * float(np.max(a)) if np.any(a) else np.zeros(n, dtype=bool)
    coords = w != 0 if eps > 0 else np.ones(Z.shape[1], dtype=bool)
    polished = _polish(Z, eps, active, coords, np.sign(w))
    return _best(Z, eps, (w, a), polished)


def _multipliers(Z: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """Multipliers for a primal point w: nnls on the near-active constraints of w = sum a_i grad_i (a certificate
    for the unpolished primal answer; the polish computes its own)."""
    n = Z.shape[0]
    near = _robust_margins(Z, w, eps) <= 1 + _SUPPORT_MARGIN
    coords = w != 0
    a = np.zeros(n)
    if near.any() and coords.any():
        # stationarity on the nonzero coordinates only: on w_j = 0 the subgradient of ||w||_1 is anything in [-1, 1]
        grads = Z[np.ix_(near, coords)] - eps * np.sign(w[coords])[None, :]
        a[near] = nnls(grads.T, w[coords])[0]
    return a


def _primal_method(Z: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Method 2 (l2 and mixed): the primal QP by SLSQP with analytic jacobians; polish on its own support.

    l2 (eps = 0): min 1/2||w||^2 s.t. Z w >= 1.  mixed: w = p - m, p, m >= 0, then the constraints are linear,
    Z (p - m) - eps 1^T (p + m) >= 1, and the objective 1/2||p - m||^2 is smooth.  Support: margins <= 1 + 1e-6;
    coordinates |w_j| > 1e-7 max |w|.
    """
    n, d = Z.shape
    if eps == 0:
        cons = {"type": "ineq", "fun": lambda w: Z @ w - 1.0, "jac": lambda w: Z}
        res = minimize(lambda w: (0.5 * float(w @ w), w), np.zeros(d), jac=True, method="SLSQP",
                       constraints=[cons], options={"maxiter": 2000, "ftol": 1e-16})
        w = np.asarray(res.x, dtype=np.float64)
        coords = np.ones(d, dtype=bool)
    else:
        G = np.hstack([Z - eps, -Z - eps])  # constraint rows on (p, m)

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            w = x[:d] - x[d:]
            return 0.5 * float(w @ w), np.concatenate([w, -w])

        cons = {"type": "ineq", "fun": lambda x: G @ x - 1.0, "jac": lambda x: G}
        res = minimize(objective, np.zeros(2 * d), jac=True, method="SLSQP", bounds=[(0.0, None)] * (2 * d),
                       constraints=[cons], options={"maxiter": 2000, "ftol": 1e-16})
        x = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)
        w = x[:d] - x[d:]
        coords = np.abs(w) > _SUPPORT_W * float(np.max(np.abs(w))) if np.any(w) else np.zeros(d, dtype=bool)
        w = np.where(coords, w, 0.0)
    a = _multipliers(Z, w, eps)
    active = _robust_margins(Z, w, eps) <= 1 + _SUPPORT_MARGIN
    polished = _polish(Z, eps, active, coords, np.sign(w))
    return _best(Z, eps, (w, a), polished)


def _require_separable(X: np.ndarray, y: np.ndarray) -> None:
    if not separable(X, y):
        raise ValueError("the data are not linearly separable by a bias-free linear classifier "
                         "(no w with y_i w.x_i >= 1 for all i).")


def _solve_twice(name: str, X: np.ndarray, y: np.ndarray, eps: float) -> Reference:
    """Both methods on the unit-scale problem (certificates are scale-free), then w back to the data's scale."""
    Z, scale = _scaled(X, y)
    w1, a1, cert1, pol1 = _dual_method(Z, eps / scale)
    w2, a2, cert2, pol2 = _primal_method(Z, eps / scale)
    w1, w2 = w1 / scale, w2 / scale
    dual = "dual over a >= 0 by L-BFGS-B" + (" (soft-threshold recovery)" if eps > 0 else "")
    primal = "primal QP by SLSQP" + (" on w = w+ - w-" if eps > 0 else "")
    methods = (dual + (", polished on its support" if pol1 else ""),
               primal + (", polished on its support" if pol2 else ""))
    margin = float(np.min(_robust_margins(y[:, None] * X, _unit(w1), eps))) if np.any(w1) else math.nan
    return compare(name, w1, w2, max(cert1, cert2), methods, margin=margin)


def l2_svm(X: np.ndarray, y: np.ndarray) -> Reference:
    """The bias-free hard-margin l2-SVM, min 1/2||w||^2 s.t. y_i w.x_i >= 1: the limit direction of C1.

    Method 1: the dual max sum a - 1/2||sum a_i y_i x_i||^2, a >= 0, by L-BFGS-B; method 2: the primal by SLSQP;
    each polished on its own support.  ``margin`` is gamma = 1/||w||_2.  Raises ValueError on non-separable data.
    """
    X, y = _validate(X, y)
    _require_separable(X, y)
    return _solve_twice("l2_svm", X, y, 0.0)


def mixed_norm(X: np.ndarray, y: np.ndarray, eps: float) -> Reference:
    """The mixed-norm max-margin solution min 1/2||w||_2^2 s.t. y_i w.x_i - eps||w||_1 >= 1 (seed003 §1.4).

    It is the limit direction of l_inf adversarial training of deep linear networks (C4): the l2 max-margin
    direction of the worst-case l_inf-perturbed data.  Feasible iff eps < gamma_1 (``linf_margin``).
    Method 1: the soft-threshold dual by L-BFGS-B; method 2: the split primal QP by SLSQP; each polished on its own
    support and signs.  ``margin`` is min_i (y_i u.x_i - eps||u||_1) at u = direction.
    """
    X, y = _validate(X, y)
    eps = float(eps)
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a finite number >= 0, got eps = {eps}")
    gamma_1 = linf_margin(X, y)
    if eps >= gamma_1:
        raise ValueError(f"the mixed-norm problem is infeasible: eps = {eps:.6g} >= gamma_1 = {gamma_1:.6g} "
                         "(the l_inf-perturbed data are not separable).")
    return _solve_twice("mixed_norm", X, y, eps)


def _linprog(c: np.ndarray, A_ub: np.ndarray, b_ub: np.ndarray, method: str,
             bounds: object = (0, None)) -> OptimizeResult:
    return linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method=method,
                   options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10,
                            "presolve": True})


def _polish_l1(Z: np.ndarray, w: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact vertex of the l1-SVM LP pair from a basis guess: active constraints A (a_i > 0 or margin ~ 1),
    nonzero coordinates J with signs s: Z[A, J] w_J = 1 (least squares) and Z[A, J]^T a_A = s (nnls)."""
    active = (a > _SUPPORT_DUAL * float(np.max(a))) if np.any(a > 0) else Z @ w <= 1 + _SUPPORT_MARGIN
    coords = np.abs(w) > _SUPPORT_W * float(np.max(np.abs(w)))
    if not active.any() or not coords.any():
        return None
    M = Z[np.ix_(active, coords)]
    wJ = np.linalg.lstsq(M, np.ones(int(active.sum())), rcond=None)[0]
    aA = nnls(M.T, np.sign(w[coords]))[0]
    w_new = np.zeros_like(w)
    w_new[coords] = wJ
    a_new = np.zeros_like(a)
    a_new[active] = aA
    return w_new, a_new


def _best_l1(Z: np.ndarray, w: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, bool]:
    raw = _certificate_l1(Z, w, a)
    polished = _polish_l1(Z, w, a)
    if polished is not None:
        cert = _certificate_l1(Z, *polished)
        if cert <= max(raw, _ROUNDOFF):
            return polished[0], polished[1], cert, True
    return w, a, raw, False


def l1_svm(X: np.ndarray, y: np.ndarray) -> Reference:
    """The bias-free l1-SVM, min ||w||_1 s.t. y_i w.x_i >= 1: the eps -> gamma_1 end of the mixed family (a twin).

    Method 1: the primal LP on w = w+ - w- (HiGHS dual simplex), multipliers from its duals; method 2: the dual LP
    max sum a s.t. ||sum a_i y_i x_i||_inf <= 1, a >= 0 (HiGHS interior point), w from its duals.  The minimiser
    can be non-unique, so the two are compared on the optimal value ||w||_1 (relative, <= AGREE_VALUE).
    ``margin`` is gamma_1 = 1/||w||_1.  Raises ValueError on non-separable data.
    """
    X, y = _validate(X, y)
    _require_separable(X, y)
    Z, scale = _scaled(X, y)
    n, d = Z.shape
    # method 1: min 1^T (p + m) s.t. -Z (p - m) <= -1, p, m >= 0
    res1 = _linprog(np.ones(2 * d), -np.hstack([Z, -Z]), -np.ones(n), "highs-ds")
    if res1.x is None:
        raise RuntimeError(f"l1_svm: the primal LP returned no point ({res1.message})")
    w1 = res1.x[:d] - res1.x[d:]
    a1 = -np.asarray(res1.ineqlin.marginals, dtype=np.float64)
    w1, a1, cert1, pol1 = _best_l1(Z, w1, a1)
    # method 2: min -1^T a s.t. Z^T a <= 1, -Z^T a <= 1, a >= 0; w = duals of the upper minus the lower rows
    res2 = _linprog(-np.ones(n), np.vstack([Z.T, -Z.T]), np.ones(2 * d), "highs-ipm")
    if res2.x is None:
        raise RuntimeError(f"l1_svm: the dual LP returned no point ({res2.message})")
    a2 = np.asarray(res2.x, dtype=np.float64)
    duals = -np.asarray(res2.ineqlin.marginals, dtype=np.float64)
    w2 = duals[:d] - duals[d:]
    w2, a2, cert2, pol2 = _best_l1(Z, w2, a2)
    w1, w2 = w1 / scale, w2 / scale
    polished = ", polished on its basis"
    methods = ("primal LP on w = w+ - w- (highs-ds), multipliers from its duals" + (polished if pol1 else ""),
               "dual LP max sum a s.t. ||Z^T a||_inf <= 1 (highs-ipm), w from its duals" + (polished if pol2 else "")
               + "; compared on the optimal value ||w||_1 (the l1-SVM can be non-unique)")
    return compare("l1_svm", w1, w2, max(cert1, cert2), methods, margin=1.0 / float(np.sum(np.abs(w1))))


# ------------------------------------------------------------------------------------------------ margins


def separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether some bias-free w has y_i w.x_i >= 1 for all i: one LP feasibility problem (HiGHS).

    Used to refuse a user's dataset quickly, before any solver runs.  The returned point is checked here
    (min margin >= 1 - 1e-7, HiGHS' feasibility tolerance) rather than the status alone.
    """
    X, y = _validate(X, y)
    Z, _ = _scaled(X, y)
    n, d = Z.shape
    res = linprog(np.zeros(d), A_ub=-Z, b_ub=-np.ones(n), bounds=(None, None), method="highs")
    if res.status != 0 or res.x is None:
        return False
    return bool(np.min(Z @ res.x) >= 1 - 1e-7)


def l2_margin(X: np.ndarray, y: np.ndarray) -> float:
    """gamma = max_{||u||_2 = 1} min_i y_i u.x_i, via ``l2_svm`` (1/||w||_2).

    Raises ValueError if the data are not separable, RuntimeError if the two methods do not certify the answer.
    """
    ref = l2_svm(X, y)
    if not ref.ok:
        raise RuntimeError(f"l2_margin: the reference failed its checks: {ref.reason}")
    return ref.margin


def linf_margin(X: np.ndarray, y: np.ndarray) -> float:
    """gamma_1 = max_{||u||_1 = 1} min_i y_i u.x_i (= 1/||w_l1svm||_1) by one LP: max t s.t. Z u >= t, ||u||_1 <= 1.

    It decides the feasibility of the mixed-norm problem (eps < gamma_1).  The value returned is recomputed from
    the LP's u (min_i y_i u.x_i / ||u||_1), not read from the solver.  Raises ValueError if gamma_1 <= 0.
    """
    X, y = _validate(X, y)
    Z, scale = _scaled(X, y)
    n, d = Z.shape
    # variables (p, m, t) at unit scale: min -t s.t. t - Z (p - m) <= 0, 1^T (p + m) <= 1
    A = np.vstack([np.hstack([-Z, Z, np.ones((n, 1))]), np.concatenate([np.ones(2 * d), [0.0]])[None, :]])
    b = np.concatenate([np.zeros(n), [1.0]])
    c = np.zeros(2 * d + 1)
    c[-1] = -1.0
    res = _linprog(c, A, b, "highs", bounds=[(0, None)] * (2 * d) + [(None, None)])
    gamma_1 = -math.inf  # no point from the LP
    if res.x is not None:
        u = res.x[:d] - res.x[d:2 * d]
        norm = float(np.sum(np.abs(u)))
        gamma_1 = float(np.min(Z @ u)) / norm * scale if norm > 0 else 0.0  # u = 0 is optimal: gamma_1 = 0
    if not gamma_1 > _SEPARABLE_TOL * scale:
        raise ValueError(f"the data are not linearly separable by a bias-free linear classifier "
                         f"(gamma_1 = {gamma_1:.3g} <= 0).")
    return gamma_1
