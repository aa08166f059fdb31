"""``kg check``: every kind of finding, each with file and line; exit codes; JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.build import build
from kg.check import check
from kg.config import load_config
from kg.errors import ConfigError, Severity

REPO = Path(__file__).resolve().parent.parent
WIKI = str(REPO / "wiki")
GOOD = "---\ntitle: {title}\ndate: 2026-01-01\ntier: 2\n{extra}---\n{body}"


def note(title: str, extra: str = "", body: str = "") -> str:
    return GOOD.format(title=title, extra=extra, body=body)


def kg(*args: str) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def found(config, **kwargs) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(code, where, severity) of every finding."""
    return {(f.code, str(f.where), f.severity.value) for f in check(config, **kwargs).findings}


def test_sample_wiki_has_warnings_but_no_errors() -> None:
    report = check(load_config(REPO))
    assert report.errors == 0
    codes = {f.code for f in report.findings}
    assert {"placeholder", "missing-date"} <= codes
    where = {(f.code, str(f.where)) for f in report.findings}
    assert ("missing-date", "posttrainbench.md:1") in where
    assert ("placeholder", "defense-trilemma.md:12") in where
    assert all(f.where and f.where.line for f in report.findings)


def test_unknown_relation_names_line_and_closest(write_wiki) -> None:
    config = write_wiki({
        "a.md": note("A", "connections:\n  - to: b\n    rel: disagres\n"),
        "b.md": note("B", "connections: [a]\n"),
    })
    report = check(config)
    [error] = [f for f in report.findings if f.severity is Severity.ERROR]
    assert (error.code, str(error.where)) == ("unknown-relation", "a.md:7")
    assert "did you mean 'disagrees'" in error.hint or "counterpoint" in error.hint
    assert report.failed()


def test_duplicate_ids(write_wiki) -> None:
    config = write_wiki({"Same.md": "# S\n", "same.md": "# s\n", "other.md": "# O\n"})
    report = check(config)
    [error] = [f for f in report.findings if f.severity is Severity.ERROR]
    assert error.code == "duplicate-id"
    assert report.failed() and "same.md" in str(error).lower()
    # the first name keeps the id and is checked, as is the other note
    assert {("missing-date", "Same.md:1"), ("missing-date", "other.md:1")} <= {
        (f.code, str(f.where)) for f in report.findings}
    assert report.notes == 3


@pytest.mark.parametrize("name", ["---.md", "CON.md", "bell\x07.md", "Foo.md"],
                         ids=["no-letters", "reserved", "control", "case-twin"])
def test_a_bad_file_name_hides_no_other_finding(write_wiki, name: str) -> None:
    """The names that give no id (or one another name has) are errors beside every other
    note's findings; the count is of the note files checked, those with errors too."""
    config = write_wiki({
        name: "# I\n",
        "bad.md": "---\ntitle: X\nconnections:\n  - to: foo\n    rel: counterpont\n---\n",
        "foo.md": "# A\n",
    })
    report = check(config)
    got = {(f.code, f.severity.value) for f in report.findings}
    assert {("unknown-relation", "error"), ("missing-date", "warning")} <= got
    assert {f.code for f in report.findings if f.severity is Severity.ERROR} == {
        "unknown-relation", "duplicate-id" if name == "Foo.md" else "bad-id"}
    assert report.notes == 3
    assert report.summary().endswith("in 3 notes checked")
    result = kg("check", "--wiki", str(config.wiki))
    assert "bad.md:5" in result.stdout and "in 3 notes checked" in result.stderr


def test_duplicate_aliases_titles_and_shadowed_alias(write_wiki) -> None:
    config = write_wiki({
        "a.md": note("A", "aliases: [Shared, c]\n", "[[b]]\n"),
        "b.md": note("B", "aliases: [shared]\n", "[[a]] [[c]]\n"),
        "c.md": note("B", "", "[[a]]\n"),
    })
    got = found(config)
    assert ("duplicate-alias", "a.md:5", "error") in got
    assert ("duplicate-alias", "b.md:5", "error") in got
    assert ("alias-shadowed", "a.md:5", "warning") in got
    assert ("duplicate-title", "b.md:2", "warning") in got


def test_an_alias_two_notes_claim_stops_a_build_only_once_a_link_names_it(write_wiki) -> None:
    """duplicate-alias is an error of kg check; the site builds while no link names the
    alias (vaults share aliases), and a link by it stops the build as ambiguous, naming
    both notes."""
    config = write_wiki({
        "a.md": note("A", "aliases: [Shared]\n"),
        "b.md": note("B", "aliases: [shared]\n"),
    })
    wiki, out = str(config.wiki), str(config.out)
    checked = kg("check", "--wiki", wiki)
    assert checked.exit_code == 1 and "duplicate-alias" in checked.stdout
    assert kg("build", "--wiki", wiki, "--out", out).exit_code == 0
    (config.wiki / "c.md").write_text(note("C", body="See [[Shared]].\n"), encoding="utf-8")
    built = kg("build", "--wiki", wiki, "--out", out)
    assert built.exit_code == 1
    assert "c.md" in built.stderr and "'Shared'" in built.stderr
    assert " a" in built.stderr and " b" in built.stderr


def test_names_in_messages_and_suggestions_are_shown_as_written(write_wiki) -> None:
    """Names are looked up in any case, but told as the notes write them: a typo's
    suggestion is the title 'Kaplan Scaling Laws', an alias two notes claim is each note's
    'Chinchilla' or 'CHINCHILLA', not the lower-case key the lookup uses."""
    config = write_wiki({
        "kaplan.md": note("Kaplan Scaling Laws", "aliases: [Chinchilla, Compute-Optimal]\n"),
        "hoffmann.md": note("Hoffmann", "aliases: [CHINCHILLA]\n"),
        "shadow.md": note("Shadow", "aliases: [Hoffmann]\n"),
        "other.md": note("Other", "", "See [[Kaplan Scalin Laws]]\nand [[compute optimall]].\n"),
    })
    report = check(config)
    said = {(f.code, str(f.where)): (f.message, f.hint) for f in report.findings}
    assert said["broken-target", "other.md:6"] == (
        "link to 'Kaplan Scalin Laws', which no note defines",
        "did you mean 'Kaplan Scaling Laws'?")
    assert said["broken-target", "other.md:7"][1] == "did you mean 'Compute-Optimal'?"
    assert said["duplicate-alias", "kaplan.md:5"][0] == (
        "the alias 'Chinchilla' is claimed by hoffmann, kaplan")
    assert said["duplicate-alias", "hoffmann.md:5"][0] == (
        "the alias 'CHINCHILLA' is claimed by hoffmann, kaplan")
    assert said["alias-shadowed", "shadow.md:5"][0] == (
        "the alias 'Hoffmann' is the id of another note, which wins")
    result = kg("connections", "--wiki", str(config.wiki), "kaplan scaling lw")
    assert result.exit_code == 1 and "did you mean Kaplan Scaling Laws?" in result.stderr


