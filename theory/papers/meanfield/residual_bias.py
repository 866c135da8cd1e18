"""The variance of Theorem 4.1's bias term a(x) at infinite width, with the cross term the stated formula drops.

Write h_l = M_l x + m_l: the bias part obeys m_l = S m_{l-1} + D_l y_l with y_l = W_l m_{l-1} + b_l, m_0 = 0, and
a = P_out m_L, so Var a_i = <m_L, m_L>/N =: q_m(L) (S = 1 with a skip connection, 0 without).  At infinite width
the fresh layer's coordinates (y, z), z = W h + b, are jointly Gaussian and independent of the old coordinates
(m_i, h_i), with Var z = s^2 = sigma_w2 q_h + sigma_b2, Cov(y, z) = kappa = sigma_w2 c + sigma_b2 and
Var y = V = sigma_w2 q_m + sigma_b2, where c = <m, h>/N.  Writing z = s Z, y = (kappa/s) Z + r W (Z, W i.i.d.
N(0, 1), r^2 = V - kappa^2/s^2) and D = phi'(Z) (the slope is scale-free), every moment of the new coordinates is a
polynomial in the old moments and in E[phi'(Z)^p Z^k], which SymPy integrates from the activation.

The coordinates' means mu_m = E m_i, mu_h = E h_i are not zero: a skip connection accumulates E[D z] =
s E[phi'(Z) Z] = (u - v) s / sqrt(2 pi) per layer, so the cross term 2 S mu_m E[D y] of q_m' survives N -> oo.
Without a skip (S = 0) it vanishes and q_m' = omega q_m + alpha sigma_b2, the recursion behind the stated formula.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
import sympy.stats as sps

from theory.papers.meanfield.network import SLOPE, omega_of
from theory.papers.meanfield.recursions import BIAS, SKIP, q
from theory.symbols import L, alpha, l, omega, sigma_b2, sigma_w2, u, v, z

#: the infinite-width state after a layer: second moments and means of the coordinates of h and m, and <m, h>/N
q_h, mu_h, q_m, mu_m, c = sp.symbols("q_h mu_h q_m mu_m c", real=True)
STATE = (q_h, mu_h, q_m, mu_m, c)
#: ||x||^2 / d of the input: the start q_h(0) = |P_in x|^2 / N
q_x = sp.Symbol("q_x", positive=True)
#: the state before the first layer: h_0 = P_in x has mean-zero coordinates of second moment q_x, m_0 = 0
INITIAL = {q_h: q_x, mu_h: sp.Integer(0), q_m: sp.Integer(0), mu_m: sp.Integer(0), c: sp.Integer(0)}

# the fresh layer: D = phi'(Z), Z and W standard normals; M, H an old coordinate of m and of h
_D, _Z, _W, _M, _H = sp.symbols("D Z W M H", real=True)


@lru_cache(maxsize=None)
def slope_moment(power: int, order: int) -> sp.Expr:
    """E[phi'(Z)^power Z^order], Z ~ N(0, 1): the sum over the slope's pieces of value^power times the Gaussian
    integral of z^order over the piece (phi' is piecewise constant, as ``derive_alpha`` requires)."""
    density = sps.density(sps.Normal("Z", 0, 1))(z)
    total, covered = sp.Integer(0), sp.false
    for value, condition in SLOPE.args:
        region = sp.And(condition, sp.Not(covered)).as_set().intersect(sp.Reals)
        pieces = region.args if isinstance(region, sp.Union) else (region,)
        for piece in pieces:
            total += value**power * sp.integrate(z**order * density, (z, piece.inf, piece.sup))
        covered = sp.Or(covered, condition)
    return sp.simplify(total)


#: E[phi'(Z) Z], the slope-weighted mean a skip connection accumulates (E[D z] = s E[phi'(Z) Z]), by name
GAIN = sp.Symbol("g", real=True)


def named_moments() -> dict[tuple[int, int], sp.Symbol]:
    """The slope moments the displayed map names: alpha = E[phi'(Z)^2] (and E[phi'(Z)^2 Z^2] where it is equal,
    as for any slope that changes only at 0) and g = E[phi'(Z) Z]."""
    names = {(2, 0): alpha, (1, 1): GAIN}
    if sp.simplify(slope_moment(2, 2) - slope_moment(2, 0)) == 0:
        names[(2, 2)] = alpha
    return names


def _fresh(expr: sp.Expr, named: bool) -> sp.Expr:
    """E over the fresh layer of a polynomial in D, Z, W (W independent of Z, so its moments factor out); with
    ``named`` the moments of ``named_moments`` stay symbols."""
    names = named_moments() if named else {}
    total = sp.Integer(0)
    for (p, k, j), coefficient in sp.Poly(sp.expand(expr), _D, _Z, _W).terms():
        total += coefficient * names.get((p, k), slope_moment(p, k)) * sps.moment(sps.Normal("W", 0, 1), j)
    return total


def _moment(expr: sp.Expr, named: bool) -> sp.Expr:
    """E of a polynomial in the old coordinates M, H and the fresh D, Z, W: the old ones are independent of the
    fresh layer at infinite width, and their moments of order <= 2 are the state."""
    old = {(0, 0): sp.Integer(1), (1, 0): mu_m, (0, 1): mu_h, (2, 0): q_m, (0, 2): q_h, (1, 1): c}
    total = sp.Integer(0)
    for (a, b), rest in sp.Poly(sp.expand(expr), _M, _H).as_dict().items():
        total += old[(a, b)] * _fresh(rest, named)
    return total


#: abbreviations of the displayed map: s^2 = Var z, kappa = Cov(y, z), V = Var y of the fresh layer
s, kappa, V = sp.symbols("s kappa V", positive=True)


def abbreviations() -> dict[sp.Symbol, sp.Expr]:
    """s, kappa and V in the state and the variances, and the named slope moments' values."""
    return {s: sp.sqrt(sigma_w2 * q_h + sigma_b2), kappa: sigma_w2 * c + sigma_b2, V: sigma_w2 * q_m + sigma_b2,
            alpha: slope_moment(2, 0), GAIN: slope_moment(1, 1)}


@lru_cache(maxsize=None)
def displayed_step(arch: str) -> dict[sp.Symbol, sp.Expr]:
    """One layer of the infinite-width map, each state symbol -> its value after the layer, written with s, kappa,
    V, alpha and g (``abbreviations``): the form the derivations print."""
    skip = SKIP[arch]
    h_new = skip * _H + _D * s * _Z
    m_new = skip * _M + _D * (kappa / s * _Z + sp.sqrt(V - kappa**2 / s**2) * _W)
    updates = {q_h: h_new**2, mu_h: h_new, q_m: m_new**2, mu_m: m_new, c: m_new * h_new}
    return {symbol: sp.collect(sp.expand(_moment(value, named=True)), [q_h, mu_h, q_m, mu_m, c])
            for symbol, value in updates.items()}


@lru_cache(maxsize=None)
def step(arch: str) -> dict[sp.Symbol, sp.Expr]:
    """One layer of the infinite-width map in the state and the configuration symbols alone."""
    return {symbol: value.subs(abbreviations()) for symbol, value in displayed_step(arch).items()}


def cross_term(arch: str) -> sp.Expr:
    """q_m' minus the stated recursion omega q_m + alpha sigma_b2 (``recursions.BIAS``, q(l-1) = q_m), in the
    displayed map's names: what the stated formula drops (zero without a skip connection)."""
    stated = BIAS.recurrence.rhs.subs({omega: omega_of(arch, stated=True), q(l - 1): q_m})
    return sp.simplify(displayed_step(arch)[q_m].subs(V, sigma_w2 * q_m + sigma_b2) - stated)


@lru_cache(maxsize=None)
def _step_function(arch: str):
    """The map as one numpy function (state, sigma_w2, sigma_b2, u, v) -> state."""
    values = step(arch)
    return sp.lambdify((STATE, sigma_w2, sigma_b2, u, v), [values[symbol] for symbol in STATE], "math")


def unrolled(arch: str, depth: int, sigma_w2_value: float, sigma_b2_value: float, u_value: float, v_value: float,
             q_x_value: float = 1.0) -> float:
    """q_m(L): the map iterated ``depth`` times from ``INITIAL`` (numbers in, a float out)."""
    one_step = _step_function(arch)
    state = tuple(float(INITIAL[symbol].subs(q_x, q_x_value)) for symbol in STATE)
    for _ in range(int(depth)):
        state = one_step(state, float(sigma_w2_value), float(sigma_b2_value), float(u_value), float(v_value))
    return float(state[STATE.index(q_m)])


def _bias_variance_class(arch: str) -> type:
    """A SymPy function q_a^{arch}(L, sigma_w2, sigma_b2, u, v, q_x) whose value is ``unrolled`` (lambdify calls
    its ``_imp_`` in every backend), printed q_a^{arch}(L)."""
    label = {"residual": "res", "vanilla": "van"}[arch]

    def implementation(*args):
        return np.vectorize(lambda *a: unrolled(arch, *(float(x) for x in a)), otypes=[np.float64])(
            *(np.asarray(a, dtype=np.float64) for a in args))[()]

    def latex(self, printer) -> str:
        return rf"q_{{a}}^{{\mathrm{{{label}}}}}\left({printer._print(self.args[0])}\right)"

    def call(self, printer) -> str:  # the torch printer knows no undefined function; lambdify supplies ``_imp_``
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"

    name = f"q_a_{label}"
    cls = type(name, (sp.Function,), {"nargs": 6, "_imp_": staticmethod(implementation), "_latex": latex,
                                      "_torchcode": call, "__module__": __name__})
    globals()[name] = cls  # importable by name, so an expression holding it pickles
    return cls


#: Var a_i at infinite width per architecture, as SymPy functions of (L, sigma_w2, sigma_b2, u, v, ||x||^2/d)
BIAS_VARIANCE = {arch: _bias_variance_class(arch) for arch in SKIP}


def bias_variance(arch: str, input_second_moment: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """Var a_i at depth L: the unrolled map of ``arch`` at ||x||^2/d = ``input_second_moment``."""
    return BIAS_VARIANCE[arch](L, sigma_w2, sigma_b2, u, v, input_second_moment)
