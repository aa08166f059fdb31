"""``kg import``: plain-text digests of the seed's form into notes, connections resolved."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.build import load_wiki
from kg.config import Config, load_config
from kg.errors import KgError, NoteError
from kg.importer import Matcher, import_digests, infer_relation, parse_digest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_8f6e1738b12322e8.txt"

needs_seed = pytest.mark.skipif(not SEED.is_file(), reason="the seed digest is not here")


def kg(*args: str) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def without_455(tmp_path: Path) -> Config:
    """The sample wiki minus the note the seed becomes."""
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    (tmp_path / "wiki" / "import-ai-455.md").unlink()
    return load_config(tmp_path)


EXPECTED = [
    ("defense-trilemma", "counterpoint",
     "the adversarial counterpart. If automated R&D is six months away on the optimistic "
     "timeline and 30 months on Clark's, then the alignment problem is genuinely on a clock. "
     "The trilemma's persistent-unsafe-region result and Wang/Huang's reward-hacking-grows-"
     "with-tools result are precisely the failure modes that compound under recursive "
     "self-improvement (Clark's footnote 1: \"99.9% accurate becomes 60.5% after 500 "
     "generations\"). Two arguments converge: capability is closing fast; alignment is "
     "structurally not."),
    ("ahe", "related",
     "making harness evolution observable. AHE's contract-based decision structure is the kind "
     "of audit-trail primitive that recursive self-improvement requires; without it, alignment "
     "failures become invisible until they compound."),
    ("anthropic-automated-alignment-researcher", "evidence",
     "proof-of-concept of automated alignment research already exists at Anthropic. Clark's "
     "2028 prediction depends on this specific capability scaling."),
    ("openai-symphony", "related",
     "agents pulling tickets autonomously from Linear is the productized version of \"manage "
     "other AI systems,\" which Clark calls the meta-skill of the trajectory."),
    ("posttrainbench", "cites",
     "referenced explicitly. AI gets ~half human uplift on fine-tuning. The interesting "
     "prediction: when does this cross 100% human uplift, after which AI fine-tunes models "
     "better than humans?"),
]


@needs_seed
def test_seed_import(without_455: Config) -> None:
    done = import_digests(without_455, [SEED])
    assert [d.rel for d in done] == ["import-ai-455.md"] and done[0].written
    assert done[0].placeholders == ()
    note = load_wiki(without_455).notes["import-ai-455"]  # type: ignore[index]
    assert note.title == "Import AI 455: AI Systems Are About to Start Building Themselves"
    assert note.authors == ("Jack Clark",)
    assert note.date == dt.date(2026, 5, 4)
    assert note.tier == 1
    assert note.source is not None
    assert (note.source.title, note.source.publisher) == ("Import AI 455", "Import AI")
    assert note.raw == ("raw/rss/2026-05-04-import-ai-455-ai-systems-are-about-to-start-"
                        "building-th.md")
    assert note.aliases == ("Import AI 455",)
    assert "llms-foundation-models" in note.tags and "ai-rnd-automation" in note.tags
    assert note.summary.startswith("Clark argues there is a 60%+ probability")
    assert [a.title for a in note.angles] == [
        "Trajectory-aware routing as recursive-improvement substrate",
        "Compounding-error bound for alignment under self-improvement",
        "Predictive interpretability as alignment substrate",
    ]
    assert note.angles[1].text.startswith("Clark gives illustrative numbers")
    assert len(note.questions) == 4
    assert note.questions[0].text.startswith("The 60% number is a personal forecast")
    assert note.questions[3].text.startswith('The "machine economy" implication')
    got = [(c.target, c.relation.name, c.annotation) for c in note.connections]
    assert got == EXPECTED


@needs_seed
def test_seed_import_leaves_a_wiki_without_errors(without_455: Config) -> None:
    from kg.check import check

    import_digests(without_455, [SEED])
    report = check(without_455)
    assert report.errors == 0, [str(f) for f in report.findings]
    wiki = load_wiki(without_455)
    edges = {(e.target, e.relation.name) for e in wiki.outgoing("import-ai-455")  # type: ignore[arg-type]
             if e.relation is not None}
    assert ("defense-trilemma", "counterpoint") in edges


@needs_seed
def test_seed_import_cli(without_455: Config) -> None:
    wiki = str(without_455.wiki)
    result = kg("import", str(SEED), "--wiki", wiki, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(r["target"], r["relation"], r["status"]) for r in found] == [
        (t, r, "resolved") for t, r, _ in EXPECTED]
    assert "created" in result.stderr and "import-ai-455.md" in result.stderr
    again = kg("import", str(SEED), "--wiki", wiki)
    assert again.exit_code == 1
    assert "already has import-ai-455.md" in again.stderr and SEED.name in again.stderr


@needs_seed
def test_dry_run_writes_nothing(without_455: Config) -> None:
    result = kg("import", str(SEED), "--wiki", str(without_455.wiki), "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("---\ntitle: 'Import AI 455: ")
    assert not (without_455.wiki / "import-ai-455.md").exists()


DIGEST = """alignment, evals · 2026-02-01 · Tier 2