def test_a_name_thousands_of_notes_share_names_ten_of_them(write_wiki) -> None:
    """3,000 notes titled "Meeting notes" (each folder's) and sharing an alias: each finding
    named all the others (``kg check`` wrote 200 MB and held a gigabyte); now the first ten
    and how many more. So does an ambiguous link."""
    n = 300
    config = write_wiki({f"day{i:03d}/Meeting notes.md":
                         "---\ntitle: Meeting notes\naliases: [Standup]\n---\n[[Standup]]\n"
                         for i in range(n)})
    findings = check(config).findings
    first_ten = ", ".join(f"day{i:03d}-meeting-notes" for i in range(10))
    titles = [f.message for f in findings if f.code == "duplicate-title"]
    assert len(titles) == n
    assert set(titles) == {f"the title 'Meeting notes' is shared by {first_ten} and 290 more"}
    aliases = {f.message for f in findings if f.code == "duplicate-alias"}
    assert aliases == {f"the alias 'Standup' is claimed by {first_ten} and 290 more"}
    ambiguous = [f.message for f in findings if f.code == "ambiguous-target"]
    assert len(ambiguous) == n
    assert set(ambiguous) == {f"'Standup' is ambiguous: it names {first_ten} and 290 more"}
    assert max(len(f.message) for f in findings) < 400


def test_missing_fields(write_wiki) -> None:
    config = write_wiki({"bare.md": "Just text, linking [[full]].\n",
                         "full.md": note("Full", "", "[[bare]]\n")})
    got = found(config)
    assert {("missing-title", "bare.md:1", "warning"), ("missing-date", "bare.md:1", "warning"),
            ("missing-tier", "bare.md:1", "warning")} <= got
    assert not {c for c, w, _ in got if w.startswith("full.md")}
    write_wiki({"Attention.md": "# Attention\n\nText.\n"})  # titled by its first heading
    assert not {c for c, w, _ in found(config) if w.startswith("Attention.md")} & {
        "missing-title"}


def test_a_missing_field_s_hint_is_written_in_the_note_s_own_syntax(write_wiki) -> None:
    """A note of TOML front-matter (Hugo's ``+++``) is told ``tier = 1``, one of Logseq's or
    Dataview's ``key:: value`` properties ``tier:: 1``: ``tier: 1`` is no field in either."""
    config = write_wiki({
        "yaml-note.md": "---\naliases: [Y]\n---\nText.\n",
        "toml-note.md": '+++\naliases = ["T"]\n+++\nText.\n',
        "props-note.md": "alias:: P\n\nText.\n",
        "bare-note.md": "Text.\n",
    })
    result = kg("check", "--wiki", str(config.wiki), "--format", "json")
    hints = {(r["file"], r["code"]): r["hint"] for r in json.loads(result.stdout)
             if r["code"].startswith("missing-")}
    for name, title, date, tier in [
            ("yaml-note", 'title: "…"', "date: YYYY-MM-DD", "tier: 1"),
            ("bare-note", 'title: "…"', "date: YYYY-MM-DD", "tier: 1"),
            ("toml-note", 'title = "…"', "date = YYYY-MM-DD", "tier = 1"),
            ("props-note", "title:: …", "date:: YYYY-MM-DD", "tier:: 1")]:
        assert hints[f"{name}.md", "missing-title"] == f"add '{title}' to the front-matter"
        assert hints[f"{name}.md", "missing-date"] == f"add '{date}' to the front-matter"
        assert hints[f"{name}.md", "missing-tier"] == f"add '{tier}', 2 or 3 to the front-matter"
    # what the hints say to write is read: each note has its title, date and tier then
    write_wiki({"toml-note.md": '+++\ntitle = "T"\ndate = 2024-05-01\ntier = 1\n+++\nText.\n',
                "props-note.md": "title:: P\ndate:: 2024-05-01\ntier:: 1\n\nText.\n"})
    assert not {w for c, w, _ in found(config) if c.startswith("missing-")} & {
        "toml-note.md:1", "props-note.md:1"}


def test_a_connection_or_forecast_hint_is_written_in_the_note_s_own_syntax(write_wiki
                                                                          ) -> None:
    """The connection back a one-way connection asks for, and a due forecast's resolution,
    are written as the note to change writes its fields; written so, the warnings go."""
    config = write_wiki({
        "a.md": note("A", "connections:\n  - {to: hugo, rel: counterpoint}\n"
                          "  - {to: page, rel: cites}\n"),
        "hugo.md": '+++\ntitle = "Hugo"\ndate = 2024-05-01\ntier = 1\n'
                   '[[forecasts]]\nclaim = "Soon"\np = 0.6\nby = 2026-03-01\n+++\nText.\n',
        "page.md": "title:: Page\ndate:: 2024-05-01\ntier:: 1\n\nText.\n",
    })
    report = check(config, today=dt.date(2026, 6, 1))
    hints = {(f.code, str(f.where)): f.hint for f in report.findings}
    assert hints["one-way", "a.md:6"] == (
        'in hugo.md add \'{to = "a", rel = "counterpoint"}\' to its connections')
    assert hints["one-way", "a.md:7"] == "in page.md add a [[a]] link"
    assert hints["forecast-due", "hugo.md:5"] == (
        "add 'resolved = true' or 'resolved = false' (and 'resolved_by = <note>')")
    write_wiki({"hugo.md": '+++\ntitle = "Hugo"\ndate = 2024-05-01\ntier = 1\n'
                           'connections = [{to = "a", rel = "counterpoint"}]\n[[forecasts]]\n'
                           'claim = "Soon"\np = 0.6\nby = 2026-03-01\nresolved = true\n+++\n'
                           "Text.\n",
                "page.md": "title:: Page\ndate:: 2024-05-01\ntier:: 1\n\nText of [[a]].\n"})
    assert not {c for c, _, _ in found(config, today=dt.date(2026, 6, 1))} & {
        "one-way", "forecast-due"}


def test_a_vault_s_file_names_are_its_titles_and_a_slug_is_none(write_wiki) -> None:
    """Obsidian shows a note's file name as its title: ``Machine Learning.md`` is titled,
    as is ``BERT.md`` or a daily ``2024-05-01.md``; a name written as an id
    (``import-ai-455.md``, ``bert_notes.md``) is no title to show."""
    names = ["Machine Learning.md", "BERT.md", "2024-05-01.md", "日本語ノート.md",
             "import-ai-455.md", "bert_notes.md", "papers/Deep/q&a.md"]
    config = write_wiki({name: "Text.\n" for name in names})
    assert sorted(w for c, w, _ in found(config) if c == "missing-title") == [
        "bert_notes.md:1", "import-ai-455.md:1", "papers/Deep/q&a.md:1"]


