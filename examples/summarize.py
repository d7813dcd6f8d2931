"""Map-reduce summarization of long documents, with the model's own tokenizer.

1. Chunk each document so every chunk fits the token budget, counted with the model's tokenizer
   (paragraphs first, then sentences, then words: chunks break where the text does).
2. Map: summarize every chunk.  3. Reduce: summarize the chunk summaries (recursively, when they
   are themselves too long). Works as a batch over many files.

Run it (offline, on the default model)::

    python examples/summarize.py                 # summarizes a generated sample document
    python examples/summarize.py notes/*.md      # your own files
    python examples/summarize.py --model path/to/Llama-3.2-1B-Instruct-Q4_K_M.gguf report.txt

``chunk_text`` is a pure function of the text, the budget and a ``count_tokens`` callable: copy it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CountTokens = Callable[[str], int]

# Break at paragraphs, then sentences, then words; joiners put back what the split removed.
_LEVELS: tuple[tuple[str, str], ...] = ((r"\n\s*\n", "\n\n"), (r"(?<=[.!?;:])\s+", " "), (r"\s+", " "))


def _hard_split(text: str, max_tokens: int, count_tokens: CountTokens) -> list[str]:
    # A single "word" longer than the budget (a URL, a base64 blob): cut it by characters, taking
    # the longest prefix that fits (binary search keeps the tokenizer calls logarithmic).
    chunks = []
    while text:
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if count_tokens(text[:mid]) <= max_tokens else (lo, mid - 1)
        chunks.append(text[:lo])
        text = text[lo:]
    return chunks


def _pack(text: str, level: int, max_tokens: int, count_tokens: CountTokens) -> list[str]:
    if level == len(_LEVELS):
        return _hard_split(text, max_tokens, count_tokens)
    pattern, joiner = _LEVELS[level]
    chunks: list[str] = []
    current = ""
    for piece in (p.strip() for p in re.split(pattern, text)):
        if not piece:
            continue
        if count_tokens(piece) > max_tokens:  # too big even alone: split it at the next level down
            chunks += [current] if current else []
            chunks += _pack(piece, level + 1, max_tokens, count_tokens)
            current = ""
            continue
        candidate = f"{current}{joiner}{piece}" if current else piece
        if count_tokens(candidate) <= max_tokens:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    return chunks + ([current] if current else [])


def chunk_text(text: str, *, max_tokens: int, count_tokens: CountTokens) -> list[str]:
    """Split ``text`` into chunks of at most ``max_tokens`` tokens each, as counted by ``count_tokens``.

    Prefers paragraph breaks, then sentence ends, then spaces; every word is kept, in order.

    Example::

        >>> words = lambda s: len(s.split())
        >>> chunk_text("One two three.\\n\\nFour five.", max_tokens=3, count_tokens=words)
        ['One two three.', 'Four five.']
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1 (got {max_tokens})")
    text = text.strip()
    if not text:
        return []
    if count_tokens(text) <= max_tokens:
        return [text]
    return _pack(text, 0, max_tokens, count_tokens)


@dataclass(frozen=True, kw_only=True)
class Summary:
    """A document's final summary and the chunk summaries it was reduced from."""

    source: str
    summary: str
    chunk_summaries: list[str] = field(default_factory=list)
    chunks: int = 0


MAP_PROMPT = "Summarize this part of a document in two sentences:\n\n{text}"
REDUCE_PROMPT = (
    "These are summaries of consecutive parts of one document. Write one short summary of the whole:\n\n{text}"
)


