"""Every error corral raises, in one place.

The hierarchy::

    CorralError                      base of everything below
    ├── UsageError                   raised eagerly, before any model runs: fix the call or the config
    │   ├── ToolDefinitionError      a function cannot become a tool (e.g. a parameter without a type hint)
    │   ├── DuplicateToolError       two tools share a name; both origins are named
    │   ├── UnknownFormatError       no chat format by that name
    │   ├── GrammarError             a GBNF grammar failed validation (never handed to llama.cpp)
    │   ├── RenderError              messages cannot be rendered in the chosen chat format
    │   ├── SpecError                an agent spec (TOML) has an unknown key or a bad value
    │   ├── ModelNotFoundError       no model file at that path, or not in the offline hub cache
    │   ├── FileFormatError          a file on disk is not what it should be (not UTF-8, a bad JSONL line,
    │   │                            not a GGUF model); names the file and the line
    │   └── MissingExtraError        an optional dependency is needed: install the named extra
    ├── RunError                     something went wrong while a run was under way (carries the run so far)
    │   ├── BackendError             the model backend failed
    │   │   ├── BackendHTTPError     an HTTP server answered with an error status (status + body excerpt)
    │   │   ├── BackendTimeout       the server did not answer in time, retries spent
    │   │   ├── BackendConnectError  the server could not be reached, retries spent
    │   │   ├── StreamTruncated      a streamed answer ended before the server said it was done
    │   │   ├── EngineError          the embedded llama.cpp engine crashed in a probe (the fix is named)
    │   │   └── BackendResponseError the server's answer is malformed or wrong-shaped (names what and where)
    │   │       └── ResponseTooLarge an answer grew past the backend's size cap
    │   ├── GuardBlocked             a guard blocked the run (carries the verdict)
    │   ├── ToolServerError          an MCP tool server cannot be reached, or went away (in a run: an error result)
    │   └── OutputValidationError    structured output failed validation after the retry budget
    ├── ToolCallParseError           model text looks like a tool call but is malformed (also a ValueError)
    └── ModelRetry                   raised by a tool to send a message back to the model

Messages say what happened and what to do.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CorralError",
    "UsageError",
    "ToolDefinitionError",
    "DuplicateToolError",
    "UnknownFormatError",
    "GrammarError",
    "RenderError",
    "SpecError",
    "ModelNotFoundError",
    "FileFormatError",
    "MissingExtraError",
    "RunError",
    "BackendError",
    "BackendHTTPError",
    "BackendTimeout",
    "BackendConnectError",
    "StreamTruncated",
    "EngineError",
    "BackendResponseError",
    "ResponseTooLarge",
    "GuardBlocked",
    "ToolServerError",
    "OutputValidationError",
    "ToolCallParseError",
    "ModelRetry",
]


class CorralError(Exception):
    """Base class of every error corral raises."""


class UsageError(CorralError):
    """The library was called or configured wrongly; raised before any model runs."""


class ToolDefinitionError(UsageError, TypeError):
    """A Python function or schema cannot become a tool."""


class DuplicateToolError(UsageError, ValueError):
    """Two tools with the same name were registered together."""


class UnknownFormatError(UsageError, ValueError):
    """No chat format is registered under the requested name."""


class GrammarError(UsageError, ValueError):
    """A GBNF grammar is invalid; it was stopped before reaching llama.cpp (which would crash)."""


class RenderError(UsageError, ValueError):
    """Messages cannot be rendered in the chosen chat format (e.g. two calls where it allows one)."""


class SpecError(UsageError, ValueError):
    """An agent spec file has an unknown key or a bad value."""


class ModelNotFoundError(UsageError, FileNotFoundError):
    """A model file could not be found or fetched."""


class FileFormatError(UsageError, ValueError):
    """A file on disk is malformed: not UTF-8, a bad JSON line, a corrupt transcript, not a GGUF model.

    ``path`` is the file, ``line`` the 1-based line (None when the whole file is wrong).

    Example::

        >>> str(FileFormatError("tasks.jsonl:3: not valid JSON", path="tasks.jsonl", line=3))
        'tasks.jsonl:3: not valid JSON'
    """

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class MissingExtraError(UsageError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class RunError(CorralError):
    """Something failed while an agent run was under way.

    Raised out of a run, it carries the run so far: ``messages`` (the conversation, history
    included, up to the failure) and ``tool_calls`` (the calls already made, whose side effects
    happened), so nothing is lost: ``agent.run(next_text, history=exc.messages)`` goes on from
    there, e.g. with a larger ``n_ctx``. Both are None when the error was raised outside a run.
    """

    messages: list[Any] | None = None
    tool_calls: list[Any] | None = None


class BackendError(RunError):
    """The model backend failed to produce a completion."""


class BackendHTTPError(BackendError):
    """An OpenAI-compatible server answered with an error status."""

    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class BackendTimeout(BackendError):
    """The server did not answer in time and the retry budget is spent."""


class BackendConnectError(BackendError):
    """The server could not be reached and the retry budget is spent."""


class StreamTruncated(BackendError):
    """A streamed completion ended before the server marked it finished."""


class EngineError(BackendError):
    """The embedded llama.cpp engine crashed (or hung) when probed in a child process.

    The message names the signal, the likely cause and the exact reinstall command.
    """


class BackendResponseError(BackendError):
    """The server answered, but not in the shape of an OpenAI-compatible reply (bad JSON, wrong types)."""


class ResponseTooLarge(BackendResponseError):
    """A response body (plain or streamed) grew past ``max_response_bytes``; it was cut off unread."""


class GuardBlocked(RunError):
    """A guard blocked the run; ``verdict`` says which guard and why."""

    def __init__(self, message: str, *, verdict: Any = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class ToolServerError(RunError):
    """An MCP tool server could not be started or reached, or went away during a call.

    Raised by ``MCPServer.connect()``; during a run a call's failure becomes an error result the
    model reads (the server is restarted for the next call).
    """


class OutputValidationError(RunError):
    """The model's structured output failed validation after the retry budget."""


class ToolCallParseError(CorralError, ValueError):
    """Model text looked like a tool call but could not be parsed.

    ``position`` is the character offset where parsing failed (or None), ``text`` the input.
    """

    def __init__(self, message: str, *, text: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.position = position


class ModelRetry(CorralError):
    """Raise inside a tool to send ``message`` back to the model and let it try again.

    Example::

        @tool
        def lookup(city: str) -> str:
            if city not in CITIES:
                raise ModelRetry(f"Unknown city {city!r}; try one of {sorted(CITIES)}")
            return CITIES[city]
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
