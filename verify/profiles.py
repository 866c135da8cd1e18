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
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Mapping

from numerics.opnorms import norm_order
from numerics.training import REGIMES, TrainingSetup
from theory.dynamics import EXPLICIT_RESIDUAL_DEPTHS
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
class DynamicsSettings:
    """Sizes of the training-dynamics experiments (THEORY.md section 4): bias-free ReLU networks, K = 1, l2 PGD.

    Each design is a list of ``TrainingSetup``s: ``map`` is the regime map (widths x learning rates x regimes)
    for the ODE and the Euler identity; ``width`` the initial rate over widths; ``beta_d`` / ``beta_K`` the
    initial rate over d (K = 1) or K (p = 1, q = oo); ``depths`` adversarial training then clean gradients over
    depth, from criticality for vanilla nets; ``capacity`` adds clean training from both weights.
    """

    networks: int = 64
    d: int = 16
    L: int = 4
    N: int = 128
    eps: float = 0.5  # l2 radius; the l_oo radius is eps / sqrt(d) (the same l2 size at the ball's vertices)
    inputs: int = 16  # inputs per step (population) or dataset size
    pgd_steps: int = 3
    sigma_w2: tuple[tuple[str, float], ...] = (("vanilla", 3.0), ("residual", 1.0))  # r0 != 1: exponents differ
    map_widths: tuple[int, ...] = (32, 128)
    map_etas: tuple[float, ...] = (0.002, 0.02)
    regimes: tuple[str, ...] = ("population", "dataset")
    horizon: int = 20
    rate_eta: float = 0.002
    rate_steps: int = 2
    widths: tuple[int, ...] = (32, 64, 128, 256)
    beta_dims: tuple[int, ...] = (8, 32)
    beta_outputs: tuple[int, ...] = (1, 4)
    depths: tuple[int, ...] = (2, 4, 8)
    train_eta: float = 0.05
    train_steps: int = 40
    clean_steps: int = 100
    clean_lr: float = 0.2  # a fraction of each network's initial Polyak step

    def spec(self, arch: str, critical: bool = False, **changes) -> NetworkSpec:
        """A bias-free ReLU spec; ``critical`` starts vanilla nets at omega = 1 (sigma_w2 = 2)."""
        sigma_w2 = 2.0 if critical and arch == "vanilla" else dict(self.sigma_w2)[arch]
        values = {"d": self.d, "K": 1, "N": self.N, "L": self.L, "sigma_w2": sigma_w2, **changes}
        return NetworkSpec(arch=arch, sigma_b2=0.0, **values)

    def setup(self, spec: NetworkSpec, eta: float, steps: int, p=2, q=2, **changes) -> TrainingSetup:
        p, q = norm_order(p), norm_order(q)
        eps = self.eps / math.sqrt(spec.d) if p == math.inf else self.eps
        return TrainingSetup(spec, eta=eta, eps=eps, steps=steps, p=p, q=q, inputs=self.inputs,
                             pgd_steps=self.pgd_steps, pgd_restarts=2 * spec.K if q == math.inf else 1, **changes)

    def design(self, name: str, arch: str, p=2, q=2) -> list:
        """The configurations of one design (a sweep is one configuration: a tuple of setups)."""
        rate = {"eta": self.rate_eta, "steps": self.rate_steps}
        if name == "map":
            return [self.setup(self.spec(arch, N=n), eta, self.horizon, regime=regime)
                    for n in self.map_widths for eta in self.map_etas for regime in self.regimes]
        if name == "width":
            return [tuple(self.setup(self.spec(arch, N=n), **rate) for n in self.widths)]
        if name == "beta_d":
            return [self.setup(self.spec(arch, d=dim), p=p, q=q, **rate) for dim in self.beta_dims]
        if name == "beta_K":
            return [self.setup(self.spec(arch, K=k), p=p, q=q, **rate) for k in self.beta_outputs]
        train = {"eta": self.train_eta, "steps": self.train_steps}
        if name == "depths":
            return [tuple(self.setup(self.spec(arch, critical=True, L=depth), **train) for depth in self.depths)]
        if name == "capacity":
            return [self.setup(self.spec(arch, critical=True), clean_steps=self.clean_steps, clean_lr=self.clean_lr,
                               **train)]
        raise ValueError(f"unknown dynamics design {name!r}")


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
    dynamics: DynamicsSettings = field(default_factory=DynamicsSettings)
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
        self._validate_dynamics()
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

    def _validate_dynamics(self) -> None:
        dyn = self.dynamics
        if dyn.networks < 2:
            raise ProfileError(f"dynamics.networks must be >= 2 (an interval needs two networks), got {dyn.networks}")
        for name in ("widths", "depths"):
            if len(getattr(dyn, name)) < 2:
                raise ProfileError(f"dynamics.{name} needs two or more values to fit a slope")
        if dyn.L not in EXPLICIT_RESIDUAL_DEPTHS:
            raise ProfileError(f"dynamics.L must be one of {EXPLICIT_RESIDUAL_DEPTHS} (where dsolve gives the residual "
                               f"r(t) explicitly), got {dyn.L}")
        try:
            for arch in ARCHITECTURES:
                for design in ("map", "width", "beta_d", "beta_K", "depths", "capacity"):
                    dyn.design(design, arch)
        except (SpecError, ValueError) as err:
            raise ProfileError(str(err)) from None

    def with_overrides(self, overrides: Mapping[str, object]) -> "Profile":
        """A copy with run settings and spec values replaced (spec values apply to every configuration)."""
        changes: dict[str, object] = {}
        base = dict(self.base)
        variants = [dict(v) for v in self.variants]
        dynamics = {}
        for key, raw in overrides.items():
            if key.startswith(DYNAMICS_PREFIX):
                dynamics[key[len(DYNAMICS_PREFIX):]] = _dynamics_value(key, raw)
                continue
            value = _coerce(key, raw)
            if key not in SPEC_KEYS:  # run settings replace the profile's own
                changes[key] = value
            else:
                base[key] = value
                for variant in variants:
                    variant.pop(key, None)
        if dynamics:
            changes["dynamics"] = replace(self.dynamics, **dynamics)
        return replace(self, base=base, variants=tuple(variants), **changes).validate()

    def describe(self) -> dict:
        return {"name": self.name, "device": self.device, "networks": self.networks, "chunk": self.chunk,
                "delta": self.delta, "dtype": self.dtype, "input_scales": list(self.input_scales),
                "base": dict(self.base), "variants": [dict(v) for v in self.variants],
                "norms": asdict(self.norms), "dynamics": asdict(self.dynamics), "figure_networks": self.figure_networks}


