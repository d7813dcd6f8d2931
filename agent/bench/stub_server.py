"""A local OpenAI-compatible server that answers instantly: the far end of the batch benchmark.

It is a real HTTP server (stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive) on 127.0.0.1, so
the benchmark pays for real sockets, real JSON and real httpx, and nothing for a model. It answers
``POST /v1/completions`` and ``POST /v1/chat/completions`` with a reply computed from the prompt by a
``responder``, and ``GET /v1/models``. It is bounded: it stops by itself after ``max_requests``
requests or ``idle_timeout`` seconds without one, whichever comes first.

Run it in-process (``StubServer`` is a context manager) or as a separate process, which keeps its
work off the client's interpreter lock::

    python -m corral.bench.stub_server --max-requests 5000 --idle-timeout 30
    # prints: listening http://127.0.0.1:PORT/v1

Example::

    >>> with StubServer(lambda prompt: "hi") as server:  # doctest: +SKIP
    ...     httpx.post(server.base_url + "/completions", json={"prompt": "x"}).json()["choices"][0]["text"]
    'hi'
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StubServer", "Responder", "tool_then_answer", "main"]

Responder = Callable[[str], str]

# The batch benchmark's script: the first turn calls a tool, the turn after the tool result answers.
TOOL_RESULT_MARKER = "stub-result-"


def tool_then_answer(call_text: str, answer_text: str = "Done.") -> Responder:
    """A stateless responder: ``call_text`` until the prompt holds a tool result, then ``answer_text``.

    Stateless on purpose: many concurrent runs share one server, and each prompt carries its own
    history, so the reply depends on the prompt alone.
    """

    def respond(prompt: str) -> str:
        return answer_text if TOOL_RESULT_MARKER in prompt else call_text

    return respond


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in two writes: with Nagle on, the body waits for a delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _BoundedServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's signature
        pass  # a benchmark server must not print per request

    def do_GET(self) -> None:  # noqa: N802 - stdlib's name
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib's name
        self.server.note_request()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "request body is not JSON"}})
            return
        if self.server.recorded is not None:
            self.server.recorded.append({"path": self.path, "body": body})
        if self.server.delay:
            time.sleep(self.server.delay)  # a model's latency: many requests wait at once, as on a real server
        try:
            self._answer(body)
        except Exception as exc:  # noqa: BLE001 - a responder that raises stands for a failing server: 500
            self._send(500, {"error": {"message": f"stub responder failed: {exc}"}})

    def _answer(self, body: dict[str, Any]) -> None:
        if self.path.rstrip("/").endswith("/chat/completions"):
            self._send(200, self._chat(body))
        elif self.path.rstrip("/").endswith("/completions"):
            self._send(200, self._completion(body))
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body.get("prompt") or ""
        prompt = prompt if isinstance(prompt, str) else "".join(prompt)
        text = self.server.responder(prompt)
        return {
            "id": "cmpl-stub",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
            "usage": _usage(prompt, text),
        }

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
        text = self.server.responder(prompt)
        return {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": _usage(prompt, text),
        }

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _usage(prompt: str, text: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = len(prompt.split()), len(text.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


class _BoundedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the stdlib's 5 resets connections when 32 clients connect at once

    def __init__(self, responder: Responder, max_requests: int, idle_timeout: float, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.responder = responder
        self.max_requests = max_requests
        self.idle_timeout = idle_timeout
        self.requests = 0
        self.recorded: list[dict[str, Any]] | None = None
        self.last_request = time.monotonic()
        self._lock = threading.Lock()

    def note_request(self) -> None:
        with self._lock:
            self.requests += 1
            self.last_request = time.monotonic()

    def exhausted(self) -> bool:
        idle = time.monotonic() - self.last_request > self.idle_timeout
        return idle or self.requests >= self.max_requests


class StubServer:
    """The stub server on a free port of 127.0.0.1, served from a background thread.

    ``base_url`` ends in ``/v1``. ``requests`` counts the POSTs answered. Leaving the ``with`` block
    (or ``close()``) stops it; so do ``max_requests`` and ``idle_timeout``. ``record=True`` keeps
    every request body (``recorded``), e.g. to replay a client's exact requests. ``delay``: seconds
    each request waits before its answer (a model's latency). A responder that raises gets a 500.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        max_requests: int = 100_000,
        idle_timeout: float = 60.0,
        record: bool = False,
        delay: float = 0.0,
    ) -> None:
        self._server = _BoundedServer(responder, max_requests, idle_timeout, delay)
        self._server.recorded = [] if record else None
        self._thread = threading.Thread(target=self._serve, name="corral-stub-server", daemon=True)
        self._stopped = threading.Event()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> int:
        return self._server.requests

    @property
    def recorded(self) -> list[dict[str, Any]]:
        """Every POST received (``path`` and JSON ``body``) when started with ``record=True``."""
        return list(self._server.recorded or [])

    def start(self) -> StubServer:
        self._thread.start()
        threading.Thread(target=self._watchdog, name="corral-stub-watchdog", daemon=True).start()
        return self

    def close(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            self._server.shutdown()
            self._server.server_close()

    def wait(self) -> None:
        """Block until the server stops by itself (its request budget or idle timeout)."""
        self._thread.join()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def _watchdog(self) -> None:
        while not self._stopped.wait(0.1):
            # With max_requests, the last request is still being answered: give it a moment.
            if self._server.exhausted():
                time.sleep(0.2)
                self.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until the request budget or the idle timeout runs out; print the base URL first."""
    parser = argparse.ArgumentParser(prog="python -m corral.bench.stub_server", description=__doc__.splitlines()[0])
    parser.add_argument("--max-requests", type=int, default=10_000)
    parser.add_argument("--idle-timeout", type=float, default=30.0, help="seconds without a request before stopping")
    parser.add_argument("--call", default='[get_time(city="Paris")]', help="reply before a tool result")
    parser.add_argument("--answer", default="Done.", help="reply once the prompt holds a tool result")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each request waits (a model's latency)")
    args = parser.parse_args(argv)
    server = StubServer(
        tool_then_answer(args.call, args.answer),
        max_requests=args.max_requests,
        idle_timeout=args.idle_timeout,
        delay=args.delay,
    ).start()
    print(f"listening {server.base_url}", flush=True)
    server.wait()
    print(f"stopped after {server.requests} requests", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
