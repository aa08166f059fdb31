"""The NetworkX projection of a :class:`~kg.model.Wiki`: a ``MultiDiGraph`` for analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kg.model import Wiki

if TYPE_CHECKING:
    import networkx as nx


def build_network(wiki: Wiki) -> nx.MultiDiGraph[Any]:
    """Nodes are notes and placeholders; each edge keyed by its relation (or ``mentions``)."""
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
        graph.add_edge(
            edge.source,
            edge.target,
            key=edge.label,
            kind=edge.kind.value,
            relation=edge.label,
            annotation=edge.annotation,
            line=edge.line,
        )
    return graph
