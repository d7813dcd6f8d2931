"""The loop renders incrementally: every prompt is exactly the full render, with one date per run."""

from __future__ import annotations

import datetime as dt

import pytest

import corral.prompts.incremental as incremental
from corral.prompts import get_format


@pytest.mark.parametrize("fmt", ["llama3.2", "llama3.2-json", "llama3"])
def test_every_prompt_equals_the_full_render_of_the_history(make_agent, fmt):
    texts = ["[add(a=1, b=2)]", "not [a call", '[lookup(city="Paris"), add(a=3, b=4)]', "Done."]
    if fmt != "llama3.2":
        texts = ['{"name": "add", "parameters": {"a": 1, "b": 2}}', "Done."]
    agent, backend = make_agent(texts, system="Be brief.", date=dt.date(2025, 3, 4))
    agent = agent.replace(format=fmt)
    backend = agent.backend
    result = agent.run("Add things")
    assert result.stop_reason == "final"
    format_ = get_format(fmt)
    # Rebuild each turn's history: the messages before each assistant reply.
    starts = [i for i, m in enumerate(result.messages) if m.role == "assistant"]
    assert len(starts) == len(backend.prompts)
    tools = agent.policy.tools_for(None)
    for prompt, end in zip(backend.prompts, starts):
        assert prompt == format_.render(result.messages[:end], tools, date=dt.date(2025, 3, 4))


def test_two_runs_of_one_agent_share_the_rendered_head(make_agent):
    agent, backend = make_agent(["Hi.", "Hi again."], system="Be brief.")
    agent.run("one")
    agent.run("two")
    assert len(agent.policy._heads) == 1
    assert backend.prompts[1].startswith(backend.prompts[0].split("<|start_header_id|>user")[0])


def test_a_run_keeps_one_date_even_across_midnight(make_agent, monkeypatch):
    days = iter([dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)])

    class Clock:  # datetime.date.today() cannot be patched on the C type; the module's name can
        class date:
            @staticmethod
            def today():
                return next(days)

    monkeypatch.setattr(incremental, "_dt", Clock)
    agent, backend = make_agent(["[add(a=1, b=2)]", "[add(a=2, b=2)]", "Done."])
    assert agent.run("Add").stop_reason == "final"
    assert all("Today Date: 01 January 2025" in p for p in backend.prompts)
    assert len(backend.prompts) == 3
