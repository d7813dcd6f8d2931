"""How big a benchmark run is, and the settings every section shares (threads, context, model).

Example::

    >>> QUICK.batch_runs < DEFAULT.batch_runs
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Size", "QUICK", "DEFAULT", "BenchConfig", "find_data_dir"]


@dataclass(frozen=True, kw_only=True)
class Size:
    """Repetitions and sample sizes; ``DEFAULT`` fits 15 minutes on 2 cores, ``QUICK`` a CI minute or two."""

    name: str
    repetitions: int  # interleaved pairs per model ratio (the median is reported)
    decode_tokens: int  # tokens generated per free-decode repetition
    prefix_turns: int  # turns in the prefix-reuse conversation
    overhead_runs: int  # scripted runs per loop-overhead repetition
    guard_messages: int  # 4 KB messages checked per guard per repetition
    batch_runs: int  # agent runs per concurrency level
    batch_concurrency: tuple[int, ...]
    bfcl_per_category: int  # BFCL items sampled from each of the 5 categories


QUICK = Size(
    name="quick",
    repetitions=3,
    decode_tokens=32,
    prefix_turns=10,
    overhead_runs=100,
    guard_messages=20,
    batch_runs=60,
    batch_concurrency=(1, 8, 32),
    bfcl_per_category=1,
)

DEFAULT = Size(
    name="default",
    repetitions=11,  # the decode ratio swings +-3 % between pairs: 11 pairs steady its median
    decode_tokens=160,
    prefix_turns=10,
    overhead_runs=500,
    guard_messages=200,
    batch_runs=1000,
    batch_concurrency=(1, 8, 32),
    bfcl_per_category=40,  # the quality section alone then takes about an hour on 2 idle cores
)


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    """Settings shared by all sections. ``model_path`` None: the model sections are skipped."""

    size: Size
    n_threads: int
    n_ctx: int
    model_path: Path | None
    data_dir: Path | None
    seed: int = 0
    bfcl_per_category: int | None = None  # overrides the size's sample (quality section)
    bfcl_half: str = "both"  # "tune", "held-out" or "both" halves of the BFCL files
    quality_setups: tuple[str, ...] = ()  # setup names or indices; empty: all

    def to_dict(self) -> dict[str, object]:
        return {
            "size": self.size.name,
            "repetitions": self.size.repetitions,
            "n_threads": self.n_threads,
            "n_ctx": self.n_ctx,
            "model": str(self.model_path) if self.model_path else None,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "seed": self.seed,
            "bfcl_per_category": self.bfcl_per_category or self.size.bfcl_per_category,
            "bfcl_half": self.bfcl_half,
        }


def find_data_dir(explicit: str | None = None) -> Path | None:
    """The BFCL data: ``--data-dir``, ``$CORRAL_DATA_DIR``, or ``shared/data`` beside a parent folder."""
    for candidate in (explicit, os.environ.get("CORRAL_DATA_DIR")):
        if candidate:
            path = Path(candidate).expanduser()
            return path if (path / "bfcl").is_dir() else None
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        for path in (folder / "shared" / "data", folder.parent / "shared" / "data"):
            if (path / "bfcl").is_dir():
                return path
    return None
