"""SymPy-only source of truth: every formula the verifier checks lives here, once."""
