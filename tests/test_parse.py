"""One file into one Note: the typed front-matter fields, on strings."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.errors import NoteError
from kg.model import Source
from kg.relations import BY_NAME, RELATIONS, SYNONYMS, lookup


def note_with(parse, front: str, body: str = "", path: str = "a.md"):
    return parse(f"---\n{front}---\n{body}", path)


def test_full_note_fields(parse) -> None:
    note = note_with(parse, """\
title: "Import AI 455: Building"
date: 2026-05-04
tier: 1
type: Digest
authors: [Jack Clark]
source: {title: "Import AI 455", url: "https://importai.substack.com/", publisher: "Import AI"}
raw: raw/rss/2026-05-04-import-ai-455.md
aliases: ["Import AI 455", "IAI 455"]
tags: [ai-rnd-automation, forecasting]
""", path="import-ai-455.md")
    assert note.id == "import-ai-455"
    assert note.title == "Import AI 455: Building"
    assert note.date == dt.date(2026, 5, 4)
    assert note.tier == 1
    assert note.type == "digest"
    assert note.authors == ("Jack Clark",)
    assert note.source == Source("Import AI 455", "https://importai.substack.com/", "Import AI")
    assert note.raw == "raw/rss/2026-05-04-import-ai-455.md"
    assert note.aliases == ("Import AI 455", "IAI 455")
    assert note.tags == ("ai-rnd-automation", "forecasting")
    assert note.warnings == ()
    assert note.field_lines["tags"] == 10


def test_a_hub_of_thousands_of_annotated_connections_parses(parse) -> None:
    """An index note whose front-matter connects it to 3,000 notes, each with a sentence:
    350 KB of front-matter, over the 256 KiB that had been the limit (its build stopped)."""
    n = 3000
    conns = "".join(f"  - to: n{i:05d}\n    rel: supports\n    note: \"Why note {i} matters "
                    f"here, said in a sentence of about the usual length.\"\n"
                    for i in range(n))
    text = "---\ntitle: Hub\nconnections:\n" + conns + "---\nBody.\n"
    assert len(text) > 300_000 > 256 * 1024
    note = parse(text, "hub.md")
    assert len(note.connections) == n
    assert note.connections[-1].target == f"n{n - 1:05d}"
    assert note.connections[-1].line == 3 + 3 * (n - 1) + 1


def test_thousands_of_questions_alike_in_one_note(parse) -> None:
    """3,000 questions, angles and forecasts alike in one note get ids -2, -3… in order, as
    before (each search for a free id had started from -2 in a list: 4,000 took 106 s)."""
    n = 3000
    angles = "".join(f"{i}. **Lead.** text\n" for i in range(1, n + 1))
    note = parse("---\ntitle: Q\nforecasts:\n" + "  - {claim: c, p: 0.5, by: 2030-01-01}\n" * n
                 + "---\n## Open questions\n" + "- Why?\n" * n
                 + "## Research angle\n" + angles, "q.md")
    assert [q.id for q in note.questions] == ["q#q-why"] + [f"q#q-why-{i}" for i in range(2, n + 1)]
    assert [a.id for a in note.angles] == ["q#a-lead"] + [f"q#a-lead-{i}" for i in range(2, n + 1)]
    assert len({f.id for f in note.forecasts}) == n


def test_unique_ids_are_those_of_a_search_from_2_each_time() -> None:
    """Bases that are another's suffixed id (``x-2``) take the next free one, as the search
    from ``-2`` in the list of ids given gave them."""
    import random

    from kg.parse import _Ids

    def reference(ids: list[str], base: str) -> str:
        candidate, k = base, 2
        while candidate in ids:
            candidate, k = f"{base}-{k}", k + 1
        ids.append(candidate)
        return candidate

    rng = random.Random(3)
    for _ in range(200):
        given: list[str] = []
        ids = _Ids()
        for _ in range(60):
            base = rng.choice(["x", "x-2", "x-3", "x-2-2", "y", "x-4"])
            assert ids.unique(base) == reference(given, base)


def test_title_defaults_to_first_h1_then_stem(parse) -> None:
    assert parse("---\ndate: 2026-01-01\n---\n# The *Heading*\ntext\n").title == "The Heading"
    assert parse("no front matter at all\n", "Internal Links.md").title == "Internal Links"
    assert parse("no front matter at all\n", "Internal Links.md").id == "internal-links"


def test_title_no_stays_text(parse) -> None:
    assert note_with(parse, "title: NO\n").title == "NO"
    assert note_with(parse, "title: 012345\n").title == "012345"


def test_an_empty_title_warns_and_takes_the_heading_or_name(parse) -> None:
    note = note_with(parse, "title:\n", "# The Heading\nText.\n")
    assert note.title == "The Heading"
    assert [(w.code, w.where.line) for w in note.warnings if w.where] == [("empty-title", 2)]
    assert note_with(parse, "title: ''\n").title == "a"  # the file's name
    assert note_with(parse, "date: 2026-01-01\n").warnings == ()  # no title line: no warning


def test_a_title_a_reader_cannot_see_is_an_empty_one(parse) -> None:
    """A title of zero-width spaces or direction marks alone (pasted from a web page) would be
    an invisible link in every list: the heading or the name titles the note, and the title
    line is warned of; a heading of them alone is no title either."""
    note = note_with(parse, 'title: "\u200b\u200e"\n', "# The Heading\nText.\n")
    assert note.title == "The Heading"
    assert [(w.code, w.message) for w in note.warnings] == [
        ("empty-title", "'title' shows nothing (zero-width or direction marks only): the note "
                        "is titled 'The Heading'")]
    assert note_with(parse, "date: 2026-01-01\n", "# \u2060\u200b\nText.\n").title == "a"
    assert note_with(parse, 'title: "\u200bK\u200d"\n').title == "\u200bK\u200d"  # seen


def test_missing_date_and_tier_build_and_bad_ones_warn(parse) -> None:
    assert note_with(parse, "title: A\n").date is None
    note = note_with(parse, "title: A\ndate: soon\ntier: high\n")
    assert note.date is None and note.tier is None
    codes = {(w.code, w.where.line) for w in note.warnings if w.where}
    assert codes == {("bad-date", 3), ("bad-tier", 4)}


@pytest.mark.parametrize("tier", ["²", "٣", "9" * 5000, "00000000000000000000001"])
def test_a_tier_of_digits_int_refuses_or_too_many_warns(parse, tier: str) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails; 5,000 digits exceed int's limit:
    each is a bad tier at its line, not a traceback."""
    note = note_with(parse, f"title: A\ntier: {tier}\n")
    assert note.tier is None
    (warning,) = note.warnings
    assert (warning.code, warning.where.line if warning.where else 0) == ("bad-tier", 3)
    assert len(warning.message) < 100


