"""parse(): every call syntax, the known traps, and typed errors that say where."""

from __future__ import annotations

import pytest

from corral.exceptions import UnknownFormatError
from corral.prompts import AssistantTurn, ToolCall, ToolCallParseError, parse


def calls(text: str, syntax: str = "auto") -> list[tuple[str, dict]]:
    return [(c.name, c.arguments) for c in parse(text, syntax=syntax).tool_calls]


def test_plain_text_is_content():
    turn = parse("The capital of France is Paris.")
    assert turn == AssistantTurn(content="The capital of France is Paris.")


def test_text_mentioning_brackets_or_braces_is_content():
    assert parse("[1] see the footnote").content == "[1] see the footnote"
    assert parse('{"answer": 42}').tool_calls == []
    assert parse('{"name": "Bob", "age": 3}').content == '{"name": "Bob", "age": 3}'


@pytest.mark.parametrize(
    "text, reason",
    [
        ("hi<|eot_id|>", "end_of_turn"),
        ('<|python_tag|>brave_search.call(query="x")<|eom_id|>', "end_of_message"),
        ("hi", None),
    ],
)
def test_stop_reason(text, reason):
    assert parse(text).stop_reason == reason


def test_text_after_stop_token_is_ignored():
    assert parse("done<|eot_id|>[broken(").content == "done"


# --- pythonic traps -------------------------------------------------------------------------


def test_negative_numbers_and_exponent_floats():
    assert calls("[f(a=-3, b=-2.5, c=1e-3, d=+4, e=1E5)]") == [
        ("f", {"a": -3, "b": -2.5, "c": 0.001, "d": 4, "e": 100000.0})
    ]


def test_parenthesis_and_quotes_inside_strings():
    assert calls("""[f(a="x)y", b='it"s', c="[g(z=1)]")]""") == [("f", {"a": "x)y", "b": 'it"s', "c": "[g(z=1)]"})]


def test_escaped_quotes():
    assert calls(r'[f(a="say \"hi\"", b=' + "'don\\'t')]") == [("f", {"a": 'say "hi"', "b": "don't"})]


def test_nested_lists_and_dicts():
    text = '[f(a=[1, [2, 3]], b={"k": {"x": [None, True]}}, c=(1, 2))]'
    assert calls(text) == [("f", {"a": [1, [2, 3]], "b": {"k": {"x": [None, True]}}, "c": [1, 2]})]


def test_python_and_json_constants():
    assert calls("[f(a=True, b=False, c=None, d=true, e=false, f=null)]") == [
        ("f", {"a": True, "b": False, "c": None, "d": True, "e": False, "f": None})
    ]


def test_repeated_keyword_is_rejected_with_position():
    with pytest.raises(ToolCallParseError, match="repeats the argument 'a'") as info:
        parse("[f(a=1, a=2)]")
    assert info.value.position == len("[f(a=1, a=")


def test_pretty_printed_and_newline_led_list():
    text = '\n\n[\n    get_weather(\n        city="Paris",\n    ),\n    ping()\n]\n'
    assert calls(text) == [("get_weather", {"city": "Paris"}), ("ping", {})]


def test_stray_python_tag_before_pythonic_list():
    assert calls("<|python_tag|>[f(a=1)]") == [("f", {"a": 1})]


def test_dotted_names():
    assert calls("[math.factorial(number=5)]") == [("math.factorial", {"number": 5})]


@pytest.mark.parametrize(
    "text, why",
    [
        ("[f(1)]", "positional"),
        ("[f(a=x)]", "not a literal"),
        ("[f(a=1+2)]", "not a literal"),
        ("[f(**k)]", "uses \\*\\*"),
        ("[f(a={1: 2})]", "keys must be quoted strings"),
        ("[f(a=1)] and some words", "unexpected text"),
        ("[f(a=1), g(b=", "never closes"),
        ('[f(a="unterminated)]', "never closes|not valid Python"),
        ("[f(a=1e999)]", "not a JSON value"),
    ],
)
def test_malformed_pythonic(text, why):
    with pytest.raises(ToolCallParseError, match=why):
        parse(text)


# --- JSON traps -----------------------------------------------------------------------------


def test_json_objects_joined_by_semicolons():
    text = '{"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {}};'
    assert calls(text) == [("a", {"x": 1}), ("b", {})]


