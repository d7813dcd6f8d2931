"""The guard-cost section's inputs: the fixed message and the varied tool traffic."""

from __future__ import annotations

from corral.bench.guardcost import MESSAGE_BYTES, message_4k, varied_4k


def test_varied_traffic_is_distinct_4_kb_pieces_of_more_than_one_kind():
    pieces = varied_4k(60)
    assert len(pieces) == 60 and len(set(pieces)) == 60
    assert all(len(p) == MESSAGE_BYTES for p in pieces)
    words = [set(p.split()) for p in pieces]
    # Unlike the fixed message, which repeats five parts, the pieces share few words.
    shared = len(words[0] & words[30]) / len(words[0] | words[30])
    fixed = [set(message_4k(i).split()) for i in (0, 30)]
    assert shared < 0.5 < len(fixed[0] & fixed[1]) / len(fixed[0] | fixed[1])
