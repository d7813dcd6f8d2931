"""HTTP plumbing for OpenAI-compatible servers: the retry policy, error mapping and SSE parsing.

The policy is a pure function of the last outcome (a response or an exception) and the attempt
number, so the sync and async request loops in ``openai.py`` stay four lines each.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from corral.exceptions import BackendConnectError, BackendError, BackendHTTPError, BackendTimeout, StreamTruncated

__all__ = ["RetryPolicy", "raise_for_outcome", "parse_json", "SSEDecoder", "excerpt"]

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``base * 2**attempt`` scaled by a random 0.5-1.0.

    Retries connect errors, timeouts, 429 (honouring ``Retry-After`` up to ``max_retry_after``)
    and 5xx, at most ``max_retries`` times and ``budget`` seconds of waiting in all.
    """

    max_retries: int = 4
    base: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    budget: float = 120.0

    def delay(self, outcome: httpx.Response | BaseException, attempt: int, waited: float) -> float | None:
        """Seconds to wait before the next attempt, or None when the outcome is final."""
        if attempt >= self.max_retries or not _retryable(outcome):
            return None
        delay = min(self.max_delay, self.base * 2**attempt) * (0.5 + random.random() / 2)
        if isinstance(outcome, httpx.Response):
            after = _retry_after(outcome)
            if after is not None:
                if after > self.max_retry_after:
                    return None  # the server asks for longer than we are willing to wait: say so now
                delay = after
        return delay if waited + delay <= self.budget else None


def _retryable(outcome: httpx.Response | BaseException) -> bool:
    if isinstance(outcome, httpx.Response):
        return outcome.status_code in RETRY_STATUSES or outcome.status_code >= 500
    return isinstance(outcome, (httpx.TransportError, StreamTruncated))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def raise_for_outcome(outcome: httpx.Response | BaseException, url: str, attempts: int) -> httpx.Response:
    """Return a successful response; raise the matching corral error for anything else."""
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(outcome, httpx.TimeoutException):
        raise BackendTimeout(f"{url} did not answer in time ({type(outcome).__name__}) {tries}; "
                             "raise timeout= or check the server's load") from outcome
    if isinstance(outcome, httpx.TransportError):
        raise BackendConnectError(f"Cannot reach {url} ({type(outcome).__name__}: {outcome}) {tries}; "
                                  "is the server running at base_url?") from outcome
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome.status_code >= 400:
        body = outcome.text if not outcome.is_stream_consumed or outcome.is_closed else ""
        raise BackendHTTPError(
            f"{url} answered HTTP {outcome.status_code} {tries}: {excerpt(body) or '(empty body)'}",
            status=outcome.status_code, body=excerpt(body, 2000),
        )
    return outcome


def parse_json(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise BackendError(f"{url} returned malformed JSON (HTTP {response.status_code}): "
                           f"{excerpt(response.text) or '(empty body)'}") from None
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list) or not data["choices"]:
        raise BackendError(f"{url} returned JSON without choices: {excerpt(json.dumps(data))}")
    return data


class SSEDecoder:
    """Decodes ``data:`` lines of a server-sent event stream, one line at a time (sync or async).

    ``feed`` returns the event's JSON (None for other lines and for ``[DONE]``); ``close`` raises
    StreamTruncated when the stream ended without ``[DONE]`` and without a finish reason.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.done = False
        self.finished = False

    def feed(self, line: str) -> dict[str, Any] | None:
        if self.done or not line.startswith("data:"):
            return None
        payload = line[5:].strip()
        if payload == "[DONE]":
            self.done = True
            return None
        try:
            event = json.loads(payload)
        except ValueError:
            raise StreamTruncated(f"{self.url} sent a broken stream event: {excerpt(payload)}") from None
        if not isinstance(event, dict):
            raise BackendError(f"{self.url} sent a stream event that is not an object: {excerpt(payload)}")
        if "error" in event and not event.get("choices"):
            raise BackendError(f"{self.url} reported an error mid-stream: {excerpt(json.dumps(event['error']))}")
        self.finished = self.finished or any(c.get("finish_reason") for c in event.get("choices") or [])
        return event

    def close(self) -> None:
        if not (self.done or self.finished):
            raise StreamTruncated(f"{self.url}: the stream ended before the server said it was done "
                                  "(no finish reason, no [DONE]); the answer is incomplete")
