"""``kg init`` and ``kg new``: a wiki that builds at once, and notes that never overwrite."""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.build import build, load_wiki
from kg.config import Config, load_config
from kg.errors import ConfigError, EditorFailed, KgError, NotFound
from kg.ids import NoteId
from kg.parse import parse_note
from kg.scaffold import front_matter, init, new_note, open_in_editor

REPO = Path(__file__).resolve().parent.parent


def kg(*args: str, env: dict[str, str | None] | None = None) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Config:
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    return load_config(tmp_path)


# -- kg init ----------------------------------------------------------------------------------


def test_init_gives_a_wiki_that_builds_and_checks_clean(tmp_path: Path) -> None:
    from kg.check import check

    done = init(tmp_path / "lab", title='The "lab": notes', today=dt.date(2026, 5, 4))
    assert (tmp_path / "lab/kg.toml").is_file() and done.first_note is not None
    config = load_config(tmp_path / "lab")
    assert config.title == 'The "lab": notes'
    note = load_wiki(config).notes["start-here"]
    assert note.date == dt.date(2026, 5, 4) and note.tier == 3 and note.questions
    result = build(config)
    assert result.notes == 1 and (config.out / "notes/start-here.html").is_file()
    report = check(config)
    assert report.findings == () and not report.failed(strict=True)
    assert (tmp_path / "lab/.gitignore").read_text() == "site/\n.kg/\n"


