"""``corral doctor`` on this machine's real engine and model, as a child process like a user runs it."""

from __future__ import annotations

import subprocess
import sys


def _doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_doctor_passes_on_a_working_engine_and_names_every_part(tiny_model_path) -> None:
    proc = _doctor("--model", str(tiny_model_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith(("ok ", "FAIL"))}
    assert set(lines) == {"python", "corral", "engine", "model", "probe", "extras"}
    assert "llama-cpp-python" in lines["engine"] and "AVX2" in lines["engine"]
    assert "decoded a few tokens in a child process" in lines["probe"]
    assert "named by --model" in lines["model"]


def test_doctor_fails_with_the_fix_for_a_file_that_is_not_a_model(tmp_path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model\n")
    proc = _doctor("--model", str(bad), "--no-probe")
    assert proc.returncode == 1
    assert "FAIL  model" in proc.stdout and "not a usable GGUF model file" in proc.stdout and "fix:" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_the_probe_runs_the_real_engine(tiny_model_path) -> None:
    from corral.backends.engine import explain, probe_engine

    result = probe_engine(tiny_model_path)
    assert result.ok, explain(result)
