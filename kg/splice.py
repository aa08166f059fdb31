"""The graph exports of a build made from the last build's, where only some subjects changed.

``graph.nt``, ``graph.ttl`` and ``graph.jsonld`` are each a hundred megabytes and more at
10,000 notes, and making them whole takes ~15 s of CPU: the sorted N-Triples, then Oxigraph's
Turtle and JSON-LD of them. An edit changes the triples of a few subjects.

The N-Triples are sorted, so the triples of a subject are together and the subjects in order;
Oxigraph writes Turtle and JSON-LD from them in the same order, a block per subject, and
writes each block the same whatever stands before or after it. So each new file is the old
one with the blocks in some ranges of subjects replaced (:class:`Replacement`): the ranges
are found in the old file by binary search, the bytes between them copied by the kernel
(``copy_file_range``), and the new blocks written by Oxigraph from the new lines of the range.

Which ranges: the triples a note asserts about itself and its parts (:func:`kg.rdf.own_lines`)
have the note's IRI, or the note's IRI and a ``#fragment``, as subject, and are a function of
the note's record and its outgoing edges, hashed as its *unit* digest. Every other triple (the
wiki-level ones and those a note asserts about its authors, source and raw file) is made
afresh on every build, which is cheap, and compared with the last build's (:class:`GraphState`,
kept beside the build manifest). A note whose unit changed replaces both ranges of its IRI;
a wiki-level line that came or went replaces its subject's.

The search index (``search.json``, ``data/search.js``) is spliced the same way: its entries
are sorted by id, and an entry is a function of its note's record (or placeholder's label).

Each build keeps what its files were made from (:class:`GraphState`, :class:`SearchState`)
beside the manifest, with each file's size, time and inode: a file changed since is made
whole, as is any file a splice fails on. The tests compare spliced files with whole ones after
every kind of edit.
"""

from __future__ import annotations

import bisect
import contextlib
import mmap
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from itertools import chain, repeat
from operator import attrgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kg.cachefile import copy_range, dump_paired, dumps, load_paired, plain_digest
from kg.ids import NoteId
from kg.incremental import code_stamp
from kg.memo import LastMade, PerRecord, changed_keys, kept_values
from kg.rdf import (
    PREFIXES,
    Iris,
    concept_lines,
    iri,
    own_lines,
    person_lines,
    raw_lines,
    source_lines,
)
from kg.resolve import forecast_resolvers, settled_by
from kg.search import entry_json, note_entry, placeholder_entry
from kg.views import edge_index

if TYPE_CHECKING:
    from kg.config import Config
    from kg.model import Edge, Note, Wiki

FORMAT = 4
EXPORTS = ("graph.nt", "graph.ttl", "graph.jsonld")
SEARCH_FILES = ("search.json", "data/search.js")


class SpliceError(Exception):
    """An old export is not laid out as expected: the caller writes the file whole."""


def _stats(out: Path, names: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
    """Each file's size, modification time and inode, of those that are there (not the
    change time: linking a file into the next site changes it)."""
    found = {}
    for name in names:
        with contextlib.suppress(OSError):
            stat = os.stat(out / name)
            found[name] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return found


def _same_files(files: Mapping[str, tuple[int, int, int]], out: Path,
                names: tuple[str, ...]) -> bool:
    """Whether all of ``names`` are in ``out`` as ``files`` recorded them."""
    return len(files) == len(names) and _stats(out, names) == files


@dataclass(frozen=True, slots=True)
class GraphState:
    """What a build's graph exports were made from, as much as the next build needs to
    splice them: the settings and code the lines depend on (``env``), the exports' key in the
    manifest, every note's unit digest, and the lines no note owns, sorted."""

    env: str
    rdf_key: str
    units: Mapping[NoteId, bytes]
    common: tuple[str, ...]
    files: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)
    """Each export's size, modification time and inode once written: a file changed since
    (by hand, cut short, copied over) is not spliced."""

    def with_files(self, out: Path) -> GraphState:
        return replace(self, files=_stats(out, EXPORTS))

    def matches(self, out: Path) -> bool:
        """Whether the exports in ``out`` are the ones this state was written with."""
        return _same_files(self.files, out, EXPORTS)


