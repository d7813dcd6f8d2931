"""HTTP plumbing for OpenAI-compatible servers: the retry policy and the mapping of failures to errors.

The policy is a pure function of the last outcome (a response or an exception) and the attempt
number; the one request flow in ``_flow.py`` asks it after each failed attempt.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import httpx

from corral.exceptions import BackendConnectError, BackendHTTPError, BackendTimeout, StreamTruncated

__all__ = ["RetryPolicy", "raise_for_outcome", "excerpt"]

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
        raise BackendTimeout(
            f"{url} did not answer in time ({type(outcome).__name__}) {tries}; "
            "raise timeout= or check the server's load"
        ) from outcome
    if isinstance(outcome, httpx.TransportError):
        raise BackendConnectError(
            f"Cannot reach {url} ({type(outcome).__name__}: {outcome}) {tries}; is the server running at base_url?"
        ) from outcome
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome.status_code >= 400:
        body = outcome.text if not outcome.is_stream_consumed or outcome.is_closed else ""
        raise BackendHTTPError(
            f"{url} answered HTTP {outcome.status_code} {tries}: {excerpt(body) or '(empty body)'}",
            status=outcome.status_code,
            body=excerpt(body, 2000),
        )
    return outcome
