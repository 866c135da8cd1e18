"""Kumano, Kera, Yamasaki, "Adversarial Training from Mean Field Perspective" (NeurIPS 2023): the network and
its mean-field quantities (``network``), the recursions of Theorem 4.1 (``recursions``), Gaussian operator norms
and beta_{p,q} for Theorem 5.1 (``norms``), the training dynamics of Section 6 (``dynamics``), and the claims
(``claims``, ``dynamics_claims``)."""
from __future__ import annotations

from functools import partial
from importlib import import_module

from theory.claims import ClaimGroup, Paper
from theory.papers.meanfield.names import ARCHITECTURES, PAIR_NAMES, SEED_PAIRS

THEOREM_4_1 = ("jacobian_variance", "bias_variance", "jacobian_gaussian", "bias_gaussian", "independence",
               "input_independence", "bias_input_independence")
#: Theorem 4.1 beyond the variances (``theorem41_claims``): i.i.d. entries, laws, K = 1, the derived bias variance
THEOREM_4_1_MORE = ("entry_independence.row", "entry_independence.column", "entry_independence.width",
                    "jacobian_anderson_darling", "bias_anderson_darling", "jacobian_law_two_inputs",
                    "bias_law_two_inputs", "independence_k1", "bias_variance_derived")
#: the Theorem 4.1 claims also judged in the limit N -> oo (``theorem41_claims.LIMITS``), as ``<name>.limit``
THEOREM_4_1_LIMITS = ("jacobian_variance", "bias_variance", "bias_variance_derived", "jacobian_gaussian",
                      "bias_gaussian")
#: (p, q) of the Section 6 claims on beta (``dynamics_claims.BETA_PAIRS``)
DYNAMICS_PAIRS = ("2_2", "oo_2", "1_oo")
#: (p, q) of the exact-L_adv sandwich claims (``exact_claims.MILP_ORDERS`` squared)
EXACT_PAIRS = ("1_1", "1_oo", "oo_1", "oo_oo")


def _build(module: str, function: str, *args) -> list:
    """Call ``function`` of the claims module ``module`` (imported now: building runs SymPy)."""
    built = getattr(import_module(f"{__name__}.{module}"), function)(*args)
    return built if isinstance(built, list) else [built]


def _group(ids, module: str, function: str, *args) -> ClaimGroup:
    return ClaimGroup(tuple(ids), partial(_build, module, function, *args))


def _claims() -> list[ClaimGroup]:
    """The claim groups, in the order the verdict table lists them; ids only, nothing is built here (the
    names are plain strings: listing and matching ids import no SymPy)."""
    names = PAIR_NAMES
    return [
        *[group for arch in ARCHITECTURES for group in (
            _group([f"meanfield.thm4_1.{name}.{arch}" for name in THEOREM_4_1], "claims", "theorem_4_1", arch),
            _group([f"meanfield.thm4_1.{name}.{arch}" for name in THEOREM_4_1_MORE], "theorem41_claims", "completion", arch),
            _group([f"meanfield.thm4_1.{name}.limit.{arch}" for name in THEOREM_4_1_LIMITS], "theorem41_claims",
                   "limits", arch))],
        _group([f"meanfield.beta.{name}.{kind}" for name in names for kind in ("chevet", "tail")], "claims",
               "gaussian_level"),
        *[_group([f"meanfield.thm5_1.{name}.{arch}" for name in names], "claims", "theorem_5_1", arch)
          for arch in ARCHITECTURES],
        *[_group([f"meanfield.thm5_1.{part}.{name}.{arch}" for name in names], "bound_claims", function, arch)
          for part, function in (("step1", "step_one"), ("bound", "bound")) for arch in ARCHITECTURES],
        *[_group([f"meanfield.thm5_1.bound.{name}.limit.{arch}" for name in names], "bound_claims", "bound_limits",
                 arch) for arch in ARCHITECTURES],
        *[_group([f"seed001.thm5_1.2_2.{arch}"], "bound_claims", "seed_bound", arch) for arch in ARCHITECTURES],
        *[_group([f"meanfield.thm5_1.exact.{pair}.{arch}" for pair in EXACT_PAIRS], "exact_claims", "sandwich", arch)
          for arch in ARCHITECTURES],
        _group(["seed001.beta.2_2.k1", "seed001.beta.2_2.k_map",
                *(f"seed001.beta.{reading}.limit" for reading in ("1_2", "1_1", "oo_2.as_1_oo"))],
               "beta_regimes", "seed_regimes"),
        _group([f"seed001.beta.{pair}" for pair in SEED_PAIRS], "claims", "seed_values"),
        _group([f"seed001.dims.{axis}.{name}" for name in names for axis in ("d", "K")], "claims",
               "dimension_trends"),
        _group([f"meanfield.beta.trend.d.{name}" for name in names], "beta_regimes", "dimension_trends"),
        _group(["meanfield.dyn.euler.vanilla"], "dynamics_claims", "euler", "vanilla", True),
        _group(["meanfield.dyn.euler.residual"], "dynamics_claims", "euler", "residual", False),
        *[group for arch in ARCHITECTURES for group in (
            _group([f"meanfield.dyn.ode.{arch}"], "dynamics_claims", "ode", arch),
            _group([f"meanfield.dyn.width.{arch}"], "dynamics_claims", "width", arch),
            *[_group([f"meanfield.dyn.beta.{pair}.{arch}"], "dynamics_claims", "beta_dependence", arch, pair)
              for pair in DYNAMICS_PAIRS],
            _group([f"meanfield.dyn.trainability.{arch}"], "dynamics_claims", "trainability", arch),
            _group([f"meanfield.dyn.capacity.{arch}"], "dynamics_claims", "capacity", arch),
            _group([f"meanfield.dyn.trainability_width.{arch}"], "dynamics_claims", "trainability_width", arch),
            _group([f"meanfield.dyn.capacity_width.{arch}"], "dynamics_claims", "capacity_width", arch))],
    ]


PAPER = Paper(key="meanfield", title="Adversarial Training from Mean Field Perspective",
              authors="Kumano, Kera, Yamasaki", venue="NeurIPS 2023", claims=_claims,
              quantities=("adv_loss", "jacobian_opnorm", "gaussian_opnorm"),
              build_quantities=lambda: import_module(f"{__name__}.bounds").QUANTITIES, order=0)
