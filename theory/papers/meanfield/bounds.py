"""The mean-field paper's quantities (``theory.quantities``): what Theorem 5.1 bounds, declared as data.

- ``adv_loss``: max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q of one network at one input, eps = eps_fraction
  ||x||_p (PGD's value: a lower estimate of the maximum);
- ``jacobian_opnorm``: ||J(x)||_{p->q} of one network at one input (exact where tractable, else the certified
  lower end of the sandwich);
- ``gaussian_opnorm``: ||G||_{p->q} / sqrt(d) for one K x d standard Gaussian matrix G, the random variable whose
  mean is beta_{p,q}.
The symbols are the configuration's (d, K, N, L, eps, sigma_w2, sigma_b2, u, v) and the paper's alpha and omega,
which ``expand`` writes out for the architecture.  No torch, no sympy.stats at import: the CLI refuses a bad
expression before anything heavy loads.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from theory.papers.meanfield.names import ARCHITECTURES
from theory.quantities import Certainty, PaperBound, Quantity, Range
from theory.symbols import K, L, N, alpha, d, eps, omega, sigma_b2, sigma_w2, u, v

SYMBOLS = {"d": d, "K": K, "N": N, "L": L, "eps": eps, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "u": u, "v": v,
           "alpha": alpha, "omega": omega}
NORMS = ("2", "1", "oo")
NETWORK_OPTIONS = {"p": NORMS, "q": NORMS, "arch": ARCHITECTURES}

#: the network domain: the mean-field regime the paper states (width well above depth, moderate variances)
NETWORK_DOMAIN = {
    "d": Range(2, 16, integer=True, limits=(1, 512)), "K": Range(1, 8, integer=True, limits=(1, 64)),
    "N": Range(64, 256, integer=True, limits=(1, 4096)), "L": Range(1, 6, integer=True, limits=(1, 64)),
    "sigma_w2": Range(0.5, 2.5, limits=(1e-3, 10)), "sigma_b2": Range(0.0, 0.5, limits=(0, 10)),
    "u": Range(0.5, 1.5, limits=(-10, 10)), "v": Range(-0.5, 0.5, limits=(-10, 10)),
    "eps_fraction": Range(0.01, 0.25, limits=(1e-6, 10)),
}
#: the mean-field form of Theorem 5.1 at (p, q) = (2, 2): beta_{2,2} to leading order in K/d (THEORY.md section 3)
MEAN_FIELD_BOUND_22 = "eps*(1 + sqrt(K/d))*sqrt(omega**L)"


def expand(expr: sp.Expr, options: Mapping[str, str]) -> sp.Expr:
    """alpha and omega written out for the architecture (the network module loads on first use)."""
    from theory.papers.meanfield.network import expand as expand_network

    return expand_network(expr, options["arch"])


ADV_LOSS = Quantity(
    id="meanfield.adv_loss",
    meaning="max over ||eta||_p <= eps of ||f(x + eta) - f(x)||_q for one network at one input (PGD, 20 steps, "
            "8 restarts)",
    symbols=SYMBOLS, domain=NETWORK_DOMAIN, certainty=Certainty.LOWER, options=NETWORK_OPTIONS, expand=expand,
    bound=PaperBound(MEAN_FIELD_BOUND_22, "Theorem 5.1 (mean-field form, beta_{2,2} to leading order)", "derived",
                     options={"p": "2", "q": "2"}),
    cost="about 0.05 s per example")
JACOBIAN_OPNORM = Quantity(
    id="meanfield.jacobian_opnorm",
    meaning="||J(x)||_{p->q} of one network's input-output Jacobian at one input (exact, or the certified lower "
            "end of its sandwich)",
    symbols=SYMBOLS, domain=NETWORK_DOMAIN, certainty=Certainty.LOWER, options=NETWORK_OPTIONS, expand=expand,
    bound=PaperBound("sqrt(omega**L/d)*(sqrt(K) + sqrt(d))", "Theorem 4.1 with Chevet's inequality (the mean of "
                     "the mean-field law's ||J||_{2->2})", "derived", options={"p": "2", "q": "2"}),
    cost="about 0.02 s per example")
GAUSSIAN_OPNORM = Quantity(
    id="meanfield.gaussian_opnorm",
    meaning="||G||_{p->q} / sqrt(d) for one K x d matrix of i.i.d. N(0, 1) entries (beta_{p,q} is its mean; exact, "
            "or the certified lower end of its sandwich)",
    symbols={"d": d, "K": K}, certainty=Certainty.LOWER, options={"p": NORMS, "q": NORMS},
    domain={"d": Range(1, 512, integer=True, log=True, limits=(1, 4096)),
            "K": Range(1, 16, integer=True, limits=(1, 64))},
    bound=PaperBound("(sqrt(K) + sqrt(d) + 6)/sqrt(d)", "Chevet's inequality with Gaussian concentration behind "
                     "beta_{2,2}: fails with probability at most exp(-18) = 1.5e-8 per example", "derived",
                     options={"p": "2", "q": "2"}),
    cost="about 0.01 s per example")

QUANTITIES = (ADV_LOSS, JACOBIAN_OPNORM, GAUSSIAN_OPNORM)
