"""`corral batch` killed with SIGKILL mid-run, then `--resume`: no item lost, none duplicated.

The backend is a function backend that sleeps per item (a real process, a real kill): no model is
needed to prove the file handling, and the sleep makes sure the kill lands mid-batch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

N_ITEMS = 30

SLOW = textwrap.dedent("""
    import time

    def reply(prompt):
        time.sleep(0.15)
        user = prompt.rsplit("<|start_header_id|>user<|end_header_id|>", 1)[-1].split("<|eot_id|>")[0]
        return "done: " + user.strip()
""")

SPEC = textwrap.dedent("""
    [backend]
    type = "function"
    function = "slow_reply:reply"
    [guards]
    default = false
    [limits]
    max_turns = 1
""")


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    (tmp_path / "slow_reply.py").write_text(SLOW)
    (tmp_path / "agent.toml").write_text(SPEC)
    (tmp_path / "tasks.jsonl").write_text(
        "".join(json.dumps({"id": f"item-{i:02d}", "input": f"task number {i}"}) + "\n" for i in range(N_ITEMS))
    )
    return tmp_path


def _cmd(d: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "corral",
        "batch",
        "--spec",
        str(d / "agent.toml"),
        "--input",
        str(d / "tasks.jsonl"),
        "--output",
        str(d / "out.jsonl"),
        "--concurrency",
        "3",
        *extra,
    ]


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        assert proc.poll() is None, f"batch ended before the kill: {proc.communicate()}"
        time.sleep(0.02)
    raise AssertionError(f"fewer than {n} results after {limit}s")


def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(batch_dir):
    out = batch_dir / "out.jsonl"
    proc = subprocess.Popen(_cmd(batch_dir), cwd=batch_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_lines(out, 5, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = [json.loads(line) for line in out.read_text().splitlines()]
    assert 5 <= len(before) < N_ITEMS, "the kill must land mid-batch"

    # A crash during a write leaves a torn last line; simulate one for an item not yet written.
    pending = sorted({f"item-{i:02d}" for i in range(N_ITEMS)} - {r["id"] for r in before})
    with open(out, "a") as handle:
        handle.write(json.dumps({"id": pending[0], "status": "ok", "answer": "done: task"})[:30])

    resumed = subprocess.run(_cmd(batch_dir, "--resume"), cwd=batch_dir, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "dropped a truncated last line" in resumed.stderr
    assert f"{len(before)} item(s) already done" in resumed.stderr

    records = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == N_ITEMS  # none duplicated, none lost
    assert records[: len(before)] == before  # what was written before the kill is untouched
    assert all(r["status"] == "ok" and r["answer"] == f"done: task number {int(r['id'][5:])}" for r in records)
