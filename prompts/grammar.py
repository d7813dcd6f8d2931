"""GBNF grammars (llama.cpp) for tool calls with schema-shaped arguments.

Two flavours share one builder: ``pythonic`` (``[f(a=1, b="x")]``, Python literals) and ``json``
(``{"name": "f", "parameters": {"a": 1}}``). The grammars enforce the canonical spacing written
by :mod:`.encode` (``", "`` between items, ``": "`` after keys, no other blanks), so constrained
output re-renders to the same bytes. Arguments follow the tool's JSON Schema: types, ``enum`` /
``const``, ``anyOf`` / ``oneOf`` / type lists, ``allOf`` (merged), local ``$ref`` (``#/$defs/...``,
recursive ones as recursive rules), arrays with ``items`` (``minItems``/``maxItems``), objects with
``properties`` (keys in the schema's order, required ones mandatory) or with a schema for
``additionalProperties`` (a map), ``minLength``/``maxLength``, and a lower bound of 0 or 1 on
numbers (no sign, no zero). BFCL's type names (``dict``, ``float``, ``tuple``, ``any``) are
understood. Anything else falls back to "any JSON value"; the arguments are validated against the
schema afterwards either way, so a looser grammar costs a retry, never a wrong call.

Grammars stay small on purpose (llama.cpp's cost grows with size and ambiguity): shared
primitive rules, no optional whitespace, and one deterministic choice point per key.

Example::

    >>> g = build_grammar([{"type": "function", "function": {"name": "ping", "parameters": {}}}], flavor="json")
    >>> "root ::= " in g
    True
"""

from __future__ import annotations

from typing import Any

from .encode import json_value, pythonic_value
from .gbnf import validate_grammar
from .specs import function_of

__all__ = ["build_grammar", "tool_grammar", "choice_grammar", "call_prefix", "gbnf_literal", "FLAVORS"]

FLAVORS = ("pythonic", "json")
_TYPE_ALIASES = {
    "dict": "object",
    "float": "number",
    "int": "integer",
    "str": "string",
    "bool": "boolean",
    "tuple": "array",
    "list": "array",
    "any": "value",
    "none": "null",
}

