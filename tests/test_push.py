"""``kg push`` and the remote queries, against real SPARQL stores and a stand-in store.

The real stores are Oxigraph and Virtuoso 7 as ``.ci/services.sh start`` runs them on
127.0.0.1 (``KG_TEST_OXIGRAPH`` / ``KG_TEST_VIRTUOSO`` point elsewhere). A test whose store is
not running is skipped with the reason, except under ``CI=true``, where it fails: CI must run
them. The stand-in store (a small Graph Store Protocol server in a thread) needs nothing and
checks what a real store cannot be made to do on demand: fail half-way, refuse a login.

Each test pushes under its own ``base_iri``, so tests never see each other's graphs, and
deletes what it pushed at the end.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg import analysis, query, remote
from kg.build import load_wiki
from kg.cli import main
from kg.config import Config, load_config
from kg.errors import ConfigError, NotFound
from kg.ids import NoteId
from kg.push import (
    VOCAB_GRAPH,
    delete_graph,
    named_graphs,
    push,
    read_state,
    state_path,
    wiki_graph,
)
from kg.remote import Auth, Http, StoreError

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


# -- a copy of the sample wiki under its own IRIs ----------------------------------------------


def sample_copy(root: Path) -> Config:
    """The sample wiki copied into ``root``, with a base IRI no other test uses."""
    shutil.copytree(REPO / "wiki", root / "wiki")
    base = f"https://example.org/kg-test/{uuid.uuid4().hex[:12]}/"
    (root / "kg.toml").write_text(f'[kg]\ntitle = "Push test"\nbase_iri = "{base}"\n',
                                  encoding="utf-8")
    return load_config(root)


def edit(config: Config, name: str, old: str, new: str) -> None:
    path = config.wiki / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def names(sent: tuple[Any, ...]) -> list[str]:
    return sorted(s.name for s in sent)


# -- the real stores ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RealStore:
    name: str
    gsp: str
    sparql: str
    auth: Auth | None


def _stores() -> dict[str, RealStore]:
    ox = os.environ.get("KG_TEST_OXIGRAPH", "http://127.0.0.1:7878").rstrip("/")
    vt = os.environ.get("KG_TEST_VIRTUOSO", "http://127.0.0.1:8890").rstrip("/")
    return {
        "oxigraph": RealStore("oxigraph", f"{ox}/store", f"{ox}/query", None),
        "virtuoso": RealStore("virtuoso", f"{vt}/sparql-graph-crud-auth", f"{vt}/sparql",
                              Auth("dba", "dba")),
    }


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so the stores must run (bash .ci/services.sh start)")
    pytest.skip(f"{reason} (start it with: bash .ci/services.sh start)")


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store(request: pytest.FixtureRequest) -> RealStore:
    found = _stores()[request.param]
    try:
        remote.Store(found.sparql).results("ASK { ?s ?p ?o }")
    except StoreError as err:
        _unavailable(f"{found.name} is not reachable at {found.sparql}: {err.message}")
    return found


@pytest.fixture
def pushed(store: RealStore, tmp_path: Path) -> Iterator[tuple[RealStore, Config]]:
    """The sample wiki, copied and pushed to ``store``; its graphs deleted afterwards."""
    config = sample_copy(tmp_path)
    push(load_wiki(config), config, store.gsp, auth=store.auth)
    yield store, config
    http = Http(store.gsp, store.auth, service="Graph Store")
    for graph in read_state(state_path(config), store.gsp):
        if graph != VOCAB_GRAPH:
            delete_graph(http, store.gsp, graph)


def server_graphs(store: RealStore, config: Config) -> dict[str, set[str]]:
    """Every graph of this wiki in the store, as sets of N-Triples lines."""
    import pyoxigraph

    found: dict[str, list[str]] = {}
    rows = remote.Store(store.sparql).select(f"""SELECT ?g ?s ?p ?o WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{config.base_iri}")) }}""")
    for row in rows:
        line = f"{remote._nt(row['s'])} {remote._nt(row['p'])} {remote._nt(row['o'])} ."
        found.setdefault(row["g"]["value"], []).append(line)
    return {g: _canonical("\n".join(lines), pyoxigraph) for g, lines in found.items()}


def local_graphs(config: Config) -> dict[str, set[str]]:
    import pyoxigraph

    return {g.iri: _canonical(g.body.decode("utf-8"), pyoxigraph)
            for g in named_graphs(load_wiki(config), config) if g.iri != VOCAB_GRAPH}


