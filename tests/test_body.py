"""The body of a note, on strings: links in every form, sections, questions, research angles."""

from __future__ import annotations

import re

import pytest

from kg.body import parse_wikilink, scan, section_key
from kg.model import QuestionStatus


def mentions(parse, body: str) -> list[tuple[str, str | None, str | None]]:
    return [(m.target, m.heading, m.label) for m in parse("---\ntitle: T\n---\n" + body).mentions]


# -- link forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("import-ai-455", ("import-ai-455", None, None)),
        ("Defense Trilemma", ("Defense Trilemma", None, None)),
        ("posttrainbench|PostTrainBench", ("posttrainbench", None, "PostTrainBench")),
        ("defense-trilemma#Why it matters", ("defense-trilemma", "Why it matters", None)),
        ("a#Heading|Label", ("a", "Heading", "Label")),
        ("folder/note", ("folder/note", None, None)),
        ("Note.md", ("Note", None, None)),
        ("Note.MD#Part", ("Note", "Part", None)),
        ("  spaced  |  label ", ("spaced", None, "label")),
        ("pic.png", None),
        ("paper.pdf", None),
        ("#Only a heading", None),
        ("note#^abc123", ("note", None, None)),  # a block reference leads to the note
        ("Café Notes#^b1|see", ("Café Notes", None, "see")),
    ],
)
def test_parse_wikilink(inner: str, expected: tuple[str, str | None, str | None] | None) -> None:
    assert parse_wikilink(inner) == (
        None if expected is None else (expected[0], expected[1], expected[2])
    )


def test_every_link_form_in_a_body(parse) -> None:
    got = mentions(parse, "See [[id-one]], [[Some Alias]], [[x|The label]], [[y#Some Heading]], "
                          "[[folder/note]] and [[Note.md]].\n")
    assert got == [
        ("id-one", None, None),
        ("Some Alias", None, None),
        ("x", None, "The label"),
        ("y", "Some Heading", None),
        ("folder/note", None, None),
        ("Note", None, None),
    ]


def test_links_in_code_are_ignored(parse) -> None:
    body = """\
Real [[kept]] and `[[in-span]]` and ``a [[double-span]] b``.

```
[[in-fence]]
```

~~~python
x = "[[in-tilde-fence]]"
~~~

````md
```
[[in-long-fence]]
```
````
After [[also-kept]].
"""
    assert [t for t, _, _ in mentions(parse, body)] == ["kept", "also-kept"]


def test_an_embed_of_a_note_links_to_it_and_an_embed_of_a_file_does_not(parse) -> None:
    got = mentions(parse, "An image ![[embed.png]], a note embed ![[other-note]] and [[real]].\n")
    assert got == [("other-note", None, None), ("real", None, None)]


def test_comments_are_left_out_and_lines_keep_their_numbers(parse) -> None:
    """Obsidian's ``%%…%%`` and HTML's ``<!-- … -->`` are the writer's: no text, no link."""
    note = parse("---\ntitle: T\n---\n"
                 "Seen %%hidden [[secret]]%% and <!-- hidden [[also-secret]] --> text.\n"
                 "%%\nA private block with [[private-plan]].\n%%\n"
                 "<!--\n[[draft]]\n-->\n"
                 "Code keeps them: `%%not a comment%%` and\n"
                 "```\n<!-- [[in-code]] -->\n```\n"
                 "Then [[after]], and 100%% sure.\n")
    assert [(m.target, m.line) for m in note.mentions] == [("after", 15)]
    assert "secret" not in note.body and "private" not in note.body and "draft" not in note.body
    assert "`%%not a comment%%`" in note.body and "<!-- [[in-code]] -->" in note.body
    assert "100%% sure" in note.body  # a mark never closed is text
    assert note.body.count("\n") == 12


def test_links_to_files_are_not_links(parse) -> None:
    assert mentions(parse, "Read [[paper.pdf]] and [[chart.svg|chart]].\n") == []


