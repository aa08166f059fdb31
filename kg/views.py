"""What a page shows, computed from the records: the connection view of a note, and more.

These are plain values built once per build from the :class:`~kg.model.Wiki`; templates
only lay them out. The same views feed ``kg connections`` in the terminal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from kg.ids import NoteId, hashed_id, slugify
from kg.memo import LastMade, PerRecord, between_builds
from kg.model import (
    Edge,
    EdgeKind,
    Forecast,
    Note,
    Placeholder,
    QuestionStatus,
    TrackedQuestion,
    Wiki,
)
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

    @property
    def mentions_out_by_context(self) -> tuple[tuple[str, tuple[Link, ...]], ...]:
        return by_context(self.mentions_out)

    @property
    def mentions_in_by_note(self) -> tuple[tuple[Link, tuple[str, ...]], ...]:
        return by_note(self.mentions_in)


def by_note(links: Iterable[Link]) -> tuple[tuple[Link, tuple[str, ...]], ...]:
    """Mentions from one note together (a note that names this one 300 times is one entry):
    each note's first link, with the sentences it mentions this one in."""
    notes: dict[NoteId, tuple[Link, list[str]]] = {}
    for link in links:
        contexts = notes.setdefault(link.other, (link, []))[1]
        if link.annotation and link.annotation not in contexts:
            contexts.append(link.annotation)
    return tuple((link, tuple(contexts)) for link, contexts in notes.values())


def by_context(links: Iterable[Link]) -> tuple[tuple[str, tuple[Link, ...]], ...]:
    """Mentions that share a sentence, together, in the order the sentences come."""
    groups: dict[str, list[Link]] = {}
    for link in links:
        groups.setdefault(link.annotation, []).append(link)
    return tuple((context, tuple(group)) for context, group in groups.items())


_ORDER = {r.name: i for i, r in enumerate(RELATIONS)}


_KIND = operator.attrgetter("kind")
_STATUS = operator.attrgetter("status")


def edge_kinds(wiki: Wiki) -> Counter[EdgeKind]:
    """How many edges of each kind (connections, mentions) the wiki has."""
    return Counter(_kinds(wiki.edges))


_kinds = LastMade(lambda edges: Counter(map(_KIND, edges)))
"""The edges' kinds counted; the last count while the edges are the same (kg serve)."""


class EdgeIndex(NamedTuple):
    """What :class:`Views` reads of the edges alone: each node's outgoing and incoming
    edges, its degree (other nodes linked either way) and those nodes, best linked first
    (so that a capped neighbourhood keeps the hubs)."""

    out: Mapping[NoteId, tuple[Edge, ...]]
    inc: Mapping[NoteId, tuple[Edge, ...]]
    at: Mapping[NoteId, tuple[Edge, ...]]
    """Each node's edges either way, in the wiki's order (a self-link once)."""
    degree: Mapping[NoteId, int]
    adjacent: Mapping[NoteId, tuple[NoteId, ...]]


def _edge_index(edges: tuple[Edge, ...]) -> EdgeIndex:
    out: dict[NoteId, list[Edge]] = defaultdict(list)
    inc: dict[NoteId, list[Edge]] = defaultdict(list)
    at: dict[NoteId, list[Edge]] = defaultdict(list)
    near: dict[NoteId, set[NoteId]] = defaultdict(set)
    for edge in edges:
        source, target = edge.source, edge.target
        out[source].append(edge)
        inc[target].append(edge)
        at[source].append(edge)
        if source != target:
            at[target].append(edge)
            near[source].add(target)
            near[target].add(source)
    degree = {nid: len(others) for nid, others in near.items()}
    return EdgeIndex(
        {nid: tuple(found) for nid, found in out.items()},
        {nid: tuple(found) for nid, found in inc.items()},
        {nid: tuple(found) for nid, found in at.items()},
        degree,
        {nid: tuple(sorted(others, key=lambda o: (-degree.get(o, 0), o)))
         for nid, others in near.items()})


def only_moved(changes: list[tuple[int, Edge, Edge]]) -> bool:
    """Whether each changed edge is the old one but for its line (an edit that added or took
    out a line before a note's links)."""
    return all(dataclasses.replace(old, line=new.line) == new for _, old, new in changes)


