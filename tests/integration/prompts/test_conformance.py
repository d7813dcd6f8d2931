"""Token-exact conformance: llama3.2-json and llama3.1 render exactly what Meta's official chat
templates render (jinja2, set up as Hugging Face does), byte for byte and token id for token id."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from corral.prompts import get_format, render

BOS = "<|begin_of_text|>"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather — city «name» <b>&</b>",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}

CONVERSATIONS = {
    "no_tools": ([{"role": "user", "content": "  Hello there!\n"}], None),
    "system_no_tools": ([{"role": "system", "content": "You are terse. "}, {"role": "user", "content": "Hi"}], None),
    "tools": (
        [{"role": "system", "content": "Use tools when useful."}, {"role": "user", "content": "Weather in Paris?"}],
        [WEATHER, SEARCH],
    ),
    "call_and_result": (
        [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
                    }
                ],
            },
            {"role": "tool", "content": 'Sunny, 21 °C, "clear" skies\n'},
        ],
        [WEATHER],
    ),
    "multi_turn": (
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
                ],
            },
            {"role": "ipython", "content": "rain"},
            {"role": "assistant", "content": "It rains in Oslo."},
            {"role": "user", "content": "And search for umbrellas"},
            {
                "role": "assistant",
                "tool_calls": [{"type": "function", "function": {"name": "search", "arguments": {"q": "umbrella"}}}],
            },
            {"role": "tool", "content": "[1] Best umbrellas 2024"},
        ],
        [WEATHER, SEARCH],
    ),
}


def hf_environment() -> ImmutableSandboxedEnvironment:
    """What transformers' apply_chat_template sets up (independent of corral's own env)."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def official(source: str, messages, tools, **variables) -> str:
    extra = {"tools": tools} if tools is not None else {}
    return (
        hf_environment()
        .from_string(source)
        .render(messages=messages, bos_token=BOS, add_generation_prompt=True, **extra, **variables)
    )


@pytest.fixture(params=["3.2", "3.1"])
def case(request, meta_template_3_2, meta_template_3_1):
    return ("llama3.2-json", meta_template_3_2) if request.param == "3.2" else ("llama3.1", meta_template_3_1)


@pytest.mark.parametrize("tools_in_user", [True, False])
@pytest.mark.parametrize("conv", list(CONVERSATIONS))
def test_byte_and_token_exact(case, conv, tools_in_user, llama3_tokenize):
    name, source = case
    messages, tools = CONVERSATIONS[conv]
    expected = official(source, messages, tools, date_string="05 Mar 2025", tools_in_user_message=tools_in_user)
    ours = render(messages, tools, format=get_format(name, tools_in_user_message=tools_in_user), date="05 Mar 2025")
    assert ours == expected
    assert llama3_tokenize(ours) == llama3_tokenize(expected)


def test_default_date_matches_strftime_now(meta_template_3_2):
    messages, tools = CONVERSATIONS["tools"]
    expected = official(meta_template_3_2, messages, tools)
    ours = render(messages, tools, format="llama3.2-json")
    if expected != ours:  # the day may have turned between the two renders
        expected = official(meta_template_3_2, messages, tools)
    assert ours == expected


def test_llama31_builtin_tools(meta_template_3_1, llama3_tokenize):
    builtins = ["brave_search", "wolfram_alpha", "code_interpreter"]
    messages = [
        {"role": "user", "content": "Who won the 2024 Euro?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "function": {"name": "brave_search", "arguments": {"query": "Euro 2024 winner"}}}
            ],
        },
        {"role": "ipython", "content": "Spain"},
    ]
    expected = official(meta_template_3_1, messages, [WEATHER], date_string="26 Jul 2024", builtin_tools=builtins)
    ours = render(messages, [WEATHER], format=get_format("llama3.1", builtin_tools=builtins), date="26 Jul 2024")
    assert ours == expected
    ids = llama3_tokenize(ours)
    assert ids == llama3_tokenize(expected)
    assert 128010 in ids and 128008 in ids  # <|python_tag|> and <|eom_id|> are single special tokens


def test_special_tokens_are_single_ids(llama3_tokenize):
    ids = llama3_tokenize(render(*CONVERSATIONS["call_and_result"], format="llama3.2", date="x"))
    assert ids[0] == 128000 and ids.count(128006) == ids.count(128007) > 0  # header start/end pairs
    assert 128009 in ids  # <|eot_id|>
    assert llama3_tokenize("<|python_tag|><|eom_id|>") == [128010, 128008]


def test_official_template_refuses_what_we_refuse(meta_template_3_2):
    two_calls = [
        {"role": "user", "content": "x"},
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "function": {"name": "a", "arguments": {}}},
                {"type": "function", "function": {"name": "b", "arguments": {}}},
            ],
        },
    ]
    with pytest.raises(TemplateError, match="single tool-calls"):
        official(meta_template_3_2, two_calls, None, date_string="x")
    from corral.prompts import RenderError

    with pytest.raises(RenderError):
        render(two_calls, format="llama3.2-json", date="x")


@pytest.mark.parametrize(
    "content",
    [{"temp_c": 21, "sky": "clear «sunny»", "hourly": [1, 2.5, None, True]}, [{"title": "Umbrellas"}, "ok"], {}, []],
)
@pytest.mark.parametrize("version", ["3.2", "3.1"])
def test_json_tool_result_is_token_exact(content, version, meta_template_3_2, meta_template_3_1, llama3_tokenize):
    source, name = (meta_template_3_2, "llama3.2-json") if version == "3.2" else (meta_template_3_1, "llama3.1")
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": content},
    ]
    expected = official(source, messages, None, date_string="05 Mar 2025")
    ours = render(messages, format=get_format(name), date="05 Mar 2025")
    assert ours == expected
    assert llama3_tokenize(ours) == llama3_tokenize(expected)
