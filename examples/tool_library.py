"""A tool library used two ways: registered by import, and discovered from installed packages.

``examples/tool_library_pkg`` is a tiny installable package (``corral-unitconv``) that publishes
its tools under the ``corral.tools`` entry-point group in its ``pyproject.toml``. Discovery is
explicit: ``Registry.from_entry_points()`` fills a registry you hold; nothing is global.

Run it (offline, on the default model)::

    python examples/tool_library.py                         # by import (adds the package folder to sys.path)
    pip install examples/tool_library_pkg                   # then, once installed:
    python examples/tool_library.py --discover              # by discovery
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent / "tool_library_pkg"


def tools_by_import():  # noqa: ANN201
    """The library's Registry, imported by name (from the source folder when not installed)."""
    try:
        import corral_unitconv
    except ImportError:
        sys.path.insert(0, str(PACKAGE_DIR))
        import corral_unitconv
    return corral_unitconv.registry


def tools_by_discovery():  # noqa: ANN201
    """Every tool that installed packages publish under the ``corral.tools`` entry point."""
    from corral.tools import Registry

    return Registry.from_entry_points("corral.tools")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discover", action="store_true", help="use entry-point discovery (package installed)")
    parser.add_argument("--model", help="GGUF path or hf: reference (default: corral's resolution order)")
    parser.add_argument("question", nargs="?", default="Convert 100 degrees Fahrenheit to Celsius.")
    args = parser.parse_args(argv)

    imported = tools_by_import()
    print(f"by import:    {imported.names}")
    discovered = tools_by_discovery()
    print(f"by discovery: {discovered.names or '(none: pip install examples/tool_library_pkg)'}")
    if args.discover and not len(discovered):
        print("--discover needs the package installed: pip install examples/tool_library_pkg", file=sys.stderr)
        return 2
    registry = discovered if args.discover else imported

    from corral import Agent, LlamaCppBackend
    from corral.backends.model_files import resolve_model

    resolved = resolve_model(args.model)
    if resolved.is_tiny_stand_in:
        print("note: using the tiny offline stand-in model (SmolLM2-135M); answers will be rough", file=sys.stderr)
    agent = Agent(
        LlamaCppBackend(resolved.path, n_ctx=2048), tools=registry, tool_choice="required", max_turns=2, max_tokens=48
    )
    result = agent.run(args.question)
    for call in result.tool_calls:
        print(f"call {call.name}({call.arguments}) -> {call.result} [{call.status}]")
    print(f"answer ({result.stop_reason}): {str(result.output or '').strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
