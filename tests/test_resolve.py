"""Resolving targets the way Obsidian does, placeholders, and question tracking."""

from __future__ import annotations

from typing import Any

import pytest

from kg.build import load_wiki
from kg.errors import KgError, ResolveError
from kg.model import EdgeKind, QuestionStatus
from kg.resolve import Resolver, resolve_wiki


@pytest.fixture
def notes(parse):
    return [
        parse("---\ntitle: Internal Links Guide\naliases: [IL, Linking]\n---\n"
              "## Open questions\n- Why link at all?\n- How deep should links go?\n",
              "Internal Links.md"),
        parse("---\ntitle: Deep\n---\nbody\n", "sub/Deep Note.md"),
        parse("---\ntitle: Plain\n---\nbody\n", "plain.md"),
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("internal-links", "internal-links"),  # id
        ("Internal Links", "internal-links"),  # stem
        ("internal links", "internal-links"),  # stem, any case
        ("INTERNAL LINKS.md", "internal-links"),  # with .md
        ("Internal-Links", "internal-links"),  # slug of the stem
        ("il", "internal-links"),  # alias, any case
        ("Linking", "internal-links"),
        ("internal links guide", "internal-links"),  # title
        ("sub/Deep Note", "deep-note"),  # folder path
        ("sub/deep note.md", "deep-note"),
        ("Deep Note", "deep-note"),
        ("deep", "deep-note"),  # title
        ("  plain  ", "plain"),
        ("nothing like it", None),
    ],
)
def test_resolver_steps(notes, written: str, expected: str | None) -> None:
    assert Resolver(notes).resolve(written) == expected


def test_id_wins_over_another_notes_alias(parse) -> None:
    a = parse("---\ntitle: A\n---\n", "alpha.md")
    b = parse("---\ntitle: B\naliases: [alpha]\n---\n", "beta.md")
    assert Resolver([a, b]).resolve("alpha") == "alpha"
    assert Resolver([a, b]).resolve("Alpha") == "alpha"


def test_ambiguous_alias_names_both_candidates(parse) -> None:
    one = parse("---\ntitle: One\naliases: [Shared]\n---\n", "one.md")
    two = parse("---\ntitle: Two\naliases: [shared]\n---\n", "two.md")
    with pytest.raises(ResolveError) as info:
        Resolver([one, two]).resolve("Shared", file="c.md", line=3)
    err = info.value
    assert (err.file, err.line) == ("c.md", 3)
    assert "one" in err.message and "two" in err.message and "ambiguous" in err.message


def test_ambiguous_target_in_a_wiki_is_an_error_naming_file_line_and_candidates(parse) -> None:
    one = parse("---\ntitle: Same Title\n---\n", "one.md")
    two = parse("---\ntitle: Same Title\n---\n", "two.md")
    linker = parse("---\ntitle: C\n---\nfirst line\nsee [[same title]]\n", "dir/c.md")
    with pytest.raises(ResolveError) as info:
        resolve_wiki([one, two, linker])
    text = str(info.value)
    assert "dir/c.md:5" in text
    assert "'same title' is ambiguous: it names one, two" in text
    assert len(info.value.findings) == 1


def test_a_target_written_again_is_the_same_note_and_the_same_error_at_each_place(
        parse) -> None:
    """What a name resolves to is asked once a folder (seventy thousand links name a few
    thousand notes at 10,000 notes); an ambiguous one is still said at every place."""
    one = parse("---\ntitle: Same Title\n---\n", "one.md")
    two = parse("---\ntitle: Same Title\n---\n", "two.md")
    a = parse("---\ntitle: A\n---\n[[same title]], [[B]] and [[Nowhere]]\n", "a.md")
    b = parse("---\ntitle: B\n---\n[[B]]? [[A]] and [[Nowhere]]\n[[same title]]\n", "b.md")
    c = parse("---\ntitle: C\n---\n[[A]] and [[Nowhere]]\n", "sub/c.md")
    with pytest.raises(ResolveError) as info:
        resolve_wiki([one, two, a, b, c])
    assert [(f.where.file, f.where.line) for f in info.value.findings
            if f.where is not None] == [("a.md", 4), ("b.md", 5)]
    fixed = resolve_wiki([a, b, c, parse("---\ntitle: Same Title\n---\n", "one.md")])
    assert sorted((e.source, e.target) for e in fixed.edges) == [
        ("a", "b"), ("a", "nowhere"), ("a", "one"), ("b", "a"), ("b", "nowhere"),
        ("b", "one"), ("c", "a"), ("c", "nowhere")]
    assert fixed.placeholders["nowhere"].referenced_by == ("a", "b", "c")


