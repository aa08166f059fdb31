"""Asking a SPARQL 1.1 store that ``kg push`` filled: the same questions as the local graph.

:class:`Store` speaks the SPARQL 1.1 protocol: a query goes as an HTTP POST of the
URL-encoded form ``query=…`` (every store takes it; Virtuoso 7 never answers a POST of
``application/sparql-query``), and results come back as SPARQL JSON, or N-Triples for
CONSTRUCT and DESCRIBE.

The remote commands rebuild, from the store, the records the local ones read (a note's
edges and the notes at their ends, the questions and their notes), then run the very same
functions over them (:func:`kg.query.connections`, :func:`kg.query.questions`,
:func:`kg.analysis.paths` and :func:`kg.analysis.neighbours`), so the rows have the same shape
and order. A ``[[mention]]`` travels as a ``kg:Mention`` node with its sentence, line and
place among the note's links, so remote mention rows equal the local ones.

Every pattern is inside ``GRAPH ?g { … }``: the store needs no union default graph for these
queries. ``kg sparql --endpoint`` sends the user's query as written (with kg's prefixes), and
so sees the store's default graph, which is the union of all graphs in Virtuoso, GraphDB and
Neptune, and in Oxigraph and Fuseki only when they are told so (``--union-default-graph``,
``tdb2:unionDefaultGraph true``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from kg.errors import ConfigError, KgError
from kg.ids import NoteId
from kg.model import (
    Edge,
    EdgeKind,
    Note,
    Placeholder,
    Question,
    QuestionStatus,
    TrackedQuestion,
    Wiki,
)
from kg.rdf import DCTERMS, KG, RDFS, SCHEMA, SKOS, Iris, iri, lit
from kg.relations import BY_NAME, CITO

if TYPE_CHECKING:
    from kg.analysis import Hop, Neighbour
    from kg.resolve import Resolver
    from kg.sparql import Integer, Real, Result
    from kg.views import Link

T = TypeVar("T")

TIMEOUT = 120.0
BATCH = 200
"""Notes per ``VALUES`` block: one request fetches the edges of this many notes."""
WHOLE_AFTER = 1000
"""A walk that has fetched the edges of this many notes fetches all the rest at once."""

JSON_RESULTS = "application/sparql-results+json"
GRAPH_RESULTS = "application/n-triples, text/plain;q=0.5"


class StoreError(KgError):
    """A SPARQL store refused a request (``status``), or could not be reached (no status)."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass(frozen=True, slots=True)
class Auth:
    user: str
    password: str


def login(user: str | None, password_env: str, environ: Mapping[str, str], *,
          ask: Callable[[str], str] | None = None) -> Auth | None:
    """The login for ``user`` (None without one): the password from ``$password_env``.

    ``ask`` prompts for it when the variable is unset; pass None when the user named the
    variable (``--password-env NAME``: they meant it to be set) or there is no terminal.
    """
    if not user:
        return None
    password = environ.get(password_env)
    if password:
        return Auth(user, password)
    if ask is not None:
        return Auth(user, ask(f"password for {user}"))
    state = "is empty" if password == "" else "is not set"
    raise ConfigError(f"${password_env} {state}: no password for {user}",
                      hint=f"export {password_env}=… with the password of {user}; "
                      "without --password-env, kg asks for it in a terminal")


# -- HTTP --------------------------------------------------------------------------------------


