"""A figure owns its claim globs: the report cites it from them and a run computes its probe for them."""
from __future__ import annotations

from numerics.experiment import PROBES
from numerics.papers import load_all
from report.figures import registered
from theory.registry import load


def test_every_probe_is_drawn_and_every_figure_draws_a_registered_probe_for_claims_that_exist():
    load_all()
    figures = registered().values()
    assert {figure.probe for figure in figures} == set(PROBES)
    ids = load().ids()
    for figure in figures:
        for pattern in figure.supports:
            assert any(figure.illustrates(claim_id) for claim_id in ids), f"{figure.stem}: {pattern} matches no claim"


def test_the_margin_figure_runs_for_the_monotonicity_claim_only():
    """The implicit-bias margins probe once ran for every implicit_bias.hom.* claim while its figure illustrates the
    smoothed margin's monotonicity only; the figure's globs decide now."""
    (figure,) = [f for f in registered().values() if f.probe == "implicit_bias.margins"]
    assert figure.illustrates("implicit_bias.hom.margin_monotone")
    assert not figure.illustrates("implicit_bias.hom.kkt.l2")


def test_a_limit_figure_with_one_architecture_draws_without_an_empty_legend():
    """``--only`` one architecture leaves the other panel empty: it says so, and draws no legend without labels
    (matplotlib warned "No artists with labels found")."""
    import warnings

    import matplotlib.pyplot as plt

    from report.papers.meanfield import _ladder_figure

    row = {"arch": "vanilla", "widths": [64, 128, 512], "ratios": [1.1, 1.05, 1.01], "ses": [0.01] * 3,
           "limit": 1.0, "c": 6.0, "gamma": 1.0, "ci_low": 0.99, "ci_high": 1.01, "margin": 0.02}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _ladder_figure([row], lambda r: "Var J", "ratio")
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    assert titles == ["vanilla", "residual: not in this run"]


def test_the_depth_figures_gaussian_reference_draws_only_the_norm_it_shows():
    """The depth figure reads the 2->2 norms of its Gaussian reference shape; all nine pairs at K = d = 32 cost 27 s
    of the quick profile (the (oo, .) norms search 2^31 sign vectors) for numbers nothing showed."""
    from numerics.papers.meanfield.experiments import GaussianExperiment
    from numerics.papers.meanfield.figures import _theorem_points
    from verify.profiles import get_profile

    shapes = [config for name, config in _theorem_points(get_profile("quick")) if name == GaussianExperiment.name]
    assert shapes and all(shape.pairs() == ((2, 2),) for shape in shapes)
