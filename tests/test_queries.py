"""The query commands: connections, neighbors, path, questions, forecasts, sparql, stats,
export — each through the library and through click's CliRunner, in every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg import analysis, query
from kg.build import load_wiki
from kg.config import Config, load_config
from kg.errors import NotFound

REPO = Path(__file__).resolve().parent.parent
WIKI = str(REPO / "wiki")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Config:
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    return load_config(tmp_path)


def kg(*args: str, env: dict[str, str] | None = None) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def rows(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


# -- connections ------------------------------------------------------------------------------


def test_connections_json_has_relation_and_annotation() -> None:
    found = rows(kg("connections", "Import AI 455", "--wiki", WIKI, "--format", "json",
                    "--direction", "out", "--no-mentions"))
    assert {(r["note"], r["relation"]) for r in found} == {
        ("defense-trilemma", "counterpoint"), ("ahe", "related"),
        ("anthropic-automated-alignment-researcher", "evidence"),
        ("openai-symphony", "related"), ("posttrainbench", "cites")}
    assert all(r["annotation"] for r in found)


def test_connections_csv_and_table() -> None:
    result = kg("connections", "ahe", "--wiki", WIKI, "--format", "csv", "--direction", "in")
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["note"] for r in table} >= {"import-ai-455"}
    assert all(r["direction"] == "in" for r in table)
    result = kg("connections", "ahe", "--wiki", WIKI, "--rel", "related")
    assert result.stdout.splitlines()[0].split() == ["DIRECTION", "RELATION", "NOTE",
                                                     "ANNOTATION"]


def test_connections_of_an_unknown_note_suggests() -> None:
    result = kg("connections", "posttrainbnch", "--wiki", WIKI)
    assert result.exit_code == 1
    assert "no note called 'posttrainbnch'" in result.stderr
    assert "posttrainbench" in result.stderr


def test_connections_of_a_place_in_a_note_are_the_note_s() -> None:
    """``ahe#Why it matters`` is note ahe, from the cache's names as in a build."""
    whole = rows(kg("connections", "ahe", "--wiki", WIKI, "--format", "json"))
    assert whole and rows(kg("connections", "AHE#Why it matters", "--wiki", WIKI,
                             "--format", "json")) == whole


def test_connections_of_a_placeholder() -> None:
    found = rows(kg("connections", "wang-huang-reward-hacking", "--wiki", WIKI,
                    "--format", "json"))
    assert {r["note"] for r in found} == {"defense-trilemma", "import-ai-455"}
    assert {r["direction"] for r in found} == {"in"}


# -- neighbors --------------------------------------------------------------------------------


def test_neighbours_by_depth() -> None:
    wiki = load_wiki(load_config(REPO))
    edges = analysis.WikiEdges(wiki)
    one = analysis.neighbours(edges, analysis.find(edges, "AHE"), 1)
    assert {n.id for n in one} == {"import-ai-455", "defense-trilemma"}
    assert all(n.distance == 1 and n.via == "ahe" for n in one)
    two = analysis.neighbours(edges, "ahe", 2)  # type: ignore[arg-type]
    assert {n.id for n in two if n.distance == 2} >= {"posttrainbench", "openai-symphony",
                                                      "wang-huang-reward-hacking"}
    ghost = next(n for n in two if n.id == "wang-huang-reward-hacking")
    assert not ghost.exists and ghost.via == "defense-trilemma"


def test_neighbours_cli_typed_only() -> None:
    found = rows(kg("neighbors", "ahe", "--depth", "2", "--no-mentions", "--wiki", WIKI,
                    "--format", "json"))
    assert "mit-superposition" not in {r["id"] for r in found}  # reached only by mentions
    assert {r["distance"] for r in found} == {1, 2}
    assert kg("neighbors", "ahe", "--depth", "0", "--wiki", WIKI).exit_code == 2


def test_neighbours_say_which_way_the_edge_they_were_reached_by_points(write_wiki) -> None:
    """``hub  supports`` beside ``a`` read as hub supports a, whichever way it pointed."""
    config = write_wiki({
        "hub.md": "---\ntitle: Hub\nconnections:\n  - {to: b, rel: extends}\n---\n",
        "a.md": "---\ntitle: A\nconnections:\n  - {to: hub, rel: supports}\n---\n",
        "b.md": "---\ntitle: B\n---\n",
    })
    table = kg("neighbors", "hub", "--wiki", str(config.wiki)).stdout.splitlines()
    assert table[0].split() == ["DISTANCE", "VIA", "DIR", "RELATION", "ID", "TITLE"]
    assert [line.split()[:5] for line in table[1:]] == [
        ["1", "hub", "<-", "supports", "a"],   # a supports hub
        ["1", "hub", "->", "extends", "b"],    # hub extends b
    ]
    for fmt in ("json", "csv"):
        out = kg("neighbors", "hub", "--wiki", str(config.wiki), "--format", fmt).stdout
        found = (json.loads(out) if fmt == "json" else list(csv.DictReader(io.StringIO(out))))
        assert [(r["via"], r["dir"], r["relation"], r["id"], r["direction"])
                for r in found] == [("hub", "<-", "supports", "a", "in"),
                                    ("hub", "->", "extends", "b", "out")]


