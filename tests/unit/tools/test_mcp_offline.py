"""MCP client pieces that need no server: the optional import, argument checks, names, result text."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from corral.exceptions import ToolDefinitionError, UsageError
from corral.tools.mcp import MCPServer


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_importing_corral_and_its_mcp_module_never_imports_the_sdk():
    done = _python(
        "import sys, corral, corral.tools, corral.tools.mcp, corral.spec; "
        "assert 'mcp' not in sys.modules, sorted(m for m in sys.modules if m.startswith('mcp'))"
    )
    assert done.returncode == 0, done.stderr


def test_without_the_extra_connect_names_it():
    done = _python(
        "import sys; sys.modules['mcp'] = None\n"
        "from corral.tools.mcp import MCPServer\n"
        "from corral.exceptions import MissingExtraError\n"
        "try:\n    MCPServer.stdio('python', ['s.py']).connect()\n"
        "except MissingExtraError as exc:\n    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'corral[mcp]'" in done.stdout


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"command": "python", "url": "http://x/mcp"}, "exactly one of command"),
        ({}, "exactly one of command"),
        ({"command": "python", "timeout": 0}, "timeout must be a positive number"),
        ({"command": "python", "start_timeout": "10"}, "start_timeout must be a positive number"),
    ],
)
def test_bad_server_settings_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        MCPServer(name="s", **kwargs)


def test_http_urls_must_be_http():
    with pytest.raises(UsageError, match="must start with http"):
        MCPServer.http("ftp://host/mcp")
    assert MCPServer.http("http://127.0.0.1:1/mcp", name="w").name == "w"


def test_an_unconnected_server_has_no_registry_yet():
    with pytest.raises(UsageError, match="not connected"):
        MCPServer.stdio("python", ["server.py"]).registry()


def _listed(name: str, schema=None) -> SimpleNamespace:
    return SimpleNamespace(name=name, description="d", input_schema=schema)


@pytest.mark.parametrize("name", ["fs.read-file", "_x", "a1-b.c"])
def test_dotted_and_hyphenated_names_become_tools(name):
    server = MCPServer.stdio("python", ["s.py"])
    made = server._tool(
        _listed(
            name,
            {
                "type": "object",
                "title": "T",
                "$defs": {"P": {"type": "string"}},
                "properties": {"p": {"$ref": "#/$defs/P", "title": "P"}},
            },
        )
    )
    assert made.name == name and made.parameters == {"type": "object", "properties": {"p": {"type": "string"}}}


@pytest.mark.parametrize("name", ["1st", "a/b", "a b", "ä"])
def test_names_a_model_cannot_call_are_refused_with_the_fix(name):
    with pytest.raises(ToolDefinitionError, match="allow-list or give a prefix"):
        MCPServer.stdio("python", ["s.py"])._tool(_listed(name))


def test_a_prefix_namespaces_the_tools():
    assert MCPServer.stdio("python", ["s.py"], prefix="files.")._tool(_listed("1st")).name == "files.1st"


def test_result_parts_become_text_for_the_model():
    types = pytest.importorskip("mcp.types")
    from corral.tools._mcp_session import describe_content

    result = types.CallToolResult(
        content=[
            types.TextContent(type="text", text="hello"),
            types.ImageContent(type="image", data="aGVsbG8h", mime_type="image/png"),
            types.EmbeddedResource(type="resource", resource=types.TextResourceContents(uri="file:///a", text="inner")),
        ]
    )
    assert describe_content(result) == "hello\n[image image/png, 6 bytes, not shown]\ninner"
    structured = types.CallToolResult(content=[], structured_content={"b": 1, "a": [2]})
    assert describe_content(structured) == '{"a": [2], "b": 1}'