A New Benchmark — Ada Lovelace and Alan Turing

Source: https://example.org/post, 2026-02-01 · Paper Raw: raw/b.md Tier: 2 (notable)

TL;DR

It measures things.

Connections

  • Some Unknown Paper (2026-01-01) — builds on its protocol.
  • PostTrainBench, 05-03 — the counterpoint on fine-tuning.
  • The Defense Trilemma & friends — critiques the setup.

Open questions

  • Does it hold?
"""


def test_unresolved_targets_become_placeholders(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"posttrainbench.md": "---\ntitle: PostTrainBench\n---\n",
                         "defense-trilemma.md": "---\ntitle: Defense Trilemma\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text(DIGEST, encoding="utf-8")
    result = kg("import", str(digest), "--wiki", str(config.wiki), "--dry-run")
    assert "kept as placeholders: 'Some Unknown Paper'" in result.stderr
    [done] = import_digests(config, [digest])
    assert done.id == "a-new-benchmark"
    assert [(c.name, c.target, c.relation.name, c.resolved) for c in done.connections] == [
        ("Some Unknown Paper", "Some Unknown Paper", "extends", False),
        ("PostTrainBench", "posttrainbench", "counterpoint", True),
        ("The Defense Trilemma & friends", "defense-trilemma", "critiques", True),
    ]
    wiki = load_wiki(config)
    note = wiki.notes["a-new-benchmark"]  # type: ignore[index]
    assert note.authors == ("Ada Lovelace", "Alan Turing")
    assert note.source is not None and note.source.url == "https://example.org/post"
    assert note.tags == ("alignment", "evals") and note.tier == 2
    assert "some-unknown-paper" in wiki.placeholders


def test_a_bullet_naming_nothing_is_text_and_an_empty_one_no_question(write_wiki,
                                                                     tmp_path: Path) -> None:
    """``• — x`` under Connections names no note: its words are kept in the note, as text
    (they had become a placeholder called "— x"); an empty bullet under Open questions is no
    question."""
    config = write_wiki({"ahe.md": "---\ntitle: AHE\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("agents · 2026-05-04 · Tier 2\nTest digest\n\nTL;DR\nIt happened.\n\n"
                      "Connections\n• — a thought without a name\n• AHE — observable\n\n"
                      "Open questions\n• \n• Does it hold?\n", encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.target, c.annotation) for c in done.connections] == [("ahe", "observable")]
    text = (config.wiki / "test-digest.md").read_text(encoding="utf-8")
    assert "- a thought without a name\n- [[ahe|AHE]] — observable" in text
    note = load_wiki(config).notes["test-digest"]  # type: ignore[index]
    assert [q.text for q in note.questions] == ["Does it hold?"]
    assert not load_wiki(config).placeholders


def test_a_source_s_number_names_its_series_only_set_apart(write_wiki, tmp_path: Path) -> None:
    """``Import AI 455`` is issue 455 of Import AI, but an arXiv id (``arXiv 2305.18290``) or
    a model's name (``GPT-4``) is no numbered series: its publisher was ``arXiv 2305.``."""
    config = write_wiki({})
    for name, source in (("a", "Import AI #455"), ("b", "arXiv 2305.18290"), ("c", "GPT-4")):
        (tmp_path / f"{name}.txt").write_text(
            f"rl · 2024-03-20 · Tier 2\nPaper {name}\nSource: {source}, 2023-05-29 · Paper\n"
            "TL;DR\nText.\n", encoding="utf-8")
    import_digests(config, [tmp_path / f"{name}.txt" for name in "abc"])
    notes = load_wiki(config).notes
    assert [(n.source.title, n.source.publisher) for n in notes.values() if n.source] == [
        ("Import AI #455", "Import AI"), ("arXiv 2305.18290", None), ("GPT-4", None)]
    assert "publisher" not in (config.wiki / "paper-b.md").read_text(encoding="utf-8")


