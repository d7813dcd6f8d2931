"""What both batch engines share: the result row schema, the agent runner per item, and sharding.

The local runner (``corral.batch``) and the Ray runner (``corral.ray_batch``) write the very same
rows, so results from either (or from several shards) can be concatenated and compared. Every row
has the same shape whatever happened: tool arguments and structured answers are JSON text, verdicts
always carry every field, usage always has its four counters. That is what lets Arrow infer one
schema across all the files of a Ray job.

Example::

    >>> from corral.batch_rows import in_shard, parse_shard
    >>> parse_shard("1/3")
    (1, 3)
    >>> sum(in_shard(f"q{i}", k, 3) for k in range(3) for i in range(10))   # each id in exactly one shard
    10
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from .exceptions import UsageError

__all__ = [
    "CallRow",
    "VerdictRow",
    "UsageRow",
    "ResultRow",
    "to_row",
    "error_row",
    "spec_hash",
    "record_from_result",
    "parse_shard",
    "in_shard",
    "agent_runner",
    "TIMING_FIELDS",
]

# Fields that differ from one execution of the same work to the next (wall-clock timings).
TIMING_FIELDS = ("elapsed_s", "duration")


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")  # a custom runner's extra keys are dropped


class CallRow(_Row):
    """One tool call: ``arguments`` is JSON text (its keys vary per tool; Arrow needs one shape)."""

    id: str
    name: str
    arguments: str
    result: str | None = None
    status: str = "ok"
    turn: int = 0
    duration: float = 0.0
    error_kind: str | None = None
    blocked_by: str | None = None


class VerdictRow(_Row):
    """One guard verdict; ``reason``, ``categories`` and ``score`` are empty for plain allows."""

    stage: str
    guard: str
    action: str
    reason: str | None = None
    categories: list[str] = []
    score: float | None = None


class UsageRow(_Row):
    """Token counters of a run (zeros for a row that failed before the model answered)."""

    requests: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0


class ResultRow(_Row):
    """One batch result, identical in shape for the local and the Ray engine.

    ``status`` is ``ok`` or the run's stop reason (``blocked``, ``max_tokens``, ``timeout``, ...), or
    ``error`` when the item failed outright (its ``error`` names the exception).
    """

    id: str
    status: str
    answer: str | None = None
    calls: list[CallRow] = []
    verdicts: list[VerdictRow] = []
    usage: UsageRow = UsageRow()
    error: str | None = None
    elapsed_s: float = 0.0


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _call(call: dict[str, Any]) -> dict[str, Any]:
    known = {k: call.get(k) for k in CallRow.model_fields if k in call}
    known["arguments"] = _text(call.get("arguments") or {})
    known["result"] = _text(call.get("result"))
    return known


def _verdict_record(verdict: Any) -> dict[str, Any]:
    out = {"stage": verdict.stage, "guard": verdict.guard, "action": verdict.action}
    if verdict.action != "allow":  # allows are many and say little: keep them short
        out.update(reason=verdict.reason, categories=list(verdict.categories), score=verdict.score)
    return out


def record_from_result(result: Any) -> dict[str, Any]:
    """The record of one RunResult: status, answer, calls, verdicts, usage, error (``to_row`` shapes it).

    ``status`` is ``ok`` when the model answered, else the run's stop reason (``blocked``,
    ``max_turns``, ``max_tokens``, ``repeated_call``, ``retries_exhausted``, ``timeout``, ...).
    ``max_tokens`` rows keep the partial answer in ``answer``; ``error`` says it was cut off.
    """
    output = result.output
    if hasattr(output, "model_dump"):
        output = output.model_dump(mode="json")
    return {
        "status": "ok" if result.ok else result.stop_reason,
        "answer": output,
        "calls": [call.to_dict() for call in result.tool_calls],
        "verdicts": [_verdict_record(v) for v in result.verdicts],
        "usage": result.usage.to_dict(),
        "error": None if result.ok else result.stop_message,
    }


def to_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record of any engine, normalised through ``ResultRow`` into its uniform JSON shape."""
    data = dict(record)
    data["id"] = str(data["id"])
    data["answer"] = _text(data.get("answer"))
    data["calls"] = [_call(c) for c in data.get("calls") or []]
    data["usage"] = {k: v for k, v in (data.get("usage") or {}).items() if k in UsageRow.model_fields}
    return ResultRow.model_validate(data).model_dump(mode="json")


def error_row(item_id: Any, status: str, error: str, elapsed_s: float = 0.0) -> dict[str, Any]:
    """The row of an item that failed outright (no run result): empty calls, verdicts and usage."""
    return ResultRow(id=str(item_id), status=status, error=error, elapsed_s=round(elapsed_s, 3)).model_dump(mode="json")


def spec_hash(spec: BaseModel) -> str:
    """A short digest of an agent spec's content: the attempt-independent half of an idempotency key."""
    text = (
        spec.model_dump_json(exclude={"base_dir"}) if "base_dir" in type(spec).model_fields else spec.model_dump_json()
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with ``0 <= i < n``; a UsageError (with an example) otherwise."""
    index, sep, count = str(text).partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text!r}: expected I/N with 0 <= I < N, e.g. --shard 0/3, 1/3, 2/3")
    return i, n


def in_shard(item_id: Any, index: int, count: int) -> bool:
    """Whether ``item_id`` belongs to shard ``index`` of ``count``: a hash of the id alone, the same
    on every machine and in every Python process (``hash()`` is salted per process; sha256 is not)."""
    digest = hashlib.sha256(str(item_id).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count == index


def agent_runner(spec: Any, *, key_salt: str | None = None) -> Callable[[Any], Awaitable[dict[str, Any]]]:
    """A batch runner over one Agent built from ``spec``; items with their own budgets get a variant.

    Each run gets ``idempotency_key=stable_key(item.id, key_salt)`` (default salt: the spec's hash),
    so a run retried after a crash, on any engine, hands its tools the same key.
    """
    from corral.tools import stable_key

    from .agent import Agent

    base = Agent.from_spec(spec)
    salt = key_salt or spec_hash(spec)
    variants: dict[tuple[int, int, float | None], Any] = {}

    def agent_for(item: Any) -> Any:
        key = (item.max_turns or spec.limits.max_turns, item.max_tokens or spec.limits.max_tokens, item.timeout)
        if key not in variants:  # same backend, tools and guards; other limits
            variants[key] = base.replace(max_turns=key[0], max_tokens=key[1], timeout=key[2])
        return variants[key]

    async def run(item: Any) -> dict[str, Any]:
        result = await agent_for(item).arun(item.input, idempotency_key=stable_key(item.id, salt))
        return record_from_result(result)

    return run
