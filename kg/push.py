"""``kg push``: the graph into a SPARQL 1.1 store, one named graph per note.

It speaks the SPARQL 1.1 Graph Store HTTP Protocol (GSP): ``PUT <endpoint>?graph=<iri>`` with
an N-Triples body replaces one graph, ``DELETE`` removes it. Bodies go as documents, never as
``INSERT DATA`` texts (Virtuoso refuses SPARQL texts over 10,000 lines).

Each note's graph is the note's own triples (:func:`kg.rdf.note_lines`) under its note IRI;
two more graphs hold the vocabulary and the wiki-level facts (tiers, tags, placeholders,
question status). A content hash of every graph is kept per endpoint in
``<root>/.kg/push-state.json``, so a push sends only the graphs that changed since the last one
and deletes the graphs of notes that are gone. The state records a graph only once the store
has confirmed it: a push that fails half-way leaves the rest as it was, and the next push
resumes where it stopped. Before trusting the state, a push asks the store whether it still
has one note's graph the state records (a ``HEAD``); a store that no longer has it (restarted
in memory, wiped, restored from an old backup) gets every graph again.

Authentication is HTTP Basic or Digest, whichever the store asks for (Virtuoso's ``-auth``
endpoints accept only Digest); the password never goes out before the store asks for it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kg.config import Config
from kg.errors import ConfigError, KgError
from kg.model import Wiki
from kg.relations import KG_VOCAB
from kg.remote import Auth, Http, StoreError, check_url

STATE_FILE = "push-state.json"
STATE_VERSION = 1
VOCAB_GRAPH = KG_VOCAB.rstrip("#")
"""The vocabulary's graph: its ontology IRI, the same for every wiki."""

NTRIPLES = "application/n-triples"
WORKERS = 4
FLUSH_SECONDS = 1.0

Progress = Callable[[str], None]


def wiki_graph(base_iri: str) -> str:
    """The graph of the wiki-level facts."""
    return f"{base_iri}graph/wiki"


# -- what to push ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NamedGraph:
    """One graph to send: its IRI, what it holds (a note id, ``vocabulary`` or ``wiki``),
    its body and the body's content hash."""

    iri: str
    name: str
    body: bytes
    content_type: str
    triples: int
    digest: str


def _graph(iri: str, name: str, lines: Iterable[str]) -> NamedGraph:
    unique = sorted(set(lines))
    body = "".join(line + "\n" for line in unique).encode("utf-8")
    return NamedGraph(iri, name, body, NTRIPLES, len(unique), _digest(body))


def _turtle_lines(turtle: str) -> Iterator[str]:
    import pyoxigraph

    for triple in pyoxigraph.parse(turtle.encode("utf-8"), format=pyoxigraph.RdfFormat.TURTLE):
        yield f"{triple.subject} {triple.predicate} {triple.object} ."


def _digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def named_graphs(wiki: Wiki, config: Config) -> Iterator[NamedGraph]:
    """Every graph of the wiki: the vocabulary, the wiki-level facts, then one per note."""
    from kg.rdf import Iris, edges_by_source, note_lines, wiki_lines
    from kg.resolve import forecast_resolvers
    from kg.vocab import vocabulary_turtle

    yield _graph(VOCAB_GRAPH, "vocabulary", _turtle_lines(vocabulary_turtle()))
    yield _graph(wiki_graph(config.base_iri), "wiki", wiki_lines(wiki, config))
    iris = Iris(config.base_iri)
    by_source = edges_by_source(wiki)
    resolvers = forecast_resolvers(wiki)
    for note in wiki.notes.values():
        lines = note_lines(note, by_source.get(note.id, ()), iris, resolvers)
        yield _graph(iris.note(note.id), note.id, lines)


# -- the state of earlier pushes ---------------------------------------------------------------


def state_path(config: Config) -> Path:
    return config.root / ".kg" / STATE_FILE


