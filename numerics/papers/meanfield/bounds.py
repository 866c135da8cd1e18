"""The mean-field paper's check-bound quantities: ||J(x)||_{p->q} and PGD's adversarial loss of one network.

Each configuration is one network of a drawn spec at a random input x (||x|| = sqrt(d)), from its own seed:
- ``jacobian_opnorm``: ||J(x)||_{p->q}, exact where tractable, else the certified lower end of the sandwich;
- ``adv_loss``: the PGD value of max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q, eps = eps_fraction ||x||_p.
Both are lower estimates of the true quantity, so an exceedance is a real counterexample.
"""
from __future__ import annotations

from numerics.attacks import pgd
from numerics.experiment import BoundQuantity, register_bound_quantity
from numerics.opnorms import norm_order, opnorm, vector_norm
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import sample_networks
from numerics.papers.meanfield.samples import fixed_inputs
from numerics.papers.meanfield.strategies import NORMS, AttackConfig, attack_configs
from numerics.random import Draws
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec
from theory.symbols import eps

DOMAIN: dict[str, tuple[float, float]] = {
    "d": (2, 16), "K": (1, 8), "N": (64, 256), "L": (1, 6), "sigma_w2": (0.5, 2.5), "sigma_b2": (0.0, 0.5),
    "u": (0.5, 1.5), "v": (-0.5, 0.5), "eps_fraction": (0.01, 0.25),
}
INTEGER_KEYS = frozenset({"d", "K", "N", "L"})
SPEC_KEYS = ("d", "K", "N", "L", "sigma_w2", "sigma_b2", "u", "v")


def _setting(config: AttackConfig):
    """The network, input and radius of one configuration, from its seed (CPU, float64)."""
    draws = Draws(config.seed)
    net = sample_networks(config.spec, 1, draws)
    x = fixed_inputs(config.spec.d, [1.0], draws.child("inputs"))
    radius = config.eps_fraction * vector_norm(x[0], norm_order(config.p)).item()
    return draws, net, x, {**config.spec.values(), eps: radius}


def jacobian_opnorm(config: AttackConfig) -> tuple[float, dict]:
    draws, net, x, values = _setting(config)
    J, _ = jacobian_and_bias(net, x)
    return opnorm(J[:, 0], config.p, config.q, draws=draws.child("search")).low.item(), values


def adv_loss(config: AttackConfig) -> tuple[float, dict]:
    draws, net, x, values = _setting(config)
    found = pgd(net, x, values[eps], config.p, config.q, steps=20, restarts=8, draws=draws.child("pgd"))
    return found.value.item(), values


def strategy(domain: dict, options: dict):
    ranges = {k: v for k, v in domain.items() if k != "eps_fraction"}
    return attack_configs(eps_fraction=domain["eps_fraction"], archs=(options["arch"],),
                          norms=((options["p"], options["q"]),), **ranges)


def describe(config: AttackConfig) -> dict:
    return {**{k: v for k, v in config.spec.as_dict().items() if k != "arch"},
            "eps_fraction": config.eps_fraction, "seed": config.seed}


def from_values(values: dict, options: dict) -> AttackConfig:
    """An AttackConfig from ``describe``'s keys (the reproduction path of ``--at``); KeyError/ValueError if bad."""
    spec = NetworkSpec(arch=options["arch"], **{k: (int(values[k]) if k in INTEGER_KEYS else float(values[k]))
                                                for k in SPEC_KEYS})
    return AttackConfig(spec, options["p"], options["q"], float(values["eps_fraction"]), int(values["seed"]))


for _measure in (jacobian_opnorm, adv_loss):
    register_bound_quantity(BoundQuantity(
        name=_measure.__name__, options={"p": NORMS, "q": NORMS, "arch": ARCHITECTURES}, domain=DOMAIN,
        integer_keys=INTEGER_KEYS, positive_keys=frozenset({"sigma_w2", "eps_fraction"}),
        nonnegative_keys=frozenset({"sigma_b2"}), strategy=strategy, measure=_measure, describe=describe,
        from_values=from_values))
