"""The cache's file: how the records of a wiki are laid out on disk, and read back checked.

One file per wiki folder: a small header (a key of every note file's stat, the files too
recently changed to trust their stat, the fingerprint of the content, where each section
lies with its CRC-32, and the errors of the notes and links the records are without), then
the stats, the content hashes, an index, and the blob area of one pickle per note and per
note's edges. :mod:`kg.cache` decides when this file is current; this module only writes it
whole (a temporary file, then ``os.replace``) and reads it back, refusing any part whose
checksum does not match.

Records are pickled as their constructor's arguments, relations by name, read-only mappings
as dicts: about twice as fast to read back as the dataclasses' own pickling. What a warm
query reads (the name and span tables, each note's edges, every node's label) holds only
strings, numbers and tuples, so answering it never imports the record classes, whose
dataclasses cost more to create at start-up than the query itself.
"""

from __future__ import annotations

import contextlib
import enum
import io
import itertools
import marshal
import mmap
import operator
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, ClassVar, NamedTuple

import kg
from kg.ids import NoteId

try:  # BLAKE2 alone: hashlib would load OpenSSL too, a twentieth of a query's start-up
    from _blake2 import blake2b as blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as blake2b

if TYPE_CHECKING:
    from kg.config import Config
    from kg.errors import LeftOut
    from kg.model import Edge, Note, Wiki
    from kg.relations import Relation
    from kg.resolve import Resolver

FORMAT = 6
"""Bumped whenever the layout changes; a cache of another format is rebuilt."""

RACY_NS = 3_000_000_000
"""Files changed this close to (or after) a scan are verified by content, not by stat."""

Stat = tuple[int | str, ...]
Span = tuple[int, int, int]  # start, length, CRC-32
EdgeRow = tuple[int, NoteId, NoteId, str, str | None, str, int, str]
"""An edge as plain values: its place in ``Wiki.edges``, then source, target, kind (the
:class:`~kg.model.EdgeKind`'s value), relation name (None for a mention), annotation, line
and the target as written."""


# -- pickling the records ---------------------------------------------------------------------


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only mapping: a note's ``field_lines``, whose keys (front-matter names, the
    same few in every note) are each the interpreter's one copy (4 MB at 10,000 notes)."""
    return MappingProxyType(_interned_keys(mapping))


def _interned_keys(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    return {sys.intern(k) if type(k) is str else k: v for k, v in mapping.items()}


_MAKERS: dict[type, Callable[..., Any]] = {}


def _record(kind: type, fields: tuple[Any, ...]) -> Any:
    """The record ``kind(*fields)``, as the cache loads it (:func:`_maker`)."""
    make = _MAKERS.get(kind)
    if make is None:
        make = _MAKERS[kind] = _maker(kind)
    return make(*fields)


def _maker(kind: type) -> Callable[..., Any]:
    """A function making a ``kind`` from all its fields' values, in half the time of its
    ``__init__``: a frozen dataclass's ``__init__`` looks up and calls ``object.__setattr__``
    for each field (4.7 µs a section; 130,000 records at 10,000 notes), this sets each slot
    through its descriptor. Made from source once per class, as :mod:`dataclasses` makes
    ``__init__``."""
    import dataclasses

    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)
            and kind.__module__ in ("kg.model", "kg.errors") and "__slots__" in vars(kind)):
        raise pickle.UnpicklingError(f"{kind!r} is not a record")
    names = [f.name for f in dataclasses.fields(kind)]
    scope: dict[str, Any] = {"new": object.__new__, "kind": kind}
    lines = [f"def make({', '.join(names)}):", "    self = new(kind)"]
    for i, name in enumerate(names):
        scope[f"set{i}"] = vars(kind)[name].__set__
        lines.append(f"    set{i}(self, {name})")
    lines.append("    return self")
    exec("\n".join(lines), scope)  # the names are the dataclass's own fields
    return scope["make"]  # type: ignore[no-any-return]


def _relation(name: str) -> Relation:
    from kg.relations import BY_NAME

    return BY_NAME[name]


