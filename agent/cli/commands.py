"""CLI commands that build an agent: ``run``, ``batch``, ``tools``, ``render`` (and helpers for chat/demo).

Command-line options become an AgentSpec (the spec file's values, overridden by the options) and
go through the same validation and builder as a spec file: one path from options to an Agent.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..agent import Agent
from ..batch import BatchItem, check_output_path, read_items, run_batch
from ..batch_rows import agent_runner, in_shard, parse_shard
from ..events import ModelDelta, RunFinished
from ..exceptions import FileFormatError, UsageError
from ..spec import AgentSpec, load_spec, load_tools, parse_spec
from .approvals import Asker
from .output import AnswerStream, GuardedAnswerStream, TurnPrinter, answer_stream
from .progress import make_progress

__all__ = ["spec_from_args", "agent_from_args", "announce_model", "cmd_run", "cmd_batch", "cmd_tools", "cmd_render"]

EXIT_OK, EXIT_NOT_ANSWERED = 0, 1


def _backend_override(spec: AgentSpec, args: argparse.Namespace) -> dict[str, Any]:
    backend = spec.backend.model_dump()
    if getattr(args, "base_url", None):
        keep = {k: backend[k] for k in ("mode", "api_key_env", "timeout", "max_retries") if k in backend}
        backend = {
            "type": "openai",
            **keep,
            "base_url": args.base_url,
            "model": args.model or backend.get("model") or "",
        }
    elif getattr(args, "model", None) and backend["type"] in ("llamacpp", "openai"):
        backend["model"] = args.model
    if getattr(args, "api_mode", None):
        if backend["type"] != "openai":
            raise UsageError("--api-mode needs an OpenAI-compatible server: pass --base-url too")
        backend["mode"] = args.api_mode
    return backend


def _engine_options(backend: dict[str, Any], args: argparse.Namespace) -> None:
    """--threads and --temperature, on the backends that take them (a clear error elsewhere)."""
    for option, key, types in (
        ("threads", "n_threads", ("llamacpp",)),
        ("temperature", "temperature", ("llamacpp", "openai")),
    ):
        value = getattr(args, option, None)
        if value is None:
            continue
        if backend["type"] not in types:
            raise UsageError(
                f"--{option} applies to the {' or '.join(types)} backend, not {backend['type']!r}; "
                "drop it or change the backend"
            )
        backend[key] = value


def spec_from_args(args: argparse.Namespace) -> AgentSpec:
    """The spec file (or the defaults) with command-line overrides applied, validated again."""
    spec = load_spec(args.spec) if getattr(args, "spec", None) else parse_spec({}, source="command line")
    data = spec.model_dump(exclude={"base_dir"}, exclude_none=True)
    data["backend"] = _backend_override(spec, args)
    data["tools"] = list(spec.tools) + list(getattr(args, "tools", None) or [])
    for option, key in (("chat_format", "format"), ("system", "system")):
        if getattr(args, option, None):
            data[key] = getattr(args, option)
    for option in ("max_turns", "max_tokens", "timeout"):
        if getattr(args, option, None) is not None:
            data["limits"][option] = getattr(args, option)
    _engine_options(data["backend"], args)
    if getattr(args, "no_guards", False):
        data["guards"] = {"default": False}
    source = f"{args.spec} (with command-line options)" if getattr(args, "spec", None) else "command line"
    return parse_spec(data, source=source, base_dir=spec.base_dir or Path.cwd())


def announce_model(spec: AgentSpec, stream: Any = None) -> Any:
    """Resolve the embedded backend's model and say which one runs (plainly, for the tiny stand-in).

    Returns a spec whose backend names the resolved file, so the builder does not resolve twice.
    """
    if spec.backend.type != "llamacpp":
        return spec
    from ..backends.model_files import resolve_model

    stream = stream or sys.stderr
    resolved = resolve_model(spec.backend.model)
    if resolved.is_tiny_stand_in:
        print(
            f"corral: model: {resolved.path.name} - a tiny offline stand-in (135M parameters), not Llama 3.2; "
            "expect weak answers. For real ones: --model PATH.gguf or CORRAL_MODEL (see README, Models).",
            file=stream,
        )
    else:
        print(f"corral: model: {resolved.path} ({resolved.source})", file=stream)
    from ..backends.engine import ensure_engine_works

    ensure_engine_works(resolved.path)  # a crashing native build: one line naming the fix, not a segfault
    backend = spec.backend.model_copy(update={"model": str(resolved.path)})
    return spec.model_copy(update={"backend": backend})


def agent_from_args(args: argparse.Namespace) -> tuple[AgentSpec, Any]:
    """The validated spec and the Agent the options describe (the model announced on stderr)."""
    spec = announce_model(spec_from_args(args))
    return spec, Agent.from_spec(spec)


def _not_utf8(source: str, exc: UnicodeDecodeError) -> FileFormatError:
    line = exc.object[: exc.start].count(b"\n") + 1
    return FileFormatError(
        f"{source}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8",
        path=source,
        line=line,
    )


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise _not_utf8("stdin", exc) from None


def _question(args: argparse.Namespace) -> str:
    text = _read_stdin() if args.question == "-" else args.question
    if not text.strip():
        raise UsageError("The question is empty: pass it as an argument, or '-' to read stdin")
    return text


def cmd_run(args: argparse.Namespace) -> int:
    """``corral run QUESTION``: print the answer (or the RunResult as JSON); exit 1 if not answered.

    In a terminal (stdin a tty, no ``--json``), a call that needs a person's yes is asked about on
    stderr and answered on stdin; otherwise such a run stops at ``approval_required``."""
    _, agent = agent_from_args(args)
    question = _question(args)
    asker = Asker(_ask_on_terminal) if sys.stdin.isatty() and not args.json and args.question != "-" else None
    if asker is not None:
        asker.serve_policies(agent)
    printer = TurnPrinter(sys.stderr, show_answer=False, show_guards=True) if args.verbose else None
    hooks = [printer] if printer else []
    live = None if args.json else _live_answer(agent, question)
    result = agent.run(question, hooks=hooks) if live is None else _streamed_run(agent, question, hooks, live)
    while result.stop_reason == "approval_required" and asker is not None:
        decisions = asker.decisions(result)
        if live is None:
            result = agent.run(history=result, approvals=decisions, hooks=hooks)
        else:  # the resumed run's answer streams afresh
            live = _live_answer(agent, question) or live
            result = _streamed_run(agent, None, hooks, live, history=result, approvals=decisions)
    if args.json:
        print(json.dumps({"ok": result.ok, **result.summary()}, ensure_ascii=False, indent=2, default=str))
    else:
        _print_outcome(result, live)
    return EXIT_OK if result.ok else EXIT_NOT_ANSWERED


def _print_outcome(result: Any, live: AnswerStream | None) -> None:
    """The answer on stdout (just its newline when it was streamed); why a run did not answer, on stderr."""
    streamed = live is not None and live.streamed(result)
    if live is not None and live.live and not live.shown.endswith("\n"):
        print()
    if not result.ok:
        what = "answer cut off" if result.truncated else "no answer"
        print(f"corral: {what} ({result.stop_reason}): {result.stop_message}", file=sys.stderr)
    if result.output is not None and not streamed:
        print(_text(result.output))


def _live_answer(agent: Agent, question: str) -> AnswerStream | None:
    """Stream the answer as it is written: through the output guards segment by segment when there
    are any (a streamed answer cannot be taken back), not at all for a structured answer."""
    live = answer_stream(agent, sys.stdout)
    if isinstance(live, GuardedAnswerStream):
        live.given += [agent.system or "", question]
    return live


def _ask_on_terminal(question: str) -> str | None:
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line if line else None  # "" is end of input


def _streamed_run(agent: Agent, question: str | None, hooks: list[Any], live: AnswerStream, **resume: Any) -> Any:
    result = None
    for event in agent.stream(question, hooks=hooks, **resume):
        if isinstance(event, ModelDelta):
            live(event)
        elif isinstance(event, RunFinished):
            result = event.result
        elif isinstance(live, GuardedAnswerStream):
            live.note(event)
    if isinstance(live, GuardedAnswerStream):
        live.finish()
    return result


def _text(output: Any) -> str:
    return output.model_dump_json() if hasattr(output, "model_dump_json") else str(output)


def _with_budget(item: BatchItem, spec: AgentSpec) -> BatchItem:
    return item if item.timeout is not None else dataclasses.replace(item, timeout=spec.limits.timeout)


def cmd_batch(args: argparse.Namespace) -> int:
    """``corral batch``: exit 0 when every item answered, 1 when some did not (this run or, resumed, an earlier one)."""
    check_output_path(args.output)  # before a model loads
    shard = parse_shard(args.shard) if getattr(args, "shard", None) else None
    spec = announce_model(spec_from_args(args))
    items = [_with_budget(item, spec) for item in read_items(args.input)]
    if shard is not None:  # a hash of the id picks the shard: the same split on every machine
        items = [item for item in items if in_shard(item.id, *shard)]
    try:
        summary = asyncio.run(
            run_batch(
                agent_runner(spec),
                items,
                args.output,
                concurrency=args.concurrency,
                resume=args.resume,
                progress=make_progress(sys.stderr),
            )
        )
    except KeyboardInterrupt:
        print(f"corral batch: interrupted; finished items are in {args.output}: rerun with --resume", file=sys.stderr)
        raise
    return EXIT_OK if summary.failed == 0 and summary.earlier_failed == 0 else EXIT_NOT_ANSWERED


def cmd_tools(args: argparse.Namespace) -> int:
    """``corral tools``: each tool as the model sees it (the OpenAI-style JSON the templates embed)."""
    registry = load_tools(args.tools, base_dir=Path.cwd())
    for spec in registry.to_openai():
        if args.names:
            print(f"{spec['function']['name']}: {spec['function'].get('description', '')}")
        else:
            print(json.dumps(spec, indent=4, ensure_ascii=False))
    return EXIT_OK


def _read_conversation(source: str) -> tuple[list[Any], list[dict[str, Any]]]:
    try:
        text = _read_stdin() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise UsageError(f"Cannot read conversation {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(source, exc) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(data, list):
        return data, []
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return data["messages"], list(data.get("tools") or [])
    raise UsageError(f'{source}: expected a list of messages or {{"messages": [...], "tools": [...]}}')


def cmd_render(args: argparse.Namespace) -> int:
    """``corral render``: the exact prompt text the model would receive for this conversation."""
    from corral.prompts import render, to_messages

    raw_messages, raw_tools = _read_conversation(args.conversation)
    try:
        messages = to_messages(raw_messages)
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{args.conversation}: bad message: {' '.join(str(exc).split())[:300]}") from None
    tools = raw_tools + (load_tools(args.tools, base_dir=Path.cwd()).to_openai() if args.tools else [])
    sys.stdout.write(render(messages, tools, format=args.chat_format))
    return EXIT_OK
