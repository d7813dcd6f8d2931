"""The batch runner: many agent runs concurrently, each result appended to a JSONL file as it lands.

Crash-safe by construction: every result is one ``os.write`` of a whole line to a file opened in
append mode, so a killed process leaves at most one truncated last line; ``resume`` repairs that
line and skips every id already written. Restarting after SIGKILL therefore loses no item and
duplicates none.

Input lines are JSON objects: ``{"id": "q1", "input": "What is 2 + 2?"}``, optionally with
per-item budgets ``max_turns``, ``max_tokens`` and ``timeout`` (seconds). A line without ``id``
gets its 1-based line number as id.

Example::

    >>> import asyncio
    >>> from corral.batch import read_items, run_batch
    >>> items = read_items("tasks.jsonl")                                  # doctest: +SKIP
    >>> summary = asyncio.run(run_batch(runner, items, "out.jsonl"))       # doctest: +SKIP
    >>> summary.ok, summary.failed                                         # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .batch_rows import error_row, record_from_result, to_row
from .exceptions import BackendConnectError, FileFormatError, RunError, UsageError
from .jsonl import dumps_line, read_bytes, split_lines

__all__ = [
    "BatchItem",
    "BatchSummary",
    "read_items",
    "repair_output",
    "read_results",
    "check_output_path",
    "run_batch",
    "FATAL_ERRORS",
    "record_from_result",
    "BatchProgress",
]

# Errors that would fail every remaining item the same way: stop the batch instead of recording them,
# so that `--resume` retries those items once the cause is fixed.
FATAL_ERRORS: tuple[type[BaseException], ...] = (UsageError, BackendConnectError)

ITEM_KEYS = {"id", "input", "max_turns", "max_tokens", "timeout", "metadata"}


@dataclass(frozen=True, kw_only=True)
class BatchItem:
    """One task: ``input`` text and optional per-item budgets (None: the spec's limits)."""

    id: str
    input: str
    max_turns: int | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class BatchSummary:
    """What a batch did: counts per status, skipped (already done) items, elapsed seconds."""

    total: int = 0
    skipped: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    repaired_bytes: int = 0
    earlier_failed: int = 0  # resumed: items recorded by an earlier run with a status other than ok

    @property
    def ok(self) -> int:
        return self.statuses.get("ok", 0)

    @property
    def failed(self) -> int:
        """Items of this run that did not answer (see ``earlier_failed`` for those of earlier runs)."""
        return sum(n for status, n in self.statuses.items() if status != "ok")


Runner = Callable[[BatchItem], Awaitable[dict[str, Any]]]


class BatchProgress(Protocol):
    """What ``run_batch`` reports to as items finish; the terminal bar of ``corral batch`` is one
    (``corral.cli.progress``). Without one, a batch runs silently."""

    def start(self, *, total: int, skipped: int, repaired: int) -> None: ...

    def advance(self, record: dict[str, Any]) -> None: ...

    def close(self, summary: Any = None) -> None: ...

    # Optional: ``begin(item_id)`` hears of each item as it starts (items in flight).


class _Silent:
    def start(self, *, total: int, skipped: int, repaired: int) -> None:
        pass

    def advance(self, record: dict[str, Any]) -> None:
        pass

    def close(self, summary: Any = None) -> None:
        pass


def _parse_item(line: str, lineno: int, source: str) -> BatchItem:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{source}:{lineno}: not valid JSON ({exc.msg}); one JSON object per line", path=source, line=lineno
        ) from None
    if not isinstance(raw, dict):
        raise UsageError(f'{source}:{lineno}: expected a JSON object like {{"id": "q1", "input": "..."}}')
    unknown = sorted(set(raw) - ITEM_KEYS)
    if unknown:
        raise UsageError(f"{source}:{lineno}: unknown key(s) {unknown}; allowed: {sorted(ITEM_KEYS)}")
    if not isinstance(raw.get("input"), str) or not raw["input"].strip():
        raise UsageError(f"{source}:{lineno}: 'input' must be a non-empty string")
    for key, kind in (("max_turns", int), ("max_tokens", int), ("timeout", (int, float))):
        value = raw.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool) or value <= 0):
            raise UsageError(f"{source}:{lineno}: '{key}' must be a positive number (got {value!r})")
    return BatchItem(
        id=str(raw.get("id", lineno)),
        input=raw["input"],
        max_turns=raw.get("max_turns"),
        max_tokens=raw.get("max_tokens"),
        timeout=raw.get("timeout"),
        metadata=raw.get("metadata") or {},
    )