def test_a_bullet_naming_a_hashtag_connects_to_its_name(write_wiki, tmp_path: Path) -> None:
    """A connection to '#Topic' names a place in the note, an error: a bullet '#Topic' is the
    name Topic."""
    config = write_wiki({})
    digest = tmp_path / "d.txt"
    digest.write_text("ai · 2026-05-04 · Tier 1\nHash bullets\nTL;DR\nBody.\nConnections\n"
                      "• #Topic thing (2026-04-20) — builds on it\n", encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.name, c.target) for c in done.connections] == [("Topic thing", "Topic thing")]
    assert "topic-thing" in load_wiki(config).placeholders


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_dry_run_as_json_or_csv_puts_only_the_rows_on_stdout(write_wiki, tmp_path: Path,
                                                              fmt: str) -> None:
    import csv
    import io

    config = write_wiki({"posttrainbench.md": "---\ntitle: PostTrainBench\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text(DIGEST, encoding="utf-8")
    result = kg("import", str(digest), "--wiki", str(config.wiki), "--dry-run", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        found = json.loads(result.stdout)
    else:
        found = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["target"] for r in found] == [
        "Some Unknown Paper", "posttrainbench", "The Defense Trilemma & friends"]
    assert "title: A New Benchmark" in result.stderr  # the preview, beside the stream
    assert not (config.wiki / "a-new-benchmark.md").exists()


def test_a_bullet_joining_works_with_a_plus_connects_to_each(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"import-ai-455.md": "---\ntitle: Import AI 455\n---\n",
                         "mimo.md": "---\ntitle: MiMo\n---\n",
                         "r-and-d.md": "---\ntitle: R + D\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("a · 2026-01-01 · Tier 3\nJoined\n\nConnections\n"
                      "• Import AI 455 + MiMo — builds on both.\n"
                      "• R + D — named as a whole.\n"
                      "• MiMo; Unwritten Paper — extends them.\n", encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.name, c.target, c.relation.name, c.annotation, c.resolved)
            for c in done.connections] == [
        ("Import AI 455", "import-ai-455", "extends", "builds on both.", True),
        ("MiMo", "mimo", "extends", "builds on both.", True),
        ("R + D", "r-and-d", "related", "named as a whole.", True),
        ("MiMo", "mimo", "extends", "extends them.", True),
        ("Unwritten Paper", "Unwritten Paper", "extends", "extends them.", False),
    ]
    body = done.path.read_text(encoding="utf-8")  # each work linked in its bullet
    assert "- [[import-ai-455|Import AI 455]] + [[mimo|MiMo]] — builds on both." in body
    assert "- [[mimo|MiMo]] + [[Unwritten Paper|Unwritten Paper]] — extends them." in body


def test_a_relation_named_first_in_the_annotation_is_the_relation(write_wiki,
                                                                  tmp_path: Path) -> None:
    config = write_wiki({"a.md": "# A\n", "b.md": "# B\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("a · 2026-01-01 · Tier 3\nRelations\n\nConnections\n"
                      "• A — discusses\n• B — critiques it at length, and discusses more.\n",
                      encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [c.relation.name for c in done.connections] == ["discusses", "critiques"]


def test_a_batch_may_connect_to_itself(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"x.md": "# X\n"})
    first = tmp_path / "1.txt"
    second = tmp_path / "2.txt"
    first.write_text("a · 2026-01-01 · Tier 3\nFirst Digest\n\nConnections\n"
                     "• Second Digest — extends it.\n", encoding="utf-8")
    second.write_text("a · 2026-01-02 · Tier 3\nSecond Digest\n", encoding="utf-8")
    done = import_digests(config, [first, second])
    assert done[0].connections[0].target == "second-digest"
    assert done[0].connections[0].resolved


def test_not_a_digest_names_the_file(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"x.md": "# X\n"})
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(NoteError, match="not a digest: it is empty") as err:
        import_digests(config, [empty])
    assert str(err.value).startswith(f"{empty}:1:")
    untitled = tmp_path / "untitled.txt"
    untitled.write_text("a · 2026-01-01 · Tier 3\n", encoding="utf-8")
    with pytest.raises(NoteError, match="no title line"):
        import_digests(config, [untitled])
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 digest\n".encode("latin-1"))
    result = kg("import", str(latin), "--wiki", str(config.wiki))
    assert result.exit_code == 1 and f"{latin}:1" in result.stderr and "UTF-8" in result.stderr


def test_a_text_file_that_is_no_digest_is_refused_at_its_first_line(write_wiki,
                                                                     tmp_path: Path) -> None:
    config = write_wiki({"x.md": "# X\n"})
    bad = tmp_path / "bad.txt"
    bad.write_text("garbage\nno header\n", encoding="utf-8")
    result = kg("import", str(bad), "--wiki", str(config.wiki))
    assert result.exit_code == 1
    assert f"{bad}:1: not a digest" in result.stderr
    assert "hint: a digest starts with a line such as 'llms-foundation-models · 2026-05-04 · " \
        "Tier 1'" in result.stderr
    assert sorted(p.name for p in config.wiki.iterdir()) == ["x.md"]  # no garbage.md
    note = tmp_path / "note.md"  # a Markdown note is no digest either: it goes in as it is
    note.write_text("\n---\ntitle: A note\n---\nText.\n", encoding="utf-8")
    with pytest.raises(NoteError, match="not a digest") as err:
        import_digests(config, [note, bad])
    assert str(err.value).startswith(f"{note}:2:") and "wiki folder as it is" in err.value.hint
    assert sorted(p.name for p in config.wiki.iterdir()) == ["x.md"]


def test_a_failed_batch_writes_nothing(write_wiki, tmp_path: Path) -> None:
    config = write_wiki({"taken.md": "# Taken\n"})
    good = tmp_path / "good.txt"
    good.write_text("a · 2026-01-01 · Tier 3\nGood One\n", encoding="utf-8")
    clash = tmp_path / "clash.txt"
    clash.write_text("a · 2026-01-01 · Tier 3\nTaken\n", encoding="utf-8")
    with pytest.raises(KgError, match=r"already has taken\.md"):
        import_digests(config, [good, clash])
    assert not (config.wiki / "good-one.md").exists()


def test_skip_existing_imports_the_digests_the_wiki_lacks_and_names_the_others(
        write_wiki, tmp_path: Path) -> None:
    """A folder of digests imported again as it grows: with --skip-existing, the digests
    whose notes the wiki has are left out, each named with its note, and the new ones
    are imported; the notes there already are left as they are (edited since, perhaps)."""
    config = write_wiki({"taken.md": "---\ntitle: Taken\n---\nMy own words.\n"})
    good = tmp_path / "good.txt"
    good.write_text("a · 2026-01-01 · Tier 3\nGood One\n\nConnections\n• Taken — builds on it\n",
                    encoding="utf-8")
    clash = tmp_path / "clash.txt"
    clash.write_text("a · 2026-01-01 · Tier 3\nTaken\n", encoding="utf-8")
    result = kg("import", str(clash), str(good), "--skip-existing", "--wiki", str(config.wiki))
    assert result.exit_code == 0, result.output
    assert f"skipped {clash}: the wiki already has taken.md\n" in result.stderr
    assert "created" in result.stderr and "good-one.md" in result.stderr
    assert "to: taken" in (config.wiki / "good-one.md").read_text(encoding="utf-8")
    assert (config.wiki / "taken.md").read_text(encoding="utf-8").endswith("My own words.\n")
    again = kg("import", str(clash), str(good), "--skip-existing", "--wiki", str(config.wiki))
    assert again.exit_code == 0 and "created" not in again.stderr
    assert again.stderr.count("skipped ") == 2


# -- pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "expected"), [
    ("Defense Trilemma + NP-hard reward hacking", "defense-trilemma"),
    ("Defense Trilemma", "defense-trilemma"),
    ("AHE", "ahe"),
    ("AHE: making harness evolution observable", "ahe"),
    ("OpenAI Symphony", "openai-symphony"),
    ("Symphony", "openai-symphony"),
    ("the PostTrainBench", "posttrainbench"),
    ("Post-Train Bench", None),
    ("Anthropic Automated Alignment Researcher", "anthropic-automated-alignment-researcher"),
    ("MiMo", "mimo"),
    ("Ken Huang — World Models", "ken-huang-world-models"),
    ("Import AI 455", "import-ai-455"),
    ("Nothing Like It", None),
])
def test_matching_names(written: str, expected: str | None) -> None:
    matcher = Matcher(load_wiki(load_config(REPO)).notes.values())
    assert matcher.match(written)[0] == expected


