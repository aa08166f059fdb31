"""The fast paths of the whole-wiki exports give exactly what the general paths give.

:func:`kg.rdf.iri`, :func:`kg.rdf.lit` and :func:`kg.search.note_text` skip work when their
input does not need it, and :func:`kg.rdf.ntriples` de-duplicates without a set. Each is held
here to the general algorithm on random text, and a wiki of hostile notes still exports
N-Triples that Oxigraph parses.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyoxigraph
import pytest
from conftest import WriteWiki
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg.extsort
from kg.body import (
    FOOTNOTE_MARK,
    HIGHLIGHT_MARK,
    REF_LINK,
    WIKILINK,
    ref_label,
    reference_definitions,
    wikilink_text,
)
from kg.build import load_wiki
from kg.model import Note
from kg.rdf import (
    XSD,
    Iris,
    _encoded_iri,
    _escape,
    integer_lit,
    iri,
    lit,
    note_lines,
    ntriples,
    serialize,
    wiki_lines,
    write_ntriples,
)
from kg.resolve import forecast_resolvers
from kg.search import TEXT_LIMIT, note_text

SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Characters that decide which path runs: those quote() keeps, the ones iri() rewrites, the
# ones lit() escapes, markdown syntax, and a few non-ASCII ones.
_TRICKY = (
    "aZ09-._~:/?#@!$&'()*+,;=%[]{}<>\"\\ \t\n\r|^`"
    "*_#>-+.)!~é→\u00a0\u2028"
)
tricky_text = st.text(alphabet=st.sampled_from(_TRICKY), max_size=40) | st.text(max_size=40)
url_like = st.builds(lambda scheme, rest: f"{scheme}://{rest}",
                     st.sampled_from(["https", "http", "urn"]), tricky_text)


@SETTINGS
@given(st.one_of(tricky_text, url_like))
def test_iri_fast_path_matches_general_path(text: str) -> None:
    assert iri(text) == _encoded_iri(text)


@SETTINGS
@given(tricky_text, st.sampled_from([None, XSD + "string", XSD + "date"]))
def test_lit_fast_path_matches_escaping_always(text: str, datatype: str | None) -> None:
    body = '"' + _escape(text) + '"'
    assert lit(text, datatype) == (f"{body}^^<{datatype}>" if datatype else body)


@SETTINGS
@given(st.integers())
def test_integer_lit_is_lit_of_the_digits(value: int) -> None:
    assert integer_lit(value) == lit(str(value), XSD + "integer")


@SETTINGS
@given(st.text(max_size=20))
def test_remembered_note_iri_is_the_note_iri(nid: str) -> None:
    iris = Iris("https://example.org/kg/")
    assert iris.note_ref(nid) == iri(iris.note(nid))
    assert iris.note_ref(nid) == iri(iris.note(nid))  # the second answer comes from memory


# -- note_text ---------------------------------------------------------------------------------

_OLD_LINE_MARK = re.compile(
    r"^[ \t]{0,3}(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]?"
    r"|\[\^[^\]\s]{1,100}\]:[ \t]*)+(?:\[[ xX]\][ \t]+|\[![\w-]+\][+-]?[ \t]*)?", re.M)
_OLD_UNDERSCORE = re.compile(r"(?<![\w\\])_+(?=\w)|(?<=\w)_+(?![\w{])")
_OLD_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~).*$", re.M)
# (its link pattern as it is now: bounded, no "[" in a link's text or destination)
_OLD_MD_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000})\]\([^)\n\[]{0,2000}\)")
_OLD_DEFINITION = re.compile(r"^[ \t]{0,3}\[([^\[\]\n]{1,999})\]:.*$", re.M)
_OLD_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*"
                             r"(?=\n)", re.M)


def general_note_text(body: str, limit: int = TEXT_LIMIT) -> str:
    """``note_text`` as first written: every pass on every body, with ``^`` in MULTILINE mode
    and the optional ``!`` of embeds and images."""
    text = _OLD_FENCE.sub(" ", body)
    text = _OLD_LINE_MARK.sub("", text)
    text = WIKILINK.sub(wikilink_text, text)
    text = _OLD_MD_LINK.sub(r"\1", text)
    if refs := reference_definitions(body):
        text = _OLD_DEFINITION.sub(lambda m: " " if ref_label(m.group(1)) in refs
                                   else m.group(0), text)
        text = REF_LINK.sub(lambda m: m.group(1) if ref_label(m.group(2) or m.group(1)) in refs
                            else m.group(0), text)
    text = _OLD_TABLE_RULE.sub(" ", text).replace("|", " ")
    text = HIGHLIGHT_MARK.sub("", FOOTNOTE_MARK.sub("", text))
    text = _OLD_UNDERSCORE.sub("", text)
    text = " ".join(text.replace("*", "").replace("`", "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


_MARKDOWN_PIECES = [
    "\n", "\r\n", " ", "\t", "   ", "    ", "# ", "###### ", "####### ", "- ", "* ", "+ ", "1. ",
    "12) ", "> ", ">", "```", "```python", "~~~", "**", "_", "`", "[[", "]]", "![[", "|", "#",
    "[", "]", "](", "(", ")", "!", "![", "text", "Note", "x y", "é", "[[a]]", "[[b|label]]",
    "[[c#Heading]]", "![[img.png]]", "[link](https://x.org)", "![alt](pic.png)", "[a\n](b)",
    "[ ] ", "[x] ", "[!note]+ ", "[^1]", "[^1]: ", "^[inline]", "==", "$", "\\sum_{i}",
    "snake_case", "_em_",
]
markdown = st.lists(st.sampled_from(_MARKDOWN_PIECES), max_size=40).map("".join)


def note_with(body: str) -> Note:
    return Note(id="n", path="n.md", title="N", body=body, body_line=1)


@SETTINGS
@given(st.one_of(markdown, st.text(max_size=60)))
def test_note_text_matches_general_algorithm(body: str) -> None:
    assert note_text(note_with(body)) == general_note_text(body)


@SETTINGS
@given(markdown, st.integers(min_value=0, max_value=30))
def test_note_text_cut_matches_general_algorithm(body: str, limit: int) -> None:
    assert note_text(note_with(body), limit) == general_note_text(body, limit)


def test_note_text_on_every_kind_of_syntax() -> None:
    body = (
        "# Heading *one*\n"
        "```python\ncode_here = 1\n```\n"
        "  - a bullet with [[target|a label]] and [[other#Part]]\n"
        "1. first, ![[embedded.png]] and ![an image](x.png)\n"
        "> quoted [a link](https://example.org) __strong__ `code`\n"
        "~~~\nfenced\n~~~\n"
        "[[unclosed and ]] [not a link] (nor this)\n"
    )
    assert note_text(note_with(body)) == general_note_text(body)


def test_note_text_is_what_a_reader_reads() -> None:
    """The search index's text: no callout, task or footnote marks, no highlight marks,
    TeX and words with ``_`` as written (``\\sum_{i=1}`` had become ``\\sum{i=1}``)."""
    body = ("> [!note]+ Title\n> text ==highlighted== here[^1].\n- [ ] todo item\n"
            "- [x] done\nThe $\\sum_{i=1}^n x_i$ and reward_hacking, _emph_ and **bold**.\n\n"
            "[^1]: the footnote\n")
    assert note_text(note_with(body)) == (
        "Title text highlighted here. todo item done The $\\sum_{i=1}^n x_i$ and "
        "reward_hacking, emph and bold. the footnote")


# -- ntriples ----------------------------------------------------------------------------------

HOSTILE = Path(__file__).parent / "hostile" / "render"

EXTRA_NOTES = {
    "percent.md": (
        '---\ntitle: "100% \\"quoted\\" \\\\ back\\nslash"\ntags: ["a/b", "é t", "x%zz"]\n'
        'aliases: ["[bracketed]", "line\\nbreak"]\nauthors: ["Ann", "Ann", "Ünï Cödé"]\n'
        'source: {url: "https://[::1]:8080/p%41th/[x]?q=é#f", title: "T"}\n'
        'connections:\n  - {to: "[[percent-two]]", rel: extends, note: "a \\"b\\"\\nc"}\n'
        '  - {to: "[[percent-two]]", rel: extends, note: "a \\"b\\"\\nc"}\n'
        "---\nSee [[percent-two]] and [[ghost 100%]] and [[percent-two]].\n"
    ),
    "percent-two.md": (
        '---\ntitle: Two\nauthors: ["Ann"]\nsource: {url: "https://example.org/a b"}\n'
        "---\n# Questions\n- [?] Does it hold?\n"
    ),
}


def test_hostile_wiki_exports_parseable_ntriples(write_wiki: WriteWiki,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in HOSTILE.glob("*.md")}
    config = write_wiki({**files, **EXTRA_NOTES})
    wiki = load_wiki(config)
    nt = ntriples(wiki, config)

    quads = list(pyoxigraph.parse(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(quads) == nt.count("\n")

    # The same lines as the sorted set of every generator's lines.
    iris = Iris(config.base_iri)
    expected = set(wiki_lines(wiki, config))
    for note in wiki.notes.values():
        expected.update(note_lines(note, [e for e in wiki.edges if e.source == note.id], iris,
                                   forecast_resolvers(wiki)))
    assert nt == "".join(line + "\n" for line in sorted(expected))

    # Written to a file in runs of a few lines, merged: the same bytes.
    monkeypatch.setattr(kg.extsort, "RUN_LINES", 7)
    out = io.BytesIO()
    write_ntriples(wiki, config, out)
    assert out.getvalue() == nt.encode("utf-8")


def test_a_source_url_with_two_hash_marks_makes_a_valid_iri(write_wiki) -> None:
    """A fragment may not hold a "#": Oxigraph refused the whole graph over one such URL."""
    config = write_wiki({"a.md": "---\ntitle: A\nsource: https://example.com/p#one#two\n---\nA.\n"})
    nt = ntriples(load_wiki(config), config)
    assert "<https://example.com/p#one%23two>" in nt
    list(pyoxigraph.parse(nt.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES))
    for fmt in ("ttl", "jsonld"):
        assert serialize(nt, fmt)


def test_the_search_text_reads_reference_links_and_tables_as_words(parse) -> None:
    note = parse("See [the beta note][b] and [gamma][] and M[i][j].\n\n| col a | col b |\n"
                 "|---|:-:|\n| 1 | 2 |\n\n[b]: beta.md\n[gamma]: g.md\n", "t.md")
    assert note_text(note) == "See the beta note and gamma and M[i][j]. col a col b 1 2"