def test_edges_for_connections_and_mentions(notes, parse) -> None:
    linker = parse("""\
---
title: Linker
connections:
  - to: IL
    rel: supports
    note: "Because of reasons."
  - plain
---
See [[sub/Deep Note|the deep one]] and [[Linker]] itself.
""", "linker.md")
    wiki = resolve_wiki([*notes, linker])
    got = [(e.source, e.target, e.kind, e.label, e.annotation, e.line, e.written)
           for e in wiki.outgoing("linker")]
    assert got == [
        ("linker", "internal-links", EdgeKind.CONNECTION, "supports", "Because of reasons.", 4,
         "IL"),
        ("linker", "plain", EdgeKind.CONNECTION, "related", "", 7, "plain"),
        ("linker", "deep-note", EdgeKind.MENTION, "mentions", "See the deep one and Linker itself.",
         9, "sub/Deep Note"),
    ]
    assert [e.source for e in wiki.incoming("internal-links")] == ["linker"]
    assert wiki.placeholders == {}


def test_unknown_targets_become_placeholders_with_referrers(parse) -> None:
    a = parse("---\ntitle: A\nconnections: [Ghost Paper]\n---\nAlso [[ghost paper]].\n", "a.md")
    b = parse("---\ntitle: B\n---\nAnd [[Ghost Paper]] again, and [[other-ghost]].\n", "b.md")
    wiki = resolve_wiki([b, a])
    assert list(wiki.placeholders) == ["ghost-paper", "other-ghost"]
    ghost = wiki.placeholders["ghost-paper"]
    assert ghost.label == "Ghost Paper"
    assert ghost.referenced_by == ("a", "b")
    assert wiki.placeholders["other-ghost"].referenced_by == ("b",)
    assert {(e.source, e.kind) for e in wiki.incoming("ghost-paper")} == {
        ("a", EdgeKind.CONNECTION), ("a", EdgeKind.MENTION), ("b", EdgeKind.MENTION)}
    assert wiki.node_label("ghost-paper") == "Ghost Paper"
    assert "ghost-paper" not in wiki.notes


def test_self_mentions_are_not_edges(parse) -> None:
    a = parse("---\ntitle: A\n---\nI am [[a]].\n", "a.md")
    assert resolve_wiki([a]).edges == ()


def test_answers_from_a_later_note_close_a_question(notes, parse) -> None:
    later = parse("""\
---
title: Later
date: 2026-06-01
answers:
  - internal-links#q-why-link-at-all
  - {question: internal-links#q-how-deep-should-links-go, status: dropped}
  - nobody#q-asked-this
---
""", "later.md")
    wiki = resolve_wiki([*notes, later])
    status = {tq.question.id: (tq.status, tq.answered_by) for tq in wiki.questions}
    assert status == {
        "internal-links#q-why-link-at-all": (QuestionStatus.ANSWERED, ("later",)),
        "internal-links#q-how-deep-should-links-go": (QuestionStatus.DROPPED, ()),
    }
    (warning,) = wiki.warnings
    assert warning.code == "unknown-question"
    assert str(warning.where) == "later.md:7"
    assert "nobody#q-asked-this" in warning.message


def test_questions_stay_open_without_answers(notes) -> None:
    wiki = resolve_wiki(notes)
    assert [tq.status for tq in wiki.questions] == [QuestionStatus.OPEN, QuestionStatus.OPEN]
    assert all(tq.answered_by == () for tq in wiki.questions)


