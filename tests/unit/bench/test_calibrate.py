"""Fitting the decision margin and the leave-one-category-out check (pure functions)."""

import pytest

from corral.bench.calibrate import fit_threshold, leave_one_category_out, rates


def test_a_separable_set_gets_a_threshold_between_the_classes():
    margins = {"simple_python": [-2.0, -4.0, -6.0], "multiple": [-5.0, -7.0], "irrelevance": [-12.0, -15.0, -30.0]}
    t = fit_threshold(margins)
    assert -12.0 < t <= -7.0
    assert rates(margins, t) == {"simple_python": 1.0, "multiple": 1.0, "irrelevance": 1.0}


def test_overlap_trades_call_rate_against_irrelevance():
    margins = {"simple_python": [-2.0, -9.0, -11.0], "irrelevance": [-10.0, -20.0]}
    t = fit_threshold(margins)
    r = rates(margins, t)
    assert 0 < r["simple_python"] <= 1 and 0 < r["irrelevance"] <= 1
    assert (r["simple_python"] + r["irrelevance"]) / 2 >= 0.75


def test_leave_one_out_reports_the_held_category_at_a_threshold_fitted_without_it():
    margins = {"simple_python": [-2.0, -3.0], "parallel": [-14.0, -16.0], "irrelevance": [-12.0, -13.0]}
    out = leave_one_category_out(margins)
    assert set(out) == {"simple_python", "parallel"}
    assert out["parallel"]["call_rate"] == 0.0  # fitted on simple vs irrelevance: parallel's low margins fall below
    assert out["simple_python"]["call_rate"] == 1.0


def test_no_margins_is_an_error():
    with pytest.raises(ValueError):
        fit_threshold({})
