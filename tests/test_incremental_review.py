"""Review of incremental builds: scenarios that tests/test_incremental.py does not cover.

The tests of the first section are the findings (each says in one line what is wrong, and
at which commit); the others check promises test_incremental.py does not check yet. Every
scenario changes the wiki (or the settings, templates, site folder…), builds incrementally
into ``site/`` and compares with ``kg build --full`` into ``full/`` (or, where the graph
cache itself is in question, with what :class:`kg.site.Site` makes from notes read afresh).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import edit_note as edit
from conftest import site_tree as tree

import kg.build
import kg.cache
import kg.cachefile
import kg.incremental
import kg.site
from kg.build import BuildResult, build, load_wiki
from kg.config import Config, load_config
from kg.errors import KgError
from kg.theme import theme_dir

TOML = ('[kg]\ntitle = "Review wiki"\nbase_iri = "https://example.org/kg/"\n'
        '[kg.tiers]\n1 = "Must read"\n2 = "Worth a look"\n')

ALPHA = """---
title: Alpha note
date: 2026-01-01
tier: 1
aliases: [Alpha]
tags: [scaling]
---
## TL;DR
Alpha talks about [[Foo]] and cites [[Bee]] at length.

## Open questions
- Does alpha scale past a thousand agents?
- Is the audit trail complete?
"""

BEE = """---
title: Bee note
date: 2026-01-02
tier: 2
aliases: [Bee]
tags: [scaling, audit]
connections:
  - to: alpha
    rel: supports
    note: "Bee supports Alpha."
forecasts:
  - {claim: "Agents audit agents", p: 0.4, by: 2026-03-01}
---
## TL;DR
Bee body.
"""

CEE = """---
title: Cee note
date: 2026-01-03
tags: [audit]
---
## TL;DR
Cee body.
"""

FAR = """---
title: Far note
date: 2026-01-04
---
## TL;DR
Far away from everything.
"""

QUESTION = "alpha#q-does-alpha-scale-past-a-thousand-agents"


# -- helpers -----------------------------------------------------------------------------------




def differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(path for path in set(a) | set(b) if a.get(path) != b.get(path))


def config_of(root: Path, **options: object) -> Config:
    return load_config(root).with_options(out=root / "site", **options)


def rebuild(config: Config, *, unsafe_html: bool = False, jobs: int | None = None
            ) -> BuildResult:
    """An incremental build into ``site/``, checked against ``--full`` into ``full/``."""
    result = build(config, unsafe_html=unsafe_html, jobs=jobs)
    full = replace(config, out=config.root / "full")
    shutil.rmtree(full.out, ignore_errors=True)
    build(full, full=True, unsafe_html=unsafe_html, jobs=jobs)
    different = differences(tree(config.out), tree(full.out))
    assert different == [], f"incremental output differs from a full build in {different}"
    return result


def clean(config: Config, unsafe_html: bool = False) -> dict[str, bytes]:
    """Every file of the site made from the notes read afresh (no graph cache, no manifest)."""
    site = kg.site.Site(load_wiki(config), config, unsafe_html=unsafe_html)
    return {o.path: o.data for o in site.outputs()}


def site_files(config: Config) -> dict[str, bytes]:
    files = tree(config.out)
    files.pop(kg.build.SITE_MARKER, None)
    return files




def own_404(config: Config, heading: str) -> tuple[Path, str]:
    """The wiki's own 404.html (the theme's, headed ``heading``), built once; the file and
    the theme's text."""
    own = config.root / "templates"
    own.mkdir()
    text = (theme_dir() / "404.html").read_text(encoding="utf-8")
    template = own / "404.html"
    template.write_text(text.replace("Not found", heading), encoding="utf-8")
    build(config)
    return template, text


