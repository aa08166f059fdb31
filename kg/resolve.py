"""Every note together: resolve each target the way Obsidian does, and track questions.

A target resolves, in this order, by note id, by path (``folder/note``), by the end of a
path (``Alpha/Plan`` for ``projects/Alpha/Plan.md``), by file stem, by alias or the ``id:``
other tools write in front-matter (one table: one note's alias and another's ``id:`` clash),
and by title, each case-insensitively. A target two notes claim at the same step is
ambiguous: an error naming both; but a file stem (or end of a path) two folders share (a
``Plan.md`` in each project) names, from a note in one of them, the file beside it, as in
Obsidian. A target nothing claims becomes a placeholder, kept in the graph with the label
it was first written with.
"""

from __future__ import annotations

import itertools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from kg.errors import Finding, LeftOut, Location, ResolveError, Severity, some_of
from kg.ids import (
    NoteId,
    from_folder,
    from_root,
    loose_id,
    name_key,
    note_part,
    placeholder_id,
    relative_target,
    target_text,
)
from kg.memo import between_builds, filled, others
from kg.model import (
    Edge,
    EdgeKind,
    Note,
    Placeholder,
    Question,
    QuestionStatus,
    TrackedQuestion,
    Wiki,
)

BUNDLE_PAGES = frozenset({"index", "_index"})
"""The file names of a page that is its folder (Hugo's page bundles and sections,
``posts/x/index.md``): the note answers to the folder's path and name too, as Hugo's
``{{< ref "posts/x" >}}`` names it, where no note's path, name, alias or title claims them
(the last step of :class:`Resolver`)."""


