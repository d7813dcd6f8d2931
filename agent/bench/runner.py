"""``corral bench``: run the benchmark sections, print the Markdown table, write the JSON.

Example::

    python -m corral.bench --quick --json bench.json
    python -m corral.bench --only guards,overhead
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence

from .config import DEFAULT, QUICK, BenchConfig, find_data_dir
from .report import SectionResult, markdown_table, to_json, write_json

__all__ = ["main", "SECTIONS", "run_sections"]

Section = Callable[[BenchConfig], SectionResult]


def _decode(config: BenchConfig) -> SectionResult:
    from .decode import decode_section

    return decode_section(config)


def _constrained(config: BenchConfig) -> SectionResult:
    from .constrained import constrained_section

    return constrained_section(config)


def _prefix(config: BenchConfig) -> SectionResult:
    from .prefix import prefix_section

    return prefix_section(config)


def _overhead(config: BenchConfig) -> SectionResult:
    from .overhead import overhead_section

    return overhead_section(config)


def _guards(config: BenchConfig) -> SectionResult:
    from .guardcost import guard_section

    return guard_section(config)


def _batch(config: BenchConfig) -> SectionResult:
    from .batch import batch_section

    return batch_section(config)


def _quality(config: BenchConfig) -> SectionResult:
    from .quality import quality_section

    return quality_section(config, log=lambda line: print(line, file=sys.stderr, flush=True))


def _security(config: BenchConfig) -> SectionResult:
    from .security import security_section

    return security_section(config)


def _ray(config: BenchConfig) -> SectionResult:
    from .ray_scale import ray_section

    return ray_section(config)


# Cheap sections first: a CI failure in them shows before the model sections start.
SECTIONS: dict[str, Section] = {
    "overhead": _overhead,
    "guards": _guards,
    "batch": _batch,
    "decode": _decode,
    "constrained": _constrained,
    "prefix": _prefix,
    "quality": _quality,
    "security": _security,  # AgentDojo (the security extra); skipped without it
    "ray": _ray,  # corral batch --engine ray vs ray.data.llm (the ray extra); skipped without it
}
# Run only when named (--only): the security section needs an extra and minutes of its own.
OPT_IN = frozenset({"security", "ray"})


def run_sections(config: BenchConfig, names: Sequence[str], log: Callable[[str], None]) -> list[SectionResult]:
    """Run the named sections in order; a failing section becomes an ``error`` result, not a crash."""
    results = []
    for name in names:
        log(f"[bench] {name} ...")
        started = time.perf_counter()
        try:
            result = SECTIONS[name](config)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            detail = traceback.format_exc(limit=4)
            result = SectionResult(
                name=name, status="error", reason=f"{type(exc).__name__}: {exc}", data={"traceback": detail}
            )
        seconds = time.perf_counter() - started
        results.append(_with_seconds(result, seconds))
        log(f"[bench] {name}: {result.status} in {seconds:.1f} s {result.reason}")
    return results


def _with_seconds(result: SectionResult, seconds: float) -> SectionResult:
    return SectionResult(
        name=result.name,
        rows=result.rows,
        data=result.data,
        status=result.status,
        reason=result.reason,
        seconds=seconds,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corral bench",
        description="Measure what corral costs, as ratios of things measured side by side in one run.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for CI (a minute or two)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated sections: {','.join(SECTIONS)} (default: all but {','.join(sorted(OPT_IN))})",
    )
    parser.add_argument("--model", help="GGUF to benchmark (default: the tiny SmolLM2 stand-in)")
    parser.add_argument("--n-threads", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--data-dir", help="folder holding bfcl/ (default: $CORRAL_DATA_DIR or ../shared/data)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the BFCL sample")
    parser.add_argument("--bfcl-per-category", type=int, help="BFCL items per category (quality section)")
    parser.add_argument(
        "--half",
        choices=("tune", "held-out", "both"),
        default="both",
        help="which half of the BFCL files to sample (tune on 'tune' only)",
    )
    parser.add_argument("--setups", help="comma-separated quality setups (names or indices; default all)")
    return parser


def _config(args: argparse.Namespace) -> BenchConfig:
    from corral.backends.model_files import find_tiny_model, resolve_model

    model = resolve_model(args.model).path if args.model else find_tiny_model()
    return BenchConfig(
        size=QUICK if args.quick else DEFAULT,
        n_threads=args.n_threads,
        n_ctx=args.n_ctx,
        model_path=model,
        data_dir=find_data_dir(args.data_dir),
        seed=args.seed,
        bfcl_per_category=args.bfcl_per_category,
        bfcl_half=args.half,
        quality_setups=tuple(x.strip() for x in args.setups.split(",")) if args.setups else (),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m corral.bench`` and ``corral bench``; returns the exit code.

    Exit code 0 when every section ran or was skipped for a stated reason, 1 when one failed.
    """
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else [n for n in SECTIONS if n not in OPT_IN]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"Unknown section(s): {', '.join(unknown)}. Choose from: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    config = _config(args)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results = run_sections(config, names, log)
    print(markdown_table(results))
    _print_quality(results)
    _print_security(results)
    if args.json:
        meta = {
            **config.to_dict(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "llama_cpp": _llama_cpp_version(),
        }
        path = write_json(args.json, to_json(meta, results))
        log(f"[bench] wrote {path}")
    return 1 if any(r.status == "error" for r in results) else 0


def _print_quality(results: list[SectionResult]) -> None:
    """The quality section's per-setup tables (held-out, then tune) below the main table."""
    for result in results:
        if result.name == "quality" and result.status == "ok":
            from .quality import quality_markdown

            for half in ("held-out", "tune"):
                print(f"\nBFCL quality, {half} half:\n\n{quality_markdown(result.data['summary'], half)}")


def _print_security(results: list[SectionResult]) -> None:
    """The security section's tables (every layer; AgentDojo's other attacks on a full run) below the main table."""
    for result in results:
        if result.name == "security" and result.status == "ok":
            print(f"\nAgentDojo, per suite and defence layer:\n\n{result.data['table']}")
            if "other_table" in result.data:
                print(f"\nAgentDojo's other attacks:\n\n{result.data['other_table']}")


def _llama_cpp_version() -> str | None:
    try:
        import llama_cpp
    except ImportError:
        return None
    return getattr(llama_cpp, "__version__", None)
