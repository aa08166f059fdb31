"""The command line through click's CliRunner: `kg build` and `kg connections`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

REPO = Path(__file__).resolve().parent.parent
WIKI = str(REPO / "wiki")


@pytest.fixture
def run():
    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


# -- kg build ---------------------------------------------------------------------------------


def test_build_sample_wiki(run, tmp_path) -> None:
    out = tmp_path / "site"
    result = run("build", "--wiki", WIKI, "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("Built 12 notes")
    for word in ("connections", "mentions", "placeholders", "questions"):
        assert word in summary
    assert (out / "notes/import-ai-455.html").is_file()
    assert (out / "questions.html").is_file()
    assert (out / "graph.ttl").is_file() and (out / "graph.jsonld").is_file()


def test_the_build_summary_counts_one_of_a_kind_in_the_singular(run, write_wiki) -> None:
    from kg.build import BuildResult

    config = write_wiki({"a.md": "---\ntitle: A\nconnections: [b]\n---\nSee [[b]].\n\n"
                                 "## Open questions\n- Why?\n"})
    result = run("build", "--wiki", str(config.wiki), "--out", str(config.out), "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built 1 note, 1 connection, 1 mention, 1 placeholder, "
                                    "1 question → "), result.stdout
    one = BuildResult(notes=1, connections=0, mentions=2, placeholders=1, questions=0,
                      files=1, seconds=0.5, warnings=(), out=Path("site"), rendered=1)
    assert one.summary() == ("Built 1 note, 0 connections, 2 mentions, 1 placeholder, "
                             "0 questions → site (1 file, all rendered) in 0.50s")


def test_build_bad_note_exits_1_with_file_and_line(run, write_wiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\ntitle: B\n---\n"})
    result = run("build", "--wiki", str(config.wiki), "--out", str(config.out))
    assert result.exit_code == 1
    assert "a.md:3" in result.stderr and "written twice" in result.stderr
    assert "1 note has errors; nothing was written" in result.stderr
    assert not config.out.exists()
    # a query answers without the note, and says why: here it asks for that very note
    result = run("connections", "a", "--wiki", str(config.wiki))
    assert result.exit_code == 1 and "a.md:3" in result.stderr
    assert result.stderr.startswith("warning: 1 note with errors left out of the answer")
    assert "error: no note called 'a'" in result.stderr
    assert "nothing was written" not in result.stderr


def test_build_tmp_wiki_without_kg_toml_needs_only_titles(run, tmp_path) -> None:
    wiki = tmp_path / "vault"
    wiki.mkdir()
    (wiki / "Plain Note.md").write_text("# Plain Note\n\nLinks to [[Other]].\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", "--wiki", str(wiki), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert (out / "notes/plain-note.html").is_file()
    assert (out / "notes/other.html").is_file()


# -- kg connections ---------------------------------------------------------------------------


def test_connections_table(run) -> None:
    result = run("connections", "import-ai-455", "--wiki", WIKI)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["DIRECTION", "RELATION", "NOTE", "ANNOTATION"]
    row = next(line for line in lines if "defense-trilemma" in line and "counterpoint" in line)
    assert row.split()[:3] == ["out", "counterpoint", "defense-trilemma"]
    assert "adversarial" in row


def test_connections_json(run) -> None:
    result = run("connections", "import-ai-455", "--wiki", WIKI, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    out = [r for r in rows if r["note"] == "defense-trilemma" and r["direction"] == "out"
           and r["relation"] != "mentions"]
    assert len(out) == 1
    row = out[0]
    assert row["relation"] == "counterpoint"
    assert row["label"] == "Counterpoint to"
    assert row["annotation"].startswith("The adversarial mirror image")
    assert row["placeholder"] is False
    incoming = [r for r in rows if r["note"] == "defense-trilemma" and r["direction"] == "in"
                and r["relation"] == "counterpoint"]
    assert [r["label"] for r in incoming] == ["Countered by"]
    assert {r["note"] for r in rows if r["placeholder"]} >= {"tip", "longact"}


def test_connections_csv(run) -> None:
    result = run("connections", "import-ai-455", "--wiki", WIKI, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert set(rows[0]) == {"direction", "relation", "label", "note", "title", "placeholder",
                            "annotation"}
    row = next(r for r in rows if r["note"] == "defense-trilemma" and r["direction"] == "out"
               and r["relation"] == "counterpoint")
    assert "adversarial" in row["annotation"]
    assert row["placeholder"] == "false"  # as JSON writes it, not Python's False
    assert {r["placeholder"] for r in rows} == {"true", "false"}


def test_connections_by_alias_and_filters(run) -> None:
    result = run("connections", "Defense Trilemma", "--wiki", WIKI, "--format", "json",
                 "--direction", "in", "--no-mentions")
    rows = json.loads(result.stdout)
    assert rows and all(r["direction"] == "in" and r["relation"] != "mentions" for r in rows)
    assert ("import-ai-455", "counterpoint") in {(r["note"], r["relation"]) for r in rows}


def test_connections_of_a_tmp_wiki(run, write_wiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\nconnections:\n  - {to: b, rel: extends, note: 'builds on, "
                "and \"quotes\"'}\n---\n",
        "b.md": "---\ntitle: B\n---\n",
    })
    result = run("connections", "b", "--wiki", str(config.wiki), "--format", "json")
    assert json.loads(result.stdout) == [{
        "direction": "in", "relation": "extends", "label": "Extended by", "note": "a",
        "title": "A", "placeholder": False, "annotation": 'builds on, and "quotes"',
    }]
    result = run("connections", "b", "--wiki", str(config.wiki), "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["annotation"] == 'builds on, and "quotes"'


def test_unknown_note_exits_1_with_did_you_mean(run) -> None:
    result = run("connections", "import-ai-45", "--wiki", WIKI)
    assert result.exit_code == 1
    assert "no note called 'import-ai-45'" in result.stderr
    assert "did you mean" in result.stderr and "import-ai-455" in result.stderr
    assert result.stdout == ""


def test_unknown_note_without_a_near_name_names_a_command_that_lists_every_note(run) -> None:
    result = run("connections", "zzzz", "--wiki", WIKI)
    assert result.exit_code == 1 and "no note called 'zzzz'" in result.stderr
    command = result.stderr.split("`")[1]  # kg stats lists only the ten first hubs
    assert command.startswith("kg sparql '") and command.endswith("'")
    listed = run("sparql", command.removeprefix("kg sparql '")[:-1], "--wiki", WIKI)
    ids = {path.stem for path in (REPO / "wiki").glob("*.md")}
    assert set(listed.stdout.split()[1:]) == ids


def test_connections_of_a_placeholder_by_id(run) -> None:
    result = run("connections", "tip", "--wiki", WIKI, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(r["direction"], r["note"]) for r in rows} == {("in", "import-ai-455")}


def test_connections_of_a_placeholder_by_its_written_name(run) -> None:
    result = run("connections", "TIP", "--wiki", WIKI, "--format", "json")
    assert result.exit_code == 0, result.output


def test_csv_cells_that_a_spreadsheet_would_run_are_text(run, write_wiki) -> None:
    """A note's text that starts with =, +, -, @, a tab or a carriage return opens in a
    spreadsheet as a formula (``=HYPERLINK(…)``): in CSV it is written after a ``'``
    (OWASP's advice); JSON keeps the text as it is, and numbers stay numbers."""
    config = write_wiki({
        "a.md": "---\ntitle: A\nconnections:\n"
                "  - {to: b, note: '=HYPERLINK(\"https://evil.example\",\"open\")'}\n"
                "  - {to: c, note: '@SUM(1+1)'}\n---\n"
                "## Open questions\n- +cmd|' /C calc'!A0 works?\n- Plain question?\n",
        "b.md": "---\ntitle: B\n---\n",
        "c.md": "---\ntitle: \"-2+3\"\n---\n",
    })
    wiki = str(config.wiki)
    result = run("connections", "a", "--wiki", wiki, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["note"], r["annotation"]) for r in rows] == [
        ("b", "'=HYPERLINK(\"https://evil.example\",\"open\")"), ("c", "'@SUM(1+1)")]
    result = run("connections", "a", "--wiki", wiki, "--format", "json")
    assert [r["annotation"] for r in json.loads(result.stdout)] == [
        '=HYPERLINK("https://evil.example","open")', "@SUM(1+1)"]
    result = run("connections", "c", "--wiki", wiki, "--format", "csv")
    assert [r["title"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["A"]
    result = run("questions", "--wiki", wiki, "--format", "csv")
    questions = {r["question"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert questions == {"'+cmd|' /C calc'!A0 works?", "Plain question?"}
    result = run("sparql", "SELECT (-1 AS ?n) ('=1+1' AS ?t) {}", "--wiki", wiki,
                 "--format", "csv")
    assert result.stdout.splitlines() == ["n,t", "-1,'=1+1"]


def test_a_note_named_by_its_file_s_path_from_here(run, write_wiki, monkeypatch) -> None:
    """`kg connections wiki/b.md`, as a shell completes it, names the note of that file, as
    `kg neighbors` and `kg path` do; a file outside the wiki is looked up by name as before."""
    config = write_wiki({"a.md": "---\ntitle: A\n---\nSee [[sub/b]].\n",
                         "sub/b.md": "---\ntitle: B\n---\nb\n"})
    monkeypatch.chdir(config.root)
    wiki = str(config.wiki)
    found = run("connections", "wiki/sub/b.md", "--wiki", wiki, "--format", "json")
    assert found.exit_code == 0, found.output
    assert [row["note"] for row in json.loads(found.stdout)] == ["a"]
    monkeypatch.chdir(config.wiki / "sub")
    assert run("neighbors", "./b.md", "--wiki", wiki).exit_code == 0
    assert run("path", "../a.md", "b.md", "--wiki", wiki).exit_code == 0
    (config.root / "elsewhere.md").write_text("x", encoding="utf-8")
    monkeypatch.chdir(config.root)
    missing = run("connections", "elsewhere.md", "--wiki", wiki)
    assert missing.exit_code == 1 and "no note called 'elsewhere.md'" in missing.stderr
