"""Fuzzing the calculator: any mix of allowed operations and extreme numbers ends in a number of
bounded size or a ModelRetry, never another exception and never an unbounded value."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from corral.exceptions import ModelRetry
from corral.tools.builtin.calculator import MAX_INT_BITS, evaluate

_EXTREMES = [
    "10**1000",
    "2**4095",
    "-(2**4095)",
    "10**9",
    "-10**9",
    "1e308",
    "1e-308",
    "0",
    "-1",
    "factorial(500)",
    "pi",
]
_FUNCTIONS = [
    "sqrt",
    "log",
    "log10",
    "log2",
    "exp",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "abs",
    "round",
    "floor",
    "ceil",
    "min",
    "max",
    "hypot",
    "factorial",
]
_OPERATORS = ["+", "-", "*", "/", "//", "%", "**"]

_leaf = st.one_of(
    st.integers(-(10**15), 10**15).map(lambda n: f"({n})"),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"({f!r})"),
    st.sampled_from(_EXTREMES).map(lambda text: f"({text})"),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(_OPERATORS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["-", "+"]), inner).map(lambda t: f"({t[0]}{t[1]})")
    call = st.tuples(st.sampled_from(_FUNCTIONS), st.lists(inner, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    return st.one_of(binary, unary, call)


def _bounded(value: object) -> bool:
    if isinstance(value, int):
        return value.bit_length() <= MAX_INT_BITS
    return isinstance(value, float) and math.isfinite(value)


@settings(max_examples=400, deadline=None)
@given(st.recursive(_leaf, _extend, max_leaves=10))
def test_any_expression_gives_a_bounded_number_or_a_refusal(expression):
    try:
        value = evaluate(expression)
    except ModelRetry as refusal:
        assert refusal.message.startswith("Cannot calculate: ") and len(refusal.message) < 1500
    else:
        assert _bounded(value), expression


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(2**4096), 2**4096),
    st.sampled_from(_OPERATORS + ["round", "factorial", "min"]),
    st.integers(-(2**4096), 2**4096),
)
def test_extreme_operands_for_every_operation(left, operation, right):
    text = f"{operation}(({left}), ({right}))" if operation.isalpha() else f"({left}) {operation} ({right})"
    if len(text) > 500:  # the length cap would refuse it before any operation: test the operation instead
        text = (
            f"{operation}(2**{left.bit_length()}, -2**{right.bit_length()})"
            if operation.isalpha()
            else f"(2**{left.bit_length()}) {operation} (-2**{right.bit_length()})"
        )
    try:
        value = evaluate(text)
    except ModelRetry:
        return
    assert _bounded(value), text
