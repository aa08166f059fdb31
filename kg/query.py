"""Questions the shell asks of the graph: connections of a note, open questions, forecasts.

Each function takes the records (a :class:`~kg.model.Wiki`, or the cache's
:class:`~kg.cache.Graph` where reading less of the wiki makes a query fast) and returns plain
rows; the CLI only renders them. The record and view modules are imported where they are
used: :func:`connection_rows` answers from the cache without them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from kg.errors import ConfigError, LeftOut, NotFound
from kg.ids import NoteId, hashed_id, slugify, tag_name

if TYPE_CHECKING:
    from kg.cache import Graph
    from kg.cachefile import EdgeRow
    from kg.config import Config
    from kg.model import Wiki
    from kg.views import Link

DIRECTIONS = ("both", "out", "in")


class NameLookup(Protocol):
    """What finds a note by name: a :class:`~kg.resolve.Resolver`, or the cache's."""

    def resolve(self, target: str, *, file: str | None = None, line: int | None = None
                ) -> NoteId | None: ...

    def suggestions(self, target: str, limit: int = 3) -> list[str]: ...
STATUSES = ("open", "answered", "dropped", "all")


def today() -> dt.date:
    """The date queries measure from: ``SOURCE_DATE_EPOCH`` when set (tests, builds), else now."""
    from kg.config import epoch_date

    return epoch_date() or dt.date.today()


LIST_NOTES = ("every note's id: `kg sparql 'SELECT ?id { ?note a kg:Note ; dcterms:identifier "
              "?id } ORDER BY ?id'`")
"""The hint for a name near no note's (``kg stats`` lists only the first hubs)."""


def lookup(name: str, resolver: NameLookup, placeholders: Collection[str], *,
           unknown: str = LIST_NOTES, left_out: LeftOut | None = None) -> NoteId:
    """The note or placeholder ``name`` names (id, alias, title, stem); NotFound suggests
    near names, else gives the ``unknown`` hint, or says that the note of that name is
    among those ``left_out`` for their errors."""
    nid = resolver.resolve(name)
    if nid is None:  # a placeholder's id: its slug, or beside a note of that id, hashed
        nid = next((pid for pid in (NoteId(slugify(name)), hashed_id(name))
                    if pid in placeholders), None)
    broken = _left_out_file(name, left_out) if nid is None else None
    if broken is not None:
        raise NotFound(f"no note called '{name}': {broken} has errors, and is left out "
                       "until they are fixed", hint="its errors are said above; `kg check` "
                       "lists every one")
    if nid is None:
        near = resolver.suggestions(name)
        hint = f"did you mean {', '.join(near)}?" if near else unknown
        raise NotFound(f"no note called '{name}'", hint=hint)
    return nid


def _left_out_file(name: str, left_out: LeftOut | None) -> str | None:
    """The file of a note left out for its errors that ``name`` names by its file name
    (``broken``, ``broken.md``, ``notes/broken.md``): its title is unknown."""
    if not left_out:
        return None
    wanted = slugify(name.removesuffix(".md"))
    for finding in (*left_out.names, *left_out.notes):
        file = str(finding.where.file) if finding.where and finding.where.file else ""
        if file and (name in (file, file.removesuffix(".md"))
                     or slugify(file.rsplit("/", 1)[-1].removesuffix(".md")) == wanted):
            return file
    return None


def find_note(wiki: Wiki, name: str) -> NoteId:
    """The note or placeholder ``name`` names in ``wiki``."""
    from kg.resolve import Resolver

    return lookup(name, Resolver(wiki.notes.values()), wiki.placeholders)


def connections(
    wiki: Wiki | Graph,
    name: str,
    *,
    relation: str | None = None,
    direction: str = "both",
    mentions: bool = True,
) -> tuple[NoteId, list[Link]]:
    """Every edge of a note, outgoing then incoming, each with relation and annotation.

    Given the cache's ``Graph``, only the note's own edges and neighbours are read.
    """
    from kg.model import Wiki
    from kg.views import Views

    if direction not in DIRECTIONS:
        raise ConfigError(f"unknown direction '{direction}'", hint="use both, out or in")
    relation = relation_name(relation)
    if isinstance(wiki, Wiki):
        nid = find_note(wiki, name)
        local = wiki
    else:
        nid = lookup(name, wiki.resolver(), wiki.placeholders, left_out=wiki.left_out)
        local = wiki.around(nid)
    view = Views(local).connections(nid)
    links: list[Link] = []
    if direction in ("both", "out"):
        links += [link for group in view.outgoing for link in group.links]
        if mentions:
            links += list(view.mentions_out)
    if direction in ("both", "in"):
        links += [link for group in view.incoming for link in group.links]
        if mentions:
            links += list(view.mentions_in)
    if relation:
        links = [link for link in links if link.relation == relation]
    return nid, links


