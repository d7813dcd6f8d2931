"""The ``corral`` command line (also ``python -m corral``).

Commands: ``demo`` (offline guarded agent), ``run`` (one question), ``chat`` (interactive),
``batch`` (JSONL in, JSONL out, resumable), ``tools`` (schemas as the model sees them),
``render`` (the exact prompt of a conversation), and the hooks ``bench`` and ``guards-eval``.

Errors people can fix (no model, a bad spec, an unreachable server) print one line saying what to
do; ``--debug`` shows the traceback instead. Exit codes: 0 ok, 1 the run did not answer (blocked,
out of turns, failed items), 2 usage error, 3 runtime error (backend), 130 interrupted.

Example::

    $ corral run "What is 17 * 23?" --tools corral.tools.builtin:calculator
    $ corral batch --spec agent.toml --input tasks.jsonl --output results.jsonl --resume
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ..exceptions import CorralError, UsageError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_NOT_ANSWERED", "EXIT_USAGE", "EXIT_RUNTIME", "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_NOT_ANSWERED, EXIT_USAGE, EXIT_RUNTIME, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

# Subcommands owned by other parts of corral: their own argument parsing, reached through us.
DELEGATED = {
    "bench": ("corral.bench", "benchmarks: accuracy, latency, guard overhead"),
    "guards-eval": ("corral.guards.evaluate", "precision / recall / FPR of a guard chain on JSONL or CSV data"),
    "doctor": ("corral.doctor", "check the environment: engine build, a generation in a child process, model, extras"),
}


def _agent_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("agent")
    group.add_argument("--spec", metavar="TOML", help="agent spec file (backend, tools, guards, limits)")
    group.add_argument(
        "--model",
        metavar="PATH|hf:REPO/FILE",
        help="GGUF path or hf: reference (with --base-url: the server's model name)",
    )
    group.add_argument(
        "--tools",
        metavar="MODULE:NAME",
        action="append",
        default=[],
        help="tools to add: a Registry, a tool, a function or a list (repeatable)",
    )
    group.add_argument("--base-url", metavar="URL", help="use an OpenAI-compatible server (llama-server, vLLM, Ollama)")
    group.add_argument("--api-mode", choices=("completions", "chat"), help="server mode with --base-url")
    group.add_argument("--format", dest="chat_format", metavar="NAME", help="chat format, e.g. llama3.2")
    group.add_argument("--system", metavar="TEXT", help="system prompt")
    group.add_argument("--max-turns", type=int, metavar="N", help="model turns per run")
    group.add_argument("--max-tokens", type=int, metavar="N", help="tokens per model turn")
    group.add_argument("--no-guards", action="store_true", help="run without the default guard chain")
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="time budget per run")
    group.add_argument("--threads", type=int, metavar="N", help="CPU threads for llama.cpp (default: all cores)")
    group.add_argument("--temperature", type=float, metavar="T", help="sampling temperature (default 0: greedy)")


def _add_commands(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="offline guarded agent with tools on the default model")
    demo.add_argument("--model", metavar="PATH|hf:REPO/FILE", help="GGUF path or hf: reference")
    demo.add_argument("--max-tokens", type=int, default=64, metavar="N", help="tokens per model turn")
    demo.add_argument("--threads", type=int, metavar="N", help="CPU threads for llama.cpp (default: all cores)")

    run = sub.add_parser("run", help="answer one question (exit 1 when the run does not answer)")
    run.add_argument("question", help="the user message ('-' reads stdin)")
    run.add_argument("--json", action="store_true", help="print the RunResult as JSON")
    run.add_argument("-v", "--verbose", action="store_true", help="show turns, tool calls and verdicts on stderr")
    _agent_options(run)

    chat = sub.add_parser("chat", help="interactive session (/reset, /tools, /exit; Ctrl-C stops a turn)")
    _agent_options(chat)

    batch = sub.add_parser("batch", help="run a JSONL task file concurrently; resumable after a crash")
    batch.add_argument(
        "--input",
        required=True,
        metavar="JSONL",
        help='tasks: {"id": ..., "input": ...} per line (Ray: a folder or glob of such files)',
    )
    batch.add_argument(
        "--output",
        required=True,
        metavar="JSONL",
        help="results, appended as items finish (Ray: a folder of result files)",
    )
    batch.add_argument("--concurrency", type=int, default=4, metavar="N", help="items in flight (default 4)")
    batch.add_argument("--resume", action="store_true", help="skip ids already in --output (repairs a torn last line)")
    batch.add_argument(
        "--shard", metavar="I/N", help="run only shard I of N (0-based; a stable hash of each id picks it)"
    )
    scale = batch.add_argument_group("Ray Data (--engine ray; pip install 'corral[ray]')")
    scale.add_argument("--engine", choices=("local", "ray"), default="local", help="where the runs go (default local)")
    scale.add_argument("--actors", type=int, default=2, metavar="N", help="Ray actors, one Agent each (default 2)")
    scale.add_argument("--in-flight", type=int, default=16, metavar="M", help="runs in flight per actor (default 16)")
    scale.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster (default: start a local one)")
    scale.add_argument(
        "--num-cpus", type=int, metavar="N", help="logical CPUs of a local Ray (default: all, at least 4)"
    )
    scale.add_argument("--output-format", choices=("json", "parquet"), default="json", help="Ray output files")
    scale.add_argument("--no-checkpoint", action="store_true", help="Ray: no checkpoint (a rerun redoes every row)")
    _agent_options(batch)

    tools = sub.add_parser("tools", help="list tools with their schemas as the model sees them")
    tools.add_argument("--tools", metavar="MODULE:NAME", action="append", default=[], required=True)
    tools.add_argument("--names", action="store_true", help="only names and descriptions")

    render = sub.add_parser("render", help="print the exact prompt for a conversation JSON file")
    render.add_argument("conversation", help='JSON: [messages] or {"messages": [...], "tools": [...]}; "-" for stdin')
    render.add_argument("--tools", metavar="MODULE:NAME", action="append", default=[])
    render.add_argument("--format", dest="chat_format", default="llama3.2", metavar="NAME")

    for name, (_, help_text) in DELEGATED.items():
        hook = sub.add_parser(name, help=help_text, add_help=False)
        hook.add_argument("rest", nargs=argparse.REMAINDER)


class _Parser(argparse.ArgumentParser):
    """argparse, with the --debug hint in its error line too (subcommand parsers are of this class)."""

    def error(self, message: str) -> NoReturn:
        super().error(f"{message} (--debug shows the traceback)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``corral`` (exposed for docs and tests)."""
    parser = _Parser(prog="corral", description="Let a local Llama 3.2 model call your Python functions, safely.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_commands(sub)
    return parser


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    # Imported lazily: `corral tools` must not pay for loading llama_cpp.
    module_name, func = {
        "demo": ("corral.cli.demo", "cmd_demo"),
        "run": ("corral.cli.commands", "cmd_run"),
        "chat": ("corral.cli.chat", "cmd_chat"),
        "batch": ("corral.cli.commands", "cmd_batch"),
        "batch-ray": ("corral.cli.ray_command", "cmd_batch_ray"),
        "tools": ("corral.cli.commands", "cmd_tools"),
        "render": ("corral.cli.commands", "cmd_render"),
    }[command]
    return getattr(importlib.import_module(module_name), func)


def _delegate(command: str, argv: list[str]) -> int:
    module_name = DELEGATED[command][0]
    if importlib.util.find_spec(module_name) is None:
        raise UsageError(f"'corral {command}' is not available in this install ({module_name} is missing)")
    main_fn = getattr(importlib.import_module(module_name), "main", None)
    if main_fn is None:
        raise UsageError(f"'corral {command}': {module_name} has no main(argv)")
    return int(main_fn(argv) or 0)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if isinstance(exc, CorralError) else f"{type(exc).__name__}: {text.splitlines()[0]}"


def _exit_code(exc: BaseException) -> int:
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_RUNTIME


def _printable_streams() -> None:
    # Model or tool text may hold lone surrogates, which UTF-8 cannot encode: print them as \udXXX
    # escapes (still valid inside --json strings) instead of dying with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change: leave it as it is
                pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _printable_streams()
    debug = "--debug" in argv  # anywhere on the line: before or after the command and its options
    rest = [a for a in argv if a != "--debug"]
    if rest and rest[0] in DELEGATED:
        return _guarded(lambda: _delegate(rest[0], rest[1:]), debug)
    args = build_parser().parse_args(rest)
    command = "batch-ray" if args.command == "batch" and args.engine == "ray" else args.command
    return _guarded(lambda: _handler(command)(args), debug)


def _guarded(call: Callable[[], int], debug: bool) -> int:
    try:
        return call()
    except KeyboardInterrupt:
        print("\ncorral: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CorralError, OSError) as exc:
        if debug:
            raise
        # One line: what went wrong and what to do, and how to see more.
        print(f"corral: error: {_one_line(exc)} (--debug shows the traceback)", file=sys.stderr)
        return _exit_code(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
