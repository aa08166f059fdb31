"""SPARQL over the knowledge graph, on Oxigraph: SELECT, ASK, CONSTRUCT and DESCRIBE.

The vocabulary's prefixes (:data:`kg.rdf.PREFIXES`, and ``note:`` for this wiki's notes) are
declared before the query, so ``SELECT ?n WHERE { ?n cito:disagreesWith ?m }`` works as
written; a query that declares a prefix itself wins, as a later declaration does in SPARQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import ConfigError, KgError, NotFound
from kg.rdf import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph

    from kg.cache import Graph
    from kg.config import Config

_PREFIX = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<", re.IGNORECASE | re.MULTILINE)


class QueryError(KgError):
    """A SPARQL query that does not parse or cannot run."""


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = frozenset(_XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte"))
_REALS = frozenset(_XSD + name for name in ("decimal", "double", "float"))


class Integer(int):
    """A query's ``xsd:integer`` (or a type derived from it): a number in JSON, and as text
    the lexical form the store gave (``007`` stays ``007`` in a table)."""

    lexical: str

    def __str__(self) -> str:
        return self.lexical


class Real(float):
    """A query's ``xsd:decimal``, ``xsd:double`` or ``xsd:float``: as :class:`Integer`."""

    lexical: str

    def __str__(self) -> str:
        return self.lexical


def literal_value(text: str, datatype: str | None) -> str | Integer | Real:
    """A literal of a query's result as rows hold it: a number where its type is one (so that
    ``--format json`` gives ``{"n": 774}``, not ``"774"``), else its text. A number that
    JSON cannot hold (``INF``, ``NaN``) or that does not parse stays text."""
    made: Integer | Real
    if datatype in _INTEGERS and _INTEGER.fullmatch(text):
        made = Integer(text)
    elif datatype in _REALS and _REAL.fullmatch(text):  # not INF or NaN: JSON has none
        made = Real(text)
    else:  # Python's int() and float() read more than XSD writes ("1_000", " 7 ")
        return text
    made.lexical = text
    return made


