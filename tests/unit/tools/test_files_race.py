"""A real thread swaps a directory for a symlink to outside the root (and a file for a FIFO)
while read_file / list_dir run in a loop: nothing outside the root is ever returned, and no
call blocks. Before the openat walk, the same loop leaked the secret (143 times in 8 s)."""

from __future__ import annotations

import os
import random
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from corral.exceptions import ModelRetry
from corral.tools.builtin import file_tools

SECRET = "TOP SECRET"
ROUNDS_EACH_WAY = 10  # each outcome (read inside, refused) must be seen at least this often (proves the race ran)
CALLS = 20_000  # the old check-then-open code leaked about once per 1000 calls of this loop
MAX_CALLS = 10 * CALLS


@pytest.fixture()
def fast_switching():
    # Hand the GIL between the threads often, so the swap lands inside lookups.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _hold() -> None:
    # Hold each state for a random while, so the two threads cannot fall into lockstep.
    for _ in range(random.randrange(300)):
        pass


def _flip_dir(root: Path, outside: Path, stop: threading.Event) -> None:
    parked = root / ".parked"
    while not stop.is_set():
        os.rename(root / "d", parked)
        os.symlink(outside, root / "d")
        _hold()
        os.unlink(root / "d")
        os.rename(parked, root / "d")
        _hold()


def _flip_fifo(root: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        os.unlink(root / "f.txt")
        os.mkfifo(root / "f.txt")
        _hold()
        os.unlink(root / "f.txt")
        (root / "f.txt").write_text("plain")
        _hold()


def _race(call, flipper, outcome) -> Counter:
    """Run ``call`` in a loop against a flipping thread; count the outcomes."""
    stop, seen, crashed = threading.Event(), Counter(), []

    def flip() -> None:
        try:
            flipper(stop)
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            crashed.append(exc)

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    try:
        for calls in range(MAX_CALLS):
            try:
                seen[outcome(call())] += 1
            except ModelRetry as refusal:
                seen["leak" if SECRET in refusal.message else "refused"] += 1
            if calls >= CALLS and min(seen["inside"], seen["refused"]) >= ROUNDS_EACH_WAY:
                break
    finally:
        stop.set()
        thread.join()
    assert not crashed, crashed
    return seen


@pytest.fixture()
def arena(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    (root / "d" / "x.txt").write_text("inside")
    (root / "f.txt").write_text("plain")
    (outside / "x.txt").write_text(SECRET)
    (outside / "secret-marker").write_text(SECRET)
    return root, outside


def test_read_file_never_leaks_through_a_swapped_directory(arena, fast_switching):
    root, outside = arena
    read = file_tools(root).get("read_file").func
    seen = _race(
        lambda: read("d/x.txt"),
        lambda stop: _flip_dir(root, outside, stop),
        lambda text: "leak" if SECRET in text else "inside",
    )
    assert seen["leak"] == 0, seen
    assert seen["inside"] >= ROUNDS_EACH_WAY and seen["refused"] >= ROUNDS_EACH_WAY, seen


def test_list_dir_never_leaks_through_a_swapped_directory(arena, fast_switching):
    root, outside = arena
    list_dir = file_tools(root).get("list_dir").func
    seen = _race(
        lambda: list_dir("d"),
        lambda stop: _flip_dir(root, outside, stop),
        lambda text: "leak" if "secret-marker" in text else "inside",
    )
    assert seen["leak"] == 0, seen
    assert seen["inside"] >= ROUNDS_EACH_WAY and seen["refused"] >= ROUNDS_EACH_WAY, seen


def test_a_file_swapped_for_a_fifo_never_blocks_a_read(arena, fast_switching):
    root, _ = arena
    read = file_tools(root).get("read_file").func
    seen = _race(
        lambda: read("f.txt"),
        lambda stop: _flip_fifo(root, stop),
        lambda text: "inside" if text in ("plain", "") else "leak",
    )
    assert seen["leak"] == 0, seen
    assert seen["inside"] >= ROUNDS_EACH_WAY and seen["refused"] >= ROUNDS_EACH_WAY, seen
