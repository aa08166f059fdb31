"""Graph exports and search index spliced from the last build's (kg.splice): after every
kind of edit the spliced graph.nt, graph.ttl, graph.jsonld, search.json and data/search.js
are the bytes of the files made whole, and they were spliced (the whole N-Triples and the
whole index were never made)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import kg.rdf
import kg.site
from kg import search
from kg.build import build, load_wiki
from kg.config import Config
from kg.splice import Replacement, SpliceError, splice_file
from tests.conftest import WriteWiki, edit_note

ALPHA = """---
title: Alpha
date: 2026-01-01
tier: 1
tags: [agents]
authors: [Jack Clark, Ada Lovelace]
source: {title: "Alpha source", url: "https://schema.org/Thing/alpha-1", publisher: Pub}
raw: raw/alpha.txt
connections:
  - {to: bee, rel: extends, note: "Alpha extends Bee ]},{\\"@id\\":\\"x\\" and more."}
  - ghost
---
## TL;DR
Alpha's text holds a Turtle end . and a newline-ish " .\\n<http://x> sequence, and ünïcödé.

## Open questions
- Does alpha scale past a thousand agents?
- Is it ]},{"@id":"https://example.org/kg/note/zzz"} safe?
"""

BEE = """---
title: Bee
date: 2026-01-02
tier: 2
tags: [agents, audit]
authors: [Jack Clark]
source: {title: "Bee source", url: "https://example.com/bee"}
forecasts:
  - {claim: "Agents audit agents", p: 0.4, by: 2026-03-01}
---
## TL;DR
Bee body, see [[Alpha]].