def connection_rows(
    graph: Graph,
    name: str,
    *,
    relation: str | None = None,
    direction: str = "both",
    mentions: bool = True,
) -> tuple[NoteId, list[dict[str, Any]]]:
    """:func:`link_rows` of :func:`connections`, read from the cache's plain tables.

    A warm ``kg connections`` spends more on importing the record and view classes than on
    answering, so this reads the note's edges and the labels as plain values and lays them
    out as :class:`~kg.views.Views` does (typed connections grouped in the relation table's
    order, then mentions, each sentence once per note). Tests hold both to the same rows.
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"unknown direction '{direction}'", hint="use both, out or in")
    relation = relation_name(relation)
    nid = lookup(name, graph.resolver(), graph.placeholder_ids(), left_out=graph.left_out)
    edges, labels = graph.edge_rows(nid), graph.labels()
    rows: list[dict[str, Any]] = []
    for way, end in (("out", 1), ("in", 2)):
        if direction in ("both", way):
            rows += _rows_one_way([edge for edge in edges if edge[end] == nid], way, labels,
                                  mentions=mentions)
    if relation:
        rows = [row for row in rows if row["relation"] == relation]
    return nid, rows


def _rows_one_way(edges: list[EdgeRow], way: str, labels: Mapping[NoteId, tuple[str, bool]],
                  *, mentions: bool) -> list[dict[str, Any]]:
    """One direction's rows: typed connections by relation, in the relation table's order,
    then mentions, each (note, sentence) once; each row as ``Views._link`` makes its link."""
    from kg.relations import BY_NAME, RELATIONS

    typed: dict[str, list[dict[str, Any]]] = {}
    mentioned: dict[tuple[str, str], dict[str, Any]] = {}
    for _, source, target, kind, relation, annotation, line, _written in edges:
        other = target if way == "out" else source
        if kind == "mention" and (not mentions or (other, annotation) in mentioned):
            continue
        if relation is None:
            label = "Mentions" if way == "out" else "Mentioned by"
        else:
            label = BY_NAME[relation].label if way == "out" else BY_NAME[relation].inverse
        name = relation or "mentions"
        title, exists = labels.get(other, (other, False))
        row = {"direction": way, "relation": name, "label": label, "note": other,
               "title": title, "placeholder": not exists, "annotation": annotation,
               "line": line}
        if kind == "mention":
            mentioned[other, annotation] = row
        else:
            typed.setdefault(name, []).append(row)
    order = {r.name: i for i, r in enumerate(RELATIONS)}
    groups = sorted(typed, key=lambda r: order.get(r, 99))
    return [*(row for rel in groups for row in typed[rel]), *mentioned.values()]


def relation_name(name: str | None) -> str | None:
    """A relation as the user wrote it (``disagrees``, ``Example of``) → its name, or
    ``mentions``; an unknown one is an error naming the closest."""
    from kg.relations import closest
    from kg.relations import lookup as relation

    if not name or name.strip().lower() == "mentions":
        return name.strip().lower() if name else None
    found = relation(name)
    if found is None:
        near = closest(name)
        raise ConfigError(f"unknown relation '{name}'",
                          hint=f"did you mean '{near}'?" if near
                          else "`kg relations` lists them (and `mentions`)")
    return found.name


def link_rows(links: list[Link]) -> list[dict[str, Any]]:
    return [
        {
            "direction": link.direction,
            "relation": link.relation,
            "label": link.label,
            "note": link.other,
            "title": link.title,
            "placeholder": not link.exists,
            "annotation": link.annotation,
            "line": link.line,
        }
        for link in links
    ]


# -- open questions ---------------------------------------------------------------------------


class QuestionRow(NamedTuple):
    """One row of the question tracker."""

    id: str
    status: str
    note: NoteId
    title: str
    tier: int | None
    date: dt.date | None
    age: int | None
    text: str
    answered_by: tuple[NoteId, ...]
    line: int
    path: str
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "status": self.status, "note": self.note, "title": self.title,
            "tier": self.tier, "date": self.date.isoformat() if self.date else None,
            "age": self.age, "question": self.text, "answered_by": list(self.answered_by),
            "where": f"{self.path}:{self.line}",
        }


def question_rows(wiki: Wiki) -> list[QuestionRow]:
    """Every tracked question with its note's facts, in the wiki's order (no age yet)."""
    rows: list[QuestionRow] = []
    for tq in wiki.questions:
        q = tq.question
        note = wiki.notes.get(q.note)
        if note is not None:
            rows.append(QuestionRow(q.id, tq.status.value, note.id, note.title, note.tier,
                                    note.date, None, q.text, tq.answered_by, q.line, note.path,
                                    note.tags))
    return rows


def questions(
    wiki: Wiki | Sequence[QuestionRow],
    *,
    status: str = "open",
    tier: int | None = None,
    tag: str | None = None,
    since: dt.date | None = None,
    on: dt.date | None = None,
) -> list[QuestionRow]:
    """The question tracker: each question, its status, source note, age and answers.

    Open questions first, oldest first within a status; ``since`` keeps questions whose note
    is dated on or after it (undated notes are left out then). Takes the wiki, or the rows
    of :func:`question_rows` kept from an earlier call.
    """
    from kg.model import Wiki

    if status not in STATUSES:
        raise ConfigError(f"unknown status '{status}'", hint=f"use one of {', '.join(STATUSES)}")
    on = on or today()
    wanted_tag = tag_name(tag) if tag else None
    rows: list[QuestionRow] = []
    for row in question_rows(wiki) if isinstance(wiki, Wiki) else wiki:
        if status != "all" and row.status != status:
            continue
        if tier is not None and row.tier != tier:
            continue
        if wanted_tag and wanted_tag not in row.tags:
            continue
        if since and (row.date is None or row.date < since):
            continue
        rows.append(row._replace(age=max(0, (on - row.date).days) if row.date else None))
    from kg.model import QuestionStatus

    order = {s.value: i for i, s in enumerate(QuestionStatus)}
    rows.sort(key=lambda r: (order[r.status], -(r.age or -1), r.id))
    return rows


def questions_in(config: Config, *, graph: Graph | None = None, **filters: Any
                 ) -> list[QuestionRow]:
    """:func:`questions` of the wiki of ``config`` (or of its ``graph``, opened already),
    its rows kept by the cache."""
    from kg.cache import derived

    return questions(derived(config, "questions", question_rows, graph=graph), **filters)


# -- forecasts --------------------------------------------------------------------------------


class ForecastRow(NamedTuple):
    """One forecast and its status."""

    id: str
    note: NoteId
    claim: str
    p: float
    by: dt.date
    status: str
    forecaster: str
    resolved_by: str | None
    line: int
    path: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "note": self.note, "claim": self.claim, "p": self.p,
            "by": self.by.isoformat(), "status": self.status, "forecaster": self.forecaster,
            "resolved_by": self.resolved_by, "where": f"{self.path}:{self.line}",
        }


def forecast_rows(wiki: Wiki) -> list[ForecastRow]:
    """Every forecast, resolved ones as ``true``/``false`` and the rest ``open``."""
    from kg.views import forecasters

    rows: list[ForecastRow] = []
    for note in wiki.notes.values():
        for f in note.forecasts:
            status = "open" if f.resolved is None else ("true" if f.resolved else "false")
            rows.append(ForecastRow(f.id, note.id, f.claim, f.p, f.by, status,
                                    ", ".join(forecasters(f, note)), f.resolved_by, f.line,
                                    note.path))
    return rows


def forecasts(wiki: Wiki | Sequence[ForecastRow], *, due: bool = False,
              on: dt.date | None = None) -> list[ForecastRow]:
    """Every forecast with its status: ``open``, ``due`` (past its date, unresolved),
    ``true`` or ``false``. ``due=True`` keeps the unresolved ones whose date has come."""
    from kg.model import Wiki

    on = on or today()
    rows: list[ForecastRow] = []
    for row in forecast_rows(wiki) if isinstance(wiki, Wiki) else wiki:
        if row.status in ("open", "due"):
            row = row._replace(status="due" if row.by <= on else "open")
        if due and row.status != "due":
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.by, r.id))
    return rows


def forecasts_in(config: Config, *, due: bool = False, graph: Graph | None = None
                 ) -> list[ForecastRow]:
    """:func:`forecasts` of the wiki of ``config`` (or of its ``graph``, opened already),
    its rows kept by the cache."""
    from kg.cache import derived

    return forecasts(derived(config, "forecasts", forecast_rows, graph=graph), due=due)
