"""Every bad input the CLI meets gives one clear line on stderr, no traceback, and the right exit code
(2 usage, 3 runtime, 1 not answered). Each case runs ``python -m corral`` as a real child process on
real files (and the real /dev/full); no model loads: specs use a function backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPLIES = textwrap.dedent("""
    def number(prompt):
        return 42

    def hello(prompt):
        return "Hello there."

    def lone_surrogate(prompt):
        return "half \\ud800 of a pair, and a line\\u2028separator"
""")


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "replies_err.py").write_text(REPLIES, encoding="utf-8")
    (tmp_path / "broken_tools.py").write_text('raise RuntimeError("import-time failure")\n', encoding="utf-8")
    (tmp_path / "tasks.jsonl").write_text('{"id": "a", "input": "one"}\n{"id": "b", "input": "two"}\n')
    return tmp_path


def function_spec(workdir: Path, function: str, name: str = "agent.toml") -> Path:
    path = workdir / name
    path.write_text(
        f'[backend]\ntype = "function"\nfunction = "replies_err:{function}"\n[guards]\ndefault = false\n',
        encoding="utf-8",
    )
    return path


def corral(*args: str, cwd: Path, stdin: str = "") -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "corral", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
        env=env,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_error_line(err: str) -> str:
    """The only line on stderr besides batch progress, which must be a corral error (never a traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if not line.startswith("corral batch: started ")]
    assert len(lines) == 1 and lines[0].startswith("corral: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"this is a text file\n", "it does not start with 'GGUF' but with b'this'"),
        (bytes(range(7, 256)) * 4, "it does not start with 'GGUF'"),
        (b"GGUF\x03\x00", "the header is truncated: 6 of 24 bytes"),
        (b"", "the file is empty"),
        (
            b"GGUF\x03\x00\x00\x00" + (5000).to_bytes(8, "little") + (40).to_bytes(8, "little"),
            "truncated: the header lists 5000 tensors",
        ),
    ],
    ids=["text", "random-bytes", "truncated-header", "empty", "truncated-body"],
)
def test_a_model_that_is_not_a_gguf_is_a_usage_error(workdir, content, problem):
    model = workdir / "model.gguf"
    model.write_bytes(content)
    code, out, err = corral("run", "hi", "--model", str(model), "--no-guards", cwd=workdir)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert f"{model} is not a usable GGUF model file ({problem}" in line


def test_a_non_utf8_spec_names_its_line(workdir):
    spec = workdir / "latin1.toml"
    spec.write_bytes(b'name = "agent"\nsystem = "Caf\xe9"\n')
    code, _, err = corral("run", "hi", "--spec", str(spec), cwd=workdir)
    assert code == 2
    assert one_error_line(err) == (
        f"corral: error: {spec}:2: not UTF-8 text (byte 0xe9); save the spec as UTF-8 (--debug shows the traceback)"
    )


def test_a_non_utf8_render_file_names_its_line(workdir):
    conversation = workdir / "conv.json"
    conversation.write_bytes(b'[\n{"role": "user", "content": "Caf\xe9"}\n]\n')
    code, out, err = corral("render", str(conversation), cwd=workdir)
    assert (code, out) == (2, "")
    assert "conv.json:2: not UTF-8 text (byte 0xe9)" in one_error_line(err)


@pytest.mark.parametrize("command", ["tools", "run"])
def test_a_tools_module_that_raises_on_import_is_one_line(workdir, command):
    extra = ["hi", "--spec", str(function_spec(workdir, "hello"))] if command == "run" else []
    code, _, err = corral(command, *extra, "--tools", "broken_tools:anything", cwd=workdir)
    assert code == 2
    line = one_error_line(err)
    assert "Importing module 'broken_tools' for tools 'broken_tools:anything' failed" in line
    assert "RuntimeError: import-time failure" in line


