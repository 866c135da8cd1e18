"""``atv bench``: performance of the hot paths as ratios you can trust, measured in one run on one machine.

Every side of every ratio is timed with ``torch.utils.benchmark.Timer.blocked_autorange`` (warm-up, CUDA
synchronisation, blocks long enough to amortise the timer, the thread count set and recorded), and the two sides
are interleaved: each round times A, then B (then C ...), so load from other processes falls on both.  A figure is
the median of all runs with its interquartile range; a ratio is the median of the per-round ratios with their
range over rounds.  One function per measurement, each returning its figures (``atv bench --only NAME``):

- ``generation``: ``sample_networks`` against ``torch.randn`` of the same number of elements (same dtype, and
  float32);
- ``chain``: the forward pass + output-side Jacobian chain as a FLOP rate, against batched matmul at the chain's
  shapes;
- ``naive``: the speed-up over a naive baseline (a Python loop over networks with
  ``torch.autograd.functional.jacobian`` per input, on the same networks and inputs), the baseline sized to run
  for at least a second per repeat;
- ``paper``: paper-size networks per second (d=1000, K=1, N=5000, L=10, float32) through ``sample_jacobians``,
  against the floor of drawing the same number of weights with ``torch.randn``;
- ``cost``: seconds per network over widths and depths, with the fitted log-log slopes;
- ``slope``: the networks' slope D = phi'(pre) per second, against SymPy's own torch printing of the same
  Piecewise (``torch.where`` on ``torch.ge``) on the same pre-activations, whose values it must equal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
import torch
from torch.utils import benchmark

from numerics.device import describe
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from numerics.papers.meanfield.networks import slope as network_slope
from numerics.papers.meanfield.samples import sample_jacobians
from numerics.random import Draws
from theory.papers.meanfield.network import SLOPE, NetworkSpec
from theory.symbols import u, v, z

QUICK = NetworkSpec("vanilla", d=32, K=32, N=512, L=4, sigma_w2=2.0, sigma_b2=0.01)
PAPER = NetworkSpec("vanilla", d=1000, K=1, N=5000, L=10, sigma_w2=2.0, sigma_b2=0.01)
#: leaky ReLU (v != 0): the slope's general path, at the dynamics' clean-task pre-activations (B, n, N)
LEAKY = NetworkSpec("vanilla", d=16, K=1, N=128, L=4, sigma_w2=2.0, sigma_b2=0.0, u=1.0, v=0.5)
MEASUREMENTS = ("generation", "chain", "naive", "paper", "cost", "slope")

#: the JSON that ``atv bench --json`` prints (validated before it is printed)
FIGURE_SCHEMA = {
    "type": "object",
    "required": ["unit", "median", "low", "high", "spread", "repeats", "device", "threads"],
    "properties": {
        "unit": {"type": "string"}, "median": {"type": "number"}, "low": {"type": "number"},
        "high": {"type": "number"}, "repeats": {"type": "integer", "minimum": 1}, "device": {"type": "string"},
        "threads": {"type": "integer", "minimum": 1},
        "spread": {"enum": ["interquartile range over runs", "range over interleaved rounds"]},
    },
}
BENCH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["device", "dtype", "threads", "torch", "measurements"],
    "properties": {
        "device": {"type": "string"}, "dtype": {"enum": ["float32", "float64"]},
        "threads": {"type": "integer", "minimum": 1}, "torch": {"type": "string"},
        "measurements": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["figures", "sizes"],
            "properties": {"figures": {"type": "object", "additionalProperties": FIGURE_SCHEMA},
                           "sizes": {"type": "object"}}}},
    },
}


@dataclass(frozen=True)
class Figure:
    """A measured figure: its median and spread over repeats (runs, or interleaved rounds for a ratio)."""

    unit: str
    median: float
    low: float
    high: float
    spread: str
    repeats: int

    @classmethod
    def of_runs(cls, values: list[float], unit: str) -> "Figure":
        q25, q50, q75 = np.percentile(values, [25, 50, 75])
        return cls(unit, float(q50), float(q25), float(q75), "interquartile range over runs", len(values))

    @classmethod
    def of_rounds(cls, values: list[float], unit: str) -> "Figure":
        return cls(unit, float(np.median(values)), float(min(values)), float(max(values)),
                   "range over interleaved rounds", len(values))

    def text(self, digits: int = 3) -> str:
        return f"{self.median:.{digits}g} [{self.low:.{digits}g}, {self.high:.{digits}g}] {self.unit}".rstrip()


@dataclass
class Setting:
    """Where and how a measurement runs: the device, the dtype of the quick-size work, and its time budget."""

    device: torch.device
    dtype: torch.dtype = torch.float64
    rounds: int = 11  # interleaved rounds per measurement
    min_run_time: float = 0.25  # seconds per side per round (torch.utils.benchmark's blocked_autorange)
    threads: int = 0  # 0: torch's current thread count

    def __post_init__(self) -> None:
        self.device = torch.device(self.device)
        self.threads = self.threads or torch.get_num_threads()
        self.draws = Draws(0, self.device)


def interleaved(setting: Setting, sides: dict[str, Callable[[], object]], min_run_time: float | None = None,
                rounds: int | None = None) -> dict[str, list]:
    """Each side's ``Measurement`` per round; every round times the sides in turn (A, B, A, B, ...)."""
    timers = {name: benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=setting.threads)
              for name, fn in sides.items()}
    measured: dict[str, list] = {name: [] for name in sides}
    for _ in range(rounds or setting.rounds):
        for name, timer in timers.items():
            measured[name].append(timer.blocked_autorange(min_run_time=min_run_time or setting.min_run_time))
    return measured


