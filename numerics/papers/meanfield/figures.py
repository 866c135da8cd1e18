"""The mean-field paper's probes: the data behind its figures, computed from registered experiments' samples.

- ``meanfield.theorem4_1``: histograms of standardized J and a entries, E||J(x)||_{2->2} against depth with the
  mean-field value, and Var J measured/theory against width, per architecture;
- ``meanfield.dynamics_map``: sigma^2 trajectories against the ODE and the ODE claims' regime map;
- ``meanfield.dynamics_depths``: clean-task gradient norms against depth, before and after adversarial training.
Statistics are computed here (report only draws); the data is stored in results.json under ``figures_data``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from numerics.backends import curve, value
from numerics.experiment import Probe, Sweep, register_probe
from numerics.opnorms import opnorm
from numerics.papers.meanfield.experiments import (DynamicsExperiment, FigureExperiment, GaussianExperiment,
                                                   JacobianExperiment, Shape)
from numerics.stats import mean_interval
from theory.papers.meanfield.designs import DynamicsDesign
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec
from theory.registry import load

BINS = np.linspace(-5, 5, 61)


def _theory(claim_name: str, spec: NetworkSpec) -> float:
    return value(load()[f"meanfield.thm4_1.{claim_name}.{spec.arch}"].rhs, spec.values())


def _theorem_points(profile) -> list:
    """Per architecture: the last Theorem 4.1 configuration (histograms), a depth and a width sweep at the
    figures' sizes, and the Gaussian reference shape of the depth sweep (its 2->2 norms only: the (oo, .) norms of
    a wide shape are a search over 2^(d-1) sign vectors that the figure never reads)."""
    fig = profile[FigureExperiment.name]
    points = []
    for arch in ARCHITECTURES:
        spec = profile[JacobianExperiment.name].specs(arch)[-1]
        small = {**spec.as_dict(), "d": fig.d or spec.d, "K": fig.K or spec.K, "N": fig.N or spec.N}
        depth_K = fig.depth_K or spec.K
        depth = tuple(NetworkSpec(**{**small, "K": depth_K, "L": depth}) for depth in fig.depths)
        width = tuple(NetworkSpec(**{**small, "L": fig.width_L, "N": n}) for n in fig.widths)
        points += [(FigureExperiment.name, spec), (FigureExperiment.name, Sweep(depth)),
                   (FigureExperiment.name, Sweep(width)), (GaussianExperiment.name, Shape(depth_K, small["d"], "2_2"))]
    return points


def histograms(sample) -> dict:
    """Counts of J and a entries at x_0 standardized by the theory's variance."""
    spec = sample.spec
    out = {"spec": spec.as_dict(), "bins": BINS.tolist()}
    for name, values, claim in (("J", sample.J[:, 0], "jacobian_variance"), ("a", sample.a[:, 0], "bias_variance")):
        standardized = values.ravel() / math.sqrt(_theory(claim, spec))
        counts, _ = np.histogram(standardized, BINS)
        out[name] = {"counts": counts.tolist(), "n": int(standardized.size),
                     "outside": int(standardized.size - counts.sum())}
    return out


def depth_rows(samples: tuple, gaussian, delta: float) -> dict:
    """E||J(x)||_{2->2} against depth L, with the mean-field value sqrt(omega^L/d) E||G||_{2->2}."""
    reference = float(gaussian.values[(2.0, 2.0)].mean())
    rows = []
    for sample in samples:
        norms = opnorm(torch.tensor(sample.J[:, 0]), 2, 2).value.numpy()  # a copy: samples may be read-only
        iv = mean_interval(norms, delta)
        scale = math.sqrt(_theory("jacobian_variance", sample.spec))  # sqrt(omega^L / d)
        rows.append({"L": sample.spec.L, "measured": iv.estimate, "ci_low": iv.low, "ci_high": iv.high,
                     "meanfield": scale * reference})
    return {"spec": samples[0].spec.as_dict(), "norm": "2->2", "rows": rows}


