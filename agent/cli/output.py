"""How the CLI shows a run: one consumer of the agent's event stream, nothing special in the loop.

Example::

    >>> import io
    >>> from corral.cli.output import TurnPrinter
    >>> printer = TurnPrinter(io.StringIO())
    >>> for event in agent.stream("What is 2 + 2?"):    # doctest: +SKIP
    ...     printer(event)
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

from .. import events as ev

__all__ = ["TurnPrinter", "short", "verdict_line"]


def short(value: Any, limit: int = 160) -> str:
    """A one-line, length-capped rendering of a value for the terminal."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict_text(verdict: Any) -> str:
    parts = [f"{verdict.guard}: {verdict.action}"]
    if verdict.categories:
        parts.append("[" + ", ".join(verdict.categories) + "]")
    if verdict.score:
        parts.append(f"score {verdict.score:.2f}")
    if verdict.action != "allow" and verdict.reason:
        parts.append(f"- {short(verdict.reason.split('; ')[0], 100)}")  # the gist; details are in --json
    return " ".join(parts)


def verdict_line(event: ev.GuardChecked, *, all_verdicts: bool) -> str | None:
    """``guard tool_result: BLOCK injection: block [injection] score 0.97 - ...``; None when quiet."""
    shown = [v for v in event.verdicts if all_verdicts or v.action != "allow"]
    if not shown:
        return None
    names = "; ".join(_verdict_text(v) for v in shown)
    return f"guard {event.stage}: {event.action.upper()} ({names})"