class Http:
    """Requests to one store URL, logging in with HTTP Basic or Digest as the store asks.

    urllib's own auth handlers send a request, and on a 401 send it again with credentials;
    a store that answers the 401 before reading a large body and closes the connection (as
    Virtuoso does) then resets it, and the push fails. So kg asks first: a ``HEAD`` of the URL
    without credentials (harmless on any store) gets the challenge, and the request goes once,
    with its body, already signed. Basic is then sent with every request; Digest needs a fresh
    nonce, so each request is preceded by its ``HEAD``. The password never goes out before
    the store has asked for it. One opener per thread (urllib's are not shared safely).
    """

    def __init__(self, url: str, auth: Auth | None = None, *, timeout: float = TIMEOUT,
                 service: str = "SPARQL") -> None:
        self.url = check_url(url, service)
        self.auth = auth
        self.timeout = timeout
        self.service = service
        self._local = threading.local()
        self._lock = threading.Lock()
        self._scheme: str | None = None  # "basic", "digest" or "none" once known

    def _opener(self) -> urllib.request.OpenerDirector:
        opener: urllib.request.OpenerDirector | None = getattr(self._local, "opener", None)
        if opener is None:
            opener = urllib.request.build_opener()
            self._local.opener = opener
        return opener

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, what: str = ""
                ) -> tuple[int, str, bytes]:
        """Status, content type and body of a successful response; a StoreError otherwise."""
        sent = dict(headers or {})
        signed = False
        if self.auth is not None:
            if self._scheme is None:
                self._learn(self._send("HEAD", url, None, {})[1])
            signed = self._sign(method, url, sent)
        status, answer, data = self._send(method, url, body, sent)
        if status == 401 and self.auth is not None and not signed:
            # the store let HEAD through but guards this method: learn, and ask once more
            self._learn(answer)
            if self._sign(method, url, sent):
                signed = True
                status, answer, data = self._send(method, url, body, sent)
        if 200 <= status < 300:
            return status, answer.get("Content-Type", ""), data
        detail = " ".join(re.sub(r"<[^>]+>", " ", data.decode("utf-8", "replace")).split())
        raise http_error(status, self.url, method, what, detail[:400], self.service)

    def _send(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
              ) -> tuple[int, Message, bytes]:
        req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with self._opener().open(req, timeout=self.timeout) as resp:
                return int(resp.status), resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            try:
                data = err.read(4000)
            except Exception:  # the body is only a courtesy
                data = b""
            return err.code, err.headers, data
        except urllib.error.URLError as err:
            raise self._unreachable(err.reason) from None
        except (TimeoutError, ConnectionError) as err:
            raise self._unreachable(err) from None

    def _learn(self, headers: Message) -> None:
        """Which login the store asks for, from its ``WWW-Authenticate`` headers."""
        schemes = {h.split(None, 1)[0].lower() for h in headers.get_all("WWW-Authenticate", [])
                   if h.strip()}
        scheme = "digest" if "digest" in schemes else "basic" if "basic" in schemes else None
        if scheme is None and schemes:
            raise StoreError(f"{self.url} asks for a login kg does not speak: "
                             f"{', '.join(sorted(schemes))}",
                             hint="kg speaks HTTP Basic and Digest authentication")
        with self._lock:
            self._scheme = scheme or "none"

    def _sign(self, method: str, url: str, headers: dict[str, str]) -> bool:
        """Add the ``Authorization`` header the store asked for; False when it asked none."""
        assert self.auth is not None
        if self._scheme == "basic":
            token = f"{self.auth.user}:{self.auth.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
            return True
        if self._scheme != "digest":
            return False
        answer = self._send("HEAD", url, None, {})[1]  # a fresh nonce for this request
        challenge = next((h for h in answer.get_all("WWW-Authenticate", [])
                          if h.lower().startswith("digest ")), None)
        if challenge is None:
            return False
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, self.auth.user, self.auth.password)
        handler = urllib.request.HTTPDigestAuthHandler(passwords)
        parts = urllib.request.parse_http_list(challenge.split(None, 1)[1])
        fields = urllib.request.parse_keqv_list([part for part in parts if part])
        signed = handler.get_authorization(
            urllib.request.Request(url, method=method), fields)
        if not signed:
            return False
        headers["Authorization"] = f"Digest {signed}"
        return True

    def _unreachable(self, reason: object) -> StoreError:
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return StoreError(f"cannot reach {self.url}: {str(text).lower()}",
                          hint="is the store running, and is the URL right?")


def check_url(url: str, service: str = "SPARQL") -> str:
    shown = re.sub(r"^([^:/?#]*://)[^/?#]*@", r"\1…@", url.strip())  # never a password
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:  # "http://[::1": an unclosed address
        parts = urllib.parse.urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = ("http://127.0.0.1:7878/store" if service == "Graph Store"
                   else "http://127.0.0.1:7878/query")
        raise ConfigError(f"the endpoint '{shown}' is not an http(s) URL",
                          hint=f"the store's {service} URL, e.g. {example}")
    if "@" in parts.netloc:  # user:password@host: never sent so, nor printed
        raise ConfigError(f"the endpoint names a user in its address ({shown})",
                          hint="give the user with --user and the password in $KG_PASSWORD "
                               "(or --password-env NAME), not in the URL")
    return url.strip()


