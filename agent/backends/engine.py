"""Is the llama.cpp engine safe to load on this machine? Its build features, and a probe in a child.

llama-cpp-python compiles llama.cpp on install. Its default build is ``-march=native``: on a VM whose
CPU flags advertise AMX or AVX-512 that the hypervisor does not really allow, the first decode dies
with SIGSEGV or SIGILL, taking the whole process with it. A signal cannot be caught in-process, so
``probe_engine`` runs a tiny generation in a child process and explains a crash in one line, with the
exact reinstall command for a portable build.

Example::

    >>> from corral.backends.engine import engine_info, probe_engine
    >>> engine_info().features                       # doctest: +SKIP
    frozenset({'AVX', 'AVX2', 'F16C', 'FMA', ...})
    >>> probe_engine("SmolLM2-135M-Instruct.Q4_1.gguf").ok   # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EngineInfo",
    "ProbeResult",
    "engine_info",
    "cpu_flags",
    "probe_engine",
    "reinstall_command",
    "RISKY_FEATURES",
]

# Build features that a native build picks up from CPU flags and that VMs commonly advertise without
# really allowing (AMX tiles need a kernel permission some hypervisors fault on; AVX-512 is masked by
# some). A portable build (-DGGML_NATIVE=OFF) stops at AVX2/FMA/F16C and runs on every x86-64 VM.
RISKY_FEATURES = frozenset({"AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_INT8", "AMX_BF16"})

# llama.cpp's system-info names -> /proc/cpuinfo flag names (for "built for a CPU this is not").
_CPU_FLAG = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
    "AMX_BF16": "amx_bf16",
}

_PROBE_CODE = """
import sys
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, n_batch=64, verbose=False)
out = llm.create_completion("Hello", max_tokens=4, temperature=0.0)
print("corral-probe-ok", repr(out["choices"][0]["text"]))
"""


@dataclass(frozen=True, kw_only=True)
class EngineInfo:
    """What the installed llama-cpp-python is: version, the build's CPU features, the raw system info."""

    version: str
    system_info: str
    features: frozenset[str]

    @property
    def risky(self) -> frozenset[str]:
        """Build features that crash on VMs advertising them without allowing them (a native build)."""
        return self.features & RISKY_FEATURES

    def missing_on_cpu(self, flags: frozenset[str]) -> frozenset[str]:
        """Features the build uses that this CPU does not advertise (certain SIGILL)."""
        if not flags:
            return frozenset()
        return frozenset(f for f in self.features if f in _CPU_FLAG and _CPU_FLAG[f] not in flags)


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """How a tiny generation in a child process ended."""

    ok: bool
    returncode: int | None
    detail: str

    @property
    def signal_name(self) -> str | None:
        if self.returncode is None or self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"


def parse_features(system_info: str) -> frozenset[str]:
    """The ``NAME = 1`` entries of ``llama_print_system_info()`` (CPU backend features)."""
    found = set()
    for part in system_info.replace("\n", "|").split("|"):
        name, sep, value = part.rpartition("=")
        name = name.split(":")[-1].strip()
        if sep and value.strip() == "1" and name:
            found.add(name)
    return frozenset(found)


def engine_info() -> EngineInfo:
    """The installed engine's version and build features (imports llama_cpp; nothing is decoded)."""
    import llama_cpp

    raw = llama_cpp.llama_print_system_info()
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return EngineInfo(
        version=getattr(llama_cpp, "__version__", "?"), system_info=text.strip(), features=parse_features(text)
    )


def cpu_flags() -> frozenset[str]:
    """This CPU's advertised flags (Linux ``/proc/cpuinfo``); empty where that is not readable."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def reinstall_command(version: str | None = None) -> str:
    """The one command that replaces the engine with a portable build, bypassing pip's wheel cache."""
    pin = f"=={version}" if version and version != "?" else ""
    return (
        f'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir --force-reinstall --no-deps "llama-cpp-python{pin}"'
    )


def probe_engine(model_path: str | os.PathLike[str], *, timeout: float = 180.0, code: str = _PROBE_CODE) -> ProbeResult:
    """Load ``model_path`` and decode 4 tokens in a child process; a crash there cannot hurt us.

    ``code`` is the child's program (tests pass one that crashes on purpose).
    """
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, os.fspath(model_path)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(ok=False, returncode=None, detail=f"no answer within {timeout:.0f} s")
    ok = proc.returncode == 0 and "corral-probe-ok" in proc.stdout
    tail = (proc.stderr.strip().splitlines() or [""])[-1][:300]
    return ProbeResult(ok=ok, returncode=proc.returncode, detail="" if ok else tail)


def explain(result: ProbeResult, info: EngineInfo | None = None, flags: frozenset[str] = frozenset()) -> str:
    """One line: what happened to the probe, the likely cause, and the exact fix."""
    if result.ok:
        return "the engine decoded a few tokens in a child process"
    fix = reinstall_command(info.version if info else None)
    sig = result.signal_name
    if sig in ("SIGSEGV", "SIGILL", "SIGBUS"):
        cause = _likely_cause(info, flags)
        return f"llama.cpp crashed with {sig} at its first decode ({cause}). Fix: {fix}"
    if result.returncode is None:
        return f"llama.cpp gave {result.detail}; the machine may be overloaded, or the engine hangs. Try: {fix}"
    why = f": {result.detail}" if result.detail else ""
    return f"the engine probe failed with exit code {result.returncode}{why}. If the engine is broken: {fix}"


def _likely_cause(info: EngineInfo | None, flags: frozenset[str]) -> str:
    if info is None:
        return "likely a native build using CPU instructions this machine does not allow"
    missing = info.missing_on_cpu(flags)
    if missing:
        return f"the engine was built for another CPU: it uses {', '.join(sorted(missing))}, which this CPU lacks"
    if info.risky:
        return f"a native build using {', '.join(sorted(info.risky))}, which this VM advertises but does not allow"
    return "a broken engine build or model file"


def _cache_key(model_path: str | os.PathLike[str]) -> str:
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    parts = [sys.executable, os.path.realpath(model_path)]
    if spec is not None and spec.origin:
        lib_dir = Path(spec.origin).parent / "lib"
        for lib in sorted(lib_dir.glob("*")) if lib_dir.is_dir() else []:
            st = lib.stat()
            parts.append(f"{lib.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "corral" / "engine-ok"


def ensure_engine_works(model_path: str | os.PathLike[str]) -> None:
    """Probe the engine with ``model_path`` once per engine build and model; raise EngineError if it crashes.

    The CLI calls this before loading the model in-process, so a broken native build becomes one
    clear line instead of a segfault. A success is remembered in ``~/.cache/corral/engine-ok``.
    """
    from corral.exceptions import EngineError

    marker = _cache_dir() / _cache_key(model_path)
    if marker.exists():
        return
    result = probe_engine(model_path)
    if not result.ok:
        try:
            info: EngineInfo | None = engine_info()
        except Exception:  # the import itself may be what is broken
            info = None
        raise EngineError(explain(result, info, cpu_flags()))
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("ok\n", encoding="utf-8")
    except OSError:
        pass  # a read-only home only costs a probe next time
