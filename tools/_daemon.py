"""Worker threads that never hold the process: work a caller may walk away from runs here.

``concurrent.futures.ThreadPoolExecutor`` joins its workers at interpreter exit (it registers a
join with ``threading._register_atexit``), so one tool, guard or backend call that never returns
keeps the process alive after its answer is printed; and a fixed-size pool whose threads are all
stuck starves every later call. These workers are daemon threads, which the interpreter does not
join, and a call that finds no idle worker gets a new thread: a stuck call costs one thread,
never another caller's progress. Idle workers wait for new work a while, then end.

Example::

    >>> WORKERS.submit(sum, [1, 2]).result()
    3
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["WORKERS", "DaemonWorkers", "bounded"]

_IDLE_SECONDS = 30.0


class DaemonWorkers:
    """Run callables in daemon threads, reusing idle ones; ``submit`` returns a ``Future``.

    The callable runs in a copy of the caller's context (contextvars), as ``asyncio.to_thread`` does.
    """

    def __init__(self, name: str, *, idle_seconds: float = _IDLE_SECONDS) -> None:
        self._name = name
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle = 0  # workers waiting for work that no submit has claimed yet
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        task = (future, _in_context(fn, args))
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1  # claim one waiting worker: it will take this task
        if spawn:
            threading.Thread(target=self._work, args=(task,), name=self._name, daemon=True).start()
        else:
            self._queue.put(task)
        return future

    def _work(self, task: tuple[Future[Any], Callable[[], Any]] | None) -> None:
        while task is not None:
            _run(*task)
            task = None  # drop the finished call's references before waiting
            task = self._next()

    def _next(self) -> tuple[Future[Any], Callable[[], Any]] | None:
        with self._lock:
            self._idle += 1
        try:
            return self._queue.get(timeout=self._idle_seconds)
        except queue.Empty:
            with self._lock:
                if self._idle > 0:  # nobody claimed us: leave
                    self._idle -= 1
                    return None
            return self._queue.get()  # a submit claimed us just as we timed out: its task is coming


def _in_context(fn: Callable[..., Any], args: tuple[Any, ...]) -> Callable[[], Any]:
    ctx = contextvars.copy_context()
    return lambda: ctx.run(fn, *args)


def _run(future: Future[Any], call: Callable[[], Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = call()
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
        future.set_exception(exc)
    else:
        future.set_result(result)


WORKERS = DaemonWorkers("corral-worker")


async def bounded(coro: Any, timeout: float | None, *, grace: float = 0.5) -> Any:
    """``asyncio.wait_for``, except that it never waits on a task that ignores its cancellation.

    After ``timeout`` the task is cancelled; if it has not ended ``grace`` seconds later, its
    coroutine is closed (GeneratorExit at its await: its ``finally`` blocks run) and it is left
    behind. Raises ``asyncio.TimeoutError`` either way.

    Example::

        >>> import asyncio
        >>> asyncio.run(bounded(asyncio.sleep(0, "done"), 1.0))
        'done'
    """
    if timeout is None:  # nothing to walk away from: no task needed
        return await coro
    task = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=grace)
    except asyncio.CancelledError:  # our caller was cancelled: so is the work
        task.cancel()
        raise
    if not done:
        _abandon(task)
        raise asyncio.TimeoutError
    if task.cancelled():
        raise asyncio.TimeoutError
    return task.result()


def _abandon(task: asyncio.Task[Any]) -> None:
    # Once its coroutine is closed, the task ends at its next wake-up instead of holding
    # asyncio.run's final cancel-and-wait forever.
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved: no "never retrieved" log
    try:
        task.get_coro().close()
    except RuntimeError:  # it swallowed GeneratorExit too: nothing more Python allows
        return
    task.cancel()
