"""The RDF projection of a :class:`~kg.model.Wiki`, with standard vocabularies.

Triples are written as N-Triples lines, note by note (so ``kg push`` can send one named graph
per note), then loaded into an Oxigraph store in one bulk call: building rdflib terms one at a
time costs ~20x more at 10,000 notes. :func:`as_rdflib` gives the same store to Python code as
an rdflib ``Graph`` (through oxrdflib), and the exports are written by Oxigraph's serializers.

Each connection exists twice: the direct CiTO triple, and a ``cito:Citation`` node with the
stable IRI ``<note>#c-<relation>-<target>`` carrying the annotation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kg.config import Config
from kg.ids import slugify
from kg.model import Edge, EdgeKind, Note, QuestionStatus, Wiki
from kg.relations import CITO, KG_VOCAB, MENTION_IRI

if TYPE_CHECKING:
    import pyoxigraph
    import rdflib

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
KG = KG_VOCAB

PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "skos": SKOS,
    "prov": PROV,
    "cito": CITO,
    "kg": KG,
}

TYPE_CLASSES = {
    "paper": "ScholarlyArticle",
    "article": "ScholarlyArticle",
    "post": "BlogPosting",
    "blog": "BlogPosting",
    "benchmark": "Dataset",
    "dataset": "Dataset",
    "book": "Book",
    "person": "Person",
    "org": "Organization",
    "organization": "Organization",
    "software": "SoftwareApplication",
    "system": "SoftwareApplication",
}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def iri(text: str) -> str:
    """An IRI reference in N-Triples form; characters IRIs forbid are percent-encoded.

    A ``%`` that starts no valid escape is itself encoded, and so are brackets outside an
    IPv6 host, so no text can make an IRI that Oxigraph refuses to parse.
    """
    text = _BAD_PERCENT.sub("%25", text)
    scheme, sep, rest = text.partition("://")
    if sep:
        host_end = len(rest) if "/" not in rest else rest.index("/")
        authority, path = rest[:host_end], rest[host_end:]
        if not re.fullmatch(r"[^\[\]]*|[^\[\]]*\[[0-9A-Fa-f:.]+\](:\d+)?", authority):
            authority = authority.replace("[", "%5B").replace("]", "%5D")
        text = f"{scheme}{sep}{authority}{path.replace('[', '%5B').replace(']', '%5D')}"
    else:
        text = text.replace("[", "%5B").replace("]", "%5D")
    return "<" + quote(text, safe=":/?#@!$&'()*+,;=%-._~[]") + ">"


def lit(text: str, datatype: str | None = None) -> str:
    body = '"' + _escape(text) + '"'
    return f"{body}^^<{datatype}>" if datatype else body


def date_lit(value: dt.date) -> str:
    return lit(value.isoformat(), XSD + "date")


class Iris:
    """The IRIs of one wiki's resources, from its ``base_iri``."""

    def __init__(self, base: str) -> None:
        self.base = base

    def note(self, nid: str) -> str:
        return f"{self.base}note/{nid}"

    def item(self, item_id: str) -> str:
        nid, _, frag = item_id.partition("#")
        return f"{self.note(nid)}#{frag}"

    def tag(self, tag: str) -> str:
        return f"{self.base}tag/{quote(tag, safe='/-._~')}"

    def tier(self, tier: int) -> str:
        return f"{self.base}tier/{tier}"

    def person(self, name: str) -> str:
        return f"{self.base}person/{slugify(name)}"

    def raw(self, path: str) -> str:
        return f"{self.base}raw/{path}"

    def citation(self, edge: Edge) -> str:
        assert edge.relation is not None
        return f"{self.note(edge.source)}#c-{edge.relation.name}-{edge.target}"

    @property
    def tags(self) -> str:
        return f"{self.base}tags"

    @property
    def tiers(self) -> str:
        return f"{self.base}tiers"