@dataclass(frozen=True, slots=True)
class SearchState:
    """What a build's search index was made from: the code (``env``), the index's key in
    the manifest, and a digest of each entry's record (a note's file, a placeholder's
    label)."""

    env: str
    key: str
    entries: Mapping[str, bytes]
    files: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)

    def with_files(self, out: Path) -> SearchState:
        return replace(self, files=_stats(out, SEARCH_FILES))

    def matches(self, out: Path) -> bool:
        return _same_files(self.files, out, SEARCH_FILES)


@dataclass(frozen=True, slots=True)
class Replacement:
    """The lines from ``lo`` (inclusive) to ``hi`` (exclusive) are ``lines`` now."""

    lo: str
    hi: str
    lines: tuple[str, ...]


def splice_env(config: Config) -> str:
    return plain_digest((code_stamp(), config.base_iri, sorted(config.tiers.items()))).hex()


def _record(note: Note) -> tuple[str, str, str]:
    """What determines a note's record: its id, path and file's content hash (a record made
    otherwise, without a hash, stands for itself)."""
    return note.id, note.path, note.digest or dumps(note).hex()


def unit_digest(note: Note, edges: Iterable[Edge], settled: tuple[NoteId, ...]) -> bytes:
    """A digest of everything :func:`kg.rdf.own_lines` reads: the note's record, its
    outgoing edges, and the notes its forecasts' ``resolved_by`` name (``settled``, of
    :func:`kg.resolve.settled_by`: which note a name names is the other notes' business,
    an alias or title given elsewhere)."""
    return plain_digest((_record(note), tuple(
        (e.target, e.kind._value_, e.relation.name if e.relation else "", e.annotation, e.line)
        for e in edges), settled))


def search_state(wiki: Wiki, config: Config, key: str) -> SearchState:
    entries = dict(zip(wiki.notes, _ENTRIES.of(list(wiki.notes.values())), strict=True))
    entries.update((pid, plain_digest(("placeholder", ph.label)))
                   for pid, ph in wiki.placeholders.items())
    return SearchState(splice_env(config), key, entries)


_ENTRIES = PerRecord(lambda note: plain_digest(_record(note)))
"""Each note's search entry digest, by its record (``kg serve``: the last build's again)."""


def changed_entries(old: SearchState, new: SearchState,
                    wiki: Wiki) -> list[tuple[str, bytes]] | None:
    """The ids whose search entries changed, sorted, each with its entry's JSON now (empty
    when it is gone); None when the code changed, or most entries did."""
    if old.env != new.env:
        return None
    changed = sorted(changed_keys(old.entries, new.entries))
    if len(changed) > len(new.entries) // 2:
        return None  # most entries changed: whole is faster
    out = []
    for nid in changed:
        note, ph = wiki.notes.get(NoteId(nid)), wiki.placeholders.get(NoteId(nid))
        entry = note_entry(note) if note else placeholder_entry(ph) if ph else None
        out.append((nid, entry_json(entry) if entry else b""))
    return out


_last_units: dict[Any, tuple[Any, ...]] = {}
"""The last build's unit digests, each with the record and edges it was made of."""


def _units(wiki: Wiki) -> dict[NoteId, bytes]:
    """Every note's :func:`unit_digest`; the last build's again for a note whose record is
    the very same and whose edges and forecasts' resolvers are equal (``kg serve``: an edit
    makes one or two again, not 10,000), found in C."""
    global _last_units
    out = edge_index(wiki.edges).out  # kg.views's, made once a build
    nids = list(wiki.notes)
    notes = list(wiki.notes.values())
    edges: list[Sequence[Edge]] = list(map(out.get, nids, repeat(())))
    resolvers = forecast_resolvers(wiki)
    settled = [settled_by(note, resolvers) if note.forecasts else () for note in notes]
    units, _last_units = kept_values(nids, [notes], [edges, settled], _last_units,
                                     lambda at: unit_digest(notes[at], edges[at], settled[at]))
    return dict(zip(nids, units, strict=True))


