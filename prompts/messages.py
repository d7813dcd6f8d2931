"""Conversation data: messages, tool calls and the parsed assistant turn.

These are pydantic models because they cross the library's boundary: users build them, read them
from transcripts and send them to servers. OpenAI-style dicts are accepted wherever a message is.

Example::

    >>> from corral.prompts import Message, to_messages
    >>> to_messages([{"role": "user", "content": "hi"}])[0].role
    'user'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ToolCall", "Message", "AssistantTurn", "Role", "StopReason", "to_messages"]

# What Meta's templates' ``tojson`` (json.dumps, non-ASCII kept) writes; built once, used per turn.
json_text = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

Role = Literal["system", "user", "assistant", "ipython", "tool"]
StopReason = Literal["end_of_turn", "end_of_message"]


class ToolCall(BaseModel):
    """One call the model asked for: ``name`` and its ``arguments`` (a JSON object)."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class Message(BaseModel):
    """One chat message. ``tool`` and ``ipython`` are the same role: a tool's result.

    A tool result may be JSON data (a dict or list) instead of text; it is kept as given and
    written as JSON in the prompt (Meta's templates run it through ``tojson``).

    Example::

        >>> Message(role="tool", content={"temp_c": 21}).content
        {'temp_c': 21}
    """

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str | dict[str, Any] | list[Any] | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _data_only_in_results(self) -> Message:
        if not isinstance(self.content, (str, type(None))) and self.role not in ("tool", "ipython"):
            raise ValueError(
                f"a {self.role} message's content must be text; only tool results may be JSON data (a dict or list)"
            )
        return self

    def to_openai(self) -> dict[str, Any]:
        """This message in the OpenAI Chat Completions shape (what ``to_message`` reads back).

        Tool calls become ``{"id", "type": "function", "function": {"name", "arguments": JSON
        string}}``; a tool result (``tool`` or ``ipython``) becomes ``role="tool"`` with its
        ``tool_call_id`` and text content (JSON for a data result, as the prompt shows it).

        Example::

            >>> call = ToolCall(name="add", arguments={"a": 1}, id="c1")
            >>> Message(role="assistant", tool_calls=[call]).to_openai()["tool_calls"][0]["function"]
            {'name': 'add', 'arguments': '{"a": 1}'}
        """
        role = "tool" if self.role == "ipython" else self.role
        out: dict[str, Any] = {"role": role, "content": self.content if self.content is None else self.text}
        if self.tool_calls:
            out["tool_calls"] = [_call_to_openai(c) for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out

    @property
    def text(self) -> str:
        """The content as text: "" for none, JSON for a tool's data result."""
        content = self.content
        if isinstance(content, str):
            return content
        return "" if content is None else json_text(content)


class AssistantTurn(BaseModel):
    """What the model said in one turn: text, tool calls, and how the turn ended."""

    model_config = ConfigDict(frozen=True)

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    stop_reason: StopReason | None = None


def _call_to_openai(call: ToolCall) -> dict[str, Any]:
    out: dict[str, Any] = {"id": call.id} if call.id is not None else {}
    out.update(type="function", function={"name": call.name, "arguments": json_text(call.arguments)})
    return out


def _call_from_openai(raw: Any) -> ToolCall:
    if isinstance(raw, ToolCall):
        return raw
    fn = raw.get("function", raw)
    args = fn.get("arguments", fn.get("parameters", {}))
    if isinstance(args, str):
        args = json.loads(args) if args.strip() else {}
    return ToolCall(name=fn["name"], arguments=args, id=raw.get("id"))


def to_message(raw: Message | dict[str, Any]) -> Message:
    """Turn an OpenAI-style dict (or a Message) into a Message."""
    if isinstance(raw, Message):
        return raw
    data = dict(raw)
    calls = data.pop("tool_calls", None) or []
    content = data.get("content")
    if isinstance(content, list) and _is_parts(content, data.get("role")):  # OpenAI content parts: keep the text
        data["content"] = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return Message(**data, tool_calls=[_call_from_openai(c) for c in calls])


def _is_parts(content: list[Any], role: Any) -> bool:
    """OpenAI content parts, as opposed to a tool's JSON list result."""
    if role not in ("tool", "ipython"):
        return True
    return bool(content) and all(isinstance(p, dict) and p.get("type") == "text" for p in content)


def to_messages(items: Iterable[Message | dict[str, Any]]) -> list[Message]:
    """Normalise a list of messages or OpenAI-style dicts into Messages."""
    return [to_message(m) for m in items]
