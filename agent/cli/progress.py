"""Progress reporting for ``corral batch``: a one-line bar on a terminal, plain lines otherwise.

Both show done/total, the rate (items per second) and the ETA. Plain lines are for logs and CI,
where carriage returns would pile up into noise.

Example::

    >>> import io
    >>> p = make_progress(io.StringIO())      # not a TTY: plain lines
    >>> p.start(total=2, skipped=0, repaired=0)
    >>> p.advance({"id": "a", "status": "ok"})
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["Progress", "LineProgress", "BarProgress", "make_progress", "format_eta"]


def format_eta(seconds: float | None) -> str:
    """``1:02:03`` / ``2:03`` style; ``?`` while unknown.

    Example::

        >>> format_eta(125)
        '2:05'
    """
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts completed items and computes rate and ETA; subclasses decide how to show them."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0
        self.failed = 0
        self.running = 0  # items in flight
        self._t0 = time.monotonic()

    def start(self, *, total: int, skipped: int, repaired: int) -> None:
        self.total, self._t0 = total, time.monotonic()
        if repaired:
            self._say(f"repaired the output: dropped a truncated last line ({repaired} bytes); that item runs again")
        if skipped:
            self._say(f"resuming: {skipped} item(s) already done, {total} to go")

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self._t0
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None

    def begin(self, item_id: str) -> None:
        """An item started: before the first one finishes, say how many are in flight."""
        self.running += 1
        if self.done == 0:
            self._started(item_id)

    def advance(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.running = max(0, self.running - 1)
        self.failed += record.get("status") != "ok"
        self._show(record)

    def _started(self, item_id: str) -> None:
        self._say(f"started id={item_id} ({self.running} in flight)")

    def close(self, summary: Any = None) -> None:
        if summary is not None:
            statuses = ", ".join(f"{k}={v}" for k, v in sorted(summary.statuses.items())) or "nothing to do"
            earlier = getattr(summary, "earlier_failed", 0)
            note = f"; {earlier} item(s) recorded as failed by an earlier run" if earlier else ""
            self._say(f"done: {self.done}/{self.total} in {summary.elapsed:.1f}s ({statuses}){note}")

    def _say(self, text: str) -> None:
        self.stream.write(f"corral batch: {text}\n")
        self.stream.flush()

    def _show(self, record: dict[str, Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class LineProgress(Progress):
    """One plain line per finished item (logs, CI, pipes)."""

    def _show(self, record: dict[str, Any]) -> None:
        error = f" error={record['error']}" if record.get("error") else ""
        self._say(
            f"[{self.done}/{self.total}] id={record.get('id')} {record.get('status')} "
            f"{record.get('elapsed_s', 0):.2f}s rate={self.rate:.2f}/s eta={format_eta(self.eta)}{error}"
        )


class BarProgress(Progress):
    """A single redrawn line: ``[#####.....] 12/50  2.31 it/s  ETA 0:16  (1 failed)``."""

    width = 30

    def _started(self, item_id: str) -> None:
        self._show({})

    def _show(self, record: dict[str, Any]) -> None:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        failed = f"  ({self.failed} failed)" if self.failed else ""
        self.stream.write(
            f"\r[{bar}] {self.done}/{self.total}  {self.running} in flight  {self.rate:.2f} it/s  "
            f"ETA {format_eta(self.eta)}{failed}\x1b[K"
        )
        self.stream.flush()

    def close(self, summary: Any = None) -> None:
        if self.done or self.running:  # the bar was drawn
            self.stream.write("\n")
        super().close(summary)


def make_progress(stream: TextIO | None) -> Progress:
    """A bar when ``stream`` (default stderr) is a terminal, plain lines otherwise."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", lambda: False)
    return BarProgress(stream) if isatty() else LineProgress(stream)