def _moved_index(index: EdgeIndex, changes: list[tuple[int, Edge, Edge]]) -> EdgeIndex | None:
    """``index`` with each changed edge in its old one's places, when only their lines
    changed (the neighbours and degrees are the same); None otherwise."""
    if not only_moved(changes):
        return None
    # by value: ``index`` may hold equal edges of an earlier resolution than ``changes``'
    swap = {old: new for _, old, new in changes}
    ends = {nid for _, old, _ in changes for nid in (old.source, old.target)}

    def moved(table: Mapping[NoteId, tuple[Edge, ...]]) -> dict[NoteId, tuple[Edge, ...]]:
        copy = dict(table)
        for nid in ends:
            found = copy.get(nid)
            if found is not None:
                copy[nid] = tuple(swap.get(edge, edge) for edge in found)
        return copy

    return index._replace(out=moved(index.out), inc=moved(index.inc), at=moved(index.at))


edge_index: LastMade[EdgeIndex] = LastMade(_edge_index, _moved_index)
"""The :class:`EdgeIndex` of the wiki's edges; the last one again while they are equal
(most edits in ``kg serve``: a tenth of the time of making it), or with an edit's edges put
in place where only their lines moved (an added line: 0.2 s made again)."""


_DATE = operator.attrgetter("date")
_ASKER = operator.attrgetter("question.note")
_ANGLES = operator.attrgetter("angles")
_FORECASTS = operator.attrgetter("forecasts")
K = TypeVar("K")


def _questions_by_asker(questions: tuple[TrackedQuestion, ...]
                        ) -> dict[NoteId, list[TrackedQuestion]]:
    found: dict[NoteId, list[TrackedQuestion]] = {}
    # a note's questions are together (kg.resolve tracks them note by note): a run each
    for nid, run in itertools.groupby(questions, _ASKER):
        found.setdefault(nid, []).extend(run)
    return found


_by_asker = LastMade(_questions_by_asker, identical=True)
"""Each note's tracked questions; the last build's while they are the same (an edit of a
note's text: 25,000 questions at 10,000 notes, grouped again)."""


class _Groups(NamedTuple):
    """The notes of each tag and each tier, newest first, and the tags' slugs."""

    by_tag: dict[str, list[Note]]
    by_tier: dict[int | None, list[Note]]
    tag_slugs: dict[str, str]


