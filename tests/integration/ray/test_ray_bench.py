"""`corral bench --only ray`, small: the section runs on a local Ray and its rows say what they measured.

Rates are not asserted (speed is the benchmark's to report); the request counts are: the
like-for-like row must really be one request per row, as ``ray.data.llm``'s rows are.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ray")


def test_the_ray_section_measures_two_and_one_request_rows(ray_session, monkeypatch):
    from corral.bench import ray_scale
    from corral.bench.config import QUICK, BenchConfig

    monkeypatch.setattr(ray_scale, "ROWS", 48)
    result = ray_scale.ray_section(BenchConfig(size=QUICK, n_threads=1, n_ctx=512, model_path=None, data_dir=None))
    assert result.status == "ok", result.reason
    assert result.data["corral_requests_per_row"] == 2  # the tool call, then the answer
    assert result.data["corral_single_requests_per_row"] == 1
    measured = {row.metric: row for row in result.rows}
    assert measured["corral --engine ray, 1 request/row"].detail.endswith("48 ok")
    assert measured["corral --engine ray, 1 request/row, 144 rows"].detail.endswith("144 ok")  # the steady pair
    assert result.data["corral_rows_per_s"] > 0 and result.data["corral_single_rows_per_s"] > 0