def read_items(path: str | Path) -> list[BatchItem]:
    """Read a JSONL task file (UTF-8); UsageError names the line of any bad item or duplicated id."""
    path = Path(path)
    lines = split_lines(read_bytes(path, "batch input"), str(path))
    items: list[BatchItem] = []
    seen: dict[str, int] = {}
    for lineno, line in lines:
        item = _parse_item(line, lineno, str(path))
        if item.id in seen:
            raise UsageError(
                f"{path}:{lineno}: id {item.id!r} already used on line {seen[item.id]}; ids must be unique"
            )
        seen[item.id] = lineno
        items.append(item)
    return items


def check_output_path(path: str | Path) -> Path:
    """Raise a UsageError (with the fix) unless results can be written to ``path``.

    Example::

        >>> check_output_path("/no/such/folder/out.jsonl")   # doctest: +SKIP
        UsageError: --output /no/such/folder/out.jsonl: the folder /no/such/folder does not exist; ...
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--output {path} is a directory; pass a file path such as {path / 'results.jsonl'}")
    if not path.parent.is_dir():
        raise UsageError(
            f"--output {path}: the folder {path.parent} does not exist; "
            f"create it first (mkdir -p {path.parent}) or choose another path"
        )
    return path


def _cut_torn_line(path: Path, data: bytes) -> tuple[bytes, int]:
    cut = 0 if data.endswith(b"\n") or not data else len(data) - (data.rfind(b"\n") + 1)
    if cut:
        try:
            with open(path, "r+b") as handle:
                handle.truncate(len(data) - cut)
        except OSError as exc:
            raise UsageError(f"Cannot repair {path} (a torn last line): {exc.strerror or exc}") from None
    return data[: len(data) - cut], cut


def _result_status(line: str, path: Path, lineno: int) -> tuple[str, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        record = None
    if not isinstance(record, dict) or "id" not in record:
        raise FileFormatError(
            f"{path}:{lineno}: not a batch result line; pass a fresh --output file", path=str(path), line=lineno
        )
    return str(record["id"]), str(record.get("status", "ok"))


def read_results(path: str | Path) -> tuple[dict[str, str], int]:
    """Each id already written to a results file with its status, after cutting a torn last line.

    Returns ``(statuses, repaired_bytes)``; ``repaired_bytes`` > 0 means a partial line left by a
    crash was removed (its item runs again). A bad line in the middle is a FileFormatError naming
    it: that file was not written by an append-only batch.
    """
    path = Path(path)
    if not path.exists():
        return {}, 0
    if not path.is_file():
        raise UsageError(f"Cannot resume from {path}: it is not a regular file")
    data, cut = _cut_torn_line(path, read_bytes(path, "batch output"))
    return dict(_result_status(line, path, n) for n, line in split_lines(data, str(path))), cut


def repair_output(path: str | Path) -> tuple[set[str], int]:
    """Ids already written to a results file (see ``read_results``): ``(done_ids, repaired_bytes)``."""
    statuses, cut = read_results(path)
    return set(statuses), cut


class _Appender:
    """Appends whole lines with one os.write each (O_APPEND): a crash can only truncate the last one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(f"Cannot open --output {path}: {exc.strerror or exc}") from None

    def write(self, record: dict[str, Any]) -> None:
        view = memoryview(dumps_line(record).encode("utf-8"))
        try:
            while view:  # os.write may write less than asked (rare for regular files)
                view = view[os.write(self._fd, view) :]
        except OSError as exc:  # a full disk: the batch stops, and says why
            raise RunError(
                f"Cannot write results to {self.path}: {exc.strerror or exc}; item {record.get('id')!r} "
                "and any still running were not recorded: rerun with --resume once fixed"
            ) from None

    def close(self) -> None:
        os.close(self._fd)