def _enum_member(kind: type[enum.Enum], name: str) -> enum.Enum:
    if not (isinstance(kind, type) and issubclass(kind, enum.Enum)):
        raise pickle.UnpicklingError("not an enum")
    return kind[name]


_SAFE_BUILTINS = frozenset(
    {"set", "frozenset", "tuple", "list", "dict", "str", "int", "float", "bool", "bytes",
     "complex", "slice", "range"}
)
_SAFE_FUNCTIONS = frozenset({("kg.cachefile", "_proxy"), ("kg.cachefile", "_relation"),
                             ("kg.cachefile", "_enum_member"), ("kg.cachefile", "_record")})


class SafeUnpickler(pickle.Unpickler):
    """Loads only what kg's caches hold: kg's own classes, plain containers and dates.

    A cache file is data, never code: one planted in a shared project (or a synced folder)
    cannot name ``os.system`` or ``getattr`` to run anything; it fails to load and is
    rebuilt from the notes.
    """

    allowed: ClassVar[dict[tuple[str, str], Any]] = {}
    """What each global a cache named was found to be, once allowed: a whole wiki names
    kg's classes a hundred thousand times."""

    def find_class(self, module: str, name: str) -> Any:
        found = SafeUnpickler.allowed.get((module, name))
        if found is None:
            found = SafeUnpickler.allowed[module, name] = self._allow(module, name)
        return found

    def _allow(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module == "datetime" and name in ("date", "datetime", "timedelta", "timezone"):
            return super().find_class(module, name)
        if module == "types" and name == "MappingProxyType":
            return MappingProxyType
        if (module, name) in _SAFE_FUNCTIONS:
            return super().find_class(module, name)
        if module.startswith("kg.") and "." not in name:
            value = super().find_class(module, name)
            if isinstance(value, type) and value.__module__ == module:
                return value
        raise pickle.UnpicklingError(f"cache refers to {module}.{name}, which it may not")


def safe_loads(data: bytes | memoryview) -> Any:
    return SafeUnpickler(io.BytesIO(data)).load()


def safe_load(file: Any) -> Any:
    return SafeUnpickler(file).load()


def record_reducers() -> dict[type, Callable[[Any], Any]]:
    """How each record class is pickled: a relation by name (one shared object), an enum
    member by name (no ``Enum.__call__``), a record as its class and its fields' values,
    read by an ``attrgetter`` (a third of the time of the generic dataclass state
    functions, which look the fields up again for every object) and made again by
    :func:`_record`."""
    import dataclasses
    import operator

    from kg import errors, model
    from kg.relations import BY_NAME, Relation

    def relation(obj: Relation) -> Any:
        return (_relation, (obj.name,)) if BY_NAME.get(obj.name) == obj else NotImplemented

    def member(obj: enum.Enum) -> Any:
        return _enum_member, (type(obj), obj.name)

    def record(kind: type, fields: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], Any]:
        if "__slots__" in vars(kind):
            return lambda obj: (_record, (kind, fields(obj)))
        return lambda obj: (kind, fields(obj))

    found: dict[type, Callable[[Any], Any]] = {Relation: relation}
    for module in (model, errors):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                found[value] = member
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__
                    and not hasattr(value, "__post_init__")):
                fields = dataclasses.fields(value)
                if all(f.init for f in fields) and len(fields) > 1:
                    found[value] = record(value, operator.attrgetter(*(f.name for f in fields)))
    return found


class Pickler(pickle.Pickler):
    """Pickles read-only mappings as dicts, and the records as :func:`record_reducers` says
    (made on first use: only a writer needs the record classes)."""

    reducers: dict[type, Callable[[Any], Any]] | None = None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is MappingProxyType:  # its keys interned as loading does: the same bytes
            return _proxy, (_interned_keys(obj),)  # whether it was parsed or loaded
        if Pickler.reducers is None:
            Pickler.reducers = record_reducers()
        reduce = Pickler.reducers.get(kind)
        return NotImplemented if reduce is None else reduce(obj)


def dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


