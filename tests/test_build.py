"""`kg build` of the sample wiki and of small fixture wikis, read back through the HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from kg.build import build, load_wiki
from kg.errors import BuildFailed, ConfigError, KgError

# -- helpers ----------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def link_row(page, area: str, href: str):
    """The connection-view row (``li``) in ``area`` (e.g. ``.outgoing``) linking to ``href``,
    and the relation group around it."""
    links = [a for a in page.select(f"{area} a") if a.attrs.get("href") == href]
    assert len(links) == 1, f"expected one link to {href} in {area}, found {len(links)}"
    link = links[0]
    row = next(el for el in link.ancestors() if el.tag == "li")
    group = next(el for el in link.ancestors() if "rel-group" in el.classes)
    return link, row, group


def group_heading(group) -> str:
    """The relation label heading a group (a count shown beside it in <small> left out)."""
    heading = next(el for el in group.iter() if el.tag in ("h2", "h3", "h4", "h5"))
    parts = [c if isinstance(c, str) else c.text for c in heading.children
             if isinstance(c, str) or c.tag != "small"]
    return " ".join(" ".join(parts).split())


# -- the sample wiki: connection views --------------------------------------------------------


@pytest.fixture(scope="module")
def sample_wiki():
    from kg.config import load_config

    return load_wiki(load_config(Path(__file__).resolve().parent.parent))


def test_import_ai_455_shows_defense_trilemma_under_its_relation(sample_site, read_html,
                                                                  sample_wiki) -> None:
    page = read_html(sample_site / "notes/import-ai-455.html")
    link, row, group = link_row(page, ".outgoing", "defense-trilemma.html")
    assert group_heading(group) == "Counterpoint to"
    assert group.attrs.get("data-relation") == "counterpoint"
    assert link.text == "Defense Trilemma + NP-hard reward hacking"
    (edge,) = [e for e in sample_wiki.outgoing("import-ai-455")
               if e.target == "defense-trilemma" and e.relation is not None]
    annotation = row.select_one(".annotation").text
    assert annotation == " ".join(edge.annotation.split())
    assert "adversarial" in annotation


def test_every_outgoing_connection_of_import_ai_455_is_shown(sample_site, read_html) -> None:
    page = read_html(sample_site / "notes/import-ai-455.html")
    expected = {
        "defense-trilemma.html": "Counterpoint to",
        "ahe.html": "Related to",
        "anthropic-automated-alignment-researcher.html": "Cites as evidence",
        "openai-symphony.html": "Related to",
        "posttrainbench.html": "Cites",
    }
    for href, heading in expected.items():
        _, row, group = link_row(page, ".outgoing", href)
        assert group_heading(group) == heading, href
        assert row.select(".annotation"), f"{href} has no annotation"


def test_defense_trilemma_shows_import_ai_455_as_incoming(sample_site, read_html) -> None:
    page = read_html(sample_site / "notes/defense-trilemma.html")
    link, row, group = link_row(page, ".incoming", "import-ai-455.html")
    assert group_heading(group) == "Countered by"
    assert link.text.startswith("Import AI 455")
    assert "adversarial mirror image" in row.select_one(".annotation").text


def test_mentions_carry_their_sentence_and_placeholders_are_marked(sample_site,
                                                                   read_html) -> None:
    page = read_html(sample_site / "notes/import-ai-455.html")
    mentions = page.select_one(".mentions-out")
    tip = [a for a in mentions.select("a") if a.attrs.get("href") == "tip.html"]
    assert tip and "ghost" in tip[0].classes
    row = next(el for el in tip[0].ancestors() if el.tag == "li")
    assert "operational targets" in row.select_one(".context").text
    real = [a for a in mentions.select("a") if a.attrs.get("href") == "ahe.html"]
    assert real and "ghost" not in real[0].classes


def test_note_page_metadata_and_body(sample_site, read_html) -> None:
    page = read_html(sample_site / "notes/import-ai-455.html")
    assert page.select_one("h1").text.startswith("Import AI 455")
    meta = page.select_one("dl.meta").text
    for fact in ("Research direction", "2026-05-04", "Jack Clark", "Import AI",
                 "raw/rss/2026-05-04-import-ai-455"):
        assert fact in meta
    body = page.select_one(".body").text
    assert "SWE-Bench" in body and "93.9%" in body
    (script,) = page.select("script[type=application/ld+json]")
    data = json.loads(script.text)
    assert data["@id"] == "https://example.org/kg/note/import-ai-455"
    assert data["author"] == [{"@type": "Person", "name": "Jack Clark",
                               "@id": "https://example.org/kg/person/jack-clark"}]


def test_question_tracker_lists_the_four_open_questions(sample_site, read_html) -> None:
    page = read_html(sample_site / "questions.html")
    rows = [r for r in page.select("tr.question")
            if any(urlsplit(a.attrs.get("href", "")).path == "notes/import-ai-455.html"
                   for a in r.select("a"))]
    texts = [r.select_one(".qtext").text for r in rows]
    starts = ("Would Clark's 60%", 'What counts as "automated AI R&D"',
              "Does creativity scale like engineering",
              'How much weight does the "machine economy"')
    assert len(texts) == 4
    for start in starts:
        assert sum(t.startswith(start) for t in texts) == 1, start
    for row in rows:
        assert row.attrs["data-status"] == "open"
        assert "Tier 1" in row.text and "2026-05-04" in row.text
        assert "import-ai-455#q-" in row.text


def test_placeholder_pages_exist_and_say_not_written(sample_site, read_html, sample_wiki) -> None:
    assert {"tip", "longact", "cvs", "safety-drift"} <= set(sample_wiki.placeholders)
    for nid in sample_wiki.placeholders:
        path = sample_site / f"notes/{nid}.html"
        assert path.is_file(), nid
    page = read_html(sample_site / "notes/tip.html")
    assert "placeholder" in page.select_one("article").classes
    assert "not written yet" in page.text.lower()
    assert any(a.attrs.get("href") == "import-ai-455.html" for a in page.select(".connections a"))


def test_index_lists_every_note(sample_site, read_html, sample_wiki) -> None:
    page = read_html(sample_site / "index.html")
    hrefs = {a.attrs.get("href") for a in page.select("a")}
    assert {f"notes/{nid}.html" for nid in sample_wiki.notes} <= hrefs


# -- the sample wiki: a self-contained site ---------------------------------------------------


def all_pages(site: Path) -> list[Path]:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    return pages


def test_every_link_is_relative_and_resolves(sample_site, read_html) -> None:
    """Every page can be read from the disk; the 404 page alone links from the root (a host
    serves it at whatever address was missing), to files that are there."""
    checked = 0
    for path in all_pages(sample_site):
        page = read_html(path)
        if path.name == "404.html" and path.parent == sample_site:
            for el in page.iter():
                url = el.attrs.get("href") or el.attrs.get("src") or ""
                if url.startswith("/"):
                    assert (sample_site / unquote(urlsplit(url).path).lstrip("/")).is_file(), url
            continue
        ids = {el.attrs["id"] for el in page.iter() if "id" in el.attrs}
        for el in page.iter():
            for attr in ("href", "src"):
                url = el.attrs.get(attr)
                if url is None:
                    continue
                where = f"{path.relative_to(sample_site)}: {attr}={url!r}"
                assert not url.startswith(("/", "\\", "file:")), where
                parts = urlsplit(url)
                if parts.scheme:
                    assert parts.scheme in ("http", "https", "mailto"), where
                    assert "example.org/kg" not in url, where  # the site never links itself
                    continue
                if not parts.path:
                    assert parts.fragment in ids, where
                    continue
                target = (path.parent / unquote(parts.path)).resolve()
                assert target.is_relative_to(sample_site.resolve()), where
                assert target.is_file(), where
                # fragments into note pages must exist; other pages (the graph) route them in JS
                if parts.fragment and target.parent.name == "notes":
                    target_ids = {e.attrs["id"] for e in read_html(target).iter()
                                  if "id" in e.attrs}
                    assert parts.fragment in target_ids, where
                checked += 1
    assert checked > 100


def test_no_cdn_scripts_or_styles(sample_site) -> None:
    for path in all_pages(sample_site):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', text), path


def test_ids_are_unique_on_every_page(sample_site, read_html) -> None:
    for path in all_pages(sample_site):
        ids = [el.attrs["id"] for el in read_html(path).iter() if "id" in el.attrs]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        assert not dupes, f"{path.relative_to(sample_site)}: {dupes}"


def test_graph_ttl_parses_with_two_parsers_and_equals_the_graph(sample_site, sample_config,
                                                                 sample_wiki) -> None:
    import pyoxigraph
    import rdflib
    from rdflib.parser import Parser
    from rdflib.plugins.parsers.notation3 import TurtleParser

    from kg.rdf import build_graph

    def norm(term):
        if isinstance(term, rdflib.Literal) and term.datatype == rdflib.XSD.string:
            return rdflib.Literal(str(term))  # RDF 1.1: "x" and "x"^^xsd:string are one term
        return term

    def from_ox(term):
        if isinstance(term, pyoxigraph.NamedNode):
            return rdflib.URIRef(term.value)
        if isinstance(term, pyoxigraph.Literal):
            dt = term.datatype.value
            if term.language:
                return rdflib.Literal(term.value, lang=term.language)
            if dt == str(rdflib.XSD.string):
                return rdflib.Literal(term.value)
            return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt))
        raise AssertionError(f"unexpected term {term!r}")  # no blank nodes in kg graphs

    memory = {tuple(norm(t) for t in triple) for triple in build_graph(sample_wiki, sample_config)}
    assert len(memory) > 300

    ttl = (sample_site / "graph.ttl").read_bytes()
    assert rdflib.plugin.get("turtle", Parser) is TurtleParser  # rdflib's own parser
    by_rdflib = rdflib.Graph().parse(data=ttl, format="turtle")
    assert {tuple(norm(t) for t in triple) for triple in by_rdflib} == memory

    by_oxigraph = {
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
        for q in pyoxigraph.parse(ttl, format=pyoxigraph.RdfFormat.TURTLE)
    }
    assert by_oxigraph == memory

    jsonld = (sample_site / "graph.jsonld").read_bytes()
    from_jsonld = {
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
        for q in pyoxigraph.parse(jsonld, format=pyoxigraph.RdfFormat.JSON_LD)
    }
    assert from_jsonld == memory


def test_graph_ttl_holds_the_counterpoint_citation(sample_site) -> None:
    import rdflib

    g = rdflib.Graph().parse(sample_site / "graph.ttl", format="turtle")
    note = rdflib.URIRef("https://example.org/kg/note/")
    a, b = rdflib.URIRef(note + "import-ai-455"), rdflib.URIRef(note + "defense-trilemma")
    cito = rdflib.Namespace("http://purl.org/spar/cito/")
    assert (a, cito.disagreesWith, b) in g
    c = rdflib.URIRef(note + "import-ai-455#c-counterpoint-defense-trilemma")
    assert (c, rdflib.RDF.type, cito.Citation) in g
    assert "adversarial" in str(g.value(c, rdflib.RDFS.comment))


def test_vocabulary_is_shipped_and_parses(sample_site) -> None:
    import rdflib

    g = rdflib.Graph().parse(sample_site / "vocab.ttl", format="turtle")
    kg = rdflib.Namespace("https://w3id.org/kg-wiki/vocab#")
    owl = rdflib.Namespace("http://www.w3.org/2002/07/owl#")
    for cls in ("Note", "Placeholder", "ResearchAngle", "Forecast"):
        assert (kg[cls], rdflib.RDF.type, owl.Class) in g, cls
    assert (kg.exampleOf, rdflib.RDF.type, rdflib.RDF.Property) in g


def test_vocabulary_labels_and_explains_every_kg_term_the_graph_uses(sample_site) -> None:
    import rdflib

    vocab = rdflib.Graph().parse(sample_site / "vocab.ttl", format="turtle")
    graph = rdflib.Graph().parse(sample_site / "graph.ttl", format="turtle")
    kg = "https://w3id.org/kg-wiki/vocab#"
    used = {t for triple in graph for t in triple if str(t).startswith(kg)}
    assert rdflib.URIRef(kg + "Open") in used
    for term in used:
        assert vocab.value(term, rdflib.RDFS.label) is not None, term
        assert vocab.value(term, rdflib.RDFS.comment) is not None, term


def test_build_is_deterministic(sample_site, sample_config) -> None:
    again = build(sample_config)
    assert again.out != sample_site
    assert snapshot(again.out) == snapshot(sample_site)


# -- small fixture wikis: summary, failures, safety -------------------------------------------

GOOD = {
    "a.md": "---\ntitle: A\ndate: 2026-01-01\ntier: 1\nconnections:\n  - {to: b, rel: supports,"
            " note: why}\n  - ghost\n---\n## TL;DR\nSee [[b]].\n\n## Open questions\n- One?\n"
            "- Two?\n",
    "b.md": "---\ntitle: B\n---\nPlain.\n",
}


def test_summary_line_has_the_counts(write_wiki) -> None:
    result = build(write_wiki(GOOD))
    line = result.summary()
    assert "\n" not in line
    for words in ("2 notes", "2 connections", "1 mention,", "1 placeholder,", "2 questions"):
        assert words in line, line
    assert re.search(r"in \d+\.\d+s", line)
    assert (result.notes, result.connections, result.mentions, result.placeholders,
            result.questions) == (2, 2, 1, 1, 2)
    assert (result.out / "notes/ghost.html").is_file()


def test_progress_counts_one_note_in_the_singular(write_wiki) -> None:
    said: list[str] = []
    build(write_wiki({"a.md": "---\ntitle: A\n---\nText.\n"}), progress=said.append)
    assert "1 note read; rendering the pages that changed" in said, said


@pytest.mark.parametrize("first", [True, False])
def test_a_note_removed_while_the_wiki_is_read_is_no_note_and_no_error(
        write_wiki, monkeypatch: pytest.MonkeyPatch, first: bool) -> None:
    """A file listed, then removed before it is read (a ``git checkout``, a sync, a save
    while ``kg serve`` builds): the wiki as read has no such note, as if listed a moment
    later; the build had failed on it, "cannot read the file: No such file or directory".
    In a first build its file is read where it is parsed; later, by the build's process."""
    import kg.parse

    config = write_wiki({"a.md": "---\ntitle: A\n---\nSee [[b]].\n",
                         "b.md": "---\ntitle: B\n---\nText.\n"})
    if not first:
        build(config)
        (config.wiki / "a.md").write_text("---\ntitle: A\n---\nSee [[b]] again.\n")
        (config.wiki / "b.md").write_text("---\ntitle: B\n---\nText, edited.\n")
    read = kg.parse.read_note

    def removed_first(path: Path, *, file: str) -> bytes:
        if file == "b.md":
            path.unlink()
        return read(path, file=file)

    monkeypatch.setattr(kg.parse, "read_note", removed_first)
    result = build(config)
    assert (result.notes, result.placeholders) == (1, 1)
    assert "not written yet" in (config.out / "notes/b.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    assert build(config).notes == 1  # and the next build agrees


def test_a_saved_query_that_fills_memory_as_the_build_runs_it_is_stopped(
        write_wiki, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """A shared wiki's query joining VALUES with VALUES takes memory without bound as it runs
    (a gigabyte every eight seconds, until query_seconds): the build's child that runs it may
    take RUN_MEMORY more than the build holds; its page says so, and the build goes on."""
    from dataclasses import replace

    import kg.saved

    monkeypatch.setattr(kg.saved, "RUN_MEMORY", 256 << 20)
    values = " ".join(str(n) for n in range(2000))
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nx\n",
        "queries/mem.rq": '# mem\nSELECT (GROUP_CONCAT(CONCAT(STR(?a), "' + "x" * 80
                          + '", STR(?b))) AS ?g) WHERE { VALUES ?a { ' + values
                          + " } VALUES ?b { " + values + " } VALUES ?c { " + values + " } }\n",
        "queries/fine.rq": "# fine\nSELECT ?n WHERE { ?n a ?t } LIMIT 1\n"})
    capfd.readouterr()
    result = build(replace(config, query_seconds=60))
    assert result.notes == 1
    page = (config.out / "queries/mem.html").read_text(encoding="utf-8")
    assert "Oxigraph needed more than 256 MiB to answer it" in page
    assert "needed more" not in (config.out / "queries/fine.html").read_text(encoding="utf-8")
    assert "alloc" not in capfd.readouterr().err  # Rust's backtrace: not shown


