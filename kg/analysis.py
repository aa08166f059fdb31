"""Analysis of the graph: a note's neighbourhood, every shortest path between two notes, and
the wiki's statistics (hubs by degree and PageRank, orphans, placeholders, communities).

Neighbourhoods and paths walk edges one note at a time through :class:`Edges`, which the whole
:class:`~kg.model.Wiki` (:class:`WikiEdges`) and the cache (:class:`kg.cache.Graph`) both
provide, so a query reads only the part of the graph it visits. Statistics need the whole
graph and NetworkX; it is imported only there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from kg.errors import ConfigError
from kg.ids import NoteId
from kg.model import Edge, EdgeKind, Placeholder, QuestionStatus, Wiki
from kg.resolve import Resolver

if TYPE_CHECKING:
    from kg.query import NameLookup


class Edges(Protocol):
    """What a walk over the graph needs: each node's edges, its label, and names to look up."""

    @property
    def placeholders(self) -> Mapping[NoteId, Placeholder]: ...

    def edges(self, nid: NoteId) -> tuple[Edge, ...]: ...

    def label(self, nid: NoteId) -> str: ...

    def exists(self, nid: NoteId) -> bool: ...

    def resolver(self) -> NameLookup: ...


class WikiEdges:
    """:class:`Edges` over a whole wiki in memory."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        touching: dict[NoteId, list[Edge]] = defaultdict(list)
        for edge in wiki.edges:
            touching[edge.source].append(edge)
            if edge.target != edge.source:
                touching[edge.target].append(edge)
        self._touching = touching

    @property
    def placeholders(self) -> Mapping[NoteId, Placeholder]:
        return self.wiki.placeholders

    def edges(self, nid: NoteId) -> tuple[Edge, ...]:
        return tuple(self._touching.get(nid, ()))

    def label(self, nid: NoteId) -> str:
        return self.wiki.node_label(nid)

    def exists(self, nid: NoteId) -> bool:
        return nid in self.wiki.notes

    def resolver(self) -> Resolver:
        return Resolver(self.wiki.notes.values())


def find(graph: Edges, name: str) -> NoteId:
    """The note or placeholder ``name`` names; NotFound with the closest names."""
    from kg.query import lookup

    return lookup(name, graph.resolver(), graph.placeholders,
                  left_out=getattr(graph, "left_out", None))  # the cache's graph: its errors


def _walkable(edge: Edge, mentions: bool) -> bool:
    return mentions or edge.kind is EdgeKind.CONNECTION


def _other(edge: Edge, nid: NoteId) -> NoteId:
    return edge.target if edge.source == nid else edge.source


def _best(edges: Iterable[Edge], a: NoteId, b: NoteId) -> Edge:
    """The edge that best describes the hop a → b: typed before mention, a → b before b → a."""
    between = [e for e in edges if {e.source, e.target} == {a, b}]
    return min(between, key=lambda e: (e.kind is not EdgeKind.CONNECTION, e.source != a))


# -- neighbours -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A node within reach, how far, and the edge it was first reached by."""

    id: NoteId
    title: str
    exists: bool
    distance: int
    via: NoteId
    relation: str
    direction: str
    annotation: str

    @property
    def arrow(self) -> str:
        """``->`` when the edge points from ``via`` to this node, ``<-`` when from this node
        to ``via`` (as ``kg path`` marks a hop): ``via <- supports id`` is id supports via."""
        return "->" if self.direction == "out" else "<-"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "placeholder": not self.exists,
            "distance": self.distance, "via": self.via, "dir": self.arrow,
            "relation": self.relation, "direction": self.direction,
            "annotation": self.annotation,
        }


def neighbours(graph: Edges, start: NoteId, depth: int = 1, *, mentions: bool = True,
               relation: str | None = None) -> list[Neighbour]:
    """Every node within ``depth`` hops of ``start`` (edges taken either way), nearest first.

    ``relation`` walks only edges of that relation (``mentions`` for body links).
    """
    if depth < 1:
        raise ConfigError(f"depth must be at least 1, not {depth}", hint="--depth 1")
    from kg.query import relation_name

    relation = relation_name(relation)
    seen = {start}
    frontier = [start]
    found: list[Neighbour] = []
    for distance in range(1, depth + 1):
        step: list[Neighbour] = []
        for node in frontier:
            for edge in graph.edges(node):
                if not _walkable(edge, mentions) or (relation and edge.label != relation):
                    continue
                other = _other(edge, node)
                if other in seen:
                    continue
                seen.add(other)
                step.append(Neighbour(
                    other, graph.label(other), graph.exists(other), distance, node, edge.label,
                    "out" if edge.source == node else "in", edge.annotation,
                ))
        step.sort(key=lambda n: n.id)
        found += step
        frontier = [n.id for n in step]
        if not frontier:
            break
    return found


