"""`corral batch --shard i/n` on three "machines" (three processes), one SIGKILLed and resumed: the
union of the three outputs holds every id exactly once.

The backend is a function backend that sleeps per item (real processes, a real kill, no model).
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

N_ITEMS, N_SHARDS = 300, 3

SLOW = textwrap.dedent("""
    import time

    def reply(prompt):
        time.sleep(0.03)
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


def _setup(d: Path) -> None:
    (d / "slow_reply.py").write_text(SLOW)
    (d / "agent.toml").write_text(SPEC)
    (d / "tasks.jsonl").write_text(
        "".join(json.dumps({"id": f"item-{i:03d}", "input": f"task {i}"}) + "\n" for i in range(N_ITEMS))
    )


def _cmd(d: Path, shard: int, *extra: str) -> list[str]:
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
        str(d / f"out-{shard}.jsonl"),
        "--concurrency",
        "2",
        "--shard",
        f"{shard}/{N_SHARDS}",
        *extra,
    ]


def _kill_after(path: Path, n: int, proc: subprocess.Popen, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            os.kill(proc.pid, signal.SIGKILL)
            return
        assert proc.poll() is None, f"shard ended before the kill: {proc.communicate()}"
        time.sleep(0.01)
    raise AssertionError(f"fewer than {n} results after {limit}s")


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_three_shards_one_killed_and_resumed_cover_every_id_exactly_once(tmp_path):
    _setup(tmp_path)
    procs = [
        subprocess.Popen(_cmd(tmp_path, k), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for k in range(N_SHARDS)
    ]
    try:
        _kill_after(tmp_path / "out-1.jsonl", 10, procs[1])
    finally:
        outs = [p.communicate(timeout=300) for p in procs]
    assert procs[1].returncode == -signal.SIGKILL
    assert [procs[0].returncode, procs[2].returncode] == [0, 0], outs
    killed = _ids(tmp_path / "out-1.jsonl")
    assert 10 <= len(killed) < N_ITEMS // N_SHARDS * 0.9  # the kill landed mid-shard

    resumed = subprocess.run(_cmd(tmp_path, 1, "--resume"), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr

    per_shard = [_ids(tmp_path / f"out-{k}.jsonl") for k in range(N_SHARDS)]
    union = [i for ids in per_shard for i in ids]
    assert sorted(union) == [f"item-{i:03d}" for i in range(N_ITEMS)]  # every id, exactly once
    assert all(len(ids) > N_ITEMS // N_SHARDS // 2 for ids in per_shard)  # the hash spreads the work
    assert per_shard[1][: len(killed)] == killed  # what the killed shard wrote is kept as it was