def page(config: Config, path: str) -> str:
    return (config.out / path).read_text(encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> Config:
    """A four-note wiki with settings of its own, built once."""
    root = tmp_path / "project"
    (root / "wiki").mkdir(parents=True)
    (root / "kg.toml").write_text(TOML, encoding="utf-8")
    for name, text in {"alpha.md": ALPHA, "bee.md": BEE, "cee.md": CEE, "far.md": FAR}.items():
        (root / "wiki" / name).write_text(text, encoding="utf-8")
    config = config_of(root)
    build(config)
    return config


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as old enough for the stat of the sources to be
    trusted, so that builds take the "nothing changed" shortcut as they do for a user."""
    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)


# -- problems found (the fixed ones stay as regression tests) -------------------------------


def test_a_page_deleted_by_hand_comes_back_when_no_note_changed(small: Config,
                                                              trusted: None) -> None:
    # wrong at ed87974 (fixed in a8db9c0): the stat shortcut trusted the site folder blindly
    build(small)  # the sources' stat is now trusted
    (small.out / "notes" / "alpha.html").unlink()
    result = build(small)
    assert (small.out / "notes" / "alpha.html").is_file(), result.summary()


def test_new_tier_labels_reach_the_graph_exports(small: Config) -> None:
    # wrong at ed87974 (fixed in a8db9c0): the N-Triples cache key left out the tier labels
    toml = small.root / "kg.toml"
    toml.write_text(TOML.replace('"Must read"', '"Essential"'), encoding="utf-8")
    config = config_of(small.root)
    build(config, full=True)
    assert '"Essential"' in page(config, "graph.nt")
    assert differences(site_files(config), clean(config)) == []


def test_a_note_saved_while_a_build_runs_leaves_no_stale_graph_files(
        small: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    # wrong at ed87974 (fixed in a3790e3): build() opened the graph cache twice; graph.nt came
    # from the second read but was keyed by the first, so after an undo it stayed stale
    note = small.wiki / "cee.md"
    edit(small, "cee.md", lambda t: t.replace("Cee body.", "Cee body, first edit."))
    saved = CEE.replace("Cee body.", "Cee body, saved during the build.")
    original = kg.site.Site.tasks

    # after the notes are read, before the graph files are made (from the cached N-Triples,
    # or spliced from the last build's)
    def saved_meanwhile(self: kg.site.Site) -> list[kg.incremental.Task]:
        note.write_text(saved, encoding="utf-8")
        return original(self)

    monkeypatch.setattr(kg.site.Site, "tasks", saved_meanwhile)
    build(small)
    monkeypatch.setattr(kg.site.Site, "tasks", original)
    edit(small, "cee.md", lambda t: t.replace("saved during the build", "first edit"))  # undo
    rebuild(small)


def test_a_template_saved_while_a_build_runs_leaves_no_stale_page(
        small: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    # wrong at ed87974 (fixed in a8db9c0): templates hashed at start, read by Jinja later
    template, text = own_404(small, "Gone A")
    template.write_text(text.replace("Not found", "Gone B"), encoding="utf-8")
    original = kg.site.Site.tasks

    def saved_meanwhile(self: kg.site.Site) -> list[kg.incremental.Task]:
        template.write_text(text.replace("Not found", "Gone C"), encoding="utf-8")
        return original(self)

    monkeypatch.setattr(kg.site.Site, "tasks", saved_meanwhile)
    build(small)
    monkeypatch.setattr(kg.site.Site, "tasks", original)
    template.write_text(text.replace("Not found", "Gone B"), encoding="utf-8")  # undo
    rebuild(small)


def test_a_build_that_only_removes_a_file_does_not_say_nothing_changed(small: Config) -> None:
    # wrong at ed87974 (fixed in a8db9c0): "nothing changed" although a file was removed
    assets = small.root / "templates" / "assets"
    assets.mkdir(parents=True)
    (assets / "extra.css").write_text("body { margin: 0 }\n", encoding="utf-8")
    rebuild(small)
    (assets / "extra.css").unlink()
    result = rebuild(small)
    assert not (small.out / "assets" / "extra.css").exists()
    assert "nothing changed" not in result.summary()


def test_a_template_edit_that_keeps_size_and_mtime_is_seen(small: Config,
                                                          trusted: None) -> None:
    # wrong at ed87974 (fixed in a8db9c0): templates and queries were stamped by size+mtime
    template, text = own_404(small, "Gone A")
    build(small)
    stat = template.stat()
    template.write_text(text.replace("Not found", "Gone B"), encoding="utf-8")  # same size
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # e.g. cp -p, rsync -t, tar x
    rebuild(small)


def test_a_binary_file_among_the_wiki_s_templates_does_not_break_the_build(
        small: Config) -> None:
    # wrong (new in a8db9c0): site.read_templates decodes every file of templates/ as UTF-8,
    # so a .DS_Store, a vim swap file or an image outside assets/ crashes kg build / kg serve
    own = small.root / "templates"
    own.mkdir()
    (own / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\xff\xfe\x00")
    (own / ".note.html.swp").write_bytes(b"b0VIM 9.0\x00\xff\xfe\x00" * 8)
    rebuild(small)


def test_new_rdf_code_reaches_graph_nt_even_with_full(small: Config, tmp_path: Path) -> None:
    # wrong (still at a8db9c0): the N-Triples cache is keyed by the record modules' code only
    # (cachefile.RECORD_MODULES), not kg/rdf.py: after an upgrade of kg without a new version,
    # or a change of rdf.py, even `kg build --full` writes the old graph.nt, .ttl and .jsonld
    package = tmp_path / "pkg"
    shutil.copytree(Path(kg.build.__file__).parent, package / "kg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if not (package / "kg" / "templates").is_dir():
        shutil.copytree(theme_dir(), package / "templates")
    env = {**os.environ, "PYTHONPATH": str(package), "KG_JOBS": "1"}

    def kg_build(*options: str) -> None:
        subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "build", "-q",
                        *options], cwd=small.root, env=env, check=True, capture_output=True)

    kg_build()
    rdf = package / "kg" / "rdf.py"
    code = rdf.read_text(encoding="utf-8")
    assert "{KG}sourceLine>" in code
    rdf.write_text(code.replace("{KG}sourceLine>", "{KG}sourceLineNumber>"), encoding="utf-8")
    kg_build("--full")
    assert "sourceLineNumber>" in page(small, "graph.nt")


# -- promises test_incremental.py does not check (these pass) ----------------------------------


def test_links_follow_an_alias_and_a_placeholder_that_becomes_a_note_and_back(
        small: Config) -> None:
    assert "not written yet" in page(small, "notes/foo.html")
    edit(small, "cee.md", lambda t: t.replace("tags:", "aliases: [Foo]\ntags:"))
    rebuild(small)  # alpha's [[Foo]] now leads to cee
    assert re.search(r'<a class="wikilink" href="cee.html"', page(small, "notes/alpha.html"))
    assert not (small.out / "notes/foo.html").exists()
    edit(small, "cee.md", lambda t: t.replace("aliases: [Foo]\n", ""))
    rebuild(small)
    (small.wiki / "foo.md").write_text("---\ntitle: Foo at last\ndate: 2026-01-01\n---\nFoo.\n",
                                       encoding="utf-8")
    rebuild(small)
    assert "Foo at last" in page(small, "notes/alpha.html")
    (small.wiki / "foo.md").unlink()
    rebuild(small)
    assert "not written yet" in page(small, "notes/foo.html")


def test_an_answer_from_far_away_reaches_the_question_s_note_and_the_tracker(
        small: Config) -> None:
    edit(small, "far.md", lambda t: t.replace("---\n## TL;DR", f"answers: [{QUESTION}]\n---\n"
                                                              "## TL;DR"))
    rebuild(small)
    assert "answered by" in page(small, "notes/alpha.html")
    edit(small, "far.md", lambda t: t.replace("title: Far note", "title: Far, renamed"))
    rebuild(small)
    assert "Far, renamed" in page(small, "notes/alpha.html")
    assert "Far, renamed" in page(small, "questions.html")


def test_today_moves_with_the_newest_note_and_with_source_date_epoch(
        small: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "overdue" not in page(small, "notes/bee.html")
    edit(small, "cee.md", lambda t: t.replace("2026-01-03", "2026-06-01"))  # now the newest
    rebuild(small)
    assert "overdue" in page(small, "notes/bee.html")
    assert "2026-06-01" in page(small, "questions.html")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # 2026-01-02
    rebuild(small)
    assert "overdue" not in page(small, "notes/bee.html")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01
    rebuild(small)
    assert "2027-01-01" in page(small, "forecasts.html")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    rebuild(small)
    assert "2026-06-01" in page(small, "forecasts.html")


def test_settings_and_build_options_that_change_between_builds(small: Config) -> None:
    toml = small.root / "kg.toml"
    toml.write_text(TOML.replace("Review wiki", "Renamed wiki")
                    .replace("https://example.org/kg/", "https://other.example/kg/")
                    .replace("[kg.tiers]", 'base_url = "https://site.example/w/"\n[kg.tiers]'),
                    encoding="utf-8")
    rebuild(config_of(small.root))
    assert "https://site.example/w/" in page(small, "feed.xml")
    rebuild(config_of(small.root, base_url="https://cli.example/"))  # --base-url
    rebuild(config_of(small.root))  # and not
    assert "https://cli.example/" not in page(small, "feed.xml")
    edit(small, "cee.md", lambda t: t.replace("Cee body.", "Cee <b>bold</b> body."))
    rebuild(small, unsafe_html=True)
    assert "<b>bold</b>" in page(small, "notes/cee.html")
    rebuild(small)
    assert "&lt;b&gt;" in page(small, "notes/cee.html")


def test_assets_and_templates_of_the_wiki_added_changed_and_removed(small: Config) -> None:
    own = small.root / "templates"
    (own / "assets").mkdir(parents=True)
    (own / "assets" / "style.css").write_text("body { color: red }\n", encoding="utf-8")
    rebuild(small)
    assert page(small, "assets/style.css") == "body { color: red }\n"
    (own / "assets" / "style.css").unlink()
    text = (theme_dir() / "tag.html").read_text(encoding="utf-8")
    (own / "tag.html").write_text(text.replace("all tags", "every tag"), encoding="utf-8")
    rebuild(small)
    assert "every tag" in page(small, "tags/audit.html")
    edit(small, "bee.md", lambda t: t.replace("Bee body.", "Bee body, edited."))
    rebuild(small)
    shutil.rmtree(own)
    rebuild(small)
    assert "all tags" in page(small, "tags/audit.html")
    assert page(small, "assets/style.css") == (
        theme_dir() / "assets" / "style.css").read_text(encoding="utf-8")


def test_tags_whose_slugs_collide_keep_their_pages_straight(small: Config) -> None:
    edit(small, "cee.md", lambda t: t.replace("tags: [audit]", "tags: [audit, Audit]"))
    rebuild(small)  # audit → audit-2 (sorted: "Audit" takes "audit")
    edit(small, "bee.md", lambda t: t.replace("tags: [scaling, audit]", "tags: [scaling]"))
    rebuild(small)
    edit(small, "cee.md", lambda t: t.replace("tags: [audit, Audit]", "tags: [audit]"))
    rebuild(small)
    assert "#audit" in page(small, "tags/audit.html")
    assert not (small.out / "tags/audit-2.html").exists()


def test_a_damaged_or_foreign_manifest_means_a_full_and_right_build(small: Config) -> None:
    manifest = kg.incremental.manifest_path(small)
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good[: len(good) // 2], encoding="utf-8")
    edit(small, "bee.md", lambda t: t.replace("Bee body.", "Bee body, edited."))
    result = rebuild(small)
    assert result.rendered == result.files
    # the manifest of another site folder (its marker is another file) is not believed
    other = replace(small, out=small.root / "other")
    build(other)
    data = json.loads(kg.incremental.manifest_path(other).read_text(encoding="utf-8"))
    data["pages"] = {path: "0" * 32 for path in data["pages"]}
    manifest.write_text(json.dumps(data), encoding="utf-8")
    result = rebuild(small)
    assert result.rendered == result.files


def test_a_failed_build_keeps_site_and_manifest_and_the_next_one_is_right(
        small: Config, trusted: None) -> None:
    build(small)
    before = tree(small.out)
    manifest = kg.incremental.manifest_path(small).read_bytes()
    edit(small, "bee.md", lambda t: t.replace("tier: 2", "tier: [2"))  # a YAML error
    with pytest.raises(KgError):
        build(small)
    assert tree(small.out) == before
    assert kg.incremental.manifest_path(small).read_bytes() == manifest
    edit(small, "bee.md", lambda t: t.replace("tier: [2", "tier: 1"))
    rebuild(small)
    assert "Must read" in page(small, "notes/bee.html")
    result = build(small)  # and now the stat shortcut
    assert "nothing changed" in result.summary()


def test_nothing_changed_repeats_the_warnings_and_counts(small: Config, trusted: None) -> None:
    edit(small, "far.md", lambda t: t.replace("---\n## TL;DR",
                                              "answers: [nobody#q-nothing]\n---\n## TL;DR"))
    first = build(small)
    again = build(small)
    assert "nothing changed" in again.summary()
    assert [str(w) for w in again.warnings] == [str(w) for w in first.warnings] != []
    counts = ("notes", "connections", "mentions", "placeholders", "questions", "files")
    assert [getattr(again, c) for c in counts] == [getattr(first, c) for c in counts]


def test_the_pool_follows_an_alias_and_an_answer(small: Config,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kg.incremental, "PARALLEL_MIN", 0)
    monkeypatch.setattr(kg.incremental, "can_fork", lambda: True, raising=False)  # Playwright
    edit(small, "cee.md", lambda t: t.replace("tags:", "aliases: [Foo]\ntags:"))
    edit(small, "far.md", lambda t: t.replace("---\n## TL;DR", f"answers: [{QUESTION}]\n---\n"
                                                              "## TL;DR"))
    rebuild(small, jobs=2)
    (small.out / "notes" / "cee.html").unlink()  # removed by hand: made again by a worker
    edit(small, "far.md", lambda t: t.replace("title: Far note", "title: Far, renamed"))
    rebuild(small, jobs=2)
    assert "Far, renamed" in page(small, "notes/alpha.html")


@pytest.mark.parametrize("serve", [False, True])
def test_a_forecast_s_resolver_follows_the_note_its_name_names(
        small: Config, serve: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bee's ``resolved_by: Gamma`` names whichever note is called Gamma: an alias or a title
    given or taken elsewhere moves bee's ``kg:resolvedBy``, bee's own file unchanged, and
    the spliced graph exports follow it (in one process too, as ``kg serve`` builds)."""
    import kg.memo

    monkeypatch.setattr(kg.memo, "_between_builds", serve)
    resolved_by = re.compile(r"<https://w3id.org/kg-wiki/vocab#resolvedBy> <([^>]+)>")
    edit(small, "bee.md", lambda t: t.replace("by: 2026-03-01}",
                                              "by: 2026-03-01, resolved: true, "
                                              "resolved_by: Gamma}"))
    rebuild(small)
    assert resolved_by.findall(page(small, "graph.nt")) == ["https://example.org/kg/note/gamma"]
    edit(small, "cee.md", lambda t: t.replace("tags:", "aliases: [Gamma]\ntags:"))
    rebuild(small)
    assert resolved_by.findall(page(small, "graph.nt")) == ["https://example.org/kg/note/cee"]
    edit(small, "cee.md", lambda t: t.replace("aliases: [Gamma]\n", ""))
    edit(small, "far.md", lambda t: t.replace("title: Far note", "title: Gamma"))
    rebuild(small)
    assert resolved_by.findall(page(small, "graph.nt")) == ["https://example.org/kg/note/far"]
    (small.wiki / "far.md").unlink()
    rebuild(small)
    assert resolved_by.findall(page(small, "graph.nt")) == ["https://example.org/kg/note/gamma"]


def test_the_tracker_follows_a_question_s_text_status_and_note(small: Config) -> None:
    edit(small, "alpha.md", lambda t: t.replace("Is the audit trail complete?",
                                                "Is the audit trail complete, really?"))
    rebuild(small)
    assert "complete, really?" in page(small, "questions.html")
    edit(small, "far.md", lambda t: t.replace(
        "---\n## TL;DR", f"answers: [{QUESTION}]\n---\n## TL;DR"))
    rebuild(small)
    assert 'data-status="answered"' in page(small, "questions.html")
    edit(small, "alpha.md", lambda t: t.replace("tier: 1", "tier: 3"))
    rebuild(small)
    assert 'data-tier="3"' in page(small, "questions.html")


def test_the_tracker_s_key_covers_every_field_of_its_records() -> None:
    # the tracker's key lists a tracked question's own fields by hand (status, answered_by;
    # the question itself is its note's): a field added to the records must be added there
    # (or to UNSHOWN), or the tracker would not change when only it does
    from dataclasses import fields

    from kg.incremental import UNSHOWN
    from kg.model import Question, TrackedQuestion

    assert {f.name for f in fields(Question)} - UNSHOWN == {"id", "note", "text", "declared"}
    assert {f.name for f in fields(TrackedQuestion)} == {"question", "status", "answered_by"}


def test_the_trackers_follow_tex_in_their_lines_from_build_to_build(small: Config) -> None:
    """The trackers' keys keep what they read of each question and each note's angles
    between builds of one process (``kg serve``): a question or an angle that comes to hold
    TeX, and loses it, changes the page (KaTeX loaded or not), as a full build makes it."""
    for name in ("questions.html", "angles.html"):
        assert "katex" not in page(small, name)
    edit(small, "cee.md", lambda t: t + "\n## Open questions\n- Is $x^2$ bounded?\n"
                                        "\n## Research angle\n1. **Ledgers**: one more.\n")
    rebuild(small)
    assert "katex" in page(small, "questions.html") and "katex" not in page(small, "angles.html")
    edit(small, "cee.md", lambda t: t.replace("Is $x^2$", "Is x").replace("one more", "$y$"))
    rebuild(small)
    assert "katex" not in page(small, "questions.html") and "katex" in page(small, "angles.html")
