"""The names the mean-field paper's claim ids are made of, without SymPy: listing and matching ids (``atv claims``,
``--only``) must not load it.  ``norms`` and ``bounds`` build their SymPy objects over these names."""
from __future__ import annotations

#: the l_p norms of Theorem 5.1, in the order claim ids list them (``norms.P_VALUES`` as numbers)
NORM_NAMES = ("1", "2", "oo")
#: (p, q) as claim ids write it, p-major ("1_2" is p = 1, q = 2): ``norms.pair_name`` of ``norms.PAIRS``
PAIR_NAMES = tuple(f"{p}_{q}" for p in NORM_NAMES for q in NORM_NAMES)
#: the pairs seed 001 states beta for (the keys of ``norms.SEED_BETA``, in order)
SEED_PAIRS = ("1_2", "2_2", "oo_2", "1_1")
ARCHITECTURES = ("vanilla", "residual")
#: depths at which dsolve returns the residual training ODE's solution explicitly (higher depths give it
#: implicitly): the dynamics settings allow only these (``dynamics`` solves at each)
EXPLICIT_RESIDUAL_DEPTHS = (2, 4)
