"""Body readers: what a request does with the bytes of a successful response (pure, no I/O).

A reader is fed the body chunk by chunk (``feed`` returns what to hand the caller now) and then
``result`` gives the final value. ``JsonBody`` keeps the bytes and checks the whole reply at the end;
``CompletionStream`` and ``ChatStream`` read server-sent events as they come. ``started`` says
whether the caller has already seen output (after that a request is not retried).

Example::

    >>> reader = CompletionStream("http://x/v1/completions")
    >>> reader.feed(b'data: {"choices":[{"text":"hi","finish_reason":"stop"}]}\\n\\n')
    [CompletionDelta(text='hi')]
    >>> reader.result().text
    'hi'
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from corral.exceptions import BackendError, StreamTruncated

from ._chat import assistant_turn, finish_reason, usage_of
from ._schema import StreamEvent, _excerpt, validate_body, validate_event
from .base import ChatReply, Completion, CompletionDelta, ToolCallDelta

__all__ = ["ChatStream", "CompletionStream", "JsonBody", "LineSplitter"]

_M = TypeVar("_M", bound=BaseModel)
_EOL = re.compile(r"\r\n|\r|\n")  # SSE line ends; never str.splitlines (U+2028 is text, not a line end)


class JsonBody(Generic[_M]):
    """A whole JSON reply: kept as bytes, checked against ``model`` at the end, then ``convert``-ed."""

    started = False

    def __init__(self, model: type[_M], url: str, convert: Callable[[_M], Any]) -> None:
        self.model, self.url, self.convert = model, url, convert
        self.parts: list[bytes] = []

    def feed(self, chunk: bytes) -> Sequence[Any]:
        self.parts.append(chunk)
        return ()

    def result(self) -> Any:
        return self.convert(validate_body(self.model, b"".join(self.parts), self.url, 200))


class LineSplitter:
    """Bytes in, whole text lines out (UTF-8 decoded across chunk boundaries)."""

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._rest = ""

    def feed(self, chunk: bytes) -> list[str]:
        lines = _EOL.split(self._rest + self._decode(chunk))
        self._rest = lines.pop()
        return lines

    def flush(self) -> list[str]:
        rest, self._rest = self._rest + self._decode(b"", True), ""
        return [rest] if rest else []


class _Events:
    """Server-sent events: each ``data:`` line is one JSON event, checked; ``[DONE]`` ends the stream."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lines = LineSplitter()
        self.done = self.finished = False
        self.usage: StreamEvent | None = None  # the last event that carried usage or timings

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        for line in self.lines.feed(chunk):
            event = self._event(line)
            if event is not None:
                yield event

    def _event(self, line: str) -> StreamEvent | None:
        if self.done or not line.startswith("data:"):
            return None
        payload = line[5:].strip()
        if payload == "[DONE]":
            self.done = True
            return None
        event = validate_event(payload, self.url)
        if event.error is not None and not event.choices:
            raise BackendError(f"{self.url} reported an error mid-stream: {_excerpt(json.dumps(event.error))}")
        if event.usage is not None or event.timings is not None:
            self.usage = event
        self.finished = self.finished or any(c.finish_reason for c in event.choices)
        return event

    def close(self) -> None:
        for line in self.lines.flush():
            self._event(line)
        if not (self.done or self.finished):
            raise StreamTruncated(
                f"{self.url}: the stream ended before the server said it was done "
                "(no finish reason, no [DONE]); the answer is incomplete"
            )


class _StreamReader:
    """What both streams share: the events, the text so far, the finish reason and the clock."""

    def __init__(self, url: str) -> None:
        self.events = _Events(url)
        self.parts: list[str] = []
        self.reason: str | None = None
        self.started_at = time.perf_counter()
        self.first_at: float | None = None

    @property
    def started(self) -> bool:
        return bool(self.parts)

    def _text(self, text: str | None, out: list[Any]) -> None:
        if text:
            if self.first_at is None:
                self.first_at = time.perf_counter()
            self.parts.append(text)
            out.append(CompletionDelta(text=text))

    def _completion(self) -> Completion:
        self.events.close()
        last = self.events.usage
        prompt, evaluated, completion = usage_of(last.usage, last.timings) if last else (0, 0, 0)
        now = time.perf_counter()
        return Completion(
            text="".join(self.parts),
            finish_reason=finish_reason(self.reason),
            prompt_tokens=prompt,
            prompt_tokens_evaluated=evaluated,
            completion_tokens=completion or len(self.parts),
            total_time=now - self.started_at,
            time_to_first_token=(self.first_at or now) - self.started_at,
        )


class CompletionStream(_StreamReader):
    """A streamed /completions answer: ``CompletionDelta`` items, then the whole ``Completion``."""

    def feed(self, chunk: bytes) -> list[Any]:
        out: list[Any] = []
        for event in self.events.feed(chunk):
            for choice in event.choices[:1]:
                self.reason = choice.finish_reason or self.reason
                self._text(choice.text or (choice.delta.content if choice.delta else None), out)
        return out

    def result(self) -> Completion:
        return self._completion()


class ChatStream(_StreamReader):
    """A streamed /chat/completions answer: ``CompletionDelta`` and ``ToolCallDelta`` items, then a ``ChatReply``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.calls: dict[int, list[Any]] = {}  # index -> [id, name, argument pieces]

    @property
    def started(self) -> bool:
        return bool(self.parts or self.calls)

    def feed(self, chunk: bytes) -> list[Any]:
        out: list[Any] = []
        for event in self.events.feed(chunk):
            for choice in event.choices[:1]:
                self.reason = choice.finish_reason or self.reason
                if choice.delta is not None:
                    self._text(choice.delta.content, out)
                    for fragment in choice.delta.tool_calls or ():
                        out.append(self._call_fragment(fragment))
        return out

    def _call_fragment(self, fragment: Any) -> ToolCallDelta:
        fn = fragment.function
        name, args = (fn.name, fn.arguments) if fn is not None else (None, None)
        args = json.dumps(args) if isinstance(args, dict) else (args or "")
        call = self.calls.setdefault(fragment.index, [None, None, []])
        call[0], call[1] = fragment.id or call[0], name or call[1]
        call[2].append(args)
        return ToolCallDelta(index=fragment.index, id=fragment.id, name=name, arguments=args)

    def result(self) -> ChatReply:
        completion = self._completion()
        raw = [(c[0], c[1], "".join(c[2])) for _, c in sorted(self.calls.items())]
        return ChatReply(turn=assistant_turn(completion.text or None, raw), completion=completion)
