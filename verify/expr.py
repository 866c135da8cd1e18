"""Safe parsing of user-typed bound expressions: Python's ``ast`` walked against a whitelist, never ``eval``.

Allowed: numbers, the symbols of the quantity's paper (its ``theory.claims.BoundVocabulary``), the functions
sqrt log exp Min Max gamma, the constant pi, and + - * / ** (unary - and + too).  The SymPy expression is built
node by node from the tree; the paper's abstract symbols (alpha, omega) expand to the architecture's formulas.
Resource guards run before any arithmetic: length, node count, nesting depth, literal size, and numeric
exponents (9**9**9 is refused, not computed).
"""
from __future__ import annotations

import ast
import math

from typing import Mapping

import sympy as sp

from theory.claims import BoundVocabulary


MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_LITERAL = 1e12
MAX_NUMERIC_EXPONENT = 64
MAX_NUMERIC_DIGITS = 300  # |number ** number| stays within 10^(+-300): checked before SymPy computes it

FUNCTIONS = {"sqrt": (sp.sqrt, 1), "log": (sp.log, 1), "exp": (sp.exp, 1), "gamma": (sp.gamma, 1),
             "Min": (sp.Min, None), "Max": (sp.Max, None)}
CONSTANTS = {"pi": sp.pi}
OPERATORS = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul, ast.Div: lambda a, b: a / b,
             ast.Pow: None}



class ExpressionError(ValueError):
    """The expression uses something outside the whitelist or exceeds a resource limit (one sentence)."""


def parse_bound(text: str, vocabulary: BoundVocabulary, arch: str = "vanilla") -> sp.Expr:
    """The SymPy expression for ``text`` in the vocabulary's symbols, its abstract ones expanded for ``arch``."""
    return vocabulary.expand(parse(text, vocabulary.symbols), arch)


def allowed(symbols: Mapping[str, sp.Symbol]) -> str:
    """The whitelist in words, for error messages."""
    return "numbers, " + " ".join(symbols) + ", " + " ".join(FUNCTIONS) + ", pi and + - * / **"


def parse(text: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr:
    """The SymPy expression for ``text``, naming only ``symbols`` (abstract ones such as omega kept)."""
    if not isinstance(text, str):
        raise ExpressionError(f"the bound must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"the expression is not valid syntax near column {err.offset}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError("the expression could not be parsed") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"the expression has {nodes} syntax nodes; at most {MAX_NODES} are allowed")
    return _Builder(text.strip(), symbols).build(tree.body, 0)


class _Builder:
    def __init__(self, source: str, symbols: Mapping[str, sp.Symbol]) -> None:
        self.source = source
        self.symbols = symbols

    def token(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        return segment if len(segment) <= 40 else segment[:37] + "..."

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(f"{what} {self.token(node)!r} is not allowed in a bound; allowed: {allowed(self.symbols)}")

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
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

    def power(self, node: ast.BinOp, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_number and abs(float(exponent)) > MAX_NUMERIC_EXPONENT:
            raise ExpressionError(f"the exponent in {self.token(node)!r} is too large; numeric exponents are "
                                  f"limited to {MAX_NUMERIC_EXPONENT} in size")
        if base.is_number and exponent.is_number and base != 0:
            digits = abs(float(exponent)) * abs(math.log10(abs(complex(base.evalf(15)))))
            if digits > MAX_NUMERIC_DIGITS:
                raise ExpressionError(f"{self.token(node)!r} is a number with about {digits:.0f} digits; at most "
                                      f"{MAX_NUMERIC_DIGITS} are allowed")
        return sp.Pow(base, exponent)

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.refuse(node.func, "the function")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, "keyword or starred arguments in")
        function, arity = FUNCTIONS[node.func.id]
        if (arity is not None and len(node.args) != arity) or not node.args:
            raise ExpressionError(f"{node.func.id} takes {arity or 'one or more'} argument(s), "
                                  f"got {len(node.args)} in {self.token(node)!r}")
        return function(*(self.build(arg, depth + 1) for arg in node.args))
