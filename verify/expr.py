"""Safe parsing of user-typed bound expressions: Python's ``ast`` walked against a whitelist, never ``eval``.

Allowed: numbers, the symbols of the quantity (``theory.quantities.Quantity.symbols``), the functions
sqrt log exp Min Max gamma, the constant pi, and + - * / ** (unary - and + too).  The SymPy expression is built
node by node from the tree; the quantity's abstract symbols (alpha, omega) expand for its options (the architecture's formulas).
Resource guards run before any arithmetic: length, node count, nesting depth, literal size, numeric exponents
(9**9**9 is refused, not computed), and every numeric subexpression must be 0 or within 10^(+-300) in size
(exp(1000) and gamma(3000) are refused before SymPy, which evaluates some such numbers eagerly, computes them).
A bound that is not a finite real number (log(0), 1/0, sqrt(-1), zoo, nan) is refused at parse time.

``enclose`` is the magnitude guard that makes evaluating a bound at a configuration cheap and safe: interval
arithmetic (``mpmath.iv``) in which an exp, gamma or power beyond e^(+-MAX_LOG_MAGNITUDE) is not computed but
replaced by an interval sure to contain it ([e^MAX_LOG_MAGNITUDE, oo] on the large side), so
exp(exp(exp(d))) costs microseconds, not the hours that 50 digits of e^(e^(e^10)) would.  ``verify.checker``
turns its enclosure into the bound's value or a refusal.  No torch or scipy here: the CLI parses before they load.
"""
from __future__ import annotations

import ast
import math
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from typing import Iterator, Mapping

import mpmath
import sympy as sp

from theory.quantities import Quantity


MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_LITERAL = 1e12
MAX_NUMERIC_EXPONENT = 64
MAX_NUMERIC_DIGITS = 300  # every numeric subexpression stays within 10^(+-300): checked before SymPy computes it
PARSE_SECONDS = 5.0  # backstop wall-clock limit on building one expression (the guards above make it ~ms)

MAX_LOG_MAGNITUDE = 1e9  # |log x| beyond which exp, gamma and powers are enclosed, never computed digit by digit
GUARD_PRECISION = 113  # bits of the interval arithmetic (quad precision: exact zeros stay exact, rounding tiny)
MAX_NEGATIVE_GAMMA = 1e6  # gamma(x) for x below -1e6 needs x's fraction to astronomic precision: not bounded

FUNCTIONS = {"sqrt": (sp.sqrt, 1), "log": (sp.log, 1), "exp": (sp.exp, 1), "gamma": (sp.gamma, 1),
             "Min": (sp.Min, None), "Max": (sp.Max, None)}
CONSTANTS = {"pi": sp.pi}
OPERATORS = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul, ast.Div: lambda a, b: a / b,
             ast.Pow: None}
NOT_FINITE = {sp.zoo: "zoo (complex infinity)", sp.nan: "nan", sp.oo: "oo", -sp.oo: "-oo", sp.I: "I = sqrt(-1)"}

iv = mpmath.iv


class ExpressionError(ValueError):
    """The expression uses something outside the whitelist or exceeds a resource limit (one sentence)."""


class NotFinite(ArithmeticError):
    """A subexpression is certainly not a finite real number; ``what`` says what it is (-oo, zoo, complex...)."""

    def __init__(self, node: sp.Basic | None, what: str) -> None:
        super().__init__(what)
        self.node, self.what = node, what

    def __str__(self) -> str:
        return f"it is {self.what}" if self.node is None else f"{shorten(str(self.node))} is {self.what}"


def shorten(text: str, size: int = 60) -> str:
    """``text`` cut to ``size`` characters, for one-line messages."""
    return text if len(text) <= size else text[:size - 3] + "..."


def quote(text: str, size: int = 60) -> str:
    """``text`` quoted for a message, cut to ``size`` characters with the ellipsis outside the quotes, so that
    what is quoted is always a piece of what the user typed."""
    return repr(text) if len(text) <= size else repr(text[:size - 3]) + "..."


def parse_bound(text: str, quantity: Quantity, options: Mapping[str, str]) -> sp.Expr:
    """The SymPy expression for ``text`` in the quantity's symbols, its abstract ones expanded for ``options``
    (refused if the expansion makes it infinite: 1/(omega - alpha*sigma_w2) for vanilla networks)."""
    return expand_bound(parse(text, quantity.symbols), quantity, options, text)


