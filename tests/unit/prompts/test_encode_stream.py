"""Encoding round-trips through parse; the streaming parser equals parse and never emits early."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.prompts import StreamParser, ToolCall, ToolCallParseError, encode_calls, parse

SYNTAXES = ("pythonic", "json", "function_tag", "python_tag")
TRICKY = [
    ToolCall(
        name="f",
        arguments={
            "q": 'say "hi") and \\ back',
            "n": -1e-3,
            "big": 10**20,
            "d": {"k": [1, None, True, {"x": "]"}]},
            "e": [],
            "o": {},
        },
    ),
    ToolCall(name="math.g", arguments={}),
    ToolCall(name="h", arguments={"text": "line1\nline2\ttab ünï 🦙", "f": 2.5, "z": 0}),
]


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_encode_round_trips_tricky_values(syntax):
    text = encode_calls(TRICKY, syntax)
    assert parse(text, syntax=syntax).tool_calls == TRICKY
    assert parse(text).tool_calls == TRICKY


def test_meta_style_encoder_would_break_ours_does_not():
    # llama-models writes k="{value}": a quote inside the value ends the string early.
    call = ToolCall(name="f", arguments={"q": 'a "quoted" word', "d": {"k": 1}})
    assert encode_calls([call], "pythonic") == '[f(q="a \\"quoted\\" word", d={"k": 1})]'
    assert parse(encode_calls([call], "pythonic")).tool_calls == [call]


def test_non_finite_numbers_cannot_be_encoded():
    with pytest.raises(ValueError):
        encode_calls([ToolCall(name="f", arguments={"x": float("nan")})], "pythonic")


def stream(text: str, cuts: list[int], syntax: str = "auto") -> tuple[StreamParser, list[list[ToolCall]]]:
    sp, pieces, last = StreamParser(syntax=syntax), [], 0
    for cut in sorted(set(cuts)) + [len(text)]:
        pieces.append(sp.feed(text[last:cut]))
        last = cut
    return sp, pieces


@settings(max_examples=200, deadline=None)
@given(syntax=st.sampled_from(SYNTAXES), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_stream_equals_parse_on_any_split(syntax, cuts):
    text = encode_calls(TRICKY, syntax) + "<|eot_id|>"
    sp, pieces = stream(text, [c for c in cuts if c < len(text)])
    emitted = [c for piece in pieces for c in piece]
    assert sp.close() == parse(text)
    if syntax != "python_tag":  # built-in calls are emitted by close() only
        assert emitted == TRICKY


@pytest.mark.parametrize("syntax", ["pythonic", "json", "function_tag"])
def test_each_call_is_emitted_once_it_is_complete_and_not_before(syntax):
    text = encode_calls(TRICKY, syntax)
    sp = StreamParser()
    seen = []
    for i, ch in enumerate(text):
        new = sp.feed(ch)
        seen.extend(new)
        prefix = text[: i + 1]
        # never more calls than a complete parse of the text so far could justify
        assert len(seen) <= sum(
            1 for k in range(len(TRICKY)) if encode_calls(TRICKY[: k + 1], syntax).rstrip("]") in prefix + "]"
        )
    assert seen == TRICKY


@pytest.mark.parametrize(
    "text",
    [
        '[f(a=1), g(b="x)y", c=',
        '{"name": "f", "parameters": {"a": 1}}; {"name": "g", "parameters": {"b": ',
        '<function=f>{"a": 1}</function><function=g>{"b": "</function>',
        '[f(a=1), g(b="unfinished',
    ],
)
def test_stream_cut_mid_call_emits_only_complete_calls(text):
    sp = StreamParser()
    emitted = [c for ch in text for c in sp.feed(ch)]
    assert [c.name for c in emitted] == ["f"]
    with pytest.raises(ToolCallParseError):
        sp.close()


def test_stream_of_plain_text_emits_nothing():
    sp = StreamParser()
    assert [c for ch in "Hello (there) {friend}]>" for c in sp.feed(ch)] == []
    assert sp.close().content == "Hello (there) {friend}]>"