class Resolver:
    """Looks up a target as written and gives the id of the note it names."""

    def __init__(self, notes: Iterable[Note]) -> None:
        self.by_id: dict[str, NoteId] = {}
        self.folders: dict[NoteId, str] = {}
        self.paths: dict[NoteId, str] = {}
        """Each note's path in the wiki without ``.md``: how a link names it unambiguously."""
        # one table per step, so an alias that equals another note's id never shadows it
        self.steps: tuple[dict[str, set[NoteId]], ...] = ({}, {}, {}, {}, {}, {})
        self._names: list[str] | None = None  # what suggestions choose from, once asked
        self.written: dict[str, str] = {}
        """An alias's, ``id:``'s, title's or bundle folder's key → the name as first written
        (``kaplan scaling laws`` → ``Kaplan Scaling Laws``): what a suggestion shows."""
        written = self.written
        for note in notes:
            self.by_id[note.id] = note.id
            self.folders[note.id] = note.path.rpartition("/")[0]
            path = self.paths[note.id] = note.path.removesuffix(".md")
            parts = path.split("/")
            bundle = parts[:-1] if parts[-1].lower() in BUNDLE_PAGES else []
            names = (
                [path],
                ["/".join(parts[i:]) for i in range(1, len(parts) - 1)],  # partial paths
                [parts[-1]],
                [*note.aliases, *filter(None, [note.frontmatter_id]), *note.blocks],  # id:
                [note.title],
                ["/".join(bundle[i:]) for i in range(len(bundle))],  # posts/x/index.md: x
            )
            for step, (table, values) in enumerate(zip(self.steps, names, strict=True)):
                for value in values:
                    key = name_key(value)
                    table.setdefault(key, set()).add(note.id)
                    if step >= _BY_PLACE:
                        written.setdefault(key, value)  # its spaces as written: see _as_written
        bundles = self.steps[_BUNDLE]  # a folder name two bundles share names neither: it
        for key in [key for key, found in bundles.items() if len(found) > 1]:  # was no
            del bundles[key]  # note's before, and is none's now, not an error
        # Of a name several notes have by their place, the notes in each folder (step -1: a
        # file's name, by path or stem): a link from a folder finds the one beside it. Each
        # had been looked for among all that share the name, from every folder that links
        # it: a README.md in each of 3,000 folders, each linking [[README]], cost n².
        self.beside: dict[tuple[int, str], dict[str, tuple[NoteId, ...]]] = {}
        for step in range(_BY_PLACE):
            for key, found in self.steps[step].items():
                if len(found) > 1:
                    self.beside[step, key] = self._by_folder(found)
        files, stems = self.steps[0], self.steps[_STEM]
        for key in sorted(files.keys() | stems.keys()):
            named = files.get(key, set()) | stems.get(key, set())
            if len(named) > 1:
                self.beside[-1, key] = self._by_folder(named)

    def _by_folder(self, notes: set[NoteId]) -> dict[str, tuple[NoteId, ...]]:
        by: dict[str, list[NoteId]] = defaultdict(list)
        for nid in sorted(notes):
            by[self.folders.get(nid, "")].append(nid)
        return {folder: tuple(found) for folder, found in sorted(by.items())}

    def resolve(self, target: str, *, file: str | None = None, line: int | None = None,
                folder: str | None = None, rooted: bool = False) -> NoteId | None:
        """The note ``target`` names (written in a note of ``folder``), or None; an error if
        two notes claim it. ``rooted``: a Markdown link's path, joined to ``folder``, which
        names from the wiki's root what the folder does not hold (:func:`from_root`); a
        ``[[Projects/Plan]]`` written in ``Projects/`` names no ``Plan`` elsewhere. A target
        written from the folder (``./b``, ``../other/b.md``) is that path in the wiki."""
        if folder is not None and relative_target(target):
            path = from_folder(target, folder)
            if path != target:
                return self.resolve(path, file=file, line=line, folder=folder, rooted=rooted)
        text = target_text(target)
        key = name_key(text)
        if folder is not None and "/" not in key and (-1, key) in self.beside:
            # a file name (in any case, even one that is the id of the file of that name at
            # the top of the wiki): of the files so named, the one beside the link
            beside = self.beside[-1, key].get(folder, ())
            if len(beside) == 1:
                return beside[0]
        if text in self.by_id:
            return self.by_id[text]
        for step, table in enumerate(self.steps):
            found = table.get(key)
            if found:
                if len(found) > 1 and step < _BY_PLACE and folder is not None:
                    beside = self.beside[step, key].get(folder, ())
                    if len(beside) == 1:
                        return beside[0]
                if len(found) > 1:
                    names = some_of(sorted(found))
                    raise ResolveError(
                        f"'{target}' is ambiguous: it names {names}",
                        file=file,
                        line=line,
                        hint="link by the note's path instead, e.g. [["
                             + self.paths[sorted(found)[0]] + "]]",
                    )
                return next(iter(found))
        loose = loose_id(text)
        if loose is not None and loose in self.by_id:
            return self.by_id[loose]
        if (note := note_part(text)) is not None:  # to: "b#^block" or "b#Part": note b
            return self.resolve(note, file=file, line=line, folder=folder, rooted=rooted)
        if rooted and (from_top := from_root(text, folder)) is not None:
            # once: a/a/a/…/x is no deeper from the root
            return self.resolve(from_top, file=file, line=line, folder=None)
        return None

    def placeholder(self, target: str) -> NoteId:
        """The id of the placeholder a link to ``target``, which no note claims, makes."""
        return placeholder_id(target, self.by_id.__contains__)

    def suggestions(self, target: str, limit: int = 3) -> list[str]:
        """The ids, aliases and titles closest to ``target`` (a typo's), best first: those
        at least 60 % alike (difflib's ratio; rapidfuzz computes it in C, where difflib took
        0.2 s a name at 10,000 notes, minutes for a wiki's placeholders). Compared by their
        keys (:func:`~kg.ids.name_key`), shown as written (``Kaplan Scaling Laws``)."""
        return self._as_written(self._nearest(name_key(target), self._suggestable(), limit))

    def suggestions_of(self, targets: Iterable[str], limit: int = 3) -> dict[str, list[str]]:
        """:meth:`suggestions` of each of ``targets``, the same lists, found together.

        Every target is compared with every name, so a wiki's placeholders cost their number
        times its names (8,000 notes and 4,000 placeholders: 2.6 s of ``kg check``).
        Together, rapidfuzz's ``cdist`` compares many targets with a name at once (SIMD),
        ~5 times faster; its scores (single precision) only pick the names that can reach
        60 %, among which :meth:`suggestions`' own search ranks as it would among all (the
        names left out score under 60, the rest keep their order: the same ties)."""
        from rapidfuzz import fuzz, process

        global _last_near
        names = self._suggestable()
        keys = {target: name_key(target) for target in targets}
        near: dict[str, list[str]] = {}
        # the same names as last time (kg serve's next build: a build says its connections'
        # likely typos), compared in C
        kept = _last_near[1] if _last_near is not None and _last_near[0] == names else None
        if kept is not None:
            near = {key: found for key in keys.values() if (found := kept.get(key)) is not None}
        distinct = [key for key in dict.fromkeys(keys.values()) if key not in near]
        if len(distinct) * len(names) < _TOGETHER:  # a few: not worth numpy's import
            for key in distinct:
                near[key] = self._nearest(key, names, limit)
        else:
            import numpy as np

            rows = max(1, _TOGETHER // len(names))  # a block of scores: 4 MB of float32
            for start in range(0, len(distinct), rows):
                block = distinct[start:start + rows]
                scores = process.cdist(block, names, scorer=fuzz.ratio, score_cutoff=59,
                                       dtype=np.float32, workers=1)
                for key, row in zip(block, scores, strict=True):
                    likely = [names[int(i)] for i in np.flatnonzero(row)]
                    near[key] = self._nearest(key, likely, limit)
        _last_near = names, ({**kept, **near} if kept is not None and len(kept) < _NEAR_KEPT
                             else near)
        shown = {key: self._as_written(found) for key, found in near.items()}
        return {target: shown[key] for target, key in keys.items()}

    def _as_written(self, names: list[str]) -> list[str]:
        """Suggested names (ids, and aliases', titles' keys) as written: an id as it is."""
        by_id, written = self.by_id, self.written
        return [name if name in by_id else " ".join(written.get(name, name).split())
                for name in names]

    def _suggestable(self) -> list[str]:
        """Every name a suggestion may be: ids, then aliases' and titles' keys, each once."""
        if self._names is None:
            self._names = list(dict.fromkeys(
                [*self.by_id, *(k for table in self.steps[_BY_PLACE:] for k in table)]))
        return self._names

    def _nearest(self, key: str, names: list[str], limit: int) -> list[str]:
        """Of ``names``, those at least 60 % like ``key``, best first, each note's best."""
        from rapidfuzz import fuzz, process

        found = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=60,
                                limit=limit * 3)
        named: set[frozenset[NoteId]] = set()
        best: list[str] = []
        for name, _score, _index in found:  # a note's best name only ('defense-trilemma'
            notes = self._notes_named(name)  # and its title's key are one note)
            if notes not in named:
                named.add(notes)
                best.append(name)
        return best[:limit]

    def _notes_named(self, name: str) -> frozenset[NoteId]:
        """The notes a suggested name (an id, or an alias's or title's key) names."""
        found = {self.by_id[name]} if name in self.by_id else set()
        for table in self.steps[_BY_PLACE:]:
            found |= table.get(name, set())
        return frozenset(found)


