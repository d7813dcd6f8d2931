"""``corral chat``: an interactive session that keeps its history and shows tool calls as they happen.

Ctrl-C while the model works stops that turn (the history stays as it was before it); Ctrl-C at
the prompt clears the line; Ctrl-D, ``/exit`` or end of input quits. Works with piped stdin too.

A call that needs a person's yes is asked about at the prompt (``approve send_money(...)? [y/N]``),
and the next line answers it: a tool marked ``requires_approval`` (the run pauses, then resumes
with the decision), and a call the tool policy holds for approval (its ``requires_approval`` list,
or the intent check's "no user turn asked for this action"). Anything but y or yes declines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..events import ModelDelta, RunFinished
from .approvals import Asker
from .commands import agent_from_args
from .output import AnswerStream, GuardedAnswerStream, TurnPrinter, answer_stream

__all__ = ["cmd_chat", "ChatSession"]

HELP = "commands: /reset (forget the conversation), /tools (list tools), /history, /exit"


class ChatSession:
    """The state of one chat: the agent and the last RunResult (the history the next turn continues).

    Example::

        >>> session = ChatSession(agent)            # doctest: +SKIP
        >>> session.handle("What is 2 + 2?")        # doctest: +SKIP
    """

    def __init__(self, agent: Any, out: Any = None, ask: Callable[[str], str | None] | None = None) -> None:
        self.agent = agent
        self.out = out if out is not None else sys.stdout
        self.history: Any = None
        # Who decides held calls (None: nobody to ask, such calls stay refused or paused).
        self.asker = Asker(ask) if ask is not None else None
        if self.asker is not None:
            self.asker.serve_policies(agent)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def command(self, line: str) -> bool:
        """Handle a /command; False means quit."""
        name = line.split()[0].lower()
        if name in ("/exit", "/quit"):
            return False
        if name == "/reset":
            self.history = None
            self.say("(conversation cleared)")
        elif name == "/tools":
            self.say(", ".join(self.agent.policy.tool_names) or "(no tools)")
        elif name == "/history":
            for msg in self.history.messages if self.history is not None else []:
                self.say(f"  {msg.role}: {msg.text[:120]}{' [tool calls]' if msg.tool_calls else ''}")
        else:
            self.say(HELP)
        return True

    def handle(self, line: str) -> None:
        """One user turn: stream the run, show calls and verdicts, keep the result as history."""
        printer = TurnPrinter(self.out, show_answer=False, asks=self.asker is not None)
        live = self._live(line)
        try:
            result = self._run(line, printer, live)
            while result.stop_reason == "approval_required" and self.asker is not None:
                decisions = self.asker.decisions(result)
                live = self._live(line)  # the resumed answer streams afresh
                result = self._run(None, printer, live, history=result, approvals=decisions)
        except KeyboardInterrupt:
            self.say("\n(turn stopped; the conversation is as it was before it)")
            return
        if live is not None and live.live and not live.shown.endswith("\n"):
            self.out.write("\n")
        if result.stop_reason != "final":
            self.say(f"({result.stop_reason}: {result.stop_message})")
        if live is None or not live.streamed(result):
            answer = result.output if result.output is not None else "(no answer)"
            self.say(f"assistant> {answer}")
        self.history = result

    def _live(self, line: str) -> AnswerStream | None:
        """How this turn's answer is shown as it is written (see answer_stream), knowing what the
        model is given besides the run's events: the system prompt, the history and the line."""
        live = answer_stream(self.agent, self.out, "assistant> ")
        if isinstance(live, GuardedAnswerStream):
            earlier = [m.text for m in self.history.messages if m.text] if self.history is not None else []
            live.given += [self.agent.system or "", *earlier, line]
        return live

    def _run(
        self,
        line: str | None,
        printer: TurnPrinter,
        live: AnswerStream | None,
        *,
        history: Any = None,
        approvals: dict[str, Any] | None = None,
    ) -> Any:
        """The run (or a paused one resumed with ``approvals``), its answer streamed token by token
        when nothing must judge it whole first."""
        history = history if history is not None else self.history
        if live is None:
            return self.agent.run(line, history=history, approvals=approvals, hooks=[printer])
        result = None
        for event in self.agent.stream(line, history=history, approvals=approvals, hooks=[printer]):
            if isinstance(event, ModelDelta):
                live(event)
            elif isinstance(event, RunFinished):
                result = event.result
            elif isinstance(live, GuardedAnswerStream):
                live.note(event)
        if isinstance(live, GuardedAnswerStream):
            live.finish()
        return result


def _read(prompt: str, reader: Callable[[str], str]) -> str | None:
    while True:
        try:
            return reader(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:  # at the prompt: drop the line, keep the session
            sys.stdout.write("\n")


def cmd_chat(args: argparse.Namespace, reader: Callable[[str], str] = input) -> int:
    """Read lines until end of input or /exit; each line is one user turn."""
    _, agent = agent_from_args(args)
    interactive = sys.stdin.isatty()

    def ask(question: str) -> str | None:
        answer = _read(question if interactive else "", reader)
        if not interactive:
            session.say(f"{question}{answer if answer is not None else '(end of input)'}")
        return answer

    session = ChatSession(agent, ask=ask)
    tools = ", ".join(agent.policy.tool_names) or "none"
    session.say(f"corral chat: tools: {tools}; guards: {'on' if agent.guards is not None else 'off'}. {HELP}")
    while True:
        line = _read("you> " if interactive else "", reader)
        if line is None:
            session.say("" if interactive else "(end of input)")
            return 0
        line = line.strip()
        if not line:
            continue
        if not interactive:
            session.say(f"you> {line}")
        if line.startswith("/"):
            if not session.command(line):
                return 0
            continue
        session.handle(line)
