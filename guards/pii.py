"""PII and secret redaction with typed placeholders.

Every pattern has bounded repetition so matching stays linear in the text length (no
catastrophic backtracking on adversarial tool output).

Example::

    >>> from corral.guards import PIIRedactor
    >>> PIIRedactor().check("output", "Card 4111 1111 1111 1111, mail a@b.io").redacted
    'Card [CREDIT_CARD], mail [EMAIL]'
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .base import Stage, ToolCallPayload, Verdict, check_stage, text_of

__all__ = ["PIIRedactor", "PII_KINDS", "luhn_ok", "iban_ok"]


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum (credit card numbers do)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """True when an IBAN (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _looks_secret(token: str) -> bool:
    # Mixed-case base64-like strings with high entropy; hex digests and UUIDs (no upper case) pass.
    classes = sum(any(f(c) for c in token) for f in (str.isdigit, str.islower, str.isupper))
    return classes == 3 and _entropy(token) >= 4.0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True, kw_only=True)
class _Detector:
    """One kind of span. ``quick`` is a cheap necessary condition on the text: when it says no,
    the (slower, lookbehind-led) pattern cannot match and is skipped. ``min_digits``: how many digits any match holds, so a text with fewer (most short
    results and answers) skips the detector without a regex pass."""

    kind: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] | None = None
    quick: Callable[[str], bool] | None = None
    min_digits: int = 0


def _needles(*words: str) -> Callable[[str], bool]:
    def found(text: str) -> bool:
        for word in words:  # a plain loop: twice as fast as any() over a generator on short texts
            if word in text:
                return True
        return False

    return found


def _shape(pattern: str) -> Callable[[str], bool]:
    # Patterns that start with a character class let the regex engine skip ahead fast, unlike the
    # detectors' own patterns, which start with a lookbehind and are tried at every position.
    # (One alternation of all of them is slower than the separate searches: re tries every branch
    # at every position.)
    search = re.compile(pattern).search
    return lambda text: search(text) is not None


_DIGIT = re.compile(r"\d")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Order matters: on overlapping matches the earlier detector wins (a key beats the phone number
# hidden inside it).
_DETECTORS: tuple[_Detector, ...] = (
    _Detector(
        kind="PRIVATE_KEY",
        pattern=re.compile(
            r"-----BEGIN [A-Z ]{0,30}PRIVATE KEY-----[\s\S]{0,10000}?-----END [A-Z ]{0,30}PRIVATE KEY-----"
        ),
        quick=_needles("-----BEGIN "),
    ),
    _Detector(
        kind="API_KEY",
        pattern=re.compile(
            r"(?<![\w-])(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,200}|gh[pousr]_[A-Za-z0-9]{30,255}"
            r"|github_pat_[A-Za-z0-9_]{30,255}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
            r"|xox[abprs]-[A-Za-z0-9-]{10,200}|hf_[A-Za-z0-9]{30,100}|glpat-[A-Za-z0-9_-]{20,100}"
            r"|eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000})(?![\w-])"
        ),
        quick=_needles(
            "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "AKIA", "AIza", "xox", "hf_", "glpat-", "eyJ"
        ),
    ),
    _Detector(
        kind="API_KEY",
        pattern=re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,500}=*"),
        quick=_shape(r"(?i)bearer "),
    ),
    _Detector(
        kind="IBAN",
        pattern=re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
        valid=iban_ok,
        quick=_shape(r"[A-Z]{2}\d\d"),
        min_digits=2,
    ),
    _Detector(
        kind="CREDIT_CARD",
        pattern=re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
        valid=lambda s: luhn_ok(_digits(s)),
        quick=_shape(r"\d(?:[ -]?\d){12}"),
        min_digits=13,
    ),
    _Detector(
        kind="SSN",
        pattern=re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),
        quick=_shape(r"\d{3}-\d\d-\d{4}"),
        min_digits=9,
    ),
    _Detector(
        kind="EMAIL",
        pattern=re.compile(
            r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
        ),
        quick=_needles("@"),
    ),
    _Detector(
        kind="PHONE",
        pattern=re.compile(
            r"(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}"
            r"(?!\w|[ .-]\d)"
        ),
        valid=lambda s: 9 <= len(_digits(s)) <= 15,
        quick=_shape(r"\d{3}[ .-]\d{3}"),
        min_digits=9,  # what ``valid`` asks of the match
    ),
    _Detector(
        kind="IP_ADDRESS",
        pattern=re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w.])"),
        quick=_shape(r"\d\.\d{1,3}\.\d{1,3}\.\d"),
        min_digits=4,
    ),
    _Detector(
        kind="IP_ADDRESS",
        pattern=re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"),
        quick=lambda text: text.count(":") >= 7,
    ),
    _Detector(
        kind="SECRET",
        pattern=re.compile(r"(?<![\w+/-])[A-Za-z0-9+/_-]{24,200}={0,2}(?![\w+/=-])"),
        valid=_looks_secret,
        quick=_shape(r"[A-Za-z0-9+/_-]{24}"),
        min_digits=1,
    ),  # _looks_secret wants a digit
)

