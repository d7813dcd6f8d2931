"""Incremental rendering: the prompt of a growing conversation without re-rendering its history.

An agent renders the whole conversation every turn, but the formats are append-only: the prompt
for turn N+1 is the prompt for turn N (without its generation prompt) plus the new messages. A
:class:`PromptBuilder` keeps the text rendered so far and renders only the messages added since;
the fixed head (system block and tool listing, the costly part) comes from a :class:`HeadCache`
that can be shared by all runs of one agent. Formats that cannot render message by message
(``head_size`` returns None, e.g. a GGUF's own jinja template) are rendered in full each time.
The result is always exactly ``fmt.render(messages, tools, date=date)``.

Example::

    >>> from corral.prompts import Message, get_format
    >>> builder = PromptBuilder(get_format("llama3.2"), date="1 Jan 2025")
    >>> msgs = [Message(role="user", content="Hi")]
    >>> first = builder.render(msgs, None)
    >>> msgs.append(Message(role="assistant", content="Hello!"))
    >>> msgs.append(Message(role="user", content="Bye"))
    >>> builder.render(msgs, None) == get_format("llama3.2").render(msgs, date="1 Jan 2025")
    True
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Sequence
from typing import Any

from .messages import Message

__all__ = ["PromptBuilder", "HeadCache"]


class HeadCache:
    """Rendered prompt heads (system block + tools) by tools object, date and head messages.

    Keys use the *identity* of the tools object: pass the same, never-mutated list for the same
    tools (an agent's tool specs are). A different object, or a different system text or date,
    renders a new head. At most ``size`` heads are kept.

    Example::

        >>> cache = HeadCache(size=8)
        >>> len(cache)
        0
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._heads: dict[Any, tuple[Any, str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._heads)

    def get(self, key: Any, tools: Any) -> str | None:
        hit = self._heads.get(key)
        return hit[1] if hit is not None and hit[0] is tools else None

    def put(self, key: Any, tools: Any, text: str) -> None:
        with self._lock:
            if len(self._heads) >= self.size:
                self._heads.clear()  # heads are cheap to rebuild; no LRU bookkeeping on the hot path
            self._heads[key] = (tools, text)  # the tools object is kept alive: its id stays unique


def _head_key(messages: Sequence[Message], n: int, tools: Any, date: Any) -> Any:
    key = [id(tools), date]
    for m in messages[:n]:
        if m.tool_calls:  # not a plain text message: not worth a key
            return None
        key.append((m.role, m.text, m.name, m.tool_call_id))
    return tuple(key)


class PromptBuilder:
    """Renders one conversation turn after turn, appending only what changed (see module docs).

    ``date`` is pinned when the builder is made (default: today), so a run that crosses midnight
    keeps one prompt prefix. ``messages`` must be Message models; the builder notices when the
    rendered messages are no longer a prefix of the new list (by identity) or ``tools`` is a
    different object, and starts over.
    """

    def __init__(self, fmt: Any, *, date: Any = None, heads: HeadCache | None = None) -> None:
        self.format = fmt
        self.date = _dt.date.today() if date is None else date
        self.heads = heads
        self._tools: Any = None
        self._done: list[Message] = []
        self._text: str | None = None  # render(self._done, add_generation_prompt=False)
        self.full_renders = 0  # how often the whole conversation was rendered (for tests and benchmarks)

    def render(self, messages: Sequence[Message], tools: Any) -> str:
        """Exactly ``fmt.render(messages, tools, add_generation_prompt=True, date=self.date)``."""
        gen = getattr(self.format, "generation_prompt", None)  # duck-typed formats: render in full
        if gen is None:
            return self._full(messages, tools)
        if self._text is not None and tools is self._tools and self._extends(messages):
            new = messages[len(self._done) :]
            if new:
                self._text += self.format.render_turns(new)
                self._done.extend(new)
            return self._text + gen
        return self._start(messages, tools, gen)

    def _extends(self, messages: Sequence[Message]) -> bool:
        done = self._done
        if len(messages) < len(done):
            return False
        for old, new in zip(done, messages):
            if old is not new:
                return False
        return True

    def _full(self, messages: Sequence[Message], tools: Any) -> str:
        self.full_renders += 1
        return self.format.render(messages, tools, add_generation_prompt=True, date=self.date)

    def _start(self, messages: Sequence[Message], tools: Any, gen: str) -> str:
        n = self.format.head_size(messages, tools)
        if n is None or n > len(messages):
            self._text = None
            return self._full(messages, tools)
        head = self._head(messages, n, tools)
        self._text = head + self.format.render_turns(messages[n:])
        self._done, self._tools = list(messages), tools
        return self._text + gen

    def _head(self, messages: Sequence[Message], n: int, tools: Any) -> str:
        key = _head_key(messages, n, tools, self.date) if self.heads is not None else None
        head = self.heads.get(key, tools) if key is not None else None  # type: ignore[union-attr]
        if head is None:
            self.full_renders += 1
            head = self.format.render(messages[:n], tools, add_generation_prompt=False, date=self.date)
            if key is not None:
                self.heads.put(key, tools, head)  # type: ignore[union-attr]
        return head
