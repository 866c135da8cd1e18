"""The mean-field paper's numerics: batched networks (``networks``), the Jacobian chain (``jacobian``), Monte Carlo
samples (``samples``), adversarial training (``training``), and the registered experiments, estimators, probes
and check-bound quantities."""
from numerics.papers.meanfield import bounds, estimators, experiments, figures, training_estimators  # noqa: F401