# -- path -------------------------------------------------------------------------------------


def test_path_gives_each_hop_relation_and_annotation() -> None:
    found = rows(kg("path", "ahe", "posttrainbench", "--wiki", WIKI, "--format", "json"))
    assert [(r["from"], r["relation"], r["to"]) for r in found] == [
        ("ahe", "related", "import-ai-455"), ("import-ai-455", "cites", "posttrainbench")]
    assert found[1]["annotation"].startswith("Cited directly")
    assert {r["path"] for r in found} == {1}


def test_a_path_from_a_note_to_itself_has_no_hops() -> None:
    result = kg("path", "ahe", "ahe", "--wiki", WIKI)
    assert result.exit_code == 0 and result.stdout == "ahe is ahe: a path of no hops\n"
    assert rows(kg("path", "ahe", "ahe", "--wiki", WIKI, "--format", "json")) == []


def test_every_shortest_path(write_wiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\nconnections:\n  - {to: b, rel: extends, note: via b}\n"
                "  - {to: c, rel: supports, note: via c}\n---\n",
        "b.md": "---\ntitle: B\nconnections: [d]\n---\n",
        "c.md": "---\ntitle: C\n---\n[[d]] follows.\n",
        "d.md": "---\ntitle: D\n---\n",
    })
    from kg.cache import open_graph

    paths = analysis.paths(open_graph(config), "a", "d")  # type: ignore[arg-type]
    assert [[(h.source, h.relation, h.target) for h in p] for p in paths] == [
        [("a", "extends", "b"), ("b", "related", "d")],
        [("a", "supports", "c"), ("c", "mentions", "d")],
    ]
    back = analysis.paths(open_graph(config), "d", "a")  # type: ignore[arg-type]
    assert [h.forward for h in back[0]] == [False, False]
    assert back[0][0].label == "Related from"
    assert analysis.paths(open_graph(config), "d", "a", directed=True) == []  # type: ignore[arg-type]
    assert len(analysis.paths(open_graph(config), "a", "d", limit=1)) == 1  # type: ignore[arg-type]


def test_a_path_of_more_hops_than_python_recurses(write_wiki) -> None:
    """Daily notes each linking the day before: the first to the last is a path of 1,499
    hops. Walking it back had recursed a call a hop (a RecursionError past 1,000)."""
    n = 1500
    config = write_wiki({f"d{i:04d}.md": f"# Day {i}\n" + (f"After [[d{i - 1:04d}]].\n"
                                                             if i else "") for i in range(n)})
    from kg.cache import open_graph

    for graph in (open_graph(config), open_graph(config)):  # rebuilt (in memory), then read
        (path,) = analysis.paths(graph, "d0000", f"d{n - 1:04d}")  # type: ignore[arg-type]
        assert [h.target for h in path] == [f"d{i:04d}" for i in range(1, n)]
        assert {h.label for h in path} == {"mentioned by"}
    result = kg("path", "d0000", f"d{n - 1:04d}", "--wiki", str(config.wiki), "--format", "json")
    assert result.exit_code == 0 and len(rows(result)) == n - 1


def test_every_shortest_path_through_thousands_of_notes(write_wiki) -> None:
    """An index note listing 2,000 notes that each connect to one hub: 2,000 shortest paths,
    every middle note a predecessor of the hub at once (kept in a list, each one had been
    looked for in all those before it), in order, as many as asked; the edges of each node,
    held in memory after a rebuild or read from the cache, are the same."""
    n = 2000
    files = {f"n{i:04d}.md": f"---\ntitle: N{i}\nconnections: [hub]\n---\n" for i in range(n)}
    files["index.md"] = "# Index\n" + "".join(f"- [[n{i:04d}]]\n" for i in range(n))
    files["hub.md"] = "---\ntitle: Hub\nconnections: [hub, index]\n---\n"  # one to itself
    config = write_wiki(files)
    from kg.cache import open_graph

    rebuilt = open_graph(config)
    read = open_graph(config)
    assert rebuilt._wiki is not None and read._wiki is None  # held whole, then from the file
    wiki = rebuilt.wiki()
    for nid in ("hub", "index", "n0000", "n1999"):
        expected = tuple(e for e in wiki.edges if nid in (e.source, e.target))
        assert rebuilt.edges(nid) == read.edges(nid) == expected  # type: ignore[arg-type]
        assert rebuilt.edge_rows(nid) == read.edge_rows(nid)  # type: ignore[arg-type]
    assert len(rebuilt.edges("hub")) == n + 2  # type: ignore[arg-type]
    for graph in (rebuilt, read):
        every = analysis.paths(graph, "index", "hub", directed=True)  # type: ignore[arg-type]
        assert [p[0].target for p in every] == [f"n{i:04d}" for i in range(n)]
        assert [len(p) for p in every] == [2] * n
        first = analysis.paths(graph, "index", "hub", directed=True, limit=50)  # type: ignore[arg-type]
        assert first == every[:50]


