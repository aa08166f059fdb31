"""Turtle and JSON-LD of the graph, written straight from its sorted N-Triples.

kg's N-Triples are its own (:func:`kg.rdf.ntriples`): one triple a line, sorted, every
subject and predicate an IRI in ``<>`` with no space in it, every object an IRI or a literal
``"…"`` with only ``\\\\ \\" \\n \\r`` escaped and an optional ``^^<datatype>``. Read as such,
a line splits in three with one ``str.split``, so the other formats are written here in one
pass over the text, in a quarter of the time of parsing it into Oxigraph again and
serialising from there (10,000 notes: ~1.5 s a format against ~5–8 s). The bytes are the ones
Oxigraph writes for the same triples (the tests hold the two to each other on hostile text
and on generated wikis), so the files readers download did not change.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from kg.rdf import PREFIXES, RDF, XSD

_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r'\\([\\"nr])')
_STRING = f"{XSD}string"
_BLOCK = 1 << 20


def _lines(nt: str) -> Iterator[str]:
    """The lines of ``nt``, a block at a time (never a list of a million lines at once)."""
    start = 0
    size = len(nt)
    while start < size:
        end = nt.find("\n", min(start + _BLOCK, size - 1))
        end = size if end < 0 else end + 1
        yield from nt[start:end].split("\n")  # not splitlines(): a literal may hold U+0085
        start = end


def _triples(nt: str) -> Iterator[tuple[str, str, str]]:
    for line in _lines(nt):
        if line:
            s, p, o = line[:-2].split(" ", 2)  # "<s> <p> o ." : the object may hold spaces
            yield s, p, o


def _literal(term: str) -> tuple[str, str | None]:
    """The value and datatype IRI (None: a plain string) of an N-Triples literal."""
    if term[-1] == ">":  # "…"^^<datatype>: the datatype has no quote, the value's are escaped
        quoted, _, datatype = term.rpartition('"^^<')
        value, datatype_iri = quoted[1:], datatype[:-1]
    else:
        value, datatype_iri = term[1:-1], None
    if "\\" in value:
        value = _ESCAPED.sub(lambda m: _UNESCAPE[m.group(1)], value)
    return value, datatype_iri


# -- JSON-LD ----------------------------------------------------------------------------------


def write_jsonld(nt: str, out: TextIO) -> None:
    """The graph as expanded JSON-LD: an array of node objects, one per subject, keyed by
    full IRIs (as Oxigraph writes it)."""
    out.write("[")
    node: dict[str, Any] | None = None
    subject = ""
    values: list[dict[str, str]] = []
    predicate = ""
    first = True
    for s, p, o in _triples(nt):
        if s != subject or node is None:
            if node is not None:
                out.write(("" if first else ",") + _json(node))
                first = False
            node, subject, predicate = {"@id": s[1:-1]}, s, ""
        if p != predicate:
            values = node.setdefault(p[1:-1], [])
            predicate = p
        if o[0] == "<":
            values.append({"@id": o[1:-1]})
        else:
            value, datatype = _literal(o)
            values.append({"@value": value} if datatype is None or datatype == _STRING
                          else {"@type": datatype, "@value": value})
    if node is not None:
        out.write(("" if first else ",") + _json(node))
    out.write("]")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- Turtle -----------------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+")
_BARE = {f"{XSD}integer": _INTEGER, f"{XSD}decimal": _DECIMAL, f"{XSD}double": _DOUBLE}
_TURTLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                   "\b": "\\b", "\f": "\\f"}
_TURTLE_ESCAPED = re.compile(r'[\\"\x00-\x1f\x7f\ufffe\uffff]')
"""What a Turtle string escapes: quotes, backslashes, control characters and the two
non-characters (as Oxigraph does: short escapes where Turtle has them, else ``\\uXXXX``)."""


def _turtle_escape(match: re.Match[str]) -> str:
    c = match.group(0)
    return _TURTLE_ESCAPES.get(c) or f"\\u{ord(c):04X}"


_PREFIXES = sorted(PREFIXES.items(), key=lambda kv: (-len(kv[1]), kv[1]))
"""Longest namespace first: the order a prefix is matched in, and Oxigraph's order."""


