"""The graph cache: the resolved :class:`~kg.model.Wiki`, kept between commands.

A query must not re-parse the wiki, and must never answer from stale data. The cache is one
file under ``<root>/.kg/cache/`` per wiki folder, written atomically (a temporary file, then
``os.replace``), and laid out so that a query reads only what it needs:

1. a small header: a key of the stat of every note file, the files whose stat was too recent
   to trust (they are compared by content on every read, the way git treats "racy" entries),
   and where each section below lies, with its checksum;
2. the stats themselves and the content hash of every note file: read only when the key
   differs, so that a file touched but not changed costs no rebuild;
3. an index: every name a link may use and the note it resolves to, the placeholders, and
   where each note's record and edges lie;
4. the blob area: one pickle per note, per note's outgoing and incoming edges, and a few for
   the wiki as a whole. Each blob is checked against its CRC-32 before it is read.

``kg connections`` on a 10,000-note wiki so reads the header, the index and a few dozen
blobs, not 100 MB of records. When a note changed, was added or removed, only the changed
files are parsed again; unchanged notes come from the cache, and the wiki is resolved anew.
A damaged cache is rebuilt, never read.

Importing this module stays cheap (no YAML, rdflib, networkx or jinja2): the parser is
imported only when a rebuild needs it. Cache files are local and git-ignored; like any pickle
they are trusted, so never copy a ``.kg/cache`` folder from someone you do not trust.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import itertools
import marshal
import mmap
import os
import pickle
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar

import kg
from kg.errors import BuildFailed, Finding, KgError
from kg.ids import NoteId, slugify
from kg.model import Edge, Note, Placeholder, Wiki
from kg.relations import BY_NAME, Relation
from kg.resolve import Resolver
from kg.resolve import _key as name_key

if TYPE_CHECKING:
    import pyoxigraph

    from kg.config import Config
    from kg.discover import Discovery

FORMAT = 4
"""Bumped whenever the layout changes; a cache of another format is rebuilt."""

RACY_NS = 3_000_000_000
"""Files changed this close to (or after) a scan are verified by content, not by stat."""

Stat = tuple[int | str, ...]
Span = tuple[int, int, int]  # start, length, CRC-32
T = TypeVar("T")


# -- pickling the records ---------------------------------------------------------------------


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _relation(name: str) -> Relation:
    return BY_NAME[name]


def _records() -> dict[type, Callable[[Any], tuple[Any, ...]]]:
    """The record classes pickled as ``cls(*fields)``: an ``attrgetter`` and a call to
    ``__init__`` cost about a third of the generic dataclass state functions, which look
    the fields up again for every object."""
    import dataclasses
    import operator

    from kg import errors, model

    found: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
    for module in (model, errors):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                found[value] = operator.attrgetter("name")  # by name: no Enum.__call__
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__
                    and not hasattr(value, "__post_init__")):
                fields = dataclasses.fields(value)
                if all(f.init for f in fields) and len(fields) > 1:
                    found[value] = operator.attrgetter(*(f.name for f in fields))
    return found


class _Pickler(pickle.Pickler):
    """Pickles read-only mappings as dicts, a relation as its name (one shared object), and
    the records as their constructor's arguments."""

    records: dict[type, Callable[[Any], tuple[Any, ...]]] | None = None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is MappingProxyType:
            return _proxy, (dict(obj),)
        if kind is Relation and BY_NAME.get(obj.name) == obj:
            return _relation, (obj.name,)
        if _Pickler.records is None:
            _Pickler.records = _records()
        fields = _Pickler.records.get(kind)
        if fields is None:
            return NotImplemented
        if isinstance(obj, enum.Enum):
            return getattr, (kind, obj.name)
        return kind, fields(obj)


def _dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


class _Damaged(Exception):
    """A cache file cut short or altered: it is rebuilt."""


def _check(data: bytes | memoryview, span: Span) -> bytes | memoryview:
    if len(data) != span[1] or zlib.crc32(data) != span[2]:
        raise _Damaged("a checksum does not match")
    return data


