"""Saved queries: the wiki's ``queries/*.rq`` files, run over the graph when the site is built.

Each becomes a page of the site with its rows as a table; a note's IRI becomes a link to its
page. The same prefixes are declared as for ``kg sparql``.
"""

from __future__ import annotations

import itertools
import re
import signal
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kg.config import Config
from kg.errors import KgError
from kg.ids import NoteId, PagePath, note_page, page, slugify, small_number
from kg.ids import relative_url as link
from kg.model import Wiki
from kg.urls import safe_url

ROW_LIMIT = 2000
"""Rows a query's page shows."""
READ_LIMIT = 50_000
"""Rows of a result read at most (they are sorted before the first ROW_LIMIT are shown): a
cross join of the whole graph must not fill the memory of a build."""
_ORDER_BY = re.compile(r"\border\s+by\b", re.I)
_NOT_CODE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                       r"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>|#[^\n]*")
"""What in a query is no keyword: strings, IRIs, comments."""
_SERVICE = re.compile(r"(?<![?$\w:])SERVICE\b", re.I)


def calls_out(text: str) -> bool:
    """Whether a query asks another endpoint (``SERVICE <…>``): a saved query of a shared
    wiki must not make a build reach hosts of its choosing, nor wait on them."""
    return bool(_SERVICE.search(_NOT_CODE.sub(" ", text)))


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """A ``queries/*.rq`` file of the wiki; leading ``#`` lines are its title and description."""

    slug: str
    file: str
    title: str
    description: str
    text: str


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    external: bool = False


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    error: str | None = None
    more: bool = False
    """More rows than :data:`READ_LIMIT` were found; ``total`` counts those read."""
    settled: bool = True
    """False when the query was stopped (out of time, its process gone): another build, on
    a quieter machine, may answer, so its page is not kept as made."""


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def load_queries(folder: Path) -> tuple[SavedQuery, ...]:
    """Every ``*.rq`` in ``folder``, sorted by file name; read once, before rendering."""
    from kg.discover import printable

    if not folder.is_dir():
        return ()
    queries: list[SavedQuery] = []
    taken: set[str] = set()
    for path in sorted(folder.glob("*.rq")):
        if not path.is_file() or path.is_symlink():
            continue
        # what does not decode, and controls (a NUL), would be shown in its page as they are
        text = _CONTROLS.sub("\ufffd", path.read_text(encoding="utf-8", errors="replace"))
        comments: list[str] = []
        for line in text.splitlines():
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            comments.append(line.lstrip("#").strip())
        # a name that is not UTF-8 (caf\xe9.rq: a lone surrogate) is shown escaped, as kg
        # names such files everywhere, not put into its page as no UTF-8 can hold it
        name, stem = printable(path.name), printable(path.stem)
        title = comments[0] if comments and comments[0] else stem.replace("-", " ")
        slug = base = slugify(stem)
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        description = " ".join(c for c in comments[1:] if c)
        queries.append(SavedQuery(slug, name, title, description, text))
    return tuple(queries)


SAVED = "kg build runs saved"
"""Who refuses an update among the saved queries, in its error."""


def parse_problem(query: SavedQuery, base_iri: str, seconds: float = 30) -> KgError | None:
    """Why ``query`` cannot run, found by parsing it, never by running it: it is an update,
    or it does not parse (at the line at fault, in the parser's words). A query that asks
    another endpoint is not parsed (Oxigraph would ask it for an ASK); a build does not run
    it either, and its page says so. It is parsed in a forked child stopped after
    ``seconds`` (:func:`kg.workers.within`), as a build runs it: Oxigraph's parser and
    planner take minutes over a path or a join of a thousand steps, and overflow their
    stack (a segmentation fault) over a chain of thousands of ``||``, UNION, MINUS or BIND
    that a shared wiki's query may hold."""
    from kg.sparql import QueryError, nesting_error, prefixes, syntax_error, update_error
    from kg.workers import Died, TimedOut, within

    update = update_error(query.text, runner=SAVED) or nesting_error(query.text, query.file)
    if update is not None or calls_out(query.text):
        return update
    known = prefixes(base_iri)
    try:
        said = within(seconds, partial(_parsed, query.text, known), memory=PARSE_MEMORY)
    except TimedOut:
        return QueryError(f"Oxigraph did not finish reading the query in {seconds:g} s "
                          "(query_seconds in kg.toml)", line=1,
                          hint="write it with fewer steps (a long property path, a join of "
                               "hundreds of patterns); a build stops it likewise")
    except Died as err:
        if err.signal == signal.SIGABRT:  # Rust's allocator refused past PARSE_MEMORY
            return QueryError(f"Oxigraph needed more than {PARSE_MEMORY >> 20} MiB to "
                              "read the query", line=1,
                              hint="write it with fewer steps (VALUES joined with VALUES "
                                   "make every pair); a build may take what it asks")
        return QueryError("the query crashed Oxigraph's parser (a chain of thousands of "
                          "operators overflows its stack)", line=1,
                          hint="write it with fewer terms: VALUES or IN for a list of values")
    except RuntimeError as err:  # no process to fork, or the child could not say
        return QueryError(f"could not read the query: {err}", line=1)
    return None if said is None else syntax_error(SyntaxError(said), query.text, known, 0)


