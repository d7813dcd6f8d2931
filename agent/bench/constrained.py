"""Section 2: grammar-constrained tool-call decode speed vs free decode, and where the grammar's cost goes.

An agent with two tools (``tool_choice="required"``) renders one turn; its exact prompt and GBNF
grammar are replayed, interleaved, through:

* ``free``: plain ``llama_cpp.Llama``, no grammar (the reference);
* ``stock``: the same ``Llama`` with ``grammar=LlamaGrammar`` (llama.cpp checks the grammar against
  the whole vocabulary at every token);
* ``fast``: ``corral.backends.fastgrammar.FastGrammarLlama`` (candidates checked in logit order);
* ``backend``: corral's ``LlamaCppBackend`` with and without the grammar, as shipped.

Each figure is the median over repetitions of constrained tokens/s divided by free tokens/s. The
section also reports the grammar's cost per token (1/constrained - 1/free tokens/s), the cost of one
full-vocabulary grammar check, and whether the fast path produced exactly the stock path's text.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from .config import BenchConfig
from .model import SAMPLING, backend, model_missing, raw_llama
from .report import Row, SectionResult
from .spy import SpyBackend
from .stats import median, paired_ratio

__all__ = ["constrained_section", "WEATHER_QUESTION", "capture_tool_turn"]

WEATHER_QUESTION = "What is the weather like in Paris today, in celsius?"
CALL_TOKENS = 64


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Current weather in a city.

    Args:
        city: City name, e.g. Paris.
        unit: Temperature unit.
    """
    return f"Sunny, 21 degrees {unit} in {city}"


def get_time(city: str) -> str:
    """Current local time in a city.

    Args:
        city: City name, e.g. Tokyo.
    """
    return f"noon in {city}"


def capture_tool_turn(inner: Any, question: str = WEATHER_QUESTION) -> Any:
    """The first request (prompt, stop, grammar) an agent with the two tools sends to ``inner``."""
    from corral import Agent
    from corral.tools import tool

    spy = SpyBackend(inner)
    agent = Agent(
        spy,
        tools=[tool(get_weather), tool(get_time)],
        guards=None,
        max_turns=1,
        max_tokens=CALL_TOKENS,
        tool_choice="required",
    )
    agent.run(question)
    if not spy.calls or not spy.calls[0].grammar:
        raise RuntimeError("the agent sent no grammar for a turn with tools: is grammar decoding off?")
    return spy.calls[0]


def _sides(config: BenchConfig, sent: Any, shipped: Any) -> dict[str, Any]:
    import llama_cpp

    from corral.backends.fastgrammar import FastGrammarLlama

    plain, fast = raw_llama(config), raw_llama(config, FastGrammarLlama)
    grammar = llama_cpp.LlamaGrammar.from_string(sent.grammar, verbose=False)
    outputs: dict[str, str] = {}

    def run(llm: Any, name: str, use_grammar: bool) -> float:
        started = time.perf_counter()
        out = llm.create_completion(
            sent.prompt,
            max_tokens=sent.max_tokens,
            stop=list(sent.stop),
            grammar=grammar if use_grammar else None,
            **SAMPLING,
        )
        wall = time.perf_counter() - started
        outputs[name] = out["choices"][0]["text"]
        return out["usage"]["completion_tokens"] / wall

    def through_backend(name: str, use_grammar: bool) -> float:
        done = shipped.complete(
            sent.prompt, stop=sent.stop, max_tokens=sent.max_tokens, grammar=sent.grammar if use_grammar else None
        )
        outputs[name] = done.text
        return done.completion_tokens / done.total_time

    return {
        "free": lambda: run(plain, "free", False),
        "stock": lambda: run(plain, "stock", True),
        "fast": lambda: run(fast, "fast", True),
        "backend_free": lambda: through_backend("backend_free", False),
        "backend_grammar": lambda: through_backend("backend_grammar", True),
        "_outputs": outputs,
        "_fast": fast,
    }


def _full_vocab_check_us(fast: Any, grammar_text: str) -> float:
    """Microseconds for one grammar check over the whole vocabulary (what the stock path pays per token)."""
    import numpy as np

    from corral.backends.fastgrammar import GrammarSampler, SamplingParams

    sampler = GrammarSampler(fast._model.vocab, grammar_text, SamplingParams(), n_vocab=fast.n_vocab())
    ids, logits = np.arange(fast.n_vocab()), np.zeros(fast.n_vocab(), dtype=np.float32)
    started = time.perf_counter()
    for _ in range(3):
        sampler._check(ids, logits)
    sampler.close()
    return (time.perf_counter() - started) / 3 * 1e6


def constrained_section(config: BenchConfig) -> SectionResult:
    """Constrained/free tokens/s ratios for the stock, fast and shipped paths, plus cost breakdown."""
    missing = model_missing(config, "constrained")
    if missing:
        return missing
    shipped = backend(config)
    sent = capture_tool_turn(shipped)
    sides = _sides(config, sent, shipped)
    outputs, fast = sides.pop("_outputs"), sides.pop("_fast")
    for side in sides.values():  # warm-up: every side gets its prompt into its KV cache
        side()
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for round_ in range(config.size.repetitions):
        names = list(sides) if round_ % 2 == 0 else list(reversed(sides))
        for name in names:
            samples[name].append(sides[name]())
    return _result(config, sent, samples, outputs, fast)


def _cost_ms(constrained: list[float], free: list[float]) -> float:
    return median([(1 / c - 1 / f) * 1e3 for c, f in zip(constrained, free)])


def _result(
    config: BenchConfig, sent: Any, samples: dict[str, list[float]], outputs: dict[str, str], fast: Any
) -> SectionResult:
    free = samples["free"]
    rows = [
        Row(
            metric="stock llama-cpp-python grammar / free, tokens/s",
            value=paired_ratio(samples["stock"], free),
            unit="x",
            detail=f"grammar cost {_cost_ms(samples['stock'], free):.2f} ms/token",
        ),
        Row(
            metric="FastGrammarLlama (logit-order check) / free, tokens/s",
            value=paired_ratio(samples["fast"], free),
            unit="x",
            target=">= 0.8",
            detail=f"grammar cost {_cost_ms(samples['fast'], free):.2f} ms/token; "
            f"same text as stock: {outputs.get('fast') == outputs.get('stock')}",
        ),
        Row(
            metric="LlamaCppBackend as shipped: grammar / free, tokens/s",
            value=paired_ratio(samples["backend_grammar"], samples["backend_free"]),
            unit="x",
            target=">= 0.8",
            detail=f"grammar cost {_cost_ms(samples['backend_grammar'], samples['backend_free']):.2f} ms/token",
        ),
    ]
    data = {
        "tok_s": samples,
        "grammar_chars": len(sent.grammar),
        "grammar_rules": sum(1 for line in sent.grammar.splitlines() if "::=" in line),
        "full_vocab_check_us": _full_vocab_check_us(fast, sent.grammar),
        "n_vocab": fast.n_vocab(),
        "fast_equals_stock": outputs.get("fast") == outputs.get("stock"),
        "outputs": outputs,
        "max_tokens": sent.max_tokens,
    }
    return SectionResult(name="constrained", rows=rows, data=data)