def read_state(path: Path, endpoint: str) -> dict[str, str]:
    """The graphs pushed to ``endpoint`` and their content hashes; empty when none were."""
    import stat

    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe would be waited on for ever
            raise ValueError("it is not a regular file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as err:  # JSON nested past the stack
        raise ConfigError(f"cannot read the push state: {err}", file=path,
                          hint="delete the file; the next push then sends every graph") from None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {}
    endpoints = data.get("endpoints", {})
    record = endpoints.get(endpoint, {}) if isinstance(endpoints, dict) else None
    graphs = record.get("graphs", {}) if isinstance(record, dict) else None
    if not isinstance(graphs, dict) or not all(isinstance(v, str) for v in graphs.values()):
        raise ConfigError("cannot read the push state: it is not as kg writes it", file=path,
                          hint="delete the file; the next push then sends every graph")
    return {str(k): v for k, v in graphs.items()}


def write_state(path: Path, endpoint: str, graphs: Mapping[str, str]) -> None:
    """Record ``graphs`` for ``endpoint``, keeping other endpoints' records; atomic."""
    from kg.cache import write_atomic

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            data = {}
    except (OSError, ValueError, RecursionError):
        data = {}
    endpoints = data.get("endpoints") if isinstance(data.get("endpoints"), dict) else {}
    assert isinstance(endpoints, dict)
    endpoints[endpoint] = {"graphs": dict(sorted(graphs.items()))}
    out = {"version": STATE_VERSION, "endpoints": dict(sorted(endpoints.items()))}
    text = json.dumps(out, indent=1, sort_keys=True) + "\n"
    try:
        write_atomic(path, lambda f: f.write(text.encode("utf-8")))
    except OSError as err:
        raise ConfigError(f"cannot write the push state: {err.strerror}", file=path) from None


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What a push does: graphs to put (new or changed), graphs to delete, and how many are
    already in the store as they are."""

    endpoint: str
    put: tuple[NamedGraph, ...]
    delete: tuple[str, ...]
    unchanged: int
    known: Mapping[str, str] = field(default_factory=dict)


def plan_push(wiki: Wiki, config: Config, endpoint: str, *, force: bool = False) -> Plan:
    """Compare the wiki's graphs with the push state of ``endpoint``."""
    endpoint = check_url(endpoint, "Graph Store")
    known = read_state(state_path(config), endpoint)
    current: set[str] = set()
    put: list[NamedGraph] = []
    for graph in named_graphs(wiki, config):  # only the changed bodies are kept in memory
        current.add(graph.iri)
        if force or known.get(graph.iri) != graph.digest:
            put.append(graph)
    delete = tuple(sorted(iri for iri in known if iri not in current))
    return Plan(endpoint, tuple(put), delete, len(current) - len(put), known)


def probe_graph(known: Mapping[str, str], config: Config) -> str | None:
    """The recorded graph whose presence in the store vouches for the record: a note's when
    there is one (small, and this wiki's own, where the vocabulary graph is every wiki's)."""
    from kg.rdf import Iris

    notes = Iris(config.base_iri).note("")
    ranked = sorted(known, key=lambda iri: (not iri.startswith(notes), iri == VOCAB_GRAPH, iri))
    return ranked[0] if ranked else None


# -- talking to the store ----------------------------------------------------------------------


def graph_url(endpoint: str, iri: str) -> str:
    sep = "&" if "?" in endpoint else "?"
    return f"{endpoint}{sep}{urllib.parse.urlencode({'graph': iri})}"


RETRIES = 3


def _transient(err: StoreError) -> bool:
    """A failure worth trying again: the store is busy, or it broke a deadlock between our
    parallel writes (Virtuoso: "40001 SR172: Transaction deadlocked")."""
    return err.status == 503 or (err.status == 500 and "deadlock" in str(err).lower())


def _idempotent(request: Callable[[], object]) -> None:
    """Run a whole-graph PUT or DELETE, which is safe to repeat, retrying transient failures."""
    for attempt in range(RETRIES + 1):
        try:
            request()
            return
        except StoreError as err:
            if attempt == RETRIES or not _transient(err):
                raise
            time.sleep(0.2 * (attempt + 1))


def put_graph(http: Http, endpoint: str, graph: NamedGraph) -> None:
    _idempotent(lambda: http.request(
        "PUT", graph_url(endpoint, graph.iri), body=graph.body,
        headers={"Content-Type": f"{graph.content_type}; charset=utf-8"},
        what=f"graph of {graph.name}"))


def has_graph(http: Http, endpoint: str, iri: str) -> bool:
    """Whether the store holds graph ``iri``: a ``HEAD``, or a ``GET`` where the store does
    not answer ``HEAD``."""
    url, what = graph_url(endpoint, iri), f"graph {iri}"
    try:
        try:
            http.request("HEAD", url, what=what)
        except StoreError as err:
            if err.status not in (405, 501):  # Virtuoso answers HEAD with 501
                raise
            http.request("GET", url, headers={"Accept": NTRIPLES}, what=what)
    except StoreError as err:
        if err.status == 404:
            return False
        raise
    return True


def delete_graph(http: Http, endpoint: str, iri: str) -> None:
    """Remove a graph; one the store does not have is already gone."""
    try:
        _idempotent(lambda: http.request("DELETE", graph_url(endpoint, iri), what=f"graph {iri}"))
    except StoreError as err:
        if err.status != 404:
            raise


# -- pushing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One confirmed change: ``put`` or ``delete`` of a graph."""

    action: str
    graph: str
    name: str
    triples: int

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "name": self.name, "graph": self.graph,
                "triples": self.triples}