class TurnPrinter:
    """Prints turns, tool calls, results and guard verdicts as they happen (to stderr by default).

    ``all_verdicts`` also shows guards that allowed (the demo does, to show what is checked);
    ``show_guards`` lists the active guards when a run starts; ``asks`` says a person is asked
    about paused calls next (the chat), instead of repeating how code resumes them.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        all_verdicts: bool = False,
        show_answer: bool = True,
        show_guards: bool = False,
        asks: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.all_verdicts = all_verdicts
        self.show_answer = show_answer
        self.show_guards = show_guards
        self.asks = asks
        self.result: Any = None

    def say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Any) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)

    def _on_run_started(self, event: ev.RunStarted) -> None:
        if self.show_guards and event.guards:
            self.say(f"guards: {', '.join(event.guards)}")

    def _on_turn_started(self, event: ev.TurnStarted) -> None:
        self.say(f"-- turn {event.turn}")

    def _on_tool_call_parsed(self, event: ev.ToolCallParsed) -> None:
        self.say(f"  call   {event.call.name}({short(event.call.arguments, 200)})")

    def _on_correction(self, event: ev.Correction) -> None:
        self.say(f"  retry  {event.kind}: {short(event.message, 140)} ({event.retries_left} left)")

    def _on_guard_checked(self, event: ev.GuardChecked) -> None:
        line = verdict_line(event, all_verdicts=self.all_verdicts)
        if line:
            self.say(f"  {line}")

    def _on_tool_result(self, event: ev.ToolResultReady) -> None:
        record = event.record
        status = "" if record.status == "ok" else f" [{record.status}]"
        self.say(f"  result {record.name}{status}: {short(record.result, 200)}")

    def _on_run_finished(self, event: ev.RunFinished) -> None:
        self.result = event.result
        result = event.result
        if result.stop_reason == "approval_required" and self.asks:
            self.say(f"-- paused: {', '.join(p.name for p in result.pending)} waits for your approval")
        elif result.stop_reason != "final":
            self.say(f"-- stopped: {result.stop_reason}: {short(result.stop_message, 200)}")
        if self.show_answer:
            self.say(f"answer: {_output_text(result.output)}")

    def _on_run_failed(self, event: ev.RunFailed) -> None:
        self.say(f"-- failed: {event.error_type}: {short(event.error, 200)}")


def _output_text(output: Any) -> str:
    if output is None:
        return "(no answer)"
    if hasattr(output, "model_dump_json"):
        return output.model_dump_json()
    return str(output).strip()


class AnswerStream:
    """Prints the answer's text to ``out`` as the model writes it (``ModelDelta`` events).

    A turn's text is held until its first visible character: a turn opening like a tool call
    (``[``, ``{``, ``<``) is never shown, so only prose streams. ``shown`` is the text printed for
    the latest streamed turn (the CLI then prints just the newline).
    """

    def __init__(self, out: Any, prefix: str = "") -> None:
        self.out, self.prefix, self.turn, self.held, self.live, self.shown = out, prefix, 0, "", False, ""

    def __call__(self, event: Any) -> None:
        if event.turn != self.turn:
            self.turn, self.held, self.live = event.turn, "", False
        if self.live:
            return self._write(event.text)
        self.held += event.text
        start = self.held.lstrip()
        if start and start[0] not in "[{<`":
            self.live, self.shown = True, ""
            self.out.write(self.prefix)
            self._write(start)

    def _write(self, text: str) -> None:
        self.shown += text
        self.out.write(text)
        self.out.flush()

    def streamed(self, result: Any) -> bool:
        """True when the answer (whole or cut off) is what was printed: only the newline is left."""
        return self.live and isinstance(result.output, str) and self.shown.strip() == result.output.strip()


_BREAK = re.compile(r"\n|(?<=[.!?:;])\s")  # where a segment may end: a line, or a sentence
_FENCE = "```"
WITHHELD = "[withheld by the output guards]"


class GuardedAnswerStream(AnswerStream):
    """An AnswerStream whose text passes the output guards a segment at a time before it is shown.

    A segment is a sentence or a line: shown once ``chain.check("output", segment)`` allows it,
    redacted when a guard redacts it, replaced by a notice (and nothing more shown) when a guard
    blocks. A fenced code block is held until it closes, so the code scanner judges it whole.
    The run's answer is still checked whole by the loop; when that differs from what was shown,
    ``streamed`` is False and the CLI prints the checked answer. For guards that judge per
    segment (the default output chain: images, PII, code scanner); not for guards that need the
    whole conversation (Llama Guard). Segments are checked with the texts the model was given, as
    far as the caller (``given``: system prompt, history, question) and the run's events (``note``:
    the rendered prompt, tool results) show them, so ImageGuard keeps an image copied from them
    while streaming as the loop will.
    """

    def __init__(self, out: Any, chain: Any, prefix: str = "") -> None:
        super().__init__(out, prefix)
        self.chain, self.pending, self.fences, self.stopped = chain, "", 0, False
        # What the model was given: the texts the caller knows (``given``), and as the run's events
        # show it (the latest rendered prompt; a server's chat mode renders none).
        self.prompt = ""
        self.given: list[str] = []

    def note(self, event: Any) -> None:
        """Keep what a run's event shows the model was given: the latest prompt, each tool result."""
        if isinstance(event, ev.PromptRendered):
            self.prompt = event.prompt
        elif isinstance(event, ev.ToolResultReady):
            self.given.append(str(event.record.result))

    def __call__(self, event: Any) -> None:
        if event.turn != self.turn:
            self.pending, self.fences, self.stopped = "", 0, False
        super().__call__(event)

    def _write(self, text: str) -> None:
        self.pending += text
        cut = self._ready()
        if cut:
            segment, self.pending = self.pending[:cut], self.pending[cut:]
            self._emit(segment)

    def finish(self) -> None:
        """Check and show what is still held (the run has finished)."""
        if self.pending:
            segment, self.pending = self.pending, ""
            self._emit(segment)

    def _payload(self, segment: str) -> Any:
        from corral.guards.base import Conversation  # only with output guards: corral.guards loads lazily

        context = tuple(t for t in (self.prompt, *self.given) if t)
        return Conversation(agent=segment, context=context) if context else segment

    def _ready(self) -> int:
        """The longest prefix of ``pending`` that ends at a break outside a code block (0: none).

        Inside an open block only the text before its opening fence can go (one scan per token,
        not one per break: a long code block is held without quadratic rescans)."""
        pending = self.pending
        limit = len(pending)
        if (self.fences + pending.count(_FENCE)) % 2:
            limit = pending.rfind(_FENCE)
        end = 0
        for m in _BREAK.finditer(pending, 0, limit):
            end = m.end()
        return end

    def _emit(self, segment: str) -> None:
        self.fences += segment.count(_FENCE)
        if self.stopped:
            return
        checked = self.chain.check("output", self._payload(segment))
        if checked.blocked:
            self.stopped = True
            super()._write(WITHHELD)
        else:
            super()._write(str(checked.payload))


def answer_stream(agent: Any, out: Any, prefix: str = "") -> AnswerStream | None:
    """How a CLI shows ``agent``'s answer while it is written: plainly without output guards,
    through them segment by segment when they are all offline and judge text alone, not at all
    for structured answers or guards that need the whole conversation."""
    policy = agent.policy
    if policy.output_type is not None:
        return None
    if not policy.stage_active("output"):
        return AnswerStream(out, prefix)
    chain = agent.guards
    if (
        chain is None
        or not chain.inline
        or any(getattr(g, "wants_conversation", False) for g in chain.guards("output"))
    ):
        return None
    return GuardedAnswerStream(out, chain, prefix)
