"""verify.plan: claims -> deduplicated jobs whose seeds derive from the run seed and the job's description, and
the checks made before anything is drawn."""
from __future__ import annotations

import dataclasses

import pytest

from numerics.random import derive_seed
from tests.verify import toy
from verify.plan import job_key, make_plan


def test_equal_job_descriptions_are_one_job_and_the_uses_count_every_reader():
    plan = make_plan([toy.entry("a", means=(10.0, 20.0)), toy.entry("b", means=(20.0, 30.0))], [], toy.Profile(), 0,
                     "cpu")
    assert [job.config for job in plan.jobs] == [10.0, 20.0, 30.0]  # in the order first needed
    assert len({job.key for job in plan.jobs}) == 3
    shared = job_key(toy.TOY, 20.0)
    assert plan.claims[0].keys[1] == plan.claims[1].keys[0] == (shared,)
    assert plan.uses() == {job_key(toy.TOY, 10.0): 1, shared: 2, job_key(toy.TOY, 30.0): 1}
    assert [task.theories for task in plan.claims] == [[10.0, 20.0], [20.0, 30.0]]  # rhs at each point


def test_a_job_key_is_the_experiment_and_the_canonical_description():
    assert job_key(toy.TOY, 10.0) == 'toy.gaussian:{"mu":10.0}' != job_key(toy.TOY, 10.5)


def test_a_jobs_seed_derives_from_the_run_seed_and_its_description_alone():
    together = make_plan([toy.entry("a", means=(10.0, 20.0)), toy.entry("b", means=(20.0, 30.0))], [], toy.Profile(),
                         7, "cpu")
    alone = make_plan([toy.entry("b", means=(30.0, 20.0))], [], toy.Profile(), 7, "cpu")  # --only, another order
    seeds = {job.key: job.seed for job in together.jobs}
    assert all(job.seed == seeds[job.key] == derive_seed(7, job.key) for job in alone.jobs)
    assert len(set(seeds.values())) == 3
    other = make_plan([toy.entry("a", means=(10.0, 20.0))], [], toy.Profile(), 8, "cpu")
    assert all(job.seed != seeds[job.key] for job in other.jobs)


def test_jobs_are_plain_picklable_data():
    import pickle

    job = make_plan([toy.entry()], [], toy.Profile(), 0, "cpu").jobs[0]
    assert pickle.loads(pickle.dumps(job)) == job and job.device == "cpu" and job.settings == toy.ToySettings()


def test_a_claim_with_no_configuration_is_refused_naming_it():
    with pytest.raises(ValueError, match="^toy.empty: the profile gives it no configuration$"):
        make_plan([toy.entry("empty", means=())], [], toy.Profile(), 0, "cpu")


def test_an_estimator_reading_the_wrong_kind_of_point_is_refused_before_drawing():
    sweeping = dataclasses.replace(toy.MEAN, sweep=True)
    with pytest.raises(ValueError, match="toy.mean: estimator 'toy_mean' reads a sweep of configurations per point"):
        make_plan([toy.entry(estimator=sweeping)], [], toy.Profile(), 0, "cpu")


def test_a_right_hand_side_unfit_for_a_ratio_is_refused_before_drawing():
    with pytest.raises(ValueError, match="toy.negative"):
        make_plan([toy.entry("negative", factor=-1)], [], toy.Profile(), 0, "cpu")


def test_a_job_needing_more_memory_than_the_device_has_is_refused():
    huge = toy.Profile(toy.ToySettings(memory=2**62))
    with pytest.raises(ValueError, match=r"needs .* GiB at once .* of cpu; lower N, L or the number of networks"):
        make_plan([toy.entry()], [], huge, 0, "cpu")
    assert make_plan([toy.entry()], [], huge, 0, "auto").jobs  # a device resolved by the worker is not known here
