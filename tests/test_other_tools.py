"""Vaults of other note tools, read as they are: the ``id:`` Dendron, Zettlr and many
Obsidian vaults write in front-matter (another name the note answers to), and the dates
they write that are no ISO date (Dendron's epoch milliseconds, a bare year or month); an
Obsidian vault as a Mac writes it, its drawings, files, image sizes, tags and links by path;
a Zettelkasten's notes named by the minute; a Jekyll site's drafts and a Hugo folder's
shortcode links; a Logseq graph's properties, journals and namespaces; Zotero's notes."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from dataclasses import replace
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from conftest import site_tree

from kg.build import build, load_wiki
from kg.check import check
from kg.config import Config, load_config
from kg.errors import ResolveError

ZETTEL = """---
title: Attention is a kernel
id: 0202405011230
tier: 2
---
A zettel.
"""

DENDRON = """---
id: 4x9k2mqhf0w3lz8yd7c1bn5
title: Project Alpha
desc: ''
updated: 1636492098692
created: 1636492098692
---
# Project Alpha
"""

LINKER = """---
title: Linker
date: 2024-05-01
tier: 1
connections:
  - to: "0202405011230"
    rel: extends
    note: "Takes the kernel view further."
---
See [[4x9k2mqhf0w3lz8yd7c1bn5|the project]] and [[0202405011230]].
"""


def kg(*args: str) -> Result:
    from kg.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def page(config: Config, nid: str) -> str:
    return (config.out / "notes" / f"{nid}.html").read_text(encoding="utf-8")


def body_of(config: Config, nid: str) -> str:
    """A note page's body as the reader sees it, without the connections beside it."""
    html = page(config, nid)
    return html[html.index('<div class="body">'):html.index("</article>")]


def wikilinks(html: str) -> dict[str, str]:
    """Each wikilink's text on a page and the page it leads to."""
    return {text: href for href, text in
            re.findall(r'<a class="wikilink(?: ghost)?" href="([^"]*)"[^>]*>([^<]*)</a>',
                       html)}


NOT_ASKED = frozenset({"orphan", "missing-title", "missing-date", "missing-tier", "one-way"})


def findings(config: Config) -> list[tuple[str, str, str, str]]:
    """(code, file:line, severity, message) of each finding of ``kg check`` but those of
    what these notes leave out on purpose (:data:`NOT_ASKED`)."""
    return [(f.code, str(f.where), f.severity.value, f.message)
            for f in check(config).findings if f.code not in NOT_ASKED]


def rebuild(config: Config) -> None:
    """An incremental build into the site, which must equal a full build of the same wiki."""
    build(config)
    full = replace(config, out=config.root / "full")
    shutil.rmtree(full.out, ignore_errors=True)
    build(full, full=True)
    ours, fresh = site_tree(config.out), site_tree(full.out)
    assert sorted(p for p in ours.keys() | fresh.keys() if ours.get(p) != fresh.get(p)) == []


# -- id: in front-matter ----------------------------------------------------------------------


def test_links_and_connections_by_a_front_matter_id_reach_the_note(write_wiki) -> None:
    config = write_wiki({"Attention is a kernel.md": ZETTEL, "project.alpha.md": DENDRON,
                         "linker.md": LINKER})
    build(config)
    links = wikilinks(page(config, "linker"))
    assert links == {"the project": "project-alpha.html",
                     "0202405011230": "attention-is-a-kernel.html"}
    assert not (config.out / "notes" / "0202405011230.html").exists()  # no placeholder
    incoming = page(config, "attention-is-a-kernel")
    assert "Extended by" in incoming and "Takes the kernel view further." in incoming
    # the id is the note's own id still; the front-matter id is one more dcterms:identifier
    graph = (config.out / "graph.nt").read_text(encoding="utf-8")
    note = "<https://example.org/kg/note/attention-is-a-kernel>"
    assert f'{note} <http://purl.org/dc/terms/identifier> "attention-is-a-kernel" .' in graph
    assert f'{note} <http://purl.org/dc/terms/identifier> "0202405011230" .' in graph


def test_kg_connections_finds_a_note_by_its_front_matter_id(write_wiki) -> None:
    config = write_wiki({"Attention is a kernel.md": ZETTEL + "Read on in [[linker]].\n",
                         "linker.md": LINKER})
    for _ in range(2):  # the cache written by the first call answers the second
        result = kg("connections", "0202405011230", "--wiki", str(config.wiki),
                    "--format", "json")
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [(r["direction"], r["relation"], r["note"]) for r in rows] == [
            ("out", "mentions", "linker"), ("in", "extends", "linker"),
            ("in", "mentions", "linker")]  # the note's, not a placeholder's of that name
    write_wiki({"project.alpha.md": DENDRON + "Started from [[0202405011230]].\n"})
    result = kg("connections", "4X9K2MQHF0W3LZ8YD7C1BN5", "--wiki", str(config.wiki),
                "--format", "json")  # in any case, as an alias
    assert [(r["direction"], r["note"]) for r in json.loads(result.stdout)] == [
        ("out", "attention-is-a-kernel"), ("in", "linker")]


def test_a_numeric_id_keeps_its_leading_zeros(write_wiki) -> None:
    config = write_wiki({
        "bond.md": "---\ntitle: Bond\nid: 007\n---\nText.\n",
        "hugo.md": '+++\ntitle = "Hugo"\nid = 202405011230\n+++\nText.\n',
        "reader.md": "---\ntitle: Reader\n---\n[[007]], [[7]] and [[202405011230]].\n",
    })
    build(config)
    links = wikilinks(page(config, "reader"))
    assert links["007"] == "bond.html" and links["202405011230"] == "hugo.html"
    assert links["7"] == "7.html"  # a placeholder: 7 is not 007
    notes = load_wiki(config).notes
    assert (notes["bond"].frontmatter_id, notes["hugo"].frontmatter_id) == ("007", "202405011230")


def test_an_id_two_notes_claim_is_the_ambiguity_error_naming_both(write_wiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\nid: 4x9k2\n---\nText.\n",
        "b.md": "---\ntitle: B\ntags: [x]\nid: 4X9K2\n---\nText.\n",
        "c.md": "---\ntitle: C\naliases: [shared]\n---\nText.\n",
        "d.md": "---\ntitle: D\nID: Shared\n---\nText.\n",  # ID: is id:, as Title: is title:
        "linker.md": "---\ntitle: Linker\n---\nSee [[4x9k2]].\n",
    })
    got = findings(config)
    assert ("duplicate-id-field", "a.md:3", "error",
            "the id '4x9k2' (id: in the front-matter) is claimed by a, b") in got
    assert ("duplicate-id-field", "b.md:4", "error",  # as b writes it
            "the id '4X9K2' (id: in the front-matter) is claimed by a, b") in got
    assert ("duplicate-alias", "c.md:3", "error", "the alias 'shared' is claimed by c, d") in got
    assert ("duplicate-id-field", "d.md:3", "error",
            "the id 'Shared' (id: in the front-matter) is claimed by c, d") in got
    assert ("ambiguous-target", "linker.md:4", "error",
            "'4x9k2' is ambiguous: it names a, b") in got
    with pytest.raises(ResolveError) as info:
        build(config)
    [finding] = info.value.findings
    assert (str(finding.where), finding.message) == ("linker.md:4",
                                                    "'4x9k2' is ambiguous: it names a, b")
    assert not config.out.exists()


def test_an_id_that_is_the_note_s_own_is_nothing_new(write_wiki) -> None:
    config = write_wiki({
        "alpha.md": "---\ntitle: Alpha\ndate: 2024-05-01\ntier: 1\nid: Alpha\n---\n[[beta]]\n",
        "beta.md": "---\ntitle: Beta\ndate: 2024-05-01\ntier: 1\nid: alpha\n---\n[[alpha]]\n",
    })
    assert load_wiki(config).notes["alpha"].frontmatter_id is None
    assert findings(config) == [
        ("id-field-shadowed", "beta.md:5", "warning",
         "the id 'alpha' (id: in the front-matter) is the id of alpha.md, which links by it "
         "reach")]
    build(config)
    assert wikilinks(page(config, "beta")) == {"alpha": "alpha.html"}
    graph = (config.out / "graph.nt").read_text(encoding="utf-8")
    assert graph.count('<http://purl.org/dc/terms/identifier> "alpha" .') == 2  # each its own


@pytest.mark.parametrize(("written", "kind"), [("[a1, b2]", "a list"),
                                               ("{zettel: a1}", "a mapping"),
                                               ("[[a1]]", "a list")])
