"""Every example runs, offline, on the real tiny model, the way the README says to run it.

The tiny model's prose is not judged; the checks are what the examples promise regardless of
model quality: the corpus is indexed and searched with sources, the chunker used the model's
tokenizer and stayed within budget, discovered tools are the published ones, injections are blocked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def run_example(args: list[str], *, cwd: Path = ROOT, env_extra: dict | None = None, timeout: float = 600):
    env = {k: v for k, v in os.environ.items() if k != "CORRAL_MODEL"}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    print(proc.stdout[-3000:])
    return proc


@pytest.fixture(autouse=True)
def _needs_tiny_model(tiny_model_path):
    return tiny_model_path


def test_retrieval_qa_indexes_its_corpus_and_cites_sources(tmp_path):
    proc = run_example([str(EXAMPLES / "retrieval_qa.py"), "--index", str(tmp_path / "index.sqlite")])
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"indexed 5 changed file\(s\) of 5", proc.stdout)
    assert proc.stdout.count("Q: ") == 2 and proc.stdout.count("A: ") == 2
    # Each answer lists its sources, or says which guard withheld the retrieved text (the offline
    # injection classifier can flag ordinary policy prose; the reader is told, never left guessing).
    for block in proc.stdout.split("\nQ: ")[1:]:
        assert re.search(r"   source: (handbook|office)/\w+\.md \(characters \d+-\d+\)", block) or re.search(
            r"   withheld: search_documents\(.*\) by the \w+ guard", block
        ), block
    sources = re.findall(r"source: (\S+) \(characters (\d+)-(\d+)\)", proc.stdout)
    assert all(s.startswith(("handbook/", "office/")) for s, _, _ in sources)


def test_retrieval_index_is_reused_when_files_are_unchanged(tmp_path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        import retrieval_qa
    finally:
        sys.path.remove(str(EXAMPLES))
    from corral.tools.builtin.documents import DocumentIndex

    docs = retrieval_qa.write_corpus(tmp_path / "docs")
    with DocumentIndex(tmp_path / "i.sqlite") as index:
        assert index.add_folder(docs) == 5
    with DocumentIndex(tmp_path / "i.sqlite") as index:
        assert index.add_folder(docs) == 0  # persisted in sqlite: nothing re-indexed
        assert index.search("carried over leave")[0].source == "handbook/leave.md"


def test_summarize_map_reduces_with_the_model_tokenizer(tmp_path):
    long_doc = tmp_path / "long.txt"
    sys.path.insert(0, str(EXAMPLES))
    try:
        import summarize
    finally:
        sys.path.remove(str(EXAMPLES))
    long_doc.write_text(summarize.SAMPLE)
    proc = run_example([str(EXAMPLES / "summarize.py"), str(long_doc), "--chunk-tokens", "120", "--max-tokens", "32"])
    assert proc.returncode == 0, proc.stderr
    header = re.search(r"== .*long\.txt: (\d+) tokens, (\d+) chunk\(s\)", proc.stdout)
    assert header, proc.stdout
    tokens, chunks = int(header.group(1)), int(header.group(2))
    assert chunks >= -(-tokens // 120) and chunks > 1  # the budget forced a real split
    assert proc.stdout.count("  chunk ") == chunks and "  summary: " in proc.stdout


def test_summarize_counts_with_the_models_own_tokenizer(tiny_model_path):
    import llama_cpp

    sys.path.insert(0, str(EXAMPLES))
    try:
        import summarize
    finally:
        sys.path.remove(str(EXAMPLES))
    from corral import LlamaCppBackend

    backend = LlamaCppBackend(tiny_model_path, n_ctx=2048)
    count = summarize.token_counter(backend)
    vocab = llama_cpp.Llama(str(tiny_model_path), vocab_only=True, verbose=False)
    text = summarize.SAMPLE
    assert count(text) == len(vocab.tokenize(text.encode(), add_bos=False, special=False))
    chunks = summarize.chunk_text(text, max_tokens=100, count_tokens=count)
    assert len(chunks) > 1 and all(count(c) <= 100 for c in chunks)


def test_scripted_agent_example(tmp_path):
    out = tmp_path / "results.jsonl"
    proc = run_example([str(EXAMPLES / "scripted_agent.py"), "--output", str(out)])
    assert proc.returncode in (0, 1), proc.stderr  # 1: some item did not answer (the blocked one does not)
    assert len(out.read_text().splitlines()) == 3
    assert re.search(r"injection\s+blocked", proc.stdout)
    again = run_example([str(EXAMPLES / "scripted_agent.py"), "--output", str(out), "--resume"])
    assert "3 item(s) already done, 0 to go" in again.stderr and len(out.read_text().splitlines()) == 3


def test_tool_library_by_import_and_by_discovery(tmp_path):
    pkg = tmp_path / "src"
    shutil.copytree(EXAMPLES / "tool_library_pkg", pkg)  # build outside the repository tree
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--target",
            str(site),
            str(pkg),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    bare = run_example([str(EXAMPLES / "tool_library.py")])
    assert bare.returncode == 0, bare.stderr
    assert "by import:    ['convert_length', 'convert_temperature']" in bare.stdout
    assert "(none: pip install examples/tool_library_pkg)" in bare.stdout
    assert re.search(r"call convert_(length|temperature)\(", bare.stdout)  # required first call

    installed = run_example([str(EXAMPLES / "tool_library.py"), "--discover"], env_extra={"PYTHONPATH": str(site)})
    assert installed.returncode == 0, installed.stderr
    assert "by discovery: ['convert_length', 'convert_temperature']" in installed.stdout


def test_guarded_agent_cuts_the_hidden_injection_out(tmp_path):
    transcript = tmp_path / "run.jsonl"
    proc = run_example([str(EXAMPLES / "guarded_agent.py"), "--transcript", str(transcript)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "call read_latest_ticket({}) -> ok" in proc.stdout
    assert "verdict at tool_result: redact by injection" in proc.stdout
    seen = proc.stdout.split("the model saw:")[1].split("verdict at")[0]  # the result, all its lines
    assert seen.strip().startswith("Ticket T-1002") and "[removed: suspected instructions #" in seen
    assert "attacker@evil.example" not in seen and "developer mode" not in seen
    events = transcript.read_text()
    assert '"stage": "tool_result"' in events and '"action": "redact"' in events


def test_examples_run_with_python_dash_m_from_the_examples_folder():
    proc = run_example(["-m", "summarize", "--help"], cwd=EXAMPLES)
    assert proc.returncode == 0 and "Map-reduce summarization" in proc.stdout
