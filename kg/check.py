"""``kg check``: every problem in the wiki as a :class:`~kg.errors.Finding`, with file and line.

Errors are what stops a build (a note that does not parse, an unknown relation, ids that
collide, an ambiguous target) and what makes links mean two things (an alias two notes
claim). Warnings are what a careful wiki fixes sooner or later: placeholders and targets that
look like typos, links to headings and blocks that do not exist, attachments the wiki lacks,
missing title, date or tier, answers to questions nobody asked, one-way connections worth
returning, orphans, and forecasts past their date that nobody resolved.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from kg.body import UNPUBLISHED_KINDS, heading_path_end, without_code, without_title
from kg.config import Config
from kg.errors import (
    BuildFailed,
    Finding,
    KgError,
    Location,
    NoteError,
    ResolveError,
    Severity,
    some_of,
    unknown_codes,
)
from kg.frontmatter import field_line
from kg.ids import (
    NoteId,
    from_folder,
    loose_id,
    name_key,
    relative_target,
    shell_title,
    slugify,
    target_text,
)
from kg.model import EdgeKind, Note, Wiki
from kg.resolve import Resolver, resolver_of

ERROR, WARNING = Severity.ERROR, Severity.WARNING
SYMMETRIC = frozenset({"related", "counterpoint"})


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    notes: int
    """The note files checked, those with errors (a name that gives no id, front-matter
    that does not parse) too; drafts (``published: false``) are not checked."""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is WARNING)

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def summary(self) -> str:
        from kg.formats import plural

        counts = Counter(f.code for f in self.findings if f.severity is WARNING)
        many = [f"{code} ({n})" for code, n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))
                if n >= max(20, self.warnings // 4)]
        # a vault new to kg warns of every note's tier and date: say how to leave them out
        hint = (f"; the most: {', '.join(many)}: --ignore CODE or kg.toml's ignore = [...] "
                "leaves a kind out" if many else "")
        return (f"{plural(self.errors, 'error')}, {plural(self.warnings, 'warning')} "
                f"in {plural(self.notes, 'note')} checked{hint}")


def check(config: Config, *, today: dt.date | None = None,
          ignore: Iterable[str] = ()) -> Report:
    """Lint the wiki of ``config``; never raises for a problem in the notes themselves.
    ``ignore`` holds codes of :data:`~kg.errors.CODES` (``--ignore``); another is an error."""
    from kg.query import today as now

    ignore = tuple(ignore)
    if (wrong := unknown_codes(ignore, where="--ignore")) is not None:
        raise wrong
    skip = {*ignore, *config.ignore}
    on = today or now()
    findings: list[Finding] = []
    try:
        wiki = _load(config)
        notes = list(wiki.notes.values())
        checked = len(notes)
    except (BuildFailed, ResolveError):
        wiki, notes, checked, collected = collect_leniently(config)
        findings += collected
    findings += lint(wiki, notes, on, _drafts(config, wiki))
    findings += _attachments(config.wiki, notes)
    findings += _saved_queries(config)
    kept = sorted({f for f in findings if f.code not in skip}, key=_order)
    return Report(tuple(kept), checked)


def _load(config: Config) -> Wiki:
    from kg.cache import load_wiki_cached

    return load_wiki_cached(config)


def _order(f: Finding) -> tuple[str, int, int, str, str]:
    where = f.where or Location("")
    return (where.file, where.line or 0, f.severity is not ERROR, f.code, f.message)


def collect_leniently(config: Config) -> tuple[Wiki, list[Note], int, list[Finding]]:
    """Load note by note, keeping every error instead of stopping at the first: the notes,
    how many note files were checked (see :attr:`Report.notes`), and the findings."""
    from kg.discover import discover_leniently
    from kg.parse import parse_note
    from kg.resolve import resolve_leniently

    found, misnamed = discover_leniently(config.wiki)
    findings = [*misnamed, *found.warnings]
    named = {file.rel for file in found.files}
    unnamed = {f.where.file for f in misnamed  # a file kept out, no id (not a folder)
               if f.where and f.code != "unreadable"} - named
    notes: list[Note] = []
    for file in found.files:
        try:
            notes.append(parse_note(file.path.read_bytes(), nid=file.id, path=file.rel,
                                    label_first=config.label_first))
        except NoteError as err:  # each of its errors, and its warnings
            findings += err.as_findings()
        except KgError as err:
            findings.append(err.as_finding("bad-note"))
        except OSError as err:
            findings.append(Finding(ERROR, "unreadable", f"cannot read the note: {err}",
                                    Location(file.rel), "check the file's permissions"))
    drafts = sum(1 for n in notes if not n.published)
    notes = [n for n in notes if n.published]  # a draft is no note of the wiki: not checked
    checked = len(found.files) + len(unnamed) - drafts
    findings += [w for n in notes for w in n.warnings]
    wiki, ambiguous = resolve_leniently(notes)
    findings += ambiguous
    findings += wiki.warnings
    return (Wiki(wiki.notes, wiki.edges, wiki.placeholders, wiki.questions, ()), notes, checked,
            findings)


def _saved_queries(config: Config) -> list[Finding]:
    """Saved queries that do not parse, or are updates: parsed, never run."""
    from kg.saved import load_queries, parse_problem

    out: list[Finding] = []
    for query in load_queries(config.wiki / "queries"):
        problem = parse_problem(query, config.base_iri, config.query_seconds)
        if problem is not None:
            out.append(Finding(WARNING, "bad-query", problem.message,
                               Location(f"queries/{query.file}", problem.line), problem.hint))
    return out


def lint(wiki: Wiki, notes: list[Note], today: dt.date,
         drafts: _Drafts | None = None) -> list[Finding]:
    """Every finding about a resolved wiki (its own warnings included); ``drafts`` finds
    the unpublished notes a placeholder may be named for."""
    out = list(wiki.warnings)
    out += _lint_notes(notes)
    resolver = Resolver(wiki.notes.values())  # one for the three that look names up
    out += _targets(wiki, resolver, drafts)
    out += _headings(wiki, resolver)
    out += _anchors(wiki, resolver)
    out += _duplicate_connections(wiki)
    out += _one_way(wiki)
    out += _orphans(wiki)
    out += _forecasts(wiki, today, resolver)
    return out


def _attachments(wiki: Path, notes: list[Note]) -> list[Finding]:
    """Files a note embeds or links that the wiki does not have (the page shows the
    reference as written): a typo, or a file not yet copied in."""
    from kg.attachments import Attachments

    found = Attachments(wiki)
    out: list[Finding] = []
    for note in notes:
        folder = note.path.rpartition("/")[0]
        out += _unpublished(note)
        missing = [ref for ref in note.files if found.find(ref, folder) is None]
        lines = _reference_lines(note.body) if missing else {}
        for ref in missing:
            out.append(Finding(WARNING, "missing-attachment",
                               f"'{ref}' is not a file of the wiki the site can show",
                               _at(note, line=note.body_line + lines.get(ref, 0)),
                               "copy the file into the wiki, or correct its name"))
    return out


_UNPUBLISHED = "|".join(sorted(UNPUBLISHED_KINDS))
UNPUBLISHED = re.compile(rf"\.({_UNPUBLISHED})(?:\.md)?$", re.I)  # Drawing.excalidraw.md
_UNPUBLISHED_ANYWHERE = re.compile(rf"\.({_UNPUBLISHED})\b", re.I)


def _unpublished(note: Note) -> list[Finding]:
    """Files a note embeds or links whose kind the site never publishes: the page shows
    the reference as written, which the writer should know before a reader finds it."""
    from kg.attachments import destination_path
    from kg.body import MD_LINK_OR_IMAGE, WIKILINK, parse_wikilink, wikilink_path

    if not _UNPUBLISHED_ANYWHERE.search(note.body):  # most notes: no need to look closer
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    for number, line in enumerate(without_code(note.body).split("\n")):
        if "[" not in line:
            continue
        refs = [wikilink_path(m.group(2)) for m in WIKILINK.finditer(line)
                if parse_wikilink(m.group(2)) is None]
        # not a URL, nor a path of the site's own (static/)
        refs += [path for m in MD_LINK_OR_IMAGE.finditer(line)
                 if (path := destination_path(m.group(2))) is not None]
        for ref in refs:
            found = UNPUBLISHED.search(ref)
            if found is None or ref in seen:
                continue
            seen.add(ref)
            kind = found.group(1).lower()
            why = (f"an .{kind} would run its scripts in the site" if kind in ("svg", "html", "htm")
                   else f"a browser does not show a .{kind}")
            out.append(Finding(WARNING, "unpublished-attachment",
                               f"'{ref}' is not published with the site: {why}",
                               _at(note, line=note.body_line + number),
                               "export it as a PNG or a PDF, or link to where it is "
                               "hosted; until then the page shows its name"))
    return out


def _reference_lines(body: str) -> dict[str, int]:
    """The line (from 0) each attachment is first named on, read as the scanner reads it."""
    from kg.attachments import destination_ref
    from kg.body import LINK_DEFINITION, MD_LINK_OR_IMAGE, WIKILINK, wikilink_file

    lines: dict[str, int] = {}
    for number, text in enumerate(body.split("\n")):
        if "[" not in text:
            continue
        refs = [wikilink_file(m.group(2)) for m in WIKILINK.finditer(text)]
        refs += [destination_ref(m.group(2)) for m in MD_LINK_OR_IMAGE.finditer(text)]
        if "]:" in text and (definition := LINK_DEFINITION.match(text)) is not None:
            refs.append(destination_ref(definition.group(2)))
        for ref in refs:
            if ref is not None:
                lines.setdefault(ref, number)
    return lines


def _at(note: Note, key: str | None = None, line: int | None = None) -> Location:
    if line is None and key is not None:
        line = note.field_lines.get(key)
    return Location(note.path, line or 1)


def _lint_notes(notes: list[Note]) -> list[Finding]:
    """What each note lacks, and names that two notes claim."""
    out: list[Finding] = []
    for note in notes:
        stem = note.path.rsplit("/", 1)[-1].removesuffix(".md")
        if (_named_by_file(note) and _written_as_id(stem)
                and without_title(note.body, note.title) == note.body):  # no "# Title"
            title = "…" if note.syntax == "properties" else '"…"'  # a property's is bare
            out.append(Finding(WARNING, "missing-title", "no title: the file name stands in",
                               _at(note), f"add '{field_line('title', title, note.syntax)}' "
                               "to the front-matter"))
        if note.date is None and "date" not in note.field_lines:
            out.append(Finding(WARNING, "missing-date", "no date", _at(note),
                               f"add '{field_line('date', 'YYYY-MM-DD', note.syntax)}' to the "
                               "front-matter"))
        if "tier" not in note.field_lines:
            out.append(Finding(WARNING, "missing-tier", "no tier", _at(note),
                               f"add '{field_line('tier', '1', note.syntax)}', 2 or 3 to the "
                               "front-matter"))
    out += _duplicate_names(notes)
    return out


def _named_by_file(note: Note) -> bool:
    """Whether a note's title is its file's name, none having been written."""
    return "title" not in note.field_lines and note.title == note.path.rsplit("/", 1)[-1][:-3]


def _written_as_id(name: str) -> bool:
    """Whether a file's name reads as an id rather than a title (``import-ai-455``,
    ``bert``), as a title it stands in for says it should not: a vault's ``Machine
    Learning.md``, ``BERT.md`` or ``2024-05-01.md`` is its title as the vault shows it."""
    return (name.isascii() and name == name.lower() and " " not in name
            and any(c.isalpha() for c in name))


def _duplicate_names(notes: list[Note]) -> list[Finding]:
    """Names two notes claim: an alias or a front-matter ``id:`` (the resolver looks both
    up in one table, so one note's alias and another's ``id:`` clash too), and one that is
    another note's id, which wins; then titles two notes share. An id a Zettelkasten's
    file name starts with (``202405011230 Title.md``) is not said here: two notes made in
    one minute are no mistake, and a link by it is said to be ambiguous where it is. Names
    are compared as links look them up (:func:`kg.ids.name_key`: any case, either Unicode
    form), so that the names said to clash are the ones a link finds ambiguous; each
    finding says the name as its note writes it."""
    out: list[Finding] = []
    # name → (note, field, the name as the note writes it)
    claims: dict[str, list[tuple[Note, str, str]]] = defaultdict(list)
    for note in notes:
        own_id = (name_key(note.frontmatter_id)
                  if note.frontmatter_id is not None and "id" in note.field_lines else None)
        named: dict[str, str] = {}
        for alias in note.aliases:
            named.setdefault(name_key(alias), alias)
        if own_id is not None and note.frontmatter_id is not None:
            named[own_id] = note.frontmatter_id
        for name, written in named.items():
            claims[name].append((note, "id" if name == own_id else "aliases", written))
    ids = {n.id: n for n in notes}
    for name, claimants in sorted(claims.items()):
        if len(claimants) > 1:
            names = some_of(n.id for n, _, _ in claimants)
            for note, key, written in claimants:
                if key == "aliases":
                    out.append(Finding(ERROR, "duplicate-alias",
                                       f"the alias '{written}' is claimed by {names}",
                                       _at(note, "aliases"),
                                       "keep the alias on one note; links by alias are "
                                       "ambiguous"))
                else:
                    out.append(Finding(ERROR, "duplicate-id-field",
                                       f"the id '{written}' (id: in the front-matter) is "
                                       f"claimed by {names}",
                                       _at(note, "id"),
                                       "keep the id on one note, or link by the note's file "
                                       "name; links by this id are ambiguous"))
        other = ids.get(NoteId(name))
        for note, key, written in claimants:
            if other is None or other.id == note.id:
                continue
            if key == "aliases":
                out.append(Finding(WARNING, "alias-shadowed", f"the alias '{written}' is "
                                   "the id of another note, which wins",
                                   _at(note, "aliases"), "drop or change the alias"))
            else:
                out.append(Finding(WARNING, "id-field-shadowed",
                                   f"the id '{written}' (id: in the front-matter) is the id of "
                                   f"{other.path}, which links by it reach",
                                   _at(note, "id"), "change the id, or rename the file"))
    titles: dict[str, list[Note]] = defaultdict(list)
    for note in notes:
        titles[name_key(note.title)].append(note)
    for _key, owners in sorted(titles.items()):
        if len(owners) > 1 and not all(_named_by_file(n) for n in owners):
            # a vault's Plan.md in two folders: their names clash as files' do, which a
            # link by the name is told of (ambiguous), and folders tell apart
            names = some_of(n.id for n in owners)
            for note in owners:
                out.append(Finding(WARNING, "duplicate-title",
                                   f"the title '{note.title}' is shared by {names}",
                                   _at(note, "title"), "link these notes by id, or retitle one"))
    return out


def _drafts(config: Config, wiki: Wiki) -> _Drafts | None:
    """The notes kept out as drafts (``draft: true``, ``publish: false``), by their names:
    a link to one is a placeholder, which is not to be written again with kg new; and the
    files kept out by their errors, by the names their place gives them."""
    from kg.discover import discover_leniently
    from kg.parse import parse_note

    drafts: list[Note] = []
    broken: dict[str, str] = {}
    for file in discover_leniently(config.wiki)[0].files:
        if file.id in wiki.notes:
            continue
        try:
            note = parse_note(file.path.read_bytes(), nid=file.id, path=file.rel,
                                  label_first=config.label_first)
        except (KgError, OSError):  # said as the note's own error
            path = file.rel.removesuffix(".md")
            for name in (file.id, path, path.rpartition("/")[2]):
                broken.setdefault(name_key(name), file.rel)
            continue
        if not note.published:
            drafts.append(note)
    if not drafts and not broken:
        return None
    return _Drafts(Resolver(drafts), {n.id: n.path for n in drafts}, broken)


@dataclass(frozen=True, slots=True)
class _Drafts:
    """The drafts' names, and each draft's file; the names of the files with errors."""

    resolver: Resolver
    paths: dict[NoteId, str]
    broken: dict[str, str]

    def path(self, written: str) -> str | None:
        """The file of the draft ``written`` names, if one does."""
        try:
            found = self.resolver.resolve(written)
        except ResolveError:  # two drafts of that name: either
            return None
        return self.paths[found] if found is not None else None

    def broken_path(self, written: str) -> str | None:
        """The file with errors ``written`` names by its id, path or file name, if one does."""
        text = target_text(written)
        return self.broken.get(name_key(text)) or self.broken.get(loose_id(text) or "")


def mistyped_connections(wiki: Wiki) -> list[Finding]:
    """The ``broken-target`` findings of typed connections: a ``to:`` that no note defines
    but that is close to a note's name, as ``kg check`` says it. A build says these too: a
    typo there had been only a ghost in the site. (Links in the text, which a vault writes
    to notes not written yet by the thousand, are left to ``kg check``.)"""
    edges = tuple(e for e in wiki.edges
                  if e.kind is EdgeKind.CONNECTION and e.target in wiki.placeholders)
    if not edges:
        return []
    typed = Wiki(wiki.notes, edges, wiki.placeholders, wiki.questions, ())
    return [f for f in _targets(typed, resolver_of(wiki)) if f.code == "broken-target"]


def _targets(wiki: Wiki, resolver: Resolver, drafts: _Drafts | None = None) -> list[Finding]:
    """Placeholder targets; a target close to an existing note's name is likely a typo,
    one a draft's name is that draft."""
    out: list[Finding] = []
    suggested = resolver.suggestions_of(  # each placeholder once, all together
        e.written for e in wiki.edges if e.target in wiki.placeholders)
    hashed = _names_with_hash(wiki) if wiki.placeholders else {}
    for edge in wiki.edges:
        if edge.target not in wiki.placeholders:
            continue
        source = wiki.notes[edge.source]
        what = "connection" if edge.kind is EdgeKind.CONNECTION else "link"
        whole = hashed.get(name_key(edge.written))
        if whole is not None and _cut_at_hash(source, edge.written, edge.line):
            name, path = whole
            out.append(Finding(WARNING, "placeholder",
                               f"{what} to '{edge.written}', a placeholder: '#' in a link "
                               f"starts a heading, so '{name}' names '{edge.written}', not "
                               f"the note {path}", _at(source, line=edge.line),
                               f"link it as [{name}]({quote(path)}), or rename the file "
                               "without '#' (Obsidian's links cannot name it either)"))
            continue
        folder = source.path.rpartition("/")[0]
        named = from_folder(edge.written, folder)  # ./x: the path in the wiki
        broken = drafts.broken_path(named) if drafts else None
        if broken is not None:
            out.append(Finding(WARNING, "placeholder",
                               f"{what} to '{edge.written}', whose note {broken} has errors: "
                               "shown as a placeholder until they are fixed",
                               _at(source, line=edge.line), f"fix {broken}"))
            continue
        draft = drafts.path(named) if drafts else None
        if draft is not None:
            out.append(Finding(WARNING, "placeholder",
                               f"{what} to '{edge.written}', a draft ({draft} is kept out of "
                               "the site): shown as a placeholder until published",
                               _at(source, line=edge.line),
                               ("publish it (move it out of _drafts/), or link another note"
                                if "_drafts" in draft.split("/")[:-1] else
                                "publish it (remove draft: true or publish: false), or link "
                                "another note")))
            continue
        missing = _missing_file(edge.written, named)
        if missing is not None:
            out.append(Finding(WARNING, "placeholder",
                               f"{what} to '{edge.written}': there is no note file {missing}"
                               if missing else
                               f"{what} to '{edge.written}' leads out of the wiki",
                               _at(source, line=edge.line),
                               f"write {missing}, or correct the path" if missing else
                               "link a note of the wiki by its path from this note's folder "
                               "(./b.md) or from the wiki's top (folder/b.md)"))
            continue
        near = [n for n in suggested[edge.written] if n != edge.target]
        if near:
            out.append(Finding(WARNING, "broken-target",
                               f"{what} to '{edge.written}', which no note defines",
                               _at(source, line=edge.line),
                               f"did you mean {', '.join(repr(n) for n in near)}?"))
        else:
            out.append(Finding(WARNING, "placeholder",
                               f"{what} to '{edge.written}', a placeholder: no note yet",
                               _at(source, line=edge.line),
                               f"write it with `kg new {shell_title(edge.written)}`"))
    for edge in wiki.edges:
        if edge.kind is EdgeKind.CONNECTION and edge.source == edge.target:
            out.append(Finding(WARNING, "self-connection", "a note connects to itself",
                               _at(wiki.notes[edge.source], line=edge.line),
                               "remove the connection or point it at another note"))
    return out


