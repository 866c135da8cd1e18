"""Li & Li (ICLR 2025): the reconstructed patch data R-inf, the two-layer smoothed-ReLU CNN batched over seeds,
standard and one-step adversarial training, strong evaluation attacks, the experiment, estimators and figures, and
the measurements of the declared quantities (``quantities``; ``numerics.papers.load_all`` imports every module)."""