def test_a_function_backend_returning_a_non_string_is_a_runtime_error(workdir):
    code, _, err = corral("run", "hi", "--spec", str(function_spec(workdir, "number")), cwd=workdir)
    assert code == 3
    assert "FunctionBackend: number returned int, not the reply text (a str)" in one_error_line(err)


def test_an_empty_list_of_scripted_turns_is_a_spec_error(workdir):
    spec = workdir / "empty.toml"
    spec.write_text('[backend]\ntype = "scripted"\nturns = []\n[guards]\ndefault = false\n', encoding="utf-8")
    code, _, err = corral("run", "hi", "--spec", str(spec), cwd=workdir)
    assert code == 2
    assert f"{spec}: backend.turns: List should have at least 1 item" in one_error_line(err)


def batch_hello(workdir, output, *extra):
    """``corral batch`` of tasks.jsonl through a function backend answering "hello", to ``output``."""
    spec = str(function_spec(workdir, "hello"))
    return corral("batch", "--spec", spec, "--input", "tasks.jsonl", "--output", str(output), *extra, cwd=workdir)


def test_batch_output_in_a_missing_folder_is_a_usage_error_with_the_fix(workdir):
    out = workdir / "no" / "such" / "out.jsonl"
    code, _, err = batch_hello(workdir, str(out))
    assert code == 2
    assert f"the folder {out.parent} does not exist; create it first (mkdir -p {out.parent})" in one_error_line(err)


def test_batch_output_that_is_a_directory_is_reported_as_such(workdir):
    code, _, err = batch_hello(workdir, str(workdir))
    assert code == 2
    assert f"--output {workdir} is a directory; pass a file path" in one_error_line(err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_batch_write_failure_is_the_error_not_done(workdir):
    code, _, err = batch_hello(workdir, "/dev/full", "--concurrency", "1")
    assert code == 3
    line = one_error_line(err)
    assert "Cannot write results to /dev/full: No space left on device" in line and "done:" not in err


def test_batch_non_utf8_input_names_its_line(workdir):
    (workdir / "tasks.jsonl").write_bytes(b'{"id": "a", "input": "ok"}\n{"id": "b", "input": "\xff"}\n')
    code, _, err = batch_hello(workdir, "out.jsonl")
    assert code == 2
    assert "tasks.jsonl:2: not UTF-8 text (byte 0xff" in one_error_line(err)
    assert not (workdir / "out.jsonl").exists()


def test_resume_exits_1_while_an_earlier_item_failed(workdir):
    spec = str(function_spec(workdir, "hello"))
    out = workdir / "out.jsonl"
    out.write_text(json.dumps({"id": "a", "status": "error", "error": "BackendError: boom"}) + "\n")
    code, _, err = corral(
        "batch", "--spec", spec, "--input", "tasks.jsonl", "--output", str(out), "--resume", cwd=workdir
    )
    assert code == 1 and "Traceback" not in err
    assert "1 item(s) recorded as failed by an earlier run" in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]
    out.write_text(json.dumps({"id": "a", "status": "ok"}) + "\n")  # the control: nothing failed
    out.write_text(out.read_text() + json.dumps({"id": "b", "status": "ok"}) + "\n")
    code, _, _ = corral(
        "batch", "--spec", spec, "--input", "tasks.jsonl", "--output", str(out), "--resume", cwd=workdir
    )
    assert code == 0


def test_an_answer_with_a_lone_surrogate_prints_and_round_trips_through_json(workdir):
    spec = str(function_spec(workdir, "lone_surrogate"))
    code, out, err = corral("run", "hi", "--spec", spec, cwd=workdir)
    assert (code, err) == (0, "")
    assert out == "half \\ud800 of a pair, and a line\u2028separator\n"
    code, out, _ = corral("run", "hi", "--spec", spec, "--json", cwd=workdir)
    assert code == 0 and json.loads(out)["output"] == "half \ud800 of a pair, and a line\u2028separator"