DYNAMICS_PREFIX = "dynamics."


def _dynamics_value(key: str, raw: object) -> object:
    """A ``dynamics.<field>`` override: a number, or a comma-separated list for the sweeps' tuples."""
    name = key[len(DYNAMICS_PREFIX):]
    fields = {f.name: f for f in dataclass_fields(DynamicsSettings)}
    if name not in fields or name == "sigma_w2":
        allowed = ", ".join(DYNAMICS_PREFIX + f for f in fields if f != "sigma_w2")
        raise ProfileError(f"unknown setting {key!r}; dynamics settings: {allowed}")
    default = getattr(DynamicsSettings(), name)
    if isinstance(default, tuple):
        items = raw if isinstance(raw, list) else str(raw).split(",")
        if name == "regimes":
            bad = [str(i).strip() for i in items if str(i).strip() not in REGIMES]
            if bad:
                raise ProfileError(f"{key} must list regimes among {', '.join(REGIMES)}, got {bad[0]!r}")
            return tuple(str(i).strip() for i in items)
        values = tuple(_number(key, item, integer=isinstance(default[0], int)) for item in items)
    else:
        values = (_number(key, raw, integer=isinstance(default, int)),)
    if any(v <= 0 for v in values):
        raise ProfileError(f"{key} must be positive, got {raw!r}")
    return values if isinstance(default, tuple) else values[0]


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
