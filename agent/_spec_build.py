"""Turning a validated AgentSpec into live objects: backend, tools, guards, Agent.

Kept apart from ``corral.spec`` so validating a spec never imports llama_cpp or httpx.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .exceptions import SpecError, UsageError

if TYPE_CHECKING:
    from .spec import AgentSpec, BackendSpec, GuardsSpec

__all__ = ["load_object", "load_tools", "build_backend", "build_guards", "build_agent"]


@contextmanager
def _importable_from(base_dir: Path | None) -> Iterator[None]:
    # A spec's import paths may name modules next to the spec file (e.g. an example's own tools).
    if base_dir is None or str(base_dir) in sys.path:
        yield
        return
    sys.path.insert(0, str(base_dir))
    try:
        yield
    finally:
        try:
            sys.path.remove(str(base_dir))
        except ValueError:
            pass


def load_object(ref: str, *, base_dir: Path | None = None, what: str = "object") -> Any:
    """Import ``package.module:attribute`` (dots allowed in the attribute); UsageError says what is wrong.

    Example::

        >>> load_object("os.path:join") is os.path.join
        True
    """
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"Bad {what} path {ref!r}: write package.module:name, e.g. corral.tools.builtin:calculator")
    with _importable_from(base_dir):
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise UsageError(f"Cannot import module {module_name!r} for {what} {ref!r}: {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"Module {module_name!r} has no attribute {attr!r} (from {what} {ref!r})") from None
    return obj


def load_tools(refs: list[str], *, base_dir: Path | None = None) -> Any:
    """One Registry from import paths naming a Registry, a tool, a typed function or a list of them.

    Example::

        >>> load_tools(["corral.tools.builtin:calculator"]).names   # doctest: +SKIP
        ['calculator']
    """
    from corral.tools import Registry

    registry = Registry()
    for ref in refs:
        obj = load_object(ref, base_dir=base_dir, what="tools")
        if isinstance(obj, Registry):
            registry = registry.merge(obj)
            continue
        for item in obj if isinstance(obj, (list, tuple)) else [obj]:
            registry.add(item, origin=ref)
    return registry


def _llamacpp(spec: Any, model_override: str | None) -> Any:
    from corral import LlamaCppBackend

    return LlamaCppBackend(
        model_override or spec.model, n_ctx=spec.n_ctx, n_threads=spec.n_threads or os.cpu_count() or 1,
        grammar=spec.grammar, temperature=spec.temperature, seed=spec.seed,
    )


def _openai(spec: Any, model_override: str | None) -> Any:
    from corral import OpenAIBackend

    return OpenAIBackend(
        base_url=spec.base_url, model=model_override or spec.model, mode=spec.mode,
        api_key=os.environ.get(spec.api_key_env), timeout=spec.timeout, max_retries=spec.max_retries,
        temperature=spec.temperature,
    )


def _scripted(spec: Any, base_dir: Path | None) -> Any:
    from corral.testing import ScriptedBackend

    if (spec.turns is None) == (spec.script is None):
        raise SpecError("backend: a scripted backend needs exactly one of 'turns' (inline) or 'script' (import path)")
    turns = spec.turns if spec.turns is not None else load_object(spec.script, base_dir=base_dir, what="script")
    turns = turns() if callable(turns) else turns
    return ScriptedBackend(list(turns))


def _function(spec: Any, base_dir: Path | None) -> Any:
    from corral.testing import FunctionBackend

    fn = load_object(spec.function, base_dir=base_dir, what="backend function")
    if not callable(fn):
        raise SpecError(f"backend.function: {spec.function!r} is not callable")
    return FunctionBackend(fn)


def build_backend(spec: "BackendSpec", *, base_dir: Path | None = None, model: str | None = None) -> Any:
    """The backend a spec's ``[backend]`` table describes; ``model`` overrides the spec's model."""
    if spec.type == "llamacpp":
        return _llamacpp(spec, model)
    if spec.type == "openai":
        return _openai(spec, model)
    if spec.type == "scripted":
        return _scripted(spec, base_dir)
    return _function(spec, base_dir)


def build_guards(spec: "GuardsSpec", *, base_dir: Path | None = None) -> Any:
    """A GuardChain from ``[guards]`` (default chain, Llama Guard, a configured tool policy), or None."""
    if not spec.default and spec.llama_guard is None and spec.tool_policy is None:
        return None  # no guards at all: the agent skips every stage
    from corral.guards import GuardChain, LlamaGuard, ToolPolicy
    from corral.guards.chain import LLAMA_GUARD_STAGES

    llama_guard = None
    if spec.llama_guard is not None:
        guard_backend = build_backend(spec.llama_guard.backend, base_dir=base_dir)
        llama_guard = LlamaGuard(guard_backend, model_size=spec.llama_guard.model_size,
                                 categories=spec.llama_guard.categories,
                                 custom_categories=spec.llama_guard.custom_categories or None)
    if spec.default:
        chain = GuardChain.default(llama_guard=llama_guard)
    elif llama_guard is not None:
        chain = GuardChain.none().add(LLAMA_GUARD_STAGES, llama_guard)
    else:
        chain = GuardChain.none()
    if spec.tool_policy is not None:
        policy = spec.tool_policy
        chain = chain.add("tool_call", ToolPolicy(
            allow=policy.allow, deny=policy.deny, budgets=policy.budgets, requires_approval=policy.requires_approval,
        ))
    chain.fail_open = spec.fail_open
    return chain


def build_agent(spec: "AgentSpec", *, model: str | None = None, tools: Any = None, backend: Any = None) -> Any:
    """An Agent from a validated spec. ``model`` (a path or hf: ref) overrides the spec's model;
    ``tools`` (a Registry) replaces the spec's tools (already loaded); ``backend`` reuses a built one.

    Example::

        >>> from corral.spec import load_spec, build_agent
        >>> agent = build_agent(load_spec("agent.toml"))   # doctest: +SKIP
    """
    from corral import Agent

    registry = tools if tools is not None else load_tools(spec.tools, base_dir=spec.base_dir)
    if backend is None:
        backend = build_backend(spec.backend, base_dir=spec.base_dir, model=model)
    return Agent(
        backend, tools=registry, format=spec.format, system=spec.system,
        guards=build_guards(spec.guards, base_dir=spec.base_dir), tool_choice=spec.tool_choice,
        max_turns=spec.limits.max_turns, max_tokens=spec.limits.max_tokens, timeout=spec.limits.timeout,
        tool_timeout=spec.limits.tool_timeout,
    )