def note_lines(note: Note, edges: Iterable[Edge], iris: Iris) -> Iterator[str]:
    """The triples one note asserts, as N-Triples lines (its named graph in ``kg push``)."""
    s = iri(iris.note(note.id))
    yield f"{s} <{RDF}type> <{KG}Note> ."
    yield f"{s} <{RDF}type> <{SCHEMA}{TYPE_CLASSES.get(note.type, 'CreativeWork')}> ."
    yield f"{s} <{DCTERMS}identifier> {lit(note.id)} ."
    yield f"{s} <{DCTERMS}title> {lit(note.title)} ."
    yield f"{s} <{SCHEMA}name> {lit(note.title)} ."
    yield f"{s} <{KG}noteType> {lit(note.type)} ."
    yield f"{s} <{KG}sourceFile> {lit(note.path)} ."
    if note.summary:
        yield f"{s} <{SCHEMA}abstract> {lit(note.summary)} ."
    if note.date:
        yield f"{s} <{DCTERMS}date> {date_lit(note.date)} ."
        yield f"{s} <{SCHEMA}datePublished> {date_lit(note.date)} ."
    if note.tier is not None:
        yield f"{s} <{KG}tier> {iri(iris.tier(note.tier))} ."
    for alias in note.aliases:
        yield f"{s} <{SKOS}altLabel> {lit(alias)} ."
    for tag in note.tags:
        yield f"{s} <{DCTERMS}subject> {iri(iris.tag(tag))} ."
    for author in note.authors:
        person = iri(iris.person(author))
        yield f"{s} <{SCHEMA}author> {person} ."
        yield f"{person} <{RDF}type> <{SCHEMA}Person> ."
        yield f"{person} <{SCHEMA}name> {lit(author)} ."
    yield from _provenance(note, s, iris)
    mention_count = 0
    for edge in edges:
        if edge.kind is EdgeKind.MENTION:
            mention_count += 1
            yield from _mention_lines(edge, mention_count, iris)
        else:
            yield from _edge_lines(edge, iris)
    for q in note.questions:
        qi = iri(iris.item(q.id))
        yield f"{qi} <{RDF}type> <{SCHEMA}Question> ."
        yield f"{qi} <{SCHEMA}text> {lit(q.text)} ."
        yield f"{qi} <{SCHEMA}isPartOf> {s} ."
        yield f"{qi} <{DCTERMS}identifier> {lit(q.id)} ."
        yield f"{qi} <{KG}sourceLine> {lit(str(q.line), XSD + 'integer')} ."
        yield f"{s} <{KG}asks> {qi} ."
    for a in note.angles:
        ai = iri(iris.item(a.id))
        yield f"{ai} <{RDF}type> <{KG}ResearchAngle> ."
        yield f"{ai} <{RDFS}label> {lit(a.title)} ."
        if a.text:
            yield f"{ai} <{SCHEMA}text> {lit(a.text)} ."
        yield f"{ai} <{SCHEMA}position> {lit(str(a.number), XSD + 'integer')} ."
        yield f"{ai} <{SCHEMA}isPartOf> {s} ."
    for f in note.forecasts:
        fi = iri(iris.item(f.id))
        yield f"{fi} <{RDF}type> <{KG}Forecast> ."
        yield f"{fi} <{SCHEMA}text> {lit(f.claim)} ."
        yield f"{fi} <{KG}probability> {lit(repr(f.p), XSD + 'decimal')} ."
        yield f"{fi} <{KG}resolveBy> {date_lit(f.by)} ."
        yield f"{fi} <{SCHEMA}isPartOf> {s} ."
        if f.source:
            yield f"{fi} <{KG}forecaster> {lit(f.source)} ."
        if f.resolved is not None:
            yield f"{fi} <{KG}resolvedTrue> {lit(str(f.resolved).lower(), XSD + 'boolean')} ."
        if f.resolved_by:
            yield f"{fi} <{KG}resolvedBy> {iri(iris.note(slugify(f.resolved_by)))} ."
    for answer in note.answers:
        yield f"{s} <{KG}answers> {iri(iris.item(answer.question))} ."


