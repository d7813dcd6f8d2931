"""A transparent backend wrapper that records every request and Completion (for measuring, not testing).

The benchmark needs the exact prompt, stop list and grammar an agent turn sent (to replay them
through raw ``llama_cpp.Llama``) and each Completion's token counts and time to first token. The
spy forwards everything else to the wrapped backend, so the agent sees the real backend.

Example::

    >>> from corral.testing import FunctionBackend
    >>> spy = SpyBackend(FunctionBackend(lambda p: "ok"))
    >>> spy.complete("hi", stop=["\\n"], max_tokens=4).text, spy.calls[0].stop
    ('ok', ('\\n',))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SpyBackend", "SpyCall"]


@dataclass(frozen=True, kw_only=True)
class SpyCall:
    """One request and what came back."""

    prompt: str
    stop: tuple[str, ...]
    max_tokens: int
    grammar: str | None
    completion: Any


class SpyBackend:
    """Wraps a backend; ``calls`` lists every completed request in order."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[SpyCall] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _record(self, prompt: str, stop: Sequence[str], max_tokens: int, grammar: str | None, done: Any) -> Any:
        self.calls.append(
            SpyCall(prompt=prompt, stop=tuple(stop), max_tokens=max_tokens, grammar=grammar, completion=done)
        )
        return done

    def complete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> Any:
        done = self.inner.complete(prompt, stop=stop, max_tokens=max_tokens, grammar=grammar)
        return self._record(prompt, stop, max_tokens, grammar, done)

    async def acomplete(
        self, prompt: str, *, stop: Sequence[str] = (), max_tokens: int = 512, grammar: str | None = None
    ) -> Any:
        done = await self.inner.acomplete(prompt, stop=stop, max_tokens=max_tokens, grammar=grammar)
        return self._record(prompt, stop, max_tokens, grammar, done)
