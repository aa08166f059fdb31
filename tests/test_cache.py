"""The graph cache: the same records as a fresh load, never stale, rebuilt only as needed."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kg.cache as cache
from kg.build import build, load_wiki
from kg.cache import cache_file, load_wiki_cached, open_graph
from kg.cli import main
from kg.config import Config, load_config
from kg.query import connection_rows, connections, link_rows

REPO = Path(__file__).resolve().parent.parent
NOTE_A = """---
title: Alpha
date: 2026-01-01
tier: 2
connections:
  - to: beta
    rel: supports
    note: "first version"
---
## TL;DR
Alpha supports [[beta]].
"""
NOTE_B = "---\ntitle: Beta\ndate: 2026-01-02\ntier: 3\n---\nBeta.\n"


@pytest.fixture
def sample_copy(tmp_path: Path) -> Config:
    """A copy of the sample wiki that tests may edit."""
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    return load_config(tmp_path)


def _old(path: Path, seconds: float = 86_400.0) -> None:
    """Set a file's mtime a day back, out of the racy window."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_cached_wiki_equals_a_fresh_load(sample_copy: Config) -> None:
    fresh = load_wiki(sample_copy)
    assert load_wiki_cached(sample_copy) == fresh  # written
    assert cache_file(sample_copy).is_file()
    assert load_wiki_cached(sample_copy) == fresh  # read back


def test_neighbourhood_reads_give_the_same_connections(sample_copy: Config) -> None:
    wiki = load_wiki(sample_copy)
    open_graph(sample_copy)
    graph = open_graph(sample_copy)
    assert graph._wiki is None  # a hit: nothing but the header and index read yet
    for nid in [*wiki.notes, *wiki.placeholders]:
        assert connections(graph, nid) == connections(wiki, nid)


def test_an_edit_is_seen_by_the_next_query(write_wiki) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    _, links = connections(open_graph(config), "alpha", direction="out", mentions=False)
    assert [link.annotation for link in links] == ["first version"]
    write_wiki({"alpha.md": NOTE_A.replace("first version", "second version")})
    _, links = connections(open_graph(config), "alpha", direction="out", mentions=False)
    assert [link.annotation for link in links] == ["second version"]


