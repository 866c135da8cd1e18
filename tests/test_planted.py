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

from numerics.experiment import ESTIMATORS, EXPERIMENTS
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
DELTA = PROFILE.delta
JACOBIAN = EXPERIMENTS["meanfield.jacobian"]


@pytest.fixture(scope="module", params=ARCHITECTURES)
def setup(request):
    settings = PROFILE[JACOBIAN.name]
    spec = settings.specs(request.param)[0]
    sample = sample_jacobians(spec, NETWORKS, settings.input_scales, Draws(0).child(f"planted/{spec.arch}"))
    return spec, sample


def verdict(claim, spec, sample) -> Status:
    return check_config(claim, JACOBIAN, spec, ESTIMATORS[claim.quantity](sample), DELTA, sample.B).status


def claim_of(name: str, arch: str):
    return REGISTRY[f"mf.thm4_1.{name}.{arch}"]


def test_true_claims_hold_on_the_twin_sample(setup):
    spec, sample = setup
    for claim in REGISTRY.select([f"mf.thm4_1.*.{spec.arch}"]):
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
