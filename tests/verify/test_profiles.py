"""Profiles are data (TOML, one section per experiment); overrides are parsed against each field's type; the
paper's own shape (K = 1) runs every claim."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from numerics.experiment import EXPERIMENTS, SETTINGS
from numerics.settings_fields import declarations
from tests.tiny import TINY
from verify import cli
from verify.catalog import catalog
from verify.profiles import ProfileError, get_profile, load_config, names, schema


def test_every_profile_loads_and_the_paper_profiles_have_the_papers_shape():
    assert names() == ["full", "paper", "paper-cpu", "quick"]
    for name in names():
        profile = get_profile(name)
        assert set(profile.describe()["sections"]) == set(EXPERIMENTS)
    for name, d, N in (("paper", 1000, 5000), ("paper-cpu", 100, 500)):
        (spec,) = get_profile(name)["meanfield.jacobian"].specs("vanilla")
        assert (spec.d, spec.K, spec.N, spec.L, spec.sigma_w2, spec.u, spec.v) == (d, 1, N, 10, 2.0, 1.0, 0.0)
    assert len(get_profile("full")["meanfield.jacobian"].specs("residual")) == 16


def test_overrides_are_parsed_against_the_field_type():
    profile = get_profile("quick").with_overrides({
        "N": "256,1024", "dynamics.map_etas": "0.001,0.01", "meanfield.gaussian.beta_shapes": "[[3, 4], [5, 6]]",
        "norms.eps_fraction": "0.2", "dtype": "float64", "norms.dtype": "float64", "delta": "0.01"})
    assert profile["meanfield.jacobian"].N == (256, 1024) and profile["meanfield.jacobian"].dtype == "float64"
    assert profile["meanfield.dynamics"].map_etas == (0.001, 0.01)
    assert profile["meanfield.gaussian"].beta_shapes == ((3, 4), (5, 6))
    assert profile["meanfield.network_norms"].eps_fraction == 0.2 and profile.delta == 0.01
    assert profile["meanfield.network_norms"].dtype == "float64"  # quick's float32, overridden
    assert len(profile["meanfield.jacobian"].specs("vanilla")) == 4  # 2 activations x 2 widths


@pytest.mark.parametrize("key, value, message", [
    ("N", "abc", "N must be an integer, got 'abc'"),
    ("N", "2.5", "N must be an integer"),
    ("networks", "1", "networks must be >= 4"),
    ("N", "[]", "N needs one or more distinct values"),
    ("dynamics.widths", "64,64", "dynamics.widths needs two or more distinct values (a slope needs two), got (64, "
                                 "64)"),
    ("norms.d", "20", "norms.d must lie in [1, 17]"),
    ("sigma_b2", "-1", "sigma_b2 must be >= 0"),
    ("dynamics.nosuch", "1", "unknown setting 'dynamics.nosuch'"),
    ("bogus", "1", "unknown setting 'bogus'"),
    ("gaussian.beta_shapes", "3,4", "needs 2 values per entry"),
    ("gaussian.beta_shapes", "[[3, 4]", "is not a TOML array"),
    ("dynamics.regimes", "online", "dynamics.regimes must be one of population, dataset (every entry)"),
    ("delta", "2", "delta must lie in (0, 1)"),
    ("u", "1,2,3", "equal lengths"),
    ("norms.eps_fraction", "nan", "must be finite"),
])
def test_bad_overrides_are_one_sentence_naming_the_value(key, value, message):
    with pytest.raises(ProfileError) as info:
        get_profile("quick").with_overrides({key: value})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_every_setting_is_declared_with_its_meaning_and_its_default_passes_its_own_check():
    """The declarations are what --set, the listing and the schema read: none may be missing or self-refusing."""
    get_profile("quick")
    for section, entry in SETTINGS.items():
        for name, declared in declarations(entry.Settings).items():
            assert declared.meaning, f"{section}.{name} has no meaning"
            assert declared.problem(declared.default) is None, f"{section}.{name}'s default is refused"


def test_a_refusal_names_the_key_as_written_the_value_and_the_range():
    with pytest.raises(ProfileError) as info:
        get_profile("quick").with_overrides({"patches.q": "2"})
    assert str(info.value) == "patches.q must be >= 3 (the tensor-power race and its blow-up time need q > 2), got 2"
    with pytest.raises(ProfileError, match=r"^training.alpha must be > 0 or theorem, got 'fast'$"):
        get_profile("quick").with_overrides({"training.alpha": "fast"})
    profile = get_profile("quick").with_overrides({"training.alpha": "theorem", "ntk_convergence.training.ball":
                                                   "per_neuron"})
    assert profile["ntk_convergence.training"].alpha == "theorem"


def test_the_listing_and_the_schema_derive_from_the_declarations():
    import jsonschema

    profile = get_profile("quick").with_overrides({"N": "256"})
    text = "\n".join(profile.listing())
    assert "[meanfield.jacobian]  (--set jacobian.KEY)" in text
    jacobian = text.split("[meanfield.jacobian]")[1].split("\n\n")[0]
    assert re.search(r"\n  networks += 1024 +independent networks per configuration; allowed: >= 4 \(the rank "
                     r"correlation and the two-input comparison split the networks\)\n", jacobian)
    assert re.search(r"\n  N += \[256\] +widths \(units per hidden layer\); allowed: one or more distinct values, "
                     r"each >= 1; default \[512\]\n", jacobian)
    described = schema()
    jsonschema.validate(profile.describe()["delta"], described["properties"]["delta"])
    networks = described["properties"]["sections"]["properties"]["meanfield.jacobian"]["properties"]["networks"]
    assert networks["minimum"] == 4 and networks["type"] == "integer"
    assert networks["description"].startswith("independent networks per configuration; >= 4")


def test_a_config_file_takes_flat_keys_and_sections(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('N = [128]\ndelta = 0.01\n[meanfield.dynamics]\nnetworks = 8\n[norms]\npgd_steps = 3\n')
    profile = get_profile("quick").with_overrides(load_config(path))
    assert profile["meanfield.jacobian"].N == (128,) and profile.delta == 0.01
    assert profile["meanfield.dynamics"].networks == 8 and profile["meanfield.network_norms"].pgd_steps == 3
    path.write_text("[meanfield.nosuch]\nx = 1\n")
    with pytest.raises(ProfileError, match=r"unknown section \[meanfield.nosuch\]"):
        load_config(path)


@pytest.mark.slow
def test_the_papers_shape_runs_every_claim_at_K_1(tmp_path):
    """The paper profile has K = 1 (it crashed before: the rank correlation needed two rows).  A test of the
    machinery, not of the mathematics: the tiny settings at K = 1, in this process, without figures (the tiny
    figure sweeps are not at K = 1; tests/report draws them)."""
    settings = {**TINY, "K": 1, "norms.K": 1}
    args = [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]
    result = CliRunner().invoke(cli.app, ["run", "--profile", "paper-cpu", *args, "--out", str(tmp_path),
                                          "--no-figures", "--workers", "1"])
    assert result.exit_code == 0, result.output
    verdicts = json.loads((tmp_path / "results.json").read_text())["verdicts"]
    assert [v["claim_id"] for v in verdicts] == list(catalog())
