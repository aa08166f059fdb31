"""Incremental builds: a page of the site is made again only when what it is made from changed.

Every output of a build is a :class:`Page`: its path, a *key* (a hash of everything the page
is made from: the values its template receives, the templates, the settings, the code) and a
function that makes its bytes. The keys of the last build into a folder are kept beside the
graph cache (:class:`Manifest`). A page whose key is unchanged is not rendered again but
hard-linked from the previous site into the new one; the new site is still assembled in a
staging folder and swapped in whole (:class:`kg.build.staging`). So an edit renders the pages
it touches, and the site is byte for byte the one a full build writes (tests compare the two
trees after edits, additions and deletions).

A key is computed from the values the template will receive, not from a list of dependencies
someone must keep up to date: a note's page hashes its own record, its connection view (the
neighbours' titles, tiers, annotations), its local graph, its questions with their status and
where each of its ``[[wikilinks]]`` leads (:meth:`kg.site.Site.note`). A note record is
hashed as its id, its file's path and its content hash, which determine it.

When nothing changed at all (the same note files by stat, templates, settings and code as the
last build into the folder), the build stops before reading a note: :func:`sources_stamp`.

Pages are made in a pool of worker processes (forked, so they share the records the parent
gathered) when there are enough of them to pay; each worker writes its pages straight into
the staging folder and reports only paths and keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import json
import marshal
import operator
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.cachefile import Stat, blake2b, library_stamp
from kg.config import Config
from kg.memo import between_builds, filled
from kg.workers import can_fork, release_memory, worker_started

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

FORMAT = 1
SITE_MARKER = ".kg-site"
"""The file every build writes into the site folder: only a folder holding it is replaced.
It lists every file of the build (:func:`write_marker`)."""
MARKER_TEXT = ("written by kg build, which replaces this folder whole on every build;\n"
               "while this file is here (and only then) kg may replace the folder\n")
_FILES = "files of this build:\n"
PARALLEL_MIN = 400
"""Below this many pages a build stays in one process: forking costs more than it saves."""


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """A file of the site before it is made: its path, the key of its inputs, its maker.

    ``write``, if given, writes the file itself (the graph exports, streamed to disk rather
    than held in memory whole); ``make`` is then what tests and small sites call.
    """

    path: str
    key: str
    make: Callable[[], bytes]
    write: Callable[[Path], None] | None = None
    reads: Any = None
    """For a note's or placeholder's page, what it was made from (:class:`kg.depends.Reads`),
    so that the next build can tell without keying it again whether it changed."""
    settled: Callable[[], bool] | None = None
    """Asked once the page is made: False when what it shows may differ next time from the
    same inputs (a saved query stopped for time). Such a page is recorded under
    :data:`UNSETTLED`, so the next build makes it again."""


UNSETTLED = ""
"""The key a page is recorded under when it is not :attr:`Page.settled`: no key equals it."""


Task = Callable[[], Iterable[Page]]
"""A group of pages made together (a note's page; the graph exports, which share one parse)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Alone:
    """A task made by the build's own process once its workers have exited, after every
    other task: one that imports libraries a process then holds to its end (the global
    graph's layout: numpy, networkx and pyvis, 50 MB), which would otherwise be held
    beside everything the workers hold, at the build's peak of memory."""

    task: Task

    def __call__(self) -> Iterable[Page]:
        return self.task()


@dataclasses.dataclass(frozen=True, slots=True)
class KeptPages:
    """Pages the last build made that this one keeps as they are (an edit keeps all but a
    few of the note pages): the ``path``, ``key`` and ``reads`` of each, and ``page``, what
    makes the page of the one at an index, should it be made after all (its file removed
    by hand). The emitter takes them without a :class:`Page` made for each (10,000 in
    each edit of ``kg serve``)."""

    paths: Sequence[str]
    keys: Sequence[str]
    reads: Any
    page: Callable[[int], Page]

    def __call__(self) -> Iterable[Page]:  # as any task: every page
        return map(self.page, range(len(self.paths)))


# -- keys ------------------------------------------------------------------------------------


def _ref(*what: object) -> None:
    """Stands in a key for a record hashed by reference (a note by its content hash)."""


_REDUCERS: dict[type, Callable[[Any], Any]] = {}


class NoteList(tuple[Any, ...]):
    """Notes a page lists, as a tuple (what its template reads), that a key hashes at once:
    the hashes of what the page shows of each (one per record, kept: :meth:`_KeyPickler.
    _fields_key`) joined, rather than each note pickled on its own (4x the time: a build keys
    50,000 listed notes at 10,000 notes, on every edit)."""

    __slots__ = ()


UNSHOWN = frozenset({"line"})
"""Fields no page shows: the source line of a connection, mention or question (the theme
never prints it; lists keep their order in the key). An edit that shifts lines re-renders
the note's own page, not every page that shows one of its links. (With templates of the
wiki's own every page depends on every note's content anyway.)"""


def _reducer(cls: type) -> Callable[[Any], Any]:
    """How a key pickles a record: a dataclass as its class and its fields' values, read in
    one C call (pickle's own way calls Python for each field); anything else as pickle does."""
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls) if f.name not in UNSHOWN]
        get = operator.attrgetter(*names)
        if len(names) == 1:
            return lambda obj: (cls, (get(obj),))
        return lambda obj: (cls, get(obj))
    return lambda obj: NotImplemented