def _grouped(notes: tuple[Note, ...]) -> _Groups:
    by_tag: dict[str, list[Note]] = defaultdict(list)
    by_tier: dict[int | None, list[Note]] = defaultdict(list)
    for note in notes:
        by_tier[note.tier].append(note)
        for tag in dict.fromkeys(note.tags):
            by_tag[tag].append(note)
    tags = dict(sorted(by_tag.items()))
    return _Groups(tags, dict(sorted(by_tier.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
                   unique_slugs(tags))


def _regrouped(groups: _Groups, changes: list[tuple[int, Note, Note]]) -> _Groups | None:
    """``groups`` with each changed note in its old record's places, where it is the same
    note, its tier and tags as they were (an edit of its text); None otherwise: another
    note in its place by date (a title changed, which orders notes of one day) has moved
    in every list."""
    by_tag, by_tier = dict(groups.by_tag), dict(groups.by_tier)
    try:
        for _at, old, new in changes:
            if old.id != new.id or old.tier != new.tier or old.tags != new.tags:
                return None
            _put(by_tier, new.tier, old, new)
            for tag in dict.fromkeys(new.tags):
                _put(by_tag, tag, old, new)
    except ValueError:  # not there by identity
        return None
    return _Groups(by_tag, by_tier, groups.tag_slugs)


def _put(group: dict[K, list[Note]], key: K, old: Note, new: Note) -> None:
    """``new`` in ``old``'s place in ``group[key]``, a copy (the last build's is kept)."""
    notes = group[key] = list(group[key])
    notes[list(map(id, notes)).index(id(old))] = new


_Months = tuple[tuple[str, list[Note]], ...]
"""Each month (``YYYY-MM``; ``""``: undated, last) with its notes, newest first."""


def _by_month(notes: tuple[Note, ...]) -> _Months:
    months: dict[str, list[Note]] = defaultdict(list)
    dates = list(map(_DATE, notes))
    month = {day: day.strftime("%Y-%m") if day else "" for day in set(dates)}  # a few
    for key, note in zip(map(month.__getitem__, dates), notes, strict=True):
        months[key].append(note)
    rows = sorted(((k, v) for k, v in months.items() if k), reverse=True)
    if "" in months:
        rows.append(("", months[""]))
    return tuple(rows)


def _by_month_again(rows: _Months, changes: list[tuple[int, Note, Note]]) -> _Months | None:
    """``rows`` with each changed note in its old record's place, where it is the same note
    and its date is as it was; None otherwise (see :func:`_regrouped`)."""
    by_month = dict(rows)
    try:
        for _at, old, new in changes:
            if old.id != new.id or old.date != new.date:
                return None
            _put(by_month, new.date.strftime("%Y-%m") if new.date else "", old, new)
    except ValueError:  # not there by identity (see _regrouped)
        return None
    return tuple((month, by_month[month]) for month, _ in rows)


_months = LastMade(_by_month, _by_month_again, identical=True)
"""The notes by month; the last build's while the notes are the same, or with an edited
note in its place."""


_groups = LastMade(_grouped, _regrouped, identical=True)
"""The notes of each tag and tier by date; the last build's while the notes are the same, or
with an edited note's new record in its old one's places."""
_last_rows: tuple[tuple[Any, ...], list[tuple[Placeholder, list[Link]]]] | None = None
"""The placeholders' rows (:meth:`Views.placeholder_rows`), with the records they read."""


class Views:
    """Indexes over a wiki, computed once per build: edges, neighbours, tags, tiers, dates.

    Every page reads these instead of scanning the wiki, so rendering N pages stays O(N + E).
    """

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        index = edge_index(wiki.edges)
        self.out: Mapping[NoteId, Sequence[Edge]] = index.out
        self.inc: Mapping[NoteId, Sequence[Edge]] = index.inc
        self.degree: Mapping[NoteId, int] = index.degree
        self.adjacent: Mapping[NoteId, tuple[NoteId, ...]] = index.adjacent
        self.questions: Mapping[NoteId, list[TrackedQuestion]] = _by_asker(wiki.questions)

        every = list(wiki.notes.values())
        keys = _NEWEST_FIRST.of(every)  # kept per record (kg serve), compared in C
        notes = list(map(every.__getitem__, sorted(range(len(every)), key=keys.__getitem__)))
        self.by_date: tuple[Note, ...] = tuple(notes)
        groups = _groups(self.by_date)
        self.by_tag: Mapping[str, list[Note]] = groups.by_tag
        self.by_tier: Mapping[int | None, list[Note]] = groups.by_tier
        self.tag_slugs: Mapping[str, str] = groups.tag_slugs

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
        def grouped(edges: Sequence[Edge], direction: str) -> tuple[Group, ...]:
            groups: dict[str, list[Link]] = defaultdict(list)
            for edge in edges:
                if edge.kind is EdgeKind.CONNECTION:
                    groups[edge.label].append(self._link(edge, direction))
            return tuple(
                Group(links[0].label, rel, tuple(links))
                for rel, links in sorted(groups.items(), key=lambda kv: _ORDER.get(kv[0], 99))
            )

        def mentions(edges: Sequence[Edge], direction: str) -> tuple[Link, ...]:
            seen: set[tuple[NoteId, str]] = set()
            links: list[Link] = []
            for edge in edges:
                if edge.kind is not EdgeKind.MENTION:
                    continue
                link = self._link(edge, direction)
                if (link.other, link.annotation) in seen:
                    continue
                seen.add((link.other, link.annotation))
                links.append(link)
            return tuple(links)

        out, inc = self.out.get(nid, ()), self.inc.get(nid, ())
        return ConnectionView(grouped(out, "out"), grouped(inc, "in"),
                              mentions(out, "out"), mentions(inc, "in"))

    def neighbours(self, nid: NoteId, depth: int = 2) -> set[NoteId]:
        """Every node within ``depth`` hops, either direction, the note included."""
        seen = {nid}
        frontier = {nid}
        for _ in range(depth):
            step: set[NoteId] = set()
            for node in frontier:
                step.update(self.adjacent.get(node, ()))
            frontier = step - seen
            seen |= frontier
        return seen

    def neighbourhood(self, nid: NoteId, depth: int = 2, limit: int = 60) -> list[NoteId]:
        """The note and at most ``limit - 1`` nodes within ``depth`` hops, nearest first.

        Within a ring the best-connected come first, and a hub's neighbour list is read only
        as far as the limit, so one page costs O(limit), not O(size of the hub).
        """
        return [nid, *itertools.chain.from_iterable(self._rings(nid, depth, limit, True))]

    def within(self, nid: NoteId, depth: int, limit: int) -> int:
        """How many nodes lie within ``depth`` hops, the note included, counted up to
        ``limit``: :meth:`neighbourhood`'s length, without its order."""
        return 1 + sum(map(len, self._rings(nid, depth, limit, False)))

    def _rings(self, nid: NoteId, depth: int, limit: int, ordered: bool
               ) -> Iterator[list[NoteId]]:
        """The nodes one hop from ``nid``, then two…, a ring at a time, ``limit`` in all with
        the note; each ring best-connected first if ``ordered``."""
        seen = {nid}
        frontier = [nid]
        for _ in range(depth):
            step: list[NoteId] = []
            for node in frontier:
                for other in self.adjacent.get(node, ()):
                    if len(seen) >= limit:
                        break
                    if other not in seen:
                        seen.add(other)
                        step.append(other)
            if ordered:
                step.sort(key=lambda o: (-self.degree.get(o, 0), o))
            yield step
            frontier = step
            if len(seen) >= limit:
                return

    # -- indexes for the index pages ----------------------------------------------------

    def tier_rows(self, tiers: Iterable[int]) -> list[tuple[int | None, list[Note]]]:
        """Every configured tier (even empty), then any other tier in use, then "no tier"."""
        keys: list[int | None] = [*sorted(set(tiers) | {t for t in self.by_tier if t is not None})]
        if None in self.by_tier:
            keys.append(None)
        return [(t, self.by_tier.get(t, [])) for t in keys]

    def timeline(self) -> list[tuple[str, list[Note]]]:
        """Dated notes by month, newest first; undated notes last under "Undated"."""
        return list(_months(self.by_date))

    def placeholder_rows(self) -> list[tuple[Placeholder, list[Link]]]:
        """Each placeholder with the links that point at it, most wanted first; the last
        build's while the placeholders, the edges into them and the notes those come from
        are as they were (``kg serve``: mostly the very same records)."""
        global _last_rows
        into = [*map(self.inc.get, self.wiki.placeholders, itertools.repeat(()))]
        sources = sorted({edge.source for edges in into for edge in edges})
        reads = (*self.wiki.placeholders.values(), *into,
                 *map(self.wiki.notes.get, sources))
        last = _last_rows
        if last is not None and last[0] == reads:  # (the very same records: compared in C)
            return last[1]
        rows = self._placeholder_rows()
        _last_rows = (reads, rows) if between_builds() else None
        return rows

    def _placeholder_rows(self) -> list[tuple[Placeholder, list[Link]]]:
        rows = []
        for ph in self.wiki.placeholders.values():
            view = self.connections(ph.id)
            links = [link for group in view.incoming for link in group.links]
            links += list(view.mentions_in)
            rows.append((ph, links))
        rows.sort(key=lambda row: (-len({link.other for link in row[1]}), row[0].label.casefold(),
                                   row[0].id))
        return rows

    def angle_rows(self) -> list[Note]:
        """Notes that propose research angles: tier first, then newest."""
        # by_tier: the tiers in that order, each newest first (not sorted again: 10,000 keys)
        return [n for notes in self.by_tier.values() for n in notes if n.angles]

    def forecasts(self, today: dt.date) -> ForecastViews:
        every = [(f, self.wiki.notes[f.note]) for n in self.by_date for f in n.forecasts]
        due = sorted((row for row in every if row[0].resolved is None),
                     key=lambda row: (row[0].by, row[0].id))
        resolved = sorted((row for row in every if row[0].resolved is not None),
                          key=lambda row: (row[0].by, row[0].id), reverse=True)
        records: dict[str, list[Forecast]] = defaultdict(list)
        for f, note in every:
            for who in forecasters(f, note):
                records[who].append(f)
        track = [TrackRecord.of(who, fs) for who, fs in records.items()]
        track.sort(key=lambda r: (-r.resolved, -r.made, r.forecaster.casefold()))
        overdue = sum(1 for f, _ in due if f.by < today)
        return ForecastViews(tuple(due), tuple(resolved), tuple(track), overdue)

    def counts(self) -> dict[str, int]:
        kinds = edge_kinds(self.wiki)
        return {
            "notes": len(self.wiki.notes),
            "connections": kinds[EdgeKind.CONNECTION],
            "mentions": kinds[EdgeKind.MENTION],
            "placeholders": len(self.wiki.placeholders),
            "questions": len(self.wiki.questions),
            # (compared, not hashed: an enum's hash is Python code, 25,000 calls)
            "open_questions": operator.countOf(map(_STATUS, self.wiki.questions),
                                               QuestionStatus.OPEN),
            "angles": sum(map(len, map(_ANGLES, self.wiki.notes.values()))),
            "forecasts": sum(map(len, map(_FORECASTS, self.wiki.notes.values()))),
            "tags": len(self.by_tag),
        }

    def top_tags(self, limit: int | None = None) -> list[tuple[str, int]]:
        ranked = sorted(((t, len(ns)) for t, ns in self.by_tag.items()),
                        key=lambda kv: (-kv[1], kv[0]))
        return ranked[:limit] if limit else ranked


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """How one forecaster's claims have resolved; Brier score over the resolved ones."""

    forecaster: str
    made: int
    resolved: int
    correct: int
    brier: float | None

    @classmethod
    def of(cls, forecaster: str, forecasts: list[Forecast]) -> TrackRecord:
        done = [f for f in forecasts if f.resolved is not None]
        correct = sum(1 for f in done if (f.p >= 0.5) == bool(f.resolved))
        brier = (sum((f.p - (1.0 if f.resolved else 0.0)) ** 2 for f in done) / len(done)
                 if done else None)
        return cls(forecaster, len(forecasts), len(done), correct, brier)


@dataclass(frozen=True, slots=True)
class ForecastViews:
    due: tuple[tuple[Forecast, Note], ...]
    resolved: tuple[tuple[Forecast, Note], ...]
    track: tuple[TrackRecord, ...]
    overdue: int


def forecasters(forecast: Forecast, note: Note) -> tuple[str, ...]:
    """Whose forecast it is: its own ``source``, else the note's authors, else its publisher."""
    if forecast.source:
        return (forecast.source,)
    if note.authors:
        return note.authors
    if note.source and note.source.publisher:
        return (note.source.publisher,)
    return ("Unattributed",)


def newest_first(note: Note) -> tuple[int, int, str, str]:
    """Dated notes newest first, then undated; ties by title, then id."""
    ordinal = note.date.toordinal() if note.date else 0
    return (note.date is None, -ordinal, note.title.casefold(), note.id)


_NEWEST_FIRST = PerRecord(newest_first)


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A page slug per name (a tag's), which other names coming and going move only where
    two names of words slug alike.

    A name of words (letters and digits of any script, and separators: ``deep-learning``,
    ``Deep Learning``, ``ml/ai``, ``über``) is its slug; a name with other signs
    (``c++``, ``c#``), which its slug would lose, is the slug and a hash of the name
    (``c-3ce177``), so that ``#c`` arriving later does not take its page. Of names of words
    that slug alike, the one that is its slug (else the first in sorted order) keeps it and
    the others are hashed too.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names, key=lambda n: (slugify(n) != n, n)):
        slug = slugify(name)
        if not _words(name) or slug in taken or slug == "index":  # tags/index.html: the folder's
            base = slug = hashed_id(name)
            n = 1
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
        taken.add(slug)
        slugs[name] = slug
    return dict(sorted(slugs.items()))


_NOT_WORDS = re.compile(r"[^\w\s/.-]")
"""A sign a slug drops that is not a separator: a name holding one is not only words."""


def _words(name: str) -> bool:
    return _NOT_WORDS.search(name) is None


def question_age(tq: TrackedQuestion, note: Note | None, today: dt.date) -> int | None:
    """Days since the question's note was dated, or None when the note has no date."""
    if note is None or note.date is None:
        return None
    return max(0, (today - note.date).days)


def open_first(tq: TrackedQuestion) -> tuple[int, str]:
    order = {QuestionStatus.OPEN: 0, QuestionStatus.ANSWERED: 1, QuestionStatus.DROPPED: 2}
    return order[tq.status], tq.question.id