def dumps_plain(value: Any) -> bytes:
    """:func:`dumps` of a value made only of strings, numbers, None, tuples and dicts (edge
    rows, tables): the same bytes, twice as fast, as no object is offered to
    :meth:`Pickler.reducer_override` (which such values never need)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class Damaged(Exception):
    """A cache file cut short or altered: it is rebuilt."""


def checked(data: bytes | memoryview, span: Span) -> bytes | memoryview:
    if len(data) != span[1] or zlib.crc32(data) != span[2]:
        raise Damaged("a checksum does not match")
    return data


# -- names, in buckets ----------------------------------------------------------------------


AMBIGUOUS = ""


def flat_names(resolver: Resolver) -> dict[str, str]:
    """A :class:`~kg.resolve.Resolver`'s answer for every name it knows, as one flat table
    (``""`` for a name two notes claim): looking a name up reads one bucket of it, not the
    resolver's tables of sets."""
    names: dict[str, str] = {}
    for table in resolver.steps:  # the first table that knows a name decides it
        for key, found in table.items():
            if key not in names:
                names[key] = next(iter(found)) if len(found) == 1 else AMBIGUOUS
    return names


def bucket(key: str, buckets: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets


# -- what is on disk --------------------------------------------------------------------------


def cache_file(config: Config) -> Path:
    """The cache of ``config.wiki``: one file per wiki folder under ``<root>/.kg/cache``,
    and per way of reading its links (a Dendron vault's records are other records)."""
    named = os.fsencode(config.wiki) + (b"|label-first" if config.label_first else b"")
    key = blake2b(named, digest_size=6).hexdigest()  # any path's bytes
    return config.root / ".kg" / "cache" / f"wiki-{key}.pickle"


RECORD_MODULES = ("__init__", "attachments", "bidi", "body", "cache", "cachefile", "discover",
                  "errors", "frontmatter", "ids", "memo", "model", "parse", "relations", "resolve",
                  "urls", "workers")
"""The modules the cached records depend on (a test keeps this list complete)."""


def code_key() -> str:
    """Changes whenever the code that makes the records does: a cache written by other code
    is not trusted. Other modules (the site, the queries) may change freely."""
    package = Path(kg.__file__).parent
    h = blake2b(digest_size=12)
    h.update(f"{FORMAT}|{kg.__version__}|{sys.version}".encode())
    for name in RECORD_MODULES:
        try:
            st = os.stat(package / f"{name}.py")
            h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"|{name}:missing".encode())
    h.update(f"|anyascii:{library_stamp('anyascii')}".encode())  # it spells ids and slugs
    return h.hexdigest()


