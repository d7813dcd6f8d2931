"""Section 7: tool-call quality on BFCL dev items with the tiny model, three ways in one run.

For a fixed-seed sample of items from each BFCL category, the model's first turn is produced by:

* ``corral, constrained``: an Agent on ``LlamaCppBackend`` with grammar-constrained decoding;
* ``corral, free``: the same Agent with ``grammar=False``;
* ``corral, constrained, tool_choice=required``: the grammar admits only calls (no prose);
* ``llama-cpp-python chatml-function-calling``: llama-cpp-python's own tool-calling chat handler
  on the same model file, same threads and context.

"Parses and validates" means the text parsed (no ``ToolCallParseError``) and every call names an
offered tool with arguments valid against its JSON Schema; plain text counts as a valid answer.
Accuracy is the BFCL checker (``corral.bench.bfcl.check``) on the parsed calls.
"""

from __future__ import annotations

import json
from typing import Any

from .bfcl import BfclItem, check, load_items, sample_items
from .config import BenchConfig
from .model import backend, model_missing, raw_llama
from .report import Row, SectionResult
from .spy import SpyBackend

__all__ = ["quality_section", "Outcome"]

MAX_TOKENS = 192
# With tool_choice="auto" the tiny model mostly answers in prose; "required" shows what the grammar
# does to the calls themselves (irrelevance items then fail by construction).
VARIANTS = ("corral, constrained", "corral, free", "corral, constrained, tool_choice=required", "chatml-function-calling")
Outcome = dict[str, Any]


def _tools(item: BfclItem) -> list[Any]:
    from corral.tools import Tool, normalize_schema

    return [Tool.from_schema(f["name"], f.get("description", ""), normalize_schema(f["parameters"]),
                             func=lambda **_: "ok") for f in item.functions]


def _valid(tools: list[Any], calls: list[Any]) -> bool:
    from corral.tools import validate_arguments

    by_name = {t.name: t for t in tools}
    return all(c.name in by_name and validate_arguments(by_name[c.name], c.arguments) is None for c in calls)


def _corral_outcome(inner: Any, item: BfclItem, constrained: bool, choice: str = "auto") -> Outcome:
    from corral import Agent
    from corral.prompts import ToolCallParseError

    tools = _tools(item)
    spy = SpyBackend(inner)
    agent = Agent(spy, tools=tools, guards=None, max_turns=1, max_retries=0, max_tokens=MAX_TOKENS, grammar=constrained,
                  tool_choice=choice)
    agent.run(item.question)
    text = spy.calls[0].completion.text
    try:
        turn = agent.format.parse(text)
    except ToolCallParseError as exc:
        return {"id": item.id, "parsed": False, "valid": False, "correct": False, "text": text, "why": str(exc)[:200]}
    calls = [(c.name, c.arguments) for c in turn.tool_calls]
    verdict = check(item, calls)
    return {"id": item.id, "parsed": True, "valid": _valid(tools, turn.tool_calls), "correct": verdict.ok,
            "text": text, "why": verdict.reason}


class _Call:
    __slots__ = ("name", "arguments")

    def __init__(self, name: str, arguments: Any) -> None:
        self.name, self.arguments = name, arguments


def _chatml_outcome(llm: Any, item: BfclItem) -> Outcome:
    from corral.tools import normalize_schema

    # OpenAI-style names cannot hold dots: send safe names, map them back for the checker.
    names = {f["name"].replace(".", "_"): f["name"] for f in item.functions}
    tools = [{"type": "function", "function": {"name": f["name"].replace(".", "_"), "description": f.get("description", ""),
                                               "parameters": normalize_schema(f["parameters"])}} for f in item.functions]
    out = llm.create_chat_completion(messages=[{"role": "user", "content": item.question}], tools=tools,
                                     tool_choice="auto", max_tokens=MAX_TOKENS, temperature=0.0, seed=0)
    message = out["choices"][0]["message"]
    calls = []
    try:
        for call in message.get("tool_calls") or []:
            arguments = json.loads(call["function"]["arguments"] or "{}")
            calls.append(_Call(names.get(call["function"]["name"], call["function"]["name"]), arguments))
    except (json.JSONDecodeError, TypeError) as exc:
        return {"id": item.id, "parsed": False, "valid": False, "correct": False, "text": str(message)[:300], "why": str(exc)}
    verdict = check(item, [(c.name, c.arguments) for c in calls])
    return {"id": item.id, "parsed": True, "valid": _valid(_tools(item), calls), "correct": verdict.ok,
            "text": json.dumps([{c.name: c.arguments} for c in calls]) if calls else (message.get("content") or ""),
            "why": verdict.reason}


def _guarded(item: BfclItem, measure: Any, *args: Any) -> Outcome:
    """One variant on one item; a prompt too long for n_ctx is that variant's failure, not the section's."""
    from corral.exceptions import BackendError

    try:
        return measure(*args)
    except (ValueError, BackendError) as exc:  # llama_cpp: "Requested tokens (...) exceed context window"
        return {"id": item.id, "parsed": False, "valid": False, "correct": False, "text": "",
                "why": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _share(outcomes: list[Outcome], key: str) -> float:
    return 100.0 * sum(o[key] for o in outcomes) / len(outcomes) if outcomes else float("nan")


def quality_section(config: BenchConfig) -> SectionResult:
    """Parse+validate share and BFCL accuracy per variant on the same sampled items."""
    missing = model_missing(config, "quality")
    if missing:
        return missing
    if config.data_dir is None:
        return SectionResult(name="quality", status="skipped",
                             reason="no BFCL data: pass --data-dir or set CORRAL_DATA_DIR (a folder holding bfcl/)")
    items = sample_items(load_items(config.data_dir / "bfcl"), config.size.bfcl_per_category, seed=config.seed)
    shipped = backend(config)
    chatml = raw_llama(config, _chatml_llama())
    variants: dict[str, list[Outcome]] = {name: [] for name in VARIANTS}
    for item in items:  # variants interleaved item by item
        variants["corral, constrained"].append(_guarded(item, _corral_outcome, shipped, item, True))
        variants["corral, free"].append(_guarded(item, _corral_outcome, shipped, item, False))
        variants["corral, constrained, tool_choice=required"].append(
            _guarded(item, _corral_outcome, shipped, item, True, "required"))
        variants["chatml-function-calling"].append(_guarded(item, _chatml_outcome, chatml, item))
    rows = []
    for name, outcomes in variants.items():
        rows.append(Row(metric=f"{name}: parses and validates", value=_share(outcomes, "valid"), unit="%",
                        target="100 %" if name.startswith("corral, constrained") else "", detail=f"{len(outcomes)} items"))
        rows.append(Row(metric=f"{name}: BFCL accuracy", value=_share(outcomes, "correct"), unit="%",
                        detail=_per_category(items, outcomes)))
    return SectionResult(name="quality", rows=rows,
                         data={"items": [i.id for i in items], "seed": config.seed, "outcomes": variants})


def _per_category(items: list[BfclItem], outcomes: list[Outcome]) -> str:
    parts = []
    for category in dict.fromkeys(i.category for i in items):
        mine = [o for i, o in zip(items, outcomes) if i.category == category]
        parts.append(f"{category} {sum(o['correct'] for o in mine)}/{len(mine)}")
    return ", ".join(parts)


def _chatml_llama() -> Any:
    import functools

    import llama_cpp

    return functools.partial(llama_cpp.Llama, chat_format="chatml-function-calling")