def _names_with_hash(wiki: Wiki) -> dict[str, tuple[str, str]]:
    """The notes whose file name or title holds a ``#`` (``C# tips.md``), by the name before
    it (``c``), which a link to them names, as ``#`` starts a heading: each name and file."""
    found: dict[str, tuple[str, str]] = {}
    for note in wiki.notes.values():
        stem = note.path.rpartition("/")[2][:-3]
        for name in (stem, note.title):
            if "#" in name and (before := name.partition("#")[0].strip()):
                found.setdefault(name_key(before), (name, note.path))
    return found


def _cut_at_hash(note: Note, written: str, line: int) -> bool:
    """Whether ``note`` links ``written`` at ``line`` with a ``#`` after it (``[[C# tips]]``,
    ``to: C# tips``), the rest read as a heading."""
    return (any(m.line == line and m.target == written and m.heading for m in note.mentions)
            or any(c.line == line and "#" in c.target for c in note.connections))


def _missing_file(written: str, named: str) -> str | None:
    """The note file that a target written as a path (``./b``, ``../other/b.md``,
    ``sub/b.md``), ``named`` as its path in the wiki, would be: what a finding of a missing
    one names; ``""`` for a path out of the wiki; None for a name (``Plan``,
    ``ai/agents``: a note to write, by that title)."""
    if relative_target(written):
        return "" if named == written else f"{target_text(named)}.md"
    if written.strip().lower().endswith(".md"):
        return f"{target_text(written.strip()[:-3])}.md"
    return None