def hard_limit(budget: float) -> float:
    """Seconds after which an item is cancelled: its budget plus a grace for a clean stop."""
    return budget * 1.2 + 1.0


def _error_record(item: BatchItem, status: str, error: str, started: float) -> dict[str, Any]:
    return error_row(item.id, status, error, time.monotonic() - started)


async def _run_one(runner: Runner, item: BatchItem) -> dict[str, Any]:
    started = time.monotonic()
    try:
        if item.timeout is not None:
            # The agent stops itself at its budget (status "timeout", with what it did so far); this
            # hard limit, a little later, cancels an item that cannot stop (a hung backend call).
            record = await asyncio.wait_for(runner(item), timeout=hard_limit(item.timeout))
        else:
            record = await runner(item)
    except asyncio.TimeoutError:
        return _error_record(item, "timeout", f"item budget of {item.timeout:g} s exceeded (cancelled)", started)
    except FATAL_ERRORS:
        raise
    except Exception as exc:  # one bad item must not sink the batch: record it and go on
        return _error_record(item, "error", f"{type(exc).__name__}: {exc}", started)
    try:
        return to_row({**record, "id": item.id, "elapsed_s": round(time.monotonic() - started, 3)})
    except (ValueError, TypeError) as exc:  # a runner's record that does not fit the row schema
        return _error_record(item, "error", f"bad result record: {' '.join(str(exc).split())[:300]}", started)


def _pending(items: Iterable[BatchItem], done: set[str]) -> list[BatchItem]:
    return [item for item in items if item.id not in done]


async def _worker(
    queue: Iterator[BatchItem], runner: Runner, sink: _Appender, progress: BatchProgress, summary: BatchSummary
) -> None:
    begin = getattr(progress, "begin", None)  # optional: a progress object may show items in flight
    for item in queue:  # a shared iterator: each worker takes the next item when it is free
        if begin is not None:
            begin(item.id)
        record = await _run_one(runner, item)
        sink.write(record)
        summary.statuses[record["status"]] = summary.statuses.get(record["status"], 0) + 1
        progress.advance(record)


async def _run_workers(coros: list[Awaitable[None]]) -> None:
    # Like a TaskGroup (3.11+): the first failure cancels the other workers before it propagates,
    # so nothing writes to the output after the batch has stopped.
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()


async def run_batch(
    runner: Runner,
    items: list[BatchItem],
    output: str | Path,
    *,
    concurrency: int = 4,
    resume: bool = False,
    progress: BatchProgress | None = None,
) -> BatchSummary:
    """Run ``runner`` over ``items`` with at most ``concurrency`` in flight; append each result.

    ``runner(item)`` returns a record (``status``, ``answer``, ``calls``, ``verdicts``, ``usage``,
    ``error``); ``id`` and ``elapsed_s`` are added here. Without ``resume`` the output must not
    already hold results. ``progress`` hears of each finished item (default: nothing is shown).
    """
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1 (got {concurrency})")
    output = check_output_path(output)
    if not resume and output.is_file() and output.stat().st_size > 0:
        raise UsageError(f"{output} already holds results: pass --resume to continue it, or choose another --output")
    earlier, repaired = read_results(output) if resume else ({}, 0)
    todo = _pending(items, set(earlier))
    summary = BatchSummary(
        total=len(items),
        skipped=len(items) - len(todo),
        repaired_bytes=repaired,
        earlier_failed=sum(1 for i in items if earlier.get(i.id, "ok") != "ok"),
    )
    progress = progress or _Silent()
    progress.start(total=len(todo), skipped=summary.skipped, repaired=repaired)
    started = time.monotonic()
    sink = _Appender(output)
    queue = iter(todo)
    finished = False
    try:
        await _run_workers(
            [_worker(queue, runner, sink, progress, summary) for _ in range(min(concurrency, len(todo)) or 1)]
        )
        finished = True
    finally:
        sink.close()
        summary.elapsed = time.monotonic() - started
        progress.close(summary if finished else None)  # a stopped batch is not "done"
    return summary
