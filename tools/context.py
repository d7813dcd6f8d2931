"""The run context a tool may ask for: the application's deps, the run's ids, the call id, usage so far.

A tool declares a parameter annotated ``RunContext`` (or ``RunContext[MyDeps]``); that parameter
stays out of the JSON Schema the model sees, and the agent fills it on every call. This is how a
tool reaches a database or an HTTP client without closures or globals.

Example::

    >>> from dataclasses import dataclass
    >>> from corral.tools import RunContext, tool
    >>> @dataclass
    ... class Deps:
    ...     greeting: str
    >>> @tool
    ... def greet(ctx: RunContext[Deps], name: str) -> str:
    ...     '''Greet someone.'''
    ...     return f"{ctx.deps.greeting}, {name}"
    >>> list(greet.parameters["properties"])
    ['name']

``idempotency_key`` names the run's *work*, not one attempt at it: give the same key when a run is
retried or resumed (``agent.run(..., idempotency_key=stable_key(item_id, spec_hash))``) and tools can
skip work already done; without one, each run gets a fresh uuid-based key. ``call_key`` adds the
call id, for one side effect per call.
"""

from __future__ import annotations

import hashlib
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from corral.exceptions import ToolDefinitionError

__all__ = ["RunContext", "context_parameter", "new_key", "stable_key"]

DepsT = TypeVar("DepsT")


@dataclass(frozen=True, kw_only=True)
class RunContext(Generic[DepsT]):
    """What a tool can know about the run calling it (filled by the agent; never by the model).

    ``deps``: the application's dependencies (``Agent(deps=...)``, or per run ``run(..., deps=...)``).
    ``run_id``: this run. ``idempotency_key``: stable across retries/resumes when the caller gives one.
    ``call_id``/``tool_name``: this call. ``usage``: token totals of the turns so far
    (a ``corral.Usage``, or None outside an agent). ``turn``: the model turn that made the call.

    Example::

        >>> ctx = RunContext(deps={"db": "sqlite://"}, run_id="r1", idempotency_key="k1", call_id="c1")
        >>> ctx.call_key
        'k1:c1'
    """

    deps: DepsT
    run_id: str
    idempotency_key: str
    call_id: str | None = None
    tool_name: str = ""
    usage: Any = None
    turn: int = 0

    @property
    def call_key(self) -> str:
        """A key for this call's side effect: the run's idempotency key and the call id."""
        return f"{self.idempotency_key}:{self.call_id or self.tool_name}"

    def for_call(self, call_id: str | None, tool_name: str) -> RunContext[DepsT]:
        """A copy naming one call (the dispatcher makes one per call)."""
        return RunContext(
            deps=self.deps,
            run_id=self.run_id,
            idempotency_key=self.idempotency_key,
            call_id=call_id,
            tool_name=tool_name,
            usage=self.usage,
            turn=self.turn,
        )


def stable_key(*parts: Any) -> str:
    """A short key derived only from ``parts`` (e.g. an item id and a spec hash): the same parts
    give the same key in any process and any attempt.

    Example::

        >>> stable_key("item-7", "spec-ab12") == stable_key("item-7", "spec-ab12")
        True
    """
    if not parts:
        raise ValueError("stable_key needs at least one part (e.g. an item id)")
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass"))
    return "idem-" + digest.hexdigest()[:32]


def new_key() -> str:
    """A fresh, unique idempotency key for a run whose caller gave none."""
    return "run-" + uuid.uuid4().hex


def _is_context(hint: Any) -> bool:
    return hint is RunContext or typing.get_origin(hint) is RunContext


def context_parameter(hints: dict[str, Any], names: list[str], origin: Callable[..., Any] | str = "") -> str | None:
    """The name of the one parameter annotated ``RunContext`` (among ``names``, in order), or None."""
    found = [name for name in names if _is_context(_strip_annotated(hints.get(name)))]
    if len(found) > 1:
        raise ToolDefinitionError(
            f"{origin} takes {len(found)} RunContext parameters ({', '.join(found)}): a tool takes at most one"
        )
    return found[0] if found else None


def _strip_annotated(hint: Any) -> Any:
    if typing.get_origin(hint) is typing.Annotated:
        return typing.get_args(hint)[0]
    return hint
