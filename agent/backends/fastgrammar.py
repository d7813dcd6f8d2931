"""Fast grammar-constrained sampling for llama-cpp-python: check candidates in logit order.

llama-cpp-python puts the GBNF grammar sampler inside its sampler chain, so llama.cpp checks the
grammar against every token of the vocabulary (49,152 for SmolLM2) at every step: 7-24 ms per
token on two cores, more than the model's own forward pass. Yet the token that wins is almost
always among the few highest logits. ``GrammarSampler`` therefore checks candidates in descending
logit order, in growing windows (1, 32, 512, then the rest), and stops as soon as it has what the
rest of the chain needs: for greedy decoding the first valid token, which is exactly the token the
full check picks; for sampling the ``top_k`` best valid tokens (the set llama.cpp's ``top_k`` keeps
after the grammar), or fewer when every unchecked token lies below ``min_p``'s cut-off (then only
``top_p``'s normalisation sees a slightly smaller set). The cost falls to tens of microseconds.

``FastGrammarLlama`` is a drop-in ``llama_cpp.Llama`` that uses it whenever ``grammar=`` is passed
(``create_completion``, ``__call__``, ``generate``); everything else is llama-cpp-python's.
``compile_grammar`` builds the llama.cpp grammar sampler and raises ``GrammarError`` instead of
handing llama.cpp a grammar it cannot parse.

Example::

    >>> from corral.backends.fastgrammar import FastGrammarLlama   # doctest: +SKIP
    >>> llm = FastGrammarLlama(path, n_ctx=2048, n_threads=2, verbose=False)  # doctest: +SKIP
    >>> g = llama_cpp.LlamaGrammar.from_string('root ::= "yes" | "no"')  # doctest: +SKIP
    >>> llm("Is water wet? ", grammar=g, max_tokens=4, temperature=0)["choices"][0]["text"]  # doctest: +SKIP
    'yes'
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import llama_cpp
import numpy as np

from ..exceptions import GrammarError

__all__ = [
    "GrammarSampler",
    "FastGrammarLlama",
    "SamplingParams",
    "compile_grammar",
    "WINDOWS",
    "last_logits",
    "is_eog",
]

# Candidate windows, checked in logit order; the last one is "everything else".
WINDOWS = (1, 32, 512)

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.float32), ("p", np.float32)], align=True)


@dataclass(frozen=True, kw_only=True)
class SamplingParams:
    """The sampling settings that decide how many valid candidates the grammar check must find."""

    temperature: float = 0.0
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    typical_p: float = 1.0
    seed: int = 0xFFFFFFFF

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


def compile_grammar(vocab: Any, grammar: str, root: str = "root") -> Any:
    """Build llama.cpp's grammar sampler for ``grammar``; GrammarError if llama.cpp rejects it.

    llama.cpp returns NULL for a grammar it cannot parse; llama-cpp-python would add that NULL to
    its chain and crash later, so we check here.
    """
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode("utf-8"))
    if not sampler:
        raise GrammarError(
            f"llama.cpp could not parse the grammar (root rule {root!r}); validate it with corral.prompts before use"
        )
    return sampler


def _as_array(data: np.ndarray) -> llama_cpp.llama_token_data_array:
    return llama_cpp.llama_token_data_array(
        data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(data), selected=-1, sorted=False
    )


# A small model under a grammar can loop inside a value ("fina_fina_fina...", "A.A.A.A...") until
# max_tokens, leaving a call or an answer that never closes. Once the last tokens are one short
# pattern repeated, the tokens that close a string, list or object get this much extra logit: the
# grammar keeps the structure valid, the loop ends, and the value is kept as far as it got.
LOOP_BOOST = 30.0
# How far a caller steers a number toward one the question writes in full (see
# corral.prompts.values.number_continuation): enough to outweigh a small model's habit of stopping
# after the first digit group, not to overrule the grammar.
PREFER_BOOST = 10.0
_MAX_PERIOD = 12


def looping(history: list[int]) -> bool:
    """Whether the tokens end in a pattern of 2-12 tokens written three times over (one token: eight).

    Example::

        >>> looping([5, 1, 2, 1, 2, 1, 2]), looping([1, 2, 3, 4, 5, 6]), looping([7] * 8)
        (True, False, True)
    """
    n = len(history)
    if n >= 8 and len(set(history[-8:])) == 1:
        return True
    for period in range(2, min(_MAX_PERIOD, n // 3) + 1):
        tail = history[-period:]
        if len(set(tail)) == 1:
            continue  # one token over and over: the eight-times rule above decides
        if history[-2 * period : -period] == tail and history[-3 * period : -2 * period] == tail:
            return True
    return False


def closing_tokens(llm: Any) -> np.ndarray:
    """The ids of the tokens that only close strings, lists, objects or a Python-style call (``"``,
    ``"]``, ``}``, ``)``...; not ``",``, which closes a string only to start the next item of the
    loop) (cached)."""
    cached = getattr(llm, "_corral_closers", None)
    if cached is None:
        ids = [t for t in range(llm.n_vocab()) if _only_closes(llm.detokenize([t]))]
        cached = llm._corral_closers = np.array(ids, dtype=np.int64)
    return cached


def string_closing_tokens(llm: Any) -> np.ndarray:
    """The closing tokens that start with a quote (cached). Inside a string, "]" and ")" are just
    characters the grammar allows, so a loop of "]]]]" would go on with every closer favoured
    alike; these get favoured more, and where no string is open the grammar refuses them."""
    cached = getattr(llm, "_corral_string_closers", None)
    if cached is None:
        ids = [int(t) for t in closing_tokens(llm) if llm.detokenize([int(t)]).startswith(b'"')]
        cached = llm._corral_string_closers = np.array(ids, dtype=np.int64)
    return cached


def digit_tokens(llm: Any) -> dict[str, int]:
    """Token id by text for the tokens that are only digits ("0", "000", "25") (cached)."""
    cached = getattr(llm, "_corral_digits", None)
    if cached is None:
        cached = {}
        for t in range(llm.n_vocab()):
            text = llm.detokenize([t])
            if text.isdigit() and text.isascii():
                cached.setdefault(text.decode("ascii"), t)
        llm._corral_digits = cached
    return cached


def _only_closes(text: bytes) -> bool:
    return text[:1] in (b'"', b"]", b"}", b")") and not text.strip(b'"]}) \t\n')


class GrammarSampler:
    """One generation's grammar state; picks the next token from raw logits.

    Example::

        >>> gs = GrammarSampler(llm._model.vocab, 'root ::= "a"+', SamplingParams(), n_vocab=llm.n_vocab())  # doctest: +SKIP
        >>> token = gs.choose(logits); gs.accept(token)  # doctest: +SKIP
    """

    def __init__(
        self,
        vocab: Any,
        grammar: str,
        params: SamplingParams,
        *,
        n_vocab: int,
        root: str = "root",
        closers: np.ndarray | None = None,
        string_closers: np.ndarray | None = None,
    ) -> None:
        self._grammar = compile_grammar(vocab, grammar, root)
        # Tokens that close a string, list, object or call: favoured once the output loops (see
        # looping); those that close a string twice as much (see string_closing_tokens).
        self._closers = closers
        self._string_closers = string_closers
        # Set by a caller whose own check saw a loop this sampler's exact-repeat rule misses (a
        # string growing ".json.json..."): from then on every step favours closing.
        self.closing = False
        # Set by a caller steering the next token: ``bias`` is added to the logits; ``boost`` too,
        # unless the best token is one of ``unless`` (the model already does what it would ask).
        self.bias: np.ndarray | None = None
        self.boost: np.ndarray | None = None
        self.unless: frozenset[int] = frozenset()
        self._history: list[int] = []
        self.loops_broken = 0
        self._params = params
        self._tail = None if params.greedy else self._make_tail(params)
        # Preallocated buffers: building numpy/ctypes objects per step costs more than the check.
        self._buf = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._array = _as_array(self._buf)
        self._one = llama_cpp.llama_token_data()
        self._one_array = llama_cpp.llama_token_data_array(
            data=ctypes.pointer(self._one), size=1, selected=-1, sorted=False
        )
        self.full_checks = 0  # steps that needed the whole vocabulary (reported by benchmarks)
        self.steps = 0

    def choose(self, logits: np.ndarray) -> int:
        """The token the stock chain (grammar -> top_k -> ... -> dist or greedy) would pick; once the
        tokens so far loop, the same with closing tokens favoured (the grammar still decides)."""
        self.steps += 1
        if self._closers is not None and len(self._closers) and (self.closing or looping(self._history)):
            self.loops_broken += 1
            logits = logits.copy()
            logits[self._closers] += LOOP_BOOST
            if self._string_closers is not None:
                logits[self._string_closers] += LOOP_BOOST
        # The caller's steering applies in a loop too (eight zeros in a row is both)
        if self.boost is not None and int(logits.argmax()) not in self.unless:
            logits = logits + self.boost
        if self.bias is not None:
            logits = logits + self.bias
        if self._params.greedy:
            best = int(logits.argmax())
            if self._allows(best):
                return best
            ids, _ = self._valid_in_logit_order(logits, 1)
        else:
            ids, values = self._valid_in_logit_order(logits, max(1, self._params.top_k))
            if len(ids):
                return self._sample(ids, values)
        if len(ids) == 0:
            raise GrammarError("no token satisfies the grammar at this point (the grammar dead-ends)")
        return int(ids[0])

    def accept(self, token: int) -> None:
        """Advance the grammar past ``token``."""
        llama_cpp.llama_sampler_accept(self._grammar, token)
        self._history.append(token)

    def close(self) -> None:
        """Free the llama.cpp samplers (also done on garbage collection)."""
        for name in ("_grammar", "_tail"):
            sampler = getattr(self, name, None)
            if sampler:
                llama_cpp.llama_sampler_free(sampler)
            setattr(self, name, None)

    __del__ = close

    def _allows(self, token: int) -> bool:
        self._one.id, self._one.logit, self._one.p = token, 0.0, 0.0
        self._one_array.size, self._one_array.selected = 1, -1
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        return self._one.logit != float("-inf")

    def _valid_in_logit_order(self, logits: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray]:
        ranked = self._ranked(logits, WINDOWS[-1])
        ids: list[np.ndarray] = []
        values: list[np.ndarray] = []
        count, start = 0, 0
        for end in WINDOWS:
            window_ids, window_values = self._check(ranked[start:end], logits)
            ids.append(window_ids)
            values.append(window_values)
            count += len(window_ids)
            if count >= need or self._rest_is_cut(values, ranked, end, logits):
                return np.concatenate(ids)[:need], np.concatenate(values)[:need]
            start = end
        self.full_checks += 1  # rare: the rest of the vocabulary in one unsorted pass
        rest = np.ones(len(logits), dtype=bool)
        rest[ranked] = False
        rest_ids, rest_values = self._check(np.flatnonzero(rest), logits)
        order = np.argsort(-rest_values, kind="stable")
        ids.append(rest_ids[order])
        values.append(rest_values[order])
        return np.concatenate(ids)[:need], np.concatenate(values)[:need]

    def _rest_is_cut(self, values: list[np.ndarray], ranked: np.ndarray, end: int, logits: np.ndarray) -> bool:
        """True when min_p would drop every unchecked token anyway (so the scan can stop early).

        llama.cpp's min_p keeps tokens whose logit is at least ``best + ln(min_p)``; unchecked
        tokens all have logits at or below ``logits[ranked[end]]``.
        """
        if self._params.greedy or self._params.min_p <= 0.0 or end >= len(ranked):
            return False
        found = [float(v[0]) for v in values if len(v)]
        if not found:
            return False
        return float(logits[ranked[end]]) < max(found) + float(np.log(self._params.min_p))

    @staticmethod
    def _ranked(logits: np.ndarray, size: int) -> np.ndarray:
        size = min(size, len(logits))
        top = np.argpartition(logits, len(logits) - size)[len(logits) - size :]
        return top[np.argsort(-logits[top], kind="stable")]

    def _check(self, ids: np.ndarray, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ids (and logits) among ``ids`` the grammar allows next, in the given order."""
        view = self._buf[: len(ids)]
        view["id"] = ids
        view["logit"] = logits[ids]
        self._array.data = self._buf.ctypes.data_as(llama_cpp.llama_token_data_p)
        self._array.size, self._array.selected, self._array.sorted = len(ids), -1, False
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(self._array))
        keep = view["logit"] != -np.inf
        return ids[keep], view["logit"][keep].copy()

    @staticmethod
    def _make_tail(params: SamplingParams) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        for sampler in (
            llama_cpp.llama_sampler_init_top_k(params.top_k),
            llama_cpp.llama_sampler_init_typical(params.typical_p, 1),
            llama_cpp.llama_sampler_init_top_p(params.top_p, 1),
            llama_cpp.llama_sampler_init_min_p(params.min_p, 1),
            llama_cpp.llama_sampler_init_temp(params.temperature),
            llama_cpp.llama_sampler_init_dist(params.seed),
        ):
            llama_cpp.llama_sampler_chain_add(chain, sampler)
        return chain

    def _sample(self, ids: np.ndarray, values: np.ndarray) -> int:
        view = self._buf[: len(ids)]
        view["id"], view["logit"], view["p"] = ids, values, 0.0
        self._array.data = self._buf.ctypes.data_as(llama_cpp.llama_token_data_p)
        self._array.size, self._array.selected, self._array.sorted = len(ids), -1, False
        llama_cpp.llama_sampler_apply(self._tail, ctypes.byref(self._array))
        return int(self._array.data[self._array.selected].id)


