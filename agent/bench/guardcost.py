"""Section 5: microseconds per 4 KB message for each offline guard and for the default chain.

The message is ordinary third-party text of the kind tool results carry: prose, a JSON record,
an e-mail address and a phone number, and a fenced code block, cut to exactly 4,096 characters.
Each repetition checks ``guard_messages`` distinct variants with every guard in turn (guards
interleaved, so drift hits them alike); the median over repetitions is reported.

That message repeats five parts, and a rule pays for the words a text holds: the injection guard
and the default chain are also timed on ``guard_messages`` different 4 KB pieces of generated
benign tool traffic, text as varied as real tool results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .config import BenchConfig
from .report import Row, SectionResult
from .stats import median

__all__ = ["guard_section", "message_4k", "varied_4k", "MESSAGE_BYTES"]

MESSAGE_BYTES = 4096

_PARTS = (
    "Quarterly operations summary for the northern region. Deliveries rose eleven percent while "
    "returns held steady; the warehouse in Leeds finished its shelving upgrade two weeks early. ",
    '{"order_id": 88213, "status": "shipped", "items": [{"sku": "A-113", "qty": 4}], "carrier": "DPD"} ',
    "For questions contact the regional desk at ops.north@example.com or call +44 20 7946 0958. ",
    "```python\nimport json\n\ndef total(rows):\n    return sum(r['qty'] for r in rows)\n```\n",
    "Next steps: confirm the holiday roster, renew the forklift lease, and review the supplier "
    "scorecards with finance before the end of the month. ",
)


def message_4k(variant: int = 0) -> str:
    """A 4,096-character message; ``variant`` changes a number so no guard can cache the text."""
    text = f"Report #{variant}. "
    i = 0
    while len(text) < MESSAGE_BYTES:
        text += _PARTS[i % len(_PARTS)]
        i += 1
    return text[:MESSAGE_BYTES]


def varied_4k(count: int) -> list[str]:
    """``count`` 4,096-character pieces of generated benign tool traffic (mail, articles, JSON,
    tables, logs and how-tos written from standard-library documentation), each piece different."""
    from corral.guards.training.traffic import benign_tool_outputs

    pieces: list[str] = []
    text, seed = "", 0
    while len(pieces) < count:
        for doc in benign_tool_outputs(50, seed=seed):
            text += doc + "\n\n"
            while len(text) >= MESSAGE_BYTES:
                pieces.append(text[:MESSAGE_BYTES])
                text = text[MESSAGE_BYTES:]
        seed += 1
    return pieces[:count]


def _subjects() -> dict[str, Callable[[str], Any]]:
    """Each offline guard on the stage a 4 KB message meets it, then the default chain per stage."""
    from corral.guards import CodeScanner, GuardChain, InjectionGuard, PIIRedactor, ToolPolicy
    from corral.guards.base import ToolCallPayload

    injection, pii, code, policy = InjectionGuard(), PIIRedactor(), CodeScanner(), ToolPolicy()
    chain = GuardChain.default()

    def call(text: str) -> ToolCallPayload:
        return ToolCallPayload(name="write_note", arguments={"text": text})

    return {
        "InjectionGuard (tool_result)": lambda m: injection.check("tool_result", m),
        "PIIRedactor (tool_result)": lambda m: pii.check("tool_result", m),
        "CodeScanner (output)": lambda m: code.check("output", m),
        "ToolPolicy (tool_call)": lambda m: policy.check("tool_call", call(m)),
        "default chain: input": lambda m: chain.check("input", m),
        "default chain: tool_call": lambda m: chain.check("tool_call", call(m)),
        "default chain: tool_result": lambda m: chain.check("tool_result", m),
        "default chain: output": lambda m: chain.check("output", m),
    }


def _time_per_message(check: Callable[[str], Any], messages: list[str]) -> float:
    started = time.perf_counter()
    for message in messages:
        check(message)
    return (time.perf_counter() - started) / len(messages) * 1e6


def guard_section(config: BenchConfig) -> SectionResult:
    """Median microseconds per 4 KB message, per guard and per default-chain stage."""
    subjects = _subjects()
    count = config.size.guard_messages
    messages = [message_4k(i) for i in range(count)]
    for check in subjects.values():  # warm-up: lazy model loads and regex compilation
        check(messages[0])
    varied = varied_4k(count)
    on_varied = {name: subjects[name] for name in _ON_VARIED}
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    samples.update({f"{name}, varied": [] for name in on_varied})
    for _ in range(config.size.repetitions):
        for name, check in subjects.items():
            samples[name].append(_time_per_message(check, messages))
        for name, check in on_varied.items():
            samples[f"{name}, varied"].append(_time_per_message(check, varied))
    rows = [
        Row(
            metric=f"{name.removesuffix(', varied')}, per 4 KB "
            + ("piece of varied tool traffic" if name.endswith(", varied") else "message"),
            value=median(values),
            unit="us",
            detail=f"median of {len(values)} x {len(varied) if name.endswith(', varied') else count}",
        )
        for name, values in samples.items()
    ]
    return SectionResult(
        name="guards",
        rows=rows,
        data={"message_chars": MESSAGE_BYTES, "messages": count, "varied": len(varied), "us_per_message": samples},
    )


# Timed on varied text too: the guard whose rules read every word, and the chain around it.
_ON_VARIED = ("InjectionGuard (tool_result)", "default chain: input", "default chain: tool_result")
