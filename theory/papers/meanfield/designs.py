"""The designs a mean-field claim picks: which configurations of its experiment judge it.  A claim names one in
its params as ``design``; the numerics dispatch on the member (``numerics.papers.meanfield``), never on a string.
Plain Python (no SymPy), so the torch-free settings import it too."""
from __future__ import annotations

from enum import StrEnum


class JacobianDesign(StrEnum):
    """``meanfield.jacobian`` beyond its grid of configurations (a claim without a design is judged on the grid)."""

    #: the grid, then its first configuration at each of the settings' ``bias_sigma_b2``
    BIAS_VARIANCES = "bias_variances"


class GaussianDesign(StrEnum):
    """``meanfield.gaussian``: which Gaussian K x d shapes."""

    #: the settings' ``beta_shapes`` (Chevet's bound and the tails), all nine pairs
    BETA_SHAPES = "beta_shapes"
    #: the settings' ``seed_shapes`` (the seed values of beta), all nine pairs
    SEED_SHAPES = "seed_shapes"
    #: (K, d_lo) beside (K, d_hi) for each of the settings' ``d_trends``
    TREND_D = "trend_d"
    #: (K_lo, d) beside (K_hi, d) for each of the settings' ``K_trends``
    TREND_K = "trend_K"
    #: K = 1 at each of the settings' ``k1_dims``, the claim's pair only
    K1_DIMS = "k1_dims"
    #: the settings' ``k_map`` shapes, the claim's pair only
    K_MAP = "k_map"
    #: the ``limit_outputs`` grid of K at each of ``limit_dims``, judged at the largest K, the claim's pair only
    LIMIT = "limit"

    @classmethod
    def trend(cls, axis: str) -> "GaussianDesign":
        """The trend along ``axis`` ("d" or "K")."""
        return {"d": cls.TREND_D, "K": cls.TREND_K}[axis]


class DynamicsDesign(StrEnum):
    """``meanfield.dynamics``: which training setups (``numerics.papers.meanfield.designs.dynamics_points``)."""

    MAP = "map"  # widths x learning rates x regimes, for the ODE and the Euler identity
    WIDTH = "width"  # the initial rate over widths (a Sweep)
    BETA_D = "beta_d"  # the initial rate over d (K = 1)
    BETA_K = "beta_K"  # the initial rate over K
    DEPTHS = "depths"  # adversarial then clean training over depth, from criticality (a Sweep)
    CAPACITY = "capacity"  # adds clean training from both weights
    DEPTHS_WIDTH = "depths_width"  # the depths at the narrow width and at N (a Sweep)
    CAPACITY_WIDTH = "capacity_width"  # the capacity setup at the narrow width and at N (a Sweep)
