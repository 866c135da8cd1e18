"""Measurements of Li & Li's quantities (``theory.papers.feature_learning.quantities``).

One configuration is one standard-trained patch CNN of R-inf, trained from its seed as the column's calibrated run
trains it (``settings.PatchSettings``: full-batch GD, its width-free constants) at the configuration's k, D, P, alpha,
beta and m, on CPU in float64.  Without noise every input of class y is the same multiset of patches (the network
sums over patches, so the signal patch's place is immaterial): the k class inputs are the data's whole support, and
the network is evaluated on exactly those.
- ``fooling_radius``: bisection on the radius of the closed-form feature attack (``attacks.feature_attack``, best
  target); the radius returned is one at which the attack was seen to fool, an upper estimate of the true smallest
  fooling radius.  Measured only on a network inside the regime of the threshold (every class within the usage
  margin, the inputs classified): a seed whose network is not is redrawn from its own child streams;
- ``feature_ratio``: Gamma^u / Gamma^v at the last step, per class (Gamma^u clipped at 0), combined over classes.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch

from numerics.device import one_thread
from numerics.experiment import Measurement, register_measurement
from numerics.papers.feature_learning.attacks import correct, feature_attack
from numerics.papers.feature_learning.data import Patches, draw_patches, features
from numerics.papers.feature_learning.network import PatchCNN
from numerics.papers.feature_learning.settings import PatchSettings
from numerics.papers.feature_learning.training import Trace, train
from numerics.random import Draws
from theory.papers.feature_learning.model import MARGINS, THRESHOLDS, gamma_u, gamma_v
from theory.papers.feature_learning.quantities import FEATURE_RATIO, FOOLING_RADIUS, POWER, SYMBOLS

#: C*'s training (data size, init scale, step size, steps) at the quantities' smoothed-ReLU power
TRAINING = dataclasses.replace(PatchSettings(), q=POWER)
#: the bisection stops when its bracket is this small relative to its fooling end
RELATIVE_TOLERANCE = 1e-7
#: how many networks a fooling radius draws for one that uses v before the configuration is refused
REDRAWS = 8
#: how many doublings of the start radius are tried for one that fools before the configuration is refused
DOUBLINGS = 8


@dataclasses.dataclass(frozen=True)
class Trained:
    """A trained network, its class inputs, the feature rows, the trace and the values of the bound symbols."""

    model: PatchCNN
    W: torch.Tensor
    inputs: Patches
    U: torch.Tensor
    V: torch.Tensor
    trace: Trace
    values: dict

    def gammas(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(Gamma^u_j, Gamma^v_j) at the last step, (k,) each."""
        return tuple(trace[-1, 0].max(-1).values for trace in (self.trace.A, self.trace.B))

    def uses_v(self) -> bool:
        """Whether every class input is classified and every class is inside the usage margin
        (``model.MARGINS["usage"]``): the network the threshold beta / sqrt(D) is derived for."""
        inside = all(bool(MARGINS["usage"].subs({gamma_u: float(u), gamma_v: float(v)}))
                     for u, v in zip(*self.gammas()))
        return inside and bool(correct(self.model, self.W, self.inputs).all())


def class_inputs(k: int, P: int, U: torch.Tensor, V: torch.Tensor, alpha: float, beta: float) -> Patches:
    """One input per class (S = 1, n = k): the signal patch alpha u_y + beta v_y once, beta v_y P - 1 times."""
    y = torch.arange(k)[None]
    X = (beta * V[y])[:, :, None, :].expand(1, k, 2, V.shape[1]).clone()
    X[:, :, 0] += alpha * U[y]
    return Patches(X, torch.tensor([1.0, P - 1.0], dtype=X.dtype), y)


