"""The NetworkX projection of a :class:`~kg.model.Wiki`: a ``MultiDiGraph`` for analysis.

One edge per note, target and relation (``mentions`` for ``[[links]]``), keyed by it: what a
note says of another, once. A pair a note writes several times (a target mentioned in three
places, a connection written twice) is one edge that counts them (``count``, and ``weight``,
which Gephi and NetworkX's weighted measures read, as ``kg stats`` weighs pairs); one edge
per writing would count a note's repeated links in every degree, and keeping one of them
alone lost the count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kg.model import Wiki

if TYPE_CHECKING:
    import networkx as nx


def build_network(wiki: Wiki) -> nx.MultiDiGraph[Any]:
    """Nodes are notes and placeholders; an edge per (source, target, relation), keyed by
    the relation (or ``mentions``), with the first writing's ``annotation`` and ``line``,
    every writing's ``lines``, and their ``count`` (also its ``weight``)."""
    import networkx as nx

    graph: nx.MultiDiGraph[Any] = nx.MultiDiGraph()
    for note in wiki.notes.values():
        graph.add_node(
            note.id,
            title=note.title,
            tier=note.tier,
            date=note.date.isoformat() if note.date else None,
            tags=note.tags,
            type=note.type,
            placeholder=False,
        )
    for ph in wiki.placeholders.values():
        graph.add_node(ph.id, title=ph.label, tier=None, date=None, tags=(), type="placeholder",
                       placeholder=True)
    for edge in wiki.edges:
        found = graph.get_edge_data(edge.source, edge.target, edge.label)
        if found is not None:  # written again: counted (wiki.edges are in writing order)
            found["count"] += 1
            found["weight"] += 1
            found["lines"] += (edge.line,)
            continue
        graph.add_edge(
            edge.source,
            edge.target,
            key=edge.label,
            kind=edge.kind.value,
            relation=edge.label,
            annotation=edge.annotation,
            line=edge.line,
            lines=(edge.line,),
            count=1,
            weight=1,
        )
    return graph
