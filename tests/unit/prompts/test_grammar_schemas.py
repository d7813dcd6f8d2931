"""Schema keywords real tools use beyond BFCL's: $ref, allOf, maps, lower bounds.

Each was "any JSON value" in the grammar before, so the tiny model could write a call that does not
validate: ``{"a": {"x": 1.5}}`` for a ``$ref``'d point that needs x and y, the schema itself as the
value of a ``dict[str, int]``.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.prompts.gbnf import validate_grammar
from corral.prompts.grammar import build_grammar, tool_grammar

POINT = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}
NODE = {
    "type": "object",
    "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    "required": ["v"],
}


def spec(params: dict) -> dict:
    return {"type": "function", "function": {"name": "f", "parameters": params}}


def call(args: object) -> str:
    return '{"name": "f", "parameters": ' + json.dumps(args) + "}"


def check(accepts, params: dict, good: list, bad: list) -> None:
    """The grammar accepts each good value and refuses each bad one, and jsonschema agrees."""
    grammar = build_grammar([spec(params)], flavor="json", text=False)
    validator = jsonschema.Draft202012Validator(params)
    for args in good:
        assert validator.is_valid(args), args
        assert accepts(grammar, call(args)), args
    for args in bad:
        assert not validator.is_valid(args), args
        assert not accepts(grammar, call(args)), args


def test_local_refs_hold_the_target_schema(accepts):
    params = {"type": "object", "$defs": {"Pt": POINT}, "properties": {"a": {"$ref": "#/$defs/Pt"}}, "required": ["a"]}
    check(accepts, params, good=[{"a": {"x": 1, "y": 2.5}}], bad=[{"a": {"x": 1.5}}, {"a": "here"}])
    # The draft-07 spelling, and a pointer with an escaped "/" in the name.
    params = {"type": "object", "definitions": {"a/b": POINT}, "properties": {"a": {"$ref": "#/definitions/a~1b"}}}
    check(accepts, params, good=[{"a": {"x": 0, "y": 0}}], bad=[{"a": {"y": 0}}])


def test_a_recursive_ref_is_a_recursive_rule(accepts):
    params = {
        "type": "object",
        "$defs": {"Node": NODE},
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
    }
    tree = {"root": {"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": [{"v": 4}]}]}}
    check(accepts, params, good=[tree, {"root": {"v": 0}}], bad=[{"root": {"v": 1, "kids": [{"kids": []}]}}])


@pytest.mark.parametrize(
    "defs",
    [
        {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},  # a cycle of bare refs
        {"A": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "string"}]}},  # a branch that is itself
        {"A": {"allOf": [{"$ref": "#/$defs/A"}]}},
        {
            "A": {"type": "object", "anyOf": [{"$ref": "#/$defs/A"}, {"type": "object"}]}
        },  # typed, yet a branch is itself
        {"A": {"$ref": "https://example.com/remote.json"}},  # never fetched
        {"A": {"$ref": "#/$defs/missing"}},
    ],
)
def test_odd_refs_still_make_a_valid_grammar(accepts, defs):
    params = {"type": "object", "$defs": defs, "properties": {"a": {"$ref": "#/$defs/A"}}, "required": ["a"]}
    for flavor in ("json", "pythonic"):
        validate_grammar(build_grammar([spec(params)], flavor=flavor, text=False))
        validate_grammar(tool_grammar(spec(params), flavor=flavor))
    assert accepts(build_grammar([spec(params)], flavor="json", text=False), call({"a": "x"}))


def test_a_schema_that_unfolds_without_end_still_builds():
    # The root twice in an allOf: each level doubles, so only the depth and size budgets end it.
    defs = {"A": {"anyOf": [{"allOf": [{"$ref": "#"}, {"$ref": "#"}]}]}}
    params = {"type": "object", "$defs": defs, "properties": {"a": {"$ref": "#/$defs/A"}}, "required": ["a"]}
    for flavor in ("json", "pythonic"):
        validate_grammar(build_grammar([spec(params)], flavor=flavor, text=False))


def test_all_of_is_merged(accepts):
    params = {
        "type": "object",
        "properties": {"n": {"allOf": [{"type": "integer"}, {"minimum": 3}]}},
        "required": ["n"],
    }
    check(accepts, params, good=[{"n": 5}], bad=[{"n": -5}, {"n": "5"}, {"n": 1.5}])
    # Objects joined from two parts (pydantic's inheritance, OpenAPI's composition), one by $ref.
    named = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    params = {
        "type": "object",
        "$defs": {"Named": named},
        "properties": {"who": {"allOf": [{"$ref": "#/$defs/Named"}, {"properties": {"age": {"type": "integer"}}}]}},
        "required": ["who"],
    }
    check(
        accepts, params, good=[{"who": {"name": "Ann", "age": 3}}, {"who": {"name": "Ann"}}], bad=[{"who": {"age": 3}}]
    )


def test_all_of_that_disagrees_falls_back_to_any_value(accepts):
    params = {"type": "object", "properties": {"n": {"allOf": [{"type": "integer"}, {"type": "string"}]}}}
    assert accepts(build_grammar([spec(params)], flavor="json", text=False), call({"n": [1, "two"]}))


def test_a_map_holds_every_value_to_its_schema(accepts):
    params = {
        "type": "object",
        "properties": {"tags": {"type": "object", "additionalProperties": {"type": "integer"}}},
        "required": ["tags"],
    }
    check(
        accepts,
        params,
        good=[{"tags": {}}, {"tags": {"red": 1, "blue": 2}}],
        bad=[{"tags": {"red": "1"}}, {"tags": {"type": "object", "additionalProperties": {"type": "string"}}}],
    )


def test_lower_bounds(accepts):
    params = {
        "type": "object",
        "properties": {
            "xs": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 1, "maxItems": 2},
            "qty": {"type": "integer", "exclusiveMinimum": 0},
            "days": {"type": "integer", "minimum": 1},
            "price": {"type": "number", "minimum": 0},
        },
        "required": ["xs", "qty", "days", "price"],
    }
    ok = {"xs": ["ab"], "qty": 1, "days": 7, "price": 0.5}
    check(
        accepts,
        params,
        good=[ok, {**ok, "xs": ["ab", "cde"], "price": 0}],
        bad=[{**ok, "xs": []}, {**ok, "xs": ["a"]}, {**ok, "xs": ["ab"] * 3}, {**ok, "qty": 0}, {**ok, "days": -1},
             {**ok, "price": -0.5}],
    )  # fmt: skip


def test_bounds_the_grammar_cannot_spell_leave_it_loose(accepts):
    # minItems above maxItems (nothing is valid: the validator says so) and a huge minLength.
    params = {
        "type": "object",
        "properties": {"xs": {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 1},
                       "s": {"type": "string", "minLength": 100_000}},
    }  # fmt: skip
    grammar = build_grammar([spec(params)], flavor="json", text=False)
    assert accepts(grammar, call({"xs": [1], "s": "short"}))


def test_pythonic_calls_follow_the_same_schemas(accepts):
    params = {
        "type": "object",
        "$defs": {"Pt": POINT},
        "properties": {
            "a": {"$ref": "#/$defs/Pt"},
            "tags": {"type": "object", "additionalProperties": {"type": "boolean"}},
        },
        "required": ["a", "tags"],
    }
    grammar = build_grammar([spec(params)], flavor="pythonic", text=False)
    assert accepts(grammar, '[f(a={"x": 1, "y": 2}, tags={"hot": True})]')
    assert not accepts(grammar, '[f(a={"x": 1}, tags={"hot": True})]')
    assert not accepts(grammar, '[f(a={"x": 1, "y": 2}, tags={"hot": "yes"})]')


# Any schema a user hands over, however odd, gives a grammar that passes validation (no
# left recursion, no undefined rule): never an exception at run time.
_leaf = st.sampled_from(
    [
        {},
        {"type": "string", "minLength": 3},
        {"type": "integer", "minimum": 1},
        {"type": "number", "exclusiveMinimum": 0},
        {"type": ["string", "null"]},
        {"enum": [1, "a", None]},
        {"const": True},
        {"$ref": "#/$defs/A"},
        {"$ref": "#/$defs/B"},
        {"$ref": "#"},
        {"$ref": "#/nowhere"},
    ]
)
_schemas = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"allOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x, lo, hi: {"type": "array", "items": x, "minItems": lo, "maxItems": hi}, inner,
                  st.integers(0, 3), st.integers(0, 3)),
        st.builds(lambda x: {"type": "object", "additionalProperties": x}, inner),
        st.builds(lambda props, req: {"type": "object", "properties": props, "required": req},
                  st.dictionaries(st.sampled_from(["a", "b", "c d"]), inner, max_size=3), st.lists(st.just("a"), max_size=1)),
    ),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(a=_schemas, b=_schemas, top=_schemas)
def test_any_schema_makes_a_valid_grammar(a, b, top):
    params = {"type": "object", "$defs": {"A": a, "B": b}, "properties": {"p": top, "q": {"$ref": "#/$defs/A"}}}
    for flavor in ("json", "pythonic"):
        validate_grammar(build_grammar([spec(params)], flavor=flavor, text=False))
        validate_grammar(tool_grammar(spec(params), flavor=flavor))


def test_a_top_level_ref_is_followed(accepts):
    args = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    params = {"$ref": "#/$defs/Args", "$defs": {"Args": args}}
    grammar = build_grammar([spec(params)], flavor="json", text=False)
    assert accepts(grammar, call({"q": "tea"}))
    assert not accepts(grammar, call({}))


def test_the_same_ref_in_two_tools_means_each_tools_own_schema(accepts):
    def tool(name: str, item: dict) -> dict:
        params = {
            "type": "object",
            "$defs": {"Item": item},
            "properties": {"x": {"$ref": "#/$defs/Item"}},
            "required": ["x"],
        }
        return {"type": "function", "function": {"name": name, "parameters": params}}

    number = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    text = {"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}
    grammar = build_grammar([tool("f", number), tool("g", text)], flavor="json", text=False)
    assert accepts(grammar, '{"name": "f", "parameters": {"x": {"n": 1}}}')
    assert accepts(grammar, '{"name": "g", "parameters": {"x": {"s": "a"}}}')
    assert not accepts(grammar, '{"name": "g", "parameters": {"x": {"n": 1}}}')
