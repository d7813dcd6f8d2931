"""The calculator evaluates arithmetic and refuses everything else, fast."""

from __future__ import annotations

import math

import pytest

from corral.exceptions import ModelRetry
from corral.tools import Registry, dispatch
from corral.tools.builtin import calculator, evaluate


@pytest.mark.parametrize(
    ("expression", "value"),
    [("2 * (3 + 4) ** 2", 98), ("7 // 2 + 7 % 2", 4), ("-3 + +4", 1), ("1 / 4", 0.25),
     ("sqrt(16) + abs(-2)", 6.0), ("round(pi, 2)", 3.14), ("max(1, 5, 3)", 5), ("2 ** -1", 0.5),
     ("factorial(10)", 3628800), ("2 ** 100", 2**100)],
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
    ["9 ** 9 ** 9", "10 ** 100000", "2 ** 5000", "(10 ** 600) * (10 ** 700)", "factorial(100000)",
     "10.0 ** 1000", "1" * 600, "(" * 300 + "1" + ")" * 300],
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
    ok, bad = dispatch(Registry([calculator]), [
        {"name": "calculator", "arguments": {"expression": "sqrt(2) ** 2"}},
        {"name": "calculator", "arguments": {"expression": "__import__('os')"}},
    ])
    assert math.isclose(ok.output, 2.0)
    assert bad.error.kind == "retry" and "unsupported function call" in bad.content
    assert calculator.parameters["properties"]["expression"]["description"].startswith("Arithmetic")
