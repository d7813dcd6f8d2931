"""Section 4: loop overhead per turn on a scripted backend, next to pydantic-ai's FunctionModel.

The same two-turn script runs in every column: turn 1 calls two tools in parallel
(``get_time`` and ``add``), turn 2 answers. The scripted model answers from the prompt alone, so
one agent serves every run. Overhead per turn is everything but the model and the tools: wall time
of the run minus the backend calls and the tool functions' own time (each record's ``duration``),
divided by the number of turns; the best of the repetitions is reported (the median beside it).
Validating, dispatching and serialising the calls count as overhead. Columns run interleaved:
corral without guards, with the heuristic guards (PII redaction and the code scanner, rule-based),
with the default chain (which adds the learned injection classifier), and pydantic-ai
(``FunctionModel``, async runs on one event loop, its native mode) when ``pydantic-ai-slim`` is
installed (the ``bench`` extra).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .config import BenchConfig
from .report import Row, SectionResult
from .stats import median, paired_ratio
from .stub_server import TOOL_RESULT_MARKER

__all__ = ["overhead_section", "CALL_TEXT", "ANSWER_TEXT", "QUESTION"]

QUESTION = "What time is it in Paris, and what is 2 + 3?"
CALL_TEXT = '[get_time(city="Paris"), add(a=2, b=3)]'
ANSWER_TEXT = "It is noon in Paris, and 2 + 3 = 5."
TURNS_PER_RUN = 2


def get_time(city: str) -> str:
    """Current local time in a city.

    Args:
        city: The city name, e.g. Paris.
    """
    return f"{TOOL_RESULT_MARKER}noon in {city}"


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return a + b


def scripted_reply(prompt: str) -> str:
    """The scripted model: call both tools until their results are in the prompt, then answer."""
    return ANSWER_TEXT if TOOL_RESULT_MARKER in prompt else CALL_TEXT


def corral_agent(guards: Any) -> Any:
    """A corral Agent on a FunctionBackend with the two tools, llama3.2 format."""
    from corral import Agent
    from corral.testing import FunctionBackend
    from corral.tools import tool

    return Agent(FunctionBackend(scripted_reply), tools=[tool(get_time), tool(add)], format="llama3.2", guards=guards)


def _corral_sample(agent: Any, runs: int) -> float:
    """Microseconds of loop overhead per turn over ``runs`` runs."""
    outside = 0.0
    turns = 0
    started = time.perf_counter()
    for _ in range(runs):
        result = agent.run(QUESTION)
        if result.output != ANSWER_TEXT:
            raise RuntimeError(f"scripted corral run ended with {result.stop_reason}: {result.output!r}")
        # Only the backend call and the tool functions themselves are outside the loop: validation,
        # dispatch and result serialisation count as overhead.
        outside += sum(t.model_seconds for t in result.turns) + sum(c.duration for c in result.tool_calls)
        turns += len(result.turns)
    wall = time.perf_counter() - started
    return (wall - outside) / turns * 1e6


# The target: the loop with heuristic guards (and so without any). The default chain adds the
# learned injection classifier on input and tool results; it is reported next to them.
_TARGETED = ("corral, no guards", "corral + heuristic guards")


def _pydantic_ai_agent() -> Any | None:
    try:
        from pydantic_ai import Agent as PaiAgent
        from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import FunctionModel
    except ImportError:
        return None

    def model(messages: list[Any], info: Any) -> Any:
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(parts=[TextPart(ANSWER_TEXT)])
        return ModelResponse(parts=[ToolCallPart("get_time", {"city": "Paris"}), ToolCallPart("add", {"a": 2, "b": 3})])

    agent = PaiAgent(FunctionModel(model))
    agent.tool_plain(get_time)
    agent.tool_plain(add)
    return agent


def _pydantic_ai_sample(agent: Any, runs: int) -> float:
    """Microseconds per turn (the scripted model and the tools take well under a microsecond)."""

    async def many() -> float:
        started = time.perf_counter()
        for _ in range(runs):
            result = await agent.run(QUESTION)
            if result.output != ANSWER_TEXT:
                raise RuntimeError(f"scripted pydantic-ai run ended with {result.output!r}")
        return time.perf_counter() - started

    return asyncio.run(many()) / (runs * TURNS_PER_RUN) * 1e6


def heuristic_chain() -> Any:
    """The default chain's rule-based guards: PII redaction and the code scanner (no classifier)."""
    from corral.guards import CodeScanner, GuardChain, PIIRedactor

    pii, code = PIIRedactor(), CodeScanner()
    return GuardChain({"tool_call": [code], "tool_result": [pii], "output": [pii, code]})


def _columns() -> dict[str, Callable[[int], float]]:
    from corral.guards import GuardChain

    agents = {
        "corral, no guards": corral_agent(None),
        "corral + heuristic guards": corral_agent(heuristic_chain()),
        "corral + default guards": corral_agent(GuardChain.default()),
    }
    columns: dict[str, Callable[[int], float]] = {
        name: (lambda n, agent=agent: _corral_sample(agent, n)) for name, agent in agents.items()
    }
    pai = _pydantic_ai_agent()
    if pai is not None:
        columns["pydantic-ai FunctionModel"] = lambda n: _pydantic_ai_sample(pai, n)
    return columns


def overhead_section(config: BenchConfig) -> SectionResult:
    """Median microseconds per turn per column, and corral's ratio to pydantic-ai."""
    columns = _columns()
    runs = config.size.overhead_runs
    for sample in columns.values():
        sample(max(3, runs // 20))  # warm-up: imports, caches, first-call costs
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for _ in range(config.size.repetitions):
        for name, sample in columns.items():
            samples[name].append(sample(runs))
    # The best repetition is the figure (timeit's practice: interference only ever adds time, and
    # this machine's speed swings 2-4x); the median is in the detail, and ratios pair repetitions.
    rows = [
        Row(
            metric=f"{name}: loop overhead per turn",
            value=min(v),
            unit="us",
            target="<= 100" if name in _TARGETED else "",
            detail=f"best of {len(v)} x {runs} runs x {TURNS_PER_RUN} turns; median {median(v):,.0f} us",
        )
        for name, v in samples.items()
    ]
    pai = samples.get("pydantic-ai FunctionModel")
    if pai:
        for name in ("corral, no guards", "corral + heuristic guards", "corral + default guards"):
            rows.append(
                Row(
                    metric=f"{name} / pydantic-ai, per turn",
                    value=paired_ratio(samples[name], pai),
                    unit="x",
                    detail="median of paired ratios; < 1 means corral is cheaper",
                )
            )
    data = {
        "us_per_turn": samples,
        "runs": runs,
        "turns_per_run": TURNS_PER_RUN,
        "pydantic_ai": "measured" if pai else "not installed (pip install 'corral[bench]')",
    }
    return SectionResult(name="overhead", rows=rows, data=data)
