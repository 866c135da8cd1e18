"""The catalog: every discovered paper's claims joined with the experiment and estimator that judge each.

Loading it imports every paper's theory and numerics columns.  A claim that names an estimator nobody
registered, an estimator whose experiment is not registered, or a parameter neither the estimator nor the
experiment reads is refused here, with one line naming the claim: never a fall-through to some other sampler.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from numerics.experiment import Estimator, Experiment, RegistrationError, experiment_of
from numerics.papers import load_all
from theory.claims import Claim
from theory.registry import load


@dataclass(frozen=True)
class Entry:
    claim: Claim
    experiment: Experiment
    estimator: Estimator


def entry(claim: Claim) -> Entry:
    """The experiment and estimator of one claim, or a RegistrationError naming the claim and what is missing."""
    load_all()
    try:
        experiment, found = experiment_of(claim.quantity)
    except RegistrationError as err:
        raise RegistrationError(f"claim {claim.id}: {err}") from None
    unread = [name for name, _ in claim.params if name not in found.params and name not in experiment.config_params]
    if unread:
        raise RegistrationError(f"claim {claim.id}: parameter {unread[0]!r} is read neither by estimator "
                                f"{found.name!r} nor by experiment {experiment.name!r}")
    return Entry(claim, experiment, found)


@lru_cache(maxsize=None)
def catalog() -> dict[str, Entry]:
    """claim id -> Entry for every registered claim, in registration order."""
    return {claim.id: entry(claim) for claim in load()}


def check_quantities() -> None:
    """Every declared quantity has a measurement and every measurement is of a declared quantity (the same
    object, not a namesake): a RegistrationError naming the first that is not."""
    from numerics.experiment import MEASURES
    from theory.papers import quantities

    load_all()
    declared = quantities()
    for quantity_id, measure in MEASURES.items():
        if declared.get(quantity_id) is not measure.quantity:
            raise RegistrationError(f"quantity {quantity_id!r} is measured but no paper declares it")
    unmeasured = [quantity_id for quantity_id in declared if quantity_id not in MEASURES]
    if unmeasured:
        raise RegistrationError(f"quantity {unmeasured[0]!r} is declared but no paper column measures it")
