"""Incremental builds: after any change, the site an incremental build leaves is byte for byte
the site a full build writes, and pages whose inputs did not change were not made again.

Each step changes the wiki the way a user would (an edit, a new note that takes a
placeholder's name, a deletion, a new tag, an answered question, a saved query, a template of
the wiki's own…), builds incrementally into ``site/`` and fully into ``full/``, and compares
the two trees file by file.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_WIKI
from conftest import edit_note as edit
from conftest import site_tree as tree

import kg.incremental
from kg.build import BuildResult, build
from kg.config import Config, load_config

ANSWERED = "import-ai-455#q-does-creativity-scale-like-engineering-and-the-t"




def assert_same_tree(site: Path, full: Path) -> None:
    a, b = tree(site), tree(full)
    assert sorted(a) == sorted(b), (sorted(set(a) ^ set(b)))
    different = [path for path in a if a[path] != b[path]]
    assert different == [], f"incremental output differs from a full build in {different}"


@pytest.fixture
def sample(tmp_path: Path) -> Config:
    """A copy of the sample wiki (with its saved queries), built once."""
    root = tmp_path / "project"
    shutil.copytree(SAMPLE_WIKI, root / "wiki")
    config = replace(load_config(root), out=root / "site")
    first = build(config)
    assert first.rendered == first.files
    return config


def rebuild(config: Config) -> BuildResult:
    """An incremental build into ``site/``, checked against a full one into ``full/``."""
    result = build(config)
    full = replace(config, out=config.root / "full")
    build(full, full=True)
    assert_same_tree(config.out, full.out)
    return result




def inode(config: Config, page: str) -> int:
    return (config.out / page).stat().st_ino


def test_an_edit_of_a_note_s_text_renders_its_page_not_its_neighbours(sample: Config) -> None:
    untouched = inode(sample, "notes/mimo.html")
    mentioned = inode(sample, "notes/import-ai-455.html")  # ahe mentions it further down
    before = (sample.out / "notes/ahe.html").read_text(encoding="utf-8")
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nA sentence added.\n", 1))
    result = rebuild(sample)
    after = (sample.out / "notes/ahe.html").read_text(encoding="utf-8")
    assert "A sentence added." in after and "A sentence added." not in before
    assert 0 < result.rendered < result.files // 2, result.summary()
    # a page whose inputs did not change is the previous build's file, linked, not rewritten
    assert inode(sample, "notes/mimo.html") == untouched
    # the lines of ahe's mentions moved down one, but no page shows a source line
    assert inode(sample, "notes/import-ai-455.html") == mentioned


def test_a_wiki_built_in_kg_s_own_checkout_keeps_builds_incremental(sample: Config) -> None:
    """There the project's ``templates/`` is the theme itself (or, kg installed from the
    clone, a copy of it): no override of the wiki's, whose pages are keyed as showing
    anything; an edit renders a few pages, not all."""
    from kg.theme import theme_dir

    shutil.copytree(theme_dir(), sample.root / "templates")
    (sample.root / "templates" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # a Finder's
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nAdded.\n", 1))
    result = rebuild(sample)
    assert 0 < result.rendered < result.files // 2, result.summary()


def test_a_new_summary_makes_its_own_tier_s_page_again_not_the_others(sample: Config) -> None:
    """A tier page lists its notes' summaries and only counts the other tiers' notes."""
    others = {page: inode(sample, page) for page in ("tiers/1.html", "tiers/3.html")}
    own = inode(sample, "tiers/2.html")  # ahe is tier 2
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nNew summary.\n", 1))
    rebuild(sample)
    assert "New summary." in (sample.out / "tiers/2.html").read_text(encoding="utf-8")
    assert inode(sample, "tiers/2.html") != own
    assert {page: inode(sample, page) for page in others} == others


def test_a_new_title_reaches_every_page_that_shows_it(sample: Config) -> None:
    edit(sample, "ahe.md", lambda t: t.replace('title: "AHE: making harness evolution observable"',
                                               'title: "AHE, renamed"'))
    rebuild(sample)
    incoming = (sample.out / "notes/import-ai-455.html").read_text(encoding="utf-8")
    assert "AHE, renamed" in incoming


def test_a_new_note_takes_a_placeholder_s_place(sample: Config) -> None:
    wiki = build(sample)
    assert wiki.placeholders > 0
    ghost = next(p.stem for p in sorted((sample.out / "notes").glob("*.html"))
                 if "not written yet" in p.read_text(encoding="utf-8")
                 and not (sample.wiki / f"{p.stem}.md").exists())
    (sample.wiki / f"{ghost}.md").write_text(
        f"---\ntitle: Now written {ghost}\ndate: 2026-06-01\ntier: 3\ntags: [brand-new-tag]\n"
        f"connections:\n  - to: ahe\n    rel: extends\n    note: \"Builds on the audit trail.\"\n"
        f"---\n## TL;DR\nWritten at last; see [[AHE]].\n", encoding="utf-8")
    result = rebuild(sample)
    assert result.placeholders == wiki.placeholders - 1
    page = (sample.out / f"notes/{ghost}.html").read_text(encoding="utf-8")
    assert f"Now written {ghost}" in page
    assert (sample.out / "tags/brand-new-tag.html").is_file()


@pytest.mark.parametrize("added", ["Daily/README.md", "Papers/Uber Notes.md"])
def test_a_note_whose_id_another_file_changes_is_shown_under_its_new_id(
        sample: Config, added: str) -> None:
    """A note's id depends on other files too: Projects/README.md is "readme" alone and
    "projects-readme" beside a Daily/README.md; "Uber Notes" keeps "uber-notes" and
    "Über Notes" is hashed beside it. Every page showing the note (its entry in the feed)
    follows, though its own file did not change."""
    readme = sample.wiki / "Projects" / "README.md"
    readme.parent.mkdir()
    readme.write_text("---\ntitle: Projects\ndate: 2026-06-01\n---\nThe projects.\n",
                      encoding="utf-8")
    (sample.wiki / "Papers").mkdir()
    (sample.wiki / "Papers" / "Über Notes.md").write_text(
        "---\ntitle: Über\ndate: 2026-06-02\n---\nText.\n", encoding="utf-8")
    rebuild(sample)
    target = sample.wiki / added
    target.parent.mkdir(exist_ok=True)
    target.write_text("---\ntitle: Other\n---\nMore.\n", encoding="utf-8")  # not in the feed
    rebuild(sample)  # the same bytes as a full build: the feed names the new ids


def test_a_deleted_note_loses_its_page_and_its_neighbours_forget_it(sample: Config) -> None:
    assert (sample.out / "notes/ahe.html").is_file()
    (sample.wiki / "ahe.md").unlink()
    rebuild(sample)
    assert not (sample.wiki / "ahe.md").exists()
    page = (sample.out / "notes/import-ai-455.html").read_text(encoding="utf-8")
    # import-ai-455 still names ahe, which is now a placeholder: a ghost link, not a note link
    assert re.search(r'class="note-link ghost" href="ahe.html"', page)


def test_connections_tags_tiers_questions_and_forecasts_change_incrementally(
        sample: Config) -> None:
    steps: list[tuple[str, Callable[[str], str]]] = [
        ("mimo.md", lambda t: t.replace("tags: [routing, efficiency]\n",
                                        "tags: [routing, efficiency]\nconnections:\n  - to: ahe\n"
                                        "    rel: supports\n    note: \"A new link.\"\n", 1)),
        ("mimo.md", lambda t: re.sub(r"tier: \d", "tier: 1", t, count=1)),
        ("mimo.md", lambda t: re.sub(r"tags: \[", "tags: [another-new-tag, ", t, count=1)),
        ("ahe.md", lambda t: t.replace("---\n## TL;DR", f"answers: [{ANSWERED}]\n---\n## TL;DR")),
        ("import-ai-455.md", lambda t: t.replace("p: 0.3, by: 2027-12-31}",
                                                 "p: 0.3, by: 2027-12-31, resolved: false}")),
        ("mimo.md", lambda t: t + "\nMore about [[a-note-not-yet-written]].\n"),
    ]
    for name, change in steps:
        edit(sample, name, change)
        rebuild(sample)


def test_a_saved_query_and_a_template_of_the_wiki_s_own(sample: Config) -> None:
    query = sample.wiki / "queries" / "counterpoints.rq"
    query.write_text(query.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    rebuild(sample)
    from kg.theme import theme_dir

    own = sample.root / "templates"
    own.mkdir()
    text = (theme_dir() / "note.html").read_text(encoding="utf-8")
    (own / "note.html").write_text(text.replace("</article>", "<p>own footer</p></article>", 1),
                                   encoding="utf-8")
    result = rebuild(sample)
    assert "own footer" in (sample.out / "notes/ahe.html").read_text(encoding="utf-8")
    assert result.rendered >= 12
    # with templates of its own (which may show anything) a text edit still comes out right
    edit(sample, "mimo.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nOwn theme edit.\n", 1))
    rebuild(sample)


def test_a_note_template_of_the_wiki_s_own_keeps_builds_incremental(sample: Config) -> None:
    own = sample.root / "templates"
    own.mkdir()
    (own / "note.md").write_text("---\ntitle: {{ title }}\n---\n## TL;DR\n", encoding="utf-8")
    build(sample)
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nOne more.\n", 1))
    result = rebuild(sample)
    assert result.rendered < result.files // 2, result.summary()


def test_nothing_changed_is_answered_from_the_stat_alone(sample: Config,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.cache
    import kg.cachefile

    # files written in the last seconds could change again unseen by a stat: the build after
    # such a change reads the wiki; here the notes are taken as old enough
    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)
    build(sample)
    site = tree(sample.out)

    def no_reading(config: Config) -> None:
        raise AssertionError("a build with nothing to do read the wiki")

    monkeypatch.setattr(kg.cache, "open_graph", no_reading)
    result = build(sample)
    assert result.rendered == 0 and "nothing changed" in result.summary()
    assert result.notes == 12 and result.files == len(site) - 1  # the marker is not a page
    assert tree(sample.out) == site


def test_nothing_changed_imports_neither_the_records_nor_the_site(sample: Config) -> None:
    """The answer comes from the stat alone, so start-up is all it costs: no module of the
    records, the site or the templates is imported (each costs tens of milliseconds)."""
    import subprocess
    import sys

    heavy = ("kg.model", "kg.site", "kg.depends", "kg.resolve", "jinja2")
    script = (
        "import sys, dataclasses, pathlib\n"
        "import kg.cachefile\n"
        "kg.cachefile.RACY_NS = 0  # the notes were written a moment ago: trust them\n"
        "from kg.build import build\n"
        "from kg.config import load_config\n"
        f"config = load_config(pathlib.Path({str(sample.root)!r}))\n"
        f"r = build(dataclasses.replace(config, out=pathlib.Path({str(sample.out)!r})))\n"
        f"print(r.rendered, [m for m in {heavy!r} if m in sys.modules])\n"
    )
    run = [sys.executable, "-c", script]
    subprocess.run(run, capture_output=True, text=True, check=True)  # records a trusted stamp
    again = subprocess.run(run, capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "0 []", again.stdout + again.stderr


def test_a_touched_note_renders_nothing(sample: Config) -> None:
    path = sample.wiki / "ahe.md"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    result = rebuild(sample)
    assert result.rendered == 0


def test_a_lost_manifest_or_a_changed_site_means_a_full_build(sample: Config) -> None:
    kg.incremental.manifest_path(sample).unlink()
    result = rebuild(sample)
    assert result.rendered == result.files
    (sample.out / "notes" / "ahe.html").unlink()  # a page removed by hand is made again
    result = build(sample, full=False)
    assert (sample.out / "notes" / "ahe.html").is_file()


def test_the_worker_pool_writes_the_same_site(sample: Config,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kg.incremental, "PARALLEL_MIN", 0)
    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True)  # even after Playwright's
    pooled = replace(sample, out=sample.root / "pooled")
    build(pooled, jobs=2)
    assert_same_tree(pooled.out, sample.out)
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nPooled edit.\n", 1))
    build(pooled, jobs=2)
    full = replace(sample, out=sample.root / "full")
    build(full, full=True, jobs=1)
    assert_same_tree(pooled.out, full.out)


def test_a_note_added_beside_a_hub_leaves_the_pages_that_draw_it_two_hops_away(
        write_wiki: Any) -> None:
    """A page's local graph draws the notes two hops away, sized by their degree's class:
    a hub's next link seldom changes how it is drawn, so a note added beside it makes
    again the hub's page and its own, not every page whose local graph draws the hub."""
    leaves = {f"leaf-{i:02}.md": "---\ntitle: Leaf {i}\nconnections: [hub]\n---\nText.\n"
              for i in range(40)}
    far = "---\ntitle: Far\nconnections: [leaf-00]\n---\nTwo hops from the hub.\n"
    config = write_wiki({"hub.md": "---\ntitle: Hub\n---\nThe hub.\n", "far.md": far,
                         **leaves})
    build(config)
    far_page, hub_page = inode(config, "notes/far.html"), inode(config, "notes/hub.html")
    assert '"Hub"' in (config.out / "notes/far.html").read_text(encoding="utf-8")
    write_wiki({"new.md": "---\ntitle: New\nconnections: [hub]\n---\nOne more.\n"})
    build(config)
    assert inode(config, "notes/far.html") == far_page
    assert inode(config, "notes/hub.html") != hub_page
    full = replace(config, out=config.root / "full")
    build(full, full=True)
    assert_same_tree(config.out, full.out)