def expand_bound(expr: sp.Expr, quantity: Quantity, options: Mapping[str, str], text: str) -> sp.Expr:
    """``expr`` (in the quantity's symbols) with its abstract symbols written out for ``options``; refused if
    that makes it not a finite real number; ``text`` names it in messages."""
    try:
        with time_limit(PARSE_SECONDS):
            expr = quantity.expanded(expr, options)
            where = ", ".join(f"{k}={v}" for k, v in options.items())
            refuse_non_real(text, expr, f" for {where}" if where else "")
    except TimeoutError:
        raise ExpressionError(f"expanding {quote(text)} took more than {PARSE_SECONDS:g} s; simplify it") from None
    return expr


def allowed(symbols: Mapping[str, sp.Symbol]) -> str:
    """The whitelist in words, for error messages."""
    return "numbers, " + " ".join(symbols) + ", " + " ".join(FUNCTIONS) + ", pi and + - * / **"


def parse(text: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr:
    """The SymPy expression for ``text``, naming only ``symbols`` (abstract ones such as omega kept)."""
    if not isinstance(text, str):
        raise ExpressionError(f"the bound must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression {quote(text, 40)} is {len(text)} characters long; at most "
                              f"{MAX_LENGTH} are allowed")
    if not text.strip():
        raise ExpressionError(f"the expression {text!r} is empty")
    if _bracket_depth(text) > MAX_DEPTH:  # brackets leave no trace in the tree: ((((eps)))) is just eps
        raise ExpressionError(f"the expression {quote(text.strip(), 40)} is nested more than {MAX_DEPTH} "
                              f"levels deep")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"the expression {quote(text.strip(), 40)} is not valid syntax near column "
                              f"{err.offset}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError(f"the expression {quote(text.strip(), 40)} could not be parsed") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"the expression {quote(text.strip(), 40)} has {nodes} syntax nodes; at most "
                              f"{MAX_NODES} are allowed")
    try:
        with time_limit(PARSE_SECONDS):
            expr = _Builder(text.strip(), symbols).build(tree.body, 0)
            refuse_non_real(text.strip(), expr)
    except TimeoutError:
        raise ExpressionError(f"building {quote(text.strip(), 40)} took more than {PARSE_SECONDS:g} s; "
                              f"simplify it") from None
    except RecursionError:
        raise ExpressionError(f"the expression {quote(text.strip(), 40)} is too deeply nested to build") from None
    return expr


def _bracket_depth(text: str) -> int:
    """The deepest nesting of (, [ and { in ``text``."""
    depth = deepest = 0
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        deepest = max(deepest, depth)
    return deepest


def refuse_non_real(text: str, expr: sp.Expr, context: str = "") -> None:
    """ExpressionError if ``expr`` contains zoo, nan, oo or I, or SymPy proves it complex for every configuration."""
    for node in sp.preorder_traversal(expr):
        if node in NOT_FINITE:
            raise ExpressionError(f"the bound {quote(text)} is not a finite real number{context}: it contains "
                                  f"{NOT_FINITE[node]}")
    if expr.is_extended_real is False:
        raise ExpressionError(f"the bound {quote(text)} is not a finite real number{context}: it is complex for "
                              f"every configuration")


