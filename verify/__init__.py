"""Orchestration and the user-facing surface: claims -> experiments -> verdicts."""