PARSE_MEMORY = 1 << 30
"""How much more memory than the process had a saved query's check may take. Oxigraph reads
an ASK or CONSTRUCT query by answering it, which on an empty store takes next to nothing,
but a shared wiki's ``ASK { {SELECT (GROUP_CONCAT(…) AS ?g) {VALUES ?a {…} VALUES ?b {…}}} }``
took a gigabyte more every eight seconds until kg check stopped it."""
RUN_MEMORY = 2 << 30
"""How much more memory than the build's process holds a saved query may take as the build
runs it (its rows are cut to a page's; a shared wiki's query could otherwise fill the
machine until its deadline)."""


def _parsed(text: str, known: dict[str, str]) -> str | None:
    """Oxigraph's syntax error of ``text`` (run in a child process), or None."""
    import pyoxigraph

    try:  # on an empty store; solutions are computed as they are read, and none is
        pyoxigraph.Store().query(text, prefixes=known)
    except SyntaxError as err:
        return str(err)
    except (OSError, ValueError, TypeError, RuntimeError):
        return None  # not the text's fault: the build's run says what it is
    return None


def query_page(query: SavedQuery) -> PagePath:
    return page(f"queries/{query.slug}.html")


class QueryRunner:
    """Runs saved queries on one store of the wiki's graph, with cells linked for the site."""

    def __init__(self, store: Any, wiki: Wiki, config: Config) -> None:
        self.store = store
        self.wiki = wiki
        self.config = config

    def run(self, query: SavedQuery) -> QueryResult:
        import pyoxigraph

        from kg.rdf import PREFIXES
        from kg.sparql import nesting_error, update_error

        here = query_page(query)
        if calls_out(query.text):
            return QueryResult((), (), 0, error="SERVICE (another endpoint) is not run when "
                                                "the site is built; ask it with kg sparql")
        update = update_error(query.text, runner=SAVED) or nesting_error(query.text)
        if update is not None:  # Oxigraph would say it expected CONSTRUCT, or crash
            return QueryResult((), (), 0, error=f"{update.message} ({update.hint})")
        try:
            # the same prefixes as `kg sparql`: the vocabulary's, and note: for this wiki
            declared = {**PREFIXES, "note": f"{self.config.base_iri}note/"}
            answer = self.store.query(query.text, prefixes=declared)
            if isinstance(answer, pyoxigraph.QueryBoolean):
                return QueryResult(("answer",), ((Cell("yes" if bool(answer) else "no"),),), 1)
            if isinstance(answer, pyoxigraph.QueryTriples):
                columns: tuple[str, ...] = ("subject", "predicate", "object")
                rows = [tuple(self.cell(t, here) for t in (tr.subject, tr.predicate, tr.object))
                        for tr in itertools.islice(answer, READ_LIMIT + 1)]
            else:
                names = [v.value for v in answer.variables]
                columns = tuple(names)
                rows = [tuple(self.cell(solution[name], here) for name in names)
                        for solution in itertools.islice(answer, READ_LIMIT + 1)]
        except (SyntaxError, OSError, ValueError, TypeError, RuntimeError) as err:
            return QueryResult((), (), 0, error=str(err))
        more, rows = len(rows) > READ_LIMIT, rows[:READ_LIMIT]
        if not _ORDER_BY.search(query.text):
            rows.sort(key=lambda row: [(c.text, c.href or "") for c in row])
        return QueryResult(columns, tuple(rows[:ROW_LIMIT]), len(rows), more=more)

    def run_within(self, query: SavedQuery, seconds: float) -> QueryResult:
        """:meth:`run`, stopped after ``seconds``, with :data:`RUN_MEMORY` more memory than
        the build's process holds: a query can run for hours (a join of every triple with
        every other that finds nothing), or fill the memory, and a build must end."""
        from kg.workers import Died, TimedOut, within

        try:
            return within(seconds, partial(self.run, query), memory=RUN_MEMORY)
        except TimedOut:
            return QueryResult((), (), 0, error=(
                f"stopped after {seconds:g} s (query_seconds in kg.toml); narrow the query, "
                "or ask it with kg sparql"), settled=False)
        except Died as err:
            said = (f"Oxigraph needed more than {RUN_MEMORY >> 20} MiB to answer it; narrow "
                    "the query, or ask it with kg sparql" if err.signal == signal.SIGABRT
                    else f"{err}: the query stopped Oxigraph before it answered")
            return QueryResult((), (), 0, error=said, settled=False)
        except RuntimeError as err:
            return QueryResult((), (), 0, error=str(err), settled=False)

    def cell(self, term: Any, here: PagePath) -> Cell:
        import pyoxigraph

        from kg.rdf import PREFIXES

        if term is None:
            return Cell("")
        if isinstance(term, pyoxigraph.Literal):
            return Cell(term.value)
        if isinstance(term, pyoxigraph.BlankNode):
            return Cell(f"_:{term.value}")
        if not isinstance(term, pyoxigraph.NamedNode):
            return Cell(str(term))
        value: str = term.value
        base = self.config.base_iri
        if value.startswith(base + "note/"):
            nid, _, fragment = value[len(base) + 5:].partition("#")
            if nid in self.wiki.notes or nid in self.wiki.placeholders:
                text = self.wiki.node_label(NoteId(nid))
                return Cell(f"{text} #{fragment}" if fragment else text,
                            link(here, note_page(nid), fragment))
        if value.startswith(base + "tier/"):
            tier = value[len(base) + 5:]
            if small_number(tier):
                return Cell(self.config.tier_label(int(tier)),
                            link(here, page(f"tiers/{tier}.html")))
        for prefix, namespace in sorted(PREFIXES.items()):
            if value.startswith(namespace) and len(value) > len(namespace):
                return Cell(f"{prefix}:{value[len(namespace):]}")
        if safe_url(value):
            return Cell(value, value, external=True)
        return Cell(value)