def test_init_under_a_file_is_an_error_saying_so(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = kg("init", str(tmp_path / "afile" / "sub"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot make the wiki folder" in result.stderr and "Not a directory" in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="argv as bytes")
@pytest.mark.parametrize(("title", "said"), [
    (b"Caf\xe9", b"error: the title 'Caf\\udce9' holds the byte 0xE9, which is not UTF-8"),
    (b"Lab\x1b]0;x", b"error: the title 'Lab\\x1b]0;x' holds U+001B, which kg.toml cannot hold"),
])
def test_init_refuses_a_title_kg_toml_cannot_hold_and_writes_nothing(
        tmp_path: Path, title: bytes, said: bytes) -> None:
    """A title typed in a Latin-1 terminal (\\udce9) was a traceback, an empty kg.toml and a
    wiki/ left behind; one holding ESC, a kg.toml whose first build refused it."""
    import os
    import subprocess

    done = subprocess.run([sys.executable, "-c", "from kg.cli import run; run()", "init",
                           b"lab", b"--title", title], cwd=tmp_path, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == said
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_an_existing_wiki_and_keeps_notes(tmp_path: Path) -> None:
    (tmp_path / "wiki").mkdir()
    (tmp_path / "wiki/mine.md").write_text("# Mine\n", encoding="utf-8")
    done = init(tmp_path)
    assert done.first_note is None
    assert [p.name for p in (tmp_path / "wiki").iterdir()] == ["mine.md"]
    with pytest.raises(ConfigError, match="exists already"):
        init(tmp_path)


def test_init_cli(tmp_path: Path) -> None:
    result = kg("init", str(tmp_path / "w"))
    assert result.exit_code == 0
    assert "kg.toml" in result.stdout and "kg build" in result.stdout
    again = kg("init", str(tmp_path / "w"))
    assert again.exit_code == 1 and "kg.toml" in again.stderr


def test_init_in_a_vault_says_its_notes_are_outside_the_wiki_and_how_to_build_them(
        tmp_path: Path) -> None:
    """``kg init`` run in an Obsidian vault makes ``wiki/`` beside the vault's notes, which
    ``kg build`` then leaves out ("Built 1 note"): init says so, naming them, and the
    kg.toml settings it gives build the vault where it is."""
    vault = tmp_path / "My Vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Papers").mkdir()
    for name in ("Inbox.md", "Index.md", "Papers/BERT.md", "Papers/GPT-2.md", ".obsidian/x.md"):
        (vault / name).write_text(f"# {name}\nSee [[Inbox]].\n", encoding="utf-8")
    result = kg("init", str(vault))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: 4 notes here are outside wiki/ (Inbox.md, Index.md, Papers/BERT.md, …), which "
        "kg build does not read: move them into wiki/, or build them where they are with "
        'wiki = "." and out = "../My Vault-site" in kg.toml\n')
    toml = (vault / "kg.toml").read_text(encoding="utf-8")
    assert "\nline_breaks = true\n" in toml  # as Obsidian shows a note, "strict" off
    (vault / "kg.toml").write_text(toml.replace('wiki = "wiki"', 'wiki = "."').replace(
        'out = "site"', 'out = "../My Vault-site"'), encoding="utf-8")
    shutil.rmtree(vault / "wiki")
    build(load_config(vault))
    assert sorted(p.name for p in (tmp_path / "My Vault-site" / "notes").iterdir()) == [
        "bert.html", "gpt-2.html", "inbox.html", "index.html"]
    assert kg("init", str(tmp_path / "empty")).stderr == ""  # nothing beside: nothing said
    assert "\nline_breaks = false\n" in (tmp_path / "empty" / "kg.toml").read_text(
        encoding="utf-8")  # no vault: CommonMark's paragraphs
    strict = tmp_path / "strict"
    (strict / ".obsidian").mkdir(parents=True)
    (strict / ".obsidian" / "app.json").write_text('{"strictLineBreaks": true}\n',
                                                   encoding="utf-8")
    kg("init", str(strict))
    assert "\nline_breaks = false\n" in (strict / "kg.toml").read_text(encoding="utf-8")
    assert "wikilinks" not in (strict / "kg.toml").read_text(encoding="utf-8")
    repo = tmp_path / "repo"  # a project's own documents are no vault's notes
    (repo / "docs").mkdir(parents=True)
    for name in ("README.md", "CHANGELOG.md", "docs/CONTRIBUTING.md"):
        (repo / name).write_text("# Project\n", encoding="utf-8")
    assert kg("init", str(repo)).stderr == ""


def test_init_adds_what_an_existing_gitignore_lacks_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w/.gitignore").write_text("*.pyc\n/site\n.venv/", encoding="utf-8")
    result = kg("init", str(tmp_path / "w"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w/.gitignore").read_text() == "*.pyc\n/site\n.venv/\n.kg/\n"
    assert "added .kg/ to " in result.stdout and ".gitignore" in result.stdout
    (tmp_path / "v").mkdir()
    (tmp_path / "v/.gitignore").write_text("", encoding="utf-8")
    done = init(tmp_path / "v")
    assert done.ignored == ("site/", ".kg/")
    assert (tmp_path / "v/.gitignore").read_text() == "site/\n.kg/\n"
    (tmp_path / "u").mkdir()
    (tmp_path / "u/.gitignore").write_text("site/\n.kg/\n", encoding="utf-8")
    quiet = kg("init", str(tmp_path / "u"))
    assert "added" not in quiet.stdout and ".gitignore" not in quiet.stdout


# -- front-matter -----------------------------------------------------------------------------


TITLES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                           blacklist_characters="\ufeff\x85\ufffe\uffff"),  # refused
    min_size=1, max_size=80,
).map(lambda t: " ".join(t.split())).filter(bool)


@settings(max_examples=300, deadline=None)
@given(title=TITLES, alias=TITLES)
def test_front_matter_round_trips_any_title(title: str, alias: str) -> None:
    text = "---\n" + front_matter({"title": title, "date": dt.date(2026, 5, 4), "tier": 1,
                                   "aliases": [alias], "connections": [
                                       {"to": "x", "rel": "related", "note": title}]}) + "---\n"
    note = parse_note(text.encode("utf-8"), nid=NoteId("n"), path="n.md")
    assert note.title == title
    assert note.aliases == (alias,)
    assert note.connections[0].annotation == title
    assert note.date == dt.date(2026, 5, 4) and note.tier == 1


@pytest.mark.parametrize("field", ["title", "alias", "tag"])
@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\x07"])
def test_new_refuses_what_no_note_can_hold(sample_copy: Config, field: str, char: str) -> None:
    """A noncharacter or a control character would make a note that stops every build."""
    before = sorted(sample_copy.wiki.rglob("*"))
    given = {"title": f"Odd{char}title", "aliases": [f"a{char}b"] if field == "alias" else [],
             "tags": [f"t{char}"] if field == "tag" else []}
    if field != "title":
        given["title"] = "Plain title"
    with pytest.raises(ConfigError, match=f"holds U\\+{ord(char):04X}"):
        new_note(sample_copy, **given)  # type: ignore[arg-type]
    assert sorted(sample_copy.wiki.rglob("*")) == before


@pytest.mark.skipif(sys.platform != "linux", reason="argv as bytes")
@pytest.mark.parametrize("option", [[], ["--alias"], ["--tag"], ["--type"]])
def test_new_refuses_a_name_that_is_not_utf8(sample_copy: Config, option: list[str]) -> None:
    """A name typed in a Latin-1 terminal reaches Python as lone surrogates (\\udce9): the
    note was refused only as it was checked after writing, as if templates/note.md were
    wrong."""
    import os
    import subprocess

    before = sorted(sample_copy.wiki.rglob("*"))
    name = b"Caf\xe9"
    args = [b"Plain title", *(o.encode() for o in option), name] if option else [name]
    done = subprocess.run([sys.executable, "-c", "from kg.cli import run; run()", "new",
                           *args], cwd=sample_copy.root, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    assert b"holds the byte 0xE9, which is not UTF-8" in done.stderr
    assert b"note.md" not in done.stderr
    assert sorted(sample_copy.wiki.rglob("*")) == before


@pytest.mark.parametrize("title", [
    'Import AI 455: "AI Systems" — building themselves', "NO", "yes", "2026-05-04",
    "# not a comment", "[[link]]", "- a list?", "key: value", "{braces}", "*star", "&anchor",
    "!tag", "012345", "a'b\"c", "tab\tinside", "trailing colon:", "%percent", "@at", "`tick`",
])
def test_front_matter_tricky_titles(title: str) -> None:
    text = "---\n" + front_matter({"title": title, "tags": [title]}) + "---\n"
    note = parse_note(text.encode("utf-8"), nid=NoteId("n"), path="n.md")
    assert note.title == title and note.tags


# -- kg new -----------------------------------------------------------------------------------


def test_new_note_with_every_option(sample_copy: Config) -> None:
    created = new_note(
        sample_copy, 'Reward hacking: "grows" with tools', date=dt.date(2026, 5, 6), tier=2,
        tags=["Reward Hacking", "#alignment/", ".."], aliases=["RH tools"],
        connect=["Defense Trilemma:supports:Same failure mode: more tools, more hacking",
                 "AHE", "import-ai-455:evidence"],
    )
    assert created.rel == "reward-hacking-grows-with-tools.md"
    note = load_wiki(sample_copy).notes[created.id]
    assert note.title == 'Reward hacking: "grows" with tools'
    assert note.date == dt.date(2026, 5, 6) and note.tier == 2
    assert note.tags == ("reward-hacking", "alignment") and note.aliases == ("RH tools",)
    assert [(c.target, c.relation.name, c.annotation) for c in note.connections] == [
        ("defense-trilemma", "supports", "Same failure mode: more tools, more hacking"),
        ("ahe", "related", ""),
        ("import-ai-455", "evidence", ""),
    ]
    assert {s.key for s in note.sections} >= {"tldr", "why", "connections", "angles",
                                              "questions"}
    assert "[[defense-trilemma|Defense Trilemma + NP-hard reward hacking]]" in note.body


def test_new_note_defaults_to_today(write_wiki) -> None:
    config = write_wiki({"a.md": "# A\n"})
    created = new_note(config, "Fresh")
    note = load_wiki(config).notes[created.id]
    assert note.date == dt.date.today() and note.tier is None


def test_unknown_targets_and_relations_are_refused(sample_copy: Config) -> None:
    with pytest.raises(NotFound, match="no note called 'Defence Trilema'") as err:
        new_note(sample_copy, "X", connect=["Defence Trilema"])
    assert "defense trilemma" in err.value.hint.lower()
    with pytest.raises(ConfigError, match="unknown relation 'disagree'") as bad:
        new_note(sample_copy, "X", connect=["ahe:disagree"])
    assert "counterpoint" in bad.value.hint
    assert not (sample_copy.wiki / "x.md").exists()


def test_new_takes_no_id_a_draft_has(sample_copy: Config) -> None:
    """A draft is no note of the wiki, but its file has its id: a new note of that id would
    stop every build (Draft.md and draft.md both 'draft')."""
    (sample_copy.wiki / "Draft.md").write_text("---\ndraft: true\n---\nNot yet.\n",
                                               encoding="utf-8")
    with pytest.raises(KgError, match=r"Draft\.md has the id 'draft' already"):
        new_note(sample_copy, "Draft")
    assert sorted(p.name for p in sample_copy.wiki.glob("[Dd]raft.md")) == ["Draft.md"]


def test_new_never_overwrites(sample_copy: Config) -> None:
    before = (sample_copy.wiki / "ahe.md").read_bytes()
    with pytest.raises(KgError, match="exists already"):
        new_note(sample_copy, "AHE")
    with pytest.raises(KgError, match="exists already"):
        new_note(sample_copy, "Anything", note_id="ahe")
    with pytest.raises(KgError, match="would take over its links"):
        new_note(sample_copy, "Symphony")  # the alias of openai-symphony
    assert (sample_copy.wiki / "ahe.md").read_bytes() == before
    (sample_copy.wiki / "sub").mkdir()
    (sample_copy.wiki / "taken.md").write_text("", encoding="utf-8")
    with pytest.raises(KgError):
        new_note(sample_copy, "Taken")


def test_new_on_a_placeholder_makes_it_a_note(sample_copy: Config) -> None:
    assert "wang-huang-reward-hacking" in load_wiki(sample_copy).placeholders
    created = new_note(sample_copy, "wang-huang-reward-hacking", tier=2)
    assert created.placeholder is not None
    assert created.placeholder.referenced_by == ("defense-trilemma", "import-ai-455")
    wiki = load_wiki(sample_copy)
    assert "wang-huang-reward-hacking" in wiki.notes
    assert "wang-huang-reward-hacking" not in wiki.placeholders
    assert wiki.notes["wang-huang-reward-hacking"].title == "Wang Huang Reward Hacking"
    # a title whose slug is a placeholder's id does the same
    created = new_note(sample_copy, "Safety Drift")
    assert created.id == "safety-drift" and created.placeholder is not None


def test_new_on_a_placeholder_whose_slug_is_a_note_s_id(sample_copy: Config) -> None:
    """``[[C++]]`` beside C.md is a placeholder of its own (c-<hash>): ``kg new "C++"``
    writes that note, under that id, and the link leads to it."""
    (sample_copy.wiki / "C.md").write_text("# C\n", encoding="utf-8")
    (sample_copy.wiki / "langs.md").write_text("# Langs\nSee [[C++]].\n", encoding="utf-8")
    ghost = next(p for p in load_wiki(sample_copy).placeholders.values() if p.label == "C++")
    created = new_note(sample_copy, "C++")
    assert created.id == ghost.id and created.placeholder is not None
    wiki = load_wiki(sample_copy)
    assert [e.target for e in wiki.edges if e.source == "langs"] == [ghost.id]
    assert wiki.notes[ghost.id].title == "C++" and "c" in wiki.notes


@pytest.mark.parametrize(("date", "why"), [("2025-02-29", "day is out of range for month"),
                                           ("2026-13-01", "there is no month 13"),
                                           ("2026-01-00", "there is no day 0"),
                                           ("2026-01-32", "there is no day 32")])
def test_a_date_that_does_not_exist_is_said_to_be_none(sample_copy: Config, date: str,
                                                        why: str) -> None:
    result = kg("new", "Leap", "--date", date, "--wiki", str(sample_copy.wiki))
    assert result.exit_code == 2 and f"'{date}' is no date: {why}" in result.stderr
    assert "does not match" not in result.stderr


FAILING_EDITORS = {
    "not found": ("/nonexistent/editor", "'/nonexistent/editor' ($EDITOR) was not found"),
    "unreadable": ('"unclosed', "the command ($EDITOR) '\"unclosed' cannot be read: "
                                "No closing quotation"),
    "no program": ('""', "the command ($EDITOR) '\"\"' names no program"),
    "fails": (f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)'",
              f"'{sys.executable}' ($EDITOR) exited with status 3"),
    "not set, none installed": (None, "$EDITOR is not set and none of sensible-editor, vim, "
                                      "nano, vi is installed"),
}


@pytest.mark.parametrize("case", list(FAILING_EDITORS))
def test_a_failing_editor_is_kgs_error_and_the_note_stays(sample_copy: Config, tmp_path: Path,
                                                           case: str) -> None:
    """``kg new --edit`` whose editor cannot run or fails says so as kg's other errors do
    (``error: FILE: …`` and a hint, exit 1), not click's ``Error:``, and the note is kept."""
    editor, why = FAILING_EDITORS[case]
    env: dict[str, str | None] = {"EDITOR": editor, "VISUAL": "  "}  # spaces: unset
    if editor is None:
        (tmp_path / "bin").mkdir()
        env["PATH"] = str(tmp_path / "bin")  # no vim, nano or vi to fall back on
    result = kg("new", "Edit me", "--edit", "--wiki", str(sample_copy.wiki), env=env)
    path = sample_copy.wiki / "edit-me.md"
    assert result.exit_code == 1
    assert load_wiki(sample_copy).notes[NoteId("edit-me")].title == "Edit me"
    assert result.stdout.strip().endswith("edit-me.md")
    error, hint = result.stderr.strip().split("\n")
    assert error == f"error: {path}: the note is written, but no editor opened it: {why}"
    assert hint.startswith("  hint: ") and ("EDITOR" in hint or "open the note again" in hint)
    assert "Error:" not in result.stderr and "Traceback" not in result.stderr


def test_open_in_editor_raises_editor_failed(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "n.md"
    note.write_text("---\ntitle: N\n---\n", encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} -c 'raise SystemExit(2)'")
    with pytest.raises(EditorFailed) as failed:
        open_in_editor(note)
    assert failed.value.file == str(note) and "exited with status 2" in failed.value.message
    monkeypatch.setenv("VISUAL", f"{shlex.quote(sys.executable)} -c pass")  # read first
    open_in_editor(note)


def test_new_cli_prints_the_path_and_opens_the_editor(sample_copy: Config,
                                                      tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'a').write('edited\\n')\n",
                      encoding="utf-8")
    result = kg("new", "Step by step", "--wiki", str(sample_copy.wiki), "--tier", "3",
                "--tag", "agents", "--connect", "mimo:extends:adds steps", "--date",
                "2026-05-07", "--edit", env={"EDITOR": f"{sys.executable} {editor}",
                                             "VISUAL": ""})
    assert result.exit_code == 0, result.output
    path = sample_copy.wiki / "step-by-step.md"
    assert result.stdout.strip().endswith("step-by-step.md")
    assert path.read_text(encoding="utf-8").endswith("edited\n")
    note = load_wiki(sample_copy).notes[NoteId("step-by-step")]
    assert note.date == dt.date(2026, 5, 7) and note.tags == ("agents",)


def test_an_editor_named_from_home_or_a_variable_opens(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``EDITOR="~/bin/ed"`` or ``"$HOME/bin/ed"``, as a shell reads it (click.edit, which
    kg used before, ran the editor through one), is the program in the home folder."""
    (tmp_path / "bin").mkdir()
    editor = tmp_path / "bin" / "ed"
    editor.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[1], 'a').write('ed\\n')\n",
                      encoding="utf-8")
    editor.chmod(0o755)
    note = tmp_path / "n.md"
    note.write_text("---\ntitle: N\n---\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("VISUAL", raising=False)
    for command in ("~/bin/ed", "$HOME/bin/ed", "${HOME}/bin/ed"):
        monkeypatch.setenv("EDITOR", command)
        open_in_editor(note)
    assert note.read_text(encoding="utf-8").endswith("ed\ned\ned\n")


def test_new_cli_errors(sample_copy: Config) -> None:
    wiki = str(sample_copy.wiki)
    result = kg("new", "X", "--connect", "mimoo", "--wiki", wiki)
    assert result.exit_code == 1 and "closest: mimo" in result.stderr
    result = kg("new", "AHE", "--wiki", wiki)
    assert result.exit_code == 1 and "ahe.md" in result.stderr
    assert kg("new", "X", "--date", "May 4", "--wiki", wiki).exit_code == 2
    assert kg("new", "X", "--tier", "12", "--wiki", wiki).exit_code == 2


def test_new_connects_to_a_note_named_by_its_file_s_path(sample_copy: Config,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`--connect wiki/mimo.md:extends`, the path a shell completes from the project's
    folder, connects to that file's note."""
    monkeypatch.chdir(sample_copy.wiki.parent)
    result = kg("new", "Path Linked", "--connect", f"{sample_copy.wiki.name}/mimo.md:extends",
                "--wiki", str(sample_copy.wiki))
    assert result.exit_code == 0, result.output
    text = (sample_copy.wiki / "path-linked.md").read_text(encoding="utf-8")
    assert "to: mimo" in text and "rel: extends" in text


def test_a_broken_template_writes_nothing(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"a.md": "# A\n"})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/note.md").write_text("---\n{{ front_matter }}title: dup\n---\n",
                                                encoding="utf-8")
    with pytest.raises(KgError, match="would not parse") as err:
        new_note(config, "Fresh")
    assert err.value.line is not None
    assert not (config.wiki / "fresh.md").exists()


def test_a_note_template_that_is_not_utf8_is_an_error_naming_it(write_wiki,
                                                                tmp_path: Path) -> None:
    """A wiki's templates/note.md saved in Latin-1 had been a traceback of kg new and kg
    import (a UnicodeDecodeError; a PermissionError for one that cannot be read)."""
    config = write_wiki({"a.md": "# A\n"})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/note.md").write_bytes(b"---\n{{ front_matter }}---\nCaf\xe9\n")
    with pytest.raises(ConfigError) as err:
        new_note(config, "Fresh")
    assert str(err.value) == (
        f"{tmp_path / 'templates/note.md'}: cannot read the note template: it is not UTF-8: "
        "byte 0xE9 at offset 29\n  hint: save it as UTF-8, or remove it to use the theme's")
    assert not (config.wiki / "fresh.md").exists()


def test_init_beside_a_gitignore_it_cannot_read_writes_nothing(tmp_path: Path) -> None:
    from kg.errors import ConfigError
    from kg.scaffold import init

    (tmp_path / ".gitignore").write_bytes(b"\xff\xfe not text")
    with pytest.raises(ConfigError, match=r"cannot read \.gitignore"):
        init(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]  # no kg.toml, no wiki/


def test_init_beside_a_gitignore_or_kg_toml_that_is_no_file_writes_nothing(
        tmp_path: Path) -> None:
    """A .gitignore that is a named pipe had kg init wait on it for ever; a link to nowhere
    had it made where the link leads."""
    import os

    from kg.errors import ConfigError
    from kg.scaffold import init

    os.mkfifo(tmp_path / ".gitignore")
    with pytest.raises(ConfigError, match=r"\.gitignore is not a regular file"):
        init(tmp_path)
    (tmp_path / ".gitignore").unlink()
    (tmp_path / ".gitignore").symlink_to(tmp_path / "elsewhere" / "ignored")
    with pytest.raises(ConfigError, match=r"cannot read \.gitignore"):
        init(tmp_path)
    (tmp_path / ".gitignore").unlink()
    (tmp_path / "kg.toml").symlink_to(tmp_path / "elsewhere.toml")
    with pytest.raises(ConfigError, match=r"kg\.toml exists already"):
        init(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.toml"]
    assert not (tmp_path / "elsewhere.toml").exists()


def test_kg_new_refuses_an_alias_another_note_has(write_wiki) -> None:
    from kg.errors import KgError
    from kg.scaffold import new_note

    config = write_wiki({"ahe.md": "---\ntitle: AHE\n---\nx\n"})
    with pytest.raises(KgError, match="the alias 'AHE' already names ahe"):
        new_note(config, "Another", aliases=["AHE"])
    assert not (config.wiki / "another.md").exists()


def test_kg_new_beside_a_broken_note_still_refuses_names_the_others_have(write_wiki) -> None:
    from kg.errors import KgError
    from kg.scaffold import new_note

    config = write_wiki({"ahe.md": "---\ntitle: AHE\naliases: [Harness evolution]\n---\nx\n",
                         "broken.md": "---\ntitle: [broken\n---\n"})
    with pytest.raises(KgError, match="'Harness evolution' is already a note: ahe"):
        new_note(config, "Harness evolution")
    assert new_note(config, "Something else").path.name == "something-else.md"


def test_two_long_titles_alike_in_their_first_words_are_two_notes(write_wiki) -> None:
    from kg.build import load_wiki
    from kg.scaffold import new_note

    config = write_wiki({"a.md": "---\ntitle: A\n---\nx\n"})
    first = new_note(config, "A" * 20 + " " + "B" * 300)
    second = new_note(config, "A" * 20 + " " + "B" * 300 + "C")
    assert first.path != second.path and len(first.path.stem) <= 80
    assert {n.id for n in load_wiki(config).notes.values()} >= {first.path.stem,
                                                               second.path.stem}
    short = new_note(config, "A short title")
    assert short.path.name == "a-short-title.md"


def test_a_long_title_s_id_is_its_file_s_id() -> None:
    from kg.ids import note_id, title_id

    title = ("Why large language models trained on synthetic data from themselves col lapse "
             "over generations of training")
    assert "--" not in title_id(title) and note_id(title_id(title)) == title_id(title)


def test_a_note_connected_twice_by_one_relation_has_one_connection(sample_copy: Config) -> None:
    """`--connect mimo --connect MiMo:related:…` wrote the connection twice, which `kg check`
    then warned of (duplicate-connection); the annotations are joined."""
    result = kg("new", "Twice Linked", "--connect", "mimo", "--connect", "MiMo:related:why",
                "--connect", "mimo:extends", "--wiki", str(sample_copy.wiki))
    assert result.exit_code == 0, result.output
    note = load_wiki(sample_copy).notes["twice-linked"]  # type: ignore[index]
    assert [(c.target, c.relation.name, c.annotation) for c in note.connections] == [
        ("mimo", "related", "why"), ("mimo", "extends", "")]
    check = kg("check", "--wiki", str(sample_copy.wiki))
    assert "duplicate-connection" not in check.output


def test_init_in_a_dendron_workspace_reads_its_links_label_first(tmp_path: Path) -> None:
    """Dendron writes a link's label first, ``[[label|target]]``: ``kg init`` where its
    ``dendron.yml`` is (the workspace, or a vault in it) says so in kg.toml, and the wiki it
    makes, built, reads its links so."""
    workspace = tmp_path / "workspace"
    (workspace / "vault").mkdir(parents=True)
    (workspace / "dendron.yml").write_text("version: 5\n", encoding="utf-8")
    for root in (workspace, workspace / "vault"):
        assert kg("init", str(root)).exit_code == 0
        toml = (root / "kg.toml").read_text(encoding="utf-8")
        assert '\nwikilinks = "dendron"\n' in toml
        config = load_config(root)
        assert config.wikilinks == "dendron" and config.label_first
        assert config.tiers[1] == "Research direction"  # still a table of its own
    (workspace / "wiki" / "pasta.md").write_text("# Pasta\n", encoding="utf-8")
    (workspace / "wiki" / "hub.md").write_text("See [[my pasta notes|pasta]].\n",
                                               encoding="utf-8")
    config = load_config(workspace)
    build(config)
    hub = (config.out / "notes" / "hub.html").read_text(encoding="utf-8")
    assert '<a class="wikilink" href="pasta.html" title="Pasta">my pasta notes</a>' in hub
