"""Training dynamics under adversarial training (THEORY.md section 4): the Euler identity, the weight-variance
ODEs and their ``dsolve`` solutions, trainability, capacity and the 1/N width scaling.

Gradient descent W <- W - eta grad L_adv on the layer weights only (P_in, P_out fixed); t counts steps, so
gradient flow reads dW/dt = -eta grad L_adv, and sigma_l^2 := ||W_l||_F^2 / N.
- Euler: for a bias-free vanilla network J is degree-1 homogeneous in each W_l (the slopes D do not change
  when W_l is scaled by c > 0), so <W_l, grad_l L_adv> = L_adv exactly and d||W_l||_F^2/dt = -2 eta L_adv.
  For a residual layer only the branch D W of I + D W scales; the branch's share of the variance,
  (omega_r - 1)/omega_r, replaces the 1 (exact in expectation for a squared loss, a heuristic otherwise).
  Both cases are the one formula ``euler_ratio`` = (omega - s^2)/omega, s the skip (0 or 1).
- Closing the flow with the mean-field loss L_adv ~ eps beta sqrt(omega^L) and r := alpha sigma^2 gives
  dr/dt = -c r^{L/2} (vanilla) and -c r (1 + r)^{L/2 - 1} (residual), c = 2 eta eps beta alpha / N.
Every formula below is derived from these few definitions; none is typed twice.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory.claims import expand_definitions
from theory.papers.meanfield.names import EXPLICIT_RESIDUAL_DEPTHS
from theory.papers.meanfield.network import definitions, omega_of
from theory.papers.meanfield.norms import dual, gaussian_norm_mean
from theory.papers.meanfield.recursions import SKIP
from theory.symbols import K, L, N, alpha, d, eps, eta, omega, r0, sigma_w2, t

#: r(t) = alpha sigma^2(t), the variance of the trained weights times the activation gain
r = sp.Function("r")
#: a value of r (the ODE's right-hand side is a function of it)
rr = sp.Symbol("r", positive=True)
beta = sp.Symbol("beta", positive=True)
L_adv = sp.Symbol("L_adv", positive=True)

#: the Euler identity's consequence: per-step first-order change of ||W_l||_F^2 (vanilla, bias-free)
FROBENIUS_RATE = -2 * eta * L_adv
#: ... and of sigma_l^2 = ||W_l||_F^2 / N: every rate carries the 1/N of this definition
SIGMA_RATE = FROBENIUS_RATE / N
#: c = 2 eta eps beta alpha / N: the rate constant of the ODEs
RATE_CONSTANT = sp.Symbol("c", positive=True)
#: r at time t, the ODE's solution, kept as a symbol where a formula uses it (defined by ``solution``)
R_T = sp.Symbol("r(t)", positive=True)


def euler_ratio(arch: str) -> sp.Expr:
    """<W_l, grad_l L_adv> / L_adv in terms of omega: 1 for vanilla, (omega - 1)/omega for residual."""
    skip = SKIP[arch]
    return (omega - skip**2) / omega


def meanfield_loss(power: sp.Expr = L / 2) -> sp.Expr:
    """L_adv ~ eps beta omega^(L/2) (Theorem 5.1's scale); ``power`` exists so tests can plant a wrong exponent."""
    return eps * beta * omega**power


@lru_cache(maxsize=None)
def ode_rhs(arch: str, power: sp.Expr = L / 2, width_scaling: bool = True) -> sp.Expr:
    """dr/dt as a function of r: alpha (d sigma^2/dt) with the Euler ratio and the mean-field loss at omega(r).

    ``power`` and ``width_scaling`` default to the derivation; the planted-error twins change them.  Cached: the
    claims, the ODE and the report ask for it some thirty times, and each simplification costs tenths of a second
    (positional and keyword calls are cached apart, so it is still computed a few times).
    """
    rate = alpha * SIGMA_RATE * (1 if width_scaling else N) * euler_ratio(arch)
    rhs = rate.subs(L_adv, meanfield_loss(power)).subs(omega, omega_of(arch, stated=True))
    rhs = sp.simplify(rhs.subs(sigma_w2, rr / alpha))
    return sp.simplify(rhs / rate_constant(width_scaling)) * RATE_CONSTANT


def rate_constant(width_scaling: bool = True) -> sp.Expr:
    """c in terms of the configuration (the factor ``ode_rhs`` pulled out)."""
    return 2 * eta * eps * beta * alpha / (N if width_scaling else 1)


#: THEORY.md section 4's vanilla solution, as stated there (checked against dsolve by ``agrees``)
STATED_VANILLA = sp.Piecewise(
    ((r0 ** (1 - L / 2) + (L / 2 - 1) * RATE_CONSTANT * t) ** (-2 / (L - 2)), sp.Ne(L, 2)),
    (r0 * sp.exp(-RATE_CONSTANT * t), True))



def _initial_value(solution: sp.Eq) -> sp.Expr:
    """The explicit r(t) of a general dsolve solution with C1 fixed by r(0) = r0.

    With a symbolic depth, solve returns spurious roots (a factor (-1)^L); the root kept is the one that meets
    r(0) = r0 at an odd and an even depth both.
    """
    C1 = sp.Symbol("C1")
    general = solution.rhs

    def meets(root: sp.Expr) -> bool:
        at_zero = general.subs(C1, root).subs(t, 0)
        return all(abs(complex(at_zero.subs({L: depth, r0: 2})) - 2) < 1e-12 for depth in (4, 5))

    (value,) = [root for root in sp.solve(sp.Eq(general.subs(t, 0), r0), C1) if meets(root)]
    return sp.simplify(general.subs(C1, value))


def _ode(arch: str, power, width_scaling: bool, depth=None) -> sp.Eq:
    rhs = ode_rhs(arch, power, width_scaling).subs(rr, r(t))
    return sp.Eq(r(t).diff(t), rhs if depth is None else rhs.subs(L, depth))


def solution(arch: str, power: sp.Expr = L / 2, width_scaling: bool = True) -> sp.Expr:
    """r(t) with r(0) = r0 from ``dsolve``, as a Piecewise in the depth L.

    Cached with its arguments normalised, so ``solution(arch)`` and ``solution(arch, L / 2, True)`` (claims,
    figures and the report ask both ways) solve once.
    """
    return _solution(arch, power, width_scaling)


@lru_cache(maxsize=None)
def _solution(arch: str, power: sp.Expr, width_scaling: bool) -> sp.Expr:
    """``solution`` itself.

    Vanilla: dsolve solves dr/dt = -c r^(L/2) for symbolic L (a power law for L != 2, exponential at L = 2).
    Residual: dr/dt = -c r (1 + r)^(L/2 - 1) has an explicit solution only at small depths (L = 2: exponential,
    L = 4: logistic); other depths evaluate to nan, so a claim at such a depth fails loudly instead of silently.
    """
    if arch == "vanilla":
        pieces = []
        for branch in sp.dsolve(_ode(arch, power, width_scaling), r(t), hint="separable"):  # what dsolve picks
            (expr, cond), _ = branch.rhs.args
            pieces.append((_initial_value(sp.Eq(r(t), expr)), cond))
        pieces.sort(key=lambda piece: piece[1].has(sp.Eq))  # Ne(L, 2) first, then the L = 2 branch
        return sp.Piecewise(*[(e, c) for e, c in pieces[:-1]], (pieces[-1][0], True))
    pieces = []
    for depth in EXPLICIT_RESIDUAL_DEPTHS:
        solved = sp.dsolve(_ode(arch, power, width_scaling, depth), r(t), hint="separable")
        explicit = isinstance(solved, sp.Eq) and solved.lhs == r(t)  # a planted exponent may leave it implicit
        pieces.append((_initial_value(solved) if explicit else sp.nan, sp.Eq(L, depth)))
    return sp.Piecewise(*pieces, (sp.nan, True))


def implicit_solution(arch: str, depth: int) -> sp.Eq:
    """dsolve's solution at one integer depth with r(0) = r0 (implicit for residual depths above 4)."""
    return sp.dsolve(_ode(arch, L / 2, True, depth), r(t), ics={r(0): r0})


def agrees(depths: tuple[int, ...] = (3, 4, 5, 8, 13), digits: int = 40) -> bool:
    """True when dsolve's vanilla solution equals the stated one: exactly on the L = 2 branch, and on the
    L != 2 branch at each of ``depths`` (symbolically, then at 40 digits over a grid of r0, c t)."""
    solved = solution("vanilla")
    if sp.simplify(solved.args[1][0] - STATED_VANILLA.args[1][0]) != 0:
        return False
    generic = solved.args[0][0] - STATED_VANILLA.args[0][0]
    points = [{r0: sp.Rational(a, 4), RATE_CONSTANT: sp.Rational(b, 8), t: sp.Integer(c)}
              for a in (1, 4, 7) for b in (1, 3) for c in (0, 1, 10)]
    return all(abs(generic.subs(L, depth).subs(point).evalf(digits)) < sp.Float(10) ** (5 - digits)
               for depth in depths for point in points)


def beta_single_output(p) -> sp.Expr:
    """beta_{p,q} for K = 1, exactly: J is a row, ||J||_{p->q} = ||J||_{p*}, so beta = E||g_d||_{p*} / sqrt(d)."""
    return gaussian_norm_mean(d, dual(p)) / sp.sqrt(d)


def beta_max_entry() -> sp.Expr:
    """beta_{1,oo} for any K, exactly: ||G||_{1->oo} is the largest |entry|, so beta = E||g_{Kd}||_oo / sqrt(d)."""
    return gaussian_norm_mean(K * d, sp.oo) / sp.sqrt(d)


def configuration_definitions(arch: str, beta_value: sp.Expr, width_scaling: bool = True,
                              power: sp.Expr = L / 2) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    """r(t), c, beta, r0 = alpha sigma_w2, omega and alpha, in the order they are substituted: what the
    dynamics' formulas, written in the paper's symbols, mean in the configuration's."""
    return ((R_T, solution(arch, power, width_scaling)), (RATE_CONSTANT, rate_constant(width_scaling)),
            (beta, beta_value), (r0, alpha * sigma_w2), *definitions(arch))


def in_configuration(expr: sp.Expr, arch: str, beta_value: sp.Expr, width_scaling: bool = True) -> sp.Expr:
    """Substitute ``configuration_definitions``: an expression in the configuration's symbols."""
    definitions = configuration_definitions(arch, beta_value, width_scaling)
    return expand_definitions(expr, definitions if expr.has(R_T) else definitions[1:])


def variance_drop(arch: str, beta_value: sp.Expr, power: sp.Expr = L / 2, width_scaling: bool = True) -> sp.Expr:
    """sigma_w^2 - sigma^2(t) predicted by the ODE, in the configuration's symbols (t, eta, eps, N, L, ...)."""
    return expand_definitions(DROP, configuration_definitions(arch, beta_value, width_scaling, power))


#: sigma_w^2 - sigma^2(t) in the paper's symbols: (r0 - r(t)) / alpha
DROP = (r0 - R_T) / alpha


def initial_rate(arch: str, beta_value: sp.Expr, power: sp.Expr = L / 2, width_scaling: bool = True) -> sp.Expr:
    """-d sigma^2/dt at t = 0: the rate at which the variance starts to fall."""
    return in_configuration(rate_abstract(arch, power, width_scaling), arch, beta_value, width_scaling)


def rate_abstract(arch: str, power: sp.Expr = L / 2, width_scaling: bool = True) -> sp.Expr:
    """-d sigma^2/dt at t = 0 in the paper's symbols (r0, c, alpha)."""
    return -ode_rhs(arch, power, width_scaling).subs(rr, r0) / alpha


def width_exponent(rate: sp.Expr) -> sp.Expr:
    """d log(rate) / d log N: -1 for every rate derived here (the 1/N of sigma^2 = ||W||_F^2 / N)."""
    return sp.simplify(N * sp.diff(rate, N) / rate)


def depth_slope(arch: str) -> sp.Expr:
    """d log ||grad_{W_1} clean loss|| / dL at r = alpha sigma^2: the backward signal gains sqrt(omega) per layer."""
    return sp.log(omega_of(arch, stated=True).subs(sigma_w2, rr / alpha)) / 2


def trainability(arch: str) -> sp.Expr:
    """sign of d log ||grad_{W_1} clean loss|| / dL after adversarial training.

    The slope is log(omega)/2 at the trained variance: omega_v = r(t) < 1 (vanilla trained from criticality)
    makes clean gradients vanish with depth, while omega_r = 1 + r > 1 for any r > 0, whatever the training did.
    """
    return sp.sign(depth_slope(arch)).subs(rr, R_T)


def trainability_effect(arch: str) -> sp.Expr:
    """The change of the depth slope that adversarial training causes: log(omega(r(t)) / omega(r0)) / 2."""
    slope = depth_slope(arch)
    return slope.subs(rr, R_T) - slope.subs(rr, r0)


def capacity(arch: str) -> sp.Expr:
    """kappa = omega^L - s^(2L): the Jacobian variance d Var J beyond the skip path (0 for a linear map).

    sigma^2 -> 0 sends kappa -> 0: vanilla networks toward a constant map, residual ones toward P_out P_in x.
    """
    return omega**L - SKIP[arch] ** (2 * L)


def capacity_reduction(arch: str) -> sp.Expr:
    """kappa before adversarial training minus kappa after it (positive: capacity was reduced)."""
    stated = omega_of(arch, stated=True)
    return capacity(arch).subs(omega, stated.subs(sigma_w2, r0 / alpha)) - capacity(arch).subs(
        omega, stated.subs(sigma_w2, R_T / alpha))


def width_alleviation(effect: sp.Expr, arch: str, width_scaling: bool = True) -> sp.Expr:
    """sign(-d|E|/dN) at fixed eta, eps and t, for an effect E(r(t)) of training (written with ``R_T``).

    The ODE dr/dt = c g(r) is autonomous and r(0) = r0 does not depend on N, so r(t) depends on c t alone and
    dr(t)/dN = (t/N) w dr/dt, with w = d log c / d log N the width exponent of the rate constant (-1: the 1/N of
    sigma^2 = ||W||_F^2 / N). Hence -d|E|/dN = -(t/N) w sign(E) E'(r(t)) dr/dt: +1 says the effect is smaller at
    a larger width (width alleviates it), as it is for any effect that grows in time when w = -1.
    """
    growth = sp.diff(effect.subs(R_T, rr), rr) * ode_rhs(arch, width_scaling=width_scaling)
    w = width_exponent(rate_constant(width_scaling))
    return sp.sign(-w * effect * growth.subs(rr, R_T))
