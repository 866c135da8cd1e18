"""Rendering of verdicts and SymPy derivations (LaTeX, figures); it never computes a statistic."""
