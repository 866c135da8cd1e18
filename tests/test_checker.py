"""check_bound: finds and shrinks counterexamples to false bounds, survives true ones, reproducible by seed."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from verify import cli
from numerics.papers.meanfield.bounds import DOMAIN as DEFAULT_DOMAIN
from verify.checker import CheckError, check_bound, parse_domain

TIGHT = "eps*(1 + sqrt(K/d))*sqrt(omega**L)"  # leading-order (2,2) bound eps beta_{2,2} sqrt(omega^L)
runner = CliRunner()


def test_a_tight_bound_scaled_by_0_7_is_caught_and_shrunk():
    result = check_bound(f"0.7*{TIGHT}", "adv_loss", 2, 2, examples=200, seed=0)
    assert result.found and result.observed > result.bound
    assert result.config["L"] <= 2 and result.config["d"] <= 4  # shrunk toward the smallest network
    again = check_bound(f"0.7*{TIGHT}", "adv_loss", 2, 2, at=result.config)
    assert again.found and again.observed == result.observed  # the printed configuration reproduces it


@pytest.mark.slow
def test_the_same_bound_with_tenfold_slack_survives_200_examples():
    result = check_bound(f"10*{TIGHT}", "adv_loss", 2, 2, examples=200, seed=0)
    assert not result.found and result.examples >= 200 and 0 < result.largest_ratio < 1


def test_jacobian_opnorm_quantity_finds_a_false_bound_and_spares_a_true_one():
    assert check_bound("0.5*sqrt(omega**L/d)", "jacobian_opnorm", 2, 2, examples=50, seed=1).found
    # Chevet-scale bound with generous finite-width slack: (sqrt(K) + sqrt(d)) sqrt(omega^L/d) * 10
    assert not check_bound("10*(sqrt(K) + sqrt(d))*sqrt(omega**L/d)", "jacobian_opnorm", 2, 2, examples=50,
                           seed=1).found


def test_same_seed_same_result():
    first = check_bound(f"0.7*{TIGHT}", "adv_loss", "oo", 2, examples=60, seed=5).to_json()
    second = check_bound(f"0.7*{TIGHT}", "adv_loss", "oo", 2, examples=60, seed=5).to_json()
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_domain_narrowing_and_bad_domains():
    domain = parse_domain(["N=128:128", "L=2:3"])
    assert domain["N"] == (128, 128) and domain["L"] == (2, 3) and domain["d"] == DEFAULT_DOMAIN["d"]
    result = check_bound(f"0.7*{TIGHT}", "adv_loss", 2, 2, examples=30, seed=0, domain=domain)
    assert result.found and result.config["N"] == 128 and 2 <= result.config["L"] <= 3
    for bad in (["N=5:1"], ["N=1.5:2"], ["bogus=1:2"], ["sigma_w2=0:1"], ["N"]):
        with pytest.raises(CheckError):
            parse_domain(bad)


@pytest.mark.parametrize("args, code", [
    ([f"0.7*{TIGHT}", "--quantity", "adv_loss", "--p", "2", "--q", "2", "--examples", "100"], 1),
    ([f"10*{TIGHT}", "--quantity", "adv_loss", "--p", "2", "--q", "2", "--examples", "20"], 0),
    ([TIGHT, "--quantity", "nosuch", "--p", "2", "--q", "2"], 2),
    ([TIGHT, "--quantity", "adv_loss", "--p", "3", "--q", "2"], 2),
    ([TIGHT, "--quantity", "adv_loss", "--p", "2", "--q", "2", "--domain", "N=9:3"], 2),
    ([TIGHT, "--quantity", "adv_loss", "--p", "2", "--q", "2", "--at", "d=2"], 2),
    (["eps +", "--quantity", "adv_loss", "--p", "2", "--q", "2"], 2),
])
def test_cli_exit_codes(args, code):
    result = runner.invoke(cli.app, ["check-bound", *args])
    assert result.exit_code == code, result.output
    if code == 1:
        assert "reproduce: atv check-bound" in result.output and "--at" in result.output


# the README's five-line example of a user's own property test, verbatim
from hypothesis import given, settings  # noqa: E402
from verify.checker import evaluate_bound  # noqa: E402
from verify.strategies import attack_configs  # noqa: E402


@settings(max_examples=20)
@given(attack_configs(N=(128, 512), norms=[("2", "2")]))
def test_my_bound(config):
    observed, bound, _ = evaluate_bound("10*eps*(1 + sqrt(K/d))*sqrt(omega**L)", config, "adv_loss")
    assert observed <= bound
