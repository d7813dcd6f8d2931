"""Registry: unique names with both origins on conflict, filter/prefix/merge, entry points."""

from __future__ import annotations

import sys
import textwrap

import pytest

from corral.exceptions import DuplicateToolError, ToolDefinitionError
from corral.tools import Registry, Tool, tool


@tool
def search(query: str) -> str:
    return query


@tool(requires_approval=True)
def delete(path: str) -> str:
    return path


def other_search(query: str) -> str:
    return query


def test_basic_container_behaviour():
    reg = Registry([search, delete])
    assert reg.names == ["search", "delete"] and len(reg) == 2
    assert "search" in reg and search in reg and "nope" not in reg
    assert reg.get("search") is search and reg.get("nope") is None
    assert list(reg) == [search, delete]
    assert [d["function"]["name"] for d in reg.to_openai()] == ["search", "delete"]


def test_add_accepts_functions_and_works_as_a_decorator():
    reg = Registry()

    @reg.add
    def ping(host: str) -> str:
        return host

    assert isinstance(ping, Tool) and reg.get("ping") is ping


def test_duplicates_name_both_origins():
    reg = Registry([search])
    with pytest.raises(DuplicateToolError) as info:
        reg.add(Tool.from_function(other_search, name="search"))
    message = str(info.value)
    assert "test_registry:search" in message and "test_registry:other_search" in message


def test_filter_prefix_merge_return_new_registries():
    reg = Registry([search, delete])
    assert reg.filter(lambda t: not t.requires_approval).names == ["search"]
    assert reg.filter(names=["delete"]).names == ["delete"]
    assert reg.filter(exclude=["delete"]).names == ["search"]
    with pytest.raises(ToolDefinitionError, match="no tools named"):
        reg.filter(names=["serch"])
    web = reg.prefixed("web_")
    assert web.names == ["web_search", "web_delete"] and reg.names == ["search", "delete"]
    assert web.get("web_delete").requires_approval and web.get("web_search")("q") == "q"
    merged = reg | web
    assert len(merged) == 4 and len(reg) == 2
    with pytest.raises(DuplicateToolError):
        reg.merge([search])


def test_to_openai_is_a_fresh_copy():
    reg = Registry([search])
    reg.to_openai()[0]["function"]["name"] = "hacked"
    assert reg.to_openai()[0]["function"]["name"] == "search"


@pytest.fixture()
def installed_plugin(tmp_path, monkeypatch):
    """A real installed distribution on sys.path, publishing corral.tools entry points."""
    pkg = tmp_path / "weather_tools"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent('''
        from corral.tools import Registry, tool

        @tool
        def forecast(city: str) -> str:
            """Forecast for a city."""
            return "sunny in " + city

        def humidity(city: str) -> int:
            return 40

        def _tide(port: str) -> str:
            return "high"

        toolset = Registry([_tide])
        not_a_tool = 42
    ''')
    )
    dist = tmp_path / "weather_tools-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: weather-tools\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[corral.tools]\nforecast = weather_tools:forecast\nhumidity = weather_tools:humidity\n"
        "tides = weather_tools:toolset\n\n[corral.tools.broken]\nbad = weather_tools:not_a_tool\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("weather_tools", None)


def test_entry_points_fill_a_registry_you_hold(installed_plugin):
    reg = Registry.from_entry_points()
    assert {"forecast", "humidity", "_tide"} <= set(reg.names)
    assert reg.get("forecast")("Oslo") == "sunny in Oslo"
    assert "entry point 'forecast'" in reg.origin("forecast")
    only = Registry.from_entry_points(names=["humidity"])
    assert only.names == ["humidity"]


def test_entry_point_to_something_else_is_a_clear_error(installed_plugin):
    with pytest.raises(ToolDefinitionError, match="'bad'.*int, not a Tool"):
        Registry.from_entry_points("corral.tools.broken")


def test_entry_point_duplicates_name_the_entry_point(installed_plugin):
    reg = Registry.from_entry_points()
    with pytest.raises(DuplicateToolError, match="entry point 'forecast'"):
        reg.add(Tool.from_function(other_search, name="forecast"))