# -- the names a link may use -----------------------------------------------------------------


_AMBIGUOUS = ""


def flat_names(resolver: Resolver) -> dict[str, str]:
    """A :class:`~kg.resolve.Resolver`'s answer for every name it knows, as one flat table
    (``""`` for a name two notes claim): looking a name up reads one bucket of it, not the
    resolver's four tables of sets."""
    names: dict[str, str] = {}
    for table in resolver.steps:  # the first table that knows a name decides it
        for key, found in table.items():
            if key not in names:
                names[key] = next(iter(found)) if len(found) == 1 else _AMBIGUOUS
    return names


class CachedResolver:
    """Resolves names as :class:`~kg.resolve.Resolver` does, from the cache's name table;
    an ambiguous name or a suggestion loads the full resolver."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def resolve(self, target: str, *, file: str | None = None, line: int | None = None
                ) -> NoteId | None:
        text = target.strip().removesuffix(".md").strip("/")
        if self._graph.exists(NoteId(text)):
            return NoteId(text)
        found = self._graph.lookup("names", name_key(text))
        if found == _AMBIGUOUS:
            return self._graph.full_resolver().resolve(target, file=file, line=line)
        if found is not None:
            return NoteId(found)
        slug = NoteId(slugify(text))
        return slug if self._graph.exists(slug) else None

    def suggestions(self, target: str, limit: int = 3) -> list[str]:
        return self._graph.full_resolver().suggestions(target, limit)


def _bucket(key: str, buckets: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets


# -- what is on disk --------------------------------------------------------------------------


def cache_file(config: Config) -> Path:
    """The cache of ``config.wiki``: one file per wiki folder under ``<root>/.kg/cache``."""
    key = hashlib.blake2b(str(config.wiki).encode(), digest_size=6).hexdigest()
    return config.root / ".kg" / "cache" / f"wiki-{key}.pickle"


RECORD_MODULES = ("__init__", "body", "cache", "discover", "errors", "frontmatter", "ids",
                  "model", "parse", "relations", "resolve", "urls")
"""The modules the cached records depend on (a test keeps this list complete)."""


def code_key() -> str:
    """Changes whenever the code that makes the records does: a cache written by other code
    is not trusted. Other modules (the site, the queries) may change freely."""
    package = Path(kg.__file__).parent
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{FORMAT}|{kg.__version__}|{sys.version}".encode())
    for name in RECORD_MODULES:
        try:
            st = os.stat(package / f"{name}.py")
            h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"|{name}:missing".encode())
    return h.hexdigest()


def scan(wiki: Path) -> dict[str, Stat]:
    """The stat of every Markdown file under ``wiki`` that could be a note, by relative path.

    A superset of what :func:`kg.discover.discover` reads (it skips more folders), so a change
    to any note is always seen. The stat is (size, mtime, ctime, inode): the change time moves
    on every write and cannot be set back, so an edit that restores the mtime is seen too. A
    symlink also records where it points.
    """
    found: dict[str, Stat] = {}
    stack = [(str(wiki), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{name}/"))
            elif entry.is_symlink():
                try:
                    st = os.stat(entry.path)
                    found[prefix + name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                            st.st_ino, os.readlink(entry.path))
                except OSError:
                    found[prefix + name] = (-1, -1, -1, -1, "")
            elif name[-3:].lower() == ".md":
                st = entry.stat()
                found[prefix + name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return found


def stats_key(stats: dict[str, Stat]) -> bytes:
    """A short key of a scan; equal scans (listed in the same order) give equal keys."""
    return hashlib.blake2b(marshal.dumps(stats), digest_size=16).digest()


def digest_of(data: bytes) -> str:
    """The content hash of a note file (the same as :attr:`kg.model.Note.digest`)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class _Header(NamedTuple):
    """(A NamedTuple, as the index: both are made on every import, and cost less so.)"""

    format: int
    code: str
    wiki: str
    stats_key: bytes
    racy: tuple[str, ...]
    fingerprint: str
    sections: tuple[Span, Span, Span, Span] = ((0, 0, 0),) * 4  # stats, hashes, index, blobs


