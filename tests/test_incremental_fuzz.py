"""Random edits, each followed by an incremental build compared byte for byte with a full one.

The wiki has what makes a note's id, a link's target or a page's content depend on other
files: one file name in several folders (and at the top), names that slug alike (``C`` and
``C++``), drafts, aliases, tags with signs, links by path, end of a path, name and heading;
and, in a run of their own, the ``id:`` other tools write (two notes may claim one).
A seed that finds a difference is printed with the steps that led to it.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from conftest import site_tree

from kg.build import build
from kg.config import Config
from kg.errors import KgError

FOLDERS = ["", "Papers", "Projects/Alpha", "Projects/Beta"]
STEMS = ["Plan", "Notes", "Ghost Note", "Survey"]
"""Names a note has in any folder: one name in several folders takes ids of their paths."""
TOP = ["C", "C++", "Uber", "Über"]
"""Names at the top only: alike as slugs, two notes (``c`` and ``c-<hash>``)."""
TAGS = ["nlp", "c++", "ml/vision", "ml-vision", "deep rl", "Eval"]
IDS = ["0042", "4x9k2", "Plan", "c"]
"""Front-matter ids: a Zettelkasten's number, Dendron's random one, and two that are names
of files too (a file's own id wins over an ``id:``)."""
WORDS = ["alpha", "beta", "gamma", "model", "agent", "scaling", "reward", "policy",
         "claim", "method"]


@dataclass
class Note:
    date: str | None
    lines: list[str]
    tags: list[str]
    title: str | None = None
    aliases: list[str] = field(default_factory=list)
    draft: bool = False
    id: str | None = None

    def text(self) -> str:
        front = [f"tags: [{', '.join(map(repr, self.tags))}]"]
        if self.date:  # an undated note is in no feed: a change of its id shows elsewhere
            front.append(f"date: {self.date}")
        if self.title:
            front.append(f"title: {self.title!r}")
        if self.aliases:
            front.append(f"aliases: [{', '.join(map(repr, self.aliases))}]")
        if self.draft:
            front.append("draft: true")
        if self.id:
            front.append(f"id: {self.id}")
        return "---\n" + "\n".join(front) + "\n---\n" + "\n".join(self.lines) + (
            "\n\n## Details\nMore.\n")


class Wiki:
    """The notes as the fuzzer means them, by file path."""

    def __init__(self, rng: random.Random, *, ids: bool = False) -> None:
        self.rng = rng
        self.ids = ids
        """Whether notes take ``id:`` and links name them (a run without ids draws the very
        numbers it drew before there were any, so its seeds find what they found)."""
        self.notes: dict[str, Note] = {}
        for _ in range(10):
            self.add()

    def sentence(self) -> str:
        words = " ".join(self.rng.choice(WORDS) for _ in range(6))
        return f"{words.capitalize()} [[{self.target()}]]."

    def target(self) -> str:
        """A name a link may give without two notes claiming it: a note's path (or its end),
        a name at the top, one no note has; sometimes with a heading."""
        paths = [path[:-3] for path in self.notes]
        name = self.rng.choice([*paths, *paths, *TOP, "Missing Paper",
                                *(IDS if self.ids else [])])
        if "/" in name and self.rng.randrange(2):
            name = name.split("/", 1)[1]  # the end of the path
        if self.rng.randrange(3) == 0:
            name += "#Details"
        return name.lower() if self.rng.randrange(4) == 0 else name

    def add(self) -> str:
        if self.rng.randrange(3) == 0:
            path = f"{self.rng.choice(TOP)}.md"
        else:
            path = f"{self.rng.choice(FOLDERS)}/{self.rng.choice(STEMS)}.md".lstrip("/")
        self.notes[path] = Note(
            date=self.rng.choice([None, f"2026-05-1{self.rng.randrange(10)}"]),
            lines=[self.sentence() for _ in range(2)], tags=self.rng.sample(TAGS, 2))
        return f"add {path}"

    def mutate(self) -> str:
        path = self.rng.choice(sorted(self.notes))
        note = self.notes[path]
        if self.ids and self.rng.randrange(4) == 0:
            note.id = self.rng.choice([None, *IDS])
            return f"id {path} {note.id!r}"
        kind = self.rng.randrange(8)
        if kind == 0:
            note.lines[self.rng.randrange(len(note.lines))] = self.sentence()
            return f"edit {path}"
        if kind == 1:
            note.title = self.rng.choice([None, f"Title {self.rng.randrange(10**6)}"])
            return f"title {path} {note.title!r}"
        if kind == 2:
            note.draft = not note.draft
            return f"draft {path} {note.draft}"
        if kind == 3:
            note.aliases = [f"Alias {self.rng.randrange(10**6)}"][:self.rng.randrange(2)]
            return f"aliases {path} {note.aliases}"
        if kind == 4:
            note.tags = self.rng.sample(TAGS, self.rng.randrange(3))
            return f"tags {path} {note.tags}"
        if kind == 5 and len(self.notes) > 3:
            del self.notes[path]
            return f"delete {path}"
        if kind == 6 and path.rsplit("/", 1)[-1][:-3] in STEMS:  # moved: the same note
            new = f"{self.rng.choice(FOLDERS)}/{self.rng.choice(STEMS)}.md".lstrip("/")
            if new not in self.notes:
                self.notes[new] = self.notes.pop(path)
                return f"move {path} {new}"
        return self.add()

    def write(self, folder: Path) -> None:
        """The files of ``folder`` made the notes': only those that changed are written,
        as an editor would (the build then tells the others unchanged by their stat)."""
        want = {path: note.text() for path, note in self.notes.items()}
        for old in sorted(folder.rglob("*.md")) if folder.exists() else []:
            if old.relative_to(folder).as_posix() not in want:
                old.unlink()
        for path, text in want.items():
            target = folder / path
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")


def outcome(config: Config, *, full: bool) -> dict[str, bytes] | str:
    """The built site, or the error that stopped the build (both builds must agree)."""
    try:
        build(config, full=full, jobs=1)
    except KgError as err:
        return err.message
    return site_tree(config.out)


@pytest.mark.parametrize(("seed", "ids"), [
    (4, False), (5, False), (8, False), (11, False),  # each found the stale ids 5d4e8fd fixed
    (1, True), (2, True), (3, True)])
def test_incremental_builds_equal_full_builds_through_random_edits(tmp_path: Path,
                                                                   seed: int, ids: bool) -> None:
    rng = random.Random(seed)
    wiki = Wiki(rng, ids=ids)
    config = Config(root=tmp_path / "inc", wiki=tmp_path / "wiki", out=tmp_path / "inc" / "site")
    steps: list[str] = []
    for step in range(25):
        wiki.write(config.wiki)
        full = replace(config, root=tmp_path / f"full{step}", out=tmp_path / f"full{step}" / "site")
        made, expected = outcome(config, full=False), outcome(full, full=True)
        shutil.rmtree(full.root, ignore_errors=True)
        if isinstance(made, dict) and isinstance(expected, dict):
            differ = sorted(p for p in made.keys() | expected.keys()
                            if made.get(p) != expected.get(p))
            assert not differ, f"seed {seed}, after {steps}: {differ[:5]}"
        else:
            assert made == expected, f"seed {seed}, after {steps}"
        steps.append(wiki.mutate())