def test_arguments_instead_of_parameters_and_string_arguments():
    assert calls('{"name": "a", "arguments": {"x": 1}}') == [("a", {"x": 1})]
    assert calls('{"name": "a", "arguments": "{\\"x\\": 1}"}') == [("a", {"x": 1})]


def test_openai_nested_and_list_forms():
    assert calls('[{"type": "function", "function": {"name": "a", "arguments": {}}}]') == [("a", {})]


def test_code_fences_around_json():
    assert calls('```json\n{"name": "a", "parameters": {"q": "x"}}\n```') == [("a", {"q": "x"})]
    assert calls("```\n[f(a=1)]\n```") == [("f", {"a": 1})]


def test_fenced_code_that_is_not_a_call_is_content():
    text = "```python\nprint('hi')\n```"
    assert parse(text).content == text


def test_python_tag_before_json():
    assert calls('<|python_tag|>{"name": "a", "parameters": {"x": "y"}}') == [("a", {"x": "y"})]


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"name": "a", "parameters": {"x": 1,}}', "invalid JSON"),
        ('{"name": "a", "parameters": [1]}', "must be a JSON object"),
        ('{"name": "a", "parameters": {"x": 1, "x": 2}}', "repeated"),
        ('{"name": "a", "parameters": {}} trailing words', "unexpected text"),
        ('{"name": "a", "parameters": {"x": NaN}}', "not valid JSON"),
        ('{"name": "a", "parameters": {"x": 1}', "invalid JSON"),
    ],
)
def test_malformed_json(text, why):
    with pytest.raises(ToolCallParseError, match=why):
        parse(text)


# --- function tags and python_tag -----------------------------------------------------------


def test_text_before_function_tag_is_content():
    turn = parse('Let me look that up. <function=search>{"q": "llama"}</function>')
    assert turn.content == "Let me look that up."
    assert turn.tool_calls == [ToolCall(name="search", arguments={"q": "llama"})]


def test_several_function_tags():
    assert calls('<function=a>{}</function>\n<function=b>{"x": [1]}</function>') == [("a", {}), ("b", {"x": [1]})]


def test_function_tag_errors():
    with pytest.raises(ToolCallParseError, match="expected </function>"):
        parse('<function=a>{"x": 1} oops')
    with pytest.raises(ToolCallParseError, match="no tool name"):
        parse("<function=>{}</function>")


def test_builtin_python_tag_calls_and_code():
    assert calls('<|python_tag|>brave_search.call(query="llama 3.2")') == [("brave_search", {"query": "llama 3.2"})]
    assert calls('<|python_tag|>wolfram_alpha.call(query="2+2"); brave_search.call(query="x")') == [
        ("wolfram_alpha", {"query": "2+2"}),
        ("brave_search", {"query": "x"}),
    ]
    code = "import math\nprint(math.pi)"
    assert calls(f"<|python_tag|>{code}<|eom_id|>") == [("code_interpreter", {"code": code})]


def test_python_tag_syntax_needs_the_tag():
    assert calls("[f(a=1)]", syntax="python_tag") == []
    assert calls("<|python_tag|>f.call(a=1)", syntax="python_tag") == [("f", {"a": 1})]


# --- syntax selection -----------------------------------------------------------------------


def test_syntax_restricts_detection():
    assert calls("[f(a=1)]", syntax="json") == []
    assert calls('{"name": "f", "parameters": {}}', syntax="pythonic") == []
    assert calls("x <function=f>{}</function>", syntax="pythonic") == []
    assert calls("x <function=f>{}</function>", syntax="function_tag") == [("f", {})]


def test_unknown_syntax_is_a_usage_error():
    with pytest.raises(UnknownFormatError):
        parse("x", syntax="xml")


def test_non_string_input_gives_parse_error():
    with pytest.raises(ToolCallParseError):
        parse(None)  # type: ignore[arg-type]


def test_deep_nesting_gives_parse_error_not_recursion_error():
    with pytest.raises(ToolCallParseError):
        parse("[f(a=" + "[" * 5000 + "]" * 5000 + ")]")
    with pytest.raises(ToolCallParseError):
        parse('{"name": "f", "parameters": ' + "[" * 50000 + "]" * 50000 + "}")


def test_parse_error_is_a_value_error_with_text():
    with pytest.raises(ValueError) as info:
        parse("[f(a=1, a=2)]")
    assert info.value.text == "[f(a=1, a=2)]"
