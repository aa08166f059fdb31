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
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from kg.config import Config
from kg.ids import NoteId, slugify
from kg.model import (
    Edge,
    EdgeKind,
    Note,
    Placeholder,
    QuestionStatus,
    Source,
    TrackedQuestion,
    Wiki,
)
from kg.relations import CITO, KG_VOCAB, MENTION_IRI
from kg.resolve import forecast_resolvers

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
_PLAIN_AUTHORITY = re.compile(r"[^\[\]]*|[^\[\]]*\[[0-9A-Fa-f:.]+\](:\d+)?")
_IRI_SAFE = ":/?#@!$&'()*+,;=%-._~[]"
# A character that quote(text, safe=_IRI_SAFE) would encode (anything but ASCII letters, digits
# and the safe list), or one of "%[]", which iri() may rewrite before quoting. Text without any
# is its own IRI; nearly every IRI of a wiki (note, tag, tier, item IRIs) is such text.
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9:/?#@!$&'()*+,;=\-._~]")


def iri(text: str) -> str:
    """An IRI reference in N-Triples form; characters IRIs forbid are percent-encoded.

    A ``%`` that starts no valid escape is itself encoded, and so are brackets outside an
    IPv6 host, and every ``#`` after the first, so no text can make an IRI that Oxigraph
    refuses to parse. Text that needs none of this is taken as it is: a 10,000-note graph
    makes a third of a million IRIs.
    """
    if _NOT_PLAIN.search(text) is None and text.count("#") < 2:
        return "<" + text + ">"
    return _encoded_iri(text)


def _encoded_iri(text: str) -> str:
    """:func:`iri` of any text: the general path (the tests hold the fast path to it)."""
    text = _BAD_PERCENT.sub("%25", text)
    scheme, sep, rest = text.partition("://")
    if sep:
        host_end = len(rest) if "/" not in rest else rest.index("/")
        authority, path = rest[:host_end], rest[host_end:]
        if not _PLAIN_AUTHORITY.fullmatch(authority):
            authority = authority.replace("[", "%5B").replace("]", "%5D")
        text = f"{scheme}{sep}{authority}{path.replace('[', '%5B').replace(']', '%5D')}"
    else:
        text = text.replace("[", "%5B").replace("]", "%5D")
    before, hash_mark, fragment = text.partition("#")  # one "#" begins the fragment; others
    text = before + hash_mark + fragment.replace("#", "%23")  # are not allowed in an IRI
    return "<" + quote(text, safe=_IRI_SAFE) + ">"


def lit(text: str, datatype: str | None = None) -> str:
    """A literal in N-Triples form, escaped only when it holds a character that needs it."""
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = _escape(text)
    return f'"{text}"^^<{datatype}>' if datatype else '"' + text + '"'


def date_lit(value: dt.date) -> str:
    return lit(value.isoformat(), XSD + "date")


def decimal_lit(value: float) -> str:
    """An ``xsd:decimal`` of ``value``, in the digits that type allows: ``repr`` writes
    0.00001 as ``1e-05``, an exponent no decimal may have (Oxigraph compares it with no
    number, so ``FILTER(?p < 0.5)`` drops it)."""
    text = format(Decimal(repr(value)), "f")
    return lit(text if "." in text else text + ".0", XSD + "decimal")


def integer_lit(value: int) -> str:
    """``lit(str(value), XSD + "integer")`` without the escaping: digits need none."""
    return f'"{value}"^^<{XSD}integer>'