def http_error(status: int, url: str, method: str, what: str, detail: str,
               service: str = "SPARQL") -> StoreError:
    """A clear message for a refused request, with what would fix it."""
    target = f" ({what})" if what else ""
    said = f": {detail}" if detail else ""
    if status == 401:
        message = f"{url} refused the credentials{target} (401 Unauthorized){said}"
        hint = ("give --user, and the password in $KG_PASSWORD (or --password-env NAME); "
                "kg answers Basic and Digest challenges")
    elif status == 403:
        message = f"{url} does not let this user do that{target} (403 Forbidden){said}"
        hint = "the user needs rights on the store (Virtuoso: the SPARQL_UPDATE role to write)"
    elif status in (404, 405) and service == "Graph Store":
        message = f"{url} is not a Graph Store endpoint{target} ({status}){said}"
        hint = ("point --endpoint at the store's Graph Store Protocol URL: "
                "http://HOST:7878/store (Oxigraph), .../sparql-graph-crud-auth (Virtuoso), "
                ".../DATASET/data (Fuseki)")
    elif status in (404, 405):
        message = f"{url} is not a SPARQL query endpoint{target} ({status}){said}"
        hint = ("point --endpoint at the store's query URL: http://HOST:7878/query "
                "(Oxigraph), http://HOST:8890/sparql (Virtuoso), .../DATASET/sparql (Fuseki)")
    elif 400 <= status < 500:
        message = f"{url} rejected {method}{target} ({status}){said}"
        hint = "the store's message says why"
    else:
        message = f"{url} failed on {method}{target} ({status}){said}"
        hint = "a server error: the store's log says more"
    return StoreError(message, status=status, hint=hint)


# -- the SPARQL protocol -----------------------------------------------------------------------

Binding = dict[str, dict[str, str]]

_FORM = re.compile(
    r"^(?:\s|#[^\n]*\n|(?:PREFIX\s+[\w.-]*:\s*<[^>]*>)|(?:BASE\s*<[^>]*>))*"
    r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
    re.IGNORECASE,
)


def query_form(query: str) -> str:
    """``select``, ``ask``, ``construct`` or ``describe`` (``select`` when unsure)."""
    match = _FORM.match(query)
    return match.group(1).lower() if match else "select"


