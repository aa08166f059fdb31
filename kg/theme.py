"""Where templates come from: the wiki's own ``templates/`` first, then the shipped theme.

Kept apart from :mod:`kg.site` so that finding them costs no Jinja import (a build with
nothing to do stops before rendering anything).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath

import kg
from kg.config import Config


def template_dirs(config: Config) -> list[Path]:
    """The wiki's own templates first (overrides), then the shipped theme. The theme itself,
    or a copy of it, is no override (a wiki built in a clone of kg's source, whose
    ``templates/`` is the theme, kg installed from it or not): a page that a wiki's own
    templates make may show anything, and is keyed so."""
    theme = theme_dir()
    dirs: list[Path] = []
    for candidate in (config.templates, config.root / "templates"):
        if (candidate is not None and candidate.is_dir() and candidate not in dirs
                and not _theme_copy(candidate, theme)):
            dirs.append(candidate)
    dirs.append(theme)
    return dirs


def hidden(rel: PurePath) -> bool:
    """Whether a file of a templates folder (its path in it) is none of kg's: a Finder's
    ``.DS_Store``, an editor's ``.x.swp``, a ``.git`` folder's."""
    return any(part.startswith(".") for part in rel.parts)


EDITORS_SCRATCH = (r"^#.*#$", r"^\.#", r"^4913$", r"___jb_(tmp|old)___$", r"~$", r"\.sw[a-p]$",
                   r"^\.DS_Store$")
"""Names of the files editors and Finder leave beside a file being edited: Emacs's
``#auto-save#`` (written every 30 s of idle time) and ``.#`` lock links, the ``4913`` Vim
makes and removes to see whether it may write a folder, its ``.x.swp``, backups ending in
``~``, a JetBrains IDE's ``note.md___jb_tmp___``, ``.DS_Store``. None is kg's to read:
``static/`` publishes none (:func:`scratch`), and a change to one is no change for ``kg
serve``'s watcher (which adds them to watchfiles' own filter, whose pattern for the
JetBrains file wants a dot before it)."""

_SCRATCH = re.compile("|".join(EDITORS_SCRATCH))


def scratch(name: str) -> bool:
    """Whether a file's ``name`` is one of :data:`EDITORS_SCRATCH`."""
    return _SCRATCH.search(name) is not None


def _theme_copy(folder: Path, theme: Path) -> bool:
    """Whether ``folder`` is the theme, or holds nothing but its files as they are."""
    import filecmp

    try:
        if folder.samefile(theme):
            return True
        files = [p for p in folder.rglob("*")
                 if not p.is_dir() and not hidden(p.relative_to(folder))]
        return bool(files) and all(
            filecmp.cmp(p, theme / p.relative_to(folder), shallow=True) for p in files)
    except OSError:  # a file the theme lacks, or one that cannot be read
        return False


def theme_dir() -> Path:
    packaged = Path(kg.__file__).parent / "templates"  # in the wheel: kg/templates
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"  # a source checkout
