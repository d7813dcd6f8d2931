"""Transcripts lose and mangle nothing: any Unicode round-trips, a recorded tool result is never run
again on resume, and a corrupt file is a FileFormatError naming its line.

Every transcript here is written by a real run (real chat format, parser, tools dispatcher, writer);
the model is a FunctionBackend that calls the tool once and then answers.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral import Agent, load_transcript
from corral.exceptions import FileFormatError
from corral.testing import FunctionBackend
from corral.tools import tool

TRICKY = ["\u2028", "\u2029", "\u0085", "\ud800", "\udfff", "\x00", "\x0b", "\x1c", "\r", "é", "😀"]
ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from(TRICKY),
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    ),
    max_size=30,
)


def call_then_answer(answer: str = "All done."):
    """Call ``stamp`` until the conversation holds a tool result, then answer."""

    def reply(prompt: str) -> str:
        has_result = "<|start_header_id|>ipython<|end_header_id|>" in prompt
        return answer if has_result else '[stamp(note="x")]'

    return reply


def counting_agent(text: str = "stamped"):
    calls: list[str] = []

    @tool
    def stamp(note: str) -> str:
        """Stamp a note (counts every real execution).

        Args:
            note: The note.
        """
        calls.append(note)
        return text

    return Agent(FunctionBackend(call_then_answer()), tools=[stamp], guards=None), calls


def recorded_lines(tmp_path) -> list[str]:
    agent, calls = counting_agent()
    path = tmp_path / "full.jsonl"
    assert agent.run("Stamp it.", transcript=path).ok and calls == ["x"]
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def test_resume_never_reruns_a_recorded_tool_result_at_any_cut(tmp_path):
    lines = recorded_lines(tmp_path)
    kinds = [json.loads(line)["type"] for line in lines]
    assert "tool_result" in kinds
    for cut in range(1, len(lines)):
        path = tmp_path / f"cut{cut}.jsonl"
        path.write_text("".join(line + "\n" for line in lines[:cut]), encoding="utf-8")
        restored = load_transcript(path)
        if restored.stop_reason != "incomplete" or not restored.messages:
            continue  # nothing to resume (not started yet, or already finished)
        agent, calls = counting_agent()
        resumed = agent.run(history=restored)
        recorded = "tool_result" in kinds[:cut]
        assert resumed.ok, (cut, resumed.stop_message)
        assert len(calls) == (0 if recorded else 1), f"cut after line {cut} ({kinds[cut - 1]}): ran {calls}"
        tool_messages = [m for m in resumed.messages if m.role in ("tool", "ipython")]
        assert [m.content for m in tool_messages] == ["stamped"], cut


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("42", "expected a JSON object (one event), got int"),
        ("[1, 2]", "expected a JSON object (one event), got list"),
        ('{"type": "message_added"}', "missing key 'message'"),
        ('{"type": "message_added", "message": {"role": "wizard", "content": "hi"}}', "bad event"),
        ('{"type": "tool_result", "record": 42}', "bad event"),
        ('{"type": "tool_result", "record": {"id": "c"}}', "missing key"),
        ("{not json", "not a JSON line"),
    ],
)
def test_a_corrupt_line_is_a_typed_error_with_its_number(tmp_path, bad, problem):
    lines = recorded_lines(tmp_path)
    lines[2] = bad
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(FileFormatError) as info:
        load_transcript(path)
    assert str(info.value).startswith(f"{path}:3: {problem}")
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("line_no", "replace", "problem"),
    [
        (1, lambda d: d.pop("messages"), "missing key 'messages'"),
        (1, lambda d: d.pop("run_id"), "missing key 'run_id'"),
        (-1, lambda d: d.update(turns=[{"bogus": 1}]), "bad event"),
    ],
)
def test_corrupt_first_and_last_lines_name_their_line(tmp_path, line_no, replace, problem):
    lines = recorded_lines(tmp_path)
    index = line_no - 1 if line_no > 0 else len(lines) + line_no
    data = json.loads(lines[index])
    replace(data)
    lines[index] = json.dumps(data)
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(FileFormatError, match=rf":{index + 1}: {problem}"):
        load_transcript(path)


def test_non_utf8_in_the_middle_names_the_line_but_a_torn_tail_is_tolerated(tmp_path):
    lines = [line.encode() for line in recorded_lines(tmp_path)]
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b"\n".join(lines[:2] + [b'{"type": "x", "v": "\xff"}'] + lines[2:]) + b"\n")
    with pytest.raises(FileFormatError, match=r":3: not UTF-8 text \(byte 0xff"):
        load_transcript(path)
    path.write_bytes(b"\n".join(lines[:4]) + b'\n{"type": "message_added", "x": "' + "é".encode()[:1])
    assert load_transcript(path).stop_reason == "incomplete"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
def test_property_any_unicode_round_trips_through_a_transcript(tmp_path_factory, text):
    text = json.loads(json.dumps(text))  # JSON's one limit: a surrogate pair as two code points reads back joined
    agent, _ = counting_agent(text)
    agent.backend.fn = call_then_answer("Answer: " + text)
    path = tmp_path_factory.mktemp("t") / "t.jsonl"
    result = agent.run("Question: " + text, transcript=path)
    raw = path.read_bytes()
    assert raw.count(b"\n") == len(raw.decode("utf-8").split("\n")) - 1  # UTF-8, one event per line
    restored = load_transcript(path)
    assert restored.messages == result.messages
    assert restored.output == result.output and restored.stop_reason == result.stop_reason
    assert [c.result for c in restored.tool_calls] == [text]