def test_no_path_exits_1(write_wiki) -> None:
    config = write_wiki({"a.md": "# A\n", "b.md": "# B\n"})
    result = kg("path", "a", "b", "--wiki", str(config.wiki))
    assert result.exit_code == 1
    assert "no path from a to b" in result.stderr
    as_json = kg("path", "a", "b", "--wiki", str(config.wiki), "--format", "json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout) == []  # rows: none


# -- questions and forecasts ------------------------------------------------------------------


QUESTIONS = {
    "q.md": "---\ntitle: Q\ndate: 2026-01-10\ntier: 1\ntags: [alignment]\n---\n"
            "## Open questions\n- Does it scale?\n- [x] Is it real?\n- Who pays?\n",
    "r.md": "---\ntitle: R\ndate: 2026-03-01\ntier: 2\nanswers: [q#q-does-it-scale]\n"
            "connections: [q]\n---\n## Open questions\n- What next?\n",
}


def test_questions_status_and_filters(write_wiki) -> None:
    wiki = load_wiki(write_wiki(QUESTIONS))
    on = dt.date(2026, 3, 11)
    open_ = query.questions(wiki, on=on)
    assert [r.text for r in open_] == ["Who pays?", "What next?"]  # oldest first
    assert open_[0].age == 60 and open_[0].note == "q"
    answered = query.questions(wiki, status="answered", on=on)
    assert {r.text: r.answered_by for r in answered} == {"Does it scale?": ("r",),
                                                          "Is it real?": ()}
    assert [r.text for r in query.questions(wiki, status="all", tier=2)] == ["What next?"]
    assert [r.text for r in query.questions(wiki, tag="Alignment")] == ["Who pays?"]
    assert [r.text for r in query.questions(wiki, tag="#Alignment/")] == ["Who pays?"]  # as
    # the notes' tags are read: a part that is empty or only dots is left out
    assert [r.text for r in query.questions(wiki, since=dt.date(2026, 2, 1))] == ["What next?"]


def test_questions_cli(write_wiki) -> None:
    config = write_wiki(QUESTIONS)
    found = rows(kg("questions", "--wiki", str(config.wiki), "--status", "all",
                    "--format", "json"))
    assert {r["id"] for r in found} >= {"q#q-does-it-scale", "r#q-what-next"}
    assert next(r for r in found if r["id"] == "q#q-does-it-scale")["where"] == "q.md:8"
    table = kg("questions", "--wiki", str(config.wiki), "--tier", "1").stdout
    assert "Who pays?" in table and "What next?" not in table


def test_the_questions_table_shows_what_answered_each_when_one_is_answered(write_wiki) -> None:
    config = write_wiki(QUESTIONS)
    table = kg("questions", "--wiki", str(config.wiki), "--status", "answered").stdout
    header, *lines = table.splitlines()
    assert header.split() == ["STATUS", "AGE", "ID", "ANSWERED", "BY", "QUESTION"]
    scale = next(line for line in lines if "Does it scale?" in line)
    assert scale.split()[:4] == ["answered", scale.split()[1], "q#q-does-it-scale", "r"]
    plain = kg("questions", "--wiki", str(config.wiki), "--status", "open").stdout
    assert plain.splitlines()[0].split() == ["STATUS", "AGE", "ID", "QUESTION"]
    # the id a note's `answers:` names, there to copy, whole (it had been in --format json
    # only)
    assert any(line.split()[2] == "r#q-what-next" for line in plain.splitlines()[1:])
    more = write_wiki({"a-rather-long-note-name-for-its-id.md": "---\ntitle: L\n---\n"
                       "## Open questions\n- Does a question with many words keep its whole "
                       "id in the table?\n"})
    [whole] = [r["id"] for r in rows(kg("questions", "--wiki", str(more.wiki), "--format",
                                        "json")) if r["note"].startswith("a-rather")]
    assert len(whole) > 60
    assert f" {whole} " in kg("questions", "--wiki", str(more.wiki)).stdout


def test_the_relations_table_shows_each_rdf_term() -> None:
    table = kg("relations").stdout
    assert table.splitlines()[0].split() == ["REL", "LABEL", "INVERSE", "TERM", "MEANING"]
    assert "cito:disagreesWith" in next(line for line in table.splitlines()
                                        if line.startswith("counterpoint "))
    assert "kg:exampleOf" in table
    found = rows(kg("relations", "--format", "json"))
    assert found[0]["term"] == "cito:citesAsRelated"
    assert found[0]["iri"] == "http://purl.org/spar/cito/citesAsRelated"


def test_sample_questions_are_open() -> None:
    found = rows(kg("questions", "--wiki", WIKI, "--format", "json"))
    assert len([r for r in found if r["note"] == "import-ai-455"]) == 4
    assert all(r["status"] == "open" for r in found)


def test_forecasts_due() -> None:
    wiki = load_wiki(load_config(REPO))
    every = query.forecasts(wiki, on=dt.date(2028, 6, 1))
    assert [(r.p, r.by.year, r.status) for r in every] == [(0.3, 2027, "due"),
                                                            (0.6, 2028, "open")]
    assert every[0].forecaster == "Jack Clark"
    assert [r.by.year for r in query.forecasts(wiki, due=True, on=dt.date(2028, 6, 1))] == [2027]
    assert query.forecasts(wiki, due=True, on=dt.date(2026, 6, 1)) == []


def test_forecasts_cli_uses_source_date_epoch() -> None:
    epoch = str(int(dt.datetime(2028, 6, 1, tzinfo=dt.UTC).timestamp()))
    found = rows(kg("forecasts", "--due", "--wiki", WIKI, "--format", "json",
                    env={"SOURCE_DATE_EPOCH": epoch}))
    assert [r["by"] for r in found] == ["2027-12-31"]
    assert found[0]["where"].startswith("import-ai-455.md:")


def test_resolved_forecasts(write_wiki) -> None:
    wiki = load_wiki(write_wiki({"f.md": "---\ntitle: F\nforecasts:\n"
                                 "  - {claim: X, p: 0.7, by: 2020-01-01, resolved: true}\n"
                                 "  - {claim: Y, p: 0.2, by: 2021-01-01, resolved: false}\n"
                                 "---\n"}))
    assert [r.status for r in query.forecasts(wiki)] == ["true", "false"]
    assert query.forecasts(wiki, due=True) == []


# -- sparql -----------------------------------------------------------------------------------


def test_sparql_select_with_predeclared_prefixes() -> None:
    found = rows(kg("sparql", "SELECT ?a ?b WHERE { ?a cito:disagreesWith ?b } ORDER BY ?a",
                    "--wiki", WIKI, "--format", "json"))
    assert [(r["a"].rsplit("/", 1)[-1], r["b"].rsplit("/", 1)[-1]) for r in found] == [
        ("defense-trilemma", "import-ai-455"), ("import-ai-455", "defense-trilemma")]
    table = kg("sparql", "SELECT ?b WHERE { note:ahe cito:citesAsRelated ?b }", "--wiki", WIKI)
    assert "note:import-ai-455" in table.stdout


def test_select_star_s_columns_come_in_the_order_the_query_names_them() -> None:
    table = kg("sparql", "SELECT * WHERE { ?subject cito:disagreesWith ?b } LIMIT 1",
               "--wiki", WIKI)
    assert table.stdout.split()[:2] == ["SUBJECT", "B"]
    listed = kg("sparql", "SELECT ?b ?subject WHERE { ?subject cito:disagreesWith ?b }",
                "--wiki", WIKI)
    assert listed.stdout.split()[:2] == ["B", "SUBJECT"]


def test_sparql_reads_the_query_from_standard_input_for_a_dash() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "from kg.cli import main; main()", "sparql", "-", "--wiki", WIKI,
         "--format", "json"], input="SELECT ?b WHERE { note:ahe cito:citesAsRelated ?b }",
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert any(r["b"].endswith("/note/import-ai-455") for r in json.loads(done.stdout))