class Store:
    """A SPARQL 1.1 query endpoint."""

    def __init__(self, url: str, auth: Auth | None = None, *, timeout: float = TIMEOUT) -> None:
        self.http = Http(url, auth, timeout=timeout, service="SPARQL")
        self.url = self.http.url

    def _post(self, query: str, accept: str) -> tuple[str, bytes]:
        body = urllib.parse.urlencode({"query": query}).encode("ascii")
        _, kind, data = self.http.request(
            "POST", self.url, body=body, what="query",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        return kind, data

    def results(self, query: str) -> dict[str, Any]:
        """The SPARQL JSON results of a SELECT or ASK query."""
        kind, data = self._post(query, JSON_RESULTS)
        return self._parsed(data, kind)

    def _parsed(self, data: bytes, kind: str) -> dict[str, Any]:
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # nested past the stack
            raise StoreError(f"{self.url} did not answer with SPARQL JSON results "
                             f"(Content-Type: {kind or 'none'})",
                             hint="is --endpoint the store's query URL?") from None
        if not _well_formed(parsed):  # a proxy's, or a store's of its own making
            raise StoreError(f"{self.url} answered with something other than SPARQL results")
        return parsed  # type: ignore[no-any-return]

    def select(self, query: str) -> list[Binding]:
        bindings = self.results(query).get("results", {}).get("bindings", [])
        return list(bindings) if isinstance(bindings, list) else []

    def graph(self, query: str) -> str:
        """The N-Triples of a CONSTRUCT or DESCRIBE query."""
        kind, data = self._post(query, GRAPH_RESULTS)
        if "json" in kind:  # a store that answers a graph as s/p/o bindings
            return _bindings_to_ntriples(self._parsed(data, kind))
        return data.decode("utf-8", "replace")


def _well_formed(parsed: object) -> bool:
    """Whether ``parsed`` has the shape of SPARQL JSON results, as what reads them expects
    it: a boolean, or ``head.vars`` (if any) of names and ``results.bindings`` of mappings
    of names to terms, each a mapping of text (``type``, ``value``, ``datatype``…)."""
    if not isinstance(parsed, dict):
        return False
    if "boolean" in parsed:
        return isinstance(parsed["boolean"], bool)
    head, results = parsed.get("head", {}), parsed.get("results", {})
    if not isinstance(head, dict) or not isinstance(results, dict):
        return False
    names, bindings = head.get("vars", []), results.get("bindings", [])
    return (isinstance(names, list) and all(isinstance(n, str) for n in names)
            and isinstance(bindings, list)
            and all(isinstance(b, dict) and all(
                isinstance(t, dict) and all(isinstance(v, str) for v in t.values())
                for t in b.values()) for b in bindings))


def _bindings_to_ntriples(results: Mapping[str, Any]) -> str:
    lines = []
    for b in results.get("results", {}).get("bindings", []):
        if {"s", "p", "o"} <= b.keys():
            lines.append(f"{_nt(b['s'])} {_nt(b['p'])} {_nt(b['o'])} .")
    return "".join(line + "\n" for line in lines)


def _nt(term: Mapping[str, str]) -> str:
    kind, value = term.get("type"), term.get("value", "")
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    if "xml:lang" in term:
        return f"{lit(value)}@{term['xml:lang']}"
    return lit(value, term.get("datatype"))


def value(binding: Binding, name: str) -> str | None:
    term = binding.get(name)
    return term.get("value") if term else None


# -- kg sparql --endpoint ----------------------------------------------------------------------


def query(store: Store, text_or_file: str, *, base_iri: str, compact: bool = False) -> Result:
    """Run a query on the store as ``kg sparql`` runs it locally: kg's prefixes declared, the
    same :class:`~kg.sparql.Result` back."""
    from kg.sparql import Result, prefixes, prologue, read_query, refuse_update

    text = read_query(text_or_file)
    refuse_update(text)
    full = prologue(base_iri) + text
    declared = {m.group(1) or "" for m in re.finditer(
        r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<", text, re.IGNORECASE | re.MULTILINE)}
    names = ({p: ns for p, ns in prefixes(base_iri).items() if p not in declared}
             if compact else {})
    form = query_form(text)
    if form in ("construct", "describe"):
        import pyoxigraph

        nt = store.graph(full)
        try:
            triples = list(pyoxigraph.parse(nt.encode("utf-8"),
                                            format=pyoxigraph.RdfFormat.N_TRIPLES))
        except SyntaxError as err:
            raise StoreError(f"{store.url} answered with N-Triples that do not parse: {err}"
                             ) from None
        rows = tuple(
            (_short(str(t.subject), names), _short(str(t.predicate), names),
             _short(str(t.object), names))
            for t in triples
        )
        body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
        return Result("graph", triples=rows, ntriples=body)
    answer = store.results(full)
    if "boolean" in answer:
        return Result("ask", boolean=bool(answer["boolean"]))
    columns = tuple(str(v) for v in answer.get("head", {}).get("vars", []))
    bindings = answer.get("results", {}).get("bindings", [])
    return Result("select", columns=columns, rows=tuple(
        {c: _text(b.get(c), names) for c in columns} for b in bindings))


def _text(term: Mapping[str, str] | None, names: Mapping[str, str]
          ) -> str | Integer | Real | None:
    """A term as ``kg sparql`` shows it: an IRI (compacted when asked), a literal's value (a
    number where it is typed as one), a blank node's id."""
    from kg.sparql import literal_value

    if term is None:
        return None
    kind, text = term.get("type"), term.get("value", "")
    if kind == "uri":
        return _compact(text, names)
    if kind == "bnode":
        return f"_:{text}"
    return literal_value(text, term.get("datatype"))


def _compact(text: str, names: Mapping[str, str]) -> str:
    for prefix, ns in names.items():
        if text.startswith(ns) and re.fullmatch(r"[\w.-]*", text[len(ns):]):
            return f"{prefix}:{text[len(ns):]}"
    return text


def _short(term: str, names: Mapping[str, str]) -> str:
    """An N-Triples term as ``kg sparql`` shows it."""
    if term.startswith("<") and term.endswith(">"):
        return _compact(term[1:-1], names)
    if term.startswith('"'):
        end = term.rfind('"')
        return json.loads(term[: end + 1]) if end > 0 else term
    return term


# -- the records, from the store ---------------------------------------------------------------

_P = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in (
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"), ("rdfs", RDFS), ("schema", SCHEMA),
    ("dcterms", DCTERMS), ("skos", SKOS), ("cito", CITO), ("kg", KG)))


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ {' '.join(iri(i) for i in iris)} }}"


