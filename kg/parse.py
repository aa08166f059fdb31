"""One file into one :class:`~kg.model.Note`: decode, split, read fields, scan the body.

Front-matter is typed here and only here: every field of the note format has one reader
that takes the YAML :class:`~kg.frontmatter.Node` and returns the typed value, or raises a
:class:`~kg.errors.NoteError` at the value's line saying what would be right.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from kg import body as bodymod
from kg.bidi import CONTROLS as BIDI_CONTROLS
from kg.errors import Finding, KgError, Location, NoteError, NoteGone, Severity
from kg.frontmatter import (
    PROPERTY,
    Node,
    Syntax,
    field_line,
    load,
    load_properties,
    load_toml,
    normalise_newlines,
    split,
)
from kg.ids import NoteId, item_slug, name_key, small_number, tag_name
from kg.model import (
    Angle,
    Answer,
    Connection,
    Forecast,
    Mention,
    Note,
    Question,
    QuestionStatus,
    Section,
    Source,
)
from kg.relations import DEFAULT, lookup, unknown_hint
from kg.urls import check_path, check_url
from kg.workers import can_fork, jobs_wanted, worker_started

MAX_FILE_BYTES = 4 * 1024 * 1024
# C0 and C1 controls except tab, LF, form feed and CR (CR-only files are normalised to LF),
# and the noncharacters U+FFFE and U+FFFF
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]([0-9:.]*)(?: ?(Z|[+\-][0-9:]+))?)?$")
_COMPACT_DATE = re.compile(r"^([12]\d{3})(\d{2})(\d{2})$")
"""``YYYYMMDD`` (``20240501``, as a YAML number or text), of the years 1000 to 2999: 8 digits
are no epoch time kg reads (:data:`_EPOCH`)."""
_WIKILINK_ONLY = re.compile(r"^!?\[\[([^\[\]]+)\]\]$")
_LINKS_LISTED = re.compile(r"\s*\[\[[^\[\]]+\]\](?:\s*,\s*\[\[[^\[\]]+\]\])+\s*,?\s*")
"""Names written as links and joined by commas (``[[Hastie, T.]], [[Tibshirani]]``): a list
of them, as Logseq writes a property's pages, whatever the commas inside the brackets."""
_LINKS_LISTED_EACH = re.compile(r"\[\[[^\[\]]+\]\]")
# what kg.parse makes: "<note id>#q-<slug>"; anything else could not name a question, and
# would reach the RDF graph as a malformed IRI
_QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*#q-[a-z0-9][a-z0-9-]*$")

T = TypeVar("T")


