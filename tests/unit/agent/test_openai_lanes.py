"""OpenAIBackend's async lanes (``corral.backends._lanes``) against a real loopback server.

Many calls at once spread over small pools that together stay within ``max_connections``; a few
calls share one pool; a stream left early hands its lane back; a custom transport gets one lane.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from corral import OpenAIBackend
from corral.backends._lanes import LANE_CONNECTIONS
from corral.bench.stub_server import StubServer


@pytest.fixture(scope="module")
def server():
    with StubServer(lambda prompt: f"echo {prompt}", delay=0.05) as stub:
        yield stub


def _lanes(backend: OpenAIBackend):
    (lanes,) = backend._aclients.values()
    return lanes


def _open_connections(client: httpx.AsyncClient) -> int:
    return len(client._transport._pool.connections)  # type: ignore[attr-defined]


def test_many_calls_spread_over_lanes_within_max_connections(server):
    backend = OpenAIBackend(server.base_url, max_connections=20)

    async def main():
        replies = await asyncio.gather(*(backend.acomplete(f"p{i}", max_tokens=4) for i in range(40)))
        lanes = _lanes(backend)
        counts = [_open_connections(c) for c in lanes.clients]
        await backend.aclose()
        return replies, lanes, counts

    replies, lanes, counts = asyncio.run(main())
    assert [r.text for r in replies] == [f"echo p{i}" for i in range(40)]  # every answer to its own call
    assert len(lanes.clients) == 3  # 8 + 8 + 4: more would exceed max_connections
    assert counts == [LANE_CONNECTIONS, LANE_CONNECTIONS, 20 - 2 * LANE_CONNECTIONS]
    assert lanes._busy == [0, 0, 0]


def test_a_few_calls_share_one_pool(server):
    backend = OpenAIBackend(server.base_url)

    async def main():
        for _ in range(3):
            await asyncio.gather(*(backend.acomplete("x", max_tokens=4) for _ in range(LANE_CONNECTIONS)))
        lanes = _lanes(backend)
        n = len(lanes.clients), _open_connections(lanes.clients[0])
        await backend.aclose()
        return n

    assert asyncio.run(main()) == (1, LANE_CONNECTIONS)


@respx.mock
def test_a_stream_left_early_hands_its_lane_back():
    deltas = [{"choices": [{"text": t, "finish_reason": None}]} for t in ("he", "llo")]
    sse = "".join(f"data: {json.dumps(d)}\n\n" for d in deltas) + "data: [DONE]\n\n"
    respx.post("http://llm.test/v1/completions").mock(
        return_value=httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    )
    backend = OpenAIBackend("http://llm.test/v1")

    async def main():
        stream = backend.astream("a prompt", max_tokens=4)
        first = await stream.__anext__()
        busy_while_open = list(_lanes(backend)._busy)
        await stream.aclose()
        busy_after = list(_lanes(backend)._busy)
        await backend.aclose()
        return first.text, busy_while_open, busy_after

    assert asyncio.run(main()) == ("he", [1], [0])


def test_a_custom_transport_is_one_lane(server):
    transport = httpx.AsyncHTTPTransport()
    backend = OpenAIBackend(server.base_url, async_transport=transport)

    async def main():
        await asyncio.gather(*(backend.acomplete("x", max_tokens=4) for _ in range(3 * LANE_CONNECTIONS)))
        n = len(_lanes(backend).clients)
        await backend.aclose()
        return n

    assert asyncio.run(main()) == 1
