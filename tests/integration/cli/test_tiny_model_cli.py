"""The CLI on the real tiny model (SmolLM2-135M-Instruct GGUF): demo, run, batch with a TOML spec.

The tiny model's answers are not judged (it is a 135M stand-in); what is checked is what corral
guarantees whatever the model says: the stand-in is announced, tool calls are grammar-valid and
dispatched, the guards block the injections, results are well-formed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def corral(*argv: str, env_model: Path | None = None, cwd: Path | None = None, timeout: float = 600):
    env = dict(os.environ)
    env.pop("CORRAL_MODEL", None)
    if env_model is not None:
        env["CORRAL_MODEL"] = str(env_model)
    return subprocess.run(
        [sys.executable, "-m", "corral", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def demo(tiny_model_path):
    return corral("demo")


def test_demo_announces_the_stand_in_and_shows_every_step(demo):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    assert "TINY OFFLINE STAND-IN" in out
    assert "call   calculator(" in out and "result calculator:" in out  # scene 1: a dispatched call
    assert "guard tool_call: ALLOW" in out
    assert "guard input: BLOCK" in out  # scene 3: the user's injection never reaches the model
    assert out.count("answer:") == 3
    print("\n" + out)  # the transcript of the demo, for the report


def test_demo_cuts_the_injection_out_of_the_poisoned_page_when_it_is_fetched(demo):
    out = demo.stdout
    scene2 = out.split("=== 2.")[1].split("=== 3.")[0]
    if "travel-policy" in scene2.split("result fetch_page")[0]:
        assert "guard tool_result: REDACT" in scene2
        shown = scene2.split("result fetch_page")[1].split("\n")[0]  # what the model was given
        assert "Travel policy" in shown and "[removed: suspected instructions #" in shown
        assert "attacker@evil.example" not in shown and "developer mode" not in shown


def test_run_with_a_tool_on_the_tiny_model_gives_json(tiny_model_path):
    proc = corral(
        "run",
        "What is 17 * 23? Use the calculator.",
        "--tools",
        "corral.tools.builtin.calculator:calculator",
        "--max-turns",
        "2",
        "--max-tokens",
        "48",
        "--json",
        env_model=tiny_model_path,
    )
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data["stop_reason"] in ("final", "max_turns", "repeated_call", "retries_exhausted")
    assert data["usage"]["requests"] >= 1 and data["usage"]["completion_tokens"] > 0
    assert f"corral: model: {tiny_model_path}" in proc.stderr  # CORRAL_MODEL wins over the fallback


def test_scripted_agent_example_runs_through_corral_batch(tiny_model_path, tmp_path):
    out = tmp_path / "results.jsonl"
    proc = corral(
        "batch",
        "--spec",
        "examples/scripted_agent.toml",
        "--input",
        "examples/scripted_agent_tasks.jsonl",
        "--output",
        str(out),
        "--concurrency",
        "2",
    )
    assert proc.returncode in (0, 1), proc.stderr
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"mul", "sum", "injection"}
    assert records["injection"]["status"] == "blocked"
    assert any(v["stage"] == "input" and v["action"] == "block" for v in records["injection"]["verdicts"])
    for record in records.values():
        assert set(record) >= {"id", "status", "answer", "calls", "verdicts", "usage", "error", "elapsed_s"}
    assert "tiny offline stand-in" in proc.stderr
