"""PromptBuilder: incremental rendering is byte-for-byte the full render, and its caches invalidate."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from corral.prompts import HeadCache, JinjaFormat, Message, PromptBuilder, ToolCall, get_format, parse, pythonic

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PING = {"name": "ping", "parameters": {"type": "object", "properties": {}}}
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
FORMATS = ["llama3.2", "llama3.2-json", "llama3.1", "llama3", "llama3.2-json-sys", "chatml"]


def make_format(name):
    if name == "chatml":
        return JinjaFormat(CHATML)
    if name == "llama3.2-json-sys":
        return get_format("llama3.2-json", tools_in_user_message=False)
    return get_format(name)


def random_message(rng: random.Random, i: int) -> Message:
    kind = rng.choice(["user", "assistant", "calls", "tool", "system"])
    text = rng.choice(["hi", " padded \n", "é ü 😀", 'quote " and \\ slash', "", "multi\nline"])
    if kind == "calls":
        calls = [ToolCall(name="get_weather", arguments={"city": text}, id=f"c{i}")]
        return Message(role="assistant", tool_calls=calls)
    if kind == "tool":
        return Message(role="tool", content=text, tool_call_id=f"c{i}")
    return Message(role=kind, content=text)


def start(rng: random.Random) -> list[Message]:
    head = [Message(role="system", content="Be brief.")] if rng.random() < 0.7 else []
    return head + [Message(role="user", content="Weather in Paris?")]


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("seed", range(6))
def test_incremental_render_equals_full_render_on_random_conversations(name, seed):
    rng = random.Random(seed)
    fmt = make_format(name)
    tools = rng.choice([None, [WEATHER], [WEATHER, PING]])
    builder = PromptBuilder(fmt, date=dt.date(2025, 1, 1), heads=HeadCache())
    msgs = start(rng)
    for turn in range(8):
        got = builder.render(msgs, tools)
        assert got == fmt.render(msgs, tools, date=dt.date(2025, 1, 1)), (name, seed, turn)
        msgs = msgs + [random_message(rng, turn) for _ in range(rng.randint(1, 3))]  # a new list, same objects


def test_history_is_rendered_once_and_heads_are_shared_between_runs():
    fmt, heads, tools = get_format("llama3.2"), HeadCache(), [WEATHER]
    msgs = [Message(role="system", content="Be brief."), Message(role="user", content="Hi")]
    first = PromptBuilder(fmt, date="1 Jan 2025", heads=heads)
    for i in range(5):
        first.render(msgs, tools)
        msgs.append(Message(role="user", content=f"more {i}"))
    assert first.full_renders == 1  # only the head, once
    second = PromptBuilder(fmt, date="1 Jan 2025", heads=heads)
    assert second.render(msgs, tools) == fmt.render(msgs, tools, date="1 Jan 2025")
    assert second.full_renders == 0  # the head came from the shared cache
    other_system = [Message(role="system", content="Be verbose.")] + msgs[1:]
    assert second.render(other_system, tools) == fmt.render(other_system, tools, date="1 Jan 2025")


def test_changed_tools_edited_history_or_date_render_afresh():
    fmt, heads = get_format("llama3.2"), HeadCache()
    msgs = [Message(role="user", content="Hi"), Message(role="assistant", content="Hello")]
    builder = PromptBuilder(fmt, date="1 Jan 2025", heads=heads)
    builder.render(msgs, [WEATHER])
    other_tools = [WEATHER, PING]  # a different object: never served from the old head
    assert builder.render(msgs, other_tools) == fmt.render(msgs, other_tools, date="1 Jan 2025")
    edited = [msgs[0], Message(role="assistant", content="Changed")]  # not an extension: start over
    assert builder.render(edited, other_tools) == fmt.render(edited, other_tools, date="1 Jan 2025")
    shorter = edited[:1]
    assert builder.render(shorter, other_tools) == fmt.render(shorter, other_tools, date="1 Jan 2025")
    later = PromptBuilder(fmt, date="2 Jan 2025", heads=heads)
    assert "2 January 2025" not in later.render(shorter, other_tools)  # a given string is used as is
    assert "Today Date: 2 Jan 2025" in later.render(shorter, other_tools)


def test_the_date_is_pinned_when_the_builder_is_made():
    builder = PromptBuilder(get_format("llama3.2"))
    assert builder.date == dt.date.today()
    msgs = [Message(role="user", content="Hi")]
    assert builder.date.strftime("%d %B %Y") in builder.render(msgs, None)


def test_head_cache_is_bounded():
    heads = HeadCache(size=2)
    fmt = get_format("llama3.2")
    for i in range(5):
        PromptBuilder(fmt, date="x", heads=heads).render([Message(role="system", content=f"s{i}")], None)
        assert len(heads) <= 2


def test_llama3_json_missing_user_message_still_raises_like_render():
    from corral.exceptions import RenderError

    builder = PromptBuilder(get_format("llama3.2-json"), date="x")
    with pytest.raises(RenderError):
        builder.render([Message(role="system", content="s")], [WEATHER])


# --- the pythonic parser's fast path agrees with the ast path ---------------------------------


def _value(rng: random.Random, depth: int = 0):
    kinds = ["int", "float", "str", "bool", "none"] + (["list", "dict"] if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.randint(-(10**20), 10**20)
    if kind == "float":
        return rng.choice([0.5, -2.5e-07, 1e300, -0.0, 3.0])
    if kind == "str":
        return "".join(rng.choice('ab "\\/\n\té😀)]}') for _ in range(rng.randint(0, 6)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 3))}


@pytest.mark.parametrize("seed", range(20))
def test_fast_pythonic_parse_equals_the_ast_path(seed, monkeypatch):
    rng = random.Random(seed)
    fmt = get_format("llama3.2")
    calls = [
        ToolCall(
            name=rng.choice(["f", "get_weather", "a.b"]),
            arguments={f"x{i}": _value(rng) for i in range(rng.randint(0, 3))},
        )
        for _ in range(rng.randint(1, 3))
    ]
    text = fmt.encode_calls(calls)
    spaced = text.replace(", ", " ,  ").replace("(", " ( ")
    fast = [parse(t).tool_calls for t in (text, spaced)]
    monkeypatch.setattr(pythonic, "_fast_list", lambda src: None)
    slow = [parse(t).tool_calls for t in (text, spaced)]
    assert fast == slow
    assert fast[0] == calls


@pytest.mark.parametrize(
    "text",
    [
        "[f(a=1,)]",
        '[f(a="\\/")]',
        "[f(a=+1)]",
        "[f(a='x')]",
        "[f(a=1e400)]",
        "[f(a=1, a=2)]",
        '[f(a={"k": 1, "k": 2})]',
        "[f(1)]",
        "[if(a=1)]",
        "[f(a=True_)]",
        "[f() g()]",
        '[f(a="a" "b")]',
        "[f(class=1)]",
        "[f(a=[True, None])]",
    ],
)
def test_python_only_syntax_and_errors_fall_back_to_ast(text, monkeypatch):
    def outcome():
        try:
            return parse(text).tool_calls
        except ValueError as exc:
            return str(exc)

    fast = outcome()
    monkeypatch.setattr(pythonic, "_fast_list", lambda src: None)
    assert fast == outcome()
