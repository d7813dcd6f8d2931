"""Translating between corral's values and OpenAI-compatible JSON (pure functions, no I/O)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from corral.exceptions import ToolCallParseError
from corral.prompts.markers import neutralise
from corral.prompts.messages import AssistantTurn, Message, ToolCall, to_message

from ._schema import ChatResponse, CompletionResponse, Timings, Usage
from .base import ChatReply, Completion, FinishReason

__all__ = [
    "completion_from_response",
    "chat_body",
    "chat_reply",
    "message_to_openai",
    "usage_of",
    "finish_reason",
    "assistant_turn",
    "server_calls",
]

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "stop", "eos": "stop"}


def finish_reason(raw: str | None) -> FinishReason:
    """A server's finish reason in corral's terms (anything unknown ended normally)."""
    return _FINISH.get(raw or "stop", "stop")  # type: ignore[return-value]


def usage_of(usage: Usage | None, timings: Timings | None) -> tuple[int, int, int]:
    """(prompt tokens, prompt tokens evaluated, completion tokens) from a reply's usage and timings."""
    prompt = (usage and usage.prompt_tokens) or 0
    completion = (usage and usage.completion_tokens) or 0
    # What the server really evaluated: llama-server reports timings.prompt_n; OpenAI-style servers
    # report cached prompt tokens. Without either, assume the whole prompt was evaluated.
    if timings is not None and timings.prompt_n is not None:
        return prompt, timings.prompt_n, completion
    details = usage.prompt_tokens_details if usage else None
    return prompt, prompt - ((details and details.cached_tokens) or 0), completion


def completion_from_response(data: CompletionResponse, seconds: float) -> Completion:
    """A checked /completions reply as a Completion."""
    choice = data.choices[0]
    prompt, evaluated, completion = usage_of(data.usage, data.timings)
    stop_token = choice.stop_reason if isinstance(choice.stop_reason, str) else None
    return Completion(
        text=choice.text or "",
        finish_reason=finish_reason(choice.finish_reason),
        stop_token=stop_token,
        prompt_tokens=prompt,
        prompt_tokens_evaluated=evaluated,
        completion_tokens=completion,
        total_time=seconds,
    )


def message_to_openai(message: Message | dict[str, Any]) -> dict[str, Any]:
    """A corral Message as an OpenAI chat message (role ``ipython`` becomes ``tool``)."""
    msg = to_message(message)
    if msg.role in ("tool", "ipython"):
        return {"role": "tool", "tool_call_id": msg.tool_call_id or "", "content": msg.text}
    out: dict[str, Any] = {"role": msg.role, "content": msg.content or ""}
    if msg.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id or f"call_{i}",
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
            }
            for i, c in enumerate(msg.tool_calls)
        ]
    return out


def _on_the_wire(message: dict[str, Any]) -> dict[str, Any]:
    # The server applies its chat template and tokenizes with special tokens parsed: markers such as
    # <|eot_id|> in content would become real turn markers (a forged turn). Break them, as render does.
    content = message.get("content")
    if isinstance(content, str) and "<" in content:
        message["content"] = neutralise(content)
    return message


def chat_body(
    backend: Any,
    messages: Sequence[Any],
    tools: Sequence[dict[str, Any]],
    tool_choice: Any,
    max_tokens: int,
    stream: bool = False,
) -> dict[str, Any]:
    """The JSON body of a /chat/completions request."""
    body: dict[str, Any] = {
        "messages": [_on_the_wire(message_to_openai(m)) for m in messages],
        "max_tokens": max_tokens,
        "temperature": backend.temperature,
    }
    if backend.model:
        body["model"] = backend.model
    if tools:
        body["tools"] = list(tools)
        if tool_choice in ("auto", "none", "required"):
            body["tool_choice"] = tool_choice
        elif tool_choice:
            body["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
    if stream:
        body["stream"] = True
    return {**body, **backend.extra_body}


def server_calls(raw_calls: Sequence[tuple[str | None, str | None, Any]]) -> list[ToolCall] | ToolCallParseError:
    """The server's tool calls, as (id, name, arguments JSON text or object), as ToolCalls."""
    calls = []
    for call_id, name, args in raw_calls:
        args = args or "{}"
        try:
            arguments = json.loads(args) if isinstance(args, str) else args
        except ValueError as exc:
            return ToolCallParseError(f"the arguments of {name!r} are not valid JSON: {exc}", text=args)
        if not isinstance(arguments, dict):
            return ToolCallParseError(f"the arguments of {name!r} must be a JSON object", text=str(args))
        calls.append(ToolCall(name=name or "", arguments=arguments, id=call_id))
    return calls


def assistant_turn(content: str | None, raw_calls: Sequence[tuple[str | None, str | None, Any]]) -> Any:
    """The AssistantTurn of a chat answer: the server's calls, or calls found in the text by corral's parser."""
    if raw_calls:
        calls = server_calls(raw_calls)
        return calls if isinstance(calls, ToolCallParseError) else AssistantTurn(content=content, tool_calls=calls)
    return _parse_text(content or "")


def chat_reply(data: ChatResponse, seconds: float) -> ChatReply:
    """A checked /chat/completions reply as a ChatReply; plain text goes through corral's parser."""
    choice = data.choices[0]
    message = choice.message
    prompt, evaluated, completion_tokens = usage_of(data.usage, data.timings)
    completion = Completion(
        text=message.content or "",
        finish_reason=finish_reason(choice.finish_reason),
        prompt_tokens=prompt,
        prompt_tokens_evaluated=evaluated,
        completion_tokens=completion_tokens,
        total_time=seconds,
    )
    raw = [
        (c.id, c.function.name if c.function else None, c.function.arguments if c.function else None)
        for c in message.tool_calls or ()
    ]
    return ChatReply(turn=assistant_turn(message.content, raw), completion=completion)


def _parse_text(text: str) -> AssistantTurn | ToolCallParseError:
    from corral.prompts import parse

    try:
        return parse(text)
    except ToolCallParseError as exc:
        return exc
