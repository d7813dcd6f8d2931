"""The batch runner's own logic: item parsing, append-only output, resume and repair, budgets.

The runner here is a plain async function (no model): these tests are about the file handling and
scheduling; the Agent-backed runner is tested in test_batch_agent.py and in the integration tier.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from corral.batch import BatchItem, read_items, repair_output, run_batch
from corral.cli.progress import BarProgress, LineProgress, format_eta, make_progress
from corral.exceptions import BackendConnectError, UsageError


def write_tasks(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps({"id": f"t{i}", "input": f"task {i}"}) + "\n" for i in range(n)))
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def echo(item: BatchItem) -> dict:
    await asyncio.sleep(0)
    return {"status": "ok", "answer": item.input.upper(), "calls": [], "verdicts": [], "usage": {}, "error": None}


def quiet() -> LineProgress:
    return LineProgress(io.StringIO())


def test_read_items_defaults_ids_to_line_numbers_and_keeps_budgets(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"input": "a"}\n\n{"id": "x", "input": "b", "max_turns": 2, "timeout": 1.5}\n')
    items = read_items(path)
    assert [i.id for i in items] == ["1", "x"]
    assert items[1].max_turns == 2 and items[1].timeout == 1.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1, "input": "a"}\n{"id": 1, "input": "b"}\n', "tasks.jsonl:2: id '1' already used on line 1"),
        ('{"id": 1, "input": "a"\n', "tasks.jsonl:1: not valid JSON"),
        ('["a"]\n', "tasks.jsonl:1: expected a JSON object"),
        ('{"id": 1, "question": "a"}\n', "unknown key(s) ['question']"),
        ('{"id": 1, "input": ""}\n', "'input' must be a non-empty string"),
        ('{"id": 1, "input": "a", "max_turns": 0}\n', "'max_turns' must be a positive number"),
        ('{"id": 1, "input": "a", "timeout": true}\n', "'timeout' must be a positive number"),
    ],
)
def test_bad_items_name_their_line(tmp_path, text, message):
    path = tmp_path / "tasks.jsonl"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        read_items(path)
    assert message in str(info.value)


async def test_every_item_is_written_once_with_id_and_elapsed(tmp_path):
    items = read_items(write_tasks(tmp_path / "tasks.jsonl", 7))
    out = tmp_path / "out.jsonl"
    summary = await run_batch(echo, items, out, concurrency=3, progress=quiet())
    records = lines(out)
    assert sorted(r["id"] for r in records) == sorted(i.id for i in items)
    assert all(r["answer"] == f"TASK {r['id'][1:]}" and r["elapsed_s"] >= 0 for r in records)
    assert (summary.ok, summary.failed, summary.total) == (7, 0, 7)


async def test_concurrency_is_bounded_and_real(tmp_path):
    in_flight = peak = 0

    async def slow(item):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return {"status": "ok"}

    items = read_items(write_tasks(tmp_path / "t.jsonl", 10))
    await run_batch(slow, items, tmp_path / "o.jsonl", concurrency=3, progress=quiet())
    assert peak == 3


async def test_results_are_on_disk_as_each_item_completes(tmp_path):
    out = tmp_path / "o.jsonl"
    seen_on_disk = []

    async def runner(item):
        seen_on_disk.append(len(out.read_text().splitlines()) if out.exists() else 0)
        return {"status": "ok"}

    items = read_items(write_tasks(tmp_path / "t.jsonl", 4))
    await run_batch(runner, items, out, concurrency=1, progress=quiet())
    assert seen_on_disk == [0, 1, 2, 3]  # appended and flushed before the next item starts


async def test_failing_and_slow_items_are_recorded_not_fatal(tmp_path):
    async def runner(item):
        if item.id == "t1":
            raise ValueError("bad tool output")
        if item.id == "t2":
            await asyncio.sleep(5)
        return {"status": "ok"}

    items = read_items(write_tasks(tmp_path / "t.jsonl", 4))
    items[2] = BatchItem(id="t2", input="slow", timeout=0.01)
    summary = await run_batch(runner, items, tmp_path / "o.jsonl", concurrency=4, progress=quiet())
    by_id = {r["id"]: r for r in lines(tmp_path / "o.jsonl")}
    assert by_id["t1"]["status"] == "error" and by_id["t1"]["error"] == "ValueError: bad tool output"
    assert by_id["t2"]["status"] == "timeout" and "0.01 s" in by_id["t2"]["error"]
    assert summary.statuses == {"ok": 2, "error": 1, "timeout": 1}


async def test_unreachable_server_stops_the_batch_without_recording_the_item(tmp_path):
    async def runner(item):
        if item.id == "t2":
            raise BackendConnectError("cannot reach http://127.0.0.1:9/v1")
        await asyncio.sleep(0.01 if item.id != "t0" else 0)
        return {"status": "ok"}

    items = read_items(write_tasks(tmp_path / "t.jsonl", 6))
    out = tmp_path / "o.jsonl"
    with pytest.raises(BackendConnectError):
        await run_batch(runner, items, out, concurrency=1, progress=quiet())
    assert [r["id"] for r in lines(out)] == ["t0", "t1"]  # t2 is retried by --resume


async def test_existing_output_needs_resume(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": "t0", "status": "ok"}\n')
    items = read_items(write_tasks(tmp_path / "t.jsonl", 2))
    with pytest.raises(UsageError, match="pass --resume"):
        await run_batch(echo, items, out, progress=quiet())


async def test_resume_skips_done_ids_and_repairs_a_truncated_last_line(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": "t0", "status": "ok"}\n{"id": "t3", "status": "error"}\n{"id": "t1", "sta')
    items = read_items(write_tasks(tmp_path / "t.jsonl", 5))
    stream = io.StringIO()
    summary = await run_batch(echo, items, out, resume=True, progress=LineProgress(stream))
    ids = [r["id"] for r in lines(out)]
    assert sorted(ids) == ["t0", "t1", "t2", "t3", "t4"]  # none lost, none duplicated
    assert ids[:2] == ["t0", "t3"]
    assert (summary.skipped, summary.repaired_bytes) == (2, len('{"id": "t1", "sta'))
    assert "dropped a truncated last line" in stream.getvalue()
    assert "2 item(s) already done, 3 to go" in stream.getvalue()


def test_repair_refuses_a_file_that_is_not_batch_output(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": "t0"}\nhello\n{"id": "t1"}\n')
    with pytest.raises(UsageError, match="o.jsonl:2: not a batch result line"):
        repair_output(out)


def test_repair_of_a_missing_or_clean_file_changes_nothing(tmp_path):
    assert repair_output(tmp_path / "none.jsonl") == (set(), 0)
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": 5}\n')
    assert repair_output(out) == ({"5"}, 0)
    assert out.read_text() == '{"id": 5}\n'


async def test_resume_with_everything_done_runs_nothing(tmp_path):
    items = read_items(write_tasks(tmp_path / "t.jsonl", 2))
    out = tmp_path / "o.jsonl"
    await run_batch(echo, items, out, progress=quiet())
    before = out.read_text()

    async def never(item):
        raise AssertionError("nothing should run")

    summary = await run_batch(never, items, out, resume=True, progress=quiet())
    assert out.read_text() == before and summary.skipped == 2


def test_progress_lines_show_rate_and_eta():
    stream = io.StringIO()
    progress = make_progress(stream)
    assert isinstance(progress, LineProgress)
    progress.start(total=2, skipped=0, repaired=0)
    progress.advance({"id": "a", "status": "ok", "elapsed_s": 0.5})
    line = stream.getvalue()
    assert "[1/2] id=a ok 0.50s rate=" in line and "eta=" in line


def test_progress_bar_on_a_tty_redraws_one_line():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    progress = make_progress(stream)
    assert isinstance(progress, BarProgress)
    progress.start(total=4, skipped=0, repaired=0)
    progress.advance({"id": "a", "status": "ok"})
    progress.advance({"id": "b", "status": "error"})
    out = stream.getvalue()
    assert out.count("\r") == 2 and "\n" not in out
    assert "2/4" in out and "it/s" in out and "ETA" in out and "(1 failed)" in out


@pytest.mark.parametrize(("seconds", "text"), [(None, "?"), (5, "0:05"), (125, "2:05"), (3725, "1:02:05")])
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text