def test_duplicate_ids_in_the_wiki_are_an_error(write_wiki) -> None:
    from kg.build import load_wiki

    config = write_wiki({"sub/Foo Bar.md": "---\ntitle: A\n---\n",
                         "sub/foo-bar.md": "---\ntitle: B\n---\n"})
    with pytest.raises(KgError) as info:
        load_wiki(config)
    text = str(info.value)
    assert "foo-bar" in text and "sub/Foo Bar.md" in text and "sub/foo-bar.md" in text


def test_one_name_in_two_folders_is_reached_by_its_folder(write_wiki) -> None:
    from kg.build import load_wiki

    config = write_wiki({"Daily/README.md": "---\ntitle: Daily\n---\n",
                         "Projects/README.md": "---\ntitle: Projects\n---\n",
                         "a.md": "---\ntitle: A\nconnections: [Daily/README]\n---\n"
                                 "See [[Projects/README|the projects]].\n"})
    wiki = load_wiki(config)
    assert sorted(wiki.notes) == ["a", "daily-readme", "projects-readme"]
    assert {(e.target, e.kind.value) for e in wiki.edges} == {
        ("daily-readme", "connection"), ("projects-readme", "mention")}
    write_wiki({"b.md": "---\ntitle: B\n---\nWhich [[README]]?\n"})
    with pytest.raises(KgError) as info:
        load_wiki(config)
    assert "b.md:4" in str(info.value) and "daily-readme" in str(info.value)


def test_a_note_is_suggested_once_by_its_best_name(parse) -> None:
    """A typo near a note's id and its title is one suggestion, the nearer name, not both
    ('did you mean defense trilemma, defense-trilemma?'); other notes come after it."""
    notes = [parse("---\ntitle: Defense Trilemma\n---\n", "defense-trilemma.md"),
             parse("---\ntitle: Defense Dilemma\n---\n", "dilemma.md")]
    found = Resolver(notes).suggestions("defense-trilema")
    assert found == ["defense-trilemma", "Defense Dilemma"]  # a title as written


def test_suggestions_found_together_are_those_found_one_by_one(parse) -> None:
    """``kg check`` asks the suggestions of every placeholder at once: past a million
    comparisons they are scored in blocks (rapidfuzz's cdist) and only the names that can
    reach 60 % ranked. The lists are the same, ties and order, as one search at a time,
    for names near many notes (typos of ids, titles, aliases) and near none."""
    import random

    rng = random.Random(7)
    words = ["attention", "sparse", "routing", "reward", "model", "agent", "scaling", "law"]
    notes = [parse(f"---\ntitle: {' '.join(rng.sample(words, 3))} {i}\n"
                   f"aliases: [P{i:04d}]\n---\n", f"paper-{i:04d}.md") for i in range(400)]
    resolver = Resolver(notes)
    names = resolver._suggestable()
    targets = ["missing topic 1", "paper-0007", "P0012", "x"]
    for _ in range(1200):
        chars = list(rng.choice(names))
        for _ in range(rng.randint(0, 5)):
            at = rng.randrange(len(chars))
            chars[at:at + 1] = rng.choice([[], [rng.choice("aeiou -19")], ["z", chars[at]]])
        targets.append("".join(chars) or "y")
    assert len(set(targets)) * len(names) > 1_000_000  # in blocks
    together = resolver.suggestions_of(targets)
    assert together == {t: resolver.suggestions(t) for t in targets}
    assert sum(1 for found in together.values() if len(found) == 3) > 500
    assert together["missing topic 1"] == []


def test_a_readme_in_each_of_thousands_of_folders_is_the_one_beside_the_link(write_wiki
                                                                               ) -> None:
    """A README.md in each of 1,500 folders, and a note beside each linking ``[[README]]``
    (and ``[[readme]]``, the file name in another case): each link is its own folder's
    README, found among the notes of that name in its folder (it had been looked for among
    all 1,500, from each folder); from a folder without one, the name is ambiguous."""
    n = 1500
    files = {}
    for i in range(n):
        files[f"p{i}/README.md"] = f"# Project {i}\n"
        files[f"p{i}/notes.md"] = f"# Notes {i}\nSee [[README]] and [[readme]].\n"
    config = write_wiki(files)
    wiki = load_wiki(config)
    links = {(e.source, e.target) for e in wiki.edges}
    assert links == {(f"p{i}-notes", f"p{i}-readme") for i in range(n)}
    assert len(wiki.edges) == 2 * n
    resolver = Resolver(wiki.notes.values())
    assert resolver.resolve("README", folder="p7") == "p7-readme"
    assert resolver.resolve("p8/README", folder="p7") == "p8-readme"
    with pytest.raises(ResolveError, match="'README' is ambiguous: it names p0-readme, "
                                           "p1-readme, p10-readme"):
        resolver.resolve("README", folder="elsewhere")