class _Builder:
    def __init__(self, source: str, symbols: Mapping[str, sp.Symbol]) -> None:
        self.source = source
        self.symbols = symbols

    def token(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        return quote(segment, 40)

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(f"{what} {self.token(node)} is not allowed in a bound; allowed: {allowed(self.symbols)}")

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression {quote(self.source, 40)} is nested more than {MAX_DEPTH} "
                                  f"levels deep")
        result = self.node(node, depth)
        if result.is_number:
            self.check_number(node, result)
        return result

    def node(self, node: ast.AST, depth: int) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise self.refuse(node, "the name")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return self.power(node, left, right)
            if isinstance(node.op, ast.Div) and right.is_number:
                self.check_number(node, sp.Pow(right, -1, evaluate=False))  # 1/0 is refused, not made zoo
            return OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        kinds = {ast.Attribute: "attribute access", ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
                 ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
                 ast.Subscript: "indexing", ast.Compare: "a comparison", ast.BoolOp: "a boolean operator",
                 ast.IfExp: "a conditional", ast.NamedExpr: "an assignment", ast.BinOp: "the operator"}
        raise self.refuse(node, kinds.get(type(node), "the construct"))

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(node, "the literal")
        if abs(value) > MAX_LITERAL:
            raise ExpressionError(f"the number {self.token(node)} is too large; at most {MAX_LITERAL:g} in size")
        return sp.Integer(value) if isinstance(value, int) else sp.Float(value)

    def check_number(self, node: ast.AST, number: sp.Expr) -> None:
        """Refuse a numeric subexpression (evaluated or not yet) that is not finite and real or leaves 10^(+-300)."""
        try:
            digits = enclose(number, {}).digits()
        except NotFinite as err:
            raise ExpressionError(f"the bound {quote(self.source)} is not a finite real number: "
                                  f"{self.token(node)} is {err.what}") from None
        if digits > MAX_NUMERIC_DIGITS:
            size = f"about {digits:.0f}" if math.isfinite(digits) else "astronomically many"
            raise ExpressionError(f"{self.token(node)} is a number with {size} digits; at most "
                                  f"{MAX_NUMERIC_DIGITS} are allowed")

    def power(self, node: ast.BinOp, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_number and enclose(exponent, {}).size() > MAX_NUMERIC_EXPONENT:
            raise ExpressionError(f"the exponent in {self.token(node)} is too large; numeric exponents are "
                                  f"limited to {MAX_NUMERIC_EXPONENT} in size")
        if base.is_number and exponent.is_number:
            self.check_number(node, sp.Pow(base, exponent, evaluate=False))
        return sp.Pow(base, exponent)

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.refuse(node.func, "the function")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, "keyword or starred arguments in")
        function, arity = FUNCTIONS[node.func.id]
        if (arity is not None and len(node.args) != arity) or not node.args:
            raise ExpressionError(f"{node.func.id} takes {arity or 'one or more'} argument(s), "
                                  f"got {len(node.args)} in {self.token(node)}")
        args = [self.build(arg, depth + 1) for arg in node.args]
        if all(arg.is_number for arg in args):  # SymPy would evaluate it now: gamma(3000) is a 9000-digit integer
            self.check_number(node, function(*args, evaluate=False))
        for arg in args:
            refuse_non_real(self.source, arg)  # Max(sqrt(-d), 1) would raise inside SymPy
        try:
            return function(*args)
        except (ValueError, TypeError, ArithmeticError) as err:
            raise ExpressionError(f"{self.token(node)} cannot be built: {shorten(str(err))}") from None


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """TimeoutError after ``seconds`` of wall-clock time: a backstop behind the magnitude guards.

    SIGALRM, so it only works in the main thread and only if nothing else owns SIGALRM (no handler, no pending
    alarm); elsewhere (a worker thread, a nested limit, pytest-timeout's signal method) it is a no-op.  The signal
    raises a BaseException so that no ``except Exception`` inside SymPy or mpmath swallows it.
    """
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return
    armed = [True]

    def expire(signum, frame) -> None:
        if armed[0]:
            armed[0] = False
            raise _Expired()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise TimeoutError(f"took more than {seconds:g} s") from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Expired(BaseException):
    """Raised by ``time_limit``'s alarm; turned into TimeoutError where the limit was set."""


@dataclass(frozen=True)
class Enclosure:
    """[low, high] surely holds the expression's value; ``astronomical``: some exp, gamma or power in it exceeded
    e^(+-MAX_LOG_MAGNITUDE) and was enclosed, not computed (so a digit-by-digit evaluation would not finish)."""

    low: mpmath.mpf
    high: mpmath.mpf
    astronomical: bool

    def size(self) -> float:
        """An upper bound on |value| (a float, inf when unbounded)."""
        return float(max(abs(self.low), abs(self.high)))

    def digits(self) -> float:
        """max |log10 |x|| over the interval: how far from 1 the number may be (0 for a number that may be 0 and
        is small; a number SymPy does not fold, such as log(2)**0.5 - sqrt(log(2)), keeps a rounding interval)."""
        if self.astronomical or not (mpmath.isfinite(self.low) and mpmath.isfinite(self.high)):
            return math.inf
        top = max(abs(self.low), abs(self.high))
        if self.low <= 0 <= self.high:
            return max(0.0, float(mpmath.log10(top))) if top else 0.0
        return float(max(abs(mpmath.log10(abs(self.low))), abs(mpmath.log10(top))))

    def settle(self) -> float | None:
        """The float the interval pins down: both ends round to it (+-inf beyond the float range, 0.0 below the
        smallest float), or it is narrower than a float's rounding; None if it is too wide to decide."""
        low, high = float(self.low), float(self.high)
        if low == high:
            return low
        middle = (self.low + self.high) / 2
        if math.isfinite(low) and math.isfinite(high) and self.high - self.low <= abs(middle) * 2.0 ** -60:
            return float(middle)
        return None

    def order(self) -> str:
        """How large the value is at least, in words: 'more than 10^434294481' (for messages)."""
        if not (self.low > 0 or self.high < 0):
            return "of unknown size"
        smallest = min(abs(self.low), abs(self.high))
        exponent = int(mpmath.floor(mpmath.log10(smallest)))
        return f"more than 10^{exponent}" if self.low > 0 else f"less than -10^{exponent}"


