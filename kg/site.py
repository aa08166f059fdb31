"""The static site: every page rendered from the records, written under one folder.

Gather, then emit: :class:`Site` receives a complete :class:`~kg.model.Wiki` and its graph
exports, computes its indexes once (:class:`~kg.views.Views`), and never opens a note file.
Every URL is relative, so the site works from ``file://`` and under any sub-path; only the
feed, the sitemap and the 404 page use ``--base-url``, where relative URLs cannot work.
Templates come from the wiki's own ``templates/`` first, then the theme shipped in the
package; all of them autoescape, and scripts live in files (the pages' CSP forbids inline).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from kg.config import Config
from kg.errors import ResolveError
from kg.graphview import GraphBuilder
from kg.ids import NoteId, PagePath, note_page, page, slugify
from kg.markdown import LinkResolver, LinkTarget, make_renderer, render
from kg.model import Note, Wiki
from kg.rdf import TYPE_CLASSES
from kg.resolve import Resolver
from kg.search import index_json, index_script, search_index
from kg.urls import check_url
from kg.views import Views, open_first, question_age

FEED_ENTRIES = 50
RECENT = 15
PER_TIER_ON_HOME = 12
QUERY_ROW_LIMIT = 2000


# -- templates -----------------------------------------------------------------------------


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
    env.filters["safe_url"] = safe_url
    env.filters["percent"] = lambda p: f"{round(float(p) * 100)}%"
    return env


def json_island(value: Any, pretty: bool = True) -> Markup:
    """JSON safe inside ``<script type="application/…json">``: no ``</script>`` breakout."""
    if pretty:  # indented JSON takes json's pure-Python encoder: keep it for small values
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def safe_url(url: str | None) -> str | None:
    """An absolute http(s)/mailto URL, or None: a second check behind the parser's."""
    if not url or check_url(url, relative_ok=False) is not None:
        return None
    return url


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


# -- saved queries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """A ``queries/*.rq`` file of the wiki; leading ``#`` lines are its title and description."""

    slug: str
    file: str
    title: str
    description: str
    text: str


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    external: bool = False


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    error: str | None = None


def load_queries(folder: Path) -> tuple[SavedQuery, ...]:
    """Every ``*.rq`` in ``folder``, sorted by file name; read once, before rendering."""
    if not folder.is_dir():
        return ()
    queries: list[SavedQuery] = []
    taken: set[str] = set()
    for path in sorted(folder.glob("*.rq")):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        comments: list[str] = []
        for line in text.splitlines():
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            comments.append(line.lstrip("#").strip())
        title = comments[0] if comments and comments[0] else path.stem.replace("-", " ")
        slug = base = slugify(path.stem)
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        description = " ".join(c for c in comments[1:] if c)
        queries.append(SavedQuery(slug, path.name, title, description, text))
    return tuple(queries)


_ORDER_BY = re.compile(r"\border\s+by\b", re.I)
_MARKUP = re.compile(r"[\[\]*_`\\<>&!~]|https?:")


