"""The two projections of a small fixture wiki: the RDF graph and the NetworkX MultiDiGraph."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.build import load_wiki
from kg.network import build_network
from kg.rdf import build_graph, ntriples

BASE = "https://example.org/kg/"
CITO = Namespace("http://purl.org/spar/cito/")
SCHEMA = Namespace("https://schema.org/")
KG = Namespace("https://w3id.org/kg-wiki/vocab#")
N = Namespace(BASE + "note/")

ANNOTATION = "The adversarial counterpart: capability closes fast, alignment does not."

FIXTURE = {
    "import-ai-455.md": f"""\
---
title: "Import AI 455"
date: 2026-05-04
tier: 1
authors: [Jack Clark]
source: {{title: "Import AI 455", url: "https://importai.substack.com/p/455", publisher: Import AI}}
raw: raw/rss/import-ai-455.md
aliases: ["IAI 455"]
tags: [ai-rnd-automation, forecasting]
connections:
  - to: Defense Trilemma
    rel: counterpoint
    note: "{ANNOTATION}"
  - Ghost Paper
forecasts:
  - {{claim: "Autonomous AI R&D by 2028", p: 60%, by: 2028-12-31}}
---
## TL;DR
A forecast. See [[defense-trilemma|the trilemma]] for the other side.

## Research angle
1. **Bound the compounding.** Nobody has.

## Open questions
- Would the forecast survive aggregation?
- Does creativity scale like engineering?
""",
    "concepts/defense-trilemma.md": """\
