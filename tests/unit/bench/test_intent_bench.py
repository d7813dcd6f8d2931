"""corral.bench.intent reads tau2's task files from an inspect_evals wheel and counts false refusals."""

from __future__ import annotations

import json
import zipfile

import pytest

from corral.bench.intent import TAU2_DOMAINS, intent_on_tau2, main, tau2_half, tau2_tasks

ROOT = "inspect_evals/tau2/data/domains/"


def fake_wheel(tmp_path, tasks_by_domain):
    wheel = tmp_path / "inspect_evals-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for domain, name in TAU2_DOMAINS.items():
            zf.writestr(ROOT + name, json.dumps(tasks_by_domain.get(domain, [])))
    return wheel


def task(task_id, reason, *actions, requestor="assistant"):
    return {
        "id": task_id,
        "user_scenario": {"instructions": {"reason_for_call": reason, "task_instructions": "Be brief."}},
        "evaluation_criteria": {"actions": [{"name": a, "requestor": requestor} for a in actions]},
    }


def test_each_expected_acting_action_is_counted_against_the_users_goal(tmp_path):
    tasks = {
        "retail": [
            task("1", "You want to cancel order #W1.", "get_order_details", "cancel_pending_order"),
            task("2", "You want to know where order #W2 is.", "cancel_pending_order"),
            task("3", "You want to cancel order #W3.", "toggle_airplane_mode", requestor="user"),  # the user's tool
        ]
    }
    wheel = fake_wheel(tmp_path, tasks)
    rows = list(tau2_tasks(wheel))
    assert [r[3] for r in rows] == [["get_order_details", "cancel_pending_order"], ["cancel_pending_order"], []]
    assert rows[0][2] == "You want to cancel order #W1.\nBe brief."
    tallies = intent_on_tau2(wheel)
    both = {half: (t.allowed, t.total) for half, t in tallies.items()}
    assert sum(a for a, _ in both.values()) == 1 and sum(n for _, n in both.values()) == 2
    assert tallies[tau2_half("retail", "2")].blocked == [
        ("cancel_pending_order", "You want to know where order #W2 is.\nBe brief.")
    ]


def test_a_wheel_without_tau2_is_a_clear_error_and_the_cli_prints_a_table(tmp_path, capsys):
    empty = tmp_path / "other.whl"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("x.txt", "")
    with pytest.raises(FileNotFoundError, match="is it an inspect_evals wheel"):
        intent_on_tau2(empty)
    assert (
        main(["--tau2", str(fake_wheel(tmp_path, {"mock": [task("7", "Mark the task done.", "update_task_status")]}))])
        == 0
    )
    assert "tau2-bench, " in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([])
    assert main(["--tau2", str(tmp_path / "missing.whl")]) == 2
    (tmp_path / "not-a-zip.whl").write_text("no")
    assert main(["--tau2", str(tmp_path / "not-a-zip.whl")]) == 2
    assert main(["--tau2", str(empty)]) == 2  # no tau2 files in it
    assert "is it an inspect_evals wheel" in capsys.readouterr().err
