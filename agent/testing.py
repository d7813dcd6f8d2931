"""Test doubles for your own tests: backends that answer without a model.

Scripted model text goes through the real parser, tools and guards, so a test exercises everything
but the model. ``ScriptedBackend`` hands out texts in order and records each prompt;
``FunctionBackend`` computes each reply from the prompt.

Example::

    >>> from corral import Agent
    >>> from corral.testing import ScriptedBackend
    >>> backend = ScriptedBackend(["The answer is 4."])
    >>> Agent(backend, guards=None).run("2+2?").output
    'The answer is 4.'
    >>> backend.assert_all_used()
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .backends.base import Completion, CompletionDelta
from .exceptions import BackendError

__all__ = ["ScriptedBackend", "FunctionBackend", "PromptRecord"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptRecord:
    """One request a test backend received."""

    prompt: str
    stop: tuple[str, ...]
    max_tokens: int
    grammar: str | None


def _completion(text: str, prompt: str, started: float) -> Completion:
    # Word counts stand in for tokens: close enough for usage bookkeeping in tests.
    return Completion(
        text=text,
        prompt_tokens=len(prompt.split()),
        prompt_tokens_evaluated=len(prompt.split()),
        completion_tokens=len(text.split()),
        total_time=time.perf_counter() - started,
    )


class _RecordingBackend:
    __test__ = False  # not a pytest test class, despite the name of its users

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.requests: list[PromptRecord] = []
        self._lock = threading.Lock()

    def _reply(self, prompt: str) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def complete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 256, grammar: str | None = None
    ) -> Completion:
        started = time.perf_counter()
        with self._lock:
            self.prompts.append(prompt)
            self.requests.append(PromptRecord(prompt=prompt, stop=tuple(stop), max_tokens=max_tokens, grammar=grammar))
        text = self._reply(prompt)  # outside the lock: a FunctionBackend's replies may run concurrently
        return _completion(text, prompt, started)

    async def acomplete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 256, grammar: str | None = None
    ) -> Completion:
        # In a (daemon) worker thread, like the embedded backend: a reply that blocks must not hold
        # the event loop, so concurrent runs (corral batch --concurrency N) really overlap.
        from corral.tools._daemon import WORKERS

        future = WORKERS.submit(
            functools.partial(self.complete, prompt, stop=stop, max_tokens=max_tokens, grammar=grammar)
        )
        return await asyncio.wrap_future(future)

    def stream(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 256, grammar: str | None = None
    ) -> Iterator[CompletionDelta | Completion]:
        """Yield the reply in small pieces, then the whole Completion (as a streaming server would)."""
        done = self.complete(prompt, stop=stop, max_tokens=max_tokens, grammar=grammar)
        for i in range(0, len(done.text), 8):
            yield CompletionDelta(text=done.text[i : i + 8])
        yield done

    async def astream(self, prompt: str, **kw: Any) -> AsyncIterator[CompletionDelta | Completion]:
        done = await self.acomplete(prompt, **kw)
        for i in range(0, len(done.text), 8):
            yield CompletionDelta(text=done.text[i : i + 8])
        yield done


class ScriptedBackend(_RecordingBackend):
    """Hands out ``texts`` in order, one per completion; records every prompt.

    Running out of texts raises ``AssertionError`` naming the prompt that found the script empty;
    ``assert_all_used()`` fails when texts are left over (the agent stopped earlier than scripted).

    Example::

        >>> backend = ScriptedBackend(['[add(a=1, b=2)]', 'It is 3.'])
        >>> backend.remaining
        2
    """

    def __init__(self, texts: Iterable[str]) -> None:
        super().__init__()
        self.texts = list(texts)
        self._next = 0

    @property
    def remaining(self) -> int:
        return len(self.texts) - self._next

    def _reply(self, prompt: str) -> str:
        with self._lock:  # texts are handed out in order, one each, also to concurrent runs
            return self._take(prompt)

    def _take(self, prompt: str) -> str:
        if self._next >= len(self.texts):
            tail = prompt[-300:]
            raise AssertionError(
                f"ScriptedBackend ran out of texts after {len(self.texts)} completions; "
                f"the agent asked for one more. End of that prompt:\n{tail}"
            )
        text = self.texts[self._next]
        self._next += 1
        return text

    def assert_all_used(self) -> None:
        """Fail when scripted texts were never requested."""
        if self.remaining:
            left = self.texts[self._next :]
            raise AssertionError(f"ScriptedBackend: {len(left)} scripted text(s) never used: {left!r}")


class FunctionBackend(_RecordingBackend):
    """Computes each reply with ``fn(prompt) -> str`` (e.g. answer from the last tool result).

    Example::

        >>> backend = FunctionBackend(lambda prompt: "yes" if "?" in prompt else "no")
        >>> backend.complete("ok?", stop=[], max_tokens=8).text
        'yes'
    """

    def __init__(self, fn: Callable[[str], str]) -> None:
        super().__init__()
        self.fn = fn

    def _reply(self, prompt: str) -> str:
        text = self.fn(prompt)
        if not isinstance(text, str):  # would fail deep in the parser otherwise
            name = getattr(self.fn, "__qualname__", repr(self.fn))
            raise BackendError(f"FunctionBackend: {name} returned {type(text).__name__}, not the reply text (a str)")
        return text
