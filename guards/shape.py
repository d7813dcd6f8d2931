"""Whether a text is source code: most of its lines read as statements, not sentences.

The input classifier learned what users type: questions and requests, against jailbreak prompts.
Source code pasted into a chat is neither, and its imports, type annotations and docstrings score
like instructions (on real files from installed packages, one Python chunk in six was blocked at
``input``). So at ``input``, code is judged by the rules alone: an override written in a comment
("# ignore all previous instructions") is still caught. Tool results keep the classifier, where
instructions planted in code comments are the attack.

Example::

    >>> looks_like_code("import os\\n\\ndef main():\\n    return os.getcwd()\\n")
    True
    >>> looks_like_code("Dear team,\\nthe review moves to Friday.\\nPlease bring the figures.\\n")
    False
"""

from __future__ import annotations

import re

__all__ = ["looks_like_code"]

# A line that reads as code: a statement keyword first, a bracket or operator that sentences rarely
# hold, or a closing bracket or colon at its end.
_CODE_LINE = re.compile(
    r"""^\s*(?:
        (?:def|class|import|from|return|raise|yield|async|await|elif|else|try|except|finally|with|
           for|while|if|lambda|pass|break|continue|global|nonlocal|assert|del|
           function|const|let|var|export|public|private|protected|static|package|namespace|using|
           struct|enum|interface|impl|fn|pub|mod|use|func|type|val|case|switch|
           SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|FROM|WHERE|ORDER|GROUP|JOIN|LIMIT|VALUES|SET)\b
      | [@#}\])]|//|/\*|\*/|\*\s|<[/!?]?[A-Za-z]|"{3}|'{3}|\$\s
    )
    | (?:[:{;,(\[]|=>|->|\)\s*:?)\s*$
    | \w\s*(?:[+\-*/%|&]?=|==|!=|:=|\+\+|--)\s*\S
    | \w\.\w+\(
    | ^\s*\w+\s*:\s*[\w\[\]|., "']+$
    """,
    re.VERBOSE,
)
_SHARE = 0.6  # of non-empty lines
_LEAST = 4  # lines: a shorter text is judged as prose


def looks_like_code(text: str) -> bool:
    """At least ``_LEAST`` non-empty lines, and most of them read as code."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < _LEAST:
        return False
    code = sum(1 for line in lines if _CODE_LINE.search(line))
    return code >= _SHARE * len(lines)
