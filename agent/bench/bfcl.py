"""BFCL data and checker: does a model's list of calls answer a Berkeley Function Calling item?

The rules (BFCL's AST checker, as the data README describes them): the function name must match;
the number of calls must match (parallel calls match in any order); every required parameter is
present; no parameter the answer does not list; types exact except that an int is accepted for a
float; strings compared after lower-casing and removing spaces and ``, . / - _ * ^``; lists compared
in order; ``""`` among a parameter's acceptable values means it may be omitted; an irrelevance
item passes when no call is made.

Example::

    >>> item = BfclItem(id="simple_1", category="simple_python", question="?",
    ...     functions=[{"name": "f", "parameters": {"type": "dict",
    ...         "properties": {"x": {"type": "float"}}, "required": ["x"]}}],
    ...     ground_truth=[{"f": {"x": [2.0]}}])
    >>> check(item, [("f", {"x": 2})]).ok
    True
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BfclItem",
    "CheckResult",
    "check",
    "load_items",
    "sample_items",
    "normalize_string",
    "CATEGORIES",
    "half_of",
    "HALVES",
]

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")

_STRIP = re.compile(r"[ ,./\-_*^]")

Call = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, kw_only=True)
class BfclItem:
    """One BFCL question: the user's text, the functions offered, and the acceptable calls."""

    id: str
    category: str
    question: str
    functions: list[dict[str, Any]]
    ground_truth: list[dict[str, dict[str, list[Any]]]] = field(default_factory=list)

    @property
    def expects_no_call(self) -> bool:
        return self.category == "irrelevance"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Whether the calls pass, and if not, the first reason found."""

    ok: bool
    reason: str = ""


def normalize_string(text: str) -> str:
    """BFCL's string normalisation: lower-case, drop spaces and ``, . / - _ * ^``."""
    return _STRIP.sub("", text).lower()


def check(item: BfclItem, calls: Iterable[Call | Mapping[str, Any] | Any]) -> CheckResult:
    """Check the model's calls against the item's acceptable answers (see module docstring)."""
    made = [_as_call(c) for c in calls]
    if item.expects_no_call:
        return CheckResult(ok=not made, reason="" if not made else f"made {len(made)} call(s); none fits")
    if len(made) != len(item.ground_truth):
        return CheckResult(ok=False, reason=f"expected {len(item.ground_truth)} call(s), got {len(made)}")
    specs = {f["name"]: f for f in item.functions}
    return _match_any_order(made, item.ground_truth, specs)


def _as_call(call: Any) -> Call:
    if isinstance(call, tuple):
        return call[0], dict(call[1])
    if isinstance(call, Mapping):
        if "name" in call:
            return call["name"], dict(call.get("arguments") or {})
        ((name, args),) = call.items()
        return name, dict(args)
    return call.name, dict(call.arguments)  # corral ToolCall or alike


def _match_any_order(made: list[Call], answers: list[dict], specs: dict[str, dict]) -> CheckResult:
    """Assign each made call to a distinct answer (backtracking: n is tiny); first failure explains."""
    first_reason: list[str] = []

    def assign(i: int, used: frozenset[int]) -> bool:
        if i == len(made):
            return True
        for j, answer in enumerate(answers):
            if j in used:
                continue
            result = _check_call(made[i], answer, specs)
            if result.ok and assign(i + 1, used | {j}):
                return True
            if not result.ok and not first_reason:
                first_reason.append(result.reason)
        return False

    if assign(0, frozenset()):
        return CheckResult(ok=True)
    return CheckResult(ok=False, reason=first_reason[0] if first_reason else "calls do not match the answers")