def test_one_file_name_in_two_folders_is_no_duplicate_title(write_wiki) -> None:
    """A vault's ``Plan.md`` in two project folders: folders tell them apart, and a link by
    the bare name is said to be ambiguous where it is written. A title written twice is
    still a warning."""
    config = write_wiki({"Alpha/Plan.md": "Alpha's plan.\n", "Beta/Plan.md": "Beta's.\n"})
    assert not {c for c, _, _ in found(config)} & {"duplicate-title"}
    write_wiki({"Gamma.md": "---\ntitle: Plan\n---\nGamma's.\n"})
    assert {w for c, w, _ in found(config) if c == "duplicate-title"} == {
        "Alpha/Plan.md:1", "Beta/Plan.md:1", "Gamma.md:2"}


def test_the_summary_names_the_kinds_of_warning_a_vault_has_most(write_wiki) -> None:
    """A vault new to kg has no tiers nor dates: the summary says which kinds of warning
    make up the most, and how to leave one out."""
    config = write_wiki({f"Note {i}.md": f"Text [[Note {i + 1}]].\n" for i in range(30)})
    result = kg("check", "--wiki", str(config.wiki))
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        "0 errors, 61 warnings in 30 notes checked; the most: missing-date (30), "
        "missing-tier (30): --ignore CODE or kg.toml's ignore = [...] leaves a kind out")
    result = kg("check", "--wiki", str(config.wiki), "--ignore", "missing-tier")
    assert result.stderr.splitlines()[-1] == (
        "0 errors, 31 warnings in 30 notes checked; the most: missing-date (30): "
        "--ignore CODE or kg.toml's ignore = [...] leaves a kind out")
    config = write_wiki({"Note 0.md": "---\ntier: 1\ndate: 2024-05-01\n---\n[[Note 1]]\n"})
    assert kg("check", "--wiki", str(config.wiki), "--ignore", "missing-tier",
              "--ignore", "missing-date").stderr.splitlines()[-1] == (
        "0 errors, 1 warning in 30 notes checked")


def test_kg_toml_leaves_out_the_warnings_a_wiki_does_not_want(write_wiki) -> None:
    """A vault that never had tiers: ``ignore`` in kg.toml, for check and build alike."""
    from kg.build import build

    config = write_wiki({"bare.md": "---\ndate: someday\n---\nText.\n"})
    assert {"missing-tier", "bad-date"} <= {c for c, _, _ in found(config)}
    assert [w.code for w in build(config).warnings] == ["bad-date"]
    toml = config.root / "kg.toml"
    toml.write_text(toml.read_text() + 'ignore = ["missing-tier", "bad-date"]\n')
    config = load_config(config.root).with_options(wiki=config.wiki, out=config.out)
    assert not {c for c, _, _ in found(config)} & {"missing-tier", "bad-date"}
    assert "missing-title" in {c for c, _, _ in found(config)}
    assert build(config).warnings == ()
    toml.write_text('[kg]\nignore = "missing-tier"\n')
    with pytest.raises(ConfigError, match="ignore must be a list"):
        load_config(config.root)


def test_an_unknown_code_to_ignore_is_an_error_naming_the_codes(write_wiki) -> None:
    from kg.errors import CODES

    config = write_wiki({"a.md": note("A")})
    with pytest.raises(ConfigError, match="unknown finding code 'one-wya' in --ignore") as info:
        check(config, ignore=["one-way", "one-wya"])
    assert info.value.hint.startswith("did you mean 'one-way'? the codes are one-way, ")
    assert all(code in info.value.hint for code in CODES)
    result = kg("check", "--wiki", str(config.wiki), "--ignore", "one-wya")
    assert result.exit_code != 0 and "did you mean 'one-way'?" in result.output
    toml = config.root / "kg.toml"
    toml.write_text(toml.read_text() + 'ignore = ["missing-tier", "nonexistent-code"]\n')
    with pytest.raises(ConfigError, match="unknown finding code 'nonexistent-code' in ignore"
                       ) as info:
        load_config(config.root)
    assert info.value.file == str(toml) and "the codes are alias-shadowed, " in info.value.hint


