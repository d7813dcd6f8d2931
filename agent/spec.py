"""Agent specs: a scripted agent as a TOML file, validated with pydantic.

A spec names the backend and model, the chat format, the system prompt, the tools (by import path),
the guards and the limits. Unknown keys and bad values raise :class:`~corral.exceptions.SpecError`
naming the key, before any model loads.

Example ``agent.toml``::

    system = "You are a careful assistant. Use the calculator for arithmetic."
    tools = ["corral.tools.builtin:calculator"]

    [backend]
    type = "llamacpp"        # llamacpp | openai | scripted | function
    n_ctx = 2048

    [limits]
    max_turns = 4
    max_tokens = 256
    timeout = 60

and in Python::

    >>> from corral import Agent
    >>> agent = Agent.from_spec("agent.toml")     # doctest: +SKIP
    >>> agent.run("What is 12 * 7?").output       # doctest: +SKIP

``Agent.from_spec`` also takes a validated ``AgentSpec`` (``load_spec`` / ``parse_spec``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from .exceptions import SpecError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "AgentSpec",
    "BackendSpec",
    "LlamaCppSpec",
    "OpenAISpec",
    "ScriptedSpec",
    "FunctionSpec",
    "GuardsSpec",
    "LlamaGuardSpec",
    "ToolPolicySpec",
    "LimitsSpec",
    "MCPSpec",
    "load_spec",
    "parse_spec",
    "agent_options",
    "build_backend",
    "build_guards",
    "load_object",
    "load_tools",
]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo in a spec must never be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class LlamaCppSpec(_Strict):
    """The embedded llama-cpp-python backend. ``model`` omitted: the default resolution order."""

    type: Literal["llamacpp"]
    model: str | None = None
    n_ctx: int = Field(2048, ge=256)
    n_threads: int | None = Field(None, ge=1, description="None: all cores")
    grammar: bool = True
    temperature: float = Field(0.0, ge=0.0)
    seed: int | None = None


class OpenAISpec(_Strict):
    """Any OpenAI-compatible server: llama-server, ``python -m llama_cpp.server``, vLLM, Ollama."""

    type: Literal["openai"]
    base_url: str = Field(pattern=r"^https?://")
    model: str = ""
    mode: Literal["completions", "chat"] = "completions"
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0)
    temperature: float = Field(0.0, ge=0.0)


class ScriptedSpec(_Strict):
    """A scripted test double: model texts inline (``turns``) or from an import path (``script``)."""

    type: Literal["scripted"]
    turns: list[str] | None = Field(None, min_length=1, description="at least one model text")
    script: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")


class FunctionSpec(_Strict):
    """A function backend: ``function`` is ``module:callable`` computing a reply from the prompt."""

    type: Literal["function"]
    function: str = Field(pattern=r"^[\w.]+:[\w.]+$")


BackendSpec = Union[LlamaCppSpec, OpenAISpec, ScriptedSpec, FunctionSpec]


class LlamaGuardSpec(_Strict):
    """Llama Guard 3 on its own backend (a GGUF or an OpenAI-compatible server)."""

    backend: BackendSpec = Field(discriminator="type")
    categories: list[str] | None = None
    custom_categories: dict[str, str] = Field(default_factory=dict)
    model_size: Literal["1B", "8B"] = "1B"


class ToolPolicySpec(_Strict):
    """Allow/deny lists, per-run call budgets, provenance and intent checks for the tool policy guard.

    ``provenance = true``: sensitive arguments (recipients, IBANs, amounts, URLs, paths, commands,
    by name, plus ``sensitive = {tool = ["arg"]}``) must not be copied only from tool results,
    unless listed in ``allow_values``. ``intent = true``: a tool that acts (sends, pays, deletes,
    books ...) runs only when a user turn asks for that kind of action; ``intent_words = {tool =
    ["word"]}`` names the words that ask for a tool, ``intent_exempt`` tools never checked;
    ``intent_objects = false``: a tool that makes something (``create_calendar_event``) needs no word
    for the thing in the request, only one for making it.
    """

    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    budgets: dict[str, int] = Field(default_factory=dict)
    requires_approval: list[str] = Field(default_factory=list)
    provenance: bool = False
    sensitive: dict[str, list[str]] = Field(default_factory=dict)
    allow_values: list[str] = Field(default_factory=list)
    intent: bool = False
    intent_words: dict[str, list[str]] = Field(default_factory=dict)
    intent_exempt: list[str] = Field(default_factory=list)
    intent_objects: bool = True

    @model_validator(mode="after")
    def _options_need_their_check(self) -> ToolPolicySpec:
        if (self.sensitive or self.allow_values) and not self.provenance:
            raise ValueError("sensitive and allow_values configure the provenance check: add provenance = true")
        if (self.intent_words or self.intent_exempt or not self.intent_objects) and not self.intent:
            raise ValueError(
                "intent_words, intent_exempt and intent_objects configure the intent check: add intent = true"
            )
        return self


class GuardsSpec(_Strict):
    """Which guards run. ``default``: the offline chain; ``llama_guard`` joins when configured."""

    default: bool = True
    llama_guard: LlamaGuardSpec | None = None
    tool_policy: ToolPolicySpec | None = None
    fail_open: bool = False
    spotlight: Literal["delimit", "datamark"] | None = Field(
        None, description="mark tool results in the prompt as data; none (default) keeps prompts token-exact"
    )
    references: bool = Field(
        True, description="number redacted regions of tool results so a tool call can pass them on unread"
    )
    injection_profile: Literal["default", "ai-docs"] = Field(
        "default",
        description="the default chain's injection model on tool results; ai-docs, for agents that read AI"
        " products' docs, flags far less prose about AI and catches fewer injections hidden in it",
    )
    image_hosts: list[str] = Field(
        default_factory=list,
        description="hosts whose images answers may always show; the default chain removes other remote images"
        " whose address the model composed",
    )

    @model_validator(mode="after")
    def _options_need_the_default_chain(self) -> GuardsSpec:
        if self.image_hosts and not self.default:
            raise ValueError("image_hosts configures the default chain's ImageGuard: keep default = true")
        if self.injection_profile != "default" and not self.default:
            raise ValueError("injection_profile configures the default chain's InjectionGuard: keep default = true")
        bad = [h for h in self.image_hosts if not h.strip() or "/" in h or " " in h]
        if bad:
            raise ValueError(f"image_hosts takes host names such as 'docs.example.com', not {bad!r}")
        return self


class LimitsSpec(_Strict):
    """Budgets per run (in ``corral batch``: per item, unless the item overrides them)."""

    max_turns: int = Field(6, ge=1, le=100)
    max_tokens: int = Field(256, ge=1, description="per model turn")
    timeout: float | None = Field(None, gt=0, description="seconds per run; None: no limit")
    tool_timeout: float | None = Field(
        None, gt=0, description="seconds per tool call (run in a worker thread); None: no limit"
    )


class MCPSpec(_Strict):
    """One ``[[mcp]]`` tool server: ``command`` (+ ``args``, ``env``, ``cwd``) spawns it over stdio, or
    ``url`` reaches it over streamable HTTP. ``allow`` lists the tools the model may call.

    Example::

        [[mcp]]
        name = "files"
        command = "python"
        args = ["mcp_server.py"]     # cwd defaults to the spec's folder
        allow = ["fs.read-file"]
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = Field(None, pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)
    allow: list[str] = Field(min_length=1, description="the tool names the model may call")
    prefix: str = ""
    timeout: float = Field(30.0, gt=0, description="seconds per call")

    @model_validator(mode="after")
    def _one_transport(self) -> MCPSpec:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command (stdio) or url (streamable HTTP)")
        if self.url is not None and (self.args or self.env or self.cwd):
            raise ValueError("args, env and cwd are for a command; a url server takes headers")
        return self