class _Index(NamedTuple):
    """Where everything lies in the blob area. ``names`` (name → note id) and ``spans``
    (note id → its record, outgoing and incoming edges) are split into hash buckets, so a
    query reads the few buckets it needs whatever the size of the wiki."""

    buckets: int
    names: tuple[Span, ...]
    spans: tuple[Span, ...]
    placeholders: Span
    resolver: Span
    titles: Span
    questions: Span
    warnings: Span


NoteSpans = tuple[Span | None, Span | None, Span | None]  # record, outgoing, incoming


# -- the opened cache -------------------------------------------------------------------------


class Graph:
    """One wiki's records, read from the cache as needed (or held whole after a rebuild).

    :meth:`wiki` gives the whole :class:`Wiki`; :meth:`around` gives a small ``Wiki`` of one
    note, its edges and the notes at their other ends, which is all ``kg connections`` needs.
    The blob area is a memory map of the cache file as it was opened, so a cache replaced by
    another process meanwhile is never read half old, half new.
    """

    def __init__(self, header: _Header, index: _Index, blobs: bytes | memoryview,
                 wiki: Wiki | None = None, recover: Callable[[], Graph] | None = None) -> None:
        self.header = header
        self.index = index
        self._blobs = blobs
        self._wiki = wiki
        self._recover = recover
        self._loaded: dict[tuple[str, int], dict[str, Any]] = {}
        self._titles: dict[NoteId, str] | None = None
        self._resolver: Resolver | None = None
        self._placeholders: dict[NoteId, Placeholder] | None = None

    @property
    def fingerprint(self) -> str:
        """Changes whenever any note's content does (or kg's code): keys derived caches."""
        return self.header.fingerprint

    def _read(self, span: Span) -> Any:
        return pickle.loads(_check(self._blobs[span[0] : span[0] + span[1]], span))

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
            self.header, self.index, self._blobs = fresh.header, fresh.index, fresh._blobs
            self._loaded.clear()
            self._wiki = fresh.wiki()
            return whole(self._wiki)

    def _table(self, which: str, number: int) -> dict[str, Any]:
        if (which, number) not in self._loaded:
            spans: tuple[Span, ...] = getattr(self.index, which)
            self._loaded[which, number] = self._read(spans[number])
        return self._loaded[which, number]

    def lookup(self, which: str, key: str) -> Any:
        """The value of ``key`` in the bucketed table ``which`` (names or spans), or None."""
        return self._table(which, _bucket(key, self.index.buckets)).get(key)

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
        if self._placeholders is None:
            self._placeholders = self._safely(lambda: self._read(self.index.placeholders),
                                              lambda wiki: dict(wiki.placeholders))
        return self._placeholders

    def resolver(self) -> CachedResolver:
        return CachedResolver(self)

    def full_resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = self._safely(lambda: self._read(self.index.resolver),
                                          lambda wiki: Resolver(wiki.notes.values()))
        return self._resolver

    def label(self, nid: NoteId) -> str:
        if self._titles is None:
            self._titles = self._safely(
                lambda: self._read(self.index.titles),
                lambda wiki: {n: note.title for n, note in wiki.notes.items()})
        title = self._titles.get(nid)
        if title is not None:
            return title
        placeholder = self.placeholders.get(nid)
        return placeholder.label if placeholder else nid

    def exists(self, nid: NoteId) -> bool:
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

    def edges(self, nid: NoteId) -> tuple[Edge, ...]:
        """Every edge from or to ``nid``, in the wiki's edge order, each once."""
        def read() -> tuple[Edge, ...]:
            found = dict(self._part(nid, 1) or ())
            found.update(self._part(nid, 2) or ())
            return tuple(found[i] for i in sorted(found))

        return self._safely(read, lambda wiki: tuple(
            e for e in wiki.edges if nid in (e.source, e.target)))

    def wiki(self) -> Wiki:
        def read() -> Wiki:
            notes: dict[NoteId, Note] = {}
            edges: dict[int, Edge] = {}
            for nid, (note, out, _) in sorted(self._all_spans()):
                if note is not None:
                    notes[nid] = self._read(note)
                if out is not None:
                    edges.update(self._read(out))
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
        """A ``Wiki`` of ``nid``'s edges and the notes they touch: enough for its connections."""
        def read() -> Wiki:
            edges = self.edges(nid)
            ends = {nid} | {e.source for e in edges} | {e.target for e in edges}
            notes = {n: note for n in sorted(ends) if (note := self.note(n)) is not None}
            placeholders = {n: self.placeholders[n] for n in sorted(ends)
                            if n not in notes and n in self.placeholders}
            return Wiki(
                notes=MappingProxyType(notes),
                edges=edges,
                placeholders=MappingProxyType(placeholders),
                questions=(),
            )

        return self._safely(read, lambda wiki: wiki)


