"""Property tests: random wikis never crash the build, and connections are never lost.

- Any bytes, and any front-matter made of YAML's sharp edges, either build or stop with a
  :class:`~kg.errors.KgError` (a message with a file and line), never another exception.
- In a random wiki of valid notes, every front-matter connection appears in both notes'
  connection views, in the NetworkX graph and in the RDF, and the RDF exports (Turtle,
  JSON-LD) parse back to the same graph as the N-Triples.
"""

from __future__ import annotations

import json
import posixpath
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from kg.build import build, load_wiki
from kg.config import Config
from kg.errors import KgError
from kg.network import build_network
from kg.relations import RELATIONS

# Modest example counts keep the suite fast; database=None leaves no .hypothesis/ behind.
SETTINGS = settings(max_examples=20, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NOTE_IDS = ("alpha", "beta", "gamma", "delta")
GHOST_IDS = ("ghost-one", "ghost-two")
RELATION_NAMES = tuple(r.name for r in RELATIONS)
IRI_OF = {r.name: r.iri for r in RELATIONS}

text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
    max_size=30,
)


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Link:
    target: str
    relation: str
    annotation: str
    short: bool


links = st.builds(
    Link,
    target=st.sampled_from(NOTE_IDS + GHOST_IDS),
    relation=st.sampled_from(RELATION_NAMES),
    annotation=text,
    short=st.booleans(),
)


@dataclass(frozen=True)
class RandomNote:
    id: str
    title: str
    tags: list[str]
    links: list[Link]
    body: str
    questions: list[str]

    def source(self) -> str:
        lines = ["---", f"title: {yaml_text(self.title)}"]
        if self.tags:
            lines.append(f"tags: [{', '.join(yaml_text(t) for t in self.tags)}]")
        if self.links:
            lines.append("connections:")
        for link in self.links:
            if link.short:
                lines.append(f"  - {link.target}")
            else:
                lines += [f"  - to: {link.target}", f"    rel: {link.relation}",
                          f"    note: {yaml_text(link.annotation)}"]
        lines += ["---", self.body.replace("[[", "[ ["), ""]
        if self.questions:
            lines += ["## Open questions", *(f"- {q}?" for q in self.questions)]
        return "\n".join(lines) + "\n"


@st.composite
def wikis(draw: st.DrawFn) -> list[RandomNote]:
    ids = draw(st.lists(st.sampled_from(NOTE_IDS), min_size=1, max_size=4, unique=True))
    return [
        RandomNote(
            id=nid,
            title=draw(text),
            tags=draw(st.lists(text, max_size=3)),
            links=draw(st.lists(links, max_size=4)),
            body=draw(text),
            questions=draw(st.lists(text.filter(lambda t: t.strip() != ""), max_size=2)),
        )
        for nid in ids
    ]


def config_for(root: Path) -> Config:
    return Config(root=root, wiki=root / "wiki", out=root / "site")


def write(root: Path, files: dict[str, bytes]) -> Config:
    (root / "wiki").mkdir()
    for name, data in files.items():
        (root / "wiki" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "wiki" / name).write_bytes(data)
    return config_for(root)


