"""Which files make the wiki: every ``*.md`` under it, with ids checked for collisions.

Nothing outside the wiki is ever read: a symlink (file or folder) that leads outside is
skipped with a warning, and a symlinked folder that stays inside is skipped quietly, since its
notes are read at their real place; so is a symlinked file that leads to a note of the wiki
(a link to anything else inside is read as a note of its own). Only regular files are
read, so a named pipe called ``x.md`` cannot hang a build. Two files whose names give one
id (``Foo.md`` and ``foo.md``, ``Café.md`` in NFC and in NFD) are an error naming both.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.bidi import CONTROLS as BIDI_CONTROLS
from kg.cachefile import TEMPLATE_SETTINGS, TOOL_FOLDERS
from kg.errors import Finding, LeftOut, Location, NoteError, Severity
from kg.ids import NoteId, hashed_id, loose_id, note_id

SKIP_DIRS = frozenset({".git", ".obsidian", ".trash", "node_modules", "templates", ".kg",
                       "_site"})
"""Folders never read, whatever their case (an Obsidian vault's ``Templates/``; the site
Jekyll and Eleventy make, ``_site/``, which holds copies of notes)."""
SKIP_SUFFIXES = (".excalidraw.md",)
"""Files named like notes that are not: an Excalidraw drawing's data."""
OTHER_MARKDOWN = (".markdown", ".mdown", ".mkd", ".mkdn")
"""Other endings of Markdown files (Jekyll's ``.markdown``): not notes, said so."""


def skipped_folder(name: str) -> bool:
    return name.startswith(".") or name.casefold() in SKIP_DIRS


def template_folders(wiki: Path) -> frozenset[str]:
    """The folders (paths in the wiki, case-folded) the vault's settings name as holding
    templates: notes with ``{{title}}`` placeholders, not notes of the wiki; and an app's
    own folder (:data:`kg.cachefile.TOOL_FOLDERS`: a Logseq graph's ``logseq/``)."""
    found: set[str] = set()
    for setting, key in TEMPLATE_SETTINGS:
        settings = _settings(wiki / setting, wiki)
        value = settings.get(key) if isinstance(settings, dict) else None
        if isinstance(value, str) and value.strip("/ "):
            found.add(value.strip("/ ").replace("\\", "/").casefold())
    for marker, folder in TOOL_FOLDERS:  # an app's own folder: read as notes, its copies of
        if (wiki / marker).is_file():  # pages would make every page's name ambiguous
            found.add(folder)
    return frozenset(found)


SETTINGS_MOST = 1 << 20
"""The largest vault settings file read (Obsidian's are a few hundred bytes)."""


def _settings(path: Path, wiki: Path) -> object:
    """A vault settings file's JSON, or None: read only when it is a regular file inside
    the wiki of at most :data:`SETTINGS_MOST` bytes (not a pipe, which would never end,
    nor a link to ``/dev/zero``, out of the wiki or to itself), and when it parses (JSON
    nested past Python's recursion limit does not)."""
    import json

    try:
        if not path.resolve().is_relative_to(wiki.resolve()):
            return None
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > SETTINGS_MOST:
            return None
        with open(path, "rb") as f:
            return json.loads(f.read(SETTINGS_MOST + 1).decode("utf-8"))
    except (OSError, ValueError, RuntimeError):  # RecursionError; a symlink loop's error
        return None


@dataclass(frozen=True, slots=True)
class NoteFile:
    id: NoteId
    path: Path
    rel: str


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[NoteFile, ...]
    warnings: tuple[Finding, ...]


def discover(wiki: Path) -> Discovery:
    """Every note file under ``wiki``, sorted by id; ids that collide are an error."""
    found, errors = discover_leniently(wiki)
    failed = LeftOut(names=errors).error()
    if failed is not None:
        raise failed
    return found


