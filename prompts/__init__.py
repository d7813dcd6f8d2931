"""corral.prompts: conversations -> exact prompt text, and model text -> tool calls.

Everything between a conversation and the text the model sees (``render``, ``ChatFormat``), and
between the model's text and a list of tool calls (``parse``, ``StreamParser``), plus GBNF
grammars that keep a model's calls well-formed (``ChatFormat.grammar``, ``validate_grammar``).

Example::

    >>> from corral.prompts import parse, render
    >>> prompt = render([{"role": "user", "content": "Weather in Paris?"}],
    ...                 tools=[{"name": "get_weather", "parameters": {"type": "object",
    ...                         "properties": {"city": {"type": "string"}}}}], date="1 Jan 2025")
    >>> parse('[get_weather(city="Paris")]').tool_calls[0].arguments
    {'city': 'Paris'}
"""

from corral.exceptions import GrammarError, RenderError, ToolCallParseError, UnknownFormatError

from .base import ChatFormat
from .decide import DecisionPolicy
from .encode import encode_calls
from .formats import BUILTIN_TOOLS, Llama3, Llama3Json, Llama32
from .gbnf import validate_grammar
from .incremental import HeadCache, PromptBuilder
from .jinja_format import JinjaFormat
from .messages import AssistantTurn, Message, ToolCall, to_messages
from .parsing import SYNTAXES, parse
from .registry import FORMAT_NAMES, get_format, render
from .specs import tool_specs
from .stream import StreamParser

__all__ = [
    "render",
    "parse",
    "PromptBuilder",
    "HeadCache",
    "StreamParser",
    "get_format",
    "FORMAT_NAMES",
    "SYNTAXES",
    "ChatFormat",
    "DecisionPolicy",
    "Llama32",
    "Llama3Json",
    "Llama3",
    "JinjaFormat",
    "BUILTIN_TOOLS",
    "encode_calls",
    "tool_specs",
    "validate_grammar",
    "Message",
    "ToolCall",
    "AssistantTurn",
    "to_messages",
    "ToolCallParseError",
    "GrammarError",
    "RenderError",
    "UnknownFormatError",
]
