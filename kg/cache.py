"""The graph cache: the resolved :class:`~kg.model.Wiki`, kept between commands.

A query must not re-parse the wiki, and must never answer from stale data. The cache is one
file under ``<root>/.kg/cache/`` per wiki folder, written atomically (a temporary file, then
``os.replace``), laid out so that a query reads only what it needs:

1. a header: the stat (size, mtime) of every note file, and the files whose mtime was too
   recent to trust (they are re-hashed on every read, the way git treats "racy" entries);
2. the content hash of every note file: only read when a stat differs, so that a file that
   was touched but not changed does not cost a rebuild;
3. an index: the :class:`~kg.resolve.Resolver`, the placeholders, and where each note's
   record and edges lie in the blob area;
4. the blob area: one pickle per note, one per note's edges, and the wiki-wide tuples.

``kg connections`` on a 10,000-note wiki so reads the header, the index and a few dozen blobs,
not 100 MB of records. When any note changed, was added or removed, only the changed files are
parsed again; unchanged notes are taken from the cache and the whole wiki is resolved anew.

Importing this module stays cheap (no YAML, rdflib, networkx or jinja2): the parser is
imported only when a rebuild needs it. Cache files are local and git-ignored; like any pickle
they are trusted, so never copy a ``.kg/cache`` folder from someone you do not trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mmap
import os
import pickle
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, TypeVar

import kg
from kg.errors import BuildFailed, Finding, KgError
from kg.ids import NoteId
from kg.model import Edge, Note, Placeholder, Wiki
from kg.relations import BY_NAME, Relation
from kg.resolve import Resolver

if TYPE_CHECKING:
    from kg.config import Config
    from kg.discover import Discovery

FORMAT = 1
"""Bumped whenever the layout changes; a cache of another format is rebuilt."""

RACY_NS = 3_000_000_000
"""Files modified this close to (or after) a scan are verified by content, not by stat."""

Stat = tuple[int | str, ...]
Span = tuple[int, int, int]  # start, length, CRC-32
T = TypeVar("T")


# -- pickling the records ---------------------------------------------------------------------


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _relation(name: str) -> Relation:
    return BY_NAME[name]


class _Pickler(pickle.Pickler):
    """Pickles read-only mappings as dicts, and a relation as its name (one shared object)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return _proxy, (dict(obj),)
        if type(obj) is Relation and BY_NAME.get(obj.name) == obj:
            return _relation, (obj.name,)
        return NotImplemented


def _dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


# -- what is on disk --------------------------------------------------------------------------


def cache_file(config: Config) -> Path:
    """The cache of ``config.wiki``: one file per wiki folder under ``<root>/.kg/cache``."""
    key = hashlib.blake2b(str(config.wiki).encode(), digest_size=6).hexdigest()
    return config.root / ".kg" / "cache" / f"wiki-{key}.pickle"


def code_key() -> str:
    """Changes whenever kg's own code does: a cache written by other code is not trusted."""
    package = Path(kg.__file__).parent
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{FORMAT}|{kg.__version__}|{sys.version}".encode())
    with os.scandir(package) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                h.update(f"|{entry.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def scan(wiki: Path) -> dict[str, Stat]:
    """The stat of every Markdown file under ``wiki`` that could be a note, by relative path.

    A superset of what :func:`kg.discover.discover` reads (it skips more folders), so a change
    to any note is always seen. The stat is (size, mtime, ctime, inode): the change time moves
    on every write and cannot be set back, so an edit that restores the mtime is seen too. A
    symlink also records where it points.
    """
    found: dict[str, Stat] = {}
    root = str(wiki)
    cut = len(root) + 1
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                continue
            rel = entry.path[cut:].replace(os.sep, "/")
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                    st = os.stat(entry.path)
                    found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, target)
                except OSError:
                    found[rel] = (-1, -1, -1, -1, "")
            elif name[-3:].lower() == ".md":
                st = entry.stat()
                found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return found


