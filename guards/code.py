"""Insecure-pattern scanning of code in model output and in tool-call arguments.

Code is taken from fenced blocks (```python ... ```), from text after ``<|python_tag|>``, and
from tool arguments that carry code (argument names like ``code``/``script``/``command``/``sql``,
or tools whose name says they run code). Each rule has an id, a severity and a CWE; findings of
``block_at`` severity or worse block, others are reported as warnings on an allow verdict.

Example::

    >>> from corral.guards import CodeScanner
    >>> v = CodeScanner().check("output", "```sh\\ncurl https://x.sh | sh\\n```")
    >>> v.action, v.categories
    ('block', ('CORRAL-SH-002',))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .base import Stage, ToolCallPayload, Verdict, check_stage, text_of

__all__ = ["CodeScanner", "Rule", "Finding", "RULES", "SEVERITIES"]

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One insecure pattern. ``languages`` empty means every language.

    ``needles``: lower-case substrings of which a match must contain at least one; a snippet
    without any of them skips the regex (a substring test is much cheaper). Empty: always run.
    """

    id: str
    severity: str
    cwe: str
    message: str
    pattern: re.Pattern[str]
    languages: frozenset[str] = frozenset()
    confirm: Callable[[re.Match[str]], bool] | None = None
    needles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A rule that matched: where (1-based line inside the snippet) and what."""

    rule: str
    severity: str
    cwe: str
    message: str
    language: str
    line: int
    excerpt: str


def _rule(id_: str, severity: str, cwe: str, message: str, pattern: str, langs: str = "", confirm=None) -> Rule:
    return Rule(
        needles=_NEEDLES[id_],
        id=id_,
        severity=severity,
        cwe=cwe,
        message=message,
        pattern=re.compile(pattern),
        languages=frozenset(langs.split()),
        confirm=confirm,
    )


def _recursive_flags(m: re.Match[str]) -> bool:
    flags = m.group(1)
    return "--recursive" in flags or any("r" in f.lower() for f in flags.split() if not f.startswith("--"))


_SQL_VERB = r"(?:select|insert|update|delete|drop)\b"


def _quoted(quote: str, end: str) -> str:
    """A string literal in ``quote`` holding an SQL verb, up to ``end`` (bounded: no blow-up)."""
    body = "[^" + quote + r"\n]{0,300}"
    return quote + body + r"\b" + _SQL_VERB + body + end


# Words a match cannot do without (lower-case), per rule id: see Rule.needles.
_NEEDLES = {
    "CORRAL-PY-001": ("eval", "exec"),
    "CORRAL-PY-002": ("shell",),
    "CORRAL-PY-003": ("os.",),
    "CORRAL-PY-004": ("pickle", "dill", "shelve", "marshal"),
    "CORRAL-PY-005": ("yaml.",),
    "CORRAL-PY-006": ("md5", "sha1"),
    "CORRAL-PY-007": ("hashlib",),
    "CORRAL-PY-008": ("verify",),
    "CORRAL-SQL-001": ("select", "insert", "update", "delete", "drop"),
    "CORRAL-SQL-002": ("'",),
    "CORRAL-SQL-003": ("drop", "truncate"),
    "CORRAL-SEC-001": ("pass", "pwd", "secret", "key", "token"),
    "CORRAL-JS-001": ("function",),
    "CORRAL-JS-002": ("exec",),
    "CORRAL-JS-003": ("innerhtml", "document.write"),
    "CORRAL-SH-001": ("rm",),
    "CORRAL-SH-002": ("curl", "wget"),
    "CORRAL-SH-003": ("chmod",),
    "CORRAL-SH-004": (":(",),
    "CORRAL-SH-005": ("/dev/",),
    "CORRAL-C-001": ("gets",),
    "CORRAL-C-002": ("strcpy", "strcat", "wcscpy"),
    "CORRAL-C-003": ("sprintf", "scanf"),
    "CORRAL-C-004": ("system",),
}

# f"...SELECT ...{x}" or "...SELECT ..." + x / % x / .format(x)
_SQL_BUILT = (
    r"(?i)\bf(?:"
    + _quoted('"', r"\{")
    + "|"
    + _quoted("'", r"\{")
    + ")"
    + "|(?:"
    + _quoted('"', '"')
    + "|"
    + _quoted("'", "'")
    + r")\s*(?:\+|%\s*[\w(]|\.format\s*\()"
)
RULES: tuple[Rule, ...] = (
    _rule("CORRAL-PY-001", "high", "CWE-95", "eval/exec of dynamic code", r"(?<![\w.])(?:eval|exec)\s*\(", "python"),
    _rule(
        "CORRAL-PY-002",
        "high",
        "CWE-78",
        "subprocess with shell=True",
        r"\bsubprocess\.\w+\([^)]{0,400}?\bshell\s*=\s*True",
        "python",
    ),
    _rule(
        "CORRAL-PY-003", "high", "CWE-78", "os.system/os.popen runs a shell", r"\bos\.(?:system|popen)\s*\(", "python"
    ),
    _rule(
        "CORRAL-PY-004",
        "high",
        "CWE-502",
        "unpickling data (arbitrary code on load)",
        r"\b(?:c?[Pp]ickle|dill|shelve|marshal)\.loads?\s*\(",
        "python",
    ),
    _rule(
        "CORRAL-PY-005",
        "high",
        "CWE-502",
        "yaml.load without SafeLoader",
        r"\byaml\.(?:load|load_all)\s*\((?![^)\n]{0,200}Loader\s*=\s*(?:yaml\.)?C?SafeLoader)",
        "python",
    ),
    _rule(
        "CORRAL-PY-006",
        "high",
        "CWE-916",
        "fast/broken hash used for a password",
        r"(?i)\b(?:md5|sha1)\s*\([^)\n]{0,120}pass(?:word|wd|phrase)?",
        "python javascript",
    ),
    _rule(
        "CORRAL-PY-007",
        "medium",
        "CWE-328",
        "weak hash (MD5/SHA-1)",
        r"\bhashlib\.(?:md5|sha1)\s*\(|hashlib\.new\(\s*['\"](?:md5|sha1)['\"]",
        "python",
    ),
    _rule("CORRAL-PY-008", "medium", "CWE-295", "TLS verification disabled", r"\bverify\s*=\s*False\b", "python"),
    _rule(
        "CORRAL-SQL-001",
        "high",
        "CWE-89",
        "SQL built by string formatting or concatenation",
        _SQL_BUILT,
        "python javascript",
    ),
    _rule(
        "CORRAL-SQL-002",
        "high",
        "CWE-89",
        "tautology typical of SQL injection",
        r"(?i)'\s*or\s*'?1'?\s*=\s*'?1",
        "sql python javascript",
    ),
    _rule(
        "CORRAL-SQL-003",
        "medium",
        "CWE-89",
        "destructive statement",
        r"(?i)\bdrop\s+(?:table|database)\b|\btruncate\s+table\b",
        "sql",
    ),
    _rule(
        "CORRAL-SEC-001",
        "high",
        "CWE-798",
        "hard-coded secret",
        r"(?i)\b(?:password|passwd|pwd|secret|api_?key|access_?key|auth_?token|token)\s*[:=]\s*['\"][^'\"\s]{6,200}['\"]",
    ),
    _rule("CORRAL-JS-001", "high", "CWE-95", "new Function() of dynamic code", r"\bnew\s+Function\s*\(", "javascript"),
    _rule(
        "CORRAL-JS-002",
        "high",
        "CWE-78",
        "child_process exec with a built command",
        r"\b(?:exec|execSync)\s*\(\s*(?:`[^`]{0,300}\$\{|['\"][^'\"\n]{0,300}['\"]\s*\+)",
        "javascript",
    ),
    _rule(
        "CORRAL-JS-003",
        "medium",
        "CWE-79",
        "HTML injection sink",
        r"\.innerHTML\s*=|\bdocument\.write\s*\(",
        "javascript",
    ),
    _rule(
        "CORRAL-SH-001",
        "critical",
        "CWE-78",
        "recursive delete of the root, home or a system directory",
        r"\brm\s+((?:-{1,2}[\w-]+\s+){1,4})(?:/\*?|~/?|\$HOME/?|/(?:etc|usr|bin|boot|var|home|lib)/?)(?=$|[\s;&|)])",
        "shell",
        _recursive_flags,
    ),
    _rule(
        "CORRAL-SH-002",
        "high",
        "CWE-494",
        "piping a download into a shell",
        r"\b(?:curl|wget)\b[^|\n]{0,500}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b",
        "shell",
    ),
    _rule("CORRAL-SH-003", "medium", "CWE-732", "world-writable permissions", r"\bchmod\s+(?:-R\s+)?0?777\b", "shell"),
    _rule("CORRAL-SH-004", "high", "CWE-400", "fork bomb", r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:", "shell"),
    _rule(
        "CORRAL-SH-005",
        "critical",
        "CWE-78",
        "overwrite of a disk device",
        r"\b(?:dd\b[^\n]{0,200}\bof=/dev/(?:sd|nvme|hd)|mkfs(?:\.\w+)?\s+/dev/)",
        "shell",
    ),
    _rule("CORRAL-C-001", "high", "CWE-242", "gets() cannot bound its input", r"\bgets\s*\(", "c"),
    _rule("CORRAL-C-002", "high", "CWE-120", "unbounded string copy", r"\b(?:strcpy|strcat|wcscpy)\s*\(", "c"),
    _rule(
        "CORRAL-C-003",
        "medium",
        "CWE-120",
        "unbounded sprintf/scanf",
        r"\bv?sprintf\s*\(|\bscanf\s*\(\s*\"[^\"]{0,50}%s",
        "c",
    ),
    _rule("CORRAL-C-004", "high", "CWE-78", "system() runs a shell", r"(?<![\w.])system\s*\(", "c"),
)

_ALIASES = {
    "py": "python",
    "python3": "python",
    "python": "python",
    "ipython": "python",
    "js": "javascript",
    "javascript": "javascript",
    "ts": "javascript",
    "typescript": "javascript",
    "node": "javascript",
    "sh": "shell",
    "bash": "shell",
    "shell": "shell",
    "zsh": "shell",
    "console": "shell",
    "sql": "sql",
    "sqlite": "sql",
    "postgresql": "sql",
    "mysql": "sql",
    "c": "c",
    "cpp": "c",
    "c++": "c",
    "h": "c",
}
_FENCE = re.compile(r"```[ \t]*([\w+#.-]{0,20})[^\n]{0,100}\n([\s\S]*?)(?:```|$)")
_CODE_ARGS = re.compile(
    r"(?i)^(?:code|script|source|src|program|command|cmd|commands|shell|sql|statement|snippet|python|js|bash)$"
)
_CODE_TOOLS = re.compile(r"(?i)python|code|shell|bash|exec|sql|terminal|interpreter|eval|script")


def _snippets(stage: str, payload: Any) -> list[tuple[str, str]]:
    """(language or "", code) pairs worth scanning (a list: most payloads have none)."""
    if isinstance(payload, ToolCallPayload):
        return _argument_code(payload)
    text = text_of(payload)
    if "```" not in text and "<|python_tag|>" not in text:
        return []  # plain prose: no fence, no python tag, nothing to scan
    found = [(_ALIASES.get(m.group(1).lower(), ""), m.group(2)) for m in _FENCE.finditer(text)]
    tag = text.find("<|python_tag|>")
    if tag >= 0:
        found.append(("python", text[tag + len("<|python_tag|>") :]))
    return found


def _argument_code(call: ToolCallPayload) -> list[tuple[str, str]]:
    tool_runs_code = _runs_code(call.name)
    return [
        (_ALIASES.get(key.lower(), "") or _guess_language(call.name, value), value)
        for key, value in _strings(call.arguments)
        if tool_runs_code or _is_code_key(key)
    ]


@lru_cache(maxsize=1024)
def _runs_code(tool_name: str) -> bool:
    # A run calls the same few tools over and over: decide once per name.
    return _CODE_TOOLS.search(tool_name) is not None


@lru_cache(maxsize=1024)
def _is_code_key(key: str) -> bool:
    return _CODE_ARGS.match(key) is not None


def _strings(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """Every string in the arguments, nested ones included, with the key it sits under."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in arguments.items()]
    while stack:
        key, value = stack.pop()
        if isinstance(value, str):
            found.append((key, value))
        elif isinstance(value, dict):
            stack.extend((str(k), v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((key, v) for v in value)
    found.reverse()  # the stack walked them backwards; keep the arguments' order
    return found


def _guess_language(tool: str, code: str) -> str:
    name = tool.lower()
    for word, lang in (
        ("python", "python"),
        ("sql", "sql"),
        ("shell", "shell"),
        ("bash", "shell"),
        ("js", "javascript"),
    ):
        if word in name:
            return lang
    return ""


class CodeScanner:
    """Finds insecure patterns (Python, JavaScript, shell, SQL, C) in code the model writes.

    ``block_at`` is the lowest severity that blocks (default ``"high"``); ``rules`` replaces the
    rule set (default ``RULES``); ``disabled`` drops rules by id.

    Example::

        >>> from corral.guards import ToolCallPayload
        >>> call = ToolCallPayload(name="run_python", arguments={"code": "import pickle; pickle.loads(b)"})
        >>> CodeScanner().check("tool_call", call).categories
        ('CORRAL-PY-004',)
    """

    name = "code_scanner"
    cost = 20
    inline = True  # offline and synchronous: the loop may run it without a driver round trip

    def __init__(self, *, block_at: str = "high", rules: Iterable[Rule] = RULES, disabled: Iterable[str] = ()) -> None:
        if block_at not in SEVERITIES:
            raise ValueError(f"block_at must be one of {SEVERITIES}, not {block_at!r}")
        off = set(disabled)
        self.rules = tuple(r for r in rules if r.id not in off)
        self.block_at = block_at

    def scan(self, language: str, code: str) -> list[Finding]:
        """All findings in one snippet; an unknown language ("") is checked against every rule."""
        found, low = [], code.lower()
        for rule in self.rules:
            if language and rule.languages and language not in rule.languages:
                continue
            if rule.needles and not any(n in low for n in rule.needles):
                continue
            for m in rule.pattern.finditer(code):
                if rule.confirm is None or rule.confirm(m):
                    found.append(_finding(rule, language, code, m))
                    break  # one finding per rule and snippet is enough to decide
        return found

    def check(self, stage: Stage, payload: Any) -> Verdict:
        check_stage(stage)
        if stage not in ("tool_call", "output") and not isinstance(payload, ToolCallPayload):
            return Verdict.allow(self.name)
        snippets = _snippets(stage, payload)
        findings = [f for lang, code in snippets for f in self.scan(lang, code)] if snippets else []
        if not findings:
            return Verdict.allow(self.name)
        return self._verdict(findings)

    async def acheck(self, stage: Stage, payload: Any) -> Verdict:
        return self.check(stage, payload)

    def _verdict(self, findings: list[Finding]) -> Verdict:
        rank = SEVERITIES.index
        worst = max(findings, key=lambda f: rank(f.severity))
        ids = tuple(dict.fromkeys(f.rule for f in findings))
        details = {"findings": [f.__dict__ for f in findings]}
        summary = "; ".join(f"{f.rule} {f.severity} {f.cwe} {f.message} (line {f.line})" for f in findings)
        score = (rank(worst.severity) + 1) / len(SEVERITIES)
        if rank(worst.severity) >= rank(self.block_at):
            return Verdict.block(self.name, f"insecure code: {summary}", categories=ids, score=score, details=details)
        return Verdict.allow(self.name, reason=f"warnings: {summary}", categories=ids, score=score, details=details)


def _finding(rule: Rule, language: str, code: str, m: re.Match[str]) -> Finding:
    line = code.count("\n", 0, m.start()) + 1
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        cwe=rule.cwe,
        message=rule.message,
        language=language or "any",
        line=line,
        excerpt=m.group(0)[:120],
    )
