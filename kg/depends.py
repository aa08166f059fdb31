"""Which note pages an edit can change, found without computing every page's key again.

A note's page shows its own note, and of other nodes only what :func:`node_facts` hashes:
their labels, tiers and whether they exist, their edges and neighbours (the connection view
and the 2-hop local graph, laid out by degree), their questions' status. When a build makes
a note's page it records what it read (:class:`Reads`): its own file's content hash, the nodes
it showed, and the names its ``[[wikilinks]]`` were looked up by. The next build compares
every node's facts with the last build's (:class:`Trace`); a page whose own file, nodes and
names are all unchanged would get the same key, so it keeps the key it had without being
looked at (:meth:`Plan.kept`). The same computation, reading the same values, gives the same
result: this is what lets a one-note edit of a 10,000-note wiki look at a few dozen pages.

Anything else a note page shows is the same for every page (templates, settings, code: the
``global_key``), or is checked here by itself: tag slugs (a new tag may take another's slug),
and "today" for pages with forecasts. Placeholder pages have no file; their own facts are
among the nodes they read. Other pages (lists, trackers, the graph exports) are keyed in full
on every build: there are few of them.

The trace is kept beside the build manifest, as a pickle read through the graph cache's
allowlisting unpickler (a file planted there cannot run code), and paired with the site by
the same marker.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from kg.cachefile import dump_paired, load_paired, plain_digest
from kg.ids import NoteId, from_root, name_key, note_part, slugify, target_text
from kg.memo import changed_keys, kept_values
from kg.resolve import Resolver

if TYPE_CHECKING:
    from kg.model import Edge
    from kg.views import Views


FORMAT = 2
K = TypeVar("K")


class Reads(NamedTuple):
    """What one page was made from, beyond what every page is: its note file (path, content
    hash; None for a placeholder), the nodes whose facts it shows, the names it looked up
    (both sorted)."""

    own: tuple[str, str] | None
    nodes: tuple[NoteId, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, own: tuple[str, str] | None, nodes: Iterable[NoteId],
           names: Iterable[str]) -> Reads:
        """The reads, each string the interpreter's one copy of it (``sys.intern``): a
        build holds every page's reads until it writes the trace, and a page's names are
        new strings (as is all a worker sends back): 3 KB a page, 30 MB at 10,000 notes."""
        intern = sys.intern
        return cls(None if own is None else (intern(own[0]), intern(own[1])),
                   cast("tuple[NoteId, ...]", tuple(sorted({intern(nid) for nid in nodes}))),
                   tuple(sorted({intern(name) for name in names})))

    def interned(self) -> Reads:
        """The same reads sharing this process's strings (those of a page a worker made)."""
        return Reads.of(self.own, self.nodes, self.names)


class Kept(Enum):
    """The reads of a page kept from the last build: the parent holds them already (in the
    old trace), so a worker that linked the page sends back only this."""

    READS = "kept"


def lookup_names(target: str, folder: str = "") -> tuple[str, ...]:
    """The entries of the name table :meth:`kg.resolve.Resolver.resolve` reads for
    ``target`` written in a note of ``folder``: its text as an id, its folded text in the
    tables of paths, ends of paths, stems, aliases and titles, and its slug as an id; for
    ``b#Part``, those of ``b`` too, and for ``folder/a/b``, those of ``a/b`` (read only
    for a Markdown link's path, ``rooted``; a wikilink's names them too, which costs no more
    than its page made again when they change)."""
    text = target_text(target)
    names: tuple[str, ...] = (f"i:{text}", f"k:{name_key(text)}", f"i:{slugify(text)}")
    if (note := note_part(text)) is not None:
        names += lookup_names(note, folder)
    if (rooted := from_root(text, folder)) is not None:  # once, as the resolver does
        names += lookup_names(rooted)
    return names


_last_table: tuple[Resolver, dict[str, tuple[Any, ...]]] | None = None
"""The last :func:`name_table`, with its resolver (``kg serve`` keeps the resolver while no
note's names change)."""


def name_table(resolver: Resolver) -> dict[str, tuple[Any, ...]]:
    """Every entry a lookup can read, with what it holds: a change to an entry changes the
    resolution of every name that reads it, and of no other. A new dict (the caller adds
    to it), made again only for another resolver."""
    global _last_table
    last = _last_table
    if last is None or last[0] is not resolver:
        last = _last_table = resolver, _name_table(resolver)
    return dict(last[1])


def _name_table(resolver: Resolver) -> dict[str, tuple[Any, ...]]:
    table: dict[str, tuple[Any, ...]] = {f"i:{nid}": (nid,) for nid in resolver.by_id}
    empty: list[tuple[str, ...]] = [() for _ in resolver.steps]
    steps: dict[str, list[tuple[str, ...]]] = defaultdict(empty.copy)
    for i, step in enumerate(resolver.steps):
        for key, ids in step.items():
            steps[key][i] = tuple(sorted(ids))
    table.update((f"k:{key}", tuple(found)) for key, found in steps.items())
    return table


