"""Ids, slugs and site paths: distinct types, one validating constructor each.

A note's id is the slug of its file stem. ``slugify`` is total (any text gives a usable slug,
for titles in ``kg new``); ``note_id`` is strict (a file whose stem cannot be an id is an error
naming the file), so two spellings of one name (``Café`` in NFC and NFD, ``Foo`` and ``foo``)
meet as the same id and are caught as a collision rather than silently becoming two pages.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from typing import NewType

from kg.errors import NoteError

NoteId = NewType("NoteId", str)
"""A note's id: lowercase ``[a-z0-9-]``, 1–100 characters, no leading or trailing dash."""

PagePath = NewType("PagePath", str)
"""A page's path inside the site, POSIX, relative to the site root: ``notes/ahe.html``."""

MAX_ID_LENGTH = 100
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def tag_name(text: str) -> str:
    """A tag as notes hold it: without ``#``, lower-cased, spaces as ``-`` (``#Deep RL`` →
    ``deep-rl``), in Unicode's composed form (NFC), and of a nested tag's parts none that
    is empty or only dots (``/a//b/`` → ``a/b``, ``..`` → nothing): the tag's IRI is
    ``…/tag/<name>``, where ``..`` would name another resource once resolved
    (``../note/x``, a note's) and an empty part a broader tag of no name."""
    name = "-".join(text.strip().lstrip("#").lower().split())
    if not name.isascii():  # one tag in either Unicode form (a Mac's NFD 'café' and NFC)
        name = unicodedata.normalize("NFC", name)
    if "/" in name or name.startswith("."):
        name = "/".join(part for part in name.split("/") if part.strip("."))
    return name


