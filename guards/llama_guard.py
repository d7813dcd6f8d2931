"""Llama Guard 3 on any corral backend, with Meta's prompt and a strict reading of its answer.

Roles, as Meta trained them: at ``input`` the conversation is the user turn alone and the role
word is ``User``; at ``output`` it is the user turn then the answer and the role word is
``Agent``. The ``output`` payload is therefore a ``Conversation(user=..., agent=...)`` or a
``(user, agent)`` tuple (plain answer text works too, then only the answer is shown). A
``tool_call`` is checked as Agent content (the call as JSON, after the user turn when the
payload carries ``user_text``); ``tool_result`` text is checked as User content.

The answer must be exactly ``safe``, or ``unsafe`` and a line of comma-separated codes. Anything
else (other words, codes the prompt did not list, an empty answer) counts as unsafe: a guard that
cannot be read must not let content through.

Example::

    >>> from corral.testing import ScriptedBackend          # doctest: +SKIP
    >>> guard = LlamaGuard(ScriptedBackend(["unsafe\\nS9"]))   # doctest: +SKIP
    >>> guard.check("input", "how to build a bomb").categories  # doctest: +SKIP
    ('S9',)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

from .base import Conversation, Stage, ToolCallPayload, Verdict, check_stage

__all__ = ["LlamaGuard", "LLAMA_GUARD_3_CATEGORIES", "parse_llama_guard", "GuardReading"]

# Meta's Llama Guard 3 hazard taxonomy (MLCommons). S14 exists only in the 8B model.
LLAMA_GUARD_3_CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes.",
    "S2": "Non-Violent Crimes.",
    "S3": "Sex Crimes.",
    "S4": "Child Exploitation.",
    "S5": "Defamation.",
    "S6": "Specialized Advice.",
    "S7": "Privacy.",
    "S8": "Intellectual Property.",
    "S9": "Indiscriminate Weapons.",
    "S10": "Hate.",
    "S11": "Self-Harm.",
    "S12": "Sexual Content.",
    "S13": "Elections.",
    "S14": "Code Interpreter Abuse.",
}
_SIZES = {"1B": 13, "8B": 14}
_CODE = re.compile(r"S\d{1,3}")
_CODES_LINE = re.compile(r"S\d{1,3}(?:\s*,\s*S\d{1,3})*")
STOP = ("<|eot_id|>", "<|end_of_text|>")


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    source = resources.files("corral.guards.templates").joinpath("llama_guard_3.jinja").read_text(encoding="utf-8")
    env = jinja2.Environment(keep_trailing_newline=True, autoescape=False, undefined=jinja2.StrictUndefined)
    return env.from_string(source)


class GuardReading(tuple):
    """``(safe, codes, problem)``: what the model answered, read strictly."""

    def __new__(cls, safe: bool, codes: tuple[str, ...], problem: str = "") -> GuardReading:
        return super().__new__(cls, (safe, codes, problem))


def parse_llama_guard(text: str, allowed: Iterable[str]) -> GuardReading:
    """Read ``safe`` / ``unsafe\\nS1,S3``. Unknown codes or any other answer -> unsafe with a problem.

    Example::

        >>> parse_llama_guard("unsafe\\nS1,S99", ["S1"])
        (False, ('S1', 'S99'), 'unknown category code(s) S99 (the prompt listed S1)')
    """
    allowed = list(allowed)
    lines = text.strip().splitlines()
    if lines == ["safe"]:
        return GuardReading(True, ())
    if not lines or lines[0].strip() != "unsafe":
        return GuardReading(False, (), f"unparseable Llama Guard answer {text[:80]!r}")
    if len(lines) == 1:
        return GuardReading(False, (), "answer 'unsafe' without categories")
    if len(lines) > 2 or not _CODES_LINE.fullmatch(lines[1].strip()):
        return GuardReading(False, (), f"unparseable category line in {text[:80]!r}")
    codes = tuple(dict.fromkeys(_CODE.findall(lines[1])))
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        listed = ",".join(allowed)
        return GuardReading(False, codes, f"unknown category code(s) {','.join(unknown)} (the prompt listed {listed})")
    return GuardReading(False, codes)


class LlamaGuard:
    """Llama Guard 3 (1B or 8B) as a guard, on any backend with ``complete``/``acomplete``.

    ``categories`` keeps a subset of S1-S13 (S1-S14 for 8B); ``custom_categories`` adds
    ``{code: "Name. description"}`` entries after them (codes like ``S15``). ``max_tokens``
    bounds the answer.
    """

    name = "llama_guard"
    cost = 90
    wants_conversation = True  # at output, the chain passes Conversation(user, answer)

    def __init__(
        self,
        backend: Any,
        *,
        model_size: str = "1B",
        categories: Iterable[str] | None = None,
        custom_categories: Mapping[str, str] | None = None,
        max_tokens: int = 20,
    ) -> None:
        if model_size not in _SIZES:
            raise ValueError(f"model_size must be '1B' or '8B', not {model_size!r}")
        available = dict(list(LLAMA_GUARD_3_CATEGORIES.items())[: _SIZES[model_size]])
        self.categories = _select(available, categories, model_size)
        for code, text in (custom_categories or {}).items():
            if not re.fullmatch(r"S\d{1,3}", code) or code in self.categories:
                raise ValueError(f"custom category code {code!r} must look like 'S15' and not reuse a listed code")
            self.categories[code] = text
        self.backend = backend
        self.model_size = model_size
        self.max_tokens = max_tokens

    def prompt(self, stage: Stage, payload: Any) -> str:
        """The full prompt text for one payload (what the backend receives)."""
        role, turns = _conversation(stage, payload)
        return _template().render(role=role, categories=list(self.categories.items()), turns=turns)

    def check(self, stage: Stage, payload: Any) -> Verdict:
        check_stage(stage)
        completion = self.backend.complete(self.prompt(stage, payload), stop=list(STOP), max_tokens=self.max_tokens)
        return self._verdict(stage, payload, completion.text)

    async def acheck(self, stage: Stage, payload: Any) -> Verdict:
        check_stage(stage)
        completion = await self.backend.acomplete(
            self.prompt(stage, payload), stop=list(STOP), max_tokens=self.max_tokens
        )
        return self._verdict(stage, payload, completion.text)

    def _verdict(self, stage: Stage, payload: Any, text: str) -> Verdict:
        safe, codes, problem = parse_llama_guard(text, self.categories)
        role, _ = _conversation(stage, payload)
        details = {"role": role, "answer": text, "model_size": self.model_size}
        if safe:
            return Verdict.allow(self.name, details=details)
        names = [self.categories.get(c, "unknown category").rstrip(".") for c in codes]
        what = ", ".join(f"{c} {n}" for c, n in zip(codes, names)) or "no category given"
        reason = f"Llama Guard judged the {role} message unsafe: {what}" + (f" ({problem})" if problem else "")
        details.update(names=names, problem=problem)
        return Verdict.block(self.name, reason, categories=codes or ("unsafe",), score=1.0, details=details)


def _select(available: dict[str, str], wanted: Iterable[str] | None, size: str) -> dict[str, str]:
    if wanted is None:
        return dict(available)
    wanted = list(wanted)
    missing = [c for c in wanted if c not in available]
    if missing:
        raise ValueError(f"Llama Guard 3 {size} has no categor(ies) {missing}; it knows {', '.join(available)}")
    return {c: t for c, t in available.items() if c in wanted}


def _defuse(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Content must not be able to close the turn and forge "safe": break special-token markers.
    return [(who, text.replace("<|", "<\u200b|")) for who, text in turns]


def _conversation(stage: str, payload: Any) -> tuple[str, list[tuple[str, str]]]:
    """(role word, turns) as Meta's format wants them for this stage and payload."""
    role, turns = _raw_conversation(stage, payload)
    return role, _defuse(turns)


def _raw_conversation(stage: str, payload: Any) -> tuple[str, list[tuple[str, str]]]:
    if isinstance(payload, ToolCallPayload):
        call = json.dumps({"name": payload.name, "parameters": payload.arguments}, ensure_ascii=False)
        user = getattr(payload, "user_text", None)
        return "Agent", ([("User", user)] if user else []) + [("Agent", call)]
    if isinstance(payload, tuple) and len(payload) == 2:
        payload = Conversation(user=str(payload[0]), agent=str(payload[1]))
    if isinstance(payload, Conversation):
        return "Agent", ([("User", payload.user)] if payload.user else []) + [("Agent", payload.agent)]
    if not isinstance(payload, str):
        raise TypeError(
            f"LlamaGuard payload must be str, Conversation, (user, agent) or ToolCallPayload, not {type(payload).__name__}"
        )
    if stage == "output":
        return "Agent", [("Agent", payload)]
    return "User", [("User", payload)]
