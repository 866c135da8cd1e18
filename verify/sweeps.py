"""Data for the run's figures: histograms of standardized J and a entries, the adversarial-loss scale against
depth, and the finite-width convergence of Var J against width.  Statistics are computed here (numerics does
the sampling, report only draws), and the results are stored in results.json under ``figures_data``.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from numerics.evaluate import value
from numerics.montecarlo import sample_jacobians
from numerics.opnorms import opnorm
from numerics.stats import mean_interval
from theory.network import NetworkSpec
from theory.registry import REGISTRY

BINS = np.linspace(-5, 5, 61)
DEPTHS = (1, 2, 3, 4, 6, 8)
WIDTHS = (32, 64, 128, 256, 512)


def _theory(claim_name: str, spec: NetworkSpec) -> float:
    return value(REGISTRY[f"mf.thm4_1.{claim_name}.{spec.arch}"].rhs, spec.values())


def histograms(spec: NetworkSpec, networks: int, seed: int) -> dict:
    """Counts of J_ij sqrt(d/omega^L)-style standardized entries (by the theory's variance) and of a_i."""
    sample = sample_jacobians(spec, networks, (1.0, 10.0), seed=seed, chunk=16)
    out = {"spec": spec.as_dict(), "bins": BINS.tolist()}
    for name, values, claim in (("J", sample.J[:, 0], "jacobian_variance"), ("a", sample.a[:, 0], "bias_variance")):
        standardized = values.ravel() / math.sqrt(_theory(claim, spec))
        counts, _ = np.histogram(standardized, BINS)
        out[name] = {"counts": counts.tolist(), "n": int(standardized.size),
                     "outside": int(standardized.size - counts.sum())}
    return out


def depth_sweep(base: NetworkSpec, networks: int, seed: int, delta: float) -> dict:
    """E||J(x)||_{2->2} against depth L, with the mean-field value sqrt(omega^L/d) E||G||_{2->2}."""
    generator = torch.Generator().manual_seed(seed)
    G = torch.randn(4000, base.K, base.d, generator=generator, dtype=torch.float64)
    gaussian = opnorm(G, 2, 2).value.numpy()
    rows = []
    for depth in DEPTHS:
        spec = NetworkSpec(**{**base.as_dict(), "L": depth})
        sample = sample_jacobians(spec, networks, (1.0, 10.0), seed=seed + depth, chunk=16)
        norms = opnorm(torch.from_numpy(sample.J[:, 0]), 2, 2).value.numpy()
        iv = mean_interval(norms, delta)
        scale = math.sqrt(_theory("jacobian_variance", spec))  # sqrt(omega^L / d)
        rows.append({"L": depth, "measured": iv.estimate, "ci_low": iv.low, "ci_high": iv.high,
                     "meanfield": scale * float(gaussian.mean())})
    return {"spec": base.as_dict(), "norm": "2->2", "rows": rows}


def width_sweep(base: NetworkSpec, networks: int, seed: int, delta: float) -> dict:
    """Var J_ij measured/theory against width N, with the finite-width band 1 +- tau(N)."""
    claim = REGISTRY[f"mf.thm4_1.jacobian_variance.{base.arch}"]
    rows = []
    for width in WIDTHS:
        spec = NetworkSpec(**{**base.as_dict(), "N": width})
        sample = sample_jacobians(spec, networks, (1.0, 10.0), seed=seed + width, chunk=16)
        per_network = (sample.J[:, 0] ** 2).reshape(sample.B, -1).mean(axis=1)
        iv = mean_interval(per_network, delta, scale=_theory("jacobian_variance", spec))
        tolerance = value(claim.tolerance, spec.values())
        rows.append({"N": width, "ratio": iv.estimate, "ci_low": iv.low, "ci_high": iv.high, "tolerance": tolerance})
    return {"spec": base.as_dict(), "rows": rows}


def figures_data(specs: dict[str, NetworkSpec], networks: int, seed: int, delta: float) -> dict:
    """Everything the run's figures show, per architecture (``specs``: arch -> the profile's first spec)."""
    data = {}
    for arch, spec in specs.items():
        small = NetworkSpec(**{**spec.as_dict(), "d": 16, "K": 8, "N": 256})
        data[arch] = {
            "histograms": histograms(spec, networks, seed),
            "depth": depth_sweep(NetworkSpec(**{**small.as_dict(), "K": 4}), networks, seed + 1, delta),
            "width": width_sweep(NetworkSpec(**{**small.as_dict(), "L": 4}), networks, seed + 2, delta),
        }
    return data


def _mean_rows(x: list, samples: list[np.ndarray], delta: float, key: str) -> list[dict]:
    """One row per x: the mean of its sample (networks) with a t interval."""
    rows = []
    for at, sample in zip(x, samples):
        iv = mean_interval(sample, delta)
        rows.append({key: at, "mean": iv.estimate, "ci_low": iv.low, "ci_high": iv.high})
    return rows


def dynamics_data(runs: dict, verdicts: list, dynamics, delta: float) -> dict:
    """The dynamics figures' data: sigma^2 trajectories against the ODE (the ``map`` design), the regime map
    (from the ODE claims' verdicts) and clean-gradient norms against depth (the ``depths`` design).

    ``runs`` maps each TrainingSetup to its TrainingRun (the suite's samples); designs not run are skipped.
    """
    from verify.suite import curve

    out: dict = {"trajectories": [], "regime_map": [], "depths": []}
    for arch in ("vanilla", "residual"):
        drop = dict(REGISTRY[f"mf.dyn.ode.{arch}"].params)["curve"]  # t -> the ODE's predicted drop
        for setup in dynamics.design("map", arch):
            run = runs.get(setup)
            if run is None:
                continue
            sigma2 = run.sigma2.mean(axis=2)
            steps = list(range(sigma2.shape[1]))
            drops = sigma2[:, :1] - sigma2
            out["trajectories"].append({
                "arch": arch, "N": setup.spec.N, "eta": setup.eta, "eps": setup.eps, "regime": setup.regime,
                "sigma_w2": setup.spec.sigma_w2,
                "rows": _mean_rows(steps[1:], list(drops[:, 1:].T), delta, "t"),
                "ode": curve(drop, setup.values())(np.array(steps[1:], dtype=np.float64)).tolist(),
                "loss_ratio": (run.loss.mean(axis=0) / run.loss[:, 0].mean()).tolist()})
        sweep = dynamics.design("depths", arch)[0]
        if all(setup in runs for setup in sweep):
            out["depths"].append({"arch": arch, **{
                when: _mean_rows([s.spec.L for s in sweep], [runs[s].clean_grad[when][:, 0] for s in sweep], delta,
                                 "L") for when in ("before", "after")}})
    for verdict in verdicts:
        if verdict.claim_id.startswith("mf.dyn.ode."):
            for config in verdict.configs:
                setup = config["config"]
                out["regime_map"].append({
                    "arch": setup["spec"]["arch"], "N": setup["spec"]["N"], "eta_eps": setup["eta"] * setup["eps"],
                    "regime": setup["regime"], "status": str(getattr(config["status"], "value", config["status"])),
                    "ratio": config["statistic"], "t_star": config["figures"].get("t_star"),
                    "horizon": setup["steps"]})
    return out
