"""Planted-error twins: every Theorem 4.1 check, run on real networks, must catch a planted error.

Each test uses one sample of networks for both sides: the true claim must HOLD, its planted twin (a wrong
variance, a wrong alpha, a wrong law, a planted dependence) must come out VIOLATED.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
import sympy.stats as sps

from numerics.experiment import ESTIMATORS, EXPERIMENTS, Sweep
from numerics.papers import load_all
from numerics.papers.meanfield.samples import sample_jacobians
from theory.papers.meanfield.network import ARCHITECTURES, ALPHA
from theory.registry import REGISTRY
from theory.symbols import u, v
from verify.profiles import get_profile
from numerics.random import Draws
from verify.judge import check_config
from verify.verdict import Status

pytestmark = pytest.mark.slow

PROFILE = get_profile("quick")
NETWORKS = 1024  # the quick profile's count: with 512 the residual kurtosis interval can straddle its band
#: the quick profile's first configuration at N = 256, L = 2 rather than 512 and 4: the same L/N, so the same band
#: sqrt(L/N) = 0.088, at 1/8 of the weights to draw and multiply (the samples took ~25 s per architecture at 512);
#: L = 2, not 1, keeps a layer composed on a layer, where the residual bias variance's cross term first appears
SIZE = {"N": 256, "L": 2}
DELTA = PROFILE.delta
load_all()  # the experiments register when their columns load (run alone, nothing else loads them)
JACOBIAN = EXPERIMENTS["meanfield.jacobian"]


@pytest.fixture(scope="module", params=ARCHITECTURES)
def setup(request):
    settings = PROFILE[JACOBIAN.name]
    spec = dataclasses.replace(settings.specs(request.param)[0], **SIZE)
    sample = sample_jacobians(spec, NETWORKS, settings.input_scales, Draws(0).child(f"planted/{spec.arch}"))
    return spec, sample


def verdict(claim, spec, sample) -> Status:
    return check_config(claim, JACOBIAN, spec, ESTIMATORS[claim.quantity](sample), DELTA, sample.B).status


def claim_of(name: str, arch: str):
    return REGISTRY[f"meanfield.thm4_1.{name}.{arch}"]


def test_true_claims_hold_on_the_twin_sample(setup):
    spec, sample = setup
    for claim in REGISTRY.select([f"meanfield.thm4_1.*.{spec.arch}"]):
        if ESTIMATORS[claim.quantity].sweep:  # a trend over widths reads two samples: test_planted_width_trend
            continue
        assert verdict(claim, spec, sample) is Status.HOLDS, claim.id


@pytest.mark.parametrize("name", ["jacobian_variance", "bias_variance"])
@pytest.mark.parametrize("factor", [1.2, 1 / 1.2])
def test_variance_off_by_twenty_percent_is_violated(setup, name, factor):
    spec, sample = setup
    claim = claim_of(name, spec.arch)
    planted = dataclasses.replace(claim, rhs=factor * claim.rhs, abstract=None, definitions=())
    assert verdict(planted, spec, sample) is Status.VIOLATED


@pytest.mark.parametrize("name", ["jacobian_variance", "bias_variance"])
def test_wrong_alpha_is_violated(setup, name):
    spec, sample = setup
    claim = claim_of(name, spec.arch)
    wrong = claim.rhs.subs(ALPHA, u**2 + v**2)  # forgets the 1/2 in alpha = (u^2 + v^2)/2
    assert wrong != claim.rhs
    planted = dataclasses.replace(claim, rhs=wrong, abstract=None, definitions=())
    assert verdict(planted, spec, sample) is Status.VIOLATED


@pytest.mark.parametrize("name", ["jacobian_gaussian", "bias_gaussian"])
@pytest.mark.parametrize("law", [sps.Laplace("X", 0, 1), sps.Uniform("X", -1, 1)])
def test_wrong_law_is_violated(setup, name, law):
    spec, sample = setup
    claim = claim_of(name, spec.arch)
    assert verdict(dataclasses.replace(claim, rhs=sp.simplify(sps.kurtosis(law))), spec, sample) is Status.VIOLATED


def test_planted_dependence_between_J_and_a_is_violated(setup):
    spec, sample = setup
    rows = np.linalg.norm(sample.J, axis=-1)  # (B, n, K)
    coupled = sample.a * rows / rows.mean(axis=-1, keepdims=True)  # a's scale follows J's row: dependent
    planted = dataclasses.replace(sample, a=coupled)
    assert verdict(claim_of("independence", spec.arch), spec, planted) is Status.VIOLATED


@pytest.mark.parametrize("name, field", [("input_independence", "J"), ("bias_input_independence", "a")])
def test_planted_input_dependence_is_violated(setup, name, field):
    spec, sample = setup
    values = getattr(sample, field).copy()
    values[:, 1] *= np.sqrt(1.25)  # the law at the second input has a 25% larger variance
    planted = dataclasses.replace(sample, **{field: values})
    assert verdict(claim_of(name, spec.arch), spec, planted) is Status.VIOLATED


# Theorem 4.1 beyond the variances (theory.papers.meanfield.theorem41_claims): i.i.d. entries, the law by
# Anderson-Darling tests, one law at two inputs, J independent of a at K = 1, and the derived bias variance.

def _scaled(values: np.ndarray, shape: tuple, seed: int) -> np.ndarray:
    """``values`` times a log-normal scale (log-sd 0.5) broadcast from ``shape``: entries sharing a scale become
    dependent (their squares correlate by about 0.24)."""
    return values * np.exp(0.5 * np.random.default_rng(seed).standard_normal(shape))


@pytest.mark.parametrize("name, other", [("entry_independence.row", "entry_independence.column"),
                                         ("entry_independence.column", "entry_independence.row")])
def test_planted_dependence_along_a_line_is_violated_and_only_there(setup, name, other):
    spec, sample = setup
    B, _, K, d = sample.J.shape
    shape = (B, 1, K, 1) if name.endswith("row") else (B, 1, 1, d)  # one scale per (network, row) or per column
    planted = dataclasses.replace(sample, J=_scaled(sample.J, shape, 1))
    assert verdict(claim_of(name, spec.arch), spec, planted) is Status.VIOLATED
    assert verdict(claim_of(other, spec.arch), spec, planted) is Status.HOLDS  # the other lines stay independent


@pytest.mark.parametrize("name, field", [("jacobian_anderson_darling", "J"), ("bias_anderson_darling", "a")])
def test_planted_laplace_law_is_violated_by_anderson_darling(setup, name, field):
    spec, sample = setup
    values = getattr(sample, field)
    laplace = np.random.default_rng(2).laplace(size=values.shape) * np.sqrt((values**2).mean() / 2)  # same variance
    assert verdict(claim_of(name, spec.arch), spec, dataclasses.replace(sample, **{field: laplace})) is Status.VIOLATED


@pytest.mark.parametrize("name, field", [("jacobian_law_two_inputs", "J"), ("bias_law_two_inputs", "a")])
def test_planted_law_change_at_the_second_input_is_violated(setup, name, field):
    spec, sample = setup
    values = getattr(sample, field).copy()
    values[:, 1] *= 1.3  # the law at x_1 is the law at x_0 scaled by 1.3
    assert verdict(claim_of(name, spec.arch), spec, dataclasses.replace(sample, **{field: values})) is Status.VIOLATED


def test_planted_dependence_between_J_and_a_at_one_output_is_violated(setup):
    spec, sample = setup
    # row 0 of a K-output network is a K = 1 network (the rows of P_out are i.i.d.): the claim's configuration
    single = dataclasses.replace(sample, spec=dataclasses.replace(spec, K=1), J=sample.J[:, :, :1],
                                 a=sample.a[:, :, :1])
    claim = claim_of("independence_k1", spec.arch)
    assert verdict(claim, single.spec, single) is Status.HOLDS
    scale = np.exp(0.5 * np.random.default_rng(3).standard_normal(sample.B))  # one gain per network, on both
    coupled = dataclasses.replace(single, J=single.J * scale[:, None, None, None], a=single.a * scale[:, None, None])
    assert verdict(claim, single.spec, coupled) is Status.VIOLATED


@pytest.fixture(scope="module")
def narrow(setup):
    spec, _ = setup
    low = dataclasses.replace(spec, N=spec.N // 8)  # 32 beside 256, as 64 beside the quick profile's 512
    draws = Draws(0).child(f"narrow/{spec.arch}")
    return low, sample_jacobians(low, NETWORKS, PROFILE[JACOBIAN.name].input_scales, draws)


def test_planted_width_trend(setup, narrow):
    spec, sample = setup
    low, narrow_sample = narrow
    claim = claim_of("entry_independence.width", spec.arch)
    estimator = ESTIMATORS[claim.quantity]
    point = Sweep((low, spec), at=1)

    def judged(wide):
        estimate = estimator((narrow_sample, wide))
        return check_config(claim, JACOBIAN, point, estimate, DELTA, 2 * NETWORKS).status

    assert judged(sample) is Status.HOLDS
    # a dependence that does not average out with width: one random gain per network at the wide width only
    assert judged(dataclasses.replace(sample, J=_scaled(sample.J, (sample.B, 1, 1, 1), 4))) is Status.VIOLATED


@pytest.fixture(scope="module")
def biased():
    """A residual ReLU sample at sigma_b2 = 3 and L = 2, where the cross term is 18% of Var a_i (the band is 8.8%),
    as at sigma_b2 = 0.3 and the quick profile's L = 4 (the cross term grows with depth and bias variance)."""
    spec = dataclasses.replace(PROFILE[JACOBIAN.name].specs("residual")[0], sigma_b2=3.0, **SIZE)
    return spec, sample_jacobians(spec, 512, PROFILE[JACOBIAN.name].input_scales, Draws(0).child("planted/biased"))


def test_derived_bias_variance_holds_where_the_stated_one_is_violated(biased):
    spec, sample = biased
    derived, stated = claim_of("bias_variance_derived", "residual"), claim_of("bias_variance", "residual")
    assert verdict(derived, spec, sample) is Status.HOLDS
    assert verdict(stated, spec, sample) is Status.VIOLATED  # the derived map with its cross term dropped
    planted = dataclasses.replace(derived, rhs=sp.Rational(4, 5) * derived.rhs)
    assert verdict(planted, spec, sample) is Status.VIOLATED


def test_derived_bias_variance_scaled_is_violated(setup):
    spec, sample = setup
    derived = claim_of("bias_variance_derived", spec.arch)
    assert verdict(dataclasses.replace(derived, rhs=sp.Rational(4, 5) * derived.rhs), spec, sample) is Status.VIOLATED
