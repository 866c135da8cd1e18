"""Sequential sampling (``verify.rounds``): a claim's networks come in rounds, a decided claim stops drawing, the
looks keep the family-wise error at delta, and round boundaries change no number."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy import stats as sst

from numerics.stats import EARLY_SHARE, spent
from tests.exact import untimed
from tests.verify import toy
from verify.plan import doubling
from verify.suite import Suite
from verify.verdict import Status


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    toy.register(monkeypatch)


def _suite(rounds: int, delta: float = 1e-3, samples: int = 4000, seed: int = 0) -> Suite:
    profile = toy.Profile(toy.ToySettings(samples=samples), delta=delta, rounds=rounds)
    return Suite(profile, seed=seed, executor=toy.Recording([]))


def test_rounds_double_to_the_jobs_size():
    assert doubling(4, 1024) == (128, 256, 512, 1024) and doubling(4, 64) == (8, 16, 32, 64)
    assert doubling(4, 1000) == (125, 250, 500, 1000) and doubling(3, 6) == (2, 4, 6)
    assert doubling(4, 6) == (2, 4, 6) and doubling(3, 5) == (3, 5)  # no round of fewer than two units
    assert doubling(2, 3) == () and doubling(1, 1024) == () and doubling(4, None) == ()
    assert doubling(3, 6, least=4) == () and doubling(3, 12, least=4) == (6, 12) and doubling(3, 16, least=4) == (4, 8, 16)  # the estimators' fewest
    assert doubling(4, 2000, grain=500) == (500, 1000, 2000) and doubling(3, 2100, grain=500) == (1000, 2000, 2100)


def test_the_looks_spend_delta_and_the_last_one_most_of_it():
    for looks in (1, 2, 4, 7):
        levels = [spent(0.01, k, looks) for k in range(looks)]
        assert sum(levels) == pytest.approx(0.01, rel=1e-12)
    assert spent(0.01, 3, 4) == pytest.approx(0.01 * (1 - EARLY_SHARE)) and spent(0.01, 0, 1) == 0.01
    with pytest.raises(ValueError, match="look must be in 0..3"):
        spent(0.01, 4, 4)


def test_a_clear_claim_stops_early_a_close_one_draws_every_round():
    suite = _suite(rounds=4)
    planted = suite.check(toy.claim(factor=1.2))  # 20% off: decided on the first round
    assert planted.status is Status.VIOLATED and planted.rounds["decided_at"] == 1
    assert planted.n_samples == 2 * 500 and planted.rounds["cap"] == 2 * 4000
    edge = suite.check(toy.claim(factor=sp.Rational(101, 100)))  # the mean sits on the band's edge
    assert edge.status is Status.INCONCLUSIVE and edge.rounds["decided_at"] == edge.rounds["looks"] == 4
    assert edge.n_samples == 8000 and "undecided at its last look" in edge.notes


def test_round_boundaries_change_no_number():
    """A claim that draws every round gets the fixed-size sample: the same statistic, its interval at the last
    look's level; and a claim judged beside one that drew further is judged on its own rounds."""
    whole = _suite(rounds=1).check(toy.claim(factor=sp.Rational(101, 100)))
    rounds = _suite(rounds=4).check(toy.claim(factor=sp.Rational(101, 100)))
    assert rounds.statistic == whole.statistic and rounds.n_samples == whole.n_samples
    z = sst.norm.ppf(1 - spent(1e-3, 3, 4) / 4) / sst.norm.ppf(1 - 1e-3 / 4)  # two configurations; t ~ z here
    assert rounds.ci_high - rounds.statistic == pytest.approx(z * (whole.ci_high - whole.statistic), rel=1e-4)
    alone = _suite(rounds=4).check(toy.claim("early", factor=1.2))
    both, _ = _suite(rounds=4).run([toy.entry("early", factor=1.2),
                                           toy.entry("edge", factor=sp.Rational(101, 100))])
    assert untimed(both[0].to_json()) == untimed(alone.to_json())
    assert both[1].n_samples == 8000  # the shared jobs went on for the claim still undecided