def test_an_id_that_is_no_single_name_is_a_warning(write_wiki, written: str, kind: str) -> None:
    config = write_wiki({
        "Odd.md": f"---\ntitle: Odd\ndate: 2024-05-01\ntier: 1\nid: {written}\n---\n[[b]]\n",
        "b.md": "---\ntitle: B\ndate: 2024-05-01\ntier: 1\n---\n[[a1]] and [[odd]]\n",
    })
    assert findings(config) == [
        ("bad-id-field", "Odd.md:5", "warning", f"'id' is {kind}, not one name; it is ignored"),
        ("placeholder", "b.md:6", "warning", "link to 'a1', a placeholder: no note yet")]
    result = kg("check", "--wiki", str(config.wiki))
    assert result.exit_code == 0
    assert "Odd.md:5" in result.stdout and "write one id" in result.stdout
    build(config)
    assert wikilinks(page(config, "b"))["odd"] == "odd.html"


def test_an_id_added_and_removed_is_followed_by_the_incremental_build(write_wiki) -> None:
    config = write_wiki({"linker.md": LINKER,
                         "kernel.md": ZETTEL.replace("id: 0202405011230\n", "")})
    build(config)
    assert wikilinks(page(config, "linker"))["0202405011230"] == "0202405011230.html"
    write_wiki({"kernel.md": ZETTEL})
    rebuild(config)
    assert wikilinks(page(config, "linker"))["0202405011230"] == "kernel.html"
    assert not (config.out / "notes" / "0202405011230.html").exists()
    assert "Extended by" in page(config, "kernel")
    write_wiki({"kernel.md": ZETTEL.replace("0202405011230", "0202405011231")})
    rebuild(config)
    assert wikilinks(page(config, "linker"))["0202405011230"] == "0202405011230.html"
    assert "not written yet" in page(config, "0202405011230")


# -- dates ------------------------------------------------------------------------------------


def dates(config: Config) -> dict[str, str | None]:
    """Each note's date as its page says it (the first <time> of the page), by id."""
    out: dict[str, str | None] = {}
    for path in sorted((config.out / "notes").glob("*.html")):
        found = re.search(r'<time datetime="([^"]+)"', path.read_text(encoding="utf-8"))
        out[path.stem] = found.group(1) if found else None
    return out