# -- paths ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path: from → to, by an edge that may point either way."""

    source: NoteId
    target: NoteId
    title: str
    relation: str
    label: str
    forward: bool
    annotation: str
    line: int


def paths(graph: Edges, a: NoteId, b: NoteId, *, mentions: bool = True,
          directed: bool = False, limit: int | None = None) -> list[tuple[Hop, ...]]:
    """Every shortest path from ``a`` to ``b`` (edges either way unless ``directed``), each hop
    with the relation and annotation of the edge that makes it. Sorted; at most ``limit``."""
    if a == b:
        return [()]
    parents: dict[NoteId, dict[NoteId, None]] = {a: {}}  # each node's predecessors, a set
    frontier = [a]
    cache: dict[NoteId, tuple[Edge, ...]] = {}

    def edges_of(nid: NoteId) -> tuple[Edge, ...]:
        if nid not in cache:
            cache[nid] = tuple(
                e for e in graph.edges(nid)
                if _walkable(e, mentions) and (not directed or e.source == nid)
                and e.source != e.target
            )
        return cache[nid]

    while frontier and b not in parents:
        level: dict[NoteId, dict[NoteId, None]] = {}
        for node in frontier:
            for edge in edges_of(node):
                other = _other(edge, node)
                if other in parents:
                    continue
                level.setdefault(other, {})[node] = None  # (a list's `in` was quadratic)
        parents.update(level)
        frontier = sorted(level)
    if b not in parents:
        return []
    # Back from b, depth first, predecessors in order; a stack, not recursion: a chain of
    # daily notes each linking the day before is a path of thousands of hops (Python's
    # recursion stops at 1,000). A tail is shared, not copied: links[i] is a node and the
    # index of the link after it (-1: b's, the last).
    found: list[list[NoteId]] = []
    links: list[tuple[NoteId, int]] = []
    stack: list[tuple[NoteId, int]] = [(b, -1)]
    while stack and (limit is None or len(found) < limit):
        node, tail = stack.pop()
        if node == a:
            nodes = [a]
            while tail >= 0:
                nodes.append(links[tail][0])
                tail = links[tail][1]
            found.append(nodes)
            continue
        links.append((node, tail))
        here = len(links) - 1
        stack.extend((pred, here) for pred in sorted(parents[node], reverse=True))
    result: list[tuple[Hop, ...]] = []
    for nodes in found:
        hops = []
        for u, v in pairwise(nodes):
            edge = _best(edges_of(u), u, v)
            forward = edge.source == u
            rel = edge.relation
            if rel is None:
                label = "mentions" if forward else "mentioned by"
            else:
                label = rel.label if forward else rel.inverse
            hops.append(Hop(u, v, graph.label(v), edge.label, label, forward, edge.annotation,
                            edge.line))
        result.append(tuple(hops))
    return result


COMMUNITY_MEMBERS = 12
"""How many members of a community ``kg stats`` names."""


# -- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stat:
    """One row of ``kg stats``: a section, a name in it, a number and a detail."""

    section: str
    name: str
    value: int | float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "name": self.name, "value": self.value,
                "detail": self.detail}


def pagerank(nodes: list[NoteId], weights: Mapping[tuple[NoteId, NoteId], int],
             alpha: float = 0.85, tol: float = 1e-10, max_iter: int = 200) -> dict[NoteId, float]:
    """PageRank by power iteration over weighted directed edges (NetworkX's definition;
    its own implementation needs SciPy, which kg does not depend on)."""
    n = len(nodes)
    if n == 0:
        return {}
    out_weight: dict[NoteId, float] = defaultdict(float)
    incoming: dict[NoteId, list[tuple[NoteId, float]]] = defaultdict(list)
    for (u, v), w in weights.items():
        out_weight[u] += w
        incoming[v].append((u, float(w)))
    rank = dict.fromkeys(nodes, 1.0 / n)
    for _ in range(max_iter):
        dangling = sum(rank[u] for u in nodes if out_weight[u] == 0)
        base = (1.0 - alpha) / n + alpha * dangling / n
        new = {
            v: base + alpha * sum(rank[u] * w / out_weight[u] for u, w in incoming[v])
            for v in nodes
        }
        if sum(abs(new[v] - rank[v]) for v in nodes) < n * tol:
            return new
        rank = new
    return rank


