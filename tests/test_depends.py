"""Note pages keep the last build's key when nothing they show changed (kg.depends).

A build no longer keys every note page: it compares each node's facts with the last build's
and keys again only the pages that read a changed node or name. These tests prove both halves:
an edit keys few pages, and whatever the edit (random sequences of the edits users make,
and the cases where what changed is far from the page), the site is byte for byte the one a
full build writes.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import bench_generator, generate_wiki, site_tree

import kg.build
import kg.depends
import kg.incremental
import kg.site
from kg.build import BuildResult, build
from kg.config import Config, load_config

NOTES = 36


@pytest.fixture
def wiki(tmp_path: Path) -> Config:
    """A generated wiki (hubs, aliases, placeholders, mentions, questions), built once."""
    root = tmp_path / "project"
    generate_wiki(root / "wiki", NOTES, seed=3)
    config = replace(load_config(root), out=root / "site")
    build(config)
    return config


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the notes whose pages a build keys (rather than keeps)."""
    seen: list[str] = []
    original = kg.site.Site._note

    def spy(self: kg.site.Site, note: kg.site.Note, path: kg.site.PagePath) -> kg.site.Page:
        seen.append(note.id)
        return original(self, note, path)

    monkeypatch.setattr(kg.site.Site, "_note", spy)
    return seen


def rebuild(config: Config, *, jobs: int = 1, keyed: list[str] | None = None
            ) -> BuildResult:
    """An incremental build into ``site/``, compared with ``--full`` into ``full/``; the
    notes the incremental build keyed are left in ``keyed``."""
    if keyed is not None:
        keyed.clear()
    result = build(config, jobs=jobs)
    mine = list(keyed) if keyed is not None else []
    full = replace(config, out=config.root / "full")
    shutil.rmtree(full.out, ignore_errors=True)
    build(full, full=True, jobs=jobs)
    a, b = site_tree(config.out), site_tree(full.out)
    different = sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))
    assert different == [], f"incremental output differs from a full build in {different}"
    if keyed is not None:
        keyed[:] = mine
    return result


def note_file(config: Config, nid: str) -> Path:
    return config.wiki / f"{nid}.md"


def change(config: Config, nid: str, edit: Callable[[str], str]) -> None:
    path = note_file(config, nid)
    text = path.read_text(encoding="utf-8")
    new = edit(text)
    assert new != text, f"the edit of {nid} changed nothing"
    path.write_text(new, encoding="utf-8")


def test_a_body_edit_keys_the_edited_page_and_not_the_wiki(wiki: Config,
                                                           keyed: list[str]) -> None:
    change(wiki, "paper-00020", lambda t: t + "\nOne more sentence of the body.\n")
    result = rebuild(wiki, keyed=keyed)
    assert keyed == ["paper-00020"]
    assert result.rendered < 15


def test_a_new_title_keys_the_pages_that_show_it_and_they_show_it(wiki: Config,
                                                                  keyed: list[str]) -> None:
    gen = bench_generator()
    old = gen.title(5, 3)
    change(wiki, "paper-00005", lambda t: t.replace(f'title: "{old}"', 'title: "Renamed"'))
    rebuild(wiki, keyed=keyed)
    assert "paper-00005" in keyed
    assert len(keyed) < NOTES
    showing = [p for p, data in site_tree(wiki.out).items()
               if p.startswith("notes/") and b"Renamed" in data and p != "notes/paper-00005.html"]
    assert showing, "no other page shows the new title"


def test_without_a_trace_every_page_is_keyed_and_the_site_is_right(wiki: Config,
                                                                    keyed: list[str]) -> None:
    manifest = kg.incremental.manifest_path(wiki)
    kg.depends.trace_path(manifest).write_bytes(b"not a pickle")
    change(wiki, "paper-00003", lambda t: t + "\nEdited.\n")
    rebuild(wiki, keyed=keyed)
    assert len(keyed) == NOTES