def library_stamp(name: str) -> str:
    """Where a library's package is and its ``__init__``'s size and mtime (it moves when the
    library is upgraded); "" if absent. Found, not imported."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if not origin:
            return ""
        st = os.stat(origin)
    except (ImportError, ValueError, OSError):
        return ""
    return f"{origin}:{st.st_size}:{st.st_mtime_ns}"


TEMPLATE_SETTINGS = ((".obsidian/templates.json", "folder"),
                     (".obsidian/plugins/templater-obsidian/data.json", "templates_folder"))
"""Where an Obsidian vault names its folder of templates (the core plugin's, Templater's):
files that decide which files are notes (:func:`kg.discover.template_folders`)."""
TOOL_FOLDERS = (("logseq/config.edn", "logseq"),)
"""A file that says the folder beside it is an app's own, not notes: a Logseq graph's
``logseq/`` holds its settings and copies of its pages (``bak/``, ``version-files/``), which
read as notes made every page's name ambiguous. Such a file too decides which files are
notes (:func:`kg.discover.template_folders`)."""


def scan(wiki: Path) -> dict[str, Stat]:
    """The stat of every Markdown file under ``wiki`` that could be a note, by relative path.

    A superset of what :func:`kg.discover.discover` reads (it skips more folders), so a change
    to any note is always seen. The stat is (size, mtime, ctime, inode): the change time moves
    on every write and cannot be set back, so an edit that restores the mtime is seen too. A
    symlink also records where it points. A file gone between the listing and its stat is
    left out, as it would be a moment later.
    """
    found: dict[str, Stat] = {}
    stack = [(str(wiki), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            # names looked up in the open folder: a tenth cheaper than whole paths
            dir_fd = os.open(folder, os.O_RDONLY) if _BY_FD else None
        except OSError:
            continue
        try:
            with os.scandir(folder if dir_fd is None else dir_fd) as listing:
                for entry in listing:
                    name = entry.name
                    if name[0] == ".":
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((os.path.join(folder, name), f"{prefix}{name}/"))
                    elif entry.is_symlink():
                        found[prefix + name] = _link_stat(entry.path, dir_fd)
                    elif name[-3:].lower() == ".md":
                        try:  # inline: this line runs once a note, on every query
                            st = entry.stat()
                        except OSError:
                            continue
                        found[prefix + name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                                st.st_ino)
        except OSError:  # a folder that cannot be listed holds no note kg could read
            continue
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
    for setting in (*(s for s, _ in TEMPLATE_SETTINGS), *(s for s, _ in TOOL_FOLDERS)):
        with contextlib.suppress(OSError):  # in a hidden or skipped folder, yet read: seen
            st = os.stat(os.path.join(wiki, setting))  # changing
            found[setting] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return found


_BY_FD = (os.scandir in os.supports_fd and os.stat in os.supports_dir_fd
          and os.readlink in os.supports_dir_fd)


def _link_stat(path: str, dir_fd: int | None) -> Stat:
    """A symlink's target's stat and where it points; a broken link, all -1."""
    try:
        st = os.stat(path, dir_fd=dir_fd)
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, os.readlink(
            path, dir_fd=dir_fd)
    except OSError:
        return -1, -1, -1, -1, ""


def plain_digest(value: Any) -> bytes:
    """A 16-byte hash of plain values (strings, numbers, None, tuples, lists, dicts), fast:
    marshal version 0 writes no references between objects, so equal values give equal
    bytes whatever objects they share."""
    return blake2b(marshal.dumps(value, 0), digest_size=16).digest()


def stats_key(stats: dict[str, Stat]) -> bytes:
    """A short key of a scan; equal scans (listed in the same order) give equal keys."""
    return plain_digest(stats)


def digest_of(data: bytes) -> str:
    """The content hash of a note file (the same as :attr:`kg.model.Note.digest`)."""
    return blake2b(data, digest_size=16).hexdigest()


class Header(NamedTuple):
    """(A NamedTuple, as the index: both are made on every import, and cost less so.)"""

    format: int
    code: str
    wiki: str
    stats_key: bytes
    racy: tuple[str, ...]
    fingerprint: str
    sections: tuple[Span, Span, Span, Span] = ((0, 0, 0),) * 4  # stats, hashes, index, blobs
    left_out: LeftOut | None = None
    """The notes and links with errors, which the records are without; None when none."""


class Index(NamedTuple):
    """Where everything lies in the blob area. ``names`` (name → note id) and ``spans``
    (note id → its record, outgoing and incoming edges as :data:`EdgeRow`) are split into
    hash buckets, so a query reads the few buckets it needs whatever the size of the wiki.
    ``labels`` gives every node's label and whether a note defines it (else a placeholder
    does): one read, where a hub's neighbours would be hundreds of notes. ``placeholders``
    holds each placeholder's label and the notes that name it, as plain values too."""

    buckets: int
    names: tuple[Span, ...]
    spans: tuple[Span, ...]
    placeholders: Span
    resolver: Span
    labels: Span
    questions: Span
    warnings: Span


NoteSpans = tuple[Span | None, Span | None, Span | None]  # record, outgoing, incoming


# -- reading ----------------------------------------------------------------------------------