def _provenance(note: Note, s: str, iris: Iris) -> Iterator[str]:
    src = note.source
    if src and src.url:
        entity = iri(src.url)
        yield f"{s} <{PROV}wasDerivedFrom> {entity} ."
        yield f"{s} <{DCTERMS}source> {entity} ."
        yield f"{entity} <{RDF}type> <{PROV}Entity> ."
        if src.title:
            yield f"{entity} <{SCHEMA}name> {lit(src.title)} ."
        if src.publisher:
            yield f"{entity} <{SCHEMA}publisher> {lit(src.publisher)} ."
    elif src and (src.title or src.publisher):
        yield f"{s} <{SCHEMA}isBasedOn> {lit(src.title or src.publisher or '')} ."
    if note.raw:
        raw = iri(iris.raw(note.raw))
        yield f"{s} <{PROV}wasDerivedFrom> {raw} ."
        yield f"{raw} <{RDF}type> <{PROV}Entity> ."
        yield f"{raw} <{KG}rawPath> {lit(note.raw)} ."


def _mention_lines(edge: Edge, position: int, iris: Iris) -> Iterator[str]:
    """``<a> kg:mentions <b>``, and a ``kg:Mention`` node with the sentence around the link,
    its line and its place among the note's links, so a store answers as the records do."""
    s, o = iri(iris.note(edge.source)), iri(iris.note(edge.target))
    yield f"{s} <{MENTION_IRI}> {o} ."
    m = iri(f"{iris.note(edge.source)}#m-{position}")
    yield f"{m} <{RDF}type> <{KG}Mention> ."
    yield f"{m} <{KG}mentionIn> {s} ."
    yield f"{m} <{KG}mentionOf> {o} ."
    yield f"{m} <{SCHEMA}position> {lit(str(position), XSD + 'integer')} ."
    yield f"{m} <{KG}sourceLine> {lit(str(edge.line), XSD + 'integer')} ."
    if edge.annotation:
        yield f"{m} <{RDFS}comment> {lit(edge.annotation)} ."


def _edge_lines(edge: Edge, iris: Iris) -> Iterator[str]:
    s, o = iri(iris.note(edge.source)), iri(iris.note(edge.target))
    assert edge.relation is not None
    yield f"{s} <{edge.relation.iri}> {o} ."
    c = iri(iris.citation(edge))
    yield f"{c} <{RDF}type> <{CITO}Citation> ."
    yield f"{c} <{CITO}hasCitingEntity> {s} ."
    yield f"{c} <{CITO}hasCitedEntity> {o} ."
    yield f"{c} <{CITO}hasCitationCharacterization> <{edge.relation.iri}> ."
    yield f"{c} <{KG}relation> {lit(edge.relation.name)} ."
    if edge.annotation:
        yield f"{c} <{RDFS}comment> {lit(edge.annotation)} ."
    yield f"{c} <{KG}sourceLine> {lit(str(edge.line), XSD + 'integer')} ."


def wiki_lines(wiki: Wiki, config: Config) -> Iterator[str]:
    """Wiki-level facts: concept schemes, tiers, tags, placeholders, question status."""
    iris = Iris(config.base_iri)
    tiers, tags = iri(iris.tiers), iri(iris.tags)
    yield f"{tiers} <{RDF}type> <{SKOS}ConceptScheme> ."
    yield f"{tiers} <{SKOS}prefLabel> {lit('Tiers')} ."
    for number, label in config.tiers.items():
        t = iri(iris.tier(number))
        yield f"{t} <{RDF}type> <{SKOS}Concept> ."
        yield f"{t} <{SKOS}inScheme> {tiers} ."
        yield f"{t} <{SKOS}prefLabel> {lit(label)} ."
        yield f"{t} <{SKOS}notation> {lit(str(number))} ."
    yield f"{tags} <{RDF}type> <{SKOS}ConceptScheme> ."
    yield f"{tags} <{SKOS}prefLabel> {lit('Tags')} ."
    for tag in sorted({t for n in wiki.notes.values() for t in n.tags}):
        t = iri(iris.tag(tag))
        yield f"{t} <{RDF}type> <{SKOS}Concept> ."
        yield f"{t} <{SKOS}inScheme> {tags} ."
        yield f"{t} <{SKOS}prefLabel> {lit(tag)} ."
        if "/" in tag:
            yield f"{t} <{SKOS}broader> {iri(iris.tag(tag.rsplit('/', 1)[0]))} ."
    for ph in wiki.placeholders.values():
        p = iri(iris.note(ph.id))
        yield f"{p} <{RDF}type> <{KG}Placeholder> ."
        yield f"{p} <{RDFS}label> {lit(ph.label)} ."
        yield f"{p} <{DCTERMS}identifier> {lit(ph.id)} ."
    for tq in wiki.questions:
        qi = iri(iris.item(tq.question.id))
        yield f"{qi} <{KG}status> <{KG}{_STATUS[tq.status]}> ."
        for by in tq.answered_by:
            yield f"{qi} <{KG}answeredBy> {iri(iris.note(by))} ."


