"""The backend seam: prompt text in, completion text out. It knows nothing of chat or tools."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from corral.prompts.messages import AssistantTurn, Message

__all__ = [
    "Completion",
    "CompletionDelta",
    "ToolCallDelta",
    "ChatReply",
    "Backend",
    "StreamingBackend",
    "ChatBackend",
    "GrammarAware",
    "DetectsFormat",
    "Tokenizes",
    "FinishReason",
]

FinishReason = Literal["stop", "length", "repetition", "error"]  # repetition: stopped as a loop, before max_tokens


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
    """Anything that completes a prompt. Implementations: LlamaCppBackend, OpenAIBackend, ScriptedBackend.

    Optional features are small Protocols of their own, which a backend has or has not:
    ``StreamingBackend`` (``stream``/``astream``), ``ChatBackend`` (the server renders the chat),
    ``GrammarAware`` (``wants_grammar``: False when grammars are not honoured), ``DetectsFormat``
    (``detect_format()``: the chat format its model needs), ``Tokenizes`` (``tokenize(text)``).

    Example::

        >>> from corral.testing import ScriptedBackend
        >>> isinstance(ScriptedBackend(["hi"]), Backend), isinstance(ScriptedBackend(["hi"]), DetectsFormat)
        (True, False)
    """

    def complete(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> Completion: ...

    async def acomplete(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> Completion: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class CompletionDelta:
    """A piece of text from a streaming completion; the stream ends with the whole ``Completion``."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call from a streaming chat answer (``OpenAIBackend.chat_stream``).

    Fragments with the same ``index`` belong to one call: ``id`` and ``name`` come once, ``arguments``
    is the next piece of the JSON text. The stream's final ``ChatReply`` holds the whole calls.

    Example::

        >>> ToolCallDelta(index=0, name="add", arguments='{"a": 1').name
        'add'
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, kw_only=True)
class ChatReply:
    """A chat-mode answer: the parsed assistant turn plus the raw completion (text, usage, times)."""

    turn: AssistantTurn
    completion: Completion


@runtime_checkable
class StreamingBackend(Backend, Protocol):
    """A backend that can also stream: ``CompletionDelta`` items, then one final ``Completion``."""

    def stream(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> Iterator[CompletionDelta | Completion]: ...

    def astream(
        self, prompt: str, *, stop: Sequence[str], max_tokens: int, grammar: str | None = None
    ) -> AsyncIterator[CompletionDelta | Completion]: ...


@runtime_checkable
class ChatBackend(Protocol):
    """A backend whose server applies the chat template and returns tool calls itself.

    The agent uses ``chat``/``achat`` instead of rendering a prompt when ``backend.chat_mode`` is true.
    """

    chat_mode: bool

    def chat(
        self, messages: Sequence[Message], *, tools: Sequence[dict[str, Any]], tool_choice: Any, max_tokens: int
    ) -> ChatReply: ...

    async def achat(
        self, messages: Sequence[Message], *, tools: Sequence[dict[str, Any]], tool_choice: Any, max_tokens: int
    ) -> ChatReply: ...


@runtime_checkable
class GrammarAware(Protocol):
    """A backend that says whether it honours GBNF grammars; one without this attribute gets them.

    Example::

        >>> class NoGrammars:
        ...     wants_grammar = False
        >>> isinstance(NoGrammars(), GrammarAware)
        True
    """

    @property
    def wants_grammar(self) -> bool: ...


@runtime_checkable
class DetectsFormat(Protocol):
    """A backend that knows its model's chat format (e.g. from GGUF metadata).

    ``detect_format()`` returns a format name (``"llama3.2"``) or a ChatFormat object. Without it
    the agent uses ``llama3.2``.
    """

    def detect_format(self) -> Any: ...


@runtime_checkable
class Tokenizes(Protocol):
    """A backend that can count tokens with its model's own tokenizer (e.g. for token-aware chunking)."""

    def tokenize(self, text: str) -> list[int]: ...
