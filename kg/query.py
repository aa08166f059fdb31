"""Questions the shell asks of the graph: connections of a note, and the lookups behind them."""

from __future__ import annotations

from kg.errors import NotFound
from kg.ids import NoteId
from kg.model import Wiki
from kg.resolve import Resolver
from kg.views import Link, Views

DIRECTIONS = ("both", "out", "in")


def find_note(wiki: Wiki, name: str) -> NoteId:
    """The note or placeholder ``name`` names (id, alias, title, stem); NotFound suggests."""
    resolver = Resolver(wiki.notes.values())
    nid = resolver.resolve(name)
    if nid is None and name in wiki.placeholders:
        nid = NoteId(name)
    if nid is None:
        near = resolver.suggestions(name)
        hint = f"did you mean {', '.join(near)}?" if near else "list notes with `kg stats`"
        raise NotFound(f"no note called '{name}'", hint=hint)
    return nid


def connections(
    wiki: Wiki,
    name: str,
    *,
    relation: str | None = None,
    direction: str = "both",
    mentions: bool = True,
) -> tuple[NoteId, list[Link]]:
    """Every edge of a note, outgoing then incoming, each with relation and annotation."""
    nid = find_note(wiki, name)
    view = Views(wiki).connections(nid)
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
