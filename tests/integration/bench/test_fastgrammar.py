"""FastGrammarLlama on the real tiny model: same text as llama-cpp-python's grammar path, and valid."""

from __future__ import annotations

import json
import re

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from corral.backends.fastgrammar import FastGrammarLlama, GrammarSampler, SamplingParams, compile_grammar  # noqa: E402
from corral.exceptions import GrammarError  # noqa: E402

CALL = r"""
root ::= call
call ::= "{\"name\": \"get_weather\", \"arguments\": {\"city\": " string ", \"unit\": " unit "}}"
unit ::= "\"celsius\"" | "\"fahrenheit\""
string ::= "\"" char{1,40} "\""
char ::= [^"\\\x00-\x1f] | "\\" ["\\/bfnrt]
"""
TEXT_OR_CALL = CALL.replace("root ::= call", "root ::= text | call\ntext ::= [^{] [^\\x00]*")
CALL_RE = re.compile(
    r'^\{"name": "get_weather", "arguments": \{"city": "[^"]{1,40}", "unit": "(celsius|fahrenheit)"\}\}$'
)

PROMPT = (
    "<|im_start|>system\nYou can call get_weather(city, unit). To call it, answer only with JSON "
    '{{"name": ..., "arguments": {{...}}}}.<|im_end|>\n<|im_start|>user\nWhat is the weather in {city}?'
    "<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture(scope="module")
def pair(tiny_model_path):
    kwargs = dict(n_ctx=1024, n_threads=2, n_batch=512, verbose=False, seed=0)
    return llama_cpp.Llama(str(tiny_model_path), **kwargs), FastGrammarLlama(str(tiny_model_path), **kwargs)


def _text(llm, prompt, grammar_text, **kw):
    grammar = llama_cpp.LlamaGrammar.from_string(grammar_text, verbose=False)
    out = llm.create_completion(prompt, max_tokens=48, grammar=grammar, **kw)
    return out["choices"][0]["text"]


@pytest.mark.parametrize("city", ["Paris", "New York", "Tokyo"])
@pytest.mark.parametrize("grammar_text", [CALL, TEXT_OR_CALL], ids=["call", "text-or-call"])
def test_greedy_output_is_exactly_the_stock_output(pair, city, grammar_text):
    stock, fast = pair
    prompt = PROMPT.format(city=city)
    expected = _text(stock, prompt, grammar_text, temperature=0.0)
    assert _text(fast, prompt, grammar_text, temperature=0.0) == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sampled_output_still_satisfies_the_grammar(pair, seed):
    _, fast = pair
    text = _text(fast, PROMPT.format(city="Lima"), CALL, temperature=0.9, seed=seed)
    assert CALL_RE.match(text), text
    json.loads(text)


def test_penalties_fall_back_to_the_stock_path_and_stay_valid(pair):
    _, fast = pair
    text = _text(fast, PROMPT.format(city="Oslo"), CALL, temperature=0.0, repeat_penalty=1.3)
    assert CALL_RE.match(text), text
    assert fast._corral_grammar is None  # the windowed sampler was not used


def test_free_text_is_untouched(pair):
    stock, fast = pair
    prompt = PROMPT.format(city="Rome")
    a = stock.create_completion(prompt, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    b = fast.create_completion(prompt, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    assert a == b


def test_most_steps_need_no_full_vocabulary_check(pair):
    _, fast = pair
    _text(fast, PROMPT.format(city="Berlin"), CALL, temperature=0.0)
    sampler = fast._corral_grammar
    assert sampler is not None and sampler.steps >= 10
    assert sampler.full_checks <= 2  # the first token or two at most: later ones are found in the top window


def test_invalid_grammar_is_an_error_not_a_crash(pair):
    _, fast = pair
    for bad in ("root ::= undefined_rule", "root ::= [a-", 'rot ::= "a"'):
        with pytest.raises(GrammarError, match="could not parse"):
            compile_grammar(fast._model.vocab, bad)


def test_dead_end_grammar_raises_grammar_error(pair):
    _, fast = pair
    sampler = GrammarSampler(fast._model.vocab, 'root ::= "a"', SamplingParams(), n_vocab=fast.n_vocab())
    import numpy as np

    logits = np.zeros(fast.n_vocab(), dtype=np.float32)
    first = sampler.choose(logits)
    assert fast.detokenize([first]) == b"a"
    sampler.accept(first)
    # After "a" only end-of-generation is allowed; with EOG tokens filtered out nothing is left.
    eog = [t for t in range(fast.n_vocab()) if llama_cpp.llama_vocab_is_eog(fast._model.vocab, t)]
    logits[eog] = -np.inf
    with pytest.raises(GrammarError, match="dead-ends"):
        sampler.choose(logits)
    sampler.close()


def test_a_value_that_loops_is_closed_instead_of_running_to_max_tokens(pair):
    # The answer starts inside a looping string; the stock path continues the loop until
    # max_tokens, leaving JSON that never closes. The fast path sees the loop and favours the
    # closing token, which the grammar allows: the value ends and the JSON is whole.
    stock, fast = pair
    prompt = '<|im_start|>user\nWrite JSON.<|im_end|>\n<|im_start|>assistant\n{"word": "ab ab ab ab ab ab ab ab'
    grammar = 'root ::= [a-z ]{0,300} "\\"}"'
    looped = stock.create_completion(
        prompt, max_tokens=96, grammar=llama_cpp.LlamaGrammar.from_string(grammar, verbose=False), temperature=0.0
    )["choices"][0]
    assert looped["finish_reason"] == "length"  # the loop this guards against is real
    closed = fast.create_completion(
        prompt, max_tokens=96, grammar=llama_cpp.LlamaGrammar.from_string(grammar, verbose=False), temperature=0.0
    )["choices"][0]
    assert closed["finish_reason"] == "stop" and closed["text"].endswith('"}'), closed
    assert json.loads('{"word": "ab' + closed["text"])["word"].startswith("ab ab")


def test_looping_sees_short_patterns_repeated_three_times_and_nothing_else():
    from corral.backends.fastgrammar import looping

    assert looping([9, 1, 2, 3, 1, 2, 3, 1, 2, 3])
    assert looping([4] * 8) and not looping([4] * 7)  # a lone token repeats legitimately ("0000000")
    assert not looping([1, 2, 3, 1, 2, 3, 4]) and not looping(list(range(40)))


def test_the_closing_tokens_close_and_start_nothing(pair):
    from corral.backends.fastgrammar import closing_tokens

    _, fast = pair
    texts = {fast.detokenize([int(t)]) for t in closing_tokens(fast)}
    assert {b'"', b"]", b"}", b")"} <= texts
    # '",' closes a string only to open the next item of a looping list; '"name' opens a key
    assert all(not text.strip(b'"]}) \t\n') for text in texts)
    assert all(fast.detokenize([t]) not in texts for t in fast.tokenize(b'",', add_bos=False, special=False))


@pytest.mark.parametrize("loop", ["]", ")"])
def test_a_loop_of_closing_characters_inside_a_string_is_closed_by_its_quote(pair, loop):
    # BFCL multiple_8 in the llama3.2 format: location=".{location}...{property]]]]]]..." until
    # max_tokens. Inside a string "]" and ")" are characters the grammar allows, so favouring every
    # closer alike kept the loop going; the quote that ends the string is favoured more.
    import numpy as np

    from corral.backends.fastgrammar import closing_tokens, string_closing_tokens

    _, fast = pair
    [char] = fast.tokenize(loop.encode(), add_bos=False, special=False)
    [quote] = fast.tokenize(b'"', add_bos=False, special=False)
    grammar = 'root ::= [a-z\\])]{0,300} "\\""'
    logits = np.zeros(fast.n_vocab(), dtype=np.float32)
    logits[char], logits[quote] = 5.0, -5.0  # the model would go on writing the loop
    picks = {}
    for name, extra in (("alike", None), ("quote first", string_closing_tokens(fast))):
        sampler = GrammarSampler(
            fast._model.vocab,
            grammar,
            SamplingParams(temperature=0.0),
            n_vocab=fast.n_vocab(),
            closers=closing_tokens(fast),
            string_closers=extra,
        )
        for _ in range(8):
            sampler.accept(char)
        picks[name] = sampler.choose(logits.copy())
        sampler.close()
    assert picks == {"alike": char, "quote first": quote}
