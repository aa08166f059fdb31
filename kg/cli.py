"""The ``kg`` command: a thin layer that parses options, calls one library function, and
turns a :class:`~kg.errors.KgError` into a message and an exit code.

Heavy libraries (rdflib, networkx, jinja2, pyvis) are imported inside the commands that
need them, so ``kg --help`` and the query commands start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from kg.errors import KgError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Run a command body; a KgError becomes its message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KgError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _config(wiki: str | None = None, out: str | None = None, **options: Any) -> Any:
    from kg.config import load_config

    start = Path(wiki).resolve().parent if wiki else None
    return load_config(start).with_options(wiki=wiki, out=out, **options)


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True, help="Output as an aligned table, JSON or CSV.",
)
wiki_option = click.option("--wiki", type=click.Path(file_okay=False), default=None,
                           help="The wiki folder (default: from kg.toml, else ./wiki).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def main() -> None:
    """kg: a literature knowledge-graph wiki.

    Notes are Markdown files with YAML front-matter under wiki/. `kg build` turns them into
    one knowledge graph (RDF and NetworkX) and a static site; the query commands ask the
    graph from the shell.
    """


@main.command()
@wiki_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the site (default: from kg.toml, else ./site).")
@click.option("--base-url", default=None, help="The URL the site will be served from.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@reports_errors
def build(wiki: str | None, out: str | None, base_url: str | None, quiet: bool) -> None:
    """Build the knowledge graph and the static site.

    Every note is parsed and checked before anything is written; a bad note stops the build
    with its file and line, and the previous site stays as it was.
    """
    from kg.build import build as run_build

    config = _config(wiki, out, base_url=base_url)
    progress = None if quiet else (lambda message: click.echo(f"· {message}", err=True))
    result = run_build(config, progress=progress)
    if not quiet:
        for warning in result.warnings:
            click.echo(f"  {warning}", err=True)
    click.echo(result.summary())


@main.command()
@click.argument("note")
@click.option("--rel", default=None, help="Only connections of this relation (or 'mentions').")
@click.option("--direction", type=click.Choice(["both", "out", "in"]), default="both",
              show_default=True, help="Outgoing, incoming, or both.")
@click.option("--no-mentions", is_flag=True, help="Typed connections only, no [[mentions]].")
@wiki_option
@format_option
@reports_errors
def connections(note: str, rel: str | None, direction: str, no_mentions: bool,
                wiki: str | None, fmt: str) -> None:
    """Incoming and outgoing connections of NOTE, with relation and annotation.

    NOTE is an id, alias, title or file name.
    """
    from kg.build import load_wiki
    from kg.formats import render_rows
    from kg.query import connections as find_connections

    loaded = load_wiki(_config(wiki))
    nid, links = find_connections(loaded, note, relation=rel, direction=direction,
                                  mentions=not no_mentions)
    rows = [
        {
            "direction": link.direction,
            "relation": link.relation,
            "label": link.label,
            "note": link.other,
            "title": link.title,
            "placeholder": not link.exists,
            "annotation": link.annotation,
        }
        for link in links
    ]
    columns = ["direction", "relation", "note", "annotation"] if fmt == "table" else [
        "direction", "relation", "label", "note", "title", "placeholder", "annotation"]
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@wiki_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the site (default: from kg.toml, else ./site).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@reports_errors
def serve(wiki: str | None, out: str | None, host: str, port: int) -> None:
    """Build, serve the site on localhost, and rebuild and reload on every change.

    A note with an error does not stop the server: every page shows the error until the
    note is fixed. Only requests for a local Host are answered.
    """
    from kg.serve import serve as run_server

    run_server(_config(wiki, out), host=host, port=port, say=click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()