def _headings(wiki: Wiki, resolver: Resolver) -> list[Finding]:
    """``[[note#Heading]]`` links (and ``to: note#Heading`` connections) whose heading the
    target note does not have."""
    out: list[Finding] = []
    headings: dict[NoteId, dict[str, str]] = {}
    infos: dict[NoteId, _Known] = {}  # of the notes a link names a heading they lack
    for note in wiki.notes.values():
        places = [(m.target, m.heading, m.line, m.rooted) for m in note.mentions if m.heading]
        places += [(name, heading_path_end(heading), c.line, False) for c in note.connections
                   if "#" in c.target.strip("#")
                   for name, _, heading in [c.target.partition("#")]
                   if heading_path_end(heading) and not heading.startswith("^")]
        for written, heading, line, rooted in places:
            try:
                target = resolver.resolve(written, folder=note.path.rpartition("/")[0],
                                          rooted=rooted)
            except ResolveError:
                continue
            if target is None:
                continue
            if target not in headings:
                headings[target] = _heading_keys(wiki.notes[target])
            if slugify(heading) not in headings[target]:
                if target not in infos:
                    infos[target] = _known_of(headings[target])
                out.append(_missing_heading(heading, target, infos[target],
                                            _at(note, line=line)))
    return out


class _Known(NamedTuple):
    """A note's headings as :func:`_missing_heading` reads them, made once a note."""

    written: dict[str, str]  # each heading's name key → the heading as written
    keys: list[str]  # the name keys, sorted
    listed: str  # the headings a hint names when none is near