_last_near: tuple[list[str], dict[str, list[str]]] | None = None
"""The names :meth:`Resolver.suggestions_of` last compared with, and the nearest it found
of each key: while a wiki's names are the same, a name's nearest are too (but for which of
two names of one note is shown, were a name moved between notes with no name changed)."""
_NEAR_KEPT = 100_000
"""How many keys' nearest names are kept at most."""

_TOGETHER = 1_000_000
"""Comparisons (targets times names) past which :meth:`Resolver.suggestions_of` compares
targets in blocks, and how many scores a block holds."""

_STEM, _BY_PLACE, _BUNDLE = 2, 3, 5
"""The steps that name a note by where its file is (path, end of a path, stem): of two
notes they name alike, a note's link finds the one in its own folder; and the last step,
a bundle's folder (:data:`BUNDLE_PAGES`)."""


class _NoteLinks(NamedTuple):
    """One note's resolved edges, and the targets nothing claims, as (id, text written)."""

    edges: tuple[Edge, ...]
    ghosts: tuple[tuple[NoteId, str], ...]


_PUBLISHED = operator.attrgetter("published")
_ID = operator.attrgetter("id")
_EDGES = operator.attrgetter("edges")


class _Resolved(NamedTuple):
    """What :func:`resolve_wiki` last made: the notes, their resolver, each note's links."""

    notes: Mapping[NoteId, Note]
    resolver: Resolver
    per_note: dict[NoteId, _NoteLinks]


_last_resolved: _Resolved | None = None
"""The last resolution, whose notes' links a resolution of the same records takes again."""


