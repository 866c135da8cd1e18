"""The papers' network as plain data (``NetworkSpec``), without SymPy: a profile's settings hold specs, and a
refused ``--set`` must not wait for SymPy to load.  ``network`` derives the SymPy side (alpha, omega) from it."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from theory.papers.meanfield.names import ARCHITECTURES

if TYPE_CHECKING:
    import sympy as sp

Architecture = Literal["vanilla", "residual"]


class SpecError(ValueError):
    """A configuration value outside its allowed range (reported to users as one sentence)."""


@dataclass(frozen=True)
class NetworkSpec:
    """The papers' network: x in R^d -> P_in -> L trainable layers of width N -> P_out -> R^K."""

    arch: Architecture
    d: int
    K: int
    N: int
    L: int
    sigma_w2: float
    sigma_b2: float
    u: float = 1.0
    v: float = 0.0

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise SpecError(f"architecture {self.arch!r} is unknown; allowed: {', '.join(ARCHITECTURES)}")
        for name in ("d", "K", "N", "L"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SpecError(f"{name} must be a positive integer, got {value!r}")
        for name in ("sigma_w2", "sigma_b2", "u", "v"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SpecError(f"{name} must be a finite number, got {value!r}")
        if self.sigma_w2 <= 0:
            raise SpecError(f"sigma_w2 must be > 0 (a variance), got {self.sigma_w2!r}")
        if self.sigma_b2 < 0:
            raise SpecError(f"sigma_b2 must be >= 0 (a variance), got {self.sigma_b2!r}")
        if self.u == 0 and self.v == 0:
            raise SpecError("u and v cannot both be 0: the activation would be identically zero")

    def values(self) -> dict[sp.Symbol, float]:
        """Substitution map from the shared symbols to this spec's numbers."""
        from theory.symbols import K, L, N, d, sigma_b2, sigma_w2, u, v

        return {d: self.d, K: self.K, N: self.N, L: self.L, sigma_w2: self.sigma_w2,
                sigma_b2: self.sigma_b2, u: self.u, v: self.v}

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