def slugify(text: str, *, max_length: int = 80) -> str:
    """Lowercase ASCII slug of any text; never empty (falls back to a short hash).

    A slug is always safe as a file name: never a Windows device name (``con`` becomes
    ``con-0``), never empty, never longer than ``max_length``.
    """
    if text.isascii():  # the common case
        ascii_text = text
    else:  # every script spelled in ASCII: Привет → Privet, 中文 → ZhongWen, Straße → Strasse
        from anyascii import anyascii

        ascii_text = anyascii(unicodedata.normalize("NFC", text))
    slug = _NOT_SLUG.sub("-", ascii_text.casefold()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    if not slug:
        import hashlib  # rarely needed; loading OpenSSL would slow every query's start-up

        data = unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass")
        slug = f"n-{hashlib.sha1(data).hexdigest()[:8]}"
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-0"
    return slug


_SEPARATORS = re.compile(r"[\s_-]+")


def loose_id(text: str) -> str | None:
    """The id ``text`` writes loosely (``Some Title`` or ``some_title`` for ``some-title``):
    its slug when only case and separators differ from it; else None. ``C++`` is no way of
    writing ``c``, nor ``Über`` of ``uber``: a link to them is no link to those notes."""
    slug = slugify(text)
    return slug if _SEPARATORS.sub("-", text.casefold()).strip("-") == slug else None


def placeholder_id(text: str, taken: Callable[[str], bool]) -> NoteId:
    """The id of the placeholder a link to ``text`` that no note claims makes: its slug,
    unless that is a note's id (``taken``), as ``C++``'s is where ``C.md`` is: then the
    slug and a hash of the name (``c-3ce177``), so that the link stays apart from the note."""
    slug = slugify(text)
    return hashed_id(text) if taken(slug) else NoteId(slug)


def hashed_id(text: str) -> NoteId:
    """The slug of ``text`` and a hash of the name it writes (``C++`` → ``c-3ce177``), any
    case and Unicode form alike: the id of a name whose slug another name has."""
    try:
        from _blake2 import blake2b  # not hashlib's: loading OpenSSL costs a query's start-up
    except ImportError:  # pragma: no cover - a Python without the builtin module
        from hashlib import blake2b
    name = unicodedata.normalize("NFC", name_key(target_text(text)))
    digest = blake2b(name.encode("utf-8", "surrogatepass"), digest_size=3).hexdigest()
    return NoteId(f"{slugify(text)[:72].rstrip('-')}-{digest}")  # no "--": a file's id


def title_id(title: str) -> NoteId:
    """The id a new note titled ``title`` is written under (its file's name, whose id it
    is again): its slug, or, when the slug is longer than 80 characters, its first 72 and a
    hash of the whole title (:func:`hashed_id`), so that two long titles alike in their
    first words are two notes."""
    slug = slugify(title, max_length=10_000)
    return NoteId(slug) if len(slug) <= 80 else hashed_id(title)


def small_number(text: str, most: int = 4) -> bool:
    """Whether ``text`` is a number of at most ``most`` digits 0-9, as ``int`` reads it:
    ``str.isdigit`` is also true of ``²`` (which ``int`` refuses) and of 5,000 digits
    (which it refuses too)."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def is_note_id(text: str) -> bool:
    return bool(_ID.match(text)) and text not in _WINDOWS_RESERVED


def note_id(stem: str, *, file: str | None = None) -> NoteId:
    """The id of a note whose file stem is ``stem``; an error names the file if none fits."""
    if not stem.strip():
        raise NoteError("empty file name", file=file, hint="name the note file, e.g. my-note.md")
    if not any(c.isalnum() for c in stem):
        raise NoteError(
            f"the file name '{stem}' has no letters or digits to make an id from",
            file=file,
            hint="name the note file with words, e.g. my-note.md",
        )
    device = _NOT_SLUG.sub("-", unicodedata.normalize("NFKD", stem).casefold()).strip("-")
    if device in _WINDOWS_RESERVED:
        raise NoteError(
            f"'{stem}' is a reserved device name on Windows",
            file=file,
            hint=f"rename the file, e.g. {device}-note.md",
        )
    slug = slugify(stem, max_length=10_000)
    if len(slug) > MAX_ID_LENGTH:
        # a long title as a name, or one spelled long in ASCII (80 Chinese characters are
        # 400): cut, and told apart from others by a hash of the whole id, so that two
        # names of one id still collide (Foo.md and foo.md), as short ones do
        import hashlib

        tail = hashlib.sha1(slug.encode("ascii")).hexdigest()[:8]
        slug = f"{slug[:MAX_ID_LENGTH - 9].rstrip('-')}-{tail}"
    return NoteId(slug)


def as_note_id(text: str) -> NoteId:
    """Validate text that claims to be an id already (from the command line or a cache)."""
    if not is_note_id(text):
        raise NoteError(f"'{text}' is not a note id", hint="ids are lowercase a-z, 0-9 and '-'")
    return NoteId(text)


def item_slug(text: str) -> str:
    """The readable, stable part of a question or angle id: its first words."""
    words = slugify(text, max_length=10_000).split("-")
    slug = "-".join(words[:8])[:48].rstrip("-")
    return slug or "item"


def note_page(nid: str) -> PagePath:
    return PagePath(f"notes/{nid}.html")


ATTACHMENTS = "files"
"""Where attachments go in the site: ``files/<path in the wiki>`` (:mod:`kg.attachments`)."""


def page(path: str) -> PagePath:
    """A site page path; refuses anything that could leave the site folder."""
    norm = posixpath.normpath(path)
    if norm.startswith(("/", "../")) or norm == ".." or "\\" in path or norm == ".":
        raise ValueError(f"not a page path inside the site: {path!r}")
    return PagePath(norm)


def relative_url(from_page: PagePath, to: PagePath, fragment: str = "") -> str:
    """The relative URL from one page of the site to another, so it works from ``file://``.

    Same folder: the file name; otherwise up to the root and down, which is always right for
    normalised site paths (see ``page``) and costs no file-system call (``posixpath.relpath``
    asks the OS for the working directory twice per call, ~80 links per page).
    """
    from_dir = from_page.rpartition("/")[0]
    to_dir, _, name = to.rpartition("/")
    url = name if from_dir == to_dir else "../" * from_page.count("/") + to
    return f"{url}#{fragment}" if fragment else url


def name_key(text: str) -> str:
    """A name as the resolver's tables hold it: case-folded, white space made one space, in
    one Unicode form (a Mac writes ``Café.md`` decomposed, NFD, while a link typed as
    ``[[Café]]`` is composed, NFC, and the Mac's file system takes them for one name)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.casefold().split())


def note_part(text: str) -> str | None:
    """The note a target names a place in (``b`` of ``b#^block`` or ``b#Part``), looked up
    when the whole names nothing; None when it names no place."""
    return text.partition("#")[0] if "#" in text.strip("#") else None


def from_root(text: str, folder: str | None) -> str | None:
    """The path a Markdown link from a note of ``folder`` gives, ``folder/Areas/Plan``, as
    from the wiki's root, ``Areas/Plan`` (Obsidian's "absolute path in vault" links): looked
    up so when the folder holds no such note; None for a target not in ``folder``."""
    if not folder or not text.startswith(folder + "/"):
        return None
    return text[len(folder) + 1:]


def relative_target(target: str) -> bool:
    """Whether ``target`` is written from its note's folder (``./b``, ``../other/b.md``)."""
    return target.lstrip().startswith(("./", "../"))


def from_folder(target: str, folder: str) -> str:
    """A target written from the linking note's ``folder`` (``../Papers/BERT``, ``./child``,
    ``./b.md``: Obsidian's "relative path" links, and a connection's ``to: ./b``) as its path
    in the wiki, ``.md`` left out as a note's path is looked up; any other target as it is,
    as is one that would leave the wiki (then looked up as any name is)."""
    if not relative_target(target):
        return target
    written = target.strip()
    if written.lower().endswith(".md"):
        written = written[:-3]
    rel = posixpath.normpath(posixpath.join(folder, written))
    return target if rel in (".", "..") or rel.startswith("../") else rel


def target_text(target: str) -> str:
    """A link's target as it is looked up: trimmed, without ``.md`` and outer slashes."""
    return target.strip().removesuffix(".md").strip("/")


def shell_title(title: str) -> str:
    """``title`` as a shell's word for ``kg new``: in double quotes where it holds none of
    ``"$`\\!``, else quoted as ``shlex`` quotes it; after ``--`` if it starts with a dash,
    which would be read as an option."""
    import shlex

    word = f'"{title}"' if not re.search(r'["$`\\!]', title) else shlex.quote(title)
    return f"-- {word}" if title.startswith("-") else word