def _canonical(nt: str, pyoxigraph: Any) -> set[str]:
    """Triples in one spelling (stores differ in escapes and number forms)."""
    out = set()
    for t in pyoxigraph.parse(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES):
        obj = t.object
        if isinstance(obj, pyoxigraph.Literal) and obj.datatype.value.endswith(
                ("#decimal", "#double", "#float")):
            obj = f"{float(obj.value)!r}^^{obj.datatype}"
        out.add(f"{t.subject} {t.predicate} {obj}")
    return out


# -- push to the real stores -------------------------------------------------------------------


def test_push_edit_and_delete(pushed: tuple[RealStore, Config]) -> None:
    store, config = pushed
    notes = sorted(p.stem for p in config.wiki.glob("*.md"))
    state = read_state(state_path(config), store.gsp)
    assert set(state) == {VOCAB_GRAPH, wiki_graph(config.base_iri),
                          *(f"{config.base_iri}note/{n}" for n in notes)}
    # the store holds one graph per note, plus the wiki's, each exactly the local triples
    assert server_graphs(store, config) == local_graphs(config)

    again = push(load_wiki(config), config, store.gsp, auth=store.auth)
    assert again.sent == () and again.unchanged == len(notes) + 2

    edit(config, "ahe.md", "Supplies the kind of audit-trail primitive",
         "Supplies an audit-trail primitive")
    edited = push(load_wiki(config), config, store.gsp, auth=store.auth)
    assert names(edited.put) == ["ahe"] and edited.deleted == ()
    assert edited.unchanged == len(notes) + 1
    on_server = server_graphs(store, config)
    assert on_server == local_graphs(config)
    ahe = "\n".join(on_server[f"{config.base_iri}note/ahe"])
    assert "Supplies an audit-trail primitive" in ahe
    assert "the kind of audit-trail" not in ahe

    (config.wiki / "mimo.md").unlink()
    deleted = push(load_wiki(config), config, store.gsp, auth=store.auth)
    assert names(deleted.deleted) == ["mimo"]
    assert names(deleted.put) == ["wiki"]  # mimo is a placeholder now; other notes unchanged
    assert f"{config.base_iri}note/mimo" not in server_graphs(store, config)
    assert server_graphs(store, config) == local_graphs(config)
    graph = remote.connect(store.sparql, config.base_iri)
    assert graph.kind_of(NoteId("mimo")) == "placeholder"


def test_push_force_sends_everything(pushed: tuple[RealStore, Config]) -> None:
    store, config = pushed
    report = push(load_wiki(config), config, store.gsp, auth=store.auth, force=True)
    assert len(report.put) == len(list(config.wiki.glob("*.md"))) + 2
    assert report.unchanged == 0


def test_push_resends_what_the_store_lost(pushed: tuple[RealStore, Config]) -> None:
    store, config = pushed
    total = len(list(config.wiki.glob("*.md"))) + 2
    http = Http(store.gsp, store.auth, service="Graph Store")
    for graph in read_state(state_path(config), store.gsp):  # as if the store were wiped
        delete_graph(http, store.gsp, graph)
    assert server_graphs(store, config) == {}
    report = push(load_wiki(config), config, store.gsp, auth=store.auth)
    assert len(report.put) == total and report.unchanged == 0
    assert "no longer had the graph of agenticqwen" in report.summary()
    assert server_graphs(store, config) == local_graphs(config)
    assert push(load_wiki(config), config, store.gsp, auth=store.auth).sent == ()


