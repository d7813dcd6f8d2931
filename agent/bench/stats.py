"""Small statistics for side-by-side measurements: medians, ratios of interleaved pairs, timers.

The machine's speed swings 2-4x between runs, so a headline figure is never an absolute time: it is
the median over repetitions of a ratio whose two sides ran back to back (A, B, A, B, ...).

Example::

    >>> median([3.0, 1.0, 2.0])
    2.0
    >>> paired_ratio([10.0, 12.0, 11.0], [20.0, 24.0, 20.0])
    0.5
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["median", "ratio", "paired_ratio", "interleave", "Timer", "Paired", "finite_or_none"]

T = TypeVar("T")


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence (mean of the middle two for an even count)."""
    if not values:
        raise ValueError("median() of an empty sequence: measure at least one repetition")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN when the denominator is zero (a figure that cannot be had)."""
    if denominator == 0:
        return math.nan
    return numerator / denominator


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median of the per-repetition ratios a[i] / b[i] of two interleaved series.

    Pairing cancels slow drift of the machine's speed: each ratio compares runs made seconds apart.
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"paired_ratio needs two series of equal, non-zero length (got {len(a)} and {len(b)})")
    return median([ratio(x, y) for x, y in zip(a, b)])


@dataclass(frozen=True, kw_only=True)
class Paired:
    """Two interleaved series of the same quantity (e.g. tokens/s) and their paired ratio a/b."""

    a: tuple[float, ...]
    b: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return paired_ratio(self.a, self.b)

    @property
    def median_a(self) -> float:
        return median(self.a)

    @property
    def median_b(self) -> float:
        return median(self.b)


def interleave(first: Callable[[], float], second: Callable[[], float], repetitions: int) -> Paired:
    """Run ``first`` and ``second`` alternately (swapping who goes first each round); collect both.

    Each callable returns its measurement (e.g. tokens per second).
    """
    a: list[float] = []
    b: list[float] = []
    for round_ in range(repetitions):
        if round_ % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
    return Paired(a=tuple(a), b=tuple(b))


class Timer:
    """A perf_counter stopwatch used as a context manager: ``with Timer() as t: ...; t.seconds``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN/inf: map them to None (null) so the report stays valid JSON."""
    if value is None or isinstance(value, bool):
        return value
    return float(value) if math.isfinite(value) else None
