"""``corral batch --concurrency N`` with a blocking backend runs N items at once.

The spec's backend is a real FunctionBackend whose reply blocks at a barrier for N parties: the batch
finishes only if N items are in flight together; one at a time, every wait breaks (no timing involved).
"""

from __future__ import annotations

import json
import textwrap

from corral import cli

REPLIES = textwrap.dedent("""
    import threading

    MEET = threading.Barrier(3, timeout=30)

    def meet(prompt):
        MEET.wait()  # blocks this thread until three replies are being computed at once
        return "met"
""")


def test_a_blocking_function_backend_runs_n_items_at_once(tmp_path, monkeypatch, capsys):
    (tmp_path / "replies_meet.py").write_text(REPLIES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agent.toml").write_text(
        '[backend]\ntype = "function"\nfunction = "replies_meet:meet"\n[guards]\ndefault = false\n', encoding="utf-8"
    )
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps({"id": f"q{i}", "input": f"item {i}"}) + "\n" for i in range(6)), encoding="utf-8"
    )
    code = cli.main(
        ["batch", "--input", "in.jsonl", "--output", "out.jsonl", "--concurrency", "3", "--spec", "agent.toml"]
    )
    err = capsys.readouterr().err.splitlines()
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert code == 0, rows
    assert sorted(r["id"] for r in rows) == [f"q{i}" for i in range(6)]
    assert {(r["status"], r["answer"]) for r in rows} == {("ok", "met")}
    # the progress showed the items in flight before the first one finished (the barrier needs all three)
    first_done = next(i for i, line in enumerate(err) if line.startswith("corral batch: [1/6]"))
    assert "(3 in flight)" in " ".join(err[:first_done]), err