@dataclass(frozen=True, slots=True)
class PushReport:
    endpoint: str
    sent: tuple[Sent, ...]
    unchanged: int
    seconds: float
    dry_run: bool = False
    lost: str | None = None
    """A graph the last push recorded and the store no longer has: every graph was sent."""

    @property
    def put(self) -> tuple[Sent, ...]:
        return tuple(s for s in self.sent if s.action == "put")

    @property
    def deleted(self) -> tuple[Sent, ...]:
        return tuple(s for s in self.sent if s.action == "delete")

    def summary(self) -> str:
        if self.dry_run:
            return (f"would put {len(self.put)} graph(s) and delete {len(self.deleted)}; "
                    f"{self.unchanged} unchanged ({self.endpoint}; dry run, nothing sent)")
        done = (f"put {len(self.put)} graph(s), deleted {len(self.deleted)}, "
                f"{self.unchanged} unchanged → {self.endpoint} in {self.seconds:.2f}s")
        if self.lost:
            done += (f"; the store no longer had the graph of {self.lost} from the last "
                     "push, so every graph was sent again")
        return done


def _name_of(iri: str, config: Config) -> str:
    from kg.rdf import Iris

    prefix = Iris(config.base_iri).note("")
    if iri.startswith(prefix):
        return iri[len(prefix):]
    if iri == VOCAB_GRAPH:
        return "vocabulary"
    if iri == wiki_graph(config.base_iri):
        return "wiki"
    return iri


def push(
    wiki: Wiki,
    config: Config,
    endpoint: str,
    *,
    auth: Auth | None = None,
    dry_run: bool = False,
    force: bool = False,
    workers: int = WORKERS,
    progress: Progress | None = None,
) -> PushReport:
    """Put every changed graph and delete every removed note's graph; return what was done.

    The push state records each graph once the store has confirmed it, so after a failure
    (a :class:`~kg.remote.StoreError`) the next push sends only what is still missing. The
    state is trusted only once the store shows it still has one graph the state records
    (:func:`has_graph`); if it does not, every graph is sent again. A dry run asks the store
    nothing: its plan is the state's.
    """
    started = time.perf_counter()
    endpoint = check_url(endpoint, "Graph Store")
    if dry_run:
        plan = plan_push(wiki, config, endpoint, force=force)
        sent = [Sent("put", g.iri, g.name, g.triples) for g in plan.put]
        sent += [Sent("delete", iri, _name_of(iri, config), 0) for iri in plan.delete]
        return PushReport(plan.endpoint, tuple(sent), plan.unchanged, 0.0, dry_run=True)
    http = Http(endpoint, auth, service="Graph Store")
    probe = None if force else probe_graph(read_state(state_path(config), endpoint), config)
    lost = probe if probe is not None and not has_graph(http, endpoint, probe) else None
    plan = plan_push(wiki, config, endpoint, force=force or lost is not None)
    if lost is not None:
        # forget the record but for the graphs still to delete: should this push fail
        # half-way, the next one then resends whatever this one did not confirm
        plan = replace(plan, known={iri: plan.known[iri] for iri in plan.delete})
    report = _send(plan, config, http, workers=max(1, workers), progress=progress,
                   started=started)
    return replace(report, lost=_name_of(lost, config) if lost else None)