def graph_state(wiki: Wiki, config: Config, rdf_key: str) -> GraphState:
    notes = wiki.notes.values()
    # what the lines of no one note (:func:`common_lines`) are made of; mostly the very same
    # objects as the last build's (kg serve), compared in C
    shared = (config.base_iri, tuple(config.tiers.items()),
              frozenset(chain.from_iterable(map(attrgetter("tags"), notes))),
              tuple(wiki.placeholders.values()), wiki.questions,
              frozenset(chain.from_iterable(map(attrgetter("authors"), notes))),
              frozenset(n.source for n in notes if n.source and n.source.url),
              frozenset(n.raw for n in notes if n.raw))
    return GraphState(splice_env(config), rdf_key, _units(wiki), _common(shared))


def common_lines(shared: tuple[Any, ...]) -> tuple[str, ...]:
    """The lines of no one note, sorted: the wiki-level ones (:func:`kg.rdf.wiki_lines`),
    and each author, source and raw file once (:func:`kg.rdf.shared_lines`; most are named
    by many notes)."""
    base_iri, tiers, tags, placeholders, questions, authors, sources, raws = shared
    iris = Iris(base_iri)
    common = set(concept_lines(iris, dict(tiers), tags, placeholders, questions))
    for author in authors:
        common.update(person_lines(author, iris))
    for source in sources:
        common.update(source_lines(source))
    for raw in raws:
        common.update(raw_lines(raw, iris))
    return tuple(sorted(common))


_common: LastMade[tuple[str, ...]] = LastMade(common_lines)
"""The last build's common lines again while what they are made of is equal (an edit of a
note's text: 25,000 lines at 10,000 notes, made and sorted)."""


def replacements(old: GraphState, new: GraphState, wiki: Wiki,
                 config: Config) -> list[Replacement] | None:
    """What turns the exports of ``old`` into those of ``new``, in order; None when they
    cannot be spliced (other settings or code, or a base IRI that kg encodes), or need not
    be (most notes changed)."""
    if old.env != new.env:
        return None
    iris = Iris(config.base_iri)
    prefix = iris.note("")
    if iri(prefix + "x#y") != f"<{prefix}x#y>":  # the note IRIs are not the text they are made of
        return None
    changed = changed_keys(old.units, new.units)
    if len(changed) > len(new.units) // 2:
        return None  # most notes changed (a pull, a rename across the wiki): whole is faster
    ranges: list[tuple[str, str]] = []
    owners: set[NoteId] = set()
    for nid in changed:
        ranges += _note_ranges(f"<{prefix}{nid}")
        if nid in wiki.notes:
            owners.add(nid)
    for line in (set(old.common).symmetric_difference(new.common)
                 if old.common != new.common else ()):  # (most often the very same lines)
        subject = line[:line.index(" ")]
        ranges.append((subject + " ", subject + "!"))
        if subject.startswith(f"<{prefix}"):
            nid = NoteId(subject[len(prefix) + 1:-1].partition("#")[0])
            if nid in wiki.notes:
                owners.add(nid)
    if not ranges:
        return []
    by_source = edge_index(wiki.edges).out if owners else {}
    resolvers = forecast_resolvers(wiki) if owners else {}
    own: list[str] = []
    for nid in sorted(owners):
        mine = _note_ranges(f"<{prefix}{nid}")
        for line in own_lines(wiki.notes[nid], by_source.get(nid, ()), iris, resolvers):
            if not any(lo <= line < hi for lo, hi in mine):
                return None  # not the note's own after all: never splice around it
            own.append(line)
    own.sort()
    common = new.common
    out = []
    for lo, hi in _merged(ranges):
        lines = set(common[bisect.bisect_left(common, lo):bisect.bisect_left(common, hi)])
        lines.update(own[bisect.bisect_left(own, lo):bisect.bisect_left(own, hi)])
        out.append(Replacement(lo, hi, tuple(sorted(lines))))
    return out


