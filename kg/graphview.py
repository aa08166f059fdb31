"""The graphs a reader sees: vis-network nodes and edges, laid out before the browser opens them.

The global graph goes through pyvis's data model (``Network.nodes`` and ``Network.edges``
filled directly: its ``add_edge`` is quadratic) but never through pyvis's HTML: its templates
link a CDN, insert the heading unescaped and switch tooltips to ``innerHTML``. The site's own
template and script draw the data, which is plain JSON.

Positions are computed here, with a fixed seed, so the page opens with physics off and the same
picture every build: vis-network's physics does not settle past a few thousand nodes.
Without numpy (networkx's layouts need it) no positions are written and the browser lays the
graph out itself.

Past :data:`LOD_EDGES` edges vis-network cannot draw a frame in time (it strokes each edge
object by itself: 71,000 edges of a 10,000-note wiki took 7 s a frame and 18 s to open), so the
data says ``lod``: the page hands vis-network the nodes only and draws the edges itself, those
in view and at most a budget a frame, in the order given here, most important first.

Past :data:`LABELS_APART_MAX` nodes (or with ``lod``) the data says ``fit_labels``: the
layout cannot keep thousands of labels apart, so the page draws them itself, only those that
fit in view without overlapping, the best linked notes first, as a map shows place names.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from kg.bidi import isolate
from kg.ids import NoteId
from kg.memo import LastMade, kept_values
from kg.model import Edge, EdgeKind, Note, Placeholder, Wiki
from kg.relations import RELATIONS
from kg.views import Views, only_moved

SEED = 7
SPRING_LIMIT = 500
"""Up to this many nodes networkx's exact spring layout; above it a sampled one (O(N) a step)."""
LOCAL_LIMIT = 40
"""The most nodes a note's local graph shows."""
LOCAL_LARGEST = 40.0
"""The largest a node is drawn in a local graph (a degree of 38 or more): its physics does not
keep nodes apart by their size, and a hub of 6,000 links, drawn 389 px wide by its degree,
covered its 39 neighbours on every page near it (a disc with nothing to click)."""
LABEL_LENGTH = 42
MENTIONS = "mentions"
LOD_EDGES = 1000
"""Above this many edges the page draws the edges itself, with a level of detail."""


@dataclass(frozen=True, slots=True)
class GraphData:
    """What a graph page draws: vis-network nodes, edges and options, and the filter choices."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    options: dict[str, Any]
    relations: list[str]
    tiers: list[int | None]
    tags: list[str]
    lod: bool = False
    fit_labels: bool = False

    def as_json(self) -> dict[str, Any]:
        """The page's data; a large graph's (``lod``) in rows, as :meth:`compact` says."""
        data = {
            "nodes": self.nodes,
            "edges": self.edges,
            "options": self.options,
            "relations": self.relations,
            "tiers": self.tiers,
            "tags": self.tags,
            "lod": self.lod,
            "fit_labels": self.fit_labels,
        }
        return data | self.compact() if self.lod else data

    def compact(self) -> dict[str, Any]:
        """Nodes and edges as rows, half the bytes of the records (6.3 MB for 10,000 notes
        instead of 11.8) and parsed in half the time.

        A node is ``[id, label, group, size, x, y, deg, tier, tags, name?]``: ``x``/``y`` null
        when not laid out, ``tags`` indexes into ``tags``, ``name`` only when the label is
        shortened. An edge is ``[from, to, relation, note?]``: indexes into ``nodes`` and
        ``relations`` (the relation ``mentions`` is a mention, drawn dashed).
        """
        tag_index = {tag: i for i, tag in enumerate(self.tags)}
        rel_index = {rel: i for i, rel in enumerate(self.relations)}
        node_index: dict[str, int] = {}
        nodes: list[list[Any]] = []
        for i, n in enumerate(self.nodes):
            node_index[n["id"]] = i
            row = [n["id"], n["label"], n["group"], n["size"], n.get("x"), n.get("y"), n["deg"],
                   n["tier"], [tag_index[t] for t in n["tags"]]]
            if "name" in n:
                row.append(n["name"])
            nodes.append(row)
        edges: list[list[Any]] = []
        for e in self.edges:
            row = [node_index[e["from"]], node_index[e["to"]], rel_index[e["rel"]]]
            if "note" in e:
                row.append(e["note"])
            edges.append(row)
        return {"compact": 2, "nodes": nodes, "edges": edges}


def group(tier: int | None, placeholder: bool) -> str:
    """The colour group of a node; the page maps groups to its light or dark palette.

    Each tier a note may have (1 to 9) is its own group, ``t1`` to ``t9``, with its own
    colour (``--t1`` to ``--t9`` in style.css); a note without one is ``t0``."""
    if placeholder:
        return "ghost"
    return "t0" if tier is None else f"t{tier}"


def node_size(degree: int) -> float:
    """How large a node is drawn: by its degree's class, not by the degree itself.

    The classes are a quarter of an octave of ``degree + 1`` wide (1, 2, 3, 4, 5, 6, 7-8,
    9-10, 11-12, ..., 38-44, ...), each drawn at its lowest degree's size, so that a hub's
    next link seldom changes it. A hub is drawn in the local graph of every note page within
    two hops of it: with the size of each degree, a note added to a 10,000-note wiki made
    411 note pages again, 378 of them only for a hub drawn a tenth larger.
    """
    step = math.floor(4 * math.log2(degree + 1))
    lowest = math.ceil(2 ** (step / 4)) - 1
    return round(8 + 5 * math.sqrt(lowest), 1)


def short(text: str, limit: int = LABEL_LENGTH) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class EdgeRecords(NamedTuple):
    """The graph's edge records, made of the wiki's edges alone (read, never changed: one
    build's may be the next one's): one per source, target and relation, self-links left
    out, by ends and relation; and each source's."""

    edges: tuple[dict[str, Any], ...]
    out: Mapping[str, tuple[dict[str, Any], ...]]


