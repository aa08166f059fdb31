"""What notes of real vaults hold besides links: inline ``#tags``, callouts, footnotes and
task lists, built into pages as a reader expects them, with nothing of the note's text
becoming markup it did not ask for."""

from __future__ import annotations

from conftest import parse_html

from kg.build import build, load_wiki

NOTE = """---
title: Vault note
tags: [ml]
---
## TL;DR
Notes on #Deep-RL and #agents/planning, not on#this nor #2024. A claim[^1] and an aside
^[said in passing]. ==The *key* point==, though x == y == z. The loss $L = x_1 * y_2 + z_3 * w$
costs $5 or $10.

$$
\\sum_{i=1}^n a_i < b
$$

> [!note] Read this first
> It builds on [[other]] and #ml.

> [!WARNING]
> Careful.

> [!faq]- Why *folded*?
> Hidden until opened.

> [!x" onclick="alert(1)] Not a callout: the type is a word.

> Just a quote.

- [ ] a task
- [x] a done task

`#code` and ```#fenced```

[^1]: Where the claim comes from.
"""


def built(write_wiki, unsafe_html: bool = False):
    config = write_wiki({"note.md": NOTE, "other.md": "---\ntitle: Other\n---\nText.\n"})
    build(config, unsafe_html=unsafe_html)
    return config, parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))


def test_inline_tags_are_the_notes_tags_with_pages(write_wiki) -> None:
    config, page = built(write_wiki)
    note = load_wiki(config).notes["note"]
    assert note.tags == ("ml", "deep-rl", "agents/planning")
    body = page.select_one("div.body")
    assert {a.text: a.attrs["href"] for a in body.select("a.tag")} == {
        "#Deep-RL": "../tags/deep-rl.html", "#agents/planning": "../tags/agents-planning.html",
        "#ml": "../tags/ml.html"}
    assert "on#this" in body.text and "#2024" in body.text and "#code" in body.text
    tag_page = parse_html((config.out / "tags" / "deep-rl.html").read_text(encoding="utf-8"))
    assert "Vault note" in tag_page.select_one("main").text


def test_a_tag_written_in_either_unicode_form_is_one_tag(write_wiki) -> None:
    """'café' composed (NFC) and decomposed (NFD, as a Mac may write it) had been two tags
    with two pages of one name, and '#cafe\u0301' in the text the tag 'cafe'."""
    config = write_wiki({"one.md": "---\ntitle: One\ntags: [caf\u00e9]\n---\nx\n",
                         "two.md": "---\ntitle: Two\ntags: [cafe\u0301]\n---\ny\n",
                         "three.md": "---\ntitle: Three\n---\nz #Cafe\u0301/Cr\u00e8me\n"})
    build(config)
    wiki = load_wiki(config)
    assert {n.id: n.tags for n in wiki.notes.values()} == {
        "one": ("caf\u00e9",), "two": ("caf\u00e9",), "three": ("caf\u00e9/cr\u00e8me",)}
    assert sorted(p.name for p in (config.out / "tags").iterdir()) == [
        "cafe-creme.html", "cafe.html"]


def test_an_inline_tag_in_a_script_with_combining_marks_is_read_whole(write_wiki) -> None:
    """A vowel sign or virama is no letter to ``\\w``: #हिन्दी had been the tag 'ह', #தமிழ்
    'தம', a pointed Hebrew word its first letter. A danda or a comma still ends a tag."""
    config = write_wiki({"n.md": "---\ntitle: N\n---\n#हिन्दी। and #தமிழ், #עִברִית, "
                                 "#العَرَبِيَّة and #ಕನ್ನಡ.\n"})
    build(config)
    assert load_wiki(config).notes["n"].tags == (
        "हिन्दी", "தமிழ்", "עִברִית", "العَرَبِيَّة", "ಕನ್ನಡ")
    page = parse_html((config.out / "notes" / "n.html").read_text(encoding="utf-8"))
    assert [a.text for a in page.select("div.body a.tag")] == [
        "#हिन्दी", "#தமிழ்", "#עִברִית", "#العَرَبِيَّة", "#ಕನ್ನಡ"]