@pytest.mark.parametrize(("bullet", "name", "date", "annotation"), [
    ("Defense Trilemma + NP-hard reward hacking (2026-05-04) — the adversarial counterpart.",
     "Defense Trilemma + NP-hard reward hacking", dt.date(2026, 5, 4),
     "the adversarial counterpart."),
    ("Anthropic Automated Alignment Researcher (referenced in Import AI 454) — proof.",
     "Anthropic Automated Alignment Researcher", None, "proof."),
    ("PostTrainBench — referenced explicitly.", "PostTrainBench", None, "referenced explicitly."),
    ("MiMo 05-03 – routing.", "MiMo", None, "routing."),
    ("Just a name", "Just a name", None, ""),
])
def test_bullets(bullet: str, name: str, date: dt.date | None, annotation: str) -> None:
    digest = parse_digest(f"T · 2026-01-01 · Tier 1\nTitle\n\nConnections\n• {bullet}\n",
                          file="d.txt")
    [got] = digest.connections
    assert (got.name, got.date, got.annotation) == (name, date, annotation)


@pytest.mark.parametrize(("text", "relation"), [
    ("the adversarial counterpart. If alignment is on a clock", "counterpoint"),
    # the bullet's work is the example: "example-of" from the digest would say the reverse
    ("agents ... is the productized version of managing AI", "related"),
    ("referenced explicitly. AI gets half", "cites"),
    ("proof-of-concept of automated alignment research", "evidence"),
    ("making harness evolution observable.", "related"),
    ("builds on the protocol, and is the counterpart of X", "extends"),
    ("", "related"),
])
def test_relations_inferred_from_words(text: str, relation: str) -> None:
    assert infer_relation(text).name == relation


