"""The quality section's held-out discipline and its per-category statistics (no model needed)."""

from __future__ import annotations

import hashlib

from corral.bench.bfcl import HALVES, half_of, load_items
from corral.bench.quality import summarize


def test_halves_are_a_stable_hash_of_the_id_and_roughly_balanced(data_dir):
    items = load_items(data_dir / "bfcl")
    halves = [half_of(i.id) for i in items]
    assert set(halves) == set(HALVES)
    assert 0.4 < halves.count("tune") / len(halves) < 0.6
    # the same rule anyone can recompute: first byte of SHA-256 of the id, even -> tune
    for item in items[:50]:
        assert half_of(item.id) == ("tune" if hashlib.sha256(item.id.encode()).digest()[0] % 2 == 0 else "held-out")
    for category in {i.category for i in items}:  # every category is represented in both halves
        assert {half_of(i.id) for i in items if i.category == category} == set(HALVES)


def _o(category, half, *, called, correct, valid=True, hit_max=False, crashed=False, seconds=1.0):
    return {
        "id": "x",
        "category": category,
        "half": half,
        "called": called,
        "valid": valid and called,
        "correct": correct,
        "hit_max": hit_max,
        "crashed": crashed,
        "seconds": seconds,
    }


def test_summary_counts_per_half_and_category():
    outs = [
        _o("simple_python", "tune", called=True, correct=True, seconds=1.0),
        _o("simple_python", "tune", called=True, correct=False, valid=False, seconds=3.0),
        _o("simple_python", "held-out", called=False, correct=False, hit_max=True, seconds=9.0),
        _o("irrelevance", "held-out", called=False, correct=True, crashed=True, seconds=2.0),
    ]
    s = summarize(outs)
    tune = s["tune"]["simple_python"]
    assert (tune["n"], tune["call_rate"], tune["valid_rate"], tune["accuracy"], tune["median_seconds"]) == (
        2,
        100.0,
        50.0,
        50.0,
        2.0,
    )
    held = s["held-out"]
    assert held["simple_python"]["valid_rate"] is None  # no calls: no schema-valid rate to speak of
    assert held["simple_python"]["hit_max_tokens"] == 1 and held["irrelevance"]["crashes"] == 1
    assert "irrelevance" not in s["tune"]
    assert s["all"]["all"]["n"] == 4 and s["all"]["all"]["accuracy"] == 50.0
