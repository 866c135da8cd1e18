"""Lyu & Zhu's quantities (``theory.quantities``): how far an adversarially trained deep linear network is from
its max-margin limit after t steps, declared as data.

- ``direction_error``: e = 1 - cos(w_prod(t), u_bar), w_prod the end-to-end predictor after t steps of Algorithm 1
  (normalised steps), u_bar the reference direction: the l2-SVM's under an l2 adversary (FGM), the mixed-norm
  solution's under an l_inf adversary (FGSM);
- ``margin_deficit``: Delta = rho - (min_i y_i u.x_i - eps ||u||_{p*}) at u = w_prod / ||w_prod||, the reference's
  robust margin rho (gamma - eps under l2) minus the network's normalised robust margin; >= 0, the reference being
  the maximiser.

The paper states only limits (the direction converges; the abstract gives no rate, and the digest records none for
deep nets), so the bounds are the project's, ``derived`` and said so.  They tie the two quantities of one network
together at every t, with no rate in t:
- ``MARGIN_DEFICIT_ABSOLUTE``: Delta <= R sqrt(2 e) under l2 (R = max_i ||x_i||_2), the margin a direction within
  1 - cos = e of the SVM's can lose: the column's robust-margin bound (``margins.MARGIN_DEFICIT_BOUND``, relative
  to gamma - eps) on the absolute deficit;
- ``DIRECTION_ERROR_BOUND``: e <= Delta / gamma under l2, the quadratic growth of the SVM problem.  Derivation:
  w* = sum_i a_i y_i x_i with a >= 0 and sum_i a_i = ||w*||^2 (complementary slackness), so for any unit u
  min_i y_i x_i.u <= sum_i a_i y_i x_i.u / sum_i a_i = w*.u / ||w*||^2 = gamma cos(u, u_bar); the robust margins
  under l2 shift both sides by eps.  The same argument on the mixed-norm problem (the subgradient of ||w||_1 is
  common to all constraints) gives e <= Delta / rho under l_inf (``DIRECTION_ERROR_BOUND_LINF``).
The second is an equality while the SVM's only support vector stays the closest point; the first comes within a
percent of tight in the plane (a support vector's component orthogonal to u_bar along the error).  Both hold for
every w, trained or not: a counterexample is a fault of the measurement (reference solvers, margins, training
output), and a rate conjecture such as C/log(t) can be checked against ``t``.  eps is eps_fraction times gamma
(fgm) or gamma_1 (fgsm), as in the column.
No torch here: the CLI refuses a bad expression before anything heavy loads.
"""
from __future__ import annotations

import sympy as sp

from theory.papers.implicit_bias.margins import MARGIN_DEFICIT_BOUND, degree, e, gamma, radius
from theory.quantities import Certainty, PaperBound, Quantity, Range
from theory.symbols import d, eps, eta, t

#: the number of data points, the margin deficit of the trained direction, the reference's robust margin
n = sp.Symbol("n", positive=True, integer=True)
deficit = sp.Symbol("Delta", real=True)
rho = sp.Symbol("rho", positive=True)

#: quadratic growth of the l2-SVM problem (module docstring): 1 - cos(u, u_bar) <= Delta / gamma
DIRECTION_ERROR_BOUND = deficit / gamma
#: the same for the mixed-norm problem of an l_inf adversary
DIRECTION_ERROR_BOUND_LINF = deficit / rho
#: the column's relative bound 1 - r <= R sqrt(2e) / (gamma - eps) on the absolute deficit
MARGIN_DEFICIT_ABSOLUTE = (gamma - eps) * MARGIN_DEFICIT_BOUND

#: the perturbation: l2 (FGM, the l2-SVM reference, Gaussian data) or l_inf (FGSM, the mixed-norm reference, sparse
#: data); for a linear map each is the exact worst case (and equals its PGD), as in the column
ATTACKS = ("fgm", "fgsm")
SYMBOLS = {"t": t, "L": degree, "n": n, "d": d, "eta": eta, "eps": eps, "gamma": gamma, "rho": rho, "R": radius}
#: tiny runs: one example is a training run (about 1.5 ms per step on a 2-core CPU) and its references
DOMAIN = {
    "n": Range(4, 16, integer=True, limits=(2, 64)), "d": Range(2, 6, integer=True, limits=(2, 32)),
    "L": Range(1, 3, integer=True, limits=(1, 6)), "steps": Range(10, 1000, integer=True, log=True, limits=(1, 20000)),
    "eta": Range(0.005, 0.05, log=True, limits=(1e-4, 0.2)), "eps_fraction": Range(0.0, 0.9, limits=(0.0, 0.99)),
}
COST = ("one adversarial training run (up to 1000 normalised steps, about 1.5 ms each), a reference solved twice "
        "and re-solved at 60 digits: about 0.3-2 s per example")


def _quantity(name: str, meaning: str, companion: tuple[str, sp.Symbol], bound: str, why: str) -> Quantity:
    """A quantity of one training run, measured exactly (at 60 digits against a KKT-certified reference, so up to
    the rounding of the reported float), carrying the other quantity of the same run as the symbol
    ``companion``; the bound is the project's, for the l2 adversary (module docstring)."""
    return Quantity(
        id=f"implicit_bias.{name}", meaning=meaning + " after t (= steps) normalised steps of Algorithm 1 on a deep "
        "linear net (u_bar: the l2-SVM under fgm, the mixed-norm solution under fgsm)",
        symbols={**SYMBOLS, companion[0]: companion[1]}, domain=DOMAIN, certainty=Certainty.EXACT,
        options={"attack": ATTACKS},
        bound=PaperBound(bound, f"deep-linear theorem (l2), which states only the limit; {why}, at every t (no "
                         f"rate; {companion[0]} measured on the same network)", "derived", options={"attack": "fgm"}),
        examples=25, cost=COST)


DIRECTION_ERROR = _quantity("direction_error", "e = 1 - cos(w_prod, u_bar)", ("Delta", deficit), "Delta/gamma",
                            "quadratic growth of the l2-SVM problem")
MARGIN_DEFICIT = _quantity("margin_deficit", "Delta = rho - min_i (y_i u.x_i - eps ||u||_{p*}) at u = w_prod / "
                           "||w_prod||, rho the reference's robust margin (gamma - eps under fgm)", ("e", e),
                           "R*sqrt(2*e)", "the column's robust-margin bound (margins.MARGIN_DEFICIT_BOUND) times "
                           "gamma - eps")

QUANTITIES = (DIRECTION_ERROR, MARGIN_DEFICIT)
