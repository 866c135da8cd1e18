"""The exact adversarial loss of one small network of the paper's family, by mixed-integer linear programming.

L_adv(x) = max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q, p, q in {1, oo}, maximises a piecewise-linear function
over a polytope, which a MILP solves exactly.  With phi(z) = v z + (u - v) relu(z), a unit's r = relu(z) is
  r >= z,  r >= 0,  r <= z - lo (1 - a),  r <= hi a,  a in {0, 1},
exact whenever lo <= z <= hi; a unit whose bounds share a sign is linear and needs no binary.  The bounds come
from symbolic interval propagation, h = A eta + c + e with e in a box: exact on the first layer (the support
function of the l_p ball), then the chord relu(z) in lambda z + [0, lambda |lo|] (lambda = hi / (hi - lo)) on
unstable units (at d = 8, N = 16, L = 3: 2-4x fewer unstable units and ~10x narrower last-layer bounds than plain
interval arithmetic).
  q = oo: 2K MILPs max s (f_k(x + eta) - f_k(x)), s = +-1, each first bounded by its LP relaxation (whose
          perturbation is feasible: a value too); a MILP whose bound cannot beat the best value found is skipped;
  q = 1:  one MILP, a sign binary per output.
  p = 1: eta = eta+ - eta-, eta+- >= 0, sum <= eps;  p = oo: a box.
HiGHS (``scipy.optimize.milp``) returns a solution and its dual bound (the upper end).  The solution's activation
pattern is then fixed and the remaining LP solved (a clean vertex, free of integrality slack), and the value is
recomputed by the torch network in float64 at the perturbation, brought inside the ball: the certified lower end.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import Bounds, LinearConstraint, milp

from numerics.opnorms import norm_order, vector_norm
from numerics.papers.meanfield.networks import NetworkBatch
from theory.papers.meanfield.exact_claims import MILP_TOLERANCE

#: HiGHS stops when (primal - dual) / |primal| <= mip_rel_gap; the tight feasibility tolerances (defaults 1e-6 and
#: 1e-7) keep the solution's perturbation and activation pattern within ~1e-12 of consistent, so the value the
#: network gives there meets the dual bound to ~1e-12 instead of ~1e-8; presolve costs more than it saves here
HIGHS_OPTIONS = {"mip_rel_gap": 1e-9, "mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9,
                 "presolve": False}
#: relative widening of every pre-activation bound, so float rounding never cuts off a feasible point
BOUND_PAD = 1e-9
#: the largest relative distance between the certified value and the dual bound accepted as optimal (the
#: tolerance the sandwich claims are judged within)
AGREEMENT = float(MILP_TOLERANCE)
#: below this, a value and a bound are both zero (a network whose output does not move)
ZERO = 1e-12


@dataclass(frozen=True)
class ExactLoss:
    """max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q of one network at one input, within [value, upper]."""

    value: float  # recomputed by the network in float64 at ``eta``: a certified lower end
    upper: float  # HiGHS's dual bound: the upper end
    eta: np.ndarray  # (d,) the maximiser, inside the ball
    status: str
    seconds: float
    binaries: int  # binary variables of the largest MILP solved
    milps: int  # MILPs solved (q = oo: up to 2K)

    @property
    def gap(self) -> float:
        """(upper - value) / upper: how far the certified value is from the bound (0 when both vanish)."""
        return 0.0 if self.upper <= ZERO else (self.upper - self.value) / self.upper


@dataclass(frozen=True)
class _Weights:
    P_in: np.ndarray  # (N, d)
    W: np.ndarray  # (L, N, N)
    b: np.ndarray  # (L, N)
    P_out: np.ndarray  # (K, N)
    u: float
    v: float
    residual: bool


def _one(net: NetworkBatch, index: int) -> NetworkBatch:
    """Network ``index`` of a batch, as a batch of one in float64."""
    return NetworkBatch(net.spec, *(t[index:index + 1].double() for t in (net.P_in, net.W, net.b, net.P_out)))


def _weights(net: NetworkBatch) -> _Weights:
    P_in, W, b, P_out = (t[0].detach().cpu().numpy() for t in (net.P_in, net.W, net.b, net.P_out))
    return _Weights(P_in, W, b, P_out, net.spec.u, net.spec.v, net.spec.arch == "residual")


def _support(A: np.ndarray, p: float) -> np.ndarray:
    """max of each row of A eta over the unit l_p ball: the rows' dual norms."""
    return np.abs(A).sum(-1) if p == math.inf else np.abs(A).max(-1)


