"""``corral batch --engine ray``: the same batch on Ray Data, past one machine.

``read_json`` -> ``map_batches(AgentRows, compute=ActorPoolStrategy(...))`` -> ``write_json`` (or
parquet). Each actor builds one Agent from the spec and keeps up to ``in_flight`` runs going at once
over ``OpenAIBackend`` (the model runs behind a server: llama-server, vLLM, Ollama; embedded
llama.cpp stays one model per process). Every failure of a row becomes an error row with the same
schema as the local runner's (``corral.batch_rows``): a bad row never aborts the dataset.

Ray Data's checkpointing is on by default (id column ``id``, kept beside the output as
``OUTPUT.checkpoint``): its two-phase commit writes a pending checkpoint, then the data file, then
commits, and a rerun deletes the files of uncommitted writes and skips the committed ids. So after a
crash and a rerun every id is in the output exactly once, and no file is torn. The *work* is
at-least-once (a row whose write was lost runs again): tools with side effects use the run's
idempotency key (``RunContext.idempotency_key`` = ``stable_key(id, spec hash)``, the same on every
attempt).

``import corral`` never imports ray; this module imports it when a batch starts.

Example::

    >>> from corral.ray_batch import run_ray_batch                       # doctest: +SKIP
    >>> run_ray_batch(spec, "tasks/*.jsonl", "results/", actors=4, in_flight=16)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import glob
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batch import BatchItem, _parse_item, _run_one
from .batch_rows import agent_runner, error_row, spec_hash
from .exceptions import MissingExtraError, UsageError

# Ray Data's default for async callables (RAY_DATA_DEFAULT_ASYNC_BATCH_UDF_MAX_CONCURRENCY).
BATCHES_PER_BLOCK = 4
IDLE_WORKER_MS = 600_000  # a local cluster's idle worker processes live 10 min (Ray's default: 1 s)

__all__ = ["AgentRows", "RayBatchResult", "run_ray_batch", "result_schema", "read_rows", "ensure_ray"]


def ensure_ray(address: str | None = None, num_cpus: int | None = None) -> Any:
    """Import ray (a MissingExtraError naming the extra if absent) and start or join a cluster once."""
    try:
        import ray
    except ImportError:
        raise MissingExtraError("--engine ray needs Ray Data: pip install 'corral[ray]'") from None
    if not ray.is_initialized() and address:
        ray.init(address=address, logging_level=logging.WARNING)
    elif not ray.is_initialized():
        # A rerun adds Ray's checkpoint-filter actor, which takes a whole CPU: with the agents' and
        # the read and write tasks' shares, fewer than 4 logical CPUs can leave a task unscheduled
        # forever. The work is I/O-bound, so claiming 4 on a 2-core machine is harmless. Loopback only.
        cpus = int(num_cpus) if num_cpus is not None else max(4, os.cpu_count() or 1)
        # Ray ends a worker process idle for 1 s past its soft limit, so a job's later stages (the
        # write, a next job's read) start new ones mid-job, a second of imports each on a small
        # machine: a 3,600-row job ran 204-246 rows/s, 261-263 with idle workers kept. This local
        # cluster ends with the process; keeping them for its life costs only their memory.
        ray.init(
            num_cpus=cpus,
            include_dashboard=False,
            logging_level=logging.WARNING,
            _node_ip_address="127.0.0.1",
            _system_config={"idle_worker_killing_time_threshold_ms": IDLE_WORKER_MS},
        )
    return ray


def result_schema() -> Any:
    """The Arrow schema of a result row: fixed, so every output file of every run has the same one."""
    import pyarrow as pa

    text, integer, real = pa.string(), pa.int64(), pa.float64()
    call = pa.struct(
        [
            ("id", text),
            ("name", text),
            ("arguments", text),
            ("result", text),
            ("status", text),
            ("turn", integer),
            ("duration", real),
            ("error_kind", text),
            ("blocked_by", text),
        ]
    )
    verdict = pa.struct(
        [
            ("stage", text),
            ("guard", text),
            ("action", text),
            ("reason", text),
            ("categories", pa.list_(text)),
            ("score", real),
        ]
    )
    usage = pa.struct(
        [(name, integer) for name in ("requests", "prompt_tokens", "prompt_tokens_evaluated", "completion_tokens")]
    )
    return pa.schema(
        [
            ("id", text),
            ("status", text),
            ("answer", text),
            ("calls", pa.list_(call)),
            ("verdicts", pa.list_(verdict)),
            ("usage", usage),
            ("error", text),
            ("elapsed_s", real),
        ]
    )


def _item(row: dict[str, Any], default_timeout: float | None) -> BatchItem:
    # Columns missing from some input files arrive as nulls: drop them, then validate like a JSONL line.
    present = {k: v for k, v in row.items() if v is not None}
    if "id" not in present:
        raise UsageError("a Ray batch row needs an 'id' (the checkpoint's key)")
    item = _parse_item(json.dumps(present, default=str), 0, "ray input")
    if item.timeout is None and default_timeout is not None:
        item = BatchItem(
            id=item.id,
            input=item.input,
            max_turns=item.max_turns,
            max_tokens=item.max_tokens,
            timeout=default_timeout,
            metadata=item.metadata,
        )
    return item


class AgentRows:
    """The ``map_batches`` callable class: one Agent per actor, up to ``in_flight`` runs at once.

    Ray Data calls ``__call__`` on an event loop of the actor's, with several batches at a time; the
    semaphore bounds the runs in flight across them. Returns one ``ResultRow`` per input row.
    """

    def __init__(self, spec_data: dict[str, Any], base_dir: str, in_flight: int, key_salt: str) -> None:
        from .spec import parse_spec

        self._spec = parse_spec(spec_data, source="ray batch spec", base_dir=Path(base_dir))
        self._runner = agent_runner(self._spec, key_salt=key_salt)
        self._in_flight = in_flight
        self._gate: asyncio.Semaphore | None = None

    async def _one(self, row: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        assert self._gate is not None
        async with self._gate:
            try:
                return await _run_one(self._runner, _item(row, self._spec.limits.timeout))
            except Exception as exc:  # noqa: BLE001 - fatal locally (server down) is a row here: never abort
                return error_row(row.get("id"), "error", f"{type(exc).__name__}: {exc}", time.monotonic() - started)

    async def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        self._gate = self._gate or asyncio.Semaphore(self._in_flight)
        rows = await asyncio.gather(*(self._one(row) for row in batch.to_pylist()))
        return pa.Table.from_pylist(rows, schema=result_schema())


@dataclass(kw_only=True)
class RayBatchResult:
    """What a Ray batch did: rows this run wrote, per status, and seconds (start-up counted apart)."""

    statuses: dict[str, int]
    startup_s: float
    elapsed_s: float

    @property
    def rows(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "ok")


def _input_paths(source: str) -> list[str]:
    if os.path.isdir(source) or os.path.isfile(source):
        return [source]
    paths = sorted(glob.glob(source))
    if not paths:
        raise UsageError(f"--input {source}: no such file or folder, and the glob matches nothing")
    return paths


def _checkpoint(output: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from ray.data.checkpoint import CheckpointConfig

    # Kept after success: a rerun of a finished job then writes nothing twice.
    return CheckpointConfig(
        id_column="id",
        checkpoint_path=os.path.abspath(output.rstrip("/") + ".checkpoint"),
        delete_checkpoint_on_success=False,
    )


def read_rows(output: str) -> list[dict[str, Any]]:
    """Every result row in a Ray output folder (JSONL or parquet files), for checks and summaries."""
    return [row for path in sorted(Path(output).glob("*")) for row in read_rows_of(path)]


def run_ray_batch(
    spec: Any,
    source: str,
    output: str,
    *,
    actors: int = 2,
    in_flight: int = 16,
    cpus_per_actor: float = 0.5,
    address: str | None = None,
    num_cpus: int | None = None,
    output_format: str = "json",
    checkpoint: bool = True,
    progress: bool = True,
) -> RayBatchResult:
    """Run every row of ``source`` (a JSONL file, folder or glob) through the spec's agent on Ray Data.

    Rows go to files in the folder ``output`` (``json``: JSONL; or ``parquet``). A rerun with the same
    output continues where a crash left off (checkpointing). Returns the statuses of rows written now.
    """
    if actors < 1 or in_flight < 1:
        raise UsageError(f"--actors and --in-flight must be at least 1 (got {actors}, {in_flight})")
    started = time.monotonic()
    ray = ensure_ray(address, num_cpus)
    startup = time.monotonic() - started
    before = {p.name for p in Path(output).glob("*")} if Path(output).is_dir() else set()
    context = ray.data.DataContext.get_current()
    context.checkpoint_config = _checkpoint(output, checkpoint)
    context.enable_progress_bars = progress
    io_cpus = 0.25  # reading and writing files wait on the disk: a quarter CPU each
    # Arrow's reader (JSON Lines natively), not pandas' (lines=True): the checkpoint filter takes Arrow blocks.
    dataset = ray.data.read_json(_input_paths(source), file_extensions=["jsonl", "json"], num_cpus=io_cpus)
    # Blocks of BATCHES_PER_BLOCK batches (streamed, not shuffled). Ray Data runs a block as one
    # actor task, one task at a time per actor, the batches of a task concurrently, and AgentRows'
    # gate keeps ``in_flight`` runs going across them: the idle wait for a block's slowest row comes
    # once per four batches, and so do the block's write and checkpoint commit. (Blocks of one batch
    # gave half the rows/s.) A big input file still spreads over every actor, block by block.
    batch = max(1, in_flight)
    results = dataset.repartition(target_num_rows_per_block=batch * BATCHES_PER_BLOCK).map_batches(
        AgentRows,
        batch_format="pyarrow",
        batch_size=batch,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_per_actor,
        fn_constructor_kwargs={
            "spec_data": spec.model_dump(exclude={"base_dir"}, exclude_none=True),
            "base_dir": str(spec.base_dir or Path.cwd()),
            "in_flight": in_flight,
            "key_salt": spec_hash(spec),
        },
    )
    if output_format == "parquet":
        results.write_parquet(output, ray_remote_args={"num_cpus": io_cpus})
    else:
        results.write_json(output, double_precision=15, force_ascii=False, ray_remote_args={"num_cpus": io_cpus})
    statuses: dict[str, int] = {}
    for path in sorted(Path(output).glob("*")):
        if path.name not in before:
            for row in read_rows_of(path):
                statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return RayBatchResult(statuses=statuses, startup_s=startup, elapsed_s=time.monotonic() - started)


def read_rows_of(path: Path) -> list[dict[str, Any]]:
    """The rows of one output file (JSONL or parquet)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if path.suffix in (".json", ".jsonl"):
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return []