_STATUS = {
    QuestionStatus.OPEN: "Open",
    QuestionStatus.ANSWERED: "Answered",
    QuestionStatus.DROPPED: "Dropped",
}


def ntriples(wiki: Wiki, config: Config) -> str:
    """The whole graph as sorted, de-duplicated N-Triples: the canonical, diffable form."""
    iris = Iris(config.base_iri)
    by_source: dict[str, list[Edge]] = {}
    for edge in wiki.edges:
        by_source.setdefault(edge.source, []).append(edge)
    lines: set[str] = set(wiki_lines(wiki, config))
    for note in wiki.notes.values():
        lines.update(note_lines(note, by_source.get(note.id, ()), iris))
    return "".join(line + "\n" for line in sorted(lines))


def to_store(nt: str) -> pyoxigraph.Store:
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def as_rdflib(store: pyoxigraph.Store) -> rdflib.Graph:
    """The store as an rdflib ``Graph`` (no copy): rdflib's API on Oxigraph's engine."""
    import rdflib
    from oxrdflib import OxigraphStore
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    _plain_strings_from_oxigraph()
    graph = rdflib.Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def _plain_strings_from_oxigraph() -> None:
    """Make oxrdflib hand back ``"x"`` as rdflib's plain ``Literal("x")``.

    RDF 1.1 says a plain literal *is* an ``xsd:string``, and Oxigraph stores it so; oxrdflib
    returns ``Literal("x", datatype=XSD.string)``, which rdflib 7 holds unequal to
    ``Literal("x")``, so ``g.value(s, p) == Literal(title)`` and graph comparison with a
    parsed Turtle file fail. oxrdflib converts in one module-level function; we wrap it once.
    """
    import oxrdflib.store as ox_store
    import pyoxigraph
    import rdflib

    original = getattr(ox_store, "from_ox")  # noqa: B009 - not in the module's __all__
    if getattr(original, "_kg_plain_strings", False):
        return
    xsd_string = XSD + "string"

    def from_ox(term: Any) -> Any:
        if isinstance(term, pyoxigraph.Literal) and not term.language \
                and term.datatype.value == xsd_string:
            return rdflib.Literal(term.value)
        return original(term)

    from_ox._kg_plain_strings = True  # type: ignore[attr-defined]
    setattr(ox_store, "from_ox", from_ox)  # noqa: B010


def build_graph(wiki: Wiki, config: Config) -> rdflib.Graph:
    """The wiki's knowledge graph as an rdflib ``Graph``."""
    return as_rdflib(to_store(ntriples(wiki, config)))


def serialize_file(source: Path | str, fmt: str, target: Path) -> None:
    """:func:`serialize` of an N-Triples file (or text) to a file, streamed: a 10,000-note
    graph is a hundred megabytes and more in each format."""
    import pyoxigraph

    formats = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
    if isinstance(source, str):
        quads = pyoxigraph.parse(input=source, format=pyoxigraph.RdfFormat.N_TRIPLES)
    else:
        quads = pyoxigraph.parse(path=source, format=pyoxigraph.RdfFormat.N_TRIPLES)
    pyoxigraph.serialize(quads, target, format=formats[fmt],
                         prefixes=PREFIXES if fmt == "ttl" else None)


def serialize(nt: str, fmt: str) -> bytes:
    """Turtle, JSON-LD or N-Triples of the sorted N-Triples ``nt``, deterministic bytes."""
    import pyoxigraph

    if fmt == "nt":
        return nt.encode("utf-8")
    formats = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
    quads = pyoxigraph.parse(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    prefixes = PREFIXES if fmt == "ttl" else None
    out = pyoxigraph.serialize(quads, format=formats[fmt], prefixes=prefixes)
    assert out is not None
    return bytes(out)
