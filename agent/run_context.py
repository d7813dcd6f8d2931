"""What a run hands its tools: the RunContext (deps, run id, idempotency key), and the agent's tool
sources (tools, registries, MCP servers) gathered into one Registry.

Example::

    >>> from corral.tools import Registry
    >>> run_id, context = run_context(Registry(), None, {"run_id": "r1"})
    >>> run_id, context
    ('r1', None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from corral.exceptions import UsageError

__all__ = ["run_context", "tool_sources"]

_RUN_OPTIONS = ("deps", "run_id", "idempotency_key")


def run_context(registry: Any, deps: Any, ids: Mapping[str, Any]) -> tuple[str, Any]:
    """The run's id and its RunContext (None when no tool takes one: nothing to build per call).

    ``ids`` are the run's keyword options: ``deps`` (replaces the agent's), ``run_id`` and
    ``idempotency_key`` (a caller's stable key; a fresh uuid-based one otherwise).
    """
    unknown = sorted(set(ids) - set(_RUN_OPTIONS))
    if unknown:
        raise UsageError(
            f"unknown run option(s) {', '.join(unknown)}: a run takes deps=, run_id= and "
            "idempotency_key= besides history, approvals, hooks and transcript"
        )
    run_id = _text(ids.get("run_id"), "run_id") or os.urandom(6).hex()
    key = _text(ids.get("idempotency_key"), "idempotency_key")
    if not any(t.context_parameter for t in registry):
        return run_id, None
    from corral.tools import RunContext
    from corral.tools.context import new_key

    return run_id, RunContext(deps=ids.get("deps", deps), run_id=run_id, idempotency_key=key or new_key())


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"{name} must be a non-empty string, got {value!r}")
    return value


def tool_sources(tools: Any) -> tuple[Any, list[Any]]:
    """One Registry from tools, functions, registries and MCP servers, and the servers this call
    connected (the agent closes those; a server its caller connected stays the caller's).
    """
    from corral.tools import Registry

    if tools is None:
        return Registry(), []
    if isinstance(tools, Registry):
        return tools, []
    registry, owned = Registry(), []
    try:
        for item in list(tools):
            if isinstance(item, Registry):
                registry = registry.merge(item)
            elif _is_source(item):
                if not item.connected:
                    item.connect()
                    owned.append(item)
                registry = registry.merge(item.registry())
            else:
                registry.add(item)
    except BaseException:
        for source in owned:  # a later item failed: close what this call opened
            source.close()
        raise
    return registry, owned


def _is_source(item: Any) -> bool:
    """A tool source (an MCP server): it connects, and then lists its tools as a Registry."""
    return all(callable(getattr(item, name, None)) for name in ("connect", "registry", "close"))