# -- reading ----------------------------------------------------------------------------------


def open_graph(config: Config) -> Graph:
    """The wiki's records from the cache, rebuilt first when any note file changed.

    Never stale: every note file's stat is compared with the cache's, files whose stat is too
    recent to trust are compared by content, and a stat that differs is settled by content.
    """
    path = cache_file(config)
    if not config.wiki.is_dir():
        from kg.discover import discover

        discover(config.wiki)  # raises the error that names the missing folder
    started = time.time_ns()
    stats = scan(config.wiki)
    code = code_key()

    def rebuild(old: _Opened | None = None) -> Graph:
        return _rebuild(config, path, stats, started, code, old)

    try:
        old = _open(path, code, str(config.wiki))
    except Exception:  # a missing, damaged or foreign cache is rebuilt
        old = None
    if old is None:
        return rebuild()
    try:
        with old:
            same = old.header.stats_key == stats_key(stats) or old.stats() == stats
            if same and _unchanged(config.wiki, old, old.header.racy):
                if old.header.racy and not _racy(stats, started):
                    return _restat(old, path, stats, started, rebuild)  # settled now
                return old.graph(rebuild)
            if not same:
                before = old.stats()
                changed = [rel for rel, st in stats.items() if before.get(rel) != st]
                if (not before.keys() - stats.keys()
                        and _unchanged(config.wiki, old, [*changed, *old.header.racy])):
                    return _restat(old, path, stats, started, rebuild)  # touched, not changed
            return rebuild(old)
    except KgError:
        raise
    except Exception:  # a damaged cache (cut short, altered): rebuilt from the notes alone
        return rebuild()


def load_wiki_cached(config: Config) -> Wiki:
    """The whole wiki, as :func:`kg.build.load_wiki` gives it, from the cache when current."""
    return open_graph(config).wiki()


class _Opened:
    """A cache file being read: the header at once, each section on demand, checked."""

    def __init__(self, path: Path, header: _Header, file: IO[bytes]) -> None:
        self.path = path
        self.header = header
        self.file = file
        self.start = file.tell()
        self._cache: dict[int, Any] = {}

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def _raw(self, which: int) -> bytes | memoryview:
        span = self.header.sections[which]
        self.file.seek(self.start + span[0])
        return _check(self.file.read(span[1]), span)

    def _section(self, which: int) -> Any:
        if which not in self._cache:
            self._cache[which] = pickle.loads(self._raw(which))
        return self._cache[which]

    def stats(self) -> dict[str, Stat]:
        found: dict[str, Stat] = self._section(0)
        return found

    def digests(self) -> dict[str, str]:
        found: dict[str, str] = self._section(1)
        return found

    def index(self) -> _Index:
        found: _Index = self._section(2)
        return found

    def blobs(self) -> bytes:
        return bytes(self._raw(3))

    def graph(self, recover: Callable[[], Graph]) -> Graph:
        index = self.index()
        span = self.header.sections[3]
        if os.fstat(self.file.fileno()).st_size != self.start + span[0] + span[1]:
            return recover()  # cut short or grown: never read a blob past its end
        whole = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        blobs = memoryview(whole)[self.start + span[0] :]
        return Graph(self.header, index, blobs, recover=recover)