def test_builds_in_one_process_render_again_only_the_list_items_that_changed(
        sample: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg serve`` builds again and again in one process: the timeline's and the lists'
    items of the notes an edit left alone are the last build's, unless what they are made
    from changed (here the tiers' labels, in kg.toml); the site is a full build's."""
    import kg.snippets

    made: list[str] = []
    real = kg.snippets.Remembered.lines

    def lines(self: kg.snippets.Remembered, kind: tuple[object, ...], notes: Any,
              line: Callable[[Any], str]) -> str:
        if kind[1] != 3:  # not the timeline, which shows the summary
            return real(self, kind, notes, line)
        return real(self, kind, notes, lambda note: made.append(note.id) or line(note))

    monkeypatch.setattr(kg.snippets.Remembered, "lines", lines)
    for n in (1, 2):
        edit(sample, "ahe.md", lambda t, n=n: t.replace("## TL;DR\n", f"## TL;DR\nEdit {n}.\n", 1))
        made.clear()
        build(sample)
    assert made == ["ahe"]  # the other notes' lines: the last build's

    toml = sample.root / "kg.toml"
    toml.write_text((toml.read_text(encoding="utf-8") if toml.exists() else "")
                    + '[kg.tiers]\n2 = "Worth a look"\n', encoding="utf-8")
    config = replace(load_config(sample.root), out=sample.out)
    edit(config, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nEdit 3.\n", 1))
    made.clear()
    build(config)
    assert {"ahe", "mimo", "import-ai-455"} <= set(made)  # every line made again
    assert 'title="Worth a look"' in (config.out / "timeline.html").read_text(encoding="utf-8")
    full = replace(config, out=config.root / "full")
    build(full, full=True)
    assert_same_tree(config.out, full.out)


def test_the_graph_exports_streamed_to_disk_equal_the_ones_made_in_memory(
        sample: Config) -> None:
    from kg.build import load_wiki
    from kg.site import Site

    made = {o.path: o.data for o in Site(load_wiki(sample), sample).outputs()
            if o.path.startswith("graph.") and o.path != "graph.html"}
    assert sorted(made) == ["graph.jsonld", "graph.nt", "graph.ttl"]
    for path, data in made.items():
        assert (sample.out / path).read_bytes() == data, path


def _slow_page(number: int) -> list[kg.incremental.Page]:
    import time

    time.sleep(0.02 * (number % 3))  # uneven tasks, so that both processes take some
    return [kg.incremental.Page(f"p{number:02d}.txt", str(number),
                                lambda: str(os.getpid()).encode())]


def test_this_process_and_a_worker_share_the_tasks_and_keep_their_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True)
    tasks = [partial(_slow_page, n) for n in range(24)]
    emitter = kg.incremental.Emitter(tmp_path, None)
    made = list(kg.incremental.emit_all(tasks, emitter, jobs=2, pages=10_000))
    assert [m.path for m in made] == [f"p{n:02d}.txt" for n in range(24)]
    makers = {(tmp_path / m.path).read_text() for m in made}
    assert str(os.getpid()) in makers and len(makers) == 2  # this one and one worker


def test_a_task_made_alone_is_made_here_after_the_workers_have_exited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The global graph's task imports numpy, networkx and pyvis: made by the build's own
    process once the workers are gone, last, whatever its place among the tasks."""
    import multiprocessing
    from functools import partial

    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True)
    seen: list[int] = []

    def alone() -> list[kg.incremental.Page]:
        seen.append(len(multiprocessing.active_children()))
        return [kg.incremental.Page("alone.txt", "a", lambda: str(os.getpid()).encode())]

    tasks: list[kg.incremental.Task] = [partial(_slow_page, n) for n in range(12)]
    tasks.insert(1, kg.incremental.Alone(alone))
    made = list(kg.incremental.emit_all(tasks, kg.incremental.Emitter(tmp_path, None),
                                        jobs=2, pages=10_000))
    assert [m.path for m in made] == [f"p{n:02d}.txt" for n in range(12)] + ["alone.txt"]
    assert (tmp_path / "alone.txt").read_text() == str(os.getpid())
    assert seen == [0]  # no worker left when it ran
    one = list(kg.incremental.emit_all(tasks, kg.incremental.Emitter(tmp_path / "one", None),
                                       jobs=1, pages=10_000))
    assert [m.path for m in one] == [m.path for m in made]  # the same order in one process


@pytest.mark.parametrize("bad", [1, 2])  # tasks 0 and 1 go to the worker, 2 is made here
def test_a_task_that_fails_fails_the_whole_in_either_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: int) -> None:
    from functools import partial

    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True)

    def failing(number: int) -> list[kg.incremental.Page]:
        if number == bad:
            raise ValueError(f"task {number}")
        return _slow_page(number)

    tasks = [partial(failing, n) for n in range(12)]
    with pytest.raises(ValueError, match=f"task {bad}"):
        list(kg.incremental.emit_all(tasks, kg.incremental.Emitter(tmp_path, None), jobs=2,
                                     pages=10_000))


