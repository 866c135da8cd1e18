"""What a user may write in a bound for ``atv check-bound`` on the mean-field paper's quantities.

The symbols are the configuration's (d, K, N, L, eps, sigma_w2, sigma_b2, u, v) and the paper's alpha and omega,
which ``expand`` writes out for the architecture.  No torch, no sympy.stats at import: the CLI refuses a bad
expression before anything heavy loads.
"""
from __future__ import annotations

import sympy as sp

from theory.claims import BoundVocabulary
from theory.symbols import K, L, N, alpha, d, eps, omega, sigma_b2, sigma_w2, u, v

SYMBOLS = {"d": d, "K": K, "N": N, "L": L, "eps": eps, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "u": u, "v": v,
           "alpha": alpha, "omega": omega}


def expand(expr: sp.Expr, arch: str) -> sp.Expr:
    """alpha and omega written out for ``arch`` (the network module loads on first use)."""
    from theory.papers.meanfield.network import expand as expand_network

    return expand_network(expr, arch)


VOCABULARY = BoundVocabulary(quantities=("jacobian_opnorm", "adv_loss"), symbols=SYMBOLS, expand=expand)
