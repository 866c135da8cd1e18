"""Run profiles: how many networks, at which sizes, on which device.

quick: CPU, minutes; the regime where Theorem 4.1 is expected to hold (N >> L, small bias variance).
paper: the paper's experimental network (vanilla ReLU, d=1000, K=1, N=5000, L=10), meant for a GPU.
full:  a sweep over depth, width and bias variance at the quick sizes, to see where the claims break.

Overrides come from ``--set key=value`` or a TOML file; values are parsed as numbers, never evaluated.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Mapping

from theory.network import ARCHITECTURES, NetworkSpec, SpecError

SPEC_KEYS = ("d", "K", "N", "L", "sigma_w2", "sigma_b2", "u", "v")
INT_KEYS = {"d", "K", "N", "L", "networks", "chunk", "figure_networks"}
RUN_KEYS = ("networks", "chunk", "delta", "figure_networks")
TEXT_KEYS = ("dtype",)


class ProfileError(ValueError):
    """An unknown profile or an override out of its allowed range (reported as one sentence)."""


@dataclass(frozen=True)
class NormSettings:
    """Sizes of the operator-norm experiments (Gaussian level, network level, seed values, trends)."""

    gaussian_draws: int = 2000  # Gaussian matrices per shape
    beta_shapes: tuple[tuple[int, int], ...] = ((3, 10), (1, 16), (8, 12))  # (K, d) for Chevet and tails
    seed_shapes: tuple[tuple[int, int], ...] = tuple((K, d) for K in (2, 4, 8) for d in (2, 4, 8, 16))
    d_trends: tuple[tuple[int, int, int], ...] = ((4, 4, 16),)  # (K, d_lo, d_hi)
    K_trends: tuple[tuple[int, int, int], ...] = ((8, 2, 8),)  # (d, K_lo, K_hi)
    d: int = 12  # network-level input dimension (enumeration of 2^(d-1) sign vectors stays exact)
    K: int = 4
    networks: int = 128
    inputs: int = 16  # inputs for the sup-over-x gap
    pgd_networks: int = 48
    pgd_steps: int = 20
    pgd_restarts: int = 8
    eps_fraction: float = 0.1  # eps_p = eps_fraction * ||x_0||_p
    reference_draws: int = 4000  # Gaussian reference sample for the network-level ratio


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    device: str
    networks: int  # independent networks per configuration
    chunk: int  # networks held in memory at once; 0 sizes chunks from the memory budget
    delta: float  # family-wise error of each claim's intervals
    base: Mapping[str, float]  # spec values shared by every configuration
    variants: tuple[Mapping[str, float], ...]  # per-configuration spec values
    input_scales: tuple[float, ...] = (1.0, 10.0)  # ||x|| / sqrt(d) of the fixed inputs (x_0 first)
    dtype: str = "float64"
    norms: NormSettings = field(default_factory=NormSettings)
    figure_networks: int = 48  # networks per point of the figures' sweeps (verify.sweeps)

    def specs(self, arch: str) -> list[NetworkSpec]:
        """The configurations of this profile for one architecture (validated)."""
        return [NetworkSpec(arch=arch, **{**self.base, **variant}) for variant in self.variants]

    def norm_specs(self, arch: str) -> list[NetworkSpec]:
        """Network-level operator-norm configurations: the first variant at the norm experiments' d and K."""
        return [NetworkSpec(arch=arch, **{**self.base, **self.variants[0], "d": self.norms.d, "K": self.norms.K})]

    def validate(self) -> "Profile":
        if self.networks < 2:
            raise ProfileError(f"networks must be >= 2 (an interval needs two networks), got {self.networks}")
        if self.figure_networks < 2:
            raise ProfileError(f"figure_networks must be >= 2, got {self.figure_networks}")
        if self.chunk < 0:
            raise ProfileError(f"chunk must be >= 0 (0: sized from memory), got {self.chunk}")
        if self.dtype not in ("float32", "float64"):
            raise ProfileError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if not 0 < self.delta < 1:
            raise ProfileError(f"delta must lie in (0, 1), got {self.delta}")
        if len(self.input_scales) < 2 or any(s <= 0 or not math.isfinite(s) for s in self.input_scales):
            raise ProfileError(f"input_scales needs two or more positive numbers, got {self.input_scales}")
        for arch in ARCHITECTURES:
            try:
                self.specs(arch)
            except SpecError as err:
                raise ProfileError(str(err)) from None
            except TypeError as err:
                raise ProfileError(f"profile {self.name!r} has an invalid configuration: {err}") from None
            try:
                self.norm_specs(arch)
            except SpecError as err:
                raise ProfileError(str(err)) from None
        return self

    def with_overrides(self, overrides: Mapping[str, object]) -> "Profile":
        """A copy with run settings and spec values replaced (spec values apply to every configuration)."""
        changes: dict[str, object] = {}
        base = dict(self.base)
        variants = [dict(v) for v in self.variants]
        for key, raw in overrides.items():
            value = _coerce(key, raw)
            if key not in SPEC_KEYS:  # run settings replace the profile's own
                changes[key] = value
            else:
                base[key] = value
                for variant in variants:
                    variant.pop(key, None)
        return replace(self, base=base, variants=tuple(variants), **changes).validate()

    def describe(self) -> dict:
        return {"name": self.name, "device": self.device, "networks": self.networks, "chunk": self.chunk,
                "delta": self.delta, "dtype": self.dtype, "input_scales": list(self.input_scales),
                "base": dict(self.base), "variants": [dict(v) for v in self.variants],
                "norms": asdict(self.norms), "figure_networks": self.figure_networks}