def test_mention_line_and_sentence_context(parse) -> None:
    note = parse("""\
---
title: T
---
## Why it matters
First sentence here. It connects to [[defense-trilemma|the trilemma]] in a
way that matters! A third sentence mentions nothing.

- [[ahe]] — makes harness evolution observable.
""")
    first, second = note.mentions
    assert (first.target, first.label, first.line) == ("defense-trilemma", "the trilemma", 5)
    assert first.context == "It connects to the trilemma in a way that matters!"
    assert (second.target, second.line) == ("ahe", 8)
    assert second.context == "ahe — makes harness evolution observable."


def test_a_paragraph_of_ten_thousand_links_is_split_into_sentences_once(
        parse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each link's context is its sentence; a paragraph (one line, or ten thousand lines)
    of ten thousand links is split once and each sentence made plain text once: a note like
    that took minutes to parse when every link scanned the whole paragraph again."""
    import kg.body

    real = kg.body._SENTENCE_END
    scans: list[int] = []

    class Counting:
        def finditer(self, text: str):  # type: ignore[no-untyped-def]
            scans.append(len(text))
            return real.finditer(text)

    monkeypatch.setattr(kg.body, "_SENTENCE_END", Counting())
    one_line = " ".join(f"[[n{i}]]" for i in range(10_000)) + ". Then [[last]] ends it."
    note = parse(f"---\ntitle: Many\n---\n{one_line}\n")
    assert len(note.mentions) == 10_001 and len(scans) == 1
    first = note.mentions[0].context
    assert first.startswith("n0 n1 n2") and first.endswith("…") and len(first) == 398
    assert note.mentions[-1].context == "Then last ends it."
    scans.clear()
    many_lines = "".join(f"Line {i} [[target]].\n" for i in range(10_000))
    note = parse(f"---\ntitle: Same\n---\n{many_lines}")
    assert len(scans) == 1
    assert [(m.line, m.context) for m in note.mentions[9_998:]] == [
        (10_002, "Line 9998 target."), (10_003, "Line 9999 target.")]


def test_a_comment_mark_in_code_neither_opens_nor_closes(parse) -> None:
    note = parse("---\ntitle: T\n---\nA %% draft\n~~~\nx %% y\n~~~\nstill hidden %% "
                 "shown [[after]].\n" + "<!-- never closed " * 2000 + "\n[[last]]\n")
    assert [m.target for m in note.mentions] == ["after", "last"]
    assert "draft" not in note.body and "still hidden" not in note.body
    assert note.body.count("<!-- never closed") == 2000


def test_mention_context_strips_markup(parse) -> None:
    note = parse("---\ntitle: T\n---\nA **bold** claim about [[x#Part]] and [a link](https://e.org).\n")
    assert note.mentions[0].context == "A bold claim about x › Part and a link."


def test_logseq_blocks_and_macros_are_no_words_of_a_summary_or_context(parse) -> None:
    """A Logseq page that opens with a quote block or a macro: its summary (the lists', the
    search's and the page's description) had been "#+BEGIN_QUOTE To be … #+END_QUOTE" and
    "{{embed q}}"; a mention's sentence held "{{query …}}". The quote's words are the text,
    a flashcard's and an embed's too; a query's, a video's and a source block's are none."""
    quote = parse("- #+BEGIN_QUOTE\n  To be or not to be\n  #+END_QUOTE\n- next block\n")
    assert quote.summary == "To be or not to be"
    code = parse("#+BEGIN_SRC python\nprint(1)\n#+END_SRC\nThe {{cloze hidden}} words "
                 "{{video https://e.org/v}} here.\n")
    assert code.summary == "The hidden words here."
    assert parse("{{embed [[q]]}}\n").summary == "q"
    said = parse("See [[x]] with {{query (todo now)}} in it.\n")
    assert said.mentions[0].context == "See x with in it."


def test_mention_lines_count_from_the_file_start(parse) -> None:
    note = parse("---\ntitle: T\ntags: [a]\n---\n\nline six\n\n[[here]]\n")
    assert note.body_line == 5
    assert note.mentions[0].line == 8


def test_link_in_a_heading_is_a_mention(parse) -> None:
    assert [t for t, _, _ in mentions(parse, "## Compared with [[other-note]]\ntext\n")] == [
        "other-note"]


def test_links_in_indented_code_are_ignored(parse) -> None:
    assert mentions(parse, "Paragraph.\n\n    [[in-indented-code]]\n\nAfter.\n") == []


# -- sections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("TL;DR", "tldr"),
        ("Summary", "tldr"),
        ("Why it matters", "why"),
        ("Connections", "connections"),
        ("Research angle", "angles"),
        ("Research angle (Tier 1)", "angles"),
        ("Research angles", "angles"),
        ("**Research angle (Tier 1)**", "angles"),
        ("Open questions", "questions"),
        ("Open Questions:", "questions"),
        ("Methods", ""),
        ("Connectionism", ""),
    ],
)
def test_section_key(heading: str, key: str) -> None:
    assert section_key(heading) == key


