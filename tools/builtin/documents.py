"""Local retrieval: a sqlite FTS5 index of text/markdown files, searched with BM25.

Files are split into passages at paragraph boundaries (about ``chunk_chars`` characters each);
each passage keeps its source path and its character offsets in the file, so
``file_text[hit.start:hit.end] == hit.text`` always holds. Queries from a model are treated as
plain words (FTS5 operators and punctuation cannot break the query); passages matching more of
the words, and rarer words, rank higher.

Example::

    >>> index = DocumentIndex(chunk_chars=20)       # in memory; pass a path to persist
    >>> index.add_text("notes.md", "Llamas hum.\\n\\nAlpacas spit.")
    2
    >>> hit = index.search("alpaca")[0]
    >>> hit.source, hit.start, hit.text
    ('notes.md', 13, 'Alpacas spit.')
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..definition import Tool

__all__ = ["DocumentIndex", "Hit", "search_tool"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (source TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER);
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    text, source UNINDEXED, start UNINDEXED, stop UNINDEXED, tokenize = 'porter unicode61');
"""


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One ranked passage: ``source`` path, ``start``/``end`` character offsets, ``text``, ``score``
    (BM25, higher is better)."""

    source: str
    start: int
    end: int
    text: str
    score: float


def split_passages(text: str, chunk_chars: int) -> list[tuple[int, int]]:
    """Character spans of passages: paragraphs merged up to ``chunk_chars``, long ones split."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
        start, end = para.span()
        while end - start > chunk_chars:  # a very long paragraph: cut at the last space
            cut = text.rfind(" ", start, start + chunk_chars)
            cut = cut if cut > start else start + chunk_chars
            spans.append((start, cut))
            start = cut + 1 if text[cut : cut + 1] == " " else cut
        # Merge short paragraphs, but let a markdown heading start a new passage.
        if spans and end - spans[-1][0] <= chunk_chars and not text.startswith("#", start):
            spans[-1] = (spans[-1][0], end)
        elif end > start:
            spans.append((start, end))
    return spans


class DocumentIndex:
    """A full-text index over local files, stored in sqlite (``path``) or in memory.

    Safe to share between threads (one connection behind a lock).
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, chunk_chars: int = 800) -> None:
        self.chunk_chars = chunk_chars
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_text(self, source: str, text: str) -> int:
        """Index ``text`` under ``source`` (replacing what was there); return the passage count."""
        spans = split_passages(text, self.chunk_chars)
        rows = [(text[a:b], source, a, b) for a, b in spans]
        with self._lock, self._db:
            self._db.execute("DELETE FROM passages WHERE source = ?", (source,))
            self._db.executemany("INSERT INTO passages (text, source, start, stop) VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def add_folder(
        self,
        folder: str | os.PathLike[str],
        *,
        patterns: Iterable[str] = ("*.txt", "*.md"),
        max_file_bytes: int = 5_000_000,
    ) -> int:
        """Index matching files under ``folder`` (sources are paths relative to it, with ``/``).

        Unchanged files (same size and modification time) are skipped; files that disappeared
        are dropped from the index. Returns how many files were (re)indexed.
        """
        base = Path(folder)
        found = {p.relative_to(base).as_posix(): p for pat in patterns for p in base.rglob(pat) if p.is_file()}
        changed = 0
        for source, path in sorted(found.items()):
            info = path.stat()
            if info.st_size > max_file_bytes or self._unchanged(source, info):
                continue
            self.add_text(source, path.read_text(encoding="utf-8", errors="replace"))
            with self._lock, self._db:
                self._db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", (source, info.st_mtime_ns, info.st_size)
                )
            changed += 1
        self._forget(set(found))
        return changed

    def _unchanged(self, source: str, info: os.stat_result) -> bool:
        with self._lock:
            row = self._db.execute("SELECT mtime_ns, size FROM documents WHERE source = ?", (source,)).fetchone()
        return row == (info.st_mtime_ns, info.st_size)

    def _forget(self, keep: set[str]) -> None:
        with self._lock, self._db:
            gone = [s for (s,) in self._db.execute("SELECT source FROM documents") if s not in keep]
            for source in gone:
                self._db.execute("DELETE FROM passages WHERE source = ?", (source,))
                self._db.execute("DELETE FROM documents WHERE source = ?", (source,))

    @property
    def sources(self) -> list[str]:
        """Every indexed source, sorted."""
        with self._lock:
            return [s for (s,) in self._db.execute("SELECT DISTINCT source FROM passages ORDER BY source")]

    def search(self, query: str, *, limit: int = 5) -> list[Hit]:
        """The best ``limit`` passages for the words of ``query``, best first (empty if no word matches)."""
        words = _WORD.findall(query.lower())
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in dict.fromkeys(words))
        sql = (
            "SELECT source, start, stop, text, bm25(passages) AS rank FROM passages "
            "WHERE passages MATCH ? ORDER BY rank, source, start LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (match, max(1, int(limit)))).fetchall()
        # FTS5's bm25() is lower-is-better; flip the sign so a higher score means more relevant.
        return [Hit(source=s, start=a, end=b, text=t, score=-r) for s, a, b, t, r in rows]


def _format(hits: list[Hit]) -> str:
    if not hits:
        return "No matching passages."
    blocks = [
        f"[{i}] {h.source} (characters {h.start}-{h.end}, score {h.score:.2f})\n{h.text}" for i, h in enumerate(hits, 1)
    ]
    return "\n\n".join(blocks)


def search_tool(index: DocumentIndex, *, name: str = "search_documents", max_results: int = 5) -> Tool:
    """A ``search_documents(query, limit)`` tool bound to ``index``; returns ranked passages as text."""

    def search_documents(query: str, limit: int = 3) -> str:
        """Search the local documents and return the most relevant passages with their source.

        Args:
            query: Words to look for, e.g. "refund policy for damaged items".
            limit: How many passages to return (at most the configured maximum).
        """
        return _format(index.search(query, limit=min(max(1, limit), max_results)))

    return Tool.from_function(search_documents, name=name)
