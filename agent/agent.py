"""``Agent``: a backend, tools, a chat format and guards, run as a loop until the model answers.

Example::

    >>> from corral import Agent
    >>> from corral.testing import ScriptedBackend
    >>> from corral.tools import tool
    >>> @tool
    ... def add(a: int, b: int) -> int:
    ...     '''Add two integers.'''
    ...     return a + b
    >>> agent = Agent(ScriptedBackend(["[add(a=2, b=3)]", "2 + 3 = 5."]), tools=[add], guards=None)
    >>> result = agent.run("What is 2 + 3?")
    >>> result.output, [(c.name, c.result) for c in result.tool_calls]
    ('2 + 3 = 5.', [('add', '5')])
"""

from __future__ import annotations

import datetime
import inspect
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel

from corral.exceptions import UsageError
from corral.prompts.messages import Message, to_messages

from . import events as ev
from ._loop.drivers import Runtime, adrive, as_decision, drive
from ._loop.loop import Start, run_steps
from ._loop.policy import RunPolicy
from .backends.base import Backend, ChatBackend, DetectsFormat, GrammarAware
from .result import Decision, PendingCall, RunResult
from .run_context import run_context, tool_sources
from .tracing import check_mode as check_tracing
from .tracing import tracer_for_run
from .transcript import TranscriptWriter

if TYPE_CHECKING:
    from corral.guards import Guard, GuardChain
    from corral.prompts import ChatFormat
    from corral.tools import Registry, Tool

__all__ = ["Agent"]

Hook = Callable[[ev.Event], Any]
History = RunResult | Sequence[Message | dict[str, Any]] | None
# What the constructor takes (strings so that corral.tools, corral.guards and corral.prompts load lazily).
Tools = Union["Registry", Iterable[Union["Tool", Callable[..., Any]]], None]
Guards = Union["GuardChain", Mapping[str, Sequence["Guard"]], Literal["default"], None]
Format = Union[str, "ChatFormat", None]
# An approval: a Decision, True (approve), False or None (reject), a dict (edited arguments) or a str
# (rejected, with that reason); an async handler returns one (arun/astream only).
Approval = Union[Decision, bool, dict[str, Any], str, None]
ApprovalHandler = Callable[[PendingCall], Union[Approval, Awaitable[Approval]]]