class _KeyPickler(pickle.Pickler):
    """Pickles a page's inputs for hashing.

    A note stands for itself by its id, its file's path and its content hash (its record is
    made from nothing else; the id, from other files too: ``C++.md`` beside a ``C.md`` is
    ``c-3ce177``, and a README beside another is named by its folder), or, for a page that
    lists notes, by the fields the page shows of each
    (``note_fields``), so that an edit elsewhere in a note leaves the list alone. The wiki
    object, which templates receive whole, stands for nothing: a page's key names what it
    shows of it.
    """

    def __init__(self, file: io.BytesIO, note_fields: tuple[str, ...] | None) -> None:
        super().__init__(file, protocol=5)
        self.fast = True  # no memo: the bytes depend on values, not on object identity
        self.shown = note_fields
        self.note_fields = operator.attrgetter(*note_fields) if note_fields else None

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        name = cls.__name__
        if name == "Note":
            if self.shown is not None:
                return _ref, ("note", self._fields_key(obj, self.shown))
            return _ref, ("note", obj.id, obj.path, obj.digest)
        if name == "Wiki":
            return _ref, ("wiki",)
        if cls is NoteList and self.shown is not None:
            return _ref, ("notes", self._list_key(obj, self.shown))
        reduce = _REDUCERS.get(cls)
        if reduce is None:
            reduce = _REDUCERS[cls] = _reducer(cls)
        return reduce(obj)

    def _list_key(self, notes: NoteList, shown: tuple[str, ...]) -> bytes:
        """The hash of what a list shows of ``notes``: their :meth:`_fields_key` joined, those
        kept looked up in C (a build keys 70,000 listed notes at 10,000 notes); the last
        build's for the very same list (:func:`note_list`)."""
        known = _LIST_KEYS.get((id(notes), shown))
        if known is not None and known[0] is notes:
            return known[1]
        table = _FIELD_KEYS.get(shown)
        kept: list[bytes | None] = (list(map(table.get, map(id, notes))) if table is not None
                                    else [None] * len(notes))
        fields_key = self._fields_key
        filled(kept, notes, lambda note: fields_key(note, shown))
        digest = blake2b(b"".join(kept), digest_size=16).digest()  # type: ignore[arg-type]
        if between_builds():
            _LIST_KEYS[id(notes), shown] = notes, digest
        return digest

    def _fields_key(self, note: Any, shown: tuple[str, ...]) -> bytes:
        """The hash of what a list shows of ``note``, made once per record and field set:
        a note is listed on many pages (timeline, its tier's, its tags'), and ``kg serve``'s
        next build lists the same records again."""
        table = _FIELD_KEYS.get(shown)
        if table is None:
            table = _FIELD_KEYS[shown] = {}
        found = table.get(id(note))
        if found is not None:
            return found
        digest = _STORED.get((note.id, note.path, note.digest, shown)) if note.digest else None
        if digest is None:
            assert self.note_fields is not None
            digest = blake2b(_plain_bytes(self.note_fields(note)), digest_size=16).digest()
        table[id(note)] = digest
        _HELD[id(note)] = note
        return digest