def snippets(url: Callable[..., str], tier_url: Callable[[int | None], str],
             tag_url: Callable[[str], str], tier_label: Callable[[int | None], str]
             ) -> dict[str, Callable[..., Markup]]:
    """The small pieces every list repeats, in Python: a Jinja macro call costs ~20x more.

    ``note_link``, ``note_item``, ``tier_badge``, ``date`` and ``tag_list`` are called in
    templates like macros. Links and list items are remembered, as the same note is listed
    on many pages of one folder.
    """
    links: dict[tuple[str, str, bool, str, bool], Markup] = {}
    items: dict[tuple[str, bool], Markup] = {}

    def note_link(nid: str, title: str, exists: bool = True, fragment: str = "",
                  mark: bool = True) -> Markup:
        key = (nid, title, exists, fragment, mark)
        found = links.get(key)
        if found is not None:
            return found
        href = escape(url(note_page(nid), fragment))
        if exists:
            html = f'<a class="note-link" href="{href}">{escape(title)}</a>'
        else:
            html = (f'<a class="note-link ghost" href="{href}" title="not written yet">'
                    f"{escape(title)}</a>")
            if mark:
                html += ' <span class="ghost-mark">not written yet</span>'
        links[key] = made = Markup(html)
        return made

    def tier_badge(tier: int | None, link: bool = False) -> Markup:
        if tier is None:
            return Markup("")
        label = escape(tier_label(tier))
        if link:
            return Markup(f'<a class="tier tier-{tier}" href="{escape(tier_url(tier))}" '
                          f'title="{label}">Tier {tier}</a>')
        return Markup(f'<span class="tier tier-{tier}" title="{label}">Tier {tier}</span>')

    def date(value: dt.date | None) -> Markup:
        if value is None:
            return Markup("")
        iso = value.isoformat()
        return Markup(f'<time datetime="{iso}">{iso}</time>')

    def tag_list(tags: Iterable[str]) -> Markup:
        return Markup(" ").join(
            Markup(f'<a class="tag" href="{escape(tag_url(t))}">#{escape(t)}</a>') for t in tags)

    def note_item(note: Note, summary: bool = True) -> Markup:
        """One note in a list: link, tier, date, and (with ``summary``) summary and tags."""
        key = (note.id, summary)
        found = items.get(key)
        if found is not None:
            return found
        line = f"{note_link(note.id, note.title)} {tier_badge(note.tier)} {date(note.date)}"
        parts = [f'<li class="note-item">\n  <div class="note-line">{line}</div>']
        if summary and note.summary:
            text = note.summary if len(note.summary) <= 240 else (
                note.summary[:237].rsplit(" ", 1)[0] + "...")
            parts.append(f'  <p class="summary">{escape(text)}</p>')
        if summary and note.tags:
            parts.append(f'  <p class="note-tags">{tag_list(note.tags)}</p>')
        parts.append("</li>")
        items[key] = made = Markup("\n".join(parts))
        return made

    return {"note_link": note_link, "note_item": note_item, "tier_badge": tier_badge,
            "date": date, "tag_list": tag_list}


def link(from_page: PagePath, to: PagePath, fragment: str = "") -> str:
    """The relative URL from one site page to another, without touching the file system.

    Same folder: the file name; otherwise up to the root and down, which is always right
    for normalised site paths (``posixpath.relpath`` asks the OS for the working directory
    twice per call, ~80 links per page).
    """
    from_dir = from_page.rpartition("/")[0]
    to_dir, _, name = to.rpartition("/")
    url = name if from_dir == to_dir else "../" * from_page.count("/") + to
    return f"{url}#{fragment}" if fragment else url


# -- the site ------------------------------------------------------------------------------