def test_sections_and_their_lines(parse) -> None:
    note = parse("""\
---
title: T
---
## TL;DR
Short.
## Why it matters
Because.
### Research angle (Tier 1)
1. **One.** x
## Open questions
- Why?
#### Not a section level
""")
    assert [(s.key, s.heading, s.line) for s in note.sections] == [
        ("tldr", "TL;DR", 4),
        ("why", "Why it matters", 6),
        ("angles", "Research angle (Tier 1)", 8),
        ("questions", "Open questions", 10),
    ]
    assert note.summary == "Short."
    tldr = note.section("tldr")
    assert tldr is not None and tldr.text.strip() == "Short."


@pytest.mark.parametrize(("tldr", "summary"), [
    ("> [!warning]- Folded\n> The claim is big. ^idea1", "Folded The claim is big."),
    ("| Model | Link |\n|---|---|\n| a | b |\n\nAfter the table.", "After the table."),
    ("- [ ] a task item\n- [x] done", "a task item"),
    ("1. numbered start\n2. next", "numbered start"),
    ("```python\ncode\n```\nText after code.", "Text after code."),
    ("See [[paper.pdf|the PDF]], [[#Local Part]] and ![[img.png]] here.",
     "See the PDF, Local Part and here."),
    ("The math $x_1 * y_2$ is *kept*.", "The math $x_1 * y_2$ is kept."),
])
def test_a_summary_is_text_without_the_marks_around_it(parse, tldr: str, summary: str) -> None:
    """What lists and the timeline show of a note: no callout, quote, list or task marks,
    no table, no code, a file's or a heading's link by its words."""
    assert parse(f"---\ntitle: T\n---\n## TL;DR\n{tldr}\n").summary == summary


def test_a_mention_s_sentence_is_text_without_quote_callout_or_list_marks(parse) -> None:
    note = parse("---\ntitle: T\n---\n> [!warning]- Folded warning\n> Hidden text about "
                 "[[AHE]].\n\n- [ ] task on [[B]] item\n1. first [[C]] point\n")
    assert [(m.target, m.context, m.line) for m in note.mentions] == [
        ("AHE", "Folded warning Hidden text about AHE.", 5), ("B", "task on B item", 7),
        ("C", "first C point", 8)]


def test_intro_before_first_heading_is_kept_and_is_the_summary(parse) -> None:
    note = parse("---\ntitle: T\n---\nThe intro says what this is.\n\n## Details\nMore.\n")
    assert [(s.key, s.line) for s in note.sections] == [("", 4), ("", 6)]
    assert note.summary == "The intro says what this is."


def test_a_block_id_is_not_in_the_summary(parse) -> None:
    """``^id`` ending a line names the block for links; the lists and feeds show no id."""
    note = parse("---\ntitle: T\n---\n## TL;DR\nThe transformer. ^blk1\nIt scales ^2 ways.\n")
    assert note.summary == "The transformer. It scales ^2 ways."
    assert parse("---\ntitle: T\n---\n## TL;DR\nE = mc^2\n").summary == "E = mc^2"