def enclose(expr: sp.Expr, values: Mapping[sp.Symbol, float]) -> Enclosure:
    """An interval holding ``expr`` at ``values``, in microseconds whatever its size; NotFinite where it is certainly
    not a finite real number (log of 0, division by 0, a pole of gamma, a negative number to a fractional power).

    Functions the guard does not know (erf, Integral from internal bounds) get the interval (-oo, oo): the exact
    evaluation decides them.
    """
    previous = iv.prec
    iv.prec = GUARD_PRECISION
    try:
        with mpmath.workprec(GUARD_PRECISION):  # endpoints read back as mpf keep all their bits
            guard = _Guard(values)
            low, high = _ends(guard.visit(expr))
        return Enclosure(low, high, guard.astronomical)
    finally:
        iv.prec = previous


def _ends(x) -> tuple[mpmath.mpf, mpmath.mpf]:
    low, high = (mpmath.mpf(end) for end in x._mpi_)
    if mpmath.isnan(low) or mpmath.isnan(high):
        return mpmath.mpf("-inf"), mpmath.mpf("inf")
    return min(low, high), max(low, high)


def _interval(low, high):
    return iv.mpf([low, high])


def _loggamma(x):
    """iv.loggamma with its ends in order: mpmath returns [f(a), f(b)] even where loggamma decreases (x < 1.46)."""
    return _interval(*_ends(iv.loggamma(x)))


WHOLE_LINE = ("-inf", "inf")