def _note_ranges(ref: str) -> list[tuple[str, str]]:
    """The lines whose subject is the note ``<ref>`` itself, and those of its parts
    ``<ref#…>`` (``$`` follows ``#``)."""
    return [(ref + "> ", ref + ">!"), (ref + "#", ref + "$")]


def _merged(ranges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


class Splices:
    """One build's graph exports and search index: what they are made from, and whether and
    how each is spliced from the last build's files."""

    def __init__(self, wiki: Wiki, config: Config, rdf_key: str, search_key: str) -> None:
        self.wiki, self.config = wiki, config
        self.rdf_key, self.search_key = rdf_key, search_key
        self._graph: GraphState | None = None
        self._search: SearchState | None = None
        self._graph_plan: tuple[Path, list[Replacement]] | None = None
        self._search_plan: tuple[Path, list[tuple[str, bytes]]] | None = None
        self._beside: ThreadPoolExecutor | None = None
        self._written: list[Future[None]] = []
        self._late: list[Path] = []
        """The files the thread beside writes (:meth:`late`)."""
        self._triples: Future[None] | None = None
        """The writing of graph.nt, once asked for (:meth:`triples_written`)."""

    def states(self, graph: GraphState | None,
               search: SearchState | None) -> tuple[GraphState, SearchState]:
        """What this build's files are made from: the last build's states (``graph``,
        ``search``) where the files are the same."""
        if self._graph is None:
            self._graph = (graph if graph is not None and graph.rdf_key == self.rdf_key
                           else graph_state(self.wiki, self.config, self.rdf_key))
        if self._search is None:
            self._search = (search if search is not None and search.key == self.search_key
                            else search_state(self.wiki, self.config, self.search_key))
        return self._graph, self._search

    def plan(self, graph: GraphState | None, search: SearchState | None, out: Path | None,
             keys: Mapping[str, str]) -> None:
        """Splice the files that changed from the previous site's in ``out`` (whose pages
        had ``keys``), when they are the files the last build's states describe."""
        if out is None:
            return
        if (graph is not None and keys.get("graph.nt") != self.rdf_key
                and all(keys.get(path) == graph.rdf_key for path in EXPORTS)
                and graph.matches(out)):
            changes = replacements(graph, self.states(graph, search)[0], self.wiki, self.config)
            if changes is not None:
                self._graph_plan = (out, changes)
        if (search is not None and keys.get("search.json") != self.search_key
                and all(keys.get(path) == search.key for path in SEARCH_FILES)
                and search.matches(out)):
            entries = changed_entries(search, self.states(graph, search)[1], self.wiki)
            if entries is not None:
                self._search_plan = (out, entries)

    @property
    def planned(self) -> bool:
        """Whether this build splices the graph exports (an edit's build)."""
        return self._graph_plan is not None

    @contextlib.contextmanager
    def beside(self) -> Iterator[None]:
        """Splice the files planned in a thread beside the caller's other work, one file
        after another in the order asked (a whole file made instead may read the one before
        it), all of them written when this ends (an error of one raised then, or by
        :meth:`wait` before). Splicing is the kernel's copying of 400 MB at 10,000 notes (a
        quarter of a second, the GIL let go), which an edit's pages need not wait for nor
        fork a worker to do: a build puts them in place first (:meth:`late` names the files
        still being written)."""
        self._beside = ThreadPoolExecutor(1, thread_name_prefix="kg-splice")
        # the thread takes the GIL back after each system call (a copy by the kernel, an
        # open): waiting the default 5 ms for this one to let it go each time made its
        # files half again as long as the pages beside them
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, 0.0005))
        try:
            yield
        finally:
            beside, self._beside = self._beside, None
            beside.shutdown(wait=True)
            sys.setswitchinterval(switch)
        self.wait()

    def late(self) -> list[Path]:
        """The files asked of the thread beside (:meth:`beside`), written or not yet."""
        return list(self._late)

    def wait(self) -> None:
        """Wait until the thread beside has written every file asked of it; an error of
        one is raised here, once none is still being written."""
        written, self._written = self._written, []
        wait(written)
        for future in written:
            future.result()

    def after(self, job: Callable[[], None]) -> None:
        """Do ``job`` once the files asked for so far are written: now, or beside."""
        self._write(job)

    def _write(self, job: Callable[[], None], target: Path | None = None) -> None:
        if self._beside is not None:
            self._written.append(self._beside.submit(job))
            if target is not None:
                self._late.append(target)
        else:
            job()

    def write_graph(self, fmt: str, target: Path, whole: Callable[[Path], None],
                    then: Callable[[Path], None] | None = None) -> None:
        """Write the graph export ``target`` spliced, if planned and it can be (and then,
        ``then`` told of it), else whole. Whatever stops a splice (an old file not as
        expected, a serialiser's error) costs only the time of a whole file."""
        plan = self._graph_plan
        if plan is None:
            whole(target)
            return

        def write() -> None:
            out, changes = plan
            try:
                splice_file(out / target.name, target, fmt, changes)
            except Exception:
                whole(target)
                return
            if then is not None:
                then(target)

        self._write(write, target)
        if fmt == "nt" and self._beside is not None:
            self._triples = self._written[-1]

    def triples_written(self) -> None:
        """Wait until graph.nt is written, if a thread beside is splicing it (and then keeps
        it as the cache's N-Triples: a saved query asking for them before had had them all
        made again, seconds at 10,000 notes)."""
        if self._triples is not None:
            self._triples.result()

    def write_search(self, path: str, target: Path, head: bytes, tail: bytes,
                     whole: Callable[[IO[bytes]], None]) -> None:
        """Write the search index ``target`` (``path`` in the site) spliced, if planned and
        it can be, else whole (``whole`` writes it into a file)."""
        plan = self._search_plan

        def write() -> None:
            if plan is not None:
                out, entries = plan
                with contextlib.suppress(Exception):
                    splice_entries(out / path, target, head, tail, entries)
                    return
            with open(target, "wb") as f:
                whole(f)

        if plan is None:
            write()
        else:
            self._write(write, target)