def runs(measurements: list) -> list[float]:
    """Seconds per call of every run of every round."""
    return [t for m in measurements for t in m.times]


def per_round(measurements: list) -> np.ndarray:
    """Each round's median seconds per call."""
    return np.array([m.median for m in measurements])


def chain_flops(spec: NetworkSpec, B: int, n: int) -> float:
    """Multiply-adds x 2 of the forward pass plus the output-side Jacobian chain, for B networks, n inputs."""
    N, L, K, d = spec.N, spec.L, spec.K, spec.d
    forward = 2 * n * (N * d + L * N * N + K * N)
    chain = 2 * n * K * (L * (N * N + N) + N * d)
    return float(B * (forward + chain))


def naive_jacobians(net: NetworkBatch, x: torch.Tensor) -> torch.Tensor:
    """The baseline: loop over networks and inputs, autograd Jacobian of one network at one input."""
    out = []
    for b in range(net.B):
        single = NetworkBatch(net.spec, net.P_in[b:b + 1], net.W[b:b + 1], net.b[b:b + 1], net.P_out[b:b + 1])
        out.append(torch.stack([torch.autograd.functional.jacobian(lambda z: single(z[None])[0, 0], x[i])
                                for i in range(x.shape[0])]))
    return torch.stack(out)


def generation(setting: Setting, spec: NetworkSpec = QUICK, networks: int = 32) -> tuple[dict, dict]:
    """Weights drawn per second by ``sample_networks``, and as a fraction of ``torch.randn`` (same count)."""
    elements = networks * (spec.L * spec.N * (spec.N + 1) + spec.N * (spec.d + spec.K))
    draws, dtype = setting.draws, setting.dtype
    timed = interleaved(setting, {
        "generation": lambda: sample_networks(spec, networks, draws, dtype=dtype),
        "randn": lambda: draws.standard_normal(elements, dtype),
        "randn_float32": lambda: draws.standard_normal(elements, torch.float32)})
    gen = per_round(timed["generation"])
    figures = {
        "generation_rate": Figure.of_runs([elements / t / 1e6 for t in runs(timed["generation"])], "M weights/s"),
        "fraction_of_randn": Figure.of_rounds(list(per_round(timed["randn"]) / gen), ""),
        "fraction_of_randn_float32": Figure.of_rounds(list(per_round(timed["randn_float32"]) / gen), ""),
    }
    return figures, {"spec": spec.as_dict(), "networks": networks, "elements": elements}


