"""Hypothesis fuzz: parse returns an AssistantTurn or raises ToolCallParseError, nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corral.prompts import AssistantTurn, StreamParser, ToolCallParseError, parse

FRAGMENTS = [
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    '"',
    "'",
    "\\",
    "=",
    ",",
    ";",
    ":",
    " ",
    "\n",
    "f",
    "g.h",
    "a=",
    "-",
    "1e-3",
    "True",
    "None",
    "null",
    "<|python_tag|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<function=",
    "</function>",
    ">",
    '"name"',
    '"parameters"',
    '"arguments"',
    "```",
    "json",
    ".call(",
    "**",
    "0x1",
    "\x00",
    "🦙",
    "1e999",
    "NaN",
]
near_valid = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
SYNTAXES = st.sampled_from(["auto", "pythonic", "json", "function_tag", "python_tag"])


def check(text: str, syntax: str) -> None:
    try:
        result = parse(text, syntax=syntax)
    except ToolCallParseError:
        return
    assert isinstance(result, AssistantTurn)


@settings(max_examples=1500, deadline=None)
@given(text=near_valid, syntax=SYNTAXES)
def test_near_valid_text(text, syntax):
    check(text, syntax)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=200), syntax=SYNTAXES)
def test_arbitrary_text(text, syntax):
    check(text, syntax)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["[f(a=", '{"name": "f", "parameters": ', "<function=f>", "<|python_tag|>"]),
    text=st.text(max_size=80),
)
def test_call_openers_followed_by_anything(prefix, text):
    check(prefix + text, "auto")


@settings(max_examples=300, deadline=None)
@given(text=near_valid)
def test_stream_never_raises_before_close(text):
    sp = StreamParser()
    for ch in text:
        assert isinstance(sp.feed(ch), list)
    try:
        turn = sp.close()
    except ToolCallParseError:
        return
    # anything emitted during the stream is a prefix of the final calls
    assert turn.tool_calls[: len(sp.emitted)] == sp.emitted
