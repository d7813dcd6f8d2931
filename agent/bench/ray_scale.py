"""Section ``ray`` (opt-in: ``corral bench --only ray``): rows/s of ``corral batch --engine ray``
against ``ray.data.llm``'s HTTP processor, in the same run, on the same stub server and actors.

The stub (``corral.bench.stub_server``, a separate process on 127.0.0.1) waits ``delay`` seconds per
request, standing in for a model. corral's rows are agent runs with a tool call (two requests each:
the call, then the answer); ``ray.data.llm``'s rows are one request each, so its rows/s is an upper
bound for what it could do with a tool loop. corral also runs once against a stub whose first reply
is the answer (no tool call), so its rows are one request each too: the like-for-like ratio.
``ray.data.llm`` runs twice: on the same JSONL file through ``read_json``, as its users feed it, and
on ``from_items`` rows in Ray's default blocks, the setup the issue measured, where it sends one
request at a time for the whole job. Both get the same fixed pool of actors as corral. Ray's
start-up is reported apart. Each job also pays a fixed cost before and around its rows (actor and
worker processes start, files are read and written): the like-for-like pair runs again on three
times the rows, and the extra rows over the extra seconds give each engine's steady rate, the
throughput a long job sees; the 6x target sits on that ratio. Needs the ``ray`` extra;
``ray.data.llm``'s HTTP stage also imports aiohttp (not in ``ray[data]``): without it, only
corral's figures are measured and the section says so.
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

ROWS, ACTORS, IN_FLIGHT, DELAY = 1200, 2, 16, 0.05
CPUS_PER_ACTOR, IO_CPUS = 0.5, 0.25  # corral's defaults (run_ray_batch)


def get_time(city: str) -> str:
    """The time in a city (the stub answers once it sees this marker).

    Args:
        city: The city.
    """
    return f"stub-result-12:00 in {city}"


def _stub(delay: float, *extra: str) -> tuple[subprocess.Popen[str], str]:
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
        *extra,
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"stub server did not start (said {line!r})")
    return process, line.split()[1]


def _question(i: int) -> str:
    return f"Time in Paris? ({i})"


def _write_tasks(path: Path, rows: int | None = None) -> Path:
    count = ROWS if rows is None else rows
    path.write_text("".join(json.dumps({"id": f"r{i}", "input": _question(i)}) + "\n" for i in range(count)))
    return path


def _items(ray: Any, rows: int) -> Any:
    return ray.data.from_items([{"input": _question(i)} for i in range(rows)])


def _steady(rows: int, rate: float, long_rows: int, long_rate: float) -> tuple[float | None, float | None]:
    """(rows/s past the fixed cost, the fixed seconds) from one job of ``rows`` and one of ``long_rows``.

    (None, None) when the longer job was not slower (noise swamped the difference) or a job did nothing.
    """
    if rate <= 0 or long_rate <= 0:
        return None, None
    extra_s = long_rows / long_rate - rows / rate
    if extra_s <= 0:
        return None, None
    steady = (long_rows - rows) / extra_s
    return steady, rows / rate - rows / steady


def _fixed_detail(extra_rows: int, fixed: float | None) -> str:
    if fixed is None:
        return "not measurable here: the longer job was not slower"
    return f"{extra_rows} more rows over the extra seconds; the rest, {fixed:.1f} s, is fixed per job"


def _corral_rows_per_s(base_url: str, tasks: Path, work: Path, in_flight: int) -> tuple[float, int, float]:
    """(rows/s, rows ok, model requests per row as the rows' usage counts them)."""
    from ..ray_batch import read_rows, run_ray_batch
    from ..spec import parse_spec

    spec = parse_spec(
        {
            "backend": {"type": "openai", "base_url": base_url},
            "tools": ["corral.bench.ray_scale:get_time"],
            "guards": {"default": False},
            "limits": {"max_turns": 3},
        },
        base_dir=work,
    )
    output = str(work / f"out{in_flight}")
    result = run_ray_batch(spec, str(tasks), output, actors=ACTORS, in_flight=in_flight, progress=False)
    ok = result.statuses.get("ok", 0)
    rows = read_rows(output)
    requests = sum(row["usage"]["requests"] for row in rows) / max(len(rows), 1)
    return ok / (result.elapsed_s - result.startup_s), ok, requests


def _llm_rows_per_s(ray: Any, base_url: str, dataset: Any) -> tuple[float | None, str]:
    try:
        from ray.data.llm import HttpRequestProcessorConfig, build_processor
    except ImportError as exc:
        return None, f"ray.data.llm does not import with ray[data] alone ({exc})"
    # The same actors as corral's: ACTORS of them from the start, CPUS_PER_ACTOR each. (An int
    # ``concurrency`` is an autoscaling pool from one actor, which here never grew past one; and its
    # default of a whole CPU per actor leaves room for only one on a 2-CPU cluster.)
    config = HttpRequestProcessorConfig(
        url=base_url + "/chat/completions",
        batch_size=IN_FLIGHT,
        concurrency=(ACTORS, ACTORS),
        http_request_stage={"num_cpus": CPUS_PER_ACTOR},
    )
    processor = build_processor(
        config,
        preprocess=lambda row: {"payload": {"model": "stub", "messages": [{"role": "user", "content": row["input"]}]}},
        postprocess=lambda row: {"answer": row["http_response"]["choices"][0]["message"]["content"]},
        preprocess_map_kwargs={"num_cpus": IO_CPUS},
        postprocess_map_kwargs={"num_cpus": IO_CPUS},
    )
    started = time.monotonic()
    rows = processor(dataset).count()
    return rows / (time.monotonic() - started), ""


def ray_section(config: BenchConfig) -> SectionResult:
    """Measure corral and ``ray.data.llm`` on two input layouts and two sizes; the steady ratio's target is >= 6x."""
    try:
        from ..ray_batch import ensure_ray

        started = time.monotonic()
        ray = ensure_ray(num_cpus=2)
        first_start = time.monotonic() - started
    except ImportError as exc:
        return SectionResult(name="ray", status="skipped", reason=str(exc))
    ray.data.DataContext.get_current().enable_progress_bars = False
    # Ray Data's first job in a session pays one-off costs (worker processes, its own imports);
    # a tiny job first keeps them out of whichever engine would otherwise run first.
    ray.data.range(8).map_batches(lambda batch: batch).count()
    stub, base_url = _stub(DELAY)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tasks = _write_tasks(Path(tmp) / "tasks.jsonl")
            corral_rate, ok, per_row = _corral_rows_per_s(base_url, tasks, Path(tmp), IN_FLIGHT)
            wider_rate, wider_ok, _ = _corral_rows_per_s(base_url, tasks, Path(tmp), 2 * IN_FLIGHT)
            # As its users feed it: the same JSONL file through read_json (a few big blocks, whose
            # batches its HTTP stage runs four at a time per actor) ...
            file_rate, why = _llm_rows_per_s(ray, base_url, ray.data.read_json(str(tasks)))
            # Like for like: a stub whose first reply is the answer, so each corral row is one request too.
            # Then the same on three times the rows, for the steady rate past the fixed cost.
            long_rows = 3 * ROWS
            long_tasks = _write_tasks(Path(tmp) / "long.jsonl", long_rows)
            plain, plain_url = _stub(DELAY, "--call", "12:00 in Paris.")
            try:
                for name in ("single", "single_long"):
                    (Path(tmp) / name).mkdir()
                single_rate, single_ok, single_per_row = _corral_rows_per_s(
                    plain_url, tasks, Path(tmp) / "single", IN_FLIGHT
                )
                long_rate, long_ok, _ = _corral_rows_per_s(plain_url, long_tasks, Path(tmp) / "single_long", IN_FLIGHT)
            finally:
                plain.terminate()
                plain.wait(timeout=10)
        # ... and as the issue measured it: rows from memory in Ray's default blocks of a few rows,
        # which leave it one batch at a time, each batch's requests one after another.
        items_rate = items_long_rate = None
        if file_rate is not None:
            items_rate, _ = _llm_rows_per_s(ray, base_url, _items(ray, ROWS))
            items_long_rate, _ = _llm_rows_per_s(ray, base_url, _items(ray, long_rows))
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    detail = f"{ROWS} rows, {ACTORS} actors at {CPUS_PER_ACTOR} CPU, {DELAY * 1000:.0f} ms/request"
    rows = [
        Row(
            metric="corral --engine ray",
            value=corral_rate,
            unit="/s",
            detail=f"{detail}, {IN_FLIGHT} in flight/actor, {per_row:g} requests/row (call, answer); {ok} ok",
        ),
        Row(
            metric=f"corral --engine ray --in-flight {2 * IN_FLIGHT}",
            value=wider_rate,
            unit="/s",
            detail=f"the same, {2 * IN_FLIGHT} in flight/actor; {wider_ok} ok",
        ),
        Row(
            metric="corral --engine ray, 1 request/row",
            value=single_rate,
            unit="/s",
            detail=f"the same, {IN_FLIGHT} in flight/actor, a stub that answers without a tool call "
            f"({single_per_row:g} request/row, as ray.data.llm's); {single_ok} ok",
        ),
        Row(
            metric=f"corral --engine ray, 1 request/row, {long_rows} rows",
            value=long_rate,
            unit="/s",
            detail=f"the same on {long_rows} rows; {long_ok} ok",
        ),
        Row(metric="Ray start-up (ray.init)", value=first_start, unit="s"),
    ]
    steady, fixed = _steady(ROWS, single_rate, long_rows, long_rate)
    rows.append(
        Row(
            metric="corral, 1 request/row, steady",
            value=steady,
            unit="/s",
            detail=_fixed_detail(long_rows - ROWS, fixed),
        )
    )
    data: dict[str, Any] = {"corral_single_long_rows_per_s": long_rate, "corral_steady_rows_per_s": steady}
    if file_rate is not None and items_rate is not None and items_long_rate is not None:
        items_steady, items_fixed = _steady(ROWS, items_rate, long_rows, items_long_rate)
        data |= {"llm_items_long_rows_per_s": items_long_rate, "llm_items_steady_rows_per_s": items_steady}
        rows += [
            Row(
                metric="ray.data.llm HTTP processor, same JSONL file",
                value=file_rate,
                unit="/s",
                detail=f"{detail}, batch_size {IN_FLIGHT}, 1 request/row",
            ),
            Row(metric="corral / ray.data.llm (same file)", value=corral_rate / file_rate, unit="x"),
            Row(
                metric="ray.data.llm HTTP processor, from_items (the issue's setup)",
                value=items_rate,
                unit="/s",
                detail=f"{detail}, batch_size {IN_FLIGHT}, 1 request/row, Ray's default blocks",
            ),
            Row(metric="corral / ray.data.llm (from_items)", value=corral_rate / items_rate, unit="x"),
            Row(metric="corral, 1 request/row / ray.data.llm (same file)", value=single_rate / file_rate, unit="x"),
            Row(metric="corral, 1 request/row / ray.data.llm (from_items)", value=single_rate / items_rate, unit="x"),
            Row(
                metric=f"ray.data.llm HTTP processor, from_items, {long_rows} rows",
                value=items_long_rate,
                unit="/s",
                detail=f"the same on {long_rows} rows",
            ),
            Row(
                metric=f"corral, 1 request/row / ray.data.llm (from_items), {long_rows} rows",
                value=long_rate / items_long_rate,
                unit="x",
            ),
            Row(
                metric="ray.data.llm (from_items), steady",
                value=items_steady,
                unit="/s",
                detail=_fixed_detail(long_rows - ROWS, items_fixed),
            ),
            Row(
                metric="corral / ray.data.llm, steady (1 request/row)",
                value=steady / items_steady if steady and items_steady else None,
                unit="x",
                target=">= 6x",
            ),
        ]
    data |= {
        "corral_rows_per_s": corral_rate,
        "corral_wider_rows_per_s": wider_rate,
        "corral_single_rows_per_s": single_rate,
        "corral_requests_per_row": per_row,
        "corral_single_requests_per_row": single_per_row,
        "llm_file_rows_per_s": file_rate,
        "llm_items_rows_per_s": items_rate,
        "startup_s": first_start,
    }
    return SectionResult(name="ray", rows=rows, data=data, reason=why)
