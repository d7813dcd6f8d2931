"""A calculator tool: arithmetic on numbers through an AST whitelist (never ``eval``).

Allowed: numbers, ``+ - * / // % **``, unary ``+ -``, parentheses, the names ``pi``, ``e``,
``tau`` and calls to a few math functions (``sqrt``, ``log``, ``sin``, ``abs``, ``round`` ...).
Names, attributes, subscripts, strings, lambdas, comprehensions: all refused.

Every step is bounded, not only ``**``: the expression's length and node count, and before each
operation whose cost grows with its operands' values (``**``, ``*``, ``round`` to negative
digits, ``factorial``) the size of its result is estimated and an over-large one is refused.
Integers never exceed ``MAX_INT_BITS``, so every step (and printing the answer) stays cheap;
results that are not finite real numbers are refused too. Each refusal is a ``ModelRetry``
naming what was too large and what is allowed.

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
from collections.abc import Callable
from typing import Any

from corral.exceptions import ModelRetry

from ..definition import tool

__all__ = [
    "MAX_EXPRESSION_CHARS",
    "MAX_FACTORIAL",
    "MAX_INT_BITS",
    "MAX_ROUND_DIGITS",
    "calculator",
    "evaluate",
]

MAX_EXPRESSION_CHARS = 500
MAX_INT_BITS = 4096  # about 1233 decimal digits: plenty for arithmetic, cheap to compute
MAX_ROUND_DIGITS = 1233  # round(x, n) needs 10**|n|; this keeps it within MAX_INT_BITS
MAX_FACTORIAL = 500  # 500! has 3767 bits
_SLACK_BITS = 64  # estimates are upper bounds; a little slack keeps exact-fit results allowed
_MAX_NODES = 200

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "min": min,
    "max": max,
    "hypot": math.hypot,
    "factorial": math.factorial,
}
_ALLOWED = "numbers, + - * / // % **, parentheses, the constants pi, e, tau and the functions " + ", ".join(
    sorted(_FUNCTIONS)
)


def _refuse(why: str) -> ModelRetry:
    return ModelRetry(f"Cannot calculate: {why}. Allowed: {_ALLOWED}.")


def _show(value: Any) -> str:
    """A number for a message: never a 1000-digit wall (nor a costly conversion)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<a number of about {int(value.bit_length() * math.log10(2)) + 1} digits>"
    return repr(value)


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _limit(bits: float, what: str) -> None:
    """Refuse before computing ``what`` when its result would need more than MAX_INT_BITS."""
    if bits > MAX_INT_BITS + _SLACK_BITS:
        raise _refuse(
            f"{what} is too large (the limit is {MAX_INT_BITS}-bit integers, about {MAX_ROUND_DIGITS} digits)"
        )


def _check_result(value: Any) -> Any:
    if isinstance(value, complex):
        raise _refuse("the result is a complex number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(f"the result is not a finite number ({value})")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _refuse(f"the result has more than {MAX_INT_BITS} bits")
    return value


def _check_binary(op: type, left: Any, right: Any) -> None:
    # Only integer results grow without bound; float overflow raises OverflowError by itself.
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if op is ast.Pow and abs(left) > 1 and right > 0:
        # A huge exponent is refused before log2 * exponent could overflow a float.
        bits = right * math.log2(abs(left)) if right.bit_length() <= 64 else math.inf
        _limit(bits, f"{_show(left)} ** {_show(right)}")
    elif op is ast.Mult:
        _limit(_bits(left) + _bits(right), f"the product {_show(left)} * {_show(right)}")


def _check_round(args: list[Any]) -> None:
    if len(args) == 2 and isinstance(args[1], int) and abs(args[1]) > MAX_ROUND_DIGITS:
        raise _refuse(f"round() takes at most {MAX_ROUND_DIGITS} digits either side of the point, not {_show(args[1])}")


def _check_factorial(args: list[Any]) -> None:
    if len(args) != 1 or not isinstance(args[0], int) or not 0 <= args[0] <= MAX_FACTORIAL:
        shown = ", ".join(_show(a) for a in args)
        raise _refuse(f"factorial takes one integer from 0 to {MAX_FACTORIAL}, not ({shown})")


# Functions whose cost depends on their arguments' values get a check before they run; the
# others only convert to float (OverflowError past 1e308) or return one of their arguments.
_PRECHECKS: dict[str, Callable[[list[Any]], None]] = {"round": _check_round, "factorial": _check_factorial}


def _call(node: ast.Call) -> Any:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
        raise _refuse(f"unsupported function call {ast.unparse(node.func)!r}")
    args = [_eval(a) for a in node.args]
    if node.func.id in _PRECHECKS:
        _PRECHECKS[node.func.id](args)
    return _FUNCTIONS[node.func.id](*args)


def _binary(node: ast.BinOp) -> Any:
    left, right = _eval(node.left), _eval(node.right)
    _check_binary(type(node.op), left, right)
    return _BINARY[type(node.op)](left, right)


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _check_result(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _check_result(_binary(node))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call):
        return _check_result(_call(node))
    raise _refuse(f"{type(node).__name__} {ast.unparse(node)[:40]!r} is not allowed")


def _parse(expression: Any) -> ast.Expression:
    if not isinstance(expression, str):
        raise _refuse(f"the expression must be a string, not {type(expression).__name__}")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise _refuse(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise _refuse(f"syntax error in {expression!r} ({getattr(exc, 'msg', exc)})") from None
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        raise _refuse(f"the expression has more than {_MAX_NODES} parts")
    return tree


def evaluate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely; raise ModelRetry saying what is not allowed.

    Example::

        >>> evaluate("round(1234.5678, -2)")
        1200.0
    """
    tree = _parse(expression)
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
