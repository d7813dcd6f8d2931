"""`corral chat` on a real terminal (pexpect): history, tool calls shown, Ctrl-C safe.

The backend is a function backend (slow on request) so that Ctrl-C can land mid-turn.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

pexpect = pytest.importorskip("pexpect")

REPLIES = textwrap.dedent("""
    import time

    def reply(prompt):
        header = prompt.rsplit("<|start_header_id|>", 2)[-2].split("<|end_header_id|>")[0]
        user = prompt.rsplit("<|start_header_id|>user<|end_header_id|>", 1)[-1].split("<|eot_id|>")[0].strip()
        if header in ("ipython", "tool"):
            return "The calculator says " + prompt.rsplit("<|end_header_id|>", 2)[-2].split("<|eot_id|>")[0].strip()
        if "slow" in user:
            time.sleep(30)
        if "calc" in user:
            return '[calculator(expression="2**10")]'
        turns = prompt.count("<|start_header_id|>user")
        return f"Turn {turns} of this chat."
""")

SPEC = textwrap.dedent("""
    tools = ["corral.tools.builtin.calculator:calculator"]
    [backend]
    type = "function"
    function = "chat_replies:reply"
    [guards]
    default = false
""")


def test_chat_session_on_a_tty(tmp_path):
    (tmp_path / "chat_replies.py").write_text(REPLIES)
    (tmp_path / "agent.toml").write_text(SPEC)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "corral", "chat", "--spec", "agent.toml"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    try:
        child.expect("you> ")
        child.sendline("hello")
        child.expect(r"assistant> Turn 1 of this chat\.")
        child.sendline("please calc")  # a tool call is shown with its result
        child.expect(r"call   calculator\(")
        child.expect(r"result calculator: 1024")
        child.expect(r"assistant> The calculator says 1024")
        child.expect("you> ")
        child.sendline("slow one")  # Ctrl-C mid-turn stops the turn, not the session
        child.expect(r"-- turn 1")
        child.sendintr()
        child.expect(r"turn stopped")
        child.expect("you> ")
        child.send("half a line")  # Ctrl-C at the prompt drops the line
        child.sendintr()
        child.expect("you> ")
        child.sendline("again")  # history kept: this is the third user turn that reached the model
        child.expect(r"assistant> Turn 3 of this chat\.")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
