"""``corral chat`` asks the person at the prompt before a call that needs a yes, over piped stdin.

The spec's backend is a function of the prompt (no model); the tools, guards, loop and CLI are real,
and the chat runs as a child process (`python -m corral chat`) reading its lines from stdin."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from corral import cli

TOOLS = textwrap.dedent('''
    from corral.tools import tool

    @tool(requires_approval=True)
    def send_note(text: str) -> str:
        """Send a note to the team."""
        with open("sent.txt", "a", encoding="utf-8") as f:
            f.write(text + "\\n")
        return "sent"

    @tool
    def delete_file(path: str) -> str:
        """Delete a file."""
        with open("deleted.txt", "a", encoding="utf-8") as f:
            f.write(path + "\\n")
        return "deleted " + path

    def _last(prompt):
        return prompt.rsplit("<|start_header_id|>", 2)[-2].split("<|end_header_id|>")[0]

    def _answer(prompt, call):
        if _last(prompt) in ("ipython", "tool"):
            return "Result: " + prompt.rsplit("<|end_header_id|>", 2)[-2].split("<|eot_id|>")[0].strip()
        return call

    def note(prompt):
        return _answer(prompt, '[send_note(text="hi team")]')

    def tidy(prompt):
        return _answer(prompt, '[delete_file(path="old.log")]')
''')


def chat(tmp_path, function, lines, policy=""):
    (tmp_path / "chat_tools.py").write_text(TOOLS, encoding="utf-8")
    spec = tmp_path / "agent.toml"
    spec.write_text(
        textwrap.dedent(f"""
        tools = ["chat_tools:send_note", "chat_tools:delete_file"]
        [backend]
        type = "function"
        function = "chat_tools:{function}"
        [guards]
        {policy}
        """),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "corral", "chat", "--spec", str(spec)],
        input=lines,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def written(tmp_path, name):
    path = tmp_path / name
    return path.read_text(encoding="utf-8").split() if path.exists() else []


@pytest.mark.parametrize(("answer", "runs"), [("y", True), ("no", False)])
def test_a_tool_that_requires_approval_is_asked_about_and_the_answer_decides(tmp_path, answer, runs):
    out = chat(tmp_path, "note", f"Tell the team hi\n{answer}\n/exit\n")
    assert "-- paused: send_note waits for your approval\napprove send_note(text='hi team')? [y/N] " + answer in out
    assert "Resume with agent.run" not in out  # how code resumes is not the person's business
    assert written(tmp_path, "sent.txt") == (["hi", "team"] if runs else [])
    assert ("Result: sent" in out) is runs
    assert ("The user declined this call." in out) is not runs


def test_the_intent_check_asks_instead_of_only_refusing(tmp_path):
    policy = "tool_policy = { intent = true }"
    out = chat(tmp_path, "tidy", "What is in the folder?\ny\n/exit\n", policy)
    assert "approve delete_file(path='old.log')? [y/N] y" in out
    assert written(tmp_path, "deleted.txt") == ["old.log"] and "Result: deleted old.log" in out


def test_end_of_input_at_the_question_declines(tmp_path):
    out = chat(tmp_path, "tidy", "What is in the folder?\n", "tool_policy = { intent = true }")
    assert "approve delete_file(path='old.log')? [y/N] (end of input)" in out
    assert written(tmp_path, "deleted.txt") == []


class _Terminal:
    """stdin as a terminal that answers each question with the next of ``lines``."""

    def __init__(self, lines):
        self.lines = list(lines)

    def isatty(self):
        return True

    def readline(self):
        return self.lines.pop(0) if self.lines else ""


def one_shot(tmp_path, monkeypatch):
    (tmp_path / "chat_tools.py").write_text(TOOLS, encoding="utf-8")
    spec = tmp_path / "agent.toml"
    spec.write_text(
        'tools = ["chat_tools:send_note"]\n[backend]\ntype = "function"\nfunction = "chat_tools:note"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return ["run", "Tell the team hi", "--spec", str(spec)]


@pytest.mark.parametrize("answer", ["yes\n", "\n", ""])  # yes, a bare Enter, end of input
def test_run_in_a_terminal_asks_on_stderr_and_resumes(tmp_path, monkeypatch, capsys, answer):
    argv = one_shot(tmp_path, monkeypatch)
    monkeypatch.setattr("sys.stdin", _Terminal([answer]))
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert "approve send_note(text='hi team')? [y/N] " in err
    runs = answer == "yes\n"
    assert written(tmp_path, "sent.txt") == (["hi", "team"] if runs else [])
    assert out.strip() == ("Result: sent" if runs else "Result: Rejected by the user: The user declined this call.")


def test_run_without_a_terminal_stops_at_the_pause_as_before(tmp_path, monkeypatch, capsys):
    argv = one_shot(tmp_path, monkeypatch)
    assert cli.main(argv) == 1  # stdin is not a terminal here
    assert "(approval_required)" in capsys.readouterr().err and written(tmp_path, "sent.txt") == []
