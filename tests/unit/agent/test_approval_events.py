"""Human approval, typed events, hooks, async twins and streaming on the scripted backend."""

from __future__ import annotations

import asyncio

import pytest

from corral import (
    ApprovalRequested,
    Approve,
    Edit,
    MessageAdded,
    ModelCompleted,
    ModelDelta,
    PromptRendered,
    Reject,
    RunFinished,
    RunStarted,
    ToolCallParsed,
    ToolResultReady,
    TurnStarted,
    UsageError,
)
from corral._loop.drivers import drive
from corral._loop.loop import run_steps
from corral.tools import tool

SENT: list[str] = []


@tool(requires_approval=True)
def send_email(to: str, body: str) -> str:
    """Send an email.

    Args:
        to: Recipient address.
        body: The text.
    """
    SENT.append(to)
    return f"sent to {to}"


@pytest.fixture(autouse=True)
def _clear_sent():
    SENT.clear()


CALL = '[send_email(to="bob@example.com", body="hi")]'


def test_approval_pauses_then_approve_resumes(make_agent):
    agent, backend = make_agent([CALL, "Sent."], tools=[send_email])
    paused = agent.run("mail bob")
    assert paused.stop_reason == "approval_required" and SENT == []
    [pending] = paused.pending
    assert (pending.name, pending.arguments["to"]) == ("send_email", "bob@example.com")
    done = agent.run(history=paused, approvals={pending.id: Approve()})
    backend.assert_all_used()
    assert done.ok and SENT == ["bob@example.com"] and done.tool_calls[0].result == "sent to bob@example.com"


def test_edit_runs_with_new_arguments(make_agent):
    agent, _ = make_agent([CALL, "Sent."], tools=[send_email])
    paused = agent.run("mail bob")
    pid = paused.pending[0].id
    done = agent.run(history=paused, approvals={pid: Edit(arguments={"to": "alice@example.com", "body": "hi"})})
    assert SENT == ["alice@example.com"] and done.tool_calls[0].arguments["to"] == "alice@example.com"


def test_reject_tells_the_model(make_agent):
    agent, backend = make_agent([CALL, "I did not send it."], tools=[send_email])
    paused = agent.run("mail bob")
    done = agent.run(history=paused, approvals={paused.pending[0].id: Reject("not today")})
    assert SENT == [] and done.tool_calls[0].status == "rejected"
    assert "not today" in backend.prompts[1]


def test_missing_decision_pauses_again(make_agent):
    agent, _ = make_agent([CALL], tools=[send_email])
    paused = agent.run("mail bob")
    again = agent.run(history=paused)
    assert again.stop_reason == "approval_required" and SENT == []


def test_approval_handler_decides_inline(make_agent):
    asked = []
    agent, _ = make_agent(
        [CALL, "Sent."], tools=[send_email], approval_handler=lambda call: asked.append(call.name) or True
    )
    assert agent.run("mail bob").ok and asked == ["send_email"] and SENT == ["bob@example.com"]


def test_bad_approval_value_is_a_usage_error(make_agent):
    agent, _ = make_agent([CALL], tools=[send_email])
    paused = agent.run("mail bob")
    with pytest.raises(UsageError, match="Approve"):
        agent.run(history=paused, approvals={paused.pending[0].id: 42})


def test_event_order_of_one_call(make_agent):
    agent, _ = make_agent(["[add(a=1, b=2)]", "3"])
    kinds = [type(e) for e in agent.stream("1+2") if not isinstance(e, ModelDelta)]
    assert kinds == [
        RunStarted,
        MessageAdded,
        TurnStarted,
        PromptRendered,
        ModelCompleted,
        ToolCallParsed,
        MessageAdded,
        ToolResultReady,
        MessageAdded,
        TurnStarted,
        PromptRendered,
        ModelCompleted,
        MessageAdded,
        RunFinished,
    ]


def test_stream_deltas_add_up_to_the_text(make_agent):
    agent, _ = make_agent(["A fairly long answer, longer than one delta."])
    events = list(agent.stream("hi"))
    deltas = "".join(e.text for e in events if isinstance(e, ModelDelta))
    assert deltas == "A fairly long answer, longer than one delta." == events[-1].result.output


def test_approval_requested_event(make_agent):
    agent, _ = make_agent([CALL], tools=[send_email])
    events = list(agent.stream("mail bob"))
    [asked] = [e for e in events if isinstance(e, ApprovalRequested)]
    assert asked.pending[0].name == "send_email"


def test_hooks_get_every_event(make_agent):
    seen = []
    agent, _ = make_agent(["[add(a=1, b=2)]", "3"], hooks=[seen.append])
    extra = []
    result = agent.run("1+2", hooks=[extra.append])
    assert seen == extra and seen[-1].result is result and len(seen) == 14


def test_an_unobserved_run_builds_no_events_but_gives_the_same_result(make_agent):
    texts = ['[add(a=1, b=2), lookup(city="Oslo")]', "done"]
    quiet, _ = make_agent(texts, guards="default")
    observed, _ = make_agent(texts, guards="default")
    seen: list = []
    a, b = quiet.run("go"), observed.run("go", hooks=[seen.append])
    assert {type(e).__name__ for e in seen} >= {
        "RunStarted",
        "TurnStarted",
        "PromptRendered",
        "ModelCompleted",
        "ToolCallParsed",
        "GuardChecked",
        "ToolResultReady",
        "MessageAdded",
        "RunFinished",
    }
    assert a.output == b.output and a.stop_reason == b.stop_reason
    assert [m.model_dump() for m in a.messages] == [m.model_dump() for m in b.messages]
    assert [(c.name, c.result, c.status) for c in a.tool_calls] == [(c.name, c.result, c.status) for c in b.tool_calls]
    assert [(v.stage, v.guard, v.action) for v in a.verdicts] == [(v.stage, v.guard, v.action) for v in b.verdicts]
    assert [t.turn for t in a.turns] == [t.turn for t in b.turns]
    fresh, _ = make_agent(texts, guards="default")
    steps = run_steps(fresh.policy, fresh._start("go", None, None), events=False)
    assert [type(e) for e in drive(steps, fresh.runtime, "r")] == [RunFinished]


def test_arun_matches_run(make_agent):
    texts = ['[add(a=1, b=2), lookup(city="Oslo")]', "done"]
    agent, _ = make_agent(texts)
    sync = agent.run("go")
    agent2, _ = make_agent(texts)
    result = asyncio.run(agent2.arun("go"))
    assert result.output == sync.output
    assert [(c.name, c.result) for c in result.tool_calls] == [(c.name, c.result) for c in sync.tool_calls]
    assert [m.model_dump(exclude={"tool_calls"}) for m in result.messages] == [
        m.model_dump(exclude={"tool_calls"}) for m in sync.messages
    ]


def test_astream_awaits_async_hooks(make_agent):
    seen = []

    async def hook(event):
        await asyncio.sleep(0)
        seen.append(type(event).__name__)

    agent, _ = make_agent(["hello"])

    async def go():
        return [e async for e in agent.astream("hi", hooks=[hook])]

    events = asyncio.run(go())
    assert seen == [type(e).__name__ for e in events] and seen[-1] == "RunFinished"


def test_run_failure_emits_run_failed_then_raises(make_agent):
    agent, _ = make_agent([])
    seen = []
    with pytest.raises(AssertionError, match="ran out of texts"):
        agent.run("hi", hooks=[seen.append])
    assert type(seen[-1]).__name__ == "RunFailed" and "ran out" in seen[-1].error