def test_a_query_that_crashes_oxigraph_is_an_error_of_kg_sparql(tmp_path: Path) -> None:
    """A chain of 10,000 ``||`` overflows the stack of Oxigraph's parser: the process that
    runs it dies of a segmentation fault (``kg sparql`` did, exit 139, nothing said). It
    runs in a child of its own: the error names the query's file and says what to write."""
    import subprocess
    import sys

    query = tmp_path / "or.rq"
    query.write_text("SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o = 1"] * 10_000)
                     + ") } LIMIT 1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "from kg.cli import run; run()", "sparql",
                           str(query), "--wiki", WIKI], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"error: {query}: the query stopped Oxigraph before it answered" in done.stderr
    assert "VALUES or IN" in done.stderr


def test_ctrl_c_stops_a_query_oxigraph_is_still_reading(tmp_path: Path) -> None:
    """A property path of 3,000 steps keeps Oxigraph's parser busy for minutes, and Rust
    hears no Ctrl-C: ``kg sparql`` went on until it was done. The query runs in a child,
    which the command stops when it is interrupted: exit 130 at once, no process left."""
    import os

    from conftest import ctrl_c_when_ready

    query = tmp_path / "path.rq"
    query.write_text("SELECT * WHERE { ?s " + "/".join(["<http://p>"] * 3000) + " ?o }\n",
                     encoding="utf-8")
    ready = tmp_path / "ready"
    script = (
        "import sys, pathlib, kg.workers\n"
        "within, ready = kg.workers.within, pathlib.Path(sys.argv[1])\n"
        "def started(*args, **kwargs):\n"
        "    ready.touch()\n"
        "    return within(*args, **kwargs)\n"
        "kg.workers.within = started\n"
        "sys.argv = ['kg', 'sparql', sys.argv[2], '--wiki', sys.argv[3]]\n"
        "from kg.cli import run\n"
        "run()\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    code, err = ctrl_c_when_ready(script, str(ready), str(query), WIKI, ready=ready, env=env,
                                  settle=1.0)
    assert code == 130, err
    assert "Traceback" not in err


