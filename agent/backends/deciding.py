"""Decide-then-decode for ``tool_choice="auto"`` on an in-process llama.cpp model.

Given a :class:`corral.prompts.DecisionGrammar`, ``LlamaCppBackend`` does not let the first
sampled token decide between prose and a call. It scores the continuations instead (one forward
pass over the prompt, then a few tokens per tool opening; see :mod:`corral.prompts.decide`):

* text: decode with the text-only grammar, and stop a loop (the same 48 characters twice, a
  sentence said a third time) there (``finish_reason="repetition"``), not at ``max_tokens``;
* call: decode only the chosen tool's call against its schema, its opening a literal of the
  grammar (so the model writes it with its own tokens); an argument that loops makes the sampler
  close the call at the next point the grammar allows. Then call again while the question names
  values no call has used (:mod:`corral.prompts.values`) or the model scores "another call" above
  "end of turn"; a further call that repeats one or uses no unused value is dropped.

The caller holds the model's lock. Example (what the backend does)::

    >>> text, finish, trace = yield from decide_and_decode(llm, prompt, grammar, stop, 256, sampling, compile)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import numpy as np

from corral.prompts.asked import asked_for
from corral.prompts.decide import (
    Decision,
    DecisionGrammar,
    Trace,
    call_arguments,
    call_text,
    decide,
    more_calls,
    rest_requiring,
    text_allowed,
    with_opening,
)
from corral.prompts.grounding import ground
from corral.prompts.relevance import coverage, relevance
from corral.prompts.values import Scaled, leftover, next_values, number_continuation, scaled_numbers, uses

from .fastgrammar import PREFER_BOOST, digit_tokens, is_eog, last_logits

__all__ = [
    "decide_and_decode",
    "Scorer",
    "LoopCloser",
    "repeating",
    "listing",
    "counting",
    "restating",
    "steer_numbers",
]

Pieces = Generator[str, None, Any]  # yields text as decoded; returns what the function says

NEUTRAL_QUESTION = "Hello."  # stands in for the user's text when scoring a call against the question
_LOOP_CHARS = 48  # a repeated span this long means the prose is looping
_CLOSE_TOKENS = 64  # after a loop in a call, the tokens allowed for closing it
_DIGITS = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_ENDS_SENTENCE = re.compile(r"[.!?\n]")
_LIST_NUMBER = re.compile(r"(?m)^[ \t]*(?:\d+[.)]|[A-Za-z][.):])[ \t]*")  # "16. ", "4) ", "B: "
_SAME_ITEMS = 6  # list items in a row saying one thing ("A: 90", "B: 90", ...) before it is a loop


class Scorer:
    """Log-probabilities of short continuations after a base token sequence, sharing evaluated prefixes."""

    def __init__(self, llm: Any, base: list[int]) -> None:
        self.llm, self.base = llm, base
        _eval_to(llm, base)
        self.path: list[int] = []
        self.logps: list[np.ndarray] = [_logp(llm)]

    @property
    def first(self) -> np.ndarray:
        """Log-probabilities of the token right after the base."""
        return self.logps[0]

    def score(self, tokens: list[int]) -> float:
        """Sum of log-probabilities of ``tokens`` after the base (the last token is not evaluated)."""
        keep = 0
        while keep < min(len(self.path), len(tokens)) and self.path[keep] == tokens[keep]:
            keep += 1
        self.path, self.logps = self.path[:keep], self.logps[: keep + 1]
        self.llm.n_tokens = len(self.base) + keep
        total = 0.0
        for i in range(keep, len(tokens)):
            total += float(self.logps[i][tokens[i]])
            if i + 1 < len(tokens):
                self.llm.eval([tokens[i]])
                self.path.append(tokens[i])
                self.logps.append(_logp(self.llm))
        return total + sum(float(self.logps[i][tokens[i]]) for i in range(min(keep, len(tokens))))


def _logp(llm: Any) -> np.ndarray:
    logits = last_logits(llm)
    return logits - np.logaddexp.reduce(logits)


def _eval_to(llm: Any, tokens: list[int]) -> None:
    """Make the KV cache hold ``tokens`` (reusing the common prefix) with logits for the last one."""
    cached = llm._input_ids[: llm.n_tokens].tolist()
    keep = 0
    while keep < min(len(cached), len(tokens) - 1) and cached[keep] == tokens[keep]:
        keep += 1
    llm.n_tokens = keep
    llm.eval(tokens[keep:])


def _tokens(llm: Any, text: str) -> list[int]:
    return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else []


def text_score(llm: Any, logp: np.ndarray, window: int = 64) -> float:
    """Log-probability of the best first token the text branch allows (among the top ``window``)."""
    for token in np.argsort(-logp)[:window]:
        if text_allowed(llm.detokenize([int(token)]).decode("utf-8", "ignore")):
            return float(logp[token])
    return float(np.sort(logp)[-window])


def repeating(text: str, span: int = _LOOP_CHARS) -> bool:
    """Whether the last ``span`` characters already occur earlier in ``text`` (a decoding loop).

    Example::

        >>> repeating("abc " * 30, span=12), repeating("a b c d e f g h i j k l m", span=12)
        (True, False)
    """
    return len(text) >= 2 * span and text.find(text[-span:]) < len(text) - span


def listing(text: str, span: int = _LOOP_CHARS) -> bool:
    """A numbered or lettered list that repeats one item ("16. Lebron James", "17. Lebron James",
    ...; "A: 90", "B: 90", ...): ``repeating`` with the labels at the starts of lines taken out, or
    the last ``_SAME_ITEMS`` complete lines all labelled items saying the same (items too short for
    ``repeating`` to see).

    Example::

        >>> listing("".join(f"{n}. Lebron James\\n" for n in range(1, 9)))
        True
        >>> listing("".join(f"{c}: 90\\n" for c in "ABCDEF")), listing("".join(f"{c}: 90\\n" for c in "ABCDE"))
        (True, False)
        >>> listing("".join(f"{n}. Player number {n}\\n" for n in range(1, 9)))
        False
    """
    if repeating(_LIST_NUMBER.sub("", text), span):
        return True
    # The last complete lines only: rsplit leaves the rest of a long answer unsplit.
    lines = text.rsplit("\n", _SAME_ITEMS + 1)[-_SAME_ITEMS - 1 : -1]
    if len(lines) < _SAME_ITEMS or not all(_LIST_NUMBER.match(line) for line in lines):
        return False
    items = {_LIST_NUMBER.sub("", line, count=1).strip() for line in lines}
    return len(items) == 1 and "" not in items


def counting(text: str, question: str = "", span: int = _LOOP_CHARS) -> bool:
    """A loop whose only change is a number ("name_1", "name_2", ...): ``repeating`` with every
    run of digits read as one digit. Not one: items the question itself spells out, or a span of
    digits and punctuation alone ("1, 2, 3", a list the user may have asked for) unless it counts
    up by one past every number the question writes.

    Example::

        >>> counting('"var_1", "var_2", "var_3", "var_4", "var_5", "var_6", "var_7"', span=16)
        True
        >>> counting(", ".join(str(n) for n in range(40)), span=16)
        False
        >>> counting("[" + ", ".join(str(n) for n in range(1, 40)), "Play 3 rounds", span=16)
        True
        >>> counting("[" + ", ".join(str(n) for n in range(1, 40)), "Numbers from 1 to 100", span=16)
        False
        >>> counting('"var_1", "var_2", "var_3", "var_4", "var_5", "var_6", "var_7"', "var_1 to var_7", span=16)
        False
    """
    plain = _DIGITS.sub("0", text)
    if not repeating(plain, span):
        return False
    if not any(c.isalpha() for c in plain[-span:]):
        return _counting_past(text, question)
    last = text.rstrip('", ').rpartition('"')[2]  # the item being written
    return not (last and last in question)


_RUN = 8  # numbers in a row, each one more than the last, before a list of numbers counts as a loop
_NUMBER_LIST = re.compile(r"\d+(?:, \d+)*,? ?$")


def _counting_past(text: str, question: str) -> bool:
    """A list of numbers counting up by one ("[1, 2, 3, ..., 59") past every number the question
    writes: the question asks for none of them. Without a question nothing is known: not a loop."""
    if not question:
        return False
    found = _NUMBER_LIST.search(text[-400:])
    numbers = [int(n) for n in _DIGITS.findall(found.group())] if found else []
    tail = numbers[-_RUN:]
    if len(tail) < _RUN or any(b - a != 1 for a, b in zip(tail, tail[1:])):
        return False
    return tail[-1] > max((int(n) for n in _DIGITS.findall(question)), default=0)


def restating(text: str) -> bool:
    """Prose that says its last sentence (four words or more) for the third time, numbers aside
    ("5. The game is played in 102 rounds. 6. The game is played in 102 rounds. ...").

    Example::

        >>> restating("1. It rains all day. 2. It rains all day. 3. It rains all day.")
        True
        >>> restating("It rains. It rains. It rains.")  # too short to be sure
        False
    """
    sentences = [" ".join(_DIGITS.sub("0", s).split()) for s in _SENTENCE.split(text)]
    sentences = [s.strip(" 0.)-*") for s in sentences if s.strip()]
    if len(sentences) < 3 or len(sentences[-1].split()) < 4:
        return False
    return sentences.count(sentences[-1]) >= 3


def decide_and_decode(
    llm: Any,
    prompt: str,
    grammar: DecisionGrammar,
    stop: Sequence[str],
    max_tokens: int,
    sampling: dict[str, Any],
    compile_grammar: Callable[[str], Any],
) -> Pieces:
    """Decide (text or which call), decode accordingly: yields text pieces, returns (text, finish, trace)."""
    opening_tokens = {name: _tokens(llm, text) for name, text in grammar.openings.items()}
    null, lexical, covered = _priors(llm, prompt, grammar, opening_tokens)
    base = list(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
    scorer = Scorer(llm, base)  # after the null prompt: the cache ends on the real one
    decision = decide(
        text_score(llm, scorer.first),
        {n: scorer.score(t) for n, t in opening_tokens.items()},
        grammar.policy,
        null=null,
        lexical=lexical,
        coverage=covered,
    )
    trace = Trace(decision)
    if decision.kind == "text":
        text, finish = yield from _prose(llm, base, grammar, stop, max_tokens, sampling, compile_grammar)
        return text, finish, trace
    text, finish = yield from _calls(llm, base, grammar, decision, stop, max_tokens, sampling, compile_grammar, trace)
    return text, finish, trace


def _priors(
    llm: Any, prompt: str, grammar: DecisionGrammar, opening_tokens: dict[str, list[int]]
) -> tuple[Any, Any, float | None]:
    """The null-question scores (only if the policy weighs them), the lexical prior per tool and the
    question's coverage by the tools; Nones without a question."""
    question, policy = getattr(grammar, "question", None), grammar.policy
    if not question:
        return None, None, None
    lexical = relevance(question, grammar.functions) if policy.lexical_weight or policy.pick_lexical else None
    covered = coverage(question, grammar.functions) if policy.lexical_weight else None
    at = prompt.rfind(question)
    if not (policy.pmi_weight or policy.pick_null) or at < 0:
        return None, lexical, covered
    # Same prompt, the user's text replaced by a neutral one: what the tool list alone makes likely.
    neutral = prompt[:at] + NEUTRAL_QUESTION + prompt[at + len(question) :]
    scorer = Scorer(llm, list(llm.tokenize(neutral.encode("utf-8"), add_bos=True, special=True)))
    return (text_score(llm, scorer.first), {n: scorer.score(t) for n, t in opening_tokens.items()}), lexical, covered


