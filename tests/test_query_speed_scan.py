"""The staleness check stats every note file by name in its open folder: it must see every
file the slower walk over paths sees, and an edit anywhere in the tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kg.cachefile
from kg.cache import load_wiki_cached
from kg.cachefile import scan

NOTE = "---\ntitle: {title}\n---\n{body}\n"


def _by_paths(wiki: Path) -> dict[str, tuple[object, ...]]:
    """What :func:`scan` should find, the slow way."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(wiki):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in [*files, *(d for d in dirs if Path(folder, d).is_symlink())]:
            path = Path(folder, name)
            rel = path.relative_to(wiki).as_posix()
            if name.startswith("."):
                continue
            if path.is_symlink():
                try:
                    st = path.stat()
                except OSError:
                    found[rel] = (-1, -1, -1, -1, "")
                    continue
                found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                              os.readlink(path))
            elif name.lower().endswith(".md"):
                st = path.stat()
                found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return found


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_scan_sees_what_a_walk_over_paths_sees(write_wiki) -> None:
    config = write_wiki({
        "a.md": NOTE.format(title="A", body="[[b]]"),
        "Shout.MD": NOTE.format(title="Shout", body=""),
        "sub/b.md": NOTE.format(title="B", body=""),
        "sub/deeper/c.md": NOTE.format(title="C", body=""),
        "sub/notes.txt": "not a note",
        ".hidden/d.md": NOTE.format(title="D", body=""),
        ".e.md": NOTE.format(title="E", body=""),
    })
    wiki = config.wiki
    (wiki / "twin.md").symlink_to(wiki / "a.md")
    (wiki / "broken.md").symlink_to(wiki / "nowhere.md")
    (wiki / "linked").symlink_to(wiki / "sub", target_is_directory=True)
    found = scan(wiki)
    assert found == _by_paths(wiki)
    assert {"a.md", "Shout.MD", "sub/b.md", "sub/deeper/c.md", "twin.md", "broken.md",
            "linked"} == set(found)
    assert found["broken.md"] == (-1, -1, -1, -1, "")


def test_a_file_gone_before_its_stat_is_left_out(tmp_path: Path, monkeypatch) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("# A\n", encoding="utf-8")
    listing = os.scandir

    class Vanishing:
        """The folder's listing, a.md removed after it was listed, before its stat."""

        def __init__(self, folder: object) -> None:
            with listing(folder) as entries:  # type: ignore[call-overload]
                self.entries = sorted(entries, key=lambda e: e.name)
            (tmp_path / "a.md").unlink()

        def __enter__(self) -> list[os.DirEntry[str]]:
            return self.entries

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(kg.cachefile.os, "scandir", Vanishing)
    assert set(scan(tmp_path)) == {"b.md"}


def test_an_edit_in_a_subfolder_is_seen(write_wiki) -> None:
    config = write_wiki({"sub/deeper/a.md": NOTE.format(title="First", body="")})
    assert load_wiki_cached(config).notes["a"].title == "First"
    write_wiki({"sub/deeper/a.md": NOTE.format(title="Second", body="")})
    assert load_wiki_cached(config).notes["a"].title == "Second"
