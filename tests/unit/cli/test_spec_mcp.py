"""``[[mcp]]`` tables in agent specs: validated before anything starts."""

from __future__ import annotations

import pytest

from corral.exceptions import SpecError
from corral.spec import parse_spec


def test_stdio_and_http_servers_parse():
    spec = parse_spec(
        {
            "mcp": [
                {"name": "files", "command": "python", "args": ["s.py"], "env": {"A": "1"}, "allow": ["fs.read-file"]},
                {
                    "name": "web",
                    "url": "http://127.0.0.1:8000/mcp",
                    "headers": {"X": "y"},
                    "allow": ["fetch"],
                    "timeout": 5,
                },
            ]
        }
    )
    files, web = spec.mcp
    assert (files.command, files.args, files.allow, files.timeout) == ("python", ["s.py"], ["fs.read-file"], 30.0)
    assert (web.url, web.timeout) == ("http://127.0.0.1:8000/mcp", 5)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"name": "f", "command": "python"}, "mcp.0.allow: Field required"),
        ({"name": "f", "command": "python", "allow": []}, "mcp.0.allow"),
        ({"name": "f", "allow": ["x"]}, "exactly one of command"),
        ({"name": "f", "command": "p", "url": "http://h/mcp", "allow": ["x"]}, "exactly one of command"),
        ({"name": "f", "url": "http://h/mcp", "args": ["a"], "allow": ["x"]}, "a url server takes headers"),
        ({"name": "f", "url": "ftp://h", "allow": ["x"]}, "mcp.0.url"),
        ({"name": "f", "command": "p", "allow": ["x"], "alow": ["y"]}, "mcp.0.alow: unknown key"),
        ({"name": "f", "command": "p", "allow": ["x"], "timeout": 0}, "mcp.0.timeout"),
    ],
)
def test_bad_tables_name_the_key(table, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        parse_spec({"mcp": [table]})


def test_servers_are_built_unconnected_with_the_spec_folder_as_cwd(tmp_path):
    from corral.spec import build_mcp_servers

    spec = parse_spec(
        {
            "mcp": [
                {"name": "f", "command": "python", "args": ["s.py"], "allow": ["x"]},
                {"name": "g", "command": "python", "cwd": "sub", "allow": ["x"]},
            ]
        },
        base_dir=tmp_path,
    )
    first, second = build_mcp_servers(spec.mcp, base_dir=spec.base_dir)
    assert (first.cwd, second.cwd) == (tmp_path, tmp_path / "sub")
    assert not first.connected and first.allow == ["x"]