def _known_of(known: dict[str, str]) -> _Known:
    written = {name_key(text): text for text in known.values()}  # matched in any case,
    return _Known(written, sorted(written), some_of(sorted(written.values())) or "none")


def _missing_heading(heading: str, target: NoteId, info: _Known, where: Location
                     ) -> Finding:
    """The finding of a link to a heading ``target`` lacks, with the nearest heading (at
    least 60 % alike, difflib's ratio) or else some of its headings.

    difflib compares in Python: a note of 4,000 headings linked 2,000 times with headings
    it lacks took a minute and a half, and named all 4,000 in each hint (80 MB of ``kg
    check``). Only the headings rapidfuzz's ratio puts at 60 % or more are given to difflib:
    its ratio counts the longest common subsequence, of which difflib's matching blocks are
    one, so it is never below difflib's, and no heading difflib would choose is left out."""
    from rapidfuzz import fuzz, process

    key = name_key(heading)
    likely = [name for name, _, _ in process.extract(
        key, info.keys, scorer=fuzz.ratio, score_cutoff=59, limit=None)]
    near = difflib.get_close_matches(key, sorted(likely), n=1)
    hint = (f"did you mean '#{info.written[near[0]]}'?" if near else
            f"{target} has the headings: {info.listed}")
    return Finding(WARNING, "broken-heading",
                   f"link to a heading '{heading}' that {target} lacks", where, hint)


