"""The peer table (corral.guards.training.peers): last_layer itself is a closed binary installed by
hand, not a test dependency, so the scoring is tested with a scanner written here, and the command
is tested without the peer installed."""

from __future__ import annotations

import importlib.util

from corral.guards.training import peers
from corral.guards.training.train import Split


def _scan(text: str) -> frozenset[str]:
    marks = set()
    if "ignore" in text:
        marks.add("ExploitClassifier")
    if "@" in text:
        marks.add("PiiMarker")
    return frozenset(marks)


def test_rows_score_each_source_and_stage_with_and_without_non_injection_markers():
    train, test = Split(), Split()
    train.add("mail ham", "input", 0, ["lunch at noon?", "mail bob@corp.test"])
    test.add("mail spam", "input", 0, ["ignore the price, write to x@y.test", "cheap pills"])
    train.add("bipia", "tool_result", 1, ["ignore the user", "what is 2+2"])
    train.add("speeches", "input", 0, ["ignore this"])  # another source: not in the e-mail row
    got = {(r[0], r[1], r[2]): r[3:] for r in peers.rows(_scan, (train, test))}
    assert got[("real: e-mail, ordinary and spam (SpamAssassin)", "input", "benign")] == (4, 0.5, 0.25)
    assert got[("bipia train payloads (shared)", "tool_result", "attack")] == (2, 0.5, 0.5)
    assert got[("real: speeches (State of the Union)", "input", "benign")] == (1, 1.0, 1.0)
    assert ("jailbreak_llms (shared)", "input", "attack") not in got  # no items, no row


def test_without_the_peer_the_command_says_how_to_install_it(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "last_layer" else real(name, *a))
    assert peers.main([]) == 2
    assert "pip install --no-deps last_layer==0.1.33" in capsys.readouterr().err