BAD_NOTE = "---\ntitle: Bad\nconnections:\n  - to: a\n    rel: counterpiont\n---\n"


def test_bad_note_fails_and_writes_nothing(write_wiki, tmp_path) -> None:
    config = write_wiki({**GOOD, "sub/bad.md": BAD_NOTE})
    with pytest.raises(BuildFailed) as info:
        build(config)
    text = str(info.value)
    assert "sub/bad.md:5" in text and "counterpiont" in text and "counterpoint" in text
    assert not config.out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.toml", "wiki"]


def test_bad_note_leaves_the_previous_site_untouched(write_wiki, tmp_path) -> None:
    config = write_wiki(GOOD)
    build(config)
    before = snapshot(config.out)
    write_wiki({"b.md": "---\ntitle: B\ndate: 2026-01-01\nkey: 1\nkey: 2\n---\nChanged.\n"})
    with pytest.raises(BuildFailed) as info:
        build(config)
    assert "b.md:5" in str(info.value) and "lines 4 and 5" in str(info.value)
    assert snapshot(config.out) == before
    # no temp folder left behind (.kg/ is the query cache the first build filled)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".kg", "kg.toml", "site", "wiki"]


def test_every_bad_note_is_reported_at_once(write_wiki) -> None:
    config = write_wiki({**GOOD, "x.md": "---\ntitle: [\n---\n", "y.md": BAD_NOTE})
    with pytest.raises(BuildFailed) as info:
        build(config)
    files = sorted(str(f.where.file) for f in info.value.findings if f.where)
    assert files == ["x.md", "y.md"]