def chain(setting: Setting, spec: NetworkSpec = QUICK, networks: int = 32, inputs: int = 2) -> tuple[dict, dict]:
    """The forward + Jacobian chain's FLOP rate, and as a fraction of ``torch.bmm`` at the chain's shapes."""
    draws, dtype = setting.draws, setting.dtype
    x = draws.standard_normal((inputs, spec.d), dtype)
    net = sample_networks(spec, networks, draws, dtype=dtype)
    A = draws.standard_normal((networks, inputs * spec.K, spec.N), dtype)
    W = draws.standard_normal((networks, spec.N, spec.N), dtype)
    flops_chain, flops_bmm = chain_flops(spec, networks, inputs), 2.0 * networks * inputs * spec.K * spec.N**2
    timed = interleaved(setting, {"bmm": lambda: torch.bmm(A, W), "chain": lambda: jacobian_and_bias(net, x)})
    rates = {name: [flops / t / 1e9 for t in runs(timed[name])] for name, flops in
             (("chain", flops_chain), ("bmm", flops_bmm))}
    fraction = (flops_chain / per_round(timed["chain"])) / (flops_bmm / per_round(timed["bmm"]))
    figures = {"chain_rate": Figure.of_runs(rates["chain"], "GFLOP/s"), "bmm_rate": Figure.of_runs(rates["bmm"], "GFLOP/s"),
               "fraction_of_bmm": Figure.of_rounds(list(fraction), "")}
    return figures, {"spec": spec.as_dict(), "networks": networks, "inputs": inputs}


def naive(setting: Setting, spec: NetworkSpec = QUICK, inputs: int = 2, min_seconds: float = 1.0,
          most: int = 64) -> tuple[dict, dict]:
    """The speed-up of the batched chain over the naive baseline on the same networks and inputs.

    The baseline runs on enough networks to take at least ``min_seconds`` per repeat (at most ``most``); the
    batched chain is timed on the same networks.  The two Jacobians are compared (they must agree to rounding).
    """
    draws, dtype = setting.draws, setting.dtype
    x = draws.standard_normal((inputs, spec.d), dtype)
    one = sample_networks(spec, 1, draws, dtype=dtype)
    probe = benchmark.Timer(stmt="fn()", globals={"fn": lambda: naive_jacobians(one, x)},
                            num_threads=setting.threads).blocked_autorange(min_run_time=0.1).median
    count = int(min(most, max(1, math.ceil(min_seconds / probe))))
    net = sample_networks(spec, count, draws, dtype=dtype)
    difference = float((naive_jacobians(net, x) - jacobian_and_bias(net, x)[0]).abs().max())
    timed = interleaved(setting, {"naive": lambda: naive_jacobians(net, x), "batched": lambda: jacobian_and_bias(net, x)},
                        min_run_time=max(setting.min_run_time, min_seconds))
    speedup = per_round(timed["naive"]) / per_round(timed["batched"])
    figures = {"speedup": Figure.of_rounds(list(speedup), "x"),
               "naive_seconds_per_network": Figure.of_runs([t / count for t in runs(timed["naive"])], "s"),
               "batched_seconds_per_network": Figure.of_runs([t / count for t in runs(timed["batched"])], "s")}
    return figures, {"spec": spec.as_dict(), "networks": count, "inputs": inputs, "max_abs_difference": difference}