def _no_wiki_hint(wiki: Path) -> str:
    """What to do without a wiki folder: in a folder of notes already (an Obsidian vault),
    name that folder, rather than make a wiki inside it with kg init."""
    here = wiki.parent
    try:
        vault = (here / ".obsidian").is_dir() or (here / "logseq").is_dir() or any(
            p.suffix.lower() == ".md" and p.is_file() for p in here.iterdir())
        shown = "." if here.resolve() == Path.cwd().resolve() else str(here)
    except OSError:
        vault, shown = False, str(here)
    if vault:
        return (f"{here} holds notes already: pass --wiki {shown} (the site is written "
                "beside it, or where --out says), or set wiki in kg.toml")
    return "run `kg init`, or pass --wiki DIR"


def discover_leniently(wiki: Path) -> tuple[Discovery, tuple[Finding, ...]]:
    """Every note file under ``wiki`` that has an id, and the errors of the names that give
    none or collide (of two names one id, the first in name order keeps it): for
    ``kg check``, which checks every other note all the same."""
    if not wiki.is_dir():
        raise NoteError(f"no wiki folder at {wiki}", hint=_no_wiki_hint(wiki))
    wiki = wiki.resolve()
    claims: dict[NoteId, list[NoteFile]] = {}  # each id, with the files whose names give it
    templates = template_folders(wiki)
    warnings: list[Finding] = []
    errors: list[Finding] = []
    linked: dict[Path, str] = {}  # a symlinked note file inside the wiki → its target's path
    stack = [(wiki, "")]
    while stack:  # top-down, folders and files in name order (os.walk's, a tenth the cost)
        here, prefix = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as err:  # its notes would leave the site without a word
            reason = err.strerror or str(err)
            if not prefix:
                raise NoteError(f"cannot read the wiki folder {wiki}: {reason}",
                                hint="check the folder's permissions") from None
            errors.append(Finding(Severity.ERROR, "unreadable",
                                  f"cannot read the folder: {reason}",
                                  Location(printable(prefix.rstrip("/"))),
                                  "check the folder's permissions, or move it out of the wiki"))
            continue
        folders, files = [], []
        for entry in entries:
            name = entry.name
            if not _is(entry.is_dir):
                files.append(entry)
            elif skipped_folder(name) or f"{prefix}{name}".casefold() in templates:
                continue
            elif not _is(entry.is_symlink):
                folders.append((here / name, f"{prefix}{name}/"))
            elif (why := _not_followed(here / name, wiki)) is not None:
                warnings.append(_skipped(here / name, wiki, "symlinked folder", why))
        for entry in files:
            name = entry.name
            lower = name.lower()
            if not lower.endswith(".md") or name.startswith(".") or lower.endswith(SKIP_SUFFIXES):
                if lower.endswith(OTHER_MARKDOWN) and not name.startswith("."):
                    md = name[:name.rfind(".")] + ".md"
                    warnings.append(Finding(Severity.WARNING, "file-skipped",
                                            "not read: notes are the files ending in .md",
                                            Location(printable(prefix + name)),
                                            f"rename it {md} to make it a note"))
                continue
            path = here / name
            rel = printable(prefix + name)
            if _is(entry.is_symlink):
                if (why := _not_followed(path, wiki)) is not None:
                    warnings.append(_skipped(path, wiki, "symlinked file", why))
                    continue
                linked[path] = path.resolve().relative_to(wiki).as_posix()
            if not _is(entry.is_file):
                warnings.append(Finding(Severity.WARNING, "file-skipped",
                                        "skipped: not a regular file", Location(rel),
                                        "make it a note file, or rename it not to end in .md"))
                continue
            nid = _id_of(name, rel, errors) if _utf8(prefix) else _in_undecodable(rel, errors)
            if nid is not None:
                claims.setdefault(nid, []).append(NoteFile(nid, path, rel))
        stack += reversed(folders)
    if linked:  # a link to a note of the wiki is that note, read at its own place
        real = {f.rel for claimed in claims.values() for f in claimed if f.path not in linked}
        for nid, claimed in list(claims.items()):
            kept = [f for f in claimed if linked.get(f.path) not in real]
            if kept:
                claims[nid] = kept
            else:
                del claims[nid]
    found = _ids(claims, errors)
    files_ = tuple(sorted(found.values(), key=lambda f: f.id))
    return Discovery(files_, tuple(warnings)), tuple(errors)


