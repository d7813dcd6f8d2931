"""The shared row schema and the shard split: shapes that Arrow can read as one schema, stable shards."""

from __future__ import annotations

import subprocess
import sys

import pytest

from corral.batch_rows import ResultRow, error_row, in_shard, parse_shard, to_row
from corral.exceptions import UsageError


def test_rows_have_one_shape_whatever_the_run_did():
    structured = to_row(
        {
            "id": 7,
            "status": "ok",
            "answer": {"b": 1, "a": [2]},
            "calls": [{"id": "c1", "name": "f", "arguments": {"x": 1}, "result": "r", "status": "ok"}],
            "verdicts": [{"stage": "input", "guard": "g", "action": "allow"}],
            "usage": {"requests": 2, "prompt_tokens": 5},
        }
    )
    failed = error_row("q", "error", "BackendError: down")
    assert structured["id"] == "7" and structured["answer"] == '{"a": [2], "b": 1}'
    assert structured["calls"][0]["arguments"] == '{"x": 1}'
    assert structured["verdicts"][0]["categories"] == [] and structured["verdicts"][0]["reason"] is None
    assert set(structured) == set(failed) == set(ResultRow.model_fields)
    assert set(structured["usage"]) == set(failed["usage"])


@pytest.mark.parametrize("text", ["3/3", "-1/3", "1", "a/b", "0/0", "1/2/3"])
def test_a_bad_shard_is_a_usage_error_with_an_example(text):
    with pytest.raises(UsageError, match="--shard 0/3"):
        parse_shard(text)


def test_every_id_lands_in_exactly_one_shard_and_the_split_is_the_same_in_another_process():
    ids = [f"item-{i}" for i in range(500)]
    owners = [[k for k in range(4) if in_shard(i, k, 4)] for i in ids]
    assert all(len(o) == 1 for o in owners)
    assert min(sum(o == [k] for o in owners) for k in range(4)) > 80  # spread, not all in one
    code = "from corral.batch_rows import in_shard; print([in_shard(f'item-{i}', 2, 4) for i in range(500)])"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"}
    )
    assert other.stdout.strip() == str([o == [2] for o in owners])


def test_import_corral_never_imports_ray():
    code = "import sys, corral, corral.batch, corral.batch_rows, corral.ray_batch, corral.cli.main; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_arrow_schema_of_ray_rows_matches_the_row_model():
    pytest.importorskip("pyarrow")
    import pyarrow as pa

    from corral.ray_batch import result_schema

    schema = result_schema()
    assert schema.names == list(ResultRow.model_fields)
    table = pa.Table.from_pylist(
        [error_row("a", "error", "x"), to_row({"id": "b", "status": "ok", "answer": "hi"})], schema=schema
    )
    assert table.to_pylist()[1]["usage"] == to_row({"id": "b", "status": "ok"})["usage"]