def test_date_with_time_keeps_the_day(parse) -> None:
    assert note_with(parse, "date: 2026-05-04T10:20:00Z\n").date == dt.date(2026, 5, 4)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"Import AI newsletter"', Source(title="Import AI newsletter")),
        ("https://example.org/post", Source(url="https://example.org/post")),
        ("{url: 'https://x.org', name: X}", Source(title="X", url="https://x.org")),
        ("\n  title: T\n  publisher: P\n", Source(title="T", publisher="P")),
        ('"[[Import AI]]"', Source(title="Import AI", written="[[Import AI]]")),
    ],
    ids=["string", "url", "flow-map", "block-map", "link"],
)
def test_source_forms(parse, source: str, expected: Source) -> None:
    assert note_with(parse, f"source: {source}\n").source == expected


def test_source_with_unsafe_url_is_an_error(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: A\nsource: {url: 'javascript:alert(1)'}\n")
    assert info.value.line == 3 and "javascript" in info.value.message


def test_source_unknown_field_is_an_error(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: A\nsource:\n  title: T\n  isbn: 123\n")
    assert info.value.line == 5 and "isbn" in info.value.message


def test_aliases_single_string_and_singular_key(parse) -> None:
    assert note_with(parse, "aliases: Only One\n").aliases == ("Only One",)
    assert note_with(parse, "alias: [X, Y, X]\n").aliases == ("X", "Y")


def test_tags_lose_hash_case_and_spaces(parse) -> None:
    note = note_with(parse, "tags: ['#Alpha', beta, \"#Multi Word\", alpha]\n")
    assert note.tags == ("alpha", "beta", "multi-word")
    assert note_with(parse, "tags:\n  - '#one'\n  - two/three\n").tags == ("one", "two/three")


def test_tags_and_aliases_written_as_one_line_split_at_commas(parse) -> None:
    """Obsidian's older form: ``tags: a, b`` is two tags, ``aliases: Foo, Bar`` two names
    (a list item keeps its commas)."""
    note = note_with(parse, "tags: 'nlp, transformers, #deep-learning'\naliases: Foo, Bar Baz\n")
    assert note.tags == ("nlp", "transformers", "deep-learning")
    assert note.aliases == ("Foo", "Bar Baz")
    assert note_with(parse, "aliases: ['Smith, J.']\n").aliases == ("Smith, J.",)


def test_a_comma_separated_line_s_quoted_parts_lose_their_quotes(parse) -> None:
    note = note_with(parse, 'tags: unicode, "weird tag", \'nlp\'\naliases: Foo, "Bar Baz"\n')
    assert note.tags == ("unicode", "weird-tag", "nlp")
    assert note.aliases == ("Foo", "Bar Baz")


# -- connections ------------------------------------------------------------------------------


def test_an_unquoted_wikilink_target_is_an_error_saying_to_quote_it(parse) -> None:
    with pytest.raises(NoteError) as raised:
        note_with(parse, "connections:\n  - to: [[crlf]]\n    rel: supports\n")
    assert raised.value.line == 3 and "must be text" in raised.value.message
    assert raised.value.hint is not None and 'to: "[[crlf]]"' in raised.value.hint
    with pytest.raises(NoteError) as raised:
        note_with(parse, "title: [a, b]\n")
    assert raised.value.hint == "title: ..."  # a list, not a link: no such hint


def test_the_same_connection_twice_is_a_warning_at_the_second(parse) -> None:
    note = note_with(parse, """connections:
  - {to: crlf, rel: supports, note: first reason}
  - {to: other, rel: supports, note: another note}
  - {to: crlf, rel: extends, note: another relation}
  - {to: CRLF, rel: supports, note: second reason}
""")
    assert len(note.connections) == 4  # all kept, as written
    found = [(w.code, w.where.line) for w in note.warnings if w.where]
    assert found == [("duplicate-connection", 6)]
    assert "first at line 3" in note.warnings[0].message


def test_shorthand_and_full_connections(parse) -> None:
    note = note_with(parse, """\
title: A
connections:
  - posttrainbench
  - "[[Defense Trilemma]]"
  - to: defense-trilemma
    rel: counterpoint
    note: "The adversarial
      counterpart."
  - {to: "[[ahe|AHE]]", relation: Supports, why: because}
  - "![[embedded]]"
""")
    got = [(c.target, c.relation.name, c.annotation, c.line) for c in note.connections]
    assert got == [
        ("posttrainbench", "related", "", 4),
        ("Defense Trilemma", "related", "", 5),
        ("defense-trilemma", "counterpoint", "The adversarial counterpart.", 6),
        ("ahe", "supports", "because", 10),
        ("embedded", "related", "", 11),
    ]


def test_single_connection_without_a_list(parse) -> None:
    note = note_with(parse, "connections: other-note\n")
    assert [(c.target, c.relation.name) for c in note.connections] == [("other-note", "related")]


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("disagrees", "counterpoint"),
        ("disagrees-with", "counterpoint"),
        ("contradicts", "counterpoint"),
        ("uses_method", "applies"),
        ("Uses Method Of", "applies"),
        ("cites-as-evidence", "evidence"),
        ("productizes", "example-of"),
        ("instance-of", "example-of"),
        ("agrees-with", "supports"),
        ("see-also", "related"),
        ("COUNTERPOINT", "counterpoint"),
    ],
)
def test_relation_synonyms(parse, written: str, name: str) -> None:
    note = note_with(parse, f"connections:\n  - to: b\n    rel: {written}\n")
    assert note.connections[0].relation is BY_NAME[name]


