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

    >>> from corral.spec import load_spec, build_agent
    >>> spec = load_spec("agent.toml")            # doctest: +SKIP
    >>> agent = build_agent(spec)                 # doctest: +SKIP
    >>> agent.run("What is 12 * 7?").output       # doctest: +SKIP
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .exceptions import SpecError

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
    "build_agent",
    "build_backend",
    "load_object",
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
    """Allow/deny lists, per-run call budgets and provenance checks for the tool policy guard.

    ``provenance = true``: sensitive arguments (recipients, IBANs, amounts, URLs, paths, commands,
    by name, plus ``sensitive = {tool = ["arg"]}``) must not be copied only from tool results,
    unless listed in ``allow_values``.
    """

    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    budgets: dict[str, int] = Field(default_factory=dict)
    requires_approval: list[str] = Field(default_factory=list)
    provenance: bool = False
    sensitive: dict[str, list[str]] = Field(default_factory=dict)
    allow_values: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _provenance_options_need_provenance(self) -> "ToolPolicySpec":
        if (self.sensitive or self.allow_values) and not self.provenance:
            raise ValueError("sensitive and allow_values configure the provenance check: add provenance = true")
        return self


class GuardsSpec(_Strict):
    """Which guards run. ``default``: the offline chain; ``llama_guard`` joins when configured."""

    default: bool = True
    llama_guard: LlamaGuardSpec | None = None
    tool_policy: ToolPolicySpec | None = None
    fail_open: bool = False
    spotlight: Literal["delimit", "datamark"] | None = Field(
        None, description="mark tool results in the prompt as data; none (default) keeps prompts token-exact")


class LimitsSpec(_Strict):
    """Budgets per run (in ``corral batch``: per item, unless the item overrides them)."""

    max_turns: int = Field(6, ge=1, le=100)
    max_tokens: int = Field(256, ge=1, description="per model turn")
    timeout: float | None = Field(None, gt=0, description="seconds per run; None: no limit")
    tool_timeout: float | None = Field(None, gt=0, description="seconds per tool call (run in a worker thread); None: no limit")


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
    def _one_transport(self) -> "MCPSpec":
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
    backend: BackendSpec = Field(
        default_factory=lambda: LlamaCppSpec(type="llamacpp"), discriminator="type"
    )
    guards: GuardsSpec = Field(default_factory=GuardsSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    mcp: list[MCPSpec] = Field(default_factory=list, description="MCP tool servers ([[mcp]] tables)")
    base_dir: Path | None = Field(None, exclude=True)


def _location(loc: tuple[Any, ...]) -> str:
    # Drop pydantic's union-member tags ("llamacpp", "function-after[...]") so the path is the TOML key.
    tags = {"llamacpp", "openai", "scripted", "function"}
    parts = [str(p) for i, p in enumerate(loc) if not (i > 0 and str(p) in tags and loc[i - 1] == "backend")]
    return ".".join(parts) or "(top level)"


def _describe(error: dict[str, Any]) -> str:
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


def load_spec(path: str | Path) -> AgentSpec:
    """Read and validate a TOML agent spec; SpecError names the file and the key that is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"Cannot read agent spec {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise SpecError(f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                        "save the spec as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_spec(data, source=str(path), base_dir=path.resolve().parent)


from ._spec_build import build_agent, build_backend, load_object  # noqa: E402  (re-exported)