def _edge_records(edges: tuple[Edge, ...]) -> EdgeRecords:
    seen: set[tuple[str, str, str]] = set()
    records: list[dict[str, Any]] = []
    # sorted as plain tuples (no key function): by ends and label, then in the wiki's order
    ordered = sorted((e.source, e.target, e.label, i) for i, e in enumerate(edges))
    mention = EdgeKind.MENTION
    for source, target, label, i in ordered:
        key = (source, target, label)
        if source == target or key in seen:
            continue
        seen.add(key)
        record: dict[str, Any] = {"from": source, "to": target, "rel": label}
        edge = edges[i]
        if edge.kind is mention:
            record["dashes"] = True
        else:
            record["label"] = label
            if edge.annotation:
                record["note"] = short(edge.annotation, 240)
        records.append(record)
    out: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        out.setdefault(record["from"], []).append(record)
    return EdgeRecords(tuple(records), {source: tuple(found) for source, found in out.items()})


edge_records: LastMade[EdgeRecords] = LastMade(
    _edge_records, lambda records, changes: records if only_moved(changes) else None)
"""The :class:`EdgeRecords` of the wiki's edges; the last ones again while they are equal
(``kg serve``: an edit of a note's text leaves every edge as it was), or differ only in
lines, which no record holds."""


_last_nodes: dict[Any, tuple[Any, ...]] = {}
"""The last build's node records (never changed once made), each with the note or
placeholder and the degree it was made of: ``kg serve``'s next build takes them again."""