---
title: "Defense Trilemma + NP-hard reward hacking"
date: 2026-05-03
tier: 2
type: concept
aliases: ["Defense Trilemma"]
tags: [alignment, forecasting]
---
Alignment cannot keep up.
""",
}


@pytest.fixture
def fixture_wiki(write_wiki):
    config = write_wiki(FIXTURE)
    return config, load_wiki(config)


@pytest.fixture
def graph(fixture_wiki):
    config, wiki = fixture_wiki
    return build_graph(wiki, config)


@pytest.fixture
def network(fixture_wiki):
    return build_network(fixture_wiki[1])


A, B, GHOST = N["import-ai-455"], N["defense-trilemma"], N["ghost-paper"]
CITATION = URIRef(BASE + "note/import-ai-455#c-counterpoint-defense-trilemma")


def strings(graph, s, p) -> set[str]:
    return {str(o) for o in graph.objects(s, p)}


# -- RDF ------------------------------------------------------------------------------------


def test_direct_cito_triple(graph) -> None:
    assert (A, CITO.disagreesWith, B) in graph
    assert (B, CITO.disagreesWith, A) not in graph
    assert (A, CITO.citesAsRelated, GHOST) in graph  # shorthand: related


def test_qualified_citation_node(graph) -> None:
    assert set(graph.objects(CITATION, RDF.type)) == {CITO.Citation}
    assert set(graph.objects(CITATION, CITO.hasCitingEntity)) == {A}
    assert set(graph.objects(CITATION, CITO.hasCitedEntity)) == {B}
    assert set(graph.objects(CITATION, CITO.hasCitationCharacterization)) == {CITO.disagreesWith}
    assert strings(graph, CITATION, RDFS.comment) == {ANNOTATION}
    assert strings(graph, CITATION, KG.relation) == {"counterpoint"}
    assert strings(graph, CITATION, KG.sourceLine) == {"11"}
    citations = set(graph.subjects(RDF.type, CITO.Citation))
    assert citations == {CITATION, URIRef(BASE + "note/import-ai-455#c-related-ghost-paper")}


def test_no_blank_nodes_anywhere(graph) -> None:
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)


def test_note_metadata(graph) -> None:
    assert KG.Note in set(graph.objects(A, RDF.type))
    assert strings(graph, A, DCTERMS.title) == {"Import AI 455"}
    assert strings(graph, A, DCTERMS.identifier) == {"import-ai-455"}
    assert strings(graph, A, DCTERMS.date) == {"2026-05-04"}
    assert strings(graph, A, SKOS.altLabel) == {"IAI 455"}
    assert SCHEMA.CreativeWork in set(graph.objects(A, RDF.type))
    (author,) = graph.objects(A, SCHEMA.author)
    assert (author, RDF.type, SCHEMA.Person) in graph
    assert strings(graph, author, SCHEMA.name) == {"Jack Clark"}


def test_tags_and_tiers_are_skos_concepts(graph) -> None:
    tag = URIRef(BASE + "tag/forecasting")
    assert set(graph.objects(A, DCTERMS.subject)) == {URIRef(BASE + "tag/ai-rnd-automation"), tag}
    assert (B, DCTERMS.subject, tag) in graph
    assert (tag, RDF.type, SKOS.Concept) in graph
    assert (tag, SKOS.inScheme, URIRef(BASE + "tags")) in graph
    assert (URIRef(BASE + "tags"), RDF.type, SKOS.ConceptScheme) in graph
    tier1 = URIRef(BASE + "tier/1")
    assert set(graph.objects(A, KG.tier)) == {tier1}
    assert set(graph.objects(B, KG.tier)) == {URIRef(BASE + "tier/2")}
    assert (tier1, RDF.type, SKOS.Concept) in graph
    assert (tier1, SKOS.inScheme, URIRef(BASE + "tiers")) in graph
    assert strings(graph, tier1, SKOS.prefLabel) == {"Research direction"}


def test_questions_are_schema_questions(graph) -> None:
    questions = set(graph.subjects(RDF.type, SCHEMA.Question))
    q = URIRef(BASE + "note/import-ai-455#q-would-the-forecast-survive-aggregation")
    assert q in questions and len(questions) == 2
    assert strings(graph, q, SCHEMA.text) == {"Would the forecast survive aggregation?"}
    assert set(graph.objects(q, SCHEMA.isPartOf)) == {A}
    assert (A, KG.asks, q) in graph
    assert set(graph.objects(q, KG.status)) == {KG.Open}


def test_provenance_from_source_and_raw(graph) -> None:
    source = URIRef("https://importai.substack.com/p/455")
    raw = URIRef(BASE + "raw/raw/rss/import-ai-455.md")
    assert set(graph.objects(A, PROV.wasDerivedFrom)) == {source, raw}
    assert (source, RDF.type, PROV.Entity) in graph
    assert (source, RDF.type, SCHEMA.CreativeWork) in graph
    assert set(graph.objects(A, SCHEMA.isBasedOn)) == {source}  # as a page's JSON-LD says
    assert strings(graph, source, SCHEMA.publisher) == {"Import AI"}
    assert strings(graph, raw, KG.rawPath) == {"raw/rss/import-ai-455.md"}


def test_research_angles_and_forecasts(graph) -> None:
    angle = URIRef(BASE + "note/import-ai-455#a-bound-the-compounding")
    assert (angle, RDF.type, KG.ResearchAngle) in graph
    assert strings(graph, angle, RDFS.label) == {"Bound the compounding"}
    (forecast,) = graph.subjects(RDF.type, KG.Forecast)
    assert [float(p) for p in graph.objects(forecast, KG.probability)] == [0.6]
    assert strings(graph, forecast, KG.resolveBy) == {"2028-12-31"}


def test_a_small_probability_is_a_decimal_without_exponent(write_wiki) -> None:
    # repr(0.00001) is "1e-05", which is no xsd:decimal: a store compared it with no number
    config = write_wiki({"a.md": "---\ntitle: A\nforecasts:\n"
                                 "  - {claim: Tiny, p: 0.00001, by: 2030-01-01}\n---\n"})
    graph = build_graph(load_wiki(config), config)
    (p,) = graph.objects(None, KG.probability)
    assert str(p) == "0.00001" and not p.ill_typed
    rows = graph.query("SELECT ?f WHERE { ?f kg:probability ?p FILTER(?p < 0.5) }",
                       initNs={"kg": KG})
    assert len(rows) == 1


def test_a_raw_path_is_one_iri_path(write_wiki) -> None:
    # "#" had begun a fragment (raw/notes was the document), "?" a query, "%41" an "A"
    config = write_wiki({"a.md": "---\ntitle: A\nraw: 'raw/notes #1?v=2 %41 é.md'\n---\n"})
    graph = build_graph(load_wiki(config), config)
    (raw,) = graph.subjects(KG.rawPath, Literal("raw/notes #1?v=2 %41 é.md"))
    assert str(raw) == BASE + "raw/raw/notes%20%231%3Fv=2%20%2541%20%C3%A9.md"
    assert (N["a"], PROV.wasDerivedFrom, raw) in graph


def test_placeholders_are_typed_and_labelled(graph) -> None:
    assert (GHOST, RDF.type, KG.Placeholder) in graph
    assert strings(graph, GHOST, RDFS.label) == {"Ghost Paper"}
    assert (GHOST, RDF.type, KG.Note) not in graph


def test_mentions_are_their_own_property(graph) -> None:
    assert (A, KG.mentions, B) in graph
    assert (B, KG.mentions, A) not in graph


def test_sparql_incoming_connections(graph) -> None:
    # (oxrdflib refuses initBindings for variables not in the projection, so the IRI is inline)
    rows = graph.query(
        f"SELECT ?from ?comment WHERE {{ ?c a cito:Citation ; cito:hasCitedEntity <{B}> ;"
        " cito:hasCitingEntity ?from ; rdfs:comment ?comment }"
    )
    assert [(r[0], str(r[1])) for r in rows] == [(A, ANNOTATION)]


def test_ntriples_are_sorted_unique_and_deterministic(fixture_wiki) -> None:
    config, wiki = fixture_wiki
    first = ntriples(wiki, config)
    lines = first.splitlines()
    assert lines == sorted(set(lines))
    assert first == ntriples(load_wiki(config), config)


def test_rdflib_graph_literals_equal_plain_literals(graph) -> None:
    assert graph.value(A, DCTERMS.title) == Literal("Import AI 455")


# -- NetworkX ---------------------------------------------------------------------------------


def test_network_nodes_are_notes_and_placeholders(network) -> None:
    import networkx as nx

    assert isinstance(network, nx.MultiDiGraph)
    assert set(network.nodes) == {"import-ai-455", "defense-trilemma", "ghost-paper"}
    assert network.nodes["import-ai-455"]["tier"] == 1
    assert network.nodes["import-ai-455"]["placeholder"] is False
    assert network.nodes["ghost-paper"]["placeholder"] is True
    assert network.nodes["ghost-paper"]["title"] == "Ghost Paper"
    assert network.nodes["defense-trilemma"]["tags"] == ("alignment", "forecasting")


def test_network_edge_both_directions(network) -> None:
    assert set(network.successors("import-ai-455")) == {"defense-trilemma", "ghost-paper"}
    assert set(network.predecessors("defense-trilemma")) == {"import-ai-455"}
    assert list(network.successors("defense-trilemma")) == []
    edges = network.get_edge_data("import-ai-455", "defense-trilemma")
    assert set(edges) == {"counterpoint", "mentions"}
    counter = edges["counterpoint"]
    assert (counter["relation"], counter["kind"], counter["annotation"], counter["line"]) == (
        "counterpoint", "connection", ANNOTATION, 11)
    assert edges["mentions"]["kind"] == "mention"
    assert edges["mentions"]["annotation"] == "See the trilemma for the other side."
    in_edges = list(network.in_edges("defense-trilemma", keys=True, data="relation"))
    assert sorted(in_edges) == [
        ("import-ai-455", "defense-trilemma", "counterpoint", "counterpoint"),
        ("import-ai-455", "defense-trilemma", "mentions", "mentions"),
    ]
    assert network.get_edge_data("import-ai-455", "ghost-paper")["related"]["kind"] == "connection"


REPEATS = {
    "a.md": """---
