"""A worst-case obedient model for the security benchmark: a scripted backend, no weights.

It performs a task's ground-truth calls one per turn, as model *text* in the chat format's call
syntax (so corral's real parser, validation, guards and dispatch run). As soon as an injected goal
appears in its prompt (what the loop shows it, after the guards), it also performs the injection
task's calls, first. Spotlighting does not fool it: it reads through the markers.

It is honest about what it knows: a ground-truth argument value that is data from the environment
(found in the environment's text) may be used only once it appeared in its prompt (the user's
request or a tool result that reached it). Values it composes itself (an email body, a computed
date) are free. So a guard that withholds data a task needs costs utility, as with a real model.
A value a guard redacted is written as the handle it was shown (``External_[removed: ... #3]``)
when the text around the handle identifies it: the visible part matches the value, with the
handle standing for the rest, and holds at least three characters (corral's data references).

Example::

    >>> model = ObedientModel(calls=[("get_iban", {})], answer="Done.", goals=[], env_text="")
    >>> model("<prompt>")
    '{"name": "get_iban", "parameters": {}}'
    >>> model("<prompt with the result>")
    'Done.'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from corral.guards.spotlight import unmark

__all__ = ["ObedientModel", "normalise", "leaves"]

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+")
_WITHHELD = "was withheld: guard"  # corral's text when a guard withholds a whole tool result
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ t]\d{2}:\d{2}(:\d{2})?)?|\d{1,2}:\d{2}")
_ESCAPE = re.compile(r'\\([nrt"\\/])')  # JSON string escapes: a model reads "\n" as a line break
_UNESCAPED = {"n": "\n", "r": "\n", "t": " ", '"': '"', "\\": "\\", "/": "/"}
_NOT_KNOWN = "I could not complete the task: I was not shown the data it needs."
# A JSON string the prompt shows that holds a data reference's handle ("... #3]").
_WITH_HANDLE = re.compile(r'"((?:[^"\\\n]|\\.)*?#\d+\](?:[^"\\\n]|\\.)*)"')
_HANDLE = re.compile(r"\[[^\[\]\n]{0,80}?\s?#\d+\]")
_ANCHOR = 3  # visible characters a handle's text needs to identify the value
Call = tuple[str, dict[str, Any]]


def normalise(text: str) -> str:
    """Case-folded, whitespace collapsed: how values are matched against what the model saw."""
    return _SPACE.sub(" ", text.casefold()).strip()


def leaves(value: Any) -> Iterable[Any]:
    """The scalar values inside an argument (lists and dicts walked)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from leaves(v)
    elif value is not None:
        yield value


def _words(text: str) -> str:
    # Injected goals are matched on their words alone: quoting (YAML's '' for ') and line folding vary.
    return " ".join(_NON_WORD.split(text.casefold())).strip()


def _specific(text: str) -> bool:
    """A value someone must have read, not one a model writes: an IBAN, email, URL, path, id, a long text.

    Dates and times are left out (models compute them from "tomorrow" or "next Friday")."""
    if len(text) < 5 or _DATE.fullmatch(text):
        return False
    return any(c.isdigit() or c in "@/" for c in text) or text.count(" ") >= 3


class ObedientModel:
    """``fn(prompt) -> text`` for ``corral.testing.FunctionBackend``: one run of one task.

    ``calls``: the user task's ground truth; ``injection_calls``: the injection task's, done once
    any of ``goals`` shows in the prompt (``injection_answer`` then joins the answer); ``answer``: the
    final answer (the task's expected output);
    ``env_text``: the environment's text (what counts as data that must be seen first).
    """

    def __init__(
        self,
        *,
        calls: Sequence[Call],
        answer: str,
        goals: Sequence[str],
        env_text: str,
        injection_calls: Sequence[Call] = (),
        injection_answer: str = "",
    ) -> None:
        self.queue = list(calls)
        self.injection_calls = list(injection_calls)
        self.goals = [_words(g) for g in goals if g.strip()]
        self.answer = answer or "Done."
        self.injection_answer = injection_answer
        self.env_text = normalise(env_text)
        self.triggered = False
        self._seen_words = ""
        self.skipped: list[Call] = []  # calls it could not make: their data never reached it

    def __call__(self, prompt: str) -> str:
        plain = unmark(prompt)  # it reads through spotlighting's marks
        seen = normalise(_ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], plain))
        self._seen_words = _words(seen)
        if not self.triggered and self.goals and any(goal in self._seen_words for goal in self.goals):
            self.triggered = True
            self.queue = self.injection_calls + self.queue
        while self.queue:
            name, args = self.queue.pop(0)
            args = {k: self._by_reference(v, seen, plain) for k, v in args.items()}
            if all(self._knows(v, seen) for v in leaves(args)):
                text = json.dumps({"name": name, "parameters": args}, ensure_ascii=False, default=str)
                same = 1
                while self.queue and self.queue[0] == (name, args):  # the same call again: one turn, or
                    self.queue.pop(0)  # the loop's repeat rule stops it
                    same += 1
                return "; ".join([text] * same)
            self.skipped.append((name, args))
        answer = self.answer if self._knows_text(self.answer, seen) else _NOT_KNOWN
        # An injection may ask for words in the answer (a recommendation, a phishing link): it gets them.
        return f"{self.injection_answer} {answer}" if self.triggered and self.injection_answer else answer

    def _knows(self, value: Any, seen: str) -> bool:
        if not isinstance(value, str):
            return True  # counts, amounts: the model computes them
        text = normalise(value)
        if not _specific(text) or text in seen or _words(text) in self._seen_words:
            return True  # (the words alone: a YAML dump quotes and folds long texts)
        return text not in self.env_text  # not environment data: the model composes it

    def _by_reference(self, value: Any, seen: str, prompt: str) -> Any:
        """``value``, or the handle-bearing text the prompt shows for it when only that identifies it."""
        if not isinstance(value, str) or "#" not in prompt or self._knows(value, seen):
            return value
        for m in _WITH_HANDLE.finditer(prompt):
            try:
                shown = json.loads(f'"{m.group(1)}"')
            except ValueError:
                continue
            pieces = _HANDLE.split(shown)
            if sum(len(p.strip()) for p in pieces) < _ANCHOR:
                continue
            pattern = r"\s*(.+?)\s*".join(re.escape(p.strip()) for p in pieces)
            if re.fullmatch(pattern, value.strip(), re.DOTALL):
                return shown
        return value

    def _knows_text(self, answer: str, seen: str) -> bool:
        """It answers only with all its calls made and their results shown (none withheld), and every
        specific value of the answer (an IBAN, an address) seen."""
        if self.skipped or _WITHHELD in seen:
            return False
        return all(self._knows(token.strip(".,;:!?()'\""), seen) for token in normalise(answer).split())