_INTEGER = re.compile(r"[+-]?[0-9]{1,4000}")
_REAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""The lexical forms of XSD's integers and of its decimals and doubles that are numbers."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a query gave: ``rows`` for SELECT, ``boolean`` for ASK, ``triples`` for a graph."""

    kind: str  # "select" | "ask" | "graph"
    columns: tuple[str, ...] = ()
    rows: tuple[dict[str, str | Integer | Real | None], ...] = ()
    boolean: bool | None = None
    triples: tuple[tuple[str, str, str], ...] = ()
    ntriples: str = ""
    kinds: tuple[dict[str, str], ...] = field(default=(), repr=False)

    def as_rows(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The result as rows and columns for the table, JSON and CSV renderers."""
        if self.kind == "select":
            return [dict(r) for r in self.rows], list(self.columns)
        if self.kind == "ask":
            return [{"result": self.boolean}], ["result"]
        return ([{"subject": s, "predicate": p, "object": o} for s, p, o in self.triples],
                ["subject", "predicate", "object"])


def prefixes(base_iri: str) -> dict[str, str]:
    """The predeclared prefixes: the vocabulary's, and ``note:`` for this wiki's notes."""
    return {**PREFIXES, "note": f"{base_iri}note/"}


def prologue(base_iri: str) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes(base_iri).items())


def read_query(text_or_file: str) -> str:
    """The query text: the argument itself, the file it names (``.rq``/``.sparql``), or
    for ``-``, standard input; one holding a byte that is not UTF-8 (typed in a Latin-1
    terminal, piped from a Latin-1 file) is refused, naming it."""
    text = _query_text(text_or_file)
    undecoded = next((c for c in text if "\udc80" <= c <= "\udcff"), None)
    if undecoded is not None:
        raise QueryError(f"the query holds the byte 0x{ord(undecoded) - 0xDC00:02X}, which is "
                         "not UTF-8", file="-" if text_or_file == "-" else None,
                         hint="type or save the query as UTF-8")
    return text


def _query_text(text_or_file: str) -> str:
    if text_or_file == "-":
        import sys

        try:
            return sys.stdin.read()
        except (OSError, UnicodeDecodeError) as err:
            raise QueryError(f"cannot read the query from standard input: {err}") from None
    candidate = Path(text_or_file)
    looks_like_file = text_or_file.endswith((".rq", ".sparql")) or (
        "\n" not in text_or_file and "{" not in text_or_file and len(text_or_file) < 4096
    )
    if looks_like_file:
        try:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise QueryError(f"cannot read the query file: {err}", file=candidate) from None
        if text_or_file.endswith((".rq", ".sparql")):
            raise NotFound(f"no query file {text_or_file}", hint="pass a query or a .rq file")
    return text_or_file


def load_store(nt: str | Path) -> pyoxigraph.Store:
    """An in-memory store of N-Triples ``nt`` (the text, or a file of it)."""
    from kg.rdf import to_store

    return to_store(nt)


STORE_MIN_BYTES = 4 * 1024 * 1024
"""Below this much N-Triples, an in-memory store loads faster than one opens from disk."""


def open_store(config: Config, graph: Graph | None = None, *,
               min_bytes: int = STORE_MIN_BYTES) -> pyoxigraph.Store:
    """An Oxigraph store of the wiki's graph, for SPARQL.

    A large graph is kept as an on-disk store beside the cache, keyed like the N-Triples and
    opened read-only (milliseconds instead of seconds of loading); it is built in a temporary
    folder and renamed into place when complete, so a store that is there is whole.
    """
    import pyoxigraph

    from kg.cache import cache_file, ntriples_file, open_graph

    graph = graph or open_graph(config)
    base = cache_file(config)
    key = hashlib.blake2b(f"{graph.fingerprint} {config.base_iri}".encode(),
                          digest_size=8).hexdigest()
    folder = base.with_name(f"{base.stem}-store-{key}")
    if (folder / "complete").is_file():
        with contextlib.suppress(OSError):
            return pyoxigraph.Store.read_only(str(folder))
    nt = ntriples_file(config, graph)
    try:
        if nt.stat().st_size < min_bytes:
            return load_store(nt)
        try:
            _build_store(folder, nt)
            return pyoxigraph.Store.read_only(str(folder))
        except OSError:
            return load_store(nt)
    except SyntaxError as err:  # the cache's triples, damaged in place
        from kg.cache import damaged_ntriples

        raise damaged_ntriples(nt, err) from None


def _build_store(folder: Path, nt: Path) -> None:
    import gc
    import os
    import shutil

    import pyoxigraph

    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    store = pyoxigraph.Store(str(tmp))
    try:
        store.bulk_load(path=nt, format=pyoxigraph.RdfFormat.N_TRIPLES)
        store.flush()
    finally:
        del store
        gc.collect()  # the store closes when it is dropped
    (tmp / "complete").write_text("a kg SPARQL store; safe to delete\n", encoding="utf-8")
    try:
        tmp.rename(folder)
    except OSError:  # another process put one there first
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "complete").is_file():
            raise
    prefix = folder.name.rsplit("-", 1)[0] + "-"
    for old in folder.parent.glob(f"{prefix}*"):
        if old != folder and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)  # stores of earlier versions of the wiki


def run(store: pyoxigraph.Store, query: str, *, base_iri: str, compact: bool = False,
        source: str | None = None) -> Result:
    """Run ``query`` with the vocabulary's prefixes declared; terms as text.

    ``compact`` writes IRIs as ``prefix:local`` where a prefix fits (for the terminal).
    """
    import pyoxigraph

    refuse_update(query, source)
    known = prefixes(base_iri)
    full = prologue(base_iri) + query
    try:
        answer = store.query(full)
    except SyntaxError as err:
        raise syntax_error(err, query, known, len(known), source) from None
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"the query failed: {err}", file=source) from None
    declared = {m.group(1) or "" for m in _PREFIX.finditer(query)}
    names = {p: ns for p, ns in known.items() if p not in declared} if compact else {}
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return Result("ask", boolean=bool(answer))
    try:  # results are computed as they are read: a SERVICE that fails, fails here
        if isinstance(answer, pyoxigraph.QuerySolutions):
            columns = in_query_order(tuple(v.value for v in answer.variables), query)
            rows = tuple(
                {c: _text(solution[c], names) for c in columns} for solution in answer
            )
            return Result("select", columns=columns, rows=rows)
        triples = list(answer)
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"the query failed: {err}", file=source) from None
    text = tuple((str(_text(t.subject, names) or ""), str(_text(t.predicate, names) or ""),
                  str(_text(t.object, names) or "")) for t in triples)
    nt = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return Result("graph", triples=text, ntriples=nt)


_UPDATE = re.compile(
    r"(?:\s|#[^\n]*\n|PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)


_VARIABLE = re.compile(r"[?$]([A-Za-z_0-9\u00b7\u00c0-\uffff]+)")


def in_query_order(columns: tuple[str, ...], query: str) -> tuple[str, ...]:
    """``SELECT *``'s columns in the order the query first names each (Oxigraph gives
    them sorted: ``?o ?p ?s`` for ``{ ?s ?p ?o }``); a listed SELECT keeps its order."""
    if not re.search(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", query, re.I):
        return columns
    first: dict[str, int] = {}
    for match in _VARIABLE.finditer(query):
        first.setdefault(match.group(1), match.start())
    return tuple(sorted(columns, key=lambda c: first.get(c, len(query))))


MAX_NESTING = 256
"""How deep a query may nest (brackets, prefix operators): Oxigraph's parser recurses, and
5,000 nested parentheses or 100,000 ``!`` overflow its stack (a segmentation fault, not an
error)."""


def nesting_error(query: str, source: str | None = None) -> QueryError | None:
    """The error for a query nested deeper than :data:`MAX_NESTING`, at its line: brackets
    in brackets, or a run of prefix operators (``!!!!…``, ``- - -…``), each of which the
    parser recurses into."""
    depth = run = 0
    for at, char in enumerate(query):
        if char in "([{":
            depth += 1
            run = 0
        elif char in ")]}":
            depth = max(0, depth - 1)
            run = 0
        elif char in "!+-":
            run += 1
        elif not char.isspace():
            run = 0
        if depth + run > MAX_NESTING:
            return QueryError(f"the query nests more than {MAX_NESTING} deep",
                              file=source, line=query.count("\n", 0, at) + 1,
                              hint="write it flatter; no query needs that much nesting")
    return None


def refuse_update(query: str, source: str | None = None) -> None:
    """An update (``INSERT DATA``, ``DELETE WHERE``, ``CLEAR ALL``…) is an error saying so:
    Oxigraph's parser would only say it expected a query's first word; so is a query
    nested too deep to parse (:func:`nesting_error`)."""
    error = update_error(query, source) or nesting_error(query, source)
    if error is not None:
        raise error


def update_error(query: str, source: str | None = None, *, runner: str = "kg sparql runs"
                 ) -> QueryError | None:
    """The error :func:`refuse_update` raises for an update, at the line of its first word;
    ``runner`` says who refuses it (``kg build runs saved``, for a saved query)."""
    found = _UPDATE.match(query)
    if found is None:
        return None
    return QueryError(
        f"{runner} queries, not updates ({found.group(1).upper()}): the graph is "
        "made from the notes", file=source, line=query.count("\n", 0, found.start(1)) + 1,
        hint="change the notes and build again; SELECT, ASK, CONSTRUCT and DESCRIBE "
             "read the graph")


def syntax_error(err: SyntaxError, query: str, known: Mapping[str, str], offset: int,
                 source: str | None = None) -> QueryError:
    """Oxigraph's syntax error as the line of ``query`` at fault (``offset`` lines of
    prologue were put before it) and what is wrong there."""
    message, line = _located(str(err), offset, max(1, len(query.splitlines())))
    hint = "check the syntax; the prefixes "
    if "Prefix not found" in str(err):  # Oxigraph's message lists every character
        message, name = _unknown_prefix(message, query, line)
        hint = f"declare it first (PREFIX {name or 'ex'}: <http://…/>); "
    return QueryError(f"the query does not parse: {message}", file=source, line=line,
                      hint=f"{hint}{', '.join(p + ':' for p in known)} are predeclared")


def _text(term: Any, names: Mapping[str, str]) -> str | Integer | Real | None:
    """A term as text: an IRI (compacted when asked), a literal's value (a number where it
    is typed as one), a blank node's id."""
    import pyoxigraph

    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        iri = str(term.value)
        for prefix, ns in names.items():
            if iri.startswith(ns) and re.fullmatch(r"[\w.-]*", iri[len(ns):]):
                return f"{prefix}:{iri[len(ns):]}"
        return iri
    if isinstance(term, pyoxigraph.Literal):
        return literal_value(str(term.value), term.datatype.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


def _unknown_prefix(message: str, query: str, line: int | None) -> tuple[str, str | None]:
    """"line 1, column 29: an unknown prefix 'foo:'" for Oxigraph's list of expected
    characters, and the prefix: the one of the name that ends at the column, if found."""
    where = message.split(": ", 1)[0] if message.startswith(("line ", "the end")) else ""
    column = re.search(r"column (\d+)", where)
    lines = query.splitlines()
    name = None
    if line is not None and column is not None and 0 < line <= len(lines):
        before = lines[line - 1][:int(column.group(1))]
        found = re.search(r"([A-Za-z][\w.-]*)?:[\w.%-]*\s*$", before)
        name = found.group(1) if found is not None else None
    said = f"an unknown prefix '{name}:'" if name is not None else "an unknown prefix"
    return (f"{where}: {said}" if where else said), name


def _located(message: str, offset: int, last: int) -> tuple[str, int | None]:
    """Oxigraph's message with its line counted in the query as written, not with the
    prologue of predeclared prefixes (an error at the end of input is on the last line)."""
    text = " ".join(message.split())[:300]
    match = re.search(r"(\d+):(\d+)", text)
    if not match:
        return text, None
    line = int(match.group(1)) - offset
    if line < 1:
        return text, None
    where = f"line {line}, column {match.group(2)}"
    if line > last:
        line, where = last, "the end of the query"
    rest = (text[: match.start()] + text[match.end():]).replace("error at", "").strip(" :")
    return f"{where}: {rest}", line


def serialize_graph(result: Result, fmt: str) -> bytes:
    """A CONSTRUCT/DESCRIBE result as N-Triples or Turtle."""
    if result.kind != "graph":
        raise ConfigError(f"--format {fmt} is for CONSTRUCT and DESCRIBE queries",
                          hint="use --format table, json or csv for SELECT and ASK")
    from kg.rdf import serialize

    return serialize("".join(sorted(result.ntriples.splitlines(keepends=True))), fmt)


def query_wiki(config: Config, text_or_file: str, *, compact: bool = False,
               graph: Graph | None = None) -> Result:
    """Run a query (text, or a ``.rq`` file) over the wiki's graph, from the cache (or
    its ``graph``, opened already)."""
    from kg.workers import Died, NoProcess, within

    query = read_query(text_or_file)
    source = text_or_file if query is not text_or_file else None

    def answer() -> Result:
        return run(open_store(config, graph), query, base_iri=config.base_iri,
                   compact=compact, source=source)

    # in a child of its own, which opens the store there: Oxigraph hears no Ctrl-C until it
    # is done (a join of every triple with every other, a path of thousands of steps, runs
    # for minutes), and a chain of thousands of operators overflows its parser's stack, a
    # crash of the process that runs it
    try:
        return within(None, answer, keep=(KgError,))
    except NoProcess:
        return answer()
    except Died as err:
        import signal

        if err.signal != signal.SIGSEGV:  # killed, or out of memory (SIGABRT)
            why = f" (killed by signal {err.signal}: out of memory?)" if err.signal else ""
            raise QueryError(f"the query stopped Oxigraph before it answered{why}",
                             file=source, hint="narrow the query") from None
        raise QueryError("the query stopped Oxigraph before it answered (a chain of "
                         "thousands of operators, ||, UNION, MINUS or BIND, overflows its "
                         "parser's stack)", file=source,
                         hint="write it with fewer terms: VALUES or IN for a list of values"
                         ) from None
    except RuntimeError as err:
        raise QueryError(f"the query failed: {err}", file=source) from None
