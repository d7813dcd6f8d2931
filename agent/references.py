"""Data references: text a guard redacted from a tool result stays usable as a tool argument.

A guard that cuts an injected span or a PII value out of a tool result keeps it from the model,
and with it the value a task may need: the channel whose name carries an injection, the address
the user asked to write to. So each redacted region the model is shown gets a handle
(``[removed: suspected instructions #1]``, ``[EMAIL #2]``), and the run keeps what it stands for.
When the model passes a handle in a tool call's arguments, the loop puts the original text back
before the tool_call guards and the tool see the call (a CaMeL-style reference: the value moves,
the model never reads it). The final answer is not resolved: what the model says stays redacted.

Alignment is textual: the shown text is the raw text with some regions replaced by bracketed
markers. JSON results are compared value by value, other text line by line, then each changed
value or line is matched against its raw twin with the markers as wildcards.

Example::

    >>> refs = References()
    >>> refs.add('{"to": "ann@x.org"}', '{"to": "[EMAIL]"}')
    '{"to": "[EMAIL #1]"}'
    >>> refs.resolve({"recipient": "[EMAIL #1]", "n": 2})
    {'recipient': 'ann@x.org', 'n': 2}
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["References", "UnknownReference"]

# A guard's marker: a short bracketed phrase ("[EMAIL]", "[removed: suspected instructions]").
_MARKER = re.compile(r"\[[^\[\]\n]{1,60}\]")
# A handle as the model writes it back: a marker's text (the stem) and " #n" in brackets.
_HANDLE = re.compile(r"\[([^\[\]\n]{0,80}?)\s?#(\d+)\]")
_SPACE = re.compile(r"\s+")
_MAX_MARKERS = 20  # per value or line: past this, the whole value is one reference
_MAX_ALIGN = 20_000  # characters of raw text matched against markers (lazy groups backtrack)


class UnknownReference(ValueError):
    """A tool call names a handle this run never showed (``#n`` the model made up or misread)."""


@dataclass
class _Region:
    stem: str  # the marker's text ("EMAIL"), "" for a whole-value reference
    raw: str  # the text the marker replaced
    shown: str  # the shown value or line, with its handles
    whole: str  # the raw value or line it belongs to


@dataclass
class References:
    """One run's handles: ``add`` numbers the redacted regions of a tool result, ``resolve`` puts them back."""

    regions: dict[int, _Region] = field(default_factory=dict)
    # Handles up to here were numbered by an earlier run of the conversation: unknown to this one.
    before: int = 0
    stems: set[str] = field(default_factory=set)  # marker texts shown so far ("email", "")

    @classmethod
    def after(cls, texts: Any) -> References:
        """A table whose handles continue after the highest one ``texts`` (the history) shows."""
        seen = [m for t in texts if isinstance(t, str) for m in _HANDLE.finditer(t)]
        return cls(before=max((int(m.group(2)) for m in seen), default=0), stems={_stem(m.group(1)) for m in seen})

    def add(self, raw: str, shown: str) -> str:
        """``shown`` (``raw`` after the guards) with a handle on each redacted region."""
        if raw == shown:
            return shown
        tagged = self._json(raw, shown)
        if tagged is not None:
            return tagged
        lines = shown.splitlines(keepends=True)
        raw_lines = raw.splitlines(keepends=True)
        out: list[str] = []
        matcher = difflib.SequenceMatcher(None, raw_lines, lines, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            block = "".join(lines[b1:b2])
            out.append(self._tag("".join(raw_lines[a1:a2]), block) if op == "replace" else block)
        return "".join(out)

    def _json(self, raw: str, shown: str) -> str | None:
        """Tagged JSON, value by value (its layout: indented when ``shown`` spans lines); None if not JSON of one shape."""
        parsed = _json(raw, shown)
        if parsed is None or not _same_shape(*parsed):
            return None

        def walk(x: Any, y: Any) -> Any:
            if isinstance(y, dict):
                return {k: walk(x[k], v) for k, v in y.items()}
            if isinstance(y, list):
                return [walk(p, q) for p, q in zip(x, y)]
            if isinstance(y, str) and x != y:
                return self._tag(x if isinstance(x, str) else json.dumps(x), y)
            return y

        indent = 2 if "\n" in shown.strip() else None
        return json.dumps(walk(*parsed), ensure_ascii=False, indent=indent)

    def _tag(self, raw: str, shown: str) -> str:
        """``shown`` with each marker numbered; each number remembers the raw text it replaced."""
        markers = list(_MARKER.finditer(shown))
        found = _align(raw, shown, markers) if 0 < len(markers) <= _MAX_MARKERS and len(raw) <= _MAX_ALIGN else None
        if found is None:  # markers not bracketed, or too many: the value is one reference
            n = self._new(_Region(stem="", raw=raw, shown="", whole=raw))
            tagged = f"{shown.rstrip()} [#{n}]" + shown[len(shown.rstrip()) :]
            self.regions[n].shown = tagged
            return tagged
        parts, last, numbers = [], 0, []
        for m, original in zip(markers, found):
            parts.append(shown[last : m.start()])
            if original == m.group(0):  # a bracket the raw text has too: not a redaction
                parts.append(original)
            else:
                n = self._new(_Region(stem=_stem(m.group(0)[1:-1]), raw=original, shown="", whole=raw))
                numbers.append(n)
                parts.append(f"{m.group(0)[:-1]} #{n}]")
            last = m.end()
        parts.append(shown[last:])
        tagged = "".join(parts)
        for n in numbers:
            self.regions[n].shown = tagged
        return tagged

    def _new(self, region: _Region) -> int:
        n = self.before + len(self.regions) + 1
        self.regions[n] = region
        self.stems.add(region.stem)
        return n

    def resolve(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with each handle replaced by the text it stands for (unchanged without any).

        A string that is a whole shown value (white space aside) becomes the whole raw value; else
        each handle in it is replaced by its region. Raises UnknownReference for a handle never shown.
        """
        return {k: self._value(v) for k, v in arguments.items()}

    def _value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v) for v in value]
        if not isinstance(value, str) or "#" not in value:
            return value
        # Only a marker's text this run showed makes a handle: "[bug #3]" in a title is text.
        handles = [int(m.group(2)) for m in _HANDLE.finditer(value) if _stem(m.group(1)) in self.stems]
        if not handles:
            return value
        missing = [n for n in handles if n not in self.regions]
        if missing:
            where = "an earlier run's" if missing[0] <= self.before else "no"
            raise UnknownReference(
                f"[... #{missing[0]}] refers to {where} tool result this run holds: pass a [... #n] marker "
                "exactly as a tool result of this run showed it, or call the tool again"
            )
        first = self.regions[handles[0]]
        if _squash(value) == _squash(first.shown):
            return first.whole
        return _HANDLE.sub(self._region_text, value)

    def _region_text(self, m: re.Match[str]) -> str:
        region = self.regions.get(int(m.group(2)))
        return region.raw if region is not None and region.stem == _stem(m.group(1)) else m.group(0)

    def __bool__(self) -> bool:
        return bool(self.stems)


def _stem(text: str) -> str:
    return _squash(text).casefold()


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def _align(raw: str, shown: str, markers: list[re.Match[str]]) -> list[str] | None:
    """The raw text each marker replaced: the literal text between markers anchors the match."""
    pattern, last = [], 0
    for m in markers:
        pattern += [re.escape(shown[last : m.start()]), "(.+?)"]
        last = m.end()
    pattern.append(re.escape(shown[last:]))
    found = re.fullmatch("".join(pattern), raw, re.DOTALL)
    return list(found.groups()) if found is not None else None


def _json(raw: str, shown: str) -> tuple[Any, Any] | None:
    """Both texts parsed, when both are JSON objects or arrays; else None."""
    try:
        a, b = json.loads(raw), json.loads(shown)
    except ValueError:
        return None
    return (a, b) if isinstance(a, (dict, list)) and isinstance(b, (dict, list)) else None


def _same_shape(x: Any, y: Any) -> bool:
    """Whether ``y`` is ``x`` with some strings changed (a guard may turn any value into a marker)."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same_shape(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same_shape(p, q) for p, q in zip(x, y))
    return isinstance(y, str) and (isinstance(x, str) or _MARKER.fullmatch(y) is not None) or x == y