@needs_seed
def test_seed_header_is_read() -> None:
    digest = parse_digest(SEED.read_text(encoding="utf-8"), file=SEED.name)
    assert digest.title == "Import AI 455: AI Systems Are About to Start Building Themselves"
    assert digest.source_title == "Import AI 455" and digest.source_kind == "Post"
    assert digest.note_id == "import-ai-455"
    assert len(digest.angles) == 3 and len(digest.questions) == 4
    assert [b.name for b in digest.connections][:2] == [
        "Defense Trilemma + NP-hard reward hacking", "AHE"]


@pytest.mark.parametrize(("line", "title", "authors"), [
    ("Import AI 455: Building — Jack Clark", "Import AI 455: Building", ("Jack Clark",)),
    ("Scaling Laws — Revisited", "Scaling Laws — Revisited", ()),
    ("A Paper — Ada Lovelace, Alan Turing and Grace Hopper", "A Paper",
     ("Ada Lovelace", "Alan Turing", "Grace Hopper")),
    ("Why models drift — a field guide", "Why models drift — a field guide", ()),
])
def test_authors_after_a_dash(line: str, title: str, authors: tuple[str, ...]) -> None:
    digest = parse_digest(f"x · 2026-01-01 · Tier 2\n{line}\n", file="d.txt")
    assert (digest.title, digest.authors) == (title, authors)


@pytest.mark.parametrize("text", [
    "a" + " " * 20000 + "b\nTitle\n",
    "x · 2026-01-01 · Tier 1\nTitle\nConnections\n- x" + " " * 20000 + "y — z\n",
])
def test_long_runs_of_spaces_are_read_in_linear_time(text: str) -> None:
    """Each of these took a minute or more: patterns that entered a run of spaces anywhere."""
    import contextlib
    import time

    started = time.perf_counter()
    with contextlib.suppress(KgError):  # it may be refused; not after minutes
        parse_digest(text, file="d.txt")
    assert time.perf_counter() - started < 10


def test_a_digest_whose_name_another_note_has_is_refused_as_kg_new_refuses_it(
        write_wiki, tmp_path: Path) -> None:
    """'Symphony' is a note's alias: a symphony.md would take over [[Symphony]] links."""
    config = write_wiki({
        "openai-symphony.md": "---\ntitle: OpenAI Symphony\naliases: [Symphony]\n---\nx\n",
        "linker.md": "---\ntitle: Linker\n---\nSee [[Symphony]].\n",
    })
    digest = tmp_path / "s.txt"
    digest.write_text("agents · 2026-05-10 · Tier 2\nSymphony\nTL;DR\nx\n", encoding="utf-8")
    with pytest.raises(KgError, match="'symphony' already names openai-symphony") as caught:
        import_digests(config, [digest])
    assert "nothing was imported" in caught.value.message
    assert sorted(p.name for p in config.wiki.iterdir()) == ["linker.md", "openai-symphony.md"]


