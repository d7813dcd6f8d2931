"""A peer on the leave-one-source-out sources: ``python -m corral.guards.training.peers``.

last_layer (PyPI ``last_layer`` 0.1.33, an MIT wrapper around a closed compiled model) is the one
offline prompt-injection detector on PyPI we found that runs here without a model hub. Its users call
``scan_prompt(text)`` and refuse the text when it does not pass. It is scored on every item of each
source in corral.guards.training.loso.SOURCES that the LOSO table scores (its train and test
splits), at both stages alike (it has no notion of stage): as its users configure it (any marker:
PII, links, code, languages, ...) and with only its injection markers (INJECTION_MARKERS), since
corral's PII and code guards are separate. Compare with guards/training/LOSO.md, where corral never
saw the source; what last_layer was trained on is not published.

Install it beside corral, never as a dependency: ``pip install --no-deps last_layer==0.1.33``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from .corpus import default_data_dir
from .loso import SOURCES, leave_out
from .train import SEED, STAGE_MODELS, Split, build_splits

__all__ = ["INJECTION_MARKERS", "PeerUnavailable", "last_layer", "rows", "main"]

INJECTION_MARKERS = frozenset(
    {"ExploitClassifier", "ObfuscationDetector", "InvisibleUnicodeDetector", "HiddenTextDetector"}
)
Row = tuple[str, str, str, int, float, float]


class PeerUnavailable(RuntimeError):
    """The peer is not installed or cannot load; the message says how to install it."""


def last_layer() -> Callable[[str], frozenset[str]]:
    """last_layer's ``scan_prompt`` as text -> the names of the markers it raised."""
    spec = importlib.util.find_spec("last_layer")
    if spec is None or not spec.submodule_search_locations:
        raise PeerUnavailable("last_layer is not installed: pip install --no-deps last_layer==0.1.33")
    root = spec.submodule_search_locations[0]
    if importlib.util.find_spec("pkg_resources") is None:
        # last_layer finds its library with pkg_resources, which recent setuptools no longer ships (84 here).
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = lambda _package, relative: os.path.join(root, relative)  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
    try:
        from last_layer import scan_prompt
    except OSError as exc:  # its closed library is built for glibc Linux and macOS only
        raise PeerUnavailable(f"last_layer's library does not load here: {exc}") from exc
    return lambda text: frozenset(scan_prompt(text).markers)


def rows(scan: Callable[[str], frozenset[str]], splits: tuple[Split, ...]) -> list[Row]:
    """(source, stage, label, n, share refused with any marker, share with an injection marker)."""
    out: list[Row] = []
    for name, prefixes in SOURCES.items():
        parts = [leave_out(split, prefixes)[1] for split in splits]
        for stage in STAGE_MODELS:
            for label in (1, 0):
                texts = [t for p in parts for k, v in p.items.items() if k[1:] == (stage, label) for t in v]
                if texts:
                    marks = [scan(t) for t in texts]
                    refused = sum(bool(m) for m in marks) / len(texts)
                    injection = sum(bool(m & INJECTION_MARKERS) for m in marks) / len(texts)
                    out.append((name, stage, "attack" if label else "benign", len(texts), refused, injection))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corral.guards.training.peers", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="guard data folder (default: CORRAL_DATA_DIR or ../shared/data/guards)"
    )
    args = parser.parse_args(argv)
    try:
        scan = last_layer()
    except PeerUnavailable as exc:
        print(f"no peer: {exc}", file=sys.stderr)
        return 2
    train, _calibration, test = build_splits(args.data or default_data_dir(), SEED)
    print(f"last_layer {metadata.version('last_layer')}, on the LOSO items (seed {SEED})\n")
    print("| source | stage | label | n | last_layer as configured | last_layer, injection markers |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, stage, label, n, refused, injection in rows(scan, (train, test)):
        print(f"| {name} | {stage} | {label} | {n} | {refused:.3f} | {injection:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
