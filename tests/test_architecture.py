"""The architecture, checked: who may import whom, no import cycles, and the public names pinned.

The import graph is read from the source files with ``ast`` (nothing is imported to build it), over
the ``corral`` namespace the package-dir mapping makes (agent/ -> corral, tools/ -> corral.tools, ...).
Imports inside functions count: a lazy import is still a dependency, and a cycle through one is
still a cycle (``Agent.from_spec`` once made one with corral.spec). Imports under
``if TYPE_CHECKING:`` count for the layering rules but not for cycles: they never run.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"agent": "corral", "tools": "corral.tools", "prompts": "corral.prompts", "guards": "corral.guards"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    type_only: bool


def _modules() -> dict[str, Path]:
    modules = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            modules[".".join((package, *parts))] = path
    return modules


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module an imported name lives in (``corral.guards.base.Verdict`` -> ``corral.guards.base``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    # `from corral import events` imports the module corral.events; `from corral import Agent`, corral.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def _type_only_nodes(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return ids


def _edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        type_only = _type_only_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(module, node):
                owner = _owner(target)
                if owner is not None and owner != module:
                    edges.append(Edge(module, owner, node.lineno, id(node) in type_only))
    return edges


EDGES = _edges()


def _where(edge: Edge) -> str:
    return f"{MODULES[edge.source].relative_to(ROOT)}:{edge.line} imports {edge.target}"


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_sees_the_imports_it_should():
    """Guards against a graph builder that finds nothing (and so passes every rule below)."""
    pairs = {(e.source, e.target) for e in EDGES}
    assert ("corral.agent", "corral._loop.loop") in pairs
    assert ("corral.guards.chain", "corral.guards.base") in pairs
    assert ("corral.agent", "corral.spec") in pairs  # lazy, inside Agent.from_spec
    assert len(MODULES) > 80


@pytest.mark.parametrize("package", ["corral.prompts", "corral.tools"])
def test_prompts_and_tools_import_nothing_of_corral_but_the_exceptions(package):
    bad = [
        _where(e)
        for e in EDGES
        if _in(e.source, package) and not _in(e.target, package) and e.target != "corral.exceptions"
    ]
    assert not bad, "\n".join(bad)


def test_guards_import_nothing_of_the_agent_package():
    others = ("corral.guards", "corral.prompts", "corral.tools")
    bad = [
        _where(e)
        for e in EDGES
        if _in(e.source, "corral.guards")
        and not any(_in(e.target, p) for p in others)
        and e.target != "corral.exceptions"
    ]
    assert not bad, "\n".join(bad)


def test_the_cli_is_a_leaf():
    """Nothing but the CLI itself and ``python -m corral`` imports corral.cli; the batch core has no terminal."""
    bad = [
        _where(e)
        for e in EDGES
        if _in(e.target, "corral.cli") and not _in(e.source, "corral.cli") and e.source != "corral.__main__"
    ]
    assert not bad, "\n".join(bad)


def test_the_loop_internals_stay_inside_corral():
    allowed = ("corral._loop", "corral.agent")
    bad = [_where(e) for e in EDGES if _in(e.target, "corral._loop") and not any(_in(e.source, a) for a in allowed)]
    assert not bad, "\n".join(bad)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in EDGES:
        if not e.type_only:
            graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    cycles = _cycles()
    detail = [
        " <-> ".join(c)
        + "\n    "
        + "\n    ".join(_where(e) for e in EDGES if e.source in c and e.target in c and not e.type_only)
        for c in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(detail)


def test_the_cycle_check_finds_a_cycle():
    """The checker itself: a planted two-module cycle is reported."""
    planted = Edge("corral.spec", "corral.agent", 1, False)
    EDGES.append(planted)
    try:
        assert ["corral.agent", "corral.spec"] in _cycles()
    finally:
        EDGES.remove(planted)


# --- the public names, pinned: an accidental export fails here --------------------------------

PUBLIC = {
    "corral": [
        "Agent",
        "ApprovalRequested",
        "Approve",
        "Backend",
        "BackendConnectError",
        "BackendError",
        "BackendHTTPError",
        "BackendTimeout",
        "Completion",
        "CompletionDelta",
        "CorralError",
        "Correction",
        "DuplicateToolError",
        "Edit",
        "Event",
        "GrammarError",
        "GuardBlocked",
        "GuardChecked",
        "LlamaCppBackend",
        "MessageAdded",
        "MissingExtraError",
        "ModelCompleted",
        "ModelDelta",
        "ModelNotFoundError",
        "ModelRetry",
        "OpenAIBackend",
        "OutputValidationError",
        "PendingCall",
        "PromptRendered",
        "Reject",
        "RenderError",
        "RunError",
        "RunFailed",
        "RunFinished",
        "RunResult",
        "RunStarted",
        "SpecError",
        "StreamTruncated",
        "ToolCallParseError",
        "ToolCallParsed",
        "ToolCallRecord",
        "ToolDefinitionError",
        "ToolResultReady",
        "TranscriptWriter",
        "TurnRecord",
        "TurnStarted",
        "UnknownFormatError",
        "Usage",
        "UsageError",
        "load_transcript",
        "BackendResponseError",
        "EngineError",
        "FileFormatError",
        "ResponseTooLarge",
        "ToolServerError",
    ],
    "corral.backends": [
        "Backend",
        "ChatBackend",
        "ChatReply",
        "Completion",
        "CompletionDelta",
        "DetectsFormat",
        "GrammarAware",
        "LlamaCppBackend",
        "OpenAIBackend",
        "StreamingBackend",
        "Tokenizes",
    ],
    "corral.testing": ["FunctionBackend", "PromptRecord", "ScriptedBackend"],
    "corral.tools": [
        "DEFAULT_MAX_RESULT_CHARS",
        "Registry",
        "Tool",
        "ToolError",
        "ToolResult",
        "adispatch",
        "coerce_arguments",
        "dispatch",
        "normalize_schema",
        "serialize_result",
        "tool",
        "validate_arguments",
        "ModelRetry",
        "RunContext",
        "stable_key",
    ],
    "corral.prompts": [
        "AssistantTurn",
        "BUILTIN_TOOLS",
        "ChatFormat",
        "DecisionPolicy",
        "FORMAT_NAMES",
        "GrammarError",
        "HeadCache",
        "JinjaFormat",
        "Llama3",
        "Llama32",
        "Llama3Json",
        "Message",
        "PromptBuilder",
        "RenderError",
        "SYNTAXES",
        "StreamParser",
        "ToolCall",
        "ToolCallParseError",
        "UnknownFormatError",
        "encode_calls",
        "get_format",
        "parse",
        "render",
        "to_messages",
        "tool_specs",
        "validate_grammar",
    ],
    "corral.guards": [
        "ChainResult",
        "CodeScanner",
        "Conversation",
        "Finding",
        "Guard",
        "GuardChain",
        "ImageGuard",
        "InjectionGuard",
        "LLAMA_GUARD_3_CATEGORIES",
        "LlamaGuard",
        "PIIRedactor",
        "PromptGuard",
        "Rule",
        "STAGES",
        "Stage",
        "ToolCallPayload",
        "ToolPolicy",
        "Verdict",
        "allowed_domains",
        "ProvenanceRule",
        "IntentRule",
        "Trusted",
        "trusted",
    ],
    "corral.cli": [
        "EXIT_INTERRUPTED",
        "EXIT_NOT_ANSWERED",
        "EXIT_OK",
        "EXIT_RUNTIME",
        "EXIT_USAGE",
        "build_parser",
        "main",
    ],
    "corral.batch": [
        "BatchItem",
        "BatchProgress",
        "BatchSummary",
        "FATAL_ERRORS",
        "read_items",
        "record_from_result",
        "repair_output",
        "run_batch",
        "check_output_path",
        "read_results",
    ],
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_names_are_pinned(name):
    module = importlib.import_module(name)
    assert sorted(module.__all__) == sorted(PUBLIC[name])
    assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"


def test_loop_internals_are_not_exported_at_the_root():
    import corral

    assert not any(n in corral.__all__ for n in ("RunPolicy", "run_steps", "drive", "adrive"))
    assert isinstance(corral.__version__, str) and corral.__version__