def test_suggestions_for_a_misspelt_name(notes) -> None:
    assert "internal-links" in Resolver(notes).suggestions("internal-link")


def test_a_name_two_folders_share_names_the_file_beside_the_link(write_wiki) -> None:
    """``[[Plan]]`` in Project Beta/ is Project Beta/Plan.md, as in Obsidian; from a third
    folder it is still ambiguous, and a title two notes share stays an error anywhere."""
    from kg.build import build

    files = {"Project Alpha/Plan.md": "# Plan\nAlpha's.\n",
             "Project Beta/Plan.md": "# Plan\nBeta's.\n",
             "Project Beta/Notes.md": "# Notes\nSee [[Plan]] and [Plan](Plan.md).\n"}
    config = write_wiki(files)
    build(config)
    wiki = load_wiki(config)
    assert {e.target for e in wiki.edges if e.source == "notes"} == {"project-beta-plan"}
    html = (config.out / "notes" / "notes.html").read_text(encoding="utf-8")
    assert html.count('href="project-beta-plan.html"') >= 2
    write_wiki({"Elsewhere.md": "# Elsewhere\n[[Plan]]\n"})
    with pytest.raises(ResolveError, match="'Plan' is ambiguous"):
        build(config)


def test_the_end_of_a_path_names_the_note_whose_path_ends_so(write_wiki) -> None:
    """``[[Project Alpha/Plan]]`` is work/Project Alpha/Plan.md, as in Obsidian, where the
    stem alone is ambiguous; an end of a path two notes share is ambiguous in turn."""
    files = {"work/Project Alpha/Plan.md": "# Plan\nAlpha's.\n",
             "work/Project Beta/Plan.md": "# Plan\nBeta's.\n",
             "old/Project Beta/Plan.md": "# Plan\nOld.\n",
             "Elsewhere.md": "# Elsewhere\n[[Project Alpha/Plan]], [[project alpha/plan.md]] "
                             "and [[Work/Project Beta/Plan|the plan]].\n"}
    wiki = load_wiki(write_wiki(files))
    assert sorted(e.target for e in wiki.edges if e.source == "elsewhere") == [
        "work-project-alpha-plan", "work-project-alpha-plan", "work-project-beta-plan"]
    assert not wiki.placeholders
    write_wiki({"Later.md": "# Later\n[[Project Beta/Plan]]\n"})
    with pytest.raises(ResolveError, match="'Project Beta/Plan' is ambiguous") as info:
        load_wiki(write_wiki({}))
    assert "old-project-beta-plan" in str(info.value)


def test_a_file_name_beside_the_link_wins_over_one_at_the_top(write_wiki) -> None:
    """``[[Plan]]`` in A/ is A/Plan.md though a Plan.md sits at the top of the wiki (whose
    path is also "Plan"); from any other folder it is the one at the top."""
    config = write_wiki({"Plan.md": "# Plan\nTop.\n", "A/Plan.md": "# Plan\nA's.\n",
                         "A/Index.md": "# Index\n[[Plan]], [[plan]], [[PLAN]]\n",
                         "B/Other.md": "# Other\n[[Plan]]\n"})
    wiki = load_wiki(config)
    assert [(e.source, e.target) for e in wiki.edges] == [  # any case ("plan": the top id)
        ("index", "a-plan"), ("index", "a-plan"), ("index", "a-plan"), ("other", "plan")]


