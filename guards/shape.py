"""Whether a text is source code: most of its lines read as statements, not sentences.

The input classifier learned what users type: questions and requests, against jailbreak prompts.
Source code pasted into a chat is neither, and its imports, type annotations and docstrings score
like instructions (on real files from installed packages, one Python chunk in six was blocked at
``input`` before the classifier trained on real text; 0.8 % of all chunks after, 0.4 % with this
routing). So at ``input``, code is judged as a document is, by the ``tool_result`` model, which
learned code and configs as benign and instructions planted in their comments as attacks. Not by
the rules alone: a jailbreak written as comment lines would then pass.

An e-mail pasted into a user turn (from its headers, or a forwarding marker, on) is a document too:
``pasted_mail`` finds where it starts, so the user's own words and the mail can each be judged as
what they are.

Example::

    >>> looks_like_code("import os\\n\\ndef main():\\n    path = os.getcwd()\\n    return path\\n")
    True
    >>> looks_like_code("Dear team,\\nthe review moves to Friday.\\nPlease bring the figures.\\n")
    False
    >>> pasted_mail("Is this spam?\\nFrom: win@prize.example\\nSubject: You won\\n\\nClaim it now.")
    14
"""

from __future__ import annotations

import re

__all__ = ["looks_like_code", "pasted_mail"]

# A line reads as code when it starts with a statement keyword or a comment, bracket or decorator
# mark, ends with a bracket, colon, semicolon or comma, assigns or compares, or is a short
# "key: value" pair. String tests only: a regex per line cost 370 us on 4 KB of prose.
_KEYWORDS = frozenset(
    """def class import from return raise yield async await elif else else: try: try except finally
    with for while if lambda pass break continue global nonlocal assert del function const let var
    export public private protected static package namespace using struct enum interface impl fn pub
    mod use func type val case switch SELECT INSERT UPDATE DELETE CREATE ALTER DROP FROM WHERE ORDER
    GROUP JOIN LIMIT VALUES SET""".split()
)
_STARTS = ("#", "//", "/*", "*/", "* ", "@", "}", "]", ")", '"""', "'''", "<", "$ ")
_ENDS = frozenset(":{;,([)]}")
_OPERATORS = (" = ", "==", "!=", "+=", "-=", ":=", "=>", "->", "++", "--")
_SHARE = 0.6  # of non-empty lines
_LEAST = 4  # lines: a shorter text is judged as prose


def looks_like_code(text: str) -> bool:
    """At least ``_LEAST`` non-empty lines, and most of them read as code."""
    if text.count("\n") < _LEAST - 1:
        return False
    lines = [s for s in (line.strip() for line in text.splitlines()) if s]
    if len(lines) < _LEAST:
        return False
    need = _SHARE * len(lines)
    code = prose = 0
    for line in lines:
        if _code_line(line):
            code += 1
            if code >= need:
                return True
        else:
            prose += 1
            if prose > len(lines) - need:
                return False
    return code >= need


def _code_line(line: str) -> bool:
    if line[-1] in _ENDS or line.startswith(_STARTS):
        return True
    first, _, rest = line.partition(" ")
    if first in _KEYWORDS or any(op in line for op in _OPERATORS):
        return True
    # "port: 8080", "name: corral": a key and a short value
    return first.endswith(":") and first[:-1].replace("_", "").replace("-", "").isalnum() and rest.count(" ") < 3


# A pasted mail: a forwarding marker, or a "From:" line followed by header lines.
_PASTED_MAIL = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:original message|forwarded message)[ \t]*-{2,}|begin forwarded message:?"
    r"|from:[^\n]*\n(?:[ \t]*(?:to|cc|sent|date|subject):[^\n]*\n)*[ \t]*(?:to|cc|sent|date|subject):)",
    re.M | re.I,
)


def pasted_mail(text: str) -> int | None:
    """Where an e-mail pasted into ``text`` starts (its headers or a forwarding marker), or None."""
    found = _PASTED_MAIL.search(text)
    return found.start() if found else None
