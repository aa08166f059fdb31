"""The graph cache: the resolved :class:`~kg.model.Wiki`, kept between commands.

A query must not re-parse the wiki, and must never answer from stale data. Before every
query the stat of every note file is compared with the cache's (:func:`open_graph`); files
changed too recently for their stat to be trusted, and files whose stat differs, are settled
by their content hash, so a file touched but not changed costs no rebuild. When a note did
change, was added or removed, only the changed files are parsed again; the others come from
the cache, and the wiki is resolved anew. The file itself, one per wiki folder under
``<root>/.kg/cache/``, is :mod:`kg.cachefile`'s business.

A wiki with a broken note is cached too: the records of the notes that parse, and the
errors of those that do not (and of links two notes claim). A query answers from them and
says what it left out; a build, which asks for the wiki strictly, fails with those errors
(:func:`open_graph`), read from the cache as they were found, until the note is fixed.

A :class:`Graph` reads only what a query needs: ``kg connections`` on a 10,000-note wiki
reads a small header, one bucket of spans, the note's edges and the table of labels, not
100 MB of records, and as plain values: the record classes are not even imported.
A damaged cache is rebuilt, never read. Importing this module stays cheap (no YAML, rdflib,
networkx or jinja2, nor kg's records): the parser is imported only when a rebuild needs it,
and many changed notes are parsed on every core (:func:`kg.parse.parse_all`).

Cache files are local and git-ignored; like any pickle they are trusted, so never copy a
``.kg/cache`` folder from someone you do not trust.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import operator
import os
import pickle
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from itertools import repeat
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar

from kg.cachefile import (
    AMBIGUOUS,
    FORMAT,
    RECORD_MODULES,
    BlobArea,
    EdgeRow,
    Header,
    Index,
    NoteSpans,
    Opened,
    Span,
    Stat,
    bucket,
    cache_file,
    checked,
    code_key,
    digest_of,
    dumps,
    edge_records,
    edge_row,
    fingerprint,
    labels_of,
    layout,
    open_file,
    racy,
    safe_load,
    safe_loads,
    scan,
    stats_key,
    write_atomic,
    write_file,
    write_quietly,
)
from kg.errors import Finding, KgError, LeftOut, NoteGone
from kg.ids import NoteId, loose_id, name_key, note_part, slugify, target_text
from kg.memo import others

if TYPE_CHECKING:
    from kg.config import Config
    from kg.discover import Discovery, NoteFile
    from kg.model import Edge, Note, Placeholder, Wiki
    from kg.parse import NoteFile as ToParse
    from kg.parse import Parsed
    from kg.resolve import Resolver

__all__ = ["RECORD_MODULES", "CachedResolver", "Graph", "cache_file", "clear", "code_key",
           "derived", "digest_of", "load_notes", "load_ntriples_cached", "load_wiki_cached",
           "ntriples_file", "open_graph", "scan", "write_atomic"]

T = TypeVar("T")


# -- the names a link may use -----------------------------------------------------------------


class CachedResolver:
    """Resolves names as :class:`~kg.resolve.Resolver` does, from the cache's name table;
    an ambiguous name or a suggestion loads the full resolver."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def resolve(self, target: str, *, file: str | None = None, line: int | None = None
                ) -> NoteId | None:
        text = target_text(target)
        if self._graph.exists(NoteId(text)):
            return NoteId(text)

        found = self._graph.lookup("names", name_key(text))
        if found == AMBIGUOUS:
            return self._graph.full_resolver().resolve(target, file=file, line=line)
        if found is not None:
            return NoteId(found)
        loose = loose_id(text)
        if loose is not None and self._graph.exists(NoteId(loose)):
            return NoteId(loose)
        if (note := note_part(text)) is not None:  # "b#Part": as Resolver.resolve reads it
            return self.resolve(note, file=file, line=line)
        return None

    def suggestions(self, target: str, limit: int = 3) -> list[str]:
        return self._graph.full_resolver().suggestions(target, limit)


# -- the opened cache -------------------------------------------------------------------------


_UNWRITTEN = Index(1, (), (), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0))
"""The index of a graph whose cache file is not written yet: never read (``Graph.index``
writes the file first)."""


