"""Section 6: many agent runs through OpenAIBackend against a local stub server, at several concurrencies.

The stub (``corral.bench.stub_server``) runs as a separate process on 127.0.0.1 and answers
instantly, so what is measured is corral plus httpx plus the sockets. Each run has two turns (a
parallel call of two tools, then the answer). Side by side, at the same concurrency, the very same
HTTP requests go through a bare ``httpx.AsyncClient``: corral's overhead per run is the difference
of the two wall times divided by the number of runs. A run is lost if it does not end with the
scripted answer.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

from .config import BenchConfig
from .overhead import ANSWER_TEXT, CALL_TEXT, QUESTION, corral_agent
from .report import Row, SectionResult
from .stats import median
from .stub_server import StubServer, tool_then_answer

__all__ = ["batch_section", "start_stub_process"]


def start_stub_process(max_requests: int, idle_timeout: float = 30.0) -> tuple[subprocess.Popen[str], str]:
    """Start the stub server process; return it and its base URL (``http://127.0.0.1:PORT/v1``)."""
    cmd = [
        sys.executable,
        "-m",
        "corral.bench.stub_server",
        "--max-requests",
        str(max_requests),
        "--idle-timeout",
        str(idle_timeout),
        "--call",
        CALL_TEXT,
        "--answer",
        ANSWER_TEXT,
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"stub server did not start (said {line!r})")
    return process, line.split()[1]


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _agent_runs(agent: Any, runs: int, concurrency: int) -> tuple[float, int]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> bool:
        async with gate:
            try:
                result = await agent.arun(QUESTION)
            except Exception:  # noqa: BLE001 - a failed run counts as lost, it must not stop the batch
                return False
            return result.output == ANSWER_TEXT

    started = time.perf_counter()
    done = await asyncio.gather(*(one() for _ in range(runs)))
    return time.perf_counter() - started, sum(done)


async def _raw_runs(base_url: str, bodies: list[dict[str, Any]], runs: int, concurrency: int) -> float:
    import httpx

    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:

        async def one() -> None:
            async with gate:
                for body in bodies:
                    response = await client.post(base_url + "/completions", json=body)
                    response.raise_for_status()
                    response.json()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(runs)))
        return time.perf_counter() - started


def _request_bodies(make_agent: Any) -> list[dict[str, Any]]:
    """The JSON bodies one corral run sends, recorded by an in-process stub (replayed by the raw client)."""
    with StubServer(tool_then_answer(CALL_TEXT, ANSWER_TEXT), record=True) as recorder:
        result = asyncio.run(make_agent(recorder.base_url).arun(QUESTION))
        if result.output != ANSWER_TEXT:
            raise RuntimeError(f"the scripted run over HTTP ended with {result.stop_reason}: {result.output!r}")
        return [r["body"] for r in recorder.recorded]


def _level(
    agent: Any, base_url: str, bodies: list[dict[str, Any]], runs: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    agent_walls, raw_walls, lost = [], [], 0

    async def both() -> None:
        nonlocal lost
        for _ in range(rounds):
            wall, ok = await _agent_runs(agent, runs, concurrency)
            agent_walls.append(wall)
            lost += runs - ok
            raw_walls.append(await _raw_runs(base_url, bodies, runs, concurrency))

    asyncio.run(both())
    return {
        "agent_wall_s": agent_walls,
        "raw_wall_s": raw_walls,
        "runs": runs,
        "rounds": rounds,
        "lost": lost,
        "runs_per_s": runs / median(agent_walls),
        "raw_runs_per_s": runs / median(raw_walls),
        "overhead_us_per_run": median([(a - r) / runs * 1e6 for a, r in zip(agent_walls, raw_walls)]),
    }


def batch_section(config: BenchConfig) -> SectionResult:
    """runs/s, overhead per run over raw httpx, and lost runs at each concurrency."""
    from corral.backends.openai import OpenAIBackend
    from corral.guards import GuardChain

    size = config.size
    rounds = 3 if size.name == "default" else 1
    per_run = 2 * 2  # two turns, corral and raw
    budget = (len(size.batch_concurrency) * rounds * size.batch_runs + 10) * per_run
    process, base_url = start_stub_process(max_requests=budget)
    try:
        template = corral_agent(GuardChain.default())

        def make_agent(url: str) -> Any:
            return template.replace(backend=OpenAIBackend(url, model="stub", timeout=30.0, max_retries=0))

        bodies = _request_bodies(make_agent)
        agent = make_agent(base_url)
        levels = {c: _level(agent, base_url, bodies, size.batch_runs, c, rounds) for c in size.batch_concurrency}
    finally:
        _stop(process)
    rows = []
    for c, level in levels.items():
        rows.append(
            Row(
                metric=f"concurrency {c}: agent runs/s",
                value=level["runs_per_s"],
                unit="/s",
                detail=f"raw httpx {level['raw_runs_per_s']:.0f}/s; {level['runs']} runs x {rounds}",
            )
        )
        rows.append(
            Row(
                metric=f"concurrency {c}: corral overhead per run",
                value=level["overhead_us_per_run"],
                unit="us",
                detail="(agent wall - raw httpx wall) / runs, median of rounds",
                signed=True,
            )
        )
        rows.append(Row(metric=f"concurrency {c}: lost runs", value=float(level["lost"]), unit="runs", target="0"))
    return SectionResult(name="batch", rows=rows, data={"levels": levels, "requests_per_run": len(bodies)})
