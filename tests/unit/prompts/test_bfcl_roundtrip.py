"""Every BFCL possible answer, written as a model would in each call syntax, parses back to the
same calls (100 %), streams to the same calls, and is accepted by the tools' grammars."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from corral.prompts import StreamParser, ToolCall, encode_calls, get_format, parse
from corral.tools import normalize_schema

SETS = ["simple_python", "multiple", "parallel", "parallel_multiple"]
SYNTAXES = ["pythonic", "json", "function_tag", "python_tag"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def first_choices(params: dict) -> dict:
    """First acceptable value per parameter (nested dicts list choices too); "" means omitted."""
    out = {}
    for key, choices in params.items():
        if not choices or choices[0] == "":
            continue
        out[key] = _first(choices[0])
    return out


def _first(value):
    if isinstance(value, dict):
        return first_choices(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [first_choices(v) for v in value]
    return value


def json_schema(schema):
    """BFCL's schema dialect -> JSON Schema, through the library's own normaliser."""
    return normalize_schema(schema)


def answer_calls(item: dict) -> list[ToolCall]:
    calls = []
    for entry in item["ground_truth"]:
        ((name, params),) = entry.items()
        calls.append(ToolCall(name=name, arguments=first_choices(params)))
    return calls


@pytest.fixture(scope="module")
def bfcl(data_dir):
    items = []
    for name in SETS:
        answers = _lines(data_dir / "bfcl" / "possible_answer" / f"BFCL_v4_{name}.json")
        questions = {q["id"]: q for q in _lines(data_dir / "bfcl" / f"BFCL_v4_{name}.json")}
        items += [(a, questions[a["id"]]) for a in answers]
    assert len(items) > 700
    return items


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_answer_round_trips(bfcl, syntax):
    failures = []
    for answer, _ in bfcl:
        calls = answer_calls(answer)
        text = encode_calls(calls, syntax) + "<|eot_id|>"
        for mode in (syntax, "auto"):
            if parse(text, syntax=mode).tool_calls != calls:
                failures.append((answer["id"], mode, text))
    assert failures == []


@pytest.mark.parametrize("syntax", ["pythonic", "json", "function_tag"])
def test_every_answer_streams_to_the_same_calls(bfcl, syntax):
    for answer, _ in bfcl:
        calls = answer_calls(answer)
        text = encode_calls(calls, syntax)
        sp = StreamParser()
        emitted = [c for i in range(0, len(text), 3) for c in sp.feed(text[i : i + 3])]
        assert emitted == calls == sp.close().tool_calls, answer["id"]


def _in_schema_order(call: ToolCall, functions: list[dict]) -> ToolCall:
    fn = next(f for f in functions if f["name"] == call.name)
    order = list(fn["parameters"].get("properties", {}))
    args = {k: call.arguments[k] for k in order if k in call.arguments}
    return ToolCall(name=call.name, arguments=args)


@pytest.mark.parametrize("fmt_name", ["llama3.2", "llama3.2-json"])
def test_grammar_accepts_every_answer(bfcl, fmt_name, accepts):
    fmt = get_format(fmt_name, parallel_calls=True) if fmt_name != "llama3.2" else get_format(fmt_name)
    refused, invalid = [], []
    for answer, question in bfcl:
        calls = [_in_schema_order(c, question["function"]) for c in answer_calls(answer)]
        if not all(_valid(c, question["function"]) for c in calls):
            invalid.append(answer["id"])  # BFCL's own answer breaks its schema: the grammar must refuse
            if accepts(fmt.grammar(question["function"]), fmt.encode_calls(calls)):
                refused.append(("accepted invalid", answer["id"]))
        elif not accepts(fmt.grammar(question["function"]), fmt.encode_calls(calls)):
            refused.append(answer["id"])
    assert refused == []
    assert len(invalid) <= 5, invalid


def _valid(call: ToolCall, functions: list[dict]) -> bool:
    fn = next(f for f in functions if f["name"] == call.name)
    return jsonschema.Draft202012Validator(json_schema(fn["parameters"])).is_valid(call.arguments)
