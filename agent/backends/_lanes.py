"""Several small async connection pools instead of one big one, for many runs in flight at once.

httpcore 1.0's pool walks all of its connections (polling every idle socket) on each request and
each release, so its CPU per request grows with the number of open connections. At 32 runs in
flight against one server that walk was about a fifth of a batch's CPU. Lanes of at most
``LANE_CONNECTIONS`` connections keep each walk short. A call takes the lane with the fewest calls
in flight and opens another lane only when every open one is full, so a handful of concurrent calls
still share one pool. Together the lanes never hold more than the backend's ``max_connections``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

__all__ = ["Lanes", "LANE_CONNECTIONS"]

LANE_CONNECTIONS = 8


class Lanes:
    """The async clients of one event loop; ``make(limits)`` builds a client with that pool size."""

    def __init__(self, make: Callable[[httpx.Limits], httpx.AsyncClient], max_connections: int, split: bool) -> None:
        self._left = max_connections  # connections not yet given to a lane
        self._lane = min(LANE_CONNECTIONS, max_connections) if split else max_connections
        self._make = make
        self.clients: list[httpx.AsyncClient] = []
        self._sizes: list[int] = []
        self._busy: list[int] = []

    def take(self) -> httpx.AsyncClient:
        """The client for one call; hand it back with ``give_back`` when the call is over."""
        lane = min(range(len(self.clients)), key=self._busy.__getitem__, default=None)
        if self._left and (lane is None or self._busy[lane] >= self._sizes[lane]):
            size = min(self._lane, self._left)  # the last lane gets what is left of max_connections
            self._left -= size
            self.clients.append(self._make(httpx.Limits(max_connections=size, max_keepalive_connections=size)))
            self._sizes.append(size)
            self._busy.append(0)
            lane = len(self.clients) - 1
        assert lane is not None
        self._busy[lane] += 1
        return self.clients[lane]

    def give_back(self, client: httpx.AsyncClient) -> None:
        self._busy[self.clients.index(client)] -= 1