def test_a_lists_key_follows_what_it_shows_of_each_note() -> None:
    """What a list shows of a note is hashed once per record (by identity) and kept
    across builds; equal fields give equal keys, any shown field changed another key, and
    the records a build no longer holds are forgotten."""
    from kg.model import Note
    from kg.site import LISTED

    def note(summary: str, body: str = "") -> Note:
        fresh = "".join  # strings made anew, referenced only by this record
        return Note(id="n", path="n.md", title=fresh(["N", "!"]), body=body, body_line=1,
                    summary=summary, tags=(fresh(["al", "pha"]), fresh(["be", "ta"])))

    first, same, other_body, other_summary = (note("a"), note("a"), note("a", "more"),
                                              note("b"))
    key = kg.incremental.key_of([first], note_fields=LISTED)
    assert kg.incremental.key_of([first], note_fields=LISTED) == key  # from the memo
    assert kg.incremental.key_of([same], note_fields=LISTED) == key
    assert kg.incremental.key_of([other_body], note_fields=LISTED) == key  # not shown
    assert kg.incremental.key_of([other_summary], note_fields=LISTED) != key
    assert kg.incremental.key_of([first], note_fields=("id",)) != key
    shared = note("a")
    held = {tag: [shared] for tag in (*shared.tags, shared.title)}  # as Views hold tags
    assert kg.incremental.key_of([shared], note_fields=LISTED) == key and held  # same bytes
    kg.incremental.forget_field_keys([same])
    held = list(kg.incremental._HELD.values())
    assert held and all(note is same for note in held)
    assert all(table.keys() <= {id(same)} for table in kg.incremental._FIELD_KEYS.values())