def _anchors(wiki: Wiki, resolver: Resolver) -> list[Finding]:
    """Links to a place the note lacks that :func:`_headings` does not see (mentions are
    links to other notes): ``[[#Heading]]`` within the note, and a block, ``[[note#^id]]``
    or ``[[#^id]]``, where no paragraph or list item ends with ``^id``."""
    from kg.body import WIKILINK, from_folder, wikilink_file

    out: list[Finding] = []
    blocks: dict[NoteId, set[str]] = {}
    listed_blocks: dict[NoteId, str] = {}
    for note in wiki.notes.values():
        if "#" not in note.body or "[[" not in note.body:
            continue
        folder = note.path.rpartition("/")[0]
        own: dict[str, str] | None = None  # the note's headings, once a link needs them
        own_info: _Known | None = None
        for number, line in enumerate(without_code(note.body).split("\n")):
            for match in WIKILINK.finditer(line):
                inner = match.group(2).replace("\\|", "|").partition("|")[0]
                path, _, fragment = (part.strip() for part in inner.partition("#"))
                if not fragment.startswith("^"):
                    fragment = heading_path_end(fragment)  # [[#Part#Detail]]: Detail
                if not fragment or wikilink_file(inner) or (path and fragment[0] != "^"):
                    continue  # no place named; a file's page; another note's heading
                where = _at(note, line=note.body_line + number)
                target: NoteId | None = note.id
                if path:
                    try:
                        target = resolver.resolve(from_folder(path, folder), folder=folder)
                    except ResolveError:
                        continue  # said as such
                if target is None:
                    continue  # a placeholder: said as such
                if fragment[0] != "^":
                    if own is None:
                        own = _heading_keys(note)
                    if slugify(fragment) not in own:
                        if own_info is None:
                            own_info = _known_of(own)
                        out.append(_missing_heading(fragment, target, own_info, where))
                    continue
                if target not in blocks:
                    blocks[target] = _block_ids(wiki.notes[target])
                block = fragment[1:].strip()
                if block not in blocks[target]:
                    if target not in listed_blocks:  # once a note: it may have thousands
                        listed_blocks[target] = some_of(f"^{b}" for b in sorted(blocks[target]))
                    listed = listed_blocks[target]
                    out.append(Finding(
                        WARNING, "broken-block",
                        f"link to a block '^{block}' that {target} lacks", where,
                        f"{target} has the blocks: {listed}" if listed else
                        f"end a paragraph or list item of {target} with ' ^{block}'"))
    return out