def _plain_bytes(values: tuple[Any, ...]) -> bytes:
    """``values`` as bytes that differ when they do, and only then: marshalled where they
    are plain (text, numbers, tuples of text; a date as its ordinal), in version 2, which
    writes no back-references (version 4's bytes depend on which strings other objects share),
    else pickled as :func:`key_of` does. Not for threads: one buffer serves every call."""
    plain = tuple(("date", v.toordinal()) if type(v) is _DATE else v for v in values)
    try:
        return b"m" + marshal.dumps(plain, 2)
    except ValueError:  # records (a note's questions, its angles)
        _PICKLED.seek(0)
        _PICKLED.truncate()
        _FIELD_PICKLER.dump(values)
        return b"p" + _PICKLED.getvalue()


_DATE = dt.date
_PICKLED = io.BytesIO()
_FIELD_PICKLER = _KeyPickler(_PICKLED, None)
"""One pickler for every note's fields (making one costs more than pickling them)."""

_FIELD_KEYS: dict[tuple[str, ...], dict[int, bytes]] = {}
"""What lists show of each note record, hashed (:meth:`_KeyPickler._fields_key`): by the
fields shown, then by the record's identity (held in :data:`_HELD`, so that no other object
has its ``id``; frozen, so its fields stay what was hashed)."""
_HELD: dict[int, Any] = {}
"""The records :data:`_FIELD_KEYS` holds hashes of, by ``id``."""


_STORED: dict[tuple[str, str, str, tuple[str, ...]], bytes] = {}
"""The hashes the last build made, read from the cache: by a record's id, path and file's
content hash, which make the record (with kg's code, which the file is of), so that a new
process hashes only the notes that changed (40,000 hashes, 0.5 s at 10,000 notes)."""
FIELD_KEYS_FORMAT = 1
_LOADED: set[Path] = set()
"""The files :func:`load_field_keys` read (or found none at, or of other code) already."""


def load_field_keys(path: Path) -> None:
    """Read the hashes :func:`save_field_keys` wrote at ``path``, if they are this code's;
    once a process (``kg serve``'s next builds hold the records' hashes themselves)."""
    if path in _LOADED:
        return
    _LOADED.add(path)
    from kg.cachefile import safe_load

    with contextlib.suppress(Exception), open(path, "rb") as f:
        found = safe_load(f)
        if (isinstance(found, tuple) and len(found) == 3
                and found[:2] == (FIELD_KEYS_FORMAT, code_stamp())
                and isinstance(found[2], dict)):
            _STORED.update(found[2])


def save_field_keys(path: Path, notes: Iterable[Any]) -> None:
    """Write the hashes of what lists show of ``notes`` (the wiki just built): those made
    in this process, and those read that are still of a current record (a worker's are not
    sent back; they are made again, once, for a changed note)."""
    from kg.cachefile import write_quietly

    current = {(n.id, n.path, n.digest) for n in notes if n.digest}
    found = {key: digest for key, digest in _STORED.items() if key[:3] in current}
    for shown, table in _FIELD_KEYS.items():
        for held, digest in table.items():
            note = _HELD[held]
            if (note.id, note.path, note.digest) in current:
                found[note.id, note.path, note.digest, shown] = digest
    write_quietly(lambda f: pickle.dump((FIELD_KEYS_FORMAT, code_stamp(), found), f,
                                        protocol=pickle.HIGHEST_PROTOCOL), path)


