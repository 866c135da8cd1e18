"""Gao et al. (NeurIPS 2019): two-layer networks in the NTK parametrisation, l2 attacks on the logistic loss,
projected adversarial training, the linearised model's online gradient descent, the capacity family, experiments,
estimators, figures and the measurements of the declared quantities (``quantities``).  ``numerics.papers.load_all``
imports every module here; this file imports nothing, so the settings load alone."""