def test_a_block_id_is_not_in_a_link_s_sentence(parse) -> None:
    note = parse("---\ntitle: T\n---\n## Why it matters\nIt extends [[other]]. ^why1\n"
                 "Next [[third]] here.\n- item [[fourth]] ^b2\n")
    assert [(m.target, m.line, m.context) for m in note.mentions] == [
        ("other", 5, "It extends other."), ("third", 6, "Next third here."),
        ("fourth", 7, "item fourth")]


def test_no_headings_is_one_section_and_the_summary(parse) -> None:
    note = parse("Just text, no headings. Second sentence.\n")
    assert [(s.key, s.line) for s in note.sections] == [("", 1)]
    assert note.summary == "Just text, no headings. Second sentence."


def test_headings_inside_fences_are_not_sections() -> None:
    scanned = scan("```\n## Open questions\n- not a question\n```\n", 1)
    assert [s.key for s in scanned.sections] == [""]


# -- questions --------------------------------------------------------------------------------

QUESTIONS = """\
---
title: T
---
## Open questions
- Would Clark's 60% hold up under aggregation?
- [x] Was this answered already?
- ~~Is this one dropped?~~
- [ ] Still an open task?
- What counts as "automated AI R&D" when a successor
  is a weak form?
- Would Clark's 60% hold up under aggregation?
"""


def test_questions_ids_status_and_lines(parse) -> None:
    note = parse(QUESTIONS, "qs.md")
    got = [(q.id, q.text, q.line, q.declared) for q in note.questions]
    assert got == [
        ("qs#q-would-clark-s-60-hold-up-under-aggregation",
         "Would Clark's 60% hold up under aggregation?", 5, QuestionStatus.OPEN),
        ("qs#q-was-this-answered-already", "Was this answered already?", 6,
         QuestionStatus.ANSWERED),
        ("qs#q-is-this-one-dropped", "Is this one dropped?", 7, QuestionStatus.DROPPED),
        ("qs#q-still-an-open-task", "Still an open task?", 8, QuestionStatus.OPEN),
        ("qs#q-what-counts-as-automated-ai-r-d-when",
         'What counts as "automated AI R&D" when a successor is a weak form?', 9,
         QuestionStatus.OPEN),
        ("qs#q-would-clark-s-60-hold-up-under-aggregation-2",
         "Would Clark's 60% hold up under aggregation?", 11, QuestionStatus.OPEN),
    ]


def test_question_ids_are_stable_across_parses_and_edits(parse) -> None:
    first = {q.text: q.id for q in parse(QUESTIONS, "qs.md").questions}
    edited = QUESTIONS.replace("## Open questions\n", "Some new intro.\n\n## Open questions\n"
                               "- A brand-new question first?\n")
    second = {q.text: q.id for q in parse(edited, "qs.md").questions}
    for text, qid in first.items():
        assert second[text] == qid
    assert len(set(second.values())) == len(second)


def test_bullets_outside_the_questions_section_are_not_questions(parse) -> None:
    note = parse("---\ntitle: T\n---\n## TL;DR\n- Is this a question?\n")
    assert note.questions == ()


# -- research angles --------------------------------------------------------------------------


def test_research_angles_numbered_with_bold_titles(parse) -> None:
    note = parse("""\
---
title: T
---
## Research angle (Tier 1)
1. **Trajectory-aware routing.** AI supervising AI is the same
   routing problem, see [[openai-symphony|Symphony]].
2. **Bounding compounding errors:** nobody has the bound.
3. Predictive interpretability as substrate. Because empirical work cannot keep up.
""", "ra.md")
    got = [(a.id, a.number, a.title, a.text, a.line) for a in note.angles]
    assert got == [
        ("ra#a-trajectory-aware-routing", 1, "Trajectory-aware routing",
         "AI supervising AI is the same routing problem, see Symphony.", 5),
        ("ra#a-bounding-compounding-errors", 2, "Bounding compounding errors",
         "nobody has the bound.", 7),
        ("ra#a-predictive-interpretability-as-substrate", 3,
         "Predictive interpretability as substrate", "Because empirical work cannot keep up.", 8),
    ]
    assert [m.target for m in note.mentions] == ["openai-symphony"]


