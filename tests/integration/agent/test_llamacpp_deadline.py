"""The embedded backend stops generating at the run's deadline (llama.cpp stopping criteria): it
cannot interrupt the prompt's evaluation, but produces no token after the deadline has passed."""

from __future__ import annotations

import time


def test_generation_stops_at_a_passed_deadline(tiny_backend):
    done = tiny_backend.complete(
        "Tell me a very long story about a cat.", max_tokens=200, deadline=time.monotonic() - 1.0
    )
    assert done.completion_tokens <= 1  # llama.cpp checks the criteria after each sampled token
    assert tiny_backend.accepts_deadline  # what tells the agent's driver to pass its deadline in