def test_a_tag_s_page_stays_where_it_is_as_other_tags_come(write_wiki) -> None:
    """``#c++`` is at tags/c-<hash>.html from the first, so ``#c`` arriving takes tags/c.html
    and moves nothing; a tag of words is its slug (tags/agents-planning.html); ``#index``
    does not take the folder's index.html."""
    config = write_wiki({"a.md": "---\ntitle: A\ntags: [c++]\n---\nOn #agents/planning, #index.\n"})
    build(config)
    before = {p.name for p in (config.out / "tags").iterdir()}
    assert "agents-planning.html" in before and "index.html" not in before
    assert "c.html" not in before
    write_wiki({"b.md": "---\ntitle: B\n---\nOn #c.\n"})
    build(config)
    after = {p.name for p in (config.out / "tags").iterdir()}
    assert after == before | {"c.html"}
    one = parse_html((config.out / "tags" / "c.html").read_text(encoding="utf-8"))
    assert one.select_one("h1 .count").text == "1 note"  # not "1 notes"


def test_callouts_are_titled_boxes_and_folded_ones_open_on_a_click(write_wiki) -> None:
    _, page = built(write_wiki)
    body = page.select_one("div.body")
    boxes = body.select(".callout")
    assert [(b.tag, b.attrs["data-callout"]) for b in boxes] == [
        ("div", "note"), ("div", "warning"), ("details", "faq")]
    assert [b.select_one(".callout-title").text for b in boxes] == [
        "Read this first", "Warning", "Why folded ?"]
    assert boxes[2].select_one("summary").select("em")  # the title is Markdown too
    assert "open" not in boxes[2].attrs
    assert boxes[0].select_one("a.wikilink").attrs["href"] == "other.html"
    quotes = body.select("blockquote")
    assert [q.text for q in quotes] == [
        '[!x" onclick="alert(1)] Not a callout: the type is a word.', "Just a quote."]
    assert all("onclick" not in el.attrs for el in page.iter())


def test_footnotes_and_task_lists(write_wiki) -> None:
    config, page = built(write_wiki)
    body = page.select_one("div.body")
    refs = body.select("sup.footnote-ref a")
    assert [a.attrs["href"] for a in refs] == ["#fn1", "#fn2"]
    notes = body.select("li.footnote-item")
    assert [n.attrs["id"] for n in notes] == ["fn1", "fn2"]
    assert "Where the claim comes from." in notes[0].text and "said in passing" in notes[1].text
    boxes = body.select("input.task-list-item-checkbox")
    assert [("checked" in b.attrs, "disabled" in b.attrs) for b in boxes] == [
        (False, True), (True, True)]
    summary = load_wiki(config).notes["note"].summary
    assert "[^1]" not in summary and "^[" not in summary and "A claim and an aside" in summary
    assert "The key point, though x == y == z." in summary


def test_math_is_kept_as_written_tex(write_wiki) -> None:
    _, page = built(write_wiki)
    body = page.select_one("div.body")
    assert [m.text for m in body.select("span.math")] == ["L = x_1 * y_2 + z_3 * w"]
    assert [m.text for m in body.select("div.math")] == ["\\sum_{i=1}^n a_i < b"]
    assert "costs $5 or $10." in body.text and not body.select("span.math em")


def test_highlights_are_marked(write_wiki) -> None:
    _, page = built(write_wiki)
    marks = page.select_one("div.body").select("mark")
    assert [m.text for m in marks] == ["The key point"] and marks[0].select("em")
    assert "x == y == z" in page.select_one("div.body").text


def test_with_raw_html_allowed_footnotes_keep_their_anchors(write_wiki) -> None:
    _, page = built(write_wiki, unsafe_html=True)
    body = page.select_one("div.body")
    assert [n.attrs.get("id") for n in body.select("li.footnote-item")] == ["fn1", "fn2"]
    assert body.select(".callout") and not body.select("script")