def _generate(
    llm: Any, tokens: list[int], grammar: Any, stop: Sequence[str], max_tokens: int, sampling: dict[str, Any]
) -> Iterator[tuple[str, str | None]]:
    for chunk in llm.create_completion(
        prompt=tokens,
        stream=True,
        max_tokens=max_tokens,
        stop=list(stop),
        grammar=grammar,
        repeat_penalty=1.0,
        **sampling,
    ):
        choice = chunk["choices"][0]
        yield choice.get("text") or "", choice.get("finish_reason")


def _prose(
    llm: Any,
    base: list[int],
    grammar: DecisionGrammar,
    stop: Sequence[str],
    max_tokens: int,
    sampling: dict[str, Any],
    compile_grammar: Callable[[str], Any],
) -> Iterator[str]:
    text, finish = "", "stop"
    for piece, why in _generate(llm, base, compile_grammar(grammar.text_grammar), stop, max_tokens, sampling):
        text += piece
        if piece:
            yield piece
        finish = why or finish
        # restating re-reads every sentence: only when this piece may have ended one
        if repeating(text) or (_ENDS_SENTENCE.search(piece) and (restating(text) or listing(text))):
            return text, "repetition"  # a loop: stopped, said so, not run to max_tokens
    return text, finish


def _calls(
    llm: Any,
    base: list[int],
    grammar: DecisionGrammar,
    decision: Decision,
    stop: Sequence[str],
    max_tokens: int,
    sampling: dict[str, Any],
    compile_grammar: Callable[[str], Any],
    trace: Trace,
) -> Iterator[str]:
    """The turn's calls, each yielded once decided: a further call is kept only if it reads back,
    repeats no call and, when the question still names unused values, uses one. An optional
    argument the conversation gives no ground for is dropped (:func:`corral.prompts.grounding.ground`)."""
    text, tool, budget = "", decision.tool, max_tokens
    calls: list[tuple[str, dict[str, Any]]] = []
    question = grammar.question or ""
    while tool is not None:
        written, finish, used = _drain(
            _decode_call(
                llm, base, text, grammar, tool, grammar.rest[tool], bool(calls), stop, budget, sampling, compile_grammar
            )
        )
        arguments = call_arguments(written, grammar.flavor)
        if question and grammar.policy.ask and arguments is not None and finish != "length":
            asked = asked_for(arguments, _schema(grammar.functions, tool), question)
            if asked:  # the question asks for optional arguments the call left out: write it again with them
                rest = rest_requiring(_function(grammar.functions, tool), asked, grammar.flavor)
                again, end, spent = _drain(
                    _decode_call(
                        llm, base, text, grammar, tool, rest, bool(calls), stop, budget, sampling, compile_grammar
                    )
                )
                rewritten = call_arguments(again, grammar.flavor) if end != "length" else None
                if rewritten is not None:  # the budget counts the call kept, as if written once
                    written, finish, used, arguments = again, end, spent, rewritten
        budget -= used
        if question and grammar.policy.ground and arguments is not None and finish != "length":
            grounded = ground(arguments, _schema(grammar.functions, tool), grammar.context or question)
            if grounded != arguments:
                arguments = grounded
                opened = "[" if not calls and grammar.flavor == "pythonic" and written.startswith("[") else ""
                written = opened + call_text(tool, arguments, grammar.flavor)
        if calls:
            earlier = [args for _, args in calls]
            if finish == "length" or not _fresh(arguments, earlier, leftover(question, earlier)):
                tool, arguments = calls[-1][0], _from_question(grammar, calls)
                if arguments is None:
                    trace.dropped += 1
                    break
                written, finish = call_text(tool, arguments, grammar.flavor), "stop"
            text += grammar.separator + written
            yield grammar.separator + written
        else:
            text += written
            yield written
        if finish == "length" or budget <= 0:
            return text, "length"
        calls.append((tool, arguments or {}))
        tool = _next_tool(llm, base, text, grammar, [args for _, args in calls], trace) if grammar.parallel else None
    if grammar.end:
        text += grammar.end
        yield grammar.end
    return text, "stop"


