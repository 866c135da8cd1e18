"""KEY=VALUE options as the command line gives them (``--set``, ``--option``, ``--at``), read in one place."""
from __future__ import annotations


def key_values(items: list[str], flag: str, form: str, error: type[ValueError] = ValueError) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> {"a": "1", "b": "2"}; ``error`` (one sentence naming ``flag`` and the expected
    ``form``) for the first item without a key, an '=' or a value."""
    read = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise error(f"{flag} expects {form}, got {item!r}")
        read[key.strip()] = value.strip()
    return read