def test_relation_table_is_closed_and_complete() -> None:
    names = {r.name for r in RELATIONS}
    assert {"related", "extends", "supports", "counterpoint", "critiques", "applies", "evidence",
            "example-of", "answers", "cites"} <= names
    assert all(r.label and r.inverse and r.iri.startswith("http") for r in RELATIONS)
    assert BY_NAME["counterpoint"].iri == "http://purl.org/spar/cito/disagreesWith"
    assert BY_NAME["counterpoint"].inverse == "Countered by"
    assert BY_NAME["evidence"].iri == "http://purl.org/spar/cito/citesAsEvidence"
    assert BY_NAME["applies"].iri == "http://purl.org/spar/cito/usesMethodIn"
    assert all(lookup(target) is not None for target in SYNONYMS.values())


def test_unknown_relation_names_line_and_closest(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: A\nconnections:\n  - to: b\n    rel: counterpiont\n",
                  path="x/a.md")
    err = info.value
    assert (err.file, err.line) == ("x/a.md", 5)
    assert "counterpiont" in err.message
    assert "did you mean 'counterpoint'" in err.hint
    assert str(err).startswith("x/a.md:5: ")


@pytest.mark.parametrize(("written", "relation"), [
    ("Supported by", "supports"), ("extended-by", "extends"), ("cited_by", "cites"),
    ("Countered by", "counterpoint"), ("background for", "background"),
])
def test_an_inverse_label_says_which_relation_to_write_in_the_other_note(
        parse, written: str, relation: str) -> None:
    """The cited note's page shows 'Supported by'; written as a relation it is not the
    nearest name ('supports', the opposite claim) but that relation, from the other note."""
    with pytest.raises(NoteError) as info:
        note_with(parse, f"title: A\nconnections:\n  - to: b\n    rel: {written}\n")
    hint = info.value.hint or ""
    assert f"'{written}' is the inverse of '{relation}'" in hint
    assert f"in b's note, to this one, with rel: {relation}" in hint
    assert "did you mean" not in hint


