"""The loop on the scripted backend: calls, recovery, stop reasons, tool_choice, structured output."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from corral import Correction, UsageError


def test_single_call_then_answer(make_agent):
    agent, backend = make_agent(["[add(a=2, b=3)]", "2 + 3 = 5."])
    result = agent.run("What is 2 + 3?")
    backend.assert_all_used()
    assert result.ok and result.output == "2 + 3 = 5."
    [call] = result.tool_calls
    assert (call.name, call.arguments, call.result, call.status) == ("add", {"a": 2, "b": 3}, "5", "ok")
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "assistant"]
    assert result.messages[2].tool_call_id == result.messages[1].tool_calls[0].id == call.id
    # the second prompt carries the tool's result, rendered by the real format
    assert "5" in backend.prompts[1] and backend.prompts[1].startswith(backend.prompts[0][:50])
    assert result.usage.requests == 2 and len(result.turns) == 2


def test_prompts_grow_append_only(make_agent):
    # KV-cache reuse needs each prompt to extend the previous conversation, not rewrite it.
    agent, backend = make_agent(["[add(a=1, b=1)]", "[add(a=2, b=2)]", "done"])
    agent.run("add twice")
    first, second, third = backend.prompts
    common = lambda a, b: next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))  # noqa: E731
    assert common(second, third) > 0.8 * len(second)
    assert common(first, second) > 0.8 * len(first)


def test_parallel_calls_run_in_one_turn_in_order(make_agent):
    agent, backend = make_agent(['[add(a=1, b=2), lookup(city="Oslo")]', "3, and sunny."])
    result = agent.run("two things")
    assert [(c.name, c.result, c.turn) for c in result.tool_calls] == [
        ("add", "3", 1),
        ("lookup", "Sunny in Oslo, 21 C", 1),
    ]
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "tool", "assistant"]


def test_parse_error_goes_back_to_the_model(make_agent):
    agent, backend = make_agent(["[add(a=1, b=]", "[add(a=1, b=2)]", "3"])
    events = list(agent.stream("1+2"))
    result = events[-1].result
    assert result.ok and result.output == "3"
    corrections = [e for e in events if isinstance(e, Correction)]
    assert [c.kind for c in corrections] == ["parse_error"]
    assert "could not be parsed" in backend.prompts[1] and "add, lookup" in backend.prompts[1]


def test_invalid_arguments_are_corrected(make_agent):
    agent, backend = make_agent(['[add(a="one", b=2)]', "[add(a=1, b=2)]", "3"])
    result = agent.run("1+2")
    bad, good = result.tool_calls
    assert bad.status == "error" and bad.error_kind == "invalid_arguments" and "a" in bad.result
    assert good.result == "3" and result.output == "3"
    assert bad.result in backend.prompts[1]


def test_unknown_tool_message_lists_the_tools(make_agent):
    agent, backend = make_agent(['[serch(q="x")]', "ok"])
    result = agent.run("search")
    assert "Unknown tool 'serch'" in result.tool_calls[0].result
    assert "add" in result.tool_calls[0].result and "lookup" in result.tool_calls[0].result


def test_retry_budget_stops_the_run(make_agent):
    agent, backend = make_agent(["[add(a=]"] * 3, max_retries=2)
    result = agent.run("1+2")
    backend.assert_all_used()
    assert result.stop_reason == "retries_exhausted" and result.output is None
    assert "3 consecutive mistakes" in result.stop_message and "max_retries=2" in result.stop_message
    with pytest.raises(Exception, match="retries_exhausted"):
        result.raise_for_stop()


def test_budget_resets_after_a_good_turn(make_agent):
    texts = ["[add(a=]", "[add(a=1, b=1)]", "[add(a=]", "[add(a=2, b=2)]", "done"]
    agent, backend = make_agent(texts, max_retries=1)
    assert agent.run("go").ok


def test_repeated_identical_call_stops(make_agent):
    agent, backend = make_agent(['[lookup(city="Rome")]'] * 3, max_repeats=3)
    result = agent.run("weather?")
    backend.assert_all_used()
    assert result.stop_reason == "repeated_call"
    assert "3 times in a row" in result.stop_message and "lookup" in result.stop_message
    # the first call ran; the second was answered with a reminder of its result; the third stopped the run
    assert [(c.status, c.error_kind) for c in result.tool_calls] == [("ok", None), ("error", "repeated_call")]
    assert "already called lookup" in backend.prompts[2] and "Sunny in Rome" in result.tool_calls[1].result


def test_max_turns_is_a_stop_reason_not_an_exception(make_agent):
    agent, backend = make_agent(["[add(a=1, b=1)]", "[add(a=2, b=2)]"], max_turns=2)
    result = agent.run("loop")
    assert result.stop_reason == "max_turns" and "max_turns=2" in result.stop_message
    assert not result.ok and len(result.turns) == 2


def test_tool_choice_none_takes_text_and_keeps_the_prompt(make_agent):
    agent, backend = make_agent(["[add(a=1, b=1)]"], tool_choice="none")
    result = agent.run("hi")
    assert result.output == "[add(a=1, b=1)]" and not result.tool_calls
    assert backend.requests[0].grammar is None
    # the tools stay in the prompt, so switching tool_choice mid-conversation keeps the KV prefix
    auto, auto_backend = make_agent(["x"])
    auto.run("hi")
    assert backend.prompts[0] == auto_backend.prompts[0]


def test_tool_choice_required_forces_a_first_call(make_agent):
    agent, backend = make_agent(["I know it.", "[add(a=1, b=1)]", "2"], tool_choice="required")
    result = agent.run("1+1")
    assert result.ok and result.output == "2" and result.tool_calls[0].name == "add"
    assert "You must call one of the tools" in backend.prompts[1]
    # the forced turns ask for the calls-only grammar, the free turn for calls or text
    grammars = [r.grammar for r in backend.requests]
    assert grammars[0] == grammars[1] == agent.format.call_grammar(agent.policy.tool_specs)
    assert grammars[2] == agent.format.grammar(agent.policy.tool_specs)


def test_tool_choice_by_name_offers_only_that_tool_first(make_agent):
    agent, backend = make_agent(['[lookup(city="Oslo")]', "Sunny."], tool_choice="lookup")
    agent.run("weather")
    assert '"lookup"' in backend.prompts[0] and '"add"' not in backend.prompts[0]
    assert '"add"' in backend.prompts[1]


def test_tool_choice_must_name_a_tool(make_agent):
    with pytest.raises(UsageError, match="names no tool"):
        make_agent([], tool_choice="serch")


class Weather(BaseModel):
    """Weather report."""

    city: str
    celsius: float


def test_structured_output_with_validation_retry(make_agent):
    texts = ['[final_result(city="Oslo")]', '[final_result(city="Oslo", celsius=21.5)]']
    agent, backend = make_agent(texts, output_type=Weather)
    result = agent.run("weather in Oslo as data")
    assert result.ok and result.output == Weather(city="Oslo", celsius=21.5)
    assert "final_result" in backend.prompts[0]
    assert "celsius" in backend.prompts[1] and "invalid" in backend.prompts[1]


def test_structured_output_from_plain_json(make_agent):
    agent, _ = make_agent(['```json\n{"city": "Rome", "celsius": 30}\n```'], output_type=Weather)
    assert agent.run("data").output == Weather(city="Rome", celsius=30)


def test_continue_from_previous_result(make_agent):
    agent, backend = make_agent(["[add(a=1, b=1)]", "2", "Still 2."])
    first = agent.run("1+1?")
    second = agent.run("Sure?", history=first)
    assert second.output == "Still 2."
    assert second.messages[: len(first.messages)] == first.messages
    assert [m.role for m in second.new_messages] == ["user", "assistant"]
    assert "1+1?" in backend.prompts[2]


def test_system_prompt_leads_once(make_agent):
    agent, backend = make_agent(["a", "b"], system="You are terse.")
    first = agent.run("hi")
    second = agent.run("again", history=first)
    assert [m.role for m in second.messages].count("system") == 1
    assert "You are terse." in backend.prompts[0]