def _same_names(before: Mapping[NoteId, Note], notes: list[Note]) -> bool:
    """Whether ``notes`` give a resolver the names ``before`` gave it: the same ids, and
    each note's path, title, aliases and front-matter id as they were (most notes the very
    same record)."""
    if len(before) != len(notes):
        return False
    olds = list(map(before.get, map(_ID, notes)))
    for at in others(olds, notes):  # an edit's few are looked at
        old, note = olds[at], notes[at]
        if (old is None or old.path != note.path or old.title != note.title
                or old.aliases != note.aliases or old.frontmatter_id != note.frontmatter_id
                or old.blocks != note.blocks):
            return False
    return True


Found = dict[tuple[str, str, bool], NoteId | None]
"""What a target written in a folder names (and whether it is a Markdown link's): the same
few thousand names are written seventy thousand times at 10,000 notes."""


def _links_of(note: Note, resolver: Resolver, errors: list[ResolveError],
              known: Found) -> _NoteLinks:
    """Resolve one note's connections and mentions; a target two notes claim goes to
    ``errors``, one that nothing claims is a placeholder's. ``known``: what the resolver
    said of each target asked before (added to)."""
    edges: list[Edge] = []
    ghosts: list[tuple[NoteId, str]] = []
    folder = note.path.rpartition("/")[0]

    def target_of(written: str, line: int, rooted: bool = False,
                  block: bool = False) -> NoteId | None:
        asked = (written, folder, rooted)
        if asked in known:
            found = known[asked]
        else:
            try:
                found = resolver.resolve(written, file=note.path, line=line, folder=folder,
                                         rooted=rooted)
            except ResolveError as err:  # (not kept: each place it is written is said)
                errors.append(err)
                return None
            known[asked] = found
        if found is None and block:  # ((uuid)) of a block no note holds: shown as written
            return None
        if found is None:
            named = from_folder(written, folder)  # `to: ./x` and [[./x]]: one placeholder
            found = resolver.placeholder(named)
            ghosts.append((found, named))
        return found

    for conn in note.connections:
        target = target_of(conn.target, conn.line)
        if target is not None:
            edges.append(Edge(note.id, target, EdgeKind.CONNECTION, conn.relation,
                              conn.annotation, conn.line, conn.target))
    for mention in note.mentions:
        target = target_of(mention.target, mention.line, mention.rooted, mention.block)
        if target is not None and target != note.id:
            edges.append(Edge(note.id, target, EdgeKind.MENTION, None, mention.context,
                              mention.line, mention.target))
    return _NoteLinks(tuple(edges), tuple(ghosts))


def resolve_wiki(notes: Iterable[Note]) -> Wiki:
    """Resolve every connection, mention and answer; collect placeholders and questions.
    A target two notes claim is an error (all of them in one :class:`ResolveError`).

    What the last call made of each note is taken again for the very same record when no
    note's names changed (``kg serve`` resolves the wiki again on every edit: one note's
    links are resolved, not seventy thousand)."""
    wiki, ambiguous = resolve_leniently(notes)
    failed = LeftOut(links=ambiguous).error()
    if failed is not None:
        raise failed
    return wiki


def resolve_leniently(notes: Iterable[Note]) -> tuple[Wiki, tuple[Finding, ...]]:
    """The wiki as :func:`resolve_wiki` makes it, but a target two notes claim is left out
    (no edge) and given as an error finding instead of stopping: what ``kg check`` lints,
    so that one ambiguous link does not hide every other finding."""
    wiki, errors = _resolve(notes)
    return wiki, tuple(e.as_finding("ambiguous-target") for e in errors)