def test_unknown_relation_synonym_suggests_the_relation_name(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "connections:\n  - {to: b, rel: disagree}\n")
    assert "'counterpoint'" in info.value.hint


def test_unknown_relation_far_from_everything_still_helps(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "connections:\n  - {to: b, rel: zzqqxx}\n")
    assert info.value.line == 3 and info.value.hint


@pytest.mark.parametrize(
    ("item", "line", "words"),
    [
        ("  - to: b\n    kind: x\n", 4, "unknown connection field 'kind'"),
        ("  - rel: supports\n", 3, "without a target"),
        ("  - [a, b]\n", 3, "must be an id or a mapping"),
        ("  - ''\n", 3, "empty connection target"),
        ("  - '#Heading'\n", 3, "target '#Heading' is a place in this note, not a note"),
        ("  - to: b\n  - to: '#^blk'\n", 4, "target '#^blk' is a place in this note"),
    ],
)
def test_bad_connections(parse, item: str, line: int, words: str) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, f"connections:\n{item}")
    assert info.value.line == line and words in info.value.message


# -- forecasts and answers --------------------------------------------------------------------


def test_forecasts_p_as_fraction_and_percent(parse) -> None:
    note = note_with(parse, """\
forecasts:
  - {claim: "Fully autonomous AI R&D by end of 2028", p: 0.6, by: 2028-12-31}
  - claim: "By end of 2027"
    p: 30%
    by: 2027-12-31
    source: Jack Clark
    resolved: false
    resolved_by: some-note
""", path="f.md")
    first, second = note.forecasts
    assert (first.claim, first.p, first.by, first.line) == (
        "Fully autonomous AI R&D by end of 2028", 0.6, dt.date(2028, 12, 31), 3)
    assert first.resolved is None
    assert second.p == pytest.approx(0.3)
    assert (second.source, second.resolved, second.resolved_by) == ("Jack Clark", False,
                                                                     "some-note")
    assert first.id != second.id and first.id.startswith("f#f-")


@pytest.mark.parametrize(
    ("p", "words"),
    [("1.5", "'1.5'"), ("150%", "'150%'"), ("lots", "'lots'"), ("-0.1", "'-0.1'")],
)
def test_bad_forecast_probability(parse, p: str, words: str) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, f"title: A\nforecasts:\n  - claim: x\n    p: {p}\n    by: 2028-01-01\n")
    assert info.value.line == 5
    assert words in info.value.message and "0.6 or 60%" in info.value.hint


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("{claim: x, p: 0.5, by: soon}", "not a date"),
        ("{claim: x, by: 2028-01-01}", "without 'p'"),
        ("{p: 0.5, by: 2028-01-01}", "without 'claim'"),
        ("just a claim", "must be a mapping"),
    ],
)
def test_bad_forecasts(parse, item: str, words: str) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, f"forecasts:\n  - {item}\n")
    assert info.value.line == 3 and words in info.value.message


def test_answers_plain_and_dropped(parse) -> None:
    note = note_with(parse, """\
answers:
  - other#q-what-is-it
  - {question: other#q-why, status: dropped}
""")
    got = [(a.question, a.line, a.dropped) for a in note.answers]
    assert got == [("other#q-what-is-it", 3, False), ("other#q-why", 4, True)]


def test_bad_answer_is_an_error(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "answers:\n  - [a, b]\n")
    assert info.value.line == 3


def test_an_answer_that_is_no_question_id_is_told_where_ids_are_listed(parse) -> None:
    """`kg questions` lists the ids."""
    with pytest.raises(NoteError) as info:
        note_with(parse, "answers: [not a question id]\n")
    assert info.value.line == 2
    assert info.value.hint == ("use a question's id, as `kg questions` lists them, e.g. "
                               "other-note#q-first-words")


