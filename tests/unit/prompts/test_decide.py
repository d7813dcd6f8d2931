"""The auto decision's pure parts: the rule, the "another call" rule, and the annotated grammar."""

from __future__ import annotations

import pickle

import pytest

from corral.prompts import ToolCall, get_format, validate_grammar
from corral.prompts.decide import CallGrammar, DecisionGrammar, decide, decision_grammar, more_calls, text_allowed

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}
PING = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}}


def test_the_best_tool_is_called_when_it_clears_the_margin():
    policy = _raw(margin=-10.0)
    assert decide(-2.0, {"a": -20.0, "b": -11.0}, policy) == decide(-2.0, {"b": -11.0, "a": -20.0}, policy)
    made = decide(-2.0, {"a": -20.0, "b": -11.0}, policy)
    assert (made.kind, made.tool, made.margin) == ("call", "b", -9.0)


def test_text_wins_below_the_margin_and_without_tools():
    assert decide(-2.0, {"a": -12.5}, _raw(margin=-10.0)).kind == "text"
    assert decide(-2.0, {}, _raw(margin=-1e9)).kind == "text"


def test_a_model_that_prefers_the_call_itself_is_never_overridden():
    # A real Llama 3.2 putting most of its mass on the call opening: call >= text clears any margin <= 0.
    assert decide(-3.0, {"a": -0.2}, _raw(margin=0.0)).kind == "call"


def test_more_calls_needs_the_margin_and_respects_max_calls():
    policy = _raw(more_margin=-1.0, max_calls=2)
    assert more_calls(-2.0, {"a": -2.5, "b": -9.0}, 1, policy) == "a"
    assert more_calls(-2.0, {"a": -3.5}, 1, policy) is None
    assert more_calls(-2.0, {"a": -0.1}, 2, policy) is None
    assert more_calls(-2.0, {}, 0, policy) is None


@pytest.mark.parametrize(
    "piece, ok",
    [
        ("The", True),
        ("1", True),
        ("{", False),
        ("[", False),
        (" The", False),
        ("\n", False),
        ("<|im_end|>", False),
        ("", False),
        ("a<b", False),
    ],
)
def test_text_allowed_mirrors_the_text_rule(piece, ok):
    assert text_allowed(piece) is ok


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json", "llama3"])
def test_opening_plus_rest_is_exactly_one_canonical_call(fmt_name, accepts):
    fmt = get_format(fmt_name)
    g = decision_grammar(fmt.grammar([WEATHER, PING]), [WEATHER, PING], flavor=fmt.flavor, parallel=True)
    validate_grammar(g.text_grammar)
    call = fmt.encode_calls([ToolCall(name="get_weather", arguments={"city": "Paris", "days": 2})])
    opening = g.openings["get_weather"]
    assert call.startswith(opening)
    body = call[len(opening) :].removesuffix(g.end)
    assert accepts(g.rest["get_weather"], body)
    assert not accepts(g.rest["get_weather"], body[:-1])  # the closer is part of the rest
    assert not accepts(g.rest["get_weather"], body.replace('"Paris"', "2"))  # a schema-invalid value
    assert accepts(g.text_grammar, "Hello there") and not accepts(g.text_grammar, opening)


def test_two_calls_join_with_the_formats_own_separator():
    for fmt_name in ("llama3.2", "llama3.2-json"):
        fmt = get_format(fmt_name, parallel_calls=True) if fmt_name != "llama3.2" else get_format(fmt_name)
        g = decision_grammar(fmt.grammar([PING]), [PING], flavor=fmt.flavor, parallel=True)
        two = fmt.encode_calls([ToolCall(name="ping", arguments={}), ToolCall(name="ping", arguments={})])
        assert two.startswith(g.openings["ping"])
        assert g.separator + g.later["ping"] in two and two.endswith(g.end)