def _times_box(M: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box {M e : low <= e <= high} bounded coordinatewise."""
    plus, minus = np.clip(M, 0, None), np.clip(M, None, 0)
    return plus @ low + minus @ high, plus @ high + minus @ low


@dataclass(frozen=True)
class BallBounds:
    """Bounds over the ball: pre-activations per layer, and the output change f(x + eta) - f(x)."""

    pre: list[tuple[np.ndarray, np.ndarray]]
    out: tuple[np.ndarray, np.ndarray]


def interval_bounds(w: _Weights, x: np.ndarray, clean: np.ndarray, eps: float, p: float) -> BallBounds:
    """Symbolic interval propagation of h = A eta + c + e, e in [e_lo, e_hi] (see the module docstring)."""
    A, c = w.P_in, w.P_in @ x
    e_lo = e_hi = np.zeros(len(c))
    pre = []
    for layer in range(w.W.shape[0]):
        Wl = w.W[layer]
        A_z, c_z = Wl @ A, Wl @ c + w.b[layer]
        z_lo, z_hi = _times_box(Wl, e_lo, e_hi)
        radius = eps * _support(A_z, p)
        lo, hi = c_z + z_lo - radius, c_z + z_hi + radius
        pad = BOUND_PAD * (1 + np.abs(lo) + np.abs(hi))
        lo, hi = lo - pad, hi + pad
        pre.append((lo, hi))
        unstable = (lo < 0) & (hi > 0)
        lam = np.where(unstable, hi / np.where(unstable, hi - lo, 1.0), (lo >= 0).astype(float))
        gain = w.v + (w.u - w.v) * lam  # phi(z) = gain z + (u - v) e, e in [0, lam |lo|]
        chord = (w.u - w.v) * np.where(unstable, -lam * lo, 0.0)
        g_lo, g_hi = np.minimum(gain * z_lo, gain * z_hi), np.maximum(gain * z_lo, gain * z_hi)
        g_lo, g_hi = g_lo + np.minimum(chord, 0), g_hi + np.maximum(chord, 0)
        if w.residual:
            A, c, e_lo, e_hi = A + gain[:, None] * A_z, c + gain * c_z, e_lo + g_lo, e_hi + g_hi
        else:
            A, c, e_lo, e_hi = gain[:, None] * A_z, gain * c_z, g_lo, g_hi
    o_lo, o_hi = _times_box(w.P_out, e_lo, e_hi)
    radius = eps * _support(w.P_out @ A, p)
    centre = w.P_out @ c - clean
    return BallBounds(pre, (centre + o_lo - radius, centre + o_hi + radius))


class _Program:
    """The feasible set {(eta, z_l, r_l, a_l)}: variables, their bounds, the rows, and the output change as a
    linear function of the variables (``out`` @ x + ``out_const``)."""

    def __init__(self, w: _Weights, x: np.ndarray, clean: np.ndarray, eps: float, p: float, bounds: BallBounds):
        d = len(x)
        N = w.W.shape[1]
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self._block_rows: list[tuple[dict, np.ndarray, np.ndarray]] = []  # ({first variable: block}, low, high)
        self.size = 0
        if p == math.inf:
            E = {self._add(np.full(d, -eps), np.full(d, eps)): np.eye(d)}
        else:  # eta = plus - minus, sum(plus + minus) <= eps
            plus, minus = self._add(np.zeros(d), np.full(d, eps)), self._add(np.zeros(d), np.full(d, eps))
            E = {plus: np.eye(d), minus: -np.eye(d)}
            self._row({plus: np.ones((1, d)), minus: np.ones((1, d))}, [-np.inf], [eps])
        # h as a linear function of the variables: {start: block} plus a constant
        H = {start: w.P_in @ block for start, block in E.items()}
        h_const = w.P_in @ x
        self.eta_map = E
        for layer in range(w.W.shape[0]):
            lo, hi = bounds.pre[layer]
            Wl = w.W[layer]
            active, inactive = lo >= 0, hi <= 0
            unstable = ~(active | inactive)
            z = self._add(lo, hi)
            r = self._add(np.where(active, lo, 0.0), np.where(inactive, 0.0, hi))
            # z - W h = W h_const + b
            self._row({z: np.eye(N), **{s: -Wl @ B for s, B in H.items()}}, Wl @ h_const + w.b[layer],
                      Wl @ h_const + w.b[layer])
            eye = np.eye(N)
            if active.any():  # r = z
                self._row({r: eye[active], z: -eye[active]}, np.zeros(active.sum()), np.zeros(active.sum()))
            U = np.flatnonzero(unstable)
            if U.size:
                a = self._add(np.zeros(U.size), np.ones(U.size), integer=True)
                pick, ones = eye[U], np.eye(U.size)
                zeros, inf = np.zeros(U.size), np.full(U.size, np.inf)
                self._row({r: pick, z: -pick}, zeros, inf)  # r >= z
                self._row({r: pick, z: -pick, a: -lo[U][:, None] * ones}, -inf, -lo[U])  # r <= z - lo (1 - a)
                self._row({r: pick, a: -hi[U][:, None] * ones}, -inf, zeros)  # r <= hi a
            step = {z: w.v * eye, r: (w.u - w.v) * eye}
            if w.residual:
                H = _add_maps(H, step)
            else:
                H, h_const = step, np.zeros(N)
        self.out = {s: w.P_out @ B for s, B in H.items()}
        self.out_const = w.P_out @ h_const - clean

    def _add(self, low: np.ndarray, high: np.ndarray, integer: bool = False) -> int:
        """New variables with these bounds; returns the index of the first."""
        start = self.size
        self.lower.append(np.asarray(low, dtype=float))
        self.upper.append(np.asarray(high, dtype=float))
        self.integer.append(np.full(len(low), int(integer)))
        self.size += len(low)
        return start

    def _row(self, blocks: dict, low, high) -> None:
        self._block_rows.append((blocks, np.asarray(low, dtype=float), np.asarray(high, dtype=float)))

    def matrix(self, extra: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows as one dense matrix over ``size + extra`` variables."""
        count = sum(len(low) for _, low, _ in self._block_rows)
        M = np.zeros((count, self.size + extra))
        at = 0
        for blocks, low, _ in self._block_rows:
            for start, block in blocks.items():
                M[at:at + len(low), start:start + block.shape[1]] += block
            at += len(low)
        return (M, np.concatenate([low for _, low, _ in self._block_rows]),
                np.concatenate([high for _, _, high in self._block_rows]))

    def dense(self, blocks: dict, width: int) -> np.ndarray:
        """A {start: block} map as a dense (rows, width) matrix."""
        rows = next(iter(blocks.values())).shape[0]
        M = np.zeros((rows, width))
        for start, block in blocks.items():
            M[:, start:start + block.shape[1]] += block
        return M

    def eta(self, solution: np.ndarray) -> np.ndarray:
        return sum(B @ solution[s:s + B.shape[1]] for s, B in self.eta_map.items())


def _add_maps(first: dict, second: dict) -> dict:
    out = dict(first)
    for start, block in second.items():
        out[start] = out[start] + block if start in out else block
    return out


def _solve(c: np.ndarray, integrality: np.ndarray, low: np.ndarray, high: np.ndarray, M: np.ndarray,
           row_low: np.ndarray, row_high: np.ndarray):
    """HiGHS with a tiny gap and tight feasibility tolerances; scipy passes options it does not know to HiGHS
    verbatim, with a warning that is expected here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unrecognized options detected", category=RuntimeWarning)
        return milp(c, integrality=integrality, bounds=Bounds(low, high),
                    constraints=LinearConstraint(M, row_low, row_high), options=HIGHS_OPTIONS)


def _within_ball(eta: np.ndarray, p: float, eps: float) -> np.ndarray:
    """The solver's eta brought inside the l_p ball (it may overshoot by the feasibility tolerance)."""
    if p == math.inf:
        return np.clip(eta, -eps, eps)
    norm = np.abs(eta).sum()
    return eta * (eps / norm) if norm > eps else eta


class _Objective:
    """One MILP: the program, extra variables for the objective, and how to read the objective's value."""

    def __init__(self, program: _Program, c: np.ndarray, constant: float, extra_low=(), extra_high=(),
                 extra_integer=(), rows=None):
        self.program, self.c, self.constant = program, c, constant
        self.low = np.concatenate([*program.lower, np.asarray(extra_low, dtype=float)])
        self.high = np.concatenate([*program.upper, np.asarray(extra_high, dtype=float)])
        self.integrality = np.concatenate([*program.integer, np.asarray(extra_integer, dtype=int)])
        M, row_low, row_high = program.matrix(len(extra_low))
        if rows is not None:
            M, row_low, row_high = np.vstack([M, rows[0]]), np.concatenate([row_low, rows[1]]), \
                np.concatenate([row_high, rows[2]])
        self.M, self.row_low, self.row_high = M, row_low, row_high

    @property
    def binaries(self) -> int:
        return int(self.integrality.sum())

    def relaxed(self) -> tuple[float, np.ndarray]:
        """The LP relaxation: a bound on the maximum, and its eta (inside the ball, so a lower end too)."""
        found = _solve(-self.c, np.zeros_like(self.integrality), self.low, self.high, self.M, self.row_low,
                       self.row_high)
        if found.status != 0:
            raise RuntimeError(f"the LP relaxation of the exact adversarial loss failed: {found.message}")
        return -found.fun + self.constant, self.program.eta(found.x)

    def solve(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(eta of the MILP, eta of the LP with the MILP's pattern fixed, the dual bound of the maximum)."""
        found = _solve(-self.c, self.integrality, self.low, self.high, self.M, self.row_low, self.row_high)
        if found.status != 0:
            raise RuntimeError(f"the MILP of the exact adversarial loss was not solved to optimality: {found.message}")
        raw = self.program.eta(found.x)
        fixed = self.integrality == 1
        low, high = self.low.copy(), self.high.copy()
        low[fixed] = high[fixed] = np.round(found.x[fixed])
        polished = _solve(-self.c, np.zeros_like(self.integrality), low, high, self.M, self.row_low, self.row_high)
        clean = self.program.eta(polished.x) if polished.status == 0 else raw
        dual = found.fun if found.mip_dual_bound is None else found.mip_dual_bound  # None: no binary, an LP
        return raw, clean, -dual + self.constant


def _objectives(program: _Program, bounds: BallBounds, q: float) -> list[tuple[float, _Objective]]:
    """The MILPs whose maxima make up the loss, each with an interval bound on its maximum (solve order)."""
    width = program.size
    out = program.dense(program.out, width)  # (K, width)
    o_lo, o_hi = bounds.out
    K = out.shape[0]
    if q == math.inf:
        found = [(float(bound), _Objective(program, sign * out[k], sign * program.out_const[k]))
                 for k in range(K) for sign, bound in ((1.0, o_hi[k]), (-1.0, -o_lo[k]))]
        return sorted(found, key=lambda item: -item[0])
    # q = 1: t_k <= |w_k| with w = out @ x + out_const, through a sign s_k in {0, 1} (1: w_k >= 0)
    #   t_k <= w_k + M1 (1 - s_k),  M1 = max(0, -2 lo);   t_k <= -w_k + M2 s_k,  M2 = max(0, 2 hi)
    M1, M2 = np.maximum(0.0, -2 * o_lo), np.maximum(0.0, 2 * o_hi)
    eye = np.eye(K)
    t_cols = np.hstack([np.zeros((K, width)), eye, np.zeros((K, K))])
    s_cols = np.hstack([np.zeros((K, width + K)), eye])
    w_cols = np.hstack([out, np.zeros((K, 2 * K))])
    rows = (np.vstack([t_cols - w_cols + M1[:, None] * s_cols, t_cols + w_cols - M2[:, None] * s_cols]),
            np.full(2 * K, -np.inf), np.concatenate([program.out_const + M1, -program.out_const]))
    sign_low = (o_lo >= 0).astype(float)  # a sign known from the bounds is fixed
    sign_high = np.where(o_hi <= 0, 0.0, 1.0)
    c = np.concatenate([np.zeros(width), np.ones(K), np.zeros(K)])
    objective = _Objective(program, c, 0.0, extra_low=np.concatenate([np.zeros(K), sign_low]),
                           extra_high=np.concatenate([np.maximum(M1, M2) / 2, sign_high]),
                           extra_integer=np.concatenate([np.zeros(K, dtype=int), np.ones(K, dtype=int)]), rows=rows)
    return [(float(np.maximum(np.abs(o_lo), np.abs(o_hi)).sum()), objective)]


def exact_adv_loss(net: NetworkBatch, x: torch.Tensor, eps: float, p, q, index: int = 0) -> ExactLoss:
    """max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q for network ``index`` of ``net`` at x (d,), p, q in {1, oo}.

    Raises RuntimeError when HiGHS does not prove optimality, or when the certified value and the dual bound
    differ by more than ``AGREEMENT`` (relative).
    """
    p, q = norm_order(p), norm_order(q)
    if p == 2 or q == 2:
        raise ValueError("the exact adversarial loss is a MILP for p, q in {1, oo} only")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    start = time.perf_counter()
    one = _one(net, index)
    x_t = x.detach().to(dtype=torch.float64, device=one.W.device).reshape(1, 1, -1)
    clean_t = one(x_t)[0, 0]

    def value(eta: np.ndarray) -> float:
        moved = x_t + torch.as_tensor(eta, dtype=torch.float64, device=one.W.device).reshape(1, 1, -1)
        return float(vector_norm(one(moved)[0, 0] - clean_t, q))

    w = _weights(one)
    xs, clean = x_t.reshape(-1).cpu().numpy(), clean_t.cpu().numpy()
    bounds = interval_bounds(w, xs, clean, eps, p)
    program = _Program(w, xs, clean, eps, p, bounds)
    best, best_eta, upper, solved, binaries = -math.inf, np.zeros(len(xs)), -math.inf, 0, 0

    def keep(*etas: np.ndarray) -> None:
        nonlocal best, best_eta
        with torch.no_grad():
            for eta in etas:
                inside = _within_ball(eta, p, eps)
                found = value(inside)
                if found > best:
                    best, best_eta = found, inside

    objectives = _objectives(program, bounds, q)
    if len(objectives) > 1:  # q = oo: LP relaxations tighten the bounds and give a value to prune with
        relaxed = []
        for bound, objective in objectives:
            lp_bound, eta = objective.relaxed()
            keep(eta)
            relaxed.append((min(bound, lp_bound), objective))
        objectives = sorted(relaxed, key=lambda item: -item[0])
    for bound, objective in objectives:
        if bound <= best:  # this objective cannot beat the value already certified
            upper = max(upper, bound)
            continue
        raw, polished, dual = objective.solve()
        keep(raw, polished)
        upper = max(upper, dual)
        solved += 1
        binaries = max(binaries, objective.binaries)
    result = ExactLoss(best, upper, best_eta, "optimal", time.perf_counter() - start, binaries, solved)
    if result.upper - result.value > AGREEMENT * max(result.upper, ZERO):
        raise RuntimeError(f"the exact adversarial loss is not pinned: certified value {result.value:.10g}, dual "
                           f"bound {result.upper:.10g} (relative gap {result.gap:.2e} > {AGREEMENT:g})")
    return result
