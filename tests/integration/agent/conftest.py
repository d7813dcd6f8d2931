"""The real parts for the agent's integration tests: the tiny model in-process, and a real
``python -m llama_cpp.server`` on 127.0.0.1 serving the same model."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from agent_tools import add, lookup  # noqa: F401 - shared with the other agent tier


@pytest.fixture(scope="session")
def two_tools():
    return [add, lookup]


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_path):
    from corral import LlamaCppBackend

    return LlamaCppBackend(tiny_model_path, n_ctx=2048, n_threads=2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tiny_model_path, tmp_path_factory):
    """Start llama_cpp.server with the tiny model; yield its /v1 base URL; stop it."""
    pytest.importorskip("uvicorn", reason="needs pip install 'llama-cpp-python[server]'")
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(tiny_model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
    ]
    # a file, not a pipe: the server logs a lot while loading and would block on a full pipe
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    log_file = open(log, "w")
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"llama_cpp.server did not answer /v1/models within 180 s: {log.read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()