class ConnectionItems(HTMLParser):
    """The rows of a page's connection view: (direction, other note's page, row text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, str, str]] = []
        self._row: list[str] | None = None
        self._direction = ""
        self._href = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self._row is not None:
            if tag == "li":
                self._depth += 1
            if tag == "a" and not self._href:
                self._href = found.get("href") or ""
            return
        if tag == "li" and found.get("data-kind") == "connection":
            self._row, self._direction, self._href, self._depth = [], \
                found.get("data-direction") or "", "", 1

    def handle_endtag(self, tag: str) -> None:
        if self._row is not None and tag == "li":
            self._depth -= 1
            if self._depth == 0:
                page = posixpath.basename(self._href.split("#")[0])
                self.rows.append((self._direction, page, " ".join("".join(self._row).split())))
                self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.append(data)


def connection_rows(page: Path) -> list[tuple[str, str, str]]:
    parser = ConnectionItems()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.rows


# --------------------------------------------------------------------------------------------


@settings(SETTINGS, max_examples=10)
@given(wiki=wikis())
def test_every_connection_is_in_both_views_the_network_and_the_rdf(
    wiki: list[RandomNote],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = write(root, {f"{n.id}.md": n.source().encode("utf-8") for n in wiki})
        build(config)
        network = build_network(load_wiki(config))
        nt = rdflib.Graph().parse(data=(config.out / "graph.nt").read_text("utf-8"),
                                  format="nt")
        pages = {p.stem: connection_rows(p) for p in (config.out / "notes").glob("*.html")}
        for note in wiki:
            for link in note.links:
                relation = "related" if link.short else link.relation
                annotation = "" if link.short else " ".join(link.annotation.split())
                out_rows = [r for r in pages[note.id]
                            if r[0] == "out" and r[1] == f"{link.target}.html"]
                in_rows = [r for r in pages[link.target]
                           if r[0] == "in" and r[1] == f"{note.id}.html"]
                assert out_rows, (note.id, link)
                assert in_rows, (note.id, link)
                assert any(annotation in r[2] for r in out_rows), (out_rows, annotation)
                assert any(annotation in r[2] for r in in_rows), (in_rows, annotation)
                assert network.has_edge(note.id, link.target, key=relation)
                triple = (rdflib.URIRef(f"{config.base_iri}note/{note.id}"),
                          rdflib.URIRef(IRI_OF[relation]),
                          rdflib.URIRef(f"{config.base_iri}note/{link.target}"))
                assert triple in nt, triple
        turtle = rdflib.Graph().parse(data=(config.out / "graph.ttl").read_text("utf-8"),
                                      format="turtle")
        assert isomorphic(nt, turtle)
        jsonld = rdflib.Graph().parse(data=(config.out / "graph.jsonld").read_text("utf-8"),
                                      format="json-ld")
        assert isomorphic(nt, jsonld)


def only_kg_errors(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = write(Path(folder), files)
        try:
            build(config)
        except KgError as err:
            assert str(err)
            located = err.findings or (err.as_finding(),)
            assert all(f.where is not None and f.where.file for f in located), str(err)
            assert not config.out.exists()


@SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes_build_or_fail_with_a_kg_error(data: bytes) -> None:
    only_kg_errors({"note.md": data, "other.md": b"---\ntitle: Other\n---\n[[note]]\n"})


@SETTINGS
@given(body=st.text(max_size=300))
def test_any_text_builds_or_fails_with_a_kg_error(body: str) -> None:
    only_kg_errors({"note.md": body.encode("utf-8", "surrogatepass")})


BODY_PIECES = st.sampled_from([
    "%%", "<!--", "-->", "![[", "[[", "]]", "[[#", "#^", "|", "](", ")", "[", "]", ".md",
    "../", "sub/", "alpha", "beta", "Beta", "<", ">", "`", "```", "~~~", "\n", "\n\n",
    "    ", "- ", "1. ", "## ", "[r]: ", "<script>", "javascript:", "%20", "#", " ", "(",
    "![[pic.png]]", "![[beta]]", "[B](beta.md)", "[A](../alpha.md#Part)", "[[#Part]]",
    "pic.png", "![p](pic.png)", "[d](../doc.pdf)", "[[doc.pdf]]", "|300", "![[pic.png|",
])


class Hrefs(HTMLParser):
    """Every href and src of a page, and whether it holds a script of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":  # the page's own: assets, and its JSON data islands
            self.scripts.append(found.get("src") or found.get("type") or "inline")
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")
        if tag == "img" and found.get("src"):
            self.links.append(found["src"] or "")