class Opened:
    """A cache file being read: the header at once, each section on demand, checked."""

    def __init__(self, path: Path, header: Header, file: IO[bytes]) -> None:
        self.path = path
        self.header = header
        self.file = file
        self.start = file.tell()
        self._cache: dict[int, Any] = {}

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def _raw(self, which: int) -> bytes | memoryview:
        span = self.header.sections[which]
        self.file.seek(self.start + span[0])
        return checked(self.file.read(span[1]), span)

    def _section(self, which: int) -> Any:
        if which not in self._cache:
            self._cache[which] = safe_loads(self._raw(which))
        return self._cache[which]

    def stats(self) -> dict[str, Stat]:
        found: dict[str, Stat] = self._section(0)
        return found

    def digests(self) -> dict[str, str]:
        found: dict[str, str] = self._section(1)
        return found

    def index(self) -> Index:
        found: Index = self._section(2)
        return found

    def blobs(self) -> bytes:
        return bytes(self._raw(3))

    def mapped(self) -> memoryview | None:
        """The blob area mapped into memory, or None when the file was cut short or grown."""
        span = self.header.sections[3]
        if os.fstat(self.file.fileno()).st_size != self.start + span[0] + span[1]:
            return None
        whole = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return memoryview(whole)[self.start + span[0] :]


def open_file(path: Path, code: str, wiki: str) -> Opened | None:
    f = open(path, "rb")  # noqa: SIM115 - closed by Opened, or here
    try:
        header = safe_load(f)
    except BaseException:
        f.close()
        raise
    if (not isinstance(header, Header) or header.format != FORMAT or header.code != code
            or header.wiki != wiki):
        f.close()
        return None
    return Opened(path, header, f)


def racy(stats: Mapping[str, Stat], started: int) -> tuple[str, ...]:
    """Files changed so recently that a later change could keep the same stat."""
    since = started - RACY_NS  # (a stat's times, at 1 and 2, are ints; only a link's 4 is not)
    rels, recent = list(stats), itertools.repeat(since)
    return tuple(sorted({  # found in C: 10,000 stats on every build and query
        *itertools.compress(rels, map(operator.ge, map(_MTIME, stats.values()), recent)),
        *itertools.compress(rels, map(operator.ge, map(_CTIME, stats.values()), recent))}))


_MTIME, _CTIME = operator.itemgetter(1), operator.itemgetter(2)


def fingerprint(code: str, digests: Mapping[str, str]) -> str:
    h = blake2b(code.encode(), digest_size=12)
    rels = sorted(digests)  # (the bytes of one update per file, joined in C)
    h.update("".join(map("|{}:{}".format, rels, map(digests.__getitem__, rels))).encode())
    return h.hexdigest()


# -- records as plain values ------------------------------------------------------------------


def edge_row(i: int, edge: Edge) -> EdgeRow:
    relation = edge.relation.name if edge.relation else None
    # ``_value_``, not ``value``: the enum's property costs a tenth of a rebuild's layout
    return (i, edge.source, edge.target, edge.kind._value_, relation, edge.annotation,
            edge.line, edge.written)


def edge_records(rows: Iterable[EdgeRow]) -> list[tuple[int, Edge]]:
    """The records of ``rows``, each with its place in ``Wiki.edges``."""
    from kg.model import Edge, EdgeKind
    from kg.relations import BY_NAME

    kinds = {kind.value: kind for kind in EdgeKind}
    return [(i, Edge(source, target, kinds[kind], BY_NAME[relation] if relation else None,
                     annotation, line, written))
            for i, source, target, kind, relation, annotation, line, written in rows]


def labels_of(wiki: Wiki) -> dict[NoteId, tuple[str, bool]]:
    """Every node's label (a note's title, a placeholder's text), and whether it is a note."""
    labels = {nid: (ph.label, False) for nid, ph in wiki.placeholders.items()}
    labels.update((nid, (note.title, True)) for nid, note in wiki.notes.items())
    return labels


# -- writing ----------------------------------------------------------------------------------


class BlobArea(NamedTuple):
    """The records' bytes as laid out: ``view`` reads them; they are in memory, or in
    ``file``, a temporary file mapped into memory (:func:`layout`)."""

    view: bytes | memoryview
    crc: int
    file: IO[bytes] | None = None

    def write_into(self, f: IO[bytes]) -> None:
        if self.file is None:
            f.write(self.view)
        else:  # through the file, not the map: the pages are not mapped into this process
            import shutil  # here: a query imports this module, and shutil costs it 5 ms

            self.file.seek(0)
            shutil.copyfileobj(self.file, f, 1 << 20)