def _open(path: Path, code: str, wiki: str) -> _Opened | None:
    f = open(path, "rb")  # noqa: SIM115 - closed by _Opened, or here
    try:
        header = pickle.load(f)
    except BaseException:
        f.close()
        raise
    if (not isinstance(header, _Header) or header.format != FORMAT or header.code != code
            or header.wiki != wiki):
        f.close()
        return None
    return _Opened(path, header, f)


def _unchanged(wiki: Path, old: _Opened, rels: tuple[str, ...] | list[str]) -> bool:
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


def _racy(stats: Mapping[str, Stat], started: int) -> tuple[str, ...]:
    """Files changed so recently that a later change could keep the same stat."""
    return tuple(sorted(rel for rel, st in stats.items()
                        if max(int(st[1]), int(st[2])) >= started - RACY_NS))


def _fingerprint(code: str, digests: Mapping[str, str]) -> str:
    h = hashlib.blake2b(code.encode(), digest_size=12)
    for rel in sorted(digests):
        h.update(f"|{rel}:{digests[rel]}".encode())
    return h.hexdigest()


# -- writing ----------------------------------------------------------------------------------


def _restat(old: _Opened, path: Path, stats: dict[str, Stat], started: int,
            recover: Callable[[], Graph]) -> Graph:
    """The same records under new stats (files were touched, not changed)."""
    digests, index, blobs = old.digests(), old.index(), old.blobs()
    header = old.header._replace(stats_key=stats_key(stats), racy=_racy(stats, started))
    _write_quietly(lambda f: _write(f, header, stats, digests, index, blobs), path)
    return Graph(header, index, blobs, recover=recover)


def _rebuild(config: Config, path: Path, stats: dict[str, Stat], started: int, code: str,
             old: _Opened | None) -> Graph:
    from kg.discover import discover

    found = discover(config.wiki)
    wiki, digests = load_notes(found, _reusable(old))
    # a file whose stat was taken but whose content was not read (not a note) has no hash;
    # a later change to it costs a rebuild, never a stale answer
    header = _Header(FORMAT, code, str(config.wiki), stats_key(stats), _racy(stats, started),
                     _fingerprint(code, digests))
    index, blobs = _layout(wiki)
    _write_quietly(lambda f: _write(f, header, stats, digests, index, blobs), path)
    return Graph(header, index, blobs, wiki)


def _reusable(old: _Opened | None) -> dict[tuple[str, str], Note]:
    """Unchanged notes from the previous cache, by (path, content hash)."""
    if old is None:
        return {}
    try:
        graph = Graph(old.header, old.index(), old.blobs())
        return {(n.path, n.digest): n for n in graph.wiki().notes.values()}
    except Exception:  # a damaged cache is only a slower rebuild
        return {}


def load_notes(found: Discovery, reuse: Mapping[tuple[str, str], Note]
               ) -> tuple[Wiki, dict[str, str]]:
    """:func:`kg.build.load_wiki` over ``found``, parsing only the files ``reuse`` lacks.

    Gives the content hash of every file read, too; the hash is of the very bytes parsed.
    """
    from kg.parse import parse_note
    from kg.resolve import resolve_wiki

    notes: list[Note] = []
    errors: list[Finding] = []
    digests: dict[str, str] = {}
    for file in found.files:
        data = file.path.read_bytes()
        digest = digest_of(data)
        digests[file.rel] = digest
        note = reuse.get((file.rel, digest))
        if note is None or note.id != file.id:
            try:
                note = parse_note(data, nid=file.id, path=file.rel)
            except KgError as err:
                errors.append(err.as_finding("bad-note"))
                continue
        notes.append(note)
    if errors:
        noun = "note has" if len(errors) == 1 else "notes have"
        raise BuildFailed(f"{len(errors)} {noun} errors; nothing was written",
                          findings=tuple(errors))
    wiki = resolve_wiki(notes)
    warnings = found.warnings + wiki.warnings + tuple(w for n in notes for w in n.warnings)
    return Wiki(wiki.notes, wiki.edges, wiki.placeholders, wiki.questions, warnings), digests


