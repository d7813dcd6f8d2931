"""corral.bench: measure what users pay for, as ratios measured side by side in one run.

``python -m corral.bench`` (or ``corral bench``) prints a Markdown table and, with ``--json PATH``,
writes every number as JSON. ``--quick`` is the CI size.

Example::

    >>> from corral.bench import main
    >>> main(["--quick", "--only", "guards", "--json", "bench.json"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

from .bfcl import BfclItem, CheckResult, check, load_items, sample_items
from .report import Row, SectionResult, markdown_table
from .runner import SECTIONS, main
from .stats import interleave, median, paired_ratio, ratio

__all__ = [
    "main",
    "SECTIONS",
    "BfclItem",
    "CheckResult",
    "check",
    "load_items",
    "sample_items",
    "Row",
    "SectionResult",
    "markdown_table",
    "median",
    "ratio",
    "paired_ratio",
    "interleave",
]