def test_a_far_edit_that_reorders_a_local_graph_reaches_it(tmp_path: Path) -> None:
    """A chain a - b - c - d: d gaining neighbours raises c's degree, which orders b's
    neighbours in a's local graph, three hops from d."""
    root = tmp_path / "project"
    (root / "wiki").mkdir(parents=True)

    def write(nid: str, links: list[str]) -> None:
        conns = "".join(f"  - to: {t}\n    rel: related\n    note: \"{nid} to {t}.\"\n"
                        for t in links)
        head = f"---\ntitle: Note {nid}\nconnections:\n{conns}---\n" if links else \
            f"---\ntitle: Note {nid}\n---\n"
        (root / "wiki" / f"{nid}.md").write_text(head + f"Body of {nid}.\n", encoding="utf-8")

    write("a", ["b"])
    write("b", ["c", "x", "y"])
    for leaf in ("c", "x", "y"):
        write(leaf, [])
    write("d", ["c"])
    for k in range(4):
        write(f"e{k}", [])
    config = replace(load_config(root), out=root / "site")
    build(config)
    write("d", ["c", "e0", "e1", "e2", "e3"])  # c is unchanged; its degree is not
    rebuild(config)
    write("e0", ["x", "y"])
    rebuild(config)


def test_markdown_links_to_notes_follow_edits_as_wikilinks_do(wiki: Config,
                                                              keyed: list[str]) -> None:
    change(wiki, "paper-00003", lambda t: t + "\nSee [the new one](sub/fresh.md) and "
           "[a sibling](paper-00004.md#Open%20questions).\n")
    rebuild(wiki)
    (wiki.wiki / "sub").mkdir()
    (wiki.wiki / "sub" / "fresh.md").write_text("---\ntitle: Fresh\n---\nNew.\n",
                                                encoding="utf-8")
    keyed.clear()
    rebuild(wiki, keyed=keyed)  # the page of paper-00003 now links to fresh's own page
    assert "paper-00003" in keyed
    page = (wiki.out / "notes" / "paper-00003.html").read_text(encoding="utf-8")
    assert 'href="fresh.html">the new one</a>' in page
    assert 'href="paper-00004.html#h-open-questions">a sibling</a>' in page