def digest_of(data: bytes) -> str:
    """The content hash of a note file (the same as :attr:`kg.model.Note.digest`)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class _Header:
    format: int
    code: str
    wiki: str
    stats: dict[str, Stat]
    racy: tuple[str, ...]
    fingerprint: str
    sizes: tuple[int, int, int] = (0, 0, 0)  # content hashes, index, blobs
    checks: tuple[int, int] = (0, 0)  # CRC-32 of the content hashes and of the index


@dataclass(frozen=True, slots=True)
class _Index:
    resolver: Resolver
    placeholders: dict[NoteId, Placeholder]
    titles: dict[NoteId, str]
    notes: dict[NoteId, Span]
    edges: dict[NoteId, Span]
    all_edges: Span
    questions: Span
    warnings: Span


# -- the opened cache -------------------------------------------------------------------------


class Graph:
    """One wiki's records, read from the cache as needed (or held whole after a rebuild).

    :meth:`wiki` gives the whole :class:`Wiki`; :meth:`around` gives a small ``Wiki`` of one
    note, its edges and the notes at their other ends, which is all ``kg connections`` needs.
    The blob area is a memory map of the cache file as it was opened, so a cache replaced by
    another process meanwhile is never read half old, half new.
    """

    def __init__(self, header: _Header, index: _Index, blobs: bytes | mmap.mmap, offset: int,
                 wiki: Wiki | None = None, recover: Callable[[], Graph] | None = None) -> None:
        self.header = header
        self.index = index
        self._blobs = blobs
        self._offset = offset
        self._wiki = wiki
        self._recover = recover

    @property
    def fingerprint(self) -> str:
        """Changes whenever any note's content does (or kg's code): keys derived caches."""
        return self.header.fingerprint

    @property
    def placeholders(self) -> Mapping[NoteId, Placeholder]:
        return self.index.placeholders

    def resolver(self) -> Resolver:
        return self.index.resolver

    def label(self, nid: NoteId) -> str:
        title = self.index.titles.get(nid)
        if title is not None:
            return title
        placeholder = self.index.placeholders.get(nid)
        return placeholder.label if placeholder else nid

    def exists(self, nid: NoteId) -> bool:
        return nid in self.index.titles

    def _read(self, span: Span) -> Any:
        start = self._offset + span[0]
        data = self._blobs[start : start + span[1]]
        if zlib.crc32(data) != span[2]:
            raise _Damaged("a record's checksum does not match")
        return pickle.loads(data)

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
            self._offset, self._wiki = fresh._offset, fresh.wiki()
            return whole(self._wiki)

    def note(self, nid: NoteId) -> Note | None:
        def read() -> Note | None:
            span = self.index.notes.get(nid)
            return self._read(span) if span else None

        return self._safely(read, lambda wiki: wiki.notes.get(nid))

    def edges(self, nid: NoteId) -> tuple[Edge, ...]:
        """Every edge from or to ``nid``, in the wiki's edge order, each once."""
        def read() -> tuple[Edge, ...]:
            span = self.index.edges.get(nid)
            found: tuple[tuple[int, Edge], ...] = self._read(span) if span else ()
            return tuple(edge for _, edge in found)

        return self._safely(read, lambda wiki: tuple(
            e for e in wiki.edges if nid in (e.source, e.target)))

    def wiki(self) -> Wiki:
        def read() -> Wiki:
            notes = {nid: self._read(span) for nid, span in self.index.notes.items()}
            self._wiki = Wiki(
                notes=MappingProxyType(notes),
                edges=self._read(self.index.all_edges),
                placeholders=MappingProxyType(self.index.placeholders),
                questions=self._read(self.index.questions),
                warnings=self._read(self.index.warnings),
            )
            return self._wiki

        return self._safely(read, lambda wiki: wiki)

    def around(self, nid: NoteId) -> Wiki:
        """A ``Wiki`` of ``nid``'s edges and the notes they touch: enough for its connections."""
        def read() -> Wiki:
            edges = self.edges(nid)
            ends = {nid} | {e.source for e in edges} | {e.target for e in edges}
            notes = {n: note for n in sorted(ends) if (note := self.note(n)) is not None}
            return Wiki(
                notes=MappingProxyType(notes),
                edges=edges,
                placeholders=MappingProxyType(self.index.placeholders),
                questions=(),
            )

        return self._safely(read, lambda wiki: wiki)


# -- reading and writing ----------------------------------------------------------------------


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
    try:
        old = _open(path, code, str(config.wiki))
    except Exception:  # a missing, damaged or foreign cache is rebuilt
        old = None
    if old is None:
        return _rebuild(config, path, stats, started, code, None)

    def recover() -> Graph:
        return _rebuild(config, path, stats, started, code, None)

    try:
        with old:
            if old.header.stats == stats:
                if _unchanged(config.wiki, old, old.header.racy):
                    if not _racy(stats, started) and old.header.racy:
                        return _restat(old, path, stats, started, recover)  # settled
                    return old.graph(recover)
            else:
                changed = [rel for rel, st in stats.items() if old.header.stats.get(rel) != st]
                removed = old.header.stats.keys() - stats.keys()
                if not removed and _unchanged(config.wiki, old, [*changed, *old.header.racy]):
                    return _restat(old, path, stats, started, recover)  # touched only
            return _rebuild(config, path, stats, started, code, old)
    except KgError:
        raise
    except Exception:  # a damaged cache (cut short, altered): rebuilt from the notes alone
        return recover()


def load_wiki_cached(config: Config) -> Wiki:
    """The whole wiki, as :func:`kg.build.load_wiki` gives it, from the cache when current."""
    return open_graph(config).wiki()


class _Damaged(Exception):
    """The cache file was cut short or altered: rebuild it."""