def test_progress_counts_rounds_by_their_share_and_drops_what_a_decided_claim_left():
    """Every planned job is accounted for once: its rounds by their shares, the rounds its claims did not need as
    skipped, so a progress bar ends at its total; the time left follows the shares."""
    from verify.runs import TimeLeft

    suite, shares = _suite(rounds=4), []
    suite.on_job = lambda job, seconds: shares.append(("drawn", job.share))
    suite.on_skip = lambda job, share: shares.append(("skipped", share))
    suite.check(toy.claim(factor=1.2))  # two jobs of 4000 values, decided on their first round of 500
    assert shares == [("drawn", 0.125), ("drawn", 0.125), ("skipped", 0.875), ("skipped", 0.875)]
    left = TimeLeft(["toy.gaussian"] * 2, workers=1)
    assert left.done("toy.gaussian", 10.0, 0.125) == "about 2:30 left"  # 1.875 jobs at 80 s a job
    assert left.skipped("toy.gaussian", 0.875) == "about 1:20 left" and left.skipped("toy.gaussian", 1.0) == ""


def _false_alarms(levels_at, claims: int = 1000, looks: int = 5) -> float:
    """The share of true point claims (tolerance 0: every look can only reject) ever VIOLATED over ``looks``
    looks, each judged at ``levels_at(look)``, on 1000 simulated claims; real suite, real judge."""
    samples = 64 * 2 ** (looks - 1)
    suite = _suite(rounds=looks, delta=0.05, samples=samples, seed=11)
    entries = [dataclasses.replace(toy.entry(f"c{i}", means=(10.0 + i / claims,)),
                                   claim=dataclasses.replace(toy.claim(f"c{i}", means=(10.0 + i / claims,)),
                                                             tolerance=sp.Integer(0)))
               for i in range(claims)]
    verdicts, _ = suite.run(entries)
    assert all(v.rounds["looks"] == looks for v in verdicts)
    return float(np.mean([v.status is Status.VIOLATED for v in verdicts]))


def test_the_stopping_rule_keeps_the_family_wise_error_at_delta(monkeypatch):
    """1000 true claims at delta = 0.05 over five looks.  Spent as ``spent`` does, the share ever VIOLATED stays
    below 0.05 + 3.29 binomial standard errors (0.073: a false failure has probability < 1e-3, and the run is
    seeded, so it never flakes); the planted twin judges every look at the full delta, as a fixed-size test
    would, and its share (~0.14 for five looks) is caught above that bound."""
    bound = 0.05 + 3.29 * np.sqrt(0.05 * 0.95 / 1000)
    assert _false_alarms(spent) <= bound
    import verify.suite

    monkeypatch.setattr(verify.suite, "spent", lambda delta, look, looks: delta)  # no spending: naive looks
    assert _false_alarms(spent) > bound


ROUNDED = ("meanfield.jacobian", "meanfield.dynamics", "meanfield.gaussian")


@pytest.mark.parametrize("name", ROUNDED)
def test_a_job_in_parts_is_the_whole_job(name):
    """An experiment whose networks may come in rounds: three parts, joined, are its whole sample bit for bit
    (network i depends on its own streams only, whatever is drawn or trained beside it)."""
    from numerics.experiment import experiment_named
    from numerics.papers import load_all
    from numerics.random import Draws
    from tests.tiny import TINY
    from verify.catalog import catalog
    from verify.profiles import get_profile

    load_all()
    # 16 networks (the Jacobian's rounds: 4, 8, 16), 7 trained (2, 4, 7), 2100 matrices in blocks of 500 (1000,
    # 2000, 2100)
    profile = get_profile("quick").with_overrides({**TINY, "networks": 16, "dynamics.networks": 7,
                                                   "gaussian.matrices": 2100})
    experiment = experiment_named(name)
    settings = profile[experiment.name]
    claim = next(entry.claim for entry in catalog().values() if entry.experiment is experiment)
    point = experiment.points(claim, profile)[0]
    config = point.configs[0] if hasattr(point, "configs") else point
    units = experiment.units(config, settings)
    ends = doubling(3, units, experiment.least_units, experiment.grain)
    assert len(ends) == 3, ends  # three parts
    whole = experiment.draw(config, settings, Draws(5))
    parts = [experiment.draw_part(config, settings, Draws(5), first, last - first)
             for first, last in zip((0, *ends), ends)]
    assert untimed(experiment.join(parts)) == untimed(whole)


def test_only_the_experiments_tested_in_parts_come_in_rounds():
    """A new experiment that declares units joins ROUNDED, and so the test above, before its jobs are split."""
    from numerics.experiment import EXPERIMENTS, Experiment
    from numerics.papers import load_all

    load_all()
    declared = sorted(name for name, experiment in EXPERIMENTS.items() if type(experiment).units is not Experiment.units)
    # the figures' jobs inherit the Jacobian's; this module's toy is registered for each test
    assert declared == sorted((*ROUNDED, "meanfield.figures", toy.TOY.name))
