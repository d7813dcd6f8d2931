"""Optional arguments the question asks for are named, with the values it says; nothing else is."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.prompts.asked import asked_for
from corral.prompts.decide import rest_requiring
from corral.prompts.gbnf import validate_grammar

WEATHER = {
    "type": "object",
    "required": ["city"],
    "properties": {
        "city": {"type": "string", "description": "The city, e.g. 'Boston'."},
        "days": {"type": "integer", "description": "How many days ahead."},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "fields": {"type": "array", "items": {"type": "string", "enum": ["rain", "wind", "humidity", "uv index"]}},
        "include_alerts": {"type": "boolean"},
        "station": {"type": "object", "description": "The station to read."},
    },
}


@pytest.mark.parametrize(
    ("question", "written", "expected"),
    [
        # a value of the enum, said in the question: fixed to the enum's own spelling
        ("Weather in Oslo in Fahrenheit?", {"city": "Oslo"}, {"unit": {"const": "fahrenheit"}}),
        # written with a value the question does not say, where it says another: the question's
        ("Weather in Oslo in Fahrenheit?", {"city": "Oslo", "unit": "celsius"}, {"unit": {"const": "fahrenheit"}}),
        # list items the question says, in its order; not every value of the enum
        ("UV index and rain for Oslo", {"city": "Oslo"}, {"fields": {"const": ["uv index", "rain"]}}),
        # named by its content words: the model writes the value ("days" is not generic) ...
        ("Oslo weather, several days ahead", {"city": "Oslo"}, {"days": None}),
        # ... unless the question writes the number just before the name
        ("Oslo weather for the next three days", {"city": "Oslo"}, {"days": {"const": 3}}),
        # a boolean named by the question is true, also over a written false
        ("Oslo weather with alerts", {"city": "Oslo", "include_alerts": False}, {"include_alerts": {"const": True}}),
        ("Oslo weather, alerts included", {"city": "Oslo"}, {"include_alerts": {"const": True}}),
    ],
)
def test_what_the_question_asks_for_is_named(question, written, expected):
    assert asked_for(written, WEATHER, question) == expected


@pytest.mark.parametrize(
    ("question", "written"),
    [
        ("Weather in Oslo?", {"city": "Oslo"}),  # nothing asked
        ("Weather in Oslo in Fahrenheit?", {"city": "Oslo", "unit": "fahrenheit"}),  # written as said
        ("Weather in Oslo, hourly?", {"city": "Oslo", "unit": "kelvin"}),  # no value said: grounding's to judge
        ("Oslo weather without alerts", {"city": "Oslo"}),  # negated
        ("Oslo weather, but don't show alerts", {"city": "Oslo"}),
        ("Oslo weather with alerts", {"city": "Oslo", "include_alerts": True}),  # already true
        ("Rain in Oslo", {"city": "Rain Oslo"}),  # "rain" is a written argument's value: the copy
        ("Weather from the Oslo station", {"city": "Oslo"}),  # an object: a question's words are not its value
        ("Weather in Boston?", {"city": "Boston"}),  # a required parameter's example is not a value to fix
    ],
)
def test_nothing_is_named_without_the_questions_words(question, written):
    assert asked_for(written, WEATHER, question) == {}


def test_a_quoted_value_the_schema_refuses_is_left_to_the_model():
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "maxLength": 2, "description": "Airport code, e.g. 'LHR'."}},
    }
    assert asked_for({}, schema, "Flights from LHR, any code") == {"code": None}


def test_generic_name_words_alone_ask_for_nothing():
    schema = {"type": "object", "properties": {"max_count": {"type": "integer"}, "type": {"type": "string"}}}
    assert asked_for({}, schema, "Give me the max count of each type") == {}


def test_a_stem_matches_a_plural():
    schema = {"type": "object", "properties": {"num_tickets": {"type": "integer"}}}
    assert asked_for({}, schema, "Book tickets for Friday") == {"num_tickets": None}
    assert asked_for({}, schema, "Book a ticket") == {"num_tickets": None}


@pytest.mark.parametrize(
    ("question", "written", "expected"),
    [
        ("Book three tickets", {}, {"const": 3}),
        ("Book 2 tickets", {"num_tickets": 1}, {"const": 2}),  # over the description's default
        ("Invest with a $5,000 initial deposit", {}, {"const": 5000}),  # one number, not "000"
        ("Forecast for the next 2.5 days", {}, {"const": 2.5}),
    ],
)
def test_a_number_just_before_the_name_is_its_value(question, written, expected):
    schema = {
        "type": "object",
        "properties": {
            "num_tickets": {"type": "integer"},
            "initial_deposit": {"type": "integer"},
            "days": {"type": "number"},
        },
    }
    got = asked_for(written, schema, question)
    assert list(got.values()) == [expected]


@pytest.mark.parametrize(
    "question",
    [
        "Book 2 tickets",  # written as said
        "Invest $5 thousand as the initial deposit",  # a scale word: the model's (and the number steering's)
        "A 4% initial deposit",  # a percentage may be 4 or 0.04
    ],
)
def test_a_number_that_is_not_plainly_the_value_is_left_to_the_model(question):
    schema = {
        "type": "object",
        "properties": {"num_tickets": {"type": "integer"}, "initial_deposit": {"type": "number"}},
    }
    got = asked_for({"num_tickets": 2}, schema, question)
    assert all(v is None for v in got.values())


def test_bad_input_asks_for_nothing():
    assert asked_for({}, None, "anything") == {}
    assert asked_for({}, {"type": "object", "properties": "x"}, "anything") == {}
    assert asked_for({}, WEATHER, "") == {}


@pytest.mark.parametrize("flavor", ["json", "pythonic"])
def test_the_rewritten_grammar_requires_and_fixes_what_was_asked(flavor):
    function = {"name": "weather", "parameters": WEATHER}
    asked = asked_for({"city": "Oslo"}, WEATHER, "Oslo weather in Fahrenheit, with alerts, for some days")
    assert asked == {"days": None, "unit": {"const": "fahrenheit"}, "include_alerts": {"const": True}}
    grammar = rest_requiring(function, asked, flavor)
    validate_grammar(grammar)
    # the fixed values are literals of the grammar; the days are the model's, as an integer
    assert ("fahrenheit" in grammar) and ("true" in grammar if flavor == "json" else "True" in grammar)
    # the function's own schema is not changed, and a call the new grammar allows still meets it
    assert WEATHER["required"] == ["city"] and WEATHER["properties"]["unit"] == {
        "type": "string",
        "enum": ["celsius", "fahrenheit"],
    }
    jsonschema.validate({"city": "Oslo", "days": 3, "unit": "fahrenheit", "include_alerts": True}, WEATHER)


def test_a_type_list_reads_as_its_value_type():
    schema = {"type": "object", "properties": {"unit": {"type": ["string", "null"], "enum": ["celsius", None]}}}
    assert asked_for({}, schema, "in celsius please") == {"unit": {"const": "celsius"}}


_VALUES = st.sampled_from(
    ["celsius", "fahrenheit", "uv index", "rain", "LHR", "e4", "night trains", "5", "2.5", "three"]
)


@settings(max_examples=200, deadline=None)
@given(
    question=st.lists(
        st.tuples(st.one_of(_VALUES, st.sampled_from(["no", "without"])), st.sampled_from(["days", "alerts", "x"])).map(
            " ".join
        ),
        max_size=4,
    ),
    written=st.dictionaries(st.sampled_from(list(WEATHER["properties"])), st.sampled_from(["rain", 3, False, True])),
)
def test_every_fixed_value_meets_its_parameters_schema(question, written):
    """Whatever the question says, a value the rewrite fixes is one the parameter's schema accepts,
    and only optional parameters are asked for."""
    for name, fixed in asked_for(written, WEATHER, " ".join(question)).items():
        assert name not in WEATHER["required"]
        for value in (fixed or {}).get("enum", [(fixed or {}).get("const")] if fixed else []):
            jsonschema.validate(value, WEATHER["properties"][name])
