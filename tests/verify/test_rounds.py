"""Sequential sampling (``verify.rounds``): a claim's networks come in rounds, a decided claim stops drawing, the
looks keep the family-wise error at delta, and round boundaries change no number."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy import stats as sst

from numerics import stats
from numerics.estimate import Estimate
from numerics.experiment import Estimator
from numerics.random import Draws
from numerics.stats import EARLY_SHARE, spent
from tests.exact import untimed
from tests.verify import toy
from verify.executors import JobResult
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
    would, and its share (0.181 at this seed) is caught above that bound."""
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
    # 16 networks (the Jacobian's rounds: 4, 8, 16), 64 trained (16, 32, 64), 2100 matrices in blocks of 500
    # (1000, 2000, 2100)
    profile = get_profile("quick").with_overrides({**TINY, "networks": 16, "dynamics.networks": 64,
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


class _Mixed(toy.Toy):
    """The toy, but its job at mu = 20 is drawn whole (as an experiment without units would be)."""

    def units(self, mu, settings):
        return None if mu == 20.0 else settings.samples


class _Slow(toy.Recording):
    """Hands the job at mu = 20 back only when nothing else is left (a slow job), the rest in order."""

    def run(self, jobs):
        held = []
        while jobs or held:
            held += [jobs.popleft() for _ in range(len(jobs))]
            job = next((j for j in held if j.config != 20.0), held[0])
            held.remove(job)
            draws = Draws(job.seed)
            sample = (_MIXED.draw(job.config, job.settings, draws) if job.part is None
                      else _MIXED.draw_part(job.config, job.settings, draws, *job.part))
            yield job, JobResult(sample, "cpu", 0.0)


_MIXED = _Mixed()


def test_a_claim_whose_next_look_is_drawn_already_is_judged_at_once(monkeypatch):
    """Claim a draws every round of the shared job X; claim b reads X and a job drawn whole that comes back last:
    when it arrives, b's later looks are all in already, and b is judged through them, not left unjudged."""
    from numerics.experiment import EXPERIMENTS

    monkeypatch.setitem(EXPERIMENTS, _MIXED.name, _MIXED)
    edge = sp.Rational(101, 100)
    a = dataclasses.replace(toy.entry("a", edge, (10.0,)), experiment=_MIXED)
    b = dataclasses.replace(toy.entry("b", edge, (10.0, 20.0)), experiment=_MIXED)
    suite = Suite(toy.Profile(toy.ToySettings(samples=800), rounds=4), seed=0, executor=_Slow([]))
    verdicts, _ = suite.run([a, b])
    assert [v.claim_id for v in verdicts] == ["toy.a", "toy.b"] and verdicts[1].rounds["decided_at"] == 4


Z_MEAN = Estimator("toy_z_mean", toy.TOY.name, lambda sample: Estimate(
    lambda delta: stats.normal_interval(sample.values.mean(), sample.values.std(ddof=1) / np.sqrt(sample.units),
                                        delta), sample.units), ())


def test_early_looks_on_few_networks_are_as_wide_as_students_t(monkeypatch):
    """An interval with a normal quantile and a spread estimated from 8 values misses far more often than its
    level in the deep tail an early look spends (1.7e-3 here: P(|t_7| > 3.14) = 0.016).  1000 true point claims,
    rounds of 8, 16, 32, 64 at delta = 0.05: the early looks together spend 0.005, and the share VIOLATED there
    stays below 0.005 + 3.29 binomial standard errors (0.0124; seeded, so it never flakes); the planted twin
    without the widening is caught above it."""
    from numerics.experiment import ESTIMATORS

    monkeypatch.setitem(ESTIMATORS, Z_MEAN.name, Z_MEAN)
    bound = 0.005 + 3.29 * np.sqrt(0.005 / 1000)

    def early_false_alarms() -> float:
        suite = _suite(rounds=4, delta=0.05, samples=64, seed=13)
        entries = [toy.Entry(dataclasses.replace(toy.claim(f"c{i}", means=(10.0 + i / 1000,)), quantity=Z_MEAN.name,
                                                 tolerance=sp.Integer(0)), toy.TOY, Z_MEAN) for i in range(1000)]
        verdicts, _ = suite.run(entries)
        return float(np.mean([v.status is Status.VIOLATED and v.rounds["decided_at"] < 4 for v in verdicts]))

    assert early_false_alarms() <= bound
    import verify.suite

    monkeypatch.setattr(verify.suite, "as_normal_level", lambda delta, units: delta)  # the normal quantile alone
    assert early_false_alarms() > bound


ENVELOPE = Estimator("toy_envelope", toy.TOY.name, lambda sample: Estimate(
    lambda delta: stats.Interval(float(sample.values.mean()), float(sample.values.min()), float(sample.values.max()),
                                 0.0, delta), sample.units), ())


def test_a_range_over_draws_holds_only_on_every_draw_but_a_violation_stops_at_once(monkeypatch):
    """A claim judged on the range of its draws (a maximum over networks, a per-run envelope) has no error
    level: HOLDS waits for the last look, when every draw is in; a range wholly outside the band is a violation
    on the draws seen, and stops the claim."""
    from numerics.experiment import ESTIMATORS

    monkeypatch.setitem(ESTIMATORS, ENVELOPE.name, ENVELOPE)
    suite = _suite(rounds=4, samples=4000)

    def check(factor, tolerance):
        claim = dataclasses.replace(toy.claim(factor=factor), quantity=ENVELOPE.name, tolerance=tolerance)
        return suite.run([toy.Entry(claim, toy.TOY, ENVELOPE)])[0][0]

    holds = check(1, sp.Integer(1))  # values within mu +- 4.5 sd against a band of +-100%
    assert holds.status is Status.HOLDS and holds.rounds["decided_at"] == 4
    violated = check(2, sp.Rational(1, 100))  # every value far below 2 mu
    assert violated.status is Status.VIOLATED and violated.rounds["decided_at"] == 1


def test_a_rounds_progress_bar_counts_what_its_draw_advances():
    """A round of Theorem 4.1 networks counts networks (its draw advances by networks); a round of training runs
    counts training steps, as the whole job's bar does (its draw advances by steps)."""
    from numerics.papers import load_all
    from tests.tiny import TINY
    from verify.catalog import catalog
    from verify.profiles import get_profile

    load_all()
    profile = get_profile("quick").with_overrides({**TINY, "networks": 16, "dynamics.networks": 64})
    plan = Suite(profile, seed=0).plan([catalog()["meanfield.thm4_1.jacobian_variance.vanilla"],
                                        catalog()["meanfield.dyn.euler.vanilla"]], ())
    sizes = {job.experiment: (job.size, job.round(1).size, job.round(1).part) for job in plan.jobs}
    assert sizes["meanfield.jacobian"] == (16, 4, (4, 4))  # rounds of 4, 8, 16 networks
    steps, in_round, part = sizes["meanfield.dynamics"]
    assert in_round == steps and part == (16, 16)  # rounds of 16, 32, 64 runs, every one of its steps
