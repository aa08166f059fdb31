"""A cache updated after edits answers exactly as one built from scratch.

A rebuild after a small change takes what it can from the cache it replaces: the content
hashes of files whose stat did not change, the unchanged notes (from the graph held in memory,
or unpickled from the file) and the bytes of their records. Whatever it took, the file it
writes must give the same records and the same query answers as a cache made from nothing.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import bench_generator, edit_note, generate_wiki

import kg.cache as cache
from kg.cache import Graph, clear, open_graph
from kg.cachefile import cache_file, code_key, flat_names, open_file
from kg.config import Config

NOTES = 60


@pytest.fixture
def wiki_config(write_wiki: Any) -> Config:
    """A generated wiki of :data:`NOTES` notes, dated a day back."""
    config: Config = write_wiki({})
    generate_wiki(config.wiki, NOTES)
    then = time.time() - 86_400
    for path in config.wiki.iterdir():
        os.utime(path, (then, then))
    return config


def _scratch(config: Config) -> Config:
    """The same wiki with its cache elsewhere: built from nothing, beside the updated one."""
    return dataclasses.replace(config, root=config.root / "scratch")


def _blob_parts(config: Config) -> tuple[Any, ...]:
    """What the cache file holds besides its stats: the content hashes, index and blobs."""
    opened = open_file(cache_file(config), code_key(), str(config.wiki))
    assert opened is not None
    with opened:
        return opened.digests(), opened.index(), opened.blobs()


def _answers(graph: Graph) -> dict[str, Any]:
    """Every answer a query reads from the cache, for every node and every name."""
    from kg.resolve import Resolver

    wiki = graph.wiki()
    nodes = sorted({*wiki.notes, *wiki.placeholders, "no-such-note"})
    names = sorted({*flat_names(Resolver(wiki.notes.values())), "no such name"})
    return {
        "edges": {nid: graph.edge_rows(nid) for nid in nodes},
        "labels": dict(graph.labels()),
        "exists": {nid: graph.exists(nid) for nid in nodes},
        "notes": {nid: graph.note(nid) for nid in nodes},
        "names": {key: graph.lookup("names", key) for key in names},
        "placeholders": dict(graph.placeholders),
        "resolved": {key: graph.resolver().resolve(key) for key in names if
                     graph.lookup("names", key) != ""},
    }


def _changes(wiki: Path, placeholders: list[str], hub: str, by_alias: str, alias: str
             ) -> Iterator[tuple[str, set[str], Callable[[Config], None]]]:
    """Each change: its name, the files it leaves to parse, and the change itself."""
    def append(config: Config) -> None:
        edit_note(config, "paper-00007.md", lambda t: t + "\nOne more sentence.\n")

    def retitle(config: Config) -> None:  # links to the placeholder now resolve to the note
        edit_note(config, "paper-00010.md", lambda t: t.replace(
            t.split("\n")[1], f'title: "{placeholders[0]}"', 1))

    def realias(config: Config) -> None:  # links by the old alias become placeholders
        edit_note(config, f"{by_alias}.md", lambda t: t.replace(
            f'aliases: ["{alias}"]', 'aliases: ["Q-renamed"]'))

    def take_placeholder(config: Config) -> None:  # a new note takes a placeholder's id
        (config.wiki / f"{placeholders[1]}.md").write_text(
            "---\ntitle: Now written\n---\nIt links [[paper-00003]].\n", encoding="utf-8")

    def delete_hub(config: Config) -> None:  # the notes that link to it now link a placeholder
        (config.wiki / f"{hub}.md").unlink()

    def shift_edges(config: Config) -> None:  # a link early on moves every later edge's place
        edit_note(config, "paper-00001.md", lambda t: t.replace(
            "## TL;DR\n", "## TL;DR\nSee [[paper-00002]] and [[Not Yet Written]].\n", 1))
        later = time.time() + 5  # touched, not changed
        os.utime(config.wiki / "paper-00020.md", (later, later))

    def restore_and_delete(config: Config) -> None:
        generate_wiki_note(config.wiki, hub)
        (config.wiki / "paper-00007.md").unlink()

    yield "append", {"paper-00007.md"}, append
    yield "retitle", {"paper-00010.md"}, retitle
    yield "realias", {f"{by_alias}.md"}, realias
    yield "take a placeholder's id", {f"{placeholders[1]}.md"}, take_placeholder
    yield "delete a hub", set(), delete_hub
    yield "shift edges", {"paper-00001.md"}, shift_edges
    yield "restore and delete", {f"{hub}.md"}, restore_and_delete


def generate_wiki_note(wiki: Path, nid: str) -> None:
    """Write note ``nid`` of the generated wiki again, as the generator first wrote it."""
    generator = bench_generator()
    number = int(nid.removeprefix("paper-"))
    (wiki / f"{nid}.md").write_text(generator.note_text(number, NOTES, 0), encoding="utf-8")


@pytest.mark.parametrize("before", ["rebuilt", "read", "file"])
def test_updated_cache_answers_as_one_built_from_scratch(wiki_config: Config, before: str,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Old notes taken from the graph last rebuilt in memory (as ``kg serve`` rebuilds, again
    and again), from a graph read whole from the file (as after ``kg build``), or unpickled
    from the file (a new process)."""
    import kg.parse

    config = wiki_config
    first = open_graph(config).wiki()
    placeholders = sorted(first.placeholders)
    incoming: dict[str, int] = {}
    for edge in first.edges:
        incoming[edge.target] = incoming.get(edge.target, 0) + 1
    hub = max(first.notes, key=lambda nid: incoming.get(nid, 0))
    by_alias = next(e.target for e in first.edges
                    if e.written in first.notes[e.target].aliases and e.target != hub)
    alias = first.notes[by_alias].aliases[0]

    parsed: list[str] = []
    real = kg.parse.parse_note

    def counting(data: bytes, *, nid: str, path: str, **options: Any) -> Any:
        parsed.append(path)
        return real(data, nid=nid, path=path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(kg.parse, "parse_note", counting)
    updated = open_graph(config)
    for name, to_parse, change in _changes(config.wiki, placeholders, hub, by_alias, alias):
        if before == "rebuilt":
            monkeypatch.setattr(cache, "_held", (cache_file(config), updated))
        elif before == "read":
            open_graph(config).wiki()
        else:  # nothing of this wiki in memory
            monkeypatch.setattr(cache, "_held", None)
        change(config)
        parsed.clear()
        updated = open_graph(config)
        assert set(parsed) == to_parse, name
        assert updated._wiki is not None, name  # rebuilt, not taken as it was

        scratch = _scratch(config)
        clear(scratch)
        fresh = open_graph(scratch)
        assert updated.wiki() == fresh.wiki(), name
        assert _answers(open_graph(config)) == _answers(open_graph(scratch)), name
        assert open_graph(config)._wiki is None  # the answers above were read from the file
        assert _blob_parts(config) == _blob_parts(scratch), name


def test_a_file_whose_stat_is_unchanged_is_not_read_again(wiki_config: Config,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Its old content hash stands (outside the racy window: the clock is set on)."""
    import kg.parse

    real_now = time.time_ns
    monkeypatch.setattr(cache.time, "time_ns", lambda: real_now() + 10 * 10**9)
    config = wiki_config
    open_graph(config)
    monkeypatch.setattr(cache, "_held", None)
    read: list[str] = []
    real = kg.parse.read_note

    def reading(path: Path, *, file: str) -> bytes:
        read.append(file)
        return real(path, file=file)

    monkeypatch.setattr(kg.parse, "read_note", reading)
    edit_note(config, "paper-00004.md", lambda t: t + "\nOne more sentence.\n")
    (config.wiki / "new-note.md").write_text("# New\n[[paper-00004]]\n", encoding="utf-8")
    updated = open_graph(config).wiki()
    assert sorted(read) == ["new-note.md", "paper-00004.md"]
    scratch = _scratch(config)
    assert updated == open_graph(scratch).wiki()


def test_a_damaged_old_record_is_not_carried_over(wiki_config: Config,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A flipped byte in an unchanged note's record: that record is not copied into the new
    cache (whose checksums would then vouch for it); the update is a full rebuild."""
    config = wiki_config
    open_graph(config)
    monkeypatch.setattr(cache, "_held", None)
    path = cache_file(config)
    opened = open_file(path, code_key(), str(config.wiki))
    assert opened is not None
    with opened:
        start = opened.start + opened.header.sections[3][0]
        span = Graph(opened.header, opened.index(), opened.blobs()).lookup("spans", "paper-00050")
    data = bytearray(path.read_bytes())
    data[start + span[0][0] + span[0][1] // 2] ^= 0x10
    path.write_bytes(bytes(data))
    edit_note(config, "paper-00004.md", lambda t: t + "\nOne more sentence.\n")
    updated = open_graph(config)
    assert updated.wiki() == open_graph(_scratch(config)).wiki()
    assert _blob_parts(config) == _blob_parts(_scratch(config))


def test_a_racy_file_is_read_again_though_its_stat_is_as_recorded(
        write_wiki: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file written in the instant of the last scan may change again and keep its stat (a
    coarse clock): its old content hash is not trusted; the file is read."""
    from kg.build import load_wiki
    from kg.cachefile import scan

    config = write_wiki({"alpha.md": "# Alpha\n[[beta]]\n", "beta.md": "# Beta\n",
                         "gamma.md": "# Gamma\n"})
    assert "alpha.md" in open_graph(config).header.racy
    recorded = scan(config.wiki)
    monkeypatch.setattr(cache, "scan", lambda wiki: dict(recorded))  # the stats kept
    (config.wiki / "alpha.md").write_text("# Alpha\n[[gamma]]\n", encoding="utf-8")
    (config.wiki / "beta.md").write_text("# Betb\n", encoding="utf-8")
    assert open_graph(config).wiki() == load_wiki(config)


def test_a_cache_written_aside_is_the_cache_written_here(wiki_config: Config,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg build`` of an edit writes the cache in a forked child (:meth:`Graph.settle_aside`):
    the same bytes as written in this process, read back once it is done; a child that
    fails leaves the writing to this process."""
    import kg.workers

    monkeypatch.setattr(kg.workers, "can_fork", lambda: True)
    monkeypatch.setattr(kg.workers, "jobs_wanted", lambda: 2)
    config = wiki_config
    open_graph(config)
    edit_note(config, "paper-00004.md", lambda t: t + "\nOne more sentence.\n")
    updated = open_graph(config, write_later=True)
    updated.settle_aside()
    assert updated._aside is not None
    monkeypatch.setattr(updated, "_write", _not_here)  # the child wrote it, or this fails
    updated.settle()
    assert updated.lookup("spans", "paper-00004") is not None  # its index, read back
    scratch = _scratch(config)
    open_graph(scratch)
    assert _blob_parts(config) == _blob_parts(scratch)

    edit_note(config, "paper-00005.md", lambda t: t + "\nAnother sentence.\n")
    failing = open_graph(config, write_later=True)
    monkeypatch.setattr(failing, "_write", _failing_in_child(failing._write))
    failing.settle_aside()
    failing.settle()  # the child failed: written here
    clear(scratch)
    open_graph(scratch)
    assert _blob_parts(config) == _blob_parts(scratch)


def test_a_cache_put_off_is_replaced_unwritten_and_written_once_idle(
        wiki_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg serve`` puts each build's cache off until no change has come for a while
    (:func:`kg.cache.settle_held`): a rebuild takes its records from the graph held, not
    written, which is then never written; the one written at last is the cache a rebuild
    from nothing writes."""
    config = wiki_config
    open_graph(config)
    laid: list[object] = []
    real_layout = cache.layout
    monkeypatch.setattr(cache, "layout", lambda *a, **k: laid.append(a) or real_layout(*a, **k))
    edit_note(config, "paper-00004.md", lambda t: t + "\nOne more sentence.\n")
    first = open_graph(config, write_later=True)
    assert first.wiki() and first.unwritten
    edit_note(config, "paper-00005.md", lambda t: t + "\nAnother sentence.\n")
    edit_note(config, "paper-00004.md", lambda t: t + "\nAnd one more.\n")
    second = open_graph(config, write_later=True)
    assert "And one more." in second.wiki().notes["paper-00004"].body
    assert laid == [] and first.unwritten  # the first was read, never written
    assert cache.settle_held() and len(laid) == 1 and not second.unwritten
    assert not cache.settle_held()  # nothing left to write
    assert open_graph(config).wiki().notes == second.wiki().notes and len(laid) == 1
    scratch = _scratch(config)
    open_graph(scratch)
    assert _blob_parts(config) == _blob_parts(scratch)



def _mapped_scratch_files(config: Config) -> set[str]:
    """The removed temporary files beside the cache that this process still maps: each
    holds a graph's records and its disk space until its map is let go."""
    folder = str(cache_file(config).parent)
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return {line.split()[-2] for line in maps
                if line.rstrip().endswith("(deleted)") and folder in line}


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="Linux's /proc")
def test_a_graph_written_later_lets_the_graph_before_it_go(wiki_config: Config) -> None:
    """``kg serve`` holds the last graph for its next build; once its cache is written (once
    idle), the records of the graph before it, and the removed file they were mapped from
    (as large as the cache), are let go: one graph's file is mapped at a time, as when
    each build wrote its cache at once."""
    import gc

    config = wiki_config
    open_graph(config).wiki()
    for n in range(3):
        edit_note(config, "paper-00004.md", lambda t, n=n: t + f"\nEdit {n}.\n")
        open_graph(config, write_later=True).wiki()
        assert cache.settle_held()
        gc.collect()
        assert len(_mapped_scratch_files(config)) == 1, n

def _not_here() -> Any:
    raise AssertionError("the cache was to be written by the child, not here")


def _failing_in_child(write: Any) -> Any:
    parent = os.getpid()

    def written() -> Any:
        if os.getpid() != parent:
            raise OSError("no space left on the device")
        return write()

    return written
