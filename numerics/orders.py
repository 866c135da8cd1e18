"""Norm orders 1, 2 and oo as floats: parsing and duals (no torch, so settings validate before it loads)."""
from __future__ import annotations

import math

INF = math.inf
ORDERS = (1, 2, INF)
PAIRS = tuple((p, q) for p in ORDERS for q in ORDERS)


def norm_order(r) -> float:
    """Accept 1, 2, inf, float('inf'), sympy.oo or the string 'oo'."""
    if str(r) in ("oo", "inf"):
        return INF
    value = float(r)
    if value not in ORDERS:
        raise ValueError(f"norm orders must be 1, 2 or oo, got {r!r}")
    return value


def pair_orders(name: str) -> tuple[float, float]:
    """A claim id's pair suffix as orders: "1_oo" -> (1, inf) (the inverse of ``theory...norms.pair_name``)."""
    p, q = name.split("_")
    return norm_order(p), norm_order(q)


def dual(r: float) -> float:
    return {1.0: INF, 2.0: 2.0, INF: 1.0}[r]
