"""The ``kg`` command: a thin layer that parses options, calls one library function, and
turns a :class:`~kg.errors.KgError` into a message and an exit code.

Everything but click is imported inside the commands that need it, kg's own modules
included (``pathlib`` and the records' dataclasses cost as much as the help itself), so
``kg --help`` and the query commands start fast.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Run a command body; a KgError becomes its message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kg.errors import KgError

        try:
            return func(*args, **kwargs)
        except KgError as err:
            _say_escaped(f"error: {err}")
            sys.exit(1)
        except RuntimeError as err:  # Path.resolve of a symlink loop (Python before 3.13)
            if not str(err).startswith("Symlink loop"):
                raise
            click.echo(f"error: {str(err).replace('Symlink loop from', 'a symlink loop:')}"
                       "\n  hint: a --wiki or --out that is a link leading back to itself; "
                       "remove it or point it at a folder", err=True)
            sys.exit(1)
        except BrokenPipeError:  # kg export | head: the reader has what it wanted
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
            sys.exit(1)
        except OSError as err:  # writing the output: > /dev/full, a disk that filled up
            if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            with contextlib.suppress(OSError):
                click.echo(f"error: cannot write the output: {err.strerror}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _say_escaped(text: str) -> None:
    """``text`` on standard error, escaped: a name from the wiki or the command line may
    hold ESC or BEL."""
    from kg.discover import printable

    click.echo("\n".join(printable(line) for line in text.split("\n")), err=True)


def _graph(config: Any) -> Any:
    """The wiki's graph for a query, from the cache: a note with an error (or an ambiguous
    link) is left out, and said so on standard error before the answer, which goes to
    standard output as ever (the exit code is that of the query: 0 when it answered)."""
    from kg.cache import open_graph

    graph = open_graph(config, lenient=True)
    if graph.left_out is not None:
        # said if it can be: stderr full or closed (`2>/dev/full`) must not stop the answer
        with contextlib.suppress(OSError):
            _say_escaped(graph.left_out.warning())
    return graph


def _config(wiki: str | None = None, out: str | None = None, **options: Any) -> Any:
    from pathlib import Path

    from kg.config import load_config

    start = Path(wiki).resolve().parent if wiki else None
    return load_config(start).with_options(wiki=wiki, out=out, **options)


def _note_name(name: str, config: Any) -> str:
    """NOTE as the file's path in the wiki, if it is a path from here to a note file."""
    if not name.lower().endswith(".md"):  # an id, a title: nothing more imported
        return name
    from kg.discover import named_by_path

    return named_by_path(name, config.wiki)


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True, help="Output as an aligned table, JSON or CSV.",
)
wiki_option = click.option("--wiki", type=click.Path(file_okay=False), default=None,
                           help="The wiki folder (default: from kg.toml, else ./wiki).")
out_option = click.option("--out", type=click.Path(file_okay=False), default=None,
                          help="Where to write the site (default: from kg.toml, else site/ "
                               "beside the wiki folder).")


def auth_options(func: F) -> F:
    """``--user`` and ``--password-env`` for a SPARQL store."""
    func = click.option("--password-env", default="KG_PASSWORD", show_default=True,
                        metavar="NAME",
                        help="The environment variable holding the password (if "
                        "KG_PASSWORD is unset, it is asked for in a terminal).")(func)
    return click.option("--user", default=None,
                        help="User name at the store (HTTP Basic or Digest).")(func)


def remote_options(func: F) -> F:
    """``--endpoint`` (ask a SPARQL store, not the local graph) with the store's login."""
    func = auth_options(func)
    return click.option("--endpoint", default=None, metavar="URL",
                        help="Ask this SPARQL store (its query URL, e.g. "
                        "http://127.0.0.1:7878/query) instead of the local graph; "
                        "fill it with `kg push`.")(func)


def _auth(user: str | None, password_env: str) -> Any:
    """The store login: the password from ``$password_env``; asked for in a terminal when
    the variable is the default one and unset."""
    import os

    from kg.remote import login

    named = (click.get_current_context().get_parameter_source("password_env")
             is click.core.ParameterSource.COMMANDLINE)
    ask = None if named or not sys.stdin.isatty() else (
        lambda prompt: click.prompt(prompt, hide_input=True, err=True))
    return login(user, password_env, os.environ, ask=ask)