class GraphBuilder:
    """Node and edge records for every graph of a build, from one :class:`Views`."""

    def __init__(self, views: Views) -> None:
        self.views = views
        self.wiki: Wiki = views.wiki
        global _last_nodes
        shown: list[Note | Placeholder] = [*self.wiki.notes.values(),
                                           *self.wiki.placeholders.values()]
        nids = [*self.wiki.notes, *self.wiki.placeholders]

        def made(at: int) -> dict[str, Any]:
            record = shown[at]
            if isinstance(record, Note):
                return self._node(record.id, record.title, record.tier, record.tags, False)
            return self._node(record.id, record.label, None, (), True)

        nodes, _last_nodes = kept_values(
            nids, [shown], [list(map(views.degree.get, nids, itertools.repeat(0)))],
            _last_nodes, made)
        self._nodes: dict[NoteId, dict[str, Any]] = dict(zip(nids, nodes, strict=True))
        records = edge_records(self.wiki.edges)
        self._edges: Sequence[dict[str, Any]] = records.edges
        self._out: Mapping[str, Sequence[dict[str, Any]]] = records.out
        self._local_options = graph_options(LOCAL_LIMIT, False)
        self._ends: dict[NoteId, dict[NoteId, tuple[int, ...]]] = {}
        self._rows: dict[NoteId, list[Any]] = {}

    def _node(self, nid: NoteId, title: str, tier: int | None, tags: Iterable[str],
              placeholder: bool) -> dict[str, Any]:
        degree = self.views.degree.get(nid, 0)
        label = short(title)
        node: dict[str, Any] = {  # names isolated: drawn and joined with others by graph.js
            "id": nid,
            "label": isolate(label),
            "group": group(tier, placeholder),
            "tier": tier,
            "tags": sorted(map(isolate, tags)),
            "deg": degree,
            "size": node_size(degree),
        }
        if label != title:
            node["name"] = isolate(title)
        if placeholder:
            node["ph"] = True
        return node

    def global_graph(self) -> GraphData:
        """Every note, placeholder and edge, laid out, through pyvis's data model.

        Node pages are ``notes/<id>.html``, so no URL is stored; labels longer than
        :data:`LABEL_LENGTH` keep the full title in ``name``. Edges come most important
        first (:meth:`ranked_edges`): a large graph draws only the first ones zoomed out.
        """
        nodes = [dict(self._nodes[nid]) for nid in sorted(self._nodes)]
        index = {node["id"]: i for i, node in enumerate(nodes)}
        pairs = [(index[e["from"]], index[e["to"]]) for e in self._edges]
        positions = layout(len(nodes), pairs)
        if positions is not None and len(nodes) <= LABELS_APART_MAX:
            positions = labels_apart(positions, [(len(n["label"]), n["size"]) for n in nodes])
        if positions is not None:
            for node, (x, y) in zip(nodes, positions, strict=True):
                node["x"], node["y"] = x, y
        edges = self.ranked_edges()
        lod = len(edges) > LOD_EDGES
        net = _network(nodes, edges, graph_options(len(nodes), positions is not None, lod=lod))
        net_nodes, net_edges, _heading, _height, _width, _options = net.get_network_data()
        return GraphData(
            nodes=net_nodes,
            edges=net_edges,
            options=net.options,
            relations=self.relations(),
            tiers=self.tiers(),
            tags=sorted(map(isolate, self.views.by_tag)),
            lod=lod,
            fit_labels=lod or len(nodes) > LABELS_APART_MAX,
        )

    def ranked_edges(self) -> list[dict[str, Any]]:
        """The edges, most important first: typed connections before mentions, then those
        whose less-linked end is better linked (hub to hub before hub to leaf)."""
        degree = self.views.degree

        def rank(e: dict[str, Any]) -> tuple[bool, int, int, str, str, str]:
            a, b = degree.get(e["from"], 0), degree.get(e["to"], 0)
            return ("dashes" in e, -min(a, b), -max(a, b), e["from"], e["to"], e["rel"])

        return sorted(self._edges, key=rank)

    def local_graph(self, nid: NoteId, limit: int = LOCAL_LIMIT) -> dict[str, Any]:
        """The 2-hop neighbourhood of a note (at most ``limit`` nodes), for its page.

        Compact, as it is embedded in every note page: ``nodes`` are ``[id, label, group,
        size, name]`` (name only when the label is shortened) and ``edges`` are ``[from, to,
        mention]`` with indexes into ``nodes``; no edge labels, too small to read there.
        """
        keep = sorted(self.views.neighbourhood(nid, 2, limit))
        index = {other: i for i, other in enumerate(keep)}
        rows = self._rows
        nodes = [rows.get(other) or self._row(other) for other in keep]
        edges: list[list[int]] = []
        at = index.get
        for i, source in enumerate(keep):
            out = self._out.get(source, ())
            if len(out) <= 4 * len(keep):
                for e in out:
                    if (j := at(e["to"])) is not None:
                        edges.append([i, j, 1 if "dashes" in e else 0])
                continue
            ends = self._ends.get(source) or self._ends_of(source)  # a hub: by end, in C
            for j in sorted(map(index.__getitem__, ends.keys() & index.keys())):
                for mention in ends[keep[j]]:
                    edges.append([i, j, mention])
        found = {"compact": 1, "nodes": nodes, "edges": edges, "focus": nid,
                 "options": self._local_options}
        if len(keep) >= limit and self.views.within(nid, 2, limit + 1) > limit:
            found["capped"] = 1  # the nearest of more: the page says so
        return found

    def _row(self, nid: NoteId) -> list[Any]:
        """A node's row in the local graphs (shared by every page that draws it: read,
        never changed)."""
        full = self._nodes[nid]
        row = [nid, full["label"], full["group"], min(full["size"], LOCAL_LARGEST)]
        if "name" in full:
            row.append(full["name"])
        self._rows[nid] = row
        return row

    def _ends_of(self, source: NoteId) -> dict[NoteId, tuple[int, ...]]:
        """Where the edges from a hub end: each end with its edges' kinds, 1 for a mention,
        in the edges' order. Each of ten thousand pages near a hub (thousands of links)
        would otherwise read every edge of it; kept for hubs alone (memory: every worker
        would hold one for each note)."""
        found: dict[NoteId, tuple[int, ...]] = {}
        for e in self._out.get(source, ()):
            found[e["to"]] = (*found.get(e["to"], ()), 1 if "dashes" in e else 0)
        self._ends[source] = found
        return found

    def relations(self) -> list[str]:
        return list(_relations(tuple(self._edges)))

    def tiers(self) -> list[int | None]:
        return list(_tiers(tuple(self._nodes.values())))