# -- rendering --------------------------------------------------------------------------------


def test_rendered_html_escapes_raw_html_and_links_wikilinks() -> None:
    from kg.markdown import LinkTarget, make_renderer, render

    md = make_renderer()
    html = render(md, "<script>alert(1)</script>\n\nSee [[b|Bee]] and [x](javascript:alert(1)).\n",
                  lambda target, heading: LinkTarget(f"{target}.html", "B title", True))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a class="wikilink" href="b.html" title="B title">Bee</a>' in html
    assert 'href="javascript' not in html


def test_heading_anchor_matches_wikilink_fragment() -> None:
    from kg.markdown import heading_anchor, make_renderer, render

    html = render(make_renderer(), "## The `kg` command\n", lambda t, h: None)
    assert f'id="{heading_anchor("The kg command")}"' in html


def test_a_heading_holding_links_is_anchored_as_check_reads_it(write_wiki) -> None:
    """``## About [[Other]] stuff`` is "About Other stuff" (as in Obsidian): its anchor is
    where ``[[Private#About Other stuff]]`` leads, and ``kg check`` agrees on which link
    lands and which does not."""
    from kg.build import build
    from kg.check import check

    config = write_wiki({
        "Private.md": "## About [[Other]] stuff\ntext\n\n## See [[Other|the other]] ![[Other]]\n",
        "Other.md": "[[Private#About Other stuff]], [[Private#See the other Other]] and "
                    "[[Private#About stuff]]\n"})
    build(config)
    private = (config.out / "notes" / "private.html").read_text(encoding="utf-8")
    other = (config.out / "notes" / "other.html").read_text(encoding="utf-8")
    for anchor in ("h-about-other-stuff", "h-see-the-other-other"):
        assert f'id="{anchor}"' in private and f'href="private.html#{anchor}"' in other
    broken = [f.message for f in check(config).findings if f.code == "broken-heading"]
    assert broken == ["link to a heading 'About stuff' that private lacks"]


def test_kg_check_and_the_site_agree_on_every_heading_s_anchor(write_wiki) -> None:
    """A link kg check accepts leads to an anchor the page has, and one it flags does not:
    headings with a word_with_underscores, a file's link, code, emphasis and a tag."""
    from kg.build import build
    from kg.check import check

    headings = ["The reward_hacking problem", "See [[paper.pdf]] here", "The `kg` *tool*",
                "Plans for #later", "Math $x_1$ now"]
    links = ["The reward_hacking problem", "See paper.pdf here", "The kg tool",
             "Plans for #later", "Math $x_1$ now", "See here", "The rewardhacking problem"]
    config = write_wiki({
        "t.md": "".join(f"## {h}\ntext\n\n" for h in headings),
        "paper.pdf": b"%PDF-1.4\n%%EOF\n",
        "u.md": " ".join(f"[[t#{link}]]" for link in links) + "\n"})
    build(config)
    page = (config.out / "notes" / "t.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(h-[^"]+)"', page))
    linking = (config.out / "notes" / "u.html").read_text(encoding="utf-8")
    led = re.findall(r'href="t\.html#(h-[^"]+)"', linking)
    flagged = {f.message.split("'")[1] for f in check(config).findings
               if f.code == "broken-heading"}
    assert len(led) == len(links)
    for link, anchor in zip(links, led, strict=True):
        assert (anchor in anchors) == (link not in flagged), (link, anchor, anchors)
    assert flagged == {"See here", "The rewardhacking problem"}


def test_a_sections_text_is_its_span_of_the_body_not_a_copy(parse) -> None:
    note = parse("---\ntitle: T\n---\nIntro.\n\n## TL;DR\nShort.\n\n```\n## not a heading\n```\n"
                 "## Why it matters\nBecause.\n")
    tldr, why = note.section("tldr"), note.section("why")
    assert tldr is not None and why is not None
    assert tldr.text == "Short.\n\n```\n## not a heading\n```"
    assert why.text == "Because.\n"
    assert all(s.source is note.body for s in note.sections)
