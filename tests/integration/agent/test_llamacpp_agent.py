"""The embedded backend with the real tiny model (SmolLM2-135M-Instruct): grammar-constrained calls,
KV prefix reuse measured per turn, streaming, format detection from the GGUF."""

from __future__ import annotations

import pytest

from corral import Agent, ModelDelta


@pytest.fixture(scope="module")
def runs(tiny_backend, two_tools):
    """One multi-turn conversation: a forced, grammar-constrained call, a free turn, then a text answer."""
    agent = Agent(tiny_backend, tools=two_tools, guards=None, tool_choice="required", max_turns=2, max_tokens=48)
    first = agent.run("What is 12 plus 30? Use the add tool.")
    talk = agent.replace(tool_choice="none", max_tokens=24)
    events = list(talk.stream("Now answer me in one short sentence.", history=first))
    return agent, first, events


def test_format_comes_from_the_gguf(runs):
    agent, _, _ = runs
    assert agent.policy.format_name == "jinja"  # SmolLM2 is no Llama: its embedded template is used
    assert "<|im_end|>" in agent.policy.stop


def test_grammar_constrained_call_runs_end_to_end(runs):
    _, first, events = runs
    call = first.tool_calls[0]
    assert first.stop_reason in ("final", "max_turns", "repeated_call"), first.stop_message
    # the grammar allowed only well-formed calls to our tools, with schema-shaped arguments
    assert call.name in ("add", "lookup") and call.status == "ok", call
    if call.name == "add":
        assert call.result == str(call.arguments["a"] + call.arguments["b"])
    final = events[-1].result
    assert final.ok and isinstance(final.output, str) and final.output.strip()
    deltas = "".join(e.text for e in events if isinstance(e, ModelDelta))
    assert deltas.strip() == final.output.strip()


def test_prefix_reuse_is_measured(runs):
    _, first, events = runs
    turns = first.turns + events[-1].result.turns
    naive = sum(t.prompt_tokens for t in turns)
    evaluated = sum(t.prompt_tokens_evaluated for t in turns)
    last = turns[-1].prompt_tokens
    print(
        f"\nprefix reuse: {len(turns)} turns, evaluated {evaluated} prompt tokens, "
        f"naive sum {naive}, final prompt {last}"
    )
    for t in turns:
        print(f"  turn {t.turn}: prompt {t.prompt_tokens}, evaluated {t.prompt_tokens_evaluated}")
    assert all(t.prompt_tokens_evaluated < t.prompt_tokens for t in turns[1:])
    assert evaluated <= last + 8 * len(turns)  # close to the final prompt, not to the naive sum
    assert evaluated < 0.75 * naive