class Iris:
    """The IRIs of one wiki's resources, from its ``base_iri``."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._note_refs: dict[str, str] = {}

    def note(self, nid: str) -> str:
        return f"{self.base}note/{nid}"

    def note_ref(self, nid: str) -> str:
        """``iri(self.note(nid))``, remembered: a note's IRI recurs in every connection,
        mention, item and citation naming it (a third of a million times at 10,000 notes)."""
        ref = self._note_refs.get(nid)
        if ref is None:
            ref = self._note_refs[nid] = iri(self.note(nid))
        return ref

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
        """The raw file's IRI: a ``#``, ``?`` or ``%`` of its path is a character of the
        name, not a fragment, a query or an escape (``raw/a#1.txt`` is no part of ``raw/a``)."""
        return self.base + "raw/" + quote(path, safe="/!$&'()*+,;=:@-._~")

    def citation(self, edge: Edge) -> str:
        assert edge.relation is not None
        return f"{self.note(edge.source)}#c-{edge.relation.name}-{edge.target}"

    @property
    def tags(self) -> str:
        return f"{self.base}tags"

    @property
    def tiers(self) -> str:
        return f"{self.base}tiers"


def note_lines(note: Note, edges: Iterable[Edge], iris: Iris,
               resolvers: Mapping[str, NoteId]) -> Iterator[str]:
    """The triples one note asserts, as N-Triples lines (its named graph in ``kg push``)."""
    return iter(own_lines(note, edges, iris, resolvers) + shared_lines(note, iris))


def own_lines(note: Note, edges: Iterable[Edge], iris: Iris,
              resolvers: Mapping[str, NoteId]) -> list[str]:
    """The triples of a note about the note and its parts: every subject is the note's IRI or
    the note's IRI and a ``#fragment``, so no other note asserts them (:mod:`kg.splice`
    relies on it). ``resolvers``: the note each forecast's ``resolved_by`` names
    (:func:`kg.resolve.forecast_resolvers`). The helpers below build lists:
    :func:`ntriples` gathers a million lines, and extending lists costs less than resuming
    nested generators."""
    s = iris.note_ref(note.id)
    lines = _description(note, s, iris)
    lines += _provenance(note, s, iris)
    mention_count = 0
    for edge in edges:
        if edge.kind is EdgeKind.MENTION:
            mention_count += 1
            lines += _mention_lines(edge, mention_count, iris)
        else:
            lines += _edge_lines(edge, iris)
    lines += _question_lines(note, s, iris)
    lines += _angle_lines(note, s, iris)
    lines += _forecast_lines(note, s, iris, resolvers)
    for answer in note.answers:
        lines.append(f"{s} <{KG}answers> {iri(iris.item(answer.question))} .")
    return lines


def _description(note: Note, s: str, iris: Iris) -> list[str]:
    """The note's own fields: type, identifiers, title, date, tier, aliases, tags, authors."""
    title = lit(note.title)
    lines = [
        f"{s} <{RDF}type> <{KG}Note> .",
        f"{s} <{RDF}type> <{SCHEMA}{TYPE_CLASSES.get(note.type, 'CreativeWork')}> .",
        f"{s} <{DCTERMS}identifier> {lit(note.id)} .",
        *([f"{s} <{DCTERMS}identifier> {lit(note.frontmatter_id)} ."]
          if note.frontmatter_id is not None else []),  # the id: another tool gave it
        f"{s} <{DCTERMS}title> {title} .",
        f"{s} <{SCHEMA}name> {title} .",
        f"{s} <{KG}noteType> {lit(note.type)} .",
        f"{s} <{KG}sourceFile> {lit(note.path)} .",
    ]
    if note.summary:
        lines.append(f"{s} <{SCHEMA}abstract> {lit(note.summary)} .")
    if note.date:
        date = date_lit(note.date)
        lines += [f"{s} <{DCTERMS}date> {date} .", f"{s} <{SCHEMA}datePublished> {date} ."]
    if note.modified:
        modified = date_lit(note.modified)
        lines += [f"{s} <{DCTERMS}modified> {modified} .",
                  f"{s} <{SCHEMA}dateModified> {modified} ."]
    if note.tier is not None:
        lines.append(f"{s} <{KG}tier> {iri(iris.tier(note.tier))} .")
    lines += [f"{s} <{SKOS}altLabel> {lit(alias)} ." for alias in note.aliases]
    lines += [f"{s} <{DCTERMS}subject> {iri(iris.tag(tag))} ." for tag in note.tags]
    lines += [f"{s} <{SCHEMA}author> {iri(iris.person(author))} ." for author in note.authors]
    return lines


def shared_lines(note: Note, iris: Iris) -> list[str]:
    """The triples a note asserts about things other notes may name too: its authors, its
    source and its raw file, each with its type and name."""
    lines = []
    for author in note.authors:
        lines += person_lines(author, iris)
    if note.source and note.source.url:
        lines += source_lines(note.source)
    if note.raw:
        lines += raw_lines(note.raw, iris)
    return lines


def person_lines(author: str, iris: Iris) -> list[str]:
    person = iri(iris.person(author))
    return [f"{person} <{RDF}type> <{SCHEMA}Person> .", f"{person} <{SCHEMA}name> {lit(author)} ."]


def source_lines(src: Source) -> list[str]:
    """A source with a URL, as the entity a note was derived from."""
    assert src.url
    entity = iri(src.url)
    lines = [f"{entity} <{RDF}type> <{PROV}Entity> .",
             f"{entity} <{RDF}type> <{SCHEMA}CreativeWork> ."]
    if src.title:
        lines.append(f"{entity} <{SCHEMA}name> {lit(src.title)} .")
    if src.publisher:
        lines.append(f"{entity} <{SCHEMA}publisher> {lit(src.publisher)} .")
    return lines


def raw_lines(raw: str, iris: Iris) -> list[str]:
    entity = iri(iris.raw(raw))
    return [f"{entity} <{RDF}type> <{PROV}Entity> .", f"{entity} <{KG}rawPath> {lit(raw)} ."]


def _provenance(note: Note, s: str, iris: Iris) -> list[str]:
    lines = []
    src = note.source
    if src and src.url:
        entity = iri(src.url)
        lines += [f"{s} <{PROV}wasDerivedFrom> {entity} .", f"{s} <{DCTERMS}source> {entity} .",
                  f"{s} <{SCHEMA}isBasedOn> {entity} ."]  # as a source without a URL is
    elif src and (src.title or src.publisher):
        lines.append(f"{s} <{SCHEMA}isBasedOn> {lit(src.title or src.publisher or '')} .")
    if note.raw:
        lines.append(f"{s} <{PROV}wasDerivedFrom> {iri(iris.raw(note.raw))} .")
    return lines


def _mention_lines(edge: Edge, position: int, iris: Iris) -> list[str]:
    """``<a> kg:mentions <b>``, and a ``kg:Mention`` node with the sentence around the link,
    its line and its place among the note's links, so a store answers as the records do."""
    s, o = iris.note_ref(edge.source), iris.note_ref(edge.target)
    m = iri(f"{iris.note(edge.source)}#m-{position}")
    lines = [
        f"{s} <{MENTION_IRI}> {o} .",
        f"{m} <{RDF}type> <{KG}Mention> .",
        f"{m} <{KG}mentionIn> {s} .",
        f"{m} <{KG}mentionOf> {o} .",
        f"{m} <{SCHEMA}position> {integer_lit(position)} .",
        f"{m} <{KG}sourceLine> {integer_lit(edge.line)} .",
    ]
    if edge.annotation:
        lines.append(f"{m} <{RDFS}comment> {lit(edge.annotation)} .")
    return lines


def _edge_lines(edge: Edge, iris: Iris) -> list[str]:
    """The direct CiTO triple, and the ``cito:Citation`` node that carries its annotation."""
    s, o = iris.note_ref(edge.source), iris.note_ref(edge.target)
    assert edge.relation is not None
    relation = f"<{edge.relation.iri}>"
    c = iri(iris.citation(edge))
    lines = [
        f"{s} {relation} {o} .",
        f"{c} <{RDF}type> <{CITO}Citation> .",
        f"{c} <{CITO}hasCitingEntity> {s} .",
        f"{c} <{CITO}hasCitedEntity> {o} .",
        f"{c} <{CITO}hasCitationCharacterization> {relation} .",
        f"{c} <{KG}relation> {lit(edge.relation.name)} .",
    ]
    if edge.annotation:
        lines.append(f"{c} <{RDFS}comment> {lit(edge.annotation)} .")
    lines.append(f"{c} <{KG}sourceLine> {integer_lit(edge.line)} .")
    return lines


def _question_lines(note: Note, s: str, iris: Iris) -> list[str]:
    lines = []
    for q in note.questions:
        qi = iri(iris.item(q.id))
        lines += [
            f"{qi} <{RDF}type> <{SCHEMA}Question> .",
            f"{qi} <{SCHEMA}text> {lit(q.text)} .",
            f"{qi} <{SCHEMA}isPartOf> {s} .",
            f"{qi} <{DCTERMS}identifier> {lit(q.id)} .",
            f"{qi} <{KG}sourceLine> {integer_lit(q.line)} .",
            f"{s} <{KG}asks> {qi} .",
        ]
    return lines


def _angle_lines(note: Note, s: str, iris: Iris) -> list[str]:
    lines = []
    for a in note.angles:
        ai = iri(iris.item(a.id))
        lines += [f"{ai} <{RDF}type> <{KG}ResearchAngle> .", f"{ai} <{RDFS}label> {lit(a.title)} ."]
        if a.text:
            lines.append(f"{ai} <{SCHEMA}text> {lit(a.text)} .")
        lines += [
            f"{ai} <{SCHEMA}position> {integer_lit(a.number)} .",
            f"{ai} <{SCHEMA}isPartOf> {s} .",
        ]
    return lines


def _forecast_lines(note: Note, s: str, iris: Iris,
                    resolvers: Mapping[str, NoteId]) -> list[str]:
    lines = []
    for f in note.forecasts:
        fi = iri(iris.item(f.id))
        lines += [
            f"{fi} <{RDF}type> <{KG}Forecast> .",
            f"{fi} <{SCHEMA}text> {lit(f.claim)} .",
            f"{fi} <{KG}probability> {decimal_lit(f.p)} .",
            f"{fi} <{KG}resolveBy> {date_lit(f.by)} .",
            f"{fi} <{SCHEMA}isPartOf> {s} .",
        ]
        if f.source:
            lines.append(f"{fi} <{KG}forecaster> {lit(f.source)} .")
        if f.resolved is not None:
            resolved = lit(str(f.resolved).lower(), XSD + "boolean")
            lines.append(f"{fi} <{KG}resolvedTrue> {resolved} .")
        if f.resolved_by:
            # the note the forecasts page links, not the slug of the name as written
            lines.append(f"{fi} <{KG}resolvedBy> {iris.note_ref(resolvers[f.resolved_by])} .")
    return lines


def wiki_lines(wiki: Wiki, config: Config) -> Iterator[str]:
    """Wiki-level facts: concept schemes, tiers, tags, placeholders, question status."""
    yield from concept_lines(Iris(config.base_iri), config.tiers,
                             {t for n in wiki.notes.values() for t in n.tags},
                             wiki.placeholders.values(), wiki.questions)


def concept_lines(iris: Iris, tiers: Mapping[int, str], tags: Iterable[str],
                  placeholders: Iterable[Placeholder],
                  questions: Iterable[TrackedQuestion]) -> Iterator[str]:
    """:func:`wiki_lines` of what they are made of."""
    scheme, tag_scheme = iri(iris.tiers), iri(iris.tags)
    yield f"{scheme} <{RDF}type> <{SKOS}ConceptScheme> ."
    yield f"{scheme} <{SKOS}prefLabel> {lit('Tiers')} ."
    for number, label in tiers.items():
        t = iri(iris.tier(number))
        yield f"{t} <{RDF}type> <{SKOS}Concept> ."
        yield f"{t} <{SKOS}inScheme> {scheme} ."
        yield f"{t} <{SKOS}prefLabel> {lit(label)} ."
        yield f"{t} <{SKOS}notation> {lit(str(number))} ."
    yield f"{tag_scheme} <{RDF}type> <{SKOS}ConceptScheme> ."
    yield f"{tag_scheme} <{SKOS}prefLabel> {lit('Tags')} ."
    for tag in sorted(tags):
        t = iri(iris.tag(tag))
        yield f"{t} <{RDF}type> <{SKOS}Concept> ."
        yield f"{t} <{SKOS}inScheme> {tag_scheme} ."
        yield f"{t} <{SKOS}prefLabel> {lit(tag)} ."
        if "/" in tag:
            yield f"{t} <{SKOS}broader> {iri(iris.tag(tag.rsplit('/', 1)[0]))} ."
    for ph in placeholders:
        p = iris.note_ref(ph.id)
        yield f"{p} <{RDF}type> <{KG}Placeholder> ."
        yield f"{p} <{RDFS}label> {lit(ph.label)} ."
        yield f"{p} <{DCTERMS}identifier> {lit(ph.id)} ."
    for tq in questions:
        qi = iri(iris.item(tq.question.id))
        yield f"{qi} <{KG}status> <{KG}{_STATUS[tq.status]}> ."
        for by in tq.answered_by:
            yield f"{qi} <{KG}answeredBy> {iris.note_ref(by)} ."


_STATUS = {
    QuestionStatus.OPEN: "Open",
    QuestionStatus.ANSWERED: "Answered",
    QuestionStatus.DROPPED: "Dropped",
}


def edges_by_source(wiki: Wiki) -> dict[str, list[Edge]]:
    """Each note's outgoing edges, in the wiki's order (what :func:`own_lines` takes)."""
    by_source: dict[str, list[Edge]] = {}
    for edge in wiki.edges:
        by_source.setdefault(edge.source, []).append(edge)
    return by_source


def ntriples(wiki: Wiki, config: Config) -> str:
    """The whole graph as sorted, de-duplicated N-Triples: the canonical, diffable form."""
    unique = _sorted_lines(wiki, config)
    return "\n".join(unique) + "\n" if unique else ""


def write_ntriples(wiki: Wiki, config: Config, f: IO[bytes],
                   folder: Path | None = None) -> None:
    """:func:`ntriples` into the binary file ``f``, never the whole graph in memory: at
    10,000 notes it is a million lines, 160 MB of text and 220 MB as Python strings
    (sorted in bounded runs, :mod:`kg.extsort`, kept in ``folder``, else in the system's
    temporary folder)."""
    from kg.extsort import write_sorted_unique

    write_sorted_unique(_line_groups(wiki, config), f, folder=folder)


def _sorted_lines(wiki: Wiki, config: Config) -> list[str]:
    lines = [line for group in _line_groups(wiki, config) for line in group]
    # Sorted as made, note by note: nearly in order already, which timsort exploits (sorting
    # a set's hash order is five times slower at a million lines). Equal lines are then
    # neighbours, and groupby keeps one of each.
    lines.sort()
    return [line for line, _ in itertools.groupby(lines)]


def _line_groups(wiki: Wiki, config: Config) -> Iterator[list[str]]:
    """The graph's N-Triples lines, unsorted and with repeats: the wiki's, then each note's."""
    iris = Iris(config.base_iri)
    by_source = edges_by_source(wiki)
    resolvers = forecast_resolvers(wiki)
    yield list(wiki_lines(wiki, config))
    for note in wiki.notes.values():
        yield (own_lines(note, by_source.get(note.id, ()), iris, resolvers)
               + shared_lines(note, iris))


def to_store(nt: str | Path) -> pyoxigraph.Store:
    """An in-memory store of the N-Triples text ``nt``, or of the N-Triples file at ``nt``."""
    import pyoxigraph

    store = pyoxigraph.Store()
    if isinstance(nt, Path):
        store.bulk_load(path=nt, format=pyoxigraph.RdfFormat.N_TRIPLES)
    else:
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


def serialize(nt: str | bytes, fmt: str) -> bytes:
    """Turtle, JSON-LD or N-Triples of the sorted N-Triples ``nt``, deterministic bytes."""
    import pyoxigraph

    data = nt.encode("utf-8") if isinstance(nt, str) else nt
    if fmt == "nt":
        return data
    formats = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
    quads = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)
    prefixes = PREFIXES if fmt == "ttl" else None
    out = pyoxigraph.serialize(quads, format=formats[fmt], prefixes=prefixes)
    assert out is not None
    return bytes(out)


def ntriples_bytes(source: Path) -> bytes:
    """The N-Triples of the file ``source`` (:func:`kg.cache.ntriples_file`)."""
    return source.read_bytes()


def copy_ntriples(source: Path, target: Path) -> None:
    """The N-Triples file ``source`` copied into the file ``target``, by the kernel."""
    from kg.cachefile import copy_whole

    with open(target, "wb") as dst:
        copy_whole(source, dst.fileno())