def test_an_edit_that_keeps_size_and_mtime_is_seen(write_wiki) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    path = config.wiki / "alpha.md"
    _old(path)
    before = path.stat()
    assert load_wiki_cached(config).notes["alpha"].connections[0].annotation == "first version"
    path.write_text(NOTE_A.replace("first", "final"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert load_wiki_cached(config).notes["alpha"].connections[0].annotation == "final version"


def test_a_racy_file_is_checked_by_content(write_wiki) -> None:
    """A file written in the same instant as the cache keeps its stat; its hash decides."""
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    graph = open_graph(config)
    assert "alpha.md" in graph.header.racy
    assert load_wiki_cached(config) == load_wiki(config)


def test_added_and_removed_notes_are_seen(write_wiki) -> None:
    config = write_wiki({"alpha.md": NOTE_A})
    assert "beta" in load_wiki_cached(config).placeholders
    write_wiki({"beta.md": NOTE_B})
    wiki = load_wiki_cached(config)
    assert "beta" in wiki.notes and "beta" not in wiki.placeholders
    (config.wiki / "beta.md").unlink()
    wiki = load_wiki_cached(config)
    assert "beta" not in wiki.notes and "beta" in wiki.placeholders


def test_only_changed_notes_are_parsed_again(write_wiki, monkeypatch) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B, "gamma.md": "# Gamma\n"})
    load_wiki_cached(config)
    import kg.parse

    parsed: list[str] = []
    real = kg.parse.parse_note

    def counting(data: bytes, *, nid: str, path: str, **options):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(data, nid=nid, path=path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(kg.parse, "parse_note", counting)
    write_wiki({"gamma.md": "# Gamma, edited\n"})
    wiki = load_wiki_cached(config)
    assert parsed == ["gamma.md"]
    assert wiki.notes["gamma"].title == "Gamma, edited"
    assert wiki == load_wiki(config)


def test_a_write_put_off_is_made_when_settled_or_when_the_graph_is_next_read(
        write_wiki, monkeypatch) -> None:
    """``open_graph(write_later=True)`` (a build) answers at once and writes the cache when
    settled; a graph never settled (a build that failed after reading) is written by the
    next rebuild that takes notes from it, so the file is never left behind the notes."""
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B, "gamma.md": "# Gamma\n"})
    load_wiki_cached(config)
    path = cache_file(config)
    before = path.read_bytes()
    write_wiki({"gamma.md": "# Gamma, edited\n"})
    graph = open_graph(config, write_later=True)
    assert graph.wiki().notes["gamma"].title == "Gamma, edited"
    assert path.read_bytes() == before  # not written yet
    graph.settle()
    assert path.read_bytes() != before
    monkeypatch.setattr(cache, "_held", None)  # a new process: only the file
    import kg.parse

    real = kg.parse.parse_note
    monkeypatch.setattr(kg.parse, "parse_note", lambda *a, **k: pytest.fail("parsed again"))
    assert load_wiki_cached(config).notes["gamma"].title == "Gamma, edited"

    # put off and never settled: the next rebuild in the process writes both in turn
    monkeypatch.setattr(kg.parse, "parse_note", real)
    write_wiki({"gamma.md": "# Gamma, again\n"})
    open_graph(config, write_later=True).wiki()
    write_wiki({"beta.md": NOTE_B.replace("Beta.", "Beta, edited.")})
    parsed: list[str] = []
    monkeypatch.setattr(kg.parse, "parse_note", lambda data, *, nid, path, **options: (
        parsed.append(path), real(data, nid=nid, path=path, **options))[1])
    assert "Beta, edited." in load_wiki_cached(config).notes["beta"].body
    assert parsed == ["beta.md"]  # the others taken from the graph held in memory
    expected = load_wiki(config)
    monkeypatch.setattr(cache, "_held", None)
    monkeypatch.setattr(kg.parse, "parse_note", lambda *a, **k: pytest.fail("parsed again"))
    wiki = load_wiki_cached(config)
    assert wiki.notes["gamma"].title == "Gamma, again"
    assert wiki == expected


def test_a_build_leaves_the_cache_its_queries_read(write_wiki, monkeypatch) -> None:
    from kg.build import build

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    build(config)
    write_wiki({"beta.md": NOTE_B.replace("title: Beta", "title: Beta two")})
    build(config)
    monkeypatch.setattr(cache, "_held", None)  # as `kg connections` in another process
    import kg.parse

    monkeypatch.setattr(kg.parse, "parse_note", lambda *a, **k: pytest.fail("parsed again"))
    rows = connection_rows(open_graph(config), "alpha")[1]
    assert "Beta two" in json.dumps(rows, default=str)


def test_a_touched_file_costs_no_parse(write_wiki, monkeypatch) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    first = load_wiki_cached(config)
    import kg.parse

    monkeypatch.setattr(kg.parse, "parse_note", lambda *a, **k: pytest.fail("parsed again"))
    later = time.time() + 5
    os.utime(config.wiki / "alpha.md", (later, later))
    assert load_wiki_cached(config) == first
    assert load_wiki_cached(config) == first  # the new stat was recorded


def test_a_damaged_cache_is_rebuilt(write_wiki) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    load_wiki_cached(config)
    path = cache_file(config)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert load_wiki_cached(config) == load_wiki(config)
    path.write_bytes(b"not a pickle at all")
    assert load_wiki_cached(config) == load_wiki(config)