@pytest.mark.parametrize(("header", "said"), [
    ("x · 2026-02-30 · Tier 1", "the header's '2026-02-30' is no date"),
    ("x · 2026-05-01 · Tier 0", "the header's Tier 0 is no tier (tiers are 1 to 9)"),
])
def test_a_header_with_no_such_date_or_tier_is_an_error_at_its_line(header: str,
                                                                   said: str) -> None:
    with pytest.raises(NoteError, match=said.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_digest(f"\n{header}\nTitle\nTL;DR\nx\n", file="d.txt")
    assert (caught.value.file, caught.value.line) == ("d.txt", 2)


def test_a_section_written_twice_is_one_without_the_lines_it_repeats() -> None:
    text = ("ai · 2026-05-01 · Tier 1\nTitle\nTL;DR\nShort.\nOpen questions\n• Why?\n• How?\n"
            "Connections\n• AHE — applies it.\nOpen questions\n• Why?\n• When?\n")
    digest = parse_digest(text, file="d.txt")
    questions = [lines for key, _, lines in digest.sections if key == "questions"]
    assert len(questions) == 1
    assert [line.strip() for _, line in questions[0] if line.strip()] == [
        "• Why?", "• How?", "• When?"]


@pytest.mark.parametrize(("line", "raw"), [
    ("Source: Import AI 455, 2026-05-04 · Post Raw: raw/rss/2026-05-04 issue.md Tier: 1",
     "raw/rss/2026-05-04 issue.md"),
    ("Source: X · Post Raw: raw/rss/x.md Tier: 1 (research)", "raw/rss/x.md"),
    ("Source: X · Post Raw: raw/a b.c/d e.md", "raw/a b.c/d e.md"),
    ("Source: X Raw: raw/no-extension", "raw/no-extension"),
])
def test_a_raw_path_with_spaces_is_read_whole(line: str, raw: str) -> None:
    """A raw file's name with a space (a path kg accepts) had been cut at it."""
    from kg.importer import _source_line

    assert _source_line(line)["raw"] == raw


def test_a_bullet_named_by_a_wikilink_connects_to_its_target(write_wiki, tmp_path: Path) -> None:
    """``[[Some Note]] — text``, ``[[target|label]]``, ``**[[…]]**``, ``[[X]]: text`` and links
    joined by ``+``: the name is each link's target (a dash or a date inside a link is part
    of it), not the brackets' text; the page shows the label written."""
    config = write_wiki({"some-note.md": "---\ntitle: Some Note\n---\n",
                         "A - B.md": "---\ntitle: Dashed\n---\n",
                         "bert.md": "---\ntitle: BERT\naliases: [BERT (2018)]\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("ai · 2026-05-04 · Tier 1\nLinked bullets\nTL;DR\nBody.\nConnections\n"
                      "• [[Some Note]] (2026-04-20) — builds on it\n"
                      "- [[some-note|The label]] — discusses it\n"
                      "- **[[A - B]]** — a dash inside the link\n"
                      "- [[BERT (2018)]]: a colon after the link\n"
                      "- [[Some Note#Part]] + [[Unwritten|Not yet]] — both\n", encoding="utf-8")
    result = kg("import", str(digest), "--wiki", str(config.wiki))
    assert result.exit_code == 0, result.output
    assert "kept as placeholders: 'Unwritten'" in result.stderr
    wiki = load_wiki(config)
    assert [(e.target, e.relation.name if e.relation else None, e.annotation)
            for e in wiki.edges if e.source == "linked-bullets" and e.relation] == [
        ("some-note", "extends", "builds on it"),
        ("some-note", "discusses", "discusses it"),
        ("a-b", "related", "a dash inside the link"),
        ("bert", "related", "a colon after the link"),
        ("some-note", "related", "both"),
        ("unwritten", "related", "both"),
    ]
    body = (config.wiki / "linked-bullets.md").read_text(encoding="utf-8")
    assert "- [[some-note|Some Note]] (2026-04-20) — builds on it" in body
    assert "- [[some-note|The label]] — discusses it" in body
    assert "- [[some-note#Part|Some Note]] + [[Unwritten|Not yet]] — both" in body  # its part
    assert "[[[[" not in body


MARKDOWN_DIGEST = """\
**agents, evals · 2026-05-10 · Tier 2**
# SWE-Lancer Revisited: Pricing Agent Work
**Source:** SWE-Lancer Blog, 2026-05-10

**TL;DR**
Agents are cheaper than freelancers now.

## Connections
1. **PostTrainBench** -> supports the claim that post-training is automatable.
2. **The Defense Trilemma** → the adversarial counterpart of cheap agents.
🔗 Some Note => builds on it.

## Research angle
1. **Cost curves.** Fit a curve to the prices.

## Open questions
❓ Will prices fall?
"""


def test_a_digest_written_in_markdown_is_read_as_the_plain_one(write_wiki,
                                                                  tmp_path: Path) -> None:
    """A bold '**TL;DR**' was read as a bullet (its summary lost without a word), '# Title'
    kept its '#', '**Source:**' was dropped, '->' and '→' did not end a name (the whole
    bullet became a placeholder), emoji bullets were no items, and a bold angle's lead came
    out as '****Cost curves.** …**'."""
    config = write_wiki({"posttrainbench.md": "---\ntitle: PostTrainBench\n---\n",
                         "defense-trilemma.md": "---\ntitle: Defense Trilemma\n---\n",
                         "some-note.md": "---\ntitle: Some Note\n---\n"})
    digest = tmp_path / "d.md"
    digest.write_text(MARKDOWN_DIGEST, encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.target, c.relation.name, c.annotation) for c in done.connections] == [
        ("posttrainbench", "supports", "supports the claim that post-training is automatable."),
        ("defense-trilemma", "counterpoint", "the adversarial counterpart of cheap agents."),
        ("some-note", "extends", "builds on it."),
    ]
    note = load_wiki(config).notes["swe-lancer-revisited-pricing-agent-work"]  # type: ignore[index]
    assert note.title == "SWE-Lancer Revisited: Pricing Agent Work"
    assert note.source is not None and note.source.title == "SWE-Lancer Blog"
    assert note.tags == ("agents", "evals") and note.tier == 2
    assert note.summary.startswith("Agents are cheaper than freelancers now.")
    assert [q.text for q in note.questions] == ["Will prices fall?"]
    assert "1. **Cost curves.** Fit a curve to the prices." in done.text
    assert "**TL;DR**" not in done.text and "## TL;DR" in done.text


def test_an_emoji_after_a_dash_is_no_part_of_the_name(write_wiki, tmp_path: Path) -> None:
    """'- 🔗 Some Note: builds on it', as an LLM writes a Markdown list, was a placeholder
    called '🔗 Some Note: builds on it' (the emoji read as the name's first word), and
    '- ❓ Why?' a question that began with the emoji; an arrow after a dash still names
    nothing."""
    config = write_wiki({"some-note.md": "---\ntitle: Some Note\n---\n"})
    digest = tmp_path / "d.md"
    digest.write_text("**evals · 2026-05-10 · Tier 2**\n# Emoji Lists\n## Connections\n"
                      "- 🔗 Some Note: builds on it\n* ➡️ Some Note — discusses it\n"
                      "- → a thought\n## Open questions\n- ❓ Why?\n", encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.target, c.relation.name) for c in done.connections] == [
        ("some-note", "extends"), ("some-note", "discusses")]
    assert "- a thought" in done.text  # its words kept as text, no note named
    note = load_wiki(config).notes["emoji-lists"]  # type: ignore[index]
    assert [q.text for q in note.questions] == ["Why?"]
    assert "🔗" not in done.text and "❓" not in done.text