def _emitted_codes() -> set[str]:
    """Every code the library writes into a Finding: the second argument of ``Finding(…)``
    and of ``_warn(…)``, the first of ``as_finding(…)``, a ``NoteError``'s ``code=``
    (its default, ``bad-note``, too), wherever it is a literal (or a choice of literals);
    anywhere else a code is passed on, not made."""
    import ast

    def literals(node: ast.expr) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return literals(node.body) | literals(node.orelse)
        return set()

    passed_on = {("parse.py", "_warn"), ("build.py", "_unchanged"),  # _warn's own; a cache's
                 ("errors.py", "as_finding"), ("errors.py", "as_findings")}
    codes: set[str] = {"bad-note"}  # NoteError's own code
    for path in sorted((REPO / "kg").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name == "NoteError":
                    codes |= {code for k in call.keywords if k.arg == "code"
                              for code in literals(k.value)}
                at = {"Finding": 1, "_warn": 1, "as_finding": 0}.get(str(name))
                if at is None:
                    continue
                if len(call.args) <= at:  # as_finding()'s default
                    codes.add("error")
                    continue
                found = literals(call.args[at])
                if not found:
                    assert (path.name, function.name) in passed_on, (path.name, call.lineno)
                codes |= found
    return codes


def test_every_code_the_library_emits_is_one_of_the_codes_and_in_the_readme() -> None:
    """``CODES`` is what --ignore accepts: a code emitted but not listed could not be left
    out, a code listed but never emitted would be accepted for nothing."""
    from kg.errors import CODES

    emitted = _emitted_codes()
    assert emitted == set(CODES), (emitted ^ set(CODES))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [code for code in CODES if f"`{code}`" not in readme] == []


def test_placeholders_typos_and_headings(write_wiki) -> None:
    config = write_wiki({
        "alpha-beta.md": note("Alpha Beta", "", "## Results\nText [[other]].\n"),
        "other.md": note("Other", "connections:\n  - to: alpha-betta\n  - to: Nobody Yet\n",
                         "See [[alpha-beta#Results]] and [[alpha-beta#Method]].\n"),
    })
    got = found(config)
    assert ("broken-target", "other.md:6", "warning") in got
    assert ("placeholder", "other.md:7", "warning") in got
    assert ("broken-heading", "other.md:9", "warning") in got
    report = check(config)
    typo = next(f for f in report.findings if f.code == "broken-target")
    assert "alpha-beta" in typo.hint
    heading = next(f for f in report.findings if f.code == "broken-heading")
    assert "Method" in heading.message
    write_wiki({"alpha-beta.md": note("Alpha Beta", "", "Results\n===\n\nMethod\n---\nText.\n")})
    assert not [f for f in check(config).findings if f.code == "broken-heading"]  # setext


def test_a_link_cut_at_a_hash_in_a_file_s_name_says_how_to_link_it(write_wiki) -> None:
    """``[[C# tips]]`` is note 'C', heading 'tips', as Obsidian reads it: with a note file
    ``C# tips.md`` in the wiki, the placeholder's finding says so and how to link it (a
    Markdown link to the file, which leads to the note), not to write note 'C'; a plain
    ``[[C]]`` is a placeholder as ever, and a connection ``to: C# tips`` is the note."""
    config = write_wiki({
        "Lang/C# tips.md": "# C# tips\nUse var.\n",
        "plan.md": note("Plan", "connections:\n  - to: C# tips\n",
                        "Read [[C# tips]].\n\n[[C]] too.\n\n"
                        "Then [C# tips](Lang/C%23%20tips.md).\n"),
    })
    got = sorted((str(f.where), f.message, f.hint) for f in check(config).findings
                 if f.code == "placeholder")
    assert got == [
        ("plan.md:10", "link to 'C', a placeholder: no note yet", 'write it with `kg new "C"`'),
        ("plan.md:8", "link to 'C', a placeholder: '#' in a link starts a heading, so 'C# tips' "
         "names 'C', not the note Lang/C# tips.md",
         "link it as [C# tips](Lang/C%23%20tips.md), or rename the file without '#' "
         "(Obsidian's links cannot name it either)")]
    build(config)
    html = (config.out / "notes" / "plan.html").read_text(encoding="utf-8")
    assert '<a href="c-tips.html">C# tips</a>' in html  # the Markdown link the hint gives


def test_a_heading_is_suggested_as_it_is_written(write_wiki) -> None:
    """The headings a broken heading link is told of read as in the note, not lower-cased:
    the one near the link's, or, with none near, all of them."""
    config = write_wiki({
        "a.md": note("A", "", "## Research Angle (Tier 1)\nText.\n\n## GPT-4 Results\n"),
        "b.md": note("B", "", "[[a#Research angle tier 1]], [[a#Resarch Angle (Tier 1)]] "
                              "and [[a#Zzzz]].\n"),
    })
    hints = [f.hint for f in check(config).findings if f.code == "broken-heading"]
    assert hints == ["did you mean '#Research Angle (Tier 1)'?",
                     "a has the headings: GPT-4 Results, Research Angle (Tier 1)"]


def test_a_note_of_thousands_of_headings_and_blocks_linked_where_it_has_none(write_wiki
                                                                           ) -> None:
    """A note of 1,500 headings and blocks, and 280 links to headings and blocks it lacks:
    each hint had named all 1,500 (and difflib compared each link with every heading in
    Python: 4,000 took a minute and a half). The near heading is still the one difflib
    picks among all; with none near, ten are named and the rest counted."""
    import difflib
    import random

    from kg.ids import name_key

    n = 1500
    rng = random.Random(5)
    words = ["results", "method", "ablation", "limits", "data", "setup", "proof", "notes"]
    heads = [f"{rng.choice(words).title()} {rng.choice(words)} {i}" for i in range(n)]
    body = "".join(f"## {h}\nText of it. ^b{i}\n\n" for i, h in enumerate(heads))
    typos = []
    for _ in range(120):
        chars = list(rng.choice(heads))
        for _ in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice("xyz")
        typos.append("".join(chars))
    typos += [f"Zq{i}" for i in range(20)]
    links = " ".join(f"[[toc#{t}]] [[toc#^gone{i}]]" for i, t in enumerate(typos))
    config = write_wiki({"toc.md": note("Toc", "", body), "b.md": note("B", "", links + "\n")})
    findings = check(config).findings
    hints = {f.message: f.hint for f in findings if f.code == "broken-heading"}
    keys = {name_key(h): h for h in heads}
    for typo in typos:
        near = difflib.get_close_matches(name_key(typo), sorted(keys), n=1)
        if near:
            assert hints[f"link to a heading '{typo}' that toc lacks"] == \
                f"did you mean '#{keys[near[0]]}'?"
    first = ", ".join(sorted(heads)[:10])
    assert hints["link to a heading 'Zq0' that toc lacks"] == \
        f"toc has the headings: {first} and 1,490 more"
    blocks = {f.hint for f in findings if f.code == "broken-block"}
    assert blocks == {"toc has the blocks: " + ", ".join(f"^b{i}" for i in sorted(
        str(k) for k in range(n))[:10]) + " and 1,490 more"}
    assert max(len(f.hint or "") for f in findings) < 1000


def test_links_to_places_within_a_note_or_to_blocks_it_lacks(write_wiki) -> None:
    config = write_wiki({
        "a.md": note("A", "", "## Results\nThe claim. ^claim1\n\n- an item ^item-2\n\n"
                              "[[#Results]], [[#Resluts]], [[#^claim1]] and [[#^nope|see]].\n"
                              "```\n[[#In code]]\n```\n"),
        "b.md": note("B", "", "[[a#^item-2]], [[a#^claim2]], [[a#Results]], [[nobody#^x]].\n"),
    })
    report = check(config)
    got = {(f.code, str(f.where), f.message) for f in report.findings
           if f.code in ("broken-heading", "broken-block")}
    assert got == {
        ("broken-heading", "a.md:11", "link to a heading 'Resluts' that a lacks"),
        ("broken-block", "a.md:11", "link to a block '^nope' that a lacks"),
        ("broken-block", "b.md:6", "link to a block '^claim2' that a lacks"),
    }
    hints = {f.message: f.hint for f in report.findings}
    assert hints["link to a heading 'Resluts' that a lacks"] == "did you mean '#Results'?"
    assert hints["link to a block '^claim2' that a lacks"] == "a has the blocks: ^claim1, ^item-2"


def test_kg_check_and_the_site_agree_on_which_blocks_are_anchors(write_wiki) -> None:
    """A block id is an anchor where it ends a paragraph or a list item, not a heading, a
    line inside a paragraph or a table: check flags a link exactly where the page has none."""
    import re

    config = write_wiki({
        "t.md": "Text ^blk1\ntwo line para ^blk2\ncontinues here\n\n- item ^blk3\n- next\n\n"
                "## Head ^blk4\n\n| a | b ^blk5\n\n| x | y |\n|---|---|\n| 1 | 2 ^blk7\n\n"
                "Last ^blk6\n",
        "u.md": " ".join(f"[[t#^blk{i}]]" for i in range(1, 8)) + "\n"})
    build(config)
    page = (config.out / "notes" / "t.html").read_text(encoding="utf-8")
    anchored = set(re.findall(r'id="block-(blk\d)"', page))
    flagged = {f.message.split("'^")[1].split("'")[0] for f in check(config).findings
               if f.code == "broken-block"}
    assert anchored == {"blk3", "blk5", "blk6"}
    assert flagged == {f"blk{i}" for i in range(1, 8)} - anchored


def test_answers_to_unknown_questions(write_wiki) -> None:
    config = write_wiki({
        "q.md": note("Q", "", "## Open questions\n- Is it so?\n[[a]]\n"),
        "a.md": note("A", "answers: [q#q-is-it-so, q#q-nothing-asked]\n", "[[q]]\n"),
    })
    got = found(config)
    assert ("unknown-question", "a.md:5", "warning") in got
    assert len([g for g in got if g[0] == "unknown-question"]) == 1


def test_one_way_connections_and_orphans(write_wiki) -> None:
    config = write_wiki({
        "a.md": note("A", "connections:\n  - {to: b, rel: counterpoint}\n"
                          "  - {to: c, rel: cites}\n"),
        "b.md": note("B"),
        "c.md": note("C", "", "Back to [[a]].\n"),
        "lonely.md": note("Lonely"),
    })
    report = check(config)
    one_way = [f for f in report.findings if f.code == "one-way"]
    assert [str(f.where) for f in one_way] == ["a.md:6"]
    assert "rel: counterpoint" in one_way[0].hint and "b.md" in one_way[0].hint
    assert ("orphan", "lonely.md:1", "warning") in found(config)
    assert not any(f.code == "one-way" for f in check(config, ignore=["one-way"]).findings)


def test_forecasts_past_their_date(write_wiki) -> None:
    config = write_wiki({"f.md": note("F", "forecasts:\n"
                                      "  - {claim: Soon, p: 0.6, by: 2026-03-01}\n"
                                      "  - {claim: Done, p: 0.6, by: 2026-03-01, resolved: true}\n"
                                      "  - {claim: Later, p: 0.6, by: 2027-03-01}\n")})
    got = found(config, today=dt.date(2026, 6, 1))
    assert [g for g in got if g[0] == "forecast-due"] == [("forecast-due", "f.md:6", "warning")]
    assert not [g for g in found(config, today=dt.date(2026, 1, 1)) if g[0] == "forecast-due"]


def test_a_forecast_s_resolver_is_named_as_the_forecasts_page_links_it(write_wiki) -> None:
    """``resolved_by`` names a note as the forecasts page looks it up (its id, title, alias,
    or file's name: ``1.2.3`` for 1.2.3.md, whose id is ``1-2-3``); kg check had warned
    "which is no note" of all but an id, while the page linked the note."""
    config = write_wiki({
        "1.2.3.md": note("Release notes"),
        "f.md": note("F", "forecasts:\n"
                          "  - {claim: A, p: 0.6, by: 2026-03-01, resolved: true, "
                          "resolved_by: 1.2.3}\n"
                          "  - {claim: B, p: 0.6, by: 2026-03-01, resolved: true, "
                          "resolved_by: Release notes}\n"
                          "  - {claim: C, p: 0.6, by: 2026-03-01, resolved: true, "
                          "resolved_by: nowhere}\n")})
    got = [g for g in found(config) if g[0] == "unknown-resolver"]
    assert got == [("unknown-resolver", "f.md:8", "warning")]


def test_a_forecast_s_resolver_two_notes_are_called_is_warned_of(write_wiki) -> None:
    """A ``resolved_by`` two notes answer to: the forecasts page links neither and the graph
    names neither; kg check had taken it for a note (an ambiguous link is said where the link
    is, but ``resolved_by`` is none)."""
    config = write_wiki({
        "x.md": note("Twin"), "y.md": note("Twin"),
        "f.md": note("F", "forecasts:\n"
                          "  - {claim: A, p: 0.6, by: 2026-03-01, resolved: true, "
                          "resolved_by: Twin}\n")})
    got = [f for f in check(config).findings if f.code == "unknown-resolver"]
    assert [(str(f.where), f.message) for f in got] == [
        ("f.md:6", "forecast resolved by 'Twin', which names x, y")]


def test_ambiguous_target_is_an_error(write_wiki) -> None:
    config = write_wiki({"x.md": note("Twin"), "y.md": note("Twin"),
                         "z.md": note("Z", "", "Which [[Twin]]?\n")})
    got = found(config)
    assert ("ambiguous-target", "z.md:6", "error") in got


def test_an_ambiguous_target_hides_no_other_finding(write_wiki) -> None:
    """The wiki is linted whole with the ambiguous link left out: the findings that need
    the resolved wiki (placeholders, headings, one-way connections, orphans) are all there."""
    config = write_wiki({
        "x.md": note("Twin", "", "## Results\n"), "y.md": note("Twin"),
        "z.md": note("Z", "connections:\n  - {to: x, rel: counterpoint}\n",
                     "Which [[Twin]]? See [[x#Method]] and [[Nobody Yet]].\n"),
        "lonely.md": note("Lonely"),
    })
    got = found(config)
    assert {("ambiguous-target", "z.md:8", "error"), ("broken-heading", "z.md:8", "warning"),
            ("placeholder", "z.md:8", "warning"), ("one-way", "z.md:6", "warning"),
            ("orphan", "lonely.md:1", "warning"), ("duplicate-title", "y.md:2", "warning")
            } <= got, got
    assert check(config).errors == 1


def test_a_note_that_does_not_parse_and_the_rest_still_checked(write_wiki) -> None:
    config = write_wiki({"bad.md": "---\ntitle: [unclosed\n---\n",
                         "ok.md": "Links [[nowhere]].\n"})
    got = found(config)
    assert ("bad-note", "bad.md:2", "error") in got
    assert ("placeholder", "ok.md:1", "warning") in got
    assert ("missing-date", "ok.md:1", "warning") in got


# -- the command ------------------------------------------------------------------------------


def test_cli_exit_codes_and_strict(write_wiki) -> None:
    clean = write_wiki({"a.md": note("A", "connections: [b]\n"), "b.md": note("B", "", "[[a]]")})
    result = kg("check", "--wiki", str(clean.wiki))
    assert result.exit_code == 0 and "0 errors, 0 warnings" in result.stderr
    write_wiki({"c.md": "[[a]]\n"})
    assert kg("check", "--wiki", str(clean.wiki)).exit_code == 0
    strict = kg("check", "--wiki", str(clean.wiki), "--strict")
    assert strict.exit_code == 1 and "c.md:1" in strict.stdout


def test_an_override_in_a_name_is_a_warning_that_shows_it_escaped(write_wiki) -> None:
    """U+202E (or another override or embedding) in a title, alias or tag is invisible where
    it is written and shows what follows it reversed: kg check names it, escaped, at the
    line of its field, and prints no raw override to the terminal. A right-to-left title,
    with the mark (U+200F) that may end it, is no warning."""
    config = write_wiki({
        "a.md": note("'\u202egnp.exe'", "aliases: ['\u202bone', two]\ntags: ['\u202dgat']\n"),
        "b.md": note("'מאמר על קשב\u200f (2020)'", "", "[[a]]"),
    })
    assert {w for w in found(config) if w[0] == "bidi-control"} == {
        ("bidi-control", "a.md:2", "warning"), ("bidi-control", "a.md:5", "warning"),
        ("bidi-control", "a.md:6", "warning")}
    result = kg("check", "--wiki", str(config.wiki), "--ignore", "orphan")
    assert "\u202e" not in result.stdout + result.stderr
    assert ("the title '\\u202egnp.exe' holds U+202E RIGHT-TO-LEFT OVERRIDE"
            in " ".join(result.stdout.split()))


def test_cli_json_names_file_and_line(write_wiki) -> None:
    config = write_wiki({"a.md": note("A", "connections:\n  - {to: b, rel: nope}\n"),
                         "b.md": note("B", "", "[[a]]")})
    result = kg("check", "--wiki", str(config.wiki), "--format", "json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    error = next(r for r in rows if r["severity"] == "error")
    assert (error["file"], error["line"], error["code"]) == ("a.md", 6, "unknown-relation")
    assert error["hint"]


def test_cli_table_on_the_sample() -> None:
    result = kg("check", "--wiki", WIKI)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["WHERE", "SEVERITY", "CODE", "FINDING"]
    assert "posttrainbench.md:1" in result.stdout
    assert "0 errors" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_formats_when_clean(write_wiki, fmt: str) -> None:
    config = write_wiki({"a.md": note("A", "connections: [b]\n"), "b.md": note("B", "", "[[a]]")})
    result = kg("check", "--wiki", str(config.wiki), "--format", fmt)
    assert result.exit_code == 0
    assert result.stdout.strip() in ("[]", "file,line,severity,code,message,hint")


def test_the_table_keeps_a_long_path_s_file_and_line(write_wiki, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    name = "Papers/Sequence to Sequence Learning with Neural Networks and More (2014).md"
    config = write_wiki({name: "---\ntitle: S\ntier: 2\ndate: someday\n---\nText.\n"})
    result = kg("check", "--wiki", str(config.wiki))
    row = next(line for line in result.output.splitlines() if "bad-date" in line)
    assert row.startswith(("Papers/", "…/"))  # a folder may be cut, never a file's name
    assert "/Sequence to Sequence Learning with Neural Networks and More (2014).md:4 " in row


@pytest.mark.parametrize("columns", [80, 120])
def test_the_table_cuts_a_long_folder_not_the_file_names_in_it(write_wiki, monkeypatch,
                                                                columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    folder = "Research notes on sequence models and their many descendants/Attention"
    config = write_wiki({f"{folder}/Attention is all you need {n}.md":
                         "---\ntitle: S\ntier: 2\ndate: someday\n---\nText.\n"
                         for n in ("one", "two")})
    result = kg("check", "--wiki", str(config.wiki))
    rows = [line for line in result.output.splitlines() if "bad-date" in line]
    assert len(rows) == 2 and rows[0].split("  ")[0] != rows[1].split("  ")[0]
    for row, n in zip(rows, ("one", "two"), strict=True):
        assert row.startswith("Research not") and "…" in row.partition(" warning")[0]
        assert f"/Attention is all you need {n}.md:4 " in row
    header = result.output.splitlines()[0]
    assert header.index("SEVERITY") == rows[0].index("warning")  # still aligned


def test_the_table_shows_a_whole_path_where_the_terminal_is_wide(write_wiki,
                                                                  monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    rel = "Research notes on sequence models and their many descendants/Attention/a.md"
    config = write_wiki({rel: "---\ntitle: S\ntier: 2\ndate: someday\n---\nText.\n"})
    result = kg("check", "--wiki", str(config.wiki))
    assert f"{rel}:4 " in result.output and "…" not in result.output


def test_saved_queries_that_do_not_parse_or_are_updates_are_warned_of(write_wiki) -> None:
    """Parsed, never run: an update, a syntax error and an unknown prefix, at their lines;
    a good query, and one that asks another endpoint (a build does not run it), are not."""
    config = write_wiki({
        "a.md": note("A"),
        "queries/broken.rq": "# Broken\nSELECT ?x\nWHERE { ?x ?y }\n",
        "queries/prefix.rq": "SELECT ?x\nWHERE { ?x foo:y ?z }\n",
        "queries/update.rq": "# Add a tier\nPREFIX x: <http://x/>\n"
                             "INSERT DATA { note:a kg:tier 1 }\n",
        "queries/fine.rq": "ASK { ?n kg:tier ?t }\n",
        "queries/remote.rq": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> "
                             "{ ?s ?p ?o } }\n",
    })
    report = check(config)
    got = {str(f.where): f for f in report.findings if f.code == "bad-query"}
    assert set(got) == {"queries/broken.rq:3", "queries/prefix.rq:2", "queries/update.rq:3"}
    assert all(f.severity is Severity.WARNING for f in got.values())
    assert got["queries/broken.rq:3"].message.startswith("the query does not parse: ")
    assert "an unknown prefix 'foo:'" in got["queries/prefix.rq:2"].message
    assert got["queries/update.rq:3"].message.startswith(
        "kg build runs saved queries, not updates (INSERT)")
    assert not report.failed() and report.failed(strict=True)


def test_an_attachment_the_wiki_lacks_is_named_with_its_line(write_wiki) -> None:
    config = write_wiki({"img/there.png": b"\x89PNG\r\n\x1a\n",
                         "a.md": note("A", "", "Text ![[data.png]].\n\n![[there.png]] and "
                                                 "![[a.png|300]]\n[the paper](my%20x.pdf)\n")})
    got = {(w, f.split("'")[1]) for c, w, f in
           ((f.code, str(f.where), f.message) for f in check(config).findings)
           if c == "missing-attachment"}
    assert got == {("a.md:6", "data.png"), ("a.md:8", "a.png"), ("a.md:9", "my x.pdf")}


def test_a_file_the_site_never_publishes_is_named_with_its_line(write_wiki) -> None:
    """An .svg (its scripts would run in the site) or a spreadsheet stays a name on the
    page: kg check says so where it is written, and not for one in code."""
    config = write_wiki({
        "diagram.svg": "<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>",
        "a.md": note("A", "", "See ![[diagram.svg]] and ![alt](img/flow%20chart.svg).\n\n"
                              "```\n![[in-code.svg]]\n```\n`[[inline.zip]]`, [[plan.xlsx|the plan]]"
                              " and [[page.html]], [all](/downloads/data.zip)\n")})
    got = {(str(f.where), f.message.split("'")[1], "scripts" in f.message)
           for f in check(config).findings if f.code == "unpublished-attachment"}
    assert got == {("a.md:6", "diagram.svg", True), ("a.md:6", "img/flow chart.svg", True),
                   ("a.md:11", "plan.xlsx", False), ("a.md:11", "page.html", True)}
    page = build(config).out / "notes" / "a.html"
    assert "<svg" not in page.read_text() and not (config.out / "files").exists()


def test_a_link_to_a_draft_is_said_to_be_one_not_to_be_written_with_kg_new(write_wiki) -> None:
    config = write_wiki({
        "drafty.md": "---\ntitle: Drafty\ndraft: true\n---\nx\n",
        "plans/sp.MD": "---\ntitle: Secret Plan\npublish: false\n---\nx\n",
        "pub.md": "---\ntitle: Pub\n---\n[[Drafty]], [[Secret Plan]] and [[Nothing]].\n",
    })
    said = {f.message: f.hint for f in check(config).findings if f.code == "placeholder"}
    assert said == {
        "link to 'Drafty', a draft (drafty.md is kept out of the site): shown as a "
        "placeholder until published":
            "publish it (remove draft: true or publish: false), or link another note",
        "link to 'Secret Plan', a draft (plans/sp.MD is kept out of the site): shown as a "
        "placeholder until published":
            "publish it (remove draft: true or publish: false), or link another note",
        "link to 'Nothing', a placeholder: no note yet": 'write it with `kg new "Nothing"`',
    }


def test_the_kg_new_a_placeholder_hint_gives_is_one_a_shell_runs(write_wiki) -> None:
    """A title with a double quote, a dollar or a leading dash had been put in double quotes
    as it was: the command split it, expanded it, or read it as an option."""
    import shlex

    titles = ['Some "Other" paper', "O'Brien's $HOME", "--- rule", "Plain words", "a`b`!"]
    config = write_wiki({"a.md": "---\ntitle: A\nconnections:\n" + "".join(
        f"  - to: '{t.replace(chr(39), chr(39) * 2)}'\n" for t in titles) + "---\nx\n"})
    hints = [f.hint for f in check(config).findings if f.code == "placeholder"]
    words = [shlex.split(h.removeprefix("write it with `").removesuffix("`")) for h in hints]
    assert sorted(w[-1] for w in words) == sorted(titles)
    assert all(w[:2] == ["kg", "new"] and (w[2] == "--") == w[-1].startswith("-")
               for w in words)
    assert 'write it with `kg new "Plain words"`' in hints


def test_a_connection_to_a_heading_the_note_lacks_is_a_warning(write_wiki) -> None:
    config = write_wiki({
        "b.md": "---\ntitle: B\n---\n## Part\nx\n",
        "a.md": "---\ntitle: A\nconnections:\n  - to: \"b#Part\"\n  - to: \"b#No such heading\"\n"
                "    rel: supports\n---\nx\n",
    })
    found = [(f.code, f.where.line if f.where else None, f.message)
             for f in check(config).findings if f.code == "broken-heading"]
    assert found == [("broken-heading", 5, "link to a heading 'No such heading' that b lacks")]


def test_a_heading_with_a_reference_link_is_found_by_its_text(write_wiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\n## About [child][c] things\nx\n\n[c]: b.md\n",
        "b.md": "---\ntitle: B\n---\nSee [[a#About child things]] and [[a#Nope]].\n",
    })
    found = [f.message for f in check(config).findings if f.code == "broken-heading"]
    assert found == ["link to a heading 'Nope' that a lacks"]


def test_a_saved_query_nested_too_deep_is_a_warning_not_a_crash(write_wiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\n---\nx\n",
                         "queries/deep.rq": "SELECT * WHERE { FILTER(" + "(" * 5000 + "1"
                                            + ")" * 5000 + ") }\n"})
    found = [(f.code, str(f.where), f.message) for f in check(config).findings
             if f.code == "bad-query"]
    assert found == [("bad-query", "queries/deep.rq:1",
                      "the query nests more than 256 deep")]


def test_a_saved_query_oxigraph_cannot_read_is_a_warning_not_a_crash_or_a_hang(
        write_wiki) -> None:
    """A flat chain of 10,000 ``||`` overflows Oxigraph's stack: kg check, which parsed
    saved queries in its own process, died of a segmentation fault with nothing said; a
    property path of 3,000 steps kept it reading for minutes."""
    from dataclasses import replace

    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nx\n",
        "queries/chain.rq": "SELECT * WHERE { ?s ?p ?o FILTER("
                            + " || ".join(["?o = 1"] * 10_000) + ") }\n",
        "queries/path.rq": "SELECT * WHERE { ?s <a:b>" + "/<a:b>" * 3_000 + " ?o }\n",
        "queries/fine.rq": "SELECT * WHERE { ?s ?p ?o }\n"})
    found = [(str(f.where), f.message.split(" (")[0])
             for f in check(replace(config, query_seconds=2)).findings
             if f.code == "bad-query"]
    assert found == [
        ("queries/chain.rq:1", "the query crashed Oxigraph's parser"),
        ("queries/path.rq:1", "Oxigraph did not finish reading the query in 2 s")]


def test_a_saved_query_that_fills_memory_as_kg_check_reads_it_is_stopped(
        write_wiki, monkeypatch, capfd) -> None:
    """Oxigraph reads an ASK query by answering it: one joining VALUES with VALUES under a
    GROUP_CONCAT took a gigabyte more every eight seconds in kg check's child, without
    bound until query_seconds (a machine's whole memory), and its death was said to be a
    stack overflow, Rust's backtrace printed. Now the child may take PARSE_MEMORY more."""
    from dataclasses import replace

    import kg.saved

    monkeypatch.setattr(kg.saved, "PARSE_MEMORY", 256 << 20, raising=False)
    values = " ".join(str(n) for n in range(2000))
    config = write_wiki({
        "a.md": "---\ntitle: A\n---\nx\n",
        "queries/mem.rq": '# mem\nASK { { SELECT (GROUP_CONCAT(CONCAT(STR(?a), "' + "x" * 80
                          + '", STR(?b))) AS ?g) WHERE { VALUES ?a { ' + values
                          + " } VALUES ?b { " + values + " } VALUES ?c { " + values
                          + " } } } }\n"})
    capfd.readouterr()
    found = [(str(f.where), f.message) for f in
             check(replace(config, query_seconds=60)).findings if f.code == "bad-query"]
    assert found == [("queries/mem.rq:1", "Oxigraph needed more than 256 MiB to read the query")]
    assert "alloc" not in capfd.readouterr().err


def test_a_table_aligns_wide_characters_and_shows_a_tab_escaped() -> None:
    from kg.formats import table

    shown = table([{"name": "深度学习的未来", "to": "x"}, {"name": "AHE", "to": "ahe"},
                   {"name": "Tab\there", "to": "t"}], ["name", "to"]).splitlines()
    # the second column starts at the same terminal column on every line: 14 + 2
    assert shown[0] == "NAME            TO"
    assert shown[1] == "深度学习的未来  x" and shown[2] == "AHE             ahe"
    assert shown[3] == "Tab\\there       t"


def test_an_unknown_question_is_told_the_id_it_starts(write_wiki) -> None:
    """An answer written with a question's first words (as one writes them) is told the
    whole id, and so is one with a typo in it; one to a note of other questions is told that
    note's ids; else where the ids are listed (`kg questions`)."""
    config = write_wiki({
        "q.md": note("Q", "", "## Open questions\n- Is the data exponent an artefact?\n"
                                "- Does it transfer?\n[[a]]\n"),
        "a.md": note("A", "answers:\n  - q#q-is-the-data\n  - q#q-nothing-asked\n"
                          "  - nobody#q-asked-this\n  - q#q-does-it-tarnsfer\n", "[[q]]\n"),
    })
    hints = {str(f.where): f.hint for f in check(config).findings
             if f.code == "unknown-question"}
    assert hints == {
        "a.md:6": "did you mean 'q#q-is-the-data-exponent-an-artefact'?",
        "a.md:7": "the questions of q are q#q-is-the-data-exponent-an-artefact, "
                  "q#q-does-it-transfer",
        "a.md:8": "use a question's id, as `kg questions` lists them "
                  "(note-id#q-first-words)",
        "a.md:9": "did you mean 'q#q-does-it-transfer'?",
    }


def test_one_connection_written_twice_by_two_names(write_wiki) -> None:
    """The same connection written once by title and once by id names one note: a
    duplicate, as one written twice alike is (which the parser says, once)."""
    config = write_wiki({
        "flash-attention.md": note("Flash Attention", "connections: [batch]\n"),
        "batch.md": note("Batch", "connections:\n"
                                  "  - {to: '[[Flash Attention]]', rel: supports, note: FA3.}\n"
                                  "  - {to: flash-attention, rel: supports}\n"
                                  "  - {to: Flash-Attention, rel: extends}\n"
                                  "  - {to: '[[flash attention]]', rel: supports}\n"),
    })
    report = check(config)
    dups = [(str(f.where), f.message) for f in report.findings
            if f.code == "duplicate-connection"]
    assert dups == [
        ("batch.md:7", "the connection to 'flash-attention' as 'supports' is written twice "
                       "(first at line 6, as 'Flash Attention', the same note); the graph "
                       "holds one citation of it, with both notes"),
        ("batch.md:9", "the connection to 'flash attention' as 'supports' is written twice "
                       "(first at line 6); the graph holds one citation of it, with both "
                       "notes"),  # written alike but for case: the parser's, said once
    ]


def test_a_link_to_a_note_with_errors_says_so(write_wiki) -> None:
    """A link to a note that does not parse is a placeholder until it does: kg check says
    which file to fix, not to write it with `kg new` (which would refuse: the file is
    there)."""
    config = write_wiki({
        "papers/b.md": "---\ntitle: B\nconnections:\n  - {to: c, rel: Supported by}\n---\n",
        "c.md": note("C", "connections:\n  - {to: b, rel: supports}\n  - papers/b\n"
                          "  - nowhere\n"),
    })
    report = check(config)
    said = {str(f.where): (f.code, f.message, f.hint) for f in report.findings
            if f.where and f.where.file == "c.md" and f.code == "placeholder"}
    assert said == {
        "c.md:6": ("placeholder", "connection to 'b', whose note papers/b.md has errors: shown "
                                  "as a placeholder until they are fixed", "fix papers/b.md"),
        "c.md:7": ("placeholder", "connection to 'papers/b', whose note papers/b.md has "
                                  "errors: shown as a placeholder until they are fixed",
                   "fix papers/b.md"),
        "c.md:8": ("placeholder", "connection to 'nowhere', a placeholder: no note yet",
                   "write it with `kg new \"nowhere\"`"),
    }


def test_every_problem_of_a_note_is_said_not_only_its_first(write_wiki) -> None:
    """A note whose front-matter has an error had only that one said, by kg check and kg
    build alike, its other errors and its warnings hidden until it was fixed: every field
    is read, each error and warning said at its own line."""
    config = write_wiki({
        "a.md": "---\ntitle: A\ndate: 2024-13-45\ntier: nine\n"
                "source: {url: \"javascript:alert(1)\"}\n"
                "connections:\n  - {to: b, rel: counterpont}\n  - {to: b, bogus: 1}\n"
                "  - {to: b, rel: supports}\n"
                "forecasts:\n  - {claim: x, p: lots, by: 2030-01-01}\n"
                "answers: [not a question]\npublish: maybe\n---\nBody\n",
        "b.md": note("B"),
    })
    wiki = str(config.wiki)
    checked = kg("check", "--wiki", wiki, "--format", "json")
    assert checked.exit_code == 1
    got = [(f["line"], f["severity"], f["code"]) for f in json.loads(checked.stdout)
           if f["file"] == "a.md"]
    assert got == [(3, "warning", "bad-date"), (4, "warning", "bad-tier"),
                   (5, "error", "bad-note"), (7, "error", "unknown-relation"),
                   (8, "error", "bad-note"), (11, "error", "bad-note"),
                   (12, "error", "bad-note"), (13, "warning", "bad-publish")]
    built = kg("build", "--wiki", wiki, "--out", str(config.out))
    assert built.exit_code == 1
    said = built.stderr.splitlines()
    said = said[said.index("error: 1 note has errors; nothing was written") + 1:]
    assert [line.split(": error: ")[0].strip() for line in said] == [
        "a.md:5", "a.md:7", "a.md:8", "a.md:11", "a.md:12"]
    assert "unknown relation 'counterpont' (did you mean 'counterpoint'?)" in said[1]


def test_a_key_written_twice_is_said_with_the_note_s_other_errors(write_wiki) -> None:
    """A key written twice (a title pasted twice, a connection's rel twice) had ended the
    reading of the note, hiding its other errors: it is said beside them, the first value
    read."""
    config = write_wiki({
        "a.md": "---\ntitle: A\ntier: seven\nconnections:\n"
                "  - {to: b, rel: supports, rel: extends}\n  - {to: b, rel: counterpont}\n"
                "title: Again\n---\nBody\n",
        "b.md": note("B"),
    })
    checked = kg("check", "--wiki", str(config.wiki), "--format", "json")
    found = [f for f in json.loads(checked.stdout) if f["file"] == "a.md"]
    assert [(f["line"], f["severity"], f["code"]) for f in found] == [
        (3, "warning", "bad-tier"), (5, "error", "bad-note"),
        (6, "error", "unknown-relation"), (7, "error", "bad-note")]
    assert "key 'rel' is written twice" in found[1]["message"]
    assert "key 'title' is written twice, on lines 2 and 7" in found[3]["message"]


def test_a_build_says_a_connection_whose_target_looks_like_a_typo(write_wiki) -> None:
    """`to: openai-symphny` built without a word: the site drew a ghost, and only `kg check`
    said that 'openai-symphony' was meant. A link in the text to a note not written yet
    stays `kg check`'s alone, as a vault has them by the thousand."""
    from kg.build import build
    from kg.serve import ServeState, rebuild

    config = write_wiki({
        "openai-symphony.md": "---\ntitle: OpenAI Symphony\n---\nText.\n",
        "ladders.md": ("---\ntitle: Ladders\nconnections:\n  - to: openai-symphny\n"
                       "    rel: applies\n---\nSee [[Symphoni]] and [[Unwritten Yet]].\n"),
    })
    result = kg("build", "--wiki", str(config.wiki), "--out", str(config.out))
    assert result.exit_code == 0, result.output
    assert ("ladders.md:4: warning: connection to 'openai-symphny', which no note defines "
            "(did you mean 'openai-symphony'?)") in result.stderr
    assert "Symphoni" not in result.stderr and "Unwritten" not in result.stderr
    assert [w.code for w in build(config, full=True).warnings] == ["broken-target"]
    # kg serve says it once, when an edit brings it, not again on every save
    state, said = ServeState(config.out), []
    assert rebuild(config, state, said.append) is not None
    note = config.wiki / "ladders.md"
    note.write_text(note.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    assert rebuild(config, state, said.append) is not None
    assert sum("openai-symphny" in line for line in said) == 1, said
    assert said[-1].startswith("Built 2 notes")