def test_a_name_is_no_link_to_the_note_whose_id_its_slug_is(write_wiki) -> None:
    """``[[C++]]`` is not C.md, nor ``[[Über]]`` Uber.md (Obsidian leaves both unresolved):
    each is a placeholder of its own, apart from the note; ``[[some_title]]`` is still a way
    of writing the id some-title (only case and separators differ)."""
    config = write_wiki({"C.md": "# C\n", "Uber.md": "# Uber\n", "some-title.md": "# X\n",
                         "langs.md": "# Langs\n[[C++]], [[Über]], [[C+]], [[some_title]], "
                                     "[[Some Title]] and [[c]].\n"})
    wiki = load_wiki(config)
    targets = [e.target for e in wiki.edges if e.source == "langs"]
    assert targets[3:] == ["some-title", "some-title", "c"]
    ghosts = targets[:3]
    assert len(set(ghosts)) == 3 and not set(ghosts) & set(wiki.notes)
    assert ghosts[0].startswith("c-") and ghosts[1].startswith("uber-")
    assert [wiki.placeholders[g].label for g in ghosts] == ["C++", "Über", "C+"]
    from kg.build import build

    build(config)
    html = (config.out / "notes" / "langs.html").read_text(encoding="utf-8")
    import re

    hrefs = dict((text, href) for href, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>',
                                                          html))
    assert hrefs["C++"] == f"{ghosts[0]}.html" and hrefs["Über"] == f"{ghosts[1]}.html"
    assert hrefs["c"] == "c.html" and 'href="uber.html"' not in html


def test_an_ambiguous_name_is_told_to_be_written_as_a_path(write_wiki) -> None:
    config = write_wiki({"Concepts/Notes.md": "# Notes\n", "Daily/Notes.md": "# Notes\n",
                         "x.md": "# X\n[[Notes]]\n"})
    with pytest.raises(ResolveError) as info:
        load_wiki(config)
    assert "[[Concepts/Notes]]" in str(info.value.findings[0])


def test_a_connection_to_a_place_in_a_note_is_to_the_note(parse) -> None:
    """``to: "b#^blk"`` or ``to: "B#Part"`` connects to b (it had made a placeholder
    "b-blk"); a name that holds a ``#`` itself (``C# tips``) is still that note's."""
    a = parse("---\ntitle: A\nconnections:\n  - to: 'b#^blk'\n  - to: 'B#Part'\n"
              "  - to: 'C# tips'\n  - to: 'nobody#x'\n---\nx\n", "a.md")
    wiki = resolve_wiki([a, parse("---\ntitle: B\n---\nx ^blk\n", "b.md"),
                         parse("---\ntitle: C# tips\n---\nx\n", "c-tips.md")])
    assert [e.target for e in wiki.edges] == ["b", "b", "c-tips", "nobody-x"]


def test_resolving_again_follows_changed_names(parse) -> None:
    """A resolution takes the last one's links for the very same records only while no
    note's names change: a note retitled, aliased or renamed resolves the links of the
    notes that did not change again (as ``kg serve`` resolves after each edit)."""
    linking = parse("---\ntitle: Linking\n---\nSee [[Target Paper]] and [[Other]].\n",
                    "linking.md")
    other = parse("---\ntitle: Other\n---\nbody\n", "other.md")
    first = resolve_wiki([linking, other])
    assert {e.target for e in first.edges} == {"target-paper", "other"}
    assert set(first.placeholders) == {"target-paper"}
    assert resolve_wiki([linking, other]).edges == first.edges

    retitled = parse("---\ntitle: Target Paper\n---\nbody\n", "other.md")
    again = resolve_wiki([linking, retitled])
    assert {e.target for e in again.edges} == {"other"}  # both links now name other.md
    assert not again.placeholders

    aliased = parse("---\ntitle: Other\naliases: [Target Paper]\n---\nbody\n", "other.md")
    assert not resolve_wiki([linking, aliased]).placeholders
    assert set(resolve_wiki([linking, other]).placeholders) == {"target-paper"}
    renamed = parse("---\ntitle: Other 2\n---\nbody\n", "target paper.md")
    assert set(resolve_wiki([linking, renamed]).placeholders) == {"other"}
    assert {e.target: e.written for e in resolve_wiki([linking, renamed]).edges} == {
        "target-paper": "Target Paper", "other": "Other"}