def _block_ids(note: Note) -> set[str]:
    """The ids the note's blocks end with, where the page makes them anchors: the last line
    of a paragraph or list item (the next is blank, a new item or a heading), not a heading
    or a table row; or Logseq's ``id::`` among the property lines that end a block of more
    than them."""
    from kg.body import BLOCK_ID_AT_END, BLOCK_PROPERTY, atx_heading

    lines = without_code(note.body).split("\n")
    found: set[str] = set()
    table = False  # the lines run since a blank one hold a table's delimiter row
    for i, line in enumerate(lines):
        if not line.strip():
            table = False
            continue
        table = table or bool(_TABLE_DELIMITER.match(line))
        prop = BLOCK_PROPERTY.fullmatch(line.strip())
        if (prop is not None and prop.group(1) == "id" and not table and i
                and lines[i - 1].strip() and not atx_heading(lines[i - 1])
                and not _BLOCK_START.match(line)):  # under a block's text, not one of its own
            rest = itertools.takewhile(lambda more: more.strip() and not _BLOCK_START.match(
                more) and not atx_heading(more), lines[i + 1:])
            if all(BLOCK_PROPERTY.fullmatch(more.strip()) for more in rest):
                found.add(prop.group(2))
            continue
        mark = BLOCK_ID_AT_END.search(line.rstrip())
        if mark is None or table or atx_heading(line):
            continue
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if _TABLE_DELIMITER.match(after):
            continue  # a table's head
        if not after.strip() or _BLOCK_START.match(after) or atx_heading(after):
            found.add(mark.group(1))
    return found