def test_other_code_means_a_rebuild(write_wiki, monkeypatch) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    load_wiki_cached(config)
    monkeypatch.setattr(cache, "code_key", lambda: "other code")
    assert open_graph(config)._wiki is not None  # rebuilt, so held in memory
    assert open_graph(config)._wiki is None  # and then read from the new cache


def test_a_broken_note_is_an_error_cached_as_such(write_wiki) -> None:
    """Read strictly, a broken note is the error, from the cache as from the notes; read
    leniently (a query), the records are without it (tests/test_lenient.py)."""
    from kg.errors import BuildFailed

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    load_wiki_cached(config)
    write_wiki({"beta.md": "---\ntitle: [unclosed\n---\n"})
    for _ in range(2):  # found, then read from the cache
        with pytest.raises(BuildFailed) as err:
            load_wiki_cached(config)
        assert "beta.md:2" in str(err.value)
    assert sorted(open_graph(config, lenient=True).wiki().notes) == ["alpha"]
    write_wiki({"beta.md": NOTE_B})
    assert load_wiki_cached(config) == load_wiki(config)


def test_the_cache_file_is_replaced_whole(write_wiki) -> None:
    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    load_wiki_cached(config)
    folder = cache_file(config).parent
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    assert folder == config.root / ".kg" / "cache"


def test_ntriples_are_cached_and_follow_edits(write_wiki) -> None:
    from kg.cache import load_ntriples_cached
    from kg.rdf import ntriples

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    assert load_ntriples_cached(config) == ntriples(load_wiki(config), config)
    assert "first version" in load_ntriples_cached(config)
    write_wiki({"alpha.md": NOTE_A.replace("first version", "second version")})
    nt = load_ntriples_cached(config)
    assert "second version" in nt and "first version" not in nt



def test_ntriples_file_is_the_text_with_its_key_beside(write_wiki) -> None:
    """The cached N-Triples are the text alone (a build's graph.nt can be the cache as it
    is); what they were made from, and the file's stat then, are in a key file beside. A
    file changed since, even in place, is made again."""
    import os

    import pyoxigraph

    from kg.cache import ntriples_file
    from kg.rdf import ntriples, ntriples_bytes

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    path = ntriples_file(config)
    text = ntriples(load_wiki(config), config).encode()
    assert path.read_bytes() == ntriples_bytes(path) == text
    assert path.with_name(path.name + ".key").read_bytes().startswith(b"kg-cache ")
    store = pyoxigraph.Store()
    store.bulk_load(path=path, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert len(store) == text.count(b"\n")
    assert ntriples_file(config) == path and path.read_bytes() == text  # kept
    with open(path, "r+b") as f:  # changed in place, as long as it was
        f.write(b"#")
    os.utime(path, ns=(1, 1))
    assert ntriples_file(config) == path and path.read_bytes() == text  # made again


def test_a_cached_ntriples_file_cut_short_is_made_again(write_wiki) -> None:
    """Its key said nothing of its length: a file cut short (a disk that filled, a copy of
    .kg half made) was taken for the triples, and every build after it stopped with a
    traceback as Oxigraph read graph.nt; cut at a line's end, the graph lacked triples."""
    from kg.cache import ntriples_file
    from kg.rdf import ntriples, ntriples_bytes

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    build(config)
    path = ntriples_file(config)
    whole = path.read_bytes()
    expected = ntriples(load_wiki(config), config).encode()
    for cut in (len(whole) - 7, whole.rindex(b"\n", 0, len(whole) - 1) + 1):
        path.write_bytes(whole[:cut])
        assert ntriples_bytes(ntriples_file(config)) == expected
        path.write_bytes(whole[:cut])
        shutil.rmtree(config.out)
        build(config)
        assert (config.out / "graph.nt").read_bytes() == expected


def test_a_cached_ntriples_file_damaged_in_place_is_an_error_then_made_again(
        write_wiki) -> None:
    """A byte changed, the size and time kept (as its key file has them): the build, kg
    export and kg sparql had stopped with Oxigraph's SyntaxError and a traceback, and every
    one after it the same."""
    from kg.cache import ntriples_file
    from kg.errors import KgError
    from kg.export import export_wiki
    from kg.rdf import ntriples
    from kg.sparql import open_store

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    build(config)
    path = ntriples_file(config)
    damaged = bytearray(path.read_bytes())
    damaged[damaged.index(b">", damaged.index(b"\n") + 1)] = ord(" ")  # an IRI left open

    def damage() -> None:
        was = path.stat()
        path.write_bytes(bytes(damaged))
        os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))

    damage()
    shutil.rmtree(config.out)
    with pytest.raises(KgError, match="the graph's triples do not parse") as caught:
        build(config)
    assert "remove .kg/cache" in caught.value.hint
    build(config)
    assert (config.out / "graph.nt").read_bytes() == ntriples(load_wiki(config), config).encode()
    for run in (lambda: export_wiki(config, "ttl"), lambda: open_store(config)):  # the same
        damage()  # for kg export and kg sparql
        with pytest.raises(KgError, match="kg's cache is damaged"):
            run()
        run()