def test_a_callouts_title_and_text_are_read_as_any_other_markdown(write_wiki) -> None:
    config = write_wiki({
        "note.md": "---\ntitle: Note\n---\n> [!note] T \\* x &amp; y\n"
                   "> see [B](b.md), ![p](pic.png), a claim[^1] and ^[an aside].\n\n"
                   "[^1]: The source.\n",
        "b.md": "---\ntitle: B\n---\nText.\n", "pic.png": b"\x89PNG\r\n\x1a\n"})
    build(config)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    box = page.select_one("div.callout")
    assert box.select_one(".callout-title").text == "T * x & y"
    assert box.select_one("a[href='b.html']").text == "B"
    assert box.select_one("img").attrs["src"] == "../files/pic.png"
    assert [a.attrs["href"] for a in box.select("sup.footnote-ref a")] == ["#fn1", "#fn2"]
    assert [li.attrs["id"] for li in page.select("li.footnote-item")] == ["fn1", "fn2"]


def test_tags_link_only_where_the_note_has_them(write_wiki) -> None:
    config = write_wiki({
        "note.md": "---\ntitle: Note\n---\n## Plan #wip\n\n| a |\n|---|\n|#qux|\n\n"
                   "[see #wip](https://example.org/) and [[note#Plan #wip]].\n",
        "other.md": "---\ntitle: Other\ntags: [qux]\n---\nText.\n"})
    build(config)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    body = page.select_one("div.body")
    assert [a.text for a in body.select("a.tag")] == ["#wip"]  # the heading's; not the cell's
    assert not [a for a in body.select("a") if any(p.tag == "a" for p in a.ancestors())]
    assert body.select_one("h2").attrs["id"] == "h-plan-wip"
    assert body.select_one("a.wikilink").attrs["href"] == "note.html#h-plan-wip"


def test_a_callout_with_obsidian_s_metadata_is_a_callout(write_wiki) -> None:
    """``[!type|meta]`` (themes and snippets read the metadata: ``[!note|wide]``) had been a
    quote showing '[!note|wide]' as text, and the summary began with it."""
    config = write_wiki({"note.md": "---\ntitle: Note\n---\n> [!tip|wide]- Open me\n> Text.\n\n"
                                    "> [!info|right|small]\n> More.\n"})
    build(config)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    callouts = page.select("div.body .callout")
    assert [(c.tag, c.attrs["data-callout"], c.select_one(".callout-title").text)
            for c in callouts] == [("details", "tip", "Open me"), ("div", "info", "Info")]
    assert "|" not in page.select_one("div.body").text
    note = load_wiki(config).notes["note"]
    assert note.summary.startswith("Open me")
    from kg.search import note_text

    assert "[!" not in note_text(note) and "Open me" in note_text(note)  # nor in the search


def test_callouts_keep_their_fold_and_kind_with_raw_html_allowed(write_wiki) -> None:
    config = write_wiki({"note.md": "---\ntitle: Note\n---\n> [!tip]+ Open\n> Text.\n"})
    build(config, unsafe_html=True)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    box = page.select_one("details.callout")
    assert box.attrs["data-callout"] == "tip" and "open" in box.attrs


def test_no_tags_from_math_or_link_definitions(write_wiki) -> None:
    """Only a ``#tag`` the page links is the note's: none from TeX or a definition's title."""
    config = write_wiki({"note.md": "---\ntitle: Note\n---\nSee $a #b$ and $$x #c$$, "
                                    "$5 and #kept $3, and [r].\n\n"
                                    '[r]: https://example.org/ "title #hidden"\n'})
    build(config)
    assert load_wiki(config).notes["note"].tags == ("kept",)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    body = page.select_one("div.body")
    assert [a.text for a in body.select("a.tag")] == ["#kept"]
    assert body.select_one('a[href="https://example.org/"]').text == "r"


