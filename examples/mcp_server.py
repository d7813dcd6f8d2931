"""A small MCP tool server (the official ``mcp`` SDK) for corral's MCP example: a notes store.

Run it the way an agent does, as a child process speaking MCP on stdin/stdout::

    python examples/mcp_server.py

or over streamable HTTP (then ``MCPServer.http("http://127.0.0.1:8765/mcp")``)::

    python examples/mcp_server.py --http 8765

Needs ``pip install 'corral[mcp]'`` (and ``uvicorn`` for ``--http``).
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

app = MCPServer("notes")
NOTES = {
    "tea": "Green tea: 80 degrees, two minutes. Black tea: boiling, four minutes.",
    "bread": "Rest the dough overnight in the fridge; bake at 230 degrees.",
}


# Read-only hints tell clients (corral's intent check among them) that these calls change nothing.
@app.tool(name="notes.search", annotations=ToolAnnotations(read_only_hint=True))
def search(query: str) -> str:
    """Search the notes; returns every note whose title or text mentions the query."""
    hits = [f"{title}: {text}" for title, text in NOTES.items() if query.lower() in (title + text).lower()]
    return "\n".join(hits) or f"No note mentions {query!r}."


@app.tool(name="notes.list-titles", annotations=ToolAnnotations(read_only_hint=True))
def list_titles() -> str:
    """The titles of all notes, comma-separated."""
    return ", ".join(sorted(NOTES))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        import uvicorn

        uvicorn.run(app.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    else:
        app.run()
