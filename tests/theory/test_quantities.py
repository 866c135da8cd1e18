"""theory.quantities and the catalog check: domains, options, configurations, certainty, declared == measured."""
from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import given, settings

from numerics.experiment import MEASURES, RegistrationError, register_measurement
from theory.papers import quantities, quantity
from theory.papers.meanfield.bounds import ADV_LOSS, GAUSSIAN_OPNORM
from theory.quantities import Certainty, PaperBound, Quantity, Range
from verify.bound_options import BoundRequest, RequestError
from verify.catalog import check_quantities
from verify.console import quantity_listing
from verify.strategies import configs, domain_configs

K, d = sp.symbols("K d", positive=True, integer=True)
TOY = Quantity(id="toy.ratio", meaning="a toy", symbols={"K": K, "d": d}, certainty=Certainty.LOWER,
               domain={"K": Range(1, 8, integer=True), "d": Range(1, 1000, integer=True, log=True, limits=(1, 10**4))},
               constraints=(sp.Le(K, d),), bound=PaperBound("K/d", "nowhere", "derived"))


def test_every_paper_declares_at_least_two_quantities_each_measured():
    check_quantities()
    by_paper: dict[str, int] = {}
    for found in quantities().values():
        by_paper[found.paper] = by_paper.get(found.paper, 0) + 1
        assert found.id in MEASURES and MEASURES[found.id].quantity is found
    assert set(by_paper) == {"meanfield", "feature_learning", "implicit_bias", "ntk_convergence"}
    assert min(by_paper.values()) >= 2


def test_a_namesake_measurement_or_an_unmeasured_declaration_is_refused(monkeypatch):
    namesake = Quantity(**{**ADV_LOSS.__dict__})  # equal fields, another object: not the declared quantity
    monkeypatch.setitem(MEASURES, ADV_LOSS.id, MEASURES[ADV_LOSS.id].__class__(namesake, MEASURES[ADV_LOSS.id].measure))
    with pytest.raises(RegistrationError, match="is measured but no paper declares it"):
        check_quantities()
    monkeypatch.delitem(MEASURES, ADV_LOSS.id)
    with pytest.raises(RegistrationError, match="is declared but no paper column measures it"):
        check_quantities()
    monkeypatch.setitem(MEASURES, TOY.id, None)
    with pytest.raises(RegistrationError, match="toy.ratio"):
        register_measurement(TOY, lambda config, options: None)


def test_certainty_says_which_bound_a_measurement_refutes():
    assert Certainty.LOWER.refutes(lower_bound=False) and not Certainty.LOWER.refutes(lower_bound=True)
    assert Certainty.UPPER.refutes(lower_bound=True) and not Certainty.UPPER.refutes(lower_bound=False)
    assert all(c.refutes(lower) for c in (Certainty.EXACT, Certainty.INTERVAL) for lower in (True, False))


def test_ranges_narrow_only_within_their_limits():
    assert TOY.narrow({"d": (5, 5000)})["d"] == Range(5, 5000, integer=True, log=True, limits=(1, 10**4))
    for bad, what in (({"d": (0, 5)}, "within"), ({"d": (5, 2)}, "LO <= HI"), ({"K": (1.5, 2)}, "integers"),
                      ({"x": (1, 2)}, "no domain key"), ({"d": (1, math.inf)}, "finite")):
        with pytest.raises(ValueError, match=what):
            TOY.narrow(bad)


def test_options_resolve_to_their_defaults_and_refuse_unknown_values():
    assert ADV_LOSS.resolve_options({}) == {"p": "2", "q": "2", "arch": "vanilla"}
    assert ADV_LOSS.resolve_options({"p": math.inf, "arch": "residual"}) == {"p": "oo", "q": "2", "arch": "residual"}
    with pytest.raises(ValueError, match="must be one of"):
        ADV_LOSS.resolve_options({"p": "3"})
    with pytest.raises(ValueError, match="no option 'norm'"):
        ADV_LOSS.resolve_options({"norm": "2"})


def test_a_printed_configuration_reads_back_and_a_bad_one_is_refused():
    assert TOY.read_config({"K": "2", "d": "7.0", "seed": "3"}) == {"K": 2, "d": 7, "seed": 3}
    for bad, what in (({"K": "2", "d": "7"}, "missing seed"), ({"K": "8", "d": "7", "seed": 0}, "constraints"),
                      ({"K": "1.5", "d": "7", "seed": 0}, "integer"), ({"K": "x", "d": "7", "seed": 0}, "number"),
                      ({"K": "1", "d": "nan", "seed": 0}, "finite"), ({"K": 1, "d": 2, "z": 1, "seed": 0}, "no configuration key")):
        with pytest.raises(ValueError, match=what):
            TOY.read_config(bad)


