"""render(): literal prompts per format, append-only growth, quirks, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from corral.exceptions import RenderError, ToolDefinitionError, UnknownFormatError, UsageError
from corral.prompts import FORMAT_NAMES, JinjaFormat, Message, ToolCall, get_format, parse, render, tool_specs

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def conversation():
    return [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny, 21 C"},
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "Thanks!"},
    ]


def test_llama32_literal_prompt_without_tools():
    out = render(
        [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi"}], date=dt.date(2024, 7, 26)
    )
    assert out == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 July 2024\n\n"
        "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_llama32_tools_calls_and_results():
    out = render(conversation(), [WEATHER], date="26 July 2024")
    assert out.startswith(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 July 2024\n\n"
    )
    assert "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]" in out
    assert '"name": "get_weather"' in out and '"type": "function"' not in out  # bare function objects
    assert (
        '<|start_header_id|>assistant<|end_header_id|>\n\n[get_weather(city="Paris")]<|eot_id|>'
        "<|start_header_id|>ipython<|end_header_id|>\n\nsunny, 21 C<|eot_id|>"
    ) in out


def test_llama32_json_quirks():
    fmt = get_format("llama3.2-json")
    out = fmt.render(conversation(), [WEATHER], date=dt.date(2024, 7, 5))
    assert "Today Date: 05 Jul 2024\n\n" in out
    # tools in the first user message, with that message's text after them
    assert '"type": "function",\n    "function": {' in out
    assert out.count("<|start_header_id|>user<|end_header_id|>") == 2
    assert "}\n\nWeather in Paris?<|eot_id|>" in out
    # string tool results go through tojson
    assert '<|start_header_id|>ipython<|end_header_id|>\n\n"sunny, 21 C"<|eot_id|>' in out
    assert '{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>' in out


def test_llama32_json_tools_in_system():
    out = get_format("llama3.2-json", tools_in_user_message=False).render(conversation(), [WEATHER], date="x")
    system = out.split("<|eot_id|>")[0]
    assert "You have access to the following functions." in system and '"get_weather"' in system


def test_single_call_only_unless_parallel():
    msgs = [
        {"role": "user", "content": "two"},
        {"role": "assistant", "tool_calls": [{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]},
    ]
    with pytest.raises(RenderError, match="one tool call per assistant message"):
        render(msgs, format="llama3.2-json", date="x")
    out = get_format("llama3.2-json", parallel_calls=True).render(msgs, date="x")
    assert '{"name": "a", "parameters": {}}; {"name": "b", "parameters": {}}<|eot_id|>' in out


def test_tools_in_user_message_needs_a_user_message():
    with pytest.raises(RenderError, match="first user message"):
        render([{"role": "system", "content": "s"}], [WEATHER], format="llama3.2-json")


def test_llama31_builtin_tools():
    fmt = get_format("llama3.1", builtin_tools=["brave_search", "code_interpreter"])
    msgs = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [{"name": "brave_search", "arguments": {"query": "x"}}]},
        {"role": "ipython", "content": "r"},
        {"role": "assistant", "tool_calls": [{"name": "code_interpreter", "arguments": {"code": "print(1)"}}]},
    ]
    out = fmt.render(msgs, date="26 Jul 2024", add_generation_prompt=False)
    assert "Environment: ipython\nTools: brave_search\n\nCutting Knowledge Date" in out
    assert '<|python_tag|>brave_search.call(query="x")<|eom_id|>' in out
    assert "<|python_tag|>print(1)<|eom_id|>" in out
    assert fmt.stop_tokens == ("<|eot_id|>", "<|eom_id|>")


def test_llama3_prompted_json():
    out = render([{"role": "user", "content": "Hi"}], [WEATHER], format="llama3")
    assert out.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou can call")
    assert '{"name": "get_weather", "description": "Current weather for a city."' in out
    assert render([{"role": "user", "content": "Hi"}], format="llama3") == (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_jinja_format_from_template_string():
    fmt = JinjaFormat(CHATML, eos_token="<|im_end|>")
    out = fmt.render(conversation()[1:], [WEATHER])
    assert out.startswith("<|im_start|>system\nYou can call the functions")
    assert '<|im_start|>assistant\n{"name": "get_weather", "parameters": {"city": "Paris"}}<|im_end|>' in out
    assert "<|im_start|>tool\nsunny, 21 C<|im_end|>" in out
    assert fmt.stop_tokens == ("<|im_end|>",)


def test_jinja_template_errors_are_render_errors():
    fmt = JinjaFormat("{{ raise_exception('roles must alternate') }}")
    with pytest.raises(RenderError, match="roles must alternate"):
        fmt.render([{"role": "user", "content": "x"}])
    with pytest.raises(RenderError):
        JinjaFormat("{{ messages[5].content }}").render([{"role": "user", "content": "x"}])
    with pytest.raises(UsageError):
        JinjaFormat("{% for %}")


@pytest.mark.parametrize("name", [n for n in FORMAT_NAMES if n != "jinja"] + ["chatml"])
def test_render_is_append_only(name):
    fmt = JinjaFormat(CHATML) if name == "chatml" else get_format(name)
    msgs = conversation()
    for cut in range(2, len(msgs)):
        head = fmt.render(msgs[:cut], [WEATHER], add_generation_prompt=False, date="1 Jan 2025")
        full = fmt.render(msgs, [WEATHER], date="1 Jan 2025")
        assert full.startswith(head), (name, cut)


@pytest.mark.parametrize("name", ["llama3.2", "llama3.2-json", "llama3.1", "llama3", "chatml"])
def test_generated_call_text_rerenders_identically(name):
    # prompt + the model's raw canonical call text == the prompt of the history with that call
    fmt = JinjaFormat(CHATML, eos_token="<|im_end|>") if name == "chatml" else get_format(name)
    msgs = conversation()[:2]
    call = ToolCall(name="get_weather", arguments={"city": 'Paris "Île"', "opts": {"days": [1, -2.5e-07]}})
    raw = fmt.encode_calls([call])
    assert parse(raw).tool_calls == [call]
    prompt = fmt.render(msgs, [WEATHER], date="1 Jan 2025")
    later = fmt.render(
        msgs + [Message(role="assistant", tool_calls=parse(raw).tool_calls), {"role": "tool", "content": "ok"}],
        [WEATHER],
        date="1 Jan 2025",
    )
    assert later.startswith(prompt + raw)


def test_messages_may_be_models_or_dicts():
    as_dicts = render(conversation(), [WEATHER], date="x")
    models = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Weather in Paris?"),
        Message(role="assistant", tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]),
        Message(role="ipython", content="sunny, 21 C"),
        Message(role="assistant", content="It is sunny."),
        Message(role="user", content="Thanks!"),
    ]
    assert render(models, [WEATHER], date="x") == as_dicts


def test_tool_specs_normalises_every_shape():
    class Tool:
        def to_openai(self):
            return WEATHER

    bare = WEATHER["function"]
    assert tool_specs([WEATHER]) == tool_specs([bare]) == tool_specs([Tool()]) == [WEATHER]
    assert tool_specs(None) == []
    with pytest.raises(ToolDefinitionError):
        tool_specs([{"description": "no name"}])
    with pytest.raises(ToolDefinitionError):
        tool_specs([42])


def test_unknown_format_and_bad_options():
    with pytest.raises(UnknownFormatError, match="llama3.2-json"):
        get_format("llama4")
    with pytest.raises(UsageError):
        get_format("llama3.2-json", flavour="x")
    with pytest.raises(UsageError):
        get_format("jinja")
    with pytest.raises(UsageError):
        get_format("llama3.2-json", builtin_tools=["brave_search"])