class Graph:
    """One wiki's records, read from the cache as needed (or held whole after a rebuild).

    :meth:`wiki` gives the whole :class:`Wiki`; :meth:`around` gives a small ``Wiki`` of one
    note, its edges and the notes at their other ends. What ``kg connections`` reads
    (:meth:`edge_rows`, :meth:`labels`, :meth:`placeholder_ids`) is plain values, so a
    warm query never imports the record classes.
    The blob area is a memory map of the cache file as it was opened, so a cache replaced by
    another process meanwhile is never read half old, half new.
    """

    def __init__(self, header: Header, index: Index, blobs: bytes | memoryview,
                 wiki: Wiki | None = None, recover: Callable[[], Graph] | None = None,
                 write: Callable[[], tuple[Index, bytes | memoryview]] | None = None,
                 written: Callable[[], tuple[Index, bytes | memoryview] | None] | None = None,
                 pickled: Callable[[Note], bytes | memoryview] | None = None) -> None:
        self.header = header
        self._index = index
        self._blobs = blobs
        self._write = write
        self._written = written
        self._pickled = pickled  # each note's record bytes as ``write`` will lay them out
        self._aside: int | None = None
        self._wiki = wiki
        self._recover = recover
        self._loaded: dict[tuple[str, int], dict[str, Any]] = {}
        self._labels: Mapping[NoteId, tuple[str, bool]] | None = None
        self._resolver: Resolver | None = None
        self._placeholders: dict[NoteId, tuple[str, tuple[NoteId, ...]]] | None = None
        self._placeholder_records: dict[NoteId, Placeholder] | None = None
        self._at: tuple[Wiki, dict[NoteId, list[tuple[int, Edge]]]] | None = None
        self._by_content: dict[tuple[str, str], tuple[Note, bytes | memoryview]] | None = None
        """Each note with its record's bytes, once written (:func:`_records`)."""

    @property
    def index(self) -> Index:
        self.settle()
        return self._index

    def settle(self) -> None:
        """Lay out and write the cache file, if the rebuild that made this graph put it off
        (``open_graph(write_later=True)``: a build writes it once its site is in place), or
        wait for the child :meth:`settle_aside` left it to. Then the records of the graph
        this one was rebuilt from (which ``pickled`` lays out) are let go, and so the
        removed file they were mapped from."""
        self._pickled = None  # needed only while unwritten (:func:`_records`)
        if self._aside is not None:
            status = _reaped(self._aside)  # (a Ctrl-C while waiting: forget_aside waits)
            self._aside = None
            found = self._written() if status == 0 and self._written is not None else None
            if found is not None:
                self._write = None
                self._index, self._blobs = found
                return
            # the child failed (a full disk, killed): written here, as without it
        write, self._write = self._write, None
        if write is not None:
            self._index, self._blobs = write()

    def settle_aside(self) -> None:
        """Start :meth:`settle` in a forked child, which lays out and writes the cache file
        while this process goes on; :meth:`settle` waits for it and reads the index it
        wrote. ``kg build`` after an edit so puts the 0.7 s of it (at 10,000 notes) beside
        the pages it makes, on the other CPU (``kg serve`` does not ask: see
        :func:`kg.build.build`). Where it may not fork (another thread; not Linux;
        ``KG_JOBS=1``), nothing: :meth:`settle` writes it here. The child is not ended with
        a killed parent: its file is written whole or not at all, in under a second."""
        from kg.workers import can_fork, flush_output, jobs_wanted

        if (self._write is None or self._written is None or self._aside is not None
                or jobs_wanted() < 2 or not can_fork()):
            return
        flush_output()  # nothing buffered that both would write
        try:
            pid = os.fork()
        except OSError:  # no process to spare: written here later
            return
        if pid == 0:  # pragma: no cover - the child (its work is checked by the parent)
            code = 1
            try:
                self._write()
                code = 0
            finally:
                os._exit(code)  # no atexit handlers, no flush of the parent's buffers
        self._aside = pid

    @property
    def writing_aside(self) -> bool:
        """Whether a forked child is writing the cache (:meth:`settle_aside`): it shares
        the records' memory, so every page of it either process writes to is copied."""
        return self._aside is not None

    @property
    def unwritten(self) -> bool:
        """Whether the cache file of this graph is yet to be written by :meth:`settle` (a
        rebuild's, opened ``write_later``), and no child is writing it."""
        return self._write is not None and self._aside is None

    def forget_aside(self) -> None:
        """Wait for the child of :meth:`settle_aside`, if any, and take nothing from it: a
        build that failed after it began (the cache it writes is still whole and right)."""
        if self._aside is not None:
            _reaped(self._aside)
            self._aside = None

    @property
    def left_out(self) -> LeftOut | None:
        """The notes and links with errors that the records are without (None when the wiki
        has none): only a graph opened ``lenient`` has any."""
        return self.header.left_out

    @property
    def fingerprint(self) -> str:
        """Changes whenever any note's content does (or kg's code): keys derived caches."""
        return self.header.fingerprint

    def _read(self, span: Span) -> Any:
        self.settle()
        return safe_loads(checked(self._blobs[span[0] : span[0] + span[1]], span))

    def _safely(self, read: Callable[[], T], whole: Callable[[Wiki], T]) -> T:
        """``read()`` from the blobs; if they are damaged, rebuild and answer from memory."""
        if self._wiki is not None:
            return whole(self._wiki)
        try:
            return read()
        except Exception:  # a damaged blob: never answer from it
            if self._recover is None:
                raise
            fresh = self._recover()
            self.header, self._index, self._blobs = fresh.header, fresh.index, fresh._blobs
            self._loaded.clear()
            self._at = None
            self._wiki = fresh.wiki()
            return whole(self._wiki)

    def _table(self, which: str, number: int) -> dict[str, Any]:
        if (which, number) not in self._loaded:
            spans: tuple[Span, ...] = getattr(self.index, which)
            self._loaded[which, number] = self._read(spans[number])
        return self._loaded[which, number]

    def lookup(self, which: str, key: str) -> Any:
        """The value of ``key`` in the bucketed table ``which`` (names or spans), or None."""
        return self._table(which, bucket(key, self.index.buckets)).get(key)

    def _spans(self, nid: NoteId) -> NoteSpans | None:
        found: NoteSpans | None = self.lookup("spans", nid)
        return found

    def _all_spans(self) -> Iterator[tuple[NoteId, NoteSpans]]:
        for number in range(self.index.buckets):
            for nid, spans in self._table("spans", number).items():
                yield NoteId(nid), spans

    # -- what callers ask ----------------------------------------------------------------

    @property
    def placeholders(self) -> Mapping[NoteId, Placeholder]:
        if self._placeholder_records is None:
            from kg.model import Placeholder

            self._placeholder_records = {
                nid: Placeholder(nid, label, names)
                for nid, (label, names) in self._placeholder_table().items()}
        return self._placeholder_records

    def placeholder_ids(self) -> frozenset[NoteId]:
        return frozenset(self._placeholder_table())

    def _placeholder_table(self) -> dict[NoteId, tuple[str, tuple[NoteId, ...]]]:
        if self._placeholders is None:
            self._placeholders = self._safely(
                lambda: self._read(self.index.placeholders),
                lambda wiki: {n: (ph.label, ph.referenced_by)
                              for n, ph in wiki.placeholders.items()})
        return self._placeholders

    def resolver(self) -> CachedResolver:
        return CachedResolver(self)

    def full_resolver(self) -> Resolver:
        if self._resolver is None:
            from kg.resolve import Resolver

            self._resolver = self._safely(lambda: self._read(self.index.resolver),
                                          lambda wiki: Resolver(wiki.notes.values()))
        return self._resolver

    def labels(self) -> Mapping[NoteId, tuple[str, bool]]:
        """Every node's label, and whether a note defines it (else it is a placeholder)."""
        if self._labels is None:
            self._labels = self._safely(lambda: self._read(self.index.labels), labels_of)
        return self._labels

    def label(self, nid: NoteId) -> str:
        return self.labels().get(nid, (nid, False))[0]

    def exists(self, nid: NoteId) -> bool:
        """Whether a note (not a placeholder) is ``nid``: one bucket of spans read, or none
        once the labels are (a walk asks it of every node it reaches)."""
        if self._labels is not None:
            return self._labels.get(nid, ("", False))[1]

        def read() -> bool:
            spans = self._spans(nid)
            return spans is not None and spans[0] is not None

        return self._safely(read, lambda wiki: nid in wiki.notes)

    def _part(self, nid: NoteId, which: int) -> Any:
        spans = self._spans(nid)
        span = spans[which] if spans else None
        return self._read(span) if span else None

    def note(self, nid: NoteId) -> Note | None:
        def read() -> Note | None:
            found: Note | None = self._part(nid, 0)
            return found

        return self._safely(read, lambda wiki: wiki.notes.get(nid))

    def edge_rows(self, nid: NoteId) -> tuple[EdgeRow, ...]:
        """Every edge from or to ``nid`` as plain values, in the wiki's edge order, each once."""
        def read() -> tuple[EdgeRow, ...]:
            found: tuple[EdgeRow, ...] = (*(self._part(nid, 1) or ()),
                                          *(self._part(nid, 2) or ()))
            return tuple(sorted(found))

        return self._safely(read, lambda wiki: tuple(
            edge_row(i, e) for i, e in self._touching(wiki).get(nid, ())))

    def edges(self, nid: NoteId) -> tuple[Edge, ...]:
        """Every edge from or to ``nid``, in the wiki's edge order, each once."""
        return self._safely(lambda: tuple(e for _, e in edge_records(self.edge_rows(nid))),
                            lambda wiki: tuple(e for _, e in self._touching(wiki).get(nid, ())))

    def _touching(self, wiki: Wiki) -> Mapping[NoteId, list[tuple[int, Edge]]]:
        """The edges at each node of ``wiki`` held in memory (a rebuild's), each with its
        place in ``wiki.edges``, in that order, once: made once a wiki, as a walk asks the
        edges of every node it reaches (each had been a scan of every edge: ``kg path``
        through 12,000 notes after an edit took 20 s)."""
        made = self._at
        if made is not None and made[0] is wiki:
            return made[1]
        at: dict[NoteId, list[tuple[int, Edge]]] = defaultdict(list)
        for i, e in enumerate(wiki.edges):
            at[e.source].append((i, e))
            if e.target != e.source:
                at[e.target].append((i, e))
        self._at = (wiki, at)
        return at

    def notes(self) -> Iterator[Note]:
        """Every note, by id."""
        if self._wiki is not None:
            yield from self._wiki.notes.values()
            return
        for _, (note, _out, _in) in sorted(self._all_spans()):
            if note is not None:
                yield self._read(note)

    def wiki(self) -> Wiki:
        def read() -> Wiki:
            from kg.model import Wiki

            notes = {note.id: note for note in self.notes()}
            edges = dict(edge_records(
                row for _, (_note, out, _in) in self._all_spans() if out is not None
                for row in self._read(out)))
            return Wiki(
                notes=MappingProxyType(notes),
                edges=tuple(edges[i] for i in sorted(edges)),
                placeholders=MappingProxyType(dict(self.placeholders)),
                questions=self._read(self.index.questions),
                warnings=self._read(self.index.warnings),
            )

        wiki = self._safely(read, lambda wiki: wiki)
        self._wiki = wiki
        return wiki

    def around(self, nid: NoteId) -> Wiki:
        """A ``Wiki`` of ``nid``'s edges and the notes they touch: what its connection view
        reads. ``nid``'s own note is whole; the notes at the other ends are title-only
        records (no path, no body), as the view needs no more and a hub has hundreds."""
        def read() -> Wiki:
            from kg.model import Note, Wiki

            edges = self.edges(nid)
            ends = sorted({nid} | {e.source for e in edges} | {e.target for e in edges})
            labels = self.labels()
            notes = {n: Note(id=n, path="", title=labels[n][0], body="", body_line=0)
                     for n in ends if labels.get(n, ("", False))[1]}
            if (itself := self.note(nid)) is not None:
                notes[nid] = itself
            placeholders = {n: self.placeholders[n] for n in ends
                            if n not in notes and n in self.placeholders}
            return Wiki(
                notes=MappingProxyType(notes),
                edges=edges,
                placeholders=MappingProxyType(placeholders),
                questions=(),
            )

        return self._safely(read, lambda wiki: wiki)