def _layout(wiki: Wiki) -> tuple[_Index, bytes]:
    """The index and the blob area of ``wiki``."""
    out = io.BytesIO()

    def put(value: Any) -> Span:
        data = _dumps(value)
        start = out.tell()
        out.write(data)
        return start, len(data), zlib.crc32(data)

    outgoing: dict[NoteId, list[tuple[int, Edge]]] = {}
    incoming: dict[NoteId, list[tuple[int, Edge]]] = {}
    for i, edge in enumerate(wiki.edges):
        outgoing.setdefault(edge.source, []).append((i, edge))
        if edge.target != edge.source:
            incoming.setdefault(edge.target, []).append((i, edge))
    spans: dict[NoteId, NoteSpans] = {}
    for nid in sorted({*wiki.notes, *outgoing, *incoming}):
        note = wiki.notes.get(nid)
        spans[nid] = (
            put(note) if note is not None else None,
            put(tuple(outgoing[nid])) if nid in outgoing else None,
            put(tuple(incoming[nid])) if nid in incoming else None,
        )
    resolver = Resolver(wiki.notes.values())
    names = flat_names(resolver)
    buckets = 1 << max(0, (len(names) // 128).bit_length())

    def put_table(mapping: Mapping[Any, Any]) -> tuple[Span, ...]:
        parts: list[dict[str, Any]] = [{} for _ in range(buckets)]
        for key, value in mapping.items():
            parts[_bucket(key, buckets)][key] = value
        return tuple(put(part) for part in parts)

    index = _Index(
        buckets=buckets,
        names=put_table(names),
        spans=put_table(spans),
        placeholders=put(dict(wiki.placeholders)),
        resolver=put(resolver),
        titles=put({nid: note.title for nid, note in wiki.notes.items()}),
        questions=put(wiki.questions),
        warnings=put(wiki.warnings),
    )
    return index, out.getvalue()


def _write(f: IO[bytes], header: _Header, stats: dict[str, Stat], digests: dict[str, str],
           index: _Index, blobs: bytes) -> None:
    parts = [pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL),
             pickle.dumps(digests, protocol=pickle.HIGHEST_PROTOCOL), _dumps(index), blobs]
    starts = [0, *itertools.accumulate(len(part) for part in parts)]
    stats_at, hashes_at, index_at, blobs_at = (
        (start, len(part), zlib.crc32(part)) for start, part in zip(starts, parts, strict=False))
    header = header._replace(sections=(stats_at, hashes_at, index_at, blobs_at))
    pickle.dump(header, f, protocol=pickle.HIGHEST_PROTOCOL)
    for part in parts:
        f.write(part)


def _write_quietly(write: Callable[[IO[bytes]], object], path: Path) -> None:
    """Write ``path`` atomically; a cache that cannot be written is only a slower next query."""
    with contextlib.suppress(OSError):
        write_atomic(path, write)


def write_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file whole or not at all: a temporary file beside it, then ``os.replace``."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- derived caches ---------------------------------------------------------------------------


def load_ntriples_cached(config: Config, graph: Graph | None = None) -> str:
    """The wiki's N-Triples (:func:`kg.rdf.ntriples`), cached beside the records."""
    graph = graph or open_graph(config)
    path = cache_file(config).with_suffix(".nt")
    key = f"# kg-cache {graph.fingerprint} {config.base_iri}\n"
    try:
        with open(path, encoding="utf-8") as f:
            if f.readline() == key:
                return f.read()
    except (OSError, UnicodeDecodeError):
        pass
    from kg.rdf import ntriples

    nt = ntriples(graph.wiki(), config)
    _write_quietly(lambda f: f.write((key + nt).encode("utf-8")), path)
    return nt


def derived(config: Config, name: str, make: Callable[[Wiki], T], *,
            graph: Graph | None = None) -> T:
    """``make(wiki)``, kept beside the cache until any note changes (``kg stats`` at 10,000
    notes spends seconds on communities; asked again, it answers at once)."""
    graph = graph or open_graph(config)
    path = cache_file(config).with_name(f"{cache_file(config).stem}.{slugify(name)}.pickle")
    key = f"{graph.fingerprint}|{name}"
    with contextlib.suppress(Exception), open(path, "rb") as f:  # else made again
        known, check = pickle.load(f)
        data = f.read()
        if known == key and zlib.crc32(data) == check:
            value: T = pickle.loads(data)
            return value
    value = make(graph.wiki())
    data = _dumps(value)
    head = pickle.dumps((key, zlib.crc32(data)), protocol=pickle.HIGHEST_PROTOCOL)
    _write_quietly(lambda f: f.write(head + data), path)
    return value


STORE_MIN_BYTES = 4 * 1024 * 1024
"""Below this much N-Triples, an in-memory store loads faster than one opens from disk."""


def load_store_cached(config: Config, graph: Graph | None = None, *,
                      min_bytes: int = STORE_MIN_BYTES) -> pyoxigraph.Store:
    """An Oxigraph store of the wiki's graph, for SPARQL.

    A large graph is kept as an on-disk store beside the cache, keyed like the N-Triples and
    opened read-only (milliseconds instead of seconds of loading); it is built in a temporary
    folder and renamed into place when complete, so a store that is there is whole.
    """
    import pyoxigraph

    graph = graph or open_graph(config)
    base = cache_file(config)
    key = hashlib.blake2b(f"{graph.fingerprint} {config.base_iri}".encode(),
                          digest_size=8).hexdigest()
    folder = base.with_name(f"{base.stem}-store-{key}")
    if (folder / "complete").is_file():
        with contextlib.suppress(OSError):
            return pyoxigraph.Store.read_only(str(folder))
    nt = load_ntriples_cached(config, graph)
    if len(nt) < min_bytes:
        return _memory_store(nt)
    try:
        _build_store(folder, nt)
        return pyoxigraph.Store.read_only(str(folder))
    except OSError:
        return _memory_store(nt)


def _memory_store(nt: str) -> pyoxigraph.Store:
    from kg.rdf import to_store

    return to_store(nt)


def _build_store(folder: Path, nt: str) -> None:
    import gc
    import shutil

    import pyoxigraph

    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    store = pyoxigraph.Store(str(tmp))
    try:
        store.bulk_load(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
        store.flush()
    finally:
        del store
        gc.collect()  # the store closes when it is dropped
    (tmp / "complete").write_text("a kg SPARQL store; safe to delete\n", encoding="utf-8")
    try:
        tmp.rename(folder)
    except OSError:  # another process put one there first
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "complete").is_file():
            raise
    prefix = folder.name.rsplit("-", 1)[0] + "-"
    for old in folder.parent.glob(f"{prefix}*"):
        if old != folder and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)  # stores of earlier versions of the wiki


def clear(config: Config) -> None:
    """Remove this wiki's cache files (they are rebuilt on the next query)."""
    import shutil

    base = cache_file(config)
    for path in (base, base.with_suffix(".nt"), *base.parent.glob(f"{base.stem}.*.pickle")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    for folder in base.parent.glob(f"{base.stem}-store-*"):
        shutil.rmtree(folder, ignore_errors=True)


def iter_cache_files(config: Config) -> Iterator[Path]:
    folder = cache_file(config).parent
    if folder.is_dir():
        yield from sorted(folder.iterdir())
