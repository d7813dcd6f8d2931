"""Agent spec validation: every bad key is named, nothing loads a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.exceptions import SpecError, UsageError
from corral.spec import AgentSpec, load_object, load_spec, parse_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_spec_round_trips_every_section(tmp_path):
    path = write(
        tmp_path,
        """
name = "calc"
format = "llama3.2"
system = "Be brief."
tools = ["corral.tools.builtin:calculator"]
tool_choice = "required"

[backend]
type = "openai"
base_url = "http://127.0.0.1:8080/v1"
model = "llama3.2"
mode = "chat"

[guards]
default = false
tool_policy = { deny = ["rm"], budgets = { calculator = 3 } }

[guards.llama_guard]
categories = ["S1", "S2"]
backend = { type = "openai", base_url = "http://127.0.0.1:8081/v1" }

[limits]
max_turns = 3
max_tokens = 64
timeout = 5.5
""",
    )
    spec = load_spec(path)
    assert spec.name == "calc" and spec.tool_choice == "required"
    assert spec.backend.type == "openai" and spec.backend.mode == "chat"
    assert spec.guards.tool_policy.budgets == {"calculator": 3}
    assert spec.guards.llama_guard.backend.base_url.endswith(":8081/v1")
    assert (spec.limits.max_turns, spec.limits.max_tokens, spec.limits.timeout) == (3, 64, 5.5)
    assert spec.base_dir == tmp_path.resolve()


def test_empty_spec_means_embedded_backend_with_default_guards():
    spec = parse_spec({})
    assert spec.backend.type == "llamacpp" and spec.backend.model is None
    assert spec.guards.default is True and spec.limits.max_turns == 6


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"sytem": "typo"}, "sytem: unknown key"),
        ({"limits": {"max_turn": 3}}, "limits.max_turn: unknown key"),
        ({"limits": {"max_turns": 0}}, "limits.max_turns: Input should be greater than or equal to 1"),
        ({"limits": {"max_tokens": "many"}}, "limits.max_tokens"),
        ({"backend": {"type": "llamacpp", "n_ctx": "big"}}, "backend.n_ctx"),
        ({"backend": {"type": "llamacpp", "ctx": 4096}}, "backend.ctx: unknown key"),
        ({"backend": {"type": "ollama"}}, "backend.type: must be one of llamacpp, openai, scripted, function"),
        ({"backend": {"model": "x.gguf"}}, "backend.type: missing"),
        ({"backend": {"type": "openai", "base_url": "localhost:8080"}}, "backend.base_url"),
        ({"backend": {"type": "function", "function": "not a path"}}, "backend.function"),
        (
            {"guards": {"llama_guard": {"backend": {"type": "openai", "base_url": "http://x", "oops": 1}}}},
            "guards.llama_guard.backend.oops: unknown key",
        ),
        ({"tools": "corral.tools.builtin:calculator"}, "tools: Input should be a valid list"),
    ],
)
def test_bad_keys_and_values_are_named(data, named):
    with pytest.raises(SpecError) as info:
        parse_spec(data, source="agent.toml")
    assert named in str(info.value)
    assert str(info.value).startswith("agent.toml: ")


def test_several_problems_are_reported_together():
    with pytest.raises(SpecError) as info:
        parse_spec({"limits": {"max_turns": -1, "budget": 2}})
    message = str(info.value)
    assert "limits.max_turns" in message and "limits.budget: unknown key" in message


def test_invalid_toml_names_the_file_and_line(tmp_path):
    path = write(tmp_path, 'system = "unterminated\n')
    with pytest.raises(SpecError, match=r"agent\.toml: not valid TOML.*line 1"):
        load_spec(path)


def test_missing_spec_file_is_one_clear_error(tmp_path):
    with pytest.raises(SpecError, match="Cannot read agent spec"):
        load_spec(tmp_path / "nope.toml")


def test_spec_is_a_usage_error_and_frozen():
    spec = parse_spec({})
    assert isinstance(spec, AgentSpec)
    assert issubclass(SpecError, UsageError)
    with pytest.raises(Exception):
        spec.name = "other"  # type: ignore[misc]


def test_load_object_resolves_dotted_attributes_and_spec_folder(tmp_path):
    (tmp_path / "my_spec_helpers.py").write_text("class K:\n    value = 42\n", encoding="utf-8")
    assert load_object("my_spec_helpers:K.value", base_dir=tmp_path) == 42
    import sys

    assert str(tmp_path) not in sys.path  # the spec folder is on sys.path only while importing


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no_colon", "write package.module:name"),
        ("no_such_module_xyz:thing", "Cannot import module 'no_such_module_xyz'"),
        ("os.path:no_such_attr", "has no attribute 'no_such_attr'"),
    ],
)
def test_load_object_errors_say_what_to_fix(ref, message):
    with pytest.raises(UsageError, match=message):
        load_object(ref)


def test_guards_section_builds_llama_guard_and_tool_policy(tmp_path):
    """The [guards] table becomes a real GuardChain (Llama Guard on a scripted backend: no model)."""
    from corral import Agent

    spec = parse_spec(
        {
            "backend": {"type": "scripted", "turns": ["Paris."]},
            "guards": {
                "llama_guard": {"backend": {"type": "scripted", "turns": ["safe", "safe"]}, "categories": ["S1", "S2"]},
                "tool_policy": {"deny": ["rm"]},
            },
        }
    )
    agent = Agent.from_spec(spec)
    active = agent.guards.active
    assert "llama_guard" in " ".join(active["input"]) and "llama_guard" in " ".join(active["output"])
    assert active["tool_call"].count("tool_policy") == 1  # the configured one (the default chain has none)
    result = agent.run("Capital of France?")
    assert result.output == "Paris." and result.ok


def test_limits_reach_the_agent_and_a_tool_timeout_is_enforced():
    import threading

    from corral import Agent
    from corral.tools import tool

    release = threading.Event()

    @tool
    def stuck() -> str:
        """Never answers in time."""
        release.wait(10)
        return "late"

    spec = parse_spec(
        {
            "backend": {"type": "scripted", "turns": ["[stuck()]", "Gave up."]},
            "guards": {"default": False},
            "limits": {"max_turns": 4, "tool_timeout": 0.05},
        }
    )
    agent = Agent.from_spec(spec, tools=[stuck])
    result = agent.run("Try the tool.")
    release.set()
    assert agent.runtime.tool_timeout == 0.05 and agent.policy.max_turns == 4
    assert result.tool_calls[0].error_kind == "timeout" and result.output == "Gave up."


def test_scripted_backend_needs_turns_or_script():
    from corral import Agent

    with pytest.raises(SpecError, match="exactly one of 'turns'"):
        Agent.from_spec(parse_spec({"backend": {"type": "scripted"}, "guards": {"default": False}}))
