"""Measurements of Gao et al.'s quantities (``theory.papers.ntk_convergence.quantities``), one configuration at a
time from its own seed (CPU, float64), with the column's own code:
- ``linearisation_error``: ``experiments.linearisation_errors`` on one network at one input of norm r: the aligned
  movement, then projected ascent over the ball; every point tried lies in the ball, so the largest error found is
  a lower estimate of the sup;
- ``ogd_regret``: one run of ``experiments.RegretExperiment`` at horizon T (one seed): online gradient descent on
  the linearised model at the theorem's step, and its hindsight comparator (accelerated projected gradient, whose
  Frank-Wolfe gap bounds how far it is from the best comparator; D3 holds at every comparator, so at it).
"""
from __future__ import annotations

from typing import Mapping

from numerics.device import one_thread
from numerics.experiment import Measurement, register_measurement
from numerics.papers.ntk_convergence.experiments import RegretExperiment, linearisation_errors, sphere
from numerics.papers.ntk_convergence.networks import TwoLayer
from numerics.papers.ntk_convergence.settings import RegretRun, RegretSettings
from numerics.random import Draws
from theory.papers.ntk_convergence.bounds import (L1, L2, X, L_loss, R, T, alpha, constants, delta, distance,
                                                  grad_sq, m, x_norm)
from theory.papers.ntk_convergence.quantities import LINEARISATION_ERROR, OGD_REGRET, n
from theory.symbols import d

#: projected ascent steps over the ball after the aligned movement (cheap: one network, one input)
ASCENT_STEPS = 20
#: accelerated projected gradient steps of the hindsight comparator: its Frank-Wolfe gap stays below about 1% of
#: the regret at the domain's largest runs (60, the experiment's default, left up to 4x the regret there)
COMPARATOR_STEPS = 200


def _constants(activation: str) -> dict:
    """The activation's and the logistic loss's named constants as floats."""
    return {symbol: float(constant) for symbol, constant in constants(activation).items()}


def linearisation_error(config: Mapping, options: Mapping[str, str]) -> Measurement:
    draws = Draws(int(config["seed"]))
    model = TwoLayer.init(1, int(config["m"]), int(config["d"]), draws.child("init"), options["activation"])
    x, _ = sphere(1, 1, int(config["d"]), draws.child("input"))
    with one_thread():
        _, searched = linearisation_errors(model, x * config["r"], float(config["R"]), ASCENT_STEPS)
    values = {m: config["m"], R: config["R"], x_norm: config["r"], d: config["d"],
              L2: _constants(options["activation"])[L2]}
    return Measurement(searched.item(), values)


def ogd_regret(config: Mapping, options: Mapping[str, str]) -> Measurement:
    run = RegretRun(seeds=1, n=int(config["n"]), d=int(config["d"]), width=int(config["m"]),
                    radius=float(config["R"]), delta=float(config["delta"]), horizons=(int(config["T"]),),
                    attack_steps=RegretSettings.attack_steps, comparator_steps=COMPARATOR_STEPS)
    sample = RegretExperiment().draw(run, RegretSettings(), Draws(int(config["seed"])))
    regret = (sample.played - sample.hindsight).item()
    named = _constants("softplus")
    values = {distance: sample.distance.item(), alpha: float(sample.alpha[0]), grad_sq: sample.grad_sq.item(),
              T: config["T"], R: config["R"], m: config["m"], n: config["n"], d: config["d"],
              delta: config["delta"], X: 1 + config["delta"], L1: named[L1], L_loss: named[L_loss]}
    return Measurement(regret, values)


register_measurement(LINEARISATION_ERROR, linearisation_error)
register_measurement(OGD_REGRET, ogd_regret)
