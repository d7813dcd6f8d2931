"""Transcripts (written per event, read back, resumed) and the four guard stages with a test guard."""

from __future__ import annotations

import json

import pytest

from corral import load_transcript
from corral.guards.chain import GuardChain


def test_transcript_has_one_flushed_line_per_event(make_agent, tmp_path):
    path = tmp_path / "t.jsonl"
    agent, _ = make_agent(["[add(a=1, b=2)]", "3"])
    sizes = []
    agent.run("1+2", transcript=path, hooks=[lambda e: sizes.append(path.stat().st_size if path.exists() else 0)])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["type"] for line in lines][0] == "run_started" and lines[-1]["type"] == "run_finished"
    assert lines[-1]["output"] == "3" and lines[-1]["usage"]["requests"] == 2
    # hooks run before the writer: by each event, every earlier event is already on disk
    assert sizes == sorted(sizes) and sizes[-1] > 0
    assert "prompt" not in next(line for line in lines if line["type"] == "prompt_rendered")


def test_load_transcript_and_continue(make_agent, tmp_path):
    path = tmp_path / "chat.jsonl"
    agent, backend = make_agent(["[add(a=1, b=2)]", "3", "Yes, 3."])
    first = agent.run("1+2", transcript=path)
    restored = load_transcript(path)
    assert restored.messages == first.messages and restored.output == "3"
    assert [c.result for c in restored.tool_calls] == ["3"]
    second = agent.run("Sure?", history=restored, transcript=path)
    assert second.output == "Yes, 3." and "1+2" in backend.prompts[2]
    assert load_transcript(path).messages == second.messages  # the last run in the file wins


def test_interrupted_run_resumes_its_pending_call(make_agent, tmp_path):
    path = tmp_path / "crash.jsonl"
    agent, _ = make_agent(["[add(a=1, b=2)]", "3"])
    agent.run("1+2", transcript=path)
    lines = path.read_text().splitlines()
    # cut the file right after the assistant's call was recorded (as a crash would), plus a torn line
    cut = next(i for i, line in enumerate(lines) if '"tool_calls"' in line and "message_added" in line)
    path.write_text("\n".join(lines[: cut + 1]) + '\n{"type": "tool_res')
    restored = load_transcript(path)
    assert restored.stop_reason == "incomplete" and restored.messages[-1].tool_calls
    again, backend = make_agent(["3"])
    done = again.run(history=restored)
    assert done.ok and done.tool_calls[0].result == "3" and len(backend.prompts) == 1


def test_input_block_refuses_without_calling_the_model(make_agent, rule_guard, stage_chain):
    guard = rule_guard(block="forbidden")
    agent, backend = make_agent([], guards=stage_chain(guard, "input"))
    result = agent.run("a forbidden request")
    assert result.stop_reason == "blocked" and result.blocked_by == "rule"
    assert "blocked" in result.output and backend.prompts == []
    assert result.verdicts[0].action == "block"


def test_tool_call_block_feeds_explanation(make_agent, rule_guard, stage_chain):
    guard = rule_guard(block="Moscow")
    agent, backend = make_agent(
        ['[lookup(city="Moscow")]', "I cannot look that up."], guards=stage_chain(guard, "tool_call")
    )
    result = agent.run("weather in Moscow")
    [call] = result.tool_calls
    assert call.status == "blocked" and call.blocked_by == "rule" and "not run" in call.result
    assert call.result in backend.prompts[1] and result.ok
    assert guard.seen[0][1].name == "lookup"


def test_tool_result_block_and_redaction(make_agent, rule_guard, stage_chain):
    guard = rule_guard(block="Oslo", redact="Sunny")
    agent, backend = make_agent(
        ['[lookup(city="Oslo"), lookup(city="Rome")]', "ok"], guards=stage_chain(guard, "tool_result")
    )
    result = agent.run("weather")
    oslo, rome = result.tool_calls
    assert oslo.status == "blocked" and "withheld" in oslo.result and "Sunny in Oslo" not in backend.prompts[1]
    assert rome.result == "[X #1] in Rome, 21 C"  # numbered: a call may pass it back (corral.references)


def test_output_redaction_and_block(make_agent, rule_guard, stage_chain):
    agent, _ = make_agent(["My secret is here."], guards=stage_chain(rule_guard(redact="secret"), "output"))
    result = agent.run("hi")
    assert result.output == "My [X] is here." and result.messages[-1].content == "My [X] is here."
    agent, _ = make_agent(["Do something forbidden."], guards=stage_chain(rule_guard(block="forbidden"), "output"))
    blocked = agent.run("hi")
    assert blocked.stop_reason == "blocked" and "Do something" not in blocked.output
    assert "Do something" not in blocked.messages[-1].content


def test_guard_events_and_active_guards(make_agent, rule_guard, stage_chain):
    agent, _ = make_agent(["hi"], guards=stage_chain(rule_guard(), "input", "output"))
    events = list(agent.stream("hello"))
    stages = [e.stage for e in events if type(e).__name__ == "GuardChecked"]
    assert stages == ["input", "output"]
    assert events[-1].result.guards == ["input:rule", "output:rule"]


def test_guard_stages_can_be_a_mapping(make_agent, rule_guard, stage_chain):
    agent, _ = make_agent(["hi"], guards={"output": [rule_guard(redact="hi")]})
    assert agent.run("x").output == "[X]"


def test_default_chain_is_used_unless_turned_off(make_agent):
    agent, _ = make_agent(["hi"], guards="default")
    assert agent.guards is not None and agent.policy.guard_names
    assert make_agent(["x"], guards=None)[0].policy.guard_names == ()
    assert isinstance(agent.guards, GuardChain)


def test_blocked_result_raises_on_demand(make_agent, rule_guard, stage_chain):
    agent, _ = make_agent([], guards=stage_chain(rule_guard(block="x"), "input"))
    with pytest.raises(Exception, match="rule blocked the input"):
        agent.run("x").raise_for_stop()
