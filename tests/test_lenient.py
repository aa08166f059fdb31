"""Queries on a wiki with a broken note: they answer from the notes that parse and say on
stderr what they left out (a note that does not parse, a file name that gives no id, a link
two notes claim), from the cache after the first time; the build still fails, with the
very error it gave before, until the note is fixed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import site_tree

from kg import cache, cachefile, parse
from kg.build import build, load_wiki
from kg.cache import cache_file, open_graph
from kg.errors import BuildFailed, KgError, LeftOut, ResolveError

WIKI = {
    "a.md": "---\ntitle: A\nconnections: [b, c]\n---\nSee [[Same]] and [[c]].\n\n"
            "## Open questions\n- Why A?\n",
    "b.md": "---\ntitle: B\ntier: [1\n---\nSee [[a]].\n",  # the [ opened on line 3
    "c.md": "---\ntitle: C\ndate: 2026-01-01\n"
            "forecasts: [{claim: C holds, p: 0.5, by: 2030-01-01}]\n---\nBack to [[a]].\n",
    "one.md": "---\ntitle: Same\n---\n",
    "two.md": "---\ntitle: same\n---\n",
}
"""b does not parse; a's [[Same]] names both one and two."""

FIXED_B = "---\ntitle: B\ntier: 1\n---\nSee [[a]].\n"

QUERIES = [
    ["connections", "a", "--format", "json"],
    ["neighbors", "a", "--format", "json"],
    ["path", "a", "c", "--format", "json"],
    ["questions", "--format", "json"],
    ["forecasts", "--format", "json"],
    ["stats", "--format", "json"],
    ["sparql", "SELECT ?n ?title WHERE { ?n dcterms:title ?title }", "--format", "json"],
]


def kg(*args: str) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _warned(result: Result, notes: int = 1, links: int = 1) -> None:
    """The query answered (exit 0), and its stderr is the one warning naming what it left
    out: b's YAML error at its line, a's ambiguous link at its line."""
    assert result.exit_code == 0, result.output
    head, *findings = result.stderr.rstrip("\n").split("\n")
    parts = [f"{notes} note{'s' * (notes != 1)} with errors"] if notes else []
    parts += [f"{links} ambiguous link{'s' * (links != 1)}"] if links else []
    assert head.startswith(f"warning: {' and '.join(parts)} left out of the answer"), head
    assert "`kg build` fails until" in head
    assert len(findings) == notes + links, result.stderr
    if notes:
        assert findings[0].startswith("  b.md:3: error: front-matter is not valid YAML")
    if links:
        assert findings[-1].startswith("  a.md:5: error: 'Same' is ambiguous: it names one, two")


@pytest.mark.parametrize("args", QUERIES, ids=lambda args: args[0])
def test_every_query_answers_without_the_broken_note_and_warns(write_wiki, args: list[str]
                                                                ) -> None:
    config = write_wiki(WIKI)
    for _ in range(2):  # made, then read from the cache: the same answer, the same warning
        result = kg(*args, "--wiki", str(config.wiki))
        _warned(result)
        answer = json.loads(result.stdout)  # stdout is the answer alone, valid JSON
        assert answer
        if args[0] == "sparql":
            assert sorted(row["title"] for row in answer) == ["A", "C", "Same", "same"]
        assert "warning" not in result.stdout and "b.md" not in result.stdout


def test_the_answer_is_the_wiki_without_the_broken_note(write_wiki) -> None:
    config = write_wiki(WIKI)
    found = json.loads(kg("connections", "a", "--format", "json", "--wiki",
                          str(config.wiki)).stdout)
    out = {(r["note"], r["relation"], r["placeholder"]) for r in found
           if r["direction"] == "out"}
    # b is left out, so a link to it is a placeholder's; [[Same]] is no edge at all
    assert out == {("b", "related", True), ("c", "related", False), ("c", "mentions", False)}
    assert {r["note"] for r in found if r["direction"] == "in"} == {"c"}  # not b
    graph = open_graph(config, lenient=True)
    assert sorted(graph.wiki().notes) == ["a", "c", "one", "two"]
    assert graph.left_out is not None and graph.left_out.files == 1


