"""The ``auto`` decision: answer in text, or call a tool (and which one, and whether to call again).

With ``root ::= text | call`` a small model decides at its first token, where the text branch
wins almost always (a 135M model puts most of its mass on "The", "To", ...), then rambles. A
backend that can score continuations decides explicitly instead:

* the score of a call to tool *t* is the log-probability of the format's own call opening up to
  the end of the name (``{"name": "t"`` or ``[t(``) after the prompt;
* the score of text is the log-probability of the best first token the text branch allows;
* call the best-scoring tool when ``call - text >= policy.margin`` (calibrated on BFCL's tuning
  half), else answer in text. A model that itself prefers the call (a real Llama 3.2 putting most
  of its mass on ``[``) clears any margin: the override only acts where the model's scores are
  not decisive;
* after each call, call again while the question names values of a kind the calls took from it
  that no call has used (:func:`corral.prompts.values.leftover`; a further call that uses none of
  them, or repeats a call, is dropped), or when ``separator + next opening`` scores
  ``policy.more_margin`` above ending the turn.

:class:`DecisionGrammar` is a ``str``: the full ``text | call`` grammar, so a backend that cannot
score (a server) uses it unchanged; ``LlamaCppBackend`` reads its attributes and decides first.

Example::

    >>> from dataclasses import replace
    >>> raw = replace(RAW_POLICY, margin=-10.0)
    >>> decide(-1.0, {"f": -9.0, "g": -15.0}, raw)
    Decision(kind='call', tool='f', margin=-8.0, evidence=-8.0)
    >>> decide(-1.0, {"f": -25.0}, raw).kind
    'text'
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .encode import encode_calls, json_value
from .grammar import _TEXT, _Builder, call_prefix, gbnf_literal
from .messages import ToolCall
from .specs import function_of

__all__ = [
    "DecisionPolicy",
    "Decision",
    "DecisionGrammar",
    "CallGrammar",
    "decide",
    "more_calls",
    "decision_grammar",
    "text_allowed",
    "call_arguments",
    "call_text",
    "DEFAULT_POLICY",
    "RAW_POLICY",
]

_NOT_TEXT_START = set("[{<` \t\r\n")


@dataclass(frozen=True, kw_only=True)
class DecisionPolicy:
    """Calibrated thresholds (log-probability differences, natural log).

    ``margin``: call when the best call opening scores at least this much relative to the best
    text token (negative: a call opening spans several tokens, text is scored on one).
    ``more_margin``: another call when ``separator + opening`` scores this much relative to ending.
    ``max_calls``: at most this many calls in one turn.
    ``pmi_weight``: weight of the same margin measured *against the question*: the margin minus the
    margin with the user's text replaced by a neutral one, which removes the prompt's own bias.
    ``lexical_weight``: weight of :func:`corral.prompts.relevance.coverage` (0..1): how much of the
    question the offered tools speak of (the question's words spread over several tools for
    parallel requests, so coverage, not the best tool's share).
    ``pick_lexical``: the same prior's weight when picking which tool to call; ``pick_null``: the
    weight of a tool's score under the neutral question, subtracted when picking (1: pick by PMI).
    :func:`decide` calls when ``raw_weight * raw + pmi_weight * pmi + lexical_weight * lexical >=
    margin`` (the defaults: the raw margin alone), or when the raw margin is >= 0: a model whose own
    scores prefer the call is never overridden.
    ``ground``: drop an optional argument the conversation gives no ground for
    (:func:`corral.prompts.grounding.ground`); False keeps every argument as the model wrote it.
    ``ask``: when the question asks for optional arguments the call left out
    (:func:`corral.prompts.asked.asked_for`), write the call again with them required.
    """

    # Fitted on BFCL's TUNE half (logistic rule, leave-one-category-out; see the README's quality
    # section): the raw margin did not transfer; the margin against a neutral question plus the
    # lexical prior did. raw_weight=1 and the other weights 0 restore the raw rule.
    margin: float = 2.2
    raw_weight: float = 0.0
    pmi_weight: float = 0.02
    lexical_weight: float = 6.0
    pick_null: float = 1.0
    pick_lexical: float = 5.0
    more_margin: float = 0.0  # -20 (fitted on 16 TUNE items) added 3 extra calls to held-out simple items
    max_calls: int = 4
    ground: bool = True
    ask: bool = True


DEFAULT_POLICY = DecisionPolicy()
# The first rule (raw margin only, fitted on TUNE to -11.5): it did not transfer to held-out items.
RAW_POLICY = DecisionPolicy(
    margin=-11.5, raw_weight=1.0, pmi_weight=0.0, lexical_weight=0.0, pick_null=0.0, pick_lexical=0.0
)


@dataclass(frozen=True)
class Decision:
    """``kind`` is ``"call"`` (of ``tool``) or ``"text"``; ``margin`` is call score minus text score,
    ``evidence`` that plus the PMI and lexical terms (what is compared with the policy's margin)."""

    kind: str
    tool: str | None = None
    margin: float = 0.0
    evidence: float = 0.0


def decide(
    text_score: float,
    call_scores: Mapping[str, float],
    policy: DecisionPolicy = DEFAULT_POLICY,
    *,
    null: tuple[float, Mapping[str, float]] | None = None,
    lexical: Mapping[str, float] | None = None,
    coverage: float | None = None,
) -> Decision:
    """Call the best tool when the evidence clears ``policy.margin``; else answer in text.

    ``null`` is ``(text score, call scores)`` for the prompt with the user's text replaced by a
    neutral one (for the PMI term), ``lexical`` the relevance prior per tool (for the pick),
    ``coverage`` the question's coverage by all tools (for the decision; default: the best tool's
    prior). All optional.
    The tool is the best by ``call score - pick_null * neutral score + pick_lexical * lexical``.

    Example::

        >>> decide(-2.0, {}, DecisionPolicy()).kind
        'text'
        >>> p = DecisionPolicy(margin=-10.0, raw_weight=1.0, pmi_weight=0.0, lexical_weight=8.0)
        >>> decide(-1.0, {"f": -15.0}, p, lexical={"f": 0.9}).kind, decide(-1.0, {"f": -15.0}, p).kind
        ('call', 'text')
    """
    if not call_scores:
        return Decision("text")
    lex, base = lexical or {}, (null[1] if null is not None else {})
    tool = max(
        call_scores,
        key=lambda name: (
            call_scores[name] - policy.pick_null * base.get(name, 0.0) + policy.pick_lexical * lex.get(name, 0.0)
        ),
    )
    raw = call_scores[tool] - text_score
    covered = coverage if coverage is not None else lex.get(tool, 0.0)
    evidence = policy.raw_weight * raw + policy.lexical_weight * covered
    if null is not None and policy.pmi_weight and tool in null[1]:
        evidence += policy.pmi_weight * (raw - (null[1][tool] - null[0]))
    call = evidence >= policy.margin or raw >= 0.0
    return Decision("call" if call else "text", tool, raw, evidence)


def more_calls(
    end_score: float, next_scores: Mapping[str, float], made: int, policy: DecisionPolicy = DEFAULT_POLICY
) -> str | None:
    """The tool to call next, or None to end the turn after ``made`` calls.

    Example::

        >>> more_calls(-0.5, {"f": -3.0}, 1, DecisionPolicy(more_margin=-4.0))
        'f'
        >>> more_calls(-0.5, {"f": -3.0}, 1, DecisionPolicy(more_margin=-1.0)) is None
        True
    """
    if made >= policy.max_calls or not next_scores:
        return None
    tool = max(next_scores, key=lambda name: next_scores[name])
    return tool if next_scores[tool] - end_score >= policy.more_margin else None


def text_allowed(piece: str) -> bool:
    """Whether the text branch may start with ``piece`` (it never starts like a call or with a blank)."""
    return bool(piece) and piece[0] not in _NOT_TEXT_START and "<" not in piece


def call_arguments(call: str, flavor: str) -> dict[str, Any] | None:
    """The arguments of one call as a scoring backend wrote it (``{"name": ..., "parameters": ...}``,
    or ``f(a=1)`` with an optional leading ``[``); None when it does not read back.

    Example::

        >>> call_arguments('{"name": "f", "parameters": {"a": 1}}', "json")
        {'a': 1}
        >>> call_arguments("[f(a=1, b='x')", "pythonic")
        {'a': 1, 'b': 'x'}
    """
    try:
        if flavor == "pythonic":
            node = ast.parse(call.strip().removeprefix("[").strip(), mode="eval").body
            if not isinstance(node, ast.Call):
                return None
            return {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        parsed = json.loads(call)
    except (SyntaxError, ValueError):
        return None
    arguments = parsed.get("parameters", parsed.get("arguments")) if isinstance(parsed, dict) else None
    return arguments if isinstance(arguments, dict) else None


def call_text(name: str, arguments: dict[str, Any], flavor: str) -> str:
    """One call written as a scoring backend writes a further call (no list brackets).

    Example::

        >>> call_text("f", {"a": 1}, "pythonic"), call_text("f", {"a": 1}, "json")
        ('f(a=1)', '{"name": "f", "parameters": {"a": 1}}')
    """
    written = encode_calls([ToolCall(name=name, arguments=arguments)], flavor)
    return written[1:-1] if flavor == "pythonic" else written


class DecisionGrammar(str):
    """The full ``text | call`` grammar, carrying what a scoring backend needs to decide first.

    Attributes: ``openings`` (tool name -> the start of its call, up to the end of the name: what
    the backend scores for the turn's first call), ``later`` (the same for a further call, after
    ``separator``), ``rest`` (tool name -> grammar for one call's arguments and its closer, after
    the opening; :func:`with_opening` puts the opening in front), ``text_grammar``,
    ``separator`` (between calls), ``end`` (text that closes the turn's calls, may be empty),
    ``parallel``, ``policy``, ``functions`` (the offered functions, for the lexical prior), ``flavor``
    (``json`` or ``pythonic``: how a written call reads back, see :func:`call_arguments`) and
    ``question`` (the user's text this turn answers, set by :meth:`asking`; None: no PMI or lexical
    term) and ``context`` (the conversation's text, also set by :meth:`asking`: what an optional
    argument's value must be found in, see :mod:`corral.prompts.grounding`).
    """

    openings: dict[str, str]
    later: dict[str, str]
    rest: dict[str, str]
    text_grammar: str
    separator: str
    end: str
    parallel: bool
    policy: DecisionPolicy
    functions: list[dict[str, Any]]
    flavor: str = "json"
    question: str | None = None
    context: str | None = None

    def asking(self, question: str | None, context: str | None = None) -> DecisionGrammar:
        """The same grammar, deciding for ``question`` (the turn's last user message) in ``context``
        (the conversation's text: system, user and tool messages)."""
        if question == self.question and context == self.context:
            return self
        return DecisionGrammar(str(self), **{**self.__dict__, "question": question, "context": context})

    def __new__(cls, grammar: str, **parts: Any) -> DecisionGrammar:
        self = super().__new__(cls, grammar)
        for key, value in parts.items():
            setattr(self, key, value)
        return self

    def __reduce__(self) -> Any:  # picklable (the loop may hand configs to worker processes)
        return (_rebuild, (str(self), dict(self.__dict__)))


def _rebuild(grammar: str, parts: dict[str, Any]) -> DecisionGrammar:
    return DecisionGrammar(grammar, **parts)


class CallGrammar(str):
    """A calls-only grammar (``tool_choice="required"`` or a named tool) carrying the offered
    ``functions`` and the turn's ``question`` (set by :meth:`asking`), so a backend that steers its
    sampler can keep a number the question writes in parts whole (see corral.prompts.values)."""

    functions: list[dict[str, Any]]
    question: str | None = None

    def __new__(cls, grammar: str, *, functions: list[dict[str, Any]], question: str | None = None) -> CallGrammar:
        self = super().__new__(cls, grammar)
        self.functions, self.question = functions, question
        return self

    def asking(self, question: str | None, context: str | None = None) -> CallGrammar:
        """The same grammar, for ``question`` (the turn's last user message; ``context`` is not used)."""
        if question == self.question:
            return self
        return CallGrammar(str(self), functions=self.functions, question=question)

    def __reduce__(self) -> Any:  # picklable, like DecisionGrammar
        return (_rebuild_call, (str(self), self.functions, self.question))


def _rebuild_call(grammar: str, functions: list[dict[str, Any]], question: str | None) -> CallGrammar:
    return CallGrammar(grammar, functions=functions, question=question)


def decision_grammar(
    full: str, specs: list[dict[str, Any]], *, flavor: str, parallel: bool, policy: DecisionPolicy = DEFAULT_POLICY
) -> DecisionGrammar:
    """``full`` (the format's ``text | call`` grammar) annotated for a scoring backend.

    Example::

        >>> spec = {"type": "function", "function": {"name": "f", "parameters": {}}}
        >>> g = decision_grammar("root ::= text", [spec], flavor="pythonic", parallel=True)
        >>> g.openings["f"], g.later["f"], g.separator, g.end
        ('[f(', 'f(', ', ', ']')
    """
    functions = [function_of(s) for s in specs]
    # The backend writes (and scores) each opening only up to the end of the name; the grammar
    # lets the model write the rest (`, "parameters": ` and the arguments) with its own tokens:
    # text forced across a token boundary (a lone " " before "{") derails a small model.
    openings = {f["name"]: _up_to_name(f["name"], flavor) for f in functions}
    # A later call in a pythonic list has no "[" of its own: "[f(a=1), g(b=2)]".
    later = {name: text.removeprefix("[") if flavor == "pythonic" else text for name, text in openings.items()}
    rest = {f["name"]: _one_call_rest(f, flavor) for f in functions}
    text = _Builder(flavor)
    text.rules["root"] = "text"
    text.rules["text"] = _TEXT
    pythonic = flavor == "pythonic"
    return DecisionGrammar(
        full,
        openings=openings,
        later=later,
        rest=rest,
        text_grammar=text.render(),
        separator=", " if pythonic else "; ",
        end="]" if pythonic else "",
        parallel=parallel,
        policy=policy,
        functions=functions,
        flavor=flavor,
    )


def _up_to_name(name: str, flavor: str) -> str:
    if flavor == "pythonic":
        return call_prefix(name, flavor=flavor)
    return '{"name": ' + json_value(name)


def _one_call_rest(function: dict[str, Any], flavor: str) -> str:
    """After the name: the rest of the opening, the arguments, the call's closer (not the list's ``]``)."""
    b = _Builder(flavor)
    b.rules["root"] = ""
    args = b.arguments(function, "tool0")
    name = function["name"]
    head = call_prefix(name, flavor=flavor)[len(_up_to_name(name, flavor)) :]
    closer = '")"' if flavor == "pythonic" else '"}"'
    b.rules["root"] = " ".join(x for x in (gbnf_literal(head) if head else "", args, closer) if x)
    return b.render()


def rest_requiring(function: dict[str, Any], asked: Mapping[str, Any], flavor: str) -> str:
    """The rest grammar of one call of ``function`` (see :func:`_one_call_rest`) with the optional
    parameters ``asked`` required too, those mapped to a schema (not None) held to it: the call
    written again with the arguments the question asks for (:mod:`corral.prompts.asked`)."""
    parameters = dict(function.get("parameters") or {})
    properties = dict(parameters.get("properties") or {})
    for name, fixed in asked.items():
        if fixed is not None:
            properties[name] = fixed
    required = list(parameters.get("required") or ())
    parameters.update(properties=properties, required=[*required, *(n for n in asked if n not in required)])
    return _one_call_rest({**function, "parameters": parameters}, flavor)


def with_opening(rest: str, opening: str) -> str:
    """A ``rest`` grammar (see :class:`DecisionGrammar`) that starts with ``opening`` as a literal.

    Example::

        >>> with_opening('root ::= "a" "}"', "[f(")
        'root ::= "[f(" "a" "}"'
    """
    head, sep, body = rest.partition("root ::= ")
    if head or not sep:
        raise ValueError("a rest grammar starts with its root rule")
    return f"root ::= {gbnf_literal(opening)} {body}"


@dataclass
class Trace:
    """What a scoring backend decided on one turn (for benchmarks and debugging)."""

    decision: Decision
    more: list[float] = field(default_factory=list)  # next-call score minus end score, per decision
    dropped: int = 0  # further calls decoded, then dropped (a repeat, or no unused value used)