def test_the_decision_grammar_is_the_full_grammar_for_backends_that_cannot_score():
    fmt = get_format("llama3.2")
    full = fmt.grammar([WEATHER])
    g = decision_grammar(full, [WEATHER], flavor=fmt.flavor, parallel=True, policy=_raw(margin=-7.0))
    assert isinstance(g, str) and g == full
    back = pickle.loads(pickle.dumps(g))
    assert isinstance(back, DecisionGrammar) and back == full and back.policy.margin == -7.0
    assert back.rest == g.rest


def test_the_repetition_guard_sees_loops_not_long_prose():
    from corral.backends.deciding import repeating

    assert repeating("x = 1.1.1.0\n" * 12)
    prose = " ".join(f"word{i}" for i in range(200))
    assert not repeating(prose)
    assert not repeating("short")


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json"])
def test_the_opening_ends_with_the_name(fmt_name):
    fmt = get_format(fmt_name)
    g = decision_grammar(fmt.grammar([WEATHER]), [WEATHER], flavor=fmt.flavor, parallel=True)
    assert g.openings["get_weather"].rstrip('"(').endswith("get_weather")
    assert fmt.call_prefix("get_weather").startswith(g.openings["get_weather"])


def test_lexical_prior_and_pmi_move_the_decision_but_never_override_a_preferred_call():
    from corral.prompts.decide import decide

    policy = _raw(margin=-10.0, lexical_weight=8.0, pmi_weight=1.0)
    # raw margin -14: text, unless the question's words point at the tool
    assert decide(-1.0, {"f": -15.0}, policy).kind == "text"
    assert decide(-1.0, {"f": -15.0}, policy, lexical={"f": 0.6}).kind == "call"
    # the question makes the call 5 nats likelier than a neutral question does: call
    assert decide(-1.0, {"f": -15.0}, policy, null=(-1.0, {"f": -20.0})).kind == "call"
    # a call the model itself prefers (raw margin >= 0) stays a call whatever the priors say
    assert decide(-3.0, {"f": -2.0}, policy, null=(-3.0, {"f": -0.5}), lexical={"f": 0.0}).kind == "call"


def test_lexical_prior_can_pick_the_tool():
    from corral.prompts.decide import decide

    policy = _raw(margin=-100.0, pick_lexical=5.0)
    assert decide(-1.0, {"f": -10.0, "g": -12.0}, policy, lexical={"f": 0.0, "g": 0.8}).tool == "g"
    assert decide(-1.0, {"f": -10.0, "g": -12.0}, policy).tool == "f"


def _raw(**changes):
    """The raw-margin rule (no PMI or lexical term) with ``changes``."""
    from dataclasses import replace

    from corral.prompts.decide import RAW_POLICY

    return replace(RAW_POLICY, **changes)


def test_the_default_rule_calls_on_relevance_not_on_the_raw_margin():
    from corral.prompts.decide import DEFAULT_POLICY, decide

    # raw margin -17.6 (the weather question measured on the tiny model): the raw rule said text
    lexical = {"get_weather": 0.67, "convert_currency": 0.0}
    null = (-1.0, {"get_weather": -20.0, "convert_currency": -19.0})
    got = decide(-2.0, {"get_weather": -19.6, "convert_currency": -19.0}, DEFAULT_POLICY, null=null, lexical=lexical)
    assert (got.kind, got.tool) == ("call", "get_weather")
    # no word in common and no lift from the question: text
    assert (
        decide(
            -2.0,
            {"get_weather": -19.6},
            DEFAULT_POLICY,
            null=(-1.0, {"get_weather": -18.0}),
            lexical={"get_weather": 0.0},
        ).kind
        == "text"
    )


def test_a_calls_only_grammar_carries_functions_and_question_through_asking_and_pickle():
    grammar = CallGrammar('root ::= "x"', functions=[{"name": "f"}])
    asked = grammar.asking("Pay $200,000")
    assert asked == grammar and asked.question == "Pay $200,000" and grammar.question is None
    assert asked.asking("Pay $200,000") is asked
    copy = pickle.loads(pickle.dumps(asked))
    assert isinstance(copy, CallGrammar) and copy == asked
    assert (copy.functions, copy.question) == ([{"name": "f"}], "Pay $200,000")
