"""Optional arguments without ground in the conversation are dropped; nothing else is."""

from __future__ import annotations

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.prompts.grounding import ground

SCHEMA = {
    "type": "object",
    "required": ["team", "floors"],
    "properties": {
        "team": {"type": "string"},
        "league": {"type": "string"},
        "season": {"type": "integer"},
        "region": {"type": "string"},
        "platform": {"type": "string"},
        "include_stats": {"type": "boolean"},
        "floors": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        "add_ons": {"type": "array", "items": {"type": "string"}},
        "budget": {"type": "object"},
    },
}


def test_invented_optional_values_go_and_grounded_ones_stay():
    question = "Stats for Manchester United in the Premier League on Xbox, floors 2 and 3, with the backstage pass."
    got = ground(
        {
            "team": "Man Utd FC",  # required: kept as written, even without ground
            "league": "premier league",
            "season": 2022,  # no 2022 in the conversation
            "platform": "Xbox",
            "region": "Xbox",  # repeats the platform written before it
            "include_stats": False,  # booleans are the model's call
            "floors": [2, 3],
            "add_ons": ["Backstage Pass", "VIP Seating"],
            "budget": {"min": 1},
        },
        SCHEMA,
        question,
    )
    assert got == {
        "team": "Man Utd FC",
        "league": "premier league",
        "platform": "Xbox",
        "include_stats": False,
        "floors": [2, 3],
        "add_ons": ["Backstage Pass"],
        "budget": {"min": 1},
    }


def test_numbers_are_matched_by_value_and_words_by_stem():
    schema = {
        "type": "object",
        "properties": {"n": {"type": "number"}, "m": {"type": "number"}, "s": {"type": "string"}},
    }
    question = "Budget of $1,250,000 at 4% for the statistics of $2 million."
    assert ground({"n": 1250000, "m": 0.04, "s": "stats"}, schema, question) == {"n": 1250000, "m": 0.04, "s": "stats"}
    assert ground({"n": 2000000, "m": 4}, schema, question) == {"n": 2000000, "m": 4}
    assert ground({"n": 125}, schema, question) == {}


def test_a_required_list_loses_only_repeats_and_never_its_last_item():
    schema = {
        "type": "object",
        "required": ["diet", "ingredients"],
        "properties": {"diet": {"type": "string"}, "ingredients": {"type": "array", "items": {"type": "string"}}},
    }
    q = "A vegetarian pasta with cheese"
    assert ground({"diet": "vegetarian", "ingredients": ["cheese", "pasta", "vegetarian"]}, schema, q) == {
        "diet": "vegetarian",
        "ingredients": ["cheese", "pasta"],
    }
    only = {"diet": "vegetarian", "ingredients": ["vegetarian"]}
    assert ground(only, schema, q) == only


def test_values_from_anywhere_in_the_conversation_count():
    schema = {"type": "object", "properties": {"user_id": {"type": "integer"}, "name": {"type": "string"}}}
    context = 'My name is Ann.\n{"id": 42, "status": "open"}\nShow my open orders.'
    assert ground({"user_id": 42, "name": "Ann"}, schema, context) == {"user_id": 42, "name": "Ann"}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["team", "league", "season", "region", "platform", "include_stats", "floors", "add_ons"]),
        st.one_of(st.text(max_size=12), st.integers(-5, 3000), st.booleans(), st.lists(st.integers(0, 9), max_size=4)),
    ),
    st.text(max_size=60),
)
def test_grounding_never_drops_a_required_argument_or_makes_a_valid_call_invalid(arguments, question):
    arguments = {"team": "A", "floors": [1], **arguments}
    got = ground(arguments, SCHEMA, question)
    assert set(SCHEMA["required"]) <= set(got) and set(got) <= set(arguments)
    if jsonschema.Draft202012Validator(SCHEMA).is_valid(arguments):
        assert jsonschema.Draft202012Validator(SCHEMA).is_valid(got)


def test_numbers_written_as_words_and_a_list_of_every_enum_value_stay():
    schema = {
        "type": "object",
        "properties": {
            "days": {"type": "integer"},
            "floor": {"type": "integer"},
            "details": {"type": "array", "items": {"type": "string", "enum": ["attorneys", "charges", "updates"]}},
        },
    }
    q = "Air quality for the next three days on the third floor, and the case details."
    every = {"days": 3, "floor": 3, "details": ["charges", "attorneys", "updates"]}
    assert ground(every, schema, q) == every
    assert ground({"days": 4, "details": ["charges", "attorneys"]}, schema, q) == {}