## Research angle
1. **Audit loops** — agents checking agents.
"""

CEE = """---
title: Cee
date: 2026-01-03
tags: [audit]
---
## TL;DR
Cee body.
"""

EXPORTS = ("graph.nt", "graph.ttl", "graph.jsonld", "search.json", "data/search.js")
QUESTION = "alpha#q-does-alpha-scale-past-a-thousand-agents"


@pytest.fixture
def wiki(write_wiki: WriteWiki) -> Config:
    config = write_wiki({"alpha.md": ALPHA, "bee.md": BEE, "cee.md": CEE})
    build(config, jobs=1)
    return config


def whole(config: Config) -> dict[str, bytes]:
    """The files made whole from the notes read afresh."""
    wiki = load_wiki(config)
    nt = kg.rdf.ntriples(wiki, config)
    index = search.search_index(wiki)
    return {"graph.nt": nt.encode("utf-8"), "graph.ttl": kg.rdf.serialize(nt, "ttl"),
            "graph.jsonld": kg.rdf.serialize(nt, "jsonld"),
            "search.json": search.index_json(index), "data/search.js": search.index_script(index)}


def spliced_build(config: Config, monkeypatch: pytest.MonkeyPatch, jobs: int = 1) -> None:
    """A build that must splice: making the N-Triples or the index whole, or serialising
    the triples, fails it."""
    def whole_made(*_args: object) -> None:
        raise AssertionError("the exports were made whole, not spliced")

    with monkeypatch.context() as patch:
        patch.setattr(kg.rdf, "write_ntriples", whole_made)
        patch.setattr(kg.rdf, "serialize_file", whole_made)
        patch.setattr(kg.site, "index_entries", whole_made)
        build(config, jobs=jobs)


def exports(config: Config) -> dict[str, bytes]:
    return {name: (config.out / name).read_bytes() for name in EXPORTS}


def write(config: Config, name: str, text: str) -> None:
    (config.wiki / name).write_text(text, encoding="utf-8")


EDITS: dict[str, Callable[[Config], None]] = {
    "body": lambda c: edit_note(c, "cee.md", lambda t: t.replace("Cee body.", "Cee, edited.")),
    "title": lambda c: edit_note(c, "bee.md", lambda t: t.replace("title: Bee", "title: Bees")),
    "connect": lambda c: edit_note(c, "cee.md", lambda t: t.replace(
        "tags: [audit]", "tags: [audit]\nconnections:\n  - {to: alpha, rel: critiques}")),
    "delete": lambda c: (c.wiki / "bee.md").unlink(),
    "placeholder written": lambda c: write(c, "ghost.md", "---\ntitle: Ghost\n---\nBoo.\n"),
    "shared author renamed": lambda c: edit_note(
        c, "bee.md", lambda t: t.replace("authors: [Jack Clark]", "authors: [jack clark]")),
    "shared author dropped": lambda c: edit_note(
        c, "bee.md", lambda t: t.replace("authors: [Jack Clark]\n", "")),
    "answered elsewhere": lambda c: edit_note(
        c, "cee.md", lambda t: t.replace("tags: [audit]", f"tags: [audit]\nanswers: [{QUESTION}]")),
    "new tag": lambda c: edit_note(c, "cee.md", lambda t: t.replace("[audit]", "[audit, new/sub]")),
    "prefixed source": lambda c: edit_note(
        c, "alpha.md", lambda t: t.replace("Thing/alpha-1", "Thing/alpha.2")),
    "hostile text": lambda c: edit_note(c, "alpha.md", lambda t: t.replace(
        "ünïcödé", 'a " .\\n]},{"@id":"x"} and \\u2028 line')),
    "new note": lambda c: write(c, "aaa.md", "---\ntitle: First of all\nauthors: [Jack Clark]\n"
                                             "---\nLinks [[Cee]] and [[ghost]].\n"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_splices_the_bytes_of_whole_exports(wiki: Config, name: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = exports(wiki)
    EDITS[name](wiki)
    spliced_build(wiki, monkeypatch)
    after = exports(wiki)
    assert after == whole(wiki)
    assert after != before


def test_edits_in_a_row_keep_splicing(wiki: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("new note", "connect", "answered elsewhere", "delete", "placeholder written"):
        EDITS[name](wiki)
        spliced_build(wiki, monkeypatch)
        assert exports(wiki) == whole(wiki), name


def test_a_query_after_a_spliced_build_reads_the_spliced_triples(
        wiki: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.cache import load_ntriples_cached

    EDITS["title"](wiki)
    spliced_build(wiki, monkeypatch)
    with monkeypatch.context() as patch:  # from the cache the build left, not made again
        patch.setattr(kg.rdf, "write_ntriples", lambda *_: pytest.fail("N-Triples made again"))
        assert load_ntriples_cached(wiki).encode("utf-8") == exports(wiki)["graph.nt"]
    assert '"Bees"' in load_ntriples_cached(wiki)
    from kg.cache import ntriples_file

    kept = ntriples_file(wiki)  # the site's file itself, linked (not copied)
    assert kept.stat().st_ino == (wiki.out / "graph.nt").stat().st_ino


def test_the_spliced_triples_are_copied_where_they_cannot_be_linked(
        wiki: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kg.cache import load_ntriples_cached, ntriples_file

    def no_links(*_args: object) -> None:
        raise OSError(1, "no links here")

    EDITS["title"](wiki)
    with monkeypatch.context() as patch:
        patch.setattr(os, "link", no_links)
        spliced_build(wiki, monkeypatch)
        patch.setattr(kg.rdf, "write_ntriples", lambda *_: pytest.fail("N-Triples made again"))
        assert load_ntriples_cached(wiki).encode("utf-8") == exports(wiki)["graph.nt"]
        assert ntriples_file(wiki).stat().st_ino != (wiki.out / "graph.nt").stat().st_ino


@pytest.mark.parametrize("damage", ["truncated", "emptied"])
@pytest.mark.parametrize("name", EXPORTS)
def test_a_damaged_export_is_made_whole_again(wiki: Config, name: str, damage: str) -> None:
    target = wiki.out / name
    data = target.read_bytes()
    target.unlink()  # the site's file is a link shared with nothing else; never write through
    target.write_bytes(data[:len(data) // 2] if damage == "truncated" else b"")
    EDITS["body"](wiki)
    build(wiki, jobs=1)
    assert exports(wiki) == whole(wiki)


def test_other_settings_make_the_exports_whole(wiki: Config,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    toml = wiki.root / "kg.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "https://example.org/kg/", "https://example.net/other/"), encoding="utf-8")
    from kg.config import load_config

    moved = load_config(wiki.root).with_options(wiki=wiki.wiki, out=wiki.out)
    made: list[object] = []
    original = kg.rdf.write_ntriples
    monkeypatch.setattr(kg.rdf, "write_ntriples", lambda *a: made.append(a) or original(*a))
    build(moved, jobs=1)
    assert made, "a new base IRI changes every line: the exports are made whole"
    assert exports(moved) == whole(moved)
    assert b"<https://example.net/other/note/alpha>" in exports(moved)["graph.ttl"]
    assert b"<https://example.org/kg/note/alpha>" not in exports(moved)["graph.ttl"]


def test_splice_file_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jsonld", tmp_path / "new.jsonld"
    old.write_bytes(b'{"not": "an array"}')
    change = Replacement("<http://a/> ", "<http://a/>!", ('<http://a/> <http://b/> "c" .',))
    with pytest.raises(SpliceError):
        splice_file(old, new, "jsonld", [change])
    old.write_bytes(b"@prefix x: <http://x/> .\n")
    with pytest.raises(SpliceError):
        splice_file(old, new, "ttl", [change])


def test_an_edit_of_most_notes_makes_the_files_whole(wiki: Config,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("alpha.md", "bee.md"):  # two notes of three: splicing would cost more
        edit_note(wiki, name, lambda t: t.replace("## TL;DR\n", "## TL;DR\nAll edited. "))
    made: list[object] = []
    original = kg.rdf.write_ntriples
    monkeypatch.setattr(kg.rdf, "write_ntriples", lambda *a: made.append(a) or original(*a))
    build(wiki, jobs=1)
    assert made
    assert exports(wiki) == whole(wiki)


def test_workers_splice_too(wiki: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.incremental

    monkeypatch.setattr(kg.incremental, "PARALLEL_MIN", 0)  # forked workers even for 3 notes
    for name in ("title", "new note", "answered elsewhere"):
        EDITS[name](wiki)
        spliced_build(wiki, monkeypatch, jobs=2)  # a worker that made a file whole would raise
        assert exports(wiki) == whole(wiki), name


def test_the_lines_of_no_one_note_are_the_last_builds_while_their_inputs_are_equal(
        wiki: Config) -> None:
    """``kg serve``'s next build takes the sorted wiki-level, author, source and raw-file
    lines again when what they are made of is equal (an edit of a note's text), and makes
    them again, equal to a fresh computation, when one input changed (a tag)."""
    from kg import splice

    first = splice.graph_state(load_wiki(wiki), wiki, "k").common
    EDITS["body"](wiki)
    assert splice.graph_state(load_wiki(wiki), wiki, "k").common is first
    EDITS["new tag"](wiki)
    now = load_wiki(wiki)
    tagged = splice.graph_state(now, wiki, "k").common
    assert tagged is not first and any("new/sub" in line for line in tagged)
    splice._common.forget()
    assert splice.graph_state(now, wiki, "k").common == tagged


@pytest.mark.parametrize("kernel", ["copies", "cannot", "absent"])
def test_copy_range_appends_the_bytes_asked_for(tmp_path: Path, kernel: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`kg.cachefile.copy_range` appends a range of one file to another, by the
    kernel or, where it cannot (another file system, an old kernel), read and written; it
    says how many bytes it copied, fewer when the source ends first."""
    import errno
    import os

    from kg.cachefile import copy_range

    if kernel == "cannot":
        def refuse(*_args: object) -> int:
            raise OSError(errno.EXDEV, "cross-device")

        monkeypatch.setattr(os, "copy_file_range", refuse)
    elif kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    source = tmp_path / "source"
    source.write_bytes(bytes(range(256)) * 5000)  # more than one chunk of the fallback
    target = tmp_path / "target"
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(b"head:")
        dst.flush()
        assert copy_range(src.fileno(), dst.fileno(), 3, 1_100_003) == 1_100_000
        assert copy_range(src.fileno(), dst.fileno(), 1_279_990, 1_300_000) == 10
    data = source.read_bytes()
    assert target.read_bytes() == b"head:" + data[3:1_100_003] + data[1_279_990:]


def test_saved_queries_beside_a_splice_read_the_spliced_triples(
        write_wiki: WriteWiki, monkeypatch: pytest.MonkeyPatch) -> None:
    """In ``kg serve`` the exports are spliced by a thread beside the pages; the saved
    queries' pages, made meanwhile, wait for the spliced graph.nt (kept as the cache's
    N-Triples) instead of having every triple made again, and answer from the edit."""
    import kg.cache

    config = write_wiki({"alpha.md": ALPHA, "bee.md": BEE, "cee.md": CEE})
    queries = config.wiki / "queries"
    queries.mkdir()
    (queries / "titles.rq").write_text(
        "# Titles\nPREFIX schema: <https://schema.org/>\n"
        "SELECT ?title WHERE { ?n schema:name ?title } ORDER BY ?title\n", encoding="utf-8")
    build(config, cache="later")
    kg.cache.settle_held()
    EDITS["title"](config)
    with monkeypatch.context() as patch:
        patch.setattr(kg.rdf, "write_ntriples", lambda *_: pytest.fail("N-Triples made again"))
        result = build(config, cache="later")
    kg.cache.settle_held()
    assert result.rendered
    page = (config.out / "queries" / "titles.html").read_text(encoding="utf-8")
    assert "Bees" in page and exports(config) == whole(config)