def test_field_of_wrong_shape_names_its_line(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: A\nauthors: {name: X}\n")
    assert info.value.line == 3 and "authors" in info.value.message
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: [A, B]\n")
    assert info.value.line == 2 and "title" in info.value.message


def test_same_text_same_digest_and_ids(parse) -> None:
    text = "---\ntitle: A\n---\n## Open questions\n- Why?\n"
    a, b = parse(text), parse(text)
    assert a.digest == b.digest
    assert a.questions == b.questions
    assert parse(text + "\n").digest != a.digest


def test_a_template_s_placeholder_is_an_error_that_says_to_quote_it(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: T\ndate: {{date}}\n")
    assert info.value.line == 3 and "braces" in info.value.message
    assert 'date: "{{date}}"' in info.value.hint
    assert note_with(parse, 'title: T\ncreated: "{{date}}"\n').title == "T"


def test_a_vault_s_dates_when_there_is_no_date_field(parse) -> None:
    """``created:`` stands in for ``date``, as does a daily note's name (or one that starts
    with a date: ``2024-05-01 notes``, ``20240501 notes``); ``2024-1-5`` is a date too."""
    assert note_with(parse, "created: 2024-03-02T10:15\n").date == dt.date(2024, 3, 2)
    assert note_with(parse, "date: 2024-1-5\ncreated: 2020-01-01\n").date == dt.date(2024, 1, 5)
    assert note_with(parse, "title: D\n", path="Daily/2024-05-01.md").date == dt.date(2024, 5, 1)
    assert note_with(parse, "title: D\n", path="2024-05-01 notes.md").date == dt.date(2024, 5, 1)
    assert note_with(parse, "title: D\n", path="20240501 notes.md").date == dt.date(2024, 5, 1)
    assert note_with(parse, "title: D\n", path="2024050 notes.md").date is None


def test_a_tab_indented_front_matter_says_so(parse) -> None:
    with pytest.raises(NoteError) as info:
        note_with(parse, "title: A\ntags:\n\t- a\n")
    assert info.value.line == 4 and "never tabs" in info.value.hint


def test_links_in_a_vault_s_own_fields_are_mentions(parse) -> None:
    """``up: "[[Topic]]"`` and ``related: ["[[A]]"]``: links in fields kg does not read are
    mentions (with the field as their sentence); an author written as a link is a name."""
    note = note_with(parse, 'title: N\nup: "[[Topic]]"\nrelated:\n  - "[[A|the A]]"\n'
                            '  - plain\nauthors: ["[[Alice Müller]]", Bob]\nrating: 4\n',
                     "Body [[C]].\n")
    assert [(m.target, m.label, m.line, m.context) for m in note.mentions] == [
        ("Topic", None, 3, "up: Topic"), ("A", "the A", 5, "related: the A"),
        ("C", None, 10, "Body C.")]
    assert note.authors == ("Alice Müller", "Bob")
    for written in ("authors: [[Alice Müller]]", "authors: [[[Alice Müller]], Bob]",
                    "author:\n  - [[Alice Müller]]\n  - Bob"):  # links unquoted
        assert note_with(parse, f"title: N\n{written}\n").authors[0] == "Alice Müller"
    unquoted = note_with(parse, "title: N\nup: [[Deep Learning MOC]]\nnext:\n  - [[B]]\n")
    assert [(m.target, m.line, m.context) for m in unquoted.mentions] == [
        ("Deep Learning MOC", 3, "up: Deep Learning MOC"), ("B", 5, "next: B")]


def test_a_source_that_is_a_note_is_a_mention_of_it(parse) -> None:
    """A literature vault names a note's source as a note of its own, ``source: "[[Smith
    2020]]"``: the source's title is the note's name, and the link a mention."""
    note = note_with(parse, 'title: N\nsource: "[[Smith 2020|Smith]]"\n')
    assert note.source is not None and note.source.title == "Smith 2020"
    assert [(m.target, m.label, m.line, m.context) for m in note.mentions] == [
        ("Smith 2020", "Smith", 3, "source: Smith")]
    note = note_with(parse, 'title: N\nsource: {title: "[[Doe 2021]]", url: "https://x.org/"}\n')
    assert [(m.target, m.context) for m in note.mentions] == [("Doe 2021", "source: Doe 2021")]
    assert note_with(parse, "title: N\nsource: https://x.org/\n").mentions == ()


@pytest.mark.parametrize("front", ["related: [[A]], [[B]]\n", "up: [[A]] and more\n",
                                   "related:\n  - [[A]]\n  - [[B]] too\n"])
def test_an_unquoted_link_yaml_cannot_read_says_to_quote_it(parse, front: str) -> None:
    with pytest.raises(NoteError, match="not valid YAML") as info:
        note_with(parse, f"title: N\n{front}")
    assert info.value.hint.startswith("YAML reads [[ as a list in a list: quote each value "
                                      "that holds a [[link]]")


# -- what other tools write ---------------------------------------------------------------------


def test_logseq_s_page_properties_are_its_front_matter(parse) -> None:
    """Logseq writes a page's properties as its first lines, ``key:: value``; its pages'
    names as links (``alias:: [[Agents]]``). Dataview's inline fields at the top of a note
    are read alike (one kg does not use, without a link, a warning)."""
    note = parse("title:: ai/agents\nalias:: [[Agents]], bots\ntags:: [[deep learning]], #nlp\n"
                 "type:: concept\nup:: [[Topic]]\ntags:: ignored\n\n- About [[x]].\n",
                 "pages/ai___agents.md")
    assert (note.title, note.aliases, note.tags, note.type) == (
        "ai/agents", ("Agents", "bots"), ("deep-learning", "nlp"), "concept")
    assert [(m.target, m.line, m.context) for m in note.mentions] == [
        ("Topic", 5, "up: Topic"), ("x", 8, "About x.")]
    assert note.body == "\n- About [[x]].\n" and note.body_line == 7
    assert note.warnings == () and note.field_lines["tags"] == 3
    one = parse("tags:: [[deep learning]]\nalias:: [[AI agents]]\n", "one.md")
    assert (one.tags, one.aliases) == (("deep-learning",), ("AI agents",))
    words = parse("tags:: ml nlp\nalias:: the bots\n", "words.md")  # one page each, as
    assert (words.tags, words.aliases) == (("ml-nlp",), ("the bots",))  # Logseq reads them
    only = parse("status:: active\nrating::\nnext:: [[B]]", "n.md")  # nothing but these
    assert (only.title, only.body) == ("n", "")  # a field kg does not use, said so:
    assert [(w.code, w.where.line if w.where else 0) for w in only.warnings] == [
        ("unknown-property", 1), ("unknown-property", 2)]
    assert [(m.target, m.line) for m in only.mentions] == [("B", 3)]
    code = parse("std::vector is a C++ container.\nkey:: value\n", "cpp.md")
    assert code.body.startswith("std::vector") and code.field_lines == {}
    with pytest.raises(NoteError, match="control character U\\+001B") as info:
        parse("title:: A\nalias:: x\x1by\n", "n.md")
    assert info.value.line == 2


def test_toml_front_matter_is_read_as_hugo_writes_it(parse) -> None:
    note = parse('+++\ntitle = "Hugo post"\ndate = 2024-03-05T10:00:00Z\ntier = 2\n'
                 'tags = ["a", "b"]\ndraft = false\n\n[source]\nurl = "https://x.org/"\n'
                 'title = "X"\n+++\n## TL;DR\nText.\n', "post.md")
    assert (note.title, note.date, note.tier, note.tags) == (
        "Hugo post", dt.date(2024, 3, 5), 2, ("a", "b"))
    assert note.source == Source("X", "https://x.org/") and note.published
    assert note.field_lines["source"] == 8 and note.summary == "Text."
    assert not parse('+++\ntitle = "Secret"\ndraft = true\n+++\nx\n', "s.md").published


def test_toml_front_matter_that_is_not_toml_is_an_error_at_its_line(parse) -> None:
    with pytest.raises(NoteError, match="not valid TOML") as caught:
        parse('+++\ntitle = "T"\ntags = [a]\n+++\n', "t.md")
    assert caught.value.line == 3


def test_known_keys_are_read_in_any_case_and_keywords_are_tags(parse) -> None:
    note = note_with(parse, "Title: Capital\nTags: [cap]\nDate: 2024-03-05\nkeywords: [kw]\n")
    assert (note.title, note.tags, note.date) == ("Capital", ("cap", "kw"), dt.date(2024, 3, 5))
    assert note.field_lines["title"] == 2
    twice = note_with(parse, "Tags: [x]\ntitle: A\nTitle: B\ntags: [y]\n")
    assert (twice.title, twice.tags) == ("A", ("y",))  # the lower-case key is read
    assert sorted((w.code, w.where.line if w.where else 0, w.message) for w in twice.warnings) == [
        ("duplicate-key", 2, "'Tags' is 'tags' written again in another case; it is not read"),
        ("duplicate-key", 4, "'Title' is 'title' written again in another case; it is not "
                             "read")]


@pytest.mark.parametrize("front", ["published: false\n", "Draft: true\n", "publish: no\n",
                                   "published: off\n", "draft: On\n"])
def test_jekyll_s_published_false_keeps_a_note_out_too(parse, front: str) -> None:
    """``off`` and ``on`` are YAML 1.1's booleans, which Jekyll and Hugo read: a post of
    ``published: off`` kept out of a Jekyll site had been published by kg."""
    note = note_with(parse, f"title: T\n{front}")
    assert not note.published and not note.warnings


@pytest.mark.parametrize(("name", "date"), [
    ("2024-05-01.md", dt.date(2024, 5, 1)), ("journals/2024_05_01.md", dt.date(2024, 5, 1)),
    ("2024-05-01-my-post.md", dt.date(2024, 5, 1)), ("2024-05-011.md", None),
    ("2024-13-01.md", None), ("Daily/20240501.md", dt.date(2024, 5, 1)),
    ("20240501 Standup.md", dt.date(2024, 5, 1)), ("12345678.md", None), ("30240501.md", None),
    ("20241301.md", None), ("202405011230 Idea.md", dt.date(2024, 5, 1)),
])
def test_a_date_is_taken_from_a_daily_note_s_or_a_post_s_name(parse, name: str, date) -> None:
    """``20240501.md`` is how Obsidian names a daily note in the format YYYYMMDD: its day,
    as ``date: 20240501`` is (it had no date, and a missing-date warning)."""
    assert parse("text\n", name).date == date


def test_jekyll_s_date_with_a_spaced_offset_is_a_date(parse) -> None:
    note = note_with(parse, "date: 2024-03-06 10:00:00 +0100\n")
    assert note.date == dt.date(2024, 3, 6) and note.warnings == ()


def test_a_hash_word_that_yaml_reads_as_a_comment_is_a_warning_at_its_line(parse) -> None:
    note = note_with(parse, 'title: The #1 paper\ntags:\n  - #ml\n  - nlp\n'
                     'url: https://x.org/#frag\nalias: "x #y"\n# a comment\ntier: 1 # high\n')
    found = [(w.code, w.where.line, w.message) for w in note.warnings if w.where]
    assert found == [
        ("yaml-comment", 2, "'#1 paper' is a YAML comment here, not part of the value"),
        ("yaml-comment", 4, "'#ml' is a YAML comment here, not part of the value")]
    assert note.title == "The" and note.tags == ("nlp",)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("\n\n---\ntitle: T\n---\nbody\n", 3, "front-matter after 2 blank lines is read as text"),
    ('{\n "title": "J"\n}\nbody\n', 1, "JSON front-matter is not read"),
    ("\ntitle:: Transformer\nalias:: TF\n\n- x\n", 2,
     "'key:: value' properties (Logseq's) after a blank line are read as text"),
])
def test_fields_written_where_they_are_not_read_are_a_warning(parse, text: str, line: int,
                                                             message: str) -> None:
    found = [w for w in parse(text, "n.md").warnings if w.code == "unread-front-matter"]
    assert len(found) == 1 and found[0].where and found[0].where.line == line
    assert found[0].message.startswith(message)


