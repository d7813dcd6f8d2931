"""The backend seam: prompt text in, completion text out. It knows nothing of chat or tools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Iterator, Literal, Protocol, Sequence, runtime_checkable

__all__ = ["Completion", "Backend", "FinishReason"]

FinishReason = Literal["stop", "length", "error"]


@dataclass(frozen=True, kw_only=True)
class Completion:
    """One completion. ``stop_token`` is the stop string that ended it (e.g. ``<|eom_id|>``), if any.

    ``prompt_tokens_evaluated`` counts the prompt tokens the backend actually computed: with prefix
    reuse it is far below ``prompt_tokens`` on later turns. Times are in seconds.
    """

    text: str
    finish_reason: FinishReason = "stop"
    stop_token: str | None = None
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    time_to_first_token: float = 0.0
    total_time: float = 0.0


@runtime_checkable
class Backend(Protocol):
    """Anything that completes a prompt. Implementations: LlamaCppBackend, OpenAIBackend, ScriptedBackend."""

    def complete(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> Completion: ...

    async def acomplete(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> Completion: ...