def test_the_build_still_fails_with_the_same_error_and_writes_nothing(write_wiki) -> None:
    config = write_wiki(WIKI)
    with pytest.raises(BuildFailed) as fresh:  # the cache bypassed: what a build always said
        load_wiki(config)
    assert kg("connections", "a", "--wiki", str(config.wiki)).exit_code == 0  # cached
    for _ in range(2):  # the error read from the cache is the error found by parsing
        with pytest.raises(BuildFailed) as cached:
            open_graph(config)
        assert str(cached.value) == str(fresh.value)
        assert cached.value.findings == fresh.value.findings
        assert "2 notes have errors" in str(cached.value)
    result = kg("build", "--wiki", str(config.wiki), "--out", str(config.out))
    assert result.exit_code == 1
    assert "2 notes have errors; nothing was written" in result.stderr
    assert "b.md:3" in result.stderr and "a.md:5" in result.stderr
    assert not config.out.exists()
    with pytest.raises(BuildFailed):
        build(config)
    assert not config.out.exists()


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "nt", "graphml"])
def test_an_export_fails_with_the_errors_and_writes_nothing(write_wiki, fmt: str) -> None:
    """An export is a file others load: without the broken notes it would pass for the whole
    graph, so it fails as the build does (after a query has cached the errors, too)."""
    config = write_wiki(WIKI)
    assert kg("connections", "a", "--wiki", str(config.wiki)).exit_code == 0  # cached
    target = config.root / f"graph.{fmt}"
    for args in (["--out", str(target)], []):
        result = kg("export", "--format", fmt, *args, "--wiki", str(config.wiki))
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert "2 notes have errors" in result.stderr
        assert "b.md:3" in result.stderr and "a.md:5" in result.stderr
        assert not target.exists()
    (config.wiki / "b.md").write_text(FIXED_B, encoding="utf-8")
    (config.wiki / "two.md").unlink()
    result = kg("export", "--format", fmt, "--out", str(target), "--wiki", str(config.wiki))
    assert result.exit_code == 0, result.output
    assert b"Same" in target.read_bytes()


def test_an_ambiguous_link_alone_is_left_out_and_still_fails_the_build(write_wiki) -> None:
    config = write_wiki({**WIKI, "b.md": FIXED_B})
    result = kg("connections", "a", "--wiki", str(config.wiki))
    _warned(result, notes=0)
    with pytest.raises(ResolveError) as fresh:
        load_wiki(config)
    with pytest.raises(ResolveError) as cached:
        build(config)
    assert "1 link target(s) are ambiguous; nothing was written" in str(cached.value)
    assert cached.value.findings == fresh.value.findings
    assert not config.out.exists()


def test_fixing_the_note_makes_the_warning_go_away(write_wiki) -> None:
    config = write_wiki(WIKI)
    _warned(kg("connections", "a", "--wiki", str(config.wiki)))
    write_wiki({"b.md": FIXED_B, "a.md": WIKI["a.md"].replace("[[Same]]", "[[one]]")})
    result = kg("connections", "a", "--format", "json", "--wiki", str(config.wiki))
    assert result.exit_code == 0 and result.stderr == ""
    found = json.loads(result.stdout)
    assert ("b", "related", False) in {(r["note"], r["relation"], r["placeholder"])
                                       for r in found}
    assert open_graph(config).left_out is None
    assert build(config).notes == 5


