"""corral.testing doubles, the curated root API, and format detection from GGUF metadata."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import corral
from corral.backends.llamacpp import detect_format_name
from corral.testing import FunctionBackend, ScriptedBackend


def test_scripted_backend_records_and_runs_out():
    backend = ScriptedBackend(["one"])
    assert backend.complete("p1", stop=["x"], max_tokens=4).text == "one"
    assert backend.prompts == ["p1"] and backend.requests[0].stop == ("x",)
    with pytest.raises(AssertionError, match="ran out of texts"):
        backend.complete("p2", stop=[], max_tokens=4)


def test_scripted_backend_fails_when_texts_are_left():
    backend = ScriptedBackend(["one", "two"])
    backend.complete("p", stop=[], max_tokens=4)
    with pytest.raises(AssertionError, match="never used: \\['two'\\]"):
        backend.assert_all_used()


def test_doubles_are_not_collected_by_pytest():
    assert ScriptedBackend.__test__ is False and FunctionBackend.__test__ is False


def test_function_backend_computes_replies():
    backend = FunctionBackend(lambda prompt: prompt.upper())
    assert backend.complete("abc", stop=[], max_tokens=4).text == "ABC"


def test_root_exports_are_pinned():
    assert set(corral.__all__) >= {
        "Agent",
        "RunResult",
        "LlamaCppBackend",
        "OpenAIBackend",
        "load_transcript",
        "TranscriptWriter",
        "Approve",
        "Edit",
        "Reject",
        "ModelDelta",
        "RunFinished",
        "CorralError",
        "ToolCallParseError",
    }
    for name in corral.__all__:
        assert getattr(corral, name) is not None, name


def test_import_corral_loads_no_backend_library():
    import subprocess
    import sys

    code = "import sys, corral; print('llama_cpp' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "False"


def test_llama_cpp_is_imported_only_in_its_backend():
    root = Path(corral.__file__).parent
    for path in root.rglob("*.py"):
        if path.parent.name == "bench":
            continue  # the bench engineer's module; reported
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if "llama_cpp" in names:
            assert path.parent.name == "backends" and path.name in ("llamacpp.py", "fastgrammar.py", "engine.py"), path


@pytest.mark.parametrize(
    "meta, expected",
    [
        ({"general.name": "Llama 3.2 3B Instruct", "tokenizer.chat_template": "<|start_header_id|>"}, "llama3.2"),
        ({"general.basename": "Meta-Llama-3.1", "tokenizer.chat_template": "<|start_header_id|>"}, "llama3.1"),
        ({"general.name": "Meta Llama 3 8B Instruct", "tokenizer.chat_template": "<|start_header_id|>x"}, "llama3"),
        ({"general.name": "Llama Guard 3 1B", "tokenizer.chat_template": "<|start_header_id|>"}, "jinja"),
        (
            {
                "general.name": "Smollm2 135M",
                "general.architecture": "llama",
                "tokenizer.chat_template": "<|im_start|>",
            },
            "jinja",
        ),
    ],
)
def test_detect_format_name(meta, expected):
    assert detect_format_name(meta) == expected
