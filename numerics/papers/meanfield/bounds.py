"""Measurements of the mean-field paper's quantities (``theory.papers.meanfield.bounds``).

Each configuration is one network of a drawn spec at a random input x (||x|| = sqrt(d)), or one Gaussian matrix,
from its own seed (CPU, float64):
- ``adv_loss``: the PGD value of max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q, eps = eps_fraction ||x||_p;
- ``jacobian_opnorm``: ||J(x)||_{p->q}, exact where tractable, else the certified lower end of the sandwich;
- ``gaussian_opnorm``: ||G||_{p->q} / sqrt(d), exact or the certified lower end.
All three are lower estimates of the true quantity, so an exceedance of an upper bound is a real counterexample.
The network quantities draw configurations as the project's strategies always have (``attack_configs``, width
at least 16 per layer), so a search seed finds what it found before the quantities were declared objects.
"""
from __future__ import annotations

import math
from typing import Mapping

from numerics.attacks import pgd
from numerics.device import one_thread
from numerics.experiment import Measurement, register_measurement
from numerics.opnorms import norm_order, opnorm, vector_norm
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import sample_networks
from numerics.papers.meanfield.samples import fixed_inputs
from numerics.papers.meanfield.strategies import attack_configs
from numerics.random import Draws
from theory.papers.meanfield.bounds import ADV_LOSS, GAUSSIAN_OPNORM, JACOBIAN_OPNORM
from theory.papers.meanfield.network import NetworkSpec
from theory.symbols import K, d, eps

SPEC_KEYS = ("d", "K", "N", "L", "sigma_w2", "sigma_b2", "u", "v")


def _setting(config: Mapping, options: Mapping[str, str]):
    """The network, input and radius of one configuration, from its seed (CPU, float64)."""
    spec = NetworkSpec(arch=options["arch"], **{key: config[key] for key in SPEC_KEYS})
    draws = Draws(int(config["seed"]))
    net = sample_networks(spec, 1, draws)
    x = fixed_inputs(spec.d, [1.0], draws.child("inputs"))
    radius = config["eps_fraction"] * vector_norm(x[0], norm_order(options["p"])).item()
    return draws, net, x, {**spec.values(), eps: radius}


def jacobian_opnorm(config: Mapping, options: Mapping[str, str]) -> Measurement:
    with one_thread():  # one small network: a second torch thread only adds contention
        draws, net, x, values = _setting(config, options)
        J, _ = jacobian_and_bias(net, x)
        found = opnorm(J[:, 0], options["p"], options["q"], draws=draws.child("search"))
    return Measurement(found.low.item(), values)


def adv_loss(config: Mapping, options: Mapping[str, str]) -> Measurement:
    with one_thread():  # one small network (8 restarts): a second thread made a search 17x slower on 2 busy cores
        draws, net, x, values = _setting(config, options)
        found = pgd(net, x, values[eps], options["p"], options["q"], steps=20, restarts=8, draws=draws.child("pgd"))
    return Measurement(found.value.item(), values)


def gaussian_opnorm(config: Mapping, options: Mapping[str, str]) -> Measurement:
    draws = Draws(int(config["seed"]))
    G = draws.standard_normal((1, config["K"], config["d"]))
    found = opnorm(G, options["p"], options["q"], draws=draws.child("search"))
    return Measurement(found.low.item() / math.sqrt(config["d"]), {d: config["d"], K: config["K"]})


def network_configs(domain: Mapping, options: Mapping[str, str]):
    """The project's network strategy (``attack_configs``) over the domain, as configuration dicts."""
    ranges = {key: (span.low, span.high) for key, span in domain.items() if key != "eps_fraction"}
    strategy = attack_configs(eps_fraction=(domain["eps_fraction"].low, domain["eps_fraction"].high),
                              archs=(options["arch"],), norms=((options["p"], options["q"]),), **ranges)
    return strategy.map(lambda config: {**{key: getattr(config.spec, key) for key in SPEC_KEYS},
                                        "eps_fraction": config.eps_fraction, "seed": config.seed})


register_measurement(ADV_LOSS, adv_loss, network_configs)
register_measurement(JACOBIAN_OPNORM, jacobian_opnorm, network_configs)
register_measurement(GAUSSIAN_OPNORM, gaussian_opnorm)