def _relations_used(edges: tuple[dict[str, Any], ...]) -> tuple[str, ...]:
    used = {e["rel"] for e in edges}
    names = [r.name for r in RELATIONS if r.name in used]
    return (*names, *([MENTIONS] if MENTIONS in used else []))


def _tiers_shown(nodes: tuple[dict[str, Any], ...]) -> tuple[int | None, ...]:
    used = {n["tier"] for n in nodes if not n.get("ph")}
    return (*sorted(t for t in used if t is not None), *([None] if None in used else []))


_relations = LastMade(_relations_used)
"""The relations the graph's edges use; the last build's while they are the same records."""
_tiers = LastMade(_tiers_shown)
"""The tiers the graph's nodes show; the last build's while they are the same records."""


def _network(nodes: list[dict[str, Any]], edges: list[dict[str, Any]],
             options: dict[str, Any]) -> Any:
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="remote")
    net.nodes = nodes
    net.edges = edges
    net.node_ids = [n["id"] for n in nodes]
    net.options = options
    return net


def graph_options(count: int, positioned: bool, *, lod: bool = False) -> dict[str, Any]:
    """vis-network options: physics and its stabilization off when the layout is precomputed.

    With ``lod`` vis-network draws the nodes only, so hovering stays cheap whatever the size.
    """
    large = count > 1000
    return {
        "autoResize": True,
        "layout": {"randomSeed": SEED, "improvedLayout": not positioned and count <= 150},
        "physics": {
            "enabled": not positioned,
            "solver": "forceAtlas2Based",
            "stabilization": {"enabled": not positioned, "iterations": 300, "fit": True},
        },
        "interaction": {
            "hover": lod or not large,
            "tooltipDelay": 200,
            # the arrow keys once the graph has the focus (Tab, or a click): hovering it
            # took the focus, and typing in the search box went to the graph
            "keyboard": {"enabled": True, "bindToWindow": False, "autoFocus": False},
            "navigationButtons": False,
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
        },
        "nodes": {
            "shape": "dot",
            "borderWidth": 2,
            "font": {"size": 14},
            "scaling": {"label": {"drawThreshold": 6}},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "smooth": False if large else {"enabled": True, "type": "continuous"},
            "font": {"size": 10, "align": "middle"},
            "width": 1,
            "selectionWidth": 2,
        },
    }