_BLOCK_START = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]")
"""A line that opens a list item, ending the block before it."""
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
"""A table's delimiter row (``|---|:--:|``): the lines around it are the table's."""


def _heading_keys(note: Note) -> dict[str, str]:
    """The note's headings by the slug of their anchor (which :mod:`kg.markdown` makes of the
    heading's text, where a link to it leads), each as it reads."""
    from kg.body import atx_heading, plain_text, reference_definitions

    refs = reference_definitions(note.body)  # [text][label] reads "text", as on the page
    keys: dict[str, str] = {}
    in_fence = False
    previous = ""  # the line before, which a setext underline (=== or ---) makes a heading
    for line in note.body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            previous = ""
            continue
        heading = None if in_fence else atx_heading(line)
        text = heading[1] if heading else None
        if text is None and not in_fence and previous.strip() and _SETEXT.match(line):
            text = previous.strip()  # a setext heading: the line above its underline
        if text is not None:
            readable = plain_text(text, refs)
            keys.setdefault(slugify(readable), readable)
        previous = "" if in_fence else line
    return keys


_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def _duplicate_connections(wiki: Wiki) -> list[Finding]:
    """A note's connections written differently that name one note with one relation
    (``to: "[[Flash Attention]]"`` and ``to: flash-attention``): the parser, which sees the
    names alone, says those written alike."""
    seen: dict[tuple[NoteId, NoteId, str], tuple[int, str, set[str]]] = {}
    out: list[Finding] = []
    for edge in wiki.edges:
        if edge.kind is not EdgeKind.CONNECTION:
            continue
        written = edge.written.casefold()
        first = seen.setdefault((edge.source, edge.target, edge.label),
                                (edge.line, edge.written, set()))
        line, as_written, names = first
        if names and written not in names:
            out.append(Finding(
                WARNING, "duplicate-connection",
                f"the connection to '{edge.written}' as '{edge.label}' is written twice "
                f"(first at line {line}, as '{as_written}', the same note); the graph holds "
                "one citation of it, with both notes",
                _at(wiki.notes[edge.source], line=edge.line),
                "write both reasons in one connection's note, or remove one"))
        names.add(written)
    return out


