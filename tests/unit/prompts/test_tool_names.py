"""MCP-style tool names (hyphens, dots: ``fs.read-file``, ``github.create_issue``) round-trip
through every format's rendering, grammar and parser (issue 17), and the parser takes what the
reference implementations take (issue 13 §5)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.prompts import JinjaFormat, ToolCall, ToolCallParseError, get_format, parse, validate_grammar

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
FORMATS = ["llama3.2", "llama3.2-json", "llama3.1", "llama3", "jinja"]
# Identifier segments joined by "." or "-" (after "-" a segment may start with a digit: "get-2fa").
NAMES = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,5}(?:(?:\.[A-Za-z_]|-[A-Za-z0-9_])[A-Za-z0-9_]{0,5}){0,3}", fullmatch=True
)
MCP_NAMES = [
    "fs.read-file",
    "github.create_issue",
    "create-ticket",
    "get-2fa-code",
    "is-enabled",
    "db.import",
    "a.b.c-d-e",
]


def _format(name: str):
    return JinjaFormat(CHATML, eos_token="<|im_end|>") if name == "jinja" else get_format(name)


def _spec(name: str) -> dict:
    return {
        "name": name,
        "description": "A tool.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["path"],
        },
    }


def _round_trip(fmt_name: str, name: str, accepts) -> None:
    fmt = _format(fmt_name)
    call = ToolCall(name=name, arguments={"path": "a-b(c)", "n": -3})
    text = fmt.encode_calls([call])
    # parser: the model's canonical text gives the call back, name as written
    assert [(c.name, c.arguments) for c in fmt.parse(text).tool_calls] == [(name, call.arguments)]
    # grammar: valid GBNF that lets the model write exactly that call
    grammar = fmt.grammar([_spec(name)])
    validate_grammar(grammar)
    assert accepts(grammar, text)
    assert accepts(fmt.choice_grammar([_spec(name)]), fmt.call_prefix(name))
    # rendering: the tool listing and an earlier call both carry the name unchanged
    prompt = fmt.render(
        [
            {"role": "user", "content": "go"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "content": "done"},
        ],
        [_spec(name)],
        date="1 Jan 2025",
    )
    assert prompt.count(f'"{name}"') >= 1 and text in prompt


@pytest.mark.parametrize("fmt_name", FORMATS)
@pytest.mark.parametrize("name", MCP_NAMES)
def test_mcp_names_round_trip(fmt_name, name, accepts):
    _round_trip(fmt_name, name, accepts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, fmt_name=st.sampled_from(FORMATS))
def test_generated_names_round_trip(name, fmt_name, accepts):
    _round_trip(fmt_name, name, accepts)


@settings(max_examples=150, deadline=None)
@given(
    name=NAMES,
    value=st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    quote=st.sampled_from(["'", '"']),
)
def test_pythonic_names_with_python_literals(name, value, quote):
    # The slow (ast) path: single quotes, tuples and a trailing comma, several calls.
    literal = repr(value) if quote == "'" else json.dumps(value, ensure_ascii=False)  # its escapes are Python's
    text = f"[{name}(s={literal}, t=(1, 2),), ping()]"
    calls = parse(text).tool_calls
    assert [c.name for c in calls] == [name, "ping"]
    assert calls[0].arguments == {"s": value, "t": [1, 2]}


def test_hyphen_reading_never_changes_a_string():
    # "c-d(" inside a string looks like a hyphenated call to the name scan; the string is kept.
    calls = parse("[a-b(x='q c-d(', y=\"e-f(g)\")]").tool_calls
    assert calls[0].name == "a-b" and calls[0].arguments == {"x": "q c-d(", "y": "e-f(g)"}


@pytest.mark.parametrize("text", ["[a-b(x=c-d(y=1))]", "[a-b(x=1), 5]", "[a-b(x=1)] and more"])
def test_hyphenated_names_keep_the_strict_rules(text):
    with pytest.raises(ToolCallParseError):
        parse(text)


# --- honest parsing: call attempts are errors (fed back for a retry), prose stays prose ------


@pytest.mark.parametrize(
    "text, why",
    [
        ('[get_weather{city="Paris"}]', "parentheses, not braces"),
        ('{"parameters": {"city": "Paris"}}', "no tool name"),
        ('{"arguments": {"city": "Paris"}}', "no tool name"),
        ('{"name": null, "parameters": {}}', "no tool name"),
        ("{'name': 'f', 'parameters': {'city': x}}", "not a literal"),
        ('brave_search.call(query="x") is what I would run', "not valid Python"),
    ],
)
def test_call_attempts_are_parse_errors(text, why):
    with pytest.raises(ToolCallParseError, match=why):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "[1] Best umbrellas of 2024",
        "[Note] take an umbrella",
        "[click here](http://x.org)",
        '{"name": "Alice", "age": 3}',
        "{curly} braces in prose",
        "brave_search is a web search tool.",
        "Use wolfram_alpha for maths.",
    ],
)
def test_prose_stays_prose(text):
    turn = parse(text)
    assert turn.content == text and turn.tool_calls == []


@pytest.mark.parametrize(
    "text, name, args",
    [
        ("{'name': 'f', 'parameters': {'q': \"it's\", 'on': True}}", "f", {"q": "it's", "on": True}),
        ("[{'name': 'f', 'arguments': {'a': None}}]", "f", {"a": None}),
        ('{"parameters": {"a": 1}, "name": "f"}', "f", {"a": 1}),
        ("<function=create-ticket>{'title': 'x', 'n': 1}</function>", "create-ticket", {"title": "x", "n": 1}),
        ('brave_search.call(query="Euro 2024")', "brave_search", {"query": "Euro 2024"}),
        ('wolfram_alpha.call(query="2+2")<|eom_id|>', "wolfram_alpha", {"query": "2+2"}),
        ('[create-ticket(title="x")]', "create-ticket", {"title": "x"}),
    ],
)
def test_what_reference_implementations_accept(text, name, args):
    calls = parse(text).tool_calls
    assert [(c.name, c.arguments) for c in calls] == [(name, args)]


def test_single_quoted_value_is_never_rewritten():
    # llama-models swaps every ' for ", which would break "it's"; the text is read as written.
    args = parse("{'name': 'say', 'parameters': {'text': 'He said \"hi\", it\\'s fine'}}").tool_calls[0].arguments
    assert args == {"text": 'He said "hi", it\'s fine'}
