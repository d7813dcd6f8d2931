"""The calculator evaluates arithmetic and refuses everything else, fast."""

from __future__ import annotations

import math

import pytest

from corral.exceptions import ModelRetry
from corral.tools import Registry, dispatch
from corral.tools.builtin import calculator, evaluate


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2 * (3 + 4) ** 2", 98),
        ("7 // 2 + 7 % 2", 4),
        ("-3 + +4", 1),
        ("1 / 4", 0.25),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(pi, 2)", 3.14),
        ("max(1, 5, 3)", 5),
        ("2 ** -1", 0.5),
        ("factorial(10)", 3628800),
        ("2 ** 100", 2**100),
    ],
)
def test_arithmetic(expression, value):
    assert evaluate(expression) == value


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('echo hi')",
        "(1).__class__.__bases__",
        "().__class__.__base__.__subclasses__()",
        "open('/etc/passwd').read()",
        "eval('1+1')",
        "x",
        "[1, 2][0]",
        "'a' * 3",
        "lambda: 1",
        "[i for i in range(10)]",
        "sqrt.__globals__",
        "abs(x=1)",
        "True + 1",
        "1 if 1 else 2",
        "1; 2",
    ],
)
def test_attacks_are_refused_with_what_is_allowed(attack):
    with pytest.raises(ModelRetry, match="Allowed: numbers"):
        evaluate(attack)


@pytest.mark.parametrize(
    "huge",
    [
        "9 ** 9 ** 9",
        "10 ** 100000",
        "2 ** 5000",
        "(10 ** 600) * (10 ** 700)",
        "factorial(100000)",
        "10.0 ** 1000",
        "1" * 600,
        "(" * 300 + "1" + ")" * 300,
    ],
)
def test_huge_computations_are_refused_quickly(huge):
    with pytest.raises(ModelRetry, match="Cannot calculate"):
        evaluate(huge)


def test_division_by_zero_and_complex_results_are_explained():
    with pytest.raises(ModelRetry, match="division by zero"):
        evaluate("1 / (2 - 2)")
    with pytest.raises(ModelRetry, match="complex"):
        evaluate("(-8) ** 0.5")


def test_calculator_is_a_tool_whose_refusals_reach_the_model():
    ok, bad = dispatch(
        Registry([calculator]),
        [
            {"name": "calculator", "arguments": {"expression": "sqrt(2) ** 2"}},
            {"name": "calculator", "arguments": {"expression": "__import__('os')"}},
        ],
    )
    assert math.isclose(ok.output, 2.0)
    assert bad.error.kind == "retry" and "unsupported function call" in bad.content
    assert calculator.parameters["properties"]["expression"]["description"].startswith("Arithmetic")


# Each of these once took seconds to forever (round(1, -10**9) never returned) or grew memory
# without bound. Each must now be refused before the costly step runs, with a readable reason.
@pytest.mark.parametrize(
    ("attack", "why"),
    [
        ("round(1, -10**9)", "round\\(\\) takes at most 1233 digits"),
        ("round(1, -10**7)", "round\\(\\) takes at most 1233 digits"),
        ("round(1.5, 10**9)", "round\\(\\) takes at most 1233 digits"),
        ("round(7, -(10**300))", "round\\(\\) takes at most 1233 digits"),
        ("factorial(10**9)", "factorial takes one integer from 0 to 500"),
        ("factorial(501)", "factorial takes one integer from 0 to 500"),
        ("factorial(-1)", "factorial takes one integer from 0 to 500"),
        ("factorial(2.5)", "factorial takes one integer from 0 to 500"),
        ("factorial(3, 4)", "factorial takes one integer from 0 to 500"),
        ("factorial(400) * factorial(400)", "the product .* is too large"),
        ("(10**1000) ** (10**1000)", "is too large"),
        ("(-10) ** (10**400)", "is too large"),
        ("2 ** 4096", "more than 4096 bits"),
        ("(2 ** 2048) * (2 ** 2048)", "more than 4096 bits"),
        ("floor(1e308) ** 5", "is too large"),
        ("ceil(1e300) * ceil(1e300) * ceil(1e300) * ceil(1e300) * ceil(1e300)", "is too large"),
        ("2 ** -(10**1000)", "OverflowError"),
        ("10**1000 / 3", "OverflowError"),
        ("1.5 ** 10**1000", "OverflowError"),
        ("sqrt(10**1000)", "OverflowError"),
        ("exp(10**1000)", "OverflowError"),
        ("hypot(10**1000, 1)", "OverflowError"),
        ("10**1000 % 1e-300", "OverflowError"),
        ("1e308 * 10", "not a finite number"),
        ("1e999", "not a finite number"),
        ("-1e999 + 1e999", "not a finite number"),
        ("2 << 10**9", "BinOp"),
        ("1 & 3", "BinOp"),
        ("max(*[1, 2])", "Starred"),
        ("-" * 499 + "1", "more than 200 parts"),
    ],
)
def test_costly_operations_are_refused_before_they_run(attack, why):
    with pytest.raises(ModelRetry, match=why) as info:
        evaluate(attack)
    assert info.value.message.startswith("Cannot calculate: ")


def test_limits_still_allow_the_largest_legal_values():
    assert evaluate("2 ** 4095") == 2**4095
    assert evaluate("round(10 ** 1000 + 7, -1000)") == 10**1000
    assert evaluate("round(2 ** 4000, -1233)") == 0
    assert evaluate("factorial(500)") == math.factorial(500)
    assert evaluate("round(2.5, -10)") == 0.0 and evaluate("round(1.25, 1233)") == 1.25


def test_refusals_never_print_a_huge_number():
    with pytest.raises(ModelRetry) as info:
        evaluate("(10 ** 1200) ** 3")
    assert "a number of about 1201 digits" in info.value.message and len(info.value.message) < 500


def test_a_non_string_expression_is_refused():
    with pytest.raises(ModelRetry, match="must be a string"):
        evaluate(12)  # type: ignore[arg-type]
