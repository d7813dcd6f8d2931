"""The setups the quality section compares, each producing one first-turn ``Outcome`` per BFCL item.

* corral setups run an ``Agent`` on the shared ``LlamaCppBackend`` and score its first model turn
  (``max_turns=1``: the tool runs, then the run stops; the first completion is what BFCL judges);
* the peer is llama-cpp-python's ``chatml-function-calling`` handler on the same model file, with a
  system message (as its users run it) or without one: its template lists the tools only inside a
  system message, so without one the model never sees them.

Example::

    >>> [s.name for s in SETUPS][:1]
    ['corral defaults']
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .bfcl import BfclItem, check
from .spy import SpyBackend

__all__ = ["Setup", "SETUPS", "Outcome", "run_setup", "PEER_SYSTEM", "PeerTimeout"]

Outcome = dict[str, Any]
PEER_SYSTEM = "You are a helpful assistant with access to functions. Use them if required."


@dataclass(frozen=True)
class Setup:
    """A named way to get the first turn: ``kind`` is ``corral`` or ``peer``; ``options`` its settings."""

    name: str
    kind: str
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)


SETUPS = (
    Setup("corral defaults", "corral"),
    Setup("corral, no decision step (first token decides)", "corral", (("decision", None),)),
    Setup("corral, tool_choice=required", "corral", (("tool_choice", "required"),)),
    Setup("corral defaults, format=llama3.2", "corral", (("format", "llama3.2"),)),
    Setup("peer chatml-function-calling + system message", "peer", (("system", True),)),
    # For calibration: always call (the decision still picks the tool and scores further calls).
    Setup("corral, decision always calls (calibration)", "corral", (("decision", "always"),)),
    Setup("peer chatml-function-calling, no system message (never sees the tools)", "peer", (("system", False),)),
)


def tools_of(item: BfclItem) -> list[Any]:
    """The item's functions as corral Tools (the function bodies are never what is measured)."""
    from corral.tools import Tool, normalize_schema

    return [
        Tool.from_schema(f["name"], f.get("description", ""), normalize_schema(f["parameters"]), func=lambda **_: "ok")
        for f in item.functions
    ]


def _valid(tools: list[Any], calls: list[Any]) -> bool:
    from corral.tools import validate_arguments

    by_name = {t.name: t for t in tools}
    return all(c.name in by_name and validate_arguments(by_name[c.name], c.arguments) is None for c in calls)


def _outcome(
    item: BfclItem,
    tools: list[Any],
    calls: list[Any],
    *,
    tokens: int,
    max_tokens: int,
    finish: str,
    text: str,
    **extra: Any,
) -> Outcome:
    verdict = check(item, [(c.name, c.arguments) for c in calls])
    return {
        "id": item.id,
        "category": item.category,
        "called": bool(calls),
        "n_calls": len(calls),
        "valid": bool(calls) and _valid(tools, calls),
        "correct": verdict.ok,
        "why": verdict.reason,
        "hit_max": tokens >= max_tokens and finish == "length",
        # stopped short of max_tokens: a prose loop ("repetition"), or a call the decoder cut
        "cut": finish == "repetition" or (finish == "length" and tokens < max_tokens),
        "crashed": False,
        "tokens": tokens,
        "text": text[:400],
        **extra,
    }


def _corral(backend: Any, item: BfclItem, setup: Setup, max_tokens: int) -> Outcome:
    from corral import Agent
    from corral.prompts import ToolCallParseError

    tools = tools_of(item)
    spy = SpyBackend(backend)
    kwargs = {k: v for k, v in setup.options if k in ("tool_choice", "format")}
    agent = Agent(spy, tools=tools, max_turns=1, max_tokens=max_tokens, **kwargs)
    if "decision" in dict(setup.options):
        from dataclasses import replace

        agent.policy = replace(agent.policy, decision=_policy(setup.option("decision")), _grammars={})
    backend.last_trace = None
    agent.run(item.question)
    completion = spy.calls[0].completion
    trace = backend.last_trace
    extra = {"margin": trace.decision.margin, "more": trace.more} if trace is not None else {}
    try:
        calls = agent.format.parse(completion.text).tool_calls
    except ToolCallParseError as exc:
        return {
            **_outcome(
                item,
                tools,
                [],
                tokens=completion.completion_tokens,
                max_tokens=max_tokens,
                finish=completion.finish_reason,
                text=completion.text,
                **extra,
            ),
            "called": True,
            "valid": False,
            "correct": False,
            "why": str(exc)[:200],
        }
    return _outcome(
        item,
        tools,
        list(calls),
        tokens=completion.completion_tokens,
        max_tokens=max_tokens,
        finish=completion.finish_reason,
        text=completion.text,
        **extra,
    )