def _check_call(call: Call, answer: dict[str, dict[str, list[Any]]], specs: dict[str, dict]) -> CheckResult:
    ((want_name, acceptable),) = answer.items()
    name, args = call
    if name != want_name:
        return CheckResult(ok=False, reason=f"called {name!r}, expected {want_name!r}")
    spec = specs.get(name, {}).get("parameters", {})
    properties = spec.get("properties", {})
    for required in spec.get("required", []):
        if required not in args:
            return CheckResult(ok=False, reason=f"{name}: required parameter {required!r} missing")
    for param, value in args.items():
        if param not in properties or param not in acceptable:
            return CheckResult(ok=False, reason=f"{name}: unexpected parameter {param!r}")
        if not _type_ok(value, properties[param]):
            return CheckResult(
                ok=False, reason=f"{name}: {param}={value!r} is not of type {properties[param].get('type')}"
            )
        if not any(_value_ok(value, option) for option in acceptable[param] if option != ""):
            return CheckResult(ok=False, reason=f"{name}: {param}={value!r} is not among {acceptable[param]!r}")
    for param, options in acceptable.items():
        if param not in args and "" not in options:
            return CheckResult(ok=False, reason=f"{name}: parameter {param!r} missing")
    return CheckResult(ok=True)


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "float": (float, int),  # the one allowed coercion: an int where a float is expected
    "number": (float, int),
    "boolean": (bool,),
    "dict": (dict,),
    "object": (dict,),
}


def _type_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type", "any")
    if kind == "any":
        return True
    if kind in ("array", "tuple"):
        if not isinstance(value, (list, tuple)):
            return False
        items = schema.get("items")
        return not items or all(_type_ok(v, items) for v in value)
    allowed = _SCALARS.get(kind)
    if allowed is None:
        return True  # a type name BFCL does not check
    # Exact types: bool is an int subclass in Python, but True is not an integer here.
    return type(value) in allowed


def _value_ok(value: Any, option: Any) -> bool:
    if isinstance(option, dict):
        return isinstance(value, dict) and _dict_ok(value, option)
    if isinstance(option, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(option)
            and all(_value_ok(v, o) for v, o in zip(value, option))
        )
    if isinstance(option, str):
        return isinstance(value, str) and normalize_string(value) == normalize_string(option)
    if isinstance(value, bool) or isinstance(option, bool):
        return type(value) is type(option) and value == option
    return value == option


def _dict_ok(value: Mapping[str, Any], option: Mapping[str, Any]) -> bool:
    """Nested answers map each key to a list of acceptable values, like top-level parameters."""
    for key, got in value.items():
        choices = option.get(key)
        if choices is None:
            return False
        choices = choices if isinstance(choices, list) else [choices]
        if not any(_value_ok(got, c) for c in choices if c != ""):
            return False
    return all(key in value or "" in (c if isinstance(c, list) else [c]) for key, c in option.items())


def load_items(bfcl_dir: Path, categories: Sequence[str] = CATEGORIES) -> list[BfclItem]:
    """Read the BFCL files (one JSON object per line) and join each item with its answers."""
    items: list[BfclItem] = []
    for category in categories:
        answers = _read_answers(bfcl_dir / "possible_answer" / f"BFCL_v4_{category}.json")
        for row in _read_lines(bfcl_dir / f"BFCL_v4_{category}.json"):
            items.append(
                BfclItem(
                    id=row["id"],
                    category=category,
                    question=_user_text(row["question"]),
                    functions=row["function"],
                    ground_truth=answers.get(row["id"], []),
                )
            )
    return items


def sample_items(items: Sequence[BfclItem], per_category: int, seed: int = 0) -> list[BfclItem]:
    """A fixed-seed sample of ``per_category`` items from each category, in a stable order."""
    rng = random.Random(seed)
    chosen: list[BfclItem] = []
    for category in dict.fromkeys(i.category for i in items):
        pool = [i for i in items if i.category == category]
        chosen.extend(sorted(rng.sample(pool, min(per_category, len(pool))), key=lambda i: i.id))
    return chosen


HALVES = ("tune", "held-out")


def half_of(item_id: str) -> str:
    """``tune`` or ``held-out``: a stable hash of the id (same on every machine and Python version).

    Tune thresholds on ``tune`` only; ``held-out`` says whether they generalise.

    Example::

        >>> half_of("simple_python_1") in HALVES
        True
    """
    return HALVES[hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2]


def _read_lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _read_answers(path: Path) -> dict[str, list]:
    if not path.is_file():
        return {}
    return {row["id"]: row["ground_truth"] for row in _read_lines(path)}


def _user_text(question: list) -> str:
    # question is a list of turns, each a list of messages; the dev items are single-turn.
    turn = question[0] if question and isinstance(question[0], list) else question
    return "\n".join(m["content"] for m in turn if m.get("role") == "user")