def test_properties_after_blank_lines_are_said_to_be_read_at_the_top(parse) -> None:
    """``key:: value`` lines are read where they open the file: after blank lines, the hint
    is to delete those, not to write the fields again as YAML."""
    [found] = parse("\n\ntitle:: Transformer\n", "n.md").warnings
    assert (found.code, found.message, found.hint) == (
        "unread-front-matter",
        "'key:: value' properties (Logseq's) after 2 blank lines are read as text",
        "properties are read where they open the file: delete the blank lines above them")


def test_a_question_is_its_item_s_own_words_not_the_bullets_of_detail_under_it(parse) -> None:
    """Detail added under a question changes neither its text nor its id (which `answers:`
    of other notes name); a struck question with a word on why is dropped."""
    note = parse("## Open questions\n- Does scaling continue?\n  - Chinchilla says yes\n"
                 "  - and more\n- ~~Is it data?~~ moot since v2\n- [x] Answered? with words\n"
                 "  that run on\n\n  A second paragraph.\n", "q.md")
    assert [(q.id, q.text, q.declared.value) for q in note.questions] == [
        ("q#q-does-scaling-continue", "Does scaling continue?", "open"),
        ("q#q-is-it-data", "Is it data?", "dropped"),
        ("q#q-answered-with-words-that-run-on", "Answered? with words that run on", "answered"),
    ]


