"""Test helpers for prompts: a GBNF -> Python regex translation, to check what a grammar accepts
without llama.cpp (recursion is unrolled a few levels deep, which is enough for tool arguments)."""

from __future__ import annotations

import re

import pytest

_TOKEN = re.compile(r'\s+|#[^\n]*|"(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|[A-Za-z0-9-]+|::=|\{\d+(?:,\d*)?\}|[()|*+?.]')
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "[": "[", "]": "]"}


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\":
            c = body[i + 1]
            if c in "xuU":
                n = {"x": 2, "u": 4, "U": 8}[c]
                out.append(chr(int(body[i + 2 : i + 2 + n], 16)))
                i += 2 + n
                continue
            out.append(_ESC[c])
            i += 2
            continue
        out.append(body[i])
        i += 1
    return "".join(out)


def _rules(gbnf: str) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for line in gbnf.strip().splitlines():
        name, body = line.split(" ::= ", 1)
        rules[name] = [t for t in _TOKEN.findall(body) if not t.isspace() and not t.startswith("#")]
    return rules


def gbnf_regex(gbnf: str, depth: int = 3) -> re.Pattern:
    rules = _rules(gbnf)

    def expand(name: str, path: tuple[str, ...]) -> str:
        if path.count(name) >= depth:  # unroll recursion a few levels, then give up
            return "(?!)"
        path = path + (name,)
        parts = []
        for tok in rules[name]:
            if tok.startswith('"'):
                parts.append(re.escape(_unescape(tok[1:-1])))
            elif tok.startswith("["):
                inner = tok[1:-1]
                neg = inner.startswith("^")
                inner = inner[1:] if neg else inner
                inner = re.sub(r"(?<!\\)\[", r"\\[", inner)
                parts.append("[" + ("^" if neg else "") + inner + "]")
            elif tok in ("(", ")"):
                parts.append("(?:" if tok == "(" else ")")
            elif tok in ("|", "*", "+", "?") or tok.startswith("{"):  # {m,n} means the same in a regex
                parts.append(tok)
            elif tok == ".":
                parts.append("(?s:.)")
            else:
                parts.append("(?:" + expand(tok, path) + ")")
        return "".join(parts)

    return re.compile(expand("root", ()), re.S)


@pytest.fixture
def accepts():
    """accepts(grammar, text) -> bool: does the grammar match the whole text?"""
    cache: dict[str, re.Pattern] = {}

    def check(gbnf: str, text: str) -> bool:
        if gbnf not in cache:
            cache[gbnf] = gbnf_regex(gbnf)
        return cache[gbnf].fullmatch(text) is not None

    return check