def _resolve(notes: Iterable[Note]) -> tuple[Wiki, list[ResolveError]]:
    global _last, _last_resolved
    ordered = sorted(filter(_PUBLISHED, notes), key=_ID)  # drafts: out
    ids = list(map(_ID, ordered))
    last = _last_resolved
    same_names = last is not None and _same_names(last.notes, ordered)
    resolver = last.resolver if last is not None and same_names else Resolver(ordered)
    errors: list[ResolveError] = []
    known: Found = {}
    # each note's links: the last resolution's for the very same record (an edit's
    # resolution makes one note's again, of 10,000), found in C
    links: list[_NoteLinks | None] = [None] * len(ordered)
    if same_names and last is not None:
        links = list(map(last.per_note.get, ids))
        for at in others(map(last.notes.get, ids), ordered):
            links[at] = None
    filled(links, ordered, lambda note: _links_of(note, resolver, errors, known))
    per_note: dict[NoteId, _NoteLinks] = dict(zip(ids, links, strict=True))  # type: ignore[arg-type]
    edges = list(itertools.chain.from_iterable(map(_EDGES, per_note.values())))
    ghost_labels: dict[NoteId, str] = {}
    ghost_refs: dict[NoteId, set[NoteId]] = defaultdict(set)
    for nid, own in per_note.items():
        for found, written in own.ghosts:
            ghost_labels.setdefault(found, written)
            ghost_refs[found].add(nid)
    placeholders = {
        nid: Placeholder(nid, ghost_labels[nid], tuple(sorted(ghost_refs[nid])))
        for nid in sorted(ghost_labels)
    }
    questions, warnings = _track_questions(ordered)
    wiki = Wiki(
        notes=MappingProxyType(dict(zip(ids, ordered, strict=True))),
        edges=tuple(edges),
        placeholders=MappingProxyType(placeholders),
        questions=questions,
        warnings=tuple(warnings),
    )
    if not errors:  # a note's links with one left out are not its links
        _last = wiki.notes, resolver
        _last_resolved = _Resolved(wiki.notes, resolver, per_note)
    return wiki, errors


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


def forecast_resolvers(wiki: Wiki) -> Mapping[str, NoteId]:
    """What each forecast's ``resolved_by`` names, by the name as written: the note it
    names as a link does (its id, title, alias or file's name: ``1.2.3`` for 1.2.3.md),
    looked up from the wiki's top, as the forecasts page links it; else (no note has the
    name, or two do) the id a link of that name gives its placeholder, which is no note's
    (``C++`` where ``C.md`` is: ``c-3ce177``, not ``c``). The graph's ``kg:resolvedBy`` and
    the forecasts page's link both come from here.

    It depends on every note's names, not only on the forecasting note's record: what
    keeps a note's triples between builds keeps their resolvers with them
    (:func:`kg.splice.unit_digest`)."""
    global _last_forecast_resolvers
    last = _last_forecast_resolvers
    if last is not None and last[0] is wiki.notes:
        return last[1]
    names = sorted({f.resolved_by for note in filter(_FORECASTS, wiki.notes.values())
                    for f in note.forecasts if f.resolved_by})
    found: dict[str, NoteId] = {}
    if names:  # (a wiki read from the cache makes its resolver only then)
        resolver = resolver_of(wiki)
        for name in names:
            try:
                nid = resolver.resolve(name)
            except ResolveError:  # two notes: the page links neither
                nid = None
            found[name] = nid if nid is not None else resolver.placeholder(name)
    resolved: Mapping[str, NoteId] = MappingProxyType(found)
    _last_forecast_resolvers = wiki.notes, resolved
    return resolved


_FORECASTS = operator.attrgetter("forecasts")
_last_forecast_resolvers: tuple[Mapping[NoteId, Note], Mapping[str, NoteId]] | None = None
"""The notes :func:`forecast_resolvers` last looked names up in, and what it found."""


def settled_by(note: Note, resolvers: Mapping[str, NoteId]) -> tuple[NoteId, ...]:
    """The ids ``note``'s resolved forecasts' ``kg:resolvedBy`` name, in order (of
    :func:`forecast_resolvers`): what of other notes a note's own triples depend on."""
    return tuple(resolvers[f.resolved_by] for f in note.forecasts if f.resolved_by)


def _question_hint(written: str, by_note: Mapping[str, list[str]]) -> str:
    """What to write instead of ``written``, a question id no note has: the id of the
    question of its note it is the start of (the first words of a question, as one writes
    them) or that is nearly it (a typo), else that note's question ids (``by_note``), else
    where the ids are listed (`kg questions`)."""
    asker = written.partition("#")[0]
    ids = by_note.get(asker, [])
    started = [qid for qid in ids if qid.startswith(written)]
    if len(started) == 1:
        return f"did you mean '{started[0]}'?"
    if ids:
        from rapidfuzz import fuzz, process

        near = process.extractOne(written, ids, scorer=fuzz.ratio, score_cutoff=80)
        if near is not None:  # a typo in it ('#q-does-it-sacle')
            return f"did you mean '{near[0]}'?"
        return f"the questions of {asker} are {some_of(ids, 3)}"
    return "use a question's id, as `kg questions` lists them (note-id#q-first-words)"


