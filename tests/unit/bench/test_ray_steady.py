"""The ray section's steady rate: two jobs of different sizes separate a per-job fixed cost from throughput."""

from __future__ import annotations

import pytest

from corral.bench.ray_scale import _steady


def test_two_job_sizes_give_the_steady_rate_and_the_fixed_seconds():
    # Jobs that pay 2 s before their rows, then 50 rows/s: 100 rows in 4 s, 300 rows in 8 s.
    steady, fixed = _steady(100, 100 / 4, 300, 300 / 8)
    assert steady == pytest.approx(50)
    assert fixed == pytest.approx(2)


def test_a_longer_job_that_was_not_slower_measures_nothing():
    assert _steady(100, 25.0, 300, 80.0) == (None, None)  # 4 s, then 3.75 s: noise, not a rate
    assert _steady(100, 0.0, 300, 30.0) == (None, None)  # a job with no row done
