"""The mean-field paper's numerics: batched networks (``networks``), the Jacobian chain (``jacobian``), Monte Carlo
samples (``samples``), adversarial training (``training``), the experiments' settings (``settings``: no torch) and
the registered experiments, estimators, probes and check-bound quantities.  ``numerics.papers.load_all`` imports
every module here; this file imports nothing, so the settings load alone."""