def _decode_call(
    llm: Any,
    base: list[int],
    text: str,
    grammar: DecisionGrammar,
    tool: str,
    rest: str,
    further: bool,
    stop: Sequence[str],
    budget: int,
    sampling: dict[str, Any],
    compile_grammar: Callable[[str], Any],
) -> Pieces:
    """Decode one call of ``tool`` against ``rest`` (its arguments' grammar), after the calls in ``text``.

    The grammar holds the opening as a literal, so the model writes it with its own tokens: an
    opening forced as text ends where the tokenizer cuts, not where the model would."""
    opening = grammar.later[tool] if further else grammar.openings[tool]
    tokens = base + _tokens(llm, text + grammar.separator) if further else base
    whole = compile_grammar(with_opening(rest, opening))
    question = grammar.question or ""
    return (yield from _one_call(llm, tokens, whole, stop, budget, sampling, question, _parameters(grammar, tool)))


def _from_question(grammar: DecisionGrammar, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """The further call when the model's own was dropped: the last call again with the question's
    next unused values (:func:`corral.prompts.values.next_values`), if its tool's schema holds."""
    tool = calls[-1][0]
    arguments = next_values(grammar.question or "", [args for _, args in calls])
    schema = _schema(grammar.functions, tool)
    if arguments is None or not isinstance(schema, dict):
        return None
    return arguments if _schema_holds(schema, arguments) else None


def _schema_holds(schema: dict[str, Any], arguments: dict[str, Any]) -> bool:
    """Whether ``arguments`` meet ``schema``, read as corral.tools reads a tool's parameters."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        return bool(validator(schema).is_valid(arguments))
    except jsonschema.SchemaError:
        return False


def _drain(pieces: Pieces) -> Any:
    """Run ``pieces`` to its end, keeping back what it yields (a call waits until it is accepted)."""
    while True:
        try:
            next(pieces)
        except StopIteration as done:
            return done.value


def _fresh(arguments: dict[str, Any] | None, calls: list[dict[str, Any]], pending: list[Any]) -> bool:
    """A further call is worth keeping: it reads back, repeats no call, uses an unused value if any."""
    if arguments is None or arguments in calls:
        return False
    return not pending or any(uses(value, arguments) for value in pending)


def _function(functions: list[dict[str, Any]], tool: str | None) -> dict[str, Any]:
    """The offered function named ``tool`` (empty if there is none)."""
    return next((f for f in functions if f.get("name") == tool), {})


def _schema(functions: list[dict[str, Any]], tool: str | None) -> Any:
    """The parameters schema of the offered function named ``tool`` (None if there is none)."""
    return _function(functions, tool).get("parameters")


def _parameters(grammar: DecisionGrammar, tool: str | None) -> dict[str, Any]:
    """The tool's parameter properties (name -> schema), as offered."""
    return _properties(grammar.functions, tool)


def _properties(functions: list[dict[str, Any]], tool: str | None) -> dict[str, Any]:
    schema = _schema(functions, tool)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


_NEVER = 1e4  # a logit penalty no token overcomes (finite: -inf would turn the sums into NaN)
_SCALE_WORDS = re.compile(r"thousand|million|billion|\bin k\b|\(k\)", re.IGNORECASE)


def _plain_number(parameters: dict[str, Any], name: str) -> bool:
    """A number or integer parameter whose description does not count in thousands or millions."""
    schema = parameters.get(name)
    if not isinstance(schema, dict):
        return False
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    described = f"{schema.get('description', '')} {name}"
    return any(k in ("number", "integer", "float") for k in kinds) and not _SCALE_WORDS.search(described)


def _one_call(
    llm: Any,
    tokens: list[int],
    compiled: Any,
    stop: Sequence[str],
    budget: int,
    sampling: dict[str, Any],
    question: str = "",
    parameters: dict[str, Any] | None = None,
) -> Pieces:
    body, finish, closer = "", "stop", LoopCloser(llm, question)
    scaled = scaled_numbers(question) if parameters else []
    for piece, why in _generate(llm, tokens, compiled, stop, budget, sampling):
        body += piece
        if piece:
            yield piece
        finish = why or finish
        if scaled:
            # "$200,000" copied as 200, "$50 million" as 50: where the model would end the number,
            # ask for its remaining digits (a digit the model writes itself is left to it).
            _steer(llm, body, scaled, parameters or {})
        if closer.cut(body):
            return body, "length", closer.used  # it would not close: cut, said so
    return body, finish, closer.used


class LoopCloser:
    """Watches a call being written. When it loops in a way the sampler's own token rule misses
    ("A.A.A...", "x.json.json...", a tree nesting A, B, C, A, B, C...), the sampler is told to close
    the call at the next point the grammar allows, so the call stays whole and schema-valid.
    ``cut(text)`` after each piece: True when it should be cut instead (no grammar sampler to
    steer, or still open ``_CLOSE_TOKENS`` pieces later). Given the offered ``names``, only the call
    under way is watched: parallel calls of one tool repeat their openings, which is no loop."""

    def __init__(self, llm: Any, question: str = "", names: Sequence[str] = ()) -> None:
        self.llm, self.question = llm, question
        self.used, self.since = 0, None
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._opening = re.compile(rf'"name": "(?:{alternatives})"|(?:^|\[|, )(?:{alternatives})\(') if names else None

    def cut(self, text: str) -> bool:
        self.used += 1
        if self.since is None and self._opening is not None:
            openings = list(self._opening.finditer(text))
            text = text[openings[-1].start() :] if openings else text
        if self.since is None and (repeating(text) or counting(text, self.question)):
            sampler = getattr(self.llm, "_corral_grammar", None)
            if sampler is None:
                return True
            sampler.closing, self.since = True, self.used
        return self.since is not None and self.used - self.since > _CLOSE_TOKENS


def _rest_of_number(
    llm: Any, body: str, scaled: list[Scaled], parameters: dict[str, Any]
) -> tuple[np.ndarray | None, np.ndarray | None, frozenset[int]]:
    """How to steer the number argument being written toward a number of the question: (logit
    changes always applied, logit changes applied unless the best token is one of the third).
    Where the model would end the number early, its next digits are favoured; once past a first
    group, no digit may overshoot; once whole (and no longer one continues), no more digits."""
    found = number_continuation(body, scaled)
    if found is None or not _plain_number(parameters, found[0]):
        return None, None, frozenset()
    table = digit_tokens(llm)
    _, rests, complete, past_first = found
    digits = list(table.values())
    ids = [table[rest[:k]] for rest in rests for k in range(1, len(rest) + 1) if rest[:k] in table]
    if complete and rests:  # whole already, yet a longer one continues: the model decides
        return None, None, frozenset()
    bias = None
    if past_first or complete:  # a small model runs on in zeros: no digit beyond the number
        bias = np.zeros(llm.n_vocab(), dtype=np.float32)
        bias[digits] = -_NEVER
        bias[ids] = 0.0
    if not ids:
        return bias, None, frozenset()
    boost = np.zeros(llm.n_vocab(), dtype=np.float32)
    boost[ids] = PREFER_BOOST
    return bias, boost, frozenset(digits)


# The call being written: the last `"name": "f"` (JSON) or `f(` (Python-style) in the text so far.
_CALLED = re.compile(r'"name"\s*:\s*"([^"]+)"|([A-Za-z_][\w.]*)\(')


def steer_numbers(llm: Any, text: str, scaled: list[Scaled], functions: list[dict[str, Any]]) -> None:
    """On a calls-only decode (``required``, a named tool): steer the number argument being written,
    as the decided path does (see :func:`_rest_of_number`), for the tool whose call ``text`` is in."""
    tool = None
    if text[-1:].isdigit():  # only inside a number: the scan for the tool's name is not per token
        names = [m.group(1) or m.group(2) for m in _CALLED.finditer(text)]
        tool = names[-1] if names else None
    _steer(llm, text, scaled, _properties(functions, tool))


def _steer(llm: Any, body: str, scaled: list[Scaled], parameters: dict[str, Any]) -> None:
    """Set (or clear) this generation's sampler steering for the text written so far."""
    sampler = getattr(llm, "_corral_grammar", None)
    if sampler is not None:
        sampler.bias, sampler.boost, sampler.unless = _rest_of_number(llm, body, scaled, parameters)


def _next_tool(
    llm: Any, base: list[int], text: str, grammar: DecisionGrammar, calls: list[dict[str, Any]], trace: Trace
) -> str | None:
    """The next tool to call, or None: while the question names unused values, the model's likeliest
    next tool; otherwise another call only if the model scores it above ending (``more_calls``)."""
    if len(calls) >= grammar.policy.max_calls:
        return None
    scorer = Scorer(llm, base + _tokens(llm, text))
    end_tokens = _tokens(llm, grammar.end) if grammar.end else []
    end = scorer.score(end_tokens) if end_tokens else _end_of_turn(llm, scorer.first)
    nexts = {name: scorer.score(_tokens(llm, grammar.separator + opening)) for name, opening in grammar.later.items()}
    if not nexts:
        return None
    trace.more.append(max(nexts.values()) - end)
    if leftover(grammar.question or "", calls):
        return max(nexts, key=lambda name: nexts[name])
    return more_calls(end, nexts, len(calls), grammar.policy)


def _end_of_turn(llm: Any, logp: np.ndarray) -> float:
    """Log-probability that the turn ends here: the best end-of-generation token."""
    eog = [t for t in np.argsort(-logp)[:256] if is_eog(llm, t)]
    return float(logp[eog[0]]) if eog else float(np.sort(logp)[-256])