def test_an_empty_bullet_or_task_box_is_no_question(parse) -> None:
    """A template's empty bullets and task boxes under "Open questions" (``- [ ]`` waiting to
    be filled in) ask nothing: the box had been a question, "[ ]"."""
    note = parse("## Open questions\n- \n- [ ]\n- [ ] \n- [x]\n- [ ]Still a question?\n"
                 "- Real one?\n", "q.md")
    assert [q.text for q in note.questions] == ["[ ]Still a question?", "Real one?"]


@pytest.mark.parametrize("front", [
    "summary: |\n  Step 1: see #3\n  - item #2\ntitle: T\n",
    "summary: >-\n  folded #3 text\n",
    'title: "A long title\n  note: with #hash inside"\n',
    'aliases: ["The #1 paper", other]\n',
    'source: {url: "https://x.org", title: "Report #5"}\n',
    'connections: [{to: b, note: "see #3"}]\n',
    "title: T # a comment, as meant\n# a line of comment\ncolor: '#fff'\n",
])
def test_a_hash_yaml_keeps_in_the_value_is_no_warning(parse, front: str) -> None:
    assert [w for w in note_with(parse, front).warnings if w.code == "yaml-comment"] == []


def test_looking_for_hash_words_takes_time_linear_in_a_line(parse) -> None:
    import time

    started = time.perf_counter()
    note = note_with(parse, 'color: "#fff"\nb:' + " " * 200_000 + "x\n")
    assert time.perf_counter() - started < 2  # a quadratic search: 31 s for 60,000 spaces
    assert [w for w in note.warnings if w.code == "yaml-comment"] == []