def _send(plan: Plan, config: Config, http: Http, *, workers: int, progress: Progress | None,
          started: float) -> PushReport:
    path = state_path(config)
    state = dict(plan.known)
    done: list[Sent] = []
    say = progress or (lambda _message: None)
    total = len(plan.put) + len(plan.delete)
    flushed = time.monotonic()
    dirty = False

    def flush() -> None:
        nonlocal flushed, dirty
        if dirty:
            write_state(path, plan.endpoint, state)
            dirty = False
        flushed = time.monotonic()

    def confirmed(item: Sent, digest: str | None) -> None:
        nonlocal dirty
        if digest is None:
            state.pop(item.graph, None)
        else:
            state[item.graph] = digest
        done.append(item)
        dirty = True
        if time.monotonic() - flushed >= FLUSH_SECONDS:
            flush()
            say(f"{len(done)}/{total} graphs sent")

    jobs: list[tuple[Sent, str | None, Callable[[], None]]] = [
        (Sent("put", g.iri, g.name, g.triples), g.digest,
         functools.partial(put_graph, http, plan.endpoint, g))
        for g in plan.put
    ]
    jobs += [
        (Sent("delete", iri, _name_of(iri, config), 0), None,
         functools.partial(delete_graph, http, plan.endpoint, iri))
        for iri in plan.delete
    ]
    failure: BaseException | None = None
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kg-push") as pool:
            running: dict[Future[None], tuple[Sent, str | None]] = {}
            for item, digest, call in jobs:
                running[pool.submit(call)] = (item, digest)
                if len(running) >= workers * 2:
                    failure = _collect(running, confirmed)
                    if failure is not None:
                        break
            while running and failure is None:
                failure = _collect(running, confirmed)
            for future in running:  # after a failure: send nothing more, keep what landed
                future.cancel()
            for future in wait(running).done:
                if not future.cancelled() and future.exception() is None:
                    confirmed(*running[future])
    finally:
        with contextlib.suppress(KgError):  # the state of what landed, whatever happened
            flush()
    if isinstance(failure, KgError):
        raise StoreError(
            f"{failure.message} — {len(done)} of {total} graph(s) sent, "
            f"{total - len(done)} left",
            hint=f"{failure.hint}; the next push sends only what is left" if failure.hint
            else "the next push sends only what is left",
            status=failure.status if isinstance(failure, StoreError) else None,
        ) from None
    if failure is not None:
        raise failure
    flush()
    order = {g.iri: i for i, g in enumerate(plan.put)}
    done.sort(key=lambda s: (s.action != "put", order.get(s.graph, 0), s.graph))
    return PushReport(plan.endpoint, tuple(done), plan.unchanged,
                      time.perf_counter() - started)


def _collect(running: dict[Future[None], tuple[Sent, str | None]],
             confirmed: Callable[[Sent, str | None], None]) -> BaseException | None:
    """Wait for a request to finish and record the finished ones; the first failure, if any."""
    finished, _ = wait(running, return_when=FIRST_COMPLETED)
    failure: BaseException | None = None
    for future in finished:
        item, digest = running.pop(future)
        error = future.exception()
        if error is None:
            confirmed(item, digest)
        elif failure is None:
            failure = error
    return failure
