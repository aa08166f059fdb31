"""The static site: every page rendered from the records, written under one folder.

Gather, then emit: :func:`render_site` receives a complete :class:`~kg.model.Wiki` and its
graph exports and never opens a note file. Every URL is relative, so the site works from
``file://`` and under any sub-path. Templates come from the wiki's own ``templates/`` first,
then the theme shipped in the package; all of them autoescape.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kg.config import Config
from kg.ids import NoteId, PagePath, note_page, page, relative_url, slugify
from kg.markdown import LinkTarget, make_renderer, render
from kg.errors import ResolveError
from kg.model import Note, QuestionStatus, Wiki
from kg.resolve import Resolver
from kg.views import Views, open_first, question_age


def template_dirs(config: Config) -> list[Path]:
    """The wiki's own templates first (overrides), then the shipped theme."""
    dirs: list[Path] = []
    for candidate in (config.templates, config.root / "templates"):
        if candidate is not None and candidate.is_dir() and candidate not in dirs:
            dirs.append(candidate)
    dirs.append(theme_dir())
    return dirs


def theme_dir() -> Path:
    packaged = Path(str(resources.files("kg"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"  # a source checkout


def environment(config: Config) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(config)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["json_island"] = json_island
    env.filters["slug"] = slugify
    return env


def json_island(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/ld+json">``: no ``</script>`` breakout."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def today(wiki: Wiki) -> dt.date:
    """The build's "now": SOURCE_DATE_EPOCH, else the newest note date; never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    dates = [n.date for n in wiki.notes.values() if n.date]
    return max(dates) if dates else dt.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Output:
    """A file of the site: its path inside the site and its bytes."""

    path: PagePath
    data: bytes


class Site:
    """Renders the pages of one wiki. Build it once; each method returns the page's output."""

    def __init__(self, wiki: Wiki, config: Config, graph_files: dict[str, bytes]) -> None:
        self.wiki = wiki
        self.config = config
        self.views = Views(wiki)
        self.env = environment(config)
        self.md = make_renderer()
        self.graph_files = graph_files
        self.today = today(wiki)
        self.resolver = Resolver(wiki.notes.values())

    # -- helpers shared by every page ------------------------------------------------------

    def _page(self, template: str, path: PagePath, **context: Any) -> Output:
        def url(to: str, fragment: str = "") -> str:
            return relative_url(path, page(to), fragment)

        html = self.env.get_template(template).render(
            site=self.config,
            wiki=self.wiki,
            page_path=path,
            url=url,
            note_url=lambda nid: relative_url(path, note_page(nid)),
            tier_label=self.config.tier_label,
            today=self.today,
            **context,
        )
        return Output(path, html.encode("utf-8"))

    def _link_resolver(self, note: Note) -> Callable[[str, str | None], LinkTarget | None]:
        here = note_page(note.id)

        def resolve(target: str, heading: str | None) -> LinkTarget | None:
            try:
                nid = self.resolver.resolve(target) or NoteId(slugify(target))
            except ResolveError:
                return None  # already reported by the resolve stage
            fragment = slugify(heading) if heading else ""
            return LinkTarget(relative_url(here, note_page(nid), fragment),
                              self.wiki.node_label(nid), nid in self.wiki.notes)

        return resolve

    # -- pages ----------------------------------------------------------------------------

    def note(self, note: Note) -> Output:
        path = note_page(note.id)
        body = Markup(render(self.md, note.body, self._link_resolver(note)))
        return self._page(
            "note.html",
            path,
            note=note,
            body=body,
            view=self.views.connections(note.id),
            questions=self.views.questions.get(note.id, []),
            jsonld=self._jsonld(note),
        )

    def placeholder(self, nid: NoteId) -> Output:
        ph = self.wiki.placeholders[nid]
        return self._page("placeholder.html", note_page(nid), placeholder=ph,
                          view=self.views.connections(nid))

    def index(self) -> Output:
        notes = list(self.wiki.notes.values())
        recent = sorted((n for n in notes if n.date), key=lambda n: (n.date, n.id), reverse=True)
        by_tier: dict[int | None, list[Note]] = defaultdict(list)
        for n in sorted(notes, key=lambda n: (n.title.casefold(), n.id)):
            by_tier[n.tier].append(n)
        tiers = [(t, by_tier[t]) for t in sorted(by_tier, key=lambda t: (t is None, t or 0))]
        tags = Counter(t for n in notes for t in n.tags)
        counts = {
            "notes": len(notes),
            "connections": sum(1 for e in self.wiki.edges if e.kind.value == "connection"),
            "mentions": sum(1 for e in self.wiki.edges if e.kind.value == "mention"),
            "placeholders": len(self.wiki.placeholders),
            "open_questions": sum(1 for q in self.wiki.questions
                                  if q.status is QuestionStatus.OPEN),
        }
        return self._page("index.html", page("index.html"), recent=recent[:15], tiers=tiers,
                          tags=sorted(tags.items(), key=lambda kv: (-kv[1], kv[0])),
                          counts=counts)

    def questions(self) -> Output:
        rows = []
        for tq in sorted(self.wiki.questions, key=open_first):
            note = self.wiki.notes.get(tq.question.note)
            rows.append((tq, note, question_age(tq, note, self.today)))
        return self._page("questions.html", page("questions.html"), rows=rows)

    def _jsonld(self, note: Note) -> dict[str, Any]:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ScholarlyArticle" if note.type == "paper" else "CreativeWork",
            "@id": f"{self.config.base_iri}note/{note.id}",
            "identifier": note.id,
            "name": note.title,
        }
        if note.date:
            data["datePublished"] = note.date.isoformat()
        if note.authors:
            data["author"] = [{"@type": "Person", "name": a} for a in note.authors]
        if note.tags:
            data["keywords"] = list(note.tags)
        if note.summary:
            data["abstract"] = note.summary
        if note.source and note.source.url:
            data["isBasedOn"] = note.source.url
        if note.aliases:
            data["alternateName"] = list(note.aliases)
        return data

    def outputs(self) -> Iterable[Output]:
        yield self.index()
        yield self.questions()
        for note in self.wiki.notes.values():
            yield self.note(note)
        for nid in self.wiki.placeholders:
            yield self.placeholder(nid)
        for name, data in sorted(self.graph_files.items()):
            yield Output(page(name), data)
        yield from static_assets()


def static_assets() -> Iterable[Output]:
    assets = theme_dir() / "assets"
    for path in sorted(assets.rglob("*")):
        if path.is_file():
            yield Output(page("assets/" + path.relative_to(assets).as_posix()), path.read_bytes())


def write_outputs(outputs: Iterable[Output], out: Path) -> int:
    count = 0
    for output in outputs:
        target = out / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.data)
        count += 1
    return count
