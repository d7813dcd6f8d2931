"""A tool is a plain value: a callable plus the spec the model sees.

Example::

    >>> from corral.tools import tool
    >>> @tool
    ... def add(a: int, b: int = 0) -> int:
    ...     '''Add two integers.
    ...
    ...     Args:
    ...         a: The first number.
    ...         b: The second number.
    ...     '''
    ...     return a + b
    >>> add.name, add.parameters["required"], add(2, 3)
    ('add', ['a'], 5)
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import jsonschema
from pydantic import TypeAdapter

from corral.exceptions import ToolDefinitionError

from ._fastcheck import compile_check
from .context import context_parameter
from .schema import signature_schema, type_hints

__all__ = ["Tool", "tool"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, kw_only=True)
class Tool:
    """One callable tool: ``name``, ``description``, ``parameters`` (JSON Schema) and ``func``.

    ``timeout`` (seconds) overrides the dispatcher's default; ``math.inf`` means no limit.
    ``requires_approval`` asks the agent to get a human's yes before running the call.
    ``acts``: whether a call changes something outside the run (sends, pays, deletes, books): the
    intent check (``ToolPolicy(intent=True)``) then checks it (True) or never does (False); None
    leaves it to the tool's name (``corral.guards.intent``).
    ``thread="caller"`` keeps a sync tool on the dispatching thread (a sqlite connection or another
    thread-bound object then works), even when the turn's other calls run concurrently in workers.
    Calling the tool calls ``func``. Build one with :func:`tool`, :meth:`from_function`,
    :meth:`from_schema` or :meth:`from_openai`.

    Example::

        >>> t = Tool.from_schema("echo", "Echo text.", {"type": "object",
        ...     "properties": {"text": {"type": "string"}}, "required": ["text"]}, lambda text: text)
        >>> t.to_openai()["function"]["name"]
        'echo'
    """

    name: str
    description: str
    parameters: dict[str, Any]
    func: Callable[..., Any] | None = None
    timeout: float | None = None
    requires_approval: bool = False
    thread: str = "worker"  # "caller": never moved to a worker thread (see dispatcher.py)
    acts: bool | None = None
    # Compiled once per tool so dispatch does no per-call setup (see validation.py).
    _validator: Any = field(init=False, repr=False, compare=False)
    _adapters: dict[str, TypeAdapter[Any]] = field(init=False, repr=False, compare=False)
    _exact_types: dict[str, type] = field(init=False, repr=False, compare=False)
    _is_async: bool = field(init=False, repr=False, compare=False)
    _accepts: frozenset[str] | None = field(init=False, repr=False, compare=False)
    _fast_check: Callable[[Any], bool] | None = field(init=False, repr=False, compare=False)
    _context_param: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_parameters(self.name, self.parameters)
        if self.thread not in ("worker", "caller"):
            raise ToolDefinitionError(f"tool {self.name!r}: thread must be 'worker' or 'caller', got {self.thread!r}")
        if not (self.acts is None or isinstance(self.acts, bool)):
            raise ToolDefinitionError(f"tool {self.name!r}: acts must be True, False or None, got {self.acts!r}")
        if self.func is not None and not callable(self.func):
            raise ToolDefinitionError(f"tool {self.name!r}: func must be callable, got {self.func!r}")
        object.__setattr__(self, "parameters", copy.deepcopy(self.parameters))
        cls = jsonschema.validators.validator_for(self.parameters, default=jsonschema.Draft202012Validator)
        object.__setattr__(self, "_validator", cls(self.parameters))
        context = _context_name(self.func)
        object.__setattr__(self, "_context_param", context)
        adapters, exact_types = _coercers(self.func, context)
        object.__setattr__(self, "_adapters", adapters)
        object.__setattr__(self, "_exact_types", exact_types)
        object.__setattr__(self, "_is_async", _is_async(self.func))
        object.__setattr__(self, "_accepts", _accepted_names(self.func, context))
        object.__setattr__(self, "_fast_check", compile_check(self.parameters))

    def __hash__(self) -> int:
        return hash((self.name, self.func))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (no validation, no timeout)."""
        if self.func is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no implementation (func=None)")
        return self.func(*args, **kwargs)

    @property
    def context_parameter(self) -> str | None:
        """The name of ``func``'s ``RunContext`` parameter (filled by the agent on each call), or None."""
        return self._context_param

    @property
    def is_async(self) -> bool:
        """True when ``func`` is a coroutine function (it runs on the event loop)."""
        return self._is_async

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI-style tool dict Meta's templates and OpenAI-compatible servers take."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": copy.deepcopy(self.parameters),
            },
        }

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        requires_approval: bool = False,
        thread: str = "worker",
        acts: bool | None = None,
    ) -> Tool:
        """Build a tool from a typed function; the docstring supplies the descriptions.

        Example::

            >>> def ping(host: str) -> str:
            ...     '''Ping a host.'''
            ...     return host
            >>> Tool.from_function(ping).description
            'Ping a host.'
        """
        if isinstance(fn, Tool):
            return fn
        if not callable(fn):
            raise ToolDefinitionError(f"cannot make a tool from {fn!r}: it is not callable")
        name = name or getattr(fn, "__name__", None)
        if not name:
            raise ToolDefinitionError(f"{fn!r} has no __name__: pass name= to give the tool a name")
        schema, _model, summary = signature_schema(fn)
        return cls(
            name=name,
            description=description if description is not None else summary,
            parameters=schema,
            func=fn,
            timeout=timeout,
            requires_approval=requires_approval,
            thread=thread,
            acts=acts,
        )

    @classmethod
    def from_schema(
        cls,
        name: str,
        description: str,
        parameters: dict[str, Any],
        func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> Tool:
        """Build a tool from an existing JSON Schema and a callable taking those arguments.

        Arguments are validated against ``parameters``; when ``func`` has type hints the
        arguments are also converted to those types (e.g. a dict to a pydantic model).
        """
        return cls(name=name, description=description, parameters=parameters, func=func, **options)

    @classmethod
    def from_openai(cls, spec: dict[str, Any], func: Callable[..., Any] | None = None, **options: Any) -> Tool:
        """Build a tool from ``{"type": "function", "function": {...}}`` (or the inner dict).

        Example::

            >>> spec = {"type": "function", "function": {"name": "now", "description": "Time.",
            ...         "parameters": {"type": "object", "properties": {}}}}
            >>> Tool.from_openai(spec).to_openai() == spec
            True
        """
        inner = spec.get("function", spec) if isinstance(spec, dict) else None
        if not isinstance(inner, dict) or "name" not in inner:
            raise ToolDefinitionError(
                "an OpenAI-style tool is {'type': 'function', 'function': {'name': ..., "
                f"'description': ..., 'parameters': {{...}}}}; got {spec!r:.200}"
            )
        params = inner.get("parameters") or {"type": "object", "properties": {}}
        return cls.from_schema(inner["name"], inner.get("description", ""), params, func, **options)


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ToolDefinitionError(
            f"invalid tool name {name!r}: use letters, digits, '_', '.' or '-', starting with a letter or '_'"
        )


def _check_parameters(name: str, schema: Any) -> None:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ToolDefinitionError(
            f'tool {name!r}: parameters must be a JSON Schema with "type": "object", got {schema!r:.200} '
            "(for BFCL-style specs, pass them through corral.tools.normalize_schema first)"
        )
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ToolDefinitionError(
            f"tool {name!r}: parameters are not valid JSON Schema: {exc.message} "
            f"(at {'/'.join(map(str, exc.absolute_path)) or 'the top level'})"
        ) from None


def _is_async(func: Any) -> bool:
    # A callable object's __call__ may be async (callable() cannot tell us that).
    target = getattr(func, "__call__", None) if func is not None and not inspect.isroutine(func) else func  # noqa: B004
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(target)


def _context_name(func: Callable[..., Any] | None) -> str | None:
    """The ``RunContext`` parameter of ``func`` (None without one, or when hints cannot be resolved)."""
    if func is None:
        return None
    try:
        hints = type_hints(func)
        names = list(inspect.signature(func).parameters)
    except Exception:  # unresolvable hints: signature_schema reports them where it matters
        return None
    return context_parameter(hints, names, getattr(func, "__qualname__", repr(func)))


def _accepted_names(func: Callable[..., Any] | None, context: str | None) -> frozenset[str] | None:
    """Keyword names the model may send to ``func`` (never its RunContext parameter), or None when
    it takes ``**kwargs`` (or cannot be inspected)."""
    if func is None:
        return None
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(
        p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != context
    )


# Hints whose (lax) adapter gives back a value of exactly that type unchanged.
_IDENTITY_HINTS = (int, float, bool)


def _coercers(
    func: Callable[..., Any] | None, context: str | None = None
) -> tuple[dict[str, TypeAdapter[Any]], dict[str, type]]:
    """One pydantic adapter per type-hinted parameter (unhinted or ``Any`` ones pass through), and
    the parameters hinted ``int``, ``float`` or ``bool``, whose values of exactly that type can
    skip their adapter (the common case, on every call)."""
    if func is None:
        return {}, {}
    try:
        hints = type_hints(func)
        params = inspect.signature(func).parameters
    except Exception:  # unresolvable hints: pass the JSON values through unconverted
        return {}, {}
    out, exact = {}, {}
    for pname in params:
        if pname == context:
            continue
        hint = hints.get(pname, Any)
        if hint is not Any and hint is not str:  # str needs no conversion after schema validation
            try:
                out[pname] = TypeAdapter(hint)
            except Exception:  # a hint pydantic cannot handle: pass the JSON value through
                continue
            if hint in _IDENTITY_HINTS:
                exact[pname] = hint
    return out, exact


@overload
def tool(fn: F, /) -> Tool: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
    thread: str = "worker",
    acts: bool | None = None,
) -> Callable[[F], Tool]: ...


def tool(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
    thread: str = "worker",
    acts: bool | None = None,
) -> Any:
    """Turn a typed function (sync or async) into a :class:`Tool`; usable bare or with options.

    ``thread="caller"``: the sync tool always runs on the thread that dispatches the turn (for
    thread-bound objects such as a sqlite connection); other sync calls of a busy turn run in workers.
    ``acts=True``/``False``: the tool changes something outside the run, or never does (see :class:`Tool`).

    Example::

        >>> @tool(name="lookup", timeout=5)
        ... async def find(city: str) -> str:
        ...     '''Find a city.'''
        ...     return city
        >>> find.name, find.timeout, find.is_async
        ('lookup', 5, True)
    """

    def wrap(f: Any) -> Tool:
        return Tool.from_function(
            f,
            name=name,
            description=description,
            timeout=timeout,
            requires_approval=requires_approval,
            thread=thread,
            acts=acts,
        )

    return wrap if fn is None else wrap(fn)