def forget_field_keys(keep: Iterable[Any]) -> None:
    """Drop the hashes of records other than ``keep`` (the wiki just built), and of lists
    this build did not list: what an edit replaced is not held on to for the life of
    ``kg serve``."""
    live = {id(note) for note in keep}
    for held in _HELD.keys() - live:
        del _HELD[held]
        for table in _FIELD_KEYS.values():
            table.pop(held, None)
    used = _LISTS_USED
    for source in [source for source, (_, listed) in _NOTE_LISTS.items() if id(listed) not in used]:
        del _NOTE_LISTS[source]
    for known in [known for known, (listed, _) in _LIST_KEYS.items() if id(listed) not in used]:
        del _LIST_KEYS[known]
    used.clear()


def note_list(notes: list[Any]) -> NoteList:
    """``NoteList(notes)``: while this process builds again (``kg serve``), the very same one
    as the last build's for the very same list, whose key is then the last one's. Only for
    lists never changed once made (:mod:`kg.views` keeps a tag's, a tier's and a month's
    while their notes are the same records, and makes a new list otherwise): 100 tag pages
    of 1,000 notes each are not keyed again on every edit."""
    if not between_builds():
        return NoteList(notes)
    known = _NOTE_LISTS.get(id(notes))
    if known is None or known[0] is not notes:
        known = _NOTE_LISTS[id(notes)] = notes, NoteList(notes)
    _LISTS_USED.add(id(known[1]))
    return known[1]


_NOTE_LISTS: dict[int, tuple[list[Any], NoteList]] = {}
"""Each list :func:`note_list` was given, by ``id``, with its :class:`NoteList`."""
_LIST_KEYS: dict[tuple[int, tuple[str, ...]], tuple[NoteList, bytes]] = {}
"""The key of each list listed since the last build, by its ``id`` and the fields shown."""
_LISTS_USED: set[int] = set()
"""The lists :func:`note_list` gave in this build (the others' keys are dropped at its end)."""


def key_of(*parts: object, note_fields: tuple[str, ...] | None = None) -> str:
    """A stable hash of ``parts`` (records, tuples, dicts, dates…), equal across processes.

    Pickled without a memo, so equal values give equal bytes whether or not they share
    objects; dict order is kept, so callers pass dicts built in a set order.
    """
    buffer = io.BytesIO()
    _KeyPickler(buffer, note_fields).dump(parts)
    return blake2b(buffer.getbuffer(), digest_size=16).hexdigest()


def data_key(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown_it", "mdit_py_plugins", "linkify_it",
                       "nh3", "pyoxigraph", "networkx", "numpy", "pyvis", "anyascii")
"""Libraries whose version changes the bytes of pages (numpy's presence decides the graph
layout): found, not imported, for the code stamp."""


