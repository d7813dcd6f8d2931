"""``jinja``: any model through the chat template embedded in its GGUF file.

The template renders the conversation; corral adds JSON tool-call instructions (and the tools)
to the system message, writes earlier calls as canonical JSON in the assistant's content, and
passes tool results under ``tool_role`` (default ``"tool"``). Content never becomes control
tokens: the model's special tokens (from the GGUF vocab, plus BOS/EOS/stops and any
``<|name|>``) are broken in every message (see :mod:`corral.prompts.markers`). The template
runs sandboxed with ``raise_exception``, ``strftime_now`` and Hugging Face's ``tojson``. This
is how SmolLM2 runs.

Example::

    >>> fmt = JinjaFormat("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}")
    >>> fmt.render([{"role": "user", "content": "hi"}], add_generation_prompt=False)
    '<user>hi'
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from corral.exceptions import RenderError, UsageError

from .base import ChatFormat, date_text
from .formats import json_tool_instructions
from .gguf_meta import read_chat_metadata
from .jinja_env import environment
from .markers import Markers
from .messages import Message, to_messages
from .specs import tool_specs

__all__ = ["JinjaFormat"]


class JinjaFormat(ChatFormat):
    """A chat format from a Jinja2 chat template (a GGUF file's, or any template string).

    Example::

        >>> JinjaFormat("{{ messages[0].content }}", eos_token="</s>").stop_tokens
        ('</s>',)
    """

    flavor = "json"

    def __init__(
        self,
        template: str,
        *,
        bos_token: str = "",
        eos_token: str = "",
        stop_tokens: Iterable[str] | None = None,
        name: str = "jinja",
        parallel_calls: bool = True,
        tool_role: str = "tool",
        special_tokens: Iterable[str] = (),
    ) -> None:
        if not isinstance(template, str) or not template.strip():
            raise UsageError("JinjaFormat needs a chat template (Jinja2 source); this model has none")
        try:
            self._template = environment().from_string(template)
        except TemplateError as exc:
            raise UsageError(f"the chat template does not compile: {exc}") from exc
        self.source = template
        self.name = name
        self.bos_token, self.eos_token = bos_token, eos_token
        stops = stop_tokens if stop_tokens is not None else [eos_token]
        self.stop_tokens = tuple(dict.fromkeys(s for s in stops if s))
        self.parallel_calls = parallel_calls
        self.tool_role = tool_role
        self.markers = Markers([bos_token, eos_token, *self.stop_tokens, *special_tokens])

    @classmethod
    def from_gguf(cls, path: str | Path, **options: Any) -> JinjaFormat:
        """The format of a GGUF model: its ``tokenizer.chat_template`` and BOS/EOS/EOT tokens.

        Example::

            >>> JinjaFormat.from_gguf("SmolLM2-135M-Instruct.Q4_1.gguf").stop_tokens  # doctest: +SKIP
            ('<|im_end|>',)
        """
        meta = read_chat_metadata(path)
        if not meta.chat_template:
            raise UsageError(f"{path} has no tokenizer.chat_template; pick a format by name instead")
        options.setdefault("stop_tokens", [meta.eos_token, meta.eot_token])
        options.setdefault("special_tokens", meta.special_tokens)
        return cls(meta.chat_template, bos_token=meta.bos_token, eos_token=meta.eos_token, **options)

    def _message(self, m: Message) -> dict[str, Any]:
        safe = self.markers.neutralise
        if m.role in ("tool", "ipython"):
            return {"role": self.tool_role, "content": safe(m.text)}
        if m.role == "assistant" and m.tool_calls:
            return {"role": "assistant", "content": safe(self.encode_calls(m.tool_calls))}
        return {"role": m.role, "content": safe(m.text)}

    def _messages(self, messages: Iterable[Any], tools: Any) -> list[dict[str, Any]]:
        out = [self._message(m) for m in to_messages(messages)]
        instructions = json_tool_instructions(tool_specs(tools), parallel=self.parallel_calls).rstrip()
        instructions = self.markers.neutralise(instructions)
        if not instructions:
            return out
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content'].rstrip()}\n\n{instructions}".lstrip()}
        else:
            out.insert(0, {"role": "system", "content": instructions})
        return out

    def render(
        self, messages: Iterable[Any], tools: Any = None, *, add_generation_prompt: bool = True, date: Any = None
    ) -> str:
        """The prompt text from the model's own template (see :meth:`ChatFormat.render`)."""
        variables: dict[str, Any] = {
            "messages": self._messages(messages, tools),
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        if date is not None:
            variables["date_string"] = date_text(date, "%d %b %Y")
        try:
            return self._template.render(**variables)
        except RenderError:
            raise
        except Exception as exc:  # third-party template code: say which part failed
            raise RenderError(f"the {self.name} chat template failed: {type(exc).__name__}: {exc}") from exc
