"""Schema bounds in call grammars: maxItems and maxLength keep a small model from listing forever."""

from __future__ import annotations

from corral.prompts.grammar import build_grammar

SPEC = {
    "type": "function",
    "function": {
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
                "free": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["tags", "free"],
        },
    },
}


def test_max_items_and_max_length_bound_the_grammar(accepts):
    g = build_grammar([SPEC], flavor="json", text=False)
    call = '{"name": "f", "parameters": {"tags": %s, "free": [1, 2, 3, 4, 5]}}'
    assert accepts(g, call % '["abc", "x"]')
    assert accepts(g, call % "[]")
    assert not accepts(g, call % '["a", "b", "c"]')  # three items, maxItems 2
    assert not accepts(g, call % '["abcd"]')  # four characters, maxLength 3


def test_unbounded_and_odd_bounds_stay_unbounded(accepts):
    odd = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {
                "type": "object",
                "properties": {
                    "xs": {"type": "array", "items": {"type": "string", "maxLength": "3"}, "maxItems": True}
                },
            },
        },
    }
    g = build_grammar([odd], flavor="pythonic", text=False)
    assert accepts(g, '[f(xs=["%s", "b", "c", "d"])]' % ("a" * 40))


def test_decimals_and_exponents_are_bounded(accepts):
    # simple_python_14 in the llama3.2 format: x_value=3.00000000000000015556767676... to max_tokens
    spec = {"type": "function", "function": {"name": "f", "parameters": {"type": "object",
        "properties": {"x": {"type": "number"}}, "required": ["x"]}}}  # fmt: skip
    g = build_grammar([spec], flavor="json", text=False)
    call = '{"name": "f", "parameters": {"x": %s}}'
    assert accepts(g, call % repr(0.1 + 0.2)) and accepts(g, call % "1.5e-300") and accepts(g, call % "2.5E+10")
    assert accepts(g, call % ("0." + "1" * 24))
    assert not accepts(g, call % ("0." + "1" * 25))
    assert not accepts(g, call % "1e1234")
