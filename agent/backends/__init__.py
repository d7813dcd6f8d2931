"""Backends: prompt text in, completion text out (``corral.backends.base`` has the seam).

``LlamaCppBackend`` (embedded llama-cpp-python) and ``OpenAIBackend`` (OpenAI-compatible HTTP) load
lazily, so importing this package imports neither llama_cpp nor httpx. Test doubles live in
``corral.testing``.

Example::

    >>> from corral.backends import Completion
    >>> Completion(text="hi").finish_reason
    'stop'
"""

from __future__ import annotations

from typing import Any

from .base import (
    Backend,
    ChatBackend,
    ChatReply,
    Completion,
    CompletionDelta,
    DetectsFormat,
    GrammarAware,
    StreamingBackend,
    Tokenizes,
)

__all__ = [
    "Backend",
    "StreamingBackend",
    "ChatBackend",
    "Completion",
    "CompletionDelta",
    "ChatReply",
    "GrammarAware",
    "DetectsFormat",
    "Tokenizes",
    "LlamaCppBackend",
    "OpenAIBackend",
]

_LAZY = {"LlamaCppBackend": ".llamacpp", "OpenAIBackend": ".openai"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'corral.backends' has no attribute {name!r}")