@pytest.mark.parametrize("how", ["argument", "stdin"])
def test_sparql_of_a_query_that_is_not_utf8_says_which_byte(how: str) -> None:
    """Typed in a Latin-1 terminal or piped from a Latin-1 file, the query's byte reached
    Python as a lone surrogate: "the query failed: 'utf-8' codec can't encode character
    '\\udce9' in position 492", a position in a text the user never wrote."""
    import os
    import subprocess
    import sys

    query = b'SELECT ?s WHERE { ?s dcterms:title "Caf\xe9" }'
    args = [b"-"] if how == "stdin" else [query]
    done = subprocess.run(
        [sys.executable, "-c", "from kg.cli import run; run()", "sparql", *args, "--wiki", WIKI],
        input=query if how == "stdin" else b"", capture_output=True, timeout=120,
        env={**os.environ, "LANG": "C.UTF-8", "PYTHONPATH": str(Path(WIKI).parent)})
    assert done.returncode == 1
    said = b"-: " if how == "stdin" else b""
    assert done.stderr.splitlines() == [
        b"error: " + said + b"the query holds the byte 0xE9, which is not UTF-8",
        b"  hint: type or save the query as UTF-8"]


def test_sparql_annotations_via_the_citation_node() -> None:
    text = """SELECT ?target ?comment WHERE {
      ?c a cito:Citation ; cito:hasCitingEntity note:import-ai-455 ;
         cito:hasCitedEntity ?target ; kg:relation "cites" ; rdfs:comment ?comment }"""
    found = rows(kg("sparql", text, "--wiki", WIKI, "--format", "json"))
    assert found[0]["target"].endswith("/note/posttrainbench")
    assert found[0]["comment"].startswith("Cited directly")


def test_sparql_numbers_are_numbers_in_json_and_as_the_store_writes_them_in_tables() -> None:
    text = ('SELECT (COUNT(?n) AS ?notes) (1.5 AS ?half) ("12"^^xsd:long AS ?long) '
            '("2.5e0"^^xsd:double AS ?double) ("INF"^^xsd:double AS ?inf) ("3" AS ?text) '
            'WHERE { ?n a schema:CreativeWork }')
    found = rows(kg("sparql", text, "--wiki", WIKI, "--format", "json"))
    count = found[0]["notes"]
    assert isinstance(count, int) and count > 5
    assert found == [{"notes": count, "half": 1.5, "long": 12, "double": 2.5, "inf": "INF",
                      "text": "3"}]
    odd = rows(kg("sparql", 'SELECT ("1_000"^^xsd:integer AS ?a) WHERE {}', "--wiki", WIKI,
                  "--format", "json"))
    assert odd == [{"a": "1_000"}]  # no XSD integer, though Python's int() reads it
    csv_rows = list(csv.DictReader(io.StringIO(
        kg("sparql", text, "--wiki", WIKI, "--format", "csv").stdout)))
    assert csv_rows == [{"notes": str(count), "half": "1.5", "long": "12", "double": "2.5",
                         "inf": "INF", "text": "3"}]


def test_sparql_ask_construct_and_file(tmp_path: Path) -> None:
    assert rows(kg("sparql", "ASK { note:ahe ?p ?o }", "--wiki", WIKI,
                   "--format", "json")) == [{"result": True}]
    rq = tmp_path / "cites.rq"
    rq.write_text("CONSTRUCT { ?a cito:cites ?b } WHERE { ?a cito:cites ?b }", encoding="utf-8")
    result = kg("sparql", str(rq), "--wiki", WIKI, "--format", "nt")
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("<https://example.org/kg/note/posttrainbench> .")
    ttl = kg("sparql", str(rq), "--wiki", WIKI, "--format", "ttl").stdout
    assert "cito:cites" in ttl
    found = list(csv.DictReader(io.StringIO(
        kg("sparql", str(rq), "--wiki", WIKI, "--format", "csv").stdout)))
    assert found[0]["predicate"] == "http://purl.org/spar/cito/cites"


def test_sparql_errors_name_file_and_line(tmp_path: Path) -> None:
    rq = tmp_path / "bad.rq"
    rq.write_text("SELECT ?a\nWHERE {\n  ?a ?b\n}\n", encoding="utf-8")
    result = kg("sparql", str(rq), "--wiki", WIKI)
    assert result.exit_code == 1
    assert f"{rq}:4" in result.stderr and "does not parse" in result.stderr
    assert kg("sparql", "missing.rq", "--wiki", WIKI).exit_code == 1
    select = kg("sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--wiki", WIKI,
                "--format", "ttl")
    assert select.exit_code == 1 and "CONSTRUCT" in select.stderr