def node_facts(views: Views) -> dict[NoteId, bytes]:
    """A hash, for every node, of what other nodes' pages can show of it.

    Not a note's body: another page shows its title, tier, tags and kind, its edges with
    their annotations (both directions, as the connection view lists them), its neighbours
    in the order a local graph reads them, its degree, and its questions' status. Source
    lines are left out, as page keys leave them out.

    A note's hash is taken again from the last call when its record is the very same and
    its edges, neighbours, degree and questions are equal (``kg serve``: an edit changes
    the edges of the notes it touched, not of the others): :func:`kg.memo.kept_values`.
    """
    from kg.views import edge_index

    global _last_facts
    wiki = views.wiki
    at = edge_index(wiki.edges).at  # each edge at both ends, in the wiki's order
    nids = list(wiki.notes)
    notes = list(wiki.notes.values())
    edges = list(map(at.get, nids, repeat(())))
    adjacent = list(map(views.adjacent.get, nids, repeat(())))
    degree = list(map(views.degree.get, nids, repeat(0)))
    asked = list(map(views.questions.get, nids, repeat(())))

    def made(n: int) -> bytes:
        note = notes[n]
        tracked = tuple((tq.question.id, tq.status._value_, tq.answered_by) for tq in asked[n])
        return plain_digest((
            1, note.title, note.tier, note.type,
            note.date.isoformat() if note.date else None, note.tags, note.aliases,
            [_edge_row(e) for e in edges[n]], adjacent[n], degree[n], tracked))

    digests, _last_facts = kept_values(nids, [notes], [edges, adjacent, degree, asked],
                                       _last_facts, made)
    facts = dict(zip(nids, digests, strict=True))
    for nid, ph in wiki.placeholders.items():
        facts[nid] = plain_digest((0, ph.label, ph.referenced_by,
                                   [_edge_row(e) for e in at.get(nid, ())],
                                   views.adjacent.get(nid, ()), views.degree.get(nid, 0)))
    return facts


def _edge_row(e: Edge) -> tuple[Any, ...]:
    # (an enum's ``_value_`` is its ``value`` without the property, which runs Python code)
    return (e.source, e.target, e.kind._value_, e.relation.name if e.relation else None,
            e.annotation, e.written)


_last_facts: dict[Any, tuple[Any, ...]] = {}
"""The last :func:`node_facts` call's notes, with what each one's hash was made from."""


@dataclass(frozen=True, slots=True)
class Trace:
    """What one build's note pages were made from: the facts of every node, the name table,
    the tag slugs, the day, and each page's :class:`Reads`."""

    global_key: str
    facts: dict[NoteId, bytes]
    names: dict[str, tuple[Any, ...]]
    tag_slugs: dict[str, str]
    today: dt.date
    pages: dict[str, Reads]


class Plan:
    """The keys of note pages this build can keep from the last, by what changed since."""

    def __init__(self, old: Trace, new: Trace, keys: Mapping[str, str]) -> None:
        self.pages = old.pages
        self.keys = keys
        self.changed_nodes = _changed(old.facts, new.facts)
        self.changed_names = _changed(old.names, new.names)
        self.changed_tags = _changed(old.tag_slugs, new.tag_slugs)
        self.new_day = old.today != new.today

    def kept(self, path: str, own: tuple[str, str] | None, tags: Iterable[str] = (),
             dated: bool = False) -> tuple[str, Reads] | None:
        """The key and reads of the page at ``path`` if nothing it was made from changed:
        its own file (``own``), the nodes and names it read, the slugs of its ``tags``, and
        the day if it shows forecasts (``dated``)."""
        reads = self.pages.get(path)
        key = self.keys.get(path)
        if reads is None or key is None or reads.own != own:
            return None
        # (an empty set's isdisjoint still walks the tuple: each is asked only if not empty)
        if (dated and self.new_day) or (self.changed_tags
                                        and not self.changed_tags.isdisjoint(tags)):
            return None
        if self.changed_nodes and not self.changed_nodes.isdisjoint(reads.nodes):
            return None
        if self.changed_names and not self.changed_names.isdisjoint(reads.names):
            return None
        return key, reads


def _changed(old: Mapping[K, object], new: Mapping[K, object]) -> frozenset[K]:
    """The keys whose values differ, or that only one of the two has."""
    return frozenset(changed_keys(old, new))


def plan(old: Trace | None, new: Trace, keys: Mapping[str, str]) -> Plan | None:
    """What this build may keep, or None when every page must be keyed again."""
    if old is None or old.global_key != new.global_key:
        return None
    return Plan(old, new, keys)


# -- on disk ----------------------------------------------------------------------------------


def trace_path(manifest: Path) -> Path:
    return manifest.with_suffix(".trace.pickle")


def read_trace(manifest: Path, marker: list[int]) -> Trace | None:
    """The trace written with the manifest of the site in the folder, or None."""
    found = load_paired(trace_path(manifest), FORMAT, marker)
    if not found or not isinstance(found[0], Trace):
        return None
    trace = found[0]
    pages = trace.pages
    if not all(type(reads) is tuple and len(reads) == 3 for reads in pages.values()):
        return None
    make = tuple.__new__
    return replace(trace, pages={path: make(Reads, reads) for path, reads in pages.items()})


def write_trace(manifest: Path, marker: list[int], trace: Trace) -> None:
    """The trace, each page's reads as a plain tuple: a named tuple is pickled and read back
    by a call of Python code each (10,000 of them: 0.3 s to write, as much to read)."""
    plain = {path: tuple(reads) for path, reads in trace.pages.items()}
    dump_paired(trace_path(manifest), FORMAT, marker,
                replace(trace, pages=cast("dict[str, Reads]", plain)))
