"""The small ``kg:`` vocabulary for what CiTO, schema.org, SKOS and PROV lack, as Turtle."""

from __future__ import annotations

from kg.relations import KG_VOCAB, RELATIONS

_CLASSES = (
    ("Note", "A digest note of the wiki: one paper, newsletter issue, post or concept.",
     "schema:CreativeWork"),
    ("Placeholder", "A note that is linked to but not written yet.", "kg:Note"),
    ("ResearchAngle", "A numbered research direction proposed by a note.", "schema:CreativeWork"),
    ("Forecast", "A claim with a probability and a resolve-by date.", "schema:Claim"),
    ("Mention", "A [[wikilink]] in a note's body: the sentence around it and its line.",
     "rdfs:Resource"),
    ("QuestionStatus", "Whether a question is open, answered or dropped.", "skos:Concept"),
)

_STATUSES = (
    ("Open", "A question no note has answered, and not dropped."),
    ("Answered", "A question ticked answered in its note, or that another note answers."),
    ("Dropped", "A question struck through in its note: no longer pursued."),
)

_PROPERTIES = (
    ("tier", "The note's tier: a concept of the tiers scheme.", "kg:Note", "skos:Concept"),
    ("noteType", "The kind of note as written in its front-matter (digest, paper…).",
     "kg:Note", "xsd:string"),
    ("sourceFile", "The note's file, relative to the wiki folder.", "kg:Note", "xsd:string"),
    ("rawPath", "Path of the raw source the note was digested from.", "prov:Entity", "xsd:string"),
    ("mentions", "The note links to the other in its body with a [[wikilink]].",
     "kg:Note", "kg:Note"),
    ("mentionIn", "The note whose body holds the mention.", "kg:Mention", "kg:Note"),
    ("mentionOf", "The note the mention links to.", "kg:Mention", "kg:Note"),
    ("asks", "The note raises the question.", "kg:Note", "schema:Question"),
    ("status", "The question's status: kg:Open, kg:Answered or kg:Dropped.",
     "schema:Question", "kg:QuestionStatus"),
    ("answeredBy", "A note that answers the question.", "schema:Question", "kg:Note"),
    ("relation", "The kg relation name of a qualified connection.", "cito:Citation",
     "xsd:string"),
    ("sourceLine", "The line of the note's file where a connection, mention or question is"
     " written.", "rdfs:Resource", "xsd:integer"),
    ("probability", "The forecast's probability, 0 to 1.", "kg:Forecast", "xsd:decimal"),
    ("resolveBy", "The date by which the forecast resolves.", "kg:Forecast", "xsd:date"),
    ("resolvedTrue", "How the forecast resolved: true or false.", "kg:Forecast", "xsd:boolean"),
    ("resolvedBy", "The note that resolved the forecast.", "kg:Forecast", "kg:Note"),
    ("forecaster", "Who made the forecast, when not the note's author.", "kg:Forecast",
     "xsd:string"),
)

_HEADER = f"""@prefix kg: <{KG_VOCAB}> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix cito: <http://purl.org/spar/cito/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

<{KG_VOCAB.rstrip('#')}> a owl:Ontology ;
    rdfs:label "kg vocabulary" ;
    rdfs:comment "Terms of the kg literature wiki that CiTO, schema.org, SKOS and PROV lack." .
"""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def vocabulary_turtle() -> str:
    parts = [_HEADER]
    for name, comment, parent in _CLASSES:
        parts.append(f"kg:{name} a owl:Class ;\n    rdfs:label {_quote(name)} ;\n"
                     f"    rdfs:comment {_quote(comment)} ;\n    rdfs:subClassOf {parent} .\n")
    for status, comment in _STATUSES:
        parts.append(f"kg:{status} a kg:QuestionStatus, skos:Concept ;\n"
                     f"    rdfs:label {_quote(status.lower())} ;\n"
                     f"    skos:prefLabel {_quote(status.lower())} ;\n"
                     f"    rdfs:comment {_quote(comment)} .\n")
    for name, comment, domain, rng in _PROPERTIES:
        parts.append(f"kg:{name} a rdf:Property ;\n    rdfs:label {_quote(name)} ;\n"
                     f"    rdfs:comment {_quote(comment)} ;\n"
                     f"    rdfs:domain {domain} ;\n    rdfs:range {rng} .\n")
    parts.append("kg:mentions rdfs:subPropertyOf dcterms:references .\n")
    for rel in RELATIONS:
        if rel.iri.startswith(KG_VOCAB):
            term = rel.iri[len(KG_VOCAB):]
            parts.append(f"kg:{term} a rdf:Property ;\n    rdfs:label {_quote(rel.label)} ;\n"
                         f"    rdfs:comment {_quote(rel.description)} ;\n"
                         f"    rdfs:subPropertyOf cito:cites .\n")
    parts.append("\n# The relation names of kg and the properties their connections use.\n")
    for rel in RELATIONS:
        parts.append(f"# {rel.name:<13} {rel.iri}   (inverse label: {rel.inverse})\n")
    return "\n".join(parts)