class AgentSpec(_Strict):
    """A whole agent. ``base_dir`` (the spec file's folder) is where relative import paths resolve."""

    name: str = "agent"
    format: str | None = None
    system: str | None = None
    tools: list[str] = Field(default_factory=list)
    tool_choice: str = Field("auto", description="auto, none, required, or a tool's name")
    backend: BackendSpec = Field(default_factory=lambda: LlamaCppSpec(type="llamacpp"), discriminator="type")
    guards: GuardsSpec = Field(default_factory=GuardsSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    mcp: list[MCPSpec] = Field(default_factory=list, description="MCP tool servers ([[mcp]] tables)")
    base_dir: Path | None = Field(None, exclude=True)


def _location(loc: tuple[Any, ...]) -> str:
    # Drop pydantic's union-member tags ("llamacpp", "function-after[...]") so the path is the TOML key.
    tags = {"llamacpp", "openai", "scripted", "function"}
    parts = [str(p) for i, p in enumerate(loc) if not (i > 0 and str(p) in tags and loc[i - 1] == "backend")]
    return ".".join(parts) or "(top level)"


def _describe(error: ErrorDetails) -> str:
    key = _location(error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", error["input"])
        return f"{key}.type: must be one of llamacpp, openai, scripted, function (got {tag!r})"
    if error["type"] == "union_tag_not_found":
        return f"{key}.type: missing; say which backend: llamacpp, openai, scripted or function"
    return f"{key}: {error['msg']} (got {error['input']!r})"


def parse_spec(data: dict[str, Any], *, source: str = "spec", base_dir: Path | None = None) -> AgentSpec:
    """Validate a spec given as a dict (parsed TOML); raise SpecError naming every bad key.

    Example::

        >>> parse_spec({"limits": {"max_turns": 3}}).limits.max_turns
        3
    """
    try:
        spec = AgentSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_url=False))
        raise SpecError(f"{source}: {problems}") from None
    return spec.model_copy(update={"base_dir": base_dir})