def _track_questions(notes: list[Note]) -> tuple[tuple[TrackedQuestion, ...], list[Finding]]:
    """Each question's status from its own note and every later note's ``answers:``."""
    answering = list(filter(_ANSWERS, notes))  # few notes answer: found in C
    answered_by: dict[str, list[NoteId]] = defaultdict(list)
    dropped: set[str] = set()
    warnings: list[Finding] = []
    if answering:
        known = set(map(_ID, itertools.chain.from_iterable(map(_QUESTIONS, notes))))
        by_note: dict[str, list[str]] = {}  # made for the first unknown answer's hint
        for note in answering:
            for answer in note.answers:
                if answer.question not in known:
                    if not by_note:
                        for asker in notes:
                            for q in asker.questions:
                                by_note.setdefault(q.note, []).append(q.id)
                    warnings.append(Finding(
                        Severity.WARNING, "unknown-question",
                        f"answers a question that no note asks: '{answer.question}'",
                        Location(note.path, answer.line),
                        _question_hint(answer.question, by_note),
                    ))
                    continue
                if answer.dropped:
                    dropped.add(answer.question)
                else:
                    answered_by[answer.question].append(note.id)
    answers = ({qid: tuple(sorted(ids)) for qid, ids in answered_by.items()}, frozenset(dropped))
    global _last_answers, _last_by_note, _last_tracked
    # a note's tracked questions are the last tracking's while it is the very same record
    # and every answer is as it was (kg serve: an edit of a note's text), looked up in C
    kept = _last_by_note if answers == _last_answers else {}
    found: list[tuple[TrackedQuestion, ...] | None] = list(map(kept.get, map(id, notes)))
    if None in found:
        last = _last_tracked
        made = filled(found, notes,
                      lambda note: tuple(_tracked(q, answers, last) for q in note.questions))
        if between_builds() and len(made) > len(notes) // 2:
            _last_tracked = {tq.question.id: tq
                             for tq in itertools.chain.from_iterable(found)}  # type: ignore[arg-type]
        elif between_builds():  # an edit's few notes: theirs put in (the others' are)
            last.update((tq.question.id, tq) for at in made for tq in found[at])  # type: ignore[union-attr]
            if len(last) > 2 * sum(map(len, found)) + 64:  # type: ignore[arg-type]  # reworded since
                _last_tracked = {tq.question.id: tq
                                 for tq in itertools.chain.from_iterable(found)}  # type: ignore[arg-type]
    if between_builds():  # kg serve's next tracking takes them again
        _last_answers = answers
        _last_by_note = dict(zip(map(id, notes), found, strict=True))  # type: ignore[arg-type]
        _held_notes[:] = notes  # so that no other object has their ids
    elif _last_by_note or _last_tracked:  # (a test's serve before)
        _last_answers, _last_by_note, _last_tracked = None, {}, {}
        _held_notes.clear()
    return tuple(itertools.chain.from_iterable(found)), warnings  # type: ignore[arg-type]


def _tracked(q: Question, answers: tuple[dict[str, tuple[NoteId, ...]], frozenset[str]],
             last: Mapping[str, TrackedQuestion]) -> TrackedQuestion:
    """The question ``q`` with its status; the record ``last`` holds if it is the same."""
    answered_by, dropped = answers
    by = answered_by.get(q.id, ())
    if by or q.declared is QuestionStatus.ANSWERED:
        status = QuestionStatus.ANSWERED
    elif q.id in dropped or q.declared is QuestionStatus.DROPPED:
        status = QuestionStatus.DROPPED
    else:
        status = QuestionStatus.OPEN
    old = last.get(q.id)
    return (old if old is not None and old.question is q and old.status is status
            and old.answered_by == by else TrackedQuestion(q, status, by))


_ANSWERS = operator.attrgetter("answers")
_QUESTIONS = operator.attrgetter("questions")
_ID = operator.attrgetter("id")
_last_answers: tuple[dict[str, tuple[NoteId, ...]], frozenset[str]] | None = None
"""What every note's ``answers:`` said at the last tracking."""
_last_by_note: dict[int, tuple[TrackedQuestion, ...]] = {}
"""The last tracking's questions of each note, by the record's ``id`` (held in
:data:`_held_notes`, so that no other object has it)."""
_held_notes: list[Note] = []
_last_tracked: dict[str, TrackedQuestion] = {}
"""The last tracking's questions by id: the same record again for the very same question
with the same status (``kg serve`` tracks 25,000 again after each edit)."""
