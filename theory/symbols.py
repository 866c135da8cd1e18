"""Shared SymPy symbols with the assumptions the papers make.

Every module builds expressions from these objects, so a formula written in one place substitutes cleanly
into every other (SymPy compares symbols by name *and* assumptions).
"""
from __future__ import annotations

import sympy as sp

d, K, N, L = sp.symbols("d K N L", positive=True, integer=True)
eps, sigma_w2, sigma_b2 = sp.symbols("epsilon sigma_w2 sigma_b2", positive=True)
u, v = sp.symbols("u v", real=True)

#: layer index of a recursion and summation index of a closed form
l = sp.Symbol("l", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True, positive=True)

#: abstract mean-field quantities; the architecture substitutes its own expressions for them
omega = sp.Symbol("omega", positive=True)
alpha = sp.Symbol("alpha", positive=True)

#: pre-activation variable of the activation function
z = sp.Symbol("z", real=True)


#: training dynamics: time in gradient-descent steps, the learning rate, and r = alpha sigma^2 (the variance
#: of the trained weights times the activation's gain: omega_v for vanilla networks)
t = sp.Symbol("t", nonnegative=True)
eta = sp.Symbol("eta", positive=True)
r0 = sp.Symbol("r_0", positive=True)

#: LaTeX names, set once for every printer
LATEX_NAMES = {
    sigma_w2: r"\sigma_w^2",
    sigma_b2: r"\sigma_b^2",
    eps: r"\epsilon",
    eta: r"\eta",
}