def test_links_as_vaults_write_them_lead_to_their_notes(write_wiki) -> None:
    """A Markdown link to a file whose name holds parentheses, a wikilink written from the
    note's folder (Obsidian's "relative path" format), and one whose pipe a table escapes:
    each leads to its note on the page and is a mention in the graph."""
    config = write_wiki({
        "Papers/BERT (2018).md": "---\ntitle: BERT\n---\nText.\n",
        "Papers/Plain.md": "---\ntitle: Plain\n---\n## History\nText.\n",
        "Inbox/links.md": "---\ntitle: Links\n---\n"
                          "See [to bert](../Papers/BERT%20(2018).md), "
                          "[[../Papers/Plain#History|history]] and [[../../out]].\n\n"
                          "| cell |\n|---|\n| [[Papers/Plain\\|the plain]] |\n"})
    build(config)
    wiki = load_wiki(config)
    assert [(e.target, e.written) for e in wiki.edges if e.source == "links"] == [
        ("bert-2018", "Papers/BERT (2018)"), ("plain", "Papers/Plain"), ("out", "../../out"),
        ("plain", "Papers/Plain")]
    assert "bert.md" not in wiki.edges[0].annotation  # the context reads as the page does
    page = parse_html((config.out / "notes" / "links.html").read_text(encoding="utf-8"))
    body = page.select_one("div.body")
    assert [(a.text, a.attrs["href"]) for a in body.select("a")] == [
        ("to bert", "bert-2018.html"), ("history", "plain.html#h-history"),
        ("../../out", "out.html"), ("the plain", "plain.html")]


def test_a_link_to_a_heading_under_a_heading_leads_to_the_last(write_wiki) -> None:
    """Obsidian writes ``[[note#Part#Detail]]`` for the heading Detail under Part: kg check
    had said the note lacks a heading 'Part#Detail', and the link led to no anchor."""
    from kg.check import check

    config = write_wiki({
        "b.md": "---\ntitle: B\n---\n# Part\n## Detail\nText.\n",
        "a.md": "---\ntitle: A\nconnections:\n  - to: \"b#Part#Detail\"\n---\n"
                "[[b#Part#Detail]], [[#Top#Inner|inner]] and [[b#Part#Nowhere]].\n\n"
                "# Top\n## Inner\n"})
    build(config)
    page = parse_html((config.out / "notes" / "a.html").read_text(encoding="utf-8"))
    assert [(a.text, a.attrs["href"]) for a in page.select_one("div.body").select("a")] == [
        ("b › Detail", "b.html#h-detail"), ("inner", "#h-inner"),
        ("b › Nowhere", "b.html#h-nowhere")]
    headings = [f.message for f in check(config).findings if f.code == "broken-heading"]
    assert headings == ["link to a heading 'Nowhere' that b lacks"]


def test_a_heading_that_is_the_title_is_shown_once(write_wiki) -> None:
    """An Obsidian note begins with its name as a ``# heading``: the page's title says it."""
    config = write_wiki({"Attention.md": "\n# Attention\n\nText [[other]].\n\n# Attention\n",
                         "other.md": "---\ntitle: Other\n---\n# Not the title\nText.\n"})
    build(config)

    def headings(nid: str) -> list[str]:
        html = (config.out / "notes" / f"{nid}.html").read_text(encoding="utf-8")
        return [h.text for h in parse_html(html).select("div.body h1")]

    assert load_wiki(config).notes["attention"].title == "Attention"
    assert headings("attention") == ["Attention"]  # the second one is the note's own
    assert headings("other") == ["Not the title"]


def test_a_note_that_mentions_another_often_is_one_backlink(write_wiki) -> None:
    """"Mentioned by" lists each mentioning note once, with its first sentences."""
    sentences = "".join(f"Sentence {i} names [[target]].\n\n" for i in range(6))
    config = write_wiki({"target.md": "---\ntitle: Target\n---\nText.\n",
                         "long.md": f"---\ntitle: Long\n---\n{sentences}",
                         "short.md": "---\ntitle: Short\n---\nOnce: [[target]].\n"})
    build(config)
    page = parse_html((config.out / "notes" / "target.html").read_text(encoding="utf-8"))
    items = page.select("section.mentions-in li")
    assert [li.select_one("a.note-link").text for li in items] == ["Long", "Short"]
    assert [q.text for q in items[0].select("blockquote.context")] == [
        "Sentence 0 names target.", "Sentence 1 names target.", "Sentence 2 names target."]
    assert items[0].select_one("p.more").text == "and 3 more"
    assert items[1].select_one("blockquote.context").text == "Once: target."
    assert not items[1].select("p.more")