def test_a_bad_note_and_an_ambiguous_link_are_reported_together(write_wiki) -> None:
    """Not the ambiguous link only once the bad note is fixed: every error at once."""
    config = write_wiki({"x.md": "---\ntitle: [\n---\n", "one.md": "---\ntitle: Same\n---\n",
                         "two.md": "---\ntitle: same\n---\n",
                         "c.md": "---\ntitle: C\n---\nA link to [[Same]].\n"})
    with pytest.raises(BuildFailed) as info:
        build(config)
    assert sorted((f.code, str(f.where)) for f in info.value.findings) == [
        ("ambiguous-target", "c.md:4"), ("bad-note", "x.md:2")]  # where the [ opened
    assert "2 notes have errors" in str(info.value)


def test_ambiguous_link_fails_the_build_with_file_and_line(write_wiki) -> None:
    config = write_wiki({
        "one.md": "---\ntitle: Same\n---\n",
        "two.md": "---\ntitle: same\n---\n",
        "c.md": "---\ntitle: C\n---\nA link to [[Same]].\n",
    })
    with pytest.raises(KgError) as info:
        build(config)
    assert "c.md:4" in str(info.value) and "one, two" in str(info.value)
    assert not config.out.exists()


def test_rebuild_replaces_the_site(write_wiki) -> None:
    config = write_wiki(GOOD)
    build(config)
    write_wiki({"c.md": "---\ntitle: C\n---\nNew.\n"})
    (config.wiki / "b.md").unlink()
    build(config)
    assert (config.out / "notes/c.html").is_file()
    assert (config.out / "notes/b.html").is_file()  # b is now a placeholder (a links to it)
    assert "Not written yet" in (config.out / "notes/b.html").read_text(encoding="utf-8")


