"""The agent fills a tool's RunContext: deps (agent-wide and per run), ids, call id, usage so far."""

from __future__ import annotations

import pytest

from corral import Agent, Approve, UsageError
from corral.testing import ScriptedBackend
from corral.tools import RunContext, stable_key, tool

SEEN: list[RunContext] = []


@tool
def remember(ctx: RunContext[dict], note: str) -> str:
    """Store a note in the application's database."""
    SEEN.append(ctx)
    ctx.deps.setdefault("notes", []).append((ctx.call_key, note))
    return f"stored {note}"


@tool(requires_approval=True)
def pay(ctx: RunContext[dict], amount: int) -> str:
    """Pay an amount, once per idempotency key."""
    SEEN.append(ctx)
    ledger = ctx.deps.setdefault("ledger", {})
    ledger.setdefault(ctx.call_key, amount)  # a replay with the same key pays nothing new
    return f"paid {amount}"


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


def agent_for(turns, **options):
    return Agent(ScriptedBackend(turns), tools=[remember, pay], guards=None, **options)


def test_deps_ids_call_id_and_usage_reach_the_tool():
    db: dict = {}
    result = agent_for(['[remember(note="a"), remember(note="b")]', '[remember(note="c")]', "done"], deps=db).run(
        "note things", run_id="run-7"
    )
    # the first turn's two calls run concurrently (worker threads): their order is theirs
    assert result.ok and sorted(n for _, n in db["notes"]) == ["a", "b", "c"] and db["notes"][2][1] == "c"
    first, second, third = SEEN
    assert {c.deps is db for c in SEEN} == {True} and {c.run_id for c in SEEN} == {"run-7"} == {result.run_id}
    assert (
        sorted(c.call_id for c in SEEN) == sorted(r.id for r in result.tool_calls) and first.call_id != second.call_id
    )
    assert len({c.idempotency_key for c in SEEN}) == 1 and first.idempotency_key.startswith("run-")
    assert (first.turn, third.turn) == (1, 2)
    # usage so far: one model request by the first turn's calls, two by the second's, counted as the run counts
    assert (first.usage.requests, third.usage.requests) == (1, 2)
    assert third.usage.completion_tokens == sum(t.completion_tokens for t in result.turns[:2])


def test_per_run_deps_replace_the_agents():
    agent_db, run_db = {}, {}
    agent = agent_for(['[remember(note="x")]', "ok"], deps=agent_db)
    agent.run("note", deps=run_db)
    assert run_db["notes"] and "notes" not in agent_db


async def test_the_async_run_fills_the_context_too():
    db: dict = {}
    await agent_for(['[remember(note="x")]', "ok"], deps=db).arun("note", idempotency_key="k-async")
    assert [c.idempotency_key for c in SEEN] == ["k-async"] and db["notes"] == [("k-async:call_1_0", "x")]


def test_without_a_key_every_run_gets_a_fresh_one():
    agent = Agent(ScriptedBackend(['[remember(note="x")]', "ok"] * 2), tools=[remember], guards=None, deps={})
    agent.run("one")
    agent.run("two")
    assert len({c.idempotency_key for c in SEEN}) == 2


def test_the_key_is_stable_across_a_resumed_and_a_retried_run():
    key, ledger_db = stable_key("item-42", "spec-hash"), {}
    agent = agent_for(["[pay(amount=5)]", "paid", "[pay(amount=5)]", "paid"], deps=ledger_db)
    paused = agent.run("pay 5", idempotency_key=key)
    assert paused.stop_reason == "approval_required" and not SEEN
    [pending] = paused.pending
    resumed = agent.run(history=paused, approvals={pending.id: Approve()}, idempotency_key=key)
    assert resumed.ok and SEEN[-1].idempotency_key == key
    # the whole item retried from scratch (another attempt, same item and spec): same key, no second payment
    retried = agent.run("pay 5", idempotency_key=key)
    agent.run(history=retried, approvals={retried.pending[0].id: True}, idempotency_key=key)
    assert [c.idempotency_key for c in SEEN] == [key, key] and ledger_db["ledger"] == {f"{key}:call_1_0": 5}


def test_bad_run_options_are_usage_errors():
    agent = agent_for(["ok"])
    with pytest.raises(UsageError, match="unknown run option"):
        agent.run("hi", dep={})
    with pytest.raises(UsageError, match="idempotency_key must be a non-empty string"):
        agent.run("hi", idempotency_key="")


def test_tools_without_a_context_cost_nothing_new():
    @tool
    def plain(x: int) -> int:
        return x

    agent = Agent(ScriptedBackend(["[plain(x=1)]", "1"]), tools=[plain], guards=None)
    start = agent._start("hi", None, None)
    assert start.context is None and agent.run("hi").ok
