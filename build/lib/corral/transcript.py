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

import json
import os
import threading
from pathlib import Path
from typing import Any

from corral.exceptions import UsageError
from corral.prompts.messages import Message

from . import events as ev
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
        line = json.dumps(data, ensure_ascii=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> "TranscriptWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        raw = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"Cannot read transcript {path}: {exc.strerror or exc}") from None
    lines = []
    for number, text in enumerate(raw, 1):
        if not text.strip():
            continue
        try:
            lines.append(json.loads(text))
        except ValueError:
            if number == len(raw):
                break  # a crash mid-write leaves a torn last line: everything before it is sound
            raise UsageError(f"{path}:{number}: not a JSON line; is this a corral transcript?") from None
    return lines


def load_transcript(path: str | os.PathLike[str]) -> RunResult:
    """Rebuild the last run in a transcript: its messages, tool calls, turns, pending approvals.

    A run that ended normally comes back with its stop reason and output; one cut off mid-run comes
    back as ``stop_reason="incomplete"`` (``agent.run(history=result)`` picks it up where it stopped).
    """
    path = Path(path)
    lines = _read_lines(path)
    starts = [i for i, line in enumerate(lines) if line.get("type") == "run_started"]
    if not starts:
        raise UsageError(f"{path}: no run_started line; not a corral transcript (or empty)")
    run = lines[starts[-1]:]
    messages = [Message.model_validate(m) for m in run[0]["messages"]]
    start = len(messages)
    records: list[ToolCallRecord] = []
    for line in run[1:]:
        kind = line.get("type")
        if kind == "message_added":
            messages.append(Message.model_validate(line["message"]))
        elif kind == "tool_result":
            records.append(_record(line["record"]))
    finished = next((line for line in reversed(run) if line.get("type") == "run_finished"), None)
    return _result(run[0]["run_id"], messages, records, finished, start, run[0].get("guards", []))


def _record(data: dict[str, Any]) -> ToolCallRecord:
    keys = ("id", "name", "arguments", "result", "status", "error_kind", "turn", "duration", "blocked_by")
    return ToolCallRecord(**{k: data[k] for k in keys if k in data})


def _result(run_id: str, messages: list[Message], records: list[ToolCallRecord], finished: dict[str, Any] | None,
            start: int, guards: list[str]) -> RunResult:
    if finished is None:
        return RunResult(run_id=run_id, output=None, messages=messages, stop_reason="incomplete",
                         stop_message="The transcript ends mid-run.", tool_calls=records, new_message_start=start,
                         guards=list(guards))
    return RunResult(
        run_id=run_id, output=finished.get("output"), messages=messages, stop_reason=finished["stop_reason"],
        stop_message=finished.get("stop_message", ""), tool_calls=records, new_message_start=start,
        turns=[TurnRecord(**t) for t in finished.get("turns", [])],
        pending=[PendingCall(**p) for p in finished.get("pending", [])],
        guards=list(finished.get("guards", guards)), blocked_by=finished.get("blocked_by"),
    )

