"""A scripted agent: a TOML spec plus a JSONL task file, run through ``corral batch``.

The agent is entirely described by ``scripted_agent.toml`` (backend, tools, guards, limits); the
tasks are ``scripted_agent_tasks.jsonl``. This script is the same as typing::

    corral batch --spec examples/scripted_agent.toml \\
                 --input examples/scripted_agent_tasks.jsonl --output results.jsonl

and then prints the results. Run it again with ``--resume`` and finished items are skipped.

In Python, the same spec gives an Agent::

    from corral import Agent
    agent = Agent.from_spec("examples/scripted_agent.toml")
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    from corral.cli import main as corral_main

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="results file (default: a new temp file)")
    parser.add_argument("--resume", action="store_true", help="skip tasks already in --output")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    output = args.output or Path(tempfile.mkdtemp(prefix="corral-batch-")) / "results.jsonl"
    command = [
        "batch",
        "--spec",
        str(HERE / "scripted_agent.toml"),
        "--input",
        str(HERE / "scripted_agent_tasks.jsonl"),
        "--output",
        str(output),
        "--concurrency",
        str(args.concurrency),
    ] + (["--resume"] if args.resume else [])
    code = corral_main(command)
    if not output.exists():
        return code
    print(f"results in {output}:")
    for record in map(json.loads, output.read_text(encoding="utf-8").splitlines()):
        calls = ", ".join(f"{c['name']}({json.dumps(c['arguments'])})={c['result']}" for c in record["calls"]) or "-"
        blocked = [f"{v['stage']}:{v['guard']}" for v in record["verdicts"] if v["action"] == "block"]
        print(f"  {record['id']:<10} {record['status']:<10} calls: {calls}")
        print(
            f"  {'':<10} answer: {str(record['answer'] or '').strip()[:120]}"
            + (f"  (blocked by {', '.join(blocked)})" if blocked else "")
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