def test_block_ids_are_anchors_not_text(write_wiki) -> None:
    """Obsidian's ``text ^id`` marks a block: the page shows the text, the block takes the
    anchor ``[[note#^id]]`` and ``[[#^id]]`` lead to."""
    config = write_wiki({
        "note.md": "---\ntitle: Note\n---\nA claim. ^claim-1\n\n- first ^li\n- second\n\n"
                   "See [[#^claim-1]] and [[other#^far|there]].\n",
        "other.md": "---\ntitle: Other\n---\nFar away. ^far\n"})
    for unsafe_html in (False, True):
        build(config, unsafe_html=unsafe_html)
        page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
        body = page.select_one("div.body")
        claim = body.select("p")[0]
        assert claim.text == "A claim." and claim.attrs["id"] == "block-claim-1"
        assert body.select("li")[0].attrs["id"] == "block-li"
        assert [(a.text, a.attrs["href"]) for a in body.select("a.wikilink")] == [
            ("^claim-1", "#block-claim-1"), ("there", "other.html#block-far")]
        other = (config.out / "notes" / "other.html").read_text(encoding="utf-8")
        assert 'id="block-far"' in other
    assert [e.target for e in load_wiki(config).edges] == ["other"]


def test_a_bare_url_is_a_link(write_wiki) -> None:
    """As in Obsidian: ``https://…`` written bare is a link; a name without a scheme, an
    address, a URL in code and a script URL stay text."""
    config = write_wiki({"note.md": "---\ntitle: Note\n---\nRead https://example.org/a?b=1. "
                                    'or https://x.org/"onmouseover=alert(1) but not '
                                    "example.com, a@b.org, `https://code.org` or "
                                    "javascript://alert(1).\n"})
    build(config)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    body = page.select_one("div.body")
    assert [a.attrs["href"] for a in body.select("a")] == [
        "https://example.org/a?b=1", "https://x.org/"]
    assert not any("onmouseover" in name for a in body.select("a") for name in a.attrs)
    assert "https://code.org" in body.select_one("code").text


def test_an_image_from_the_web_is_shown_and_the_page_s_policy_lets_it_load(write_wiki) -> None:
    """``![chart](https://…)``: the image, which the page's Content-Security-Policy allows
    to load (it allowed the site's own and data: images only); scripts stay the site's."""
    config = write_wiki({"note.md": "---\ntitle: Note\n---\n![chart](https://example.org/a.png)\n"})
    build(config)
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    assert page.select_one("div.body img").attrs["src"] == "https://example.org/a.png"
    policy = dict(part.strip().split(" ", 1) for part in page.select_one(
        'meta[http-equiv="Content-Security-Policy"]').attrs["content"].split(";"))
    assert "https:" in policy["img-src"].split() and policy["script-src"] == "'self'"


def test_a_draft_is_kept_out_of_the_site_and_the_graph(write_wiki) -> None:
    """``publish: false`` (Obsidian Publish) or ``draft: true`` (Hugo, Quartz): no page, no
    search entry, no node; a link to it is a placeholder, which shows nothing of it."""
    config = write_wiki({
        "Secret Plan.md": "---\ntitle: Secret Plan\npublish: false\ntags: [hidden]\n---\n"
                          "The confidential text.\n",
        "wip.md": "---\ndraft: true\n---\nWork in progress [[open]].\n",
        "open.md": "---\ntitle: Open\npublish: true\ndraft: no\n---\nSee [[Secret Plan]].\n",
        "odd.md": "---\ntitle: Odd\npublish: maybe\n---\nText.\n",
    })
    wiki = load_wiki(config)
    assert sorted(wiki.notes) == ["odd", "open"]
    assert [(e.source, e.target) for e in wiki.edges] == [("open", "secret-plan")]
    assert "secret-plan" in wiki.placeholders
    warning = next(w for w in wiki.notes["odd"].warnings if w.code == "bad-publish")
    assert warning.where is not None and warning.where.line == 3
    build(config)
    site = {p.relative_to(config.out).as_posix(): p for p in config.out.rglob("*") if p.is_file()}
    assert "notes/wip.html" not in site and "tags/hidden.html" not in site
    for path in site.values():
        data = path.read_bytes()
        assert b"confidential" not in data and b"Work in progress" not in data, path