def _remote(endpoint: str, user: str | None, password_env: str, wiki: str | None) -> Any:
    from kg.remote import connect

    return connect(endpoint, _config(wiki).base_iri, _auth(user, password_env))


def run() -> None:
    """The ``kg`` command (:func:`main`), left without tearing the process down: a build holds
    millions of records, which Python's own exit freed one by one (a second of a one-note
    edit's build at 10,000 notes, after the site and the cache were written). What must
    happen at exit still does: the output is flushed and the ``atexit`` handlers run (they
    remove temporary files); the exit code is the command's."""
    import atexit
    import os

    try:
        returned = main(standalone_mode=False)  # errors said here, as click would say them
        code = returned if isinstance(returned, int) else 0  # --help, --version: ctx.exit
    except click.exceptions.Abort as stopped:  # Ctrl-C (or the end of a prompt's input)
        click.echo("Aborted!", err=True)
        code = 130 if isinstance(stopped.__cause__, KeyboardInterrupt) else 1  # as shells do
    except click.ClickException as err:  # a usage error: 2
        err.show()
        code = err.exit_code
    except SystemExit as done:  # a command's own exit (a KgError: 1)
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    from kg.workers import flush_output

    flush_output()
    atexit._run_exitfuncs()
    flush_output()  # what a handler wrote
    os._exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def main() -> None:
    """kg: a literature knowledge-graph wiki.

    Notes are Markdown files with YAML front-matter under wiki/. `kg build` turns them into
    one knowledge graph (RDF and NetworkX) and a static site; the query commands ask the
    graph from the shell. A note with an error stops the build; the queries answer without
    it, and say on stderr what they left out.
    """


@main.command()
@wiki_option
@out_option
@click.option("--base-url", default=None, help="The URL the site will be served from.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress or warnings: only the one-line summary, or the error.")
@click.option("--unsafe-html", is_flag=True,
              help="Let raw HTML in notes through (cleaned by nh3); default: shown as text.")
@click.option("--full", is_flag=True,
              help="Render every page, not only those whose inputs changed.")
@reports_errors
def build(wiki: str | None, out: str | None, base_url: str | None, quiet: bool,
          unsafe_html: bool = False, full: bool = False) -> None:
    """Build the knowledge graph and the static site.

    Every note is parsed and checked before anything is written; a bad note stops the build
    with its file and line, and the previous site stays as it was.
    """
    from kg.build import build as run_build

    config = _config(wiki, out, base_url=base_url)
    progress = None if quiet else (lambda message: click.echo(f"· {message}", err=True))
    result = run_build(config, progress=progress, unsafe_html=unsafe_html, full=full)
    if not quiet:
        from kg.formats import warning_lines

        for line in warning_lines(result.warnings):
            click.echo(f"  {line}", err=True)
    click.echo(result.summary())


@main.command()
@click.argument("note")
@click.option("--rel", default=None, help="Only connections of this relation (or 'mentions').")
@click.option("--direction", type=click.Choice(["both", "out", "in"]), default="both",
              show_default=True, help="Outgoing, incoming, or both.")
@click.option("--no-mentions", is_flag=True, help="Typed connections only, no [[mentions]].")
@wiki_option
@remote_options
@format_option
@reports_errors
def connections(note: str, rel: str | None, direction: str, no_mentions: bool,
                wiki: str | None, endpoint: str | None, user: str | None, password_env: str,
                fmt: str) -> None:
    """Incoming and outgoing connections of NOTE, with relation and annotation.

    NOTE is an id, alias, title or file name, or the file's path (wiki/ahe.md). With
    --endpoint, asked of a SPARQL store.
    """
    from kg.formats import render_rows

    if endpoint:
        from kg.query import link_rows
        from kg.remote import connections as remote_connections

        _nid, links = remote_connections(_remote(endpoint, user, password_env, wiki), note,
                                         relation=rel, direction=direction,
                                         mentions=not no_mentions)
        rows = link_rows(links)
    else:
        from kg.query import connection_rows

        config = _config(wiki)
        _nid, rows = connection_rows(_graph(config), _note_name(note, config), relation=rel,
                                     direction=direction, mentions=not no_mentions)
    columns = ["direction", "relation", "note", "annotation"] if fmt == "table" else [
        "direction", "relation", "label", "note", "title", "placeholder", "annotation"]
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@wiki_option
@out_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free one).")
@click.option("--unsafe-html", is_flag=True,
              help="Let raw HTML in notes through (cleaned by nh3), as kg build --unsafe-html.")