# -- the files ----------------------------------------------------------------------------------


class _Layout:
    """Where the blocks of one export are: ``first`` and ``end`` bound them; a block's key
    compares with N-Triples lines as its lines do."""

    def __init__(self, buf: mmap.mmap | bytes, first: int, end: int) -> None:
        self.buf, self.first, self.end = buf, first, end

    def start_at(self, pos: int) -> int:
        """The first block that starts at or after ``pos``, or ``end``."""
        raise NotImplementedError

    def key(self, start: int) -> bytes:
        raise NotImplementedError

    def lower_bound(self, target: bytes) -> int:
        """The start of the first block whose lines are all at or after ``target``."""
        lo, hi = self.first, self.end
        while lo < hi:
            mid = (lo + hi) // 2
            start = self.start_at(mid)
            if start >= self.end or self.key(start) >= target:
                hi = mid
            else:
                lo = start + 1
        return self.start_at(lo)


class _Lines(_Layout):
    """N-Triples: a block is a line."""

    def start_at(self, pos: int) -> int:
        if pos <= self.first:
            return self.first
        if pos >= self.end or self.buf[pos - 1] == 10:
            return min(pos, self.end)
        found = self.buf.find(b"\n", pos)
        return self.end if found < 0 else min(found + 1, self.end)

    def key(self, start: int) -> bytes:
        return self.buf[start:self.buf.find(b"\n", start)]


class _Turtle(_Layout):
    """Turtle as Oxigraph writes it: the prefixes, then a block per subject from the start
    of a line to `` .\\n``; its other lines start with a tab, and strings escape newlines."""

    def __init__(self, buf: mmap.mmap | bytes) -> None:
        first = 0
        while buf[first:first + 8] == b"@prefix ":
            first = buf.find(b"\n", first) + 1
            if first <= 0 or first >= len(buf):
                raise SpliceError("Turtle without triples")
        if buf[-3:] != b" .\n":
            raise SpliceError("Turtle not ended by a full stop")
        super().__init__(buf, first, len(buf))
        self.namespaces = {p.encode(): ns.encode() for p, ns in PREFIXES.items()}

    def start_at(self, pos: int) -> int:
        if pos <= self.first:
            return self.first
        buf, pos = self.buf, pos - 1
        while True:
            pos = buf.find(b"\n", pos)
            if pos < 0 or pos + 1 >= self.end:
                return self.end
            if buf[pos + 1] != 9:  # a tab: the same subject's next predicate
                return pos + 1
            pos += 1

    def key(self, start: int) -> bytes:
        name = self.buf[start:self.buf.find(b" ", start)]
        if name.startswith(b"<"):
            return name + b" "
        prefix, _, local = name.partition(b":")
        namespace = self.namespaces.get(prefix)
        if namespace is None:
            raise SpliceError(f"unknown prefix in Turtle: {prefix!r}")
        return b"<" + namespace + _unescape_local(local) + b"> "