def test_a_file_of_several_digests_is_a_note_each(write_wiki, tmp_path: Path) -> None:
    """The second digest's header and title had become words of the first's last bullet, its
    summary part of the first's, and its connection the first note's to itself."""
    config = write_wiki({"mimo.md": "---\ntitle: MiMo\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("papers · 2026-05-13 · Tier 2\nPaper One\nTL;DR\nFirst.\nConnections\n"
                      "• MiMo — extends it.\n\npapers · 2026-05-14 · Tier 3\nPaper Two\n"
                      "TL;DR\nSecond.\nConnections\n• Paper One — counterpoint to it.\n",
                      encoding="utf-8")
    done = import_digests(config, [digest])
    assert [(d.id, [(c.target, c.annotation) for c in d.connections]) for d in done] == [
        ("paper-one", [("mimo", "extends it.")]),
        ("paper-two", [("paper-one", "counterpoint to it.")]),
    ]
    notes = load_wiki(config).notes
    assert notes["paper-two"].date == dt.date(2026, 5, 14)  # type: ignore[index]
    assert notes["paper-one"].summary == "First."  # type: ignore[index]
    digest.write_text(digest.read_text(encoding="utf-8").replace("Tier 3", "Tier 0"),
                      encoding="utf-8")
    with pytest.raises(NoteError) as caught:  # the second's lines keep their numbers
        import_digests(config, [digest], dry_run=True)
    assert (caught.value.file, caught.value.line) == (str(digest), 8)


def test_an_email_signature_is_no_part_of_the_digest(write_wiki, tmp_path: Path) -> None:
    """A newsletter pasted from a mail: its signature, after '-- ', had been folded into the
    last open question."""
    config = write_wiki({})
    digest = tmp_path / "d.txt"
    digest.write_text("alignment · 2026-05-12 · Tier 2\nAlignment Weekly #12 — Jane Doe\n"
                      "TL;DR\nReward hacking.\nOpen questions\n• Is it inevitable?\n\n-- \n"
                      "Jane Doe\nEditor, Alignment Weekly\nUnsubscribe: https://example.com/u\n",
                      encoding="utf-8")
    [done] = import_digests(config, [digest])
    note = load_wiki(config).notes[done.id]
    assert [q.text for q in note.questions] == ["Is it inevitable?"]
    assert "Unsubscribe" not in done.text


def test_what_a_bullet_says_after_a_note_s_name_and_a_colon_is_its_annotation(
        write_wiki, tmp_path: Path) -> None:
    """'• MiMo: builds on its router' connected to MiMo and lost the words after the colon
    (neither the connection nor the page had them); a title with a colon stays a name."""
    config = write_wiki({"mimo.md": "---\ntitle: MiMo\n---\n",
                         "ahe.md": "---\ntitle: 'AHE: making harness evolution observable'\n---\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("ai · 2026-05-04 · Tier 2\nColons\nTL;DR\nBody.\nConnections\n"
                      "• MiMo: builds on its router\n"
                      "• AHE: making harness evolution observable\n", encoding="utf-8")
    [done] = import_digests(config, [digest])
    assert [(c.target, c.relation.name, c.annotation) for c in done.connections] == [
        ("mimo", "extends", "builds on its router"), ("ahe", "related", "")]
    assert "- [[mimo|MiMo]] — builds on its router" in done.text


def test_the_text_between_the_title_and_the_first_section_is_kept(write_wiki,
                                                                  tmp_path: Path) -> None:
    """A subtitle or a paragraph before the digest's first section had been dropped without
    a word; it opens the note's text now, before its first heading. The title written again
    (as the seed does) is still not repeated, and the TL;DR stays the summary."""
    config = write_wiki({"x.md": "# X\n"})
    digest = tmp_path / "d.txt"
    digest.write_text("a · 2026-01-01 · Tier 3\n# Sparse routing at scale\n\n"
                      "Sparse routing at scale\nA field report from three labs.\n\n"
                      "**Source:** Routing Weekly 12\n\nWe read all of it so you need not.\n\n"
                      "TL;DR\nRouting is cheap now.\n", encoding="utf-8")
    (done,) = import_digests(config, [digest])
    body = done.text.split("\n---\n", 1)[1]
    assert body.startswith("A field report from three labs.\n\n"
                           "We read all of it so you need not.\n\n## TL;DR\nRouting is cheap now.")
    assert body.count("Sparse routing at scale") == 0
    assert load_wiki(config).notes[done.id].summary == "Routing is cheap now."


DIGESTS_ABROAD = {
    "de": ("ml · 2026-05-04 · Tier 1\nSkalierung ohne Ende — Anna Schmidt\n"
           "Zusammenfassung\nDie Kurven flachen nicht ab.\n"
           "Warum es wichtig ist\nEs ändert die Planung.\n"
           "Verbindungen\n• PostTrainBench (2026-04-20) — baut darauf auf\n"
           "Forschungsansätze\n1. **Kostenkurven.** Die Kurven anpassen.\n"
           "Offene Fragen\n• Hält das bei 10x?\n"),
    "fr": ("ml · 2026-05-05 · Tier 2\nLe mur des données\n"
           "**Résumé**\nLes données manquent.\n"
           "## Pourquoi c’est important\nTout en dépend.\n"
           "Connexions\n• PostTrainBench (2026-04-20) — le contrepoint\n"
           "Pistes de recherche\n1. Mesurer la pénurie.\n"
           "Questions ouvertes\n• Combien de temps encore ?\n"),
    "es": ("ml · 2026-05-06 · Tier 3\nAgentes baratos\n"
           "Resumen\nCuestan menos cada mes.\n"
           "¿Por qué importa?\nCambia quién puede usarlos.\n"
           "Conexiones\n• PostTrainBench (2026-04-20) — relacionado\n"
           "Líneas de investigación\n1. Medir el coste por tarea.\n"
           "Preguntas abiertas\n• ¿Bajará el precio a la mitad?\n"),
}


def test_digests_with_headings_in_other_languages_are_read_by_section(write_wiki,
                                                                      tmp_path: Path) -> None:
    """A digest written in German, French or Spanish names its sections in its language
    (``Zusammenfassung``, ``Pourquoi c’est important``, ``¿Por qué importa?``, ``Offene
    Fragen``…): they are read as the English ones are, so its connections, angles and
    questions are the note's; they had been kept as text of the title's section, with no
    connection nor question. The note keeps the digest's own headings, which the note
    parser reads alike."""
    config = write_wiki({"posttrainbench.md": "---\ntitle: PostTrainBench\n---\n"})
    files = []
    for lang, text in DIGESTS_ABROAD.items():
        files.append(tmp_path / f"{lang}.txt")
        files[-1].write_text(text, encoding="utf-8")
    done = import_digests(config, files)
    assert [[c.target for c in d.connections] for d in done] == [["posttrainbench"]] * 3
    notes = load_wiki(config).notes
    got = {nid: (n.summary, [q.text for q in n.questions], [a.title for a in n.angles])
           for nid, n in notes.items() if nid != "posttrainbench"}
    assert got == {
        "skalierung-ohne-ende": ("Die Kurven flachen nicht ab.", ["Hält das bei 10x?"],
                                 ["Kostenkurven"]),
        "le-mur-des-donnees": ("Les données manquent.", ["Combien de temps encore ?"],
                               ["Mesurer la pénurie"]),
        "agentes-baratos": ("Cuestan menos cada mes.", ["¿Bajará el precio a la mitad?"],
                            ["Medir el coste por tarea"]),
    }
    text = (config.wiki / "skalierung-ohne-ende.md").read_text(encoding="utf-8")
    assert "## Offene Fragen" in text and "## Zusammenfassung" in text