def load_spec(path: str | os.PathLike[str]) -> AgentSpec:
    """Read and validate a TOML agent spec; SpecError names the file and the key that is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"Cannot read agent spec {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the spec as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_spec(data, source=str(path), base_dir=path.resolve().parent)


# --- from a validated spec to live objects: tools, backend, guards, Agent ----------------------


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
        except Exception as exc:  # the module's own code failed (or has a syntax error): say so in one line
            detail = " ".join(str(exc).split())[:200]
            raise UsageError(
                f"Importing module {module_name!r} for {what} {ref!r} failed: "
                f"{type(exc).__name__}: {detail}; fix that module (--debug shows where)"
            ) from exc
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
        obj = _called_factory(obj, ref)
        if isinstance(obj, Registry):
            registry = registry.merge(obj)
            continue
        for item in obj if isinstance(obj, (list, tuple)) else [obj]:
            registry.add(item, origin=ref)
    return registry


def _called_factory(obj: Any, ref: str) -> Any:
    """A function that *returns* tools (``fetch_url``, ``file_tools``) is called when it needs no
    argument, and refused otherwise; it is never a tool itself (the model would call the factory)."""
    import inspect

    from corral.tools import Tool

    if isinstance(obj, Tool) or not inspect.isfunction(obj):
        return obj
    returns = str(inspect.signature(obj).return_annotation)
    if not any(word in returns for word in ("Tool", "Registry")):
        return obj
    needed = [
        p.name
        for p in inspect.signature(obj).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if needed:
        raise UsageError(
            f"{ref} is a tool factory (it returns {returns}) and needs {', '.join(needed)}: call it in a module "
            f"of yours, e.g. tools = {obj.__name__}(...), and pass that module's name (--tools mymodule:tools)"
        )
    return obj()


def _llamacpp(spec: Any, model_override: str | None) -> Any:
    from .backends.llamacpp import LlamaCppBackend

    return LlamaCppBackend(
        model_override or spec.model,
        n_ctx=spec.n_ctx,
        n_threads=spec.n_threads or os.cpu_count() or 1,
        grammar=spec.grammar,
        temperature=spec.temperature,
        seed=spec.seed,
    )


def _openai(spec: Any, model_override: str | None) -> Any:
    from .backends.openai import OpenAIBackend

    return OpenAIBackend(
        base_url=spec.base_url,
        model=model_override or spec.model,
        mode=spec.mode,
        api_key=os.environ.get(spec.api_key_env),
        timeout=spec.timeout,
        max_retries=spec.max_retries,
        temperature=spec.temperature,
    )


def _scripted(spec: Any, base_dir: Path | None) -> Any:
    from .testing import ScriptedBackend

    if (spec.turns is None) == (spec.script is None):
        raise SpecError("backend: a scripted backend needs exactly one of 'turns' (inline) or 'script' (import path)")
    turns = spec.turns if spec.turns is not None else load_object(spec.script, base_dir=base_dir, what="script")
    turns = list(turns() if callable(turns) else turns)
    if not turns or not all(isinstance(t, str) for t in turns):
        raise SpecError(f"backend.script: {spec.script!r} must give a non-empty list of model texts (strings)")
    return ScriptedBackend(turns)


def _function(spec: Any, base_dir: Path | None) -> Any:
    from .testing import FunctionBackend

    fn = load_object(spec.function, base_dir=base_dir, what="backend function")
    if not callable(fn):
        raise SpecError(f"backend.function: {spec.function!r} is not callable")
    return FunctionBackend(fn)


def build_backend(spec: BackendSpec, *, base_dir: Path | None = None, model: str | None = None) -> Any:
    """The backend a spec's ``[backend]`` table describes; ``model`` overrides the spec's model."""
    if spec.type == "llamacpp":
        return _llamacpp(spec, model)
    if spec.type == "openai":
        return _openai(spec, model)
    if spec.type == "scripted":
        return _scripted(spec, base_dir)
    return _function(spec, base_dir)


def build_guards(spec: GuardsSpec, *, base_dir: Path | None = None) -> Any:
    """A GuardChain from ``[guards]`` (default chain, Llama Guard, a configured tool policy), or None."""
    if not spec.default and spec.llama_guard is None and spec.tool_policy is None:
        return None  # no guards at all: the agent skips every stage
    from corral.guards import GuardChain, LlamaGuard, ToolPolicy
    from corral.guards.chain import LLAMA_GUARD_STAGES

    llama_guard = None
    if spec.llama_guard is not None:
        guard_backend = build_backend(spec.llama_guard.backend, base_dir=base_dir)
        llama_guard = LlamaGuard(
            guard_backend,
            model_size=spec.llama_guard.model_size,
            categories=spec.llama_guard.categories,
            custom_categories=spec.llama_guard.custom_categories or None,
        )
    if spec.default:
        chain = GuardChain.default(
            llama_guard=llama_guard, image_hosts=spec.image_hosts, injection_profile=spec.injection_profile
        )
    elif llama_guard is not None:
        chain = GuardChain.none().add(LLAMA_GUARD_STAGES, llama_guard)
    else:
        chain = GuardChain.none()
    if spec.tool_policy is not None:
        policy = spec.tool_policy
        chain = chain.add(
            "tool_call",
            ToolPolicy(
                allow=policy.allow,
                deny=policy.deny,
                budgets=policy.budgets,
                requires_approval=policy.requires_approval,
                provenance=_provenance(policy),
                intent=(
                    {"words": policy.intent_words, "exempt": policy.intent_exempt, "objects": policy.intent_objects}
                    if policy.intent
                    else None
                ),
            ),
        )
    chain.fail_open = spec.fail_open
    return chain


def _provenance(policy: Any) -> Any:
    if not policy.provenance:
        return None
    return {"sensitive": policy.sensitive, "allow_values": policy.allow_values}


def build_mcp_servers(specs: list[Any], *, base_dir: Path | None = None) -> list[Any]:
    """Unconnected MCP servers from ``[[mcp]]`` tables; a relative ``cwd`` (default: the spec's folder)
    resolves against the spec's folder."""
    if not specs:
        return []
    from corral.tools.mcp import MCPServer

    servers = []
    for s in specs:
        cwd = base_dir / s.cwd if base_dir is not None and s.cwd else s.cwd or base_dir
        servers.append(
            MCPServer(
                name=s.name,
                command=s.command,
                args=s.args,
                env=s.env,
                cwd=cwd,
                url=s.url,
                headers=s.headers,
                allow=s.allow,
                prefix=s.prefix,
                timeout=s.timeout,
            )
        )
    return servers


def agent_options(
    spec: AgentSpec, *, model: str | None = None, tools: Any = None, backend: Any = None
) -> dict[str, Any]:
    """The ``Agent(...)`` arguments a validated spec describes (``Agent.from_spec`` calls this).

    ``model`` (a path or hf: ref) overrides the spec's model; ``tools`` (a Registry or a list of
    tools) replaces the spec's tools; ``backend`` reuses a built one. This module returns the
    arguments rather than the Agent, so that corral.agent imports corral.spec and not the reverse.

    Example::

        >>> options = agent_options(parse_spec({"backend": {"type": "scripted", "turns": ["hi"]}}))
        >>> sorted(options)[:3], options["max_turns"]
        (['backend', 'format', 'guards'], 6)
    """
    registry = tools if tools is not None else load_tools(spec.tools, base_dir=spec.base_dir)
    if backend is None:
        backend = build_backend(spec.backend, base_dir=spec.base_dir, model=model)
    servers = build_mcp_servers(spec.mcp, base_dir=spec.base_dir)  # the Agent connects and closes them
    return dict(
        backend=backend,
        tools=[registry, *servers] if servers else registry,
        format=spec.format,
        system=spec.system,
        guards=build_guards(spec.guards, base_dir=spec.base_dir),
        tool_choice=spec.tool_choice,
        max_turns=spec.limits.max_turns,
        max_tokens=spec.limits.max_tokens,
        timeout=spec.limits.timeout,
        tool_timeout=spec.limits.tool_timeout,
        spotlight=spec.guards.spotlight,
        references=spec.guards.references,
    )
