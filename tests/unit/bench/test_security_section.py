"""The security section is opt-in (``--only security``) and says why it is skipped without AgentDojo."""

from __future__ import annotations

import builtins

from corral.bench.config import QUICK, BenchConfig
from corral.bench.runner import OPT_IN, SECTIONS
from corral.bench.security import Score, markdown, markdown_by_attack, security_section


def test_security_is_a_section_but_not_part_of_the_default_run():
    assert "security" in SECTIONS and "security" in OPT_IN


def test_without_agentdojo_the_section_is_skipped_with_the_install_command(monkeypatch):
    real_import = builtins.__import__

    def no_agentdojo(name, *args, **kw):
        if name.startswith("agentdojo"):
            raise ImportError(name)
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_agentdojo)
    config = BenchConfig(size=QUICK, n_threads=1, n_ctx=512, model_path=None, data_dir=None)
    result = security_section(config)
    assert result.status == "skipped" and "corral[security]" in result.reason


def test_scores_and_table():
    score = Score(utility=[True, True, False, True], utility_attacked=[True, False], attacked=[False, False, True])
    d = score.to_dict()
    assert (d["utility"], d["utility_under_attack"], round(d["asr"], 1)) == (75.0, 50.0, 33.3)
    table = markdown({"banking": {"default": score}, "slack": {"default": Score()}})
    assert "| banking | default | 75.0 % | 50.0 % | 33.3 % | 4 / 3 |" in table
    assert "| slack | default | n/a | n/a | n/a | 0 / 0 |" in table


def test_the_other_attacks_table_has_a_line_per_suite_attack_and_layer():
    hit, missed = (
        Score(utility_attacked=[True, True], attacked=[True, False]),
        Score(utility_attacked=[False], attacked=[False]),
    )
    table = markdown_by_attack(
        {"direct": {"banking": {"none": hit, "default": missed}}, "injecagent": {"banking": {"default": missed}}}
    )
    lines = table.splitlines()
    assert lines[2:] == [
        "| banking | direct | none | 100.0 % | 50.0 % | 2 |",
        "| banking | direct | default | 0.0 % | 0.0 % | 1 |",
        "| banking | injecagent | default | 0.0 % | 0.0 % | 1 |",
    ]