def test_epoch_seconds_and_milliseconds_are_the_day_in_utc(write_wiki, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: the local day is the next one
    time.tzset()
    try:
        config = write_wiki({
            "project.alpha.md": DENDRON,  # created: 1636492098692, 2021-11-09T21:08:18.692Z
            "late.md": "---\ntitle: Late\ndate: 1636502399\n---\nText.\n",  # 23:59:59 UTC
            "toml.md": '+++\ntitle = "T"\ncreated = 1700000000000\n+++\nText.\n',
        })
        build(config)
        assert dates(config) == {"late": "2021-11-09", "project-alpha": "2021-11-09",
                                 "toml": "2023-11-14"}
        assert not [f for f in findings(config) if "date" in f[0]]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_bare_year_or_month_is_its_first_day_with_a_warning(write_wiki) -> None:
    config = write_wiki({
        "year.md": "---\ntitle: Year\ntier: 1\ndate: 2024\n---\nText.\n",
        "month.md": "---\ntitle: Month\ntier: 1\ncreated: 2024-5\n---\nText.\n",
        "hugo.md": '+++\ntitle = "Hugo"\ntier = 1\ndate = 1998\n+++\nText.\n',
    })
    build(config)
    assert dates(config) == {"hugo": "1998-01-01", "month": "2024-05-01", "year": "2024-01-01"}
    assert findings(config) == [
        ("partial-date", "hugo.md:4", "warning",  # told as TOML writes it
         "'date = 1998' names no day; it is read as 1998-01-01, the first day of that year"),
        ("partial-date", "month.md:4", "warning",
         "'created: 2024-5' names no day; it is read as 2024-05-01, the first day of that "
         "month"),
        ("partial-date", "year.md:4", "warning",
         "'date: 2024' names no day; it is read as 2024-01-01, the first day of that year")]
    result = kg("check", "--wiki", str(config.wiki), "--format", "json")
    row = next(r for r in json.loads(result.stdout) if r["code"] == "partial-date"
               and r["file"] == "year.md")
    assert (row["line"], row["hint"]) == (4, "write the whole date if you know it: "
                                             "date: YYYY-MM-DD")


def test_a_field_s_warning_and_hint_are_in_the_note_s_own_syntax(write_wiki) -> None:
    """A field of TOML front-matter is told as ``key = value``, a Logseq or Dataview
    property as ``key:: value``, in the warning and in what its hint says to write."""
    config = write_wiki({
        "hugo.md": '+++\ntitle = "Hugo"\ntier = 12\ndate = "2024-02-30"\nupdated = 2024\n'
                   "+++\nText.\n",
        "page.md": "title:: Page\ntier:: top\ndate:: soon\n\nText.\n",
    })
    result = kg("check", "--wiki", str(config.wiki), "--format", "json")
    rows = {(r["file"], r["line"]): (r["code"], r["message"], r["hint"])
            for r in json.loads(result.stdout) if r["code"] not in ("orphan",)}
    assert rows["hugo.md", 3][:2] == ("bad-tier", "'tier = 12' is not a tier; it is ignored")
    assert rows["hugo.md", 4] == (
        "bad-date", "'date = 2024-02-30' is no real date: February 2024 has 29 days; it is "
        "ignored", "write a day of the calendar: date = YYYY-MM-DD")
    assert rows["hugo.md", 5][1:] == (
        "'updated = 2024' names no day; it is read as 2024-01-01, the first day of that year",
        "write the whole date if you know it: updated = YYYY-MM-DD")
    assert rows["page.md", 2][:2] == ("bad-tier", "'tier:: top' is not a tier; it is ignored")
    assert rows["page.md", 3] == (
        "bad-date", "'date:: soon' is not a date; it is ignored",
        "write date as YYYY-MM-DD, e.g. date:: 2026-05-04, or as epoch seconds (10 digits) "
        "or milliseconds (13 digits)")


@pytest.mark.parametrize("written", ["202405011230", "2024-13", "0000", "soon", "16364920986",
                                     "1636492098.692", "09990101", "30000101"])
def test_a_number_that_is_no_date_stays_a_warning(write_wiki, written: str) -> None:
    """12 and 14 digits are a Zettelkasten's YYYYMMDDHHMM[SS]: read as epoch time they
    would be a wrong day (1976), so they are no date, as before; nor are 8 digits that are
    no YYYYMMDD of the years 1000 to 2999."""
    config = write_wiki({"a.md": f"---\ntitle: A\ntier: 1\ndate: {written}\n---\nText.\n"})
    build(config)
    assert dates(config) == {"a": None}
    [(code, where, severity, message)] = findings(config)
    assert (code, where, severity) == ("bad-date", "a.md:4", "warning")
    assert message == f"'date: {written}' is not a date; it is ignored"


def test_yyyymmdd_is_that_day_and_epoch_time_stays_epoch_time(write_wiki) -> None:
    """8 digits, a YAML or TOML number or text, are YYYYMMDD; 10 and 13 are still epoch
    seconds and milliseconds (the two never meet: no epoch time of 8 digits is read)."""
    config = write_wiki({
        "int.md": "---\ntitle: Int\ndate: 20240501\n---\nText.\n",
        "text.md": "---\ntitle: Text\ndate: '20240229'\n---\nText.\n",
        "toml.md": '+++\ntitle = "Toml"\ndate = 10000101\n+++\nText.\n',
        "created.md": "---\ntitle: Created\ncreated: 29991231\n---\nText.\n",
        "seconds.md": "---\ntitle: Seconds\ndate: 1714521600\n---\nText.\n",
        "millis.md": "---\ntitle: Millis\ndate: 1714521600000\n---\nText.\n",
    })
    build(config)
    assert dates(config) == {"created": "2999-12-31", "int": "2024-05-01",
                             "millis": "2024-05-01", "seconds": "2024-05-01",
                             "text": "2024-02-29", "toml": "1000-01-01"}
    assert not [f for f in findings(config) if "date" in f[0]]


UNREAL_DATES = {
    "2024-05-01T25:00:00": ("the hour is 25, and hours are 0 to 23",
                            "write a time of the day, or the day alone: date: 2024-05-01"),
    "2024-05-01 10:61": ("the minute is 61, and minutes are 0 to 59",
                         "write a time of the day, or the day alone: date: 2024-05-01"),
    "2024-05-01T10:00:75Z": ("the second is 75, and seconds are 0 to 59",
                             "write a time of the day, or the day alone: date: 2024-05-01"),
    "2024-05-01T10:00+25:00": ("'+25:00' is no offset from UTC (+HH:MM, under 24 hours)",
                               "write a time of the day, or the day alone: date: 2024-05-01"),
    "2024-02-30": ("February 2024 has 29 days", "write a day of the calendar: date: YYYY-MM-DD"),
    "2023-2-29": ("February 2023 has 28 days", "write a day of the calendar: date: YYYY-MM-DD"),
    "2024-13-01": ("the month is 13, and months are 1 to 12",
                   "write a day of the calendar: date: YYYY-MM-DD"),
    "20240230": ("as YYYYMMDD, February 2024 has 29 days",
                 "write a day of the calendar: date: YYYY-MM-DD"),
}


@pytest.mark.parametrize("written", list(UNREAL_DATES))
def test_a_date_the_calendar_or_clock_lacks_is_a_warning_saying_why(write_wiki,
                                                                     written: str) -> None:
    """``2024-05-01T25:00:00`` had been read as its day without a word; a day or time out of
    range is a ``bad-date`` at its file and line that says which part and what to write."""
    config = write_wiki({"a.md": f"---\ntitle: A\ntier: 1\ndate: {written}\n---\nText.\n"})
    build(config)
    assert dates(config) == {"a": None}
    why, hint = UNREAL_DATES[written]
    [finding] = [f for f in check(config).findings if f.code not in NOT_ASKED]
    assert (finding.code, str(finding.where), finding.severity.value) == (
        "bad-date", "a.md:4", "warning")
    assert finding.message == f"'date: {written}' is no real date: {why}; it is ignored"
    assert finding.hint == hint
    result = kg("check", "--wiki", str(config.wiki), "--format", "json")
    [row] = [r for r in json.loads(result.stdout) if r["code"] == "bad-date"]
    assert (row["file"], row["line"], row["hint"]) == ("a.md", 4, hint)


def test_a_forecast_date_the_calendar_lacks_says_why(write_wiki) -> None:
    config = write_wiki({"a.md": "---\ntitle: A\nforecasts:\n"
                                 "  - {claim: C, p: 0.5, by: 2027-02-29}\n---\nText.\n"})
    result = kg("build", "--wiki", str(config.wiki), "--out", str(config.out))
    assert result.exit_code == 1
    assert ("a.md:4: error: forecast date '2027-02-29' is not a date: February 2027 has 28 "
            "days") in result.stderr


def test_a_date_that_is_no_date_gives_way_to_created(write_wiki) -> None:
    config = write_wiki({
        "a.md": "---\ntitle: A\ntier: 1\ndate: someday\ncreated: 1636492098692\n---\nText.\n",
        "2024-05-01.md": "---\ntitle: Daily\ntier: 1\ndate:\n---\nText.\n",
    })
    build(config)
    assert dates(config) == {"2024-05-01": "2024-05-01", "a": "2021-11-09"}
    assert [(f[0], f[1]) for f in findings(config)] == [("bad-date", "a.md:4")]


def jsonld(config: Config, nid: str) -> dict[str, object]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page(config, nid),
                      re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_dendron_updated_is_the_day_the_note_was_modified(write_wiki) -> None:
    """Dendron writes ``created:`` and ``updated:`` (epoch milliseconds): the first is the
    note's date, the second the day it was last changed: "Updated" on its page,
    ``dateModified`` in its JSON-LD and ``dcterms:modified`` / ``schema:dateModified`` in the
    graph. It is never the note's date: a note with ``updated:`` alone has none."""
    config = write_wiki({
        "project.alpha.md": DENDRON.replace("updated: 1636492098692",
                                            "updated: 1700000000000"),  # 2023-11-14
        "same.md": DENDRON.replace("Project Alpha", "Same").replace("4x9k", "5x9k"),
        "alone.md": "---\ntitle: Alone\ntier: 1\nupdated: 2024-05-01\n---\nText.\n",
        "bad.md": "---\ntitle: Bad\ntier: 1\ndate: 2024-05-01\nupdated: soon\n---\nText.\n",
    })
    build(config)
    assert load_wiki(config).notes["alone"].date is None
    assert dates(config) == {"alone": "2024-05-01", "bad": "2024-05-01",  # alone: Updated
                             "project-alpha": "2021-11-09", "same": "2021-11-09"}
    html = page(config, "project-alpha")
    assert '<dt>Updated</dt><dd><time datetime="2023-11-14"' in html
    assert "<dt>Updated</dt>" not in page(config, "same")  # the day of its date: said once
    alone = page(config, "alone")
    assert '<dt>Updated</dt><dd><time datetime="2024-05-01"' in alone and "<dt>Date" not in alone
    data = jsonld(config, "project-alpha")
    assert (data["datePublished"], data["dateModified"]) == ("2021-11-09", "2023-11-14")
    assert "datePublished" not in jsonld(config, "alone")
    graph = (config.out / "graph.nt").read_text(encoding="utf-8")
    day = '"2023-11-14"^^<http://www.w3.org/2001/XMLSchema#date>'
    note = "<https://example.org/kg/note/project-alpha>"
    assert f"{note} <http://purl.org/dc/terms/modified> {day} ." in graph
    assert f"{note} <https://schema.org/dateModified> {day} ." in graph
    assert [(f[0], f[1], f[3]) for f in findings(config) if "date" in f[0]] == [
        ("bad-date", "bad.md:5", "'updated: soon' is not a date; it is ignored")]
    write_wiki({"project.alpha.md": DENDRON.replace("updated: 1636492098692",
                                                    "updated: 1710000000000")})
    rebuild(config)
    assert '<dt>Updated</dt><dd><time datetime="2024-03-09"' in page(config, "project-alpha")


DENDRON_LINKS = """---
id: 7x9k2mqhf0w3lz8yd7c1bn5
title: Links
desc: ''
updated: 1636492098692
created: 1636492098692
---
See [[the project|project.alpha]], [[its first part|project.alpha#header-one]],
[[project.alpha]] and [[in another vault|dendron://notes/project.alpha]]; code keeps
`[[a|b]]` as written.

| note | |
|---|---|
| [[alpha in a table\\|project.alpha]] | 1 |
"""


def test_a_dendron_vault_s_links_put_the_label_first(write_wiki, tmp_path) -> None:
    """Dendron writes ``[[label|target]]``, Obsidian ``[[target|label]]``: in a Dendron
    workspace (a ``dendron.yml`` beside or in the wiki) a link leads to its target and
    shows its label, with a heading's anchor, a cross-vault ``dendron://vault/`` name and a
    table's escaped pipe; read the other way, every labelled link was a placeholder named
    by its label ("the project") and showed the note's name."""
    (tmp_path / "dendron.yml").write_text("version: 5\n", encoding="utf-8")
    config = write_wiki({"project.alpha.md": DENDRON + "\n## Header One\n\nText.\n",
                         "dendron.topic.links.md": DENDRON_LINKS})
    assert config.label_first
    build(config)
    assert wikilinks(body_of(config, "dendron-topic-links")) == {
        "the project": "project-alpha.html",
        "its first part": "project-alpha.html#h-header-one",
        "project.alpha": "project-alpha.html",
        "in another vault": "project-alpha.html",
        "alpha in a table": "project-alpha.html"}
    assert "<code>[[a|b]]</code>" in body_of(config, "dendron-topic-links")
    wiki = load_wiki(config)
    assert not wiki.placeholders
    assert {m.target for m in wiki.notes["dendron-topic-links"].mentions} == {"project.alpha"}
    assert [f for f in findings(config) if f[0] in ("placeholder", "broken-heading")] == []
    # kg.toml says otherwise: Obsidian's way, built incrementally as a full build is
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\nwikilinks = "obsidian"\n',
                                      encoding="utf-8")
    obsidian = load_config(tmp_path).with_options(wiki=config.wiki, out=config.out)
    assert not obsidian.label_first
    rebuild(obsidian)
    shown = wikilinks(body_of(obsidian, "dendron-topic-links"))
    assert "the project" not in shown and shown["project.alpha#header-one"] == "its-first-part.html"
    (tmp_path / "dendron.yml").unlink()
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\nwikilinks = "dendron"\n',
                                      encoding="utf-8")
    dendron = load_config(tmp_path).with_options(wiki=config.wiki, out=config.out)
    rebuild(dendron)
    shown = wikilinks(body_of(dendron, "dendron-topic-links"))
    assert shown["the project"] == "project-alpha.html"


def test_dates_of_other_tools_build_the_same_incrementally(write_wiki) -> None:
    config = write_wiki({"project.alpha.md": DENDRON, "linker.md": LINKER,
                         "year.md": "---\ntitle: Year\ndate: 2024\n---\n[[project.alpha]]\n"})
    build(config)
    write_wiki({"project.alpha.md": DENDRON.replace("created: 1636492098692",
                                                    "created: 1700000000000")})
    rebuild(config)
    assert dates(config)["project-alpha"] == "2023-11-14"


# -- an Obsidian vault as a Mac writes it ------------------------------------------------------


