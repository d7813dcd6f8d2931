"""Unit conversion tools, published to corral agents through the ``corral.tools`` entry point.

Use them by import::

    from corral_unitconv import registry
    agent = Agent(backend, tools=registry)

or by discovery, once the package is installed::

    from corral.tools import Registry
    agent = Agent(backend, tools=Registry.from_entry_points())
"""

from __future__ import annotations

from typing import Literal

from corral.tools import Registry, tool

__all__ = ["registry", "convert_length", "convert_temperature"]

_METRES = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "mi": 1609.344}


@tool
def convert_length(
    value: float,
    from_unit: Literal["mm", "cm", "m", "km", "in", "ft", "mi"],
    to_unit: Literal["mm", "cm", "m", "km", "in", "ft", "mi"],
) -> float:
    """Convert a length between metric and imperial units.

    Args:
        value: The length to convert.
        from_unit: The unit of ``value``.
        to_unit: The unit to convert to.
    """
    return round(value * _METRES[from_unit] / _METRES[to_unit], 6)


@tool
def convert_temperature(value: float, from_unit: Literal["C", "F", "K"], to_unit: Literal["C", "F", "K"]) -> float:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin.

    Args:
        value: The temperature to convert.
        from_unit: The scale of ``value``.
        to_unit: The scale to convert to.
    """
    celsius = {"C": value, "F": (value - 32) * 5 / 9, "K": value - 273.15}[from_unit]
    result = {"C": celsius, "F": celsius * 9 / 5 + 32, "K": celsius + 273.15}[to_unit]
    return round(result, 4)


registry = Registry([convert_length, convert_temperature])
