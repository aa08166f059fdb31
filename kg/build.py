"""``kg build``: the whole pipeline, discover → parse → resolve → graph → check → emit.

Gather, then emit: every note is parsed and resolved, and the graph complete, before any page
renders. The site is written into a temporary folder beside the output and swapped in only
when complete, so a failed build leaves the previous site as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg import rdf
from kg.config import Config
from kg.discover import discover
from kg.errors import BuildFailed, ConfigError, Finding, KgError, Severity
from kg.model import EdgeKind, Note, Wiki
from kg.parse import parse_note, read_note
from kg.resolve import resolve_wiki

SITE_MARKER = ".kg-site"

Progress = Callable[[str], None]


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

    def summary(self) -> str:
        return (
            f"Built {self.notes} notes, {self.connections} connections, {self.mentions} mentions, "
            f"{self.placeholders} placeholders, {self.questions} questions "
            f"→ {self.out} ({self.files} files) in {self.seconds:.2f}s"
        )


def load_wiki(config: Config) -> Wiki:
    """Discover, parse and resolve every note: the records every output is made from."""
    found = discover(config.wiki)
    notes: list[Note] = []
    errors: list[Finding] = []
    for file in found.files:
        try:
            data = read_note(file.path, file=file.rel)
            notes.append(parse_note(data, nid=file.id, path=file.rel))
        except KgError as err:
            errors.append(err.as_finding("bad-note"))
    if errors:
        noun = "note has" if len(errors) == 1 else "notes have"
        raise BuildFailed(f"{len(errors)} {noun} errors; nothing was written",
                          findings=tuple(errors))
    wiki = resolve_wiki(notes)
    warnings = found.warnings + wiki.warnings + tuple(w for n in notes for w in n.warnings)
    return Wiki(wiki.notes, wiki.edges, wiki.placeholders, wiki.questions, warnings)


def graph_files(wiki: Wiki, config: Config) -> dict[str, bytes]:
    from kg.vocab import vocabulary_turtle

    nt = rdf.ntriples(wiki, config)
    return {
        "graph.ttl": rdf.serialize(nt, "ttl"),
        "graph.jsonld": rdf.serialize(nt, "jsonld"),
        "graph.nt": nt.encode("utf-8"),
        "vocab.ttl": vocabulary_turtle().encode("utf-8"),
    }


def build(config: Config, *, progress: Progress | None = None) -> BuildResult:
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    check_output_folder(config)
    say(f"reading {config.wiki}")
    wiki = load_wiki(config)
    say(f"{len(wiki.notes)} notes read; writing the graph")
    files = graph_files(wiki, config)
    say("rendering pages")
    from kg.site import Site, write_outputs

    site = Site(wiki, config, files)
    with staging(config.out) as tmp:
        count = write_outputs(site.outputs(), tmp)
    return BuildResult(
        notes=len(wiki.notes),
        connections=sum(1 for e in wiki.edges if e.kind is EdgeKind.CONNECTION),
        mentions=sum(1 for e in wiki.edges if e.kind is EdgeKind.MENTION),
        placeholders=len(wiki.placeholders),
        questions=len(wiki.questions),
        files=count,
        seconds=time.perf_counter() - started,
        warnings=tuple(w for w in wiki.warnings if w.severity is Severity.WARNING),
        out=config.out,
    )


def check_output_folder(config: Config) -> None:
    """Refuse an output folder that would overwrite the wiki or a folder kg did not make."""
    out, wiki = config.out.resolve(), config.wiki.resolve()
    if out == wiki or wiki.is_relative_to(out) or out.is_relative_to(wiki):
        raise ConfigError(
            f"the output folder {out} overlaps the wiki {wiki}",
            hint="build into a folder outside the wiki, e.g. --out site",
        )
    if out.exists() and not out.is_dir():
        raise ConfigError(f"the output {out} is a file", hint="choose a folder for --out")
    if out.is_dir() and any(out.iterdir()) and not (out / SITE_MARKER).exists():
        raise ConfigError(
            f"{out} holds files that kg did not write; refusing to replace it",
            hint="choose an empty or new folder for --out",
        )


class staging:
    """A temporary folder beside ``out``, swapped in for it on success, removed on failure."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        self.old = out.parent / f".{out.name}.old-{os.getpid()}"

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        (self.tmp / SITE_MARKER).write_text("written by kg build; safe to delete\n")
        return self.tmp

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.out.exists():
            self.out.rename(self.old)
        self.tmp.rename(self.out)
        shutil.rmtree(self.old, ignore_errors=True)