# -- layout ------------------------------------------------------------------------------


def layout(count: int, pairs: Sequence[tuple[int, int]], seed: int = SEED
           ) -> list[tuple[int, int]] | None:
    """Integer positions of ``count`` nodes joined by ``pairs``; None without numpy.

    Spread so that neighbours are ~150 px apart whatever the size of the graph (more in a
    small one: :func:`neighbour_distance`). The notes
    linked to two others or more are drawn by a force layout; the notes with no edge, and
    pairs linked only to each other, are set in rows below: drawn with the others, a force
    layout pushes them to a far ring and shrinks the linked notes into a knot in the middle.
    """
    try:
        import numpy  # noqa: F401 - the layouts below need it
    except ImportError:
        return None
    parts = _components(count, pairs)
    drawn_together = [node for part in parts if len(part) > 2 for node in part]
    apart = neighbour_distance(count)
    if len(drawn_together) == count:
        return _spread(count, pairs, seed, apart)
    index = {node: i for i, node in enumerate(drawn_together)}
    inner = [(index[a], index[b]) for a, b in pairs if a != b and a in index]
    found = dict(zip(drawn_together, _spread(len(drawn_together), inner, seed, apart),
                     strict=True))
    small = [part for part in parts if len(part) <= 2]
    left = min((x for x, _ in found.values()), default=0)
    right = max((x for x, _ in found.values()), default=0)
    width = max(right - left, 150 * math.ceil(math.sqrt(count)))
    x, y = left, max((y for _, y in found.values()), default=-300) + 300
    for part in small:  # pairs first (the parts come largest first), then single notes
        if x > left and x + 150 * (len(part) - 1) > left + width:
            x, y = left, y + 150
        for node in part:
            found[node] = (x, y)
            x += 150
    return [found[n] for n in range(count)]