PII_KINDS: tuple[str, ...] = tuple(dict.fromkeys(d.kind for d in _DETECTORS))


class PIIRedactor:
    """Replaces emails, phones, credit cards (Luhn), IBANs (mod 97), US SSNs, IP addresses, API
    keys, private keys and high-entropy secrets with ``[KIND]`` placeholders.

    ``kinds`` limits the detectors (default: all of ``PII_KINDS``); ``placeholders`` overrides the
    text per kind; ``extra`` adds ``{kind: regex}`` detectors; ``block=True`` blocks instead of
    redacting. Tool-call payloads are allowed untouched (redacting a call's arguments would change
    what the user asked for).

    Example::

        >>> PIIRedactor(kinds={"EMAIL"}).check("tool_result", "ip 10.0.0.1 x@y.org").redacted
        'ip 10.0.0.1 [EMAIL]'
    """

    name = "pii"
    cost = 10
    inline = True  # offline and synchronous: the loop may run it without a driver round trip

    def __init__(
        self,
        kinds: Iterable[str] | None = None,
        *,
        placeholders: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
        block: bool = False,
    ) -> None:
        wanted = set(kinds) if kinds is not None else set(PII_KINDS)
        unknown = wanted - set(PII_KINDS)
        if unknown:
            raise ValueError(f"unknown PII kinds {sorted(unknown)}; known: {', '.join(PII_KINDS)}")
        custom = tuple(_Detector(kind=k, pattern=re.compile(p)) for k, p in (extra or {}).items())
        self._detectors = custom + tuple(d for d in _DETECTORS if d.kind in wanted)
        self._most_digits = max((d.min_digits for d in self._detectors), default=0)
        # The detectors worth trying on a text with n digits (n capped at the most any needs).
        self._by_digits = tuple(
            tuple(d for d in self._detectors if d.min_digits <= n) for n in range(self._most_digits + 1)
        )
        self._placeholders = dict(placeholders or {})
        self.block = block

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, kind)`` spans, in text order."""
        taken: list[tuple[int, int, str]] = []
        for det in self._candidates(text):
            if det.quick is not None and not det.quick(text):
                continue
            for m in det.pattern.finditer(text):
                if det.valid is not None and not det.valid(m.group(0)):
                    continue
                if not any(m.start() < e and s < m.end() for s, e, _ in taken):
                    taken.append((m.start(), m.end(), det.kind))
        return sorted(taken)

    def _candidates(self, text: str) -> tuple[_Detector, ...]:
        """The detectors that can match: those needing more digits than the text has are skipped."""
        if len(text) <= 1024:
            digits = len(_DIGIT.findall(text))
        else:  # count only as far as the most any detector needs
            digits = sum(1 for _ in islice(_DIGIT.finditer(text), self._most_digits))
        return self._by_digits[min(digits, self._most_digits)]

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """The text with each span replaced by its placeholder, and the count per kind."""
        return self._replace(text, self.find(text))

    def _replace(self, text: str, spans: list[tuple[int, int, str]]) -> tuple[str, Counter[str]]:
        out, last, counts = [], 0, Counter()
        for start, end, kind in spans:
            out += [text[last:start], self._placeholders.get(kind, f"[{kind}]")]
            last = end
            counts[kind] += 1
        out.append(text[last:])
        return "".join(out), counts

    def check(self, stage: Stage, payload: Any) -> Verdict:
        check_stage(stage)
        if isinstance(payload, ToolCallPayload):
            return Verdict.allow(self.name)
        text = text_of(payload)
        spans = self.find(text)
        if not spans:
            return Verdict.allow(self.name)
        redacted, counts = self._replace(text, spans)
        kinds = tuple(sorted(counts))
        found = ", ".join(f"{counts[k]} {k}" for k in kinds)
        details = {"counts": dict(counts)}
        if self.block:
            return Verdict.block(
                self.name, f"personal data or secrets found: {found}", categories=kinds, score=1.0, details=details
            )
        return Verdict.redact(self.name, redacted, f"redacted {found}", categories=kinds, score=1.0, details=details)

    async def acheck(self, stage: Stage, payload: Any) -> Verdict:
        return self.check(stage, payload)