@pytest.mark.parametrize("update", ["INSERT DATA { note:a kg:tier 1 }", "DELETE WHERE { ?s ?p ?o }",
                                    "# c\nPREFIX x: <http://x/>\nCLEAR ALL"])
def test_sparql_an_update_is_said_to_be_one(update: str) -> None:
    result = kg("sparql", update, "--wiki", WIKI)
    assert result.exit_code == 1
    assert "kg sparql runs queries, not updates" in result.stderr
    assert "expected" not in result.stderr  # not Oxigraph's "expected CONSTRUCT"


def test_sparql_an_unknown_prefix_is_named_at_its_line(tmp_path: Path) -> None:
    rq = tmp_path / "cites.rq"
    rq.write_text("SELECT ?a\nWHERE {\n  ?a schema:name ?n ;\n     bibo:cites ?b }\n",
                  encoding="utf-8")
    result = kg("sparql", str(rq), "--wiki", WIKI)
    assert result.exit_code == 1
    assert f"{rq}:4" in result.stderr and "an unknown prefix 'bibo:'" in result.stderr
    assert "PREFIX bibo: <" in result.stderr and "'\\u{" not in result.stderr
    assert len(result.stderr) < 400


# -- stats ------------------------------------------------------------------------------------


def test_stats_sample() -> None:
    found = rows(kg("stats", "--wiki", WIKI, "--format", "json"))
    counts = {r["name"]: r["value"] for r in found if r["section"] == "count"}
    assert counts["notes"] == 12 and counts["placeholders"] == 6
    assert counts["forecasts"] == 2 and counts["research angles"] == 3
    hubs = [r["name"] for r in found if r["section"] == "hub-degree"]
    ranks = [r["name"] for r in found if r["section"] == "hub-pagerank"]
    assert hubs[0] == ranks[0] == "import-ai-455"
    placeholders = {r["name"] for r in found if r["section"] == "placeholder"}
    assert "wang-huang-reward-hacking" in placeholders
    communities = [r for r in found if r["section"] == "community"]
    assert sum(r["value"] for r in communities) == 18
    assert rows(kg("stats", "--wiki", WIKI, "--format", "json")) == found  # deterministic


def test_orphans(write_wiki) -> None:
    wiki = load_wiki(write_wiki({"a.md": "[[b]]\n", "b.md": "# B\n", "lonely.md": "# L\n"}))
    orphans = [s.name for s in analysis.stats(wiki) if s.section == "orphan"]
    assert orphans == ["lonely"]


def test_pagerank_matches_networkx() -> None:
    pr = pytest.importorskip("networkx.algorithms.link_analysis.pagerank_alg")
    import networkx as nx

    reference = getattr(pr, "_pagerank_python", None)
    if reference is None:
        pytest.skip("this NetworkX has no pure-Python PageRank")
    weights = {("a", "b"): 2, ("b", "c"): 1, ("c", "a"): 1, ("a", "c"): 1, ("d", "c"): 1}
    graph = nx.DiGraph()
    graph.add_nodes_from("abcde")
    for (u, v), w in weights.items():
        graph.add_edge(u, v, weight=w)
    ours = analysis.pagerank(list("abcde"), weights)  # type: ignore[arg-type]
    theirs = reference(graph, weight="weight", tol=1e-12)
    assert ours == pytest.approx(theirs, abs=1e-6)


# -- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "nt"])
def test_export_rdf(fmt: str, tmp_path: Path) -> None:
    import pyoxigraph

    out = tmp_path / f"graph.{fmt}"
    result = kg("export", "--format", fmt, "--out", str(out), "--wiki", WIKI)
    assert result.exit_code == 0, result.output
    formats = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD,
               "nt": pyoxigraph.RdfFormat.N_TRIPLES}
    triples = list(pyoxigraph.parse(out.read_bytes(), format=formats[fmt]))
    assert len(triples) > 100
    assert kg("export", "--format", fmt, "--wiki", WIKI).stdout_bytes == out.read_bytes()