def paper(setting: Setting, spec: NetworkSpec = PAPER, networks: int | None = None,
          rounds: int | None = None) -> tuple[dict, dict]:
    """Paper-size networks per second through ``sample_jacobians`` (float32, two inputs, chunks from the memory
    budget), against the floor: drawing one network's weights with ``torch.randn`` on the device.

    A call draws ``networks`` networks (2 on a CPU, where one takes about a second, and 3 rounds; 256 on a GPU).
    """
    on_gpu = setting.device.type == "cuda"
    networks = networks or (256 if on_gpu else 2)
    weights = spec.L * spec.N * spec.N + spec.N * (spec.d + spec.K + spec.L)
    draws = setting.draws
    timed = interleaved(setting, {
        "sample": lambda: sample_jacobians(spec, networks, (1.0, 10.0), draws, chunk=0, dtype=torch.float32),
        "randn": lambda: draws.standard_normal(weights, torch.float32)},
        rounds=rounds or (setting.rounds if on_gpu else min(setting.rounds, 3)))
    rate, floor = networks / per_round(timed["sample"]), 1 / per_round(timed["randn"])
    figures = {"networks_per_s": Figure.of_runs([networks / t for t in runs(timed["sample"])], "networks/s"),
               "randn_floor_networks_per_s": Figure.of_runs([1 / t for t in runs(timed["randn"])], "networks/s"),
               "fraction_of_randn_floor": Figure.of_rounds(list(rate / floor), "")}
    return figures, {"spec": spec.as_dict(), "networks": networks, "weights_per_network": weights}