def test_a_link_typed_composed_reaches_a_file_named_decomposed(write_wiki) -> None:
    """macOS names files in NFD (``Cafe`` and a combining accent); a link typed in a note is
    NFC. They are one name, as the Mac's file system and Obsidian take them."""
    nfd = unicodedata.normalize("NFD", "Café")
    image = unicodedata.normalize("NFD", "Résumé.png")
    folder = unicodedata.normalize("NFD", "Photos de vacances")
    config = write_wiki({f"{nfd}.md": "A café, its name its title.\n",
                         f"img/{image}": b"\x89PNG\r\n\x1a\n",
                         f"{folder}/Été.png": b"\x89PNG\r\n\x1a\n",
                         "home.md": "---\ntitle: Home\n---\nSee [[Café]], [[café|the café]] "
                                    "and ![[Résumé.png]], ![[Photos de vacances/Été.png]], "
                                    "![x](img/Résumé.png).\n"})
    build(config)
    html = page(config, "home")
    assert wikilinks(html) == {"Café": "cafe.html", "the café": "cafe.html"}
    assert re.findall(r'<img src="([^"]+)"', html) == [
        f"../files/img/{quote(image)}", quote(f"../files/{folder}/Été.png"),
        f"../files/img/{quote(image)}"]
    assert sorted(p.name for p in (config.out / "notes").iterdir()) == ["cafe.html",
                                                                         "home.html"]
    assert findings(config) == []



def test_an_alias_written_in_both_unicode_forms_is_one_alias_to_kg_check(write_wiki) -> None:
    """Links read ``Résumé`` composed and decomposed as one name, so a link by it is
    ambiguous when two notes claim it in either form: kg check says so of the aliases
    themselves (duplicate-alias), as of two written alike, and of two titles so written."""
    nfd = unicodedata.normalize("NFD", "Résumé")
    config = write_wiki({
        "a.md": "---\ntitle: Vita\naliases: [Résumé]\n---\nA.\n",
        "b.md": f"---\ntitle: Other\naliases: [{nfd}]\n---\nB.\n",
        "c.md": f"---\ntitle: Menu {nfd}\n---\nC.\n",
        "d.md": "---\ntitle: Menu Résumé\n---\nD.\n"})
    assert sorted((f[0], f[1]) for f in findings(config)) == [
        ("duplicate-alias", "a.md:3"), ("duplicate-alias", "b.md:3"),
        ("duplicate-title", "c.md:2"), ("duplicate-title", "d.md:2")]


def test_drawings_and_canvases_are_files_shown_by_their_names(write_wiki) -> None:
    """Obsidian links an Excalidraw drawing, ``Drawing.excalidraw.md`` (never read as a
    note), as ``![[Drawing.excalidraw]]``, and embeds a canvas as ``![[Board.canvas]]``:
    files the site cannot show, kept on the page as written, said by kg check to be
    unpublished, and no placeholders to write with kg new."""
    config = write_wiki({
        "Drawing.excalidraw.md": "---\nexcalidraw-plugin: parsed\n---\n# Text Elements\n",
        "Board.canvas": '{"nodes": [], "edges": []}',
        "home.md": "---\ntitle: Home\n---\nSee ![[Drawing.excalidraw]] and\n"
                   "[[Drawing.excalidraw.md|the drawing]], ![[Board.canvas]].\n"})
    build(config)
    html = page(config, "home")
    body = html[html.index('<div class="body">'):html.index("</article>")]
    assert ("See ![[Drawing.excalidraw]] and\n[[Drawing.excalidraw.md|the drawing]], "
            "![[Board.canvas]]." in body)
    assert wikilinks(html) == {}
    assert sorted(p.name for p in (config.out / "notes").iterdir()) == ["home.html"]
    assert findings(config) == [
        ("unpublished-attachment", "home.md:4", "warning",
         "'Drawing.excalidraw' is not published with the site: a browser does not show a "
         ".excalidraw"),
        ("unpublished-attachment", "home.md:5", "warning",
         "'Board.canvas' is not published with the site: a browser does not show a .canvas"),
        ("unpublished-attachment", "home.md:5", "warning",
         "'Drawing.excalidraw.md' is not published with the site: a browser does not show a "
         ".excalidraw")]


def test_a_markdown_image_s_size_is_its_width_not_its_words(write_wiki) -> None:
    """Obsidian sizes a Markdown image as it does an embed: ``![plot|300](x.png)``,
    ``|300x200``; a ``|`` that is no size stays text."""
    config = write_wiki({
        "img/a b.png": b"\x89PNG\r\n\x1a\n",
        "home.md": "---\ntitle: Home\n---\n![plot|300](<img/a b.png>) "
                   "![web | 100x50](https://example.org/w.png) ![a|b](img/a%20b.png)\n\n"
                   "| x |\n|---|\n| ![cell\\|64](img/a%20b.png) |\n"})
    build(config)
    assert re.findall(r"<img [^>]*>", page(config, "home")) == [
        '<img src="../files/img/a%20b.png" alt="plot" width="300" />',
        '<img src="https://example.org/w.png" alt="web" width="100" height="50" />',
        '<img src="../files/img/a%20b.png" alt="a|b" />',
        '<img src="../files/img/a%20b.png" alt="cell" width="64" />']


def test_a_line_of_hashed_words_is_one_tag_each(write_wiki) -> None:
    """Obsidian reads ``tags: "#moc #index"`` (a line of ``#words``, quoted so that YAML
    keeps it) as two tags, and ``tags: ml nlp`` as two, as Jekyll does, and its
    ``categories: ml research`` (Hugo's and Jekyll's categories are tags); in a line of
    commas, words without ``#`` are one tag of words, as before, and Pandoc's ``keywords:``
    are phrases, split at commas alone."""
    config = write_wiki({
        "home.md": '---\ntitle: Home\ntags: "#moc #Index"\nkeywords: "#a, #b c"\n---\nText.\n',
        "paper.md": "---\ntitle: Paper\nkeywords: deep learning\n---\nText.\n",
        "other.md": '---\ntitle: Other\ntags: deep rl, "#solo"\n---\nText.\n',
        "post.md": "---\ntitle: Post\ntags: ml  nlp\ncategories: research ml\n"
                   "category: Deep Learning\n---\nText.\n",
        "hugo.md": '+++\ntitle = "Hugo"\ncategories = ["machine learning"]\n'
                   'tags = \'"deep rl"\'\n+++\nText.\n'})
    build(config)

    def tags(nid: str) -> list[tuple[str, str]]:
        return re.findall(r'<a class="tag" href="\.\./tags/([^"]+)">([^<]*)</a>',
                          page(config, nid))

    assert tags("home") == [("moc.html", "#moc"), ("index-4351a0.html", "#index"),
                            ("a.html", "#a"), ("b-c.html", "#b-c")]
    assert tags("other") == [("deep-rl.html", "#deep-rl"), ("solo.html", "#solo")]
    assert tags("post") == [("ml.html", "#ml"), ("nlp.html", "#nlp"),  # Jekyll's one
                            ("research.html", "#research"),  # category: is not split
                            ("deep-learning.html", "#deep-learning")]
    assert tags("paper") == [("deep-learning.html", "#deep-learning")]  # Pandoc's phrase
    assert tags("hugo") == [("deep-rl.html", "#deep-rl"),
                            ("machine-learning.html", "#machine-learning")]


# -- a Zettelkasten: notes named by the minute they were made ----------------------------------


def test_a_zettel_answers_to_the_id_its_name_starts_with(write_wiki) -> None:
    """The Archive, Zettlr and Foam name a note ``202405011230 Title.md`` and link it as
    ``[[202405011230]]``: that id is one more name of the note, and its day the note's date
    when the note gives none."""
    config = write_wiki({
        "202405011230 Attention kernels.md": "# Attention kernels\nA kernel smoother.\n",
        "20240502093000_Linear attention.md": "# Linear attention\nAfter [[202405011230]].\n",
        "202405011230 Same minute.md": "# Same minute\nNot linked by its id.\n",
        "hub/Index.md": "---\ntitle: Index\ndate: 2024-06-01\n---\n[[20240502093000]]\n",
    })
    with pytest.raises(ResolveError, match="'202405011230' is ambiguous"):
        build(config)  # two notes of one minute: a link by their id names both
    write_wiki({"202405011230 Same minute.md": "# Same minute\nA minute later, after all.\n"})
    (config.wiki / "202405011230 Same minute.md").rename(
        config.wiki / "202405011231 Same minute.md")
    build(config)
    assert wikilinks(page(config, "20240502093000-linear-attention")) == {
        "202405011230": "202405011230-attention-kernels.html"}
    assert wikilinks(page(config, "index")) == {
        "20240502093000": "20240502093000-linear-attention.html"}
    assert dates(config) == {"202405011230-attention-kernels": "2024-05-01",
                             "202405011231-same-minute": "2024-05-01",
                             "20240502093000-linear-attention": "2024-05-02",
                             "index": "2024-06-01"}
    assert findings(config) == []


def test_notes_of_one_minute_are_no_check_error_until_a_link_names_both(write_wiki) -> None:
    config = write_wiki({"202405011230 A.md": "# A\nText.\n", "202405011230 B.md": "# B\n",
                         "202405011230.md": "# The minute's own\n[[202405011230 A]]\n"})
    assert findings(config) == []
    write_wiki({"202405011230.md": "# The minute's own\n[[202405011230 A]]\n"
                                   "[[202405011230]] is this note: its id.\n"})
    assert findings(config) == []


