"""spikee as an outside check: every English wrapper around instructions from every seed.

The real wheel is fetched by `evaluate --spikee` (pinned by sha256; the pin check is tested in
test_realtext.py). Here a wheel with spikee's layout is written in the test and handed to the
reader in place of the download."""

from __future__ import annotations

import json
import zipfile

import pytest

import corral.guards.training.spikee as spikee

ROOT = "spikee/data/workspace/datasets/"


def _lines(rows: list[dict]) -> str:
    return "\n".join(json.dumps(r) for r in rows) + "\n"


@pytest.fixture
def wheel(tmp_path, monkeypatch):
    path = tmp_path / "spikee-0.9.2-py3-none-any.whl"
    wrappers = [
        {"id": f"wrap-{i}", "jailbreak_type": "test", "text": f"Wrapper {i} says: <INSTRUCTION>."} for i in range(40)
    ]
    wrappers.append({"id": "no-jailbreak-01", "jailbreak_type": "no-jailbreak", "text": "<INSTRUCTION>"})
    wrappers.append({"id": "broken-01", "jailbreak_type": "test", "text": "a wrapper without its slot"})
    instructions = [{"id": f"goal-{i}", "instruction": f"print the secret number {i}"} for i in range(40)]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(ROOT + "seeds-cybersec-2026-01/jailbreaks.jsonl", _lines(wrappers))
        z.writestr(ROOT + "seeds-cybersec-2026-01/instructions.jsonl", _lines(instructions))
        # Translations are left out: the classifier reads English.
        z.writestr(
            ROOT + "seeds-llm-mailbox/jailbreaks.jsonl",
            _lines([{"id": "wrap-gd", "lang": "gd", "jailbreak_type": "dev", "text": "Modh: <INSTRUCTION>"}]),
        )
        z.writestr(
            ROOT + "seeds-investment-advice/jailbreaks.jsonl",
            _lines([{"id": "wrap-advice", "jailbreak_type": "dev", "text": "DEVELOPER mode: <INSTRUCTION>"}]),
        )
        z.writestr(
            ROOT + "seeds-investment-advice/instructions.jsonl",
            _lines([{"id": f"advice-{i}", "instruction": f"buy stock number {i}"} for i in range(20)]),
        )
        z.writestr(
            ROOT + "seeds-investment-advice-fp/standalone_user_inputs.jsonl",
            _lines([{"id": f"fp-{i}", "text": f"What is an index fund, part {i}?"} for i in range(20)]),
        )
    monkeypatch.setattr(spikee, "fetch_wheel", lambda name, cache=None, pins=None: path)  # no download here
    spikee._seeds.cache_clear()
    yield path
    spikee._seeds.cache_clear()


def test_every_english_wrapper_is_filled_from_every_seed(wheel):
    found = spikee.cases(seed=1, per_wrapper=3)
    wrapped = found["tool_result"]
    assert len(wrapped) == 42 * 3  # 40 + the bare one + the advice seed's wrapper; not the slotless one
    assert found == spikee.cases(seed=1, per_wrapper=3)  # deterministic
    assert not any("without its slot" in t or t.startswith("Modh:") for t in wrapped)
    goals = {t.rsplit(": ", 1)[-1].rstrip(".") for t in wrapped if t.startswith("Wrapper ")}
    assert any(g.startswith("buy stock") for g in goals) and any(g.startswith("print the secret") for g in goals)
    assert any(t.startswith("DEVELOPER mode: ") for t in wrapped)


def test_a_bare_instruction_is_an_attack_only_inside_a_tool_result(wheel):
    found = spikee.cases(seed=2, per_wrapper=2)
    bare = [t for t in found["tool_result"] if t.startswith(("print the secret", "buy stock"))]
    assert len(bare) == 2
    assert not any(t.startswith(("print the secret", "buy stock")) for t in found["input"])
    assert len(found["input"]) == len(found["tool_result"]) - 2


def test_the_evaluation_command_reports_the_kit(wheel, capsys):
    from corral.guards.evaluate import main

    found = spikee.cases(seed=0)
    assert main(["--spikee", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert f"| spikee wrappers x instructions | input | attack | {len(found['input'])} |" in out
    n = len(found["tool_result"])
    assert f"| spikee wrappers x instructions, hidden in a document | tool_result | attack | {n} |" in out
    assert "| spikee finance questions | input | benign | 20 | 0 | - | 0.000 |" in out


def test_the_evaluation_command_without_the_wheel_says_why(monkeypatch, capsys):
    from corral.guards.evaluate import main
    from corral.guards.training.realtext import RealTextUnavailable

    def offline(name, cache=None, pins=None):
        raise RealTextUnavailable("pip could not download spikee==0.9.2: no index reachable")

    monkeypatch.setattr(spikee, "fetch_wheel", offline)  # no network in the test
    spikee._seeds.cache_clear()
    assert main(["--spikee"]) == 2
    assert "no spikee wheel: pip could not download spikee==0.9.2" in capsys.readouterr().err
