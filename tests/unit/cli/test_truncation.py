"""An answer cut off by ``max_tokens`` says so: in the RunResult, and in ``corral run``, ``chat`` and
``batch`` rows.

The model is a real local HTTP server (a thread, a real socket) speaking the OpenAI ``/completions``
protocol: it answers with WORDS words, cut to ``max_tokens`` with ``finish_reason: "length"`` as
llama-server and vLLM do. The CLI runs as a real child process against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from corral import Agent, OpenAIBackend

WORDS = [f"w{i}" for i in range(12)]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        limit = int(body.get("max_tokens") or 256)
        words = WORDS[:limit]
        finish = "length" if limit < len(WORDS) else "stop"
        if body.get("stream"):  # corral run streams: server-sent events, a word each, as real servers do
            return self._stream(words, finish)
        reply = {
            "choices": [{"text": " ".join(words), "finish_reason": finish}],
            "usage": {"prompt_tokens": 5, "completion_tokens": len(words)},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, words: list[str], finish: str) -> None:
        pieces = [(w if i == 0 else " " + w, None) for i, w in enumerate(words)] + [("", finish)]
        events = [{"choices": [{"text": text, "finish_reason": why}]} for text, why in pieces]
        data = "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode() + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def spec(tmp_path, server_url) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(
        f'[backend]\ntype = "openai"\nbase_url = "{server_url}"\nmax_retries = 0\n[guards]\ndefault = false\n',
        encoding="utf-8",
    )
    return path


def corral(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # the server is local
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
        env=env,
    )


def test_a_cut_off_answer_stops_with_max_tokens_and_keeps_its_text(server_url):
    agent = Agent(OpenAIBackend(server_url, model="m", max_retries=0), guards=None, max_tokens=3)
    result = agent.run("Tell me everything.")
    assert (result.stop_reason, result.truncated, result.ok) == ("max_tokens", True, False)
    assert result.output == "w0 w1 w2" and "max_tokens=3" in result.stop_message
    whole = agent.replace(max_tokens=50).run("Tell me everything.")
    assert (whole.stop_reason, whole.truncated, whole.output) == ("final", False, " ".join(WORDS))


def test_run_says_the_answer_was_cut_off_and_exits_1(spec, tmp_path):
    proc = corral("run", "Tell me.", "--spec", str(spec), "--max-tokens", "4", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == "w0 w1 w2 w3\n"
    assert proc.stderr.startswith("corral: answer cut off (max_tokens): The answer was cut off at max_tokens=4")
    whole = corral("run", "Tell me.", "--spec", str(spec), "--max-tokens", "64", cwd=tmp_path)
    assert (whole.returncode, whole.stdout) == (0, " ".join(WORDS) + "\n")


def test_run_json_carries_the_stop_reason(spec, tmp_path):
    proc = corral("run", "Tell me.", "--spec", str(spec), "--max-tokens", "2", "--json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert (data["ok"], data["stop_reason"], data["output"]) == (False, "max_tokens", "w0 w1")


def test_chat_shows_the_cut(spec, tmp_path):
    proc = corral("chat", "--spec", str(spec), "--max-tokens", "3", cwd=tmp_path, stdin="Tell me.\n/exit\n")
    assert proc.returncode == 0, proc.stderr
    assert "(max_tokens: The answer was cut off at max_tokens=3" in proc.stdout
    assert "assistant> w0 w1 w2" in proc.stdout


def test_batch_rows_say_max_tokens_and_keep_the_partial_answer(spec, tmp_path):
    (tmp_path / "tasks.jsonl").write_text(
        '{"id": "short", "input": "a", "max_tokens": 2}\n{"id": "long", "input": "b", "max_tokens": 64}\n'
    )
    proc = corral("batch", "--spec", str(spec), "--input", "tasks.jsonl", "--output", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert (rows["short"]["status"], rows["short"]["answer"]) == ("max_tokens", "w0 w1")
    assert "cut off at max_tokens=2" in rows["short"]["error"]
    assert (rows["long"]["status"], rows["long"]["error"]) == ("ok", None)