def test_refuses_an_output_folder_it_did_not_make(write_wiki, tmp_path) -> None:
    config = write_wiki(GOOD)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError):
        build(config.with_options(out=foreign))
    assert (foreign / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]


@pytest.mark.parametrize("full", [False, True])
def test_files_put_into_the_site_by_hand_are_never_lost(write_wiki, tmp_path, full) -> None:
    """A build replaces the site folder whole: one that would lose a file kg did not write
    (a CNAME, a .git folder) refuses, naming them, and leaves the site as it was."""
    config = write_wiki(GOOD)
    build(config)
    (config.out / "CNAME").write_text("wiki.example.org\n")
    (config.out / ".git").mkdir()
    (config.out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    before = sorted(p.relative_to(config.out).as_posix() for p in config.out.rglob("*"))
    write_wiki({"c.md": "---\ntitle: C\n---\nNew.\n"})
    with pytest.raises(ConfigError, match=r"did not write: \.git/HEAD, CNAME") as err:
        build(config, full=full)
    assert "static" in (err.value.hint or "")
    assert sorted(p.relative_to(config.out).as_posix() for p in config.out.rglob("*")) == before
    assert (config.out / "CNAME").read_text() == "wiki.example.org\n"
    (config.out / "CNAME").unlink()
    import shutil

    shutil.rmtree(config.out / ".git")
    assert build(config).files > 0 and (config.out / "notes/c.html").is_file()


def test_the_site_lists_its_files_so_the_guard_needs_no_cache(write_wiki, tmp_path) -> None:
    """The marker in the site lists every file its build wrote: with the manifest beside the
    cache gone (a fresh clone, a cleared cache), a hand-made file is still found; a file
    manager's litter is not precious, a symlinked folder is."""
    import shutil

    config = write_wiki(GOOD)
    build(config)
    shutil.rmtree(tmp_path / ".kg")
    (config.out / ".DS_Store").write_bytes(b"\0")
    (config.out / "notes" / "Thumbs.db").write_bytes(b"\0")
    assert build(config).files > 0  # litter only: replaced
    (config.out / "CNAME").write_text("wiki.example.org\n")
    (config.out / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    shutil.rmtree(tmp_path / ".kg")
    with pytest.raises(ConfigError, match="did not write: CNAME, elsewhere"):
        build(config, full=True)
    assert (config.out / "CNAME").is_file()


def test_the_site_of_another_wiki_beside_it_is_not_replaced(tmp_path: Path) -> None:
    """Two vaults side by side, each built with `kg build --wiki VAULT` (no kg.toml): both
    sites go to the folder beside them, ../site, and the second build had replaced the
    first wiki's site without a word. It refuses now, naming that wiki; once that wiki is
    gone (a vault renamed), its old site is replaced."""
    import shutil

    from click.testing import CliRunner, Result

    from kg.cli import main

    for name in ("vault-a", "vault-b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.md").write_text(f"# {name}\nText.\n", encoding="utf-8")

    def kg(vault: str) -> Result:
        return CliRunner().invoke(main, ["build", "--wiki", str(tmp_path / vault), "--quiet"])

    assert kg("vault-a").exit_code == 0
    refused = kg("vault-b")
    assert refused.exit_code == 1
    assert (f"holds the site of another wiki, {tmp_path / 'vault-a'}; this build would "
            "replace it") in refused.stderr
    assert "--out" in refused.stderr
    assert (tmp_path / "site" / "notes" / "vault-a.html").is_file()
    assert kg("vault-a").exit_code == 0  # its own site: built again
    shutil.move(tmp_path / "vault-a", tmp_path / "renamed")
    assert kg("vault-b").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "site" / "notes").iterdir()) == ["vault-b.html"]