def _batches(items: Sequence[T], size: int = BATCH) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RemoteGraph:
    """The wiki's records as the store holds them, fetched as a query needs them.

    It is an :class:`kg.analysis.Edges`: the walks of ``kg path`` and ``kg neighbors`` run on
    it unchanged. Edges are fetched for a whole batch of notes at once (every node seen but
    not yet expanded), so a breadth-first walk costs one request per level, not per node.
    """

    def __init__(self, store: Store, base_iri: str) -> None:
        self.store = store
        self.iris = Iris(base_iri)
        self.prefix = self.iris.note("")
        self._edges: dict[NoteId, list[Edge]] = {}
        self._labels: dict[NoteId, tuple[str, bool]] = {}
        self._pending: dict[NoteId, None] = {}  # seen, edges not fetched yet
        self._unlabelled: dict[NoteId, None] = {}  # seen, title not fetched yet
        self._placeholders: Mapping[NoteId, Placeholder] | None = None
        self._complete = False  # every edge fetched
        self._resolver: Resolver | None = None

    def ours(self, var: str) -> str:
        """A filter that keeps ``?var`` to this wiki's notes (a store may hold other wikis)."""
        return f"FILTER(STRSTARTS(STR(?{var}), {lit(self.prefix)}))"

    def nid(self, note_iri: str) -> NoteId | None:
        """The note id of a note IRI of this wiki; None for any other IRI."""
        if not note_iri.startswith(self.prefix):
            return None
        return NoteId(note_iri[len(self.prefix):])

    # -- what Edges asks for

    @property
    def placeholders(self) -> Mapping[NoteId, Placeholder]:
        if self._placeholders is None:
            rows = self.store.select(_P + f"""SELECT DISTINCT ?p ?label WHERE {{
              GRAPH ?g {{ ?p a kg:Placeholder ; rdfs:label ?label }} {self.ours("p")} }}""")
            found: dict[NoteId, Placeholder] = {}
            for row in rows:
                nid = self.nid(value(row, "p") or "")
                if nid is not None and nid not in found:
                    found[nid] = Placeholder(nid, value(row, "label") or nid, ())
            self._placeholders = MappingProxyType(dict(sorted(found.items())))
        return self._placeholders

    def edges(self, nid: NoteId) -> tuple[Edge, ...]:
        if nid not in self._edges and not self._complete:
            if len(self._edges) >= WHOLE_AFTER:  # a walk this wide reads the whole graph
                self._fetch_edges(None)
            else:
                self._fetch_edges([nid, *[n for n in self._pending if n != nid][: BATCH - 1]])
        return tuple(self._edges.get(nid, ()))

    def label(self, nid: NoteId) -> str:
        return self._label(nid)[0]

    def exists(self, nid: NoteId) -> bool:
        return self._label(nid)[1]

    def _label(self, nid: NoteId) -> tuple[str, bool]:
        if nid not in self._labels:  # with a batch of the other nodes seen so far
            others = [n for n in self._unlabelled if n != nid][: BATCH - 1]
            self._fetch_labels([nid, *others])
        return self._labels[nid]

    def resolver(self) -> Resolver:
        """Every note's names, as :func:`kg.query.lookup` resolves them."""
        if self._resolver is None:
            from kg.resolve import Resolver

            self._resolver = Resolver(self.all_notes().values())
        return self._resolver

    # -- fetching

    def all_notes(self) -> dict[NoteId, Note]:
        """Every note with the fields names resolve by: id, file, title, aliases, and the
        ``id:`` of its front-matter (its other ``dcterms:identifier``)."""
        rows = self.store.select(_P + f"""SELECT DISTINCT ?n ?title ?path ?alias ?ident WHERE {{
          GRAPH ?g {{ ?n a kg:Note ; dcterms:title ?title ; kg:sourceFile ?path .
                     OPTIONAL {{ ?n skos:altLabel ?alias }}
                     OPTIONAL {{ ?n dcterms:identifier ?ident }} }} {self.ours("n")} }}""")
        fields: dict[NoteId, tuple[str, str, list[str], list[str]]] = {}
        for row in rows:
            nid = self.nid(value(row, "n") or "")
            if nid is None:
                continue
            _, _, aliases, idents = fields.setdefault(
                nid, (value(row, "title") or nid, value(row, "path") or f"{nid}.md", [], []))
            alias, ident = value(row, "alias"), value(row, "ident")
            if alias is not None and alias not in aliases:
                aliases.append(alias)
            if ident is not None and ident != nid and ident not in idents:
                idents.append(ident)
        return {
            nid: Note(id=nid, path=path, title=title, body="", body_line=0,
                      aliases=tuple(sorted(aliases)), frontmatter_id=min(idents, default=None))
            for nid, (title, path, aliases, idents) in sorted(fields.items())
        }

    def kind_of(self, nid: NoteId) -> str | None:
        """``note``, ``placeholder`` or None: what the store holds under this id."""
        rows = self.store.select(_P + f"""SELECT DISTINCT ?kind WHERE {{
          GRAPH ?g {{ {iri(self.iris.note(nid))} a ?kind }}
          FILTER(?kind IN (kg:Note, kg:Placeholder)) }}""")
        kinds = {value(r, "kind") for r in rows}
        if f"{KG}Note" in kinds:
            return "note"
        return "placeholder" if f"{KG}Placeholder" in kinds else None

    def _fetch_edges(self, nids: Sequence[NoteId] | None) -> None:
        """The typed connections and mentions from or to each of ``nids`` (None: of every
        note), in the wiki's edge order (by source note, connections before mentions, by
        line)."""
        if nids is None:
            typed, mentions = self._all_edges()
            found: dict[NoteId, set[tuple[Any, ...]]] = defaultdict(set)
            self._complete = True
        else:
            typed, mentions = self._edges_of(nids)
            found = {n: set() for n in nids}
        ends: set[NoteId] = set()
        for row in typed:
            source, target = self.nid(value(row, "s") or ""), self.nid(value(row, "o") or "")
            relation = BY_NAME.get(value(row, "rel") or "")
            if source is None or target is None or relation is None:
                continue
            line = int(value(row, "line") or 0)
            edge = (source, 0, line, line, target, relation.name, value(row, "note") or "")
            for n in (source, target):
                if nids is None or n in found:
                    found[n].add(edge)
            ends.update((source, target))
        for row in mentions:
            source, target = self.nid(value(row, "s") or ""), self.nid(value(row, "o") or "")
            if source is None or target is None or source == target:
                continue
            order, line = int(value(row, "pos") or 0), int(value(row, "line") or 0)
            edge = (source, 1, order, line, target, "", value(row, "ctx") or "")
            for n in (source, target):
                if nids is None or n in found:
                    found[n].add(edge)
            ends.update((source, target))
        for nid, keys in found.items():
            self._pending.pop(nid, None)
            self._edges[nid] = [
                Edge(source, target, EdgeKind.MENTION if kind else EdgeKind.CONNECTION,
                     None if kind else BY_NAME[rel], annotation, line, target)
                for source, kind, _order, line, target, rel, annotation in sorted(keys)
            ]
        for end in sorted(ends):
            if end not in self._edges:
                self._pending.setdefault(end, None)
            if end not in self._labels:
                self._unlabelled.setdefault(end, None)

    def _all_edges(self) -> tuple[list[Binding], list[Binding]]:
        typed = self.store.select(_P + f"""SELECT DISTINCT ?s ?o ?rel ?line ?note WHERE {{
          GRAPH ?g {{ ?c cito:hasCitingEntity ?s ; cito:hasCitedEntity ?o ;
                      kg:relation ?rel ; kg:sourceLine ?line .
                      OPTIONAL {{ ?c rdfs:comment ?note }} }} {self.ours("s")} }}""")
        mentions = self.store.select(_P + f"""SELECT DISTINCT ?s ?o ?pos ?line ?ctx WHERE {{
          GRAPH ?g {{ ?m kg:mentionIn ?s ; kg:mentionOf ?o ; schema:position ?pos ;
                      kg:sourceLine ?line . OPTIONAL {{ ?m rdfs:comment ?ctx }} }}
          {self.ours("s")} }}""")
        return typed, mentions

    def _edges_of(self, nids: Sequence[NoteId]) -> tuple[list[Binding], list[Binding]]:
        values = _values("n", (self.iris.note(n) for n in nids))
        typed = self.store.select(_P + f"""SELECT DISTINCT ?s ?o ?rel ?line ?note WHERE {{
          {values}
          {{ GRAPH ?g {{ ?c cito:hasCitingEntity ?n ; cito:hasCitedEntity ?o ;
                         kg:relation ?rel ; kg:sourceLine ?line .
                         OPTIONAL {{ ?c rdfs:comment ?note }} }} BIND(?n AS ?s) }}
          UNION
          {{ GRAPH ?g {{ ?c cito:hasCitedEntity ?n ; cito:hasCitingEntity ?s ;
                         kg:relation ?rel ; kg:sourceLine ?line .
                         OPTIONAL {{ ?c rdfs:comment ?note }} }} BIND(?n AS ?o) }}
        }}""")
        mentions = self.store.select(_P + f"""SELECT DISTINCT ?s ?o ?pos ?line ?ctx WHERE {{
          {values}
          {{ GRAPH ?g {{ ?m kg:mentionIn ?n ; kg:mentionOf ?o ; schema:position ?pos ;
                         kg:sourceLine ?line . OPTIONAL {{ ?m rdfs:comment ?ctx }} }}
             BIND(?n AS ?s) }}
          UNION
          {{ GRAPH ?g {{ ?m kg:mentionOf ?n ; kg:mentionIn ?s ; schema:position ?pos ;
                         kg:sourceLine ?line . OPTIONAL {{ ?m rdfs:comment ?ctx }} }}
             BIND(?n AS ?o) }}
        }}""")
        return typed, mentions

    def _fetch_labels(self, nids: Iterable[NoteId]) -> None:
        """Title (or placeholder label) and whether it is a written note, for each id."""
        missing = [n for n in dict.fromkeys(nids) if n not in self._labels]
        for batch in _batches(missing):
            rows = self.store.select(_P + f"""SELECT DISTINCT ?n ?title ?label WHERE {{
              {_values("n", (self.iris.note(n) for n in batch))}
              OPTIONAL {{ GRAPH ?g {{ ?n a kg:Note ; dcterms:title ?title }} }}
              OPTIONAL {{ GRAPH ?h {{ ?n a kg:Placeholder ; rdfs:label ?label }} }}
            }}""")
            titles: dict[NoteId, tuple[str, bool]] = {}
            for row in rows:
                nid = self.nid(value(row, "n") or "")
                if nid is None:
                    continue
                title, label = value(row, "title"), value(row, "label")
                if title is not None:
                    titles[nid] = (title, True)
                elif label is not None and nid not in titles:
                    titles[nid] = (label, False)
            for wanted in batch:
                self._labels[wanted] = titles.get(wanted, (wanted, False))
                self._unlabelled.pop(wanted, None)

    def around(self, nid: NoteId) -> Wiki:
        """A :class:`Wiki` of ``nid``'s edges and the notes at their ends: what its
        connection view reads."""
        edges = self.edges(nid)
        ends = sorted({nid} | {e.source for e in edges} | {e.target for e in edges})
        self._fetch_labels(ends)
        notes = {
            n: Note(id=n, path=f"{n}.md", title=self._labels[n][0], body="", body_line=0)
            for n in ends if self._labels[n][1]
        }
        placeholders = {
            n: Placeholder(n, self._labels[n][0], ()) for n in ends if not self._labels[n][1]
        }
        return Wiki(MappingProxyType(notes), edges, MappingProxyType(placeholders), ())