def test_a_note_list_is_keyed_by_what_it_shows_of_each_note() -> None:
    """A :class:`~kg.incremental.NoteList` (the notes a list page shows) is keyed at once by
    its notes' shown fields: equal lists give equal keys, a shown field changed in any note,
    another order or another note another key; a field the page does not show, none."""
    from kg.incremental import NoteList, key_of
    from kg.model import Note
    from kg.site import LISTED

    def note(nid: str, summary: str, body: str = "") -> Note:
        return Note(id=nid, path=f"{nid}.md", title=nid.upper(), body=body, body_line=1,
                    summary=summary, tags=("t",))

    a, b = note("a", "x"), note("b", "y")
    key = key_of(NoteList([a, b]), note_fields=LISTED)
    assert key_of(NoteList([note("a", "x"), note("b", "y", "more")]), note_fields=LISTED) == key
    assert key_of(NoteList([a, note("b", "z")]), note_fields=LISTED) != key
    assert key_of(NoteList([b, a]), note_fields=LISTED) != key
    assert key_of(NoteList([a]), note_fields=LISTED) != key
    assert key_of(NoteList([a, b]), note_fields=("id",)) != key
    assert list(NoteList([a, b])) == [a, b]  # what a template iterates


def test_a_task_that_made_pages_hands_its_memory_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[str] = []
    monkeypatch.setattr(kg.incremental, "release_memory", lambda: released.append("trim"))
    previous_site = tmp_path / "old"
    previous_site.mkdir()
    (previous_site / "kept.txt").write_bytes(b"kept")
    (tmp_path / "new").mkdir()
    emitter = kg.incremental.Emitter(tmp_path / "new",
                                     kg.incremental.Previous(previous_site, {"kept.txt": "k"}))

    kept = emitter.run(lambda: [kg.incremental.Page("kept.txt", "k", lambda: b"new")])
    assert [m.rendered for m in kept] == [False] and released == []  # nothing made: no trim
    made = emitter.run(lambda: [kg.incremental.Page("made.txt", "m", lambda: b"made")])
    assert [m.rendered for m in made] == [True] and released == ["trim"]
    assert (tmp_path / "new" / "made.txt").read_bytes() == b"made"


