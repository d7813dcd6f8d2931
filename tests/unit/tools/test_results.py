"""serialize_result: deterministic, compact, capped with an explicit marker."""

from __future__ import annotations

import dataclasses
import datetime
import enum

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from corral.tools import ToolError, ToolResult, serialize_result


class Mood(enum.Enum):
    HAPPY = "happy"


class Report(BaseModel):
    title: str
    when: datetime.date
    mood: Mood


@dataclasses.dataclass
class Pair:
    b: int
    a: int


def test_strings_pass_through_and_others_become_compact_sorted_json():
    assert serialize_result("  raw text\n") == "  raw text\n"
    assert serialize_result({"b": 1, "a": {"d": None, "c": [1, 2.5]}}) == '{"a":{"c":[1,2.5],"d":null},"b":1}'
    assert serialize_result(Pair(b=2, a=1)) == '{"a":1,"b":2}'
    report = Report(title="Été", when=datetime.date(2024, 5, 1), mood=Mood.HAPPY)
    assert serialize_result(report) == '{"mood":"happy","title":"Été","when":"2024-05-01"}'
    assert serialize_result((1, "x")) == '[1,"x"]'
    assert serialize_result(None) == "null" and serialize_result(True) == "true"
    assert serialize_result({"b", "a", "c"}) == '["a","b","c"]'
    assert serialize_result(object()).startswith('"<object object')


@given(st.text(), st.integers(min_value=60, max_value=500))
def test_cap_is_never_exceeded_and_always_marked(text, cap):
    out = serialize_result(text, cap)
    assert len(out) <= cap
    if len(text) > cap:
        assert out.endswith(f"of {len(text)} characters]") and text.startswith(out[: out.rindex("\n[...")])
    else:
        assert out == text


def test_result_values():
    ok = ToolResult(call_id="1", name="t", arguments={}, output=1, content="1")
    bad = ToolResult(call_id=None, name="t", error=ToolError(kind="timeout", message="slow"), content="slow")
    assert not ok.is_error and bad.is_error