def test_static_files_that_cannot_be_published_are_errors(write_wiki, tmp_path) -> None:
    config = write_wiki(GOOD, base_url="https://example.net/")  # a site with a sitemap
    static = tmp_path / "static"
    static.mkdir()
    (static / "sitemap.xml").write_text("<mine/>")
    with pytest.raises(ConfigError, match=r"sitemap\.xml"):
        build(config)
    (static / "sitemap.xml").unlink()
    (static / "a\\b.txt").write_text("x")
    with pytest.raises(ConfigError, match="cannot be published"):
        build(config)
    (static / "a\\b.txt").unlink()
    (tmp_path / "kg.toml").unlink()  # without a kg.toml, static/ is not the wiki's
    (static / "app.js").write_text("x")
    build(config)
    assert not (config.out / "app.js").exists()


def test_static_files_are_published_with_every_build(write_wiki, tmp_path) -> None:
    config = write_wiki(GOOD, base_url="https://example.net/")  # a site with a sitemap
    static = tmp_path / "static"
    (static / "docs").mkdir(parents=True)
    (static / "CNAME").write_text("wiki.example.org\n")
    (static / ".nojekyll").write_text("")
    (static / "docs" / "about.html").write_text("<p>About</p>")
    build(config)
    assert (config.out / "CNAME").read_text() == "wiki.example.org\n"
    assert (config.out / ".nojekyll").is_file()
    assert "docs/about.html" in (config.out / "sitemap.xml").read_text()
    (static / "CNAME").write_text("kg.example.org\n")  # a change to static/ is a change
    assert build(config).rendered >= 1
    assert (config.out / "CNAME").read_text() == "kg.example.org\n"
    (static / "index.html").write_text("mine")
    with pytest.raises(ConfigError, match=r"index\.html"):
        build(config)
    assert "mine" not in (config.out / "index.html").read_text()


