"""From Python, falling back to the tiny stand-in logs a warning, once per process (a fresh child process)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import logging
from corral import LlamaCppBackend
seen = []
class Keep(logging.Handler):
    def emit(self, record):
        seen.append((record.levelname, record.getMessage()))
logging.getLogger("corral").addHandler(Keep())
LlamaCppBackend(n_ctx=256)
LlamaCppBackend(n_ctx=256)
print(len(seen), seen[0][0], "tiny offline stand-in" in seen[0][1])
"""


def test_the_tiny_stand_in_is_announced_once(tiny_model_path, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CORRAL_MODEL"}
    env.update(HF_HOME=str(tmp_path), HF_HUB_CACHE=str(tmp_path))  # no cached Llama: the fallback is the tiny model
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "WARNING", "True"]
