"""corral: let local Llama 3.2 models call your Python functions, safely.

Example::

    >>> from corral import Agent
    >>> from corral.testing import ScriptedBackend
    >>> Agent(ScriptedBackend(["Hello!"]), guards=None).run("hi").output
    'Hello!'

The backends load lazily: ``import corral`` imports neither llama_cpp nor httpx.
``corral.__version__`` is the installed version.
"""

from __future__ import annotations

from typing import Any

from .agent import Agent
from .backends.base import Backend, Completion, CompletionDelta
from .events import (
    ApprovalRequested,
    Correction,
    Event,
    GuardChecked,
    MessageAdded,
    ModelCompleted,
    ModelDelta,
    PromptRendered,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolCallParsed,
    ToolResultReady,
    TurnStarted,
)
from .exceptions import *  # noqa: F401,F403
from .exceptions import __all__ as _exception_names
from .result import Approve, Edit, PendingCall, Reject, RunResult, ToolCallRecord, TurnRecord, Usage
from .transcript import TranscriptWriter, load_transcript

__all__ = [
    "Agent",
    "RunResult",
    "ToolCallRecord",
    "TurnRecord",
    "Usage",
    "PendingCall",
    "Approve",
    "Edit",
    "Reject",
    "Backend",
    "Completion",
    "CompletionDelta",
    "LlamaCppBackend",
    "OpenAIBackend",
    "TranscriptWriter",
    "load_transcript",
    "Event",
    "RunStarted",
    "TurnStarted",
    "PromptRendered",
    "ModelDelta",
    "ModelCompleted",
    "ToolCallParsed",
    "Correction",
    "GuardChecked",
    "ToolResultReady",
    "ApprovalRequested",
    "MessageAdded",
    "RunFinished",
    "RunFailed",
    *_exception_names,
]

_LAZY = {
    "LlamaCppBackend": "corral.backends.llamacpp",
    "OpenAIBackend": "corral.backends.openai",
}


def _version() -> str:
    # From the installed distribution's metadata (one source: pyproject.toml); a source tree that
    # is not installed says so instead of failing.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("corral")
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # computed on first use: `import corral` stays cheap
        globals()[name] = value = _version()
        return value
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'corral' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