def test_editors_scratch_files_in_static_are_not_published(write_wiki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = write_wiki(GOOD)
    static = tmp_path / "static"
    (static / ".well-known").mkdir(parents=True)
    for name in ("robots.txt", ".nojekyll", ".well-known/security.txt", ".robots.txt.swp",
                 "robots.txt~", "#robots.txt#", ".#robots.txt", "4913", ".DS_Store",
                 "robots.txt___jb_tmp___"):
        (static / name).write_text("x")
    build(config)
    published = sorted(p.relative_to(config.out).as_posix() for p in config.out.rglob("*")
                       if p.is_file() and p.relative_to(config.out).parts[0] not in
                       ("assets", "notes", "tags", "tiers", "data", "queries"))
    assert {"robots.txt", ".nojekyll", ".well-known/security.txt"} <= set(published)
    assert not {".robots.txt.swp", "robots.txt~", "#robots.txt#", ".#robots.txt", "4913",
                ".DS_Store", "robots.txt___jb_tmp___"} & set(published)


@pytest.mark.parametrize("where", ["wiki", "wiki/site", "."])
def test_refuses_an_output_folder_overlapping_the_wiki(write_wiki, tmp_path, where) -> None:
    config = write_wiki(GOOD)
    with pytest.raises(ConfigError, match="overlaps"):
        build(config.with_options(out=tmp_path / where))


@pytest.mark.parametrize("where", ["static/site", "static", "templates/site", "mytpl/out"])
def test_refuses_an_output_folder_in_the_folders_a_build_reads(write_wiki, tmp_path,
                                                               where) -> None:
    """static/ is copied into every build and the templates are read by it: a site built
    in static/ held a copy of itself, one deeper on every build (and ``kg serve``, which
    watches static/, built it again and again without end); one in a templates folder
    changed what the next build reads, so every build started another."""
    (tmp_path / "mytpl").mkdir()
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\ntemplates = "mytpl"\n',
                                      encoding="utf-8")
    config = write_wiki(GOOD)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    with pytest.raises(ConfigError, match=r"copied into every build|templates are read from"):
        build(config.with_options(out=tmp_path / where))
    assert not (tmp_path / where / "index.html").exists()