def width_rows(samples: tuple, delta: float) -> dict:
    """Var J_ij measured/theory against width N, with the finite-width band 1 +- tau(N)."""
    rows = []
    claim = load()[f"meanfield.thm4_1.jacobian_variance.{samples[0].spec.arch}"]
    for sample in samples:
        spec = sample.spec
        per_network = (sample.J[:, 0] ** 2).reshape(sample.B, -1).mean(axis=1)
        iv = mean_interval(per_network, delta, scale=_theory("jacobian_variance", spec))
        rows.append({"N": spec.N, "ratio": iv.estimate, "ci_low": iv.low, "ci_high": iv.high,
                     "tolerance": value(claim.tolerance, spec.values())})
    return {"spec": samples[0].spec.as_dict(), "rows": rows, "tolerance": sp.latex(claim.tolerance)}


def summarize_theorem(samples: list, profile, verdicts: list) -> dict:
    data = {}
    for arch, (hist, depth, width, gaussian) in zip(ARCHITECTURES, zip(*[iter(samples)] * 4)):
        data[arch] = {"histograms": histograms(hist), "depth": depth_rows(depth, gaussian, profile.delta),
                      "width": width_rows(width, profile.delta)}
    return data


def _mean_rows(x: list, samples: list[np.ndarray], delta: float, key: str) -> list[dict]:
    """One row per x: the mean of its sample (networks) with a t interval."""
    rows = []
    for at, sample in zip(x, samples):
        iv = mean_interval(sample, delta)
        rows.append({key: at, "mean": iv.estimate, "ci_low": iv.low, "ci_high": iv.high})
    return rows


def _map_points(profile) -> list:
    dynamics = profile[DynamicsExperiment.name]
    return [(DynamicsExperiment.name, setup) for arch in ARCHITECTURES
            for setup in dynamics.design(DynamicsDesign.MAP, arch)]


def summarize_map(samples: list, profile, verdicts: list) -> dict:
    """sigma^2 trajectories against the ODE (the ``map`` design) and the ODE claims' regime map."""
    out: dict = {"trajectories": [], "regime_map": []}
    for run in samples:
        setup = run.setup
        drop = dict(load()[f"meanfield.dyn.ode.{setup.spec.arch}"].params)["curve"]  # t -> the ODE's predicted drop
        sigma2 = run.sigma2.mean(axis=2)
        steps = list(range(sigma2.shape[1]))
        drops = sigma2[:, :1] - sigma2
        out["trajectories"].append({
            "arch": setup.spec.arch, "N": setup.spec.N, "eta": setup.eta, "eps": setup.eps, "regime": setup.regime,
            "sigma_w2": setup.spec.sigma_w2, "spec": setup.spec.as_dict(), "steps": len(steps) - 1,
            "rows": _mean_rows(steps[1:], list(drops[:, 1:].T), profile.delta, "t"),
            "ode": curve(drop, setup.values())(np.array(steps[1:], dtype=np.float64)).tolist(),
            "loss_ratio": (run.loss.mean(axis=0) / run.loss[:, 0].mean()).tolist()})
    for verdict in verdicts:
        if verdict.claim_id.startswith("meanfield.dyn.ode."):
            for config in verdict.configs:
                setup = config["config"]
                out["regime_map"].append({
                    "arch": setup["spec"]["arch"], "N": setup["spec"]["N"], "eta_eps": setup["eta"] * setup["eps"],
                    "regime": setup["regime"], "status": str(getattr(config["status"], "value", config["status"])),
                    "ratio": config["statistic"], "t_star": config["figures"].get("t_star"),
                    "horizon": setup["steps"]})
    return out


def _depth_points(profile) -> list:
    dynamics = profile[DynamicsExperiment.name]
    return [(DynamicsExperiment.name, point) for arch in ARCHITECTURES
            for point in dynamics.design(DynamicsDesign.DEPTHS, arch)]


def summarize_depths(samples: list, profile, verdicts: list) -> dict:
    """||grad_{W_1} clean loss|| against depth, before and after adversarial training, per architecture."""
    rows = []
    for sweep in samples:
        depths = [run.setup.spec.L for run in sweep]
        rows.append({"arch": sweep[0].setup.spec.arch, "spec": sweep[0].setup.spec.as_dict(), **{
            when: _mean_rows(depths, [run.clean_grad[when][:, 0] for run in sweep], profile.delta, "L")
            for when in ("before", "after")}})
    return {"depths": rows}


