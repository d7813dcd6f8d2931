"""The engine check: build features, the child-process probe, and the one-line explanation of a crash.

The crash is real: the probe's child process kills itself with the signal a broken native build dies of.
"""

from __future__ import annotations

import pytest

from corral.backends import engine
from corral.exceptions import EngineError

NATIVE_AMX = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 1 | "
    "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
PORTABLE = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | "
CRASH = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"


def _info(system_info: str) -> engine.EngineInfo:
    return engine.EngineInfo(version="0.3.36", system_info=system_info, features=engine.parse_features(system_info))


def test_features_are_read_from_system_info() -> None:
    assert engine.parse_features(NATIVE_AMX) >= {"AVX2", "AVX512", "AMX_INT8", "FMA"}
    assert "AVX512" not in engine.parse_features(PORTABLE)
    assert engine.parse_features("CPU : AVX = 0 | AVX2 = 1 |") == {"AVX2"}


def test_native_build_is_flagged_and_portable_is_not() -> None:
    assert _info(NATIVE_AMX).risky == {"AVX512", "AMX_INT8"}
    assert _info(PORTABLE).risky == frozenset()


def test_features_the_cpu_lacks_are_named() -> None:
    flags = frozenset({"pni", "ssse3", "avx", "avx2", "f16c", "fma"})
    assert _info(NATIVE_AMX).missing_on_cpu(flags) == {"AVX512", "AMX_INT8"}
    assert _info(NATIVE_AMX).missing_on_cpu(frozenset()) == frozenset()  # unknown CPU: claim nothing


def test_a_crashing_child_is_explained_with_the_signal_cause_and_fix() -> None:
    result = engine.probe_engine("unused.gguf", code=CRASH)
    assert not result.ok and result.signal_name == "SIGSEGV"
    vm_flags = frozenset({"pni", "ssse3", "avx", "avx2", "f16c", "fma", "avx512f", "amx_int8", "amx_tile"})
    line = engine.explain(result, _info(NATIVE_AMX), vm_flags)
    assert "advertises but does not allow" in line
    assert "SIGSEGV" in line and "AMX_INT8" in line and "AVX512" in line
    assert line.endswith(engine.reinstall_command("0.3.36"))
    assert "-DGGML_NATIVE=OFF" in line and "--no-cache-dir" in line and "==0.3.36" in line


def test_a_hanging_child_is_reported_not_waited_for() -> None:
    result = engine.probe_engine("unused.gguf", code="import time; time.sleep(60)", timeout=1)
    assert not result.ok and result.returncode is None
    assert "no answer within 1 s" in engine.explain(result)


def test_a_child_that_fails_normally_shows_its_last_error_line() -> None:
    result = engine.probe_engine("x.gguf", code="raise ValueError('Failed to load model from file')")
    assert not result.ok and result.returncode == 1 and result.signal_name is None
    assert "ValueError: Failed to load model from file" in engine.explain(result)


def test_ensure_engine_works_raises_the_explanation_and_remembers_success(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    real_probe = engine.probe_engine
    calls = []

    def probe(path, **kw):
        calls.append(path)
        return real_probe(path, code=code)

    monkeypatch.setattr(engine, "probe_engine", probe)
    code = CRASH
    with pytest.raises(EngineError, match="SIGSEGV.*Fix: CMAKE_ARGS"):
        engine.ensure_engine_works(model)
    code = "print('corral-probe-ok')"
    engine.ensure_engine_works(model)
    engine.ensure_engine_works(model)  # remembered: no second child
    assert len(calls) == 2
