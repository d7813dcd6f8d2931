"""Batch files lose and mangle nothing: any Unicode in answers and inputs, bad bytes, bad paths.

Real files in tmp_path and the real /dev/full; the runner is a plain async function (no model), as
in test_batch.py: these tests are about the files.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.batch import BatchItem, read_items, read_results, run_batch
from corral.cli.progress import LineProgress
from corral.exceptions import FileFormatError, RunError, UsageError
from corral.jsonl import dumps_line, split_lines

TRICKY = ["\u2028", "\u2029", "\u0085", "\ud800", "\udfff", "\x00", "\x0b", "\x1c", "\r", "é", "😀"]
# Any code point; the separators, lone surrogates and NUL often (they are rare in the full range).
ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from(TRICKY),
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    ),
    max_size=40,
)


def reply_with(answers: dict[str, str]):
    async def runner(item: BatchItem) -> dict:
        await asyncio.sleep(0)
        return {"status": "ok", "answer": answers[item.id], "calls": [], "verdicts": [], "usage": {}, "error": None}

    return runner


def quiet() -> LineProgress:
    return LineProgress(io.StringIO())


def items_for(ids) -> list[BatchItem]:
    return [BatchItem(id=i, input=f"task {i}") for i in ids]


def records(path: Path) -> list[dict]:
    return [json.loads(text) for _, text in split_lines(path.read_bytes(), str(path))]


@pytest.mark.parametrize("char", TRICKY)
async def test_an_answer_with_any_character_is_written_and_resumed(tmp_path, char):
    out = tmp_path / "out.jsonl"
    answer = f"before{char}after"
    await run_batch(reply_with({"a": answer}), items_for(["a"]), out, progress=quiet())
    assert len(out.read_bytes().split(b"\n")) == 2  # one line and its newline, whatever the answer holds
    assert records(out)[0]["answer"] == answer
    summary = await run_batch(
        reply_with({"a": "x", "b": "y"}), items_for(["a", "b"]), out, resume=True, progress=quiet()
    )
    assert (summary.skipped, summary.ok) == (1, 1)
    assert [r["id"] for r in records(out)] == ["a", "b"]


def test_a_raw_line_separator_inside_an_input_line_is_part_of_the_input(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_bytes('{"id": "q", "input": "one\u2028two\u0085three"}\n'.encode("utf-8"))
    (item,) = read_items(path)
    assert item.input == "one\u2028two\u0085three"


def test_a_non_utf8_input_names_the_line(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(b'{"id": "a", "input": "ok"}\n{"id": "b", "input": "caf\xe9"}\n')
    with pytest.raises(FileFormatError) as info:
        read_items(path)
    assert str(info.value).startswith(f"{path}:2: not UTF-8 text (byte 0xe9")
    assert (info.value.path, info.value.line) == (str(path), 2)


def test_a_bad_result_line_names_its_line(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "a", "status": "ok"}\n42\n{"id": "c"}\n')
    with pytest.raises(FileFormatError, match=r"out.jsonl:2: not a batch result line"):
        read_results(out)


def test_a_torn_multibyte_last_line_is_repaired_not_refused(tmp_path):
    out = tmp_path / "out.jsonl"
    whole = dumps_line({"id": "a", "status": "ok", "answer": "é"}).encode()
    torn = b'{"id": "b", "status": "ok", "answer": "' + "😀".encode()[:2]  # a crash cut the emoji in two
    out.write_bytes(whole + torn)
    statuses, cut = read_results(out)
    assert statuses == {"a": "ok"} and cut == len(torn) and out.read_bytes() == whole


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=ANY_TEXT)
def test_property_any_unicode_round_trips_through_batch_output_and_resume(tmp_path_factory, answer):
    out = tmp_path_factory.mktemp("b") / "out.jsonl"
    asyncio.run(run_batch(reply_with({"a": answer}), items_for(["a"]), out, progress=quiet()))
    assert records(out)[0]["answer"] == _json_view(answer)
    statuses, cut = read_results(out)
    assert (statuses, cut) == ({"a": "ok"}, 0)


def _json_view(text: str) -> str:
    # JSON cannot tell a high+low surrogate pair written as two code points from the one character
    # they encode: that (and only that) comes back combined. Lone surrogates come back as they were.
    return json.loads(json.dumps(text))


async def test_output_in_a_missing_folder_is_a_usage_error_with_the_fix(tmp_path):
    with pytest.raises(UsageError, match=r"does not exist; create it first \(mkdir -p .*missing\)"):
        await run_batch(reply_with({}), items_for(["a"]), tmp_path / "missing" / "out.jsonl", progress=quiet())


async def test_output_that_is_a_directory_says_so(tmp_path):
    with pytest.raises(UsageError, match=r"is a directory; pass a file path"):
        await run_batch(reply_with({}), items_for(["a"]), tmp_path, progress=quiet())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
async def test_a_write_failure_stops_the_batch_and_is_not_reported_as_done():
    stream = io.StringIO()
    with pytest.raises(RunError, match=r"Cannot write results to /dev/full: No space left on device"):
        await run_batch(
            reply_with({"a": "x", "b": "y"}), items_for(["a", "b"]), "/dev/full", progress=LineProgress(stream)
        )
    assert "done:" not in stream.getvalue()


async def test_resume_counts_items_that_failed_in_an_earlier_run(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(dumps_line({"id": "a", "status": "max_turns"}) + dumps_line({"id": "b", "status": "ok"}))
    stream = io.StringIO()
    summary = await run_batch(
        reply_with({"c": "z"}), items_for(["a", "b", "c"]), out, resume=True, progress=LineProgress(stream)
    )
    assert (summary.failed, summary.earlier_failed, summary.ok) == (0, 1, 1)
    assert "1 item(s) recorded as failed by an earlier run" in stream.getvalue()