def test_the_second_query_is_answered_from_the_cache_and_still_warns(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_wiki(WIKI)
    first = kg("connections", "a", "--format", "json", "--wiki", str(config.wiki))
    _warned(first)

    def no_parsing(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the wiki was parsed again")

    monkeypatch.setattr(cache, "load_notes_leniently", no_parsing)
    for args in QUERIES:
        second = kg(*args, "--wiki", str(config.wiki))
        _warned(second)
        if args[0] == "connections":
            assert second.stdout == first.stdout
    with pytest.raises(BuildFailed, match="2 notes have errors"):
        open_graph(config)  # strict, from the cache too
    graph = open_graph(config, lenient=True)
    assert graph._wiki is None  # read from the file, not rebuilt


def test_an_edit_elsewhere_parses_that_note_alone_and_keeps_the_warning(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_wiki(WIKI)
    _warned(kg("connections", "a", "--wiki", str(config.wiki)))
    parsed: list[str] = []
    parse_all = parse.parse_all

    def counted(sources: Any, **kwargs: Any) -> Any:
        parsed.extend(path for _data, _nid, path in sources)
        return parse_all(sources, **kwargs)

    monkeypatch.setattr(parse, "parse_all", counted)
    write_wiki({"c.md": WIKI["c.md"] + "More.\n"})
    _warned(kg("connections", "a", "--wiki", str(config.wiki)))
    assert sorted(parsed) == ["b.md", "c.md"]  # the edited note, and the broken one again


def test_the_cache_of_a_broken_wiki_is_the_same_bytes_every_time(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachefile, "RACY_NS", 0)  # the same header, however slow the run
    config = write_wiki({**WIKI, "c.md": WIKI["c.md"] + "[[Same]], [[same]]\n"})
    open_graph(config, lenient=True)
    written = cache_file(config).read_bytes()
    cache.clear(config)
    cache._held = None
    graph = open_graph(config, lenient=True)
    assert cache_file(config).read_bytes() == written
    assert graph.left_out is not None and len(graph.left_out.findings) == 4


def test_a_file_name_that_gives_no_id_is_left_out_and_printed_escaped(write_wiki) -> None:
    config = write_wiki({**WIKI, "b.md": FIXED_B, "a.md": WIKI["a.md"].replace("[[Same]]", ""),
                         "bad\x1b[2J.md": "# Bad\n"})
    result = kg("stats", "--format", "json", "--wiki", str(config.wiki))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: 1 note with errors left out of the answer")
    assert "bad\\x1b[2J.md: error: the file name holds the control character U+001B" in (
        result.stderr)
    assert "\x1b" not in result.stderr
    json.loads(result.stdout)
    with pytest.raises(BuildFailed, match=r"1 note file name\(s\) cannot be ids"):
        open_graph(config)


def test_left_out_is_the_error_a_strict_read_raises() -> None:
    from kg.errors import Finding, Location, Severity

    def finding(code: str, file: str) -> Finding:
        return Finding(Severity.ERROR, code, "wrong", Location(file, 2))

    name, note, link = finding("bad-id", "x.md"), finding("bad-note", "y.md"), finding(
        "ambiguous-target", "z.md")
    assert not LeftOut() and LeftOut().error() is None
    failed = LeftOut((name,), (note,), (link,)).error()
    assert isinstance(failed, BuildFailed) and failed.findings == (name,)
    failed = LeftOut((), (note,), (link,)).error()
    assert isinstance(failed, BuildFailed) and failed.findings == (note, link)
    assert failed.message == "2 notes have errors"
    failed = LeftOut((), (), (link,)).error()
    assert isinstance(failed, ResolveError) and isinstance(failed, KgError)
    assert LeftOut((), (note, note), ()).files == 1
    assert LeftOut((name,), (note,), (link, link)).warning().split("\n")[0] == (
        "warning: 2 notes with errors and 2 ambiguous links left out of the answer "
        "(`kg build` fails until they are fixed):")


def test_a_missing_wiki_folder_is_still_an_error(tmp_path: Path) -> None:
    result = kg("connections", "a", "--wiki", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no wiki folder" in result.stderr


def test_a_built_site_stays_as_it_was_while_a_note_is_broken(write_wiki) -> None:
    config = write_wiki({**WIKI, "b.md": FIXED_B, "a.md": WIKI["a.md"].replace("[[Same]]", "")})
    build(config)
    before = site_tree(config.out)
    write_wiki({"b.md": WIKI["b.md"]})
    _warned(kg("questions", "--wiki", str(config.wiki)), links=0)  # the error cached
    for _ in range(2):
        result = kg("build", "--wiki", str(config.wiki), "--out", str(config.out))
        assert result.exit_code == 1 and "1 note has errors; nothing was written" in (
            result.stderr)
        assert site_tree(config.out) == before
    write_wiki({"b.md": FIXED_B})
    assert kg("build", "--wiki", str(config.wiki), "--out", str(config.out)).exit_code == 0
    assert kg("questions", "--wiki", str(config.wiki)).stderr == ""


def test_an_ambiguous_link_is_found_again_by_the_next_process_after_an_edit(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process's rebuild after an edit elsewhere finds a's ambiguous link again: the
    links of a broken wiki's notes (which lack it) are never taken as they were, else its
    error would be lost and the build would succeed."""
    from kg import resolve

    config = write_wiki({**WIKI, "b.md": FIXED_B})
    _warned(kg("connections", "a", "--wiki", str(config.wiki)), notes=0)
    for edit in range(2):
        monkeypatch.setattr(cache, "_held", None)  # as in a new process
        monkeypatch.setattr(resolve, "_last_resolved", None)
        write_wiki({"c.md": WIKI["c.md"] + "More.\n" * (edit + 1)})
        _warned(kg("connections", "a", "--wiki", str(config.wiki)), notes=0)
        with pytest.raises(ResolveError):
            build(config)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="Linux's /dev/full")
def test_a_warning_that_cannot_be_written_does_not_stop_the_answer(write_wiki) -> None:  # type: ignore[no-untyped-def]
    """The warning is said to standard error; were that full or gone (`2>/dev/full`, a
    closed pipe), the query had failed with exit 1 before printing its answer."""
    import os
    import subprocess
    import sys

    import kg as package

    config = write_wiki(WIKI)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", "from kg.cli import run; run()", "questions", "--format",
             "json", "--wiki", str(config.wiki)], stdout=subprocess.PIPE, stderr=full,
            text=True, env={**os.environ, "PYTHONPATH": str(Path(package.__file__).parents[1])})
    assert done.returncode == 0
    assert [q["note"] for q in json.loads(done.stdout)] == ["a"]


@pytest.mark.parametrize("args", [["connections", "d"], ["connections", "d.md"],
                                  ["neighbors", "d"], ["path", "d", "a"]],
                         ids=lambda args: " ".join(args))
def test_a_query_of_the_broken_note_itself_says_it_is_left_out(write_wiki,
                                                               args: list[str]) -> None:
    """Asked for by its file's name, a note left out for its errors is not "no note called
    d" with a list of ids: the error says that its file has errors."""
    config = write_wiki({**WIKI, "d.md": "---\ntitle: D\ntags: [x\n---\nSee [[a]].\n"})
    result = kg(*args, "--wiki", str(config.wiki))
    assert result.exit_code == 1
    assert result.stderr.rstrip("\n").split("\n")[-2:] == [
        f"error: no note called '{args[1]}': d.md has errors, and is left out until they "
        "are fixed", "  hint: its errors are said above; `kg check` lists every one"]
    unknown = kg("connections", "nothing", "--wiki", str(config.wiki))
    assert "error: no note called 'nothing'\n" in unknown.stderr


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``unreadable(folder)``: the folder cannot be listed, as ``chmod 000`` makes it for
    anyone but root; for root (whom no mode stops) opening or listing it by its path fails
    as it would."""
    locked: list[str] = []
    scandir, open_ = os.scandir, os.open

    def refuse(path: Any) -> None:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path) in locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))

    def listing(path: Any = ".") -> Any:
        refuse(path)
        return scandir(path)

    def opening(path: Any, *args: Any, **kwargs: Any) -> int:
        refuse(path)
        return open_(path, *args, **kwargs)

    def lock(folder: Path) -> None:
        folder.chmod(0)
        locked.extend([str(folder), str(folder.resolve())])
        if os.geteuid() == 0:
            monkeypatch.setattr(os, "scandir", listing)
            monkeypatch.setattr(os, "open", opening)

    yield lock
    for folder in locked:
        Path(folder).chmod(0o755)


def test_a_folder_that_cannot_be_read_stops_the_build_and_is_said(write_wiki, unreadable
                                                                  ) -> None:
    """Its notes had left the site without a word: a folder of the vault that kg cannot
    list (a permission, a mount) built a site without its pages, and a wiki folder that
    cannot be listed an empty site over the last one."""
    config = write_wiki({"a.md": "# A\nSee [[c]].\n", "locked/c.md": "# C\n"})
    build(config)
    before = site_tree(config.out)
    unreadable(config.wiki / "locked")
    with pytest.raises(BuildFailed) as info:
        build(config)
    assert str(info.value).startswith(
        "1 folder of the wiki cannot be read; nothing was written\n")
    assert [str(f) for f in info.value.findings] == [
        "locked: error: cannot read the folder: Permission denied (check the folder's "
        "permissions, or move it out of the wiki)"]
    assert site_tree(config.out) == before
    result = kg("connections", "a", "--wiki", str(config.wiki))
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: the notes of 1 folder that cannot be read left "
                                    "out of the answer (`kg build` fails until it is fixed):")
    checked = kg("check", "--wiki", str(config.wiki))
    assert checked.exit_code == 1
    assert "locked  error     unreadable    cannot read the folder" in checked.stdout
    assert "1 error, " in checked.output and "in 1 note checked" in checked.output
    unreadable(config.wiki)
    with pytest.raises(KgError, match=r"cannot read the wiki folder .*: Permission denied"):
        build(config)
    assert site_tree(config.out) == before