class _Guard:
    """Interval evaluation of a SymPy tree, node by node (memoized: shared subexpressions are visited once)."""

    def __init__(self, values: Mapping[sp.Symbol, float]) -> None:
        self.values = values
        self.memo: dict[sp.Basic, object] = {}
        self.astronomical = False

    def visit(self, node: sp.Basic):
        if node not in self.memo:
            self.memo[node] = self.dispatch(node)
        return self.memo[node]

    def dispatch(self, node: sp.Basic):
        if node.is_Symbol:
            return self.symbol(node)
        if node.is_Atom:
            return self.atom(node)
        if node.is_Add:
            return reduce(lambda a, b: a + b, map(self.visit, node.args))
        if node.is_Mul:
            return self.product(node.args)
        if node.is_Pow:
            return self.power(node)
        if isinstance(node, sp.exp):
            return self.exp(self.visit(node.args[0]))
        if isinstance(node, sp.log) and len(node.args) == 1:
            return self.log(node, self.visit(node.args[0]))
        if isinstance(node, sp.gamma):
            return self.gamma(node, self.visit(node.args[0]))
        if isinstance(node, (sp.Min, sp.Max)):
            return self.extremum(node)
        if isinstance(node, sp.Abs):
            return abs(self.visit(node.args[0]))
        return self.unknown(node)

    def symbol(self, node: sp.Symbol):
        if node not in self.values:
            raise KeyError(f"no value given for {node.name}")
        value = self.values[node]
        return iv.mpf(value if isinstance(value, (int, float)) else float(value))

    def atom(self, node: sp.Basic):
        if node in NOT_FINITE:
            raise NotFinite(node, "complex" if node is sp.I else NOT_FINITE[node])
        if node.is_Integer:
            return iv.mpf(int(node))
        if node.is_Rational:
            return iv.mpf(node.p) / node.q
        if node.is_Float:
            return iv.mpf(mpmath.mpf(node._mpf_))
        if node is sp.pi:
            return iv.pi
        if node is sp.E:
            return iv.e
        if node.is_number and node.is_extended_real:
            value = mpmath.mpf(node.evalf(GUARD_PRECISION // 3 + 10)._mpf_)
            return _interval(value * (1 - mpmath.mpf(2) ** -100), value * (1 + mpmath.mpf(2) ** -100))
        return self.unknown(node)

    def product(self, args):
        factors = [self.visit(arg) for arg in args]
        if any(_is_zero(factor) for factor in factors):
            return iv.mpf(0)  # 0 times anything finite, however astronomically large
        return reduce(lambda a, b: a * b, factors)

    def power(self, node: sp.Pow):
        base = self.visit(node.base)
        if node.exp.is_Integer:
            return self.integer_power(node, base, int(node.exp))
        exponent = self.visit(node.exp)
        low, high = _ends(base)
        if _is_zero(base):
            return self.power_of_zero(node, exponent)
        if low > 0:
            return self.exp(exponent * iv.log(base))
        whole = _whole_number(exponent)
        if high < 0 and whole is not None:  # (-1)**d at an integer d
            return (-1) ** (whole % 2) * self.exp(exponent * iv.log(-base))
        if high < 0:
            raise NotFinite(node, "complex (a negative number to a fractional power)")
        return self.straddling_power(base, exponent)

    def integer_power(self, node: sp.Pow, base, n: int):
        if _is_zero(base):
            if n < 0:
                raise NotFinite(node, "zoo (division by zero)")
            return iv.mpf(0 if n else 1)
        return base ** n

    def power_of_zero(self, node: sp.Pow, exponent):
        low, high = _ends(exponent)
        if low > 0:
            return iv.mpf(0)
        if high < 0:
            raise NotFinite(node, "zoo (division by zero)")
        if low == high == 0:
            return iv.mpf(1)  # SymPy's and Python's 0**0
        return iv.mpf(WHOLE_LINE)

    def straddling_power(self, base, exponent):
        """b**e with b in an interval around 0 (rounding, or an unknown function): |b**e| <= max|b|**e if e > 0."""
        low, _ = _ends(exponent)
        top = max(abs(end) for end in _ends(base))
        if low <= 0 or not mpmath.isfinite(top):
            return iv.mpf(WHOLE_LINE)
        _, bound = _ends(self.exp(exponent * iv.log(iv.mpf(top))))
        return _interval(-bound, bound)

    def exp(self, argument):
        """e^x, enclosed without computing it where |x| > MAX_LOG_MAGNITUDE (marks the evaluation astronomical)."""
        low, high = _ends(argument)
        cap = mpmath.mpf(MAX_LOG_MAGNITUDE)
        if -cap <= low and high <= cap:
            return iv.exp(argument)
        if low > cap or high < -cap:
            self.astronomical = True
        bottom = 0 if low < -cap else _ends(iv.exp(iv.mpf(min(low, cap))))[0]
        top = mpmath.inf if high > cap else _ends(iv.exp(iv.mpf(max(high, -cap))))[1]
        return _interval(bottom, top)

    def log(self, node: sp.log, argument):
        low, high = _ends(argument)
        if _is_zero(argument):
            raise NotFinite(node, "-oo (the log of 0)")
        if high < 0:
            raise NotFinite(node, "complex (the log of a negative number)")
        if low > 0:
            return iv.log(argument)
        return iv.log(_interval(0, high))  # 0 or negative within rounding: the exact evaluation decides

    def gamma(self, node: sp.gamma, argument):
        low, high = _ends(argument)
        if low == high and low <= 0 and low == int(low):
            raise NotFinite(node, "zoo (a pole of gamma)")
        if low > 0:
            return self.exp(_loggamma(argument))
        if low < -MAX_NEGATIVE_GAMMA:
            self.astronomical = True  # not computable cheaply: mpmath would need all of x's digits
            return iv.mpf(WHOLE_LINE)
        if high < 0 and mpmath.floor(low) == mpmath.floor(high):
            # reflection: iv.gamma recurses once per unit below 0
            return iv.pi / (iv.sin(iv.pi * argument) * self.exp(_loggamma(1 - argument)))
        return iv.mpf(WHOLE_LINE)

    def extremum(self, node: sp.Basic):
        ends = [_ends(self.visit(arg)) for arg in node.args]
        pick = min if isinstance(node, sp.Min) else max
        return _interval(pick(low for low, _ in ends), pick(high for _, high in ends))

    def unknown(self, node: sp.Basic):
        """A function the guard does not model: its arguments are still checked, its value left to the exact
        evaluation.  Arguments with symbols not in ``values`` (an Integral's variable) are skipped."""
        for arg in node.args:
            if isinstance(arg, sp.Expr) and arg.free_symbols <= set(self.values):
                self.visit(arg)
        return iv.mpf(WHOLE_LINE)


def _is_zero(x) -> bool:
    low, high = _ends(x)
    return low == high == 0


def _whole_number(x) -> int | None:
    low, high = _ends(x)
    if low == high and mpmath.isfinite(low) and low == int(low):
        return int(low)
    return None
