"""The closed set of connection relations: one table, mapped to CiTO where it has a term.

Each relation has the label shown on the citing note's page, the inverse label shown on the
cited note's page (its backlinks), and the RDF property of the direct triple. Relations CiTO
lacks live in the project's own ``kg:`` vocabulary (see :mod:`kg.vocab`).
"""

from __future__ import annotations

from dataclasses import dataclass

CITO = "http://purl.org/spar/cito/"
KG_VOCAB = "https://w3id.org/kg-wiki/vocab#"


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    label: str
    inverse: str
    iri: str
    description: str

    @property
    def term(self) -> str:
        """The property as its vocabulary's prefix writes it: ``cito:extends``, ``kg:answers``."""
        for prefix, base in (("cito", CITO), ("kg", KG_VOCAB)):
            if self.iri.startswith(base):
                return f"{prefix}:{self.iri[len(base):]}"
        return self.iri


def _cito(term: str) -> str:
    return CITO + term


def _kg(term: str) -> str:
    return KG_VOCAB + term


RELATIONS: tuple[Relation, ...] = (
    Relation("related", "Related to", "Related from", _cito("citesAsRelated"),
             "a connection whose kind is not stated"),
    Relation("extends", "Extends", "Extended by", _cito("extends"),
             "builds on the cited work and takes it further"),
    Relation("supports", "Supports", "Supported by", _cito("supports"),
             "gives the cited work's claims support"),
    Relation("counterpoint", "Counterpoint to", "Countered by", _cito("disagreesWith"),
             "disagrees with, or is the adversarial counterpart of, the cited work"),
    Relation("critiques", "Critiques", "Critiqued by", _cito("critiques"),
             "criticises the cited work"),
    Relation("refutes", "Refutes", "Refuted by", _cito("refutes"),
             "shows the cited work's claims false"),
    Relation("qualifies", "Qualifies", "Qualified by", _cito("qualifies"),
             "limits or adds conditions to the cited work's claims"),
    Relation("applies", "Applies method of", "Method applied by", _cito("usesMethodIn"),
             "uses a method of the cited work"),
    Relation("uses-data", "Uses data from", "Data used by", _cito("usesDataFrom"),
             "uses data of the cited work"),
    Relation("evidence", "Cites as evidence", "Cited as evidence by", _cito("citesAsEvidence"),
             "cites the cited work as evidence for its own claims"),
    Relation("background", "Background from", "Background for", _cito("obtainsBackgroundFrom"),
             "takes background from the cited work"),
    Relation("discusses", "Discusses", "Discussed by", _cito("discusses"),
             "discusses the cited work at length"),
    Relation("updates", "Updates", "Updated by", _cito("updates"),
             "brings the cited work up to date"),
    Relation("example-of", "Example of", "Exemplified by", _kg("exampleOf"),
             "is a product, instance or example of the cited idea"),
    Relation("answers", "Answers", "Answered by", _kg("answers"),
             "answers a question the cited work raised"),
    Relation("cites", "Cites", "Cited by", _cito("cites"),
             "cites the cited work, with no more said"),
)

BY_NAME: dict[str, Relation] = {r.name: r for r in RELATIONS}

# Other spellings people write; each maps to one relation of the table.
SYNONYMS: dict[str, str] = {
    "disagrees": "counterpoint",
    "disagrees-with": "counterpoint",
    "counter": "counterpoint",
    "contradicts": "counterpoint",
    "uses-method": "applies",
    "uses-method-of": "applies",
    "cites-as-evidence": "evidence",
    "instance-of": "example-of",
    "productizes": "example-of",
    "example": "example-of",
    "agrees": "supports",
    "agrees-with": "supports",
    "relates": "related",
    "see-also": "related",
}

DEFAULT = BY_NAME["related"]
MENTION_IRI = _kg("mentions")


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


INVERSES: dict[str, Relation] = {_key(r.inverse): r for r in RELATIONS}
"""The inverse labels the cited note's page shows ('supported-by'), each of its relation."""


def inverse_of(name: str) -> Relation | None:
    """The relation whose inverse label ``name`` is (``Supported by`` → supports), or None."""
    return INVERSES.get(_key(name))


def unknown_hint(name: str, target: str | None = None) -> str:
    """What to say of a relation ``name`` that is none: the relation it is the inverse of,
    to be written in the other note (``target``'s), or the nearest name."""
    inverse = inverse_of(name)
    if inverse is not None:
        where = f"in {target}'s note, " if target else "in the other note, "
        return (f"'{name}' is the inverse of '{inverse.name}': connections are written from "
                f"the citing note, so write it {where}to this one, with rel: {inverse.name}")
    near = closest(name)
    return f"did you mean '{near}'?" if near else "`kg relations` lists them"


def closest(name: str) -> str | None:
    candidates = list(BY_NAME) + list(SYNONYMS)
    import difflib  # only for a name that is not a relation

    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    if not match:
        return None
    return SYNONYMS.get(match[0], match[0])


def lookup(name: str) -> Relation | None:
    """The relation called ``name`` (case, spaces and underscores forgiven), or None."""
    key = _key(name)
    key = SYNONYMS.get(key, key)
    return BY_NAME.get(key)
