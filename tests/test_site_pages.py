"""Each page of the site, from the sample wiki: what a reader finds on it.

The sample wiki is built once per session (``sample_site``); pages are read with the
conftest's small HTML reader. Wikis made for one test are rendered in memory with
:func:`render`, without writing a site.
"""

from __future__ import annotations

import io
import json
import math
import posixpath
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import Element, WriteWiki, parse_html

from kg.build import build, load_wiki
from kg.config import Config
from kg.graphview import LOCAL_LIMIT, layout, sampled_layout
from kg.site import Site

ReadHtml = Callable[[Path], Element]
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def render(config: Config) -> dict[str, bytes]:
    """Every output of the site for ``config``, in memory: path → bytes."""
    wiki = load_wiki(config)
    return {o.path: o.data for o in Site(wiki, config).outputs()}


def page(outputs: dict[str, bytes], path: str) -> Element:
    return parse_html(outputs[path].decode("utf-8"))


def script_json(data: bytes, prefix: bytes) -> Any:
    assert data.startswith(prefix) and data.rstrip().endswith(b";")
    return json.loads(data[len(prefix):].rstrip().rstrip(b";"))


@pytest.fixture(scope="module")
def site(sample_site: Path) -> Path:
    return sample_site


# -- what the site holds -------------------------------------------------------------------


def test_every_page_is_written(site: Path) -> None:
    expected = [
        "index.html", "graph.html", "questions.html", "angles.html", "forecasts.html",
        "timeline.html", "placeholders.html", "tags.html", "search.html", "queries.html",
        "404.html", "feed.xml", "search.json", "data/search.js", "data/graph.js",
        "graph.ttl", "graph.jsonld", "graph.nt", "vocab.ttl",
        "tiers/1.html", "tiers/2.html", "tiers/3.html", "tags/benchmarks.html",
        "notes/import-ai-455.html", "notes/posttrainbench.html", "notes/tip.html",
        "queries/counterpoints.html", "queries/tier-1-open-questions.html",
        "assets/style.css", "assets/site.js", "assets/graph.js", "assets/tracker.js",
        "assets/vendor/vis-network.min.js", "assets/vendor/vis-network.LICENSE-MIT",
        "assets/vendor/vis-network.LICENSE-APACHE-2.0",
    ]
    missing = [p for p in expected if not (site / p).is_file()]
    assert not missing
    assert not (site / "sitemap.xml").exists()  # no base_url: a sitemap lists full URLs


def test_vis_network_ships_in_the_site_without_a_source_map(site: Path) -> None:
    js = (site / "assets/vendor/vis-network.min.js").read_text(encoding="utf-8")
    assert "vis-network" in js[:400] and "DataSet" in js
    assert "sourceMappingURL" not in js
    assert 'createElement("style")' not in js  # would break under style-src 'self'


# -- the note page -------------------------------------------------------------------------


