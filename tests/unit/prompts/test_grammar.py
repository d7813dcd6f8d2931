"""Grammars: structural validation, and what the generated grammars accept and refuse."""

from __future__ import annotations

import pytest

from corral.prompts import GrammarError, ToolCall, get_format, validate_grammar

WEATHER = {
    "name": "get_weather",
    "parameters": {
        "type": "dict",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
            "coords": {"type": "tuple", "items": {"type": "float"}},
            "extra": {"type": "dict", "properties": {"verbose": {"type": "boolean"}}},
            "anything": {"type": "any"},
        },
        "required": ["city"],
    },
}
PING = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize(
    "gbnf, why",
    [
        ("", "empty"),
        ("root ::= answer", "never defined"),
        ('answer ::= "x"', "no `root`"),
        ('root ::= "abc', "end of grammar"),
        ("root ::= [abc", "end of grammar"),
        ('root ::= "\\q"', "unknown escape"),
        ('root ::= "\\x4"', "hex digits"),
        ("root ::= [z-a]", "reversed"),
        ('root ::= ("a" | "b"', "expected '\\)'"),
        ('root ::= "a")', "unexpected"),
        ('root ::= | * "a"', "nothing before it"),
        ('root ::= "a"{2,1}', "max is below min"),
        ('root ::= "a"{x}', "bad repetition"),
        ("root ::= []", "empty character class"),
        ('root ::= "a"\nroot ::= "b"', "defined twice"),
        ('root ::= my_rule\nmy_rule ::= "a"', "unexpected '_'"),
        ('root ::= expr\nexpr ::= expr "+" "1" | "1"', "left-recursive"),
        ('root ::= a\na ::= "x"? b\nb ::= a "y"', "left-recursive"),
        ('root ::= "a"\n"b"', "expected a rule name"),
    ],
)
def test_validator_rejects(gbnf, why):
    with pytest.raises(GrammarError, match=why):
        validate_grammar(gbnf)


@pytest.mark.parametrize(
    "gbnf",
    [
        'root ::= "yes" | "no"',
        'root ::= ( "a"\n  | "b" )+ tail{2,5} # comment\ntail ::= [^\\x00-\\x1F"] | "\\u00e9" | .',
        'root ::= "[" item* "]"\nitem ::= [0-9]{1,3} ","?',
        '# leading comment\n\nroot ::=\n  "x" |\n  "y"\n',
        'root ::= list\nlist ::= "[" ( list | "x" ) "]"',
    ],
)
def test_validator_accepts(gbnf):
    validate_grammar(gbnf)


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json", "llama3.1", "llama3"])
def test_grammar_accepts_canonical_calls_and_text(fmt_name, accepts):
    fmt = get_format(fmt_name)
    g = fmt.grammar([WEATHER, PING])
    good = ToolCall(
        name="get_weather",
        arguments={
            "city": 'Pa"ris\n',
            "unit": "celsius",
            "coords": [48.85, -2.3e-05],
            "extra": {"verbose": True},
            "anything": {"nested": [1, None, "x"]},
        },
    )
    assert accepts(g, fmt.encode_calls([good]))
    assert accepts(g, fmt.encode_calls([ToolCall(name="ping")]))
    assert accepts(g, "Paris is sunny today.")
    assert accepts(fmt.call_grammar([WEATHER, PING]), fmt.encode_calls([good]))
    assert not accepts(fmt.call_grammar([WEATHER, PING]), "Paris is sunny today.")


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json"])
@pytest.mark.parametrize(
    "args",
    [
        {},  # missing required city
        {"city": "x", "unit": "kelvin"},  # not in the enum
        {"city": "x", "days": 1.5},  # not an integer
        {"city": "x", "bogus": 1},  # unknown key
        {"city": 3},  # wrong type
        {"days": 2, "city": "x"},  # keys out of schema order (canonical order only)
    ],
)
def test_grammar_refuses_schema_violations(fmt_name, args, accepts):
    fmt = get_format(fmt_name)
    assert not accepts(fmt.grammar([WEATHER]), fmt.encode_calls([ToolCall(name="get_weather", arguments=args)]))


def test_grammar_refuses_unknown_tools_and_text_that_starts_like_a_call(accepts):
    fmt = get_format("llama3.2")
    g = fmt.grammar([PING])
    assert not accepts(g, "[pong()]")
    assert not accepts(g, "[ping(")
    assert not accepts(g, " [ping()]")
    assert not accepts(g, '{"name": "ping"}')
    assert not accepts(g, "Sure <function=ping>{}</function>")


def test_parallel_calls_follow_the_format(accepts):
    two = [ToolCall(name="ping"), ToolCall(name="ping")]
    assert accepts(get_format("llama3.2").grammar([PING]), get_format("llama3.2").encode_calls(two))
    single = get_format("llama3.2-json")
    assert not accepts(single.grammar([PING]), single.encode_calls(two))
    multi = get_format("llama3.2-json", parallel_calls=True)
    assert accepts(multi.grammar([PING]), multi.encode_calls(two))


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json"])
def test_two_step_grammars_compose_to_a_call(fmt_name, accepts):
    fmt = get_format(fmt_name)
    prefix = fmt.call_prefix("get_weather")
    assert accepts(fmt.choice_grammar([WEATHER, PING]), prefix)
    assert accepts(fmt.choice_grammar([WEATHER, PING]), "Just text.")
    full = fmt.encode_calls([ToolCall(name="get_weather", arguments={"city": "Oslo", "days": 3})])
    assert full.startswith(prefix)
    assert accepts(fmt.grammar_for_tool(WEATHER), full[len(prefix) :])
    assert fmt.parse(full).tool_calls[0].arguments == {"city": "Oslo", "days": 3}


def test_grammars_are_small():
    g = get_format("llama3.2").grammar([WEATHER, PING])
    assert len(g.splitlines()) < 30 and len(g) < 2500


def test_odd_names_and_keys_make_valid_grammars():
    odd = {
        "name": "weird.name_with-chars",
        "parameters": {
            "type": "object",
            "properties": {
                'quote"key': {"type": "string", "enum": ['a"b', "c\\d", "line\nbreak"]},
                "ünï": {"type": ["integer", "null"]},
                "alt": {"anyOf": [{"type": "string"}, {"type": "number"}]},
            },
        },
    }
    for name in ("llama3.2", "llama3.2-json"):
        validate_grammar(get_format(name).grammar([odd]))