def _unescape_local(local: bytes) -> bytes:
    """A Turtle local name with its ``\\`` escapes undone (kg's IRIs are ASCII)."""
    out = bytearray()
    escaped = False
    for c in local:
        if c == 92 and not escaped:
            escaped = True
            continue
        out.append(c)
        escaped = False
    return bytes(out)


class _Objects(_Layout):
    """A JSON array of objects from ``first`` to ``end``, joined by ``,``: where one object
    ends and the next begins is ``between`` (the next starting ``offset`` bytes into it),
    which holds a quote no string can hold bare; an object's key follows ``mark``."""

    between: bytes
    offset: int
    mark: bytes

    def start_at(self, pos: int) -> int:
        if pos <= self.first:
            return self.first
        # (not a negative start: find counts those from the end)
        found = self.buf.find(self.between, max(pos - self.offset, 0))
        return self.end if found < 0 else min(found + self.offset, self.end)

    def key(self, start: int) -> bytes:
        begin = self.buf.find(self.mark, start) + len(self.mark)
        return self.buf[begin:self.buf.find(b'"', begin)]


class _JsonLd(_Objects):
    """Expanded JSON-LD as Oxigraph writes it: ``[`` node objects joined by ``,`` ``]``; a
    node object ends ``]}`` and the next starts ``{"@id":"``, which no value object follows
    (they end ``"}``)."""

    mark = b'{"@id":"'
    between, offset = b"]}," + mark, 3

    def __init__(self, buf: mmap.mmap | bytes) -> None:
        if buf[:len(self.mark) + 1] != b"[" + self.mark or buf[-3:] != b"]}]":
            raise SpliceError("JSON-LD not an array of node objects")
        super().__init__(buf, 1, len(buf) - 1)

    def key(self, start: int) -> bytes:
        return b"<" + super().key(start) + b"> "


class _Entries(_Objects):
    """The search index (:mod:`kg.search`): ``head`` an array of flat entries sorted by id,
    each one's keys sorted, ``tail``."""

    mark, between, offset = b'"id":"', b'},{"', 2

    def __init__(self, buf: mmap.mmap | bytes, head: bytes, tail: bytes) -> None:
        if buf[:len(head)] != head or buf[len(buf) - len(tail):] != tail:
            raise SpliceError("not a search index")
        super().__init__(buf, len(head), len(buf) - len(tail))


def blocks(lines: tuple[str, ...], fmt: str) -> bytes:
    """The blocks of ``lines`` (whole subjects, sorted) in ``fmt``, as they stand in a file
    of more: Turtle without its prefixes, JSON-LD without its brackets."""
    if not lines:
        return b""
    text = "".join(line + "\n" for line in lines).encode("utf-8")
    if fmt == "nt":
        return text
    import pyoxigraph

    formats = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
    quads = pyoxigraph.parse(text, format=pyoxigraph.RdfFormat.N_TRIPLES)
    out = pyoxigraph.serialize(quads, format=formats[fmt],
                               prefixes=PREFIXES if fmt == "ttl" else None)
    assert out is not None
    if fmt == "jsonld":
        return bytes(out[1:-1])
    start = 0
    while out[start:start + 8] == b"@prefix ":
        start = out.index(b"\n", start) + 1
    return bytes(out[start:])


Cut = tuple[bytes, bytes, bytes]
"""Of an old file: what lies from the first key (inclusive) to the second (exclusive) is
the third now."""