@settings(max_examples=200, derandomize=True)
@given(domain_configs(TOY, TOY.narrow({"d": (1, 50)})))
def test_drawn_configurations_respect_ranges_and_constraints(config):
    assert 1 <= config["K"] <= 8 and 1 <= config["d"] <= 50 and config["K"] <= config["d"]
    assert isinstance(config["d"], int) and isinstance(config["seed"], int)


@settings(max_examples=30, derandomize=True)
@given(configs("meanfield.gaussian_opnorm", d=(8, 8)))
def test_configs_of_a_declared_quantity_stay_in_its_narrowed_domain(config):
    assert config["d"] == 8 and 1 <= config["K"] <= 16


def test_the_listing_gives_domain_options_examples_and_the_paper_bound():
    text = quantity_listing(GAUSSIAN_OPNORM)
    for part in ("meanfield.gaussian_opnorm", "an upper bound", "d [1, 512] integer, log-uniform", "p in {2, 1, oo}",
                 "examples: 200", "(sqrt(K) + sqrt(d) + 6)/sqrt(d)", "atv check-bound '"):
        assert part in text


def test_a_bare_name_finds_its_quantity_and_an_unknown_one_lists_them():
    assert quantity("adv_loss") is ADV_LOSS
    with pytest.raises(LookupError, match="meanfield.adv_loss"):
        quantity("nosuch")


@pytest.mark.parametrize("args, what", [
    (("eps", None, [], {}, False, [], None), "--quantity is required"),
    ((None, "meanfield.adv_loss", [], {}, False, [], None), "EXPR is required"),
    (("eps", "meanfield.adv_loss", ["p"], {}, False, [], None), "--option expects KEY=VALUE"),
    (("eps", "meanfield.adv_loss", ["p=1"], {"p": "2"}, False, [], None), "contradicts"),
    (("eps", "meanfield.adv_loss", [], {}, True, [], None), "cannot refute a lower bound"),
    (("eps", "meanfield.adv_loss", [], {}, False, ["N=1:99999"], None), "within"),
    (("eps", "meanfield.adv_loss", [], {}, False, [], "d=2,K"), "--at expects"),
    (("eps**", "meanfield.adv_loss", [], {}, False, [], None), "not valid syntax"),
])
def test_a_bad_request_is_refused_in_one_sentence(args, what):
    with pytest.raises(RequestError, match=what) as info:
        BoundRequest.read(*args)
    assert "\n" not in str(info.value)


def test_the_replay_line_names_every_option_and_the_direction():
    request = BoundRequest.read("beta/sqrt(D)", "feature_learning.fooling_radius", [], {}, True, [], None)
    line = request.replay({"k": 2, "seed": 1})
    assert line.startswith("atv check-bound 'beta/sqrt(D)' --quantity feature_learning.fooling_radius --option ")
    assert line.endswith(" --lower --at k=2,seed=1")


def test_a_request_is_read_and_refused_without_loading_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom verify.bound_options import BoundRequest, RequestError\n"
            "BoundRequest.read('eps', 'meanfield.adv_loss', ['p=oo'], {}, False, ['N=64:64'], None)\n"
            "try: BoundRequest.read('eps', 'meanfield.adv_loss', ['p=7'], {}, False, [], None)\n"
            "except RequestError: pass\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_an_unknown_quantity_or_claim_is_refused_before_sympy_loads():
    """Discovering the papers, listing quantity and claim ids and refusing a name by them import no SymPy (it is
    most of a refusal's start-up); a planted SymPy import in a paper's ``__init__`` would fail this."""
    import subprocess
    import sys

    code = ("import sys\nfrom verify.bound_options import BoundRequest, RequestError\n"
            "from theory.registry import REGISTRY\n"
            "try: BoundRequest.read('eps', 'nosuch.q', [], {}, False, [], None)\n"
            "except RequestError as err: print('refused' if 'must be one of' in str(err) else err)\n"
            "assert REGISTRY.match(['meanfield.thm4_1.*'])\n"
            "print('sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["refused", "False"], done.stdout + done.stderr
