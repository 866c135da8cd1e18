"""One module per paper: its claims as data."""