def trained(config: Mapping, draws: Draws | None = None) -> Trained:
    """Standard training at ``config`` from ``draws`` (its seed's by default; CPU, float64, one thread)."""
    k, D, P, m = int(config["k"]), 2 ** int(config["log2D"]), int(config["P"]), int(config["m"])
    alpha, beta = float(config["alpha"]), float(config["beta"])
    draws = Draws(int(config["seed"])) if draws is None else draws
    U, V = (torch.as_tensor(F, dtype=torch.float64) for F in features(k, D))
    data = draw_patches(1, TRAINING.n_train, P, U, V, alpha, beta, 0.0, draws.child("train"))
    model = PatchCNN(k, m, TRAINING.q, TRAINING.rho)
    W0 = draws.child("init").normal(TRAINING.sigma0, (1, k * m, k + D))
    with one_thread():
        W, trace = train(model, W0, data, U, V, TRAINING.eta, TRAINING.steps, None)
    values = {SYMBOLS["k"]: k, SYMBOLS["D"]: D, SYMBOLS["P"]: P, SYMBOLS["alpha"]: alpha, SYMBOLS["beta"]: beta,
              SYMBOLS["m"]: m}
    return Trained(model, W, class_inputs(k, P, U, V, alpha, beta), U, V, trace, values)


def trained_using_v(config: Mapping) -> Trained:
    """The first network of the seed's draws, then of its ``redraw<i>`` streams, that uses v (``Trained.uses_v``):
    a run where one class's neurons started aligned with u rather than v (a few percent near the race's margin)
    is outside the regime of the threshold, so it is redrawn, never measured; a ValueError after ``REDRAWS``."""
    seed = Draws(int(config["seed"]))
    for attempt in range(REDRAWS):
        net = trained(config, seed if attempt == 0 else seed.child(f"redraw{attempt}"))
        if net.uses_v():
            return net
    raise ValueError(f"no standard-trained network of {REDRAWS} draws uses only v at {dict(config)}: outside the "
                     "model's regime")


def smallest_fooling(model: PatchCNN, W: torch.Tensor, inputs: Patches, V: torch.Tensor, start: float,
                     fooled: str = "any") -> float:
    """The smallest radius (to ``RELATIVE_TOLERANCE``) at which the feature attack misclassifies one (``any``) or
    every (``all``) input, by bisection from [0, ``start``] (doubled until it fools); always a radius at which it
    was seen to fool, or 0 where the clean inputs already are."""
    combine = torch.any if fooled == "any" else torch.all

    def fools(radius: float) -> bool:
        with one_thread():
            return bool(combine(~feature_attack(model, W, inputs, radius, V)))

    if fools(0.0):
        return 0.0
    low, high = 0.0, start
    for _ in range(DOUBLINGS):
        if fools(high):
            break
        low, high = high, 2 * high
    else:
        raise ValueError(f"the feature attack fools no input up to radius {high:g}: the network does not use the "
                         "non-robust feature (outside the model's regime)")
    while high - low > RELATIVE_TOLERANCE * high:
        middle = (low + high) / 2
        low, high = (low, middle) if fools(middle) else (middle, high)
    return high


def fooling_radius(config: Mapping, options: Mapping[str, str]) -> Measurement:
    net = trained_using_v(config)
    start = 2 * float(THRESHOLDS["nonrobust"].subs(net.values))
    return Measurement(smallest_fooling(net.model, net.W, net.inputs, net.V, start, options["fooled"]), net.values)


def feature_ratio(config: Mapping, options: Mapping[str, str]) -> Measurement:
    net = trained(config)
    robust, nonrobust = net.gammas()
    if not bool((nonrobust > 0).all()):
        raise ValueError(f"a class learned no non-robust feature (Gamma^v <= 0) at {dict(config)}: outside the "
                         "model's regime")
    ratios = robust.clamp(min=0) / nonrobust  # a class none of whose neurons correlates with u learned none of it
    value = ratios.log().mean().exp() if options["classes"] == "mean" else ratios.max()
    return Measurement(float(value), net.values)


register_measurement(FOOLING_RADIUS, fooling_radius)
register_measurement(FEATURE_RATIO, feature_ratio)
