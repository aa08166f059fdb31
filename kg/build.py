"""``kg build``: the whole pipeline, discover → parse → resolve → graph → check → emit.

Gather, then emit: every note is parsed and resolved, and the graph complete, before any page
renders. The site is written into a temporary folder beside the output and swapped in only
when complete, so a failed build leaves the previous site as it was.

Builds are incremental (:mod:`kg.incremental`): a page whose inputs did not change since the
last build into the same folder is linked from the previous site instead of rendered, and a
build with nothing changed at all stops after a stat of the wiki. ``full=True`` renders
every page. Output is the same bytes either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import glob
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kg import incremental as inc
from kg.config import Config
from kg.errors import (
    BuildFailed,
    ConfigError,
    Finding,
    KgError,
    Location,
    ResolveError,
    Severity,
)
from kg.ids import small_number
from kg.workers import jobs_wanted

if TYPE_CHECKING:  # the records are imported when there is something to build
    from kg.cache import Graph
    from kg.model import Wiki

SITE_MARKER = inc.SITE_MARKER

Progress = Callable[[str], None]
CacheWrite = Literal["aside", "later"]
"""When a build writes the graph cache (:func:`build`'s ``cache``)."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    notes: int
    connections: int
    mentions: int
    placeholders: int
    questions: int
    files: int
    seconds: float
    warnings: tuple[Finding, ...]
    out: Path
    rendered: int = 0
    """Files made anew; the others were unchanged and kept from the previous build."""
    removed: int = 0
    """Files of the previous build that this one no longer has (a deleted note's page)."""

    def summary(self) -> str:
        if self.rendered == self.files:
            made = "all rendered"
        elif self.rendered == 0 and self.removed == 0:
            made = "nothing changed"
        else:
            made = f"{self.rendered} rendered"
            if self.removed:
                made += f", {self.removed} removed"
        from kg.formats import plural, shown_path

        return (
            f"Built {plural(self.notes, 'note')}, {plural(self.connections, 'connection')}, "
            f"{plural(self.mentions, 'mention')}, {plural(self.placeholders, 'placeholder')}, "
            f"{plural(self.questions, 'question')} "
            f"→ {shown_path(self.out)} ({plural(self.files, 'file')}, {made}) in "
            f"{self.seconds:.2f}s"
        )


def load_wiki(config: Config) -> Wiki:
    """Discover, parse and resolve every note, bypassing the cache: the records every output
    is made from. (``build`` reads through the graph cache, :func:`kg.cache.open_graph`, which
    gives the same wiki without parsing unchanged notes again.)"""
    from kg.cache import load_notes
    from kg.discover import discover

    return load_notes(discover(config.wiki), {}, label_first=config.label_first)[0]


def build(config: Config, *, progress: Progress | None = None, unsafe_html: bool = False,
          full: bool = False, jobs: int | None = None,
          published: Callable[[BuildResult], None] | None = None,
          cache: CacheWrite = "aside") -> BuildResult:
    """Build the site of ``config.wiki`` into ``config.out``; ``jobs`` worker processes
    (default: ``KG_JOBS``, else the CPUs), ``full`` to render every page again.
    ``cache``: when the graph cache is written. ``"aside"``: an edit's by a forked child
    beside the pages (:meth:`kg.cache.Graph.settle_aside`), a whole build's at its end.
    ``"later"`` (``kg serve``, which keeps the graph for its next build): not by the build
    but by :func:`kg.cache.settle_held` once no change has come for a while, and the next
    build takes the records from the graph held, not from the file; the server writes it
    itself, never in a child (the graph then reads the records from a file no other
    program names, never from the cache file another one may cut short).

    ``published`` is told as soon as the new site is in place (``kg serve`` reloads the
    page then; an edit's whole-wiki exports, spliced by a thread, follow before this
    returns: :meth:`staging.settle_late`); what the next build reads (the graph cache, the
    manifest, the trace) is written after it, and the result's time is the time until the
    site was in place.
    """
    started = time.perf_counter()
    check_output_folder(config)
    try:
        with output_lock(config):
            return _build(config, started, progress or (lambda _message: None), unsafe_html,
                          full, jobs, published or (lambda _result: None), cache)
    except (BuildFailed, ResolveError) as err:  # notes with errors: said as a build says it
        raise type(err)(f"{err.message}; nothing was written", file=err.file, line=err.line,
                        hint=err.hint, findings=err.findings) from None
    finally:
        import gc

        gc.unfreeze()  # the records (frozen by _build) are collected as any other again


@contextlib.contextmanager
def output_lock(config: Config) -> Iterator[None]:
    """One build of a wiki at a time (``kg serve``'s and one from the shell): a build links
    the previous site's pages, which another build must not swap out meanwhile. The lock is
    on the wiki folder itself, so it leaves no file behind; where there are no such locks
    the builds are not serialised."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(config.wiki, os.O_RDONLY)
    except OSError:  # no wiki folder: the build says so
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _build(config: Config, started: float, say: Progress, unsafe_html: bool, full: bool,
           jobs: int | None, published: Callable[[BuildResult], None],
           cache: CacheWrite) -> BuildResult:
    from kg.theme import template_dirs

    held = _held_tail(config)
    last = held.manifest if held is not None else inc.read_manifest(config,
                                                                     config.out / SITE_MARKER)
    previous = None if full else last
    sources = inc.sources_stamp(config, {"unsafe_html": unsafe_html}, template_dirs(config),
                                last.pages if last else ())
    stamp = sources.stamp
    if (previous is not None and previous.stamp == stamp
            and inc.site_untouched(staging_out(config.out), previous)):
        done = _unchanged(previous, config.out, time.perf_counter() - started)
        if done is not None:
            with contextlib.suppress(OSError):  # a killed build's 50 MB folder: gone now,
                _recover(config.out)  # not at the next build that makes a page
            published(done)
            return done
    _refuse_foreign_files(config, last)
    say(f"reading {config.wiki}")
    # the records' modules: imported once there is something to build
    from kg.cache import open_graph, sweep_stale

    sweep_stale(config)  # a killed build's half-written cache

    # Through the query cache: unchanged notes are not parsed again, and the first query
    # after a build answers from what the build just read. The N-Triples come from the same
    # graph (held in memory after a rebuild), not from reading the cache file again. A
    # rebuilt cache is written once the site is in place.
    graph = open_graph(config, write_later=True, scanned=sources.notes)
    graph.wiki()  # every record read now, before they are frozen below
    # Millions of records, made once and never in a cycle: out of the collector's way. Each
    # full collection walked every one of them (two took 0.8 s of a one-note edit's build).
    import gc

    gc.freeze()
    if previous is not None and cache == "aside":  # an edit's cache, beside its pages
        graph.settle_aside()  # (not a whole build's: its child would copy every record)
    try:
        return _build_site(config, started, say, unsafe_html, full, jobs, published,
                           previous, held if previous is not None else None, sources, graph,
                           cache)
    except BaseException:
        graph.forget_aside()
        raise


def _build_site(config: Config, started: float, say: Progress, unsafe_html: bool, full: bool,
                jobs: int | None, published: Callable[[BuildResult], None],
                previous: inc.Manifest | None, held: Tail | None, sources: inc.Sources,
                graph: Graph, cache: CacheWrite) -> BuildResult:
    """:func:`_build` once the records are read: the pages made and put in place, then what
    the next build reads written. ``held``: the last build's :class:`Tail` in this process
    (``kg serve``'s), whose manifest is ``previous``, not written yet."""
    from kg import depends, splice
    from kg.cache import keep_ntriples, ntriples_file
    from kg.check import mistyped_connections
    from kg.formats import plural
    from kg.model import EdgeKind
    from kg.site import Site
    from kg.views import edge_kinds

    wiki = graph.wiki()  # held since _build read it (the same object)
    field_keys = inc.manifest_path(config).with_name("field-keys.pickle")
    if not full:  # --full trusts nothing kept from before
        inc.load_field_keys(field_keys)
    site = Site(wiki, config, unsafe_html=unsafe_html,
                ntriples=lambda: ntriples_file(config, graph),
                kept_ntriples=lambda path: keep_ntriples(config, graph, path))
    manifest = inc.manifest_path(config)
    trace = site.reuse(held.trace if held is not None else
                       depends.read_trace(manifest, previous.marker) if previous else None,
                       previous.pages if previous else {})
    graph_was, search_was = (held.states if held is not None else
                             splice.read_states(manifest, previous.marker) if previous
                             else (None, None))
    site.splices.plan(graph_was, search_was, staging_out(config.out) if previous else None,
                      previous.pages if previous else {})
    say(f"{plural(len(wiki.notes), 'note')} read; rendering the pages that changed")
    stage = staging(config.out, site.splices.wait)
    # An edit's few pages: made here, beside a thread splicing the exports, unless a child
    # forked to write the cache shares the records already (kg build: a worker then costs
    # no more copying of memory, and makes the lists and the exports beside this process:
    # 0.3 s sooner, alternating runs). The pages go into place (and kg serve reloads them)
    # while the thread still writes the exports, which follow them (:meth:`staging.settle`).
    edit = site.an_edit() and not graph.writing_aside
    try:
        with site.splices.beside() if edit else contextlib.nullcontext():
            with stage as tmp:
                before = (inc.Previous(staging_out(config.out), previous.pages,
                                       inc.untouched_folders(staging_out(config.out), previous))
                          if previous else None)
                emitter = inc.Emitter(tmp, before, site.task_done)
                made = list(inc.emit_all(site.tasks(), emitter,
                                         1 if edit else jobs or jobs_wanted(), site.page_count()))
                made += [emitter.emit(p) for p in site.static([m.path for m in made])]
                sitemap = site.sitemap(m.path for m in made)
                if sitemap is not None:  # with a base_url
                    made.append(emitter.emit(sitemap))
                pages = {m.path: m.key for m in made}
                inc.write_marker(tmp, pages)
                stage.settle(made, previous.pages if previous else None, emitter.link,
                             [p.relative_to(tmp).as_posix() for p in site.splices.late()])
            marker = stage.marker  # its stat pairs the manifest with this site
            kinds = edge_kinds(wiki)
            result = BuildResult(
                notes=len(wiki.notes),
                connections=kinds[EdgeKind.CONNECTION],
                mentions=kinds[EdgeKind.MENTION],
                placeholders=len(wiki.placeholders),
                questions=len(wiki.questions),
                files=len(made),
                rendered=sum(1 for m in made if m.rendered),
                removed=len(previous.pages.keys() - pages.keys()) if previous else 0,
                seconds=time.perf_counter() - started,
                warnings=tuple(w for w in (*wiki.warnings, *mistyped_connections(wiki))
                               if w.severity is Severity.WARNING and w.code not in config.ignore),
                out=config.out,
            )
            try:
                published(result)
            except BaseException:  # (Ctrl-C) the exports follow the pages all the same
                with contextlib.suppress(KgError):  # (then the next build is whole)
                    stage.settle_late()
                raise
            stage.settle_late()  # the exports the thread beside wrote
    finally:
        stage.discard()  # the previous site, swapped out: removed once the new one is shown
    # a note naming a file the wiki lacks: adding the file is no change to the notes' stat,
    # so the next build must not stop at the stamp
    trusted = (sources.trusted and not site.unresolved_attachments
               and all(m.key != inc.UNSETTLED for m in made))  # a page to make again
    graph_now, search_now = site.splices.states(graph_was, search_was)
    tail = Tail(config, inc.Manifest(marker, sources.stamp if trusted else None, pages,
                                     _summary(result),
                                     inc.folder_times(staging_out(config.out), pages),
                                     str(config.named_wiki)),
                dataclasses.replace(trace, pages=site.page_reads(made)),
                (graph_now.with_files(staging_out(config.out)),
                 search_now.with_files(staging_out(config.out))),
                field_keys, tuple(wiki.notes.values()))
    if cache == "later":
        _hold_tail(tail)  # kg serve's next build reads it from here
    else:
        # what the next build (and the next query) reads, written whole before a Ctrl-C
        # stops the command: kg serve stopped right after a save had left the cache
        # unwritten, and the next query made it again (seconds at 10,000 notes)
        with interrupts_deferred():
            _hold_tail(None)  # an older one held (kg serve's) is not this site's
            tail.write()
            graph.settle()  # the slowest of them (seconds at 10,000 notes): last
    inc.forget_field_keys(wiki.notes.values())
    return result


@dataclass(frozen=True, slots=True)
class Tail:
    """What a build writes for the next one besides the graph cache, paired with its site
    by the marker's stat: the manifest (each page's key), what each note page read, what
    the exports and the search index were made of, and the hashes of what lists show of
    each note. ``kg serve`` holds it instead (its next build takes it from memory) and
    writes it once no change has come for a while (:func:`settle_tail`): 0.3 s of each
    edit's build at 10,000 notes."""

    config: Config
    manifest: inc.Manifest
    trace: Any  # kg.depends.Trace (not imported until a build needs it)
    states: tuple[Any, Any]  # kg.splice.GraphState, SearchState
    field_keys: Path
    notes: tuple[Any, ...]

    def write(self) -> None:
        from kg import depends, splice

        path, marker = inc.manifest_path(self.config), self.manifest.marker
        inc.write_manifest(self.config, self.manifest)
        depends.write_trace(path, marker, self.trace)
        splice.write_states(path, marker, *self.states)
        inc.save_field_keys(self.field_keys, self.notes)


_tail: Tail | None = None
"""The last build's :class:`Tail`, while ``kg serve`` holds it unwritten."""


def _hold_tail(tail: Tail | None) -> None:
    global _tail, _tail_written
    _tail, _tail_written = tail, False


_tail_written = False
"""Whether the tail held is written (:func:`settle_tail`): held still, for the next build."""


def _held_tail(config: Config) -> Tail | None:
    """The tail held for the site now in ``config.out`` (its marker the one it was made
    with: not if another build replaced the site meanwhile)."""
    held = _tail
    if (held is None or inc.manifest_path(held.config) != inc.manifest_path(config)
            or held.manifest.marker != inc.marker_stat(config.out / SITE_MARKER)):
        return None
    return held


def settle_tail() -> bool:
    """Write the tail held (:class:`Tail`), if it is still of the site in its folder (a
    build from another process may have replaced it meanwhile: then it is dropped), and
    not written yet; whether one was written. It stays held: the next build takes it from
    memory, not from the files just written (0.1 s of the first edit after a pause)."""
    global _tail_written
    held = _tail
    if held is None:
        return False
    if _held_tail(held.config) is not held:
        _hold_tail(None)
        return False
    if _tail_written:
        return False
    with interrupts_deferred():
        held.write()
    _tail_written = True
    return True


def _refuse_foreign_files(config: Config, last: inc.Manifest | None) -> None:
    """A build replaces the site folder whole: files put there by hand would be lost, and
    so would the site of another wiki that is still there (the manifest beside the cache
    names the wiki its site was built from). The files a build wrote are listed in its
    marker (or, for a site of an older kg, in the manifest of the build that wrote it, if
    that is still beside the cache)."""
    # by its name: a wiki that is a symlink switched to another folder is still this wiki
    if (last is not None and last.wiki and last.wiki not in (str(config.named_wiki),
                                                            str(config.wiki))
            and Path(last.wiki).is_dir()):  # two vaults side by side, each built into ../site
        raise ConfigError(
            f"{config.out} holds the site of another wiki, {last.wiki}; this build would "
            "replace it", hint=f"give this wiki a site folder of its own (--out, or out = "
            f"\"…\" in kg.toml), or remove {config.out} if that site is no longer wanted")
    out = staging_out(config.out)
    written = inc.marker_files(out)
    if written is None and last is not None:
        written = set(last.pages)
    if written is None:
        return
    foreign = inc.foreign_files(out, written)
    if foreign:
        from kg.discover import printable

        shown = ", ".join(printable(f) for f in foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ConfigError(
            f"{config.out} holds files that kg did not write: {shown}; a build replaces the "
            "folder whole and would lose them",
            hint=f"put files to publish with the site in {config.root / 'static'} (copied "
                 "into every build), move the others elsewhere, then build again")


def _summary(result: BuildResult) -> dict[str, Any]:
    """What a build with nothing to do prints again: the counts and the warnings."""
    return {
        "counts": [result.notes, result.connections, result.mentions, result.placeholders,
                   result.questions, result.files],
        "warnings": [[w.code, w.message, w.where.file if w.where else None,
                      w.where.line if w.where else None, w.hint] for w in result.warnings],
    }


def _unchanged(previous: inc.Manifest, out: Path, seconds: float) -> BuildResult | None:
    """The result of a build that has nothing to do, from the last one's summary."""
    try:
        notes, connections, mentions, placeholders, questions, files = (
            int(n) for n in previous.summary["counts"])
        warnings = tuple(
            Finding(Severity.WARNING, str(code), str(message),
                    Location(str(file), int(line) if line else None) if file else None,
                    str(hint))
            for code, message, file, line, hint in previous.summary["warnings"])
    except (KeyError, TypeError, ValueError):
        return None
    return BuildResult(notes, connections, mentions, placeholders, questions, files, seconds,
                       warnings, out, rendered=0)


def staging_out(out: Path) -> Path:
    """The folder a build replaces: a symlinked output keeps its link, its target is replaced."""
    return out.resolve() if out.is_symlink() else out


def check_output_folder(config: Config) -> None:
    """Refuse an output folder that would overwrite the wiki or a folder kg did not make."""
    out, wiki = config.out.resolve(), config.wiki.resolve()
    if out == wiki or wiki.is_relative_to(out) or out.is_relative_to(wiki):
        raise ConfigError(
            f"the output folder {out} overlaps the wiki {wiki}",
            hint="build into a folder outside the wiki, e.g. --out site",
        )
    read = [(config.root / "static", "whose files are copied into every build: the site "
             "would hold a copy of itself, one deeper every build")]
    read += [(folder, "which the templates are read from: every build would change what "
              "the next one reads") for folder in (config.templates, config.root / "templates")
             if folder is not None]
    for folder, why in read:
        folder = folder.resolve()
        if out.is_relative_to(folder):
            where = "is" if out == folder else "is inside"
            raise ConfigError(f"the output folder {out} {where} {folder}, {why}",
                              hint="build into a folder outside it, e.g. --out site")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"the output {out} is a file", hint="choose a folder for --out")
    if out.is_dir() and any(out.iterdir()) and not inc.is_site(out):
        from kg.discover import printable

        held = sorted(printable(p.name) + ("/" if p.is_dir() else "") for p in out.iterdir())
        shown = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "")
        raise ConfigError(
            f"{out} holds files that kg did not write ({shown}); refusing to replace it",
            hint="choose an empty or new folder for --out",
        )


@dataclass(frozen=True, slots=True)
class InPlace:
    """An update of a site in place: the pages ``written`` (in the staging folder) and
    ``gone``, and ``both`` sites' files (what the marker lists while it runs)."""

    written: list[str]
    gone: list[str]
    both: list[str]
    late: list[str]
    """Of ``written``: those moved after the others, once written (:meth:`staging.settle`)."""


IN_PLACE_MAX = 200
"""A build that changes at most this many files (or a tenth of the site, if more) moves
them into the site in place; one that changes more swaps in a whole new folder."""


class staging:
    """A temporary folder beside ``out`` that the pages made are written to; on success they
    go into place, on failure it is removed and the previous site is as it was.

    Into place, one of two ways (:meth:`settle`). A build that changed a few files of a site
    (an edit: a dozen of 10,000) moves them into it and removes the pages that are gone,
    each file whole (a rename), in milliseconds; the marker file is first rewritten to
    list both sites' files, so that a build killed meanwhile is followed by a whole one.
    Otherwise the pages kept from the previous site are linked beside the new ones and the
    folder is swapped in whole: one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux, so
    there is no moment without a site; elsewhere two renames. The site swapped out is
    removed by :meth:`discard`, once the build has said the new one is in place. A build
    killed outright (SIGKILL, power cut) leaves its temporary folder behind: the next build
    removes it, and puts back a site that was set aside between the two renames.
    """

    def __init__(self, out: Path, written: Callable[[], None] = lambda: None) -> None:
        self.out = staging_out(out)
        out = self.out
        self.tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        self.old = out.parent / f".{out.name}.old-{os.getpid()}"
        self.swapped_out: Path | None = None
        """Where the previous site is once the new one is in place, until :meth:`discard`."""
        self.marker: list[int] = []
        """The stat of the new site's marker, once it is in place."""
        self._in_place: InPlace | None = None
        self._written = written
        """Returns once every file another thread writes into the folder is written (the
        files moved in late, :attr:`InPlace.late`), raising the error of one that was not."""

    def settle(self, made: Sequence[inc.Made], previous: dict[str, str] | None,
               link: Callable[[str], None], late: Sequence[str] = ()) -> None:
        """Choose how the pages ``made`` go into place beside the ``previous`` site's
        (their keys): moved into it, if few changed; else the folder swapped in whole, the
        pages kept from it put beside the new ones by ``link``. ``late``: files of
        ``made`` that another thread may still be writing (see ``written``). Moved
        into the site, they follow the others (:meth:`settle_late`), in the same site:
        its marker, which lists the same files, is put in place with the first ones."""
        kept = [m.path for m in made if not m.rendered]
        if previous is not None:
            written = [m.path for m in made if m.rendered]
            gone = sorted(previous.keys() - {m.path for m in made})
            if len(written) + len(gone) <= max(IN_PLACE_MAX, len(made) // 10):
                follow = set(late)
                self._in_place = InPlace(written, gone,
                                         sorted({*previous, *(m.path for m in made)}),
                                         [p for p in written if p in follow])
                return
        self._written()  # a whole folder: swapped in with every file written
        for path in kept:
            link(path)

    def settle_late(self) -> None:
        """Move into the site the files :meth:`settle` let follow the others, once written.

        They replace files of the same names, listed by the marker already: a build
        stopped before they are all in place leaves a site whose marker no manifest
        pairs with (the next build's is written after this), so the next build is whole.
        """
        plan, self._in_place = self._in_place, None
        if plan is None or not plan.late:
            return
        was = self.tmp / ".was"
        try:
            with interrupts_deferred():  # (the thread's last copies: a moment)
                self._written()
                for n, path in enumerate(plan.late):
                    with contextlib.suppress(FileNotFoundError):  # not a rename over it
                        os.rename(self.out / path, was / f"{n}.late")  # (see _update)
                    os.rename(self.tmp / path, self.out / path)
        except OSError as err:
            raise self._late_error(err) from err

    def _late_error(self, err: OSError) -> KgError:
        return KgError(f"could not write the site: {err.strerror or err}",
                       file=Path(err.filename) if err.filename else self.out,
                       hint="check free space and permissions; the pages are new, the "
                            "graph exports and the search index the previous build's (or "
                            "missing) until the next build, which writes them whole")

    def discard(self) -> None:
        """Remove the previous site (thousands of files: a build does it after it has told
        that the new one is in place)."""
        import shutil

        if self.swapped_out is not None:
            shutil.rmtree(self.swapped_out, ignore_errors=True)
            self.swapped_out = None

    def __enter__(self) -> Path:
        import shutil  # here, not at the top: a build with nothing to do never stages

        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            _recover(self.out)
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp.mkdir()
            (self.tmp / SITE_MARKER).write_text(inc.MARKER_TEXT)
        except OSError as err:  # a file where a folder must be, a folder we may not write
            shutil.rmtree(self.tmp, ignore_errors=True)
            file = next((p for p in self.out.parents if p.exists() and not p.is_dir()), None)
            why = f"{file} is a file" if file else err.strerror or str(err)
            raise KgError(f"cannot write the site in {self.out.parent}: {why}",
                          file=self.out, hint="choose --out in a folder you can write") from None
        return self.tmp

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        import shutil

        if error is None:
            try:
                with interrupts_deferred():  # the site put in place whole, then Ctrl-C stops
                    self._settle()
            except KeyboardInterrupt:
                with contextlib.suppress(KgError):  # (then the next build is whole)
                    self.settle_late()  # the exports follow the pages, as they would have
                self.discard()  # the previous site, set aside
                raise
            return
        with contextlib.suppress(Exception):  # (the error raised is the one in flight)
            self._written()  # no file written into the folder as it is removed
        shutil.rmtree(self.tmp, ignore_errors=True)
        if isinstance(error, OSError):
            raise KgError(
                f"could not write the site: {error}",
                file=self.out,
                hint="the previous site is unchanged; check free space and permissions",
            ) from error

    def _settle(self) -> None:
        """Put the pages made into place (:meth:`settle` chose how)."""
        import shutil

        if self._in_place is not None:
            try:
                self._update(self._in_place)
            except Undone as err:
                with contextlib.suppress(Exception):  # (this error is the one said)
                    self._written()  # the exports' thread done with the folder first
                shutil.rmtree(self.tmp, ignore_errors=True)
                where = ("the previous site is as it was" if err.whole else
                         "the site is part old, part new until the next build, which writes "
                         "it whole")
                raise KgError(f"could not write the site: {err.strerror}", file=self.out,
                              hint=f"check free space and permissions; {where}") from err
            return
        try:
            self.marker = inc.marker_stat(self.tmp / SITE_MARKER)
            self._swap()
        except OSError as error:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise KgError(
                f"could not write the site: {error}",
                file=self.out,
                hint="the previous site is unchanged; check free space and permissions",
            ) from error

    def _update(self, plan: InPlace) -> None:
        """Move the pages written into the site, remove those gone; on an error, move back
        what was moved (:class:`Undone` says whether all of it went back)."""
        out, tmp = self.out, self.tmp
        written, gone, both = plan.written, plan.gone, plan.both
        if not written and not gone:  # the site as it was (a build that could not trust its
            # stamp, the files being new): left as it is, its marker too, which tells
            # whoever serves it (kg serve) that it changed
            self.marker = inc.marker_stat(out / SITE_MARKER)
            self.swapped_out = tmp
            return
        # the pages replaced or gone are moved into the staging folder, removed with it once
        # the new site is shown: freeing the blocks of the graph exports replaced (hundreds
        # of megabytes) is no part of the build's time
        was = tmp / ".was"
        was.mkdir()
        moved: list[tuple[Path | None, Path]] = []  # (from, to), undone on an error; from
        # None: a folder made

        def move(source: Path, target: Path) -> None:
            os.rename(source, target)
            moved.append((source, target))

        try:
            # listing both sites' files (what is there while this runs), the marker no
            # longer pairs with the manifest: a build stopped half way is followed by a
            # whole one
            try:
                os.link(out / SITE_MARKER, was / SITE_MARKER)
            except OSError:  # no hard links here (FAT, some network shares): a copy
                import shutil

                shutil.copyfile(out / SITE_MARKER, was / SITE_MARKER)
            inc.write_marker(tmp, both, name=f"{SITE_MARKER}.both")
            move(tmp / f"{SITE_MARKER}.both", out / SITE_MARKER)
            for n, path in enumerate(gone):
                with contextlib.suppress(FileNotFoundError):
                    move(out / path, was / str(n))
            for folder in sorted({f for p in gone for f in _folders(p)}, key=len, reverse=True):
                with contextlib.suppress(OSError):  # one still holding files stays
                    os.rmdir(out / folder)
            made: set[str] = set()
            late = set(plan.late)
            for n, path in enumerate(written):
                if path in late:
                    continue
                folder = path.rpartition("/")[0]
                if folder not in made:
                    for new in reversed(_folders(path)):
                        if not (out / new).is_dir():
                            (out / new).mkdir()
                            moved.append((None, out / new))
                    made.add(folder)
                # the page replaced is moved aside first: a rename over it would have ext4
                # write the new file out there and then (auto_da_alloc; 0.2 s for the exports)
                with contextlib.suppress(FileNotFoundError):
                    move(out / path, was / f"{n}.was")
                move(tmp / path, out / path)
            os.replace(tmp / SITE_MARKER, out / SITE_MARKER)
        except OSError as err:
            raise Undone(err, _move_back(moved, was / SITE_MARKER, out / SITE_MARKER)) from err
        self.marker = inc.marker_stat(out / SITE_MARKER)
        self.swapped_out = tmp  # what is left of it: folders, and linked pages

    def _swap(self) -> None:
        if not (self.out.exists() or self.out.is_symlink()):
            self.tmp.rename(self.out)
            return
        if _exchange(self.tmp, self.out):
            self.swapped_out = self.tmp  # it now holds the previous site
            return
        self.out.rename(self.old)
        try:
            self.tmp.rename(self.out)
        except OSError:
            self.old.rename(self.out)
            raise
        self.swapped_out = self.old


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back for the block, and raised after it: moving an edit's pages
    into the site takes milliseconds, and a KeyboardInterrupt raised between two moves left
    the site part new, part old (an error's moves are undone, but an interrupt may fall
    between a move and its record). Only in the main thread, where Python handles signals."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if held and callable(before):
        before(signal.SIGINT, None)


class Undone(OSError):
    """An update in place that failed (``error``), its moves undone: ``whole`` when every
    file went back, so that the site is the previous one."""

    def __init__(self, error: OSError, whole: bool) -> None:
        super().__init__(error.errno, error.strerror or str(error), error.filename)
        self.whole = whole


def _move_back(moved: list[tuple[Path | None, Path]], marker: Path, site_marker: Path) -> bool:
    """Undo ``moved`` (last first) and put the site's ``marker`` back; whether all went."""
    whole = True
    for source, target in reversed(moved):
        try:
            if source is None:  # a folder made for new pages
                os.rmdir(target)
                continue
            source.parent.mkdir(parents=True, exist_ok=True)
            os.rename(target, source)
        except OSError:
            whole = False
    if marker.exists():  # set aside before anything was moved
        try:
            os.replace(marker, site_marker)  # the same file: its stat (ctime) is not, so the
        except OSError:  # next build, not trusting the manifest, makes every page
            whole = False
    return whole


def _folders(path: str) -> list[str]:
    """The folders ``path`` is in, innermost first: ``a/b/c.html`` → ``a/b``, ``a``."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _recover(out: Path) -> None:
    """Clean up after builds of ``out`` that were killed: their temp folders, a set-aside site."""
    import shutil

    for kind in ("old", "tmp"):
        for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.{kind}-*")):
            pid = path.name.rsplit("-", 1)[-1]
            if not small_number(pid, 12) or _alive(int(pid)) or not path.is_dir():
                continue
            if kind == "old" and not (out.exists() or out.is_symlink()):
                path.rename(out)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) is not a probe on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))