def test_memory_is_handed_back_where_the_system_allows_it() -> None:
    from kg.workers import _malloc_trim, release_memory

    release_memory()  # glibc's malloc_trim on Linux; nothing elsewhere
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert _malloc_trim() is not None


def test_source_date_epoch_of_the_newest_note_s_day_still_changes_what_pages_say(
        sample: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same "today", but no longer the newest note's date: the pages that said so are
    made again (their keys hold what today is, not only its day)."""
    import datetime as dt

    from kg.build import load_wiki

    newest = max(n.date for n in load_wiki(sample).notes.values() if n.date)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(
        newest.year, newest.month, newest.day, tzinfo=dt.UTC).timestamp())))
    rebuild(sample)
    lede = (sample.out / "forecasts.html").read_text(encoding="utf-8")
    assert f'"Today" for this build is {newest.isoformat()}.</p>' in lede


@pytest.mark.parametrize("value", ["999999999999", "soon", "-5"])
def test_a_source_date_epoch_that_is_no_day_is_an_error(sample: Config, value: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.errors import ConfigError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(ConfigError, match=f"SOURCE_DATE_EPOCH={value} is no day"):
        build(sample)


def test_a_new_process_takes_what_lists_show_of_unchanged_notes_from_the_cache(
        sample: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hashes of what index pages show of each note are kept beside the cache, by the
    note's id, path and content hash: a new process (here: one whose in-memory hashes are
    gone) hashes only the notes that changed, and its site is a full build's."""
    field_keys = kg.incremental.manifest_path(sample).with_name("field-keys.pickle")
    assert field_keys.is_file()
    monkeypatch.setattr(kg.incremental, "_FIELD_KEYS", {})
    monkeypatch.setattr(kg.incremental, "_HELD", {})
    monkeypatch.setattr(kg.incremental, "_STORED", {})
    monkeypatch.setattr(kg.incremental, "_LOADED", set())
    hashed: list[str] = []
    real = kg.incremental._plain_bytes
    monkeypatch.setattr(kg.incremental, "_plain_bytes",
                        lambda values: hashed.append("x") or real(values))
    edit(sample, "ahe.md", lambda t: t.replace("## TL;DR\n", "## TL;DR\nA new process.\n", 1))
    build(sample)
    assert kg.incremental._STORED and 0 < len(hashed) <= 6  # ahe's, not every note's
    full = replace(sample, out=sample.root / "full")
    build(full, full=True)
    assert_same_tree(sample.out, full.out)


def test_a_folder_is_untouched_only_while_its_mtime_is_the_one_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps a page without a ``stat`` of its own only in a folder whose mtime is
    the one the last build recorded: a file removed there since moves it. A folder changed
    in the clock's current tick is not recorded (-1): a change made in the same tick would
    leave its mtime as it was."""
    from kg.incremental import Manifest, folder_times, untouched_folders

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.html").write_text("a")
    (tmp_path / "index.html").write_text("i")
    pages = ["index.html", "notes/a.html"]
    mtime = (tmp_path / "notes").stat().st_mtime_ns
    monkeypatch.setattr(kg.incremental, "_tick_now", lambda: mtime)
    assert folder_times(tmp_path, pages)["notes"] == -1
    monkeypatch.setattr(kg.incremental, "_tick_now", lambda: mtime + 1)
    times = folder_times(tmp_path, pages)
    assert times["notes"] == mtime
    manifest = Manifest([1], None, dict.fromkeys(pages, "k"), {}, times)
    assert "notes" in untouched_folders(tmp_path, manifest)
    assert "notes" not in untouched_folders(tmp_path, replace(manifest,
                                                              folders={"notes": -1}))
    os.utime(tmp_path / "notes", ns=(mtime + 5_000_000, mtime + 5_000_000))  # a file removed
    assert "notes" not in untouched_folders(tmp_path, manifest)


def test_remembered_lines_are_the_last_builds_for_the_very_same_records() -> None:
    """A list's lines (:meth:`kg.snippets.Remembered.lines`) are the last build's for each
    record that is the very same object, made for the others, in the list's order; a list
    a template filtered (a generator) too; nothing is kept by a build that keeps nothing."""
    from types import SimpleNamespace

    from kg.snippets import Remembered

    a, b, c = (SimpleNamespace(id=name) for name in "abc")
    made: list[str] = []

    def line(note: Any) -> str:
        made.append(note.id)
        return f"<li>{note.id}</li>\n"

    first = Remembered({})
    first.keeping = True
    assert first.lines(("k",), [a, b], line) == "<li>a</li>\n<li>b</li>\n"
    second = first.next([a, b, c])
    second.keeping = True
    made.clear()
    b_again = SimpleNamespace(id="b")  # an edited note: another record
    assert second.lines(("k",), (n for n in [c, b_again, a]), line) == (
        "<li>c</li>\n<li>b</li>\n<li>a</li>\n")
    assert made == ["c", "b"]
    made.clear()
    assert second.lines(("other",), [a], line) == "<li>a</li>\n" and made == ["a"]
    third = second.next([a, b_again, c])  # kept: what the second build listed
    made.clear()
    assert third.lines(("k",), [a, b_again, c], line) and made == []
    assert third.next([a]).lines(("k",), [a], line) and made == ["a"]  # third kept nothing


def test_remembered_lines_of_lists_an_edit_left_are_kept_for_the_next_edit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """kg serve's edits each render again only the lists that show the note edited: the
    lines of the others (another tag's page, of the same folder: the same kind) are kept
    from the build before, so the next edit, of a note in another list, makes its list
    line by line no more. Records gone from the wiki are let go once they are many."""
    from types import SimpleNamespace

    import kg.snippets
    from kg.snippets import Remembered

    notes = [SimpleNamespace(id=f"n{i}") for i in range(6)]
    made: list[str] = []

    def line(note: Any) -> str:
        made.append(note.id)
        return f"<li>{note.id}</li>\n"

    warm = Remembered({})  # the warm-up: every tag page
    warm.keeping = True
    warm.lines(("tags",), notes[:3], line)
    warm.lines(("tags",), notes[3:], line)
    first = warm.next(notes)  # an edit of n0: only the first tag's page again
    first.keeping = True
    edited = SimpleNamespace(id="n0")
    notes[0] = edited
    made.clear()
    first.lines(("tags",), notes[:3], line)
    assert made == ["n0"]
    notes[4] = SimpleNamespace(id="n4")
    second = first.next(notes)  # an edit of n4: the other tag's page, from kept lines
    second.keeping = True
    made.clear()
    assert second.lines(("tags",), notes[3:], line) == "<li>n3</li>\n<li>n4</li>\n<li>n5</li>\n"
    assert made == ["n4"]
    live = set(map(id, notes))
    assert len(second.next(notes).previous_held) == 8  # two records edited since
    monkeypatch.setattr(kg.snippets, "_GONE_HELD", 0)
    third = second.next(notes)  # the records of n0 and n4 before their edits, let go
    assert set(third.previous_held) == live
    assert set(third.previous_lines[("tags",)]) == live


def test_kept_values_are_the_last_calls_while_their_parts_are_as_they_were(
        between_builds: None) -> None:
    """:func:`kg.memo.kept_values` gives the last call's value of a key whose records are
    the very same objects and whose other parts are equal (an equal record is not enough:
    values are made of records by identity), makes the others, and keeps nothing for a
    process that builds once."""
    from types import SimpleNamespace

    import kg.memo
    from kg.memo import kept_values

    a, b, c = (SimpleNamespace(id=name) for name in "abc")
    asked: list[str] = []

    def make(records: list[Any], degrees: list[int]) -> Any:
        def made(at: int) -> str:
            asked.append(records[at].id)
            return f"{records[at].id}:{degrees[at]}"
        return made

    records, degrees = [a, b, c], [1, 2, 3]
    values, last = kept_values("abc", [records], [degrees], {}, make(records, degrees))
    assert values == ["a:1", "b:2", "c:3"] and asked == ["a", "b", "c"]
    asked.clear()
    b2 = SimpleNamespace(id="b")  # b edited: another record; c's degree changed; d new
    d = SimpleNamespace(id="d")
    records, degrees = [a, b2, c, d], [1, 2, 4, 0]
    values, last = kept_values("abcd", [records], [[*degrees]], last, make(records, degrees))
    assert values == ["a:1", "b:2", "c:4", "d:0"] and asked == ["b", "c", "d"]
    asked.clear()
    assert kept_values("dcba", [records[::-1]], [degrees[::-1]], last,
                       make(records[::-1], degrees[::-1]))[0] == ["d:0", "c:4", "b:2", "a:1"]
    assert asked == []  # by key, in any order
    kg.memo.keep_between_builds(False)
    assert kept_values("a", [[a]], [[1]], {}, make([a], [1]))[1] == {}


def test_a_list_kept_by_the_views_keeps_its_key_until_a_build_lists_it_no_more(
        between_builds: None, parse) -> None:
    """kg serve: a tag's list the views kept (the very same list object) is the very same
    NoteList, whose key is the last build's without its notes' keys looked up again; a new
    list (an edit's) is keyed anew, equal to a fresh key of equal notes; lists no build
    listed since are let go."""
    import kg.incremental as inc
    from kg.incremental import forget_field_keys, key_of, note_list

    notes = [parse(f"---\ntitle: N{i}\n---\nx\n", f"n{i}.md") for i in range(3)]
    listed = notes[:2]
    first = note_list(listed)
    key = key_of(first, note_fields=("title",))
    assert note_list(listed) is first and note_list(list(listed)) is not first
    looked: list[int] = []
    real = inc.filled
    inc.filled = lambda found, records, make: looked.append(len(records)) or real(  # type: ignore[assignment]
        found, records, make)
    try:
        assert key_of(note_list(listed), note_fields=("title",)) == key and looked == []
        again = [notes[0], parse("---\ntitle: N1\n---\nchanged\n", "n1.md")]
        assert key_of(note_list(again), note_fields=("title",)) == key and looked == [2]
    finally:
        inc.filled = real
    forget_field_keys(notes)  # this build listed `listed` and `again`: both kept
    assert id(listed) in inc._NOTE_LISTS and id(again) in inc._NOTE_LISTS
    note_list(again)
    forget_field_keys(notes)  # the next listed `again` only
    assert id(listed) not in inc._NOTE_LISTS and id(again) in inc._NOTE_LISTS
    assert all(listed is not first for listed, _ in inc._LIST_KEYS.values())


def test_per_record_values_are_kept_for_the_very_same_records_only(between_builds: None) -> None:
    """:class:`kg.memo.PerRecord` makes a value for each record it does not hold, in the
    records' order, and holds the values of the records it was given until most of them
    are gone."""
    from types import SimpleNamespace

    from kg.memo import PerRecord

    made: list[str] = []
    lengths = PerRecord(lambda r: made.append(r.text) or len(r.text))
    a, b = SimpleNamespace(text="a"), SimpleNamespace(text="bb")
    assert lengths.of([a, b]) == [1, 2] and made == ["a", "bb"]
    b_again = SimpleNamespace(text="bbb")  # an edited record: another object
    assert lengths.of((b_again, a)) == [3, 1] and made == ["a", "bb", "bbb"]
    assert lengths.of([b]) == [2] and len(made) == 3  # still held
    others = [SimpleNamespace(text="c" * n) for n in range(100)]
    assert lengths.of(others) == list(range(100))
    count = len(made)
    assert lengths.of([a]) == [1] and len(made) == count  # held; the others let go now:
    assert lengths.of([b]) == [2] and made[-1] == "bb"  # made again


def test_per_record_values_are_not_kept_by_a_single_build() -> None:
    """Outside ``kg serve`` (:func:`kg.memo.keep_between_builds`) a :class:`kg.memo.PerRecord`
    holds nothing: each call makes every value."""
    from types import SimpleNamespace

    from kg.memo import PerRecord

    made: list[str] = []
    lengths = PerRecord(lambda r: made.append(r.text) or len(r.text))
    a = SimpleNamespace(text="a")
    assert lengths.of([a]) == [1] and lengths.of([a]) == [1] and made == ["a", "a"]
