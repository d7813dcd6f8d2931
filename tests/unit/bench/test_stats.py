import math

import pytest

from corral.bench.stats import Paired, finite_or_none, interleave, median, paired_ratio, ratio


def test_median_odd_and_even():
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([7]) == 7.0


def test_median_of_nothing_says_what_to_do():
    with pytest.raises(ValueError, match="at least one repetition"):
        median([])


def test_ratio_by_zero_is_nan_not_an_exception():
    assert ratio(1.0, 4.0) == 0.25
    assert math.isnan(ratio(1.0, 0.0))


def test_paired_ratio_is_the_median_of_per_round_ratios_not_a_ratio_of_medians():
    # Rounds drift (2x slower in the middle) but each pair is compared with itself.
    a = [10.0, 5.0, 10.0]
    b = [20.0, 10.0, 40.0]
    assert paired_ratio(a, b) == 0.5
    assert median(a) / median(b) == 0.5 and paired_ratio([1, 2, 100], [2, 4, 1]) == 0.5


def test_paired_ratio_rejects_mismatched_series():
    with pytest.raises(ValueError, match="equal"):
        paired_ratio([1.0], [1.0, 2.0])


def test_interleave_alternates_who_goes_first():
    order: list[str] = []

    def a():
        order.append("a")
        return 1.0

    def b():
        order.append("b")
        return 2.0

    paired = interleave(a, b, 4)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert isinstance(paired, Paired)
    assert paired.a == (1.0,) * 4 and paired.b == (2.0,) * 4
    assert paired.ratio == 0.5 and paired.median_a == 1.0 and paired.median_b == 2.0


def test_finite_or_none_keeps_json_valid():
    assert finite_or_none(float("nan")) is None
    assert finite_or_none(float("inf")) is None
    assert finite_or_none(1.5) == 1.5
    assert finite_or_none(None) is None