def test_a_new_day_reaches_the_pages_with_forecasts(wiki: Config,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    change(wiki, "paper-00007", lambda t: t.replace(
        "connections:", 'forecasts:\n  - {claim: "It ships", p: 0.5, by: 2024-06-01}\n'
        "connections:", 1))
    rebuild(wiki)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1893456000")  # 2030: the forecast is past due
    rebuild(wiki)


# -- random sequences of edits ----------------------------------------------------------------


def _notes(config: Config) -> list[str]:
    return sorted(p.stem for p in config.wiki.glob("*.md"))


def _edits(rng: random.Random, config: Config, gen: object) -> Callable[[], str]:
    """One random edit of the kinds users make; returns what it did."""
    notes = _notes(config)
    nid = rng.choice(notes)
    other = rng.choice(notes)
    fresh = f"new-{rng.randrange(10_000)}"

    def body() -> str:
        change(config, nid, lambda t: t + f"\nA new line that cites [[{other}]].\n")
        return f"body of {nid} links {other}"

    def title() -> str:
        name = f"Title {rng.randrange(1000)}"
        change(config, nid, lambda t: re.sub(r"(?m)^title: .*$", f'title: "{name}"', t,
                                             count=1))
        return f"title of {nid} → {name}"

    def connect() -> str:
        rel = rng.choice(["supports", "extends", "critiques", "related"])
        change(config, nid, lambda t: t.replace(
            "connections:\n", f'connections:\n  - to: {other}\n    rel: {rel}\n'
            f'    note: "Now linked ({rng.randrange(99)})."\n', 1))
        return f"{nid} {rel} {other}"

    def disconnect() -> str:
        path = note_file(config, nid)
        text = path.read_text(encoding="utf-8")
        new = re.sub(r"  - to: .*\n    rel: .*\n    note: .*\n", "", text, count=1)
        if new == text:
            return "nothing to disconnect"
        path.write_text(new, encoding="utf-8")
        return f"{nid} loses a connection"

    def tier() -> str:
        change(config, nid, lambda t: re.sub(r"(?m)^tier: (\d)$",
                                             lambda m: f"tier: {int(m.group(1)) % 4 + 1}", t))
        return f"tier of {nid}"

    def tag() -> str:
        name = rng.choice(["Audit", "audit!", "new-tag", "scaling"])
        change(config, nid, lambda t: t + "\n.\n" if f"[{name}, " in t
               else t.replace("tags: [", f"tags: [{name}, ", 1))
        return f"tag {name} on {nid}"

    def add() -> str:
        target = rng.choice([fresh, gen.placeholder_id(rng.randrange(5))])  # type: ignore[attr-defined]
        (config.wiki / f"{target}.md").write_text(
            f"---\ntitle: Fresh {target}\ntags: [audit]\nconnections:\n  - to: {other}\n"
            f"    rel: extends\n    note: \"Fresh.\"\n---\nSee [[{rng.choice(notes)}]].\n",
            encoding="utf-8")
        return f"new note {target}"

    def delete() -> str:
        if len(notes) < 10:
            return "too few to delete"
        note_file(config, nid).unlink()
        return f"deleted {nid}"

    def answer() -> str:
        text = note_file(config, other).read_text(encoding="utf-8")
        asked = re.findall(r"(?m)^- (Does .*)\?$", text)
        if not asked or other == nid:
            return "no question to answer"
        from kg.ids import NoteId
        from kg.parse import parse_note

        question = parse_note(text.encode(), nid=NoteId(other), path=f"{other}.md"
                              ).questions[0].id
        change(config, nid, lambda t: t.replace(
            "connections:\n", f"answers: [{question}]\nconnections:\n", 1)
            if "answers:" not in t else t + "\nAnswered.\n")
        return f"{nid} answers {question}"

    return rng.choice([body, title, connect, disconnect, tier, tag, add, delete, answer])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_leave_the_site_a_full_build_writes(wiki: Config, seed: int) -> None:
    rng = random.Random(seed)
    gen = bench_generator()
    done = []
    for _ in range(12):
        done.append(_edits(rng, wiki, gen)())
        try:
            rebuild(wiki)
        except AssertionError as err:
            raise AssertionError(f"after {done}: {err}") from None


def test_a_link_with_no_edge_follows_a_new_note_that_takes_its_name(wiki: Config) -> None:
    """``![[…]]`` renders as a link but makes no edge (an embed): only the name table says
    that a new note now answers to it."""
    change(wiki, "paper-00011", lambda t: t + "\nSee ![[Quantum Lemonade]] some day.\n")
    rebuild(wiki)
    (wiki.wiki / "lemonade.md").write_text("---\ntitle: Quantum Lemonade\n---\nNew.\n",
                                           encoding="utf-8")
    rebuild(wiki)
    assert 'href="lemonade.html"' in (wiki.out / "notes" / "paper-00011.html").read_text(
        encoding="utf-8")


def test_pages_made_in_worker_processes_leave_their_reads_for_the_next_build(
        wiki: Config, monkeypatch: pytest.MonkeyPatch, keyed: list[str]) -> None:
    monkeypatch.setattr(kg.incremental, "PARALLEL_MIN", 0)
    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True)  # even after Playwright's
    build(wiki, jobs=2, full=True)
    manifest = kg.incremental.manifest_path(wiki)
    marker = kg.incremental.read_manifest(wiki, wiki.out / kg.build.SITE_MARKER)
    assert marker is not None
    trace = kg.depends.read_trace(manifest, marker.marker)
    assert trace is not None
    assert {p for p in trace.pages if p.startswith("notes/")} >= {
        f"notes/{p.stem}.html" for p in wiki.wiki.glob("*.md")}
    # an edit built in workers: the kept pages are linked there, and their reads (which
    # they send back only as "kept") are the last build's in the new trace
    change(wiki, "paper-00001", lambda t: t + "\nPooled edit.\n")
    result = build(wiki, jobs=2)
    assert 0 < result.rendered < 15
    marker = kg.incremental.read_manifest(wiki, wiki.out / kg.build.SITE_MARKER)
    assert marker is not None
    after = kg.depends.read_trace(manifest, marker.marker)
    assert after is not None and after.pages.keys() == trace.pages.keys()
    assert all(isinstance(r, kg.depends.Reads) for r in after.pages.values())
    assert [p for p in trace.pages if after.pages[p] != trace.pages[p]] == [
        "notes/paper-00001.html"]
    keyed.clear()
    change(wiki, "paper-00002", lambda t: t + "\nPooled edit.\n")
    build(wiki, jobs=1)
    assert keyed == ["paper-00002"]


def test_a_planted_trace_runs_nothing_and_costs_only_speed(wiki: Config, tmp_path: Path,
                                                           keyed: list[str]) -> None:
    import os
    import pickle

    manifest = kg.incremental.manifest_path(wiki)
    witness = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str, ...]]:
            return os.system, (f"touch {witness}",)

    kg.depends.trace_path(manifest).write_bytes(pickle.dumps(Payload()))
    change(wiki, "paper-00004", lambda t: t + "\nEdited.\n")
    rebuild(wiki, keyed=keyed)
    assert not witness.exists()
    assert len(keyed) == NOTES


