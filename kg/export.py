"""``kg export``: the graph as Turtle, JSON-LD, N-Triples (RDF) or GraphML (the NetworkX view)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import ConfigError, KgError
from kg.model import Wiki

if TYPE_CHECKING:
    from kg.cache import Graph
    from kg.config import Config

FORMATS = ("ttl", "jsonld", "nt", "graphml")


_EXTENSIONS = {".ttl": "ttl", ".turtle": "ttl", ".jsonld": "jsonld", ".json": "jsonld",
               ".nt": "nt", ".graphml": "graphml", ".xml": "graphml"}


def format_of(out: str | None) -> str:
    """The format a file name asks for by its extension (``g.graphml``: GraphML), else
    Turtle: ``kg export --out g.graphml`` without ``--format`` had written Turtle there."""
    return _EXTENSIONS.get(Path(out).suffix.lower(), "ttl") if out else "ttl"


def export(wiki: Wiki, nt: str | bytes, fmt: str) -> bytes:
    """The graph in ``fmt``; ``nt`` is the wiki's N-Triples (:func:`kg.rdf.ntriples`).

    Every format is deterministic: the same wiki gives the same bytes.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format '{fmt}'", hint=f"use {', '.join(FORMATS)}")
    if fmt == "graphml":
        return graphml(wiki)
    from kg.rdf import serialize

    return serialize(nt, fmt)


def export_wiki(config: Config, fmt: str, *, graph: Graph | None = None) -> bytes:
    """The wiki of ``config`` in ``fmt``, from the graph cache (or its ``graph``, opened
    already)."""
    from kg.cache import ntriples_file, open_graph
    from kg.rdf import ntriples_bytes

    graph = graph or open_graph(config)
    path = None if fmt == "graphml" else ntriples_file(config, graph)
    nt = b"" if path is None else ntriples_bytes(path)
    try:
        return export(graph.wiki(), nt, fmt)
    except SyntaxError as err:  # the cache's triples, damaged in place
        from kg.cache import damaged_ntriples

        assert path is not None
        raise damaged_ntriples(path, err) from None


def graphml(wiki: Wiki) -> bytes:
    """The NetworkX projection as GraphML; lists become comma-joined text (no tags: empty
    text, so every node has the attribute), values that are None go."""
    import networkx as nx

    from kg.network import build_network

    graph = build_network(wiki)
    for _, attrs in graph.nodes(data=True):
        _plain(attrs)
    for _, _, attrs in graph.edges(data=True):
        _plain(attrs)
    buf = io.BytesIO()
    nx.write_graphml(graph, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def _plain(attrs: dict[str, Any]) -> None:
    """GraphML holds only scalars: join tuples, drop Nones."""
    for key, value in list(attrs.items()):
        if value is None:
            del attrs[key]
        elif isinstance(value, list | tuple):
            attrs[key] = ", ".join(str(v) for v in value)


def write_out(path: Path, data: bytes) -> None:
    """``data`` into the file ``path`` names, as a shell's ``>`` would: through a symlink to
    its target, and into a pipe or a device (``/dev/stdout``) as it is; a regular file is
    replaced whole or not at all (never left half-written).

    A path to one of this process's descriptors (``/dev/stdout``, ``/proc/self/fd/1``,
    ``/dev/fd/1``) is written into that descriptor, as a shell does: its link leads to
    ``pipe:[…]``, which no path names, or to a file the shell opened (with ``>>``, to
    append), which opening again or replacing would not write as asked."""
    import stat

    from kg.cache import write_atomic

    try:
        descriptor = _descriptor(path)
        if descriptor is not None:
            with open(os.dup(descriptor), "wb") as f:
                f.write(data)
            return
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        if mode and not stat.S_ISREG(mode):
            with open(path, "wb") as f:
                f.write(data)
        else:
            target = Path(os.path.realpath(path)) if path.is_symlink() else path
            write_atomic(target, lambda f: f.write(data), private=False)
    except BrokenPipeError:  # -o /dev/stdout | head: the reader has what it wanted, as
        raise  # for the output written to stdout (kg.cli.reports_errors)
    except OSError as err:
        raise KgError(f"cannot write {path}: {err.strerror}", file=path) from None


def _descriptor(path: Path, hops: int = 40) -> int | None:
    """The descriptor of this process that ``path``, or a link on the way to its target,
    names (``/dev/stdout`` → ``/proc/self/fd/1``: 1), else None."""
    own = {"self", str(os.getpid())}
    current = os.path.abspath(path)
    for _ in range(hops):
        parts = Path(current).parts
        if len(parts) == 5 and parts[1] == "proc" and parts[2] in own and parts[3] == "fd":
            return int(parts[4]) if parts[4].isdigit() else None
        if len(parts) == 4 and parts[1:3] == ("dev", "fd"):
            return int(parts[3]) if parts[3].isdigit() else None
        try:
            link = os.readlink(current)
        except OSError:  # not a link, or not there: the end of the chain
            return None
        current = os.path.abspath(os.path.join(os.path.dirname(current), link))
    return None
