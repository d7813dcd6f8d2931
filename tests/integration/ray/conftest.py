"""One local Ray for the whole test session (its start-up takes seconds): 4 logical CPUs (a rerun's
checkpoint filter actor takes one whole), 0.5 per agent actor, a quarter per read or write task.

The stub model server runs in the test process on 127.0.0.1; the actors reach it over loopback.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

TOOLS = textwrap.dedent('''
    from corral.tools import RunContext, tool

    @tool
    def lookup(ctx: RunContext, key: str) -> str:
        """Look a key up.

        Args:
            key: The key.
        """
        if key == "boom":
            raise ValueError("lookup exploded")
        return f"looked-up:{key}:{ctx.idempotency_key}"
''')


def respond(prompt: str) -> str:
    """The model's side, stateless: call ``lookup`` for the item, then answer with what it returned."""
    if "server-fail" in prompt:
        raise RuntimeError("the model server is down")  # the stub answers 500, every time
    found = re.findall(r"looked-up:([^:\"]+)", prompt)
    if found or "raised" in prompt:
        return "answer: " + (found[-1] if found else "none")
    key = re.findall(r"item (\w+)", prompt)[-1]
    return f'[lookup(key="{key}")]'


@pytest.fixture(scope="session")
def ray_session():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=4, include_dashboard=False, logging_level="WARNING", _node_ip_address="127.0.0.1")
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


def write_case(d: Path, base_url: str, items: list[dict], guards: bool = True) -> Path:
    """Tools, spec and tasks in ``d``; returns the spec path."""
    (d / "rtools.py").write_text(TOOLS)
    (d / "tasks.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    spec = d / "agent.toml"
    spec.write_text(
        textwrap.dedent(f'''
        tools = ["rtools:lookup"]
        [backend]
        type = "openai"
        base_url = "{base_url}"
        max_retries = 1
        [guards]
        default = {str(guards).lower()}
        [limits]
        max_turns = 3
    ''')
    )
    return spec


def items(n: int) -> list[dict]:
    return [{"id": f"item-{i:03d}", "input": f"Please do item {i}."} for i in range(n)]