def test_kg_in_a_vault_says_to_name_the_vault_not_to_init_a_wiki(tmp_path, monkeypatch) -> None:
    """Run in an Obsidian vault (no kg.toml, no wiki/ folder), kg says the folder holds
    notes and how to build it, rather than to make a wiki inside it with kg init."""
    vault = tmp_path / "My Vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Daily").mkdir()
    (vault / "Daily" / "2024-05-01.md").write_text("Met [[Alice]].\n", encoding="utf-8")
    monkeypatch.chdir(vault)
    result = kg("build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"  hint: {vault} holds notes already: pass --wiki . (the site is written beside it, "
        "or where --out says), or set wiki in kg.toml")
    assert kg("build", "--wiki", ".").exit_code == 0
    assert (tmp_path / "site" / "notes" / "2024-05-01.html").is_file()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    assert kg("check").stderr.splitlines()[-1] == "  hint: run `kg init`, or pass --wiki DIR"


# -- a Jekyll site's folder ----------------------------------------------------------------------


def test_a_jekyll_site_s_drafts_are_drafts_and_its_built_site_no_notes(write_wiki) -> None:
    """Jekyll keeps unpublished posts in ``_drafts/`` and builds into ``_site/``, where it
    copies a Markdown file without front-matter as it is: a second README."""
    config = write_wiki({
        "_config.yml": "title: My blog\n",
        "_posts/2024-05-01-hello.md": "---\nlayout: post\ntitle: Hello\n---\nSee [[wip]].\n",
        "_drafts/wip.md": "---\nlayout: post\ntitle: WIP\n---\nUnfinished.\n",
        "README.md": "# My blog\n",
        "_site/README.md": "# My blog\n",
    })
    build(config)
    assert sorted(p.name for p in (config.out / "notes").iterdir()) == [
        "2024-05-01-hello.html", "readme.html", "wip.html"]  # wip: the draft's placeholder
    assert "Unfinished" not in page(config, "wip")
    assert [(f[0], f[1]) for f in findings(config)] == [
        ("placeholder", "_posts/2024-05-01-hello.md:5")]
    [draft] = [f for f in check(config).findings if f.code == "placeholder"]
    assert "a draft (_drafts/wip.md is kept out of the site)" in draft.message
    assert draft.hint == "publish it (move it out of _drafts/), or link another note"


# -- a Logseq graph ------------------------------------------------------------------------------


def test_a_logseq_graph_s_titles_aliases_and_block_ids(write_wiki) -> None:
    """A Logseq page's ``title::`` (a namespaced page, ``ai/agents``, is the file
    ``ai___agents.md``), ``alias::`` and ``tags::`` are read, so links by them lead to the
    page; a block's ``id::`` line is its anchor, not its text."""
    config = write_wiki({
        "pages/ai___agents.md": "title:: ai/agents\nalias:: Agents, [[AI agents]]\n"
                                "tags:: [[deep learning]], research\n\n"
                                "- Agents act.\n  - A step\n    id:: 6634a1b2-1c2d\n"
                                "    collapsed:: true\n    - a child\n",
        "journals/2024_05_01.md": "- Read [[ai/agents]], [[Agents]] and [[AI agents]].\n",
    })
    build(config)
    html = page(config, "ai-agents")
    assert "<h1>ai/agents</h1>" in html and "::" not in html.split('<div class="body">')[1]
    assert '<li id="block-6634a1b2-1c2d">A step\n<ul>\n<li>a child</li>' in html
    assert re.findall(r'<a class="tag" href="\.\./tags/([^"]+)"', html) == [
        "deep-learning.html", "research.html"]
    assert wikilinks(page(config, "2024-05-01")) == {
        "ai/agents": "ai-agents.html", "Agents": "ai-agents.html", "AI agents": "ai-agents.html"}
    assert findings(config) == []


def test_a_logseq_graph_s_own_folder_and_its_copies_of_pages_are_no_notes(write_wiki) -> None:
    """Logseq keeps its settings and copies of its pages in the graph's ``logseq/``
    (``bak/``, ``version-files/``): read as notes, every copied page's name was ambiguous
    and the graph did not build. A folder called logseq with no ``config.edn`` is notes."""
    from kg.cache import load_wiki_cached

    page_text = "title:: Foo\n\n- hello [[Bar]]\n"
    config = write_wiki({
        "pages/Foo.md": page_text, "pages/Bar.md": "- bar\n",
        "logseq/bak/pages/Foo/2024_05_01T10_00_00.000Z.Desktop.md": page_text,
        "logseq/version-files/base/pages/Foo.md": page_text,
        "logseq/config.edn": "{:meta/version 1}\n",
        "journals/2024_05_01.md": "- about [[Foo]]\n",
    })
    build(config)
    assert sorted(load_wiki(config).notes) == ["2024-05-01", "bar", "foo"]
    assert wikilinks(page(config, "2024-05-01")) == {"Foo": "foo.html"}
    assert [f for f in findings(config) if f[2] == "error"] == []
    assert sorted(load_wiki_cached(config).notes) == ["2024-05-01", "bar", "foo"]  # queries
    (config.wiki / "logseq" / "config.edn").unlink()  # seen by the cache the queries read
    with pytest.raises(ResolveError, match="'Foo' is ambiguous: it names logseq-version"):
        load_wiki_cached(config)


def test_a_link_to_a_logseq_block_by_its_id_line_is_no_broken_block(write_wiki) -> None:
    """``[[page#^id]]`` leads to the block whose last line is Logseq's ``id:: id`` (its
    anchor on the page), so kg check finds that block; a block named by no ``id::`` line,
    or by one that is a paragraph of its own, is still said to be missing."""
    config = write_wiki({
        "b.md": "---\ntitle: B\n---\n- item one\n  id:: 65f0-11\n- two\n"
                "  collapsed:: true\n  id:: 77aa\n\n# Head\nid:: lone\n",
        "a.md": "---\ntitle: A\n---\nSee [[b#^65f0-11]], [[b#^77aa]], [[b#^lone]] and "
                "[[b#^zz]].\n",
    })
    build(config)
    html = page(config, "b")
    assert 'id="block-65f0-11"' in html and 'id="block-77aa"' in html
    assert 'id="block-lone"' not in html
    assert [f[3].split(" that ")[0] for f in findings(config)] == [
        "link to a block '^lone'", "link to a block '^zz'"]


def test_a_logseq_block_s_property_lines_are_in_no_summary_or_context(write_wiki) -> None:
    """The ``id::`` and ``collapsed::`` lines under a block, not shown on its page, are no
    words of it elsewhere either: not in the note's summary (lists, search, description)
    nor in the sentence a mention is shown with."""
    config = write_wiki({
        "pages/a.md": "- Agents act in loops [[b]].\n  id:: 6634a1b2-1c2d\n"
                      "  collapsed:: true\n- Second.\n",
        "pages/b.md": "- B page.\n"})
    build(config)
    site = "\n".join(p.read_text(encoding="utf-8") for p in config.out.rglob("*")
                     if p.suffix in (".html", ".js", ".json"))
    assert "Agents act in loops b." in site
    assert "6634a1b2-1c2d" not in site.replace('id="block-6634a1b2-1c2d"', "")
    assert "collapsed::" not in site


def test_a_property_kg_does_not_use_is_a_warning_naming_its_line(write_wiki) -> None:
    """A note that opens ``Note:: read this twice`` reads it as a page property (Logseq's,
    Dataview's): kept off the page as a field of front-matter kg does not use is, but said
    by kg check at its line, with how to keep it as text (``Note\\::``, shown as written).
    Logseq's own settings (``collapsed::``, ``public::``), the fields kg reads and a
    property that holds a ``[[link]]`` (a mention) are no warning: a Logseq graph checks
    clean."""
    config = write_wiki({
        "plain.md": "Note:: read this twice\nSummary:: attention is a kernel\n\n"
                    "The body.\n",
        "escaped.md": "Note\\:: read this twice\n\nThe body.\n",
        "pages/logseq.md": "title:: Logseq page\ncollapsed:: true\npublic:: true\n"
                           "Tags:: research\nup:: [[plain]]\n\n- A block.\n",
    })
    build(config)
    assert "read this twice" not in body_of(config, "plain")
    assert "Note:: read this twice" in body_of(config, "escaped")
    assert "::" not in body_of(config, "logseq")
    assert findings(config) == [
        ("unknown-property", "plain.md:1", "warning",
         "'Note:: read this twice' opens the note, so it is read as a page property "
         "(Logseq's, Dataview's) that kg does not use: the line is not on the page"),
        ("unknown-property", "plain.md:2", "warning",
         "'Summary:: attention is a kernel' opens the note, so it is read as a page "
         "property (Logseq's, Dataview's) that kg does not use: the line is not on the page"),
    ]
    hints = [f.hint for f in check(config).findings if f.code == "unknown-property"]
    assert hints[0].startswith("to show it as text, write 'Note\\:: …'")
    quiet = replace(config, ignore=("unknown-property",))
    assert [f for f in check(quiet).findings if f.code == "unknown-property"] == []


def test_a_build_lists_twenty_warnings_and_counts_the_rest(write_wiki) -> None:
    """A vault of Dataview fields (a warning a line) does not fill the terminal on every
    build: ``kg build`` lists the first twenty warnings and counts the rest by code, saying
    where they all are; ``kg check`` still lists every one."""
    config = write_wiki({f"p{i:02}.md": f"status:: reading\nrating:: {i}\n\n# P{i}\n\nText.\n"
                         for i in range(15)})
    built = kg("build", "--wiki", str(config.wiki), "--out", str(config.out))
    lines = [line.strip() for line in built.stderr.splitlines() if line.startswith("  ")]
    assert len(lines) == 21 and all("warning: '" in line for line in lines[:20])
    assert lines[20] == ("… and 10 more warnings (unknown-property 10): `kg check` lists them "
                         "all; a code in kg.toml's ignore = [...] is not said")
    checked = kg("check", "--wiki", str(config.wiki), "--format", "json")
    assert checked.stdout.count('"unknown-property"') == 30


# -- a reference manager's export ----------------------------------------------------------------


def test_authors_written_last_name_first_are_told_apart(write_wiki) -> None:
    """Zotero and BibTeX write a name ``Smith, John``: a list of two such is shown with
    semicolons between them, not as four names."""
    config = write_wiki({
        "refs/@smith2020.md": '---\ntitle: "Smith 2020"\nauthors: ["Smith, John", '
                              '"Doe, Jane"]\n---\nText.\n',
        "b.md": "---\ntitle: B\nauthors: [Jane Doe, John Smith]\n---\nText.\n"})
    build(config)
    assert "<dt>Authors</dt><dd>Smith, John; Doe, Jane</dd>" in page(config, "smith2020")
    assert "<dt>Authors</dt><dd>Jane Doe, John Smith</dd>" in page(config, "b")


def test_a_logseq_journal_is_titled_and_linked_as_logseq_names_it(write_wiki) -> None:
    """Logseq names a journal ``journals/2024_05_01.md`` and links it by the day as it
    shows it, ``[[May 1st, 2024]]``."""
    days = {"2024_05_01": "May 1st, 2024", "2024_05_22": "May 22nd, 2024",
            "2024_05_13": "May 13th, 2024", "2023_12_03": "Dec 3rd, 2023"}
    config = write_wiki({
        **{f"journals/{day}.md": "- A day.\n" for day in days},
        "pages/Plan.md": "- Since [[May 1st, 2024]], [[may 22nd, 2024]] and [[2023_12_03]].\n",
        "notes/2024_05_01.md": "Not a journal of Logseq's.\n"})
    build(config)
    ids = {day: day.replace("_", "-") for day in days} | {"2024_05_01": "journals-2024-05-01"}
    for day, title in days.items():  # one name in two folders: ids of their paths
        assert f"<h1>{title}</h1>" in page(config, ids[day])
    assert "<h1>2024_05_01</h1>" in page(config, "notes-2024-05-01")
    assert wikilinks(page(config, "plan")) == {
        "May 1st, 2024": "journals-2024-05-01.html", "may 22nd, 2024": "2024-05-22.html",
        "2023_12_03": "2023-12-03.html"}
    assert dates(config)["2024-05-13"] == "2024-05-13"


def test_a_markdown_link_by_its_path_in_the_vault_reaches_the_note(write_wiki) -> None:
    """Obsidian's "absolute path in vault" links, ``[Plan](Areas/Projects/Plan.md)`` from
    ``Daily/today.md``: a path from the note's folder first, else from the vault's root, as
    an image's is; the next build follows a note written where the path leads. A path
    that starts with ``/`` is from the root, as GitHub reads it."""
    config = write_wiki({
        "Areas/Projects/Plan.md": "# Plan\n## Top\n",
        "Home.md": "# Home\n",
        "Daily/today.md": "[Plan](Areas/Projects/Plan.md#Top), [home](Home.md), "
                          "[near](near.md), [root](/Areas/Projects/Plan.md).\n",
        "Daily/near.md": "# Near\n"})
    build(config)

    def links() -> list[str]:
        html = page(config, "today")
        return re.findall(r'<a href="([^"]+)">', html[html.index('<div class="body">'):])[:4]

    assert links() == ["plan.html#h-top", "home.html", "near.html", "plan.html"]
    assert findings(config) == []
    write_wiki({"Daily/Home.md": "# Daily home\n"})  # now the path from the folder is a note
    rebuild(config)
    assert links() == ["plan.html#h-top", "daily-home.html", "near.html", "plan.html"]
    # the page's trace holds the names read both ways, so either way's change renders it
    from kg.depends import lookup_names
    assert {"k:daily/areas/projects/plan", "k:areas/projects/plan"} <= set(
        lookup_names("Daily/Areas/Projects/Plan", "Daily"))



def test_a_wikilink_by_a_path_that_is_not_there_is_no_note_of_that_name_elsewhere(
        write_wiki) -> None:
    """Only a Markdown link's path is looked up from the wiki's root when the note's folder
    holds none: ``[[Projects/Plan]]`` (and ``[[./Plan]]``, a connection to
    ``Projects/Plan``) written in ``Projects/`` is that path, a note not written yet, not
    ``Areas/Plan.md``; ``[p](Plan.md)`` there is the Plan the vault has."""
    config = write_wiki({
        "Areas/Plan.md": "# Area plan\n",
        "Projects/home.md": "---\ntitle: Home\nconnections: [Projects/Plan]\n---\n"
                            "See [[Projects/Plan]], [[./Plan#Goals]] and [p](Plan.md).\n"})
    build(config)
    html = page(config, "home")
    assert wikilinks(html) == {"Projects/Plan": "projects-plan.html",
                               "./Plan › Goals": "projects-plan.html#h-goals"}
    assert '<a href="plan.html">p</a>' in html
    assert {(f[0], f[1]) for f in findings(config)} == {
        ("placeholder", "Projects/home.md:3"), ("placeholder", "Projects/home.md:5")}
    write_wiki({"Projects/Plan.md": "# Project plan\n"})
    rebuild(config)
    assert set(wikilinks(page(config, "home")).values()) == {
        "projects-plan.html", "projects-plan.html#h-goals"}


def test_links_into_zotero_or_obsidian_are_their_text(write_wiki) -> None:
    """Zotero's notes of a paper link each annotation back into Zotero (``zotero://``), and
    vaults link into Obsidian (``obsidian://``): no page may lead there, so each is its
    text, where it was shown as written; a link of a scheme never allowed still is."""
    config = write_wiki({"refs/@smith2020.md": (
        '---\ntitle: "Smith 2020"\n---\n## Annotations\n'
        '- "highlighted" ([Smith 2020, p. 3](zotero://open-pdf/library/items/AB12?page=3))\n'
        "- [Open in Zotero](zotero://select/library/items/AB12) "
        "![cover](zotero://attachment/x.png) <obsidian://open?vault=v&file=a>\n"
        "- [bad](javascript:alert(1)) and [[a]]\n")})
    build(config)
    body = body_of(config, "smith2020")
    assert not re.search(r'(href|src)="(zotero|obsidian)', body)
    assert "<li>&quot;highlighted&quot; (Smith 2020, p. 3)</li>" in body
    assert "<li>Open in Zotero cover obsidian://open?vault=v&amp;file=a</li>" in body
    assert "<li>[bad](javascript:alert(1)) and" in body


def test_a_logseq_namespace_page_is_titled_by_its_file_name_as_logseq_reads_it(
        write_wiki) -> None:
    """Logseq names a page ``ai/agents`` ``pages/ai___agents.md`` (``ai%2Fagents.md``
    before 2022), without a title:: property: that is its title, which links name it by."""
    config = write_wiki({
        "pages/ai___agents.md": "- Agents.\n",
        "pages/ai%2Ftools.md": "- Tools, of [[ai/agents]].\n",
        "pages/bad%1Bname.md": "- Escaped, not decoded into a control character.\n",
        "pages/bad%FFname.md": "- Not UTF-8 once decoded.\n",
        "notes/a___b.md": "Not a page of Logseq's: [[ai/tools]].\n"})
    build(config)
    titles = {nid: re.findall(r"<h1>([^<]*)</h1>", page(config, nid))[0]
              for nid in ("ai-agents", "ai-2ftools", "bad-1bname", "bad-ffname", "a-b")}
    assert titles == {"ai-agents": "ai/agents", "ai-2ftools": "ai/tools",
                      "bad-1bname": "bad%1Bname", "bad-ffname": "bad%FFname", "a-b": "a___b"}
    assert wikilinks(page(config, "ai-2ftools")) == {"ai/agents": "ai-agents.html"}
    assert wikilinks(page(config, "a-b")) == {"ai/tools": "ai-2ftools.html"}


# -- a Hugo content folder -----------------------------------------------------------------------


def test_hugo_s_and_jekyll_s_link_shortcodes_lead_to_the_notes(write_wiki) -> None:
    """Hugo links a page as ``[x]({{< ref "docs/page.md" >}})`` (``relref``, ``.md``
    optional, ``/`` from the content root), Jekyll as ``[x]({% link _posts/a.md %})`` or
    ``[x]({% post_url 2024-05-01-a %})``: links to the notes, mentions in the graph, where
    the page showed the shortcode as written."""
    config = write_wiki({
        "docs/page.md": "---\ntitle: A page\n---\n## Body\nText.\n",
        "posts/2024-05-01-a.md": "---\ntitle: A\n---\nText.\n",
        "posts/third.md": '---\ntitle: Third\n---\nSee [the page]({{< ref "docs/page.md" >}}), '
                          '[rel]({{< relref "2024-05-01-a" >}}), [root]({{% ref '
                          '"/docs/page.md#Body" %}}), [j]({% link docs/page.md %}), '
                          "[p]({% post_url 2024-05-01-a %}), [gone]({{< ref \"nope.md\" >}}) "
                          'and `[code]({{< ref "docs/page.md" >}})`.\n'})
    build(config)
    body = body_of(config, "third")
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]*)</a>', body) == [
        ("page.html", "the page"), ("2024-05-01-a.html", "rel"), ("page.html#h-body", "root"),
        ("page.html", "j"), ("2024-05-01-a.html", "p"), ("posts-nope.html", "gone")]
    assert '<code>[code]({{&lt; ref &quot;docs/page.md&quot; &gt;}})</code>' in body
    assert [(f[0], f[1]) for f in findings(config)] == [("placeholder", "posts/third.md:4")]


