"""The JSONL transcript: one line per event, appended and flushed as it happens; and reading it back.

A transcript can hold several runs (a chat appends each run to the same file). ``load_transcript``
rebuilds the last run's state as a RunResult, so a conversation continues (or an interrupted run
resumes) with ``agent.run(..., history=load_transcript(path))``.

Example::

    >>> from corral import Agent, load_transcript
    >>> from corral.testing import ScriptedBackend
    >>> agent = Agent(ScriptedBackend(["Hi!", "Bye!"]), guards=None)
    >>> first = agent.run("hello", transcript="chat.jsonl")             # doctest: +SKIP
    >>> agent.run("bye", history=load_transcript("chat.jsonl")).output  # doctest: +SKIP
    'Bye!'
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from corral.exceptions import FileFormatError, UsageError
from corral.prompts.messages import Message

from . import events as ev
from .jsonl import dumps_line, read_bytes, split_lines
from .result import PendingCall, RunResult, ToolCallRecord, TurnRecord

__all__ = ["TranscriptWriter", "load_transcript"]


class TranscriptWriter:
    """A hook that appends every event as one JSON line and flushes it (crash-safe up to the last event).

    ``include_prompts=False`` (the default) leaves the full prompt text out of ``prompt_rendered``
    lines (it repeats the whole conversation every turn); its length is kept.

    Example::

        >>> writer = TranscriptWriter("run.jsonl")        # doctest: +SKIP
        >>> agent.run("hi", hooks=[writer]); writer.close()  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str], *, include_prompts: bool = False) -> None:
        self.path = Path(path)
        self.include_prompts = include_prompts
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        if event.__class__ is ev.ModelDelta:
            return  # deltas are summed up by model_completed; keep the file small
        data = event.to_dict()
        if event.__class__ is ev.PromptRendered and not self.include_prompts:
            data["prompt_chars"] = len(data.pop("prompt"))
        line = dumps_line(data)  # any text, lone surrogates and U+2028 included, stays one line
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> TranscriptWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


T = TypeVar("T")
Line = tuple[int, dict[str, Any]]


def _bad(path: Path, number: int, problem: str) -> FileFormatError:
    return FileFormatError(f"{path}:{number}: {problem}; is this a corral transcript?", path=str(path), line=number)


def _read_lines(path: Path) -> list[Line]:
    data = read_bytes(path, "transcript")
    raw = split_lines(data, str(path), torn_tail_ok=not data.endswith(b"\n"))
    lines: list[Line] = []
    for number, text in raw:
        try:
            value = json.loads(text)
        except ValueError:
            if number == raw[-1][0] and not data.endswith(b"\n"):
                break  # a crash mid-write leaves a torn last line: everything before it is sound
            raise _bad(path, number, "not a JSON line") from None
        if not isinstance(value, dict):
            raise _bad(path, number, f"expected a JSON object (one event), got {type(value).__name__}")
        lines.append((number, value))
    return lines


def _field(path: Path, number: int, build: Callable[[], T]) -> T:
    """Run ``build`` on one line's data; a missing key or a bad value names the line."""
    try:
        return build()
    except KeyError as exc:
        raise _bad(path, number, f"missing key {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
        raise _bad(path, number, f"bad event ({' '.join(str(exc).split())[:200]})") from None


def load_transcript(path: str | os.PathLike[str]) -> RunResult:
    """Rebuild the last run in a transcript: its messages, tool calls, turns, pending approvals.

    A run that ended normally comes back with its stop reason and output; one cut off mid-run comes
    back as ``stop_reason="incomplete"`` (``agent.run(history=result)`` picks it up where it stopped;
    a tool whose result was recorded is not run again). A malformed file raises FileFormatError
    naming the line.
    """
    path = Path(path)
    lines = _read_lines(path)
    starts = [i for i, (_, line) in enumerate(lines) if line.get("type") == "run_started"]
    if not starts:
        raise UsageError(f"{path}: no run_started line; not a corral transcript (or empty)")
    (first, head), run = lines[starts[-1]], lines[starts[-1] + 1 :]
    messages = _field(path, first, lambda: [Message.model_validate(m) for m in head["messages"]])
    start = len(messages)
    records: list[ToolCallRecord] = []
    for number, line in run:
        kind = line.get("type")
        if kind == "message_added":
            messages.append(_field(path, number, functools.partial(_message_of, line)))
        elif kind == "tool_result":
            records.append(_field(path, number, functools.partial(_record_of, line)))
    _add_recorded_results(messages, records)
    finished = next(((n, line) for n, line in reversed(run) if line.get("type") == "run_finished"), None)
    run_id = _field(path, first, lambda: str(head["run_id"]))
    if finished is None:
        return _incomplete(run_id, messages, records, start, head.get("guards", []))
    return _field(
        path, finished[0], lambda: _finished(run_id, messages, records, finished[1], start, head.get("guards", []))
    )


def _add_recorded_results(messages: list[Message], records: list[ToolCallRecord]) -> None:
    """Give the last assistant turn's calls the results the transcript recorded but did not add yet.

    A crash between a ``tool_result`` line and its ``message_added`` line must not run that tool
    again on resume: the record holds the exact text the model would have seen.
    """
    last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "assistant"), None)
    if last is None or not messages[last].tool_calls:
        return
    answered = {m.tool_call_id for m in messages[last + 1 :] if m.role in ("tool", "ipython")}
    by_id = {r.id: r for r in records}
    for call in messages[last].tool_calls:
        record = by_id.get(call.id or "")
        if record is not None and call.id not in answered:
            messages.append(Message(role="tool", content=record.result, tool_call_id=call.id, name=call.name))


def _message_of(line: dict[str, Any]) -> Message:
    return Message.model_validate(line["message"])


def _record_of(line: dict[str, Any]) -> ToolCallRecord:
    return _record(line["record"])


def _record(data: Any) -> ToolCallRecord:
    if not isinstance(data, dict):
        raise TypeError(f"'record' must be an object, got {type(data).__name__}")
    for key in ("id", "name", "arguments", "result"):
        if key not in data:
            raise KeyError(f"record.{key}")
    if not isinstance(data["result"], str) or not isinstance(data["arguments"], dict):
        raise TypeError("record.result must be text and record.arguments an object")
    keys = ("id", "name", "arguments", "result", "status", "error_kind", "turn", "duration", "blocked_by")
    return ToolCallRecord(**{k: data[k] for k in keys if k in data})


def _incomplete(
    run_id: str, messages: list[Message], records: list[ToolCallRecord], start: int, guards: list[str]
) -> RunResult:
    return RunResult(
        run_id=run_id,
        output=None,
        messages=messages,
        stop_reason="incomplete",
        stop_message="The transcript ends mid-run.",
        tool_calls=records,
        new_message_start=start,
        guards=list(guards),
    )


def _finished(
    run_id: str,
    messages: list[Message],
    records: list[ToolCallRecord],
    finished: dict[str, Any],
    start: int,
    guards: list[str],
) -> RunResult:
    return RunResult(
        run_id=run_id,
        output=finished.get("output"),
        messages=messages,
        stop_reason=finished["stop_reason"],
        stop_message=finished.get("stop_message", ""),
        tool_calls=records,
        new_message_start=start,
        turns=[TurnRecord(**t) for t in finished.get("turns", [])],
        pending=[PendingCall(**p) for p in finished.get("pending", [])],
        guards=list(finished.get("guards", guards)),
        blocked_by=finished.get("blocked_by"),
    )
