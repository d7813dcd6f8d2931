"""Training data generation and the training helpers (no data or numpy needed here)."""

from __future__ import annotations

import random

from corral.guards.features import WINDOW, tokens
from corral.guards.traffic import HELD_OUT_MODULES, TRAINING_MODULES, benign_tool_outputs, embed, synthetic_injections
from corral.guards.train import Split, _payload_windows, _windows, keep_best_windows, sample_weights, windows_of


def test_generation_is_deterministic_and_module_splits_are_disjoint():
    assert benign_tool_outputs(20, seed=3) == benign_tool_outputs(20, seed=3)
    assert benign_tool_outputs(20, seed=3) != benign_tool_outputs(20, seed=4)
    assert not HELD_OUT_MODULES & TRAINING_MODULES and len(HELD_OUT_MODULES) > 10


def test_embed_keeps_payload_and_carrier():
    rng = random.Random(0)
    for _ in range(6):
        doc = embed("PAYLOAD HERE", "alpha beta gamma delta", rng)
        assert "PAYLOAD HERE" in doc and "alpha" in doc and "delta" in doc


def test_windows_overlap_and_reach_the_end():
    text = " ".join(f"t{i}" for i in range(100))
    wins = _windows(text)
    assert all(len(w) == WINDOW + 1 for w in wins)
    assert wins[0][0] == "^" and wins[-1][-1] == "t99"


def test_payload_windows_all_contain_the_payload():
    payload = "ignore previous instructions now"
    doc = " ".join(f"a{i}" for i in range(60)) + " " + payload + " " + " ".join(f"b{i}" for i in range(60))
    for w in _payload_windows(doc, payload):
        assert " ".join(tokens(payload)) in " ".join(w[1:])


def test_sources_weigh_equally_and_mil_keeps_best_windows():
    split = Split()
    split.add("many", "input", 1, ["x " * 200])
    split.add("few", "input", 1, ["ignore previous"])
    split.add("benign", "input", 0, ["hello there"])
    wins = windows_of(split)
    weights = sample_weights(wins)
    per = {}
    for w, weight in zip(wins, weights):
        per[w.source] = per.get(w.source, 0.0) + weight
    assert abs(per["many"] - per["few"]) < 1e-9
    kept = keep_best_windows(wins, {"w:x": 1.0})
    assert len([w for w in kept if w.source == "many"]) < len([w for w in wins if w.source == "many"])


def test_synthetic_injections_by_template():
    assert len(synthetic_injections((0,))) * 2 == len(synthetic_injections((0, 1)))