def _coerce(key: str, raw: object) -> object:
    """Parse one override value (a string from --set or a TOML value) into its type."""
    allowed = (*SPEC_KEYS, *RUN_KEYS, *TEXT_KEYS, "input_scales")
    if key not in allowed:
        raise ProfileError(f"unknown setting {key!r}; allowed: {', '.join(allowed)}")
    if key in TEXT_KEYS:
        return str(raw)
    if key == "input_scales":
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(_number(key, item, integer=False) for item in items)
    return _number(key, raw, integer=key in INT_KEYS)


def _number(key: str, raw: object, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise ProfileError(f"{key} must be a number, got {raw!r}")
    try:
        value = int(raw) if integer and not isinstance(raw, float) else float(raw)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise ProfileError(f"{key} must be {kind}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ProfileError(f"{key} must be finite, got {raw!r}")
    if integer and value != int(value):
        raise ProfileError(f"{key} must be an integer, got {raw!r}")
    return int(value) if integer else value


def parse_set(pairs: list[str]) -> dict[str, str]:
    """``["N=256", "sigma_b2=0.1"]`` -> ``{"N": "256", "sigma_b2": "0.1"}``."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ProfileError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def load_config(path: Path) -> dict[str, object]:
    """Overrides from a TOML file (a flat table of settings)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ProfileError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"config file {str(path)!r} is not valid TOML: {err}") from None
    nested = [key for key, value in data.items() if isinstance(value, dict)]
    if nested:
        raise ProfileError(f"config file {str(path)!r} must be a flat table; found section {nested[0]!r}")
    return data


_RELU = {"u": 1.0, "v": 0.0, "sigma_w2": 2.0}
_LEAKY = {"u": 1.0, "v": 0.5, "sigma_w2": 1.5}

PROFILES: dict[str, Profile] = {
    p.name: p.validate()
    for p in (
        Profile("quick", "CPU, minutes: ReLU and leaky ReLU at d=32, K=32, N=512, L=4", device="cpu",
                networks=1024, chunk=32, delta=1e-3,
                base={"d": 32, "K": 32, "N": 512, "L": 4, "sigma_b2": 0.01}, variants=(_RELU, _LEAKY)),
        Profile("paper", "the paper's network: vanilla ReLU d=1000, K=1, N=5000, L=10 (GPU, float32)",
                device="auto", networks=256, chunk=0, delta=1e-3,
                base={"d": 1000, "K": 1, "N": 5000, "L": 10, "sigma_b2": 0.01}, variants=(_RELU,), dtype="float32",
                norms=NormSettings(d=14, K=1, networks=256, pgd_networks=64)),
        Profile("full", "depth, width and bias-variance sweep at d=32, K=32 (tens of minutes on a CPU)",
                device="auto", networks=512, chunk=32, delta=1e-3, base={"d": 32, "K": 32},
                variants=tuple({**act, "N": n, "L": depth, "sigma_b2": sb2} for act in (_RELU, _LEAKY)
                               for n in (256, 1024) for depth in (2, 8) for sb2 in (0.01, 0.1))),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(f"unknown profile {name!r}; allowed: {', '.join(PROFILES)}") from None
