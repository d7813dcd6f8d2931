"""Leave-one-source-out figures: ``python -m corral.guards.training.loso [--markdown] [--only NAME]``.

For each data source, train both stage models without it (train and calibration splits), then
score every item of that source (its train and test splits) with InjectionGuard built from both
fold models, so each text meets the model the shipped guard would send it to (source code typed at
input goes to the tool_result model): recall for attack sources, false-positive rate for benign
ones. These are the honest figures: the models never saw the source, its templates, or its
style. (The in-distribution figures are the held-out split of ``python -m
corral.guards.training.train``.)

The guard's rules run too, as they do in InjectionGuard; a tool-result redaction counts as a
detection. Needs the ``train`` extra (numpy, scipy), like training.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..injection import InjectionGuard, load_models
from .corpus import default_data_dir
from .train import ORIGINS, PROFILE_STAGES, SEED, Split, _matches, build_splits, train_stage

__all__ = ["SOURCES", "leave_out", "fold_guard", "run", "main"]

# Source name -> the split sources (prefixes) it covers: the origins training counts (train.ORIGINS).
SOURCES = ORIGINS


def leave_out(split: Split, prefixes: tuple[str, ...]) -> tuple[Split, Split]:
    """(the split without the source, the source's items alone)."""
    kept = {k: v for k, v in split.items.items() if not _matches(k[0], prefixes)}
    gone = {k: v for k, v in split.items.items() if _matches(k[0], prefixes)}
    return Split(kept, split.hidden), Split(gone, split.hidden)


def run(
    data: Path, names: list[str], seed: int = SEED, on_row=None, profile: str = "default"
) -> list[tuple[str, str, str, int, float]]:
    """Rows (source, stage, label, n, rate) for each named source; ``on_row(rows)`` after each fold.

    A profile trains only its own stage models per fold (the ai-docs profile: tool_result); the
    guard takes the shipped default models for the other stages, as InjectionGuard(profile=...) does.
    """
    train_split, calib_split, test_split = build_splits(data, seed, profile)
    stages = PROFILE_STAGES[profile]
    rows: list[tuple[str, str, str, int, float]] = []
    for name in names:
        prefixes = SOURCES[name]
        train_wo, held_a = leave_out(train_split, prefixes)
        calib_wo, _ = leave_out(calib_split, prefixes)
        _, held_b = leave_out(test_split, prefixes)
        if not any(k[1] in stages for k in {**held_a.items, **held_b.items}):
            continue  # nothing of it in this profile's stages (the READMEs outside the ai-docs profile)
        print(f"{name}: training the stage models ({', '.join(stages)}) without it", file=sys.stderr)
        guard = fold_guard(train_wo, calib_wo, profile)
        for stage in stages:
            held = {
                k: held_a.items.get(k, []) + held_b.items.get(k, [])
                for k in {**held_a.items, **held_b.items}
                if k[1] == stage
            }
            if held:
                rows += _score(name, stage, held, guard)
        if on_row is not None:
            on_row(rows)
    return rows


def fold_guard(train_wo: Split, calib_wo: Split, profile: str = "default") -> InjectionGuard:
    """The guard as shipped, with both stage models trained without the source: input-stage code is
    judged by the tool_result model, as InjectionGuard routes it, so that model must not know it either.
    (A profile's fold trains its own stages and keeps the shipped models of the others.)"""
    models = dict(load_models()) if profile != "default" else {}
    for stage in PROFILE_STAGES[profile]:
        model, _metrics = train_stage(train_wo.stage(stage), calib_wo.stage(stage), Split(), marks=profile != "default")
        models[stage] = model
    return InjectionGuard(models=models)


def _score(name: str, stage: str, held: dict, guard: InjectionGuard) -> list[tuple[str, str, str, int, float]]:
    out = []
    for label in (1, 0):
        texts = [t for k, v in held.items() if k[2] == label for t in v]
        if texts:
            hits = sum(guard.check(stage, t).action != "allow" for t in texts)
            out.append((name, stage, "attack" if label else "benign", len(texts), hits / len(texts)))
    return out


def render(rows: list[tuple[str, str, str, int, float]], *, markdown: bool) -> str:
    header = ["left-out source", "stage", "label", "n", "recall", "FPR"]
    body = [
        [n, s, lab, str(k), f"{r:.3f}" if lab == "attack" else "-", f"{r:.3f}" if lab == "benign" else "-"]
        for n, s, lab, k, r in rows
    ]
    if markdown:
        return "\n".join("| " + " | ".join(r) + " |" for r in [header, ["---"] * 6] + body)
    widths = [max(len(r[i]) for r in [header] + body) for i in range(6)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in [header] + body)


_HEADER = f"""# Leave-one-source-out figures of the injection classifier

Written by `python -m corral.guards.training.loso --markdown --out guards/training/LOSO.md` (seed
{SEED}). Each row: both stage models trained (and calibrated) without that source, then run as
InjectionGuard (rules, decoding, redaction, and code at input judged by the tool_result model) on
every item of the source; a redaction counts as a detection. Targets: recall >= 0.85 on attacks,
FPR <= 0.02 on benign sources.

"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corral.guards.training.loso", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="guard data folder (default: CORRAL_DATA_DIR or ../shared/data/guards)"
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(SOURCES), help="leave out only this source (repeatable)"
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--profile", choices=sorted(PROFILE_STAGES), default="default", help="the InjectionGuard profile to fold"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here, updated after every fold")
    args = parser.parse_args(argv)

    header = _HEADER
    if args.profile != "default":
        header += (
            f"Profile `{args.profile}` (`--profile {args.profile}`): each fold trains only the profile's stage"
            f" models ({', '.join(PROFILE_STAGES[args.profile])}); the other stages use the shipped default models.\n\n"
        )

    def write(rows):
        if args.out is not None:
            args.out.write_text(header + render(rows, markdown=True) + "\n", encoding="utf-8")

    print(
        render(
            run(args.data or default_data_dir(), args.only or list(SOURCES), on_row=write, profile=args.profile),
            markdown=args.markdown,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
