"""Calibrating the ``auto`` decision's margin, and checking that it generalises.

The decision calls when ``margin = call score - text score >= threshold``. Given the margins a run
recorded (``Outcome["margin"]``) on the TUNE half, :func:`fit_threshold` picks the threshold that
maximises balanced accuracy: the mean of the call rate on call items and the no-call rate on
irrelevance items (each call category weighted equally). :func:`leave_one_category_out` refits
without each call category in turn and reports the call rate on the category left out: if it
collapses, the threshold was fitted to categories, not to relevance.

Example::

    >>> m = {"simple_python": [-3.0, -6.0], "irrelevance": [-15.0, -20.0]}
    >>> -15.0 < fit_threshold(m) <= -6.0
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["fit_threshold", "leave_one_category_out", "rates"]

IRRELEVANCE = "irrelevance"


def rates(margins: Mapping[str, Sequence[float]], threshold: float) -> dict[str, float]:
    """Per category: share of items that call (call categories) or decline (irrelevance) at ``threshold``."""
    out = {}
    for category, values in margins.items():
        if not values:
            continue
        calls = sum(m >= threshold for m in values) / len(values)
        out[category] = 1.0 - calls if category == IRRELEVANCE else calls
    return out


def _balanced(margins: Mapping[str, Sequence[float]], threshold: float) -> float:
    per = rates(margins, threshold)
    call = [v for c, v in per.items() if c != IRRELEVANCE]
    if not call or IRRELEVANCE not in per:
        return float("nan")
    return (sum(call) / len(call) + per[IRRELEVANCE]) / 2


def fit_threshold(margins: Mapping[str, Sequence[float]]) -> float:
    """The threshold with the best balanced accuracy; ties go to the middle of the best interval."""
    values = sorted({m for v in margins.values() for m in v})
    if not values:
        raise ValueError("no margins to fit")
    # Candidates: midpoints between neighbouring margins (and just outside the range).
    cuts = [values[0] - 1.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1.0]
    scored = [(_balanced(margins, t), t) for t in cuts]
    best = max(s for s, _ in scored)
    winners = [t for s, t in scored if s == best]
    return winners[len(winners) // 2]


def leave_one_category_out(margins: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    """For each call category: the threshold fitted without it, and its call rate at that threshold."""
    out = {}
    for category in margins:
        if category == IRRELEVANCE:
            continue
        rest = {c: v for c, v in margins.items() if c != category}
        threshold = fit_threshold(rest)
        out[category] = {"threshold": threshold, "call_rate": rates({category: margins[category]}, threshold)[category]}
    return out