@pytest.mark.parametrize(("template", "said"), [
    ('{% extends "base.html" %}{% block main %}{{ 1 / 0 }}{% endblock %}',
     "ZeroDivisionError: division by zero"),
    ('{% extends "note.html" %}', "RecursionError"),
    ('{{ "%d" % note.title }}', "TypeError: %d format"),
])
def test_a_wiki_s_own_template_that_fails_is_an_error_naming_it(write_wiki, tmp_path, template,
                                                                 said) -> None:
    """An expression's Python error (a division by zero, a template extending itself) had
    ended the build with a traceback."""
    from kg.errors import TemplateError

    config = write_wiki(GOOD)
    build(config)
    before = snapshot(config.out)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.html").write_text(template, encoding="utf-8")
    with pytest.raises(TemplateError, match=rf"template note.html failed on notes/\w+\.html: "
                                            rf"{re.escape(said)}") as caught:
        build(config)
    assert "remove it to use the theme's" in (caught.value.hint or "")
    assert snapshot(config.out) == before


def test_a_wiki_s_own_template_that_is_not_utf8_is_an_error_not_the_theme_s(
        write_wiki, tmp_path) -> None:
    """A page template of the wiki's own that did not decode (saved in Latin-1), or could not
    be read, was left out without a word: the site was built with the theme's instead."""
    from kg.errors import TemplateError

    config = write_wiki(GOOD)
    build(config)
    before = snapshot(config.out)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.html").write_bytes(
        b'{% extends "base.html" %}{% block main %}Caf\xe9{% endblock %}')
    with pytest.raises(TemplateError) as caught:
        build(config)
    assert str(caught.value) == (
        f"{tmp_path / 'templates' / 'note.html'}: template note.html is not UTF-8: byte 0xE9 "
        "at offset 44\n  hint: save it as UTF-8, or remove it to use the theme's")
    assert snapshot(config.out) == before


