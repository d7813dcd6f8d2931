"""What the intent check (``ToolPolicy(intent=True)``) costs: its false blocks on requests it was not written from.

Every ground-truth action of these tasks is one the user asked for, so each refusal is a false one:

- **BFCL** (``../shared/data/bfcl``): every ground-truth call to a tool that acts, against the
  question.
- **tau2-bench** (Sierra, MIT; its task files ship in PyPI's ``inspect_evals`` wheel, MIT): every
  expected action of the assistant that acts, against the simulated user's goal (``reason_for_call``
  and ``task_instructions``; the real conversation's turns are the simulator's, written from them).
  Tasks are split in two halves by a hash of ``domain/id``: the word families were mended from the
  ``dev`` half's refusals only; ``held-out`` is only counted.

Run::

    pip download --no-deps inspect_evals==0.28.0 -d /tmp/ie
    python -m corral.bench.intent --bfcl ../shared/data/bfcl --tau2 /tmp/ie/inspect_evals-0.28.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Tally", "intent_on_bfcl", "intent_on_tau2", "main"]

TAU2_DOMAINS = {
    "airline": "airline/tasks.json",
    "retail": "retail/tasks.json",
    "telecom": "telecom/tasks_small.json",
    "mock": "mock/tasks.json",
}
_TAU2_ROOT = "inspect_evals/tau2/data/domains/"


class Tally:
    """Calls to acting tools allowed, out of all, and the refused ones as (tool, request)."""

    def __init__(self) -> None:
        self.allowed = 0
        self.blocked: list[tuple[str, str]] = []

    @property
    def total(self) -> int:
        return self.allowed + len(self.blocked)

    def add(self, rule: Any, tool: str, request: str) -> None:
        from corral.guards import ToolCallPayload

        if not rule.words_for(tool):
            return
        if rule.problem(ToolCallPayload(name=tool, user_text=request)):
            self.blocked.append((tool, request))
        else:
            self.allowed += 1

    def line(self, name: str) -> str:
        share = f"{100.0 * self.allowed / self.total:.1f} %" if self.total else "n/a"
        refused = Counter(tool for tool, _ in self.blocked)
        return f"| {name} | {self.allowed} / {self.total} | {share} | {', '.join(f'{t} x{n}' for t, n in refused.items()) or '-'} |"


def intent_on_bfcl(bfcl_dir: Path) -> Tally:
    """BFCL's ground-truth calls to acting tools (simple, multiple, parallel, parallel_multiple)."""
    from corral.guards import IntentRule

    from .bfcl import load_items

    rule, tally = IntentRule(), Tally()
    for item in load_items(bfcl_dir, ("simple_python", "multiple", "parallel", "parallel_multiple")):
        for call in item.ground_truth:
            for name in call:
                tally.add(rule, name, item.question)
    return tally


def tau2_half(domain: str, task_id: str) -> str:
    """``dev`` or ``held-out``: a stable hash of ``domain/id``."""
    return ("dev", "held-out")[hashlib.sha256(f"{domain}/{task_id}".encode()).digest()[0] % 2]


def tau2_tasks(wheel: Path) -> Iterator[tuple[str, str, str, list[str]]]:
    """(domain, half, the user's goal, the assistant's expected actions) per tau2 task in the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        for domain, name in TAU2_DOMAINS.items():
            try:
                tasks = json.loads(zf.read(_TAU2_ROOT + name))
            except KeyError:
                raise FileNotFoundError(f"{wheel} has no {_TAU2_ROOT + name}: is it an inspect_evals wheel?") from None
            for task in tasks:
                goal = (task.get("user_scenario") or {}).get("instructions") or {}
                if isinstance(goal, dict):
                    goal = "\n".join(str(goal.get(k) or "") for k in ("reason_for_call", "task_instructions"))
                actions = (task.get("evaluation_criteria") or {}).get("actions") or []
                names = [a["name"] for a in actions if a.get("name") and a.get("requestor", "assistant") == "assistant"]
                yield domain, tau2_half(domain, str(task.get("id", ""))), str(goal), names


def intent_on_tau2(wheel: Path) -> dict[str, Tally]:
    """Tallies per half (``dev``, ``held-out``) of tau2's expected acting actions."""
    from corral.guards import IntentRule

    rule, tallies = IntentRule(), {"dev": Tally(), "held-out": Tally()}
    for _domain, half, goal, names in tau2_tasks(wheel):
        for name in names:
            tallies[half].add(rule, name, goal)
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corral.bench.intent", description=__doc__.split("\n")[0])
    parser.add_argument("--bfcl", type=Path, help="the BFCL folder (../shared/data/bfcl)")
    parser.add_argument("--tau2", type=Path, help="an inspect_evals wheel (pip download --no-deps inspect_evals)")
    args = parser.parse_args(argv)
    if args.bfcl is None and args.tau2 is None:
        parser.error("give --bfcl, --tau2 or both")
    try:
        lines = []
        if args.bfcl is not None:
            lines.append(intent_on_bfcl(args.bfcl).line("BFCL (dev data)"))
        if args.tau2 is not None:
            lines += [t.line(f"tau2-bench, {half} half") for half, t in intent_on_tau2(args.tau2).items()]
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        print(f"corral.bench.intent: {exc}", file=sys.stderr)
        return 2
    print("| requests | acting calls allowed | share | refused |\n| --- | --- | --- | --- |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
