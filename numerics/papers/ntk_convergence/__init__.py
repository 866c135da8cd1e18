"""Gao et al. (NeurIPS 2019): two-layer networks in the NTK parametrisation, l2 attacks on the logistic loss,
projected adversarial training, the linearised model's online gradient descent, the capacity family, experiments,
estimators and figures."""