@SETTINGS
@given(body=st.lists(st.one_of(BODY_PIECES, text), max_size=40).map("".join))
def test_any_links_comments_and_embeds_build_and_lead_to_pages_that_exist(body: str) -> None:
    """Bodies of wikilinks, embeds, Markdown links, comments and code in any order build
    (or fail with a KgError), and every link the note's page makes to a page of the site
    leads to a file the build wrote."""
    files = {"sub/note.md": f"---\ntitle: Note\n---\n{body}\n\n## Part\n".encode(),
             "alpha.md": b"---\ntitle: Alpha\n---\n## Part\nText.\n",
             "sub/beta.md": b"---\ntitle: Beta\n---\nText.\n",
             "sub/pic.png": b"\x89PNG\r\n\x1a\n", "doc.pdf": b"%PDF-1.4\n"}
    with tempfile.TemporaryDirectory() as folder:
        config = write(Path(folder), files)
        try:
            build(config)
        except KgError as err:
            assert err.findings or err.as_finding().where is not None, str(err)
            return
        parser = Hrefs()
        parser.feed((config.out / "notes" / "note.html").read_text(encoding="utf-8"))
        assert all(src.startswith("../assets/") or src in ("application/json",
                                                            "application/ld+json")
                   for src in parser.scripts), parser.scripts
        for href in parser.links:
            target = href.split("#", 1)[0]
            if target.startswith("../files/"):  # an attachment: copied into the site
                assert (config.out / unquote(target[3:])).is_file(), href
                continue
            if not target or "://" in target or target.startswith(("mailto:", "../")):
                continue
            if target.endswith(".html"):
                assert (config.out / "notes" / target).is_file(), href


YAML_PIECES = st.sampled_from([
    "title:", "tags:", "aliases:", "connections:", "source:", "raw:", "date:", "tier:",
    "forecasts:", "answers:", "to:", "rel:", "note:", "url:", "claim:", "p:", "by:",
    "- ", "  ", "    ", "[", "]", "{", "}", ",", ":", ": ", "&a ", "*a", "!!str ", "!x ",
    "<<: ", '"', "'", "|", ">", "#", "? ", "%YAML 1.1", "~", "null", "NO", "012", "1:20",
    "2026-05-04", "0.6", "60%", "supports", "javascript:alert(1)", "https://example.org/",
    "../x", "\\u0000", "\t", "alpha", "[[alpha]]", "---", "...", "%", "%zz", "[::1",
    "alpha#q-", "https://[", "<script>", "\\e", "\\x85",
])


@st.composite
def front_matters(draw: st.DrawFn) -> str:
    lines = draw(st.lists(
        st.lists(st.one_of(YAML_PIECES, text), min_size=1, max_size=6).map("".join),
        max_size=8,
    ))
    closed = draw(st.booleans())
    return "---\n" + "\n".join(lines) + ("\n---\n" if closed else "\n") + "Body [[alpha]].\n"


@SETTINGS
@given(front=front_matters())
def test_any_front_matter_builds_or_fails_with_a_kg_error(front: str) -> None:
    only_kg_errors({"note.md": front.encode("utf-8"),
                    "alpha.md": b"---\ntitle: Alpha\n---\nBody.\n"})


@pytest.mark.parametrize("raw", ["\x00", "\ufeff---\r\ntitle: x\r\n---\r\n", "---\r---\r"])
def test_edge_files_build_or_fail_with_a_kg_error(raw: str) -> None:
    only_kg_errors({"note.md": raw.encode("utf-8")})


URL_PIECES = st.sampled_from([
    "https://", "http://", "ht\ttps://", "example.org", "a", "@", ":", "8", "[", "]", "::1",
    "/", "?", "#", "%", "%41", " ", "\t", "\n", "\u00a0", "\u2028", "é", '"', "<", "{", "|",
])


@settings(max_examples=3000, deadline=None, database=None)
@given(url=st.lists(URL_PIECES, max_size=10).map("".join))
def test_every_source_url_kg_accepts_is_an_iri_oxigraph_reads(url: str) -> None:
    """A note's source URL becomes an IRI of the graph; one the check let through that no IRI
    holds (``https://[::1]x/``, two '@', a tab in the scheme) stopped the build with a
    traceback as it wrote graph.nt."""
    import pyoxigraph

    from kg.rdf import iri
    from kg.urls import check_url

    url = url.strip()
    if check_url(url, relative_ok=False) is None:
        line = f"{iri(url)} <https://example.org/p> <https://example.org/o> .\n"
        assert list(pyoxigraph.parse(line.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES))
