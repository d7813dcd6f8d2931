"""OpenTelemetry spans for agent runs, built from the run's event stream.

``OTelTracer`` is one more consumer of the events (like the JSONL transcript): the loop knows
nothing of it. ``Agent(tracing=None)`` (the default) traces a run when ``opentelemetry-api`` is
loaded and the application has set a real tracer provider; ``tracing=True`` always does (it needs
``pip install 'corral[otel]'``); ``tracing=False`` never does. Span names and attributes follow the
OpenTelemetry GenAI semantic conventions where they fit; the rest live under ``corral.*``::

    invoke_agent corral                       the run (child of the caller's current span)
    └── corral.turn                           one per model turn (corral.turn = 1, 2, ...)
        ├── text_completion <model>           the model call ("chat <model>" on chat-mode servers)
        ├── corral.guard <stage>              a guard stage: one child per guard that ran
        │   └── corral.guard.check <guard>
        └── execute_tool <name>               one per tool call, status ERROR when it failed

While a run is under way its span (then the current turn's, and the model call's while the backend
works) is the current OpenTelemetry context, so spans a tool or an instrumented HTTP client
creates nest under it. Prompts, arguments and results are content and are not recorded.

Example::

    >>> from corral import Agent
    >>> from corral.testing import ScriptedBackend
    >>> agent = Agent(ScriptedBackend(["Hi!"]), guards=None, tracing=False)
    >>> agent.run("hello").output  # no spans, whatever provider is set
    'Hi!'
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corral.exceptions import MissingExtraError, UsageError

from . import events as ev

__all__ = ["OTelTracer", "tracer_for_run", "check_mode", "require_otel"]

log = logging.getLogger(__name__)

# Attribute names of the OpenTelemetry GenAI semantic conventions (facts from its registry; our own
# constants so that the incubating semconv package is not needed).
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
AGENT_NAME = "gen_ai.agent.name"
REQUEST_MODEL = "gen_ai.request.model"
MAX_TOKENS = "gen_ai.request.max_tokens"
FINISH_REASONS = "gen_ai.response.finish_reasons"
FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
ERROR_TYPE = "error.type"

_PROVIDERS = {"LlamaCppBackend": "llama.cpp", "OpenAIBackend": "openai"}
_failed_once = False


def require_otel() -> None:
    """Raise MissingExtraError unless opentelemetry-api can be imported (``tracing=True``)."""
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("tracing=True needs opentelemetry-api: pip install 'corral[otel]'") from exc


def check_mode(tracing: Any) -> None:
    """Validate ``Agent(tracing=...)`` eagerly: None, True (needs opentelemetry-api) or False."""
    if tracing is not None and not isinstance(tracing, bool):
        raise UsageError(f"tracing must be None (auto), True or False; got {tracing!r}")
    if tracing is True:
        require_otel()


def tracer_for_run(agent: Any, mode: bool | None) -> OTelTracer | None:
    """A tracer for one run of ``agent``, or None when this run is not traced.

    ``mode`` None traces only when opentelemetry is loaded and a real tracer provider is set (checked
    per run, so a provider set after the agent was built counts). An application that set a provider
    has imported ``opentelemetry.trace`` already, so the check costs no import for everyone else.
    """
    if mode is False:
        return None
    try:
        if mode is None and not _provider_is_set():
            return None
        return OTelTracer.for_agent(agent)
    except Exception:  # noqa: BLE001 - tracing must never stop a run
        _log_failure("could not start tracing")
        return None


def _provider_is_set() -> bool:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return False
    provider = trace.get_tracer_provider()
    return not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


def _log_failure(what: str) -> None:
    # Once per process at WARNING: a broken exporter must not flood a batch of thousands of runs.
    global _failed_once
    level = logging.DEBUG if _failed_once else logging.WARNING
    _failed_once = True
    log.log(level, "corral tracing: %s; the run goes on untraced where needed", what, exc_info=True)


def _ns_ago(seconds: float, now: int | None = None) -> int:
    return (now or time.time_ns()) - int(max(seconds, 0.0) * 1e9)


class OTelTracer:
    """Turns one run's events into spans; a hook (``tracer(event)``) with a ``close()``.

    One instance per run: ``Agent`` makes one for each traced run and closes it when the run ends,
    also when a caller abandons a stream. Use it directly to trace with a provider of your own::

        tracer = OTelTracer.for_agent(agent, tracer_provider=provider)
        try:
            agent.run("hi", hooks=[tracer])
        finally:
            tracer.close()
    """

    def __init__(
        self,
        tracer_provider: Any = None,
        *,
        model: str | None = None,
        provider: str | None = None,
        operation: str = "text_completion",
        max_tokens: int | None = None,
        agent_name: str = "corral",
    ) -> None:
        from opentelemetry import context, trace

        self._trace, self._context = trace, context
        self._tracer = trace.get_tracer("corral", tracer_provider=tracer_provider)
        self._model_attrs = {OPERATION: operation, REQUEST_MODEL: model, PROVIDER: provider, MAX_TOKENS: max_tokens}
        self._model_name = f"{operation} {model}" if model else operation
        # a model behind a server is a CLIENT call; one run in this process (llama.cpp, a test double) is not
        self._model_kind = "CLIENT" if provider == "openai" else "INTERNAL"
        self._agent_name = agent_name
        self._run: Any = None
        self._turn: Any = None
        self._model: Any = None
        self._model_start = 0
        self._first_chunk = False
        self._tools: dict[str, Any] = {}
        self._attached: list[tuple[Any, Any]] = []  # (span, token), innermost last
        self._handlers: dict[type, Callable[[Any], None]] = {
            ev.RunStarted: self._run_started,
            ev.TurnStarted: self._turn_started,
            ev.PromptRendered: self._prompt_rendered,
            ev.ModelDelta: self._model_delta,
            ev.ModelCompleted: self._model_completed,
            ev.ToolCallParsed: self._tool_parsed,
            ev.ToolResultReady: self._tool_result,
            ev.GuardChecked: self._guard_checked,
            ev.Correction: self._correction,
            ev.ApprovalRequested: self._approval,
            ev.RunFinished: self._run_finished,
            ev.RunFailed: self._run_failed,
        }

    @classmethod
    def for_agent(cls, agent: Any, tracer_provider: Any = None) -> OTelTracer:
        """A tracer describing ``agent``'s backend (model, provider, operation) on its model spans."""
        backend, cfg = agent.backend, agent.policy
        model = getattr(backend, "model_path", None)
        model = Path(model).name if model else getattr(backend, "model", None)
        return cls(
            tracer_provider,
            model=model if isinstance(model, str) else None,
            provider=_PROVIDERS.get(type(backend).__name__),
            operation="chat" if cfg.chat_mode else "text_completion",
            max_tokens=cfg.max_tokens,
        )

    def __call__(self, event: ev.Event) -> None:
        handler = self._handlers.get(event.__class__)
        if handler is None:
            return
        try:
            handler(event)
        except Exception:  # noqa: BLE001 - tracing must never break a run
            _log_failure(f"handling {event.type} failed")

    def close(self) -> None:
        """End every span still open and restore the caller's context (idempotent; never raises)."""
        try:
            if self._run is not None and self._run.is_recording():
                self._run.set_attribute("corral.abandoned", True)
            self._end_turn()
            self._end(self._run)
            self._run = None
        except Exception:  # noqa: BLE001
            _log_failure("closing spans failed")
        finally:
            while self._attached:
                self._detach(self._attached.pop()[1])

    # --- context ------------------------------------------------------------------------------

    def _start(
        self,
        name: str,
        parent: Any,
        attributes: dict[str, Any],
        *,
        kind: str = "INTERNAL",
        start_time: int | None = None,
    ) -> Any:
        ctx = self._trace.set_span_in_context(parent) if parent is not None else None
        attrs = {k: v for k, v in attributes.items() if v is not None}
        return self._tracer.start_span(
            name, context=ctx, kind=getattr(self._trace.SpanKind, kind), attributes=attrs, start_time=start_time
        )

    def _attach(self, span: Any) -> None:
        token = self._context.attach(self._trace.set_span_in_context(span))
        self._attached.append((span, token))

    def _release(self, span: Any) -> None:
        """Detach the contexts down to (and including) the one that made ``span`` current."""
        while any(s is span for s, _ in self._attached):
            self._detach(self._attached.pop()[1])

    def _detach(self, token: Any) -> None:
        # A contextvars token can only be reset in the Context that made it; an async stream the
        # event loop finalises (no aclosing()) closes in a copy, where the caller's own context is
        # out of reach anyway. Say so quietly instead of letting OpenTelemetry log an error.
        var = getattr(token, "var", None)
        try:
            var.reset(token) if var is not None else self._context.detach(token)
        except (ValueError, RuntimeError):
            log.debug("corral tracing: run closed in another context; its span was not detached there")

    def _end(self, span: Any, end_time: int | None = None) -> None:
        if span is None:
            return
        self._release(span)
        span.end(end_time=end_time)

    def _parent(self) -> Any:
        return self._turn if self._turn is not None else self._run

    # --- the run and its turns ------------------------------------------------------------------

    def _run_started(self, event: ev.RunStarted) -> None:
        attrs = {
            OPERATION: "invoke_agent",
            AGENT_NAME: self._agent_name,
            "corral.run_id": event.run_id,
            "corral.format": event.format or None,
            "corral.tools": list(event.tools) or None,
            "corral.guards": list(event.guards) or None,
            "corral.history_messages": len(event.messages),
            REQUEST_MODEL: self._model_attrs[REQUEST_MODEL],
            PROVIDER: self._model_attrs[PROVIDER],
        }
        # no parent given: OpenTelemetry uses the caller's current span, or starts a trace
        self._run = self._tracer.start_span(
            f"invoke_agent {self._agent_name}", attributes={k: v for k, v in attrs.items() if v is not None}
        )
        self._attach(self._run)

    def _turn_started(self, event: ev.TurnStarted) -> None:
        self._end_turn()
        self._turn = self._start("corral.turn", self._run, {"corral.turn": event.turn})
        self._attach(self._turn)

    def _end_turn(self) -> None:
        self._end(self._model)
        self._model = None
        for span in self._tools.values():  # parsed but never run: a structured answer, a pause, a stop
            span.set_attribute("corral.tool.status", "not_run")
            self._end(span)
        self._tools.clear()
        self._end(self._turn)
        self._turn = None

    def _run_finished(self, event: ev.RunFinished) -> None:
        result = event.result
        usage = result.usage
        attrs = {
            "corral.stop_reason": result.stop_reason,
            "corral.turns": len(result.turns),
            "corral.tool_calls": len(result.tool_calls),
            INPUT_TOKENS: usage.prompt_tokens,
            OUTPUT_TOKENS: usage.completion_tokens,
            "corral.usage.requests": usage.requests,
            "corral.usage.prompt_tokens_evaluated": usage.prompt_tokens_evaluated,
            "corral.blocked_by": result.blocked_by,
            "corral.pending_calls": len(result.pending) or None,
        }
        self._run.set_attributes({k: v for k, v in attrs.items() if v is not None})
        self._end_turn()
        self._end(self._run)
        self._run = None

    def _run_failed(self, event: ev.RunFailed) -> None:
        span = self._run
        message = f"{event.error_type}: {event.error}"
        span.set_attribute(ERROR_TYPE, event.error_type)
        span.add_event("exception", {"exception.type": event.error_type, "exception.message": event.error})
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, message))
        self._end_turn()
        self._end(span)
        self._run = None

    # --- the model call -------------------------------------------------------------------------

    def _prompt_rendered(self, event: ev.PromptRendered) -> None:
        self._model_start, self._first_chunk = time.time_ns(), False
        self._model = self._start(
            self._model_name,
            self._parent(),
            {**self._model_attrs, "corral.grammar": event.grammar},
            kind=self._model_kind,
            start_time=self._model_start,
        )
        self._attach(self._model)  # an instrumented HTTP client's span nests under the model call

    def _model_delta(self, event: ev.ModelDelta) -> None:
        if self._model is not None and not self._first_chunk:
            self._first_chunk = True
            self._model.set_attribute(FIRST_CHUNK, (time.time_ns() - self._model_start) / 1e9)

    def _model_completed(self, event: ev.ModelCompleted) -> None:
        now = time.time_ns()
        span = self._model
        if span is None:  # chat mode renders on the server: no PromptRendered, so start from the time taken
            span = self._start(
                self._model_name,
                self._parent(),
                self._model_attrs,
                kind=self._model_kind,
                start_time=_ns_ago(event.seconds, now),
            )
        attrs = {
            INPUT_TOKENS: event.prompt_tokens,
            OUTPUT_TOKENS: event.completion_tokens,
            FINISH_REASONS: [event.finish_reason],
            "corral.usage.prompt_tokens_evaluated": event.prompt_tokens_evaluated,
        }
        if 0 < event.prompt_tokens_evaluated <= event.prompt_tokens:  # the KV-cache prefix reused
            attrs[CACHE_READ] = event.prompt_tokens - event.prompt_tokens_evaluated
        span.set_attributes(attrs)
        self._end(span, end_time=now)
        self._model = None

    # --- tools and guards ---------------------------------------------------------------------

    def _tool_attrs(self, name: str, call_id: str | None) -> dict[str, Any]:
        return {OPERATION: "execute_tool", TOOL_NAME: name, TOOL_CALL_ID: call_id or None, TOOL_TYPE: "function"}

    def _tool_parsed(self, event: ev.ToolCallParsed) -> None:
        call = event.call
        self._tools[call.id or call.name] = self._start(
            f"execute_tool {call.name}", self._parent(), self._tool_attrs(call.name, call.id)
        )

    def _tool_result(self, event: ev.ToolResultReady) -> None:
        rec = event.record
        span = self._tools.pop(rec.id or rec.name, None)
        if span is None:  # a resumed run's pending call: it was parsed in an earlier run
            span = self._start(
                f"execute_tool {rec.name}",
                self._parent(),
                self._tool_attrs(rec.name, rec.id),
                start_time=_ns_ago(rec.duration),
            )
        attrs = {
            "corral.tool.status": rec.status,
            "corral.tool.duration": rec.duration,
            "corral.tool.blocked_by": rec.blocked_by,
        }
        span.set_attributes({k: v for k, v in attrs.items() if v is not None})
        if rec.status != "ok":
            kind = rec.error_kind or rec.status
            span.set_attribute(ERROR_TYPE, kind)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, kind))
        self._end(span)

    def _guard_checked(self, event: ev.GuardChecked) -> None:
        now = time.time_ns()
        verdicts = [v for v in event.verdicts if hasattr(v, "latency_ms")]
        start = _ns_ago(sum(v.latency_ms for v in verdicts) / 1000.0, now)  # the chain runs its guards in turn
        attrs = {
            "corral.guard.stage": event.stage,
            "corral.guard.action": event.action,
            "corral.guard.blocked_by": event.blocked_by,
        }
        stage = self._start(f"corral.guard {event.stage}", self._parent(), attrs, start_time=start)
        at = start
        for verdict in verdicts:
            at = self._verdict_span(stage, event.stage, verdict, at)
        stage.end(end_time=now)

    def _verdict_span(self, parent: Any, stage: str, verdict: Any, start: int) -> int:
        end = start + int(verdict.latency_ms * 1e6)
        attrs = {
            "corral.guard.name": verdict.guard,
            "corral.guard.stage": stage,
            "corral.guard.action": verdict.action,
            "corral.guard.score": float(verdict.score),
            "corral.guard.categories": list(verdict.categories) or None,
        }
        span = self._start(f"corral.guard.check {verdict.guard}", parent, attrs, start_time=start)
        span.end(end_time=end)
        return end

    def _correction(self, event: ev.Correction) -> None:
        self._parent().add_event(
            "corral.correction",
            {"corral.correction.kind": event.kind, "corral.correction.retries_left": event.retries_left},
        )

    def _approval(self, event: ev.ApprovalRequested) -> None:
        self._run.add_event("corral.approval_requested", {"corral.pending_calls": [p.name for p in event.pending]})
