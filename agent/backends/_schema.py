"""The shapes of OpenAI-compatible replies, checked at the boundary (pydantic).

Servers differ (llama-server, llama_cpp.server, vLLM, Ollama), so the models accept what they
legitimately vary in (missing usage, ``null`` fields, extra keys) and refuse what no server should
send: ``{"choices": [1]}``, ``usage: "x"``, a chat ``message`` that is a string, ``tool_calls:
["x"]``. A refusal is a ``BackendResponseError`` that names the field and what was wrong.

Example::

    >>> CompletionResponse.model_validate({"choices": [{"text": "hi"}]}).choices[0].text
    'hi'
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corral.exceptions import BackendResponseError

__all__ = [
    "ChatResponse",
    "CompletionResponse",
    "StreamEvent",
    "Timings",
    "Usage",
    "validate_body",
    "validate_event",
]

_M = TypeVar("_M", bound=BaseModel)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _CachedTokens(_Shape):
    cached_tokens: int | None = None


class Usage(_Shape):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _CachedTokens | None = None


class Timings(_Shape):
    prompt_n: int | None = None  # llama-server: prompt tokens really evaluated


class _Function(_Shape):
    name: str | None = None
    arguments: str | dict[str, Any] | None = None  # a JSON string; some servers send the object


class ToolCallShape(_Shape):
    index: int = 0  # stream deltas only: which call a fragment belongs to
    id: str | None = None
    function: _Function | None = None


class ChatMessage(_Shape):
    content: str | None = None
    tool_calls: list[ToolCallShape] | None = None


class CompletionChoice(_Shape):
    text: str | None = None
    finish_reason: str | None = None
    stop_reason: str | int | None = None  # vLLM: the stop string or token id that ended it


class ChatChoice(_Shape):
    message: ChatMessage
    finish_reason: str | None = None


class CompletionResponse(_Shape):
    choices: list[CompletionChoice] = Field(min_length=1)
    usage: Usage | None = None
    timings: Timings | None = None


class ChatResponse(_Shape):
    choices: list[ChatChoice] = Field(min_length=1)
    usage: Usage | None = None
    timings: Timings | None = None


class StreamChoice(_Shape):
    text: str | None = None  # /completions events
    delta: ChatMessage | None = None  # /chat/completions events
    finish_reason: str | None = None


class StreamEvent(_Shape):
    choices: list[StreamChoice] = Field(default_factory=list)  # a last usage-only event may have none

    @field_validator("choices", mode="before")
    @classmethod
    def _null_is_none(cls, value: Any) -> Any:
        return [] if value is None else value  # some servers send "choices": null with the usage

    usage: Usage | None = None
    timings: Timings | None = None
    error: Any = None


_HINT = (
    "check that base_url points to an OpenAI-compatible server and that mode= matches the "
    "endpoint it serves ('completions' or 'chat')"
)


def _what(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _excerpt(raw: bytes | str, limit: int = 300) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(text.split())
    return (text if len(text) <= limit else text[:limit] + "...") or "(empty body)"


def validate_body(model: type[_M], raw: bytes, url: str, status: int) -> _M:
    """Parse and check a whole JSON reply; a ``BackendResponseError`` names what was wrong."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise BackendResponseError(
                f"{url} returned malformed JSON (HTTP {status}): {_excerpt(raw)}; {_HINT}"
            ) from None
        raise BackendResponseError(
            f"{url} returned a reply of the wrong shape: {_what(exc)}. Body: {_excerpt(raw)}; {_HINT}"
        ) from None


def validate_event(payload: str, url: str) -> StreamEvent:
    """Parse and check one ``data:`` payload of a stream."""
    try:
        return StreamEvent.model_validate_json(payload)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise BackendResponseError(f"{url} sent a broken stream event: {_excerpt(payload)}") from None
        raise BackendResponseError(
            f"{url} sent a stream event of the wrong shape: {_what(exc)}. Event: {_excerpt(payload)}; {_HINT}"
        ) from None