def read_note(path: Path, *, file: str) -> bytes:
    """A note file's bytes; too large or unreadable is an error naming the file, not a crash."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_large(size, file)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise NoteGone("the file was removed while the wiki was read", file=file,
                       hint="build again") from None
    except OSError as err:
        raise NoteError(f"cannot read the file: {err.strerror or err}", file=file,
                        hint="check that it exists and is readable") from None
    if len(data) > MAX_FILE_BYTES:  # grew since the stat
        raise _too_large(len(data), file)
    return data


def _too_large(size: int, file: str) -> NoteError:
    return NoteError(
        f"file is {size} bytes",
        file=file,
        hint=f"notes are limited to {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it up",
    )


def decode(data: bytes, *, file: str) -> str:
    """UTF-8 (with or without BOM); anything else is an error with the byte offset.

    Control characters other than tab, form feed and line ends are refused too: a NUL or an
    ANSI escape in a note would reach the terminal through `kg connections` and the RDF; and
    so are the noncharacters U+FFFE and U+FFFF, which no XML may hold (the feed, GraphML). A
    form feed (an old page break) is read as a space, for the same reason.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(len(data), file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise NoteError(
            f"not UTF-8: byte 0x{data[err.start]:02x} at offset {err.start}",
            file=file,
            line=line,
            hint="save the file as UTF-8",
        ) from None
    control = _CONTROL.search(text)
    if control:
        offset = len(text[: control.start()].encode("utf-8"))
        line = data[:offset].count(b"\n") + 1
        char = control.group()
        kind = "noncharacter" if char in "\ufffe\uffff" else "control character"
        what = "NUL byte" if char == "\x00" else f"{kind} U+{ord(char):04X}"
        raise NoteError(
            f"file holds a {what} at byte offset {offset}",
            file=file,
            line=line,
            hint="is this a binary file? otherwise delete the invisible character",
        )
    return normalise_newlines(text.replace("\f", " ") if "\f" in text else text)


def parse_note(data: bytes, *, nid: NoteId, path: str, label_first: bool = False) -> Note:
    """Parse one file's bytes; ``path`` is relative to the wiki, for messages.
    ``label_first``: the note writes a link's label first, ``[[label|target]]``, as
    Dendron does (:attr:`kg.config.Config.label_first`)."""
    text = decode(data, file=path)
    parts = split(text, file=path)
    twice: list[NoteError] = []  # keys written twice: said with the note's other errors
    fields = ({} if not parts.front else
              load_toml(parts.front, first_line=parts.front_line, file=path) if parts.toml else
              load_properties(parts.front, first_line=parts.front_line, file=path)
              if parts.properties else
              load(parts.front, first_line=parts.front_line, file=path, twice=twice))
    reader = _Fields(fields, path, parts.syntax)
    reader.errors += twice
    if parts.front is None:
        reader.unread_front_matter(text)
    elif parts.properties:
        reader.unused_properties()
    elif not parts.toml:
        reader.comments_in_values(parts.front, parts.front_line)
    body = bodymod.strip_comments(parts.body)
    if label_first:  # read, shown and checked as every other note's links are
        body = bodymod.label_first_links(body)
    scanned = bodymod.scan(body, parts.body_line, path.rpartition("/")[0])
    return _build_note(nid, path, reader, scanned, body, parts.body_line, data)


# -- many notes, on every core ----------------------------------------------------------------


POOL_MIN = 200
"""Fewer notes than this parse sooner here than a process pool starts and hands them back."""

NoteFile = tuple[bytes | Path, NoteId, str]
"""A file to parse: its bytes, or where to read them; the note's id; its path relative to
the wiki."""

Parsed = Note | Finding | tuple[Finding, ...]
"""A file's note, or the finding of its error (the findings of its errors, when its fields
have several; none, when the file was removed before it was read)."""


def parse_all(sources: Sequence[NoteFile], *, jobs: int | None = None,
              label_first: bool = False) -> list[tuple[str | None, Parsed]]:
    """Each source's content hash (None: the file could not be read) and its note or
    findings, in the order given. A source given by its path is read where it is parsed.

    Many notes are parsed in a process pool of ``jobs`` processes (default: ``$KG_JOBS``, else
    one per usable CPU), in chunks; the records come back pickled as the cache pickles them,
    and the result is exactly the serial one. ``jobs=1`` (``KG_JOBS=1``) parses here.
    Workers are forked (they start at once, kg imported) on Linux when no other thread runs
    (``kg serve``'s, whose locks a child could inherit held); else they are spawned.
    """
    workers = pool_size(len(sources), jobs)
    if workers <= 1:
        return _parse_each(sources, label_first)
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from kg.cachefile import safe_loads

    context = multiprocessing.get_context("fork" if can_fork() else "spawn")
    size = -(-len(sources) // (workers * 8))  # 8 chunks a worker: an even finish
    chunks = [sources[i : i + size] for i in range(0, len(sources), size)]
    task = functools.partial(_parse_pickled, label_first=label_first)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker_started,
                             initargs=(os.getpid(),)) as pool:
        return [item for done in pool.map(task, chunks) for item in safe_loads(done)]


def pool_size(count: int, jobs: int | None = None) -> int:
    """How many processes parse ``count`` notes: one (this one) for fewer than
    :data:`POOL_MIN` or on one CPU, else up to ``jobs``, each with half of that at least."""
    if jobs is None:
        jobs = jobs_wanted()
    if count < POOL_MIN:
        return 1
    return max(1, min(jobs, count // (POOL_MIN // 2)))


def _parse_each(sources: Sequence[NoteFile], label_first: bool = False
                ) -> list[tuple[str | None, Parsed]]:
    found: list[tuple[str | None, Parsed]] = []
    for source, nid, path in sources:
        try:
            data = read_note(source, file=path) if isinstance(source, Path) else source
        except NoteGone:  # removed since the wiki was listed: no note, and no error
            found.append((None, ()))
            continue
        except KgError as err:
            found.append((None, err.as_finding("bad-note")))
            continue
        try:
            note = parse_note(data, nid=nid, path=path, label_first=label_first)
            found.append((note.digest, note))
        except NoteError as err:  # each of its errors (a build says them, not its warnings)
            found.append((_digest(data), tuple(f for f in err.as_findings()
                                               if f.severity is Severity.ERROR)))
        except KgError as err:
            found.append((_digest(data), err.as_finding("bad-note")))
    return found


def _digest(data: bytes) -> str:
    """The content hash of a note file: :attr:`kg.model.Note.digest`."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _parse_pickled(sources: Sequence[NoteFile], label_first: bool = False) -> bytes:
    """A pool worker's task: the standard pickle cannot carry the records' read-only maps."""
    from kg.cachefile import dumps

    return dumps(_parse_each(sources, label_first))


_UNSEEN = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp"))
"""The kinds of character a reader does not see: controls, formats (zero-width joiners and
spaces, direction marks) and spaces."""


def _shows(text: str | None) -> bool:
    """Whether ``text`` has a character a reader sees: a title of a zero-width space alone
    would be an invisible link in every list."""
    return bool(text) and any(unicodedata.category(c) not in _UNSEEN for c in text or "")


def _build_note(
    nid: NoteId,
    path: str,
    f: _Fields,
    scanned: bodymod.Body,
    body: str,
    body_line: int,
    data: bytes,
) -> Note:
    name = path.rsplit("/", 1)[-1]
    stem = name[:-3] if name.lower().endswith(".md") else name  # Note.MD too
    each = f.each  # a field's error is kept and the others read: every one is said at once
    given = each(lambda: f.text("title"), None)
    unfilled = given if given and _TEMPLATE_FIELD.fullmatch(given.strip()) else None
    h1 = scanned.h1  # a daily note's "# <% tp.date.now() %>", never filled in, is no title
    blank_h1 = h1 if h1 and _TEMPLATE_FIELD.fullmatch(h1.strip()) else None
    title = ((None if unfilled or not _shows(given) else given)
             or (None if blank_h1 or not _shows(h1) else h1)
             or _logseq_title(path, stem) or stem)
    if blank_h1 and not (given and not unfilled) and (at := next(
            (s.line for s in scanned.sections if s.heading == blank_h1), None)) is not None:
        f.warnings.append(Finding(
            Severity.WARNING, "empty-title", f"the heading '# {blank_h1}' is a template's "
            f"placeholder, never filled in: the note is titled '{title}'", Location(path, at),
            "write the heading, or remove it to take the title from the name"))
    if (line := f.fields.get("title")) is not None and unfilled:  # a template's, copied
        f._warn(line, "empty-title", f"'{f.line('title', unfilled)}' is a template's "
                f"placeholder, never filled in: the note is titled '{title}'",
                "write the title, or remove the line to take it from the heading or name")
    elif line is not None and not _shows(given):
        empty = "is empty" if not (given or "").strip() else (
            "shows nothing (zero-width or direction marks only)")
        f._warn(line, "empty-title", f"'title' {empty}: the note is titled '{title}'",
                "write the title, or remove the line to take it from the heading or name")
    sections = _sections(scanned, body, body_line)
    questions = _questions(nid, scanned)
    angles = _angles(nid, scanned)
    summary_from = next((s for s in scanned.sections if s.key == "tldr"), None) or next(
        (s for s in scanned.sections if s.key == ""), None
    )
    summary = bodymod.first_paragraph(summary_from, scanned.refs) if summary_from else ""
    no_texts: tuple[str, ...] = ()
    date = each(lambda: _date_of(f, stem), None)
    modified = each(lambda: f.date("updated"), None)
    tier = each(lambda: f.tier("tier"), None)
    kind = each(lambda: f.text("type"), None)
    authors = (each(lambda: f.texts("authors", links=True), no_texts)
               or each(lambda: f.texts("author", links=True), no_texts))
    source = each(lambda: f.source("source"), None)
    raw = each(lambda: f.raw_path("raw"), None)
    aliases = (each(lambda: f.texts("aliases", commas=True), no_texts)
               or each(lambda: f.texts("alias", commas=True), no_texts))
    frontmatter_id = each(lambda: f.other_id("id", nid), None)
    tags = [*each(lambda: f.texts("tags", commas=True, words=True), no_texts),
            *each(lambda: f.texts("tag", commas=True, words=True), no_texts),
            *each(lambda: f.texts("keywords", commas=True), no_texts),
            *each(lambda: f.texts("categories", commas=True, words=True), no_texts),
            *each(lambda: f.texts("category", commas=True), no_texts)]
    connections = f.connections("connections")  # each connection's error kept, as below
    forecasts = f.forecasts("forecasts", nid)
    answers = f.answers("answers")
    published = f.published() and "_drafts" not in path.split("/")[:-1]  # Jekyll's
    if (failed := f.failure()) is not None:
        raise failed
    note = Note(
        id=nid,
        path=path,
        title=title,
        body=body,
        body_line=body_line,
        date=date,
        modified=modified,
        tier=tier,
        type=(kind or "digest").lower(),
        authors=tuple(dict.fromkeys(_unwrap_link(a) or a for a in authors)),
        source=source,
        raw=raw,
        aliases=aliases,
        frontmatter_id=frontmatter_id or _zettel_id(stem, nid),
        blocks=tuple(dict.fromkeys(u.lower() for u in bodymod.BLOCK_UUID.findall(
            bodymod.without_code(body)))) if "id::" in body else (),
        tags=tuple(dict.fromkeys(tag for t in (*tags, *scanned.tags)
                                 for word in _hashed_words(t) if (tag := tag_name(word)))),
        connections=connections,
        mentions=(*_property_links(f, path.rpartition("/")[0]), *(
            Mention(link.target, link.label, link.heading, link.line, link.context, link.rooted,
                    link.block)
            for link in scanned.links
        )),
        questions=questions,
        angles=angles,
        forecasts=forecasts,
        answers=answers,
        sections=sections,
        summary=summary[:600],
        words=scanned.words,
        files=scanned.files,
        field_lines=MappingProxyType({k: n.line for k, n in f.fields.items()}),
        syntax=f.syntax,
        published=published,
        warnings=tuple(f.warnings),
        digest=_digest(data),
    )
    overridden = _overrides(note, path)
    return replace(note, warnings=(*note.warnings, *overridden)) if overridden else note


_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")
"""The bidirectional embeddings and overrides (U+202E RIGHT-TO-LEFT OVERRIDE…): what shows
text in another order than it is written, and what right-to-left text never needs (marks and
isolates, which it may, are not among them)."""


def _overrides(note: Note, path: str) -> list[Finding]:
    """A ``bidi-control`` warning for each name of ``note`` (title, alias, tag) that holds an
    override or embedding, at the line of its field (the file, if it comes from elsewhere)."""
    found: list[Finding] = []
    names = [("title", "title", note.title),
             *(("alias", "aliases" if "aliases" in note.field_lines else "alias", a)
               for a in note.aliases),
             *(("tag", "tags" if "tags" in note.field_lines else "tag", t) for t in note.tags)]
    for what, key, name in names:
        if _OVERRIDES.isdisjoint(name):
            continue
        char = next(c for c in name if c in _OVERRIDES)
        shown = "".join(c.encode("unicode_escape").decode("ascii") if c in BIDI_CONTROLS
                        else c for c in name)  # told as written, its order not changed
        found.append(Finding(
            Severity.WARNING, "bidi-control",
            f"the {what} '{shown}' holds U+{ord(char):04X} {unicodedata.name(char)}, which "
            f"shows the text after it in another order than it is written",
            Location(path, note.field_lines.get(key)),
            "delete the invisible character; right-to-left text needs none, and the site "
            "keeps its effect to the name"))
    return found


class _Ids:
    """The ids given so far in one note (of its questions, angles or forecasts)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.tried: dict[str, int] = {}  # base → the n its next -n is looked for from

    def unique(self, base: str) -> str:
        """``base``, or the first of ``base-2``, ``base-3``… not given yet. Each base's
        search starts where its last one stopped (those before stay given): 2,000
        questions alike in one note had tried 2, 3… in a list each time, n³ (106 s for
        4,000); now n."""
        candidate = base
        if candidate in self.taken:
            n = self.tried.get(base, 2)
            candidate = f"{base}-{n}"
            while candidate in self.taken:
                n += 1
                candidate = f"{base}-{n}"
            self.tried[base] = n + 1
        self.taken.add(candidate)
        return candidate


def _sections(scanned: bodymod.Body, body: str, body_line: int) -> tuple[Section, ...]:
    """Each section as the span of the body its lines take."""
    starts = [0]
    at = body.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = body.find("\n", at + 1)
    found = []
    for s in scanned.sections:
        start = end = 0
        if s.lines:
            first, last = s.lines[0][0] - body_line, s.lines[-1][0] - body_line
            start = starts[first]
            end = starts[last + 1] - 1 if last + 1 < len(starts) else len(body)
        found.append(Section(s.key, s.heading, s.line, body, start, end))
    return tuple(found)


def _questions(nid: NoteId, scanned: bodymod.Body) -> tuple[Question, ...]:
    seen = _Ids()
    out: list[Question] = []
    for section in scanned.sections:
        if section.key != "questions":
            continue
        for item in bodymod.list_items(section, ordered=None):
            state, text = bodymod.task_state(item.lead)  # not the bullets of detail under it
            declared = {
                "done": QuestionStatus.ANSWERED,
                "dropped": QuestionStatus.DROPPED,
            }.get(state, QuestionStatus.OPEN)
            plain = bodymod.plain_text(text)
            if not plain:
                continue
            qid = f"{nid}#q-{seen.unique(item_slug(plain))}"
            out.append(Question(qid, nid, plain, item.line, declared))
    return tuple(out)


def _angles(nid: NoteId, scanned: bodymod.Body) -> tuple[Angle, ...]:
    seen = _Ids()
    out: list[Angle] = []
    for section in scanned.sections:
        if section.key != "angles":
            continue
        items = bodymod.list_items(section, ordered=True) or bodymod.list_items(section)
        for position, item in enumerate(items, start=1):
            title, rest = bodymod.split_title(item.text)
            if not title:
                continue
            aid = f"{nid}#a-{seen.unique(item_slug(title))}"
            text = bodymod.plain_text(rest)
            out.append(Angle(aid, nid, item.number or position, title, text, item.line))
    return tuple(out)


KNOWN_FIELDS = frozenset({
    "title", "date", "created", "updated", "tier", "type", "authors", "author", "source",
    "raw", "aliases", "alias", "id", "tags", "tag", "keywords", "connections", "forecasts",
    "answers", "publish", "published", "draft", "categories", "category",
})
"""The front-matter keys kg reads; in any case (``Title:``, ``Tags:``), as other tools write
them. ``keywords`` (Pandoc's, Zettlr's: phrases, split at commas alone) and ``categories``
(Hugo's, Jekyll's) are tags."""


def _lower_case_keys(fields: dict[str, Node], known: frozenset[str] = KNOWN_FIELDS
                     ) -> tuple[dict[str, Node], list[tuple[str, str, Node]]]:
    """``fields`` with the keys kg reads (``known``) in lower case, and those left out: a
    key written again in another case (``Tags:`` beside ``tags:``) as (the key read, the
    one left out, its value). The one in lower case is read, else the first."""
    if all(key.islower() or key.lower() not in known for key in fields):
        return fields, []
    out: dict[str, Node] = {}
    written: dict[str, str] = {}
    dropped: list[tuple[str, str, Node]] = []
    for key, node in fields.items():
        name = key.lower() if key.lower() in known else key
        if name in out:
            if key == name:  # the lower-case one wins over one read before it
                dropped.append((key, written[name], out[name]))
            else:
                dropped.append((written[name], key, node))
                continue
        out[name], written[name] = node, key
    return out, dropped


LOGSEQ_SETTINGS = frozenset({
    "collapsed", "public", "icon", "template", "template-including-parent", "filters",
    "exclude-from-graph-view", "heading", "background-color", "background_color", "custom-id",
    "created-at", "updated-at", "last-modified-at", "created_at", "last_modified_at",
    "query-table", "query-properties", "query-sort-by", "query-sort-desc", "ls-type",
    "hl-type", "hl-page", "hl-stamp", "hl-color", "card-next-schedule", "card-last-interval",
    "card-repeats", "card-last-reviewed", "card-last-score", "card-ease-factor",
})
"""Logseq's built-in properties that set how Logseq shows or treats a page (folded, published,
its icon, a template, a flashcard's schedule), none of them text of the note."""


_SOURCE_FIELDS = frozenset({"title", "url", "publisher", "name"})
_CONNECTION_FIELDS = frozenset({"to", "rel", "relation", "note", "annotation", "why"})
_FORECAST_FIELDS = frozenset({"claim", "p", "by", "source", "resolved", "resolved_by"})


class _Fields:
    """Typed readers over the front-matter of one file; each error names the value's line."""

    def __init__(self, fields: dict[str, Node], path: str, syntax: Syntax = "yaml") -> None:
        self.path = path
        self.syntax: Syntax = syntax
        self.warnings: list[Finding] = []
        self.errors: list[NoteError] = []
        """The errors of the fields read so far (:meth:`each`), every one said at once."""
        self.fields = self._keys(fields)

    def each(self, read: Callable[[], T], default: T) -> T:
        """``read()``, or ``default`` once its error is kept in :attr:`errors`: the note's
        other fields are read all the same, so that one bad field does not hide the rest."""
        try:
            return read()
        except NoteError as err:
            self.errors.append(err)
            return default

    def failure(self) -> NoteError | None:
        """The note's error, if its fields had any: the first by line, with the others and
        the warnings found beside it as its findings."""
        if not self.errors:
            return None
        first, *others = sorted(self.errors, key=lambda err: err.line or 0)
        return NoteError(first.message, file=first.file, line=first.line, hint=first.hint,
                         code=first.code,
                         findings=(*(f for err in others for f in err.as_findings()),
                                   *self.warnings))

    def _keys(self, fields: dict[str, Node], known: frozenset[str] = KNOWN_FIELDS
              ) -> dict[str, Node]:
        """``fields`` with the keys kg reads in lower case (:func:`_lower_case_keys`); one
        written twice in two cases is a warning at the one not read."""
        out, dropped = _lower_case_keys(fields, known)
        for kept, other, node in dropped:
            self._warn(node, "duplicate-key",
                       f"'{other}' is '{kept}' written again in another case; it is not read",
                       f"keep one of them (the one read is '{kept}')")
        return out

    def line(self, key: str, value: str) -> str:
        """``key: value`` as this front-matter writes it (``key = value`` in TOML)."""
        return field_line(key, value, self.syntax)

    def _error(self, node: Node, message: str, hint: str) -> NoteError:
        return NoteError(message, file=self.path, line=node.line, hint=hint)

    def _warn(self, node: Node, code: str, message: str, hint: str) -> None:
        self.warnings.append(
            Finding(Severity.WARNING, code, message, Location(self.path, node.line), hint)
        )

    def unread_front_matter(self, text: str) -> None:
        """Warn of fields written where they are not read: front-matter after blank lines,
        in JSON (Hugo's), or as Logseq's ``key:: value`` properties."""
        lines = text.split("\n", 200)[:200]  # the head of the note is enough
        first = next((n for n, line in enumerate(lines) if line.strip()), None)
        if first is None:
            return
        head = lines[first].strip()
        if head in (_FENCE_YAML, "+++") and first:
            closers = (_FENCE_YAML, "...") if head == _FENCE_YAML else ("+++",)
            end = next((n for n in range(first + 1, len(lines))
                        if lines[n].rstrip() in closers), None)
            inside = [line for line in lines[first + 1:end] if line.strip()] if end else []
            if inside and _FIELD_LINE.match(inside[0]):
                blank = "a blank line" if first == 1 else f"{first} blank lines"
                self._warn(Node(None, first + 1), "unread-front-matter",
                           f"front-matter after {blank} is read as text",
                           "front-matter must begin on the first line: delete the blank "
                           "lines above it")
        elif head == "{" and any(line.rstrip() == "}" for line in lines[first + 1:]):
            self._warn(Node(None, first + 1), "unread-front-matter",
                       "JSON front-matter is not read",
                       "write the fields as YAML between --- lines")
        elif PROPERTY.match(head) and first:  # (read where they open the file)
            blank = "a blank line" if first == 1 else f"{first} blank lines"
            self._warn(Node(None, first + 1), "unread-front-matter",
                       f"'key:: value' properties (Logseq's) after {blank} are read as text",
                       "properties are read where they open the file: delete the blank lines "
                       "above them")

    def unused_properties(self) -> None:
        """Warn of each ``key:: value`` line the file opens with that kg neither reads nor
        finds a ``[[link]]`` in: read as a page property, it is not on the page, where a note
        that opens ``Note:: read this twice`` meant a line of text. Logseq's own settings
        (``collapsed::``, ``public::``, ``icon::``…) are no text in Logseq either."""
        for key, node in self.fields.items():
            value = node.value if isinstance(node.value, str) else ""
            if key in KNOWN_FIELDS or key.lower() in LOGSEQ_SETTINGS or "[[" in value:
                continue
            shown = f"{key}:: {value}".rstrip()
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            self._warn(node, "unknown-property",
                       f"'{shown}' opens the note, so it is read as a page property "
                       "(Logseq's, Dataview's) that kg does not use: the line is not on the "
                       "page",
                       f"to show it as text, write '{key}\\:: …' or put a line of text "
                       "above it; a vault of such properties can ignore 'unknown-property'")

    def comments_in_values(self, front: str, first_line: int) -> None:
        """Warn of a ``#word`` that YAML reads as a comment, losing it from the value
        (``tags: #ml``, ``- #ml``, ``title: The #1 paper``)."""
        if "#" not in front:
            return
        for n, lost in commented_words(front):
            lost = lost if len(lost) <= 30 else lost[:27] + "..."
            self._warn(Node(None, first_line + n), "yaml-comment",
                       f"'{lost}' is a YAML comment here, not part of the value",
                       "quote the value ('#ml', \"The #1 paper\"), or write tags "
                       "without # (tags: [ml])")

    def _scalar(self, node: Node, key: str) -> str | None:
        if node.value is None:
            return None
        if not isinstance(node.value, str):
            link = _unquoted_wikilink(node)
            hint = (f'quote it: {key}: "[[{link}]]" (unquoted, YAML reads [[…]] as a list)'
                    if link else self.line(key, "..."))
            raise self._error(node, f"'{key}' must be text, not a list or mapping", hint)
        return node.value.strip()

    def text(self, key: str) -> str | None:
        node = self.fields.get(key)
        return self._scalar(node, key) if node else None

    def published(self) -> bool:
        """False for ``publish: false`` (Obsidian Publish's property), ``published: false``
        (Jekyll's) or ``draft: true`` (Hugo's and Quartz's): a note kept out of the site and
        the graph; ``yes``/``no`` and ``on``/``off`` too, as YAML 1.1 reads them. A value
        that is none of these is a warning, and the note published."""
        for key, kept_out_when in (("publish", False), ("published", False), ("draft", True)):
            node = self.fields.get(key)
            if node is None or node.value is None:
                continue
            value = node.value.strip().lower() if isinstance(node.value, str) else ""
            if value in ("true", "yes", "on", "false", "no", "off"):  # as YAML 1.1 reads them
                if (value in ("true", "yes", "on")) is kept_out_when:  # (Jekyll's and Hugo's:
                    return False  # `published: off` keeps a post out of their sites)
                continue
            self._warn(node, "bad-publish", f"'{key}' is not true or false; it is ignored",
                       f"{self.line(key, 'true' if kept_out_when else 'false')} keeps the "
                       "note out of the site")
        return True

    def texts(self, key: str, *, commas: bool = False, words: bool = False,
              links: bool = False) -> tuple[str, ...]:
        """A list of strings; a single string is a list of one, or with ``commas``, of its
        comma-separated parts (``tags: nlp, transformers``, as Obsidian reads it), and with
        ``words`` too, one without commas of its words (``tags: nlp transformers``, as
        Obsidian and Jekyll read it). With ``links``, a ``[[link]]`` written unquoted (which
        YAML reads as a list in a list) is the link's text (``authors: [[Alice]]``)."""
        node = self.fields.get(key)
        if node is None or node.value is None:
            return ()
        if isinstance(node.value, str):
            parts = node.value.split(",") if commas else [node.value]
            if links and _LINKS_LISTED.fullmatch(node.value):  # Logseq's author:: [[A]], [[B]]
                parts = [link.strip() for link in _LINKS_LISTED_EACH.findall(node.value)]
            if words and len(parts) == 1 and _unquoted(parts[0]) == parts[0].strip():
                parts = node.value.split()  # tags: '"deep rl"' is one, in its quotes
            return tuple(dict.fromkeys(part for part in map(_unquoted, parts) if part))
        if links and (bare := _unquoted_wikilink(node)) is not None:  # authors: [[Alice]]
            return (f"[[{bare}]]",)
        if isinstance(node.value, list):
            out: list[str] = []
            for item in node.value:  # [[[Alice]], Bob]: an item that is a link, unquoted
                bare = _unquoted_wikilink(item) if links else None
                value = f"[[{bare}]]" if bare is not None else self._scalar(item, key)
                if value:
                    out.append(value)
            return tuple(dict.fromkeys(out))
        listed = '["first", "second"]' if self.syntax == "toml" else "[first, second]"
        raise self._error(node, f"'{key}' must be a list", self.line(key, listed))

    def other_id(self, key: str, nid: NoteId) -> str | None:
        """The ``id:`` other tools write (Dendron's random one, a Zettelkasten's
        ``202405011230``), as written: YAML's number is its text, leading zeros and all.
        None when it is the note's own id (in any case), or absent; a list or mapping is a
        warning, and no id."""
        node = self.fields.get(key)
        if node is None or node.value is None:
            return None
        if not isinstance(node.value, str):
            kind = "a list" if isinstance(node.value, list) else "a mapping"
            self._warn(node, "bad-id-field", f"'{key}' is {kind}, not one name; it is ignored",
                       "write one id, as the tool that made the note did: "
                       + self.line(key, "202405011230"))
            return None
        value = " ".join(node.value.split())
        return value if value and name_key(value) != nid else None

    def date(self, key: str) -> dt.date | None:
        """An ISO date, or ``YYYYMMDD``; epoch seconds (10 digits) or milliseconds (13,
        Dendron's ``created:``) as the UTC day; a bare year or year-month as its first day,
        with a warning that says so. Anything else is a warning, and no date: one written as
        a day that the calendar or the clock does not have (``2024-02-30``, ``T25:00``) says
        which part is out of range."""
        node = self.fields.get(key)
        if node is None or node.value is None:
            return None
        value = self._scalar(node, key) or ""
        day = _written_day(value)
        if isinstance(day, tuple):  # written as a day, but none of the calendar's
            why, what, example = day
            self._warn(node, "bad-date", f"'{self.line(key, value)}' is no real date: {why}; "
                       "it is ignored", f"write {what}: {self.line(key, example)}")
            return None
        parsed = day or _epoch_date(value)
        if parsed is None and (partial := _partial_date(value)) is not None:
            parsed, precise = partial
            self._warn(node, "partial-date",
                       f"'{self.line(key, value)}' names no day; it is read as "
                       f"{parsed.isoformat()}, the first day of that {precise}",
                       f"write the whole date if you know it: {self.line(key, 'YYYY-MM-DD')}")
        if parsed is None and _TEMPLATE_FIELD.fullmatch(value.strip()):
            self._warn(node, "bad-date", f"'{self.line(key, value)}' is a template's "
                       "placeholder, never filled in; it is ignored",
                       f"write the day: {self.line(key, 'YYYY-MM-DD')}, or remove the line")
        elif parsed is None:
            self._warn(node, "bad-date", f"'{self.line(key, value)}' is not a date; it is "
                       "ignored", f"write {key} as YYYY-MM-DD, e.g. "
                       f"{self.line(key, '2026-05-04')}, or as epoch "
                       "seconds (10 digits) or milliseconds (13 digits)")
        return parsed

    def tier(self, key: str) -> int | None:
        node = self.fields.get(key)
        if node is None or node.value is None:
            return None
        value = self._scalar(node, key) or ""
        if small_number(value) and 1 <= int(value) <= 9:
            return int(value)
        shown = value if len(value) <= 40 else f"{value[:37]}..."
        self._warn(node, "bad-tier", f"'{self.line('tier', shown)}' is not a tier; it is ignored",
                   "tier is a number: 1 research direction, 2 notable, 3 background")
        return None

    def url(self, key: str, *, relative_ok: bool, node: Node | None = None) -> str | None:
        node = node or self.fields.get(key)
        if node is None:
            return None
        value = self._scalar(node, key)
        if not value:
            return None
        problem = check_url(value, relative_ok=relative_ok)
        if problem:
            raise self._error(node, f"'{key}' {problem}: {value!r}",
                              "use an http(s) URL or a relative path")
        return value

    def raw_path(self, key: str) -> str | None:
        """The raw source: an http(s) URL, or a path relative to the project folder."""
        value = self.url(key, relative_ok=True)
        node = self.fields.get(key)
        if value is None or node is None or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
            return value
        problem = check_path(value)
        if problem:
            raise self._error(node, f"'{key}' {problem}: {value!r}",
                              "write the raw file's path relative to the project, e.g. raw/x.md")
        return value

    def source(self, key: str) -> Source | None:
        node = self.fields.get(key)
        if node is None or node.value is None:
            return None
        if (bare := _unquoted_wikilink(node)) is not None:  # source: [[Smith 2020]] unquoted
            node = Node(f"[[{bare}]]", node.line)
        if isinstance(node.value, str):
            value = node.value.strip()
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) and not value.startswith("[["):
                return Source(url=self.url(key, relative_ok=False, node=node))
            return Source(title=_unwrap_link(value) or value,  # "[[Import AI]]": its name
                          written=_linked(value))
        if isinstance(node.value, dict):
            fields = self._keys(node.value, _SOURCE_FIELDS)
            for name, sub in fields.items():
                if name not in _SOURCE_FIELDS:
                    raise self._error(sub, f"unknown source field '{name}'",
                                      "source takes title, url and publisher")
            title_node = fields.get("title") or fields.get("name")
            url_node = fields.get("url")
            pub_node = fields.get("publisher")
            title = self._scalar(title_node, "source.title") if title_node else None
            return Source(
                title=_unwrap_link(title) or title if title else title,
                url=self.url("source.url", relative_ok=False, node=url_node) if url_node else None,
                publisher=self._scalar(pub_node, "source.publisher") if pub_node else None,
                written=_linked(title) if title else None,
            )
        raise self._error(node, "'source' must be text or a mapping",
                          'source: {title: "…", url: "https://…", publisher: "…"}')

    def _items(self, key: str) -> list[Node]:
        node = self.fields.get(key)
        if node is None or node.value is None:
            return []
        if isinstance(node.value, list):
            return node.value
        if isinstance(node.value, str | dict):
            return [node]
        return []  # pragma: no cover

    def connections(self, key: str) -> tuple[Connection, ...]:
        out: list[Connection] = []
        seen: dict[tuple[str, str], int] = {}  # (target, relation) → the line it came first
        for item in self._items(key):
            made = self.each(functools.partial(self._connection, item), None)
            if made is None:  # its error kept: the others are read
                continue
            first = seen.setdefault((made.target.casefold(), made.relation.name), made.line)
            if first != made.line:
                self._warn(item, "duplicate-connection",
                           f"the connection to '{made.target}' as '{made.relation.name}' is "
                           f"written twice (first at line {first}); the graph holds one "
                           "citation of it, with both notes",
                           "write both reasons in one connection's note, or remove one")
            out.append(made)
        return tuple(out)

    def _connection(self, item: Node) -> Connection:
        if isinstance(item.value, str):
            target = _unwrap_link(item.value)
            if not target:
                raise self._error(item, "empty connection target", "write a note id or alias")
            self._note_target(item, target)
            return Connection(target, DEFAULT, "", item.line)
        if not isinstance(item.value, dict):
            raise self._error(item, "a connection must be an id or a mapping",
                              "- to: other-note\n    rel: supports\n    note: \"why\"")
        fields = self._keys(item.value, _CONNECTION_FIELDS)
        for name, sub in fields.items():
            if name not in _CONNECTION_FIELDS:
                raise self._error(sub, f"unknown connection field '{name}'",
                                  "a connection takes to, rel and note")
        to_node = fields.get("to")
        target = _unwrap_link(self._scalar(to_node, "to") or "") if to_node else ""
        if not target:
            raise self._error(item, "connection without a target",
                              f"add '{self.line('to', '<note id or alias>')}'")
        self._note_target(to_node or item, target)
        rel_node = fields.get("rel") or fields.get("relation")
        relation = DEFAULT
        if rel_node is not None and rel_node.value is not None:
            name = self._scalar(rel_node, "rel") or ""
            found = lookup(name)
            if found is None:
                raise NoteError(f"unknown relation '{name}'", file=self.path,
                                line=rel_node.line, hint=unknown_hint(name, target),
                                code="unknown-relation")
            relation = found
        note_node = fields.get("note") or fields.get("annotation") or fields.get("why")
        annotation = (self._scalar(note_node, "note") or "") if note_node else ""
        return Connection(target, relation, " ".join(annotation.split()), item.line)

    def _note_target(self, node: Node, target: str) -> None:
        """A connection leads from note to note: ``#Heading`` or ``#^block`` names a place
        in this one, which had become a placeholder called "#Heading"."""
        if target.startswith("#"):
            raise self._error(node, f"the connection's target '{target}' is a place in this "
                                    "note, not a note",
                              f"connect to another note, e.g. "
                              f"{self.line('to', 'other-note' + target)}")

    def answers(self, key: str) -> tuple[Answer, ...]:
        out = (self.each(functools.partial(self._answer, item, key), None)
               for item in self._items(key))  # each one's error kept, the others read
        return tuple(a for a in out if a is not None and a.question)

    def _answer(self, item: Node, key: str) -> Answer:
        if isinstance(item.value, str):
            answer = Answer(item.value.strip(), item.line)
        elif isinstance(item.value, dict) and "question" in item.value:
            qnode = item.value["question"]
            status = item.value.get("status")
            dropped = bool(status and status.value == "dropped")
            answer = Answer(self._scalar(qnode, "question") or "", item.line, dropped)
        else:
            raise self._error(item, "an answer must be a question id",
                              "answers: [other-note#q-first-words-of-question]")
        if answer.question and not _QUESTION_ID.match(answer.question):
            raise NoteError(
                f"'{answer.question}' in '{key}' is not a question id",
                file=self.path, line=answer.line,
                hint="use a question's id, as `kg questions` lists them, e.g. "
                     "other-note#q-first-words",
            )
        return answer

    def forecasts(self, key: str, nid: NoteId) -> tuple[Forecast, ...]:
        seen = _Ids()
        out: list[Forecast] = []
        for item in self._items(key):  # each one's error kept, the others read
            made = self.each(functools.partial(self._forecast, item, nid, seen), None)
            if made is not None:
                out.append(made)
        return tuple(out)

    def _forecast(self, item: Node, nid: NoteId, seen: _Ids) -> Forecast:
        if not isinstance(item.value, dict):
            raise self._error(item, "a forecast must be a mapping",
                              '- {claim: "…", p: 0.6, by: 2028-12-31}')
        f = self._keys(item.value, _FORECAST_FIELDS)

        def need(name: str, node: Node = item, f: dict[str, Node] = f) -> Node:
            if name not in f or f[name].value is None:
                raise self._error(node, f"forecast without '{name}'",
                                  '- {claim: "…", p: 0.6, by: 2028-12-31}')
            return f[name]

        claim = self._scalar(need("claim"), "claim") or ""
        p_node = need("p")
        p = _parse_probability(self._scalar(p_node, "p") or "")
        if p is None:
            raise self._error(p_node, f"forecast probability {p_node.value!r} is not one",
                              "write p as 0.6 or 60%")
        by_node = need("by")
        by = _written_day(self._scalar(by_node, "by") or "")
        if not isinstance(by, dt.date):
            why = f": {by[0]}" if by else ""
            raise self._error(by_node, f"forecast date {by_node.value!r} is not a date{why}",
                              "write by as YYYY-MM-DD")
        resolved = _optional(f.get("resolved"), lambda n: self._bool(n, "resolved"))
        source = _optional(f.get("source"), lambda n: self._scalar(n, "source"))
        resolved_by = _optional(
            f.get("resolved_by") or f.get("resolved-by"), lambda n: self._scalar(n, "by")
        )
        fid = f"{nid}#f-{seen.unique(by.isoformat())}"
        return Forecast(fid, nid, claim, p, by, item.line, source, resolved, resolved_by)

    def _bool(self, node: Node, key: str) -> bool | None:
        value = (self._scalar(node, key) or "").lower()
        if value in ("true", "yes", "y", "1"):
            return True
        if value in ("false", "no", "n", "0"):
            return False
        if value in ("", "open", "pending"):
            return None
        raise self._error(node, f"'{self.line(key, value)}' is not true or false",
                          self.line(key, "true"))


READ_FIELDS = frozenset({"title", "date", "created", "updated", "tier", "type", "authors",
                         "author", "source", "raw", "aliases", "alias", "id", "tags", "tag",
                         "connections", "forecasts", "answers", "publish", "draft"})
"""The front-matter fields kg reads; a ``[[link]]`` in any other is a mention."""


def _property_links(f: _Fields, folder: str) -> list[Mention]:
    """The ``[[wikilinks]]`` in fields kg does not read (a vault's ``up: "[[Topic]]"``,
    ``related: ["[[A]]", "[[B]]"]``, or ``up: [[Topic]]`` unquoted), and in ``source`` (a
    literature vault's ``source: "[[Smith 2020]]"``), of a note in ``folder``: mentions, with
    the field as their context (cut as a sentence of the body is)."""
    found: list[Mention] = []

    def visit(key: str, node: Node) -> None:
        if (bare := _unquoted_wikilink(node)) is not None:
            links(key, f"[[{bare}]]", node.line)  # up: [[Topic]], unquoted: a list in a list
        elif isinstance(node.value, str):
            if "[[" in node.value:
                links(key, node.value, node.line)
        elif isinstance(node.value, list):
            for item in node.value:
                visit(key, item)
        elif isinstance(node.value, dict):
            for item in node.value.values():
                visit(key, item)

    def links(key: str, text: str, line: int) -> None:
        context = f"{key}: {bodymod.plain_text(text)}"
        if len(context) > 400:
            context = context[:399] + "…"
        for match in bodymod.WIKILINK.finditer(text):
            parsed = bodymod.parse_wikilink(match.group(2))
            if parsed is not None:
                found.append(Mention(bodymod.from_folder(parsed[0], folder), parsed[2],
                                     parsed[1], line, context))

    for key, node in f.fields.items():
        if key not in READ_FIELDS or key == "source":  # source: "[[Smith 2020]]", a note
            visit(key, node)
    return found


def _unquoted_wikilink(node: Node) -> str | None:
    """``x`` when ``node`` is what YAML makes of an unquoted ``[[x]]``: a list in a list."""
    outer = node.value
    if isinstance(outer, list) and len(outer) == 1 and isinstance(outer[0].value, list):
        inner = outer[0].value
        if len(inner) == 1 and isinstance(inner[0].value, str):
            return inner[0].value
    return None


def _unquoted(part: str) -> str:
    """One part of a comma-separated line, without the quotes it was written in
    (``tags: nlp, "weird tag"``: YAML reads the line as one string, quotes and all)."""
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        part = part[1:-1].strip()
    return part


def _hashed_words(tag: str) -> list[str]:
    """A tag as written, or the tags a line of ``#words`` writes (``tags: "#ml #nlp"``, as
    Obsidian reads it); ``deep rl`` stays one tag."""
    words = tag.split()
    return words if len(words) > 1 and all(w.startswith("#") for w in words) else [tag]


def _optional(node: Node | None, read: Callable[[Node], T]) -> T | None:
    if node is None or node.value is None:
        return None
    return read(node)


def _linked(text: str) -> str | None:
    """``text`` where it holds a ``[[link]]`` to a note, else None."""
    if "[[" not in text:
        return None
    links = (bodymod.parse_wikilink(m.group(2)) for m in bodymod.WIKILINK.finditer(text))
    return text.strip() if any(found is not None for found in links) else None


def _unwrap_link(text: str) -> str:
    text = text.strip()
    match = _WIKILINK_ONLY.match(text)
    if match:
        parsed = bodymod.parse_wikilink(match.group(1))
        return parsed[0] if parsed else ""
    return text


def _date_of(f: _Fields, stem: str) -> dt.date | None:
    """``date``; where it gives none (absent, empty, or unreadable, which is warned of),
    ``created``, then the name of a daily note (``2024-05-01.md``, ``20240501.md``)."""
    found = f.date("date") or f.date("created")
    if found is None and (daily := _DAILY.match(stem)):
        return _parse_date(f"{daily[1]}-{daily[3]}-{daily[4]}")
    if found is None and (daily := _DAILY_COMPACT.match(stem)):
        return _parse_date(f"{daily[1]}-{daily[2]}-{daily[3]}")
    if found is None and (zettel := _ZETTEL.match(stem)):
        return _parse_date(f"{zettel[2]}-{zettel[3]}-{zettel[4]}")
    return found


_TEMPLATE_FIELD = re.compile(r"\{\{[^{}\n]*\}\}|<%[^\n]*%>")
"""A value that is a template's placeholder, left as the template wrote it (a note copied
from Obsidian's ``{{title}}``, Templater's ``<% tp.file.title %>``)."""


def _logseq_title(path: str, stem: str) -> str | None:
    """A Logseq page's title as Logseq shows it and its links name it: a journal's day in
    its default format, ``May 1st, 2024`` for ``journals/2024_05_01.md``; a page of a
    namespace, ``ai/agents`` for ``pages/ai___agents.md`` (``ai%2Fagents.md`` before
    2022). None for any other note."""
    folder = path.rpartition("/")[0].rpartition("/")[2]
    if folder == "pages" and ("___" in stem or "%" in stem):
        from urllib.parse import unquote

        name = stem.replace("___", "/")
        decoded = unquote(name, errors="replace")  # %1B or %FF: no title, the name stays
        return decoded if decoded.isprintable() and "\ufffd" not in decoded else name
    found = _LOGSEQ_JOURNAL.fullmatch(stem)
    if found is None or folder != "journals":
        return None
    day = _parse_date(f"{found[1]}-{found[2]}-{found[3]}")
    if day is None:
        return None
    th = "th" if 10 <= day.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    return f"{_MONTHS[day.month - 1]} {day.day}{th}, {day.year}"


_LOGSEQ_JOURNAL = re.compile(r"([0-9]{4})_([0-9]{2})_([0-9]{2})")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _zettel_id(stem: str, nid: NoteId) -> str | None:
    """The id a Zettelkasten's note name starts with (``202405011230 Attention kernels``),
    which its links name it by (``[[202405011230]]``); None for another name, or for a
    note whose whole name it is (its id already)."""
    zettel = _ZETTEL.match(stem)
    if zettel is None or zettel[1] == nid or _parse_date(
            f"{zettel[2]}-{zettel[3]}-{zettel[4]}") is None:
        return None
    return zettel[1]


_DAILY = re.compile(r"^(\d{4})([-_.])(\d{2})\2(\d{2})(?:$|[-_ ])")
"""A daily note's name (``2024-05-01``, Logseq's ``2024_05_01``), or a post's
(``2024-05-01-title``, Jekyll's)."""
_DAILY_COMPACT = re.compile(r"^([12][0-9]{3})([0-9]{2})([0-9]{2})(?:$|[-_ ])")
"""A daily note's name in Obsidian's format ``YYYYMMDD`` (``20240501``), of the years 1000
to 2999, as ``date: 20240501`` is read."""
_ZETTEL = re.compile(r"^(([0-9]{4})([0-9]{2})([0-9]{2})[0-9]{4}(?:[0-9]{2})?)(?:[ _-]|$)")
"""A Zettelkasten's note name, which starts with its id, the minute (or second) the note was
made: ``202405011230 Attention kernels`` (The Archive's, Zettlr's, Foam's)."""
_FENCE_YAML = "---"
_FIELD_LINE = re.compile(r"""^\s*["']?[A-Za-z_][\w .-]*["']?\s*(?::(?:\s|$)|=)""")
"""A line that sets a field, as YAML (``title: …``) or TOML (``title = …``) writes it."""
_KEY_COLON = re.compile(r"""^[^\s#'"\[\]{}][^:#]*?:(?=\s|$)""")
"""A block mapping's key and its colon, at the start of a line's text (``title:``)."""


def commented_words(front: str) -> Iterator[tuple[int, str]]:
    """Each line (counted from 0) of YAML ``front`` whose plain value holds ``#word`` at
    its start or after a space, which YAML reads as a comment, and the text lost. Block
    scalars (``|``, ``>``) and quoted or bracketed values are text that keeps its ``#``,
    and are passed over; each line is read once, in time linear in its length."""
    block_indent: int | None = None  # the indent a block scalar's lines are deeper than
    quote: str | None = None  # a quoted value that runs on past its line
    for n, line in enumerate(front.split("\n")):
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if block_indent is not None:
            if not text or indent > block_indent:
                continue
            block_indent = None
        if quote is not None:
            if line.count(quote) % 2:
                quote = None
            continue
        if not text or text.startswith("#"):
            continue
        value = text
        while True:  # "- - value", "- key: value"
            if value.startswith("- ") or value == "-":
                value = value[2:].lstrip(" ")
                continue
            key = _KEY_COLON.match(value)
            if key is None:
                break
            value = value[key.end():].lstrip(" ")
        if not value:
            continue
        if value[0] in "|>":
            block_indent = indent
            continue
        if value[0] in "\"'":
            if value.count(value[0]) % 2:  # not closed on this line
                quote = value[0]
            continue
        if value[0] in "[{":
            continue  # a flow collection: a # in it is an error YAML reports, or quoted
        at = 0 if value[0] == "#" else value.find(" #")
        while at != -1:
            start = at if value[at] == "#" else at + 1
            if start + 1 < len(value) and value[start + 1] not in " #\t":
                yield n, value[start:]
                break
            at = value.find(" #", start + 1)


def _parse_date(value: str) -> dt.date | None:
    """The day ``value`` writes (:func:`_written_day`), or None."""
    day = _written_day(value)
    return day if isinstance(day, dt.date) else None


_CLOCK = (("hour", 23), ("minute", 59), ("second", 59))


def _clock_number(digits: str) -> str:
    """A time's hour, minute or second as a message shows it: a number of thousands of
    digits (a hostile note's) is not read as one, which Python refuses past 4,300."""
    digits = digits.lstrip("0") or "0"
    return digits if len(digits) <= 9 else f"a number of {len(digits):,} digits"


def _written_day(value: str) -> dt.date | tuple[str, str, str] | None:
    """The day ``value`` writes as ``YYYY-MM-DD`` (a time after it or not, as Jekyll and
    Hugo write it) or ``YYYYMMDD``. One so written that is no day of the calendar, or whose
    time or offset from UTC no clock shows (``2024-02-30``, ``T25:00``), is why not, what
    to write and an example of it; one written otherwise is None."""
    text = value.strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    read = "" if match.re is _DATE else "as YYYYMMDD, "
    if year < 1 or not 1 <= month <= 12:
        why = "the year is 0" if year < 1 else f"the month is {month}, and months are 1 to 12"
        return read + why, "a day of the calendar", "YYYY-MM-DD"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return (f"{read}{calendar.month_name[month]} {year} has {days} days",
                "a day of the calendar", "YYYY-MM-DD")
    date = dt.date(year, month, day)
    time, zone = (match[4] or "", match[5] or "") if match.re is _DATE else ("", "")
    numbers = [part.partition(".")[0] for part in time.split(":")] if time else []
    if len(numbers) > 3 or not all(n.isdigit() for n in numbers):
        why = f"'{time}' is no time of the day (HH:MM:SS)"
    else:
        why = next((f"the {unit} is {_clock_number(n)}, and {unit}s are 0 to {top}"
                    for (unit, top), n in zip(_CLOCK, numbers, strict=False)
                    if int(n.lstrip("0")[:3] or 0) > top), "")  # no int of 5,000 digits
    offset = zone.lstrip("+-").replace(":", "") if zone != "Z" else ""
    if not why and offset and not (offset.isdigit() and len(offset) in (1, 2, 4)
                                   and int(offset[:2]) <= 23 and int(offset[2:] or 0) <= 59):
        why = f"'{zone}' is no offset from UTC (+HH:MM, under 24 hours)"
    if why:
        return why, "a time of the day, or the day alone", date.isoformat()
    return date


_EPOCH = re.compile(r"^(?:[0-9]{9,10}|([0-9]{13}))$")
"""Seconds since 1970 (9 or 10 digits: 1973 to 2286), or milliseconds (13 digits: 2001 to
2286, Dendron's). Other lengths are no epoch time: 8 digits are ``YYYYMMDD``
(:data:`_COMPACT_DATE`; one that is no such day is no date) and 12 or 14 a Zettelkasten's
``YYYYMMDDHHMM[SS]``, which as milliseconds or seconds would be a wrong day, not none."""
_PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{1,2}))?$")


def _epoch_date(value: str) -> dt.date | None:
    """The UTC day of epoch seconds or milliseconds written as :data:`_EPOCH` says."""
    match = _EPOCH.match(value.strip())
    if not match:
        return None
    seconds = int(match.group(0)) // (1000 if match.group(1) else 1)
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)).date()


def _partial_date(value: str) -> tuple[dt.date, str] | None:
    """A bare year (``2024``) or year-month (``2024-05``) as its first day, and which."""
    match = _PARTIAL_DATE.match(value.strip())
    if not match:
        return None
    year, month = int(match.group(1)), match.group(2)
    try:
        return dt.date(year, int(month or 1), 1), "month" if month else "year"
    except ValueError:
        return None


def _parse_probability(value: str) -> float | None:
    text = value.strip()
    try:
        p = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None
    return p if 0.0 <= p <= 1.0 else None
