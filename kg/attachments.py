"""Attachments: the files of the wiki that notes embed or link (``![[chart.png]]``,
``![plot](img/plot.png)``, ``[the paper](papers/x.pdf)``), copied into the site under
``files/`` at their path in the wiki.

Only files a note refers to are published, and only of the kinds in :data:`KINDS`: images a
page shows, documents and media a browser opens inertly. Never a page or a script that would
run in the site's origin (``.html``, ``.svg``, ``.js``), nor anything a note does not name.
A reference is found as Obsidian finds it: a path from the note's folder, else from the
wiki's root, else (a bare name) the file of that name nearest the note (in its folder, else
the one with the shortest path). Nothing outside the wiki is read: folders a build skips,
hidden files and symlinks are never attachments.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import unicodedata
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from kg.discover import file_key, skipped_folder, template_folders, walk_folders
from kg.ids import ATTACHMENTS

IMAGES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "avif", "bmp"})
KINDS = IMAGES | frozenset({"pdf", "mp3", "mp4", "webm", "ogg", "oga", "wav", "m4a", "flac",
                            "csv", "txt"})
"""The kinds of file published: none that a browser runs (an ``.svg`` or ``.html`` opened
from the site would run its scripts there)."""

FOLDER = ATTACHMENTS

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")


def kind(ref: str) -> str | None:
    """The extension of ``ref`` if it names a file of :data:`KINDS`, lower-cased."""
    found = _EXTENSION.search(ref)
    ext = found.group(1).lower() if found else None
    return ext if ext in KINDS else None


def is_image(rel: str) -> bool:
    return kind(rel) in IMAGES


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape_destination(destination: str) -> str:
    """A link destination without its backslash escapes (``D%20\\(2018\\).md``), as
    CommonMark reads it and the renderer's link holds it."""
    return _ESCAPED.sub(r"\1", destination) if "\\" in destination else destination


def destination_ref(destination: str) -> str | None:
    """The file a Markdown link's or image's destination names in the wiki, as written
    (unquoted, no ``#fragment``): a relative path with an attachment's extension; None for
    a URL, a path from the root, a note or anything else."""
    path = destination_path(destination)
    return path if path is not None and kind(path) else None


def destination_path(destination: str) -> str | None:
    """The relative path a Markdown link's destination names, of any kind, as written
    (unquoted, no ``#fragment``); None for a URL, a path from the root or a fragment."""
    destination = unescape_destination(destination.strip().strip("<>"))
    parts = urlsplit(destination)
    if parts.scheme or parts.netloc or destination.startswith(("/", "#")):
        return None
    return unquote(parts.path)


def possible(ref: str, folder: str) -> bool:
    """Whether ``ref`` could name an attachment of the wiki, were the file there: not one
    that leads out of it, nor of a kind or a name that is never published."""
    if not kind(ref) or "\\" in ref or not ref.isprintable() or "\0" in ref:
        return False
    if "/" not in ref:
        return True
    inside = [posixpath.normpath(posixpath.join(base, ref.lstrip("/"))) for base in (folder, "")]
    return any(not (rel.startswith("../") or rel == "..") for rel in inside)


def site_path(rel: str) -> str:
    return f"{FOLDER}/{rel}"


def href(rel: str) -> str:
    """The URL path of an attachment from the site's root, its name quoted."""
    return quote(site_path(rel), safe="/")


class Attachments:
    """The attachments of one wiki, looked up by reference; the wiki's files are listed once,
    and only when a bare name must be searched for."""

    def __init__(self, wiki: Path) -> None:
        self.wiki = wiki
        self._by_name: dict[str, list[str]] | None = None
        self._templates = template_folders(wiki)

    def find(self, ref: str, folder: str) -> str | None:
        """The path in the wiki of the file ``ref`` names from a note in ``folder``."""
        ref = ref.strip()
        if not possible(ref, folder):
            return None
        tried = [posixpath.normpath(posixpath.join(base, ref.lstrip("/")))
                 for base in (folder, "")]
        for rel in tried:
            if self._is_attachment(rel):
                return rel
        if "/" in ref:  # a path: as written, or (from a Mac) in the other Unicode form
            if ref.isascii():
                return None
            wanted = {unicodedata.normalize("NFC", rel) for rel in tried}
            named = self._names().get(file_key(ref.rpartition("/")[2]), [])
            return next((rel for rel in named if unicodedata.normalize("NFC", rel) in wanted),
                        None)
        named = self._names().get(file_key(ref), [])
        near = [rel for rel in named if rel.rpartition("/")[0] == folder]
        return min(near or named, key=lambda rel: (rel.count("/"), rel), default=None)

    def _is_attachment(self, rel: str) -> bool:
        *folders, name = rel.split("/")
        if name.startswith(".") or any(skipped_folder(part) for part in folders):
            return False  # hidden, or in a folder never read ("..", ".git", "Templates")
        if any("/".join(folders[:n]).casefold() in self._templates
               for n in range(1, len(folders) + 1)):
            return False  # in the folder of templates the vault's settings name
        try:
            return (self.wiki / rel).is_file() and not _linked(self.wiki, rel)
        except (OSError, ValueError):  # a name too long for the file system, a NUL
            return False

    def _names(self) -> dict[str, list[str]]:
        """Every attachment of the wiki by its name (case-folded)."""
        if self._by_name is None:
            self._by_name = {}
            for top, files in walk_folders(self.wiki):
                prefix = Path(top).relative_to(self.wiki).as_posix()
                for name in sorted(files):
                    rel = name if prefix == "." else f"{prefix}/{name}"
                    if (kind(name) and not name.startswith(".") and name.isprintable()
                            and _regular(os.path.join(top, name))):
                        self._by_name.setdefault(file_key(name), []).append(rel)
        return self._by_name


def _regular(path: str) -> bool:
    """Whether ``path`` is a regular file, not reached through a symlink: a named pipe
    called ``x.png`` (copying it waits for a writer, or fails) or a link is none."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _linked(wiki: Path, rel: str) -> bool:
    """Whether the path ``rel`` passes through a symlink (a file or a folder linked in):
    its target may be anywhere, so it is never published."""
    path = wiki
    for part in rel.split("/"):
        path = path / part
        if path.is_symlink():
            return True
    return False
