import time
import urllib.request

import httpx

from corral.bench.stub_server import TOOL_RESULT_MARKER, StubServer, tool_then_answer


def _post(url, payload, client):
    return client.post(url, json=payload).json()


def test_completions_and_chat_answer_from_the_prompt():
    responder = tool_then_answer("[f(x=1)]", "Done.")
    with StubServer(responder) as server, httpx.Client() as client:
        first = _post(server.base_url + "/completions", {"prompt": "hello", "max_tokens": 5}, client)
        assert first["choices"][0]["text"] == "[f(x=1)]"
        assert first["choices"][0]["finish_reason"] == "stop"
        second = _post(server.base_url + "/completions", {"prompt": f"... {TOOL_RESULT_MARKER}1 ..."}, client)
        assert second["choices"][0]["text"] == "Done."
        chat = _post(server.base_url + "/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}, client)
        assert chat["choices"][0]["message"] == {"role": "assistant", "content": "[f(x=1)]"}
        assert chat["usage"]["total_tokens"] == chat["usage"]["prompt_tokens"] + chat["usage"]["completion_tokens"]
        assert client.get(server.base_url + "/models").json()["data"][0]["id"] == "stub"
        assert server.requests == 3


def test_keeps_connections_alive_like_a_real_server():
    with StubServer(lambda p: "x") as server, httpx.Client() as client:
        for _ in range(3):
            response = client.post(server.base_url + "/completions", json={"prompt": "p"})
            assert response.headers["content-length"] == str(len(response.content))
        assert response.http_version == "HTTP/1.1"


def test_bad_json_and_unknown_route_get_clear_errors():
    with StubServer(lambda p: "x") as server, httpx.Client() as client:
        bad = client.post(server.base_url + "/completions", content=b"{not json")
        assert bad.status_code == 400 and "not JSON" in bad.json()["error"]["message"]
        missing = client.post(server.base_url + "/nope", json={})
        assert missing.status_code == 404


def test_stops_by_itself_after_its_request_budget():
    server = StubServer(lambda p: "x", max_requests=2, idle_timeout=30).start()
    with httpx.Client() as client:
        for _ in range(2):
            client.post(server.base_url + "/completions", json={"prompt": "p"})
    deadline = time.monotonic() + 5
    while server._thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server._thread.is_alive()


def test_stops_by_itself_when_idle():
    server = StubServer(lambda p: "x", idle_timeout=0.2).start()
    server._thread.join(timeout=5)
    assert not server._thread.is_alive()
    try:
        urllib.request.urlopen(server.base_url + "/models", timeout=1)
    except OSError:
        pass
    else:  # pragma: no cover - the socket must be closed
        raise AssertionError("server still answering after its idle timeout")


def test_records_request_bodies_for_replay():
    with StubServer(lambda p: "x", record=True) as server, httpx.Client() as client:
        client.post(server.base_url + "/completions", json={"prompt": "p1", "max_tokens": 3})
        client.post(server.base_url + "/chat/completions", json={"messages": []})
        assert server.recorded == [
            {"path": "/v1/completions", "body": {"prompt": "p1", "max_tokens": 3}},
            {"path": "/v1/chat/completions", "body": {"messages": []}},
        ]
