"""Which files make the wiki: every ``*.md`` under it, with ids checked for collisions."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kg.errors import Finding, Location, NoteError, Severity
from kg.ids import NoteId, note_id

_SKIP_DIRS = frozenset({".git", ".obsidian", ".trash", "node_modules", "templates", ".kg"})


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
    if not wiki.is_dir():
        raise NoteError(f"no wiki folder at {wiki}", hint="run `kg init`, or pass --wiki DIR")
    wiki = wiki.resolve()
    found: dict[NoteId, NoteFile] = {}
    warnings: list[Finding] = []
    errors: list[Finding] = []
    for folder, dirs, files in os.walk(wiki, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                warnings.append(_outside(here / d, wiki, "folder"))
        for name in sorted(files):
            if not name.lower().endswith(".md") or name.startswith("."):
                continue
            path = here / name
            rel = path.relative_to(wiki).as_posix()
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(wiki):
                    warnings.append(_outside(path, wiki, "file"))
                    continue
            stem = unicodedata.normalize("NFC", name[:-3])
            try:
                nid = note_id(stem, file=rel)
            except NoteError as err:
                errors.append(err.as_finding("bad-id"))
                continue
            if nid in found:
                errors.append(Finding(
                    Severity.ERROR, "duplicate-id",
                    f"'{rel}' and '{found[nid].rel}' both have the id '{nid}'",
                    Location(rel), "rename one of them: ids ignore case and accents",
                ))
                continue
            found[nid] = NoteFile(nid, path, rel)
    if errors:
        from kg.errors import BuildFailed

        raise BuildFailed(f"{len(errors)} note file name(s) cannot be ids", findings=tuple(errors))
    files = tuple(sorted(found.values(), key=lambda f: f.id))
    return Discovery(files, tuple(warnings))


def _outside(path: Path, wiki: Path, kind: str) -> Finding:
    rel = path.relative_to(wiki).as_posix()
    return Finding(Severity.WARNING, "symlink-skipped",
                   f"symlinked {kind} skipped: links outside the wiki are never read",
                   Location(rel), "copy the note into the wiki instead")
