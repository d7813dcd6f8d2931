"""Section 7: tool-call quality on BFCL items with the tiny model, every setup interleaved item by item.

For a fixed-seed sample of items per BFCL category (all five), each setup of
:mod:`.quality_setups` produces the model's first turn. Per setup, category and half (TUNE /
HELD-OUT, a stable hash of the item id, :func:`corral.bench.bfcl.half_of`): call rate, schema-valid
rate (of the items with calls), BFCL accuracy (the checker in :mod:`.bfcl`; on irrelevance items,
"no call made"), items that hit ``max_tokens``, crashes, median seconds per item.

Tune on the TUNE half only; the HELD-OUT half is the honest figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from .bfcl import CATEGORIES, BfclItem, half_of, load_items, sample_items
from .config import BenchConfig
from .model import backend, model_missing, raw_llama
from .quality_setups import SETUPS, Outcome, Setup, run_setup
from .report import Row, SectionResult

__all__ = ["quality_section", "summarize", "MAX_TOKENS", "quality_markdown"]

MAX_TOKENS = 256  # as the issue measured; the peer gets the same


def _runners(config: BenchConfig, setups: Sequence[Setup]) -> dict[str, Any]:
    runners: dict[str, Any] = {}
    if any(s.kind == "corral" for s in setups):
        runners["corral"] = backend(config)
    if any(s.kind == "peer" for s in setups):
        runners["peer"] = raw_llama(config, _chatml_llama())
    return runners


def _items(config: BenchConfig) -> list[BfclItem]:
    items = load_items(config.data_dir / "bfcl")  # type: ignore[operator]
    if config.bfcl_half != "both":
        items = [i for i in items if half_of(i.id) == config.bfcl_half]
    return sample_items(items, config.bfcl_per_category or config.size.bfcl_per_category, seed=config.seed)


def _setups(config: BenchConfig) -> list[Setup]:
    if not config.quality_setups:  # the calibration setup only when asked for
        # The peer that never sees the tools can run to n_ctx on every inner pass: full-size runs only.
        skip = ("calibration", "never sees the tools") if config.size.name == "quick" else ("calibration",)
        return [s for s in SETUPS if not any(word in s.name for word in skip)]
    wanted = set(config.quality_setups)
    return [s for s in SETUPS if s.name in wanted or str(SETUPS.index(s)) in wanted]


def quality_section(config: BenchConfig, log: Any = None) -> SectionResult:
    """Every setup on the same sampled items, interleaved item by item."""
    missing = model_missing(config, "quality")
    if missing:
        return missing
    if config.data_dir is None:
        return SectionResult(
            name="quality",
            status="skipped",
            reason="no BFCL data: pass --data-dir or set CORRAL_DATA_DIR (a folder holding bfcl/)",
        )
    items, setups = _items(config), _setups(config)
    runners = _runners(config, setups)
    outcomes: dict[str, list[Outcome]] = {s.name: [] for s in setups}
    for n, item in enumerate(items, 1):
        for setup in setups:
            outcome = run_setup(runners[setup.kind], item, setup, MAX_TOKENS)
            outcome["half"] = half_of(item.id)
            outcomes[setup.name].append(outcome)
        if log is not None:
            log(f"[quality] {n}/{len(items)} {item.id}: " + " ".join(_mark(outcomes[s.name][-1]) for s in setups))
    summary = {name: summarize(outs) for name, outs in outcomes.items()}
    return SectionResult(
        name="quality",
        rows=_rows(summary),
        data={
            "items": [i.id for i in items],
            "seed": config.seed,
            "max_tokens": MAX_TOKENS,
            "outcomes": outcomes,
            "summary": summary,
        },
    )


def _mark(o: Outcome) -> str:
    """One letter per setup in the progress log: Correct, X crash, c called (wrong), . no call (wrong)."""
    return "C" if o["correct"] else "X" if o["crashed"] else "c" if o["called"] else "."


def _share(values: list[bool]) -> float | None:
    return 100.0 * sum(values) / len(values) if values else None


def _stats(outs: list[Outcome]) -> dict[str, Any]:
    called = [o for o in outs if o["called"]]
    return {
        "n": len(outs),
        "call_rate": _share([o["called"] for o in outs]),
        "valid_rate": _share([o["valid"] for o in called]),
        "accuracy": _share([o["correct"] for o in outs]),
        "hit_max_tokens": sum(o["hit_max"] for o in outs),
        "cut_by_repetition_guard": sum(o.get("cut", False) for o in outs),
        "crashes": sum(o["crashed"] for o in outs),
        "timeouts": sum(o.get("timeout", False) for o in outs),
        "typed_errors": sum(o.get("typed_error", False) for o in outs),
        "median_seconds": statistics.median(o["seconds"] for o in outs) if outs else None,
    }


def summarize(outs: list[Outcome]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{half: {category: stats}}`` for halves ``tune``, ``held-out``, ``all`` (and category ``all``).

    Example::

        >>> o = {"id": "x", "category": "irrelevance", "called": False, "valid": False, "correct": True,
        ...      "hit_max": False, "crashed": False, "seconds": 1.0, "half": "tune"}
        >>> summarize([o])["tune"]["irrelevance"]["accuracy"]
        100.0
    """
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for half in ("tune", "held-out", "all"):
        mine = [o for o in outs if half == "all" or o.get("half") == half]
        per = {c: _stats([o for o in mine if o["category"] == c]) for c in CATEGORIES}
        result[half] = {**{c: s for c, s in per.items() if s["n"]}, "all": _stats(mine)}
    return result


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} %"


def _rows(summary: dict[str, Any]) -> list[Row]:
    rows = []
    for name, halves in summary.items():
        for half in ("held-out", "tune"):
            for category, st in halves[half].items():
                if not st["n"]:
                    continue
                detail = (
                    f"n={st['n']}: calls {_fmt(st['call_rate'])}, schema-valid {_fmt(st['valid_rate'])}, "
                    f"max_tokens {st['hit_max_tokens']}, crashes {st['crashes']}, "
                    f"median {st['median_seconds'] or 0:.1f} s"
                )
                rows.append(
                    Row(
                        metric=f"{name}: {category} BFCL accuracy ({half})",
                        value=st["accuracy"],
                        unit="%",
                        detail=detail,
                    )
                )
    return rows


def quality_markdown(summary: dict[str, Any], half: str = "held-out") -> str:
    """One table per half: a row per setup and category (the README shows the held-out one)."""
    head = (
        "| setup | category | n | accuracy | call rate | schema-valid (of calls) | hit max_tokens | "
        "crashes | median s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    lines = [head]
    for name, halves in summary.items():
        for category, s in halves[half].items():
            if not s["n"]:
                continue
            lines.append(
                f"| {name} | {category} | {s['n']} | {_fmt(s['accuracy'])} | {_fmt(s['call_rate'])} | "
                f"{_fmt(s['valid_rate'])} | {s['hit_max_tokens']} | {s['crashes']} | "
                f"{s['median_seconds'] or 0:.1f} |"
            )
    return "\n".join(lines)


def _chatml_llama() -> Any:
    import functools

    import llama_cpp

    return functools.partial(llama_cpp.Llama, chat_format="chatml-function-calling")