def layout(wiki: Wiki, pickle_note: Callable[[Note], bytes | memoryview] = dumps,
           folder: Path | None = None) -> tuple[Index, BlobArea]:
    """The index and the blob area of ``wiki``; each note's record is ``pickle_note(note)``
    (a rebuild passes the bytes it read an unchanged note from, rather than pickle it again).

    The blob area goes into a temporary file in ``folder`` (else the system's), mapped
    into memory: at 10,000 notes it is 130 MB, which a build's process held as bytes
    while it wrote the cache, and ``kg serve`` between builds. Where no temporary file
    can be made or written (a full disk), it is bytes.
    """
    out = scratch_file("kg-blobs-", folder)
    try:
        index, crc = _lay_out(wiki, pickle_note, out)
        return index, _blob_area(out, crc)
    except OSError:  # the disk filled up, or its file system maps no file
        out.close()
        if isinstance(out, io.BytesIO):
            raise
    except BaseException:
        out.close()
        raise
    memory = io.BytesIO()
    index, crc = _lay_out(wiki, pickle_note, memory)
    return index, BlobArea(memory.getvalue(), crc)


def _lay_out(wiki: Wiki, pickle_note: Callable[[Note], bytes | memoryview],
             out: IO[bytes]) -> tuple[Index, int]:
    """:func:`layout` into ``out``: the index, and the checksum of all that was written."""
    from kg.resolve import resolver_of

    crc = 0

    def put(value: Any, pickled: Callable[[Any], bytes | memoryview] = dumps) -> Span:
        nonlocal crc
        data = pickled(value)
        start = out.tell()
        out.write(data)
        crc = zlib.crc32(data, crc)
        return start, len(data), zlib.crc32(data)

    outgoing: dict[NoteId, list[EdgeRow]] = {}
    incoming: dict[NoteId, list[EdgeRow]] = {}
    for i, edge in enumerate(wiki.edges):
        row = edge_row(i, edge)
        outgoing.setdefault(edge.source, []).append(row)
        if edge.target != edge.source:
            incoming.setdefault(edge.target, []).append(row)
    spans: dict[NoteId, NoteSpans] = {}
    for nid in sorted({*wiki.notes, *outgoing, *incoming}):
        note = wiki.notes.get(nid)
        spans[nid] = (
            put(note, pickle_note) if note is not None else None,
            put(tuple(outgoing[nid]), dumps_plain) if nid in outgoing else None,
            put(tuple(incoming[nid]), dumps_plain) if nid in incoming else None,
        )
    resolver = resolver_of(wiki)
    names = flat_names(resolver)
    buckets = 1 << max(0, (len(names) // 128).bit_length())

    def put_table(mapping: Mapping[Any, Any]) -> tuple[Span, ...]:
        parts: list[dict[str, Any]] = [{} for _ in range(buckets)]
        for key, value in mapping.items():
            parts[bucket(key, buckets)][key] = value
        return tuple(put(part, dumps_plain) for part in parts)

    index = Index(
        buckets=buckets,
        names=put_table(names),
        spans=put_table(spans),
        placeholders=put({nid: (ph.label, ph.referenced_by)
                          for nid, ph in wiki.placeholders.items()}, dumps_plain),
        resolver=put(resolver),
        labels=put(labels_of(wiki), dumps_plain),
        questions=put(wiki.questions),
        warnings=put(wiki.warnings),
    )
    return index, crc


def _blob_area(out: IO[bytes], crc: int) -> BlobArea:
    if isinstance(out, io.BytesIO):
        return BlobArea(out.getvalue(), crc)
    out.flush()
    if out.tell() == 0:  # nothing to map
        out.close()
        return BlobArea(b"", crc)
    return BlobArea(memoryview(mmap.mmap(out.fileno(), 0, access=mmap.ACCESS_READ)), crc, out)


def scratch_file(prefix: str, folder: Path | None = None) -> IO[bytes]:
    """A temporary file for work too large to hold in memory, in ``folder`` (made if
    missing) else the system's temporary folder (which may itself be memory), else, where
    neither takes a file, in memory. Gone once closed."""
    import tempfile

    for where in (folder, None):
        with contextlib.suppress(OSError):
            if where is not None:
                where.mkdir(parents=True, exist_ok=True)
            return tempfile.TemporaryFile(prefix=prefix, dir=where)
    return io.BytesIO()


def write_file(f: IO[bytes], header: Header, stats: dict[str, Stat],
               digests: dict[str, str], index: Index, blobs: BlobArea) -> None:
    parts = [pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL),
             pickle.dumps(digests, protocol=pickle.HIGHEST_PROTOCOL), dumps(index)]
    starts = [0, *itertools.accumulate(len(part) for part in parts)]
    stats_at, hashes_at, index_at = (
        (start, len(part), zlib.crc32(part)) for start, part in zip(starts, parts, strict=False))
    blobs_at = (starts[-1], len(blobs.view), blobs.crc)
    header = header._replace(sections=(stats_at, hashes_at, index_at, blobs_at))
    flat = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
    flat.fast = True  # no memo: the same bytes whichever strings the findings share
    flat.dump(header)
    for part in parts:
        f.write(part)
    blobs.write_into(f)


def write_quietly(write: Callable[[IO[bytes]], object], path: Path) -> None:
    """Write ``path`` atomically; a cache that cannot be written is only a slower next query."""
    with contextlib.suppress(OSError):
        write_atomic(path, write)


def dump_paired(path: Path, fmt: int, marker: list[int], *values: Any) -> None:
    """``values`` at ``path``, for the build whose site marker is ``marker`` (the build trace,
    the export states beside its manifest); a failure only costs the next build its speed."""
    write_quietly(lambda f: pickle.dump((fmt, marker, *values), f,
                                        protocol=pickle.HIGHEST_PROTOCOL), path)


def load_paired(path: Path, fmt: int, marker: list[int]) -> tuple[Any, ...] | None:
    """The values :func:`dump_paired` wrote at ``path`` in format ``fmt`` for the build of
    ``marker``; None if missing, damaged, or of another format or build. Read through the
    allowlisting unpickler: a file planted there runs nothing."""
    with contextlib.suppress(Exception), open(path, "rb") as f:
        found = safe_load(f)
        if isinstance(found, tuple) and found[:2] == (fmt, marker):
            return found[2:]
    return None


def copy_range(src: int, dst: int, start: int, stop: int) -> int:
    """Bytes ``start:stop`` of the file ``src`` appended to ``dst``, by the kernel where it
    can (``copy_file_range``: no copy through Python, the GIL let go, nothing at all on a
    file system that shares blocks), else read and written; how many were, fewer only if
    ``src`` ended first."""
    import errno

    copied = start
    while copied < stop:
        try:
            done = os.copy_file_range(src, dst, stop - copied, copied)
        except (AttributeError, OSError) as err:
            if isinstance(err, OSError) and err.errno not in (
                    errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF):
                raise
            done = 0
        if done <= 0:  # not here (another file system, an old kernel): read and write
            chunk = os.pread(src, min(stop - copied, 1 << 20), copied)
            if not chunk:
                break
            done = os.write(dst, chunk)
        copied += done
    return copied - start


def copy_whole(source: Path, dst: int) -> None:
    """The file ``source`` appended to the file ``dst`` (:func:`copy_range`); one cut short
    while it is copied is an ``OSError``."""
    with open(source, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        if copy_range(src.fileno(), dst, 0, size) < size:
            raise OSError(f"{source} was cut short while it was copied")


def write_atomic(path: Path, write: Callable[[IO[bytes]], object], *,
                 private: bool = True) -> None:
    """Write a file whole or not at all: a temporary file beside it, then ``os.replace``.
    ``private`` (a cache) leaves it readable by its owner only; otherwise (a file the user
    asked for) it gets the mode of the file it replaces, or of any new file (the umask's)."""
    import tempfile

    if private:  # kg's own: its folder made; a file the user named goes where a shell's >
        path.parent.mkdir(parents=True, exist_ok=True)  # would put it, or nowhere
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if not private:
            try:
                mode = os.stat(path).st_mode & 0o7777
            except OSError:
                mode = 0o666 & ~_umask()
            os.chmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise




def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask
