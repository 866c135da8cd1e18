"""Gao et al.'s quantities (``theory.quantities``): what the two-layer statements D1 and D3 bound, declared as data.

- ``linearisation_error``: sup over ||W - W_0||_F <= R of |f(W, x) - f(W_0, x) - <grad_W f(W_0, x), W - W_0>| for
  one network at one input of norm r (an ascent's value: a lower estimate of the sup), bounded by D1;
- ``ogd_regret``: sum_t l_t(W_t) - sum_t l_t(W^dagger) of projected online gradient descent on the linearised model
  after T steps of PGD-attacked logistic losses, against the hindsight comparator W^dagger found in the ball
  (a lower estimate of the regret against the best one), bounded by D3 at the comparator's distance D.
Both bounds are the digest's derivations (shared/papers/seed004.md, section 1.4), not the paper's words: the
paper's body is not available.  The bound texts are ``bounds.LINEARISATION_BOUND`` (at distance R) and
``bounds.REGRET_BOUND`` written in the quantities' symbols (a test checks that they are equal).
"""
from __future__ import annotations

import sympy as sp

from theory.papers.ntk_convergence.bounds import (ACTIVATIONS, L1, L2, X, L_loss, R, T, alpha, delta, distance,
                                                  grad_sq, m, x_norm)
from theory.quantities import Certainty, PaperBound, Quantity, Range
from theory.symbols import d

#: the training points per step of the regret's runs
n = sp.Symbol("n", positive=True, integer=True)

#: the antisymmetric initialisation (f(W_0, .) = 0) pairs the neurons: the width is even
EVEN_WIDTH = sp.Eq(sp.Mod(m, 2), 0)
MAIN = "the mechanism of the main theorem (most likely Thm 4.1; only the abstracts are available)"

LINEARISATION_ERROR = Quantity(
    id="ntk_convergence.linearisation_error",
    meaning="sup over ||W - W_0||_F <= R of |f(W, x) - f(W_0, x) - <grad_W f(W_0, x), W - W_0>| for one two-layer "
            "NTK-parametrised net of width m at one input of norm r (aligned movement, then projected ascent)",
    symbols={"m": m, "R": R, "r": x_norm, "d": d, "L_2": L2},
    domain={"m": Range(2, 16384, integer=True, log=True, limits=(2, 262144)),
            "R": Range(0.1, 10, log=True, limits=(0.1, 100)),
            "r": Range(0.1, 10, log=True, limits=(0.1, 100)),
            "d": Range(2, 16, integer=True, limits=(1, 1024))},
    constraints=(EVEN_WIDTH,),
    options={"activation": tuple(ACTIVATIONS)},
    certainty=Certainty.LOWER,
    bound=PaperBound("L_2*r**2*R**2/(2*sqrt(m))", "near-linearity (D1), " + MAIN, "derived"),
    cost="under 0.3 s per example (m up to 16384; about 4 s at the limit 262144)")

OGD_REGRET = Quantity(
    id="ntk_convergence.ogd_regret",
    meaning="sum_t l_t(W_t) - sum_t l_t(W^dagger) of projected online gradient descent on the linearised softplus "
            "net (width m, ball R, step alpha = R/(G sqrt(T))) over T steps of l2 PGD-3-attacked logistic losses on "
            "n unit-norm points, against the hindsight comparator W^dagger; D = ||W^dagger - W_0||_F, S = sum_t "
            "||g_t||_F^2, X = 1 + delta",
    symbols={"D": distance, "alpha": alpha, "S": grad_sq, "T": T, "R": R, "m": m, "n": n, "d": d, "delta": delta,
             "X": X, "L_1": L1, "L_ell": L_loss},
    domain={"m": Range(2, 128, integer=True, log=True, limits=(2, 4096)),
            "T": Range(2, 128, integer=True, log=True, limits=(1, 2048)),
            "R": Range(0.1, 16, log=True, limits=(1e-3, 1e3)),
            "delta": Range(0, 0.5, limits=(0, 4)),
            "n": Range(1, 16, integer=True, limits=(1, 256)),
            "d": Range(2, 10, integer=True, limits=(1, 256))},
    constraints=(EVEN_WIDTH,),
    certainty=Certainty.LOWER,
    bound=PaperBound("D**2/(2*alpha) + alpha*S/2", "the regret of projected online gradient descent (D3), " + MAIN,
                     "derived"),
    examples=30,
    cost="one linearised training run and its hindsight comparator: up to a few seconds per example")

QUANTITIES = (LINEARISATION_ERROR, OGD_REGRET)