def test_a_shortcode_link_s_text_is_read_as_a_link_s_text_is(write_wiki) -> None:
    """The words of ``[**the** `page`]({{< ref "page.md" >}})`` are shown as those of any
    link are (bold, code), not as written with their marks; an unresolved one's too."""
    config = write_wiki({
        "page.md": "---\ntitle: A page\n---\nText.\n",
        "home.md": '---\ntitle: Home\n---\n[**the** `page`]({{< ref "page.md" >}}) and '
                   '[*gone*]({% link nope.md %}) and [plain *x*](page.md).\n'})
    build(config)
    body = body_of(config, "home")
    assert '<a href="page.html"><strong>the</strong> <code>page</code></a>' in body
    assert 'class="ghost" title="not written yet"><em>gone</em></a>' in body
    assert '<a href="page.html">plain <em>x</em></a>' in body
    assert "**" not in body and "`" not in body


def test_files_of_other_kinds_a_vault_holds_are_files_not_placeholders(write_wiki) -> None:
    """A phone's photo (``![[IMG_1.heic]]``), a Word or PowerPoint file, a bibliography, a
    notebook: files the site does not publish, said so by kg check, not notes to write with
    kg new; ``[[Node.js]]`` is still a note."""
    config = write_wiki({
        "IMG_1.heic": b"x", "report.docx": b"x",
        "home.md": "---\ntitle: Home\n---\n![[IMG_1.heic]] [[report.docx|the report]] "
                   "[[talk.pptx]] [[refs.bib]] [[nb.ipynb]] [[Node.js]]\n"})
    build(config)
    assert sorted(p.name for p in (config.out / "notes").iterdir()) == ["home.html",
                                                                         "node-js.html"]
    found = findings(config)
    assert sorted((f[0], f[3].split("'")[1]) for f in found) == [
        ("placeholder", "Node.js"), ("unpublished-attachment", "IMG_1.heic"),
        ("unpublished-attachment", "nb.ipynb"), ("unpublished-attachment", "refs.bib"),
        ("unpublished-attachment", "report.docx"), ("unpublished-attachment", "talk.pptx")]