def test_a_note_with_many_tags_is_listed_with_a_few(write_wiki) -> None:
    """Every tag page lists the note: with all its tags each time, 5,000 tags made a
    gigabyte of pages. Its own page shows them all."""
    tags = " ".join(f"#t{i}" for i in range(30))
    config = write_wiki({"note.md": f"---\ntitle: Note\n---\nTagged {tags}.\n"})
    build(config)
    tag_page = parse_html((config.out / "tags" / "t7.html").read_text(encoding="utf-8"))
    listed = tag_page.select_one("p.note-tags")
    assert len(listed.select("a.tag")) == 12 and listed.select_one(".more-tags").text == "+18"
    page = parse_html((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
    assert len(page.select("dd.tags a.tag")) == 30


def test_review_cases_of_vault_links(write_wiki) -> None:
    """Block marks only after a space and only where a block takes the anchor; relative
    links in front-matter from the note's folder; escaped parentheses in a link."""
    config = write_wiki({
        "A/x.md": "---\ntitle: X\nrelated: \"[[./Plan]]\"\n---\n"
                  "E = m*c*^2 and **10**^6.\n\nOnce ^b1\n\nTwice ^b1\n\n| c ^t |\n|---|\n\n"
                  "[esc](../D%20\\(2018\\).md)\n",
        "A/Plan.md": "---\ntitle: Plan A\n---\nText.\n",
        "Plan.md": "---\ntitle: Plan root\n---\nText.\n",
        "D (2018).md": "---\ntitle: D\n---\nText.\n"})
    build(config)
    assert {e.target for e in load_wiki(config).edges if e.source == "x"} == {"a-plan", "d-2018"}
    body = parse_html((config.out / "notes" / "x.html").read_text(encoding="utf-8")
                      ).select_one("div.body")
    paragraphs = body.select("p")
    assert "^2" in paragraphs[0].text and "^6" in paragraphs[0].text
    assert "id" not in paragraphs[0].attrs
    assert [p.attrs.get("id") for p in paragraphs[1:3]] == ["block-b1", None]
    assert "c ^t" in body.select_one("table").text
    assert body.select_one('a[href="d-2018.html"]').text == "esc"


def test_line_breaks_setting_shows_each_line_as_obsidian_does(write_wiki) -> None:
    """A note's single line breaks join its lines into one paragraph (CommonMark), unless
    kg.toml says ``line_breaks = true``: then each is a line of the page, as Obsidian shows
    them; a change of the setting renders the note again (the next build reads it)."""
    text = ("---\ntitle: Fields\n---\nrating:: 5\nread-on:: 2024-05-01\n\n"
            "Two <b>lines</b>\nof a poem.\n")
    config = write_wiki({"fields.md": text})
    build(config)

    def body() -> str:
        html = (config.out / "notes" / "fields.html").read_text(encoding="utf-8")
        return html.split('<div class="body">', 1)[1].split("</div>", 1)[0].strip()

    assert body() == ("<p>rating:: 5\nread-on:: 2024-05-01</p>\n"
                      "<p>Two &lt;b&gt;lines&lt;/b&gt;\nof a poem.</p>")
    toml = config.root / "kg.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "line_breaks = true\n",
                    encoding="utf-8")
    config = write_wiki({})
    assert config.line_breaks
    build(config)
    assert body() == ("<p>rating:: 5<br />\nread-on:: 2024-05-01</p>\n"
                      "<p>Two &lt;b&gt;lines&lt;/b&gt;<br />\nof a poem.</p>")
