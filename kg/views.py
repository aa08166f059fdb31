"""What a page shows, computed from the records: the connection view of a note, and more.

These are plain values built once per build from the :class:`~kg.model.Wiki`; templates
only lay them out. The same views feed ``kg connections`` in the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from kg.ids import NoteId
from kg.model import Edge, EdgeKind, Note, QuestionStatus, TrackedQuestion, Wiki
from kg.relations import RELATIONS


@dataclass(frozen=True, slots=True)
class Link:
    """One row of a connection view: the other note and what the edge says."""

    other: NoteId
    title: str
    exists: bool
    relation: str
    label: str
    annotation: str
    line: int
    direction: str
    kind: str


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    relation: str
    links: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class ConnectionView:
    outgoing: tuple[Group, ...]
    incoming: tuple[Group, ...]
    mentions_out: tuple[Link, ...]
    mentions_in: tuple[Link, ...]

    @property
    def empty(self) -> bool:
        return not (self.outgoing or self.incoming or self.mentions_out or self.mentions_in)


_ORDER = {r.name: i for i, r in enumerate(RELATIONS)}


class Views:
    """Indexes over a wiki, computed once: edges by note, questions by note."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        out: dict[NoteId, list[Edge]] = defaultdict(list)
        inc: dict[NoteId, list[Edge]] = defaultdict(list)
        for edge in wiki.edges:
            out[edge.source].append(edge)
            inc[edge.target].append(edge)
        self.out: Mapping[NoteId, list[Edge]] = out
        self.inc: Mapping[NoteId, list[Edge]] = inc
        questions: dict[NoteId, list[TrackedQuestion]] = defaultdict(list)
        for tq in wiki.questions:
            questions[tq.question.note].append(tq)
        self.questions: Mapping[NoteId, list[TrackedQuestion]] = questions

    def _link(self, edge: Edge, direction: str) -> Link:
        other = edge.target if direction == "out" else edge.source
        rel = edge.relation
        if rel is None:
            label = "Mentions" if direction == "out" else "Mentioned by"
        else:
            label = rel.label if direction == "out" else rel.inverse
        return Link(
            other=other,
            title=self.wiki.node_label(other),
            exists=other in self.wiki.notes,
            relation=edge.label,
            label=label,
            annotation=edge.annotation,
            line=edge.line,
            direction=direction,
            kind=edge.kind.value,
        )

    def connections(self, nid: NoteId) -> ConnectionView:
        def grouped(edges: list[Edge], direction: str) -> tuple[Group, ...]:
            groups: dict[str, list[Link]] = defaultdict(list)
            for edge in edges:
                if edge.kind is EdgeKind.CONNECTION:
                    groups[edge.label].append(self._link(edge, direction))
            return tuple(
                Group(links[0].label, rel, tuple(links))
                for rel, links in sorted(groups.items(), key=lambda kv: _ORDER.get(kv[0], 99))
            )

        def mentions(edges: list[Edge], direction: str) -> tuple[Link, ...]:
            seen: set[NoteId] = set()
            links: list[Link] = []
            for edge in edges:
                if edge.kind is not EdgeKind.MENTION:
                    continue
                link = self._link(edge, direction)
                if (link.other, link.annotation) in seen:  # type: ignore[comparison-overlap]
                    continue
                seen.add((link.other, link.annotation))  # type: ignore[arg-type]
                links.append(link)
            return tuple(links)

        out, inc = self.out.get(nid, []), self.inc.get(nid, [])
        return ConnectionView(grouped(out, "out"), grouped(inc, "in"),
                              mentions(out, "out"), mentions(inc, "in"))

    def neighbours(self, nid: NoteId, depth: int = 2) -> set[NoteId]:
        """Every node within ``depth`` hops, either direction, the note included."""
        seen = {nid}
        frontier = {nid}
        for _ in range(depth):
            step: set[NoteId] = set()
            for node in frontier:
                step.update(e.target for e in self.out.get(node, []))
                step.update(e.source for e in self.inc.get(node, []))
            frontier = step - seen
            seen |= frontier
        return seen


def question_age(tq: TrackedQuestion, note: Note | None, today: dt.date) -> int | None:
    """Days since the question's note was dated, or None when the note has no date."""
    if note is None or note.date is None:
        return None
    return max(0, (today - note.date).days)


def open_first(tq: TrackedQuestion) -> tuple[int, str]:
    order = {QuestionStatus.OPEN: 0, QuestionStatus.ANSWERED: 1, QuestionStatus.DROPPED: 2}
    return order[tq.status], tq.question.id
