"""Parameter descriptions from Google, NumPy and reST docstrings reach the schema."""

from __future__ import annotations

import pytest

from corral.tools import tool
from corral.tools._docstrings import parse_docstring


def google(city: str, days: int = 1) -> str:
    """Forecast the weather.

    Uses the national service.

    Args:
        city (str): City name,
            e.g. "Paris".
        days: How many days
            ahead.

    Returns:
        A forecast.
    """
    return city


def numpy(city: str, days: int = 1) -> str:
    """Forecast the weather.

    Uses the national service.

    Parameters
    ----------
    city : str
        City name,
        e.g. "Paris".
    days : int, optional
        How many days ahead.

    Returns
    -------
    str
        A forecast.
    """
    return city


def rest(city: str, days: int = 1) -> str:
    """Forecast the weather.

    Uses the national service.

    :param str city: City name,
        e.g. "Paris".
    :param days: How many days ahead.
    :type days: int
    :returns: A forecast.
    """
    return city


@pytest.mark.parametrize("fn", [google, numpy, rest], ids=["google", "numpy", "rest"])
def test_three_styles_give_the_same_spec(fn):
    t = tool(fn)
    assert t.description == "Forecast the weather.\n\nUses the national service."
    assert t.parameters["properties"]["city"]["description"] == 'City name, e.g. "Paris".'
    assert t.parameters["properties"]["days"]["description"].startswith("How many days")
    assert "Returns" not in t.description and "A forecast" not in str(t.parameters)


def test_no_docstring_means_empty_description_and_no_param_descriptions():
    def f(a: int) -> int:
        return a

    t = tool(f)
    assert t.description == ""
    assert "description" not in t.parameters["properties"]["a"]


def test_undocumented_parameters_are_simply_left_without_description():
    doc = parse_docstring("""Do it.

    Args:
        a: The a.
    """)
    assert doc.params == {"a": "The a."}


def test_google_star_args_and_keyword_sections():
    doc = parse_docstring("""Summary.

    Keyword Args:
        **opts: Extra options.
    """)
    assert doc.params == {"opts": "Extra options."}


def test_explicit_description_overrides_docstring():
    t = tool(description="Short.")(google)
    assert t.description == "Short."
    assert t.parameters["properties"]["city"]["description"].startswith("City name")
