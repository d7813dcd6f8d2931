"""DocumentIndex: a real sqlite FTS5 database in tmp_path, BM25 ranking, exact offsets."""

from __future__ import annotations

import os

import pytest

from corral.tools import dispatch
from corral.tools.builtin import DocumentIndex, search_tool
from corral.tools.builtin.documents import split_passages


@pytest.fixture()
def corpus(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "llamas.md").write_text(
        "# Llamas\n\nLlamas are domesticated camelids from South America.\n\n"
        "## Diet\n\nLlamas eat grass and hay. A llama needs little water.\n",
        encoding="utf-8",
    )
    (docs / "sub" / "alpacas.txt").write_text(
        "Alpacas are smaller than llamas and are bred for their fleece.\n", encoding="utf-8"
    )
    (docs / "refunds.md").write_text("Refund policy: damaged items are refunded within 30 days.\n")
    (docs / "ignored.rst").write_text("llama llama llama")
    return docs


def test_indexes_a_folder_and_ranks_with_bm25(tmp_path, corpus):
    with DocumentIndex(tmp_path / "index.db") as index:
        assert index.add_folder(corpus) == 3
        assert index.sources == ["llamas.md", "refunds.md", "sub/alpacas.txt"]
        hits = index.search("what do llamas eat?")
        assert hits[0].source == "llamas.md" and "eat grass" in hits[0].text
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert index.search("refund damaged")[0].source == "refunds.md"


def test_offsets_point_into_the_original_file(tmp_path, corpus):
    with DocumentIndex(tmp_path / "i.db", chunk_chars=60) as index:
        index.add_folder(corpus)
        for query in ("camelids", "water", "fleece"):
            for hit in index.search(query):
                original = (corpus / hit.source).read_text(encoding="utf-8")
                assert original[hit.start : hit.end] == hit.text


def test_stemming_and_hostile_queries(tmp_path, corpus):
    with DocumentIndex() as index:
        index.add_folder(corpus)
        assert index.search("refunding")[0].source == "refunds.md"  # porter stemming
        for query in ('"unbalanced', "NEAR(a b", "a AND OR NOT", "*", "llama'); DROP TABLE passages; --"):
            index.search(query)  # FTS5 syntax in a model's query never raises
        assert index.search("?!") == []
        assert index.search("zyzzyva") == []


def test_reindexing_skips_unchanged_and_drops_deleted_files(tmp_path, corpus):
    with DocumentIndex(tmp_path / "i.db") as index:
        index.add_folder(corpus)
        assert index.add_folder(corpus) == 0
        (corpus / "refunds.md").unlink()
        (corpus / "llamas.md").write_text("Llamas hum when anxious.")
        os.utime(corpus / "llamas.md", ns=(1, 1))
        assert index.add_folder(corpus) == 1
        assert index.search("refund") == []
        assert index.search("grass") == [] and index.search("hum")[0].source == "llamas.md"


def test_index_persists_on_disk(tmp_path, corpus):
    with DocumentIndex(tmp_path / "i.db") as index:
        index.add_folder(corpus)
    with DocumentIndex(tmp_path / "i.db") as again:
        assert again.search("fleece")[0].source == "sub/alpacas.txt"


def test_long_paragraphs_are_split_and_spans_cover_the_text():
    text = ("word " * 100).strip() + "\n\nshort one\n\n# Heading\nbody"
    spans = split_passages(text, chunk_chars=80)
    assert all(b - a <= 80 for a, b in spans)
    assert spans == sorted(spans) and text.startswith("# Heading", spans[-1][0])


def test_search_tool_formats_sources_and_offsets(tmp_path, corpus):
    index = DocumentIndex()
    index.add_folder(corpus)
    tool = search_tool(index, max_results=2)
    (r,) = dispatch([tool], [{"name": "search_documents", "arguments": {"query": "llamas", "limit": 10}}])
    assert r.content.startswith("[1] ") and "[3] " not in r.content  # capped at max_results
    assert "llamas.md (characters " in r.content
    (none,) = dispatch([tool], [{"name": "search_documents", "arguments": {"query": "zyzzyva"}}])
    assert none.content == "No matching passages."