@reports_errors
def serve(wiki: str | None, out: str | None, host: str, port: int,
          unsafe_html: bool = False) -> None:
    """Build, serve the site on localhost, and rebuild and reload on every change.

    A note with an error does not stop the server: every page shows the error until the
    note is fixed. Only requests for a local Host are answered.
    """
    from kg.serve import serve as run_server

    run_server(_config(wiki, out), host=host, port=port, say=click.echo,
               settings=lambda: _config(wiki, out), unsafe_html=unsafe_html)


# -- adding notes: kg init, kg new, kg import, kg check ---------------------------------------


def _shown(path: Path) -> str:
    from kg.formats import shown_path

    return shown_path(path)


class _Date(click.DateTime):
    """YYYY-MM-DD; one written so that is no date (2024-02-30) is said to be none, where
    click says it does not match the format."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            import datetime as dt
            import re

            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value.strip()):
                _, month, day = map(int, value.strip().split("-"))
                if not 1 <= month <= 12 or not 1 <= day <= 31:  # strptime: "does not match"
                    what = f"month {month}" if not 1 <= month <= 12 else f"day {day}"
                    self.fail(f"{value!r} is no date: there is no {what}", param, ctx)
                try:
                    dt.datetime.strptime(value.strip(), "%Y-%m-%d")
                except ValueError as err:
                    self.fail(f"{value!r} is no date: {err}", param, ctx)
        return super().convert(value, param, ctx)


date_type = _Date(formats=["%Y-%m-%d"])


@main.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--title", default="Knowledge graph", show_default=True,
              help="The wiki's title, shown on the site.")
@reports_errors
def init(directory: str, title: str) -> None:
    """Start a new wiki in DIRECTORY (default: here): kg.toml, wiki/ and a first note.

    It is ready to build at once (init itself builds nothing): `kg build` renders the site
    into site/. A folder with a kg.toml is refused; notes already in wiki/ are kept, and so
    is a .gitignore, with site/ and .kg/ added to it when it lacks them.
    """
    import json
    from pathlib import Path

    from kg.scaffold import init as run_init

    done = run_init(Path(directory), title=title)
    for path in done.written:
        click.echo(f"created {_shown(path)}")
    if done.ignored:
        click.echo(f"added {' and '.join(done.ignored)} to {_shown(done.root / '.gitignore')}")
    here = _shown(done.root)
    if done.outside:  # a vault's own notes, which a wiki/ beside them leaves out
        some = ", ".join(done.outside[:3]) + (", …" if len(done.outside) > 3 else "")
        many = len(done.outside) > 1
        site = json.dumps(f"../{done.root.name}-site", ensure_ascii=False)
        _say_escaped(f"note: {len(done.outside)} note{'s' if many else ''} here "
                     f"{'are' if many else 'is'} outside wiki/ ({some}), which kg build does "
                     "not read: move them into wiki/, or build them where they are with "
                     f'wiki = "." and out = {site} in kg.toml')
    click.echo(f"next: {'' if here == '.' else f'cd {here} && '}kg build")


@main.command()
@click.argument("title")
@click.option("--date", type=date_type, default=None,
              help="The note's date, YYYY-MM-DD (default: today).")
@click.option("--tier", type=click.IntRange(1, 9), default=None,
              help="1 research direction, 2 notable, 3 background.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@click.option("--alias", "aliases", multiple=True, help="Another name links may use; repeatable.")
@click.option("--connect", multiple=True, metavar="ID[:REL[:ANNOTATION]]",
              help="A connection to an existing note (id, alias or title); repeatable. "
                   "REL defaults to related.")
@click.option("--id", "note_id", default=None,
              help="The note's id and file name (default: the slug of TITLE).")
@click.option("--type", "note_type", default=None, help="digest, paper, concept, benchmark, ...")
@click.option("--edit", is_flag=True,
              help="Open the new note in $VISUAL or $EDITOR (else sensible-editor, vim, "
              "nano or vi).")
@wiki_option
@reports_errors
def new(title: str, date: Any, tier: int | None, tags: tuple[str, ...],
        aliases: tuple[str, ...], connect: tuple[str, ...], note_id: str | None,
        note_type: str | None, edit: bool, wiki: str | None) -> None:
    """Write a new note called TITLE from templates/note.md; never overwrites a file.

    Connection targets must exist (the closest names are suggested when they do not). A
    TITLE or --id that names a placeholder turns the placeholder into a real note.
    """
    from kg.scaffold import new_note

    created = new_note(_config(wiki), title, date=date.date() if date else None, tier=tier,
                       tags=tags, aliases=aliases, connect=connect, note_id=note_id,
                       note_type=note_type)
    click.echo(_shown(created.path))
    if created.placeholder is not None:
        refs = ", ".join(created.placeholder.referenced_by)
        click.echo(f"(was a placeholder; linked from {refs})", err=True)
    if edit:
        from kg.scaffold import open_in_editor

        open_in_editor(created.path)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Print the notes instead of writing them (on stdout, the connections on "
                   "stderr; with --format json or csv, the notes on stderr and the rows on "
                   "stdout).")
@click.option("--skip-existing", is_flag=True,
              help="Leave out, and name, each digest whose note the wiki has already (a "
                   "folder of digests imported again as it grows); without it, one stops "
                   "the import.")
@wiki_option
@format_option
@reports_errors
def import_(files: tuple[str, ...], dry_run: bool, skip_existing: bool, wiki: str | None,
            fmt: str) -> None:
    """Convert plain-text digests (FILES) into notes, connections resolved by title/alias.

    A digest is UTF-8 text of this form (the first line is the header, the next the title;
    a file that does not open with a header is refused):

    \b
      llms-foundation-models · 2026-05-04 · Tier 1
      Import AI 455: AI Systems Are About to Start Building Themselves — Jack Clark
      Source: Import AI 455, 2026-05-04 · Post Raw: raw/rss/x.md Tier: 1 (research direction)
      TL;DR                    (and Why it matters: paragraphs)
      Connections              • Title (YYYY-MM-DD) — how it connects
      Research angle           1. Lead sentence. More text
      Open questions           • A question

    Lists each "Connections" bullet: the note it resolved to and the relation inferred from
    its words. Bullets no note matches become placeholders. All files are checked before any
    note is written.
    """
    from pathlib import Path

    from kg.formats import render_rows
    from kg.importer import import_digests

    done = import_digests(_config(wiki), [Path(f) for f in files], dry_run=dry_run,
                          skip_existing=skip_existing)
    rows = []
    # a table is for reading beside the notes; JSON and CSV alone on stdout, for a program
    notes_to_stderr = fmt != "table"
    for item in done:
        if item.existing is not None:
            _say_escaped(f"skipped {item.source}: the wiki already has {item.existing}")
            continue
        if dry_run:
            click.echo(item.text, err=notes_to_stderr)
        else:
            click.echo(f"created {_shown(item.path)} from {item.source}", err=True)
        rows += [{"note": item.id, **link.as_dict(),
                  "status": "resolved" if link.resolved else "placeholder"}
                 for link in item.connections]
        if item.placeholders:
            names = ", ".join(repr(p.name) for p in item.placeholders)
            click.echo(f"{item.source}: not in the wiki, kept as placeholders: {names}", err=True)
    columns = (["note", "name", "target", "relation", "status"] if fmt == "table" else
               ["note", "name", "target", "relation", "status", "annotation", "line"])
    click.echo(render_rows(rows, columns, fmt), err=dry_run and not notes_to_stderr)


@main.command()
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--ignore", multiple=True, metavar="CODE",
              help="Leave out findings of this code (e.g. one-way); repeatable.")
@wiki_option
@format_option
@reports_errors
def check(strict: bool, ignore: tuple[str, ...], wiki: str | None, fmt: str) -> None:
    """Lint the wiki; each finding names its file and line.

    Errors: notes that do not parse, unknown relations, duplicate ids or aliases, ambiguous
    targets. Warnings: placeholders and likely typos, missing title/date/tier, answers to
    unknown questions, one-way connections, orphans, forecasts past their date. Exits 1 on
    errors, and on warnings too with --strict.
    """
    from kg.check import check as run_check
    from kg.formats import render_rows

    report = run_check(_config(wiki), ignore=ignore)
    rows = [
        {
            "where": str(f.where) if f.where else "",
            "file": f.where.file if f.where else None,
            "line": f.where.line if f.where else None,
            "severity": f.severity.value,
            "code": f.code,
            "message": f.message,
            "hint": f.hint,
            "finding": f"{f.message} ({f.hint})" if f.hint else f.message,
        }
        for f in report.findings
    ]
    if rows or fmt != "table":
        columns = (["where", "severity", "code", "finding"] if fmt == "table" else
                   ["file", "line", "severity", "code", "message", "hint"])
        click.echo(render_rows(rows, columns, fmt))
    click.echo(report.summary(), err=True)
    sys.exit(1 if report.failed(strict=strict) else 0)


# -- asking the graph -------------------------------------------------------------------------


@main.command()
@click.argument("note")
@click.option("--depth", type=click.IntRange(1, 20), default=1, show_default=True,
              help="How many hops away.")
@click.option("--rel", default=None, help="Walk only edges of this relation (or 'mentions').")
@click.option("--no-mentions", is_flag=True, help="Walk typed connections only.")
@wiki_option
@remote_options
@format_option
@reports_errors
def neighbors(note: str, depth: int, rel: str | None, no_mentions: bool, wiki: str | None,
              endpoint: str | None, user: str | None, password_env: str, fmt: str) -> None:
    """The notes within --depth hops of NOTE (edges either way), nearest first.

    Each row says how far, and the edge it was first reached by, as `kg path` shows a hop:
    VIA DIR RELATION ID, where '->' is an edge from VIA to the note and '<-' one from the
    note to VIA (`import-ai-455 <- supports x`: x supports import-ai-455). In json and csv,
    direction is out or in as seen from VIA. With --endpoint, the walk asks a SPARQL store.
    """
    from kg.analysis import find, neighbours
    from kg.formats import render_rows

    if endpoint:
        from kg.remote import neighbours as remote_neighbours

        found = remote_neighbours(_remote(endpoint, user, password_env, wiki), note, depth,
                                  mentions=not no_mentions, relation=rel)
    else:
        config = _config(wiki)
        graph = _graph(config)
        found = neighbours(graph, find(graph, _note_name(note, config)), depth,
                           mentions=not no_mentions, relation=rel)
    columns = (["distance", "via", "dir", "relation", "id", "title"] if fmt == "table" else
               ["id", "title", "placeholder", "distance", "via", "dir", "relation",
                "direction", "annotation"])
    click.echo(render_rows([n.as_dict() for n in found], columns, fmt))


@main.command()
@click.argument("source")
@click.argument("target")
@click.option("--directed", is_flag=True, help="Follow edges only the way they point.")
@click.option("--no-mentions", is_flag=True, help="Use typed connections only.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True,
              help="At most this many paths.")
@wiki_option
@remote_options
@format_option
@reports_errors
def path(source: str, target: str, directed: bool, no_mentions: bool, limit: int,
         wiki: str | None, endpoint: str | None, user: str | None, password_env: str,
         fmt: str) -> None:
    """Every shortest path from SOURCE to TARGET, with the relation and annotation of each hop.

    Edges are walked either way unless --directed ('<-' marks a hop against the edge).
    Exits 1 when the notes are not linked. With --endpoint, the walk asks a SPARQL store.
    """
    from kg.analysis import find, paths
    from kg.formats import render_rows

    if endpoint:
        from kg.remote import paths as remote_paths

        a, b, found = remote_paths(_remote(endpoint, user, password_env, wiki), source, target,
                                   mentions=not no_mentions, directed=directed, limit=limit)
    else:
        config = _config(wiki)
        graph = _graph(config)
        a, b = find(graph, _note_name(source, config)), find(graph, _note_name(target, config))
        found = paths(graph, a, b, mentions=not no_mentions, directed=directed, limit=limit)
    rows = [
        {"path": i, "hop": j, "from": hop.source, "dir": "->" if hop.forward else "<-",
         "relation": hop.relation, "label": hop.label, "to": hop.target, "title": hop.title,
         "annotation": hop.annotation}
        for i, hops in enumerate(found, start=1) for j, hop in enumerate(hops, start=1)
    ]
    columns = (["path", "hop", "from", "dir", "relation", "to", "annotation"] if fmt == "table"
               else ["path", "hop", "from", "dir", "relation", "label", "to", "title",
                     "annotation"])
    if not found:
        if fmt != "table":  # a reader of the rows gets none: [] or the header
            click.echo(render_rows(rows, columns, fmt))
        click.echo(f"no path from {a} to {b}", err=True)
        sys.exit(1)
    if not rows and fmt == "table":  # from a note to itself
        click.echo(f"{a} is {b}: a path of no hops")
        return
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@click.option("--status", type=click.Choice(["open", "answered", "dropped", "all"]),
              default="open", show_default=True, help="Which questions.")
@click.option("--tier", type=click.IntRange(1, 9), default=None,
              help="Only questions of notes of this tier.")
@click.option("--tag", default=None, help="Only questions of notes with this tag.")
@click.option("--since", type=date_type, default=None,
              help="Only questions of notes dated on or after YYYY-MM-DD.")
@wiki_option
@remote_options
@format_option
@reports_errors
def questions(status: str, tier: int | None, tag: str | None, since: Any, wiki: str | None,
              endpoint: str | None, user: str | None, password_env: str, fmt: str) -> None:
    """The open-question tracker: each question, its status, age, source note and answers.

    The table's ID is the question's id (its note's, then #q-…), which a later note names to
    answer it: `answers: [<question id>]`. It has an ANSWERED BY column (the notes that
    answered each) when any row has one. With --endpoint, asked of a SPARQL store.
    """
    from kg.formats import render_rows

    if endpoint:
        from kg.remote import questions as remote_questions

        rows = remote_questions(_remote(endpoint, user, password_env, wiki), status=status,
                                tier=tier, tag=tag, since=since.date() if since else None)
    else:
        from kg.query import questions_in

        config = _config(wiki)
        rows = [r.as_dict() for r in questions_in(
            config, graph=_graph(config), status=status, tier=tier, tag=tag,
            since=since.date() if since else None)]
    columns = (["status", "age", "id", "question"] if fmt == "table" else
               ["id", "status", "note", "title", "tier", "date", "age", "question",
                "answered_by", "where"])
    if fmt == "table" and any(row.get("answered_by") for row in rows):
        rows = [{**row, "answered by": row.get("answered_by")} for row in rows]
        columns = ["status", "age", "id", "answered by", "question"]
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@format_option
def relations(fmt: str) -> None:
    """The relations a connection's `rel:` may name, their labels both ways and RDF terms
    (TERM: cito:… or kg:…; the whole IRI too in json and csv)."""
    from kg.formats import render_rows
    from kg.relations import RELATIONS

    rows = [{"rel": r.name, "label": r.label, "inverse": r.inverse, "term": r.term,
             "iri": r.iri, "meaning": r.description} for r in RELATIONS]
    columns = (["rel", "label", "inverse", "term", "meaning"] if fmt == "table"
               else list(rows[0]))
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@click.option("--due", is_flag=True, help="Only unresolved forecasts whose date has come.")
@wiki_option
@format_option
@reports_errors
def forecasts(due: bool, wiki: str | None, fmt: str) -> None:
    """Forecasts (claims with a probability and a resolve-by date) and how they resolved."""
    from kg.formats import render_rows
    from kg.query import forecasts_in

    config = _config(wiki)
    rows = forecasts_in(config, due=due, graph=_graph(config))
    columns = (["by", "p", "status", "forecaster", "claim"] if fmt == "table" else
               ["id", "note", "claim", "p", "by", "status", "forecaster", "resolved_by",
                "where"])
    click.echo(render_rows([r.as_dict() for r in rows], columns, fmt))


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "ttl", "nt"]),
              default="table", show_default=True,
              help="Rows as a table, JSON or CSV; ttl or nt for CONSTRUCT/DESCRIBE.")
@wiki_option
@remote_options
@reports_errors
def sparql(query: str, fmt: str, wiki: str | None, endpoint: str | None, user: str | None,
           password_env: str) -> None:
    """Run a SPARQL QUERY (text, a .rq file, or - for standard input) over the graph.

    SELECT, ASK, CONSTRUCT and DESCRIBE. The prefixes rdf rdfs xsd schema dcterms skos prov
    cito kg are declared, and note: for this wiki's notes:

        kg sparql 'SELECT ?a ?b WHERE { ?a cito:disagreesWith ?b }'

    With --endpoint, the query runs on a SPARQL store (over its default graph: the union of
    the pushed graphs where the store is set up so).
    """
    from kg.formats import render_rows
    from kg.sparql import query_wiki, serialize_graph

    if endpoint:
        from kg.remote import Store
        from kg.remote import query as remote_query

        config = _config(wiki)
        store = Store(endpoint, _auth(user, password_env))
        result = remote_query(store, query, base_iri=config.base_iri, compact=fmt == "table")
    else:
        config = _config(wiki)
        result = query_wiki(config, query, compact=fmt == "table", graph=_graph(config))
    if fmt in ("ttl", "nt"):
        click.echo(serialize_graph(result, fmt), nl=False)
        return
    rows, columns = result.as_rows()
    click.echo(render_rows(rows, columns, fmt))


@main.command()
@click.option("--top", type=click.IntRange(1), default=10, show_default=True,
              help="How many hubs to list.")
@wiki_option
@format_option
@reports_errors
def stats(top: int, wiki: str | None, fmt: str) -> None:
    """Counts, hubs by degree and PageRank, orphans, placeholders and communities."""
    from kg.analysis import stats as run_stats
    from kg.cache import derived
    from kg.formats import render_rows

    config = _config(wiki)
    rows = derived(config, f"stats-{top}", lambda loaded: run_stats(loaded, top=top),
                   graph=_graph(config))
    click.echo(render_rows([r.as_dict() for r in rows], ["section", "name", "value", "detail"],
                           fmt))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "jsonld", "nt", "graphml"]),
              default=None, help="Turtle, JSON-LD, N-Triples or GraphML (default: as --out's "
              "extension says, else ttl).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (default: standard output).")
@wiki_option
@reports_errors
def export(fmt: str | None, out: str | None, wiki: str | None) -> None:
    """The knowledge graph as Turtle, JSON-LD or N-Triples, or its NetworkX view as GraphML.

    Not lenient as the queries are: an export is a file others load (a CI job's artefact, a
    store's import), and one without the notes that have errors would pass for the whole
    graph. Those errors fail it, as they fail ``kg build``, and nothing is written."""
    from kg.cache import open_graph
    from kg.export import export_wiki, format_of

    config = _config(wiki)
    data = export_wiki(config, fmt or format_of(out), graph=open_graph(config))
    if out is None:
        click.echo(data, nl=False)
        return
    from pathlib import Path

    from kg.export import write_out

    write_out(Path(out), data)
    click.echo(f"wrote {_shown(Path(out))} ({len(data)} bytes)", err=True)


@main.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="The store's Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store "
              "(Oxigraph) or http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso).")
@auth_options
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@click.option("--force", is_flag=True, help="Send every graph, changed or not.")
@wiki_option
@format_option
@reports_errors
def push(endpoint: str, user: str | None, password_env: str, dry_run: bool, force: bool,
         wiki: str | None, fmt: str) -> None:
    """Push the graph into a SPARQL 1.1 store, one named graph per note.

    Uses the Graph Store HTTP Protocol: each note's triples are PUT as the graph named by the
    note's IRI, beside one graph for the vocabulary and one for the wiki-level facts. Only
    the graphs that changed since the last push to this endpoint are sent, and the graphs of
    removed notes are deleted. A push that fails part-way is resumed by the next one.
    """
    from kg.cache import load_wiki_cached
    from kg.formats import render_rows
    from kg.push import push as run_push

    config = _config(wiki)
    report = run_push(load_wiki_cached(config), config, endpoint,
                      auth=None if dry_run else _auth(user, password_env), dry_run=dry_run,
                      force=force, progress=lambda message: click.echo(f"· {message}", err=True))
    rows = [sent.as_dict() for sent in report.sent]
    if rows or fmt != "table":
        click.echo(render_rows(rows, ["action", "name", "triples", "graph"], fmt))
    click.echo(report.summary(), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