def test_a_template_s_placeholder_left_in_a_title_is_no_title(write_wiki) -> None:
    """A note copied from a template without it being filled in keeps ``title: "{{title}}"``
    (Obsidian's) or ``<% tp.file.title %>`` (Templater's): the note is titled by its heading
    or name, with a warning at the line, not "{{title}}" in every list."""
    config = write_wiki({
        "Attention.md": '---\ntitle: "{{title}}"\n---\n# Attention\nText.\n',
        "Kernels.md": '---\ntitle: "<% tp.file.title %>"\n---\nText.\n',
        "Braces.md": '---\ntitle: "The {{x}} paper"\n---\nText.\n'})
    build(config)
    assert "<h1>Attention</h1>" in page(config, "attention")
    assert "<h1>Kernels</h1>" in page(config, "kernels")
    assert "<h1>The {{x}} paper</h1>" in page(config, "braces")
    assert findings(config) == [
        ("empty-title", "Attention.md:2", "warning", "'title: {{title}}' is a template's "
         "placeholder, never filled in: the note is titled 'Attention'"),
        ("empty-title", "Kernels.md:2", "warning", "'title: <% tp.file.title %>' is a "
         "template's placeholder, never filled in: the note is titled 'Kernels'")]


def test_a_template_s_placeholder_left_in_a_daily_note_s_heading_is_no_title(
        write_wiki) -> None:
    """A daily note made from a Templater template that never ran keeps its heading
    ``# <% tp.date.now("dddd, MMMM Do YYYY") %>`` and ``date: <% tp.date.now() %>``: the note
    is titled by its name, not by the placeholder in every list and link, and both lines are
    warnings that say what they are."""
    config = write_wiki({
        "Daily/2024-03-12.md": '---\ndate: <% tp.date.now("YYYY-MM-DD") %>\n---\n'
                               '# <% tp.date.now("dddd, MMMM Do YYYY") %>\n- Read [[Paper]].\n',
        "Paper.md": "---\ntitle: Paper\n---\n# Paper\nRead on [[2024-03-12]].\n"})
    build(config)
    assert "<title>2024-03-12 · " in page(config, "2024-03-12")
    assert "tp.date" not in page(config, "paper")
    assert [f for f in findings(config) if f[0] in ("empty-title", "bad-date")] == [
        ("bad-date", "Daily/2024-03-12.md:2", "warning", "'date: <% tp.date.now(\"YYYY-MM-DD\")"
         " %>' is a template's placeholder, never filled in; it is ignored"),
        ("empty-title", "Daily/2024-03-12.md:4", "warning", "the heading '# <% tp.date.now("
         "\"dddd, MMMM Do YYYY\") %>' is a template's placeholder, never filled in: the note is "
         "titled '2024-03-12'")]


def test_authors_written_as_links_joined_by_commas_are_each_a_name(write_wiki) -> None:
    """Logseq writes a property's pages as links joined by commas (``author:: [[Trevor
    Hastie]], [[Robert Tibshirani]]``), as a vault may quote them in YAML: each is an author,
    not one author shown with its brackets; a name with a comma of its own stays one."""
    config = write_wiki({
        "pages/ESL.md": "type:: book\nauthor:: [[Trevor Hastie]], [[Robert Tibshirani]], "
                        "[[Friedman, J.]]\n\n- The ESL book.\n",
        "Other.md": '---\ntitle: Other\nauthors: "[[Ada Lovelace]], [[Alan Turing]]"\n---\nX.\n',
        "Third.md": "---\ntitle: Third\nauthors: Smith, John\n---\nX.\n"})
    build(config)
    authors = re.compile(r"<dt>Authors?</dt><dd>([^<]*)</dd>")
    assert authors.findall(page(config, "esl")) == [
        "Trevor Hastie; Robert Tibshirani; Friedman, J."]  # a comma in a name: ";" between
    assert authors.findall(page(config, "other")) == ["Ada Lovelace, Alan Turing"]
    assert authors.findall(page(config, "third")) == ["Smith, John"]
    assert [n.authors for n in load_wiki(config).notes.values()] == [
        ("Trevor Hastie", "Robert Tibshirani", "Friedman, J."), ("Ada Lovelace", "Alan Turing"),
        ("Smith, John",)]


U1 = "65a1b2c3-0000-4000-8000-000000000001"
U2 = "65a1b2c3-0000-4000-8000-0000000000ff"


