"""Section ``ray`` (opt-in: ``corral bench --only ray``): rows/s of ``corral batch --engine ray``
against ``ray.data.llm``'s HTTP processor, in the same run, on the same stub server and actors.

The stub (``corral.bench.stub_server``, a separate process on 127.0.0.1) waits ``delay`` seconds per
request, standing in for a model. corral's rows are agent runs with a tool call (two requests each:
the call, then the answer); ``ray.data.llm``'s rows are one request each, so its rows/s is an upper
bound for what it could do with a tool loop. Ray's start-up is reported apart. Needs the ``ray``
extra; ``ray.data.llm``'s HTTP stage also imports aiohttp (not in ``ray[data]``): without it, only
corral's figure is measured and the section says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .config import BenchConfig
from .report import Row, SectionResult

__all__ = ["ray_section", "get_time"]

ROWS, ACTORS, IN_FLIGHT, DELAY = 400, 2, 16, 0.05


def get_time(city: str) -> str:
    """The time in a city (the stub answers once it sees this marker).

    Args:
        city: The city.
    """
    return f"stub-result-12:00 in {city}"


def _stub(delay: float) -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable,
        "-m",
        "corral.bench.stub_server",
        "--max-requests",
        "100000",
        "--idle-timeout",
        "120",
        "--delay",
        str(delay),
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"stub server did not start (said {line!r})")
    return process, line.split()[1]


def _corral_rows_per_s(base_url: str, work: Path) -> tuple[float, float, int]:
    from ..ray_batch import run_ray_batch
    from ..spec import parse_spec

    tasks = work / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"id": f"r{i}", "input": f"Time in Paris? ({i})"}) + "\n" for i in range(ROWS)))
    spec = parse_spec(
        {
            "backend": {"type": "openai", "base_url": base_url},
            "tools": ["corral.bench.ray_scale:get_time"],
            "guards": {"default": False},
            "limits": {"max_turns": 3},
        },
        base_dir=work,
    )
    result = run_ray_batch(spec, str(tasks), str(work / "out"), actors=ACTORS, in_flight=IN_FLIGHT, progress=False)
    run_s = result.elapsed_s - result.startup_s
    return result.statuses.get("ok", 0) / run_s, result.startup_s, result.statuses.get("ok", 0)


def _llm_rows_per_s(ray: Any, base_url: str) -> tuple[float | None, str]:
    try:
        from ray.data.llm import HttpRequestProcessorConfig, build_processor
    except ImportError as exc:
        return None, f"ray.data.llm does not import with ray[data] alone ({exc})"
    config = HttpRequestProcessorConfig(url=base_url + "/chat/completions", batch_size=IN_FLIGHT, concurrency=ACTORS)
    processor = build_processor(
        config,
        preprocess=lambda row: {"payload": {"model": "stub", "messages": [{"role": "user", "content": row["input"]}]}},
        postprocess=lambda row: {"answer": row["http_response"]["choices"][0]["message"]["content"]},
    )
    dataset = ray.data.from_items([{"input": f"Time in Paris? ({i})"} for i in range(ROWS)])
    started = time.monotonic()
    rows = processor(dataset).count()
    return rows / (time.monotonic() - started), ""


def ray_section(config: BenchConfig) -> SectionResult:
    """Measure both engines once each; the ratio's target is >= 6x."""
    try:
        from ..ray_batch import ensure_ray

        started = time.monotonic()
        ray = ensure_ray(num_cpus=2)
        first_start = time.monotonic() - started
    except ImportError as exc:
        return SectionResult(name="ray", status="skipped", reason=str(exc))
    ray.data.DataContext.get_current().enable_progress_bars = False
    stub, base_url = _stub(DELAY)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corral_rate, _, ok = _corral_rows_per_s(base_url, Path(tmp))
        llm_rate, why = _llm_rows_per_s(ray, base_url)
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    detail = f"{ROWS} rows, {ACTORS} actors, {DELAY * 1000:.0f} ms/request"
    rows = [
        Row(
            metric="corral --engine ray",
            value=corral_rate,
            unit="/s",
            detail=f"{detail}, {IN_FLIGHT} in flight/actor, 2 requests/row; {ok} ok",
        ),
        Row(metric="Ray start-up (ray.init)", value=first_start, unit="s"),
    ]
    if llm_rate is not None:
        rows += [
            Row(metric="ray.data.llm HTTP processor", value=llm_rate, unit="/s", detail=f"{detail}, 1 request/row"),
            Row(metric="corral / ray.data.llm", value=corral_rate / llm_rate, unit="x", target=">= 6x"),
        ]
    data = {"corral_rows_per_s": corral_rate, "llm_rows_per_s": llm_rate, "startup_s": first_start}
    return SectionResult(name="ray", rows=rows, data=data, reason=why)