title: A
connections:
  - {to: b, rel: supports, note: "A supports B."}
  - {to: c, note: "First."}
  - {to: C title, note: "Again, by its title."}
---
A cites [[b]] here.

And [[B]] again, and [[b|B once more]].
""",
    "b.md": "---\ntitle: B\n---\nBack to [[a]].\n",
    "c.md": "---\ntitle: C title\n---\nText.\n",
}


def test_a_pair_written_several_times_is_one_edge_that_counts_them(write_wiki,
                                                                   tmp_path) -> None:
    """One edge per (note, target, relation or ``mentions``): three ``[[b]]`` are one
    ``mentions`` edge with ``count`` 3 (and ``weight``, which Gephi and NetworkX's weighted
    measures read), the first's line and sentence, and every line; the typed connection
    beside them stays an edge of its own. Each had replaced the last (count lost, the last
    sentence kept), and so in GraphML."""
    import networkx as nx

    from kg.export import graphml

    wiki = load_wiki(write_wiki(REPEATS))
    network = build_network(wiki)
    ab = network.get_edge_data("a", "b")
    assert set(ab) == {"supports", "mentions"}
    mentions = ab["mentions"]
    assert (mentions["count"], mentions["weight"], mentions["line"], mentions["lines"]) == (
        3, 3, 8, (8, 10, 10))
    assert mentions["annotation"] == "A cites b here."  # the first one's sentence
    assert (ab["supports"]["count"], ab["supports"]["lines"]) == (1, (4,))
    related = network.get_edge_data("a", "c")
    assert list(related) == ["related"]
    assert (related["related"]["count"], related["related"]["annotation"]) == (2, "First.")
    written: dict[tuple[str, str], int] = {}
    for edge in wiki.edges:
        written[edge.source, edge.target] = written.get((edge.source, edge.target), 0) + 1
    weights: dict[tuple[str, str], int] = {}
    for u, v, weight in network.edges(data="weight"):
        weights[u, v] = weights.get((u, v), 0) + weight
    assert weights == written  # what kg stats weighs each pair by
    path = tmp_path / "g.graphml"
    path.write_bytes(graphml(wiki))
    read = nx.read_graphml(path, force_multigraph=True)
    again = {(u, v, d["relation"]): (d["count"], d["weight"], d["lines"])
             for u, v, d in read.edges(data=True)}
    assert again == {("a", "b", "supports"): (1, 1, "4"),
                     ("a", "b", "mentions"): (3, 3, "8, 10, 10"),
                     ("a", "c", "related"): (2, 2, "5, 6"), ("b", "a", "mentions"): (1, 1, "4")}


def test_rdf_and_network_agree_on_connections(graph, network) -> None:
    cited = {(str(s), str(o)) for s, o in graph.subject_objects(CITO.hasCitedEntity)}
    citing = {str(s): str(o) for s, o in graph.subject_objects(CITO.hasCitingEntity)}
    rdf_pairs = {(citing[c].rsplit("/", 1)[1], o.rsplit("/", 1)[1]) for c, o in cited}
    nx_pairs = {(u, v) for u, v, kind in network.edges(data="kind") if kind == "connection"}
    assert rdf_pairs == nx_pairs


# -- the graph page's data (kg.graphview) ---------------------------------------------------


def global_graph(wiki):
    from kg.graphview import GraphBuilder
    from kg.views import Views

    return GraphBuilder(Views(wiki)).global_graph()


def test_a_small_graph_is_records_for_vis_network(fixture_wiki) -> None:
    data = global_graph(fixture_wiki[1])
    page = data.as_json()
    assert page["lod"] is False and "compact" not in page
    assert page["fit_labels"] is False  # laid out with its labels apart: vis-network draws them
    assert page["nodes"] == data.nodes and page["edges"] == data.edges
    options = page["options"]
    if "x" in data.nodes[0]:  # laid out (numpy): no physics, no stabilization
        assert options["physics"]["enabled"] is False
        assert options["physics"]["stabilization"]["enabled"] is False
    assert options["interaction"]["hover"] is True


def test_edges_come_most_important_first(fixture_wiki) -> None:
    edges = global_graph(fixture_wiki[1]).edges
    kinds = ["dashes" in e for e in edges]
    assert kinds == sorted(kinds) and kinds[-1]  # typed connections, then mentions
    assert [(e["from"], e["to"], e["rel"]) for e in edges] == [
        ("import-ai-455", "defense-trilemma", "counterpoint"),
        ("import-ai-455", "ghost-paper", "related"),
        ("import-ai-455", "defense-trilemma", "mentions"),
    ]


def test_a_large_graph_is_rows_that_give_back_the_records(fixture_wiki, monkeypatch) -> None:
    import json

    from kg import graphview

    monkeypatch.setattr(graphview, "LOD_EDGES", 2)  # three edges: "large"
    data = global_graph(fixture_wiki[1])
    assert data.lod
    page = data.as_json()
    assert page["compact"] == 2 and page["lod"] is True
    assert page["fit_labels"] is True  # the page draws the labels that fit
    assert page["options"]["interaction"]["hover"] is True  # vis-network draws nodes only
    # what graph.js's expand() does, here: the rows give back every record
    ids = [row[0] for row in page["nodes"]]
    for row, record in zip(page["nodes"], data.nodes, strict=True):
        node = {"id": row[0], "label": row[1], "group": row[2], "size": row[3], "deg": row[6],
                "tier": row[7], "tags": [page["tags"][t] for t in row[8]]}
        if row[4] is not None:
            node["x"], node["y"] = row[4], row[5]
        if len(row) > 9:
            node["name"] = row[9]
        if row[2] == "ghost":
            node["ph"] = True
        assert node == record
    for row, record in zip(page["edges"], data.edges, strict=True):
        rel = page["relations"][row[2]]
        edge = {"from": ids[row[0]], "to": ids[row[1]], "rel": rel}
        edge |= {"dashes": True} if rel == "mentions" else {"label": rel}
        if len(row) > 3:
            edge["note"] = row[3]
        assert edge == record
    assert page["edges"][0][3] == ANNOTATION
    again = global_graph(load_wiki(fixture_wiki[0])).as_json()
    assert json.dumps(again, sort_keys=True) == json.dumps(page, sort_keys=True)


def test_a_graph_of_many_notes_shows_the_labels_that_fit(fixture_wiki, monkeypatch) -> None:
    """Past LABELS_APART_MAX nodes the layout leaves labels where they fall and the page
    draws only those that fit (graph.js's labelLayer), whatever the number of edges."""
    from kg import graphview

    nodes = len(global_graph(fixture_wiki[1]).nodes)
    monkeypatch.setattr(graphview, "LABELS_APART_MAX", nodes - 1)
    data = global_graph(fixture_wiki[1])
    assert data.fit_labels and not data.lod
    assert data.as_json()["fit_labels"] is True


def test_angle_rows_come_tier_first_then_newest(parse) -> None:
    """The research angles page lists notes by tier (no tier last), then newest first
    (undated last, ties by title): taken from the tiers' lists, not sorted again."""
    from kg.resolve import resolve_wiki
    from kg.views import Views, newest_first

    angle = "## Research angle\n1. **Try it.** Then see.\n"
    notes = [parse(f"---\ntitle: {title}\n{tier}{date}---\n{angle}", f"{title.lower()}.md")
             for title, tier, date in [
                 ("A", "tier: 2\n", "date: 2024-01-01\n"), ("B", "", "date: 2025-01-01\n"),
                 ("C", "tier: 1\n", ""), ("D", "tier: 1\n", "date: 2023-05-05\n"),
                 ("E", "tier: 2\n", "date: 2024-06-01\n"), ("F", "tier: 1\n", "date: 2023-05-05\n"),
                 ("G", "tier: 3\n", "date: 2020-01-01\n")]]
    notes.append(parse("---\ntitle: H\ntier: 1\n---\nno angle\n", "h.md"))
    rows = Views(resolve_wiki(notes)).angle_rows()
    assert [n.title for n in rows] == ["D", "F", "C", "E", "A", "G", "B"]
    assert rows == sorted(rows, key=lambda n: (n.tier is None, n.tier or 0, newest_first(n)))
