"""Every note together: resolve each target the way Obsidian does, and track questions.

A target resolves, in this order, by note id, by path (``folder/note``), by file stem, by
alias, and by title, each case-insensitively. A target two notes claim at the same step is
ambiguous: an error naming both; but a file stem two folders share (a ``Plan.md`` in each
project) names, from a note in one of them, the file beside it, as in Obsidian. A target
nothing claims becomes a placeholder, kept in the graph with the label it was first
written with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from kg.errors import Finding, Location, ResolveError, Severity
from kg.ids import NoteId, name_key, slugify, target_text
from kg.model import (
    Edge,
    EdgeKind,
    Note,
    Placeholder,
    QuestionStatus,
    TrackedQuestion,
    Wiki,
)


class Resolver:
    """Looks up a target as written and gives the id of the note it names."""

    def __init__(self, notes: Iterable[Note]) -> None:
        self.by_id: dict[str, NoteId] = {}
        self.folders: dict[NoteId, str] = {}
        # one table per step, so an alias that equals another note's id never shadows it
        self.steps: tuple[dict[str, set[NoteId]], ...] = ({}, {}, {}, {})
        for note in notes:
            self.by_id[note.id] = note.id
            self.folders[note.id] = note.path.rpartition("/")[0]
            path = note.path.removesuffix(".md")
            stem = path.rsplit("/", 1)[-1]
            names = (
                [path],
                [stem],
                list(note.aliases),
                [note.title],
            )
            for table, values in zip(self.steps, names, strict=True):
                for value in values:
                    table.setdefault(name_key(value), set()).add(note.id)

    def resolve(self, target: str, *, file: str | None = None, line: int | None = None,
                folder: str | None = None) -> NoteId | None:
        """The note ``target`` names (written in a note of ``folder``), or None; an error if
        two notes claim it."""
        text = target_text(target)
        if text in self.by_id:
            return self.by_id[text]
        key = name_key(text)
        for step, table in enumerate(self.steps):
            found = table.get(key)
            if found:
                if len(found) > 1 and step < 2 and folder is not None:
                    beside = [nid for nid in found if self.folders.get(nid) == folder]
                    if len(beside) == 1:
                        return beside[0]
                if len(found) > 1:
                    names = ", ".join(sorted(found))
                    raise ResolveError(
                        f"'{target}' is ambiguous: it names {names}",
                        file=file,
                        line=line,
                        hint="link by note id instead, e.g. [[" + sorted(found)[0] + "]]",
                    )
                return next(iter(found))
        slug = slugify(text)
        return self.by_id.get(slug)

    def suggestions(self, target: str, limit: int = 3) -> list[str]:
        import difflib

        names = list(self.by_id) + [k for table in self.steps[2:] for k in table]
        return difflib.get_close_matches(name_key(target), names, n=limit, cutoff=0.6)


def resolve_wiki(notes: Iterable[Note]) -> Wiki:
    """Resolve every connection, mention and answer; collect placeholders and questions."""
    ordered = sorted(notes, key=lambda n: n.id)
    resolver = Resolver(ordered)
    edges: list[Edge] = []
    ghost_labels: dict[NoteId, str] = {}
    ghost_refs: dict[NoteId, set[NoteId]] = defaultdict(set)
    errors: list[ResolveError] = []

    def target_of(note: Note, written: str, line: int) -> NoteId | None:
        try:
            found = resolver.resolve(written, file=note.path, line=line,
                                     folder=note.path.rpartition("/")[0])
        except ResolveError as err:
            errors.append(err)
            return None
        if found is None:
            found = NoteId(slugify(written))
            ghost_labels.setdefault(found, written)
            ghost_refs[found].add(note.id)
        return found

    for note in ordered:
        for conn in note.connections:
            target = target_of(note, conn.target, conn.line)
            if target is not None:
                edges.append(Edge(note.id, target, EdgeKind.CONNECTION, conn.relation,
                                  conn.annotation, conn.line, conn.target))
        for mention in note.mentions:
            target = target_of(note, mention.target, mention.line)
            if target is not None and target != note.id:
                edges.append(Edge(note.id, target, EdgeKind.MENTION, None, mention.context,
                                  mention.line, mention.target))
    if errors:
        raise ResolveError(
            f"{len(errors)} link target(s) are ambiguous",
            findings=tuple(e.as_finding("ambiguous-target") for e in errors),
        )
    placeholders = {
        nid: Placeholder(nid, ghost_labels[nid], tuple(sorted(ghost_refs[nid])))
        for nid in sorted(ghost_labels)
    }
    questions, warnings = _track_questions(ordered)
    wiki = Wiki(
        notes=MappingProxyType({n.id: n for n in ordered}),
        edges=tuple(edges),
        placeholders=MappingProxyType(placeholders),
        questions=questions,
        warnings=tuple(warnings),
    )
    global _last
    _last = wiki.notes, resolver
    return wiki


_last: tuple[Mapping[NoteId, Note], Resolver] | None = None
"""The notes :func:`resolve_wiki` last resolved, and the resolver it made of them."""


def resolver_of(wiki: Wiki) -> Resolver:
    """A resolver of ``wiki``'s notes: the one they were resolved with, if they were last
    (a build looks names up in the same notes three times: resolution, the cache's name
    table, the pages' links)."""
    global _last
    last = _last
    if last is not None and last[0] is wiki.notes:
        return last[1]
    resolver = Resolver(wiki.notes.values())
    _last = wiki.notes, resolver
    return resolver


def _track_questions(notes: list[Note]) -> tuple[tuple[TrackedQuestion, ...], list[Finding]]:
    """Each question's status from its own note and every later note's ``answers:``."""
    known = {q.id: q for note in notes for q in note.questions}
    answered_by: dict[str, list[NoteId]] = defaultdict(list)
    dropped: set[str] = set()
    warnings: list[Finding] = []
    for note in notes:
        for answer in note.answers:
            if answer.question not in known:
                warnings.append(Finding(
                    Severity.WARNING, "unknown-question",
                    f"answers a question that no note asks: '{answer.question}'",
                    Location(note.path, answer.line),
                    "use an id from `kg questions`, e.g. note-id#q-first-words",
                ))
                continue
            if answer.dropped:
                dropped.add(answer.question)
            else:
                answered_by[answer.question].append(note.id)
    tracked: list[TrackedQuestion] = []
    for note in notes:
        for q in note.questions:
            by = tuple(sorted(answered_by.get(q.id, ())))
            if by or q.declared is QuestionStatus.ANSWERED:
                status = QuestionStatus.ANSWERED
            elif q.id in dropped or q.declared is QuestionStatus.DROPPED:
                status = QuestionStatus.DROPPED
            else:
                status = QuestionStatus.OPEN
            tracked.append(TrackedQuestion(q, status, by))
    return tuple(tracked), warnings