_CHAR_JSON = r'[^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] )'
_CHAR_PY = r'[^"\\\x00-\x1F] | "\\" ( ["\\bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] )'
# Plain text must not start like a call (so a text answer can never be a malformed call) and
# never contains "<" (so it cannot open a <function=...> tag).
_TEXT = r"[^[{<` \t\r\n] [^<]*"


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class _Builder:
    def __init__(self, flavor: str) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"unknown grammar flavor {flavor!r}; use one of {FLAVORS}")
        self.flavor = flavor
        self.rules: dict[str, str] = {}
        self._by_body: dict[str, str] = {}
        self._root: dict[str, Any] = {}  # the parameters schema that local $refs point into
        self._refs: dict[str, str] = {}  # $ref -> its rule (objects and arrays: recursion allowed)
        self._inlining: set[str] = set()  # $refs being written inline (anything else: a cycle -> any value)
        self._depth = self._visited = 0

    def rule(self, name: str, body: str) -> str:
        """Define a rule (reusing an identical one); returns the name to reference."""
        if body in self._by_body:
            return self._by_body[body]
        base, n = name, 1
        while name in self.rules:
            n += 1
            name = f"{base}-{n}"
        self.rules[name] = body
        self._by_body[body] = name
        return name

    def primitive(self, kind: str) -> str:
        py = self.flavor == "pythonic"
        if kind in ("string", "char"):
            self.rules.setdefault("char", _CHAR_PY if py else _CHAR_JSON)
            self.rules.setdefault("string", '"\\"" char* "\\""')
        elif kind in ("integer", "number"):
            # At most 18 digits: a small model can otherwise write "1000000..." until max_tokens, and no
            # tool argument needs an integer past 64 bits.
            self.rules.setdefault("integer", '"-"? ( "0" | [1-9] [0-9]{0,17} )')
            # The fraction and exponent are bounded too: a run of decimals ("3.00000000000000015556767676...")
            # would otherwise go on to max_tokens; 24 decimals hold any float's repr.
            self.rules.setdefault("number", 'integer ( "." [0-9]{1,24} )? ( [eE] [-+]? [0-9]{1,3} )?')
        elif kind == "boolean":
            self.rules.setdefault("boolean", '"True" | "False"' if py else '"true" | "false"')
        elif kind == "null":
            self.rules.setdefault("null", '"None"' if py else '"null"')
        elif kind in ("value", "object", "array"):
            for dep in ("string", "number", "boolean", "null"):
                self.primitive(dep)
            self.rules.setdefault("value", "object | array | string | number | boolean | null")
            self.rules.setdefault("object", '"{" ( string ": " value ( ", " string ": " value )* )? "}"')
            self.rules.setdefault("array", '"[" ( value ( ", " value )* )? "]"')
        else:
            return self.primitive("value")
        return kind

    def literal_value(self, value: Any) -> str:
        return gbnf_literal(pythonic_value(value) if self.flavor == "pythonic" else json_value(value))

    def schema(self, schema: Any, hint: str) -> str:
        """An expression matching values of ``schema``. Past a nesting depth of 32 or 2,000 subschemas,
        any value: a schema whose $refs and allOfs unfold without end must still give a grammar, soon."""
        self._visited += 1
        if not isinstance(schema, dict) or self._depth > 32 or self._visited > 2000:
            return self.primitive("value")
        self._depth += 1
        try:
            return self._schema(schema, hint)
        finally:
            self._depth -= 1

    def _schema(self, schema: dict[str, Any], hint: str) -> str:
        if isinstance(schema.get("$ref"), str):
            return self.ref(schema["$ref"], hint)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged = self.merge_all_of(schema)
            return self.schema(merged, hint) if merged is not None else self.primitive("value")
        if "const" in schema:
            return self.literal_value(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            alts = " | ".join(dict.fromkeys(self.literal_value(v) for v in schema["enum"]))
            return self.rule(f"{hint}-enum", alts)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                alts = [self.schema(s, f"{hint}-{i}") for i, s in enumerate(schema[key])]
                return self.rule(f"{hint}-any", " | ".join(dict.fromkeys(alts)))
        if isinstance(schema.get("type"), list) and schema["type"]:
            alts = [self.schema({**schema, "type": k}, f"{hint}-{i}") for i, k in enumerate(schema["type"])]
            return self.rule(f"{hint}-types", " | ".join(dict.fromkeys(alts)))
        kind = _kind(schema) or "value"
        if kind == "array" and isinstance(schema.get("items"), dict) and schema["items"]:
            item = self.schema(schema["items"], f"{hint}-item")
            least, most = _min_bound(schema.get("minItems")), _bound(schema.get("maxItems"))
            if least and (most is None or most >= least):
                more = f"{{{least - 1},{'' if most is None else most - 1}}}"
                return self.rule(f"{hint}-list", f'"[" {item} ( ", " {item} ){more} "]"')
            more = _repeat(schema.get("maxItems"), "*", less=1)  # a bound keeps a small model from listing forever
            return self.rule(f"{hint}-list", f'"[" ( {item} ( ", " {item} ){more} )? "]"')
        if kind == "string" and (_bound(schema.get("maxLength")) is not None or _min_bound(schema.get("minLength"))):
            least, most = _min_bound(schema.get("minLength")), _bound(schema.get("maxLength"))
            if most is not None and most < least:
                return self.primitive("string")  # unsatisfiable: the validator will say so
            self.primitive("char")
            times = f"{{{least},{'' if most is None else most}}}" if least else _repeat(most, "*")
            return self.rule(f"{hint}-str", f'"\\"" char{times} "\\""')
        least = _at_least(schema, kind) if kind in ("integer", "number") else None
        if least is not None:
            return self.unsigned(kind, positive=kind == "integer" and least == 1)
        if kind == "object" and isinstance(schema.get("properties"), dict) and schema["properties"]:
            fields = self.fields(schema, hint, lambda k: gbnf_literal(json_value(str(k)) + ": "))
            return self.rule(f"{hint}-obj", f'"{{" {fields} "}}"')
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
            # dict[str, int] and the like: any keys, every value held to the one schema.
            value = self.schema(schema["additionalProperties"], f"{hint}-val")
            self.primitive("string")
            return self.rule(f"{hint}-map", f'"{{" ( string ": " {value} ( ", " string ": " {value} )* )? "}}"')
        return self.primitive(
            kind if kind in ("string", "integer", "number", "boolean", "null", "object", "array") else "value"
        )

    def unsigned(self, kind: str, *, positive: bool) -> str:
        """A number with no minus sign (``minimum`` >= 0), for integers >= 1 also without a lone 0."""
        digits = "[1-9] [0-9]{0,17}" if positive else '( "0" | [1-9] [0-9]{0,17} )'
        if kind == "integer":
            return self.rule("integer-pos" if positive else "integer-unsigned", digits)
        return self.rule("number-unsigned", f'{digits} ( "." [0-9]{{1,24}} )? ( [eE] [-+]? [0-9]{{1,3}} )?')

    def ref(self, ref: str, hint: str) -> str:
        """A local ``$ref``: objects and arrays get a rule of their own, which may recur (a tree's
        children); anything else is written inline, and a cycle of those is any value."""
        if ref in self._refs:
            return self._refs[ref]
        target = _pointer(self._root, ref)
        if not isinstance(target, dict) or ref in self._inlining:
            return self.primitive("value")
        if _kind(target) not in ("object", "array") or any(
            k in target for k in ("$ref", "allOf", "anyOf", "oneOf", "enum", "const")
        ):
            self._inlining.add(ref)
            try:
                return self.schema(target, hint)
            finally:
                self._inlining.discard(ref)
        name = f"ref-{_slug(ref.rsplit('/', 1)[-1])}"
        while name in self.rules:
            name += "-x"
        self._refs[ref] = name
        self.rules[name] = ""  # reserved: the body may refer back to it
        # Starts with "{" or "[": a recursive reference inside is never left-recursive.
        self.rules[name] = self.schema(target, name)
        return name

    def merge_all_of(self, schema: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
        """``allOf`` as one schema (properties and required joined), or None where the parts
        disagree in a way a grammar cannot say, or nest too deep (the arguments are validated
        afterwards anyway)."""
        if depth > 8:
            return None
        parts = [{k: v for k, v in schema.items() if k != "allOf"}]
        for part in schema["allOf"]:
            for _hop in range(8):  # a chain of $refs, bounded: a cycle gives up
                if not (isinstance(part, dict) and isinstance(part.get("$ref"), str)):
                    break
                target = _pointer(self._root, part["$ref"])
                part = (
                    {**target, **{k: v for k, v in part.items() if k != "$ref"}} if isinstance(target, dict) else None
                )
            if isinstance(part, dict) and isinstance(part.get("allOf"), list):
                part = self.merge_all_of(part, depth + 1)
            if not isinstance(part, dict) or "$ref" in part:
                return None
            parts.append(part)
        merged: dict[str, Any] = {}
        for part in parts:
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    props = merged.setdefault("properties", {})
                    for name, sub in value.items():
                        props[name] = {"allOf": [props[name], sub]} if name in props else sub
                elif key == "required" and isinstance(value, list):
                    merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
                elif key in ("description", "title", "default", "examples", "$comment"):
                    merged.setdefault(key, value)
                elif key in merged and merged[key] != value:
                    return None
                else:
                    merged[key] = value
        return merged

    def fields(self, schema: dict[str, Any], hint: str, key_literal) -> str:
        """Keys in schema order, required ones mandatory, joined by ", " (an expression, maybe empty)."""
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        entries = [
            (f"{key_literal(k)} {self.schema(s, f'{hint}-{_slug(k)}')}", k in required) for k, s in props.items()
        ]

        def tail(i: int) -> str:
            return " ".join(f'", " {e}' if req else f'( ", " {e} )?' for e, req in entries[i:])

        def head(i: int) -> str:
            if i == len(entries):
                return ""
            entry, req = entries[i]
            with_it = f"{entry} {tail(i + 1)}".strip()
            if req:
                return with_it
            without = head(i + 1)
            return f"( {with_it} | {without} )" if without else f"( {with_it} )?"

        return head(0)

    def arguments(self, function: dict[str, Any], hint: str) -> str:
        """The argument list of one tool: ``a=1, b="x"`` (pythonic) or ``{"a": 1}`` (json)."""
        params = function.get("parameters") or {}
        self._root = params if isinstance(params, dict) else {}
        self._visited = 0  # the budget is per tool: a large tool set keeps its later tools exact
        self._refs = {}  # "#/$defs/Item" means another schema in another tool
        if isinstance(params, dict) and ("$ref" in params or "allOf" in params):
            params = self.merge_all_of({"allOf": [params]}) or params  # top-level $ref: pydantic's RootModel
        if self.flavor == "pythonic":
            body = self.fields(params, hint, lambda k: gbnf_literal(f"{k}="))
            return self.rule(f"{hint}-args", body) if body else ""
        body = self.fields(params, hint, lambda k: gbnf_literal(json_value(str(k)) + ": "))
        return self.rule(f"{hint}-args", f'"{{" {body} "}}"' if body else '"{}"')

    def call(self, function: dict[str, Any], index: int) -> str:
        hint = f"tool{index}"
        args = self.arguments(function, hint)
        name = function["name"]
        if self.flavor == "pythonic":
            return self.rule(hint, " ".join(x for x in (gbnf_literal(name + "("), args, '")"') if x))
        head = gbnf_literal('{"name": ' + json_value(name) + ', "parameters": ')
        return self.rule(hint, f'{head} {args} "}}"')

    def render(self) -> str:
        lines = [f"root ::= {self.rules['root']}"]
        lines += [f"{name} ::= {body}" for name, body in self.rules.items() if name != "root"]
        grammar = "\n".join(lines) + "\n"
        validate_grammar(grammar)  # never hand llama.cpp something it may crash on
        return grammar


def _bound(value: Any, most: int = 10_000) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most else None


def _min_bound(value: Any) -> int:
    """A lower bound (minItems, minLength) the grammar spells out: small ones only, else 0."""
    return _bound(value, 64) or 0


def _kind(schema: dict[str, Any]) -> str | None:
    """The schema's one type in JSON Schema's words (BFCL's ``dict`` -> ``object``), or None."""
    kind = schema.get("type")
    return _TYPE_ALIASES.get(kind.lower(), kind) if isinstance(kind, str) else None


def _at_least(schema: dict[str, Any], kind: str) -> int | None:
    """1 when a number must be >= 1 or > 0 (integers), 0 when it must be >= 0, else None."""

    def real(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    low, above = schema.get("minimum"), schema.get("exclusiveMinimum")
    if (real(low) and low >= 1) or (real(above) and above >= 0 and kind == "integer"):
        return 1
    if (real(low) and low >= 0) or (real(above) and above >= 0):
        return 0
    return None


def _pointer(root: Any, ref: str) -> Any:
    """What a local JSON pointer (``#/$defs/Point``) points to in ``root``, or None."""
    if not ref.startswith("#"):
        return None  # a remote $ref: never fetched
    node = root
    for raw in filter(None, ref[1:].split("/")):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _repeat(bound: Any, unbounded: str, *, less: int = 0) -> str:
    """A GBNF repetition: ``unbounded`` ("*"), or ``{0,n}`` for a schema bound (maxItems, maxLength)."""
    n = _bound(bound)
    return unbounded if n is None else f"{{0,{max(0, n - less)}}}"


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() and c.isascii() else "-" for c in str(name)).strip("-")
    return slug[:24] or "p"


def build_grammar(specs: list[dict[str, Any]], *, flavor: str, text: bool = True, parallel: bool = True) -> str:
    """Grammar for text (if ``text``) or calls to the given tools (several if ``parallel``).

    Example::

        >>> spec = {"type": "function", "function": {"name": "f", "parameters": {
        ...     "type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}
        >>> print(build_grammar([spec], flavor="pythonic", text=False).splitlines()[0])
        root ::= "[" call ( ", " call )* "]"
    """
    b = _Builder(flavor)
    b.rules["root"] = ""  # keeps root first
    alts = [b.call(function_of(s), i) for i, s in enumerate(specs)]
    if alts:
        b.rules["call"] = " | ".join(alts)
        sep = '", "' if flavor == "pythonic" else '"; "'
        more = f" ( {sep} call )*" if parallel else ""
        calls = f'"[" call{more} "]"' if flavor == "pythonic" else f"call{more}"
    else:
        calls = ""
    if text:
        b.rules["text"] = _TEXT
    b.rules["root"] = " | ".join(x for x in (("text" if text else ""), calls) if x)
    if not b.rules["root"]:
        b.rules["root"] = "text"
        b.rules["text"] = _TEXT
    return b.render()


def call_prefix(name: str, *, flavor: str) -> str:
    """The text that opens a call of ``name``; :func:`tool_grammar` constrains what follows."""
    if flavor == "pythonic":
        return f"[{name}("
    return '{"name": ' + json_value(name) + ', "parameters": '


def tool_grammar(spec: dict[str, Any], *, flavor: str) -> str:
    """Grammar for the rest of one call after :func:`call_prefix`: its arguments and the closer."""
    b = _Builder(flavor)
    b.rules["root"] = ""
    args = b.arguments(function_of(spec), "tool0")
    closer = '")]"' if flavor == "pythonic" else '"}"'
    b.rules["root"] = f"{args} {closer}".strip()
    return b.render()


def choice_grammar(specs: list[dict[str, Any]], *, flavor: str, text: bool = True) -> str:
    """Grammar for text, or the opening of one call (up to its arguments): the "choose" step."""
    b = _Builder(flavor)
    b.rules["root"] = ""
    names = " | ".join(gbnf_literal(call_prefix(function_of(s)["name"], flavor=flavor)) for s in specs)
    if text:
        b.rules["text"] = _TEXT
    b.rules["root"] = " | ".join(x for x in (("text" if text else ""), names) if x) or "text"
    if b.rules["root"] == "text":
        b.rules["text"] = _TEXT
    return b.render()
