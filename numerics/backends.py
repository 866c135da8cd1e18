"""Theory expressions to numbers, through ``lambdify``, for three backends (numpy, mpmath, torch).

Powers whose exponent involves a symbol (omega**L) are rewritten as exp(L log omega), Gamma(x) as
exp(loggamma(x)) (ratios of Gammas then combine into one exponential) and (exp(x) - 1) as expm1(x), so deep
networks and large dimensions neither overflow early nor lose digits next to criticality omega = 1.  ``log_value``
evaluates the logarithm at high precision with mpmath, whose exponent range is unbounded: it is the way to
compare a measurement with omega**L for L in the thousands.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Literal, Mapping

import mpmath
import sympy as sp
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize

Backend = Literal["numpy", "mpmath", "torch"]

class lgamma(sp.Function):  # noqa: N801 - printed by this name into every backend
    """log Gamma, opaque to SymPy: its own loggamma would turn exp(loggamma(x)) straight back into gamma(x)."""
BACKENDS: tuple[Backend, ...] = ("numpy", "mpmath", "torch")


def log_space(expr: sp.Expr) -> sp.Expr:
    """Rewrite b**e with a symbolic exponent as exp(e log b), then apply expm1/log1p rewrites."""

    def symbolic_power(node: sp.Basic) -> bool:
        return isinstance(node, sp.Pow) and not node.exp.is_number

    rewritten = expr.replace(symbolic_power, lambda p: sp.exp(p.exp * sp.log(p.base)))
    rewritten = optimize(rewritten, [expm1_opt, log1p_opt])
    return sp.powsimp(rewritten.replace(lambda n: isinstance(n, sp.gamma), lambda n: sp.exp(lgamma(n.args[0]))))


def _torch_modules() -> list:
    """torch functions that also accept the Python numbers SymPy prints for constants such as log(2)."""
    import torch

    def promoting(fn: Callable) -> Callable:
        return lambda x: fn(torch.as_tensor(x, dtype=torch.float64) if not torch.is_tensor(x) else x)

    names = ("exp", "log", "sqrt", "expm1", "log1p", "lgamma")
    return [{name: promoting(getattr(torch, name)) for name in names}, "torch"]


def _torch_printer():
    """SymPy's torch printer, taught the expm1/log1p/lgamma that ``log_space`` introduces."""
    from sympy.printing.pytorch import TorchPrinter

    class Printer(TorchPrinter):
        def _print_expm1(self, expr):
            return f"expm1({self._print(expr.args[0])})"

        def _print_log1p(self, expr):
            return f"log1p({self._print(expr.args[0])})"

        def _print_lgamma(self, expr):
            return f"lgamma({self._print(expr.args[0])})"

    return Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})


@lru_cache(maxsize=256)
def _compiled(expr: sp.Expr, symbols: tuple[sp.Symbol, ...], backend: Backend) -> Callable:
    if backend == "torch":
        return sp.lambdify(symbols, log_space(expr), modules=_torch_modules(), printer=_torch_printer())
    if backend == "numpy":
        from scipy.special import gammaln

        return sp.lambdify(symbols, log_space(expr), modules=[{"lgamma": gammaln}, "scipy", "numpy"])
    # mpmath's exponent range is unbounded and its working precision is set by the caller: the log-space rewrites
    # (whose expm1/log1p search costs a tenth of a second per expression) buy nothing there
    return sp.lambdify(symbols, expr, modules="mpmath")


@lru_cache(maxsize=256)
def _symbols(expr: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The free symbols sorted by name, once per expression: walking the tree cost more than evaluating a
    one-line expression in a training loop's step."""
    return tuple(sorted(expr.free_symbols, key=lambda s: s.name))


def lambdify(expr: sp.Expr, backend: Backend = "numpy") -> tuple[tuple[sp.Symbol, ...], Callable]:
    """(free symbols sorted by name, a function of them) for ``expr`` in ``backend``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    symbols = _symbols(expr)
    return symbols, _compiled(expr, symbols, backend)


def evaluate(expr: sp.Expr, values: Mapping[sp.Symbol, object], backend: Backend = "numpy"):
    """Value of ``expr`` at ``values`` (scalars or arrays/tensors of a backend that broadcasts)."""
    symbols, fn = lambdify(expr, backend)
    missing = [s.name for s in symbols if s not in values]
    if missing:
        raise KeyError(f"no value given for {', '.join(missing)}")
    args = [values[s] for s in symbols]
    if backend == "mpmath":
        args = [mpmath.mpf(a) if isinstance(a, (int, float)) else a for a in args]
    elif backend == "torch":
        import torch

        args = [torch.as_tensor(a, dtype=torch.float64) if isinstance(a, (int, float)) else a for a in args]
    elif backend == "numpy":
        import numpy as np

        with np.errstate(invalid="ignore", divide="ignore"):  # np.select evaluates the unused 0/0 branch too
            return fn(*args)
    return fn(*args)


def log_value(expr: sp.Expr, values: Mapping[sp.Symbol, float], dps: int = 50) -> float:
    """log(expr) at ``values``, computed with mpmath at ``dps`` digits (finite even where expr overflows)."""
    with mpmath.workdps(dps):
        value = evaluate(expr, values, "mpmath")
        if value <= 0:
            raise ValueError(f"log_value needs a positive expression, got {value}")
        return float(mpmath.log(value))


def value(expr: sp.Expr, values: Mapping[sp.Symbol, float], dps: int = 50) -> float:
    """A float64 value of ``expr`` computed through mpmath (the reference rung of the ladder)."""
    with mpmath.workdps(dps):
        return float(evaluate(expr, values, "mpmath"))


def curve(function: sp.Lambda, values: Mapping[sp.Symbol, float]) -> Callable:
    """A SymPy Lambda of one variable as a numpy function, the configuration's other values substituted."""
    import numpy as np

    (variable,) = function.variables
    return np.vectorize(lambda x: value(function.expr, {**values, variable: float(x)}), otypes=[np.float64])