def _reaped(pid: int) -> int:
    """The exit status of the child ``pid``, once it has ended; 0 when the system reaped it
    already (SIGCHLD ignored by whoever started kg): what it wrote then tells, checked."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


# -- reading ----------------------------------------------------------------------------------


def open_graph(config: Config, *, write_later: bool = False,
               scanned: tuple[int, dict[str, Stat]] | None = None,
               lenient: bool = False) -> Graph:
    """The wiki's records from the cache, rebuilt first when any note file changed.

    Never stale: every note file's stat is compared with the cache's, files whose stat is too
    recent to trust are compared by content, and a stat that differs is settled by content.
    ``write_later``: a rebuilt cache is written by :meth:`Graph.settle` (or when the graph
    is next read from its file), not now; a build puts it after its site is in place.
    ``scanned``: the note files' stat as :func:`kg.cachefile.scan` just took it, and when
    (a build has, from :func:`kg.incremental.sources_stamp`).

    A note with an error (or a file whose name gives no id, or an ambiguous link) is the
    error :func:`load_notes` raises; ``lenient`` (a query), the records without them and
    their errors in :attr:`Graph.left_out`. The cache keeps those errors as it keeps the
    records, so neither asks the broken wiki's notes to be parsed again.
    """
    path = cache_file(config)
    graph = _hold(path, _open(config, path, write_later, scanned, lenient))
    failed = None if lenient or graph.left_out is None else graph.left_out.error()
    if failed is not None:
        raise failed
    return graph


def _open(config: Config, path: Path, write_later: bool = False,
          scanned: tuple[int, dict[str, Stat]] | None = None, lenient: bool = False) -> Graph:
    if not config.wiki.is_dir():
        from kg.discover import discover

        discover(config.wiki)  # raises the error that names the missing folder
    started, stats = scanned if scanned is not None else (time.time_ns(), scan(config.wiki))
    code = code_key()

    def rebuild(old: Opened | None = None) -> Graph:
        return _rebuild(config, path, stats, started, code, old, write_later)

    def recover() -> Graph:
        """A graph rebuilt for one whose blobs were damaged: as strict as that one was."""
        graph = rebuild()
        failed = None if lenient or graph.left_out is None else graph.left_out.error()
        if failed is not None:
            raise failed
        return graph

    try:
        old = open_file(path, code, str(config.wiki))
    except Exception:  # a missing, damaged or foreign cache is rebuilt
        old = None
    if old is None:
        return rebuild()
    try:
        with old:
            same = old.header.stats_key == stats_key(stats) or old.stats() == stats
            if same and _unchanged(config.wiki, old, old.header.racy):
                if old.header.racy and not racy(stats, started):
                    return _restat(old, path, stats, started, recover)  # settled now
                blobs = old.mapped()
                if blobs is None:  # cut short or grown: never read a blob past its end
                    return rebuild()
                return Graph(old.header, old.index(), blobs, recover=recover)
            if not same:
                before = old.stats()
                changed = [rel for rel, st in stats.items() if before.get(rel) != st]
                if (not before.keys() - stats.keys()
                        and _unchanged(config.wiki, old, [*changed, *old.header.racy])):
                    return _restat(old, path, stats, started, recover)  # touched, not changed
            return rebuild(old)
    except KgError:
        raise
    except Exception:  # a damaged cache (cut short, altered): rebuilt from the notes alone
        return rebuild()


def hold_records(config: Config) -> Wiki:
    """The wiki's records, held in memory for the next rebuild in this process (``kg
    serve``, once its first build is done): the held graph's when it has them in memory,
    else read from the cache now. A rebuild takes its unchanged notes from them, with
    their bytes (checked now) and the wiki's files as found now (while the wiki is as
    listed: :func:`_discover`), which the first rebuild would otherwise find first."""
    held = _held
    if held is not None and held[0] == cache_file(config) and held[1]._wiki is not None:
        graph = held[1]
    else:
        graph = open_graph(config)
        graph.wiki()
    if not graph.unwritten:
        _records(graph)
    if config.wiki.is_dir():
        _discover(config.wiki, scan(config.wiki), keep=True)
    return graph.wiki()


def load_wiki_cached(config: Config) -> Wiki:
    """The whole wiki, as :func:`load_notes` reads it, from the cache when current."""
    return open_graph(config).wiki()


def _unchanged(wiki: Path, old: Opened, rels: tuple[str, ...] | list[str]) -> bool:
    """Whether each of ``rels`` still holds the content the cache was made from."""
    if not rels:
        return True
    digests = old.digests()
    for rel in rels:
        known = digests.get(rel)
        if known is None:
            return False
        try:
            data = (wiki / rel).read_bytes()
        except OSError:
            return False
        if digest_of(data) != known:
            return False
    return True


# -- writing ----------------------------------------------------------------------------------


def _restat(old: Opened, path: Path, stats: dict[str, Stat], started: int,
            recover: Callable[[], Graph]) -> Graph:
    """The same records under new stats (files were touched, not changed)."""
    digests, index, blobs = old.digests(), old.index(), old.blobs()
    header = old.header._replace(stats_key=stats_key(stats), racy=racy(stats, started))
    area = BlobArea(blobs, old.header.sections[3][2])  # its checksum, checked as read
    write_quietly(lambda f: write_file(f, header, stats, digests, index, area), path)
    return Graph(header, index, blobs, recover=recover)


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are made by the million.

    The records make no reference cycles, yet each few thousand objects made start a
    collection, and the oldest generation, walked whole, holds every record: at 10,000 notes
    the collector took two of a rebuild's eight seconds. What is left is collected after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _rebuild(config: Config, path: Path, stats: dict[str, Stat], started: int, code: str,
             old: Opened | None, write_later: bool = False) -> Graph:
    with _no_collection():
        graph = _rebuild_now(config, path, stats, started, code, old)
        if write_later:  # a build's: the records frozen out of the collector's walks now
            gc.freeze()  # (kg.build.build thaws them at its end), not first walked once more
    if not write_later:
        graph.settle()
    return graph


def _rebuild_now(config: Config, path: Path, stats: dict[str, Stat], started: int, code: str,
                 old: Opened | None) -> Graph:
    found, misnamed = _discover(config.wiki, stats)
    previous = _previous(path, old, stats)
    wiki, digests, left_out = load_notes_leniently(
        found, dict(zip(previous.notes, map(_FIRST, previous.notes.values()), strict=True)),
        known=previous.digests, misnamed=misnamed, label_first=config.label_first)
    # a file whose stat was taken but whose content was not read (not a note, a name that
    # gives no id) has no hash; a later change to it costs a rebuild, never a stale answer
    header = Header(FORMAT, code, str(config.wiki), stats_key(stats), racy(stats, started),
                     fingerprint(code, digests), left_out=left_out or None)
    pickler = _Pickler(previous)

    def write() -> tuple[Index, bytes | memoryview]:
        with _no_collection():
            index, blobs = layout(wiki, pickler, path.parent)
        # The graph reads the blobs from the temporary file's map, not from the cache file:
        # a map of a file that another program cuts short kills the process (SIGBUS), and
        # the temporary file has no name. Closing it leaves the map, and the disk space, to
        # the graph (in ``kg serve``, until the next build).
        try:
            write_quietly(lambda f: write_file(f, header, stats, digests, index, blobs), path)
        finally:
            if blobs.file is not None:
                blobs.file.close()
        return index, blobs.view

    def written() -> tuple[Index, bytes | memoryview] | None:
        """The index and blobs another process (:meth:`Graph.settle_aside`) wrote."""
        try:
            opened = open_file(path, code, str(config.wiki))
        except Exception:  # gone, or damaged meanwhile
            return None
        if opened is None:
            return None
        with opened:
            blobs = opened.mapped()
            if blobs is None or opened.header.fingerprint != header.fingerprint:
                return None
            return opened.index(), blobs

    return Graph(header, _UNWRITTEN, b"", wiki, write=write, written=written, pickled=pickler)


_discovered: tuple[tuple[Any, ...], tuple[Discovery, tuple[Finding, ...]]] | None = None
"""The last discovery, with the listing it was made from (:func:`_discover`)."""


def _discover(wiki: Path, stats: Mapping[str, Stat], *, keep: bool = False
              ) -> tuple[Discovery, tuple[Finding, ...]]:
    """The wiki's note files, and the errors of the files whose names give no id
    (:func:`kg.discover.discover_leniently`), found again only when the listing says a
    file came, went or was replaced (another inode, a symlink's target) or the templates'
    setting changed: an edit in ``kg serve`` does not walk the wiki twice. ``keep``: kept
    for the next call even if this is the first in the process."""
    from kg.cachefile import TEMPLATE_SETTINGS, TOOL_FOLDERS
    from kg.discover import discover_leniently as discover

    global _discovered
    rels = sorted(stats)  # each file, and its inode (and a setting's whole stat): in C
    shown = list(map(_INODE, map(stats.__getitem__, rels)))
    for setting, _ in (*TEMPLATE_SETTINGS, *TOOL_FOLDERS):
        if setting in stats:
            shown[bisect.bisect_left(rels, setting)] = stats[setting]
    listing = (os.path.realpath(wiki), tuple(zip(rels, shown, strict=True)))
    last = _discovered
    if last is not None and last[0] == listing:
        return last[1]
    found = discover(wiki)
    if last is None and not keep:  # the first in this process, which may ask once (kg
        # build): not kept
        _discovered = (), found
        return found
    # kept only if the wiki is still as listed: a file renamed between the listing and the
    # walk would otherwise be found under a listing that no longer shows it
    again = scan(wiki)
    if again.keys() == stats.keys() and all(again[rel][3:] == st[3:]
                                            for rel, st in stats.items()):
        _discovered = listing, found
    return found


_INODE = operator.itemgetter(slice(3, None))
"""Of a stat, what says which file it is (not its size and times)."""
_GONE = object()
"""The stat of a file no longer there: equal to no stat."""
_PATH, _DIGEST = operator.attrgetter("path"), operator.attrgetter("digest")


class _Previous(NamedTuple):
    """What a rebuild takes from the cache it replaces, so that it does not redo it."""

    notes: dict[tuple[str, str], tuple[Note, bytes | memoryview]]
    """Each note by (path, content hash), with the very bytes it was unpickled from."""
    digests: dict[str, str]
    """The content hash of each file whose stat is what the cache recorded and was not too
    recent to trust then: its content is the one hashed, so it need not be read again."""


_held: tuple[Path, Graph] | None = None
"""The graph :func:`open_graph` last gave, by cache file. ``kg serve`` builds again and again
in one process; when that graph's whole wiki was read into memory (every build reads it), the
next rebuild takes the unchanged notes from it, not unpickled again from the file. Only the
last graph is held, so a process holds at most one wiki more than its caller does."""


def _hold(path: Path, graph: Graph) -> Graph:
    """Hold ``graph``, unless the graph held is of the same content and has its notes in
    memory (a query after a build): that one is worth more to the next rebuild."""
    global _held
    held = _held
    if not (graph._wiki is None and held is not None and held[0] == path
            and held[1]._wiki is not None and held[1].fingerprint == graph.fingerprint):
        _held = path, graph
    return graph


def settle_held() -> bool:
    """Write the cache file of the graph held, if its build left that for later (``kg
    serve``, once no change has come for a while: :func:`kg.build.build`'s ``cache``);
    whether there was one to write."""
    held = _held  # read once: another thread may hold another graph meanwhile
    if held is None or not held[1].unwritten:
        return False
    held[1].settle()
    if held[1]._wiki is not None:  # what the next rebuild takes its records from, checked
        _records(held[1])  # now rather than by the first edit after the pause (0.07 s)
    return True


def _previous(path: Path, old: Opened | None, stats: Mapping[str, Stat]) -> _Previous:
    """What ``old`` (and the graph held in memory) offer a rebuild of ``path``; nothing when
    the cache is missing or damaged, which is only a slower rebuild."""
    try:
        source = _source(path, old)
        notes = _records(source) if source is not None else {}
        return _Previous(notes, _trusted_digests(old, stats) if old is not None else {})
    except Exception:  # a damaged cache is only a slower rebuild
        return _Previous({}, {})


def _source(path: Path, old: Opened | None) -> Graph | None:
    """The graph to take the old notes from: the one held, if its notes are all in memory,
    else the old cache file's (mapped, not copied), if whole."""
    held = _held  # read once: another thread may hold another graph meanwhile
    if held is not None and held[0] == path and held[1]._wiki is not None:
        return held[1]
    blobs = old.mapped() if old is not None else None
    return None if old is None or blobs is None else Graph(old.header, old.index(), blobs)


def _records(graph: Graph) -> dict[tuple[str, str], tuple[Note, bytes | memoryview]]:
    """Every note of ``graph`` with the bytes of its record, checked: a note held in memory,
    else unpickled. The bytes are a view, not a copy: an unchanged note is written back as
    it is (:class:`_Pickler`), not pickled again. A graph whose cache is not written yet
    (``kg serve`` writes it once idle: :func:`settle_held`) gives the bytes its write would
    lay out (mostly those of the last graph written), and is never written then: the
    graph rebuilt from it replaces it."""
    held = graph._wiki
    if held is not None and graph.unwritten and graph._pickled is not None:
        notes = list(held.notes.values())
        pickled = graph._pickled
        records = (pickled.each(notes) if isinstance(pickled, _Pickler)
                   else list(map(pickled, notes)))
        return dict(zip(zip(map(_PATH, notes), map(_DIGEST, notes), strict=True),
                        zip(notes, records, strict=True), strict=True))
    graph.settle()
    if graph._by_content is not None:  # (the blobs of a written graph do not change)
        return graph._by_content
    found: dict[tuple[str, str], tuple[Note, bytes | memoryview]] = {}
    for nid, (span, _out, _in) in graph._all_spans():
        if span is not None:
            data = checked(graph._blobs[span[0] : span[0] + span[1]], span)
            note: Note = held.notes[nid] if held is not None else safe_loads(data)
            found[note.path, note.digest] = note, data
    if held is not None:  # every record in memory: kg serve's graph, read again next build
        graph._by_content = found
    return found


def _trusted_digests(old: Opened, stats: Mapping[str, Stat]) -> dict[str, str]:
    """The old content hash of each file whose stat is unchanged and was not racy.

    The same reasoning as :func:`open_graph`'s: a write moves a file's change time, which
    cannot be set back, so an equal stat means equal content, unless the file was changed so
    close to the old scan that a second change could have kept the stat (the racy files).
    """
    before, digests, racy_then = old.stats(), old.digests(), set(old.header.racy)
    rels = list(digests)  # (compared in C: 10,000 files on every edit's rebuild)
    same = map(operator.eq, map(before.get, rels), map(stats.get, rels, repeat(_GONE)))
    kept = list(set(itertools.compress(rels, same)) - racy_then)
    return dict(zip(kept, map(digests.__getitem__, kept), strict=True))


class _Pickler:
    """Pickles a note, or gives the old bytes of a note record taken whole from the old cache
    (the very object unpickled from them, so they unpickle to an equal record)."""

    def __init__(self, previous: _Previous) -> None:
        kept = list(previous.notes.values())
        self._by_id = dict(zip(map(_ID, map(_FIRST, kept)), kept, strict=True))

    def __call__(self, note: Note) -> bytes | memoryview:
        known = self._by_id.get(note.id)
        return known[1] if known is not None and known[0] is note else dumps(note)

    def each(self, notes: list[Note]) -> list[bytes | memoryview]:
        """:meth:`__call__` of each of ``notes``, the old bytes found in C (an edit's
        rebuild takes 10,000 of them again, and pickles a few notes)."""
        known = list(map(self._by_id.get, map(_ID, notes), repeat(_UNKNOWN)))
        found: list[bytes | memoryview] = list(map(_SECOND, known))
        for at in others(map(_FIRST, known), notes):
            found[at] = dumps(notes[at])
        return found


_ID, _FIRST, _SECOND = operator.attrgetter("id"), operator.itemgetter(0), operator.itemgetter(1)
_UNKNOWN = (None, b"")
"""A note the old cache had no record of (its id unknown)."""


def load_notes(found: Discovery, reuse: Mapping[tuple[str, str], Note], *,
               jobs: int | None = None, known: Mapping[str, str] | None = None,
               label_first: bool = False) -> tuple[Wiki, dict[str, str]]:
    """Read, parse and resolve every file of ``found``, parsing only those ``reuse`` lacks
    (many of them in a process pool of ``jobs``: :func:`kg.parse.parse_all`).

    Gives the content hash of every file read, too; the hash is of the very bytes parsed.
    ``known`` gives the hash of files whose content is known unchanged (:func:`_previous`):
    one whose note ``reuse`` holds is not read at all. A note with an error, or an
    ambiguous link, is a :class:`~kg.errors.BuildFailed` (or ResolveError) naming all.
    ``label_first``: the notes' links are Dendron's, ``[[label|target]]``.
    """
    wiki, digests, left_out = load_notes_leniently(found, reuse, jobs=jobs, known=known,
                                                   label_first=label_first)
    failed = left_out.error()
    if failed is not None:
        raise failed
    return wiki, digests


def load_notes_leniently(found: Discovery, reuse: Mapping[tuple[str, str], Note], *,
                         jobs: int | None = None, known: Mapping[str, str] | None = None,
                         misnamed: tuple[Finding, ...] = (), label_first: bool = False
                         ) -> tuple[Wiki, dict[str, str], LeftOut]:
    """:func:`load_notes`, but a note that cannot be read or parsed, and a link two notes
    claim, are left out of the wiki and given with their errors, as is each of
    ``misnamed`` (the files :func:`kg.discover.discover_leniently` found no id for):
    what a query answers from while a note is broken."""
    from kg.model import Note, Wiki
    from kg.parse import parse_all
    from kg.resolve import resolve_leniently

    known = known or {}
    # Nothing to reuse by its content (a first build, a build without its cache): each file
    # is read where it is parsed, by the pool's workers side by side, not all here first.
    whole = not reuse
    read: list[tuple[str | None, Parsed] | None] = []  # in file order; None: parsed below
    todo: list[ToParse] = []
    for file in found.files:
        note = _unread(file, reuse, known)
        item = ((note.digest, note) if note is not None else file.path if whole
                else _read(file, reuse))
        if isinstance(item, tuple):
            read.append(item)
        else:  # its bytes, or where to read them
            read.append(None)
            todo.append((item, file.id, file.rel))
    parsed = iter(parse_all(todo, jobs=jobs, label_first=label_first))
    results = [next(parsed) if item is None else item for item in read]
    digests = {file.rel: digest for file, (digest, _) in zip(found.files, results, strict=True)
               if digest is not None}
    errors = tuple(f for _, item in results if not isinstance(item, Note)  # its every error
                   for f in (item if isinstance(item, tuple) else (item,)))
    notes = [item for _, item in results if isinstance(item, Note)]
    wiki, ambiguous = resolve_leniently(notes)  # the others' links too: every error at once
    warnings = found.warnings + wiki.warnings + tuple(w for n in notes for w in n.warnings)
    return (Wiki(wiki.notes, wiki.edges, wiki.placeholders, wiki.questions, warnings), digests,
            LeftOut(misnamed, errors, ambiguous))


def _unread(file: NoteFile, reuse: Mapping[tuple[str, str], Note],
            known: Mapping[str, str]) -> Note | None:
    """The note of ``file`` without reading it, when its content is known and reused."""
    digest = known.get(file.rel)
    note = reuse.get((file.rel, digest)) if digest is not None else None
    return note if note is not None and note.id == file.id else None


def _read(file: NoteFile, reuse: Mapping[tuple[str, str], Note]
          ) -> tuple[str | None, Parsed] | bytes:
    """The note of ``file`` from ``reuse`` by its content's hash, with the hash; else the
    bytes to parse, or the finding of a file that cannot be read."""
    from kg.parse import read_note

    try:
        data = read_note(file.path, file=file.rel)  # size-checked; read errors are KgErrors
    except NoteGone:  # removed since the wiki was listed: no note, and no error
        return None, ()
    except KgError as err:
        return None, err.as_finding("bad-note")
    digest = digest_of(data)
    note = reuse.get((file.rel, digest))
    if note is not None and note.id == file.id:
        return digest, note
    return data


# -- derived caches ---------------------------------------------------------------------------


def _ntriples_key(config: Config, graph: Graph) -> bytes:
    """What the cached triples are made from besides the records: the IRIs, the tiers'
    labels, the code (kg.rdf is not one of the record modules)."""
    from kg.incremental import code_stamp

    return (f"kg-cache {graph.fingerprint} {config.base_iri} {sorted(config.tiers.items())} "
            f"{code_stamp()}\n").encode()


def _key_file(nt: Path) -> Path:
    return nt.with_name(nt.name + ".key")


def _nt_stat(nt: Path) -> bytes:
    st = os.stat(nt)
    return f"{st.st_ino} {st.st_size} {st.st_mtime_ns}\n".encode()


def _kept_as(nt: Path, key: bytes) -> bool:
    """Whether the N-Triples file ``nt`` is the one kept for ``key``: its key file (beside
    it) holds the key and the file's stat as it was then (a file written since, even in
    place, has another)."""
    with contextlib.suppress(OSError), open(_key_file(nt), "rb") as f:
        return f.read() == key + _nt_stat(nt)
    return False


def _keep_as(nt: Path, key: bytes) -> None:
    """Say in its key file that ``nt``, as it is now, holds the N-Triples of ``key``."""
    write_quietly(lambda f: f.write(key + _nt_stat(nt)), _key_file(nt))


def ntriples_file(config: Config, graph: Graph | None = None) -> Path:
    """The wiki's N-Triples (:func:`kg.rdf.ntriples`) as a file beside the records, made
    when stale (what it was made from is in a key file beside it, so that the file is a
    build's graph.nt as it is: :func:`keep_ntriples`). Never the whole text in memory
    (160 MB at 10,000 notes, and twice that as a Python string). Where the cache cannot
    be written, a temporary file removed when the process ends."""
    graph = graph or open_graph(config)
    path = cache_file(config).with_suffix(".nt")
    key = _ntriples_key(config, graph)
    if _kept_as(path, key):
        return path
    from kg.rdf import write_ntriples

    wiki = graph.wiki()

    def write(f: IO[bytes]) -> None:
        write_ntriples(wiki, config, f, path.parent)  # its sort runs beside it, on disk

    try:
        write_atomic(path, write)
    except OSError:
        return temporary_file(".nt", write)
    _keep_as(path, key)
    return path


_TEMPORARY: set[Path] = set()


def discard_temporary(path: Path) -> None:
    """Remove ``path`` now if :func:`temporary_file` made it (a worker process that made
    one ends without running exit handlers)."""
    if path in _TEMPORARY:
        _TEMPORARY.discard(path)
        with contextlib.suppress(OSError):
            path.unlink()


def temporary_file(suffix: str, write: Callable[[IO[bytes]], object]) -> Path:
    """A new temporary file written by ``write``, removed when the process ends (or by
    :func:`discard_temporary`)."""
    import atexit
    import os
    import tempfile

    fd, name = tempfile.mkstemp(prefix="kg-", suffix=suffix)

    def remove() -> None:
        with contextlib.suppress(OSError):
            os.unlink(name)

    atexit.register(remove)
    _TEMPORARY.add(Path(name))
    with os.fdopen(fd, "wb") as f:
        write(f)
    return Path(name)


def damaged_ntriples(path: Path, err: SyntaxError) -> KgError:
    """The error for the triples of ``path`` (:func:`ntriples_file`'s) that do not parse: a
    cache damaged with the stat its key file holds (its time set back). The file is
    removed, so that the next command makes it again rather than stop on it each time."""
    with contextlib.suppress(OSError):
        path.unlink()
    return KgError(f"the graph's triples do not parse ({err.msg}): kg's cache is damaged",
                   hint="run the command again (the damaged copy is removed); if it says so "
                        "again, remove .kg/cache")


def load_ntriples_cached(config: Config, graph: Graph | None = None) -> str:
    """The wiki's N-Triples (:func:`kg.rdf.ntriples`) as text, from :func:`ntriples_file`."""
    from kg.rdf import ntriples_bytes

    return ntriples_bytes(ntriples_file(config, graph)).decode("utf-8")


def keep_ntriples(config: Config, graph: Graph, source: Path) -> None:
    """Cache the N-Triples file ``source`` (a build's graph.nt, spliced rather than made from
    :func:`ntriples_file`) as the N-Triples of ``graph``: a hard link to it, made in a
    moment (copying 160 MB took a quarter of a second), else a copy by the kernel. The
    build writes the site's files anew, never in place; one changed in place all the same
    no longer has the stat its key file holds."""
    from kg.cachefile import copy_whole

    path = cache_file(config).with_suffix(".nt")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # linked beside, then renamed over the old one: never missing for a reader (the
        # saved queries read it meanwhile), though ext4 then writes the 160 MB out at once
        link = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        try:
            os.link(source, link)
        except OSError:  # another file system, or one without links
            write_atomic(path, lambda f: copy_whole(source, f.fileno()))
        else:
            os.replace(link, path)
        _keep_as(path, _ntriples_key(config, graph))


def derived(config: Config, name: str, make: Callable[[Wiki], T], *,
            graph: Graph | None = None) -> T:
    """``make(wiki)``, kept beside the cache until any note changes (``kg stats`` at 10,000
    notes spends seconds on communities; asked again, it answers at once)."""
    graph = graph or open_graph(config)
    path = cache_file(config).with_name(f"{cache_file(config).stem}.{slugify(name)}.pickle")
    key = f"{graph.fingerprint}|{name}"
    with contextlib.suppress(Exception), open(path, "rb") as f:  # else made again
        known, check = safe_load(f)
        data = f.read()
        if known == key and zlib.crc32(data) == check:
            value: T = safe_loads(data)
            return value
    value = make(graph.wiki())
    data = dumps(value)
    head = pickle.dumps((key, zlib.crc32(data)), protocol=pickle.HIGHEST_PROTOCOL)
    write_quietly(lambda f: f.write(head + data), path)
    return value


STALE_SECONDS = 3600
"""How old a temporary file of the cache folder is before a build takes it for a killed
process's (a write takes seconds; another process may be writing one now)."""


def sweep_stale(config: Config) -> None:
    """Remove the temporary files a killed process left in the cache folder (a cache file
    half written, ``.wiki-….pickle.….tmp``: as large as the cache, 130 MB at 10,000 notes)
    and the blobs' scratch files, those older than :data:`STALE_SECONDS`."""
    folder = cache_file(config).parent
    now = time.time()
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if now - path.lstat().st_mtime > STALE_SECONDS:
                        path.unlink()


def clear(config: Config) -> None:
    """Remove this wiki's cache files (they are rebuilt on the next query)."""
    import shutil

    base = cache_file(config)
    nt = base.with_suffix(".nt")
    for path in (base, nt, _key_file(nt), *base.parent.glob(f"{base.stem}.*.pickle")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    for folder in base.parent.glob(f"{base.stem}-store-*"):  # kg.sparql's stores
        shutil.rmtree(folder, ignore_errors=True)


def iter_cache_files(config: Config) -> Iterator[Path]:
    folder = cache_file(config).parent
    if folder.is_dir():
        yield from sorted(folder.iterdir())
