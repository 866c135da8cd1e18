"""What ``atv check-bound`` is asked, read and checked before torch loads (a refusal takes well under a second).

The quantity, its options (``--option KEY=VALUE`` and the shorthands ``--p``, ``--q``, ``--arch``), the bound's
text (parsed, never evaluated), the direction (``--lower``), the domain (``--domain KEY=LO:HI``) and a replayed
configuration (``--at``) are all checked against the declared ``theory.quantities.Quantity``.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from theory.papers import quantity as lookup
from verify.options import key_values

if TYPE_CHECKING:
    from theory.quantities import Quantity, Range


class RequestError(ValueError):
    """A check-bound request that cannot run (one sentence)."""


def pairs(items: list[str], flag: str, form: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> {"a": "1", "b": "2"}; a RequestError naming the first malformed item."""
    return key_values(items, flag, form, RequestError)


def spans(items: list[str]) -> dict[str, tuple[float, float]]:
    """``["N=64:128", "L=2"]`` -> {"N": (64, 128), "L": (2, 2)}."""
    read = {}
    for key, span in pairs(items, "--domain", "KEY=LO:HI").items():
        lo, colon, hi = span.partition(":")
        try:
            read[key] = (float(lo), float(hi if colon else lo))
        except ValueError:
            raise RequestError(f"--domain {key} needs numbers LO:HI, got {span!r}") from None
    return read


@dataclass(frozen=True)
class BoundRequest:
    """A checked request: the quantity, its options, the bound's text, the direction, the domain, a replay."""

    quantity: Quantity
    expr: str
    options: dict[str, str]
    lower: bool
    domain: dict[str, Range]
    at: dict | None

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        return {key: (span.low, span.high) for key, span in self.domain.items()}

    @classmethod
    def read(cls, expr: str | None, quantity: str | None, options: list[str], shorthands: Mapping[str, str | None],
             lower: bool, domain: list[str], at: str | None) -> "BoundRequest":
        if quantity is None:
            raise RequestError("--quantity is required; `atv check-bound --list` lists the quantities")
        if expr is None:
            raise RequestError("the bound EXPR is required, e.g. atv check-bound 'eps*sqrt(omega**L)' "
                               "--quantity meanfield.adv_loss")
        try:
            found = lookup(quantity)  # an unknown name is refused before SymPy loads
            from verify.expr import parse

            given = pairs(options, "--option", "KEY=VALUE")
            for key, value in shorthands.items():
                if value is not None:
                    if key in given and given[key] != value:
                        raise RequestError(f"--{key} {value} contradicts --option {key}={given[key]}")
                    given[key] = value
            chosen = found.resolve_options(given)
            parse(expr, found.symbols)
            narrowed = found.narrow(spans(domain))
            point = None if at is None else found.read_config(pairs(at.split(","), "--at", "KEY=VALUE,KEY=VALUE,..."))
            found.require_refutable(lower)
        except (LookupError, ValueError) as err:  # ExpressionError and RequestError are ValueErrors
            raise RequestError(str(err.args[0]) if err.args else str(err)) from None
        return cls(found, expr, chosen, lower, narrowed, point)

    def replay(self, config: Mapping[str, object]) -> str:
        """The command line that evaluates ``config`` again (``--at``)."""
        options = " ".join(f"--option {k}={v}" for k, v in self.options.items())
        at = ",".join(f"{k}={v!r}" for k, v in config.items())
        return (f"atv check-bound {shlex.quote(self.expr)} --quantity {self.quantity.id}"
                + (f" {options}" if options else "") + (" --lower" if self.lower else "") + f" --at {shlex.quote(at)}")


__all__ = ["BoundRequest", "RequestError"]
