"""A calculator tool: arithmetic on numbers through an AST whitelist (never ``eval``).

Allowed: numbers, ``+ - * / // % **``, unary ``+ -``, parentheses, the names ``pi``, ``e``,
``tau`` and calls to a few math functions (``sqrt``, ``log``, ``sin``, ``abs``, ``round`` ...).
Names, attributes, subscripts, strings, lambdas, comprehensions: all refused. Exponents and
results are bounded so ``9**9**9`` cannot hang the process.

Example::

    >>> calculator.func("2 * (3 + 4) ** 2")
    98
    >>> evaluate("sqrt(16) + pi")
    7.141592653589793
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from corral.exceptions import ModelRetry

from ..definition import tool

__all__ = ["calculator", "evaluate", "MAX_EXPRESSION_CHARS", "MAX_INT_BITS"]

MAX_EXPRESSION_CHARS = 500
MAX_INT_BITS = 4096  # about 1233 decimal digits: plenty for arithmetic, cheap to compute
_MAX_NODES = 200

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "log": math.log, "log10": math.log10, "log2": math.log2, "exp": math.exp,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
    "atan": math.atan, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil,
    "min": min, "max": max, "hypot": math.hypot, "factorial": math.factorial,
}
_ALLOWED = ("numbers, + - * / // % **, parentheses, the constants pi, e, tau and the functions "
            + ", ".join(sorted(_FUNCTIONS)))


def _refuse(why: str) -> ModelRetry:
    return ModelRetry(f"Cannot calculate: {why}. Allowed: {_ALLOWED}.")


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _refuse(f"the result has more than {MAX_INT_BITS} bits")
    if isinstance(value, complex):
        raise _refuse("the result is a complex number")
    return value


def _power(base: Any, exp: Any) -> Any:
    # Estimate the result's size before computing it: 10**10**10 must not run.
    if isinstance(base, int) and isinstance(exp, int) and abs(base) > 1 and exp > 0:
        if exp * abs(base).bit_length() > MAX_INT_BITS + 64:
            raise _refuse(f"{base}**{exp} is too large")
    return base**exp


def _apply(op: type, left: Any, right: Any) -> Any:
    if op is ast.Pow:
        return _power(left, right)
    if op is ast.Mult and isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 64:
            raise _refuse("the product is too large")
    return _BINARY[op](left, right)


def _call(node: ast.Call) -> Any:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
        raise _refuse(f"unsupported function call {ast.unparse(node.func)!r}")
    args = [_eval(a) for a in node.args]
    if node.func.id == "factorial" and (not args or not isinstance(args[0], int) or args[0] > 500):
        raise _refuse("factorial takes one integer up to 500")
    return _FUNCTIONS[node.func.id](*args)


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _check_size(_apply(type(node.op), _eval(node.left), _eval(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call):
        return _check_size(_call(node))
    raise _refuse(f"{type(node).__name__} {ast.unparse(node)[:40]!r} is not allowed")


def evaluate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely; raise ModelRetry saying what is not allowed."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise _refuse(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise _refuse(f"syntax error in {expression!r} ({exc.msg})") from None
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        raise _refuse(f"the expression has more than {_MAX_NODES} parts")
    try:
        return _eval(tree)
    except ZeroDivisionError:
        raise _refuse("division by zero") from None
    except (OverflowError, ValueError, TypeError) as exc:
        raise _refuse(f"{type(exc).__name__}: {exc}") from None


@tool
def calculator(expression: str) -> int | float:
    """Evaluate an arithmetic expression and return the number.

    Args:
        expression: Arithmetic such as "2 * (3 + 4) ** 2" or "sqrt(2) / 3". Supports + - * / // % **,
            parentheses, pi, e and math functions like sqrt, log, sin, cos, round, min, max.
    """
    return evaluate(expression)
