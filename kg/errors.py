"""Errors and findings as values. Nothing here knows about click.

Every problem a user can cause names the file (and line, when there is one), says what is
wrong, and says what would be right. The CLI turns a :class:`KgError` into a message and a
non-zero exit; the library raises it and never prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from types import MappingProxyType


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: a file relative to the wiki and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the wiki; an error stops a build, a warning does not."""

    severity: Severity
    code: str
    message: str
    where: Location | None = None
    hint: str = ""

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        tail = f" ({self.hint})" if self.hint else ""
        return f"{head}{self.severity.value}: {self.message}{tail}"


class KgError(Exception):
    """A problem the user can fix. ``str(err)`` is the whole message, ready to print."""

    def __init__(
        self,
        message: str,
        *,
        file: str | PurePath | None = None,
        line: int | None = None,
        hint: str = "",
        findings: tuple[Finding, ...] = (),
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint
        self.findings = findings
        super().__init__(self.__str__())

    @property
    def where(self) -> Location | None:
        return Location(self.file, self.line) if self.file else None

    def as_finding(self, code: str = "error") -> Finding:
        return Finding(Severity.ERROR, code, self.message, self.where, self.hint)

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        tail = f"\n  hint: {self.hint}" if self.hint else ""
        more = "".join(f"\n  {f}" for f in self.findings)
        return f"{head}{self.message}{tail}{more}"


class NoteError(KgError):
    """A note cannot be read: bad encoding, front-matter, a field of the wrong shape.
    ``findings`` holds the note's other problems found with it (its other fields' errors,
    its warnings), each with its line; ``code`` is this one's (``bad-note``, or
    ``unknown-relation`` for a connection's ``rel:``)."""

    def __init__(self, message: str, *, file: str | PurePath | None = None,
                 line: int | None = None, hint: str = "", findings: tuple[Finding, ...] = (),
                 code: str = "bad-note") -> None:
        super().__init__(message, file=file, line=line, hint=hint, findings=findings)
        self.code = code

    def as_findings(self) -> tuple[Finding, ...]:
        """This error and the note's other problems found with it, as findings."""
        return (self.as_finding(self.code), *self.findings)


class NoteGone(NoteError):
    """A note file found in the wiki was removed before it was read (a ``git checkout``, a
    sync, a save made while the wiki was read): the wiki as read has no such note."""


class ResolveError(KgError):
    """A link or connection target is ambiguous, or ids collide."""


class ConfigError(KgError):
    """``kg.toml`` or a command-line option is wrong."""


class NotFound(KgError):
    """A note, question or file asked for by name does not exist."""


class TemplateError(KgError):
    """A template (the theme's, or one of the wiki's own) cannot be rendered."""


class EditorFailed(KgError):
    """The editor a command opens (``kg new --edit``) cannot be run, or fails; the note it
    was to open is written all the same."""


class BuildFailed(KgError):
    """The wiki has errors; ``findings`` holds every one of them."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """What a lenient read of the wiki left out, each with its error: the files whose names
    give no id (or another file's), the notes that cannot be read or parsed, and the links
    that name two notes. A query answers without them and says so (:meth:`warning`); a
    build fails with :meth:`error`, the very error a strict read raises."""

    names: tuple[Finding, ...] = ()
    notes: tuple[Finding, ...] = ()
    links: tuple[Finding, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.notes or self.links)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return (*self.names, *self.notes, *self.links)

    @property
    def files(self) -> int:
        """How many note files were left out whole (a finding without a file: one each)."""
        return files_of((*self.names, *self.notes))

    def error(self) -> KgError | None:
        """What stops a strict read, as :func:`kg.discover.discover` and
        :func:`kg.cache.load_notes` raise it: the names first (nothing is parsed before they
        are ids), then the notes with the ambiguous links of the others, then the links."""
        if self.names:
            folders = sum(f.code == "unreadable" for f in self.names)
            said = [f"{len(self.names) - folders} note file name(s) cannot be ids"] * (
                folders < len(self.names))
            if folders:
                said.append(f"{folders} folder{'' if folders == 1 else 's'} of the wiki "
                            f"cannot be read")
            return BuildFailed(" and ".join(said), findings=self.names)
        if self.notes:
            errors = (*self.notes, *self.links)
            return BuildFailed(notes_have_errors(errors), findings=errors)
        if self.links:
            return ResolveError(f"{len(self.links)} link target(s) are ambiguous",
                                findings=self.links)
        return None

    def warning(self) -> str:
        """What a query says on standard error before it answers without them: how many
        notes and links, and each one's finding (file:line: what is wrong)."""
        parts = []
        folders = sum(f.code == "unreadable" for f in self.names)
        files = files_of((*(f for f in self.names if f.code != "unreadable"), *self.notes))
        if files:
            parts.append(f"{files} note{'' if files == 1 else 's'} with errors")
        if folders:
            parts.append(f"the notes of {folders} folder{'' if folders == 1 else 's'} "
                         "that cannot be read")
        if self.links:
            links = len(self.links)
            parts.append(f"{links} ambiguous link{'' if links == 1 else 's'}")
        them = "it is" if files + folders + len(self.links) == 1 else "they are"
        head = (f"warning: {' and '.join(parts)} left out of the answer "
                f"(`kg build` fails until {them} fixed):")
        return "\n".join([head, *(f"  {f}" for f in self.findings)])


def files_of(findings: Iterable[Finding]) -> int:
    """How many files ``findings`` are about (a finding without a file: one each): a note
    with several errors is one note with errors."""
    return len({str(f.where.file) if f.where else f"#{n}" for n, f in enumerate(findings)})


def notes_have_errors(findings: Iterable[Finding]) -> str:
    """``1 note has errors``, ``3 notes have errors``: what a build that fails says first."""
    files = files_of(findings)
    return f"{files} {'note has' if files == 1 else 'notes have'} errors"


CODES: Mapping[str, str] = MappingProxyType({
    # errors: what stops a build, or makes a link mean two things
    "bad-id": "a note file whose name gives no id (no letters or digits, a reserved or "
              "undecodable name, a control character)",
    "duplicate-id": "two note files whose names give one id",
    "unreadable": "a note file, or a folder of the wiki, that cannot be opened",
    "bad-note": "a note that cannot be read (its encoding, its front-matter)",
    "unknown-relation": "a connection's rel: that is no relation",
    "ambiguous-target": "a link or connection that names more than one note",
    "duplicate-alias": "an alias two notes claim",
    "duplicate-id-field": "an id: in front-matter that another note claims as its id: or alias",
    # warnings
    "file-skipped": "a file ending in .md that is no regular file, or a Markdown file "
                    "ending otherwise (.markdown), which is no note",
    "symlink-skipped": "a symlink that leads out of the wiki, in a loop, or to nothing",
    "unread-front-matter": "fields written where they are not read (after blank lines, JSON, "
                           "Logseq's key:: value)",
    "unknown-property": "a key:: value line opening a note, read as a page property that kg "
                        "does not use (Note:: read this twice), not on the page",
    "yaml-comment": "a #word that YAML reads as a comment, lost from the value",
    "bidi-control": "a title, alias or tag holding a bidirectional override or embedding "
                    "(U+202E), which shows text in another order than it is written",
    "empty-title": "an empty title:",
    "bad-publish": "a publish:/published: that is not true or false",
    "bad-date": "a date that is no date",
    "partial-date": "a date that names only a year or a month, read as its first day",
    "bad-tier": "a tier that is no tier",
    "duplicate-connection": "the same connection written twice",
    "duplicate-key": "a front-matter key written again in another case (Tags: beside tags:)",
    "missing-title": "no title",
    "missing-date": "no date",
    "missing-tier": "no tier",
    "bad-id-field": "an id: in front-matter that is a list or mapping, not one name",
    "alias-shadowed": "an alias that is another note's id",
    "id-field-shadowed": "an id: in front-matter that is another note's id",
    "duplicate-title": "a title two notes share",
    "broken-target": "a link to no note, close to a note's name (a typo?)",
    "placeholder": "a link to no note yet",
    "self-connection": "a note that connects to itself",
    "broken-heading": "a link to a heading the note lacks",
    "broken-block": "a link to a block (^id) the note lacks",
    "unknown-question": "an answer to a question nobody asked",
    "missing-attachment": "a file a note embeds or links that the wiki lacks",
    "unpublished-attachment": "a file a note embeds or links that the site never publishes",
    "one-way": "a typed connection the other note does not return",
    "orphan": "a note no note links to, that links to none",
    "forecast-due": "a forecast past its date, unresolved",
    "unknown-resolver": "a forecast resolved by a note that does not exist, or by a name two "
                        "notes have",
    "bad-query": "a saved query (queries/*.rq) that does not parse, or is an update",
})
"""Every code a :class:`Finding` of ``kg check`` or ``kg build`` can have, with what it
finds: what ``--ignore`` and ``ignore`` in kg.toml accept."""


NAMED = 10
"""How many of the notes that share a name a finding names (the rest are counted)."""


def some_of(ids: Iterable[str], limit: int = NAMED) -> str:
    """``a, b, c``: the first ``limit`` of ``ids`` in their order, and how many more there
    are. 3,000 notes titled "Meeting notes" each named all the others: ``kg check`` wrote
    200 MB, and held a gigabyte."""
    items = list(ids)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit:,} more"


def unknown_codes(codes: Iterable[str], *, where: str, file: str | PurePath | None = None
                  ) -> ConfigError | None:
    """The error for the first of ``codes`` that is no :data:`CODES` code (None when all
    are): it names the valid codes, the closest to the one written first."""
    wrong = next((code for code in codes if code not in CODES), None)
    if wrong is None:
        return None
    from rapidfuzz import fuzz, process

    near = process.extractOne(wrong, list(CODES), scorer=fuzz.ratio, score_cutoff=60)
    first = [near[0]] if near else []
    listed = ", ".join([*first, *sorted(c for c in CODES if c not in first)])
    guess = f"did you mean '{first[0]}'? " if first else ""
    return ConfigError(f"unknown finding code '{wrong}' in {where}", file=file,
                       hint=f"{guess}the codes are {listed}")
