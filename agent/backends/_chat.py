"""Translating between corral's values and OpenAI-compatible JSON (pure functions, no I/O)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from corral.exceptions import ToolCallParseError
from corral.prompts.messages import AssistantTurn, Message, ToolCall, to_message

from ._http import SSEDecoder
from .base import ChatReply, Completion

__all__ = ["completion_from_json", "chat_body", "chat_reply", "message_to_openai", "StreamAccumulator"]

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "stop", "eos": "stop"}


def _usage(data: dict[str, Any]) -> tuple[int, int, int]:
    usage = data.get("usage") or {}
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    # What the server really evaluated: llama-server reports timings.prompt_n; OpenAI-style servers
    # report cached prompt tokens. Without either, assume the whole prompt was evaluated.
    timings = data.get("timings") or {}
    if "prompt_n" in timings:
        evaluated = int(timings["prompt_n"])
    else:
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        evaluated = prompt - int(cached)
    return prompt, evaluated, completion


def completion_from_json(data: dict[str, Any], seconds: float) -> Completion:
    """A /completions response as a Completion."""
    choice = data["choices"][0]
    prompt, evaluated, completion = _usage(data)
    stop_token = choice.get("stop_reason") if isinstance(choice.get("stop_reason"), str) else None
    return Completion(
        text=choice.get("text") or "", finish_reason=_FINISH.get(choice.get("finish_reason") or "stop", "stop"),
        stop_token=stop_token, prompt_tokens=prompt, prompt_tokens_evaluated=evaluated,
        completion_tokens=completion, total_time=seconds,
    )


class StreamAccumulator:
    """Collects a streamed /completions answer: ``feed`` returns each text delta, ``finish`` the Completion."""

    def __init__(self, url: str) -> None:
        import time

        self._clock = time.perf_counter
        self.started_at = self._clock()
        self.first_token_at: float | None = None
        self.decoder = SSEDecoder(url)
        self.parts: list[str] = []
        self.finish_reason = "stop"
        self.last: dict[str, Any] = {}

    @property
    def started(self) -> bool:
        return bool(self.parts)

    def feed(self, line: str) -> str:
        event = self.decoder.feed(line)
        if not event:
            return ""
        self.last = event if event.get("usage") or event.get("timings") else self.last or event
        choices = event.get("choices") or [{}]
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = _FINISH.get(choice["finish_reason"], "stop")
        text = choice.get("text") or (choice.get("delta") or {}).get("content") or ""
        if text:
            if self.first_token_at is None:
                self.first_token_at = self._clock()
            self.parts.append(text)
        return text

    def finish(self) -> Completion:
        self.decoder.close()
        prompt, evaluated, completion = _usage(self.last)
        now = self._clock()
        return Completion(
            text="".join(self.parts), finish_reason=self.finish_reason,  # type: ignore[arg-type]
            prompt_tokens=prompt, prompt_tokens_evaluated=evaluated,
            completion_tokens=completion or len(self.parts), total_time=now - self.started_at,
            time_to_first_token=(self.first_token_at or now) - self.started_at,
        )


def message_to_openai(message: Message | dict[str, Any]) -> dict[str, Any]:
    """A corral Message as an OpenAI chat message (role ``ipython`` becomes ``tool``)."""
    msg = to_message(message)
    if msg.role in ("tool", "ipython"):
        return {"role": "tool", "tool_call_id": msg.tool_call_id or "", "content": msg.text}
    out: dict[str, Any] = {"role": msg.role, "content": msg.content or ""}
    if msg.tool_calls:
        out["tool_calls"] = [
            {"id": c.id or f"call_{i}", "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
            for i, c in enumerate(msg.tool_calls)
        ]
    return out


def chat_body(backend: Any, messages: Sequence[Any], tools: Sequence[dict[str, Any]], tool_choice: Any,
              max_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messages": [message_to_openai(m) for m in messages], "max_tokens": max_tokens,
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
    return {**body, **backend.extra_body}


def _server_calls(raw_calls: list[dict[str, Any]]) -> list[ToolCall] | ToolCallParseError:
    calls = []
    for raw in raw_calls:
        fn = raw.get("function") or {}
        args = fn.get("arguments") or "{}"
        try:
            arguments = json.loads(args) if isinstance(args, str) else args
        except ValueError as exc:
            return ToolCallParseError(f"the arguments of {fn.get('name')!r} are not valid JSON: {exc}", text=args)
        if not isinstance(arguments, dict):
            return ToolCallParseError(f"the arguments of {fn.get('name')!r} must be a JSON object", text=args)
        calls.append(ToolCall(name=fn.get("name") or "", arguments=arguments, id=raw.get("id")))
    return calls


def chat_reply(data: dict[str, Any], seconds: float) -> ChatReply:
    """A /chat/completions response as a ChatReply; plain text goes through corral's parser."""
    choice = data["choices"][0]
    message = choice.get("message") or {}
    content = message.get("content")
    prompt, evaluated, completion_tokens = _usage(data)
    completion = Completion(
        text=content or "", finish_reason=_FINISH.get(choice.get("finish_reason") or "stop", "stop"),
        prompt_tokens=prompt, prompt_tokens_evaluated=evaluated, completion_tokens=completion_tokens,
        total_time=seconds,
    )
    turn: Any
    if message.get("tool_calls"):
        calls = _server_calls(message["tool_calls"])
        turn = calls if isinstance(calls, ToolCallParseError) else AssistantTurn(content=content, tool_calls=calls)
    else:
        turn = _parse_text(content or "")
    return ChatReply(turn=turn, completion=completion)


def _parse_text(text: str) -> AssistantTurn | ToolCallParseError:
    from corral.prompts import parse

    try:
        return parse(text)
    except ToolCallParseError as exc:
        return exc