def communities(nodes: list[NoteId], weights: Mapping[tuple[NoteId, NoteId], int], *,
                seed: int = 0) -> list[list[NoteId]]:
    """The communities of the undirected graph of ``nodes`` whose edges are ``weights``'
    keys, by modularity: the Leiden method (graspologic-native's, in Rust: networkx's
    Louvain took 27 s at 10,000 notes, this 0.1 s), seeded, so that the same wiki gives
    the same groups. Every one of ``nodes`` has an edge."""
    from graspologic_native import leiden

    _quality, found = leiden([(u, v, float(w)) for (u, v), w in sorted(weights.items())],
                             seed=seed)
    groups: dict[int, list[NoteId]] = {}
    for node in nodes:  # each has an edge, so a community
        groups.setdefault(found[node], []).append(node)
    return list(groups.values())


def stats(wiki: Wiki, *, top: int = 10, seed: int = 0) -> list[Stat]:
    """Counts, hubs by degree and by PageRank, orphans, placeholders and communities."""
    nodes = sorted([*wiki.notes, *wiki.placeholders])
    directed: dict[tuple[NoteId, NoteId], int] = defaultdict(int)
    undirected: dict[tuple[NoteId, NoteId], int] = defaultdict(int)
    for edge in wiki.edges:
        if edge.source == edge.target:
            continue
        directed[edge.source, edge.target] += 1
        pair = (min(edge.source, edge.target), max(edge.source, edge.target))
        undirected[pair] += 1
    neighbours: dict[NoteId, set[NoteId]] = defaultdict(set)
    for u, v in undirected:
        neighbours[u].add(v)
        neighbours[v].add(u)

    rows: list[Stat] = []
    edges = wiki.edges
    counts = {
        "notes": len(wiki.notes),
        "placeholders": len(wiki.placeholders),
        "connections": sum(1 for e in edges if e.kind is EdgeKind.CONNECTION),
        "mentions": sum(1 for e in edges if e.kind is EdgeKind.MENTION),
        "questions": len(wiki.questions),
        "open questions": sum(1 for q in wiki.questions if q.status is QuestionStatus.OPEN),
        "research angles": sum(len(n.angles) for n in wiki.notes.values()),
        "forecasts": sum(len(n.forecasts) for n in wiki.notes.values()),
        "tags": len({t for n in wiki.notes.values() for t in n.tags}),
    }
    rows += [Stat("count", name, value) for name, value in counts.items()]
    relations: dict[str, int] = defaultdict(int)
    for edge in edges:
        if edge.kind is EdgeKind.CONNECTION:
            relations[edge.label] += 1
    rows += [Stat("relation", name, value) for name, value in
             sorted(relations.items(), key=lambda kv: (-kv[1], kv[0]))]

    degree = sorted(nodes, key=lambda n: (-len(neighbours[n]), n))
    rows += [Stat("hub-degree", n, len(neighbours[n]), wiki.node_label(n))
             for n in degree[:top] if neighbours[n]]
    ranks = pagerank(nodes, directed)
    ranked = sorted(nodes, key=lambda n: (-round(ranks[n], 12), n))
    rows += [Stat("hub-pagerank", n, round(ranks[n], 4), wiki.node_label(n))
             for n in ranked[:top]]
    rows += [Stat("orphan", n, 0, wiki.notes[n].title)
             for n in sorted(wiki.notes) if not neighbours[n]]
    rows += [Stat("placeholder", ph.id, len(ph.referenced_by), ph.label)
             for ph in sorted(wiki.placeholders.values(),
                              key=lambda p: (-len(p.referenced_by), p.id))]

    if undirected:
        groups = communities([n for n in nodes if neighbours[n]], undirected, seed=seed)
        ordered = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
        for i, members in enumerate(ordered, start=1):
            hub = max(members, key=lambda m: (len(neighbours[m]), m in wiki.notes, m))
            shown = ", ".join(members[:COMMUNITY_MEMBERS])
            more = len(members) - COMMUNITY_MEMBERS
            rows.append(Stat("community", str(i), len(members),
                             f"around {wiki.node_label(hub)}: {shown}"
                             + (f" and {more} more" if more > 0 else "")))
    return rows