def summarize_text(
    text: str,
    ask: Callable[[str], str],
    *,
    count_tokens: CountTokens,
    chunk_tokens: int = 384,
    source: str = "text",
    max_rounds: int = 3,
) -> Summary:
    """Map-reduce ``text`` with ``ask(prompt) -> answer`` (e.g. an agent's run); pure apart from ``ask``.

    The reduce prompts carry the pipeline's own chunk summaries, so they are marked ``trusted``: the
    guards' injection detectors skip them (PII redaction still runs). The document chunks are not.
    """
    from corral.guards.provenance import trusted

    chunks = chunk_text(text, max_tokens=chunk_tokens, count_tokens=count_tokens)
    partials = [ask(MAP_PROMPT.format(text=chunk)) for chunk in chunks]
    layer = partials
    for _ in range(max_rounds):  # reduce until one summary remains (bounded: tiny models ramble)
        if len(layer) == 1:
            break
        groups = chunk_text("\n\n".join(layer), max_tokens=chunk_tokens, count_tokens=count_tokens)
        layer = [ask(trusted(REDUCE_PROMPT.format(text=group), source="summaries")) for group in groups]
    return Summary(source=source, summary=" ".join(layer), chunk_summaries=partials, chunks=len(chunks))


SAMPLE = """\
The harbour town of Elmsby grew up around a single stone quay built in the fourteenth century. \
Fishing boats landed herring there, and a weekly market sold salt, rope and barrels to the crews. \
By the sixteenth century the quay had been doubled in length and a customs house stood beside it.

In the eighteenth century the town turned to shipbuilding. Three yards launched coastal traders and, \
later, whalers that sailed north each spring. Timber came by river from inland forests, and iron \
fittings were forged in workshops along the harbour lane. The population tripled in fifty years.

The railway arrived in 1849 and changed everything again. Fresh fish could reach the cities overnight, \
so the fleet grew while the shipyards, unable to compete with iron hulls built elsewhere, closed one \
by one. The last yard shut in 1882 and its slipway became a lifeboat station.

Today Elmsby lives mostly from visitors. The customs house is a museum of the herring trade, the old \
rope walk holds craft studios, and the lifeboat station still launches about forty times a year. \
A small fleet of inshore boats lands crab and lobster on the same quay where the town began.
"""


def token_counter(backend) -> CountTokens:  # noqa: ANN001 - a corral LlamaCppBackend
    """``count_tokens`` with the model's own tokenizer (llama.cpp's, through the embedded backend)."""
    return lambda text: len(backend.tokenize(text))


def build(model: str | None, max_tokens: int):  # noqa: ANN201
    """The summarizing agent (no tools: a plain instruction follower) and its backend."""
    from corral import LlamaCppBackend
    from corral.backends.model_files import resolve_model

    resolved = resolve_model(model)
    if resolved.is_tiny_stand_in:
        print("note: using the tiny offline stand-in model (SmolLM2-135M); summaries will be rough", file=sys.stderr)
    backend = LlamaCppBackend(resolved.path, n_ctx=2048)
    return make_agent(backend, max_tokens), backend


def make_agent(backend, max_tokens: int):  # noqa: ANN001, ANN201 - any corral backend
    """The summarizer on ``backend``: no tools, the default guard chain."""
    from corral import Agent

    return Agent(backend, system="You write short, faithful summaries.", max_turns=1, max_tokens=max_tokens)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="text/markdown files (default: a generated sample)")
    parser.add_argument("--model", help="GGUF path or hf: reference (default: corral's resolution order)")
    parser.add_argument("--chunk-tokens", type=int, default=160, help="tokens per chunk (model tokenizer)")
    parser.add_argument("--max-tokens", type=int, default=48, help="tokens per summary")
    args = parser.parse_args(argv)
    agent, backend = build(args.model, args.max_tokens)
    count = token_counter(backend)
    docs = [(str(p), p.read_text(encoding="utf-8")) for p in args.files] or [("sample: Elmsby", SAMPLE)]
    for source, text in docs:  # a batch over many files: one summary each
        result = summarize_text(
            text,
            lambda prompt: str(agent.run(prompt).output or ""),
            count_tokens=count,
            chunk_tokens=args.chunk_tokens,
            source=source,
        )
        print(f"== {source}: {count(text)} tokens, {result.chunks} chunk(s)")
        for i, partial in enumerate(result.chunk_summaries, 1):
            print(f"  chunk {i}: {partial.strip()}")
        print(f"  summary: {result.summary.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