def test_a_node_s_facts_are_taken_again_only_while_what_they_hash_is_the_same(
        parse, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg serve`` resolves an edit's note anew and keeps the other records: a note's
    facts come from the last call only while its record and the edges at it are the same
    objects; an edit's neighbours are hashed again, and equal a cold computation."""
    from kg.resolve import resolve_wiki
    from kg.views import Views

    def note(name: str, body: str):  # type: ignore[no-untyped-def]
        return parse(f"---\ntitle: {name.upper()}\ntier: 1\n---\n{body}\n", f"{name}.md")

    a, b, c = note("a", "See [[b]] for more."), note("b", "Body."), note("c", "Also [[b]].")
    before = kg.depends.node_facts(Views(resolve_wiki([a, b, c])))
    edited = note("a", "See [[b]] for much more.")  # the mention's sentence: the edge's text
    after = kg.depends.node_facts(Views(resolve_wiki([edited, b, c])))
    assert after["a"] != before["a"] and after["b"] != before["b"]  # b shows a's sentence
    assert after["c"] == before["c"]
    monkeypatch.setattr(kg.depends, "_last_facts", {})
    assert kg.depends.node_facts(Views(resolve_wiki([edited, b, c]))) == after


def test_reads_are_sorted_and_share_one_copy_of_each_string() -> None:
    """A build holds every page's reads until it writes the trace: equal strings from
    different pages (and from a worker, which sends new copies) are one object."""
    from kg.depends import Reads
    from kg.ids import NoteId

    def fresh(text: str) -> str:
        return "".join(list(text))  # a new string object, equal to ``text``

    a = Reads.of((fresh("a.md"), fresh("0f")), [NoteId(fresh("b")), NoteId(fresh("a"))],
                 [fresh("k:b"), fresh("i:a"), fresh("k:b")])
    b = Reads((fresh("a.md"), fresh("0f")), (NoteId(fresh("a")), NoteId(fresh("b"))),
              (fresh("i:a"), fresh("k:b"))).interned()
    assert a == b and a.nodes == ("a", "b") and a.names == ("i:a", "k:b")
    assert all(x is y for x, y in zip((*a.own, *a.nodes, *a.names),  # type: ignore[misc]
                                      (*b.own, *b.nodes, *b.names), strict=True))
    assert Reads.of(None, [], []).own is None


def test_the_name_table_is_made_again_only_for_another_resolver(parse) -> None:
    """``kg serve`` keeps the resolver while no note's names change: the name table is then
    the last one's entries, in a dict of the caller's own (a page plan adds to it), and a
    new resolver's table has its names."""
    from kg.resolve import Resolver

    notes = [parse("---\ntitle: Alpha\naliases: [A1]\n---\nx\n", "alpha.md")]
    resolver = Resolver(notes)
    first = kg.depends.name_table(resolver)
    first["a:alpha"] = ("added",)
    again = kg.depends.name_table(resolver)
    assert "a:alpha" not in again and again == kg.depends._name_table(resolver)
    renamed = Resolver([parse("---\ntitle: Beta\n---\nx\n", "alpha.md")])
    assert "k:beta" in kg.depends.name_table(renamed)
    assert "k:beta" not in kg.depends.name_table(resolver)


def test_a_trace_is_read_back_as_it_was_written(tmp_path: Path) -> None:
    """The trace's reads are written as plain tuples (a named tuple costs a call of Python
    code each way) and read back as :class:`~kg.depends.Reads`, equal to those written; a
    file of another build's marker, or whose reads are not three, is no trace."""
    import datetime as dt

    from kg.cachefile import dump_paired

    pages = {"notes/a.html": kg.depends.Reads.of(("a.md", "d1"), ["b", "a"], ["k:x"]),
             "notes/b.html": kg.depends.Reads.of(None, [], [])}
    trace = kg.depends.Trace("g", {"a": b"1"}, {"k:x": ("a",)}, {"t": "t"},
                             dt.date(2026, 1, 2), pages)
    manifest = tmp_path / "site-x.json"
    kg.depends.write_trace(manifest, [1, 2], trace)
    back = kg.depends.read_trace(manifest, [1, 2])
    assert back == trace and all(type(r) is kg.depends.Reads for r in back.pages.values())
    assert kg.depends.read_trace(manifest, [1, 3]) is None
    dump_paired(kg.depends.trace_path(manifest), kg.depends.FORMAT, [1, 2],
                replace(trace, pages={"notes/a.html": ("a.md", ())}))
    assert kg.depends.read_trace(manifest, [1, 2]) is None
