"""Structured output: the answer's call grammar, tool_choice with output_type alone, per-run output_type."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from corral import UsageError


class Place(BaseModel):
    city: str
    country: str


class Person(BaseModel):
    """A person."""

    name: str
    home: Place
    tags: list[str] = Field(max_length=2)


CALL = '[final_result(name="Ann", home={"city": "Oslo", "country": "Norway"}, tags=["ski"])]'
ANN = Person(name="Ann", home=Place(city="Oslo", country="Norway"), tags=["ski"])


@pytest.mark.parametrize("choice", ["required", "final_result", "auto"])
def test_output_type_alone_answers_through_a_call_only_grammar(make_agent, choice):
    agent, backend = make_agent([CALL], tools=[], output_type=Person, tool_choice=choice)
    result = agent.run("Ann from Oslo, Norway, skis.")
    assert result.ok and result.output == ANN
    grammar = backend.requests[0].grammar
    # no prose alternative; the nested model is inlined, so the grammar spells its keys
    assert "final_result(" in grammar and "text ::=" not in grammar
    assert '\\"city\\": ' in grammar and "{0,1}" in grammar  # maxItems=2 bounds the list


def test_with_tools_every_turn_is_a_call_and_tool_choice_none_leaves_only_the_answer(make_agent):
    agent, backend = make_agent(["[add(a=1, b=2)]", CALL], output_type=Person)
    assert agent.run("x").output == ANN
    assert all("add(" in r.grammar and "text ::=" not in r.grammar for r in backend.requests)
    agent, backend = make_agent([CALL], output_type=Person, tool_choice="none")
    assert agent.run("x").ok
    assert "add(" not in backend.requests[0].grammar and "final_result(" in backend.requests[0].grammar


def test_output_type_per_run_leaves_the_agent_alone(make_agent):
    agent, backend = make_agent([CALL, "Just text.", CALL], tools=[])
    assert agent.run("a", output_type=Person).output == ANN
    plain = agent.run("b")
    assert plain.output == "Just text." and backend.requests[1].grammar is None
    assert agent.policy.output_type is None
    assert agent.run("c", output_type=Person).output == ANN
    assert agent._policy(Person) is agent._policy(Person)  # built once per type


def test_without_an_output_type_the_old_refusals_stand(make_agent):
    with pytest.raises(UsageError, match="names no tool"):
        make_agent(["x"], tools=[], tool_choice="final_result")
    with pytest.raises(UsageError, match="at least one tool or an output_type"):
        make_agent(["x"], tools=[], tool_choice="required")


def test_per_run_output_type_must_be_a_model(make_agent):
    agent, _ = make_agent(["x"], tools=[])
    with pytest.raises(UsageError, match="pydantic BaseModel"):
        agent.run("a", output_type=dict)


def test_without_grammar_a_text_answer_is_corrected(make_agent):
    agent, backend = make_agent(["Ann lives in Oslo.", CALL], tools=[], output_type=Person, grammar=False)
    result = agent.run("x")
    assert result.output == ANN and backend.requests[0].grammar is None
    assert "must be structured" in backend.prompts[1]
