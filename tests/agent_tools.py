"""The two small tools the agent's unit and integration tests share."""

from __future__ import annotations

from corral.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def lookup(city: str) -> str:
    """Look up the current weather in a city.

    Args:
        city: The city's name.
    """
    return f"Sunny in {city}, 21 C"
