"""The run seed's range, checked without numpy or torch (the CLI refuses a bad --seed before either loads)."""
from __future__ import annotations

import numbers


def check_seed(seed: object) -> int:
    """The seed as an int, or a ValueError naming the allowed range (numpy's integers count as integers)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ValueError(f"a seed must be an integer in [0, 2^63), got {seed!r}")
    return int(seed)
