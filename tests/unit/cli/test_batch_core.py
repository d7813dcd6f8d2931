"""The batch core (corral.batch) runs without a terminal: no progress object, no output but the file."""

from __future__ import annotations

import json

from corral.batch import BatchItem, run_batch


async def test_run_batch_without_progress_writes_only_its_output(tmp_path, capsys):
    async def echo(item):
        return {"status": "ok", "answer": item.input.upper()}

    out = tmp_path / "out.jsonl"
    items = [BatchItem(id=str(i), input=f"q{i}") for i in range(3)]
    summary = await run_batch(echo, items, out, concurrency=2)
    assert summary.ok == 3
    assert sorted(json.loads(line)["answer"] for line in out.read_text().splitlines()) == ["Q0", "Q1", "Q2"]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


async def test_a_progress_object_hears_every_item(tmp_path):
    heard = []

    class Recorder:
        def start(self, *, total, skipped, repaired):
            heard.append(("start", total))

        def advance(self, record):
            heard.append(("item", record["id"]))

        def close(self, summary=None):
            heard.append(("close", summary.ok))

    async def echo(item):
        return {"status": "ok"}

    await run_batch(echo, [BatchItem(id="a", input="x")], tmp_path / "o.jsonl", progress=Recorder())
    assert heard == [("start", 1), ("item", "a"), ("close", 1)]