class Agent:
    """Runs a conversation with tool calls: render -> complete -> parse -> guard -> dispatch -> repeat.

    ``guards="default"`` is ``corral.guards.GuardChain.default()``; ``None`` runs no guards; or pass
    a ``GuardChain``. ``tool_choice``: ``auto``, ``none``, ``required`` or a tool name (the last two
    force a call on the run's first turn). ``output_type``: a pydantic model the answer must
    validate as (the model answers by calling ``final_result``; on a backend that takes grammars its
    arguments are held to the model's schema), also per run (``run(..., output_type=...)``). Tools marked
    ``requires_approval`` pause the run unless an ``approval_handler`` decides. ``tracing``: None
    emits OpenTelemetry spans when a tracer provider is set, True always, False never (``corral.tracing``).
    ``timeout``: seconds per run, model and tool calls included: a call still running at the
    deadline is walked away from, and the run stops with ``stop_reason="timeout"``.
    ``deps``: your application's objects, handed to tools that take a ``RunContext`` (``corral.tools``).
    ``tools`` may include MCP servers (``corral.tools.mcp.MCPServer``): the agent connects those not yet
    connected and closes them in :meth:`close` (or at the end of a ``with`` block).
    ``spotlight``: ``None`` (default: prompts stay token-exact), ``"delimit"`` or ``"datamark"``
    marks tool results in the prompt as data (``corral.guards.spotlight``).
    ``references`` (default True): each region a guard redacts from a tool result is shown with a
    handle (``[EMAIL #1]``), and a tool call that passes the handle gets the original text back,
    which the model never reads (``corral.references``). False shows the bare markers.
    ``decision``: how ``auto`` decides on a backend that scores continuations (``LlamaCppBackend``):
    ``"default"``, a ``corral.prompts.DecisionPolicy`` (e.g. ``DecisionPolicy(ground=False)`` keeps
    optional arguments the conversation gives no ground for), or None (the first sampled token decides).

    One Agent serves any number of runs, also concurrently: all per-run state lives in the run.
    """

    def __init__(
        self,
        backend: Backend | ChatBackend,
        *,
        tools: Tools = None,
        format: Format = None,
        system: str | None = None,
        guards: Guards = "default",
        max_turns: int = 10,
        max_retries: int = 3,
        max_repeats: int = 3,
        max_tokens: int = 512,
        tool_choice: str = "auto",
        output_type: type[BaseModel] | None = None,
        approval_handler: ApprovalHandler | None = None,
        hooks: Iterable[Hook] = (),
        date: datetime.date | str | None = None,
        grammar: bool = True,
        tool_timeout: float | None = None,
        max_concurrency: int = 8,
        timeout: float | None = None,
        tracing: bool | None = None,
        deps: Any = None,
        spotlight: str | None = None,
        references: bool = True,
        decision: Any = "default",
    ) -> None:
        _check_limits(max_turns=max_turns, max_retries=max_retries, max_repeats=max_repeats, max_tokens=max_tokens)
        check_tracing(tracing)
        self._options = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        self.backend = backend
        self.tools, self._owned = tool_sources(tools)
        self.deps = deps
        self.guards = _chain(guards)
        self.system = system
        self.hooks = tuple(hooks)
        self.timeout = timeout
        self.tracing = tracing
        chat_mode = isinstance(backend, ChatBackend) and backend.chat_mode
        self.format = None if chat_mode else _resolve_format(format, backend)
        self.policy = RunPolicy(
            format=self.format,
            format_name="server" if chat_mode else _format_name(self.format, format),
            tool_specs=[t.to_openai() for t in self.tools],
            approval_names=frozenset(t.name for t in self.tools if t.requires_approval),
            acts={t.name: t.acts for t in self.tools if t.acts is not None},
            guard_stages=_guard_stages(self.guards),
            inline_chain=self.guards if self.guards is not None and getattr(self.guards, "inline", False) else None,
            conversation_at_output=self.guards is not None
            and any(
                getattr(g, "wants_conversation", False) or getattr(g, "wants_context", False)
                for g in self.guards.guards("output")
            ),
            guard_names=_guard_names(self.guards),
            tool_choice=tool_choice,
            output_type=output_type,
            max_turns=max_turns,
            max_retries=max_retries,
            max_repeats=max_repeats,
            max_tokens=max_tokens,
            chat_mode=chat_mode,
            use_grammar=grammar and (backend.wants_grammar if isinstance(backend, GrammarAware) else True),
            has_approval_handler=approval_handler is not None,
            **({} if isinstance(decision, str) and decision == "default" else {"decision": _decision(decision)}),
            date=date,
            spotlight=_spotlight(spotlight),
            references=references,
            provenance=self.guards is not None
            and any(getattr(g, "wants_provenance", False) for g in self.guards.guards("tool_call")),
        )
        self._policies: dict[type[BaseModel], RunPolicy] = {}
        self.runtime = Runtime(
            backend=backend,
            registry=self.tools,
            chain=self.guards,
            approval_handler=approval_handler,
            max_concurrency=max_concurrency,
            tool_timeout=tool_timeout,
        )

    @classmethod
    def from_spec(cls, spec: str | os.PathLike[str] | Any, **overrides: Any) -> Agent:
        """Build an agent from a TOML spec file, or from an ``AgentSpec`` (see ``corral.spec``).

        ``overrides`` (``model=``, ``tools=``, ``backend=``) replace what the spec says.

        Example::

            >>> agent = Agent.from_spec("agent.toml")   # doctest: +SKIP
        """
        from .spec import AgentSpec, agent_options, load_spec

        parsed = spec if isinstance(spec, AgentSpec) else load_spec(spec)
        options = agent_options(parsed, **overrides)
        return cls(options.pop("backend"), **options)

    def replace(self, **changes: Any) -> Agent:
        """A new Agent with some options changed (same backend unless given), e.g. per-item limits."""
        return Agent(**{**self._options, **changes})

    # --- the public entry points: thin wrappers over the one loop --------------------------

    def run(
        self,
        input: str | None = None,
        *,
        history: History = None,
        approvals: Mapping[str, Any] | None = None,
        hooks: Iterable[Hook] = (),
        transcript: str | os.PathLike[str] | None = None,
        output_type: type[BaseModel] | None = None,
        **ids: Any,
    ) -> RunResult:
        """Run to the end (an answer or a stop reason) and return the RunResult.

        ``history``: a previous RunResult or messages to continue from (OpenAI Chat Completions
        dicts too, e.g. ``result.to_openai()``). ``approvals``: decisions for a paused run's pending
        calls, by call id. ``transcript``: a JSONL file to append to. ``output_type``: a pydantic model
        this run's answer must validate as (replaces the agent's).
        ``deps=``, ``run_id=``, ``idempotency_key=``: what tools see in their ``RunContext``
        (``deps`` replaces the agent's for this run; see ``corral.tools.RunContext``).
        """
        result = None
        for event in self.stream(
            input,
            history=history,
            approvals=approvals,
            hooks=hooks,
            transcript=transcript,
            output_type=output_type,
            _deltas=False,
            **ids,
        ):
            if event.__class__ is ev.RunFinished:
                result = event.result
        return result  # type: ignore[return-value]

    async def arun(
        self,
        input: str | None = None,
        *,
        history: History = None,
        approvals: Mapping[str, Any] | None = None,
        hooks: Iterable[Hook] = (),
        transcript: str | os.PathLike[str] | None = None,
        output_type: type[BaseModel] | None = None,
        **ids: Any,
    ) -> RunResult:
        """Async twin of :meth:`run`: backend, guards and tools are awaited on the running loop."""
        result = None
        async for event in self.astream(
            input,
            history=history,
            approvals=approvals,
            hooks=hooks,
            transcript=transcript,
            output_type=output_type,
            _deltas=False,
            **ids,
        ):
            if event.__class__ is ev.RunFinished:
                result = event.result
        return result  # type: ignore[return-value]

    def stream(
        self,
        input: str | None = None,
        *,
        history: History = None,
        approvals: Mapping[str, Any] | None = None,
        hooks: Iterable[Hook] = (),
        transcript: str | os.PathLike[str] | None = None,
        output_type: type[BaseModel] | None = None,
        _deltas: bool = True,
        **ids: Any,
    ) -> Iterator[ev.Event]:
        """Yield every event of the run as it happens (``ModelDelta`` text pieces included); the last
        one is ``RunFinished`` carrying the RunResult.

        Example::

            for event in agent.stream("hi"):
                if isinstance(event, ModelDelta):
                    print(event.text, end="")
        """
        start = self._start(input, history, approvals, ids)
        emit, closers = self._observers(hooks, transcript)
        try:
            steps = run_steps(self._policy(output_type), start, events=_deltas or emit is not None)
            for event in drive(steps, self.runtime, start.run_id, stream=_deltas, deadline=start.deadline):
                if emit is not None:
                    emit(event)
                yield event
        finally:
            for close in closers:
                close()

    async def astream(
        self,
        input: str | None = None,
        *,
        history: History = None,
        approvals: Mapping[str, Any] | None = None,
        hooks: Iterable[Hook] = (),
        transcript: str | os.PathLike[str] | None = None,
        output_type: type[BaseModel] | None = None,
        _deltas: bool = True,
        **ids: Any,
    ) -> AsyncIterator[ev.Event]:
        """Async twin of :meth:`stream` (async hooks are awaited)."""
        start = self._start(input, history, approvals, ids)
        emit, closers = self._observers(hooks, transcript)
        try:
            steps = run_steps(self._policy(output_type), start, events=_deltas or emit is not None)
            async for event in adrive(steps, self.runtime, start.run_id, stream=_deltas, deadline=start.deadline):
                if emit is not None:
                    outcome = emit(event)
                    if outcome is not None:
                        await outcome
                yield event
        finally:
            for close in closers:
                close()

    # --- lifecycle: MCP servers the agent connected are the agent's to close -----------------

    def close(self) -> None:
        """Close what this agent opened (MCP server sessions it connected); safe to call twice."""
        for source in self._owned:
            source.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`."""
        for source in self._owned:
            await source.aclose()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    # --- helpers ---------------------------------------------------------------------------

    def _policy(self, output_type: type[BaseModel] | None) -> RunPolicy:
        """The agent's policy, or its twin for a per-run ``output_type`` (built once per type)."""
        if output_type is None:
            return self.policy
        policy = self._policies.get(output_type)
        if policy is None:
            policy = self._policies[output_type] = self.policy.with_output_type(output_type)
        return policy

    def _start(
        self,
        input: str | None,
        history: History,
        approvals: Mapping[str, Any] | None,
        ids: Mapping[str, Any] | None = None,
    ) -> Start:
        messages = _history(history)
        if self.system and not (messages and messages[0].role == "system"):
            messages.insert(0, Message(role="system", content=self.system))
        if input is None and not messages:
            raise UsageError("Nothing to run: give an input, or a history to continue from")
        decisions = {str(k): as_decision(v) for k, v in (approvals or {}).items()}
        deadline = time.monotonic() + self.timeout if self.timeout else None
        run_id, context = run_context(self.tools, self.deps, ids or {})
        return Start(
            run_id=run_id, history=messages, input=input, approvals=decisions, deadline=deadline, context=context
        )

    def _observers(
        self, hooks: Iterable[Hook], transcript: Any
    ) -> tuple[Callable[[ev.Event], Any] | None, list[Callable[[], None]]]:
        """The run's event consumer (None when nothing observes) and what to close when the run ends,
        also when a caller abandons a stream."""
        all_hooks = [*self.hooks, *hooks]
        closers: list[Callable[[], None]] = []
        if transcript is not None:  # first: a bad path fails before anything else is set up
            writer = TranscriptWriter(transcript)
            all_hooks.append(writer)
            closers.append(writer.close)
        tracer = tracer_for_run(self, self.tracing)
        if tracer is not None:
            all_hooks.insert(0, tracer)  # first: the other hooks run inside the run's span
            closers.insert(0, tracer.close)
        return (_fan_out(all_hooks) if all_hooks else None), closers

    def __repr__(self) -> str:
        return (
            f"Agent(backend={type(self.backend).__name__}, format={self.policy.format_name!r}, "
            f"tools={list(self.policy.tool_names)}, guards={list(self.policy.guard_names)})"
        )


def _fan_out(hooks: list[Hook]) -> Callable[[ev.Event], Any]:
    def emit(event: ev.Event) -> Any:
        pending = []
        for hook in hooks:
            outcome = hook(event)
            if inspect.isawaitable(outcome):
                pending.append(outcome)
        if not pending:
            return None

        async def wait() -> None:
            for outcome in pending:
                await outcome

        return wait()

    return emit


def _check_limits(**limits: int) -> None:
    for name, value in limits.items():
        if not isinstance(value, int) or value < (0 if name == "max_retries" else 1):
            raise UsageError(f"{name} must be a positive integer, got {value!r}")


def _history(history: History) -> list[Message]:
    if history is None:
        return []
    if isinstance(history, RunResult):
        return list(history.messages)
    if isinstance(history, (str, bytes, os.PathLike)):
        raise UsageError("history must be a RunResult or messages; for a transcript file use load_transcript(path)")
    return to_messages(history)


def _chain(guards: Any) -> Any:
    if guards is None:
        return None
    from corral.guards.chain import GuardChain

    if isinstance(guards, str):
        if guards != "default":
            raise UsageError(f"guards={guards!r}: pass 'default', None, or a corral.guards.GuardChain")
        return GuardChain.default()
    if isinstance(guards, Mapping):
        return GuardChain(guards)
    return guards


def _decision(policy: Any) -> Any:
    from corral.prompts.decide import DecisionPolicy

    if policy is not None and not isinstance(policy, DecisionPolicy):
        raise UsageError(f"decision={policy!r}: use 'default', a corral.prompts.DecisionPolicy or None")
    return policy


def _spotlight(mode: str | None) -> str | None:
    if mode is not None and mode not in ("delimit", "datamark"):
        raise UsageError(f"spotlight={mode!r}: use None (off), 'delimit' or 'datamark'")
    return mode


def _guard_stages(chain: Any) -> frozenset[str]:
    """The stages with at least one guard (the stage list itself is corral.guards.base.STAGES)."""
    if chain is None:
        return frozenset()
    return frozenset(stage for stage, names in chain.active.items() if names)


def _guard_names(chain: Any) -> tuple[str, ...]:
    if chain is None:
        return ()
    return tuple(f"{stage}:{name}" for stage, names in chain.active.items() for name in names)


def _resolve_format(format: Any, backend: Any) -> Any:
    if format is None:
        format = backend.detect_format() if isinstance(backend, DetectsFormat) else "llama3.2"
    if not isinstance(format, str):
        return format
    from corral.prompts import get_format

    return get_format(format)


def _format_name(fmt: Any, requested: Any) -> str:
    return getattr(fmt, "name", None) or (requested if isinstance(requested, str) else type(fmt).__name__)
