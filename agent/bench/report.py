"""Benchmark results as data, a Markdown table and JSON.

Every section returns a ``SectionResult``: its rows (one per headline figure) and its raw numbers.
A section that cannot run here (a missing optional dependency) is ``skipped`` with the reason; one
that fails is ``error`` with the exception, and the other sections still run.

Example::

    >>> row = Row(metric="decode: agent / raw tokens/s", value=0.98, unit="x", target=">= 0.97")
    >>> print(markdown_table([SectionResult(name="decode", rows=[row])]).splitlines()[2])
    | decode | decode: agent / raw tokens/s | 0.98x | >= 0.97 |  |
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .stats import finite_or_none

__all__ = ["Row", "SectionResult", "markdown_table", "to_json", "write_json", "format_value"]

Status = Literal["ok", "skipped", "error"]


@dataclass(frozen=True, kw_only=True)
class Row:
    """One line of the table: a figure, its unit (``x`` ratio, ``us``, ``%``, ``/s``), the target.

    ``signed``: the figure is a difference of two measurements and may fall below zero in noise.
    """

    metric: str
    value: float | None
    unit: str = ""
    target: str = ""
    detail: str = ""
    signed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": finite_or_none(self.value),
            "unit": self.unit,
            "target": self.target,
            "detail": self.detail,
            "signed": self.signed,
        }


@dataclass(frozen=True, kw_only=True)
class SectionResult:
    """What one benchmark section measured (``data`` holds its raw numbers, JSON-ready)."""

    name: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    status: Status = "ok"
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "rows": [r.to_dict() for r in self.rows],
            "data": _clean(self.data),
        }


def format_value(value: float | None, unit: str) -> str:
    """A figure for humans: ratios with 2-3 decimals, times without noise digits."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if unit == "x":
        return f"{value:.3f}x" if abs(value) < 10 else f"{value:.1f}x"
    if unit == "runs":
        return f"{value:.0f} runs"
    if unit == "%":
        return f"{value:.1f} %"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.2f} {unit}".strip() if abs(value) < 10 else f"{value:.1f} {unit}".strip()


def markdown_table(sections: Sequence[SectionResult]) -> str:
    """The table printed by ``corral bench`` and pasted into the README."""
    lines = ["| section | measure | value | target | detail |", "| --- | --- | --- | --- | --- |"]
    for section in sections:
        if section.status != "ok" and not section.rows:
            lines.append(f"| {section.name} | {section.status} | n/a |  | {_cell(section.reason)} |")
            continue
        for row in section.rows:
            value = format_value(row.value, row.unit)
            lines.append(
                f"| {section.name} | {_cell(row.metric)} | {value} | {_cell(row.target)} | {_cell(row.detail)} |"
            )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_json(config: dict[str, Any], sections: Sequence[SectionResult]) -> dict[str, Any]:
    """The JSON document: run configuration and every section by name."""
    return {"config": _clean(config), "sections": {s.name: s.to_dict() for s in sections}}


def write_json(path: str | Path, document: dict[str, Any]) -> Path:
    """Write ``document`` (strict JSON: no NaN) to ``path``, creating parent folders."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return target


def _clean(value: Any) -> Any:
    """Make any nested value strict-JSON-ready: NaN/inf -> null, tuples -> lists, keys -> str."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return finite_or_none(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
