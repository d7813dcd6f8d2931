"""Section 3: KV-cache prefix reuse over a 10-turn conversation, and time to first token turn 10 vs turn 1.

One agent (``LlamaCppBackend``, no tools) holds a conversation of ``prefix_turns`` user messages,
each run continuing from the previous RunResult. The backend reports, per turn, the prompt length
and the prompt tokens it actually evaluated; a naive re-render would evaluate every turn's whole
prompt. The conversation is repeated and medians reported.
"""

from __future__ import annotations

from typing import Any

from .config import BenchConfig
from .model import backend, model_missing
from .report import Row, SectionResult
from .spy import SpyBackend
from .stats import median, ratio

__all__ = ["prefix_section", "QUESTIONS"]

QUESTIONS = (
    "Name a fruit that is red.",
    "And one that is yellow?",
    "Which of the two has more vitamin C?",
    "Give me a recipe idea using both.",
    "How long would that take to prepare?",
    "Could a child help with it?",
    "What should I serve it with?",
    "Is it suitable for a picnic?",
    "How do I keep it fresh?",
    "Summarise our conversation in one sentence.",
)


def _conversation(agent: Any, spy: SpyBackend, turns: int) -> dict[str, Any]:
    spy.inner.llm.reset()  # start cold: turn 1 evaluates its whole prompt
    spy.calls.clear()
    result = None
    for i in range(turns):
        result = agent.run(QUESTIONS[i % len(QUESTIONS)], history=result)
    done = [c.completion for c in spy.calls]
    final = done[-1].prompt_tokens
    return {
        "prompt_tokens": [c.prompt_tokens for c in done],
        "evaluated": [c.prompt_tokens_evaluated for c in done],
        "ttft_s": [c.time_to_first_token for c in done],
        "reuse_ratio": ratio(sum(c.prompt_tokens_evaluated for c in done), final),
        "naive_ratio": ratio(sum(c.prompt_tokens for c in done), final),
        "ttft_ratio": ratio(done[-1].time_to_first_token, done[0].time_to_first_token),
    }


def prefix_section(config: BenchConfig) -> SectionResult:
    """Evaluated prompt tokens / final prompt length (target <= 1.1) and TTFT turn N / turn 1."""
    missing = model_missing(config, "prefix")
    if missing:
        return missing
    from corral import Agent

    spy = SpyBackend(backend(config))
    agent = Agent(spy, guards=None, max_tokens=24)
    turns = config.size.prefix_turns
    runs = [_conversation(agent, spy, turns) for _ in range(max(2, config.size.repetitions // 2))]
    reuse = median([r["reuse_ratio"] for r in runs])
    naive = median([r["naive_ratio"] for r in runs])
    ttft = median([r["ttft_ratio"] for r in runs])
    last = runs[-1]
    rows = [
        Row(
            metric=f"prompt tokens evaluated / final prompt length, {turns} turns",
            value=reuse,
            unit="x",
            target="<= 1.1",
            detail=f"naive re-render: {naive:.2f}x; final prompt {last['prompt_tokens'][-1]} tokens",
        ),
        Row(
            metric=f"time to first token, turn {turns} / turn 1",
            value=ttft,
            unit="x",
            detail=f"{last['ttft_s'][-1] * 1e3:.0f} ms vs {last['ttft_s'][0] * 1e3:.0f} ms (last repetition)",
        ),
    ]
    return SectionResult(name="prefix", rows=rows, data={"conversations": runs, "turns": turns})
