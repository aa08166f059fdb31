"""Shared fixtures: one-line test wikis, the sample wiki, a note parser on strings, and a
small HTML reader that finds elements by CSS-like selectors (stdlib only)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kg.config import Config, load_config
from kg.ids import note_id
from kg.model import Note
from kg.parse import parse_note

REPO = Path(__file__).resolve().parent.parent
SAMPLE_WIKI = REPO / "wiki"


def ctrl_c_when_ready(script: str, *args: str, ready: Path, env: dict[str, str],
                      settle: float = 0.0) -> tuple[int, str]:
    """Run ``script`` (``python -c``) in a process group of its own; once it has made the
    file ``ready`` (and ``settle`` seconds more), send the group SIGINT as a terminal's
    Ctrl-C does. Gives the exit code and what it said on stderr."""
    import os
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen([sys.executable, "-c", script, *args], stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "it did not begin"
            time.sleep(0.05)
        time.sleep(settle)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, err


def bench_generator() -> Any:
    """``bench/generate.py`` as a module: the benchmark's deterministic synthetic wikis
    (hubs, aliases, placeholders, mentions, questions), for tests that need many notes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def site_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path: a built site, to compare whole."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_note(config: Config, name: str, change: Callable[[str], str]) -> None:
    """Rewrite the note ``name`` of ``config``'s wiki through ``change``, which must change it."""
    path = config.wiki / name
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"the edit of {name} changed nothing"
    path.write_text(changed, encoding="utf-8")


def generate_wiki(folder: Path, n: int, seed: int = 0) -> None:
    """``n`` notes of ``bench/generate.py`` in ``folder``."""
    bench_generator().generate(folder, n, seed)


# -- wikis -------------------------------------------------------------------------------------


WriteWiki = Callable[..., Config]


@pytest.fixture
def write_wiki(tmp_path: Path) -> WriteWiki:
    """``write_wiki({"a.md": "...", "sub/b.md": "..."})`` → a Config for that wiki.

    The wiki lives in ``tmp_path/"wiki"``, the site goes to ``tmp_path/"site"``. Calling it again
    in the same test adds or overwrites files in the same wiki (text is written byte for byte:
    CRLF stays CRLF; ``bytes`` values are written as they are).
    """
    root = tmp_path
    wiki = root / "wiki"

    def make(files: dict[str, str | bytes], **options: object) -> Config:
        wiki.mkdir(exist_ok=True)
        toml = root / "kg.toml"
        if not toml.exists():
            toml.write_text('[kg]\ntitle = "Test wiki"\nbase_iri = "https://example.org/kg/"\n',
                            encoding="utf-8")
        for rel, content in files.items():
            path = wiki / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return load_config(root).with_options(wiki=wiki, out=root / "site", **options)

    return make


@pytest.fixture
def between_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds in this test keep for the next what they made of each record, as ``kg
    serve``'s do (:func:`kg.memo.keep_between_builds`)."""
    import kg.memo

    monkeypatch.setattr(kg.memo, "_between_builds", True)


@pytest.fixture
def temporary_folders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The folder (``dir``) each ``tempfile.TemporaryFile`` is asked for, in order; the
    files are made as usual."""
    import tempfile

    folders: list[Any] = []
    made = tempfile.TemporaryFile

    def temporary(*args: Any, **kwargs: Any) -> Any:
        folders.append(kwargs.get("dir"))
        return made(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary)
    return folders


@pytest.fixture
def sample_config(tmp_path: Path) -> Config:
    """The sample wiki's settings (kg.toml at the repo root) with the site in ``tmp_path``."""
    return load_config(REPO).with_options(out=tmp_path / "site")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample wiki built once per test session; tests only read it."""
    from kg.build import build

    out = tmp_path_factory.mktemp("sample") / "site"
    build(load_config(REPO).with_options(out=out))
    return out


# -- parsing on strings ------------------------------------------------------------------------


ParseText = Callable[..., Note]


def _parse(text: str | bytes, path: str = "a.md") -> Note:
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return parse_note(data, nid=note_id(stem, file=path), path=path)


@pytest.fixture
def parse() -> ParseText:
    """``parse(text, path="a.md")`` → the Note that file would give."""
    return _parse


# -- reading HTML ------------------------------------------------------------------------------

_VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"])


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)
    line: int = 0

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        """All text inside, whitespace collapsed (entities already decoded)."""
        return " ".join(self._raw_text().split())

    def _raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else " " + c._raw_text() + " "
                       for c in self.children)

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def select(self, selector: str) -> list[Element]:
        """Descendants matching a selector of simple parts joined by spaces (descendant
        combinator). A part is ``tag``, ``.cls``, ``#id``, ``[attr]``, ``[attr=value]`` or a
        combination such as ``section.rel-group[data-relation=counterpoint]``."""
        parts = [_Simple.parse(p) for p in selector.split()]
        found = []
        for el in self.iter():
            if not parts[-1].matches(el):
                continue
            remaining = parts[:-1]
            for anc in el.ancestors():
                if not remaining:
                    break
                if remaining[-1].matches(anc):
                    remaining = remaining[:-1]
            if not remaining:
                found.append(el)
        return found

    def select_one(self, selector: str) -> Element:
        found = self.select(selector)
        assert len(found) == 1, f"{selector!r}: expected one element, found {len(found)}"
        return found[0]

    def texts(self, selector: str) -> list[str]:
        return [el.text for el in self.select(selector)]

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


@dataclass(frozen=True)
class _Simple:
    tag: str | None
    classes: tuple[str, ...]
    id: str | None
    attrs: tuple[tuple[str, str | None], ...]

    @staticmethod
    def parse(text: str) -> _Simple:
        attrs = tuple(
            (m.group(1), m.group(3).strip("\"'") if m.group(3) is not None else None)
            for m in re.finditer(r"\[([\w-]+)(=([^\]]*))?\]", text)
        )
        rest = re.sub(r"\[[^\]]*\]", "", text)
        tag = re.match(r"^[\w-]*", rest).group(0) or None  # type: ignore[union-attr]
        classes = tuple(re.findall(r"\.([\w-]+)", rest))
        ids = re.findall(r"#([\w-]+)", rest)
        return _Simple(tag, classes, ids[0] if ids else None, attrs)

    def matches(self, el: Element) -> bool:
        if self.tag and el.tag != self.tag:
            return False
        if not set(self.classes) <= el.classes:
            return False
        if self.id and el.attrs.get("id") != self.id:
            return False
        return all(name in el.attrs and (value is None or el.attrs[name] == value)
                   for name, value in self.attrs)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs}, self.current,
                     line=self.getpos()[0])
        self.current.children.append(el)
        if tag not in _VOID:
            self.current = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current,
                                             line=self.getpos()[0]))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:  # close it (and anything left open)
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


@pytest.fixture
def read_html() -> Callable[[Path], Element]:
    """``read_html(path)`` → the page as an :class:`Element` tree to ``select`` from."""
    return lambda path: parse_html(Path(path).read_text(encoding="utf-8"))