def test_an_exported_file_has_the_mode_of_any_new_file(tmp_path: Path) -> None:
    """Not the private mode of a temporary file: a file the user asked for, the umask's,
    or that of the file it replaces."""
    import os

    out = tmp_path / "graph.ttl"
    old = os.umask(0o022)
    try:
        assert kg("export", "--format", "ttl", "--out", str(out), "--wiki", WIKI).exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o640)
        assert kg("export", "--format", "ttl", "--out", str(out), "--wiki", WIKI).exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_export_writes_through_a_symlink_and_into_a_device(tmp_path: Path) -> None:
    """As a shell's ``>``: a symlink's target is written, not the link replaced; a device
    is written into, never replaced by a file (``/dev/full`` says it is full)."""
    import os

    (tmp_path / "real.ttl").write_text("ORIGINAL")
    (tmp_path / "link.ttl").symlink_to("real.ttl")
    result = kg("export", "--format", "ttl", "--out", str(tmp_path / "link.ttl"), "--wiki", WIKI)
    assert result.exit_code == 0
    assert (tmp_path / "link.ttl").is_symlink()
    assert (tmp_path / "real.ttl").read_text().startswith("@prefix")
    if os.path.exists("/dev/full"):
        result = kg("export", "--format", "nt", "--out", "/dev/full", "--wiki", WIKI)
        assert result.exit_code == 1 and "No space left" in result.output
        assert Path("/dev/full").is_char_device()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc (not Linux)")