def _policy(option: Any) -> Any:
    if option == "always":
        from dataclasses import replace

        from corral.prompts.decide import DEFAULT_POLICY

        return replace(DEFAULT_POLICY, margin=-1e9)
    return option


PEER_SECONDS = 60.0  # wall-clock cap per peer item: its inner passes run with max_tokens=None


class PeerTimeout(Exception):
    """The peer ran past its per-item wall-clock or token cap (reported as that item's crash)."""


def _guard(llm: Any, max_tokens: int, fired: list[str], seconds: float = PEER_SECONDS) -> Any:
    """A logits processor that ends the peer's passes once over budget (its handler decodes names and
    messages with max_tokens=None): it boosts end-of-sequence, and notes why in ``fired``. (Raising
    would not stop it: llama.cpp calls the processor from C and ignores the exception; masking all
    but EOS aborts the process inside a grammar pass that does not allow EOS yet.)"""
    import llama_cpp
    import numpy as np

    started, count, eos = time.perf_counter(), [0], llm.token_eos()

    def check(_ids: Any, logits: Any) -> Any:
        count[0] += 1
        if fired or count[0] > 4 * max_tokens or time.perf_counter() - started > seconds:
            if not fired:
                fired.append(f"peer stopped after {count[0]} tokens, {time.perf_counter() - started:.0f} s")
            logits[eos] = float(np.max(logits)) + 100.0
        return logits

    return llama_cpp.LogitsProcessorList([check])


class _Call:
    __slots__ = ("name", "arguments")

    def __init__(self, name: str, arguments: Any) -> None:
        self.name, self.arguments = name, arguments


def _peer(llm: Any, item: BfclItem, setup: Setup, max_tokens: int) -> Outcome:
    from corral.tools import normalize_schema

    # OpenAI-style names cannot hold dots: send safe names, map them back for the checker.
    names = {f["name"].replace(".", "_"): f["name"] for f in item.functions}
    tools = [
        {
            "type": "function",
            "function": {
                "name": safe,
                "description": f.get("description", ""),
                "parameters": normalize_schema(f["parameters"]),
            },
        }
        for safe, f in zip(names, item.functions)
    ]
    messages = [{"role": "user", "content": item.question}]
    if setup.option("system"):
        messages.insert(0, {"role": "system", "content": PEER_SYSTEM})
    fired: list[str] = []
    out = llm.create_chat_completion(
        messages=messages,
        tools=tools,
        tool_choice="auto",
        max_tokens=max_tokens,
        temperature=0.0,
        seed=0,
        logits_processor=_guard(llm, max_tokens, fired),
    )
    if fired:
        raise PeerTimeout(fired[0])
    message, finish = out["choices"][0]["message"], out["choices"][0].get("finish_reason") or "stop"
    tokens = int(out.get("usage", {}).get("completion_tokens", 0))
    calls, parsed = [], True
    try:
        for call in message.get("tool_calls") or []:
            arguments = json.loads(call["function"]["arguments"] or "{}")
            calls.append(_Call(names.get(call["function"]["name"], call["function"]["name"]), arguments))
    except (json.JSONDecodeError, TypeError):
        parsed = False
    text = json.dumps([{c.name: c.arguments} for c in calls]) if calls else (message.get("content") or "")
    result = _outcome(item, tools_of(item), calls, tokens=tokens, max_tokens=max_tokens, finish=finish, text=text)
    if not parsed:
        result.update(called=True, valid=False, correct=False, why="unparseable arguments")
    return result


def run_setup(runner: Any, item: BfclItem, setup: Setup, max_tokens: int) -> Outcome:
    """One setup on one item, timed; any exception is that item's crash, recorded with its type."""
    measure: Callable[..., Outcome] = _corral if setup.kind == "corral" else _peer
    from corral.exceptions import CorralError

    started = time.perf_counter()
    try:
        outcome = measure(runner, item, setup, max_tokens)
    except Exception as exc:  # noqa: BLE001 - a crash is a measured outcome, not the section's end
        # corral's own typed errors (e.g. a prompt longer than n_ctx) are errors the caller can
        # handle; anything else (llama.cpp's ValueError, ...) is a crash.
        outcome = {
            "id": item.id,
            "category": item.category,
            "called": False,
            "n_calls": 0,
            "valid": False,
            "correct": False,
            "hit_max": False,
            "cut": False,
            "crashed": not isinstance(exc, CorralError),
            "typed_error": isinstance(exc, CorralError),
            "timeout": isinstance(exc, PeerTimeout),
            "tokens": 0,
            "text": "",
            "why": f"{type(exc).__name__}: {str(exc)[:200]}",
        }
    outcome["seconds"] = time.perf_counter() - started
    return outcome
