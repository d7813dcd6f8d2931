"""The per-turn shortcuts (fast call scanner, value encoders, plain-text detection) change nothing:
each is checked against the slow path it stands in for."""

from __future__ import annotations

import enum
import json

import pytest

from corral.prompts import get_format, parse, pythonic
from corral.prompts.encode import json_value, pythonic_value
from corral.prompts.parsing import split_stop


def _outcome(text: str):
    try:
        return parse(text).tool_calls
    except ValueError as exc:
        return str(exc)


def _both_paths(text: str, monkeypatch) -> tuple[object, object]:
    fast = _outcome(text)
    monkeypatch.setattr(pythonic, "_fast_list", lambda src: None)
    return fast, _outcome(text)


# Python's tokenizer skips only space, tab, newlines and form feed; re's \s has more. The fast
# scanner used to accept these where ast refuses them (the same text then parsed or failed
# depending on the path taken).
@pytest.mark.parametrize("blank", ["\x0b", "\xa0", "\u2003", "\x1c", "\f", "\t", "\r\n"])
@pytest.mark.parametrize(
    "template",
    [
        "[f(a=1{b})]",
        "[f({b}a=1)]",
        "[f(a{b}=1)]",
        "[f(a={b}1)]",
        "[f(a=1){b}, g()]",
        '[f(a="x"{b})]',
        "[f{b}(a=1)]",
        "[{b}f()]",
        "[f(){b}]",
        "[f(){b}]{b}",
    ],
)
def test_blanks_ast_refuses_are_refused_by_the_fast_path_too(blank, template, monkeypatch):
    fast, slow = _both_paths(template.format(b=blank), monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "text",
    [
        "[f(a=01)]",
        "[f(a=-0)]",
        "[f(a=2.5)]",
        "[f(a=1e3)]",
        "[f(a=2E-1)]",
        "[f(a=1_000)]",
        "[f(a=0x1F)]",
        "[f(a=True_)]",
        "[f(a=true)]",
        "[f(a=null, b=false)]",
        "[f(a=None.x)]",
        "[f(a=-True)]",
        "[f(a=- 1)]",
        '[f(a="\x01")]',
        '[f(a="tab\there")]',
        '[f(a="line\nbreak")]',
        '[f(a="q\\"q")]',
        '[f(a="é😀")]',
        '[f(a = "x" , b=3 )]',
        "[f(a=1)]  \n",
        "[f(a=1)] x",
        "[f(a=1)]\xa0",
        "[f(a=1),]",
        "[f(a=1,)]",
        "[f(a=12345678901234567890123)]",
        "[f(a=1)(b=2)]",
        "[f(a=1) g(b=2)]",
        "[f(a=[1, 2])]",
        "[f(a=1]",
    ],
)
def test_simple_argument_values_parse_as_ast_reads_them(text, monkeypatch):
    fast, slow = _both_paths(text, monkeypatch)
    assert fast == slow


def test_simple_values_keep_their_types():
    (call,) = parse('[f(s="x y", i=-0, big=12345678901234567890, n=null, t=True)]').tool_calls
    assert call.arguments == {"s": "x y", "i": 0, "big": 12345678901234567890, "n": None, "t": True}
    assert [type(v) for v in call.arguments.values()] == [str, int, int, type(None), bool]


class _Level(enum.IntEnum):
    HIGH = 3


class _Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        0,
        -7,
        10**30,
        1.5,
        -0.0,
        1e300,
        5e-324,
        'é\u2028\x00"\\/',
        _Text('a"b'),
        _Level.HIGH,
        True,
        None,
        [1, (2.5, "x")],
        {"k": {"n": [None, False]}},
        {1: "int key"},
    ],
)
def test_value_encoders_write_what_json_dumps_writes(value):
    assert json_value(value) == json.dumps(value, ensure_ascii=False, allow_nan=False)
    if not isinstance(value, (bool, type(None), list, tuple, dict)):
        assert pythonic_value(value) == json.dumps(value, ensure_ascii=False)
    assert parse(f"[f(a={pythonic_value(value)})]").tool_calls[0].arguments["a"] == json.loads(json_value(value))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")]])
def test_encoders_still_refuse_non_finite_numbers(value):
    with pytest.raises(ValueError):
        pythonic_value(value)
    with pytest.raises(ValueError):
        json_value(value)


@pytest.mark.parametrize(
    "text, content",
    [
        ("<b>bold</b> text", "<b>bold</b> text"),
        ("`x` is a variable", "`x` is a variable"),
        ("{not json", "{not json"),
        ("[1, 2] are numbers", "[1, 2] are numbers"),
        ("  plain  ", "plain"),
        ("", None),
        ("<|eot_id|>", None),
    ],
)
def test_plain_text_that_starts_like_a_call_stays_content(text, content):
    turn = parse(text)
    assert (turn.content, turn.tool_calls) == (content, [])


def test_a_function_tag_after_text_is_still_found():
    turn = parse('Let me check. <function=f>{"a": 1}</function>')
    assert (turn.content, [c.name for c in turn.tool_calls]) == ("Let me check.", ["f"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a<|eom_id|>b<|eot_id|>", ("a", "end_of_message")),
        ("a<|eot_id|>b<|eom_id|>", ("a", "end_of_turn")),
        ("no stop", ("no stop", None)),
        ("<|eot_id|>", ("", "end_of_turn")),
    ],
)
def test_split_stop_cuts_at_the_first_stop_token(text, expected):
    assert split_stop(text) == expected


@pytest.mark.parametrize("name", ["llama3.2", "llama3.2-json", "llama3.1", "llama3"])
def test_render_turns_is_the_templates_turn_text(name):
    from corral.prompts import Message, ToolCall

    fmt = get_format(name, parallel_calls=True) if name != "llama3.2" else get_format(name)
    msgs = [
        Message(role="user", content=" hi "),
        Message(
            role="assistant",
            tool_calls=[ToolCall(name="f", arguments={"q": 'say "x"'}), ToolCall(name="g", arguments={"n": [1, None]})],
        ),
        Message(role="tool", content=' {"r": 1} '),
        Message(role="tool", content="plain"),
        Message(role="assistant", content="done "),
    ]
    full = fmt.render(msgs, None, date="1 Jan 2025")
    head = fmt.render(msgs[:0], None, add_generation_prompt=False, date="1 Jan 2025")
    assert full == head + fmt.render_turns(msgs) + fmt.generation_prompt
