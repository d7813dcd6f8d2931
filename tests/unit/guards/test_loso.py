"""The leave-one-source-out fold guard: both stage models are trained without the source, and the
guard routes text as the shipped InjectionGuard does (real fits on a few hundred short texts)."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("scipy")

from corral.guards.injection import InjectionGuard  # noqa: E402
from corral.guards.shape import looks_like_code  # noqa: E402
from corral.guards.training.loso import fold_guard, leave_out  # noqa: E402
from corral.guards.training.train import Split  # noqa: E402

NAMES = ["alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta"]


def _code(i: int, rng: random.Random) -> str:
    a, b = rng.choice(NAMES), rng.choice(NAMES)
    return (
        f"def {a}_{i}({b}):\n    value = {b}.{a}()\n    if value is None:\n        return {i}\n    return value + {i}\n"
    )


def _question(i: int) -> str:
    return f"What is the weather like in city number {i} this week?"


def _page(i: int) -> str:
    return f"The museum opens at {i % 12 + 1} o'clock. Tickets cost {i} euros. The garden is closed in winter."


def test_code_typed_at_input_meets_the_folds_tool_result_model():
    rng = random.Random(0)
    codes = [_code(i, rng) for i in range(80)]
    assert all(looks_like_code(c) for c in codes)
    # The two stages disagree on code, so the verdict shows which model judged it.
    train = Split()
    train.add("t code", "input", 1, codes[:60])
    train.add("t questions", "input", 0, [_question(i) for i in range(80)])
    train.add("t code", "tool_result", 0, codes[:60])
    train.add("t pages", "tool_result", 1, [_page(i) for i in range(80)])
    guard = fold_guard(train, Split())
    unseen = codes[60:]
    assert all(guard.check("input", c).action == "allow" for c in unseen)
    assert all(guard.check("tool_result", _page(i)).action != "allow" for i in range(200, 210))
    # One model for both stages (the table before session 21) would have judged that code as input.
    model = guard._model("input")
    same = InjectionGuard(models={"input": model, "tool_result": model})
    assert all(same.check("input", c).action != "allow" for c in unseen)


def test_leave_out_takes_every_split_source_of_a_left_out_name():
    split = Split()
    split.add("mail ham", "input", 0, ["a"])
    split.add("mail spam", "tool_result", 0, ["b"])
    split.add("mail hamster", "input", 0, ["c"])  # a prefix is a whole word, not a substring
    split.add("speeches", "input", 0, ["d"])
    kept, gone = leave_out(split, ("mail ham", "mail spam"))
    assert set(gone.items) == {("mail ham", "input", 0), ("mail spam", "tool_result", 0)}
    assert set(kept.items) == {("mail hamster", "input", 0), ("speeches", "input", 0)}
