"""The terminal part of ``corral batch --engine ray``: options to a spec, the run, a one-line summary.

Ray Data draws its own progress bar on the driver; this prints what the run wrote and where.
"""

from __future__ import annotations

import argparse
import sys

from ..ray_batch import run_ray_batch
from .commands import spec_from_args

__all__ = ["cmd_batch_ray"]

EXIT_OK, EXIT_NOT_ANSWERED = 0, 1


def cmd_batch_ray(args: argparse.Namespace) -> int:
    """``corral batch --engine ray``: exit 0 when every row written now answered, 1 otherwise."""
    from ..exceptions import UsageError

    if args.shard:
        raise UsageError("--shard splits work between machines without Ray; with --engine ray, Ray spreads it")
    spec = spec_from_args(args)
    if spec.backend.type == "llamacpp":  # one model per process: Ray's actors would each load their own
        raise UsageError("--engine ray needs the model behind a server: pass --base-url (llama-server, vLLM, Ollama)")
    result = run_ray_batch(
        spec,
        args.input,
        args.output,
        actors=args.actors,
        in_flight=args.in_flight,
        address=args.ray_address,
        num_cpus=args.num_cpus,
        output_format=args.output_format,
        checkpoint=not args.no_checkpoint,
        progress=sys.stderr.isatty(),
    )
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items())) or "nothing new"
    print(
        f"corral batch: {result.rows} row(s) written to {args.output} ({counts}) in {result.elapsed_s:.1f} s "
        f"(Ray start-up {result.startup_s:.1f} s)",
        file=sys.stderr,
    )
    return EXIT_OK if result.failed == 0 else EXIT_NOT_ANSWERED
