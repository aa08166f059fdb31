"""The records: immutable, typed values that every later stage reads.

A :class:`Note` is what one file says, targets as written. A :class:`Wiki` is every note
together, with each target resolved to a note or a placeholder (:mod:`kg.resolve`). The RDF
graph, the NetworkX graph and the site are projections of a ``Wiki``; nothing downstream
re-reads a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from kg.errors import Finding
from kg.ids import NoteId
from kg.relations import Relation

if TYPE_CHECKING:
    from kg.frontmatter import Syntax


@dataclass(frozen=True, slots=True)
class Source:
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    written: str | None = None
    """The title as written where it holds a ``[[link]]`` (``source: "[[Smith 2020]]"``, a
    literature vault's note of the paper), which the note's page shows as a link; ``title``
    is its text (the name linked to)."""


@dataclass(frozen=True, slots=True)
class Connection:
    """A typed connection written in front-matter: ``{to, rel, note}``."""

    target: str
    relation: Relation
    annotation: str
    line: int


@dataclass(frozen=True, slots=True)
class Mention:
    """A ``[[wikilink]]`` in the body, with the sentence around it."""

    target: str
    label: str | None
    heading: str | None
    line: int
    context: str
    rooted: bool = False
    """A Markdown link to a note's file, ``[P](Areas/Plan.md)``: looked up from the note's
    folder, else from the wiki's root (:func:`kg.ids.from_root`)."""
    block: bool = False
    """A Logseq block reference, ``((uuid))``: the target is the block's id, which names
    the note holding the block (:attr:`Note.blocks`); one no note holds is no placeholder."""


class QuestionStatus(str, Enum):
    OPEN = "open"
    ANSWERED = "answered"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Question:
    """An open question; ``id`` is ``<note>#q-<first words>``, stable while its text is."""

    id: str
    note: NoteId
    text: str
    line: int
    declared: QuestionStatus = QuestionStatus.OPEN


@dataclass(frozen=True, slots=True)
class Angle:
    """A numbered item of a note's "Research angle" section."""

    id: str
    note: NoteId
    number: int
    title: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Forecast:
    """A claim with a probability and a resolve-by date."""

    id: str
    note: NoteId
    claim: str
    p: float
    by: dt.date
    line: int
    source: str | None = None
    resolved: bool | None = None
    resolved_by: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A note's claim, in ``answers:``, that it answers (or drops) a question."""

    question: str
    line: int
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A heading of the body, the line it starts on, and where its text is in the body."""

    key: str
    heading: str
    line: int
    source: str = field(default="", repr=False)
    """The note's body: the very string, not a copy (a note's sections would hold its text
    twice over, in memory and in the cache)."""
    start: int = 0
    end: int = 0

    @property
    def text(self) -> str:
        """The lines under the heading, up to the next heading of its level or higher."""
        return self.source[self.start:self.end]


@dataclass(frozen=True, slots=True)
class Note:
    id: NoteId
    path: str
    title: str
    body: str
    body_line: int
    date: dt.date | None = None
    modified: dt.date | None = None
    """The day the note was last changed, as its front-matter says (Dendron's ``updated:``):
    its page's "Updated" and ``dateModified``; never its date."""
    tier: int | None = None
    type: str = "digest"
    authors: tuple[str, ...] = ()
    source: Source | None = None
    raw: str | None = None
    aliases: tuple[str, ...] = ()
    frontmatter_id: str | None = None
    """The ``id:`` of its front-matter as written (``202405011230``, Dendron's random one):
    another name the note answers to, as an alias does; None when it is the note's own id."""
    blocks: tuple[str, ...] = ()
    """The ids of its Logseq blocks (``id:: <uuid>`` under a block): names of the note that
    ``((uuid))`` block references elsewhere are looked up by."""
    tags: tuple[str, ...] = ()
    connections: tuple[Connection, ...] = ()
    mentions: tuple[Mention, ...] = ()
    questions: tuple[Question, ...] = ()
    angles: tuple[Angle, ...] = ()
    forecasts: tuple[Forecast, ...] = ()
    answers: tuple[Answer, ...] = ()
    sections: tuple[Section, ...] = ()
    summary: str = ""
    words: int = 0
    files: tuple[str, ...] = ()
    """The attachments the body links or embeds, as written (:mod:`kg.attachments`)."""
    field_lines: Mapping[str, int] = field(default_factory=dict)
    syntax: Syntax = "yaml"
    """How its front-matter writes a field (``tier: 1``, ``tier = 1``, ``tier:: 1``): what a
    hint to add or mend one says. YAML for a note without front-matter."""
    warnings: tuple[Finding, ...] = ()
    digest: str = ""
    published: bool = True
    """False for a draft (``publish: false``, ``draft: true``): left out of the wiki when
    it is resolved (:func:`kg.resolve.resolve_wiki`), so of the site and the graph."""

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


class EdgeKind(str, Enum):
    CONNECTION = "connection"
    MENTION = "mention"


@dataclass(frozen=True, slots=True)
class Edge:
    """One resolved edge: a typed connection or a body mention."""

    source: NoteId
    target: NoteId
    kind: EdgeKind
    relation: Relation | None
    annotation: str
    line: int
    written: str

    @property
    def label(self) -> str:
        return self.relation.name if self.relation else "mentions"


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A target that no note defines yet; kept in the graph, drawn as a ghost."""

    id: NoteId
    label: str
    referenced_by: tuple[NoteId, ...]


@dataclass(frozen=True, slots=True)
class TrackedQuestion:
    """A question with what the whole wiki says of it."""

    question: Question
    status: QuestionStatus
    answered_by: tuple[NoteId, ...] = ()


@dataclass(frozen=True, slots=True)
class Wiki:
    """Every note, resolved. Mappings are sorted by id; tuples are in a fixed order."""

    notes: Mapping[NoteId, Note]
    edges: tuple[Edge, ...]
    placeholders: Mapping[NoteId, Placeholder]
    questions: tuple[TrackedQuestion, ...]
    warnings: tuple[Finding, ...] = ()

    def node_label(self, nid: NoteId) -> str:
        note = self.notes.get(nid)
        if note is not None:
            return note.title
        placeholder = self.placeholders.get(nid)
        return placeholder.label if placeholder else nid

    def outgoing(self, nid: NoteId) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.source == nid)

    def incoming(self, nid: NoteId) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == nid)