def test_indexes_of_equal_edges_are_taken_again(parse, monkeypatch, between_builds) -> None:
    """What is made of the edges alone (the views' neighbours and degrees, the graph's edge
    records) and each note's export unit are the last build's while the edges are equal
    (``kg serve`` after an edit of a note's text), and made again, or patched where only an
    edge's line moved, equal to a fresh computation, when an edge changed."""
    from kg import graphview, splice, views

    def forget() -> None:
        views.edge_index.forget()
        graphview.edge_records.forget()
        monkeypatch.setattr(splice, "_last_units", {})
        monkeypatch.setattr(graphview, "_last_nodes", {})

    forget()
    b = parse("---\ntitle: B\n---\nbody\n", "b.md")

    def made(text: str) -> tuple[Any, ...]:
        wiki = resolve_wiki([parse(text, "a.md"), b])
        v = views.Views(wiki)
        return wiki, v, graphview.GraphBuilder(v), splice._units(wiki)

    def fresh(wiki: Any) -> tuple[Any, ...]:
        forget()
        v = views.Views(wiki)
        return v, graphview.GraphBuilder(v), splice._units(wiki)

    _, first, graph, units = made("---\ntitle: A\n---\nSee [[B]].\n")
    _, again, graph_again, units_again = made("---\ntitle: A\n---\nSee [[B]]. More text.\n")
    assert again.adjacent is first.adjacent and graph_again._edges is graph._edges
    assert units_again["b"] is units["b"] and units_again["a"] != units["a"]  # a's record

    moved, later, graph_later, units_later = made("---\ntitle: A\n---\n\nSee [[B]].\n")
    assert later.out is not first.out
    # only a line moved: the edges put in their old ones' places, the rest kept
    assert later.adjacent is first.adjacent and graph_later._edges is graph._edges
    assert [e.line for e in later.out["a"]] == [5]  # the line as it is now
    assert later.connections("b").mentions_in[0].line == 5
    v, g, u = fresh(moved)
    assert (later.out, later.inc, later.degree, later.adjacent) == (v.out, v.inc, v.degree,
                                                                    v.adjacent)
    assert graph_later._edges == g._edges and graph_later._out == g._out
    assert graph_later._nodes == g._nodes
    assert graph_later._nodes["b"] is graph._nodes["b"]  # b's record and degree: kept
    assert units_later == u


def test_tag_and_tier_lists_are_patched_for_an_edit_and_equal_to_fresh_ones(
        parse, between_builds) -> None:
    """kg serve's edit of a note's text puts its new record in its old one's places in the
    lists of its tags, tier and month (the others' lists are the very same); a note moved
    to another tier, tag or day has them made again; either way they are what a fresh build
    makes, record for record, as are the notes' questions."""
    from kg import views

    b = parse("---\ntitle: B\ntier: 1\ntags: [x, y]\ndate: 2026-01-01\n---\nb\n", "b.md")
    c = parse("---\ntitle: C\ntier: 2\ntags: [y]\ndate: 2026-01-03\n---\nc\n", "c.md")

    def wiki(a_tier: int, a_tags: str, text: str, day: str = "2026-01-02") -> Any:
        return resolve_wiki([
            parse(f"---\ntitle: A\ntier: {a_tier}\ntags: [{a_tags}]\ndate: {day}\n---\n"
                  f"{text}\n## Open questions\n- Why?\n", "a.md"), b, c])

    def fresh(w: Any) -> Any:
        views._groups.forget()
        views._by_asker.forget()
        views._months.forget()
        return views.Views(w)

    def same(v: Any, f: Any) -> bool:
        def ids(groups: Any) -> dict[Any, list[int]]:
            return {k: [id(n) for n in notes] for k, notes in groups.items()}
        return (ids(v.by_tag) == ids(f.by_tag) and ids(v.by_tier) == ids(f.by_tier)
                and ids(dict(v.timeline())) == ids(dict(f.timeline()))
                and v.tag_slugs == f.tag_slugs and v.questions == f.questions)

    first = fresh(wiki(1, "x", "text"))
    edited = wiki(1, "x", "more text")
    again = views.Views(edited)
    assert again.by_tag["y"] is first.by_tag["y"] and again.by_tier[2] is first.by_tier[2]
    assert again.by_tag["x"][0] is edited.notes["a"]  # its new record, in its place
    assert same(again, fresh(edited))
    assert dict(again.timeline())["2026-01"] == [c, edited.notes["a"], b]
    for moved in (wiki(2, "x", "text"), wiki(2, "z", "text"), wiki(1, "x, y", "text"),
                  wiki(1, "x", "text", "2025-12-31"), wiki(1, "x", "text", "2026-01-04")):
        views.Views(edited)
        assert same(views.Views(moved), fresh(moved))


