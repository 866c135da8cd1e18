"""Evaluation and simulation: theory expressions to numbers, and the papers' networks in torch."""