def walk_folders(wiki: Path) -> Iterator[tuple[str, list[str]]]:
    """Every folder of the wiki a build reads, top-down (none hidden or skipped, none
    reached through a symlink), with the names of its files: for what sits beside notes."""
    templates = template_folders(wiki)
    for top, subfolders, files in os.walk(wiki):
        rel = os.path.relpath(top, wiki).replace(os.sep, "/")
        prefix = "" if rel == "." else f"{rel}/"
        subfolders[:] = sorted(f for f in subfolders if not skipped_folder(f) and _utf8(f)
                               and f"{prefix}{f}".casefold() not in templates)
        yield top, files


def _ids(claims: dict[NoteId, list[NoteFile]], errors: list[Finding]) -> dict[NoteId, NoteFile]:
    """Each file under its id. Files of one name in different folders (a ``README.md`` in
    each) take ids made of their paths (``daily-readme``), and links to them name the folder
    (``[[daily/README]]``); two names in one folder that give one id (``Foo.md``, ``foo.md``)
    are an error, as is a path id that another file's name gives."""
    found: dict[NoteId, NoteFile] = {}
    by_path: list[NoteFile] = []
    claims = _apart(claims)
    for nid, files in claims.items():
        first: dict[str, NoteFile] = {}  # the first file of each folder to claim the id
        for file in files:
            other = first.setdefault(file.rel.rpartition("/")[0], file)
            if other is not file:
                errors.append(_collision(file.rel, other.rel, nid))
        if len(first) == 1:
            found[nid] = files[0]
        else:
            by_path += first.values()
    for file in by_path:
        if file.id != _id_of(file.rel.rpartition("/")[2], file.rel, []):
            pid: NoteId | None = hashed_id(file.rel[:-3].replace("/", " "))  # apart (C++)
        else:
            pid = _id_of(file.rel.replace("/", " "), file.rel, errors)
        if pid is None:
            continue
        if pid in found:
            errors.append(_collision(file.rel, found[pid].rel, pid))
            continue
        found[pid] = NoteFile(pid, file.path, file.rel)
    return found


def _apart(claims: dict[NoteId, list[NoteFile]]) -> dict[NoteId, list[NoteFile]]:
    """Names that give one id but are different names (``C.md`` and ``C++.md``, ``Uber.md``
    and ``Über.md``): the ones that write the id (``C``) keep it, the others take it with a
    hash of their name (``c-3ce177``, the id a link to ``[[C++]]`` gave its placeholder
    before the file was written); in several folders, each then takes the id of its path
    (:func:`_ids`). Names that differ only in case or Unicode form stay one id's claims,
    an error in one folder."""
    if all(len(files) == 1 for files in claims.values()):
        return claims
    out: dict[NoteId, list[NoteFile]] = {}
    for nid, files in claims.items():
        # how many of the files are each name (in any case or Unicode form): a file of a
        # name another file also is, is kept (each had been compared with every other:
        # 3,000 names that slug alike, ``Topic !``, ``Topic +``…, took 1.7 s a build)
        names = Counter(file_key(file.rel) for file in files) if len(files) > 1 else None
        for file in files:
            stem = unicodedata.normalize("NFC", file.rel.rpartition("/")[2][:-3])
            kept = (names is None or loose_id(stem) == nid or names[file_key(file.rel)] > 1)
            own = nid if kept else hashed_id(stem)
            out.setdefault(own, []).append(file if kept else NoteFile(own, file.path, file.rel))
    return out


def file_key(path: str) -> str:
    """A path or file name as a name, in any case or Unicode form (a Mac writes ``Café.png``
    decomposed; a link typed to it is composed): two are one name when their keys are
    equal."""
    return unicodedata.normalize("NFC", path).casefold()


def _is(test: Callable[[], bool]) -> bool:
    """A directory entry's ``is_dir``/``is_file``/``is_symlink``, False where it cannot
    tell (a symlink loop), as for ``os.walk`` and ``Path.is_file``."""
    try:
        return test()
    except OSError:
        return False