def test_placeholder_rows_are_the_last_builds_while_what_they_read_is_the_same(
        parse, between_builds) -> None:
    """The placeholders page's rows are taken again while the placeholders, the edges into
    them and the notes those come from are as they were; a linking note renamed (its edges
    equal) has them made again, with its new title."""
    from kg import views

    b = parse("---\ntitle: B\n---\nSee [[Ghost]].\n", "b.md")
    c = parse("---\ntitle: C\n---\nc\n", "c.md")
    first = views.Views(resolve_wiki([b, c])).placeholder_rows()
    c2 = parse("---\ntitle: C\n---\nc, edited\n", "c.md")
    assert views.Views(resolve_wiki([b, c2])).placeholder_rows() is first
    renamed = parse("---\ntitle: B renamed\n---\nSee [[Ghost]].\n", "b.md")
    rows = views.Views(resolve_wiki([renamed, c2])).placeholder_rows()
    assert rows is not first and rows[0][1][0].title == "B renamed"


def test_questions_reworded_in_a_long_serve_are_let_go(parse, between_builds) -> None:
    """Each edit that rewords a question makes a new question id; the trackings kept for
    the next edit hold the old ones no longer than a bound (kg serve runs for days)."""
    import kg.resolve

    b = parse("---\ntitle: B\n---\n## Open questions\n- Kept?\n", "b.md")
    for n in range(200):
        a = parse(f"---\ntitle: A\n---\n## Open questions\n- Version {n}?\n", "a.md")
        assert len(resolve_wiki([a, b]).questions) == 2
    assert len(kg.resolve._last_tracked) <= 2 * 2 + 64


def test_tracked_questions_are_the_last_trackings_while_records_and_answers_are(
        parse, between_builds) -> None:
    """``kg serve`` tracks every question again after each edit: a note's tracked questions
    are the last tracking's records while the note is the same record and every answer is as
    it was; an answer written elsewhere changes the status it names, and only that record."""
    a = parse("---\ntitle: A\n---\n## Open questions\n- Why?\n- How?\n", "a.md")
    b = parse("---\ntitle: B\n---\nbody\n", "b.md")
    first = resolve_wiki([a, b]).questions
    again = resolve_wiki([a, b]).questions
    assert len(first) == 2 and all(x is y for x, y in zip(first, again, strict=True))
    answering = parse("---\ntitle: B\nanswers: [a#q-why]\n---\nbody\n", "b.md")
    answered = resolve_wiki([a, answering]).questions
    assert [(tq.status.value, tq.answered_by) for tq in answered] == [
        ("answered", ("b",)), ("open", ())]
    assert answered[1] is first[1]
    assert [tq.status.value for tq in resolve_wiki([a, b]).questions] == ["open", "open"]


def test_a_single_build_keeps_no_tracking_past_its_end(parse) -> None:
    """``kg build`` builds once: what a tracking made of each note is not held past it
    (memory at the peak of a full build), and each tracking is made afresh, the same."""
    import kg.resolve

    a = parse("---\ntitle: A\n---\n## Open questions\n- Why?\n", "a.md")
    first = resolve_wiki([a]).questions
    assert not kg.resolve._last_by_note and not kg.resolve._last_tracked
    again = resolve_wiki([a]).questions
    assert again == first and again[0] is not first[0]


