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


def test_a_sample_of_none_is_empty_and_of_too_many_is_all():
    from corral.bench.security import _sample

    assert _sample(list(range(10)), 0) == []
    assert _sample(list(range(10)), 3) == [0, 3, 6]
    assert _sample([1, 2], 5) == [1, 2]


def test_the_bench_prints_the_security_tables_below_its_rows(capsys):
    from corral.bench.report import SectionResult
    from corral.bench.runner import _print_security

    data = {"table": "| suite | defences |", "other_table": "| suite | attack |"}
    _print_security([SectionResult(name="security", data=data)])
    out = capsys.readouterr().out
    assert out.index("| suite | defences |") < out.index("| suite | attack |")
    _print_security([SectionResult(name="security", data={"table": "| quick |"})])  # a quick run: no other attacks
    assert "other attacks" not in capsys.readouterr().out