class _Opened:
    """A cache file being read: the header at once; hashes, index and blobs on demand, each
    checked against its length and checksum so that a damaged file is rebuilt, never read."""

    def __init__(self, path: Path, header: _Header, file: IO[bytes]) -> None:
        self.path = path
        self.header = header
        self.file = file
        self.start = file.tell()
        self._digests: dict[str, str] | None = None
        self._index: _Index | None = None

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def _section(self, offset: int, size: int, check: int | None) -> bytes:
        self.file.seek(self.start + offset)
        data = self.file.read(size)
        if len(data) != size or (check is not None and zlib.crc32(data) != check):
            raise _Damaged(f"{self.path} is damaged")
        return data

    def digests(self) -> dict[str, str]:
        if self._digests is None:
            size = self.header.sizes[0]
            self._digests = pickle.loads(self._section(0, size, self.header.checks[0]))
        return self._digests

    def index(self) -> _Index:
        if self._index is None:
            first, size, _ = self.header.sizes
            self._index = pickle.loads(self._section(first, size, self.header.checks[1]))
        return self._index

    def blobs(self) -> bytes:
        first, second, size = self.header.sizes
        return self._section(first + second, size, None)

    def graph(self, recover: Callable[[], Graph]) -> Graph:
        index = self.index()
        offset = self.start + self.header.sizes[0] + self.header.sizes[1]
        if os.fstat(self.file.fileno()).st_size != offset + self.header.sizes[2]:
            return recover()  # cut short or grown: never read a blob past its end
        blobs = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return Graph(self.header, index, blobs, offset, recover=recover)


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


def _restat(old: _Opened, path: Path, stats: dict[str, Stat], started: int,
            recover: Callable[[], Graph]) -> Graph:
    """The same records under new stats (files were touched, not changed)."""
    digests, index, blobs = old.digests(), old.index(), old.blobs()
    header = replace(old.header, stats=stats, racy=_racy(stats, started))
    _write_quietly(lambda f: _write(f, header, digests, index, blobs), path)
    return Graph(header, index, blobs, 0, recover=recover)


def _rebuild(config: Config, path: Path, stats: dict[str, Stat], started: int, code: str,
             old: _Opened | None) -> Graph:
    from kg.discover import discover

    found = discover(config.wiki)
    wiki, digests = load_notes(found, _reusable(old))
    # a file whose stat was taken but whose content was not read (not a note) has no hash;
    # a later change to it costs a rebuild, never a stale answer
    header = _Header(FORMAT, code, str(config.wiki), stats, _racy(stats, started),
                     _fingerprint(code, digests))
    index, blobs = _layout(wiki)
    _write_quietly(lambda f: _write(f, header, digests, index, blobs), path)
    return Graph(header, index, blobs, 0, wiki)


def _reusable(old: _Opened | None) -> dict[tuple[str, str], Note]:
    """Unchanged notes from the previous cache, by (path, content hash)."""
    if old is None:
        return {}
    try:
        index = old.index()
        graph = Graph(old.header, index, old.blobs(), 0)
        notes = (graph.note(nid) for nid in index.notes)
        return {(n.path, n.digest): n for n in notes if n is not None}
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

    notes = {nid: put(note) for nid, note in wiki.notes.items()}
    touching: dict[NoteId, list[tuple[int, Edge]]] = {}
    for i, edge in enumerate(wiki.edges):
        touching.setdefault(edge.source, []).append((i, edge))
        if edge.target != edge.source:
            touching.setdefault(edge.target, []).append((i, edge))
    edges = {nid: put(tuple(found)) for nid, found in sorted(touching.items())}
    all_edges, questions, warnings = put(wiki.edges), put(wiki.questions), put(wiki.warnings)
    index = _Index(
        resolver=Resolver(wiki.notes.values()),
        placeholders=dict(wiki.placeholders),
        titles={nid: note.title for nid, note in wiki.notes.items()},
        notes=notes,
        edges=edges,
        all_edges=all_edges,
        questions=questions,
        warnings=warnings,
    )
    return index, out.getvalue()


def _write(f: IO[bytes], header: _Header, digests: dict[str, str], index: _Index,
           blobs: bytes) -> None:
    hashes = pickle.dumps(digests, protocol=pickle.HIGHEST_PROTOCOL)
    table = _dumps(index)
    header = replace(header, sizes=(len(hashes), len(table), len(blobs)),
                     checks=(zlib.crc32(hashes), zlib.crc32(table)))
    pickle.dump(header, f, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(hashes)
    f.write(table)
    f.write(blobs)


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


def clear(config: Config) -> None:
    """Remove this wiki's cache files (they are rebuilt on the next query)."""
    base = cache_file(config)
    for path in (base, base.with_suffix(".nt")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def iter_cache_files(config: Config) -> Iterator[Path]:
    folder = cache_file(config).parent
    if folder.is_dir():
        yield from sorted(folder.iterdir())