def find(graph: RemoteGraph, name: str) -> NoteId:
    """The note or placeholder ``name`` names, as :func:`kg.query.lookup` finds it locally;
    an exact note id costs one small query, any other name one query for every note's names
    (about a second at 10,000 notes)."""
    from kg.query import lookup

    if graph.kind_of(NoteId(name)) == "note":
        return NoteId(name)
    resolver = graph.resolver()
    unknown = (f"the store holds no note under {graph.prefix}: fill it with `kg push`"
               if not resolver.by_id else
               "if it was written since the last push, `kg push` sends it to the store")
    return lookup(name, resolver, graph.placeholders, unknown=unknown)


# -- the remote commands -----------------------------------------------------------------------


def connections(graph: RemoteGraph, name: str, *, relation: str | None = None,
                direction: str = "both", mentions: bool = True) -> tuple[NoteId, list[Link]]:
    """:func:`kg.query.connections`, from the store."""
    from kg.query import connections as local_connections

    nid = find(graph, name)
    return local_connections(graph.around(nid), nid, relation=relation, direction=direction,
                             mentions=mentions)


def paths(graph: RemoteGraph, source: str, target: str, *, mentions: bool = True,
          directed: bool = False, limit: int | None = None
          ) -> tuple[NoteId, NoteId, list[tuple[Hop, ...]]]:
    """:func:`kg.analysis.paths`, walking the store."""
    from kg.analysis import paths as walk

    a, b = find(graph, source), find(graph, target)
    return a, b, walk(graph, a, b, mentions=mentions, directed=directed, limit=limit)


