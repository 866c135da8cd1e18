"""The experiment contract's pieces: runs projected from settings, and the typed designs a claim picks."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pytest

from numerics.experiment import Run, RunExperiment, design_of
from verify.catalog import catalog


@dataclass(frozen=True)
class Knobs:
    seeds: int = 8
    widths: tuple[int, ...] = (64, 128)
    weak_widths: tuple[int, ...] = (512,)


@dataclass(frozen=True, kw_only=True)
class Job(Run):
    seeds: int
    widths: tuple[int, ...]
    attack: str


class Colour(str, Enum):
    RED = "red"


def test_a_run_takes_the_settings_it_shares_by_name_and_the_design_sets_the_rest():
    assert Job.of(Knobs(), attack="pgd") == Job(seeds=8, widths=(64, 128), attack="pgd")
    assert Job.of(Knobs(), widths=Knobs().weak_widths, attack="fgm").describe() == {
        "seeds": 8, "widths": (512,), "attack": "fgm"}
    with pytest.raises(TypeError):
        Job.of(Knobs())  # the design must set what the settings do not have


def test_a_design_is_a_member_and_an_unknown_one_is_named():
    assert design_of(Colour, "red", "paint") is Colour.RED and design_of(Colour, Colour.RED, "paint") is Colour.RED
    with pytest.raises(ValueError, match=r"^unknown paint design 'blue'; designs: 'red'$"):
        design_of(Colour, "blue", "paint")


def test_every_claim_picks_its_design_by_a_typed_member():
    """No claim names a design by a bare string: the experiments dispatch on the members."""
    picked = 0
    for entry in catalog().values():
        params = dict(entry.claim.params)
        name = entry.experiment.design_param if isinstance(entry.experiment, RunExperiment) else "design"
        if name in params:
            picked += 1
            assert isinstance(params[name], Enum), f"{entry.claim.id}: {name}={params[name]!r} is not a typed design"
    assert picked > 50
