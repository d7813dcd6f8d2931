"""One retry budget: parse errors, tool mistakes and invalid answers all draw on ``max_retries``."""

from __future__ import annotations


def test_parse_errors_and_tool_mistakes_share_one_budget(make_agent):
    # parse error, unknown tool, parse error: three consecutive mistakes, budget 2 -> stop.
    agent, backend = make_agent(["[add(a=]", '[serch(q="x")]', "[add(a=]"], max_retries=2)
    result = agent.run("1+2")
    backend.assert_all_used()
    assert result.stop_reason == "retries_exhausted"
    assert "3 consecutive mistakes" in result.stop_message and "last one (parse_error)" in result.stop_message


def test_tool_mistakes_alone_exhaust_the_budget_and_name_their_kind(make_agent):
    agent, backend = make_agent(['[serch(q="x")]', '[serch(q="y")]'], max_retries=1)
    result = agent.run("search")
    backend.assert_all_used()
    assert result.stop_reason == "retries_exhausted"
    assert "last one (unknown_tool)" in result.stop_message and "Unknown tool 'serch'" in result.stop_message


def test_each_mistake_is_one_correction_event_counting_down(make_agent):
    agent, _ = make_agent(["[add(a=]", '[serch(q="x")]', "done"], max_retries=3)
    corrections = [e for e in agent.stream("1+2") if type(e).__name__ == "Correction"]
    assert [(c.kind, c.retries_left) for c in corrections] == [("parse_error", 2), ("unknown_tool", 1)]