def splice_file(old: Path, target: Path, fmt: str, changes: list[Replacement]) -> None:
    """Write ``target``: the graph export ``old`` (of format ``fmt``) with ``changes`` made.
    Raises :class:`SpliceError` (or ``OSError``) when it cannot; ``target`` is then to be
    written whole."""
    layouts: dict[str, Callable[[mmap.mmap], _Layout]] = {
        "nt": lambda buf: _Lines(buf, 0, len(buf)), "ttl": _Turtle, "jsonld": _JsonLd}
    cuts = [(c.lo.encode("utf-8"), c.hi.encode("utf-8"), blocks(c.lines, fmt)) for c in changes]
    _splice(old, target, layouts[fmt], cuts, joined=fmt == "jsonld")


def splice_entries(old: Path, target: Path, head: bytes, tail: bytes,
                   entries: list[tuple[str, bytes]]) -> None:
    """Write ``target``: the search index ``old`` (``head``, entries, ``tail``) with the
    entry of each id in ``entries`` made the JSON given (none if empty)."""
    cuts = [(nid.encode("utf-8"), nid.encode("utf-8") + b"\0", data) for nid, data in entries]
    _splice(old, target, lambda buf: _Entries(buf, head, tail), cuts, joined=True)


def _splice(old: Path, target: Path, layout_of: Callable[[mmap.mmap], _Layout],
            cuts: list[Cut], *, joined: bool) -> None:
    """``old`` with ``cuts`` made, into ``target``; ``joined``: the blocks are joined by
    commas (JSON) rather than each ending itself."""
    with open(old, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        if size == 0:
            raise SpliceError("an empty file")
        with mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            layout = layout_of(buf)
            pieces: list[Piece] = []
            pos = 0
            for lo, hi, data in cuts:
                start, stop = layout.lower_bound(lo), layout.lower_bound(hi)
                if start < pos:
                    raise SpliceError("replacements out of order")
                pieces += [(pos, start), data]
                pos = stop
            pieces.append((pos, size))
            if joined:
                pieces = _joined(buf, layout, pieces)
            with open(target, "wb", buffering=0) as dst:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        view = memoryview(piece)
                        while view:
                            view = view[os.write(dst.fileno(), view):]
                    elif copy_range(src.fileno(), dst.fileno(), *piece) < piece[1] - piece[0]:
                        raise SpliceError("the old export ended early")


Piece = tuple[int, int] | bytes
"""Of a new file: a range of the old one's bytes, or new bytes."""


def _joined(buf: mmap.mmap, layout: _Layout, pieces: list[Piece]) -> list[Piece]:
    """A JSON array's pieces with the separators made again: what stands before
    ``layout.first``, the nonempty pieces joined by ``,``, what stands from ``layout.end``
    (a range of old objects is taken without the commas around it)."""
    first, end = layout.first, layout.end
    items: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            start, stop = max(piece[0], first), min(piece[1], end)
            if start < stop and buf[start] == 44:  # ","
                start += 1
            if start < stop and buf[stop - 1] == 44:
                stop -= 1
            if start < stop:
                items.append((start, stop))
        elif piece:
            items.append(piece)
    out: list[Piece] = [(0, first)]
    for i, item in enumerate(items):
        if i:
            out.append(b",")
        out.append(item)
    out.append((end, len(buf)))
    return out


# -- on disk ----------------------------------------------------------------------------------


def state_path(manifest: Path) -> Path:
    return manifest.with_suffix(".exports.pickle")


States = tuple[GraphState | None, SearchState | None]


def read_states(manifest: Path, marker: list[int]) -> States:
    """The states written with the manifest of the site in the folder, or Nones."""
    graph, search = load_paired(state_path(manifest), FORMAT, marker) or (None, None)
    return (graph if isinstance(graph, GraphState) else None,
            search if isinstance(search, SearchState) else None)


def write_states(manifest: Path, marker: list[int], graph: GraphState | None,
                 search: SearchState | None) -> None:
    dump_paired(state_path(manifest), FORMAT, marker, graph, search)
