"""Section 1: free-text decode speed inside an agent turn vs the same generation through raw llama_cpp.

The agent (``LlamaCppBackend``, no tools, no guards) answers a question; the exact prompt, stop
list and ``max_tokens`` it sent are replayed through a plain ``llama_cpp.Llama`` with the same
threads, context and greedy sampling. The two alternate, each with its prompt already in its KV
cache after the warm-up, and the median of the per-pair ratios of tokens/s is the figure.
"""

from __future__ import annotations

import time

from .config import BenchConfig
from .model import SAMPLING, backend, model_missing, raw_llama
from .report import Row, SectionResult
from .spy import SpyBackend
from .stats import interleave

__all__ = ["decode_section", "STORY_PROMPT"]

STORY_PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def decode_section(config: BenchConfig) -> SectionResult:
    """Median ratio of agent-turn tokens/s to raw ``Llama`` tokens/s over interleaved repetitions."""
    missing = model_missing(config, "decode")
    if missing:
        return missing
    from corral import Agent

    spy = SpyBackend(backend(config))
    agent = Agent(spy, guards=None, max_tokens=config.size.decode_tokens)
    raw = raw_llama(config)
    counts: dict[str, list[int]] = {"agent": [], "raw": []}

    def agent_side() -> float:
        started = time.perf_counter()
        result = agent.run(STORY_PROMPT)
        wall = time.perf_counter() - started
        counts["agent"].append(result.usage.completion_tokens)
        return result.usage.completion_tokens / wall

    agent_side()  # warm-up; also records the prompt to replay
    sent = spy.calls[-1]

    def raw_side() -> float:
        started = time.perf_counter()
        out = raw.create_completion(sent.prompt, max_tokens=sent.max_tokens, stop=list(sent.stop), **SAMPLING)
        wall = time.perf_counter() - started
        counts["raw"].append(out["usage"]["completion_tokens"])
        return out["usage"]["completion_tokens"] / wall

    raw_side()
    paired = interleave(agent_side, raw_side, config.size.repetitions)
    return SectionResult(
        name="decode",
        rows=[
            Row(
                metric="agent turn / raw llama_cpp.Llama, tokens/s",
                value=paired.ratio,
                unit="x",
                target=">= 0.97",
                detail=f"{paired.median_a:.1f} vs {paired.median_b:.1f} tok/s, {len(paired.a)} pairs, "
                f"{counts['agent'][-1]} tokens, n_threads={config.n_threads}",
            )
        ],
        data={
            "agent_tok_s": paired.a,
            "raw_tok_s": paired.b,
            "ratio": paired.ratio,
            "completion_tokens": counts,
            "prompt_chars": len(sent.prompt),
            "max_tokens": sent.max_tokens,
        },
    )
