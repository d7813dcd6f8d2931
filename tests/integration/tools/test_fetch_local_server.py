"""fetch_url against a real HTTP server on 127.0.0.1 (real sockets, real DNS for 'localhost')."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from corral.exceptions import ModelRetry
from corral.tools import Registry, dispatch
from corral.tools.builtin import fetch_url


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        body = ("x" * 100_000 if self.path == "/big" else f"page for host {self.headers['Host']}").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch(url: str, **options) -> str:
    return asyncio.run(fetch_url(**options).func(url))


def test_local_server_is_refused_by_default(server):
    port = server.split(":")[1]
    for url in (f"http://{server}/page", f"http://localhost:{port}/page"):
        with pytest.raises(ModelRetry, match="loopback"):
            fetch(url)


def test_allow_private_fetches_follows_redirects_and_keeps_the_host(server):
    port = server.split(":")[1]
    assert fetch(f"http://localhost:{port}/hop", allow_private=True) == f"page for host localhost:{port}"


def test_byte_cap_on_a_real_stream(server):
    out = fetch(f"http://{server}/big", allow_private=True, max_bytes=2048)
    assert out.startswith("x" * 2048) and out.endswith("[... truncated after 2048 bytes]")


def test_through_dispatch(server):
    reg = Registry([fetch_url(allowed_hosts=["127.0.0.1"])])
    (ok,) = dispatch(reg, [{"name": "fetch_url", "arguments": {"url": f"http://{server}/page"}}])
    assert ok.content == f"page for host {server}"
