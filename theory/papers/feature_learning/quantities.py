"""Li & Li's quantities (``theory.quantities``): what the reconstructed model R-inf bounds, declared as data.

Both are read off one standard-trained (ST) patch CNN of R-inf (shared/papers/seed002.md, section 1.2) per
configuration, trained as the column's calibrated configuration C* trains it (q = 3, rho = 1, sigma_0 = 0.05, full-batch
GD with eta = 1 for 300 steps, sigma_xi = 0):
- ``fooling_radius``: the smallest radius at which the closed-form feature attack delta_p = eps sign(v_{y'} - v_y)
  fools the network (bisection on the radius; an upper estimate of the true smallest l_inf fooling radius), against
  the threshold beta / sqrt(D) of section 1.4(b) as a lower bound;
- ``feature_ratio``: Gamma^u / Gamma^v after ST, against the margin 1/3 of "ST primarily learns the non-robust
  feature" (claim ``feature_learning.st.nonrobust_features``).
D is a power of two (the non-robust features are Sylvester-Hadamard rows), so the domain draws its exponent
``log2D``.  Every configuration is inside the learning race's margin R_learn = P beta^q / alpha^q >= 3 (a constraint,
the column's ``MARGINS["race"]``) and has room for its k features.  The threshold also needs a network that uses v
(every class within the usage margin Gamma^u_j / Gamma^v_j <= 1/3): no a priori margin guarantees that (a class
whose neurons start aligned with u rather than v leaves it in a few percent of seeds even at R_learn = 6), so the
fooling radius is measured on the seed's first network that is inside it (the measurement redraws the others);
the feature ratio, which is that usage, is measured on the seed's network as drawn.
"""
from __future__ import annotations

import sympy as sp

from theory.quantities import Certainty, PaperBound, Quantity, Range
from theory.papers.feature_learning.model import MARGINS, THRESHOLDS, D, P, alpha, beta, m, q
from theory.symbols import k

#: the smoothed ReLU's power of the trained networks (C*'s; the race constraint is written at it)
POWER = 3
log2D = sp.Symbol("log2D", positive=True, integer=True)
SYMBOLS = {"k": k, "D": D, "P": P, "alpha": alpha, "beta": beta, "m": m}
DOMAIN = {
    "k": Range(2, 4, integer=True, limits=(2, 8)),
    "log2D": Range(3, 5, integer=True, limits=(2, 7)),
    "P": Range(16, 128, integer=True, log=True, limits=(2, 1024)),
    "alpha": Range(0.8, 1.25, limits=(0.05, 10)),
    "beta": Range(0.3, 0.5, limits=(0.01, 10)),
    "m": Range(8, 32, integer=True, log=True, limits=(2, 128)),
}
#: the race's margin (section 1.4(a)) and room for the k non-robust features among the D - 1 Hadamard rows used
CONSTRAINTS = (MARGINS["race"].subs(q, POWER), sp.Le(k + 1, 2**log2D))
OPTIONS_FOOLED = ("any", "all")
OPTIONS_CLASSES = ("mean", "worst")
COST = ("one ST training run (300 full-batch GD steps, CPU float64): about 0.5 s per example, up to 2 s at k = 4 or "
        "where the fooling radius redraws the network")
PLACE = "digest section 1.4(b) and C9 (R-inf; the paper's own statement is not available)"

FOOLING_RADIUS = Quantity(
    id="feature_learning.fooling_radius",
    meaning="the smallest l_inf radius at which the closed-form feature attack eps sign(v_{y'} - v_y) on every patch "
            "(best target y') misclassifies one (fooled=any) or every (fooled=all) class's input of a standard-trained "
            "R-inf network that uses v (every class's Gamma^u / Gamma^v <= 1/3; D = 2**log2D; bisection, the fooling "
            "end returned)",
    symbols=SYMBOLS, domain=DOMAIN, constraints=CONSTRAINTS, certainty=Certainty.UPPER,
    options={"fooled": OPTIONS_FOOLED},
    bound=PaperBound(str(THRESHOLDS["nonrobust"]), PLACE + ": the radius at which the attack erases the non-robust "
                     "margin beta of a network that uses only v, with equal class coefficients", "derived", lower=True,
                     options={"fooled": "any"}),
    examples=25, cost=COST)
FEATURE_RATIO = Quantity(
    id="feature_learning.feature_ratio",
    meaning="Gamma^u / Gamma^v of a standard-trained R-inf network after T = 300 steps (Gamma^f_j: the largest "
            "correlation of class j's neurons with its feature f, Gamma^u clipped at 0; the geometric mean over "
            "classes (classes=mean) or the largest class's ratio (classes=worst); D = 2**log2D)",
    symbols=SYMBOLS, domain=DOMAIN, constraints=CONSTRAINTS, certainty=Certainty.EXACT,
    options={"classes": OPTIONS_CLASSES},
    bound=PaperBound(str(MARGINS["usage"].rhs), "the ST theorem's shape in the feature-learning family: ST 'primarily "
                     "learns the non-robust feature rather than the robust feature' (the abstract); the margin 1/3 is "
                     "the digest's (C1, claim feature_learning.st.nonrobust_features)", "reconstructed",
                     options={"classes": "mean"}),
    examples=25, cost=COST)

QUANTITIES = (FOOLING_RADIUS, FEATURE_RATIO)