class FastGrammarLlama(llama_cpp.Llama):
    """``llama_cpp.Llama`` whose ``grammar=`` path uses GrammarSampler; identical otherwise.

    Falls back to llama-cpp-python's own path when repetition penalties or mirostat are on (they
    reorder logits in ways the windowed check does not model).
    """

    _corral_grammar: GrammarSampler | None = None

    def _init_sampler(self, *args: Any, **kwargs: Any):  # noqa: ANN202 - llama-cpp-python's signature
        grammar = kwargs.get("grammar")
        self._release_grammar()
        if grammar is not None and _windowed_ok(kwargs):
            params = SamplingParams(
                temperature=kwargs.get("temp", 0.8),
                top_k=kwargs.get("top_k", 40),
                top_p=kwargs.get("top_p", 0.95),
                min_p=kwargs.get("min_p", 0.05),
                typical_p=kwargs.get("typical_p", 1.0),
                seed=self._seed,
            )
            self._corral_grammar = GrammarSampler(
                self._model.vocab,
                grammar._grammar,
                params,
                n_vocab=self._n_vocab,
                root=getattr(grammar, "_root", "root"),
                closers=closing_tokens(self),
                string_closers=string_closing_tokens(self),
            )
            kwargs["grammar"] = None  # the chain below still exists for llama-cpp-python's bookkeeping
        return super()._init_sampler(*args, **kwargs)

    def sample(self, *args: Any, idx: int | None = None, **kwargs: Any) -> int:
        grammar = self._corral_grammar
        if grammar is None or kwargs.get("grammar") is None:
            return super().sample(*args, idx=idx, **kwargs)
        ridx = idx - self.n_tokens if idx is not None else -1
        pointer = llama_cpp.llama_get_logits_ith(self._ctx.ctx, ridx)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        token = grammar.choose(logits)
        grammar.accept(token)
        return token

    def _release_grammar(self) -> None:
        if self._corral_grammar is not None:
            self._corral_grammar.close()
            self._corral_grammar = None


def _windowed_ok(kwargs: dict[str, Any]) -> bool:
    neutral = (
        kwargs.get("repeat_penalty", 1.0) == 1.0
        and kwargs.get("frequency_penalty", 0.0) == 0.0
        and kwargs.get("presence_penalty", 0.0) == 0.0
    )
    return neutral and kwargs.get("mirostat_mode", 0) == 0 and not kwargs.get("logits_processor")


def last_logits(llm: Any) -> np.ndarray:
    """A copy of the logits after the last evaluated token (llama-cpp-python keeps none without logits_all)."""
    pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(pointer, shape=(llm._n_vocab,)).astype(np.float64)


def is_eog(llm: Any, token: int) -> bool:
    """Whether ``token`` ends generation (EOS, EOT, <|im_end|>, ...) for this model."""
    return bool(llama_cpp.llama_vocab_is_eog(llm._model.vocab, int(token)))