def test_a_python_error_under_kg_s_own_theme_is_kg_s_with_its_traceback(
        write_wiki, monkeypatch) -> None:
    """Without templates of the wiki's own, a Python error while rendering is kg's bug: it
    is not told as a template to fix or remove (there is none), and keeps its traceback."""
    import kg.site
    from kg.errors import TemplateError

    config = write_wiki(GOOD)

    def broken(text: str) -> str:
        raise TypeError("kg's own bug")

    monkeypatch.setattr(kg.site, "isolate", broken)
    with pytest.raises(TypeError, match="kg's own bug") as caught:
        build(config, full=True)
    assert not isinstance(caught.value, TemplateError)


SMALL = {
    **GOOD,
    "later.md": "---\ntitle: Later\ndate: 2026-02-01\nanswers: [a#q-one]\n---\n",
    "x.md": '---\ntitle: "<script>alert(1)</script>"\nconnections:\n  - to: y\n    note: '
            '"<img src=x onerror=alert(1)>"\n---\n<script>alert(2)</script>\n\n'
            "[click](javascript:alert(3))\n",
    "y.md": "---\ntitle: Y\n---\n",
    "f.md": "---\ntitle: F\nforecasts:\n  - {claim: X, p: 57%, by: 2030-01-01}\n"
            "  - {claim: Y, p: 0.29, by: 2031-01-01}\n---\n",
}


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    """SMALL built once for the page tests below (each build compiles every template)."""
    from kg.config import load_config

    root = tmp_path_factory.mktemp("small")
    for rel, text in SMALL.items():
        (root / "wiki" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "wiki" / rel).write_text(text, encoding="utf-8")
    return build(load_config(root).with_options(wiki=root / "wiki", out=root / "site")).out


def test_note_html_is_escaped(small_site, read_html) -> None:
    for name in ("x", "y"):
        text = (small_site / f"notes/{name}.html").read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text
        assert 'href="javascript' not in text.replace(" ", "")
    page = read_html(small_site / "notes/y.html")
    assert "<img src=x onerror=alert(1)>" in page.select_one(".incoming .annotation").text
    assert read_html(small_site / "notes/x.html").select_one("h1").text == (
        "<script>alert(1)</script>")


def test_answered_question_shows_its_answer(small_site, read_html) -> None:
    page = read_html(small_site / "questions.html")
    rows = {r.select_one(".qtext").text.split(" a#")[0]: r for r in page.select("tr.question")}
    assert rows["One?"].attrs["data-status"] == "answered"
    assert any(urlsplit(a.attrs.get("href", "")).path == "notes/later.html"
               for a in rows["One?"].select("a"))
    assert rows["Two?"].attrs["data-status"] == "open"


def test_forecast_percent_is_shown_as_written(small_site, read_html) -> None:
    table = read_html(small_site / "notes/f.html").select_one("table.forecasts")
    cells = [row.select("td")[1].text for row in table.select("tbody tr")]
    assert cells == ["57%", "29%"]