class MemoryOxigraph:
    """``oxigraph serve`` without a database folder: a restart forgets every graph."""

    def __init__(self) -> None:
        found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        if not os.access(found, os.X_OK):
            _unavailable("the oxigraph server is not installed")
        self.binary = found
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        base = f"http://127.0.0.1:{self.port}"
        self.store = RealStore("oxigraph-in-memory", f"{base}/store", f"{base}/query", None)
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([self.binary, "serve", "--bind", f"127.0.0.1:{self.port}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                remote.Store(self.store.sparql).results("ASK { ?s ?p ?o }")
                return process
            except StoreError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError(f"oxigraph did not answer on port {self.port}")

    def restart(self) -> None:
        self.stop()
        self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_push_after_the_store_restarted_empty(tmp_path: Path) -> None:
    server = MemoryOxigraph()
    try:
        store = server.store
        config = sample_copy(tmp_path)
        wiki = load_wiki(config)
        total = len(wiki.notes) + 2
        assert len(push(wiki, config, store.gsp).put) == total
        server.restart()

        # a remote query says the store is empty, not to list notes with kg stats (local only)
        runner = CliRunner()
        far = runner.invoke(main, ["connections", "ahe", "--wiki", str(config.wiki),
                                   "--endpoint", store.sparql])
        assert far.exit_code == 1
        assert "no note called 'ahe'" in far.stderr
        assert f"the store holds no note under {config.base_iri}note/" in far.stderr
        assert "kg push" in far.stderr and "kg stats" not in far.stderr

        done = runner.invoke(main, ["push", "--endpoint", store.gsp, "--wiki", str(config.wiki)])
        assert done.exit_code == 0, done.output
        assert f"put {total} graph(s), deleted 0, 0 unchanged" in done.stderr
        assert "every graph was sent again" in done.stderr
        assert server_graphs(store, config) == local_graphs(config)
        assert push(wiki, config, store.gsp).sent == ()
    finally:
        server.stop()


# -- remote queries give the local answers -----------------------------------------------------


def test_remote_connections_match_local(pushed: tuple[RealStore, Config]) -> None:
    store, config = pushed
    wiki = load_wiki(config)
    graph = remote.connect(store.sparql, config.base_iri)
    for nid in [*wiki.notes, *wiki.placeholders]:
        for direction in ("both", "in", "out"):
            _, local = query.connections(wiki, nid, direction=direction, mentions=False)
            _, far = remote.connections(graph, nid, direction=direction, mentions=False)
            assert far == local, nid
        _, local = query.connections(wiki, nid)
        _, far = remote.connections(graph, nid)
        assert far == local, nid  # mentions too: sentence, line and order travel in the graph
    # names resolve the same way: alias, title, file stem; unknown names suggest
    assert remote.find(graph, "AHE") == "ahe"
    assert remote.find(graph, "OpenAI Symphony") == "openai-symphony"
    with pytest.raises(NotFound, match="no note called"):
        remote.find(graph, "no-such-note")


def test_remote_finds_a_note_by_its_front_matter_id(store: RealStore, tmp_path: Path) -> None:
    """The ``id:`` another tool wrote travels as a second ``dcterms:identifier``, and
    names the note in the store as in the local graph."""
    root = tmp_path / "ids"
    (root / "wiki").mkdir(parents=True)
    base = f"https://example.org/kg-test/{uuid.uuid4().hex[:12]}/"
    (root / "kg.toml").write_text(f'[kg]\ntitle = "Ids"\nbase_iri = "{base}"\n',
                                  encoding="utf-8")
    (root / "wiki" / "kernel.md").write_text("---\ntitle: Kernel\nid: 0202405011230\n---\n"
                                             "Text.\n", encoding="utf-8")
    (root / "wiki" / "linker.md").write_text("---\ntitle: Linker\n---\nSee [[0202405011230]].\n",
                                             encoding="utf-8")
    config = load_config(root)
    wiki = load_wiki(config)
    try:
        push(wiki, config, store.gsp, auth=store.auth)
        graph = remote.connect(store.sparql, config.base_iri)
        assert remote.find(graph, "0202405011230") == "kernel"
        assert remote.find(graph, "linker") == "linker"
        assert remote.connections(graph, "0202405011230") == query.connections(
            wiki, "0202405011230")
    finally:
        http = Http(store.gsp, store.auth, service="Graph Store")
        for graph_iri in read_state(state_path(config), store.gsp):
            if graph_iri != VOCAB_GRAPH:
                delete_graph(http, store.gsp, graph_iri)


def test_remote_questions_match_local(pushed: tuple[RealStore, Config]) -> None:
    store, config = pushed
    wiki = load_wiki(config)
    graph = remote.connect(store.sparql, config.base_iri)
    for status in ("open", "answered", "dropped", "all"):
        for options in ({}, {"tier": 1}, {"tag": "forecasting"}):
            local = [r.as_dict() for r in query.questions(wiki, status=status, **options)]
            assert remote.questions(graph, status=status, **options) == local
    assert remote.questions(graph, status="all")


@pytest.mark.parametrize("whole", [False, True], ids=["by-batches", "whole-graph"])
def test_remote_paths_and_neighbours_match_local(pushed: tuple[RealStore, Config],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 whole: bool) -> None:
    store, config = pushed
    wiki = load_wiki(config)
    local_graph = analysis.WikiEdges(wiki)
    if whole:  # a wide walk fetches every edge in one request: the same answers
        monkeypatch.setattr(remote, "WHOLE_AFTER", 1)
    graph = remote.connect(store.sparql, config.base_iri)

    def hops(found: list[tuple[analysis.Hop, ...]]) -> list[list[tuple[Any, ...]]]:
        return [[(h.source, h.target, h.title, h.relation, h.label, h.forward)
                 + ((h.annotation, h.line) if h.relation != "mentions" else ())
                 for h in path] for path in found]

    ids = sorted(wiki.notes)
    for a in ids:
        for b in ids:
            for mentions in (False, True):
                for directed in (False, True):
                    local = analysis.paths(local_graph, a, b, mentions=mentions,
                                           directed=directed)
                    _, _, far = remote.paths(graph, a, b, mentions=mentions, directed=directed)
                    assert hops(far) == hops(local), (a, b, mentions, directed)
        for depth in (1, 3):
            local_n = analysis.neighbours(local_graph, a, depth, mentions=False)
            assert remote.neighbours(graph, a, depth, mentions=False) == local_n
            near = remote.neighbours(graph, a, depth)
            assert [(n.id, n.distance) for n in near] == [
                (n.id, n.distance) for n in analysis.neighbours(local_graph, a, depth)]


def test_remote_sparql_matches_local(pushed: tuple[RealStore, Config]) -> None:
    from kg.sparql import query_wiki

    store, config = pushed
    base = config.base_iri
    target = remote.Store(store.sparql)
    # over the default graph: the union of the pushed graphs (Virtuoso; Oxigraph as
    # .ci/services.sh starts it, with --union-default-graph)
    queries = [
        f"""SELECT ?a ?b WHERE {{ ?a cito:disagreesWith ?b
            FILTER(STRSTARTS(STR(?a), "{base}")) }} ORDER BY ?a ?b""",
        f"""SELECT ?q ?text WHERE {{ ?q a schema:Question ; schema:text ?text
            FILTER(STRSTARTS(STR(?q), "{base}")) }} ORDER BY ?q""",
        f"ASK {{ <{base}note/import-ai-455> cito:disagreesWith <{base}note/defense-trilemma> }}",
        f"""CONSTRUCT {{ ?a cito:disagreesWith ?b }} WHERE {{ ?a cito:disagreesWith ?b
            FILTER(STRSTARTS(STR(?a), "{base}")) }}""",
    ]
    for text in queries:
        for compact in (False, True):
            local = query_wiki(config, text, compact=compact)
            far = remote.query(target, text, base_iri=base, compact=compact)
            assert far.kind == local.kind
            assert far.rows == local.rows and far.columns == local.columns
            assert far.boolean == local.boolean
            assert sorted(far.triples) == sorted(local.triples)


def test_cli_push_and_remote_commands(store: RealStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    runner = CliRunner()
    wiki = str(config.wiki)
    login = ["--user", store.auth.user] if store.auth else []
    env = {"KG_PASSWORD": store.auth.password} if store.auth else {}
    try:
        dry = runner.invoke(main, ["push", "--endpoint", store.gsp, "--wiki", wiki,
                                   "--dry-run", "--format", "json"])
        assert dry.exit_code == 0, dry.output
        planned = json.loads(dry.stdout)
        assert {r["name"] for r in planned} >= {"vocabulary", "wiki", "import-ai-455"}
        assert not state_path(config).exists()

        done = runner.invoke(main, ["push", "--endpoint", store.gsp, "--wiki", wiki,
                                    "--format", "json", *login], env=env)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout) == planned

        for args in (["connections", "defense-trilemma", "--no-mentions"],
                     ["questions", "--status", "all"],
                     ["path", "ahe", "openai-symphony", "--no-mentions"],
                     ["path", "mimo", "openai-symphony", "--no-mentions"],  # not linked: exit 1
                     ["neighbors", "ahe", "--depth", "2", "--no-mentions"]):
            local = runner.invoke(main, [*args, "--wiki", wiki, "--format", "json"])
            far = runner.invoke(main, [*args, "--wiki", wiki, "--format", "json",
                                       "--endpoint", store.sparql])
            assert far.exit_code == local.exit_code, (local.output, far.output)
            assert far.stderr == local.stderr
            assert far.stdout == local.stdout
    finally:
        http = Http(store.gsp, store.auth, service="Graph Store")
        for graph in read_state(state_path(config), store.gsp):
            if graph != VOCAB_GRAPH:
                delete_graph(http, store.gsp, graph)


def test_virtuoso_wants_a_login(tmp_path: Path) -> None:
    found = _stores()["virtuoso"]
    try:
        remote.Store(found.sparql).results("ASK { ?s ?p ?o }")
    except StoreError as err:
        _unavailable(f"virtuoso is not reachable at {found.sparql}: {err.message}")
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    with pytest.raises(StoreError, match="401"):
        push(wiki, config, found.gsp)
    with pytest.raises(StoreError, match="401"):
        push(wiki, config, found.gsp, auth=Auth("dba", "not-the-password"))
    assert read_state(state_path(config), found.gsp) == {}


# -- a stand-in store: failures on demand ------------------------------------------------------


class FakeStore:
    """A Graph Store Protocol server in a thread: keeps graphs in a dict, can fail after some
    requests, and can ask for a Basic login."""

    def __init__(self) -> None:
        self.graphs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail_after: int | None = None
        self.login: tuple[str, str] | None = None
        self.head = True  # answers HEAD (with the login challenge); False: 501, as http.server
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _graph(self) -> str:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                return query["graph"][0]

            def _answer(self, status: int, text: str = "", headers: dict[str, str] | None = None
                        ) -> None:
                body = text.encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _allowed(self) -> bool:
                if fake.login is None:
                    return True
                want = "Basic " + base64.b64encode(":".join(fake.login).encode()).decode()
                if self.headers.get("Authorization") == want:
                    return True
                self._answer(401, "login please", {"WWW-Authenticate": 'Basic realm="kg"'})
                return False

            def do_HEAD(self) -> None:
                if not fake.head:
                    self._answer(501)
                elif self._allowed():
                    self._answer(200 if self._graph() in fake.graphs else 404)

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self._allowed():
                    return
                with fake.lock:
                    fake.requests.append(("PUT", self._graph()))
                    if fake.fail_after is not None and len(fake.requests) > fake.fail_after:
                        self._answer(500, "disk full")
                        return
                    created = self._graph() not in fake.graphs
                    fake.graphs[self._graph()] = body
                self._answer(201 if created else 204)

            def do_DELETE(self) -> None:
                if not self._allowed():
                    return
                with fake.lock:
                    fake.requests.append(("DELETE", self._graph()))
                    found = fake.graphs.pop(self._graph(), None)
                self._answer(204 if found is not None else 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/store"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeStore]:
    server = FakeStore()
    yield server
    server.close()


def test_a_failed_push_resumes_where_it_stopped(fake: FakeStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    total = len(wiki.notes) + 2
    fake.fail_after = 5
    with pytest.raises(StoreError) as failed:
        push(wiki, config, fake.url)
    assert "500" in failed.value.message and "disk full" in failed.value.message
    assert "left" in failed.value.message and "next push" in failed.value.hint
    # the state holds exactly the graphs the store confirmed
    state = read_state(state_path(config), fake.url)
    assert set(state) == set(fake.graphs)
    assert 0 < len(state) < total

    fake.fail_after = None
    fake.requests.clear()
    resumed = push(wiki, config, fake.url)
    assert len(resumed.put) == total - len(state)
    assert {graph for _, graph in fake.requests} == {s.graph for s in resumed.put}
    assert len(fake.graphs) == total
    assert push(wiki, config, fake.url).sent == ()


def test_a_resend_to_a_wiped_store_that_fails_half_way_resumes(fake: FakeStore,
                                                               tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    total = len(wiki.notes) + 2
    push(wiki, config, fake.url)
    fake.graphs.clear()  # the store lost everything; the state still lists every graph
    fake.requests.clear()
    fake.fail_after = 5
    with pytest.raises(StoreError, match="disk full"):
        push(wiki, config, fake.url)
    # the state forgot what the store lost: it holds exactly what the store has again
    assert set(read_state(state_path(config), fake.url)) == set(fake.graphs)
    fake.fail_after = None
    resumed = push(wiki, config, fake.url)
    assert len(fake.graphs) == total and resumed.lost is None
    assert push(wiki, config, fake.url).sent == ()


def test_an_unchanged_push_asks_the_store_once(fake: FakeStore, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    push(wiki, config, fake.url)
    asked: list[str] = []
    send = Http.request
    monkeypatch.setattr(Http, "request", lambda self, method, url, **kw: (
        asked.append(method), send(self, method, url, **kw))[1])
    assert push(wiki, config, fake.url).sent == ()
    assert asked == ["HEAD"]


def test_dry_run_sends_nothing(fake: FakeStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    report = push(load_wiki(config), config, fake.url, dry_run=True)
    assert report.dry_run and len(report.put) == len(list(config.wiki.glob("*.md"))) + 2
    assert "dry run" in report.summary()
    assert fake.requests == [] and not state_path(config).exists()


def test_state_is_kept_per_endpoint(fake: FakeStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    push(wiki, config, fake.url)
    other = FakeStore()
    try:
        assert len(push(wiki, config, other.url).put) == len(wiki.notes) + 2
        assert push(wiki, config, fake.url).sent == ()
        data = json.loads(state_path(config).read_text(encoding="utf-8"))
        assert set(data["endpoints"]) == {fake.url, other.url}
    finally:
        other.close()


@pytest.mark.parametrize("head", [True, False], ids=["challenge-on-head", "challenge-on-put"])
def test_basic_login(fake: FakeStore, tmp_path: Path, head: bool) -> None:
    config = sample_copy(tmp_path)
    wiki = load_wiki(config)
    fake.login = ("alice", "s3cret")
    fake.head = head
    with pytest.raises(StoreError, match="401") as refused:
        push(wiki, config, fake.url, auth=Auth("alice", "wrong"))
    assert "--user" in refused.value.hint
    assert read_state(state_path(config), fake.url) == {}
    assert len(push(wiki, config, fake.url, auth=Auth("alice", "s3cret")).put) > 0


def test_unreachable_store(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = sample_copy(tmp_path)
    url = f"http://127.0.0.1:{port}/store"
    with pytest.raises(StoreError, match="cannot reach") as failed:
        push(load_wiki(config), config, url)
    assert "running" in failed.value.hint
    assert not state_path(config).exists()
    with pytest.raises(StoreError, match="cannot reach"):
        remote.connections(remote.connect(f"http://127.0.0.1:{port}/query", config.base_iri),
                           "ahe")


def test_not_a_url(tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    for url in ("localhost:7878/store", "http://[::1", "http://localhost:78x/store"):
        with pytest.raises(ConfigError, match="not an http"):
            push(load_wiki(config), config, url)


def test_cli_push_reports_errors(fake: FakeStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    fake.fail_after = 0
    result = CliRunner().invoke(main, ["push", "--endpoint", fake.url, "--wiki",
                                       str(config.wiki)])
    assert result.exit_code == 1
    assert "error:" in result.stderr and "500" in result.stderr
    fake.fail_after = None
    fake.login = ("bob", "pw")
    result = CliRunner().invoke(main, ["push", "--endpoint", fake.url, "--wiki",
                                       str(config.wiki), "--user", "bob",
                                       "--password-env", "KG_TEST_PW"],
                                env={"KG_TEST_PW": "pw"})
    assert result.exit_code == 0, result.output
    assert "put 14 graph(s)" in result.stderr


def test_password_env_that_is_not_set_is_an_error(fake: FakeStore, tmp_path: Path) -> None:
    config = sample_copy(tmp_path)
    fake.login = ("bob", "pw")
    login = ["--user", "bob", "--password-env", "KG_TEST_UNSET"]
    runner = CliRunner()
    for args in (["push", "--endpoint", fake.url],
                 ["connections", "ahe", "--endpoint", fake.url]):
        result = runner.invoke(main, [*args, "--wiki", str(config.wiki), *login],
                               env={"KG_TEST_UNSET": None}, input="pw\n")
        assert result.exit_code == 1, result.output
        assert "error: $KG_TEST_UNSET is not set" in result.stderr
        assert "hint: export KG_TEST_UNSET=" in result.stderr
        assert "password for bob:" not in result.output  # no prompt, though input was there
    # the default variable, unset, with no terminal to ask on: the same error, not a prompt
    result = runner.invoke(main, ["push", "--endpoint", fake.url, "--wiki", str(config.wiki),
                                  "--user", "bob"], env={"KG_PASSWORD": None})
    assert result.exit_code == 1 and "error: $KG_PASSWORD is not set" in result.stderr
    assert "Aborted" not in result.output
    assert fake.requests == [] and not state_path(config).exists()


def test_a_deadlocked_put_is_retried_and_a_refused_one_is_not() -> None:
    from kg.push import NamedGraph, put_graph
    from kg.remote import StoreError

    class Flaky:
        def __init__(self, failures: list[StoreError]) -> None:
            self.failures, self.calls = failures, 0

        def request(self, *args: Any, **kwargs: Any) -> None:
            self.calls += 1
            if self.failures:
                raise self.failures.pop(0)

    graph = NamedGraph("https://example.org/kg/note/a", "a", b"", "application/n-triples", 0, "x")
    busy = Flaky([StoreError("500: Error 40001 SR172: Transaction deadlocked", status=500)])
    put_graph(busy, "http://127.0.0.1:1/store", graph)  # type: ignore[arg-type]
    assert busy.calls == 2
    refused = Flaky([StoreError("403: forbidden", status=403)])
    with pytest.raises(StoreError):
        put_graph(refused, "http://127.0.0.1:1/store", graph)  # type: ignore[arg-type]
    assert refused.calls == 1


def test_an_endpoint_with_a_password_in_its_address_is_refused_and_not_printed() -> None:
    from kg.errors import ConfigError
    from kg.remote import check_url

    with pytest.raises(ConfigError) as caught:
        check_url("http://user:s3cret@127.0.0.1:9/store", "Graph Store")
    assert "s3cret" not in str(caught.value) and "--user" in (caught.value.hint or "")
    for malformed in ("http://u:s3cret@127.0.0.1:x/store", "htps://u:s3cret@host/"):
        with pytest.raises(ConfigError) as caught:
            check_url(malformed, "Graph Store")
        assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("text", [
    '{"version": 1, "endpoints": []}',
    '{"version": 1, "endpoints": {"http://store/x": []}}',
    '{"version": 1, "endpoints": {"http://store/x": {"graphs": ["a"]}}}',
    '{"version": 1, "endpoints": {"http://store/x": {"graphs": {"https://g/a": null}}}}',
])
def test_a_push_state_not_as_kg_writes_it_is_an_error_naming_it(tmp_path: Path,
                                                                  text: str) -> None:
    """A state file edited by hand or cut short had ended the push with an AttributeError."""
    path = tmp_path / "push-state.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not as kg writes it") as caught:
        read_state(path, "http://store/x")
    assert caught.value.file is not None and caught.value.file.endswith("push-state.json")
    if '"endpoints": {' in text:  # another endpoint's record is not this one's
        assert read_state(path, "http://elsewhere/") == {}


def test_a_push_state_that_is_a_named_pipe_is_an_error_not_a_wait(tmp_path: Path) -> None:
    path = tmp_path / "push-state.json"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_state(path, "http://store/x")


@pytest.mark.parametrize("answer", [
    b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": 5}]}}',  # a term not a mapping
    b'{"head": null, "results": null}',
    b'{"head": {"vars": [1]}, "results": {"bindings": []}}',
    b'{"results": {"bindings": [[1]]}}',
    b'{"boolean": "yes"}',
    b"[" * 100_000 + b"]" * 100_000,  # nested past Python's stack
], ids=["term", "nulls", "vars", "binding", "boolean", "deep"])
@pytest.mark.parametrize("args", [["connections", "ahe"], ["questions"],
                                  ["sparql", "SELECT * { ?s ?p ?o }"],
                                  ["sparql", "CONSTRUCT WHERE { ?s ?p ?o }"]],
                         ids=lambda args: args[0] + args[-1][:3])
def test_a_store_answering_what_is_no_sparql_results_is_an_error(
        tmp_path: Path, answer: bytes, args: list[str]) -> None:
    """A store, or a proxy before it, answering JSON of another shape had been a traceback
    ('int' object has no attribute 'get'; a RecursionError)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = sample_copy(tmp_path)
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        result = CliRunner().invoke(main, [*args, "--endpoint", url, "--wiki",
                                           str(config.wiki)], catch_exceptions=False)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {url} ")
    assert "SPARQL JSON results" in result.stderr or "other than SPARQL results" in (
        result.stderr)