def test_note_page_metadata(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/import-ai-455.html")
    assert doc.select_one("h1").text == (
        "Import AI 455: AI Systems Are About to Start Building Themselves")
    badge = doc.select_one(".kicker a.tier")
    assert badge.text == "Tier 1" and badge.attrs["href"] == "../tiers/1.html"
    meta = {dt.text: dd for dt, dd in zip(doc.select(".meta dt"), doc.select(".meta dd"),
                                          strict=True)}
    assert meta["Tier"].text == "Research direction"
    assert meta["Date"].select_one("time").attrs["datetime"] == "2026-05-04"
    assert meta["Author"].text == "Jack Clark"
    source = meta["Source"].select_one("a")
    assert source.attrs["href"] == "https://importai.substack.com/"
    assert "noopener" in source.attrs["rel"] and source.text == "Import AI 455"
    assert "Import AI" in meta["Source"].select_one(".publisher").text
    assert meta["Raw"].text.startswith("raw/rss/2026-05-04-import-ai-455")
    assert meta["Also called"].text == "Import AI 455"
    tags = meta["Tags"].select("a.tag")
    assert [t.text for t in tags] == ["#ai-rnd-automation", "#forecasting", "#benchmarks",
                                      "#llms-foundation-models"]
    assert tags[0].attrs["href"] == "../tags/ai-rnd-automation.html"
    body = doc.select_one(".body")
    assert "TL;DR" in body.texts("h2")
    link = next(a for a in body.select("a.wikilink") if a.text == "PostTrainBench")
    assert link.attrs["href"] == "posttrainbench.html"


def test_note_page_connection_view(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/import-ai-455.html")
    view = doc.select_one("section.connections")
    out = view.select_one("section.outgoing")
    groups = {g.attrs["data-relation"]: g for g in out.select("section.rel-group")}
    assert set(groups) == {"related", "counterpoint", "evidence", "cites"}
    counter = groups["counterpoint"]
    assert "Counterpoint to" in counter.select_one("h4").text
    assert counter.select_one("a.note-link").attrs["href"] == "defense-trilemma.html"
    assert "adversarial mirror image" in counter.select_one(".annotation").text
    incoming = {g.attrs["data-relation"]: g for g in
                view.select("section.incoming section.rel-group")}
    assert "Countered by" in incoming["counterpoint"].select_one("h4").text
    assert "Exemplified by" in incoming["example-of"].select_one("h4").text
    mentions = view.select_one("section.mentions-out")
    items = mentions.select("li[data-kind=mention]")
    sentence = next(li for li in items if "MIT superposition" in li.text)
    assert "pulls together threads" in sentence.select_one("blockquote.context").text
    ghosts = [a.text for a in sentence.select("a.ghost")]
    assert {"tip", "longact", "cvs", "safety-drift"} <= set(ghosts)
    backlinks = view.select_one("section.mentions-in")
    assert any("PostTrainBench" in li.text for li in backlinks.select("li"))


def test_note_page_questions_angles_forecasts(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/import-ai-455.html")
    questions = doc.select("ul.questions li.question")
    assert len(questions) == 4
    assert all(q.select_one(".status").text == "open" for q in questions)
    assert questions[0].attrs["id"].startswith("q-")
    angles = doc.select("ol.angles li")
    assert [a.attrs["value"] for a in angles] == ["1", "2", "3"]
    assert "Trajectory-aware routing" in angles[0].select_one("strong").text
    assert "[[" not in doc.select_one("ol.angles").text
    rows = doc.select("table.forecasts tbody tr")
    assert [r.select("td")[1].text for r in rows] == ["60%", "30%"]
    assert all(r.select_one(".badge").text == "open" for r in rows)


def test_note_page_local_graph(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/import-ai-455.html")
    container = doc.select_one("#local-graph")
    assert container.attrs["data-graph"] == "local"
    island = doc.select_one("script#local-graph-data")
    assert island.attrs["type"] == "application/json"
    data = json.loads(island.text)
    ids = [n[0] for n in data["nodes"]]
    assert data["focus"] == "import-ai-455" and "import-ai-455" in ids
    assert {"defense-trilemma", "posttrainbench", "tip", "wang-huang-reward-hacking"} <= set(ids)
    assert len(ids) <= LOCAL_LIMIT and ids == sorted(ids)
    assert all(0 <= a < len(ids) and 0 <= b < len(ids) for a, b, _ in data["edges"])
    assert data["nodes"][ids.index("tip")][2] == "ghost"
    assert data["nodes"][ids.index("import-ai-455")][2] == "t1"
    mentions = {(ids[a], ids[b]) for a, b, mention in data["edges"] if mention}
    assert ("import-ai-455", "tip") in mentions
    scripts = [s.attrs.get("src", "") for s in doc.select("script[src]")]
    assert "../assets/vendor/vis-network.min.js" in scripts and "../assets/graph.js" in scripts


def test_note_page_embeds_json_ld(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/import-ai-455.html")
    data = json.loads(doc.select_one("script[type=application/ld+json]").text)
    assert data["@context"]["@vocab"] == "https://schema.org/"  # the graph's, inline
    assert data["@id"] == "https://example.org/kg/note/import-ai-455"
    assert data["name"].startswith("Import AI 455")
    assert data["datePublished"] == "2026-05-04"
    assert data["author"] == [{"@type": "Person", "name": "Jack Clark",
                               "@id": "https://example.org/kg/person/jack-clark"}]
    assert data["isBasedOn"]["url"] == "https://importai.substack.com/"
    assert {"@id": "https://example.org/kg/note/defense-trilemma"} in data["citation"]
    assert len(data["hasPart"]) == 4


ISLAND_ONLY = frozenset({"https://schema.org/url", "https://schema.org/keywords",
                         "https://schema.org/citation"})
"""What a note page's JSON-LD says that the graph says otherwise or not: the page's (and
the source's) address, the tags as text (the graph's are concepts: ``dcterms:subject``), the
notes it links (the graph's links are by relation: ``cito:…``, ``kg:mentions``)."""


def island_graph(outputs: dict[str, bytes], nid: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The triples of note ``nid``'s JSON-LD, read by rdflib's JSON-LD parser with no
    network: a context it had to fetch fails."""
    import socket

    import rdflib

    def offline(*_: object) -> None:
        raise OSError("no network in this test")

    island = page(outputs, f"notes/{nid}.html").select_one(
        "script[type=application/ld+json]").text
    with monkeypatch.context() as m:
        m.setattr(socket.socket, "connect", offline)
        m.setattr(socket, "create_connection", offline)
        return rdflib.Graph().parse(data=island, format="json-ld",
                                    base="https://elsewhere.example/")


def test_a_note_page_s_json_ld_says_what_the_graph_says(write_wiki: WriteWiki,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Read as RDF, a note page's JSON-LD is triples of the graph (but for
    :data:`ISLAND_ONLY`): the note, its authors and its source are the graph's IRIs, with
    ``https://schema.org/`` terms. It had been schema.org's published context, which a
    parser fetches (the network) and which maps terms to ``http://schema.org/``, with each
    author and the source a blank node."""
    import rdflib
    from rdflib import RDF, BNode, URIRef

    outputs = render(write_wiki({
        "a.md": """---
title: "A paper: </script> & more"
date: 2026-05-04
updated: 2026-06-01
type: paper
authors: [Jack Clark, "Ada Lovelace"]
source: {title: "Import AI 455", url: "https://example.com/a paper#x#2", publisher: Import AI}
aliases: [The A paper]
tags: [ai/agents, forecasting]
connections:
  - {to: b, rel: supports}
---
## TL;DR
Sums it up, citing [[B]] and [[Ghost]].

## Open questions
- Will it hold?
""",
        "b.md": "---\ntitle: B\nsource: Some book\n---\nText.\n",
        "c.md": "---\ntitle: C\nsource: {url: 'https://example.com/c'}\n---\nText.\n"}))
    graph = rdflib.Graph().parse(data=outputs["graph.nt"].decode(), format="nt")
    schema = rdflib.Namespace("https://schema.org/")
    note = URIRef("https://example.org/kg/note/a")
    for nid in ("a", "b", "c"):
        island = island_graph(outputs, nid, monkeypatch)
        assert not [t for t in island if any(isinstance(term, BNode) for term in t)]
        assert not [t for t in island if any("http://schema.org/" in term for term in t)]
        shared = {t for t in island if str(t[1]) not in ISLAND_ONLY}
        assert shared - set(graph) == set(), nid
        assert len(shared) > 3
    island = island_graph(outputs, "a", monkeypatch)
    authors = set(island.objects(note, schema.author))
    assert authors == set(graph.objects(note, schema.author)) == {
        URIRef("https://example.org/kg/person/jack-clark"),
        URIRef("https://example.org/kg/person/ada-lovelace")}
    source = URIRef("https://example.com/a%20paper#x%232")
    assert set(island.objects(note, schema.isBasedOn)) == {source}
    assert (source, RDF.type, schema.CreativeWork) in island
    assert (note, RDF.type, schema.ScholarlyArticle) in island
    question = URIRef("https://example.org/kg/note/a#q-will-it-hold")
    assert (question, schema.isPartOf, note) in island
    assert set(island.objects(note, schema.citation)) == {URIRef("https://example.org/kg/note/b")}
    assert {str(k) for k in island.objects(note, schema.keywords)} == {"ai/agents", "forecasting"}
    assert set(graph.objects(URIRef("https://example.org/kg/note/b"), schema.isBasedOn)) == {
        rdflib.Literal("Some book")}


def test_json_ld_source_url_is_the_graph_s_iri(write_wiki: WriteWiki) -> None:
    # written with spaces and a second '#': a JSON-LD parser dropped it, as no IRI
    url = "https://example.com/a paper?q=a b#part#2"
    outputs = render(write_wiki({"a.md": f"---\ntitle: A\nsource: {{url: '{url}'}}\n---\n"}))
    data = json.loads(page(outputs, "notes/a.html")
                      .select_one("script[type=application/ld+json]").text)
    encoded = "https://example.com/a%20paper?q=a%20b#part%232"
    assert data["isBasedOn"]["url"] == encoded
    assert encoded in outputs["graph.nt"].decode()


FORECASTER = """---
title: Forecaster
forecasts:
  - {claim: By file name, p: 0.6, by: 2026-03-01, resolved: true, resolved_by: 1.2.3}
  - {claim: By title, p: 0.6, by: 2026-03-01, resolved: true, resolved_by: Release notes}
  - {claim: By alias, p: 0.6, by: 2026-03-01, resolved: true, resolved_by: RN}
  - {claim: By id, p: 0.6, by: 2026-03-01, resolved: false, resolved_by: c}
  - {claim: By no note, p: 0.6, by: 2026-03-01, resolved: true, resolved_by: Nowhere}
  - {claim: By a name whose slug is a note's, p: 0.6, by: 2026-03-01, resolved: true,
     resolved_by: C++}
---
"""


def test_a_forecast_s_resolver_is_the_note_the_forecasts_page_links(
        write_wiki: WriteWiki) -> None:
    """``kg:resolvedBy`` is the IRI of the note the forecasts page links, however
    ``resolved_by`` names it (its file's name, title, alias or id); it had been the slug of
    the name as written (``<note/release-notes>``, no note). A name no note has is the IRI
    a link of that name gives its placeholder: ``C++`` is not note C's ``<note/c>``."""
    outputs = render(write_wiki({
        "1.2.3.md": "---\ntitle: Release notes\naliases: [RN]\n---\nText.\n",
        "C.md": "---\ntitle: C\n---\nText.\n",
        "f.md": FORECASTER}))
    linked = {}
    for row in page(outputs, "forecasts.html").select("tr"):
        cells = row.select("td")
        if len(cells) == 5:
            links = [a.attrs["href"] for a in cells[3].select("a")]
            linked[cells[1].text] = links[0] if links else None
    graph = outputs["graph.nt"].decode()
    claims = dict(re.findall(r'^(<[^>]+>) <https://schema.org/text> "([^"]*)" \.$', graph, re.M))
    by = {claims[f]: o for f, o in re.findall(
        r'^(<[^>]+>) <https://w3id.org/kg-wiki/vocab#resolvedBy> <([^>]+)> \.$', graph, re.M)}
    note = "https://example.org/kg/note/"
    assert by == {"By file name": note + "1-2-3", "By title": note + "1-2-3",
                  "By alias": note + "1-2-3", "By id": note + "c", "By no note": note + "nowhere",
                  "By a name whose slug is a note's": note + "c-3ce177"}
    assert linked == {"By file name": "notes/1-2-3.html", "By title": "notes/1-2-3.html",
                      "By alias": "notes/1-2-3.html", "By id": "notes/c.html",
                      "By no note": None, "By a name whose slug is a note's": None}


def test_placeholder_page(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "notes/wang-huang-reward-hacking.html")
    assert "no note defines" in doc.select_one(".ghost-notice").text
    assert 'kg new "wang-huang-reward-hacking"' in doc.select_one(".ghost-notice").text
    sources = {a.attrs["href"] for a in doc.select("section.connections a.note-link")}
    assert "defense-trilemma.html" in sources and "import-ai-455.html" in sources


def test_a_placeholder_page_s_kg_new_is_a_command_a_shell_runs(write_wiki: WriteWiki) -> None:
    import shlex

    outputs = render(write_wiki({"a.md": "---\ntitle: A\n---\n[[Say \"hi\" $HOME]]\n"}))
    notice = page(outputs, "notes/say-hi-home.html").select_one(".ghost-notice").text
    command = re.search(r"kg new (.*?)\. ", notice)
    assert command is not None and shlex.split(command.group(1)) == ['Say "hi" $HOME']


# -- indexes -------------------------------------------------------------------------------


def test_home_page(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "index.html")
    counts = " ".join(doc.texts(".counts li"))
    for text in ("12 notes", "13 connections", "6 open questions", "3 research angles",
                 "2 forecasts", "6 not written yet"):
        assert text in counts
    recent = doc.texts("section.recent .note-item .note-link")
    assert "Import AI 455: AI Systems Are About to Start Building Themselves" in recent
    tiers = doc.select("section.tier-section")
    assert [t.select_one("h3 a").attrs["href"] for t in tiers] == [
        "tiers/1.html", "tiers/2.html", "tiers/3.html"]
    assert "tags/benchmarks.html" in {a.attrs["href"] for a in doc.select(".tag-cloud a")}


def test_timeline_tier_and_tag_pages(site: Path, read_html: ReadHtml) -> None:
    timeline = read_html(site / "timeline.html")
    months = [s.select_one("h2").attrs["id"] for s in timeline.select("section.month")]
    assert months == ["m-2026-05", "m-undated"]
    dates = [t.attrs["datetime"] for t in timeline.select("ol.timeline time")]
    assert dates == sorted(dates, reverse=True)
    tier1 = read_html(site / "tiers/1.html")
    assert tier1.texts(".note-list .note-link") == [
        "Import AI 455: AI Systems Are About to Start Building Themselves"]
    tier2 = read_html(site / "tiers/2.html")
    assert len(tier2.select(".note-list .note-item")) == 7
    tag = read_html(site / "tags/benchmarks.html")
    assert set(tag.texts(".note-list .note-link")) == {
        "Import AI 455: AI Systems Are About to Start Building Themselves", "PostTrainBench"}
    tags = read_html(site / "tags.html")
    assert "#benchmarks" in tags.texts(".tag-index a")


def test_timeline_lines_are_the_jinja_loop_they_replace(write_wiki: WriteWiki,
                                                        tmp_path: Path) -> None:
    """The timeline's lines come from a Python snippet (the whole list of a month at once);
    a wiki that overrides the template with the loop it replaced gets the same bytes,
    summaries cut as ``truncate(200)`` cuts."""
    summaries = ["Short & <b>bold</b> 'quoted'.", "w" * 205, "w" * 206,
                 ("word " * 41)[:205], ("word " * 41)[:206] + "tail", "x" * 150 + " " + "y" * 90]
    files = {f"n{i}.md": f"---\ntitle: N{i} & co\ndate: 2024-0{i % 3 + 1}-1{i}\ntier: {i % 3 + 1}\n"
             f"---\n## TL;DR\n{text}\n" for i, text in enumerate(summaries)}
    files["undated.md"] = "---\ntitle: Undated\n---\nNo summary section.\n"
    config = write_wiki(files)
    ours = render(config)["timeline.html"]
    loop = (Path(__file__).parent.parent / "templates" / "timeline.html").read_text(
        encoding="utf-8").replace(
        "{{ timeline_items(notes) }}",
        "  {% for note in notes %}\n"
        "    <li>{{ date(note.date) }} {{ note_link(note.id, note.title) }} "
        "{{ tier_badge(note.tier) }}{% if note.summary %}<p class=\"summary\">"
        "{{ note.summary | truncate(200) }}</p>{% endif %}</li>\n  {% endfor %}\n")
    assert "truncate(200)" in loop
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "timeline.html").write_text(loop, encoding="utf-8")
    assert render(config)["timeline.html"] == ours
    shown = page({"t": ours}, "t").texts("ol.timeline .summary")
    assert "Short & <b>bold</b> 'quoted'." in shown and "w" * 205 in shown
    assert any(text.endswith("...") and len(text) <= 200 for text in shown)


_TRACKER_LOOP = """  {% for tq, note, age in rows %}
    <tr class="question status-{{ tq.status.value }}" id="{{ tq.question.id | slug }}" data-status="{{ tq.status.value }}" data-tier="{{ note.tier if note and note.tier is not none else 'none' }}" data-tags="{{ (note.tags if note else []) | list | tojson | forceescape }}" data-date="{{ note.date.isoformat() if note and note.date else '' }}" data-age="{{ age if age is not none else '' }}" data-note="{{ note.title if note else tq.question.note }}" data-order="{{ loop.index0 }}">
      <td><span class="status">{{ tq.status.value }}</span></td>
      <td class="qtext">{{ inline(tq.question.text) }} <code class="qid">{{ tq.question.id }}</code></td>
      <td>{{ note_link(tq.question.note, note.title if note else tq.question.note, note is not none, tq.question.id.split('#', 1)[1]) }}</td>
      <td>{{ tier_badge(note.tier) if note else '' }}</td>
      <td class="col-tags">{{ tag_list(note.tags, 12) if note else '' }}</td>
      <td>{{ date(note.date) if note else '' }}</td>
      <td class="num">{{ age if age is not none else '' }}</td>
      <td>{% for nid in tq.answered_by %}{{ note_link(nid, wiki.node_label(nid), nid in wiki.notes) }}{% if not loop.last %}, {% endif %}{% endfor %}</td>
    </tr>
  {% else %}
    <tr><td colspan="8" class="empty">No note raises a question yet: list them under "## Open questions".</td></tr>
  {% endfor %}
"""  # noqa: E501 (the template's lines as they were)
_ANGLES_LOOP = """{% for note in notes %}
<section class="angle-note" aria-labelledby="a-{{ note.id }}">
  <h2 id="a-{{ note.id }}" class="h3">{{ note_link(note.id, note.title) }} {{ tier_badge(note.tier) }} {{ date(note.date) }}</h2>
  <ol class="angles">
  {% for angle in note.angles %}
    <li value="{{ angle.number }}"><a class="anchor" href="{{ note_url(note.id, angle.id.split('#', 1)[1]) }}"><strong>{{ tex(angle.title) }}</strong></a>{% if angle.text %} — {{ inline(angle.text) }}{% endif %}</li>
  {% endfor %}
  </ol>
</section>
{% else %}
<p class="empty">No note proposes a research angle yet: number them under "## Research angle".</p>
{% endfor %}
"""  # noqa: E501


@pytest.mark.parametrize("empty", [False, True])
def test_tracker_rows_and_angles_are_the_jinja_loops_they_replace(
        write_wiki: WriteWiki, tmp_path: Path, empty: bool) -> None:
    """The question tracker's rows and the angles page's sections are written by Python
    snippets (25,000 rows at 10,000 notes); a wiki whose templates keep the Jinja loops
    they replaced gets the same bytes: titles, tags and questions with markup, quotes and
    links, TeX, a note without date or tier, answered and dropped questions."""
    files = {
        "a.md": "---\ntitle: A <&> \"quoted\" 'single'\ndate: 2024-01-10\ntier: 1\n"
                "tags: [\"x<y\", \"it's\", 'q\"uote', plain]\n---\n"
                "## Research angle\n1. **Bound $O(n^2)$ <x>.** See [[b]] & *more*.\n"
                "2. Plain angle without a lead\n"
                "## Open questions\n- Does [[b]] hold when $x < y$ & <b>bold</b>?\n"
                "- [x] Already answered, \"quoted\"\n- ~~Dropped one~~ no longer asked\n",
        "b.md": "---\ntitle: B\nanswers: [\"a#q-already-answered-quoted\"]\n---\n"
                "## Open questions\n- Undated and untiered?\n"
                "## Research angle\n1. **Only** one.\n",
        "c.md": "---\ntitle: C\n---\nNo questions here; [[ghost]] is not written yet.\n",
    }
    if empty:
        files = {"c.md": files["c.md"]}
    config = write_wiki(files)
    ours = render(config)
    templates = Path(__file__).parent.parent / "templates"
    questions = (templates / "questions.html").read_text(encoding="utf-8")
    start = questions.index("{% for row in tracker_rows(rows) %}")
    end = questions.index("  </tbody>")
    angles = (templates / "angles.html").read_text(encoding="utf-8")
    a_start = angles.index("{% for section in angle_sections(notes) %}")
    a_end = angles.index("{% endblock %}", a_start)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "questions.html").write_text(
        questions[:start] + _TRACKER_LOOP + questions[end:], encoding="utf-8")
    (tmp_path / "templates" / "angles.html").write_text(
        angles[:a_start] + _ANGLES_LOOP + angles[a_end:], encoding="utf-8")
    theirs = render(config)
    assert theirs["questions.html"] == ours["questions.html"]
    assert theirs["angles.html"] == ours["angles.html"]
    rows = page(ours, "questions.html").select("tr.question")
    assert len(rows) == (0 if empty else 4)
    if not empty:
        assert {row.attrs["data-status"] for row in rows} == {"open", "answered", "dropped"}
        assert json.loads(rows[0].attrs["data-tags"]) == ["x<y", "it's", 'q"uote', "plain"]
        assert page(ours, "angles.html").select("ol.angles li a.anchor")


def test_placeholders_page_names_who_mentions_them(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "placeholders.html")
    items = {li.attrs["id"]: li for li in doc.select("li.placeholder-item")}
    assert set(items) == {"cvs", "longact", "safety-drift", "sun-smith-nayebi-no-free-lunch",
                          "tip", "wang-huang-reward-hacking"}
    wang = items["wang-huang-reward-hacking"]
    assert {a.text for a in wang.select("ul.links a.note-link")} >= {
        "Defense Trilemma + NP-hard reward hacking",
        "Import AI 455: AI Systems Are About to Start Building Themselves"}
    assert wang.select("blockquote.context")
    first = doc.select("li.placeholder-item")[0].attrs["id"]
    assert first in ("wang-huang-reward-hacking", "sun-smith-nayebi-no-free-lunch")
    # each link reads as what the placeholder is to the note: "Related from Defense
    # Trilemma", not "Defense Trilemma related from" (the note is not what is related from)
    lines = {" ".join(li.text.split()) for li in wang.select("ul.links li")}
    assert "Related from Defense Trilemma + NP-hard reward hacking" in {
        line.split(" Paired failure")[0] for line in lines}
    assert all(line.startswith(("Related from ", "Mentioned by ")) for line in lines)


# -- trackers ------------------------------------------------------------------------------


def test_question_tracker(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "questions.html")
    rows = doc.select("table#tracker tbody tr.question")
    assert len(rows) == 6
    assert {r.attrs["data-status"] for r in rows} == {"open"}
    creativity = next(r for r in rows if "creativity scale" in r.text)
    assert creativity.attrs["data-tier"] == "1"
    assert json.loads(creativity.attrs["data-tags"])[0] == "ai-rnd-automation"
    assert creativity.attrs["data-date"] == "2026-05-04" and creativity.attrs["data-age"] == "0"
    link = creativity.select("a.note-link")[0]
    assert link.attrs["href"].startswith("notes/import-ai-455.html#q-")
    form = doc.select_one("form#tracker-filters")
    assert {s.attrs["name"] for s in form.select("select")} == {"status", "tier", "tag"}
    assert "fine-tuning" in [o.attrs["value"] for o in form.select("select[name=tag] option")]
    assert [th.attrs["data-sort"] for th in doc.select("th[data-sort]")] == [
        "status", "text", "note", "tier", "date", "age"]
    assert doc.select("script[src=assets/tracker.js]")


def test_angles_page(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "angles.html")
    sections = doc.select("section.angle-note")
    assert len(sections) == 1
    items = sections[0].select("ol.angles li")
    assert len(items) == 3
    assert items[1].select_one("a.anchor").attrs["href"].startswith("notes/import-ai-455.html#")


def test_angle_titles_tex_is_typeset_inside_its_link(write_wiki: WriteWiki) -> None:
    """An angle's title is the link to it on the angles page: its TeX is marked for KaTeX
    there as on the note's page, and nothing else of it is read (no link in the link, no
    HTML); a page without TeX loads no KaTeX."""
    config = write_wiki({"bounds.md": (
        "---\ntitle: Bounds\n---\n## Research angle\n"
        "1. **Bound on $x^2$ <script>alert(1)</script> [[other]] \\$5.** the $y$ norm.\n")})
    outputs = render(config)
    doc = page(outputs, "angles.html")
    link = doc.select_one("ol.angles li a.anchor")
    assert [m.text for m in link.select("span.math")] == ["x^2"]
    assert link.text == "Bound on x^2 <script>alert(1)</script> other $5"
    assert not link.select("script") and not link.select("a")
    assert doc.select("script[src=assets/math.js]")
    assert [m.text for m in doc.select("main .math")] == ["x^2", "y"]
    note = page(outputs, "notes/bounds.html")
    assert [m.text for m in note.select("ol.angles .math")] == ["x^2", "y"]

    plain = write_wiki({"bounds.md": "---\ntitle: Bounds\n---\n## Research angle\n1. **B.** c\n"})
    assert not page(render(plain), "angles.html").select("script[src=assets/math.js]")


def test_forecasts_page(site: Path, read_html: ReadHtml) -> None:
    doc = read_html(site / "forecasts.html")
    due = doc.select("section table.forecasts")[0].select("tbody tr")
    assert [r.select_one("time").attrs["datetime"] for r in due] == ["2027-12-31", "2028-12-31"]
    assert "No forecast has resolved yet" in doc.text
    track = doc.select_one("table.track tbody tr")
    assert track.select_one("th").text == "Jack Clark"
    assert [td.text for td in track.select("td")] == ["2", "0", "—", "—"]


def test_forecast_track_record_and_resolution(write_wiki: WriteWiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\ndate: 2024-01-01\nauthors: [Ann]\nforecasts:\n"
                "  - {claim: X happens, p: 0.8, by: 2024-06-01, resolved: true, resolved_by: b}\n"
                "  - {claim: Y happens, p: 0.9, by: 2024-06-01, resolved: false}\n"
                "  - {claim: Z happens, p: 0.5, by: 2023-01-01}\n---\nText.\n",
        "b.md": "---\ntitle: B\ndate: 2024-07-01\n---\nText.\n",
    })
    doc = page(render(config), "forecasts.html")
    tables = doc.select("table.forecasts")
    assert "overdue" in tables[0].text
    resolved = tables[1].select("tbody tr")
    assert len(resolved) == 2 and "came true" in resolved[0].text + resolved[1].text
    assert any(a.attrs["href"] == "notes/b.html" for a in tables[1].select("a"))
    row = doc.select_one("table.track tbody tr")
    assert [td.text for td in row.select("td")] == ["3", "2", "1", "0.425"]


def test_the_pages_that_count_days_say_what_today_is(write_wiki: WriteWiki,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The site never reads the clock: its "today" is the newest note's date, which the
    forecasts and questions pages say (it is not the reader's today), or SOURCE_DATE_EPOCH's."""
    config = write_wiki({
        "a.md": "---\ntitle: A\ndate: 2024-05-01\nforecasts:\n"
                "  - {claim: X happens, p: 0.8, by: 2025-01-01}\n---\n"
                "## Open questions\n- Why?\n",
    })
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    outputs = render(config)
    forecasts, questions = page(outputs, "forecasts.html"), page(outputs, "questions.html")
    lede = " ".join(forecasts.select("p.lede")[0].text.split())
    assert '"Today" for this build is 2024-05-01, the date of the newest note' in lede
    assert "SOURCE_DATE_EPOCH=$(date +%s)" in lede
    assert forecasts.select_one("h2#due").text.startswith("Unresolved")
    assert "in 245 days" in forecasts.text
    assert "2024-05-01, the date of the newest note" in questions.select("p.lede")[0].text
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764201600")  # 2025-11-27
    forecasts = page(render(config), "forecasts.html")
    lede = " ".join(forecasts.select("p.lede")[0].text.split())
    assert lede.endswith('"Today" for this build is 2025-11-27.') and "overdue" in forecasts.text


# -- the graph -----------------------------------------------------------------------------


def test_global_graph_page_and_data(site: Path, read_html: ReadHtml) -> None:
    data = script_json((site / "data/graph.js").read_bytes(), b"window.KG_GRAPH = ")
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == 18
    assert nodes["import-ai-455"]["group"] == "t1"
    assert nodes["posttrainbench"]["group"] == "t2"
    assert nodes["tip"]["group"] == "ghost" and nodes["tip"]["ph"] is True
    assert nodes["import-ai-455"]["size"] == max(n["size"] for n in nodes.values())
    assert nodes["import-ai-455"]["name"].startswith("Import AI 455: AI Systems")
    assert "name" not in nodes["posttrainbench"]  # the label is the whole title
    labels = {(e["from"], e["to"]): e for e in data["edges"] if e["rel"] != "mentions"}
    assert labels[("import-ai-455", "defense-trilemma")]["label"] == "counterpoint"
    mentions = [e for e in data["edges"] if e["rel"] == "mentions"]
    assert mentions and all(e["dashes"] and "label" not in e for e in mentions)
    assert data["relations"][-1] == "mentions" and "counterpoint" in data["relations"]
    assert data["tiers"] == [1, 2, 3]
    pytest.importorskip("numpy")
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in nodes.values())
    assert data["options"]["physics"]["enabled"] is False

    doc = read_html(site / "graph.html")
    assert doc.select_one("#global-graph").attrs["data-graph"] == "global"
    form = doc.select_one("form#graph-filters")
    assert [i.attrs["value"] for i in form.select("input[name=rel]")] == data["relations"]
    assert [i.attrs["value"] for i in form.select("input[name=tier]")] == ["1", "2", "3", "ghost"]
    assert len(form.select("select[name=tag] option")) == len(data["tags"]) + 1
    assert [s.attrs["src"] for s in doc.select("script[src]")][-3:] == [
        "data/graph.js", "assets/vendor/vis-network.min.js", "assets/graph.js"]


def test_every_tier_has_its_own_colour_on_the_graphs(write_wiki: WriteWiki) -> None:
    """Tiers 4 to 9 (labelled in kg.toml) are each a group with a colour of their own on the
    global graph, its legend and the local graph, in the light and the dark theme alike: a
    note of tier 4 was drawn in the grey of a note with no tier."""
    files = {f"t{t}.md": f"---\ntitle: T{t}\ntier: {t}\n---\nSee [[hub]].\n" for t in range(1, 10)}
    files["hub.md"] = "---\ntitle: Hub\n---\nNo tier.\n"
    config = write_wiki(files)
    toml = config.root / "kg.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '[kg.tiers]\n4 = "Speculative"\n',
                    encoding="utf-8")
    outputs = render(write_wiki({}))
    data = script_json(outputs["data/graph.js"], b"window.KG_GRAPH = ")
    groups = {n["id"]: n["group"] for n in data["nodes"]}
    assert groups == {"hub": "t0"} | {f"t{t}": f"t{t}" for t in range(1, 10)}
    assert data["tiers"] == [*range(1, 10), None]

    form = page(outputs, "graph.html").select_one("form#graph-filters")
    legend = {box.attrs["value"]: box.parent.select_one(".swatch").attrs["class"].split()[1]
              for box in form.select("input[name=tier]")}
    assert legend == {"none": "node-t0", "ghost": "node-ghost"} | {
        str(t): f"node-t{t}" for t in range(1, 10)}
    assert "Speculative" in form.text

    css = outputs["assets/style.css"].decode("utf-8")
    light, _, dark = css.partition("@media (prefers-color-scheme: dark)")
    for theme in (light, dark):
        colours = {g: re.search(rf"--{g}: (#[0-9a-f]{{6}});", theme) for g in groups.values()}
        assert all(colours.values()), colours
        assert len({m.group(1) for m in colours.values() if m}) == 10  # no two alike
    for g in groups.values():  # the swatch and the page's graph.js read the same colour
        assert f".node-{g} {{ background: var(--{g}); }}" in css
    script = outputs["assets/graph.js"].decode("utf-8")
    assert all(f"{g}: " in script for g in groups.values())

    local = json.loads(page(outputs, "notes/hub.html").select_one("script#local-graph-data").text)
    assert {n[0]: n[2] for n in local["nodes"]} == groups


def test_large_graph_layout_is_seeded_and_linear() -> None:
    pytest.importorskip("numpy")
    count = 3000
    pairs = [(i, (i * 7 + 1) % count) for i in range(count)] + [(i, 0) for i in range(1, 60)]
    started = time.perf_counter()
    first = layout(count, pairs)
    elapsed = time.perf_counter() - started
    assert first is not None and len(first) == count
    assert first == layout(count, pairs)
    assert len(set(first)) > count * 0.95  # nodes spread out, not piled up
    assert elapsed < 20
    small = sampled_layout(50, [(0, 1)], iterations=5)
    assert small.shape == (50, 2)


def test_notes_without_links_are_set_in_rows_below_the_linked_ones() -> None:
    """Not on a far ring, which would shrink the linked notes into a knot: neighbours stay
    ~150 px apart, and the unlinked notes sit in rows under them."""
    pytest.importorskip("numpy")
    count = 40
    pairs = [(i, (i + 1) % 20) for i in range(20)] + [(20, 21)]  # a ring of 20, a pair
    pos = layout(count, pairs)
    assert pos is not None and len(set(pos)) == count
    ring = [pos[i] for i in range(20)]
    bottom = max(y for _, y in ring)
    assert all(y > bottom for _, y in pos[20:])
    gaps = sorted(math.dist(pos[a], pos[b]) for a, b in pairs[:20])
    assert 100 < gaps[10] < 200
    assert math.dist(pos[20], pos[21]) == 150
    assert pos == layout(count, pairs)


def test_local_graph_is_capped_around_a_hub(write_wiki: WriteWiki) -> None:
    files = {f"n{i:03d}.md": f"---\ntitle: N{i}\n---\nSee [[hub]].\n" for i in range(150)}
    files["hub.md"] = "---\ntitle: Hub\n---\nThe centre.\n"
    outputs = render(write_wiki(files))
    doc = page(outputs, "notes/n007.html")
    data = json.loads(doc.select_one("script#local-graph-data").text)
    ids = {n[0] for n in data["nodes"]}
    assert len(ids) == LOCAL_LIMIT and {"n007", "hub"} <= ids


def test_a_hub_is_drawn_no_larger_than_its_neighbours_can_be_seen_beside(
        write_wiki: WriteWiki) -> None:
    """A hub of 150 links is drawn at most 40 px in a local graph (on its page and on those
    near it), where its size by degree covered the nodes around it; the global graph keeps
    the size of its degree, and a note of few links its own size everywhere."""
    from kg.graphview import LOCAL_LARGEST, node_size

    files = {f"n{i:03d}.md": f"---\ntitle: N{i}\n---\nSee [[hub]].\n" for i in range(150)}
    files["hub.md"] = "---\ntitle: Hub\n---\nThe centre.\n"
    outputs = render(write_wiki(files))
    assert node_size(150) > LOCAL_LARGEST == 40
    for name in ("notes/hub.html", "notes/n007.html"):
        data = json.loads(page(outputs, name).select_one("script#local-graph-data").text)
        sizes = {n[0]: n[3] for n in data["nodes"]}
        assert sizes["hub"] == LOCAL_LARGEST
        assert sizes["n007"] == node_size(1) < LOCAL_LARGEST


def test_local_graphs_around_a_hub_draw_what_a_walk_of_every_edge_draws(
        write_wiki: WriteWiki) -> None:
    """A note linking to thousands: each page near it draws the same local graph as a walk
    of every edge would; the hub's edges are indexed by their end once, and each page
    looks up only the notes it keeps in that index."""
    from kg.graphview import GraphBuilder
    from kg.views import Views

    links = " ".join(f"[[n{i:04d}]]" for i in range(2_000))
    files = {"hub.md": f"---\ntitle: Hub\n---\n{links} and [[hub-2]].\n",
             "hub-2.md": "---\ntitle: Hub 2\n---\nBack to [[hub]] and [[n0003]].\n"}
    files.update({f"n{i:04d}.md": f"---\ntitle: N{i}\n---\nSee [[n{i + 1:04d}]].\n"
                  for i in range(0, 40, 3)})
    graphs = GraphBuilder(Views(load_wiki(write_wiki(files))))

    def walked(nid: str) -> dict[str, object]:  # every edge of every kept node read
        keep = sorted(graphs.views.neighbourhood(nid, 2, LOCAL_LIMIT))
        index = {other: i for i, other in enumerate(keep)}
        edges = [[index[s], index[e["to"]], 1 if "dashes" in e else 0]
                 for s in keep for e in graphs._out.get(s, ()) if e["to"] in index]
        return {"nodes": keep, "edges": edges}

    for nid in ("hub", "hub-2", "n0003", "n0004", "n1999", "n0039"):
        drawn = graphs.local_graph(nid)
        assert {"nodes": [n[0] for n in drawn["nodes"]], "edges": drawn["edges"]} == walked(nid)
    assert len(graphs._ends["hub"]) == 2_001 and len(graphs._ends) == 1  # the hub's alone


# -- saved queries, search, feed, sitemap --------------------------------------------------


def test_saved_queries(site: Path, read_html: ReadHtml) -> None:
    index = read_html(site / "queries.html")
    assert index.texts(".query-list li a") == ["Counterpoints", "Tier-1 notes with open questions"]
    counter = read_html(site / "queries/counterpoints.html")
    rows = counter.select("table.query-result tbody tr")
    assert len(rows) == 2
    cells = rows[1].select("td")
    assert cells[0].select_one("a").attrs["href"] == "../notes/import-ai-455.html"
    assert cells[1].select_one("a").text == "Defense Trilemma + NP-hard reward hacking"
    assert "adversarial mirror image" in cells[2].text
    tier1 = read_html(site / "queries/tier-1-open-questions.html")
    assert len(tier1.select("table.query-result tbody tr")) == 4
    assert "SELECT" in tier1.select_one("details.query-source pre").text


def test_a_broken_saved_query_shows_its_error(write_wiki: WriteWiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\ntier: 1\n---\nText.\n",
        "queries/bad.rq": "# Broken\nSELEC nothing\n",
        "queries/ask.rq": "ASK { ?n kg:tier ?t }\n",
    })
    outputs = render(config)
    bad = page(outputs, "queries/bad.html")
    assert "failed" in bad.select_one("p.error").text
    ask = page(outputs, "queries/ask.html")
    assert ask.select_one("table.query-result tbody td").text == "yes"


def test_a_saved_update_s_page_says_it_is_an_update(write_wiki: WriteWiki) -> None:
    """Not Oxigraph's "expected CONSTRUCT": what kg sparql says of an update, and kg check."""
    config = write_wiki({
        "a.md": "---\ntitle: A\ntier: 1\n---\nText.\n",
        "queries/update.rq": "# Add\nINSERT DATA { note:a kg:tier 2 }\n",
    })
    said = page(render(config), "queries/update.html").select_one("p.error").text
    assert "kg build runs saved queries, not updates (INSERT)" in said
    assert "expected" not in said


def test_a_saved_query_s_controls_and_bad_bytes_are_not_copied_into_its_page(
        write_wiki: WriteWiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\n---\nText.\n",
                         "queries/odd.rq": b"# Odd \x00\x1b[31m\xff\nASK { ?s ?p ?o }\n"})
    outputs = render(config)
    html = outputs["queries/odd.html"]
    assert b"\x00" not in html and b"\x1b" not in html
    assert "Odd \ufffd\ufffd[31m\ufffd" in page(outputs, "queries/odd.html").select_one("h1").text


def test_a_saved_query_asks_no_other_endpoint_and_reads_bounded_rows(
        write_wiki: WriteWiki, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared wiki's query must not make the build reach a host (nor wait on one), and a
    cross join is read only so far."""
    import kg.saved

    monkeypatch.setattr(kg.saved, "READ_LIMIT", 10)
    config = write_wiki({
        "a.md": "---\ntitle: A\ntier: 1\n---\nText.\n",
        "queries/remote.rq": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> "
                             "{ ?s ?p ?o } }\n",
        "queries/cross.rq": "SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y }\n",
        "queries/named.rq": "SELECT ?service WHERE { ?service a kg:Note }\n",
    })
    outputs = render(config)
    remote = page(outputs, "queries/remote.html")
    assert "SERVICE" in remote.select_one("p.error").text
    cross = page(outputs, "queries/cross.html")
    assert cross.select_one("p.muted").text.startswith("More than 10 rows")
    assert len(cross.select("table.query-result tbody tr")) == 10
    assert not page(outputs, "queries/named.html").select("p.error")


def test_a_saved_query_that_would_run_for_hours_is_stopped(write_wiki: WriteWiki) -> None:
    """A join that finds nothing runs in Oxigraph until done, deaf to signals: it runs in a
    child stopped at query_seconds, its page says so, and the build goes on."""
    import time
    from dataclasses import replace

    config = write_wiki({
        **{f"n{i}.md": f"---\ntitle: N{i}\ntier: 1\ntags: [t{i}]\n---\nSee [[n{i + 1}]].\n"
           for i in range(20)},
        "queries/forever.rq": "SELECT ?a WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?s ?t . ?d ?u ?v . "
                              "?e ?w ?x . FILTER(STRLEN(STR(?o)) + STRLEN(STR(?r)) + "
                              "STRLEN(STR(?x)) < 0) }\n",
        "queries/ask.rq": "ASK { ?n kg:tier ?t }\n",
    })
    started = time.monotonic()
    outputs = render(replace(config, query_seconds=1.0))
    assert time.monotonic() - started < 30
    forever = page(outputs, "queries/forever.html")
    assert "stopped after 1 s" in forever.select_one("p.error").text
    assert page(outputs, "queries/ask.html").select_one("table.query-result tbody td").text == "yes"


def test_a_query_stopped_for_time_is_asked_again_by_the_next_build(
        write_wiki: WriteWiki) -> None:
    """Stopped on a busy machine, a query may answer on a quiet one: its page is not kept
    as made, and a build with nothing else changed asks it again."""
    from dataclasses import replace

    from kg.build import build

    config = replace(write_wiki({
        "a.md": "---\ntitle: A\ntier: 1\n---\nSee [[b]].\n",
        "queries/forever.rq": "SELECT ?a WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?s ?t . ?d ?u ?v . "
                              "?e ?w ?x . ?f ?y ?z . FILTER(STRLEN(STR(?o)) + "
                              "STRLEN(STR(?z)) < 0) }\n",
    }), query_seconds=0.5)
    first = build(config)
    shown = parse_html((config.out / "queries/forever.html").read_text(encoding="utf-8"))
    assert "stopped after 0.5 s" in shown.select_one("p.error").text
    again = build(config)
    assert again.rendered >= 2  # the query's page and the list of queries, made again
    assert again.summary().count("nothing changed") == 0 and first.files == again.files


def test_search_index(site: Path) -> None:
    index = json.loads((site / "search.json").read_bytes())
    script = script_json((site / "data/search.js").read_bytes(), b"window.KG_SEARCH_INDEX = ")
    assert script == index
    entries = {e["id"]: e for e in index["notes"]}
    ptb = entries["posttrainbench"]
    assert ptb["t"] == "PostTrainBench" and ptb["a"] == ["PostTrainBench"]
    assert ptb["g"] == ["benchmarks", "fine-tuning", "ai-rnd-automation"]
    assert ptb["u"] == "notes/posttrainbench.html"
    assert "uplift" in ptb["x"] and "[[" not in ptb["x"] and "##" not in ptb["x"]
    assert entries["tip"]["p"] == 1
    assert entries["import-ai-455"]["w"] == ["Jack Clark"]  # found by its author too
    assert "w" not in ptb  # (none written)
    assert list(entries) == sorted(entries)


def test_the_script_index_is_copied_from_the_json_index(sample_config: Config,
                                                        tmp_path: Path) -> None:
    """data/search.js is search.json's entries copied between other ends, not made again;
    written alone (no search.json beside it) it is made from the notes, the same bytes."""
    from kg.search import INDEX_HEAD, INDEX_TAIL, SCRIPT_HEAD, SCRIPT_TAIL, rewrap

    site = Site(load_wiki(sample_config), sample_config)
    pages = {p.path: p for p in site.search()}
    json_page, script_page = pages["search.json"], pages["data/search.js"]
    assert json_page.write is not None and script_page.write is not None
    (tmp_path / "data").mkdir()
    json_page.write(tmp_path / "search.json")
    script_page.write(tmp_path / "data/search.js")
    made = (tmp_path / "search.json").read_bytes()
    assert made == json_page.make() and made.startswith(INDEX_HEAD) and made.endswith(INDEX_TAIL)
    script = (tmp_path / "data/search.js").read_bytes()
    entries = made[len(INDEX_HEAD):-len(INDEX_TAIL)]
    assert script == script_page.make() == SCRIPT_HEAD + entries + SCRIPT_TAIL
    (tmp_path / "search.json").unlink()
    script_page.write(tmp_path / "data/search.js")
    assert (tmp_path / "data/search.js").read_bytes() == script
    (tmp_path / "other.json").write_bytes(b'{"something":"else"}')
    with pytest.raises(ValueError, match="not a search index"):
        rewrap(tmp_path / "other.json", io.BytesIO(), SCRIPT_HEAD, SCRIPT_TAIL)


def test_feed(site: Path) -> None:
    feed = ET.fromstring((site / "feed.xml").read_bytes())
    assert feed.findtext(f"{ATOM}title") == "AI R&D digest wiki"
    assert feed.findtext(f"{ATOM}updated") == "2026-05-04T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 10  # every dated note
    first = entries[0]
    assert first.findtext(f"{ATOM}id", "").startswith("https://example.org/kg/note/")
    assert first.find(f"{ATOM}link").attrib["href"].startswith("notes/")  # type: ignore[union-attr]


def test_base_url_makes_feed_sitemap_and_404_absolute(write_wiki: WriteWiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nSee [[b]].\n",
                         "b.md": "---\ntitle: B\n---\nText.\n"},
                        base_url="https://example.net/wiki")
    outputs = render(config)
    feed = ET.fromstring(outputs["feed.xml"])
    link = feed.find(f"{ATOM}entry/{ATOM}link")
    assert link is not None and link.attrib["href"] == "https://example.net/wiki/notes/a.html"
    sitemap = ET.fromstring(outputs["sitemap.xml"])
    locs = [u.findtext(f"{SITEMAP}loc") for u in sitemap.findall(f"{SITEMAP}url")]
    assert "https://example.net/wiki/notes/b.html" in locs
    assert "https://example.net/wiki/index.html" in locs
    assert "https://example.net/wiki/404.html" not in locs and locs == sorted(locs)
    assert b'href="sitemap.xml">Sitemap' in outputs["index.html"]  # linked where written
    missing = page(outputs, "404.html")
    assert missing.select_one("link[rel=stylesheet]").attrs["href"] == (
        "https://example.net/wiki/assets/style.css")
    note = page(outputs, "notes/a.html")
    assert note.select_one("link[rel=stylesheet]").attrs["href"] == "../assets/style.css"
    assert note.select_one("link[rel=canonical]").attrs["href"] == (
        "https://example.net/wiki/notes/a.html")


# -- every page ----------------------------------------------------------------------------


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.handlers: list[str] = []
        self.inline_scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.handlers += [f"{tag} {k}" for k in a if k.startswith("on")]
        if tag == "script" and "src" not in a and a.get("type") not in (
                "application/json", "application/ld+json"):
            self.inline_scripts.append(str(a))
        for key in ("href", "src"):
            if key in a:
                self.refs.append((tag, a[key]))


def test_every_link_resolves_and_nothing_runs_inline(site: Path) -> None:
    problems: list[str] = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 40
    for path in pages:
        rel = path.relative_to(site).as_posix()
        refs = _Refs()
        refs.feed(path.read_text(encoding="utf-8"))
        problems += [f"{rel}: inline handler {h}" for h in refs.handlers]
        problems += [f"{rel}: inline script {s}" for s in refs.inline_scripts]
        for tag, url in refs.refs:
            if re.match(r"^(https?|mailto):", url):
                if tag in ("script", "link", "img") and not url.startswith("https://example"):
                    problems.append(f"{rel}: loads {url} from outside the site")
                continue
            target = url.split("#", 1)[0].split("?", 1)[0]
            if not target:
                continue
            if target.startswith("/"):  # from the root: the 404 page's only (served anywhere)
                if rel != "404.html":
                    problems.append(f"{rel}: links from the root {url} (no file:// browsing)")
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            if not (site / resolved).is_file():
                problems.append(f"{rel}: broken link {url}")
    assert not problems, "\n".join(problems[:20])


def test_footer_links_the_graph_downloads(site: Path, read_html: ReadHtml) -> None:
    for rel in ("index.html", "notes/import-ai-455.html", "tags/benchmarks.html"):
        hrefs = [a.attrs["href"] for a in read_html(site / rel).select("footer a")]
        prefix = "../" * rel.count("/")
        for name in ("graph.ttl", "graph.jsonld", "vocab.ttl"):
            assert prefix + name in hrefs


def test_hostile_text_stays_text(write_wiki: WriteWiki) -> None:
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    config = write_wiki({
        "a.md": f"---\ntitle: '{evil}'\ntags: ['x\"><b>t']\naliases: ['{evil}']\n"
                f"connections:\n  - to: b\n    rel: counterpoint\n    note: '{evil}'\n---\n"
                f"## Open questions\n- Why {evil}?\n",
        "b.md": "---\ntitle: B\n---\nSee [[a]].\n",
    })
    outputs = render(config)
    for path in ("notes/a.html", "notes/b.html", "graph.html", "questions.html", "index.html"):
        html = outputs[path].decode("utf-8")
        refs = _Refs()
        refs.feed(html)
        assert not refs.handlers and not refs.inline_scripts, path
        assert "<script>alert" not in html and "<img src=x" not in html, path
    island = page(outputs, "notes/b.html").select_one("script#local-graph-data")
    names = {n[-1] for n in json.loads(island.text)["nodes"]}
    assert evil in names
    graph = script_json(outputs["data/graph.js"], b"window.KG_GRAPH = ")
    assert evil in {n.get("name", n["label"]) for n in graph["nodes"]}
    index = json.loads(outputs["search.json"])
    assert evil in {e["t"] for e in index["notes"]}


def test_a_source_that_is_a_note_is_a_link_to_it(write_wiki: WriteWiki,
                                                 read_html: ReadHtml) -> None:
    """``source: "[[smith-2020]]"`` (a literature vault's note of the paper) is shown as a
    link to that note, as a wikilink of the body is (a placeholder's, a ghost link), never
    as the brackets or as HTML of the note's text; an incremental build follows the note
    it names when that note is written."""
    config = write_wiki({
        "smith-2020.md": "---\ntitle: Attention kernels (Smith 2020)\n---\nThe paper.\n",
        "a.md": '---\ntitle: A\nsource: "[[smith-2020]]"\n---\nText.\n',
        "b.md": '---\ntitle: B\nsource: "<b>Preprint</b> of [[doe-2021|Doe]]"\n---\nText.\n',
        "c.md": "---\ntitle: C\nsource: [[smith-2020]]\n---\nText.\n",  # unquoted
        "d.md": '---\ntitle: D\nsource: {title: "[[smith-2020]]", url: "https://x.org/p"}\n'
                "---\nText.\n",
    })
    build(config)

    def source(nid: str) -> Element:
        doc = read_html(config.out / f"notes/{nid}.html")
        return next(dd for dt, dd in zip(doc.select(".meta dt"), doc.select(".meta dd"),
                                          strict=True) if dt.text == "Source")

    for nid in ("a", "c"):
        link = source(nid).select_one("a")
        assert (link.text, link.attrs["href"], link.classes) == (
            "smith-2020", "smith-2020.html", {"wikilink"})
        assert link.attrs["title"] == "Attention kernels (Smith 2020)"
        assert "[[" not in source(nid).text
    b = source("b")
    assert b.text == "<b>Preprint</b> of Doe" and b.select("b") == []
    ghost = b.select_one("a")
    assert (ghost.text, ghost.attrs["href"], ghost.classes) == (
        "Doe", "doe-2021.html", {"wikilink", "ghost"})
    d = [(a.text, a.attrs["href"]) for a in source("d").select("a")]
    assert d == [("smith-2020", "smith-2020.html"), ("https://x.org/p", "https://x.org/p")]
    write_wiki({"doe-2021.md": "---\ntitle: Doe 2021\n---\nThe other paper.\n"})
    build(config)
    assert source("b").select_one("a").classes == {"wikilink"}


def test_a_bidi_override_in_a_name_reorders_nothing_after_it(write_wiki: WriteWiki,
                                                              read_html: ReadHtml) -> None:
    """A title, alias, tag or link text holding U+202E (RIGHT-TO-LEFT OVERRIDE, "Trojan
    source") is shown between U+2068 and U+2069 wherever the site shows it, in the page, its
    <title>, a list, a link and the graph's data: the override ends with the name, and what
    follows it (the next alias, the tier, the note of a connection) reads as written. A
    stray U+2069 of the name's own cannot end the isolate early; a right-to-left title
    without controls is shown as it is."""
    rlo, fsi, pdi = "\u202e", "\u2068", "\u2069"
    config = write_wiki({
        "evil.md": f"---\ntitle: '{rlo}gnp.exe'\naliases: ['{rlo}one', two]\n"
                   f"tags: ['{rlo}gat']\ntier: 1\n---\nText.\n",
        "stray.md": f"---\ntitle: 'x{pdi}{rlo}y'\n---\nText.\n",
        "arabic.md": "---\ntitle: مقالة عن الانتباه\n---\nنص.\n",
        "b.md": f"---\ntitle: B\nconnections:\n  - to: evil\n    rel: supports\n---\n"
                f"See [[evil|{rlo}label]], [[stray]] and [[arabic]].\n",
    })
    build(config)
    name = f"{fsi}{rlo}gnp.exe{pdi}"
    evil = read_html(config.out / "notes/evil.html")
    assert evil.select_one("title").text == f"{name} · Test wiki"
    assert evil.select_one("h1").text == name
    meta = {dt.text: dd for dt, dd in zip(evil.select(".meta dt"), evil.select(".meta dd"),
                                          strict=True)}
    assert meta["Also called"].text == f"{fsi}{rlo}one{pdi}, two"
    assert [a.text for a in meta["Tags"].select("a.tag")] == [f"#{fsi}{rlo}gat{pdi}"]
    home = read_html(config.out / "tiers/1.html")
    assert [a.text for a in home.select("a.note-link")] == [name]
    b = read_html(config.out / "notes/b.html")
    assert [a.text for a in b.select(".body a.wikilink")] == [
        f"{fsi}{rlo}label{pdi}", "stray", "arabic"]
    assert name in [a.text for a in b.select(".connections a.note-link")]
    stray = read_html(config.out / "notes/stray.html").select_one("h1").text
    assert stray == f"{fsi}x{rlo}y{pdi}"  # its own U+2069 would have closed the isolate
    island = json.loads(b.select_one("script#local-graph-data").text)
    assert name in {n[1] for n in island["nodes"]}
    graph = script_json((config.out / "data/graph.js").read_bytes(), b"window.KG_GRAPH = ")
    assert name in {n.get("name", n["label"]) for n in graph["nodes"]}
    assert f"{fsi}{rlo}gat{pdi}" in graph["tags"]
    arabic = (config.out / "notes/arabic.html").read_text(encoding="utf-8")
    assert "<h1>مقالة عن الانتباه</h1>" in arabic
    assert "<title>مقالة عن الانتباه · Test wiki</title>" in arabic


def test_comments_are_nowhere_and_embeds_link_to_pages_that_exist(write_wiki: WriteWiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\n%%private draft: see [[secret plan]]%%\n"
                "<!-- hidden [[hidden-target]] -->\n"
                "Embeds ![[Other note]], ![[b]] and an image ![[pic.png]].\n",
        "b.md": "---\ntitle: B\n---\nText.\n",
    })
    outputs = render(config)
    everything = b"".join(outputs.values())
    for secret in (b"private draft", b"secret", b"hidden-target", b"hidden [["):
        assert secret not in everything, secret
    doc = page(outputs, "notes/a.html")
    links = {a.attrs["href"]: a.attrs["class"] for a in doc.select("div.body a.wikilink")}
    assert links == {"b.html": "wikilink embed", "other-note.html": "wikilink ghost embed"}
    assert "notes/other-note.html" in outputs  # the embed's note, not written yet: a page
    assert "![[pic.png]]" in doc.select_one("div.body").text
    config = write_wiki({"d.md": "---\ntitle: D\n---\nJump to [[#Part Two]], "
                                 "[[#Part Two|below]] or a block [[b#^x1]].\n\n## Part Two\n"})
    d = page(render(config), "notes/d.html")
    assert [(a.text, a.attrs["href"]) for a in d.select("div.body a")] == [
        ("Part Two", "#h-part-two"), ("below", "#h-part-two"), ("b", "b.html#block-x1")]
    assert d.select_one("#h-part-two") is not None
    assert "!" not in doc.select_one("div.body").text.replace("![[pic.png]]", "")


def test_markdown_links_to_note_files_lead_to_their_pages(write_wiki: WriteWiki) -> None:
    """``[B](b.md)`` is a link to a note as ``[[b]]`` is: its page, a mention in the graph;
    relative to the linking note's folder; other links are left as written."""
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nSee [B](b.md), [C's part](sub/c.md#Part%20Two), "
                "[gone](gone.md), [a file](notes.pdf) and [web](https://example.org/x.md).\n",
        "b.md": "---\ntitle: B\n---\nText.\n",
        "sub/c.md": "---\ntitle: C\n---\nUp to [B](../b.md) and [A](<../a.md> \"A\").\n\n"
                    "## Part Two\nText.\n",
    })
    wiki = load_wiki(config)
    assert sorted((e.source, e.target) for e in wiki.edges) == [
        ("a", "b"), ("a", "c"), ("a", "gone"), ("c", "a"), ("c", "b")]
    outputs = render(config)
    a = page(outputs, "notes/a.html")
    hrefs = {x.text: x.attrs["href"] for x in a.select("div.body a")}
    assert hrefs == {"B": "b.html", "C's part": "c.html#h-part-two", "gone": "gone.html",
                     "a file": "notes.pdf", "web": "https://example.org/x.md"}
    ghosts = [x.text for x in a.select("div.body a.ghost")]
    assert ghosts == ["gone"]  # a placeholder's link looks like [[gone]]'s: not written yet
    assert "notes/gone.html" in outputs
    c = page(outputs, "notes/c.html")
    assert [x.attrs["href"] for x in c.select("div.body a")] == ["b.html", "a.html"]
    assert c.select_one("#h-part-two") is not None


def test_reference_links_to_note_files_lead_to_their_pages(write_wiki: WriteWiki) -> None:
    """``[C][c]``, ``[C][]`` and ``[c]`` with ``[c]: c.md`` below lead to C's page and are
    mentions of C, as ``[C](c.md)`` is (the labels in any case); an undefined label stays
    text, and a definition of a web address a link to it."""
    config = write_wiki({
        "sub/a.md": "---\ntitle: A\n---\nInline [B](b.md), by reference [C][c], [Part][], "
                    "[C] and [none][nope]; [web][w]; not in [[c]] ([x]).\n\n"
                    "[c]: c.md\n[PART]: <c.md#Part Two>\n[w]: https://example.org/\n",
        "sub/b.md": "---\ntitle: B\n---\nText.\n",
        "sub/c.md": "---\ntitle: C\n---\nText.\n\n## Part Two\nMore.\n",
    })
    note = page(render(config), "notes/a.html")
    assert [(x.text, x.attrs["href"]) for x in note.select("div.body a")] == [
        ("B", "b.html"), ("C", "c.html"), ("Part", "c.html#h-part-two"), ("C", "c.html"),
        ("web", "https://example.org/"), ("c", "c.html")]
    assert "[none][nope]" in note.select_one("div.body").text
    mentions = [(m.target, m.label, m.heading) for m in load_wiki(config).notes["a"].mentions]
    assert mentions == [("sub/b", "B", None), ("sub/c", "C", None),
                        ("sub/c", "Part", "Part Two"), ("sub/c", "C", None), ("c", None, None)]


def test_only_the_reference_links_the_page_shows_are_mentions(write_wiki: WriteWiki) -> None:
    """The first definition of a label counts, whatever it names (Markdown's rule); a
    footnote's and one in code are no definitions; ``M[i][j]`` with nothing defined is text,
    in the summary as on the page; a mention's sentence reads the link's text."""
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\n## TL;DR\nThe entry M[i][j] is a weight; see [the "
                "other one][o], [dup][d], a note[^f] and [inside].\n\n```\n[inside]: third.md\n"
                "```\n\n[d]: https://example.com/\n[d]: other.md\n[o]: other.md\n"
                "[^f]: third.md\n",
        "other.md": "---\ntitle: Other\n---\nx\n",
        "third.md": "---\ntitle: Third\n---\nx\n",
    })
    wiki = load_wiki(config)
    note = wiki.notes["a"]
    assert [(m.target, m.label) for m in note.mentions] == [("other", "the other one")]
    assert note.mentions[0].context.startswith("The entry M[i][j] is a weight; see the other "
                                               "one, dup, a note and [inside].")
    assert note.summary == ("The entry M[i][j] is a weight; see the other one, dup, a note and "
                            "[inside].")
    doc = page(render(config), "notes/a.html")
    assert [(x.text, x.attrs["href"]) for x in doc.select("div.body p a")][:2] == [
        ("the other one", "other.html"), ("dup", "https://example.com/")]


def test_a_reference_link_around_an_image_is_a_mention_and_goes_when_its_note_does(
        write_wiki: WriteWiki) -> None:
    """The renderer links only the reference links the scanner reads: a link it made that
    no mention records would outlive the note it leads to."""
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nSee [![plot](p.png)][c] and [a [nested] one][c].\n\n"
                "[c]: c.md\n",
        "c.md": "---\ntitle: C\n---\nx\n",
    })
    (config.wiki / "p.png").write_bytes(b"\x89PNG")
    assert [m.target for m in load_wiki(config).notes["a"].mentions] == ["c", "c"]
    build(config)
    doc = parse_html((config.out / "notes" / "a.html").read_text(encoding="utf-8"))
    assert [x.attrs["href"] for x in doc.select("div.body a")] == ["c.html", "c.html"]
    (config.wiki / "c.md").unlink()
    build(config)
    doc = parse_html((config.out / "notes" / "a.html").read_text(encoding="utf-8"))
    assert [x.attrs["href"] for x in doc.select("div.body a")] == ["c.html", "c.html"]
    assert "not written yet" in (config.out / "notes" / "c.html").read_text(encoding="utf-8")


def test_a_reference_defined_in_a_quote_leads_to_its_note(write_wiki: WriteWiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nSee [the third][q] and [fourth][f].\n\n> A quote.\n>\n"
                "> [q]: third.md\n\nA paragraph goes on\n[f]: fourth.md\n",
        "third.md": "---\ntitle: Third\n---\nx\n",
        "fourth.md": "---\ntitle: Fourth\n---\nx\n",
    })  # [f]: fourth.md goes on the paragraph above it: no definition, as on the page
    assert [m.target for m in load_wiki(config).notes["a"].mentions] == ["third"]
    doc = page(render(config), "notes/a.html")
    assert [x.attrs["href"] for x in doc.select("div.body a")] == ["third.html"]


def test_a_wiki_overrides_templates_and_assets(write_wiki: WriteWiki, tmp_path: Path) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\n---\nText.\n"})
    (tmp_path / "templates" / "assets").mkdir(parents=True)
    (tmp_path / "templates" / "tag.html").write_text("unused", encoding="utf-8")
    (tmp_path / "templates" / "index.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="mine">{{ site.title }}</p>{% endblock %}',
        encoding="utf-8")
    (tmp_path / "templates" / "assets" / "style.css").write_text("body{}", encoding="utf-8")
    outputs = render(config)
    assert page(outputs, "index.html").select_one("#mine").text == "Test wiki"
    assert outputs["assets/style.css"] == b"body{}"
    assert b"vis-network" in outputs["assets/vendor/vis-network.min.js"][:400]


def test_rendering_twice_gives_the_same_bytes(write_wiki: WriteWiki) -> None:
    files = {f"n{i}.md": f"---\ntitle: N{i}\ndate: 2024-01-0{i % 9 + 1}\ntags: [t{i % 3}]\n---\n"
             f"See [[n{(i + 1) % 12}]] and [[ghost-{i % 2}]].\n" for i in range(12)}
    config = write_wiki(files)
    assert render(config) == render(config)


def test_the_template_environment_is_made_again_only_for_other_templates(tmp_path: Path) -> None:
    """``kg serve`` renders with the last build's compiled templates while they are the
    same text, and with the new text as soon as one changes."""
    from kg.config import Config
    from kg.site import environment

    config = Config(root=tmp_path, wiki=tmp_path / "wiki", out=tmp_path / "site")
    first = environment(config, {"a.html": "one {{ x }}"})
    assert first.get_template("a.html").render(x=1) == "one 1"
    assert environment(config, {"a.html": "one {{ x }}"}) is first
    changed = environment(config, {"a.html": "two {{ x }}"})
    assert changed is not first and changed.get_template("a.html").render(x=1) == "two 1"


def test_a_list_page_written_as_it_renders_is_the_page_made_whole(
        sample_config: Config, tmp_path: Path) -> None:
    """The lists of every note or question (30 MB at 10,000 notes) go to their files piece
    by piece: the same bytes as rendered whole, and what the built site holds."""
    from kg.build import build

    build(sample_config)
    site = Site(load_wiki(sample_config), sample_config)
    streamed = [p for task in site.tasks() for p in task() if p.write is not None
                and p.path.endswith(".html")]
    assert {"timeline.html", "questions.html", "angles.html"} <= {p.path for p in streamed}
    assert any(p.path.startswith("tags/") for p in streamed)
    for made in streamed:
        target = tmp_path / "one.html"
        made.write(target)
        assert target.read_bytes() == made.make() == (sample_config.out / made.path).read_bytes()


def test_a_streamed_page_of_many_empty_pieces_is_written_whole(write_wiki: WriteWiki) -> None:
    """A template's output comes in pieces, written a few thousand at a time; a run of
    empty ones (an empty date, a blank badge) does not end the page."""
    from kg.build import build

    config = write_wiki({"a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n"})
    (config.root / "templates").mkdir()
    (config.root / "templates" / "timeline.html").write_text(
        '{% for i in range(9000) %}{{ "" }}{% endfor %}middle'
        "{% for i in range(5000) %}{{ i }},{% endfor %}end", encoding="utf-8")
    build(config)
    written = (config.out / "timeline.html").read_text(encoding="utf-8")
    assert written.startswith("middle0,1,2,") and written.endswith("4999,end")
    timeline = Site(load_wiki(config), config).timeline()
    assert timeline.write is not None and timeline.make() == written.encode("utf-8")


def test_a_template_error_in_a_streamed_page_leaves_the_site_as_it_was(
        write_wiki: WriteWiki) -> None:
    from kg.build import build
    from kg.errors import KgError

    config = write_wiki({"a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n"})
    build(config)
    before = (config.out / "timeline.html").read_bytes()
    (config.root / "templates").mkdir()
    template = config.root / "templates" / "timeline.html"
    # fails after thousands of pieces: some of the page was written when it fails
    template.write_text("{% for i in range(9000) %}{{ i }}{% endfor %}{{ months.nothing() }}",
                        encoding="utf-8")
    with pytest.raises(KgError, match=r"template timeline\.html failed on timeline\.html"):
        build(config)
    assert (config.out / "timeline.html").read_bytes() == before
    assert not list(config.out.parent.glob(f".{config.out.name}.tmp-*"))  # none left behind
    template.write_text("{% for i in range(9000) %}{{ i }}{% endfor %}", encoding="utf-8")
    build(config)
    assert (config.out / "timeline.html").read_text(encoding="utf-8").endswith("89988999")


def test_the_local_graph_s_caption_counts_placeholders_apart_from_notes(
        write_wiki: WriteWiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\n---\n[[b]], [[ghost]] and [[other ghost]]\n",
                         "b.md": "---\ntitle: B\n---\nx\n"})
    outputs = render(config)
    caption = page(outputs, "notes/a.html").select_one("p.graph-caption").text
    assert caption.startswith("1 other note and 2 not written yet within two links"), caption
    caption = page(outputs, "notes/ghost.html").select_one("p.graph-caption").text
    assert caption.startswith("2 other notes and 1 not written yet within two links"), caption


def test_a_hub_s_local_graph_says_it_shows_the_nearest_notes_only(write_wiki: WriteWiki) -> None:
    notes = {f"n{i:02d}.md": f"---\ntitle: N{i}\n---\nSee [[hub]].\n"
             for i in range(LOCAL_LIMIT + 5)}
    config = write_wiki({**notes, "hub.md": "---\ntitle: Hub\n---\nx\n",
                         "leaf.md": "---\ntitle: Leaf\n---\nSee [[hub]].\n"})
    outputs = render(config)
    hub = page(outputs, "notes/hub.html").select_one("p.graph-caption").text
    assert hub.startswith(f"The {LOCAL_LIMIT - 1} nearest of the notes within two links")
    exactly = write_wiki({**{f"m{i:02d}.md": f"---\ntitle: M{i}\n---\nSee [[hub2]].\n"
                             for i in range(LOCAL_LIMIT - 1)},
                          "hub2.md": "---\ntitle: Hub2\n---\nx\n"})
    caption = page(render(exactly), "notes/hub2.html").select_one("p.graph-caption").text
    assert caption.startswith(f"{LOCAL_LIMIT - 1} other notes within two links")  # all shown
    few = write_wiki({"a.md": "---\ntitle: A\n---\n[[b]]\n", "b.md": "---\ntitle: B\n---\nx\n"})
    caption = page(render(few), "notes/a.html").select_one("p.graph-caption").text
    assert caption.startswith("1 other note within two links")


def test_note_lists_are_the_jinja_loop_they_replace(write_wiki: WriteWiki,
                                                    tmp_path: Path) -> None:
    """A list of notes (a tag's, a tier's page) is written by one Python snippet for the
    whole list; a wiki whose ``macros.html`` has the loop of ``note_item`` it replaced gets
    the same bytes."""
    files = {f"n{i}.md": f"---\ntitle: N{i} <&>\ndate: 2024-01-1{i}\ntier: 1\ntags: [t]\n"
             f"---\n## TL;DR\nSummary {i} & more.\n" for i in range(4)}
    config = write_wiki(files)
    ours = render(config)
    macros = (Path(__file__).parent.parent / "templates" / "macros.html").read_text(
        encoding="utf-8")
    loop = macros.replace("{{ note_items(notes, summary) }}</ul>",
                          "{% for note in notes %}\n  {{ note_item(note, summary) }}\n"
                          "{% endfor %}\n</ul>")
    assert loop != macros
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "macros.html").write_text(loop, encoding="utf-8")
    theirs = render(config)
    assert theirs["tags/t.html"] == ours["tags/t.html"]
    assert theirs["tiers/1.html"] == ours["tiers/1.html"]
    assert page({"t": ours["tags/t.html"]}, "t").texts("ul.note-list li a.note-link") == [
        "N3 <&>", "N2 <&>", "N1 <&>", "N0 <&>"]