def _components(count: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The connected parts of the graph, largest first (then by their first node)."""
    parent = list(range(count))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    parts: dict[int, list[int]] = {}
    for n in range(count):
        parts.setdefault(root(n), []).append(n)
    return sorted(parts.values(), key=lambda part: (-len(part), part[0]))


LABELS_APART_MAX = 200
"""Up to this many nodes the layout moves nodes apart until no two labels overlap (their
labels show at the zoom a graph opens at); a larger graph's page shows the labels that fit
(``fit_labels``)."""
LABEL_CHAR = 8.4
"""The width (px at zoom 1) a label's character takes at most, on average: 0.6 em of the
graph's 14 px font (DejaVu Sans, the widest of the usual sans faces)."""


def labels_apart(positions: Sequence[tuple[int, int]], labels: Sequence[tuple[int, float]]
                 ) -> list[tuple[int, int]]:
    """``positions`` moved until no two nodes' boxes overlap (or 60 rounds of pushes are
    done: a crowded graph keeps fewer overlaps, not none): a node's dot (``labels``: its
    label's length and the dot's radius) and its label below it, as wide as
    :data:`LABEL_CHAR` says. Each overlapping pair is pushed apart along the axis where they
    overlap less, half each way; in a fixed order, so the same graph is laid out the same.
    O(n²) a round: 0.2 s for 200 notes."""
    pos = [[float(x), float(y)] for x, y in positions]
    half = [max(length * LABEL_CHAR / 2 + 4, size) for length, size in labels]
    above = [size + 2 for _, size in labels]
    below = [size + 22 for _, size in labels]  # the dot, then a line of 14 px text
    order = range(len(pos))
    for _ in range(60):
        moved = False
        for i in order:
            for j in range(i + 1, len(pos)):
                (xi, yi), (xj, yj) = pos[i], pos[j]
                ox = half[i] + half[j] - abs(xi - xj)
                oy = (below[i] + above[j] - (yj - yi) if yj >= yi
                      else below[j] + above[i] - (yi - yj))
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                if ox < oy:
                    step = (ox / 2 + 1) * (1 if xj >= xi else -1)
                    pos[i][0] -= step
                    pos[j][0] += step
                else:
                    step = (oy / 2 + 1) * (1 if yj >= yi else -1)
                    pos[i][1] -= step
                    pos[j][1] += step
        if not moved:
            break
    return [(round(x), round(y)) for x, y in pos]


def neighbour_distance(count: int) -> float:
    """How far apart (px at zoom 1) neighbours are drawn: 150, and up to 270 in a graph of
    fewer than 60 notes, whose labels would otherwise overlap in the middle of a canvas the
    browser does not zoom into past 1:1."""
    return 150.0 * min(1.8, max(1.0, math.sqrt(60 / max(count, 1))))


def _spread(count: int, pairs: Sequence[tuple[int, int]], seed: int, apart: float
            ) -> list[tuple[int, int]]:
    import numpy as np

    if count == 0:
        return []
    if count == 1:
        return [(0, 0)]
    if count == 2 and pairs:
        return [(0, 0), (150, 0)]
    if count <= SPRING_LIMIT:
        import networkx as nx

        graph: nx.Graph[int] = nx.Graph()
        graph.add_nodes_from(range(count))
        graph.add_edges_from((a, b) for a, b in pairs if a != b)
        spring = nx.spring_layout(graph, seed=seed, iterations=120, method="force")
        pos = np.array([spring[i] for i in range(count)], dtype=float)
    else:
        pos = sampled_layout(count, pairs, seed)
    pos -= pos.mean(axis=0)
    spread = float(np.abs(pos).max()) or 1.0
    side = apart * math.sqrt(count) + 200.0
    scale = side / spread / 2
    edges = np.array([(a, b) for a, b in pairs if a != b], dtype=np.int64).reshape(-1, 2)
    if len(edges):  # neighbours ~150 px apart, however far the layout set its parts apart
        lengths = np.linalg.norm(pos[edges[:, 0]] - pos[edges[:, 1]], axis=1)
        typical = float(np.median(lengths))
        if typical > 0:
            scale = min(max(apart / typical, scale / 4), 4 * scale)
    pos *= scale
    return [(round(float(x)), round(float(y))) for x, y in pos]


def sampled_layout(count: int, pairs: Sequence[tuple[int, int]], seed: int = SEED,
                   iterations: int | None = None, samples: int = 16) -> Any:
    """Fruchterman–Reingold with repulsion from a random sample of nodes at each step.

    Exact repulsion costs O(N²) a step (networkx's exact layout at 10,000 nodes needs
    minutes); a sample of ``samples`` nodes, scaled up, costs O(N · samples + E) and gives
    the same large-scale shape. Seeded, so the same graph gives the same picture.
    """
    import numpy as np

    if iterations is None:
        iterations = 100 if count <= 2000 else 60
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(count, 2)) * math.sqrt(count)
    x, y = pos[:, 0].copy(), pos[:, 1].copy()
    kept = [(a, b) for a, b in pairs if a != b]
    src = np.array([a for a, _ in kept], dtype=np.int64)
    dst = np.array([b for _, b in kept], dtype=np.int64)
    temperature = math.sqrt(count) / 4
    cool = temperature / (iterations + 1)
    scale = (count - 1) / samples
    gravity = 0.05 * math.sqrt(count)
    for _ in range(iterations):
        others = rng.integers(0, count, size=(count, samples))
        dx = x[:, None] - x[others]
        dy = y[:, None] - y[others]
        inv = scale / np.maximum(dx * dx + dy * dy, 1e-4)
        fx = (dx * inv).sum(axis=1)
        fy = (dy * inv).sum(axis=1)
        if len(src):
            ex, ey = x[src] - x[dst], y[src] - y[dst]
            length = np.sqrt(ex * ex + ey * ey)
            px, py = ex * length, ey * length
            fx += np.bincount(dst, px, count) - np.bincount(src, px, count)
            fy += np.bincount(dst, py, count) - np.bincount(src, py, count)
        norm = np.sqrt(x * x + y * y) + 1e-9
        fx -= x / norm * gravity
        fy -= y / norm * gravity
        length = np.maximum(np.sqrt(fx * fx + fy * fy), 1e-9)
        step = np.minimum(length, temperature) / length
        x += fx * step
        y += fy * step
        temperature -= cool
    return np.column_stack((x, y))
