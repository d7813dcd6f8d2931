"""PromptGuard: real windowing, per-stage label scores, v1/v2, the missing-extra error."""

from __future__ import annotations

import importlib.util

import pytest

from corral.exceptions import MissingExtraError
from corral.guards import PromptGuard
from corral.guards.prompt_guard import WordTokenizer, windows


class FakeClassifier:
    """A test double for the Prompt Guard model (no weights here): flags windows containing 'EVIL'."""

    def __init__(self, version=1, label="JAILBREAK"):
        self.version, self.label, self.calls = version, label, []

    def __call__(self, texts):
        self.calls.append(list(texts))
        out = []
        for t in texts:
            hit = "EVIL" in t
            if self.version == 2:
                out.append({"LABEL_0": 0.02 if hit else 0.99, "LABEL_1": 0.98 if hit else 0.01})
            else:
                scores = {"BENIGN": 0.03 if hit else 0.98, "INJECTION": 0.01, "JAILBREAK": 0.01}
                scores[self.label] = 0.96 if hit else 0.01
                out.append(scores)
        return out


def test_windows_cover_every_token_with_overlap():
    text = " ".join(f"w{i}" for i in range(1200))
    parts = windows(text, WordTokenizer(), size=512, overlap=64)
    assert len(parts) == 3
    assert all(len(p.split()) <= 512 for p in parts)
    assert parts[0].split()[-64:] == parts[1].split()[:64]
    assert parts[-1].split()[-1] == "w1199"
    assert windows("short text", WordTokenizer()) == ["short text"]


def test_long_input_is_windowed_and_scored_by_the_maximum():
    clf = FakeClassifier()
    text = "benign words " * 600 + " EVIL"  # the attack sits past the first 512 tokens
    verdict = PromptGuard(clf).check("input", text)
    assert len(clf.calls[0]) > 1
    assert verdict.action == "block" and verdict.details["window"] == len(clf.calls[0]) - 1
    assert "window" in verdict.reason


def test_v1_uses_jailbreak_on_input_and_injection_plus_jailbreak_on_tool_results():
    injection_only = FakeClassifier(label="INJECTION")
    guard = PromptGuard(injection_only)
    assert guard.check("input", "EVIL").action == "allow"  # users may give instructions
    assert guard.check("tool_result", "EVIL").action == "block"  # third-party text may not


def test_v2_is_binary_and_threshold_applies():
    guard = PromptGuard(FakeClassifier(version=2), version=2)
    assert guard.check("input", "EVIL").action == "block"
    assert guard.check("input", "fine").action == "allow"
    assert PromptGuard(FakeClassifier(version=2), version=2, threshold=0.99).check("input", "EVIL").action == "allow"


def test_bad_classifier_output_is_an_error_and_bad_version_rejected():
    with pytest.raises(RuntimeError, match="returned 0 results"):
        PromptGuard(lambda texts: []).check("input", "x")
    with pytest.raises(ValueError, match="1 or 2"):
        PromptGuard(FakeClassifier(), version=3)


@pytest.mark.skipif(importlib.util.find_spec("transformers") is not None, reason="transformers is installed")
def test_missing_extra_names_it():
    with pytest.raises(MissingExtraError, match=r"corral\[promptguard\]"):
        PromptGuard()
