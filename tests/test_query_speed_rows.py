"""A warm `kg connections` answers from the cache's plain tables (edges as plain rows, every
node's label) without importing the record or view classes; these tests hold its rows to
the connection view of the records, and its imports to the few it needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import generate_wiki

from kg.build import load_wiki
from kg.cache import open_graph
from kg.config import Config, load_config
from kg.model import Wiki
from kg.query import connection_rows, connections, link_rows

REPO = Path(__file__).resolve().parent.parent
OPTIONS: list[dict[str, Any]] = [
    {"relation": relation, "direction": direction, "mentions": mentions}
    for relation in (None, "mentions", "related", "supports", "disagrees")
    for direction in ("both", "out", "in")
    for mentions in (True, False)
]


@pytest.fixture
def sample(tmp_path: Path) -> Config:
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    return load_config(tmp_path)


@pytest.fixture
def generated(tmp_path: Path) -> Config:
    generate_wiki(tmp_path / "wiki", 80, seed=3)
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Generated"\n', encoding="utf-8")
    return load_config(tmp_path)


def _nodes(wiki: Wiki) -> list[str]:
    return [*wiki.notes, *wiki.placeholders]


def _same_rows(config: Config, *, held_whole: bool) -> None:
    wiki = load_wiki(config)
    graph = open_graph(config)
    assert (graph._wiki is not None) is held_whole
    for nid in _nodes(wiki):
        for options in OPTIONS:
            expected = link_rows(connections(wiki, nid, **options)[1])
            assert connection_rows(graph, nid, **options) == (nid, expected), (nid, options)


@pytest.mark.parametrize("wiki_name", ["sample", "generated"])
def test_plain_rows_equal_the_connection_view(wiki_name: str,
                                              request: pytest.FixtureRequest) -> None:
    config = request.getfixturevalue(wiki_name)
    _same_rows(config, held_whole=True)  # just rebuilt: answered from the records in memory
    _same_rows(config, held_whole=False)  # read back from the file


def test_plain_rows_find_notes_by_any_name(sample: Config) -> None:
    graph = open_graph(sample)
    wiki = load_wiki(sample)
    for name in ["Defense Trilemma", "import ai 455", "ahe.md", "LongAct", "tip"]:
        nid, links = connections(wiki, name)
        assert connection_rows(graph, name) == (nid, link_rows(links)), name


def test_plain_rows_follow_an_edit(sample: Config) -> None:
    open_graph(sample)
    path = sample.wiki / "import-ai-455.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "rel: counterpoint", "rel: critiques"), encoding="utf-8")
    _, rows = connection_rows(open_graph(sample), "import-ai-455", direction="out",
                              mentions=False)
    trilemma = [row for row in rows if row["note"] == "defense-trilemma"]
    assert [(row["relation"], row["label"]) for row in trilemma] == [("critiques", "Critiques")]


def _loaded_after(args: list[str], cwd: Path) -> list[str]:
    script = (
        "import sys\n"
        "from kg.cli import main\n"
        f"try:\n    main({args!r}, standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m == 'kg' or m.startswith('kg.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=cwd).stdout
    return eval(out.split("LOADED", 1)[1])  # type: ignore[no-any-return]


def test_a_warm_query_imports_neither_records_nor_views(sample: Config) -> None:
    open_graph(sample)
    loaded = _loaded_after(["connections", "import-ai-455", "--wiki", str(sample.wiki)],
                           sample.root)
    assert not {"kg.model", "kg.views", "kg.resolve", "kg.parse"} & set(loaded), loaded


def test_help_imports_no_module_of_kg_but_the_cli(tmp_path: Path) -> None:
    assert _loaded_after(["--help"], tmp_path) == ["kg", "kg.cli"]