def neighbours(graph: RemoteGraph, name: str, depth: int = 1, *, mentions: bool = True,
               relation: str | None = None) -> list[Neighbour]:
    """:func:`kg.analysis.neighbours`, walking the store."""
    from kg.analysis import neighbours as walk

    return walk(graph, find(graph, name), depth, mentions=mentions, relation=relation)


_STATUS = {f"{KG}Open": QuestionStatus.OPEN, f"{KG}Answered": QuestionStatus.ANSWERED,
           f"{KG}Dropped": QuestionStatus.DROPPED}


def questions(graph: RemoteGraph, *, status: str = "open", tier: int | None = None,
              tag: str | None = None, since: dt.date | None = None, on: dt.date | None = None
              ) -> list[dict[str, Any]]:
    """The rows of :func:`kg.query.questions` (``QuestionRow.as_dict()``), from the store.

    ``where`` is the note's file and the question's line when the graph has the line
    (``kg:sourceLine`` on the question), else the file alone.
    """
    from kg.query import STATUSES
    from kg.query import questions as local_questions

    if status not in STATUSES:
        raise ConfigError(f"unknown status '{status}'", hint=f"use one of {', '.join(STATUSES)}")
    store = graph.store
    wanted = "" if status == "all" else f"FILTER(?status = kg:{status.capitalize()})"
    rows = store.select(_P + f"""SELECT DISTINCT ?q ?qid ?text ?status ?n ?title ?path ?tier
                                         ?date ?line WHERE {{
      GRAPH ?g {{ ?q a schema:Question ; dcterms:identifier ?qid ; schema:text ?text ;
                     schema:isPartOf ?n .
                 ?n a kg:Note ; dcterms:title ?title ; kg:sourceFile ?path .
                 OPTIONAL {{ ?n kg:tier ?tier }} OPTIONAL {{ ?n dcterms:date ?date }}
                 OPTIONAL {{ ?q kg:sourceLine ?line }} }}
      GRAPH ?w {{ ?q kg:status ?status }}
      {wanted} {graph.ours("n")}
    }}""")
    answers: dict[str, list[NoteId]] = {}
    for row in store.select(_P + f"""SELECT DISTINCT ?qid ?by WHERE {{
          GRAPH ?w {{ ?q kg:answeredBy ?by }} GRAPH ?g {{ ?q a schema:Question ;
                                                        dcterms:identifier ?qid }}
          {graph.ours("by")} }}"""):
        by = graph.nid(value(row, "by") or "")
        if by is not None:
            answers.setdefault(value(row, "qid") or "", []).append(by)
    tags: dict[NoteId, tuple[str, ...]] = {}
    if tag:
        found: dict[NoteId, list[str]] = {}
        for row in store.select(_P + f"""SELECT DISTINCT ?n ?tag WHERE {{
              GRAPH ?g {{ ?n a kg:Note ; dcterms:subject ?t }}
              GRAPH ?w {{ ?t skos:prefLabel ?tag }} {graph.ours("n")} }}"""):
            nid = graph.nid(value(row, "n") or "")
            if nid is not None:
                found.setdefault(nid, []).append(value(row, "tag") or "")
        tags = {nid: tuple(sorted(t)) for nid, t in found.items()}
    notes: dict[NoteId, Note] = {}
    tracked: list[TrackedQuestion] = []
    lines: dict[str, bool] = {}
    tier_prefix = graph.iris.tier(0)[:-1]
    for row in rows:
        nid = graph.nid(value(row, "n") or "")
        state = _STATUS.get(value(row, "status") or "")
        if nid is None or state is None:
            continue
        if nid not in notes:
            tier_iri, date = value(row, "tier"), value(row, "date")
            notes[nid] = Note(
                id=nid, path=value(row, "path") or "", title=value(row, "title") or nid,
                body="", body_line=0,
                tier=_int(tier_iri[len(tier_prefix):]) if tier_iri and
                tier_iri.startswith(tier_prefix) else None,
                date=_date(date), tags=tags.get(nid, ()),
            )
        qid = value(row, "qid") or ""
        line = _int(value(row, "line"))
        lines[qid] = line is not None
        question = Question(qid, nid, value(row, "text") or "", line or 0)
        tracked.append(TrackedQuestion(question, state, tuple(sorted(answers.get(qid, ())))))
    wiki = Wiki(MappingProxyType(notes), (), MappingProxyType({}), tuple(tracked))
    found_rows = local_questions(wiki, status=status, tier=tier, tag=tag, since=since, on=on)
    out: list[dict[str, Any]] = []
    for found_row in found_rows:
        shown = found_row.as_dict()
        if not lines.get(found_row.id):
            shown["where"] = found_row.path
        out.append(shown)
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def connect(endpoint: str, base_iri: str, auth: Auth | None = None) -> RemoteGraph:
    """The wiki whose IRIs start with ``base_iri``, as the store at ``endpoint`` holds it."""
    return RemoteGraph(Store(endpoint, auth), base_iri)
