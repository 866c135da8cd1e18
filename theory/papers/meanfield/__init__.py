"""Kumano, Kera, Yamasaki, "Adversarial Training from Mean Field Perspective" (NeurIPS 2023): the network and
its mean-field quantities (``network``), the recursions of Theorem 4.1 (``recursions``), Gaussian operator norms
and beta_{p,q} for Theorem 5.1 (``norms``), the training dynamics of Section 6 (``dynamics``), and the claims
(``claims``, ``dynamics_claims``)."""
from __future__ import annotations

from theory.claims import Paper
from theory.papers.meanfield.bounds import VOCABULARY


def _claims() -> list:
    from theory.papers.meanfield import claims, dynamics_claims

    return [*claims.CLAIMS, *dynamics_claims.CLAIMS]


PAPER = Paper(key="meanfield", title="Adversarial Training from Mean Field Perspective",
              authors="Kumano, Kera, Yamasaki", venue="NeurIPS 2023", claims=_claims,
              bounds=VOCABULARY)