# the Theorem 5.1 norm claims meanfield.thm5_1.<p>_<q>.<arch> only: the exact-L_adv claims (meanfield.thm5_1.exact.*) draw
# nothing these figures show
register_probe(Probe("meanfield.theorem4_1", _theorem_points, summarize_theorem))
register_probe(Probe("meanfield.dynamics_map", _map_points, summarize_map))
register_probe(Probe("meanfield.dynamics_depths", _depth_points, summarize_depths))


def summarize_tightness(samples: list, profile, verdicts: list) -> dict:
    """Theorem 5.1's tightness from the run's verdicts: PGD / (eps beta sqrt(omega^L)) with its interval per pair
    and architecture, and the step-1 certificate ratios (largest, median and smallest over the networks)."""
    out: dict = {"bound": [], "certificate": []}
    for verdict in verdicts:
        parts = verdict.claim_id.split(".")
        if parts[:2] != ["meanfield", "thm5_1"] or len(parts) != 5 or parts[2] not in ("bound", "step1"):
            continue
        part, pair, arch = parts[2:]
        config = verdict.configs[0]
        row = {"pair": pair, "arch": arch, "status": str(getattr(verdict.status, "value", verdict.status)),
               "spec": config["config"]}
        if part == "bound":
            out["bound"].append({**row, "ratio": verdict.statistic, "ci_low": verdict.ci_low,
                                 "ci_high": verdict.ci_high, "tolerance": verdict.tolerance,
                                 "networks": config["figures"]["pgd_networks"]})
        else:
            figures = config["figures"]
            out["certificate"].append({**row, "max": verdict.statistic, "median": figures["median_ratio"],
                                       "min": figures["min_ratio"], "networks": figures["networks"],
                                       "mean_pieces": figures["mean_pieces"]})
    return out if out["bound"] or out["certificate"] else {}


# reads the verdicts only: no experiment of its own
register_probe(Probe("meanfield.tightness", lambda profile: [], summarize_tightness))


def summarize_limits(samples: list, profile, verdicts: list) -> dict:
    """The run's limit verdicts, per family: Theorem 5.1's corollary per pair (``limits``), its bound per pair
    (``bound_limits``) and Theorem 4.1's twins per claim (``theorem4_1``, the configuration that speaks for the
    verdict).  Each row gives each rung's
    measured/theory ratio with its standard error (the finite-width map), the fitted c and gamma, and r_inf with
    its interval, all in units of the theory."""
    out: dict = {"limits": [], "bound_limits": [], "theorem4_1": []}
    for verdict in verdicts:
        parts = verdict.claim_id.split(".")
        configs = [c for c in verdict.configs if "ladder" in c["extras"]]
        if parts[0] != "meanfield" or not configs:
            continue
        config = min(configs, key=lambda c: abs(c["statistic"] - verdict.statistic))  # the speaking one
        extras, theory = config["extras"], config["theory"]
        if parts[1] == "thm5_1":
            family, label = ("bound_limits", parts[3]) if parts[2] == "bound" else ("limits", parts[2])
        else:
            family, label = "theorem4_1", parts[2]
        out[family].append({
            "label": label, "arch": parts[-1], "status": str(getattr(verdict.status, "value", verdict.status)),
            "widths": extras["ladder"], "ratios": [v / theory for v in extras["rung_values"]],
            "ses": [s / theory for s in extras["rung_ses"]], "limit": config["statistic"], "ci_low": config["ci_low"],
            "ci_high": config["ci_high"], "margin": config["tolerance"], "c": config["figures"]["c"] / theory,
            "gamma": config["figures"]["gamma"], "spec": config["config"]["sweep"][-1]})
    return {family: rows for family, rows in out.items() if rows}


# reads the verdicts only: no experiment of its own
register_probe(Probe("meanfield.limits", lambda profile: [], summarize_limits))
