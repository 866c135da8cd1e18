"""Lyu & Zhu (ICLR 2022): datasets, reference solvers, deep linear and relu^2 models, Algorithm 1's training,
KKT residuals, experiments, estimators and figures."""
