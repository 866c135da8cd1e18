"""Lyu & Zhu (ICLR 2022): datasets, reference solvers, deep linear and relu^2 models, Algorithm 1's training,
KKT residuals, experiments, estimators, figures and the measurements of the declared quantities (``quantities``).
``numerics.papers.load_all`` imports every module here; this file imports nothing, so the settings load alone."""