class _Names:
    """IRIs in a namespace of kg's prefixes written as prefixed names, as Oxigraph does."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {f"<{RDF}type>": "a"}
        self._namespaces = tuple(namespace for _, namespace in _PREFIXES)

    def predicate(self, term: str) -> str:
        found = self._known.get(term)
        if found is None:
            found = self._known[term] = self.iri(term)
        return found

    def iri(self, term: str) -> str:
        text = term[1:-1]
        if not text.startswith(self._namespaces):
            return term
        found = self._known.get(term)
        if found is None:
            prefix, namespace = next((p, ns) for p, ns in _PREFIXES if text.startswith(ns))
            found = self._known[term] = f"{prefix}:{_local_name(text[len(namespace):])}"
        return found


def _local_name(local: str) -> str:
    """A local name with the characters Turtle does not allow bare escaped by a backslash:
    ``-`` first, ``.`` first or last, and any of ``!#$%&'()*+,/;=?@~`` (the only others an
    IRI of kg's can hold, all ASCII, are letters, digits, ``_`` and ``:``)."""
    last = len(local) - 1
    out = []
    for i, c in enumerate(local):
        if c.isalnum() or c in "_:" or (c == "-" and i > 0) or (c == "." and 0 < i < last):
            out.append(c)
        else:
            out.append("\\" + c)
    return "".join(out)


def _turtle_string(value: str) -> str:
    if _TURTLE_ESCAPED.search(value):
        value = _TURTLE_ESCAPED.sub(_turtle_escape, value)
    return f'"{value}"'


def write_turtle(nt: str, out: TextIO) -> None:
    """The graph as Turtle with kg's prefixes: a subject's triples together, ``;`` between
    predicates, ``,`` between objects, numbers and booleans bare (as Oxigraph writes it)."""
    names = _Names()
    subject = predicate = ""
    parts: list[str] = []
    for s, p, o in _triples(nt):
        if s != subject:
            if subject:
                parts.append(" .\n")
            else:  # the prefixes come with the first triple: no triples, no text
                parts += (f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in _PREFIXES)
            parts += (names.iri(s), " ", names.predicate(p), " ")
            subject, predicate = s, p
        elif p != predicate:
            parts += (" ;\n\t", names.predicate(p), " ")
            predicate = p
        else:
            parts.append(" , ")
        parts.append(_turtle_object(o, names))
        if len(parts) > 4096:
            out.write("".join(parts))
            parts.clear()
    if subject:
        parts.append(" .\n")
    out.write("".join(parts))


def _turtle_object(term: str, names: _Names) -> str:
    if term[0] == "<":
        return names.iri(term)
    value, datatype = _literal(term)
    if datatype is None or datatype == _STRING:
        return _turtle_string(value)
    if datatype == f"{XSD}boolean" and value in ("true", "false"):
        return value
    bare = _BARE.get(datatype)
    if bare is not None and bare.fullmatch(value):
        return value
    return f"{_turtle_string(value)}^^{names.iri('<' + datatype + '>')}"


# -- entry points -----------------------------------------------------------------------------

WRITERS = {"ttl": write_turtle, "jsonld": write_jsonld}


def to_bytes(nt: str, fmt: str) -> bytes:
    """kg's N-Triples ``nt`` as ``fmt`` (``ttl``, ``jsonld`` or ``nt``)."""
    if fmt == "nt":
        return nt.encode("utf-8")
    buffer = io.StringIO()
    WRITERS[fmt](nt, buffer)
    return buffer.getvalue().encode("utf-8")


def to_file(nt: str, fmt: str, target: Path) -> None:
    """:func:`to_bytes` streamed into ``target`` (a 10,000-note graph is ~100 MB a format)."""
    with open(target, "w", encoding="utf-8", newline="") as f:
        WRITERS[fmt](nt, f)
