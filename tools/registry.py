"""A Registry holds the tools one agent may call. You create it and pass it in: nothing is global.

Example::

    >>> from corral.tools import Registry, tool
    >>> @tool
    ... def search(query: str) -> str:
    ...     return query
    >>> reg = Registry([search])
    >>> reg.prefixed("web_").names
    ['web_search']
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from typing import Any

from corral.exceptions import DuplicateToolError, ToolDefinitionError

from .definition import Tool

__all__ = ["Registry"]


def _origin_of(tool: Tool) -> str:
    func = tool.func
    if func is None:
        return f"schema-only tool {tool.name!r}"
    module = getattr(func, "__module__", None) or "?"
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}:{qualname}"


class Registry:
    """An ordered set of tools with unique names.

    ``Registry([t1, t2])`` accepts tools or typed functions (turned into tools). ``add`` checks
    names; ``filter``, ``prefixed``, ``merge`` / ``|`` return new registries.

    Example::

        >>> from corral.tools import tool
        >>> @tool
        ... def ping(host: str) -> str:
        ...     return host
        >>> reg = Registry([ping])
        >>> "ping" in reg, len(reg), reg.get("pong")
        (True, 1, None)
    """

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._origins: dict[str, str] = {}
        self._openai: list[dict[str, Any]] | None = None
        for item in tools:
            self.add(item)

    def add(self, item: Tool | Callable[..., Any], *, origin: str | None = None) -> Tool:
        """Register a tool (or a typed function) and return the Tool; usable as a decorator.

        Raises DuplicateToolError naming both origins when the name is taken.
        """
        tool = item if isinstance(item, Tool) else Tool.from_function(item)
        where = origin or _origin_of(tool)
        if tool.name in self._tools:
            raise DuplicateToolError(
                f"two tools are named {tool.name!r}: {self._origins[tool.name]} and {where}; "
                "rename one (tool(name=...)) or use Registry.prefixed() to namespace a group"
            )
        self._tools[tool.name] = tool
        self._origins[tool.name] = where
        self._openai = None
        return tool

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or None."""
        return self._tools.get(name)

    def origin(self, name: str) -> str | None:
        """Where the tool came from (``module:qualname`` or the entry point), or None."""
        return self._origins.get(name)

    @property
    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Tool):
            return self._tools.get(item.name) == item
        return item in self._tools

    def __repr__(self) -> str:
        return f"Registry({self.names!r})"

    def _derived(self, pairs: Iterable[tuple[Tool, str]]) -> Registry:
        out = Registry()
        for tool, origin in pairs:
            out.add(tool, origin=origin)
        return out

    def filter(
        self,
        predicate: Callable[[Tool], bool] | None = None,
        *,
        names: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> Registry:
        """A new registry with the tools that pass: listed in ``names`` (if given), not in
        ``exclude``, and ``predicate(tool)`` true (if given). Unknown names are an error.

        Example::

            >>> Registry().filter(lambda t: not t.requires_approval).names
            []
        """
        wanted = None if names is None else list(names)
        unknown = [n for n in (wanted or []) + list(exclude) if n not in self._tools]
        if unknown:
            raise ToolDefinitionError(f"no tools named {unknown} in this registry; it has: {self.names}")
        skip = set(exclude)
        return self._derived(
            (t, self._origins[t.name])
            for t in self
            if (wanted is None or t.name in wanted) and t.name not in skip and (predicate is None or predicate(t))
        )

    def prefixed(self, prefix: str) -> Registry:
        """A new registry whose tool names start with ``prefix`` (e.g. ``"web_"``)."""
        return self._derived((dataclasses.replace(t, name=prefix + t.name), self._origins[t.name]) for t in self)

    def merge(self, other: Registry | Iterable[Tool]) -> Registry:
        """A new registry with this registry's tools then ``other``'s; duplicate names are an error."""
        other_reg = other if isinstance(other, Registry) else Registry(other)
        pairs = [(t, self._origins[t.name]) for t in self]
        pairs += [(t, other_reg._origins[t.name]) for t in other_reg]
        return self._derived(pairs)

    def __or__(self, other: Registry) -> Registry:
        return self.merge(other)

    def to_openai(self) -> list[dict[str, Any]]:
        """Every tool as an OpenAI-style dict, in registration order (a fresh copy each call)."""
        if self._openai is None:
            self._openai = [t.to_openai() for t in self]
        return copy.deepcopy(self._openai)

    @classmethod
    def from_entry_points(cls, group: str = "corral.tools", *, names: Iterable[str] | None = None) -> Registry:
        """Load the tools installed packages publish under an entry-point ``group``.

        An entry point may name a Tool, a typed function, a Registry or a list of those.
        ``names`` restricts loading to those entry-point names. In ``pyproject.toml``::

            [project.entry-points."corral.tools"]
            weather = "my_pkg.tools:forecast"
        """
        wanted = None if names is None else set(names)
        out = cls()
        for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            where = f"entry point {ep.name!r} ({ep.value}) in group {group!r}"
            try:
                obj = ep.load()
            except Exception as exc:
                raise ToolDefinitionError(f"cannot load {where}: {type(exc).__name__}: {exc}") from exc
            for item in _tools_in(obj, where):
                out.add(item, origin=where)
        return out


def _tools_in(obj: Any, where: str) -> list[Tool | Callable[..., Any]]:
    if isinstance(obj, Tool):
        return [obj]
    if isinstance(obj, Registry):
        return list(obj)
    if isinstance(obj, (list, tuple)):
        return list(obj)
    if callable(obj):
        return [obj]
    raise ToolDefinitionError(f"{where} points to {type(obj).__name__}, not a Tool, function, Registry or list")