@pytest.mark.parametrize("out", ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"])
def test_export_writes_into_standard_output_that_is_a_pipe(out: str, tmp_path: Path) -> None:
    """``kg export -o /dev/stdout | wc -l``: the link leads to ``pipe:[…]``, which no path
    names; the pipe is written into, as a shell's ``>`` does. And into a file opened with
    ``>>``, appended to."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-c", "from kg.cli import main; main()", "export", "-o", out,
               "--format", "nt", "--wiki", WIKI]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    piped = subprocess.run(command, capture_output=True, env=env, check=False)
    assert piped.returncode == 0, piped.stderr.decode()
    assert piped.stdout == kg("export", "--format", "nt", "--wiki", WIKI).stdout_bytes
    assert piped.stdout.count(b"\n") > 100 and b"wrote " in piped.stderr
    appended = tmp_path / "log.nt"
    appended.write_bytes(b"# before\n")
    with open(appended, "ab") as f:
        subprocess.run(command, stdout=f, env=env, check=True, capture_output=False,
                       stderr=subprocess.DEVNULL)
    assert appended.read_bytes() == b"# before\n" + piped.stdout


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc (not Linux)")
def test_export_into_a_closed_pipe_by_its_path_is_as_quiet_as_into_stdout() -> None:
    """``kg export -o /dev/stdout | head -1``: the reader gone is no error, as it is for
    ``kg export | head -1``; it had been "error: cannot write /dev/stdout: Broken pipe"."""
    import os
    import subprocess
    import sys

    answers = []
    for extra in ([], ["-o", "/dev/stdout"]):
        read, write = os.pipe()
        os.close(read)  # the reader has gone
        done = subprocess.run([sys.executable, "-c", "from kg.cli import run; run()",
                               "export", "--format", "nt", *extra, "--wiki", WIKI],
                              stdout=write, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        os.close(write)
        answers.append((done.returncode, done.stderr))
    assert answers[1] == answers[0] == (1, b"")


def test_a_service_that_fails_is_an_error_not_a_traceback() -> None:
    result = kg("sparql", "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
                "--wiki", WIKI)
    assert result.exit_code == 1 and "the query failed" in result.output


def test_export_takes_the_format_the_file_name_asks_for(tmp_path: Path) -> None:
    import networkx as nx
    import pyoxigraph

    for name in ("g.graphml", "g.nt", "g.jsonld"):
        assert kg("export", "--out", str(tmp_path / name), "--wiki", WIKI).exit_code == 0
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() > 10
    for name, fmt in (("g.nt", pyoxigraph.RdfFormat.N_TRIPLES),
                      ("g.jsonld", pyoxigraph.RdfFormat.JSON_LD)):
        assert len(list(pyoxigraph.parse(path=str(tmp_path / name), format=fmt))) > 100
    assert kg("export", "--wiki", WIKI).stdout.startswith("@prefix")  # Turtle by default


def test_export_graphml() -> None:
    import networkx as nx

    data = kg("export", "--format", "graphml", "--wiki", WIKI).stdout_bytes
    graph = nx.read_graphml(io.BytesIO(data))
    assert graph.nodes["import-ai-455"]["tier"] == 1
    assert graph.nodes["wang-huang-reward-hacking"]["placeholder"] is True
    assert any(d["relation"] == "counterpoint" for _, _, d in graph.edges(data=True))


# -- the cache under the commands -------------------------------------------------------------


def test_each_query_sees_an_edit(sample_copy: Config) -> None:
    wiki = str(sample_copy.wiki)
    before = rows(kg("neighbors", "posttrainbench", "--wiki", wiki, "--format", "json"))
    assert "mimo" not in {r["id"] for r in before}
    note = sample_copy.wiki / "posttrainbench.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "## Why it matters", "## Why it matters\nSee [[mimo]].\n"), encoding="utf-8")
    after = rows(kg("neighbors", "posttrainbench", "--wiki", wiki, "--format", "json"))
    assert "mimo" in {r["id"] for r in after}
    found = rows(kg("sparql", "ASK { note:posttrainbench kg:mentions note:mimo }",
                    "--wiki", wiki, "--format", "json"))
    assert found == [{"result": True}]


def test_find_note_by_title_alias_and_id() -> None:
    wiki = load_wiki(load_config(REPO))
    assert query.find_note(wiki, "Symphony") == "openai-symphony"
    assert query.find_note(wiki, "openai-symphony.md") == "openai-symphony"
    with pytest.raises(NotFound):
        query.find_note(wiki, "nothing like it")


def test_relation_filters_take_synonyms_and_refuse_unknown_names() -> None:
    found = rows(kg("connections", "import-ai-455", "--rel", "disagrees", "--wiki", WIKI,
                    "--format", "json"))
    assert {r["relation"] for r in found} == {"counterpoint"}
    result = kg("connections", "import-ai-455", "--rel", "disagre", "--wiki", WIKI)
    assert result.exit_code == 1 and "did you mean 'counterpoint'" in result.stderr
    result = kg("neighbors", "ahe", "--rel", "nonsense", "--wiki", WIKI)
    assert result.exit_code == 1 and "unknown relation" in result.stderr
    result = kg("neighbors", "ahe", "--rel", "zzz", "--wiki", WIKI)  # near none
    assert "`kg relations` lists them" in result.stderr  # kg --help does not


@pytest.mark.parametrize("args", [
    ["connections", "a"], ["neighbors", "a"], ["path", "a", "b"], ["questions"],
    ["forecasts"], ["stats"], ["sparql", "ASK { ?s ?p ?o }"],
])
def test_a_broken_note_is_left_out_of_every_query_with_file_and_line(
        write_wiki, args: list[str]) -> None:
    """The query answers from the notes that parse (b is a placeholder meanwhile), and says
    on stderr which note it left out and why; the build and the export still fail
    (tests/test_lenient.py)."""
    config = write_wiki({"a.md": "# A\n[[b]]\n", "b.md": "---\ntitle: B\ntier: [1\n---\n"})
    result = kg(*args, "--wiki", str(config.wiki))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: 1 note with errors left out"), result.stderr
    assert "b.md:3" in result.stderr, result.stderr
    assert "b.md" not in result.stdout


def test_a_missing_wiki_folder_is_an_error(tmp_path: Path) -> None:
    result = kg("connections", "a", "--wiki", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no wiki folder" in result.stderr


def test_questions_and_forecasts_follow_an_edit(write_wiki) -> None:
    config = write_wiki(QUESTIONS)
    wiki = str(config.wiki)
    before = rows(kg("questions", "--wiki", wiki, "--format", "json"))
    assert "Anything new?" not in {r["question"] for r in before}
    assert rows(kg("forecasts", "--wiki", wiki, "--format", "json")) == []
    write_wiki({"r.md": QUESTIONS["r.md"] + "- Anything new?\n"
                "\n## Forecast\n",
                "f.md": "---\ntitle: F\nforecasts: [{claim: X, p: 0.5, by: 2020-01-01}]\n---\n"})
    after = rows(kg("questions", "--wiki", wiki, "--format", "json"))
    assert "Anything new?" in {r["question"] for r in after}
    assert [r["status"] for r in rows(kg("forecasts", "--wiki", wiki, "--format", "json"))] == [
        "due"]


def test_a_query_nested_too_deep_to_parse_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """5,000 nested parentheses overflow Oxigraph's parser's stack (a segfault)."""
    query = tmp_path / "deep.rq"
    query.write_text("SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
                     encoding="utf-8")
    result = kg("sparql", str(query), "--wiki", WIKI)
    assert result.exit_code == 1
    assert f"{query}:1: the query nests more than 256 deep" in result.output
    query.write_text("SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 100_000 + " true) }",
                     encoding="utf-8")  # a run of prefix operators recurses as deep
    result = kg("sparql", str(query), "--wiki", WIKI)
    assert result.exit_code == 1 and "nests more than 256 deep" in result.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="Linux's /dev/full")
def test_output_into_a_full_disk_is_an_error_not_a_traceback() -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "stats",
                               "--wiki", WIKI, "--format", "json"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: cannot write the output: No space left on device"


def test_a_name_with_terminal_escapes_is_shown_escaped_in_the_error() -> None:
    result = kg("connections", "x\x1b]0;pwned\x07", "--wiki", WIKI)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "x\\x1b]0;pwned\\x07" in result.stderr


def test_export_into_a_folder_that_is_not_there_fails_as_a_shell_s_redirect_would(
        tmp_path: Path) -> None:
    missing = tmp_path / "nofolder" / "x.ttl"
    result = kg("export", "--wiki", WIKI, "-o", str(missing))
    assert result.exit_code == 1 and "No such file or directory" in result.stderr
    assert not missing.parent.exists()  # no folder made on the way
    (tmp_path / "afile").write_text("x")
    result = kg("export", "--wiki", WIKI, "-o", str(tmp_path / "afile" / "x.ttl"))
    assert result.exit_code == 1 and "Not a directory" in result.stderr