def test_edges_that_moved_and_changed_are_indexed_as_made_afresh(parse) -> None:
    """An edit that moves a note's links to other lines is patched into the last index; one
    that also changes a link (another target, a relation, one more) makes it again: either
    way the index equals a fresh computation."""
    from kg import graphview, views

    b = parse("---\ntitle: B\n---\nbody\n", "b.md")
    c = parse("---\ntitle: C\n---\nbody\n", "c.md")
    texts = ["See [[B]] and [[C]].\n", "\n\nSee [[B]] and [[C]].\n", "\nSee [[C]] and [[B]].\n",
             "\nSee [[B]].\n\nAnd [[C]], [[B]].\n", "See [[B]].\n"]
    for text in texts:
        wiki = resolve_wiki([parse("---\ntitle: A\n---\n" + text, "a.md"), b, c])
        index, records = views.edge_index(wiki.edges), graphview.edge_records(wiki.edges)
        fresh_index = views._edge_index(wiki.edges)
        assert index == fresh_index, text
        assert records == graphview._edge_records(wiki.edges), text
        assert [[e.line for e in found] for found in index.at.values()] == [
            [e.line for e in found] for found in fresh_index.at.values()], text


def test_connections_written_as_paths_lead_to_the_notes_of_those_files(write_wiki) -> None:
    """``to: ./b``, ``./b.md``, ``../other/c.md`` (from the note's folder) and ``sub/d.md``
    (from the wiki's top) name the notes of those files: each had been a placeholder."""
    import json

    from click.testing import CliRunner

    from kg.cli import main

    config = write_wiki({
        "notes/a.md": "---\ntitle: A\nconnections:\n  - to: ./b\n  - {to: ./b.md, rel: supports}\n"
                      "  - to: ../other/c.md\n  - to: notes/sub/d.md\n  - \"[[./sub/d|D]]\"\n"
                      "  - to: ./gone.md\n  - to: ../../out.md\n---\n"
                      "[[./b]] and [[other/c.md]] and [[./gone]].\n",
        "notes/b.md": "---\ntitle: B\n---\n",
        "b.md": "---\ntitle: B at the top\n---\n",  # ./b from notes/ is not this one
        "other/c.md": "---\ntitle: C\n---\n",
        "notes/sub/d.md": "---\ntitle: D\n---\n",
    })
    wiki = load_wiki(config)
    assert [(e.target, e.relation.name if e.relation else None, e.line)
            for e in wiki.edges if e.source == "a" and e.kind is EdgeKind.CONNECTION] == [
        ("notes-b", "related", 4), ("notes-b", "supports", 5), ("c", "related", 6),
        ("d", "related", 7), ("d", "related", 8), ("notes-gone", "related", 9),
        ("out-md", "related", 10)]
    # the missing file's connection and its link are one placeholder, named by its path
    assert wiki.placeholders["notes-gone"].label == "notes/gone"
    assert [e.target for e in wiki.edges if e.kind is EdgeKind.MENTION] == [
        "notes-b", "c", "notes-gone"]

    result = CliRunner().invoke(main, ["connections", "a", "--wiki", str(config.wiki),
                                       "--no-mentions", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sorted((row["note"], row["relation"]) for row in json.loads(result.stdout)) == [
        ("c", "related"), ("d", "related"), ("d", "related"), ("notes-b", "related"),
        ("notes-b", "supports"), ("notes-gone", "related"), ("out-md", "related")]
    result = CliRunner().invoke(main, ["check", "--wiki", str(config.wiki)])
    found = [line.split(None, 3) for line in result.stdout.splitlines()
             if " placeholder " in line]
    assert [(where, finding) for where, _, _, finding in found] == [
        ("notes/a.md:9", "connection to './gone.md': there is no note file notes/gone.md "
                         "(write notes/gone.md, or correct the path)"),
        ("notes/a.md:10", "connection to '../../out.md' leads out of the wiki (link a note of "
                          "the wiki by its path from this note's folder (./b.md) or from the "
                          "wiki's top (folder/b.md))"),
        ("notes/a.md:12", "link to 'notes/gone', a placeholder: no note yet (write it with "
                          "`kg new \"notes/gone\"`)"),
    ]


def test_a_relative_target_resolves_from_the_folder_given(notes) -> None:
    resolver = Resolver(notes)
    assert resolver.resolve("./Deep Note.md", folder="sub") == "deep-note"
    assert resolver.resolve("../plain", folder="sub") == "plain"
    assert resolver.resolve("./sub/Deep Note#Part", folder="") == "deep-note"
    assert resolver.resolve("./plain", folder="sub") is None  # sub/plain.md: none