@functools.cache
def code_stamp() -> str:
    """Changes whenever kg's code does (any module, any version), or a library that renders
    pages is upgraded: pages made by other code are made again. Taken once a process: the
    code it runs is the code it imported (``kg serve`` running while kg is upgraded goes on
    making pages with the old code, which the old stamp says), and 50 stats of each build
    are 10 ms of a ``kg serve`` edit's."""

    import kg

    package = Path(kg.__file__).parent
    h = blake2b(f"{FORMAT}|{kg.__version__}|{sys.version}".encode(), digest_size=16)
    for path in sorted(package.glob("*.py")):
        st = path.stat()
        h.update(f"|{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for name in RENDERING_LIBRARIES:
        h.update(f"|{name}:{library_stamp(name)}".encode())
    return h.hexdigest()


def files_stamp(folders: Iterable[Path], pattern: str = "**/*"
                ) -> list[tuple[str, int, int, int, int]]:
    """(path, size, mtime, ctime, inode) of every file under ``folders`` (or, with no
    ``pattern``, of ``folders`` themselves, if files): templates, saved queries,
    attachments. The change time moves on every write and cannot be set back (``cp -p`` and
    ``rsync -t`` keep the size and mtime)."""
    found: list[tuple[str, int, int, int, int]] = []
    for folder in folders:
        if pattern and not folder.is_dir():
            continue
        for path in sorted(folder.glob(pattern)) if pattern else [folder]:
            with contextlib.suppress(OSError):
                st = path.stat()
                if path.is_file():
                    found.append((str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                  st.st_ino))
    return found


def folder_stamp(wiki: Path) -> list[tuple[str, int, int, int, int]]:
    """(path, 0, mtime, ctime, inode) of every folder of the wiki a build reads: a file
    added to or removed from a folder moves its times."""
    from kg.discover import walk_folders

    found: list[tuple[str, int, int, int, int]] = []
    for top, _files in walk_folders(wiki):
        with contextlib.suppress(OSError):
            st = os.stat(top)
            found.append((top, 0, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return found


@dataclasses.dataclass(frozen=True, slots=True)
class Sources:
    """What a build reads, by stat (:func:`sources_stamp`)."""

    stamp: str
    trusted: bool
    """False when a file changed within the last seconds: it could change again without its
    stat moving."""
    notes: tuple[int, dict[str, Stat]]
    """When the note files were listed (ns) and each one's stat (:func:`kg.cachefile.scan`):
    what the graph cache compares with, so that a build lists the wiki once."""


def sources_stamp(config: Config, options: dict[str, Any], template_dirs: Sequence[Path],
                  pages: Iterable[str] = ()) -> Sources:
    """A hash of everything a build reads, by stat, and whether it can be trusted.
    ``pages`` are the last build's: the attachments among them are read from the wiki too."""
    import time

    from kg.cachefile import plain_digest, racy, scan
    from kg.ids import ATTACHMENTS as FOLDER  # not kg.attachments: a no-change build is quick

    started = time.time_ns()
    notes = scan(config.wiki)
    attached = [config.wiki / p.removeprefix(f"{FOLDER}/") for p in pages
                if p.startswith(f"{FOLDER}/")]
    extra = (files_stamp([config.wiki / "queries"], "*.rq") + files_stamp(template_dirs)
             + files_stamp([config.root / "static"]) + files_stamp(sorted(attached), ""))
    if attached:  # a file added anywhere may be the one a note's link now finds
        extra += folder_stamp(config.wiki)
    # plain values only: hashed through marshal, a tenth of the time of key_of's pickler;
    # the notes in the order the folders list them (the same folders list the same files in
    # the same order; any other order only costs a build that finds nothing to do)
    # label_first is found, not set, when kg.toml leaves it out: a dendron.yml come or gone
    stamp = plain_digest((code_stamp(), repr(config), config.label_first, sorted(options.items()),
                          os.environ.get("SOURCE_DATE_EPOCH"), notes, extra)).hex()
    recent = racy({**notes, **{p: (s, m, c) for p, s, m, c, _ in extra}}, started)
    return Sources(stamp, not recent, (started, notes))


# -- the manifest of the last build ------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Manifest:
    """What the last build into a folder wrote: each page's key, and its summary.

    ``marker`` is the stat of the site's marker file, which every build writes anew: a
    manifest describes the site in the folder only while that file is the one it saw.
    """

    marker: list[int]
    stamp: str | None
    pages: dict[str, str]
    summary: dict[str, Any] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    """The mtime of each folder of the site: a page removed by hand moves its folder's."""
    wiki: str = ""
    """The wiki folder the site was built from (kept beside the cache, never in the site)."""


def manifest_path(config: Config) -> Path:
    out = str(config.out.resolve())
    key = blake2b(os.fsencode(out), digest_size=6).hexdigest()  # any path's bytes
    return config.root / ".kg" / "cache" / f"site-{key}.json"


def marker_stat(marker: Path) -> list[int]:
    """The identity of one build's marker file (a new file each build)."""
    try:
        st = marker.stat()
    except OSError:
        return []
    return [st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size]


def read_manifest(config: Config, marker: Path) -> Manifest | None:
    """The manifest of the site now in ``config.out``; None when there is none, it is damaged,
    or it describes another build than the one in the folder."""
    try:
        data = json.loads(manifest_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # JSON nested past the stack: planted
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    seen = marker_stat(marker)
    if not seen or data.get("marker") != seen:
        return None
    pages, stamp = data.get("pages"), data.get("stamp")
    if not isinstance(pages, dict) or not all(isinstance(v, str) for v in pages.values()):
        return None
    summary, folders, wiki = data.get("summary"), data.get("folders"), data.get("wiki")
    return Manifest(seen, stamp if isinstance(stamp, str) else None, pages,
                    summary if isinstance(summary, dict) else {},
                    folders if isinstance(folders, dict) else {},
                    wiki if isinstance(wiki, str) else "")


def folder_times(out: Path, pages: Iterable[str]) -> dict[str, int]:
    """The mtime of every folder holding a page of the site (its root included); -1 (no
    time a folder has) for one changed so recently that a change made now could leave its
    mtime as it is: a file system stamps a change with the clock's last tick (every few
    milliseconds), not with the moment it was made."""
    now = _tick_now()
    times: dict[str, int] = {}
    for folder in sorted({p.rpartition("/")[0] for p in pages} | {""}):
        with contextlib.suppress(OSError):
            mtime = (out / folder).stat().st_mtime_ns
            times[folder] = mtime if mtime < now else -1
    return times


def _tick_now() -> int:
    """The time a file changed now would be stamped with, at the latest (Linux stamps
    changes with the coarse clock's time)."""
    coarse = getattr(time, "CLOCK_REALTIME_COARSE", None)
    return time.clock_gettime_ns(coarse) if coarse is not None else time.time_ns()


def write_marker(folder: Path, files: Iterable[str], name: str = SITE_MARKER) -> None:
    """The site's marker, listing every file the build wrote: what a later build may
    replace without losing anything (the manifest beside the cache may be gone)."""
    (folder / name).write_text(MARKER_TEXT + _FILES + "".join(
        f"{path}\n" for path in sorted(files)), encoding="utf-8")


def is_site(out: Path) -> bool:
    """Whether ``out`` holds a site kg built: its marker is a file that kg wrote (a
    ``.kg-site`` of anyone else's, or a folder of that name, does not make it one)."""
    marker = out / SITE_MARKER
    try:
        if marker.is_symlink() or not marker.is_file():
            return False
        with open(marker, "rb") as f:
            return f.read(len(MARKER_TEXT.encode())) == MARKER_TEXT.encode()
    except OSError:
        return False


def marker_files(out: Path) -> set[str] | None:
    """The files the build of the site at ``out`` wrote, as its marker lists them; None
    when it lists none (a site of an older kg)."""
    try:
        text = (out / SITE_MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    _, found, listed = text.partition(_FILES)
    return set(listed.splitlines()) if found else None


OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""Files a file manager leaves in any folder it shows: nobody's work, never worth keeping."""


def foreign_files(out: Path, written: set[str]) -> list[str]:
    """The files (and symlinks) in the site at ``out`` that its build did not write
    (``written``): a ``CNAME`` or a ``.git`` folder put there by hand, by path in the site."""
    found: list[str] = []
    for folder, dirs, files in os.walk(out):
        rel = os.path.relpath(folder, out)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for name in [*files, *links]:
            path = prefix + name
            if path not in written and path != SITE_MARKER and name not in OS_LITTER:
                found.append(path)
    return sorted(found)


def site_untouched(out: Path, manifest: Manifest) -> bool:
    """Whether no file of the site was removed or added by hand since the manifest's build
    (which moves the mtime of its folder); a page edited in place is not looked for."""
    return bool(manifest.folders) and (
        len(untouched_folders(out, manifest)) == len(manifest.folders))


def write_manifest(config: Config, manifest: Manifest) -> None:
    """Written after the site is swapped in; a failure only costs the next build its speed."""
    path = manifest_path(config)
    data = {"format": FORMAT, "marker": manifest.marker, "stamp": manifest.stamp,
            "summary": manifest.summary, "folders": manifest.folders, "wiki": manifest.wiki,
            "pages": dict(sorted(manifest.pages.items()))}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        # escaped: a wiki's path may hold a byte that is not UTF-8 (a surrogate here)
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="ascii")
        os.replace(tmp, path)


# -- making the pages --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Previous:
    """The site being replaced, and the keys its pages were made from."""

    out: Path
    keys: dict[str, str]
    untouched: frozenset[str] = frozenset()
    """The folders of the site where no file was removed or added since (their mtime the
    manifest's): a kept page there is there, without a ``stat`` of its own."""


def untouched_folders(out: Path, manifest: Manifest) -> frozenset[str]:
    """The folders of ``manifest``'s site in ``out`` whose mtime is the one it recorded: no
    file of theirs was removed (or added) since, by hand or otherwise."""
    found = []
    for folder, mtime in manifest.folders.items():
        with contextlib.suppress(OSError):
            if os.stat(out / folder).st_mtime_ns == mtime:
                found.append(folder)
    return frozenset(found)


@dataclasses.dataclass(frozen=True, slots=True)
class Made:
    path: str
    key: str
    rendered: bool
    reads: Any = None


def write_page(target: Path, data: bytes) -> None:
    """Write one new file of the staging folder (a seam for the tests of failed builds)."""
    target.write_bytes(data)


class Emitter:
    """Puts the pages made into the staging folder; a page whose key is unchanged is kept
    where it is, in the previous site (:meth:`kg.build.staging.settle` then either moves the
    pages made into that site or links the kept ones beside them)."""

    def __init__(self, tmp: Path, previous: Previous | None,
                 done: Callable[[], None] | None = None) -> None:
        self.tmp = tmp
        self.previous = previous
        self.done = done
        """Told when a task has made its pages (a site drops what it kept for them)."""
        self._folders: set[str] = set()
        # paths joined as text: a kept page costs a stat, and Path objects cost as much again
        self._tmp = f"{tmp}/"
        self._out = f"{previous.out}/" if previous is not None else ""

    def emit(self, page: Page) -> Made:
        return self._kept(page) or self._make(page)

    def run(self, task: Task) -> list[Made]:
        if isinstance(task, KeptPages) and self.previous is not None:
            return self._run_kept(task, self.previous)
        made: list[Made] = []
        # a page may read the task's earlier pages in the staging folder (the Turtle is made
        # from the N-Triples beside it): the kept ones are linked there before one is made
        unlinked: list[str] = []
        for page in task():
            kept = self._kept(page)
            if kept is not None:
                unlinked.append(page.path)
                made.append(kept)
                continue
            for path in unlinked:
                self.link(path)
            unlinked.clear()
            made.append(self._make(page))
        return self._done(made)

    def _run_kept(self, task: KeptPages, previous: Previous) -> list[Made]:
        """:meth:`run` of pages that :meth:`_kept` keeps unless removed, in one loop."""
        keys, untouched, out, reads = previous.keys, previous.untouched, self._out, task.reads
        made: list[Made] = []
        for n, (path, key) in enumerate(zip(task.paths, task.keys, strict=True)):
            if keys.get(path) == key and (path.rpartition("/")[0] in untouched
                                          or os.path.exists(out + path)):
                made.append(Made(path, key, False, reads))
            else:
                made.append(self.emit(task.page(n)))
        return self._done(made)

    def _done(self, made: list[Made]) -> list[Made]:
        """A task's ``made``, once what it made (garbage now) is let go."""
        if any(m.rendered for m in made):
            if self.done is not None:
                self.done()
            release_memory()
        return made

    def link(self, path: str) -> None:
        """Put the previous site's page ``path`` into the staging folder: a hard link, or a
        copy where there are none (another file system, FAT)."""
        self._folder(path)
        source, target = self._out + path, self._tmp + path
        try:
            os.link(source, target)
        except FileExistsError:  # linked already, as a page its task made read it
            pass
        except FileNotFoundError:
            raise
        except OSError:  # no hard links here
            import shutil

            shutil.copyfile(source, target)

    def _kept(self, page: Page) -> Made | None:
        """The page as the previous site has it, when its key is unchanged and it is there."""
        previous = self.previous
        if previous is None or previous.keys.get(page.path) != page.key:
            return None
        if page.path.rpartition("/")[0] not in previous.untouched:
            try:
                os.stat(self._out + page.path)
            except OSError:  # removed by hand since: made again
                return None
        return Made(page.path, page.key, False, page.reads)

    def _make(self, page: Page) -> Made:
        self._folder(page.path)
        target = self.tmp / page.path
        if page.write is not None:
            page.write(target)
        else:
            write_page(target, page.make())
        settled = page.settled is None or page.settled()
        return Made(page.path, page.key if settled else UNSETTLED, True, page.reads)

    def _folder(self, path: str) -> None:
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            (self.tmp / folder).mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)


_STATE: tuple[Sequence[Task], Emitter] | None = None


def _run_task(index: int) -> list[Made]:
    assert _STATE is not None
    tasks, emitter = _STATE
    return emitter.run(tasks[index])


def emit_all(tasks: Sequence[Task], emitter: Emitter, jobs: int, pages: int) -> Iterator[Made]:
    """Run every task, in ``jobs`` processes when ``jobs`` > 1 and ``pages`` make it pay:
    this one and ``jobs - 1`` forked workers. The :class:`Alone` tasks come last, made by
    this process after the workers have exited."""
    alone: list[Task] = [task for task in tasks if isinstance(task, Alone)]
    tasks = [task for task in tasks if not isinstance(task, Alone)]
    if jobs <= 1 or pages < PARALLEL_MIN or not can_fork():
        for task in [*tasks, *alone]:
            yield from emitter.run(task)
        return
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _STATE
    _STATE = (tasks, emitter)
    # the records the parent gathered are shared with the workers page by page; frozen, the
    # workers' garbage collector does not write to every one of them (and so copy it)
    frozen_before = gc.get_freeze_count() > 0  # by the build, until it ends
    gc.freeze()
    try:
        # an executor, not a Pool: a worker killed outright (out of memory) fails the build
        # (BrokenProcessPool) instead of leaving it waiting forever
        with ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("fork"),
                                 initializer=worker_started, initargs=(os.getpid(),)) as pool:
            yield from _shared(tasks, emitter, pool, jobs - 1)
        for task in alone:
            yield from emitter.run(task)
    finally:
        if not frozen_before:
            gc.unfreeze()
        _STATE = None


def _received(made: Made) -> Made:
    """A page a worker made, its reads sharing this process's strings (see
    :meth:`kg.depends.Reads.interned`)."""
    from kg.depends import Reads

    if isinstance(made.reads, Reads):
        return dataclasses.replace(made, reads=made.reads.interned())
    return made


def _shared(tasks: Sequence[Task], emitter: Emitter, pool: ProcessPoolExecutor,
            workers: int) -> Iterator[Made]:
    """The tasks' pages in the tasks' order, made by the workers and by this process: each
    worker has one task running and one waiting, and this process makes the next task
    whenever they have. A worker would cost as much memory as this process holds; here this
    process works instead of waiting for them."""
    from concurrent.futures import FIRST_COMPLETED, Future, wait

    results: dict[int, list[Made]] = {}
    pending: dict[Future[list[Made]], int] = {}
    handed = shown = 0
    try:
        while shown < len(tasks):
            while handed < len(tasks) and len(pending) < 2 * workers:
                pending[pool.submit(_run_task, handed)] = handed
                handed += 1
            if handed < len(tasks):
                results[handed] = emitter.run(tasks[handed])
                handed += 1
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
            for future in [f for f in pending if f.done()]:
                results[pending.pop(future)] = [_received(m) for m in future.result()]
            while shown in results:
                yield from results.pop(shown)
                shown += 1
    finally:
        for future in pending:
            future.cancel()