def _one_way(wiki: Wiki) -> list[Finding]:
    """Typed connections to a note that has no edge back: the other side may want one."""
    back: set[tuple[NoteId, NoteId]] = {(e.source, e.target) for e in wiki.edges}
    out: list[Finding] = []
    for edge in wiki.edges:
        if edge.kind is not EdgeKind.CONNECTION or edge.target not in wiki.notes:
            continue
        if edge.source == edge.target or (edge.target, edge.source) in back:
            continue
        target = wiki.notes[edge.target]
        rel = edge.label if edge.label in SYMMETRIC else "related"
        out.append(Finding(
            WARNING, "one-way",
            f"connects to {edge.target} ({edge.label}), which does not link back",
            _at(wiki.notes[edge.source], line=edge.line),
            f"in {target.path} add {_connection_back(target, edge.source, rel)}",
        ))
    return out


def _connection_back(target: Note, source: NoteId, rel: str) -> str:
    """A connection to ``source`` as ``rel``, as the front-matter of ``target`` writes one."""
    if target.syntax == "toml":
        return f"'{{to = \"{source}\", rel = \"{rel}\"}}' to its connections"
    if target.syntax == "properties":  # a property names no relation: a link is one back
        return f"a [[{source}]] link"
    return f"'- to: {source}' with 'rel: {rel}' to its connections"


def _orphans(wiki: Wiki) -> list[Finding]:
    if len(wiki.notes) < 2:
        return []
    touched: set[NoteId] = set()
    for edge in wiki.edges:
        touched.update((edge.source, edge.target))
    return [
        Finding(WARNING, "orphan", "no note links here and it links to no note", _at(note),
                "connect it with `connections:` or a [[link]]")
        for note in wiki.notes.values() if note.id not in touched
    ]


def _resolver_problem(resolver: Resolver, name: str) -> str | None:
    """What is wrong with a forecast's ``resolved_by`` as the forecasts page and the graph
    look it up (an id, a title, an alias, a file's name): it names no note, or two (which the
    page links neither of); None when it names one."""
    try:
        return None if resolver.resolve(name) is not None else "which is no note"
    except ResolveError as err:
        return "which " + err.message.partition(": it ")[2] if ": it " in err.message else (
            "which names more than one note")


def _forecasts(wiki: Wiki, today: dt.date, resolver: Resolver) -> list[Finding]:
    out: list[Finding] = []
    for note in wiki.notes.values():
        for f in note.forecasts:
            if f.resolved is None and f.by < today:
                out.append(Finding(
                    WARNING, "forecast-due",
                    f"forecast due {f.by.isoformat()} is unresolved: {f.claim}",
                    _at(note, line=f.line),
                    f"add '{field_line('resolved', 'true', note.syntax)}' or "
                    f"'{field_line('resolved', 'false', note.syntax)}' (and "
                    f"'{field_line('resolved_by', '<note>', note.syntax)}')",
                ))
            problem = _resolver_problem(resolver, f.resolved_by) if f.resolved_by else None
            if problem is not None:
                out.append(Finding(WARNING, "unknown-resolver",
                                   f"forecast resolved by '{f.resolved_by}', {problem}",
                                   _at(note, line=f.line), "name the resolving note by id"))
    return out