def test_a_logseq_block_reference_links_the_block_in_the_note_that_holds_it(
        write_wiki) -> None:
    """Logseq refers to a block by its uuid, ``((65a1…))``, which the block carries as
    ``id::``, in whichever page: the page shows a link to that block, named by its note's
    title (it showed the uuid), the note is mentioned by it; a uuid no block carries stays as
    written, no placeholder. Moved to another page, the block is linked there, an
    incremental build as a full one."""
    config = write_wiki({
        "pages/Machine Learning.md": f"- Algorithms that improve with experience.\n  id:: {U1}\n",
        "pages/Deep Learning.md": "- Many layers.\n",
        "pages/Supervised.md": f"- See (({U1.upper()})) for the definition.\n"
                               f"- Gone: (({U2})).\n- Code: `(({U1}))`\n"})
    rebuild(config)
    body = body_of(config, "supervised")
    assert (f'See <a class="wikilink" href="machine-learning.html#block-{U1}" '
            'title="Machine Learning">Machine Learning</a> for the definition.') in body
    assert f"Gone: (({U2}))." in body and f"<code>(({U1}))</code>" in body
    assert f'id="block-{U1}"' in page(config, "machine-learning")
    wiki = load_wiki(config)
    assert [(e.source, e.target) for e in wiki.edges] == [("supervised", "machine-learning")]
    assert not wiki.placeholders and findings(config) == []
    (config.wiki / "pages/Machine Learning.md").write_text("- Algorithms.\n", encoding="utf-8")
    (config.wiki / "pages/Deep Learning.md").write_text(f"- Many layers.\n  id:: {U1}\n",
                                                         encoding="utf-8")
    rebuild(config)
    assert f'href="deep-learning.html#block-{U1}"' in body_of(config, "supervised")


def test_a_logseq_embed_shows_the_link_it_embeds_without_its_braces(write_wiki) -> None:
    """``{{embed [[page]]}}`` and ``{{embed ((uuid))}}`` (Logseq's embeds of a page and of a
    block) are shown as the link each embeds, as ``![[page]]`` is; the page showed the
    macro's braces around it."""
    config = write_wiki({
        "pages/Deep Learning.md": f"- Backprop.\n  id:: {U1}\n",
        "pages/Hub.md": f"- {{{{embed [[Deep Learning]]}}}}\n- {{{{embed (({U1}))}}}}\n"
                        "- {{query (task TODO)}}\n"})
    build(config)
    body = body_of(config, "hub")
    assert ('<li><a class="wikilink" href="deep-learning.html" title="Deep Learning">'
            "Deep Learning</a></li>") in body
    assert (f'<li><a class="wikilink" href="deep-learning.html#block-{U1}" '
            'title="Deep Learning">Deep Learning</a></li>') in body
    assert "{{embed" not in body


LOGSEQ_PAGE = """\
- A block
- #+BEGIN_QUOTE
  Quoted **text**, with [[Deep Learning]].

  A second paragraph.
  #+END_QUOTE
- #+BEGIN_TIP
  Run it twice.
  #+END_TIP
- {{query (and [[Deep Learning]] (task TODO))}}
- {{video https://example.com/talk.mp4}}, {{youtube dQw4w9WgXcQ}} at {{youtube-timestamp 123}}
- {{cloze the hidden words}}; {{renderer :todo, <script>alert(1)</script>}}; {{title}}
- {{video javascript:alert(1)}}
- #+BEGIN_SRC python
  print("<b>")
  #+END_SRC
- #+BEGIN_QUERY
  {:title "Open tasks" :query [:find (pull ?b [*]) :where [?b :block/marker "TODO"]]}
  #+END_QUERY
- #+BEGIN_NOTE
  never closed
"""

NOTION_PAGE = """\
# Reading list

<aside>
💡 Kept **up to date** weekly.

</aside>

Text.
"""


@pytest.mark.parametrize("unsafe_html", [False, True])
def test_logseq_s_blocks_and_macros_read_as_logseq_shows_them(write_wiki, unsafe_html) -> None:
    """Logseq's ``#+BEGIN_QUOTE`` is a quote, ``#+BEGIN_TIP`` (NOTE, WARNING…) a callout,
    ``#+BEGIN_SRC`` code, a video macro a link to the video, a cloze its words; a query,
    which only Logseq can run, a quiet line saying it is one (its title, or its text as
    code); a Notion export's ``<aside>`` a callout. All had been shown as written, braces,
    markers and ``<aside>`` tags and all. A macro's text is never HTML, nor a link other
    than http(s)."""
    config = write_wiki({"pages/Deep Learning.md": "- Backprop.\n",
                         "pages/Hub.md": LOGSEQ_PAGE, "Reading list.md": NOTION_PAGE})
    build(config, unsafe_html=unsafe_html)
    body = body_of(config, "hub")
    assert ("<blockquote>\n<p>Quoted <strong>text</strong>, with <a " in body
            and "Deep Learning</a>.</p>\n<p>A second paragraph.</p>\n</blockquote>" in body)
    assert wikilinks(body)["Deep Learning"] == "deep-learning.html"
    assert ('<div class="callout callout-tip" data-callout="tip">\n'
            '<p class="callout-title">Tip</p>\n<p>Run it twice.</p>\n</div>') in body
    assert ('<span class="macro">Logseq query</span> <code>(and [[Deep Learning]] '
            "(task TODO))</code>") in body
    assert ('<span class="macro">Video:</span> <a href="https://example.com/talk.mp4"'
            in body)
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in body
    assert '<span class="macro">▶ 2:03</span>' in body
    assert "<li>the hidden words; " in body and "{{title}}" in body  # not Logseq's: as written
    assert ('<span class="macro">Logseq plugin</span> '
            "<code>:todo, &lt;script&gt;alert(1)&lt;/script&gt;</code>") in body
    assert '<span class="macro">Video</span> <code>javascript:alert(1)</code>' in body
    assert re.search(r'<code class="language-python">print\((&quot;|")&lt;b&gt;', body)
    assert ('<p class="macro">Logseq query: Open tasks (run in Logseq; not shown here)</p>'
            in body)
    assert "#+BEGIN_NOTE\nnever closed" in body  # never closed: as written
    for raw in ("{{query", "{{video", "{{youtube", "{{cloze", "#+BEGIN_QUOTE", "#+END_",
                "#+BEGIN_TIP", "#+BEGIN_SRC", "#+BEGIN_QUERY", "<script>"):
        assert raw not in body
    notion = body_of(config, "reading-list")
    assert ('<div class="callout callout-aside" data-callout="aside">\n<p>💡 Kept '
            "<strong>up to date</strong> weekly.</p>\n</div>") in notion
    assert "aside&gt;" not in notion


def test_a_hugo_page_bundle_answers_to_its_folder(write_wiki) -> None:
    """Hugo's page bundle ``posts/x/index.md`` (and a section's ``_index.md``) is the page of
    its folder: ``{{< ref "posts/x" >}}``, ``{{< relref "x" >}}`` and ``[[posts/x]]`` reach
    it; a bundle written after a link to it was a placeholder's takes the link, as a full
    build makes it."""
    from dataclasses import replace

    from conftest import site_tree

    config = write_wiki({
        "posts/_index.md": "---\ntitle: Posts\n---\nAll posts.\n",
        "posts/other/index.md": '---\ntitle: Other\n---\nSee [it]({{< ref "posts/my-post" >}}),'
                                ' [again]({{< relref "my-post" >}}), [[posts/my-post]] and '
                                "[[posts]].\n"})
    build(config)
    assert len(load_wiki(config).placeholders) == 3  # the bundle is not written yet
    (config.wiki / "posts" / "my-post").mkdir()
    (config.wiki / "posts" / "my-post" / "index.md").write_text(
        "---\ntitle: My Post\n---\nA bundle.\n", encoding="utf-8")
    build(config)
    wiki = load_wiki(config)
    assert not wiki.placeholders
    assert sorted((e.source, e.target) for e in wiki.edges) == [
        ("posts-other-index", "posts-index"), ("posts-other-index", "posts-my-post-index"),
        ("posts-other-index", "posts-my-post-index"), ("posts-other-index", "posts-my-post-index")]
    full = replace(config, out=config.root / "full")
    build(full, full=True)
    assert site_tree(config.out) == site_tree(full.out)


def test_a_bundle_s_folder_name_gives_way_to_every_other_name(write_wiki) -> None:
    """A bundle answers to its folder's name only where nothing else does: a note of that
    name wins, and a name two bundles' folders share is no note's (a placeholder, as before
    bundles were read), never an ambiguity that stops the build."""
    config = write_wiki({
        "projects.md": "---\ntitle: Projects\n---\nThe list.\n",
        "projects/index.md": "---\ntitle: All projects\n---\nThe folder's page.\n",
        "a/x/index.md": "---\ntitle: A's x\n---\nOne.\n",
        "b/x/index.md": "---\ntitle: B's x\n---\nTwo.\n",
        "home.md": "---\ntitle: Home\n---\n[[projects]], [[x]], [[a/x]] and [[b/x]].\n"})
    build(config)
    wiki = load_wiki(config)
    assert sorted(e.target for e in wiki.edges if e.source == "home") == [
        "a-x-index", "b-x-index", "projects", "x"]
    assert list(wiki.placeholders) == ["x"]
