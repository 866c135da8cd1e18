"""Operator norms of Gaussian matrices: Chevet's expectation bound, its Gaussian-concentration tail, exact
Gaussian-vector norm expectations, and beta_{p,q} (THEORY.md section 3).

G is K x d with i.i.d. N(0, 1) entries and ||G||_{p->q} = max_{||x||_p <= 1} ||G x||_q.  The mean-field
reduction J ~ sqrt(omega^L / d) G turns every statement here into one about the network's Jacobian, with
beta_{p,q} = E||G||_{p->q} / sqrt(d).
"""
from __future__ import annotations

import sympy as sp

from theory.papers.meanfield.names import NORM_NAMES
from theory.symbols import K, L, N, d, eps, omega

oo = sp.oo
P_VALUES = tuple(oo if name == "oo" else int(name) for name in NORM_NAMES)
PAIRS = tuple((p, q) for p in P_VALUES for q in P_VALUES)

#: failure probability of a high-probability bound
delta = sp.Symbol("delta", positive=True)
#: integration variable
t = sp.Symbol("t", positive=True)


def pair_name(p, q) -> str:
    """(oo, 2) -> 'oo_2': the suffix of claim ids."""
    return f"{'oo' if p == oo else p}_{'oo' if q == oo else q}"


def dual(r):
    """Hoelder conjugate r* with 1/r + 1/r* = 1, on {1, 2, oo}."""
    return {1: oo, 2: 2, oo: 1}[r]


def l2_radius(r, n: sp.Expr) -> sp.Expr:
    """sup of ||x||_2 over the unit l_r ball of R^n: 1 for r <= 2, sqrt(n) for r = oo."""
    return sp.sqrt(n) if r == oo else sp.Integer(1)


def gaussian_norm_mean(n: sp.Expr, r) -> sp.Expr:
    """E||g||_r for g ~ N(0, I_n), exactly (the r = oo case as an integral for mpmath)."""
    if r == 1:
        return n * sp.sqrt(2 / sp.pi)
    if r == 2:
        return sp.sqrt(2) * sp.gamma((n + 1) / 2) / sp.gamma(n / 2)
    return sp.Integral(1 - sp.erf(t / sp.sqrt(2)) ** n, (t, 0, oo))


def gaussian_norm_mean_bound(n: sp.Expr, r) -> sp.Expr:
    """Elementary upper bounds of E||g||_r: n sqrt(2/pi), sqrt(n), sqrt(2 ln 2n)."""
    return {1: n * sp.sqrt(2 / sp.pi), 2: sp.sqrt(n), oo: sp.sqrt(2 * sp.log(2 * n))}[r]


def lipschitz(p, q) -> sp.Expr:
    """s_p t_q: the Lipschitz constant of G -> ||G||_{p->q} in the Frobenius norm."""
    return l2_radius(p, d) * l2_radius(dual(q), K)


def chevet(p, q) -> sp.Expr:
    """Chevet's inequality: E||G||_{p->q} <= s_p E||g_K||_q + t_q E||g_d||_{p*}."""
    return l2_radius(p, d) * gaussian_norm_mean(K, q) + l2_radius(dual(q), K) * gaussian_norm_mean(d, dual(p))


def tail(p, q) -> sp.Expr:
    """P(||G||_{p->q} > tail) <= delta, by Gaussian concentration of a Lipschitz function."""
    return chevet(p, q) + lipschitz(p, q) * sp.sqrt(2 * sp.log(1 / delta))


def beta_chevet(p, q) -> sp.Expr:
    """beta_{p,q} from Chevet's bound: an upper bound of E||G||_{p->q} / sqrt(d)."""
    return chevet(p, q) / sp.sqrt(d)


def beta_leading(p, q) -> sp.Expr:
    """Leading order of Chevet's beta, with E||g_n||_2 ~ sqrt(n) and E||g_n||_oo ~ sqrt(2 ln n)."""
    def mean(n, r):
        return {1: n * sp.sqrt(2 / sp.pi), 2: sp.sqrt(n), oo: sp.sqrt(2 * sp.log(n))}[r]

    return sp.simplify((l2_radius(p, d) * mean(K, q) + l2_radius(dual(q), K) * mean(d, dual(p))) / sp.sqrt(d))


#: the values seed 001 states (registered as claims exactly as written)
SEED_BETA = {
    (1, 2): sp.sqrt(K / d),
    (2, 2): sp.Integer(1),
    (oo, 2): sp.sqrt(2 * sp.log(K) / d),
    (1, 1): sp.sqrt(2 * K**2 / (sp.pi * d)),
}


def finite_width_factor() -> sp.Expr:
    """F = exp(sqrt(2 ln(1/delta)) sqrt(8 L / N)): slack for the network's own fluctuations (DERIVED, stated).

    log ||J|| fluctuates roughly normally across networks with variance of order L/N (Hanin & Nica 2019 give
    ~5L/(4N) for ReLU at criticality); 8L/N over-covers that and the sup over the eps-ball around x, so a
    network exceeds F times its mean-field value with probability below delta.
    """
    return sp.exp(sp.sqrt(2 * sp.log(1 / delta)) * sp.sqrt(8 * L / N))


def network_tail(p, q) -> sp.Expr:
    """High-probability bound of L_adv at one input: eps sqrt(omega^L / d) T_{p,q}(delta) F(delta)."""
    return eps * sp.sqrt(omega**L / d) * tail(p, q) * finite_width_factor()