def test_ntriples_without_a_writable_cache_are_a_temporary_file(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.cache
    from kg.rdf import ntriples, ntriples_bytes

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    kg.cache.open_graph(config)

    def refuse(path: Path, write: object) -> None:
        raise PermissionError(13, "read-only", str(path))

    monkeypatch.setattr(kg.cache, "write_atomic", refuse)
    path = kg.cache.ntriples_file(config)
    assert path.parent != cache_file(config).parent and path.is_file()
    assert ntriples_bytes(path) == ntriples(load_wiki(config), config).encode()

def test_cli_connections_reflects_an_edit(sample_copy: Config) -> None:
    runner = CliRunner()
    args = ["connections", "import-ai-455", "--wiki", str(sample_copy.wiki), "--rel",
            "counterpoint", "--format", "json"]
    first = json.loads(runner.invoke(main, args).stdout)
    assert [r["note"] for r in first] == ["defense-trilemma", "defense-trilemma"]
    path = sample_copy.wiki / "import-ai-455.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "rel: counterpoint", "rel: critiques"), encoding="utf-8")
    second = json.loads(runner.invoke(main, args).stdout)
    assert [r["direction"] for r in second] == ["in"]


def test_a_cache_hit_imports_no_heavy_library(sample_copy: Config) -> None:
    """``kg connections`` from a warm cache needs none of YAML, rdflib, networkx, jinja2."""
    load_wiki_cached(sample_copy)
    script = (
        "import sys\n"
        "from kg.cli import main\n"
        f"main(['connections', 'ahe', '--wiki', {str(sample_copy.wiki)!r}],"
        " standalone_mode=False)\n"
        "heavy = {'yaml', 'rdflib', 'networkx', 'jinja2', 'pyvis', 'pyoxigraph',"
        " 'markdown_it', 'kg.parse', 'kg.rdf'}\n"
        "print('LOADED', sorted(m for m in sys.modules if m in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=sample_copy.root).stdout
    assert "LOADED []" in out, out


def test_the_flat_name_table_resolves_as_the_resolver_does(write_wiki) -> None:
    from kg.errors import ResolveError
    from kg.resolve import Resolver

    config = write_wiki({
        "alpha.md": NOTE_A, "beta.md": NOTE_B,
        "sub/Gamma Note.md": "---\ntitle: Twin\naliases: [beta, G]\n---\n",
        "delta.md": "---\ntitle: Twin\naliases: [Alpha]\n---\n",
        "Café.md": "# Café\n",
    })
    full = Resolver(load_wiki(config).notes.values())
    open_graph(config)
    graph = open_graph(config)
    assert graph._wiki is None  # read from the file
    cached = graph.resolver()
    names = ["alpha", "Alpha", " ALPHA.md ", "beta", "G", "g", "twin", "Twin", "sub/gamma note",
             "Gamma Note", "gamma-note", "gamma note.md", "café", "CAFE", "cafe", "nothing",
             "sub/", "delta", "Delta.md", "alpha/", "a l p h a", "beta.md"]
    for name in names:
        try:
            expected: object = full.resolve(name)
        except ResolveError as err:
            expected = str(err)
        try:
            got: object = cached.resolve(name)
        except ResolveError as err:
            got = str(err)
        assert got == expected, name


def test_the_code_key_covers_every_module_the_records_need() -> None:
    script = ("import json, sys, kg.cache, kg.parse, kg.resolve, kg.discover\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('kg.'))))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    loaded = {m.removeprefix("kg.") for m in json.loads(out)}
    assert loaded <= set(cache.RECORD_MODULES), loaded - set(cache.RECORD_MODULES)


def test_an_on_disk_sparql_store_follows_edits(write_wiki) -> None:
    from kg.sparql import open_store

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    ask = "ASK { ?c <http://www.w3.org/2000/01/rdf-schema#comment> \"{}\" }"
    store = open_store(config, min_bytes=0)
    assert bool(store.query(ask.replace("{}", "first version")))
    folders = sorted(p.name for p in cache_file(config).parent.glob("*-store-*"))
    assert len(folders) == 1
    again = open_store(config, min_bytes=0)  # opened read-only, not rebuilt
    assert bool(again.query(ask.replace("{}", "first version")))
    write_wiki({"alpha.md": NOTE_A.replace("first version", "second version")})
    store = open_store(config, min_bytes=0)
    assert bool(store.query(ask.replace("{}", "second version")))
    assert not bool(store.query(ask.replace("{}", "first version")))
    now = sorted(p.name for p in cache_file(config).parent.glob("*-store-*"))
    assert len(now) == 1 and now != folders


def test_derived_values_are_kept_until_a_note_changes(write_wiki) -> None:
    from kg.cache import derived

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    calls: list[int] = []

    def count(wiki):  # type: ignore[no-untyped-def]
        calls.append(len(wiki.notes))
        return len(wiki.notes)

    assert derived(config, "n", count) == 2
    assert derived(config, "n", count) == 2
    assert calls == [2]
    write_wiki({"gamma.md": "# Gamma\n"})
    assert derived(config, "n", count) == 3
    assert calls == [2, 3]


def test_flipped_bytes_never_give_a_wrong_answer(sample_copy: Config) -> None:
    import random

    fresh = load_wiki(sample_copy)
    nid, links = connections(fresh, "import-ai-455")
    rows = (nid, link_rows(links))
    load_wiki_cached(sample_copy)
    good = cache_file(sample_copy).read_bytes()
    rnd = random.Random(7)
    for _ in range(25):
        data = bytearray(good)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        cache_file(sample_copy).write_bytes(bytes(data))
        graph = open_graph(sample_copy)
        assert connections(graph, "import-ai-455") == connections(fresh, "import-ai-455")
        cache_file(sample_copy).write_bytes(bytes(data))
        assert connection_rows(open_graph(sample_copy), "import-ai-455") == rows
        cache_file(sample_copy).write_bytes(bytes(data))
        assert open_graph(sample_copy).wiki() == fresh


def test_a_temporary_ntriples_file_is_removed_once_the_exports_are_made(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker process that made it ends without exit handlers: the task removes it."""
    import kg.cache
    from kg.site import Site

    config = write_wiki({"alpha.md": NOTE_A, "beta.md": NOTE_B})
    made: list[Path] = []
    original = kg.cache.temporary_file

    def recorded(suffix: str, write: object) -> Path:
        made.append(original(suffix, write))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(kg.cache, "temporary_file", recorded)
    outputs = {o.path: o.data for o in Site(load_wiki(config), config).outputs()}
    assert outputs["graph.nt"] and len(made) == 1 and not made[0].exists()


def test_a_rebuilt_cache_lays_its_records_out_in_a_file_not_in_memory(
        sample_copy: Config, monkeypatch: pytest.MonkeyPatch,
        temporary_folders: list[Any]) -> None:
    """The blob area (130 MB at 10,000 notes) goes through a temporary file beside the cache,
    which the graph then reads, mapped; where no temporary file can be made or written,
    through memory: the same cache file either way."""
    import tempfile
    import zlib

    import kg.cachefile

    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)  # the same header, however slow the run
    areas: list[kg.cachefile.BlobArea] = []

    def layout(*args: Any) -> tuple[kg.cachefile.Index, kg.cachefile.BlobArea]:
        index, area = kg.cachefile.layout(*args)
        areas.append(area)
        return index, area

    monkeypatch.setattr(cache, "layout", layout)
    graph = open_graph(sample_copy)
    assert graph.wiki() == load_wiki(sample_copy)
    area = areas[-1]
    assert area.file is not None and area.file.closed  # laid out in a file, closed once written
    assert temporary_folders == [cache_file(sample_copy).parent]
    assert area.crc == zlib.crc32(area.view)
    written = cache_file(sample_copy).read_bytes()
    assert graph._blobs is area.view and written.endswith(bytes(area.view))
    assert load_wiki_cached(sample_copy) == load_wiki(sample_copy)  # read back from the file

    class Full(io.BufferedRandom):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("no temporary files here")

    def full(*_args: Any, **_kwargs: Any) -> Any:
        return Full(io.BytesIO())

    for cannot in (full, refused):  # the disk fills up; no temporary file at all
        monkeypatch.setattr(tempfile, "TemporaryFile", cannot)
        cache.clear(sample_copy)
        assert open_graph(sample_copy).wiki() == load_wiki(sample_copy)
        assert areas[-1].file is None and isinstance(areas[-1].view, bytes)
        assert cache_file(sample_copy).read_bytes() == written


def test_the_ntriples_sort_runs_are_kept_beside_the_cache(
        sample_copy: Config, monkeypatch: pytest.MonkeyPatch,
        temporary_folders: list[Any]) -> None:
    """Sorted in runs (:mod:`kg.extsort`) kept on the cache's disk, not in a temporary
    folder that may be memory: the same N-Triples."""

    import kg.extsort
    from kg.cache import ntriples_file
    from kg.rdf import ntriples, ntriples_bytes

    monkeypatch.setattr(kg.extsort, "RUN_LINES", 50)
    written = ntriples_file(sample_copy)
    expected = ntriples(load_wiki(sample_copy), sample_copy).encode("utf-8")
    assert ntriples_bytes(written) == expected
    assert len(temporary_folders) > 2  # runs, each in a file beside the cache
    assert set(temporary_folders) == {cache_file(sample_copy).parent}


def test_a_build_s_rebuilt_records_are_frozen_before_the_collector_is_back(
        sample_copy: Config) -> None:
    """The records a build's rebuild makes (millions at 10,000 notes) are frozen out of the
    collector's walks before it is enabled again: its first collection had walked every one
    of them, a fifth of a second of an edit's build, just before the build froze them (and
    :func:`kg.build.build` thaws them at its end). A query's records are not frozen."""
    import gc

    assert gc.get_freeze_count() == 0
    try:
        notes = open_graph(sample_copy, write_later=True).wiki().notes
        walked = {id(o) for o in gc.get_objects()}
        assert notes and gc.get_freeze_count() > 0
        assert not any(id(note) in walked for note in notes.values())
    finally:
        gc.unfreeze()
    cache.clear(sample_copy)
    notes = open_graph(sample_copy).wiki().notes  # a query's
    walked = {id(o) for o in gc.get_objects()}
    assert gc.get_freeze_count() == 0 and all(id(n) in walked for n in notes.values())