def test_a_struck_wording_followed_by_a_new_question_is_the_new_question_open(parse) -> None:
    note = parse("## Open questions\n- ~~Does A scale?~~ Does A scale past 1B params?\n"
                 "- ~~~tilde three~~~\n- ~~Gone~~ as v2 settled it\n", "q.md")
    assert [(q.text, q.declared.value) for q in note.questions] == [
        ("Does A scale past 1B params?", "open"), ("~~~tilde three~~~", "open"),
        ("Gone", "dropped")]


def test_published_s_hint_says_false_keeps_the_note_out(parse) -> None:
    [warning] = [w for w in note_with(parse, "title: x\npublished: 0\n").warnings
                 if w.code == "bad-publish"]
    assert warning.hint == "published: false keeps the note out of the site"


def test_a_daily_note_named_in_capitals_md_has_its_date(parse) -> None:
    assert parse("text\n", "2024-05-04.MD").date == dt.date(2024, 5, 4)


@pytest.mark.parametrize(("text", "line"), [
    ("\n---\ntitle: x\n---", 2),  # the closing line last, with no newline after it
    ("\n---\ntitle: x\n...\nbody\n", 2),
    ("  \n---\ntitle: x\n---\nbody\n", 2),  # a line of spaces above it
    ("\n\ntitle:: Logseq\n", 3),
])
def test_unread_fields_are_found_in_the_forms_people_leave_them(parse, text: str,
                                                                line: int) -> None:
    found = [w for w in parse(text, "n.md").warnings if w.code == "unread-front-matter"]
    assert [w.where.line for w in found if w.where] == [line]


def test_rules_around_a_section_are_no_front_matter(parse) -> None:
    text = "\n---\n\nA section between rules.\n\n---\n\nend\n"
    assert [w for w in parse(text, "n.md").warnings if w.code == "unread-front-matter"] == []


def test_the_keys_of_connections_sources_and_forecasts_are_read_in_any_case(parse) -> None:
    note = note_with(parse, "Connections:\n  - To: b\n    Rel: supports\n    Note: why\n"
                     "Source: {URL: 'https://x.org/', Title: X}\n"
                     "Forecasts:\n  - {Claim: C, P: 0.5, By: 2030-01-01}\n")
    assert [(c.target, c.relation.name, c.annotation) for c in note.connections] == [
        ("b", "supports", "why")]
    assert note.source == Source("X", "https://x.org/")
    assert [(f.claim, f.p) for f in note.forecasts] == [("C", 0.5)]


@pytest.mark.parametrize("written", [f"**Ledgers**{sep}see the ledger." for sep in (
    " — ", " – ", " - ", ": ", ". ", " -- ", "—")])
def test_an_angle_s_title_and_text_are_parted_without_their_dash(parse, written: str) -> None:
    """A research angle written ``**Title** — text`` (or with an en dash, a hyphen, a colon,
    a full stop) has the title and the text alone: the pages put their own dash between
    them, and had shown two ("Ledgers — — see the ledger.")."""
    note = parse(f"---\ntitle: C\n---\n## Research angle\n1. {written}\n2. **-1 is odd** yes\n",
                 "c.md")
    assert [(a.title, a.text) for a in note.angles] == [("Ledgers", "see the ledger."),
                                                        ("-1 is odd", "yes")]


def test_a_link_in_a_table_row_is_mentioned_with_that_row_s_cells(parse) -> None:
    """A link in a table's row is mentioned with the row's cells as its sentence, without
    the bars (the rows had run together with the rule: "| Name | Link | |------| | Alias
    text | b |"); a label behind ``\\|`` stays the label."""
    note = parse("---\ntitle: A\n---\nIntro [[c]] here.\n\n| Name | Link |\n|------|:----:|\n"
                 "| Alias text | [[b]] |\n| Other | [[b\\|the bee]] and more |\n", "a.md")
    assert [(m.target, m.line, m.context) for m in note.mentions] == [
        ("c", 4, "Intro c here."), ("b", 8, "Alias text b"),
        ("b", 9, "Other the bee and more")]
