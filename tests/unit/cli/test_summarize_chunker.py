"""The summarize example's chunker: a pure function of text, budget and a token counter."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "summarize.py"
_spec = importlib.util.spec_from_file_location("corral_example_summarize", EXAMPLE)
summarize = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = summarize  # dataclasses look their module up while the class is built
_spec.loader.exec_module(summarize)
chunk_text = summarize.chunk_text


def words(text: str) -> int:
    return len(text.split())


def chars(text: str) -> int:  # a tokenizer whose counts are not additive over spaces
    return len(text)


def test_short_text_is_one_chunk():
    assert chunk_text("  a b c  ", max_tokens=5, count_tokens=words) == ["a b c"]
    assert chunk_text("   ", max_tokens=5, count_tokens=words) == []


def test_paragraphs_are_kept_whole_when_they_fit():
    text = "a b c.\n\nd e.\n\nf g h i."
    assert chunk_text(text, max_tokens=5, count_tokens=words) == ["a b c.\n\nd e.", "f g h i."]


def test_long_paragraph_breaks_at_sentences_then_words():
    text = "One two three. Four five six seven eight nine ten eleven. Twelve."
    chunks = chunk_text(text, max_tokens=4, count_tokens=words)
    assert chunks[0] == "One two three."
    assert all(words(c) <= 4 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_word_longer_than_the_budget_is_cut_by_characters():
    chunks = chunk_text("ok " + "x" * 25, max_tokens=10, count_tokens=chars)
    assert chunks == ["ok", "x" * 10, "x" * 10, "x" * 5]


def test_budget_must_be_positive():
    with pytest.raises(ValueError, match="max_tokens must be at least 1"):
        chunk_text("a", max_tokens=0, count_tokens=words)


def test_count_tokens_is_the_only_measure_used():
    calls = []

    def counting(text):
        calls.append(text)
        return words(text)

    chunk_text("a b\n\nc d\n\ne f", max_tokens=2, count_tokens=counting)
    assert calls and all(isinstance(c, str) for c in calls)


text_strategy = st.lists(
    st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=12), min_size=1, max_size=12).map(" ".join),
    min_size=1,
    max_size=8,
).map(lambda sentences: "\n\n".join(s + "." for s in sentences))


@settings(max_examples=200, deadline=None)
@given(text=text_strategy, budget=st.integers(min_value=1, max_value=20))
def test_every_chunk_fits_and_no_word_is_lost_or_reordered(text, budget):
    for count in (words, chars):
        if count is chars and budget < 2:
            continue
        chunks = chunk_text(text, max_tokens=budget, count_tokens=count)
        assert all(count(c) <= budget for c in chunks)
        assert all(c == c.strip() and c for c in chunks)
        if count is words:
            assert " ".join(chunks).split() == text.split()
        else:
            assert re.sub(r"\s+", "", "".join(chunks)) == re.sub(r"\s+", "", text)


def test_map_reduce_asks_once_per_chunk_then_reduces_to_one_summary():
    asked = []

    def ask(prompt):
        asked.append(prompt)
        return f"s{len(asked)}"

    text = "\n\n".join(f"para {i} " + "w " * 8 for i in range(6))
    result = summarize.summarize_text(text, ask, count_tokens=words, chunk_tokens=12)
    assert result.chunks == 6 and result.chunk_summaries == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert asked[6].startswith("These are summaries") and "s1\n\ns2" in asked[6]
    assert result.summary == f"s{len(asked)}"
