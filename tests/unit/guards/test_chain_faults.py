"""GuardChain under faulty guards: hung, stubborn, or returning the wrong type (issue 13 §2, §5),
and its sync and async paths deciding alike (issue 14)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import pytest

from corral.guards import (
    Conversation,
    GuardChain,
    PIIRedactor,
    ToolCallPayload,
    Verdict,
)


class Hung:
    """Never answers until released (a real blocked thread)."""

    def __init__(self, name: str, release: threading.Event) -> None:
        self.name, self.release = name, release

    def check(self, stage, payload):
        self.release.wait(60)
        return Verdict.allow(self.name)

    async def acheck(self, stage, payload):
        while True:  # swallows every cancellation
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass


class Fixed:
    def __init__(self, name: str, answer) -> None:
        self.name, self.answer = name, answer

    def check(self, stage, payload):
        return self.answer(payload) if callable(self.answer) else self.answer

    async def acheck(self, stage, payload):
        return self.check(stage, payload)


def test_hung_guards_never_poison_later_timed_checks():
    release = threading.Event()
    try:
        hung = GuardChain({"input": [Hung("hung", release)]}, timeout=0.05)
        for _ in range(6):  # more than any fixed pool of guard threads
            assert hung.check("input", "x").blocked_by.categories == ("guard_error",)
        healthy = GuardChain({"input": [Fixed("fine", Verdict.allow("fine"))]}, timeout=30)
        assert healthy.check("input", "x").action == "allow"
    finally:
        release.set()


def test_a_process_exits_after_a_guard_hung():
    code = textwrap.dedent("""
        import threading
        from corral.guards import GuardChain, Verdict

        class Hung:
            name = "hung"
            def check(self, stage, payload):
                threading.Event().wait()
            async def acheck(self, stage, payload):
                return self.check(stage, payload)

        print("answer:", GuardChain({"input": [Hung()]}, timeout=0.2).check("input", "hi").action)
    """)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"child process did not exit; it printed {exc.stdout!r}") from None
    assert done.returncode == 0, done.stderr
    assert "answer: block" in done.stdout


async def test_acheck_walks_away_from_a_guard_that_swallows_cancellation():
    chain = GuardChain({"input": [Hung("stubborn", threading.Event())]}, timeout=0.05)
    result = await asyncio.wait_for(chain.acheck("input", "x"), 30)
    assert result.action == "block" and "timed out" in result.blocked_by.reason


@pytest.mark.parametrize("wrong", [None, "allow", True, {"action": "allow"}])
@pytest.mark.parametrize("fail_open", [False, True])
async def test_a_guard_returning_no_verdict_fails_closed_and_says_so(wrong, fail_open):
    chain = GuardChain({"output": [Fixed("sloppy", wrong)]}, fail_open=fail_open)
    for result in (chain.check("output", "x"), await chain.acheck("output", "x")):
        assert result.action == "block" and result.blocked_by.categories == ("guard_error",)
        reason = result.blocked_by.reason
        assert "sloppy" in reason and type(wrong).__name__ in reason and "not a Verdict" in reason


def _upper(payload):
    text = payload if isinstance(payload, str) else payload.agent
    return Verdict.redact("upper", text.upper(), "shouting")


_CHAINS = {
    "allow": {"output": [PIIRedactor()]},
    "redact then block": {"output": [PIIRedactor(), Fixed("no", Verdict.block("no", "refused"))]},
    "redact twice": {"output": [PIIRedactor(), Fixed("upper", _upper)]},
    "empty": {},
}
_PAYLOADS = ["mail bob@example.com", Conversation(user="hi", agent="call 555-123-4567"), ("hi", "bob@example.com")]


@pytest.mark.parametrize("name", list(_CHAINS))
@pytest.mark.parametrize("payload", _PAYLOADS, ids=["text", "conversation", "pair"])
async def test_check_and_acheck_decide_alike(name, payload):
    chain = GuardChain(_CHAINS[name])
    sync, done = chain.check("output", payload), await chain.acheck("output", payload)
    assert (sync.action, sync.payload, sync.blocked_by and sync.blocked_by.guard) == (
        done.action,
        done.payload,
        done.blocked_by and done.blocked_by.guard,
    )
    assert [v.model_dump(exclude={"latency_ms"}) for v in sync.verdicts] == [
        v.model_dump(exclude={"latency_ms"}) for v in done.verdicts
    ]


async def test_tool_call_payloads_pass_through_both_paths():
    call = ToolCallPayload(name="f", arguments={"x": 1})
    chain = GuardChain({"tool_call": [Fixed("seen", lambda p: Verdict.allow("seen", reason=type(p).__name__))]})
    assert chain.check("tool_call", call).verdicts[0].reason == "ToolCallPayload"
    assert (await chain.acheck("tool_call", call)).verdicts[0].reason == "ToolCallPayload"
