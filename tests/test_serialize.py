"""kg.serialize writes Turtle and JSON-LD from kg's N-Triples byte for byte as Oxigraph does:
on any text a note can hold (random literals and IRIs, through kg.rdf's own lit and iri), on
the hostile corpus and on generated wikis."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pyoxigraph
import pytest
from conftest import REPO, generate_wiki
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.build import load_wiki
from kg.config import load_config
from kg.rdf import KG, PREFIXES, RDF, SCHEMA, XSD, iri, lit, ntriples, serialize
from kg.serialize import write_jsonld, write_turtle

BASE = "https://example.org/kg/"


def ours(nt: str) -> dict[str, bytes]:
    written = {}
    for fmt, write in (("ttl", write_turtle), ("jsonld", write_jsonld)):
        buffer = io.StringIO()
        write(nt, buffer)
        written[fmt] = buffer.getvalue().encode("utf-8")
    return written


def assert_as_oxigraph_writes(nt: str) -> None:
    for fmt, data in ours(nt).items():
        assert data == serialize(nt, fmt), fmt


def as_ntriples(lines: set[str]) -> str:
    return "".join(line + "\n" for line in sorted(lines))


text = st.text(max_size=40) | st.sampled_from(["\ufffe\uffff\x7f\x00", "a\u2028\x85b"])
local = st.text(alphabet=st.sampled_from("aZ09_-.:%~()'!$&*+,;=/?#@"), max_size=8)
namespaces = st.sampled_from([*PREFIXES.values(), BASE + "note/", "http://other.example/"])
iris = st.one_of(
    st.builds(lambda t: iri(BASE + "note/" + t), text),
    st.builds(lambda ns, t: iri(ns + t), namespaces, local),
    st.builds(lambda t: iri("https://example.net/" + t), text),
)
datatypes = st.sampled_from([None, XSD + "integer", XSD + "decimal", XSD + "double",
                             XSD + "boolean", XSD + "date", XSD + "string", KG + "custom"])
numbers = st.one_of(st.integers().map(str), st.floats(allow_nan=False).map(repr),
                    st.sampled_from(["true", "false", "1.", ".5", "+3", "-0.0", "1e5", "01"]))
literals = st.builds(lambda value, dt: lit(value, dt), st.one_of(text, numbers), datatypes)
predicates = st.one_of(st.sampled_from([f"<{RDF}type>", f"<{SCHEMA}name>", f"<{KG}tier>"]),
                       st.builds(lambda ns, t: iri(ns + t), namespaces, local))
triples = st.builds(lambda s, p, o: f"{s} {p} {o} .", iris, predicates,
                    st.one_of(iris, literals))


@settings(max_examples=300, deadline=None)
@given(st.sets(triples, max_size=12))
def test_any_triples_are_written_as_oxigraph_writes_them(lines: set[str]) -> None:
    nt = as_ntriples(lines)
    list(pyoxigraph.parse(nt.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES))  # valid input
    assert_as_oxigraph_writes(nt)


def test_no_triples() -> None:
    assert_as_oxigraph_writes("")


def test_the_sample_wiki() -> None:
    config = load_config(REPO)
    assert_as_oxigraph_writes(ntriples(load_wiki(config), config))


def test_a_generated_wiki_and_the_hostile_corpus(tmp_path: Path) -> None:
    root = tmp_path / "project"
    generate_wiki(root / "wiki", 80, seed=5)
    for path in sorted((REPO / "tests" / "hostile" / "render").glob("*.md")):
        shutil.copy(path, root / "wiki" / f"hostile-{path.name}")
    config = replace(load_config(root), out=root / "site")
    try:
        wiki = load_wiki(config)
    except Exception as err:  # pragma: no cover - the corpus is meant to build
        pytest.fail(f"the corpus does not build: {err}")
    assert_as_oxigraph_writes(ntriples(wiki, config))


def test_a_source_url_with_two_hash_marks_makes_a_valid_iri(write_wiki) -> None:
    """A fragment may not hold a "#": Oxigraph refused the whole graph over one such URL."""
    config = write_wiki({"a.md": "---\ntitle: A\nsource: https://example.com/p#one#two\n---\nA.\n"})
    nt = ntriples(load_wiki(config), config)
    assert "<https://example.com/p#one%23two>" in nt
    list(pyoxigraph.parse(nt.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert_as_oxigraph_writes(nt)