class Site:
    """Renders the pages of one wiki. Build it once; each method returns one output."""

    def __init__(self, wiki: Wiki, config: Config, graph_files: dict[str, bytes], *,
                 unsafe_html: bool = False) -> None:
        self.wiki = wiki
        self.config = config
        self.views = Views(wiki)
        self.graphs = GraphBuilder(self.views)
        self.env = environment(config)
        self.md = make_renderer(unsafe_html=unsafe_html)  # raw HTML cleaned by nh3 if allowed
        self.graph_files = graph_files
        self.today = today(wiki)
        self.resolver = Resolver(wiki.notes.values())
        self.queries = load_queries(config.wiki / "queries")
        self.base_url = config.base_url.rstrip("/") + "/" if config.base_url else ""
        self._pages: list[PagePath] = []
        self._helper_cache: dict[tuple[str, bool], dict[str, Callable[..., Any]]] = {}

    # -- helpers shared by every page ----------------------------------------------------

    def _page(self, template: str, path: PagePath, *, nav: str = "", absolute: bool = False,
              **context: Any) -> Output:
        """Render ``template`` as the page at ``path``; ``absolute`` for the 404 page."""
        absolute = absolute and bool(self.base_url)
        html = self.env.get_template(template).render(
            site=self.config,
            wiki=self.wiki,
            page_path=path,
            root=self.base_url if absolute else "../" * path.count("/"),
            nav=nav,
            canonical=self.base_url + path if self.base_url else "",
            tier_label=self.config.tier_label,
            today=self.today,
            **self._helpers(path, absolute),
            **context,
        )
        if path.endswith(".html") and path != "404.html":
            self._pages.append(path)
        return Output(path, html.encode("utf-8"))

    def _helpers(self, path: PagePath, absolute: bool) -> dict[str, Callable[..., Any]]:
        """The URL and snippet helpers of the templates, made once per folder of the site.

        A relative URL depends only on the folder of the page it is on, so the snippets
        remember what they rendered: a note listed on 500 tag pages is rendered once.
        """
        folder = path.rpartition("/")[0]
        key = (folder, absolute)
        found = self._helper_cache.get(key)
        if found is not None:
            return found
        here = PagePath(f"{folder}/_" if folder else "_")
        base = self.base_url if absolute else None

        def url(to: str, fragment: str = "") -> str:
            target = base + page(to) if base is not None else link(here, page(to))
            return f"{target}#{fragment}" if fragment else target

        def note_url(nid: str, fragment: str = "") -> str:
            return url(note_page(nid), fragment)

        def tier_url(tier: int | None) -> str:
            return url(f"tiers/{'none' if tier is None else tier}.html")

        def tag_url(tag: str) -> str:
            return url(f"tags/{self.views.tag_slugs[tag]}.html")

        def inline(text: str) -> Markup:
            """A line of a note (question, angle) as inline Markdown with its wikilinks."""
            if not _MARKUP.search(text):
                return escape(text)  # plain text, the common case: no parser needed
            return Markup(self.md.renderInline(text, {"resolve": self._link_resolver(here)}))

        helpers: dict[str, Callable[..., Any]] = {
            "url": url, "note_url": note_url, "tier_url": tier_url, "tag_url": tag_url,
            "inline": inline,
        }
        helpers.update(snippets(url, tier_url, tag_url, self.config.tier_label))
        self._helper_cache[key] = helpers
        return helpers

    def _link_resolver(self, here: PagePath) -> LinkResolver:
        def resolve(target: str, heading: str | None) -> LinkTarget | None:
            try:
                nid = self.resolver.resolve(target) or NoteId(slugify(target))
            except ResolveError:
                return None  # already reported by the resolve stage
            fragment = slugify(heading) if heading else ""
            return LinkTarget(link(here, note_page(nid), fragment),
                              self.wiki.node_label(nid), nid in self.wiki.notes)

        return resolve

    # -- notes ---------------------------------------------------------------------------

    def note(self, note: Note) -> Output:
        path = note_page(note.id)
        body = Markup(render(self.md, note.body, self._link_resolver(path)))
        return self._page(
            "note.html",
            path,
            note=note,
            body=body,
            source_url=safe_url(note.source.url if note.source else None),
            view=self.views.connections(note.id),
            questions=self.views.questions.get(note.id, []),
            local_graph=self.graphs.local_graph(note.id),
            jsonld=self._jsonld(note),
            degree=self.views.degree.get(note.id, 0),
        )

    def placeholder(self, nid: NoteId) -> Output:
        ph = self.wiki.placeholders[nid]
        return self._page("placeholder.html", note_page(nid), placeholder=ph,
                          view=self.views.connections(nid),
                          local_graph=self.graphs.local_graph(nid))

    def _jsonld(self, note: Note) -> dict[str, Any]:
        note_iri = f"{self.config.base_iri}note/"
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": TYPE_CLASSES.get(note.type, "CreativeWork"),
            "@id": f"{note_iri}{note.id}",
            "identifier": note.id,
            "name": note.title,
            "genre": note.type,
        }
        if self.base_url:
            data["url"] = self.base_url + note_page(note.id)
        if note.date:
            data["datePublished"] = note.date.isoformat()
        if note.authors:
            data["author"] = [{"@type": "Person", "name": a} for a in note.authors]
        if note.tags:
            data["keywords"] = list(note.tags)
        if note.summary:
            data["abstract"] = note.summary
        if note.source:
            source: dict[str, Any] = {"@type": "CreativeWork"}
            if note.source.title:
                source["name"] = note.source.title
            if safe_url(note.source.url):
                source["url"] = note.source.url
            if note.source.publisher:
                source["publisher"] = {"@type": "Organization", "name": note.source.publisher}
            data["isBasedOn"] = source
        if note.aliases:
            data["alternateName"] = list(note.aliases)
        cited = sorted({e.target for e in self.views.out.get(note.id, [])
                        if e.target in self.wiki.notes})
        if cited:
            data["citation"] = [{"@id": f"{note_iri}{nid}"} for nid in cited]
        if note.questions:
            data["hasPart"] = [
                {"@type": "Question", "@id": f"{note_iri}{q.id}", "text": q.text}
                for q in note.questions
            ]
        return data

    # -- index pages ---------------------------------------------------------------------

    def index(self) -> Output:
        tiers = [(t, notes[:PER_TIER_ON_HOME], len(notes))
                 for t, notes in self.views.tier_rows(self.config.tiers) if notes]
        return self._page("index.html", page("index.html"), nav="home",
                          recent=[n for n in self.views.by_date if n.date][:RECENT],
                          tiers=tiers, tags=self.views.top_tags(40),
                          counts=self.views.counts())

    def tier_pages(self) -> Iterator[Output]:
        rows = self.views.tier_rows(self.config.tiers)
        for tier, notes in rows:
            name = "none" if tier is None else str(tier)
            yield self._page("tier.html", page(f"tiers/{name}.html"), nav="tiers", tier=tier,
                             notes=notes, all_tiers=rows)

    def tag_pages(self) -> Iterator[Output]:
        yield self._page("tags.html", page("tags.html"), nav="tags",
                         tags=self.views.top_tags())
        for tag, notes in self.views.by_tag.items():
            yield self._page("tag.html", page(f"tags/{self.views.tag_slugs[tag]}.html"),
                             nav="tags", tag=tag, notes=notes)

    def timeline(self) -> Output:
        return self._page("timeline.html", page("timeline.html"), nav="timeline",
                          months=self.views.timeline())

    def placeholders(self) -> Output:
        return self._page("placeholders.html", page("placeholders.html"), nav="placeholders",
                          rows=self.views.placeholder_rows())

    # -- trackers ------------------------------------------------------------------------

    def questions(self) -> Output:
        rows = []
        for tq in sorted(self.wiki.questions, key=open_first):
            note = self.wiki.notes.get(tq.question.note)
            rows.append((tq, note, question_age(tq, note, self.today)))
        tags = sorted({t for _, note, _ in rows if note for t in note.tags})
        tiers = sorted({note.tier for _, note, _ in rows if note and note.tier is not None})
        return self._page("questions.html", page("questions.html"), nav="questions",
                          rows=rows, tags=tags, tiers=tiers)

    def angles(self) -> Output:
        return self._page("angles.html", page("angles.html"), nav="angles",
                          notes=self.views.angle_rows())

    def forecasts(self) -> Output:
        return self._page("forecasts.html", page("forecasts.html"), nav="forecasts",
                          fv=self.views.forecasts(self.today),
                          resolver_link=self._resolved_by)

    def _resolved_by(self, name: str | None) -> NoteId | None:
        if not name:
            return None
        try:
            return self.resolver.resolve(name)
        except ResolveError:
            return None

    # -- graph and search ----------------------------------------------------------------

    def graph(self) -> Iterator[Output]:
        data = self.graphs.global_graph()
        script = b"window.KG_GRAPH = " + json.dumps(
            data.as_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8") + b";\n"
        yield Output(page("data/graph.js"), script)
        yield self._page("graph.html", page("graph.html"), nav="graph", data=data)

    def search(self) -> Iterator[Output]:
        index = search_index(self.wiki)
        yield Output(page("search.json"), index_json(index))
        yield Output(page("data/search.js"), index_script(index))
        yield self._page("search.html", page("search.html"), nav="search")

    # -- saved queries -------------------------------------------------------------------

    def query_pages(self) -> Iterator[Output]:
        nt = self.graph_files.get("graph.nt")
        results: list[tuple[SavedQuery, QueryResult]] = []
        if self.queries and nt is not None:
            from kg import rdf

            store = rdf.to_store(nt.decode("utf-8"))
            for query in self.queries:
                results.append((query, self._run(store, query)))
        for query, result in results:
            yield self._page("query.html", page(f"queries/{query.slug}.html"), nav="queries",
                             query=query, result=result)
        yield self._page("queries.html", page("queries.html"), nav="queries", results=results)

    def _run(self, store: Any, query: SavedQuery) -> QueryResult:
        import pyoxigraph

        from kg.rdf import PREFIXES

        here = page(f"queries/{query.slug}.html")
        try:
            # the same prefixes as `kg sparql`: the vocabulary's, and note: for this wiki
            declared = {**PREFIXES, "note": f"{self.config.base_iri}note/"}
            answer = store.query(query.text, prefixes=declared)
            if isinstance(answer, pyoxigraph.QueryBoolean):
                return QueryResult(("answer",), ((Cell("yes" if bool(answer) else "no"),),), 1)
            if isinstance(answer, pyoxigraph.QueryTriples):
                columns: tuple[str, ...] = ("subject", "predicate", "object")
                rows = [tuple(self._cell(t, here) for t in (tr.subject, tr.predicate, tr.object))
                        for tr in answer]
            else:
                names = [v.value for v in answer.variables]
                columns = tuple(names)
                rows = [tuple(self._cell(solution[name], here) for name in names)
                        for solution in answer]
        except (SyntaxError, OSError, ValueError, TypeError) as err:
            return QueryResult((), (), 0, error=str(err))
        if not _ORDER_BY.search(query.text):
            rows.sort(key=lambda row: [(c.text, c.href or "") for c in row])
        return QueryResult(columns, tuple(rows[:QUERY_ROW_LIMIT]), len(rows))

    def _cell(self, term: Any, here: PagePath) -> Cell:
        import pyoxigraph

        from kg.rdf import PREFIXES

        if term is None:
            return Cell("")
        if isinstance(term, pyoxigraph.Literal):
            return Cell(term.value)
        if isinstance(term, pyoxigraph.BlankNode):
            return Cell(f"_:{term.value}")
        if not isinstance(term, pyoxigraph.NamedNode):
            return Cell(str(term))
        value: str = term.value
        base = self.config.base_iri
        if value.startswith(base + "note/"):
            nid, _, fragment = value[len(base) + 5:].partition("#")
            if nid in self.wiki.notes or nid in self.wiki.placeholders:
                text = self.wiki.node_label(NoteId(nid))
                return Cell(f"{text} #{fragment}" if fragment else text,
                            link(here, note_page(nid), fragment))
        if value.startswith(base + "tier/"):
            tier = value[len(base) + 5:]
            if tier.isdigit():
                return Cell(self.config.tier_label(int(tier)),
                            link(here, page(f"tiers/{tier}.html")))
        for prefix, namespace in sorted(PREFIXES.items()):
            if value.startswith(namespace) and len(value) > len(namespace):
                return Cell(f"{prefix}:{value[len(namespace):]}")
        if safe_url(value):
            return Cell(value, value, external=True)
        return Cell(value)

    # -- feed, sitemap, 404 --------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return self.base_url + path

    def feed(self) -> Output:
        entries = [n for n in self.views.by_date if n.date][:FEED_ENTRIES]
        updated = entries[0].date if entries and entries[0].date else dt.date(1970, 1, 1)
        xml = self.env.get_template("feed.xml").render(
            site=self.config, entries=entries, updated=updated, absolute=self.absolute,
            note_page=note_page, feed_id=f"{self.config.base_iri}feed",
            note_iri=lambda nid: f"{self.config.base_iri}note/{nid}",
        )
        return Output(page("feed.xml"), xml.encode("utf-8"))

    def sitemap(self) -> Output:
        dates: dict[str, dt.date] = {
            note_page(n.id): n.date for n in self.wiki.notes.values() if n.date
        }
        xml = self.env.get_template("sitemap.xml").render(
            pages=sorted(set(self._pages)), dates=dates, absolute=self.absolute)
        return Output(page("sitemap.xml"), xml.encode("utf-8"))

    def not_found(self) -> Output:
        return self._page("404.html", page("404.html"), absolute=True)

    # -- everything ----------------------------------------------------------------------

    def outputs(self) -> Iterable[Output]:
        self._pages.clear()
        yield self.index()
        for note in self.wiki.notes.values():
            yield self.note(note)
        for nid in self.wiki.placeholders:
            yield self.placeholder(nid)
        yield self.questions()
        yield self.angles()
        yield self.forecasts()
        yield self.timeline()
        yield self.placeholders()
        yield from self.tier_pages()
        yield from self.tag_pages()
        yield from self.graph()
        yield from self.search()
        yield from self.query_pages()
        yield self.not_found()
        yield self.feed()
        yield self.sitemap()
        for name, data in sorted(self.graph_files.items()):
            yield Output(page(name), data)
        yield from static_assets(template_dirs(self.config))


def static_assets(dirs: Iterable[Path] | None = None) -> Iterable[Output]:
    """The theme's ``assets/``; a file of the same path in a wiki's templates wins."""
    chosen: dict[str, Path] = {}
    for folder in reversed(list(dirs) if dirs is not None else [theme_dir()]):
        assets = folder / "assets"
        if not assets.is_dir():
            continue
        for path in assets.rglob("*"):
            if path.is_file() and not path.is_symlink():
                chosen[path.relative_to(assets).as_posix()] = path
    for rel in sorted(chosen):
        yield Output(page("assets/" + rel), chosen[rel].read_bytes())


def write_outputs(outputs: Iterable[Output], out: Path) -> int:
    count = 0
    for output in outputs:
        target = out / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.data)
        count += 1
    return count

