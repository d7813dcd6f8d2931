"""``python -m corral.bench --quick`` end to end: every section runs and its numbers are sane.

No speed is asserted (the machine's speed swings 2-4x); only that each figure exists, is finite and
is not negative, and that counts that must be exact (lost runs, sample sizes) are.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

SECTIONS = ("overhead", "guards", "batch", "decode", "constrained", "prefix", "quality")


@pytest.fixture(scope="module")
def bench(tmp_path_factory, tiny_model_path, data_dir):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = {**os.environ, "CORRAL_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "corral.bench", "--quick", "--json", str(out), "--n-threads", "2", "--n-ctx", "4096"],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text()), proc.stdout


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_every_section_ran(bench):
    document, _ = bench
    assert set(document["sections"]) == set(SECTIONS)
    for name, section in document["sections"].items():
        assert section["status"] == "ok", (name, section["reason"])
        assert section["rows"], name


def test_every_headline_value_is_finite_and_non_negative(bench):
    document, _ = bench
    for name, section in document["sections"].items():
        for row in section["rows"]:
            assert row["value"] is not None and math.isfinite(row["value"]), (name, row)
            assert row["signed"] or row["value"] >= 0, (name, row)  # differences may dip below 0 in noise


def test_ratios_and_timings_are_positive(bench):
    document, _ = bench
    sections = document["sections"]
    for name in ("decode", "constrained", "prefix"):
        assert all(r["value"] > 0 for r in sections[name]["rows"] if r["unit"] == "x"), name
    assert all(v > 0 for v in _numbers(sections["guards"]["data"]["us_per_message"]))
    assert all(v > 0 for v in _numbers(sections["overhead"]["data"]["us_per_turn"]))


def test_run_settings_are_explicit(bench):
    config = bench[0]["config"]
    assert config["n_threads"] == 2 and config["n_ctx"] == 4096 and config["size"] == "quick"
    assert config["repetitions"] >= 3


def test_batch_lost_no_run_at_any_concurrency(bench):
    levels = bench[0]["sections"]["batch"]["data"]["levels"]
    assert set(levels) == {"1", "8", "32"}
    for level in levels.values():
        assert level["lost"] == 0 and level["runs"] > 0


def test_prefix_reuse_counts_are_consistent(bench):
    for conversation in bench[0]["sections"]["prefix"]["data"]["conversations"]:
        assert len(conversation["prompt_tokens"]) == 10
        assert all(0 < e <= p for e, p in zip(conversation["evaluated"], conversation["prompt_tokens"]))
        assert conversation["prompt_tokens"] == sorted(conversation["prompt_tokens"])  # the history only grows


def test_quality_sample_covers_every_category_for_every_variant(bench):
    data = bench[0]["sections"]["quality"]["data"]
    assert {i.rsplit("_", 1)[0] for i in data["items"]} == {
        "simple_python",
        "multiple",
        "parallel",
        "parallel_multiple",
        "irrelevance",
    }
    for outcomes in data["outcomes"].values():
        assert [o["id"] for o in outcomes] == data["items"]


def test_the_table_is_printed(bench):
    _, stdout = bench
    assert stdout.startswith("| section | measure | value | target | detail |")
    assert all(f"| {name} |" in stdout for name in SECTIONS)
