"""Labelled guard evaluation sets: the public data in ``../shared/data`` and any JSONL/CSV file.

Three labels. ``attack``: prompt injections and jailbreaks (the offline classifier's and Prompt
Guard's job). ``harmful``: plainly harmful requests with no attack on the instructions (Llama
Guard's job; the offline classifier is not meant to catch them). ``benign``: ordinary user
turns and tool results. Each set also names the stage its texts arrive at.

Example::

    >>> s = LabeledSet(name="demo", label="benign", stage="input", texts=("hi",))
    >>> s.expected_block
    False
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .traffic import HELD_OUT_MODULES, benign_tool_outputs, embed

__all__ = ["LabeledSet", "shared_sets", "load_file", "default_data_dir", "bipia_payloads", "bfcl_user_turns"]

LABELS = ("attack", "harmful", "benign")
_TEXT_KEYS = ("text", "prompt", "goal", "content", "question", "payload")


@dataclass(frozen=True, kw_only=True)
class LabeledSet:
    """Texts with one label, checked at one stage. ``groups`` ties near-duplicates for splits."""

    name: str
    label: str
    stage: str
    texts: tuple[str, ...]
    groups: tuple[str, ...] = ()

    @property
    def expected_block(self) -> bool:
        return self.label != "benign"


def default_data_dir() -> Path:
    """``CORRAL_DATA_DIR`` or ``shared/data/guards`` in the nearest folder above the checkout."""
    env = os.environ.get("CORRAL_DATA_DIR")
    if env:
        path = Path(env)
        return path / "guards" if (path / "guards").is_dir() else path
    # The nearest ``shared/data/guards`` above the checkout (a clone beside shared/, or a worktree below it).
    here = Path(__file__).resolve()
    for parent in here.parents[3:]:
        if (parent / "shared" / "data" / "guards").is_dir():
            return parent / "shared" / "data" / "guards"
    return here.parents[3] / "shared" / "data" / "guards"


def _read_json_lines(path: Path) -> Iterator[dict]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def bipia_payloads(guards_dir: Path) -> list[tuple[str, str]]:
    """(category, payload) pairs of the BIPIA text attacks."""
    data = json.loads((guards_dir / "bipia" / "text_attack_train.json").read_text(encoding="utf-8"))
    return [(cat, text) for cat, texts in data.items() for text in texts]


def bfcl_user_turns(guards_dir: Path) -> list[str]:
    """Every user message of the BFCL sets found next to the guard sets (``../bfcl``)."""
    bfcl = guards_dir.parent / "bfcl"
    turns: list[str] = []
    for path in sorted(bfcl.glob("BFCL_*.json")):
        for item in _read_json_lines(path):
            for conversation in item["question"]:
                turns += [m["content"] for m in conversation if m.get("role") == "user"]
    return list(dict.fromkeys(turns))


def _csv_column(path: Path, column: str) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(row[column] for row in csv.DictReader(f))


def shared_sets(guards_dir: Path, *, seed: int = 0) -> list[LabeledSet]:
    """The evaluation sets built from the public data (plus generated benign tool traffic)."""
    sets: list[LabeledSet] = []
    jb = guards_dir / "jailbreak_llms" / "inthewild_jailbreak_llms.json"
    if jb.is_file():
        sets.append(
            LabeledSet(
                name="jailbreak_llms",
                label="attack",
                stage="input",
                texts=tuple(json.loads(jb.read_text(encoding="utf-8"))),
            )
        )
    if (guards_dir / "bipia").is_dir():
        pairs = bipia_payloads(guards_dir)
        sets.append(
            LabeledSet(
                name="bipia (payload alone)",
                label="attack",
                stage="tool_result",
                texts=tuple(p for _, p in pairs),
                groups=tuple(c for c, _ in pairs),
            )
        )
        rng = random.Random(seed)
        carriers = benign_tool_outputs(len(pairs), seed=seed + 1, modules=HELD_OUT_MODULES)
        hidden = tuple(embed(p, c[:1500], rng) for (_, p), c in zip(pairs, carriers))
        sets.append(
            LabeledSet(
                name="bipia (hidden in a document)",
                label="attack",
                stage="tool_result",
                texts=hidden,
                groups=tuple(c for c, _ in pairs),
            )
        )
    jbb = guards_dir / "jailbreakbench"
    if jbb.is_dir():
        sets.append(
            LabeledSet(
                name="jailbreakbench harmful",
                label="harmful",
                stage="input",
                texts=_csv_column(jbb / "harmful-behaviors.csv", "goal"),
            )
        )
        sets.append(
            LabeledSet(
                name="jailbreakbench benign",
                label="benign",
                stage="input",
                texts=_csv_column(jbb / "benign-behaviors.csv", "goal"),
            )
        )
    hb = guards_dir / "harmbench" / "harmbench_prompts.jsonl"
    if hb.is_file():
        sets.append(
            LabeledSet(
                name="harmbench", label="harmful", stage="input", texts=tuple(r["prompt"] for r in _read_json_lines(hb))
            )
        )
    turns = bfcl_user_turns(guards_dir)
    if turns:
        sets.append(LabeledSet(name="bfcl user turns", label="benign", stage="input", texts=tuple(turns)))
    # Documents from standard-library modules the shipped classifier was not trained on.
    traffic = benign_tool_outputs(600, seed=seed + 2, modules=HELD_OUT_MODULES)
    sets.append(
        LabeledSet(name="benign tool traffic (generated)", label="benign", stage="tool_result", texts=tuple(traffic))
    )
    # Long results (8 documents, several KB): every extra window is another chance of a false alarm.
    long_docs = tuple("\n\n".join(traffic[i : i + 8]) for i in range(0, 400, 8))
    sets.append(
        LabeledSet(name="benign tool traffic, long (8 docs each)", label="benign", stage="tool_result", texts=long_docs)
    )
    sets += _agentic_sets(seed)
    return sets


def _agentic_sets(seed: int) -> list[LabeledSet]:
    """corral.guards.training.agentic, held-out templates only (never trained on)."""
    from . import agentic

    att, ben = agentic.attacks(part="test", seed=seed + 40), agentic.benign(part="test", seed=seed + 41)
    stage = {"direct": "input", "questions": "input"}
    out = [
        LabeledSet(
            name=f"agentic {k} (held-out templates)", label="attack", stage=stage.get(k, "tool_result"), texts=tuple(v)
        )
        for k, v in att.items()
    ]
    out += [
        LabeledSet(
            name=f"agentic {k} (held-out templates)", label="benign", stage=stage.get(k, "tool_result"), texts=tuple(v)
        )
        for k, v in ben.items()
    ]
    return out


def load_file(path: Path, *, label: str | None = None, stage: str | None = None) -> LabeledSet:
    """One JSONL/JSON/CSV file as a set.

    Text comes from the first of the fields ``text, prompt, goal, content, question, payload`` (or
    the item itself when it is a string). The label comes from ``label`` (``attack``/``harmful``/
    ``benign``, or 1/0) on each row when present, else from the argument, else from the file name
    (``benign`` in the name means benign, otherwise attack). Rows with another label than the
    first row's are an error: split such files or pass one label per file.
    """
    rows = _rows(path)
    if not rows:
        raise ValueError(f"{path}: no rows found")
    texts = tuple(_text_of_row(path, row) for row in rows)
    labels = {_label_of_row(row) for row in rows} - {None}
    if len(labels) > 1:
        raise ValueError(f"{path}: rows carry several labels {sorted(labels)}; use one file per label")
    chosen = label or (labels.pop() if labels else ("benign" if "benign" in path.name.lower() else "attack"))
    if chosen not in LABELS:
        raise ValueError(f"{path}: label {chosen!r} is not one of {LABELS}")
    row_stage = rows[0].get("stage") if isinstance(rows[0], dict) else None
    return LabeledSet(name=path.name, label=chosen, stage=stage or row_stage or "input", texts=texts)


def _rows(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(text.splitlines()))
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(stripped)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _text_of_row(path: Path, row) -> str:
    if isinstance(row, str):
        return row
    for key in _TEXT_KEYS:
        if isinstance(row.get(key), str):
            return row[key]
    raise ValueError(f"{path}: a row has none of the text fields {_TEXT_KEYS}: {str(row)[:100]}")


def _label_of_row(row) -> str | None:
    if not isinstance(row, dict) or "label" not in row:
        return None
    value = row["label"]
    if value in (0, 1, "0", "1", True, False):
        return "attack" if str(value) in ("1", "True") else "benign"
    return str(value).lower()