def cost(setting: Setting, spec: NetworkSpec = QUICK, widths: tuple[int, ...] = (128, 256, 512, 1024),
         depths: tuple[int, ...] = (2, 4, 8), networks: int = 32) -> tuple[dict, dict]:
    """Seconds per network (draw + chain) over widths at the middle depth and depths at the middle width; the
    log-log slopes per round (expected about 2 in N and 1 in L)."""
    draws, dtype = setting.draws, setting.dtype
    x = draws.standard_normal((2, spec.d), dtype)
    mid_N, mid_L = widths[len(widths) // 2], depths[len(depths) // 2]
    sizes = [(n, mid_L) for n in widths] + [(mid_N, depth) for depth in depths if depth != mid_L]
    batch = {size: max(1, int(networks * (mid_N / size[0]) ** 2) // 4) for size in sizes}

    def work(N: int, L: int):
        sized = NetworkSpec("vanilla", d=spec.d, K=spec.K, N=N, L=L, sigma_w2=2.0, sigma_b2=0.01)
        return lambda: jacobian_and_bias(sample_networks(sized, batch[(N, L)], draws, dtype=dtype), x)

    timed = interleaved(setting, {f"N={N},L={L}": work(N, L) for N, L in sizes})
    seconds = {size: per_round(timed[f"N={size[0]},L={size[1]}"]) / batch[size] for size in sizes}

    def slopes(axis: tuple[int, ...], column: list[tuple[int, int]]) -> list[float]:
        logs = np.log(np.stack([seconds[size] for size in column]))  # (points, rounds)
        return [float(np.polyfit(np.log(axis), logs[:, r], 1)[0]) for r in range(logs.shape[1])]

    figures = {"slope_N": Figure.of_rounds(slopes(widths, [(n, mid_L) for n in widths]), ""),
               "slope_L": Figure.of_rounds(slopes(depths, [(mid_N, L) for L in depths]), ""),
               **{f"seconds_per_network_N={N},L={L}": Figure.of_runs(
                   [t / batch[(N, L)] for t in runs(timed[f"N={N},L={L}"])], "s") for N, L in sizes}}
    return figures, {"spec": spec.as_dict(), "widths": list(widths), "depths": list(depths)}


def slope(setting: Setting, spec: NetworkSpec = LEAKY, shape: tuple[int, ...] = (16, 64, 128)) -> tuple[dict, dict]:
    """Slopes per second, and the speed-up over SymPy's plain torch printing of the same Piecewise on the same
    pre-activations (bool kernels are not vectorised on CPUs); the largest difference of the values (0 expected)."""
    plain = sp.lambdify((z, u, v), SLOPE, modules="torch")
    pre = setting.draws.standard_normal(shape, setting.dtype)
    values = [torch.tensor(value, dtype=pre.dtype, device=pre.device) for value in (spec.u, spec.v)]
    difference = float((network_slope(pre, spec) - plain(pre, *values)).abs().max())
    timed = interleaved(setting, {"where": lambda: plain(pre, *values), "slope": lambda: network_slope(pre, spec)})
    elements = math.prod(shape)
    figures = {"slope_rate": Figure.of_runs([elements / t / 1e6 for t in runs(timed["slope"])], "M slopes/s"),
               "speedup_over_where": Figure.of_rounds(list(per_round(timed["where"]) / per_round(timed["slope"])),
                                                      "x")}
    return figures, {"spec": spec.as_dict(), "shape": list(shape), "max_abs_difference": difference}


FUNCTIONS = {"generation": generation, "chain": chain, "naive": naive, "paper": paper, "cost": cost, "slope": slope}


@dataclass
class BenchResult:
    device: str
    dtype: str
    threads: int
    measurements: dict  # name -> (figures, sizes)

    def to_json(self) -> dict:
        return {"device": self.device, "dtype": self.dtype, "threads": self.threads, "torch": torch.__version__,
                "measurements": {name: {"figures": {key: {**vars(figure), "device": self.device,
                                                          "threads": self.threads} for key, figure in figures.items()},
                                        "sizes": sizes}
                                 for name, (figures, sizes) in self.measurements.items()}}

    def rows(self) -> list[tuple[str, str, str]]:
        """(measurement, result, against) for the table, in measurement order; each figure with its spread."""
        return [ROWS[name](figures, sizes, self.dtype) for name, (figures, sizes) in self.measurements.items()]


#: measurement -> its table row (measurement, result, against) from its figures, sizes and dtype
ROWS = {
    "generation": lambda f, sizes, dtype: (
        "weight generation", f["generation_rate"].text(),
        f"{f['fraction_of_randn'].text()} of torch.randn {dtype} (target >= 0.8); "
        f"{f['fraction_of_randn_float32'].text()} of float32 randn"),
    "chain": lambda f, sizes, dtype: (
        "forward + Jacobian chain", f["chain_rate"].text(),
        f"{f['fraction_of_bmm'].text()} of torch.bmm at its shapes ({f['bmm_rate'].text()}); target >= 0.5"),
    "naive": lambda f, sizes, dtype: (
        "speed-up over naive baseline", f["speedup"].text(),
        f"{sizes['networks']} networks x {sizes['inputs']} inputs, max |dJ| {sizes['max_abs_difference']:.1e}"),
    "paper": lambda f, sizes, dtype: (
        "paper size throughput", f["networks_per_s"].text(),
        f"{f['fraction_of_randn_floor'].text()} of the randn floor ({f['randn_floor_networks_per_s'].text()}), "
        f"{sizes['networks']} networks per call"),
    "cost": lambda f, sizes, dtype: (
        "cost curve", f"N^{f['slope_N'].median:.2f} L^{f['slope_L'].median:.2f}",
        f"slopes {f['slope_N'].text(2)} in N, {f['slope_L'].text(2)} in L (expected 2 and 1)"),
    "slope": lambda f, sizes, dtype: (
        "slope D = phi'(pre)", f["slope_rate"].text(),
        f"{f['speedup_over_where'].text()} torch.where on torch.ge (SymPy's printing) at {tuple(sizes['shape'])}, "
        f"max |dD| {sizes['max_abs_difference']:.1e}"),
}


def run_bench(device: str = "cpu", dtype: torch.dtype = torch.float64, only: tuple[str, ...] = MEASUREMENTS,
              rounds: int = 11, min_run_time: float = 0.25, sizes: dict | None = None,
              progress: Callable[[str], None] = lambda step: None) -> BenchResult:
    """The chosen measurements in one run; ``sizes`` maps a measurement to keyword arguments (smaller specs)."""
    unknown = [name for name in only if name not in FUNCTIONS]
    if unknown:
        raise ValueError(f"--only takes {', '.join(MEASUREMENTS)}, got {unknown[0]!r}")
    setting = Setting(device, dtype, rounds, min_run_time)
    out = {}
    for name in only:
        progress(name)
        out[name] = FUNCTIONS[name](setting, **(sizes or {}).get(name, {}))
    return BenchResult(describe(setting.device), str(dtype).replace("torch.", ""), setting.threads, out)