def _utf8(name: str) -> bool:
    """Whether a name read from the disk is UTF-8 (a byte that is not reaches Python as a
    lone surrogate, \\udce9, which no page, IRI or cache key can hold)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _in_undecodable(rel: str, errors: list[Finding]) -> NoteId | None:
    """No id, and the error, of a note in a folder whose name is not UTF-8 (a Latin-1
    disk's)."""
    errors.append(Finding(Severity.ERROR, "bad-id", "a folder of its path has a name that is "
                          "not valid UTF-8", Location(rel), "rename the folder"))
    return None


def _id_of(name: str, rel: str, errors: list[Finding]) -> NoteId | None:
    if not _utf8(name):
        errors.append(Finding(Severity.ERROR, "bad-id", "the file name is not valid UTF-8",
                              Location(rel), "rename the file"))
        return None
    control = next((c for c in name if c != "\t" and unicodedata.category(c) == "Cc"), None)
    if control is not None:  # it would be the title, and ESC or BEL break XML and terminals
        errors.append(Finding(Severity.ERROR, "bad-id",
                              f"the file name holds the control character U+{ord(control):04X}",
                              Location(rel), "rename the file without it"))
        return None
    stem = unicodedata.normalize("NFC", name[:-3])
    try:
        return note_id(stem, file=rel)
    except NoteError as err:
        errors.append(err.as_finding("bad-id"))
        return None


def _collision(rel: str, other: str, nid: NoteId) -> Finding:
    if unicodedata.normalize("NFC", rel) == unicodedata.normalize("NFC", other):
        why = "their names differ only in Unicode normalisation (NFC and NFD)"
    elif rel.casefold() == other.casefold():
        why = "their names differ only in case"
    else:
        why = "ids ignore case, accents and punctuation"
    return Finding(
        Severity.ERROR, "duplicate-id",
        f"'{_spelled(other)}' and '{_spelled(rel)}' both have the id '{nid}': {why}",
        Location(rel), "rename or merge one of them",
    )


def _spelled(rel: str) -> str:
    """The name as written, with combining marks shown, so NFC and NFD names look different."""
    if unicodedata.is_normalized("NFC", rel):
        return rel
    return rel.encode("ascii", "backslashreplace").decode("ascii")


def printable(rel: str) -> str:
    """Text (a path, a name, a message) safe to print to a terminal: undecodable bytes,
    controls and the bidirectional overrides that reorder what follows (U+202E) shown as
    escapes."""
    if rel.isprintable():  # no control (Cc), format (Cf) or surrogate (Cs) character
        return rel
    return "".join(
        c.encode("unicode_escape").decode("ascii")  # \x1b, \t, \udc80, \u202e
        if unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS else c
        for c in rel
    )


_OUTSIDE = "links outside the wiki are never read"
_LOOP = "it is a symlink loop (it leads back to itself)"
_DANGLING = "what it links to is not there"


def _not_followed(link: Path, wiki: Path) -> str | None:
    """Why a symlink of the wiki is not followed; None when it leads inside the wiki."""
    try:
        target = link.resolve()
    except (OSError, RuntimeError):  # Python's word for a loop (ELOOP from the system)
        return _LOOP
    if not target.exists():
        return _DANGLING
    return None if target.is_relative_to(wiki) else _OUTSIDE


def _skipped(path: Path, wiki: Path, what: str, why: str) -> Finding:
    rel = printable(path.relative_to(wiki).as_posix())
    hint = ("remove the link, or point it at a note or folder" if why in (_LOOP, _DANGLING)
            else "copy the note into the wiki instead")
    return Finding(Severity.WARNING, "symlink-skipped", f"{what} skipped: {why}",
                   Location(rel), hint)


def named_by_path(name: str, wiki: Path) -> str:
    """A note named by its file's path from here (``wiki/ahe.md``, ``./ahe.md`` in the
    wiki's folder, as a shell completes it) as its path in the wiki, which names it; any
    other name as it is (an id, alias, title, or a path from the wiki's top)."""
    if not name.lower().endswith(".md") or not Path(name).is_file():
        return name
    try:
        return Path(name).resolve().relative_to(wiki.resolve()).as_posix()
    except ValueError:  # a file elsewhere: looked up by its name
        return name
