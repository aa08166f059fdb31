"""The static site: every page rendered from the records, written under one folder.

Gather, then emit: :class:`Site` receives a complete :class:`~kg.model.Wiki`, computes its
indexes once (:class:`~kg.views.Views`), and never opens a note file. Each page comes out as
a :class:`~kg.incremental.Page`: its path, the key of what it is made from, and a function
that renders it, so a build renders only the pages whose key changed.
Every URL is relative, so the site works from ``file://`` and under any sub-path; only the
feed, the sitemap (written only with one) and the 404 page use ``--base-url``, where
relative URLs cannot work.
Templates come from the wiki's own ``templates/`` first, then the theme shipped in the
package; all of them autoescape, and scripts live in files (the pages' CSP forbids inline).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import json
import operator
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import IO, Any, TypeVar

import jinja2
from markupsafe import Markup, escape

from kg.attachments import Attachments, possible, site_path
from kg.attachments import href as attachment_href
from kg.bidi import isolate
from kg.body import MD_LINK, from_folder, note_link_target, parse_wikilink, without_title
from kg.cachefile import blake2b, plain_digest
from kg.config import Config, epoch_date
from kg.depends import Kept, Plan, Reads, Trace, lookup_names, name_table, node_facts, plan
from kg.errors import ConfigError, KgError, ResolveError, TemplateError
from kg.graphview import GraphBuilder
from kg.ids import NoteId, PagePath, note_page, page, shell_title, slugify, tag_name
from kg.ids import relative_url as link
from kg.incremental import (
    PARALLEL_MIN,
    SITE_MARKER,
    Alone,
    KeptPages,
    Made,
    NoteList,
    Page,
    Task,
    code_stamp,
    data_key,
    key_of,
    note_list,
)
from kg.markdown import (
    WIKILINK_SPAN,
    AttachmentResolver,
    LinkResolver,
    LinkTarget,
    TagResolver,
    make_links_renderer,
    make_renderer,
    make_tex_renderer,
    render,
    render_links,
)
from kg.memo import LastMade, PerRecord
from kg.model import Note, TrackedQuestion, Wiki
from kg.rdf import (
    DCTERMS,
    KG,
    SCHEMA,
    SKOS,
    TYPE_CLASSES,
    XSD,
    Iris,
    copy_ntriples,
    iri,
    ntriples_bytes,
)
from kg.resolve import forecast_resolvers, resolver_of
from kg.saved import QueryResult, QueryRunner, SavedQuery, load_queries, query_page
from kg.search import (
    INDEX_HEAD,
    INDEX_TAIL,
    SCRIPT_HEAD,
    SCRIPT_TAIL,
    index_entries,
    rewrap,
    write_index,
)
from kg.snippets import Remembered, angle_sections, snippets, tracker_rows
from kg.splice import Splices
from kg.theme import hidden, scratch, template_dirs, theme_dir
from kg.urls import safe_url
from kg.views import Views, open_first, question_age

FEED_ENTRIES = 50
RECENT = 15
PER_TIER_ON_HOME = 12
NOTES_PER_TASK = 48
KEPT_PER_TASK = 1000
"""Note pages kept from the last build are only linked (~0.1 ms each): many to a task, as
a worker's round trip costs more than linking fifty."""
LISTED = ("id", "title", "tier", "date", "summary", "tags")
"""What a list of notes shows of each (``note_item``): a page of such lists depends on no more."""


# -- templates -----------------------------------------------------------------------------


def read_templates(dirs: Sequence[Path]) -> tuple[dict[str, str], bool]:
    """Every template of ``dirs`` (not their ``assets/``), read once: the first folder's copy
    of a name wins; and whether the wiki has page templates of its own (``note.md``, which
    ``kg new`` reads, is not one). Rendering uses exactly the text the pages' keys hash, even
    if a file is saved while the build runs."""
    sources: dict[str, str] = {}
    own = False
    for folder in reversed(dirs):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if not path.is_file() or rel.parts[0] == "assets" or hidden(rel):
                continue
            page = folder != theme_dir() and path.suffix in (".html", ".xml")
            try:  # an editor's swap file, an image: not a template
                sources[rel.as_posix()] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                if page:  # the wiki's own page template: not left for the theme's unsaid
                    raise _unreadable_template(rel.as_posix(), path, err) from None
                continue
            own = own or page
    return dict(sorted(sources.items())), own


def _unreadable_template(name: str, path: Path, err: OSError | UnicodeDecodeError
                         ) -> TemplateError:
    if isinstance(err, UnicodeDecodeError):
        return TemplateError(f"template {name} is not UTF-8: byte 0x{err.object[err.start]:02X} "
                             f"at offset {err.start}", file=path,
                             hint="save it as UTF-8, or remove it to use the theme's")
    return TemplateError(f"cannot read the template {name}: {err.strerror or err}", file=path,
                         hint="check its permissions, or remove it to use the theme's")


_ENVIRONMENT: tuple[dict[str, str], jinja2.Environment] | None = None
"""The last environment made from template sources, with them: ``kg serve`` builds again
and again from the same templates, and Jinja compiles each template once an environment."""


def environment(config: Config, sources: dict[str, str] | None = None) -> jinja2.Environment:
    """The Jinja environment of the site: ``sources`` (as :func:`read_templates` gives them;
    the last environment again for the same sources), else the template folders of
    ``config``."""
    global _ENVIRONMENT
    if sources is not None and _ENVIRONMENT is not None and _ENVIRONMENT[0] == sources:
        return _ENVIRONMENT[1]
    loader: jinja2.BaseLoader = (
        jinja2.DictLoader(sources) if sources is not None
        else jinja2.FileSystemLoader([str(d) for d in template_dirs(config)]))
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_isolated,
    )
    env.filters["json_island"] = json_island
    env.filters["isolate"] = lambda text: escape(isolate(text))  # names joined, each apart:
    # {{ note.aliases | map("isolate") | join(", ") }}
    env.filters["slug"] = slugify
    env.filters["shell_title"] = shell_title  # kg new {{ label | shell_title }}
    env.filters["safe_url"] = safe_url
    env.filters["percent"] = lambda p: f"{round(float(p) * 100)}%"
    env.filters["counted"] = counted
    env.filters["ghosts"] = ghosts
    if sources is not None:
        _ENVIRONMENT = dict(sources), env
    return env


def _isolated(value: Any) -> Any:
    """What a template shows of ``value``: text (not markup made already) kept from
    reordering what the page shows after it (:func:`kg.bidi.isolate`)."""
    return isolate(value) if type(value) is str else value


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``1 note``, ``2 notes``: a count and its noun, in a template
    ``{{ notes | length | counted("note") }}``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def ghosts(graph: Mapping[str, Any], focus: str) -> int:
    """How many notes not written yet a local graph draws besides its ``focus``:
    ``{{ local_graph | ghosts(note.id) }}`` (a filter of Jinja's own tests per node took a
    tenth of a note page's rendering)."""
    return sum(1 for row in graph["nodes"] if row[2] == "ghost" and row[0] != focus)


JSONLD_CONTEXT: dict[str, Any] = {
    "@vocab": SCHEMA,
    "identifier": DCTERMS + "identifier",
    "alternateName": SKOS + "altLabel",
    "genre": KG + "noteType",
    "hasPart": {"@reverse": SCHEMA + "isPartOf"},
    "datePublished": {"@type": XSD + "date"},
    "dateModified": {"@type": XSD + "date"},
    "url": {"@type": "@id"},
}
"""The context of a note page's JSON-LD, inline: its terms are the graph's IRIs. schema.org's
published context (``"@context": "https://schema.org"``) maps them to ``http://schema.org/``
where the graph has ``https://schema.org/`` (rdflib's), and is fetched from the network by a
parser that reads it. Where the graph states a fact with another vocabulary, the schema.org
term a search engine reads names the graph's property (``identifier`` is
``dcterms:identifier``, ``alternateName`` ``skos:altLabel``, ``genre`` ``kg:noteType``;
``hasPart`` is the graph's ``schema:isPartOf`` of each question, the other way round), and
dates are the graph's ``xsd:date``."""


def _iri_text(text: str) -> str:
    """The IRI the graph writes for ``text`` (:func:`kg.rdf.iri`), without its brackets."""
    return iri(text)[1:-1]


def json_island(value: Any, pretty: bool = True) -> Markup:
    """JSON safe inside ``<script type="application/…json">``: no ``</script>`` breakout."""
    if pretty:  # indented JSON takes json's pure-Python encoder: keep it for small values
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def today(wiki: Wiki) -> tuple[dt.date, str]:
    """The build's "now" and what it is: SOURCE_DATE_EPOCH's day ("epoch"), else the newest
    note's date ("notes"); never the clock."""
    epoch = epoch_date()
    if epoch is not None:
        return epoch, "epoch"
    dates = [n.date for n in wiki.notes.values() if n.date]
    return (max(dates) if dates else dt.date(1970, 1, 1)), "notes"


@dataclass(frozen=True, slots=True)
class Output:
    """A file of the site: its path inside the site and its bytes."""

    path: PagePath
    data: bytes


@contextlib.contextmanager
def _template_errors(template: str, path: PagePath, own: bool) -> Iterator[None]:
    """A template's error as kg's, naming the template and the page; with templates of the
    wiki's ``own``, what Python raises in one of its expressions too (kg's own theme raising
    it is kg's bug, which keeps its traceback)."""
    try:
        yield
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(f"template {err.name or template}: {err.message}",
                            file=err.filename or err.name, line=err.lineno,
                            hint="fix the template, or remove it to use the theme's") from err
    except jinja2.TemplateError as err:  # a missing template or variable, a filter's error
        raise TemplateError(f"template {template} failed on {path}: {err}",
                            hint="fix the template, or remove it to use the theme's") from err
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError,
            RecursionError) as err:  # what an expression of a wiki's own template may raise
        if not own:
            raise
        said = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise TemplateError(f"template {template} failed on {path}: {said}",
                            hint="fix the template, or remove it to use the theme's") from err


_remembered = Remembered({})
"""The last build's items (:class:`Remembered`)."""


def _text_marks(*texts: str) -> int:
    """What a tracker needs to know of a line's text: 1 if it may hold a link (to resolve
    for its key), 2 if TeX (the page loads KaTeX)."""
    joined = "\0".join(texts)
    return (("[[" in joined or "](" in joined) and 1) | ("$" in joined and 2)


_QUESTION_STATES = PerRecord(
    lambda tq: plain_digest((tq.question.id, tq.status._value_, tq.answered_by)))
"""Each tracked question's state, hashed: its part of the tracker's key."""
_QUESTION_MARKS = PerRecord(
    lambda tq: _text_marks(tq.question.text) | (4 if tq.answered_by else 0))
"""Each tracked question's :func:`_text_marks`, and 4 if some note answers it."""
_ANGLE_MARKS = PerRecord(lambda note: _text_marks(*(t for a in note.angles
                                                   for t in (a.title, a.text))))
"""Each note's :func:`_text_marks` of its research angles."""


class _Once:
    """``make()``'s value, made once, by the first thread that asks (a thread splicing the
    exports may make the N-Triples when a splice fails, while this one runs the queries)."""

    def __init__(self, make: Callable[[], Path]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: Path | None = None

    @property
    def made(self) -> bool:
        return self._made is not None

    def __call__(self) -> Path:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made


_last_edges_key: tuple[Sequence[dict[str, Any]], str] | None = None


def _graph_key_of(parts: tuple[Any, ...]) -> str:
    global_key, ids, nodes, edges, relations, tiers, tags = parts
    return key_of(global_key, "graph", dict(zip(ids, nodes, strict=True)), _edges_key(edges),
                  list(relations), list(tiers), sorted(tags))


_graph_key = LastMade(_graph_key_of)
"""The global graph's key; the last build's while its node and edge records are the same
(an edit of a note's text: 10,000 node records need not be hashed again)."""


def _edges_key(edges: Sequence[dict[str, Any]]) -> str:
    """The key of the graph's edge records; the last one's while they are the same records
    (:func:`kg.graphview.edge_records` keeps them while the wiki's edges are equal: 45,000
    records at 10,000 notes need not be hashed again in ``kg serve``)."""
    global _last_edges_key
    last = _last_edges_key
    if last is not None and last[0] is edges:
        return last[1]
    key = key_of(edges)
    _last_edges_key = edges, key
    return key


_QUESTION_TEXT = operator.attrgetter("question.text")
_DATED = operator.attrgetter("date")


T = TypeVar("T")


def _marked(records: Sequence[T], marks: Sequence[int], marked: set[int], bit: int) -> list[T]:
    """The records whose mark (:func:`_text_marks`) has ``bit``; none looked at when no mark
    of the set ``marked`` has it (most wikis: no link in a question)."""
    if not any(mark & bit for mark in marked):
        return []
    return [record for record, mark in zip(records, marks, strict=True) if mark & bit]


def _chained(records: Iterable[Any], *fields: str) -> Iterator[Any]:
    """The values in each record's ``fields``, in order, made in C: one field holding a
    sequence (``_chained(notes, "tags")``: every note's tags), or several fields' values
    (``_chained(angles, "title", "text")``)."""
    return itertools.chain.from_iterable(map(operator.attrgetter(*fields), records))


TRACKER_FIELDS = ("id", "title", "tier", "date", "tags", "questions")
"""What the question tracker shows of each note that asks: its questions, and what a row
shows of the note (a question's source line is not shown: :data:`kg.incremental.UNSHOWN`)."""


# -- the site ------------------------------------------------------------------------------


_MARKUP = re.compile(r"[\[\]*_`\\<>&!~$]|https?:")
"""Characters that make a line of a note more than plain text (see ``inline``): ``$`` too,
as TeX (``$x^2$``) may hold none of the others and is typeset only once it is rendered."""


class Site:
    """The pages of one wiki. Build it once; :meth:`tasks` lists every page to make.

    ``ntriples`` gives a file of the wiki's N-Triples when a graph export or a saved query
    needs them (a build passes the cache's); it is called at most once. ``kept_ntriples`` is told
    where graph.nt was written when it was spliced rather than made from them (a build
    caches it).
    """

    def __init__(self, wiki: Wiki, config: Config, *, unsafe_html: bool = False,
                 ntriples: Callable[[], Path] | None = None,
                 kept_ntriples: Callable[[Path], None] | None = None) -> None:
        self.wiki = wiki
        self.config = config
        self.views = Views(wiki)
        self.graphs = GraphBuilder(self.views)
        self.dirs = template_dirs(config)
        self.templates, own = read_templates(self.dirs)
        self.own_templates = own
        """Whether the wiki has page templates of its own (:func:`read_templates`)."""
        self.env = environment(config, self.templates)
        self.md = make_renderer(unsafe_html=unsafe_html,  # raw HTML cleaned by nh3 if allowed
                                line_breaks=config.line_breaks)
        self.tex_md = make_tex_renderer()
        self.links_md = make_links_renderer()
        self.today, self.today_basis = today(wiki)
        """The pages' "today", and what it is: SOURCE_DATE_EPOCH's, or the newest note's
        date (said on the pages that count days, since it is not the reader's today)."""
        self.resolver = resolver_of(wiki)
        self.queries = load_queries(config.wiki / "queries")
        self.base_url = config.base_url.rstrip("/") + "/" if config.base_url else ""
        self._ntriples = _Once(ntriples or self._make_ntriples)
        self._kept_ntriples = kept_ntriples
        self._helper_cache: dict[tuple[str, bool], dict[str, Callable[..., Any]]] = {}
        self.notes = list(wiki.notes.values())
        self.global_key = self._global_key(unsafe_html, own)
        self.tags_key = key_of(sorted(self.views.tag_slugs.items()))
        # every record by what makes it (as a key names a note), hashed at once
        records = plain_digest(list(map(operator.attrgetter("id", "path", "digest"),
                                        self.notes)))
        self.rdf_key = key_of(self.global_key, "rdf", records)
        self.search_key = key_of(self.global_key, "search", records,
                                 list(self.wiki.placeholders.values()))
        self.attachments = Attachments(config.wiki)
        self.attached = {note.id: tuple((ref, self.attachments.find(ref, folder_of(note)))
                                        for ref in note.files if possible(ref, folder_of(note)))
                         for note in self.notes if note.files}
        """Each note's attachments as written, with the file each names (None: not yet);
        references that could name no file of the wiki (``../out.png``) are left out."""
        self.splices = Splices(wiki, config, self.rdf_key, self.search_key)
        """The graph exports and the search index spliced from the last build's, where the
        build plans it (:meth:`kg.splice.Splices.plan`)."""
        self.plan: Plan | None = None
        self.making = 0
        """How many note pages :meth:`tasks` found to make."""
        self._kept_keys: dict[NoteId, str | None] = {}
        """Each note page's key kept from the last build (None: to make), as :meth:`tasks`
        found it."""
        global _remembered
        self._remembered = _remembered = _remembered.next(self.notes)

    def reuse(self, old: Trace | None, keys: Mapping[str, str]) -> Trace:
        """Plan which note pages keep their ``keys`` of the last build (whose trace is
        ``old``), by what changed since (:mod:`kg.depends`); gives this build's trace, to
        which the build adds each page's reads."""
        names = name_table(self.resolver)
        names.update((f"a:{nid}", found) for nid, found in self.attached.items())
        now = Trace(self.global_key, node_facts(self.views), names,
                    dict(self.views.tag_slugs), self.today, {})
        self.plan = plan(old, now, keys)
        self._remembered.keeping = self.plan is not None  # an incremental build
        return now

    def _make_ntriples(self) -> Path:
        from kg.cache import temporary_file
        from kg.rdf import write_ntriples

        return temporary_file(".nt", lambda f: write_ntriples(self.wiki, self.config, f))

    def _global_key(self, unsafe_html: bool, own: bool) -> str:
        """What every page depends on: code, templates, settings. With templates of the
        wiki's own, which may show anything of the wiki, every note is in it too."""
        # not where (the same pages anywhere), nor the queries' time (their pages' key)
        settings = repr(replace(self.config, out=Path("."), query_seconds=0.0))
        parts: list[Any] = [code_stamp(), self.templates, settings, unsafe_html]
        if own:
            parts += [self.notes, list(self.wiki.placeholders.values()), self.today]
        return key_of(*parts)

    # -- helpers shared by every page ----------------------------------------------------

    def _page(self, template: str, path: PagePath, *, nav: str = "", absolute: bool = False,
              key: object = None, late: dict[str, Callable[[], Any]] | None = None,
              shows: tuple[str, ...] | None = None, stream: bool = False,
              **context: Any) -> Page:
        """The page at ``path`` from ``template``: keyed by ``context`` and ``key`` (what it
        shows that the context does not hold), rendered with ``late``'s values added, which
        are made only if the page is (a note's body). A page that lists notes names the
        fields it ``shows`` of each, so that other edits of a note leave it alone. A
        ``stream`` page (a list of every note or question: 30 MB of HTML at 10,000 notes)
        is written to its file as it renders, never held whole. An ``absolute`` page (the
        404 page, served at any address) links from the site's root: ``base_url``, else
        ``/``."""
        page_key = key_of(self.global_key, template, path, nav, absolute, key, context,
                          note_fields=shows)

        def values() -> dict[str, Any]:
            found = dict(context)
            for name, value in (late or {}).items():
                found[name] = value()
            return self._context(path, nav, absolute, found)

        def make() -> bytes:
            with _template_errors(template, path, self.own_templates):
                html = self.env.get_template(template).render(values())
            return html.encode("utf-8")

        def write(target: Path) -> None:
            with _template_errors(template, path, self.own_templates), open(target, "wb") as f:
                pieces = self.env.get_template(template).generate(values())
                while batch := list(itertools.islice(pieces, 4096)):  # a piece may be ""
                    f.write("".join(batch).encode("utf-8"))

        return Page(path, page_key, make, write if stream else None)

    def _context(self, path: PagePath, nav: str, absolute: bool,
                 context: dict[str, Any]) -> dict[str, Any]:
        """What every template is given, and ``context``."""
        return {
            "site": self.config,
            "wiki": self.wiki,
            "page_path": path,
            "root": (self.base_url or "/") if absolute else "../" * path.count("/"),
            "nav": nav,
            "canonical": self.base_url + path if self.base_url else "",
            "tier_label": self.config.tier_label,
            "today": self.today,
            "today_basis": self.today_basis,
            **self._helpers(path, absolute),
            **context,
        }

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
        base = (self.base_url or "/") if absolute else None

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
            text = isolate(text)  # a question's U+202E does not reverse the note named after it
            if not _MARKUP.search(text):
                return escape(text)  # plain text, the common case: no parser needed
            return Markup(self.md.renderInline(text, {"resolve": self._link_resolver(here, None)}))

        def tex(text: str) -> Markup:
            """A line shown inside a link: its TeX typeset, nothing else read (see ``inline``)."""
            text = isolate(text)
            if "$" not in text and "\\" not in text:
                return escape(text)
            return Markup(self.tex_md.renderInline(text))

        helpers: dict[str, Callable[..., Any]] = {
            "url": url, "note_url": note_url, "tier_url": tier_url, "tag_url": tag_url,
            "inline": inline, "tex": tex,
        }
        context = (folder, absolute, base, tuple(sorted(self.config.tiers.items())),
                   self.tags_key)
        helpers.update(snippets(url, tier_url, tag_url, self.config.tier_label,
                                self._remembered, context))
        helpers["tracker_rows"] = partial(tracker_rows, helpers=helpers, wiki=self.wiki)
        helpers["angle_sections"] = partial(angle_sections, helpers=helpers)
        self._helper_cache[key] = helpers
        return helpers

    def _link_resolver(self, here: PagePath, folder: str | None,
                       rooted: bool = False) -> LinkResolver:
        """Where a link written in a note of ``folder`` leads (None: not in a note);
        ``rooted``, a Markdown link to a note's file (:meth:`Resolver.resolve`)."""
        def resolve(target: str, heading: str | None) -> LinkTarget | None:
            nid = self._target_id(target, folder, rooted)
            if nid is None:
                return None  # ambiguous: already reported by the resolve stage
            if nid not in self.wiki.notes and nid not in self.wiki.placeholders:
                return None  # no page to link to (a link the graph does not hold)
            # the page (the renderer adds the heading's or block's anchor)
            return LinkTarget(link(here, note_page(nid)), self.wiki.node_label(nid),
                              nid in self.wiki.notes)

        return resolve

    def _links(self, texts: Iterable[str], here: PagePath,
               targets: set[tuple[str, bool]] | None = None,
               folder: str | None = None) -> tuple[Any, ...]:
        """Where every ``[[wikilink]]`` and Markdown link to a note (from ``folder``) in
        ``texts`` leads, as the renderer will ask: part of the key of a page that renders
        them (a note made later may take a link's name). The names looked up are added to
        ``targets``, each with whether it is a Markdown link's (``rooted``)."""
        texts = list(texts)
        joined = "\0".join(texts)  # 55,000 questions and angles, most often without a link:
        if "[[" not in joined and "](" not in joined:  # looked for at once
            return ()
        resolvers = (self._link_resolver(here, folder), self._link_resolver(here, folder, True))
        found: list[Any] = []
        for text in texts:
            asked: list[tuple[str, tuple[str, str | None] | None, bool]] = []
            if "[[" in text:
                for m in WIKILINK_SPAN.finditer(text):
                    wikilink = parse_wikilink(m.group(1))
                    asked.append((m.group(1), (from_folder(wikilink[0], folder or ""), wikilink[1])
                                  if wikilink else None, False))
            if "](" in text:
                asked += [(m.group(0), note_link_target(m.group(2), folder or ""), True)
                          for m in MD_LINK.finditer(text)]
            for written, parsed, rooted in asked:
                if parsed is not None:
                    found.append((written, resolvers[rooted](parsed[0], parsed[1])))
                    if targets is not None:
                        targets.add((parsed[0], rooted))
        return tuple(found)

    def _target_id(self, target: str, folder: str | None, rooted: bool = False
                   ) -> NoteId | None:
        """The node a link's target names, as :meth:`_link_resolver` finds it."""
        try:
            return (self.resolver.resolve(target, folder=folder, rooted=rooted)
                    or self.resolver.placeholder(target))
        except ResolveError:
            return None

    def _labels(self, nids: Iterable[NoteId]) -> dict[str, tuple[str, bool]]:
        """The label and existence of nodes a page names through ``wiki``, for its key."""
        return {nid: (self.wiki.node_label(nid), nid in self.wiki.notes) for nid in sorted(nids)}

    # -- notes ---------------------------------------------------------------------------

    def note(self, note: Note) -> Page:
        path = note_page(note.id)
        key = (self._kept_keys[note.id] if note.id in self._kept_keys  # found by tasks()
               else self._kept(note))
        if key is not None:  # nothing it shows changed: its key is the last build's
            return Page(path, key, lambda: self._note(note, path).make(), reads=Kept.READS)
        return self._note(note, path)

    def _kept(self, note: Note) -> str | None:
        """The last build's key of the page of ``note``, if the plan keeps it."""
        if self.plan is None:
            return None
        kept = self.plan.kept(note_page(note.id), (note.path, note.digest), note.tags,
                              bool(note.forecasts))
        return kept[0] if kept is not None else None

    def page_reads(self, made: Iterable[Made]) -> dict[str, Reads]:
        """What each note's and placeholder's page was made from, for the next build's plan;
        a kept page's reads are the last build's (a worker sends back only that it kept it)."""
        old = self.plan.pages if self.plan is not None else {}
        return {m.path: old[m.path] if m.reads is Kept.READS else m.reads
                for m in made if m.reads is not None}

    def _note(self, note: Note, path: PagePath) -> Page:
        questions = self.views.questions.get(note.id, [])
        written = note.source.written if note.source else None  # source: "[[Smith 2020]]"
        texts = [note.body, *(q.question.text for q in questions),
                 *(t for a in note.angles for t in (a.title, a.text)), written or ""]
        targets: set[tuple[str, bool]] = set()
        folder = folder_of(note)
        links = self._links(texts, path, targets, folder)
        answered_by = {nid for q in questions for nid in q.answered_by}
        local_graph = self.graphs.local_graph(note.id)
        shown = {note.id, *self._ends(note.id), *answered_by,
                 *(row[0] for row in local_graph["nodes"]),
                 *(nid for t, rooted in targets
                   if (nid := self._target_id(t, folder, rooted)) is not None)}
        page = self._page(
            "note.html",
            path,
            key=(links,
                 self._labels(answered_by),
                 [(t, self.views.tag_slugs[t]) for t in note.tags],
                 self.today if note.forecasts else None,
                 self.attached.get(note.id)),
            late={"body": lambda: Markup(render(self.md, without_title(note.body, note.title),
                                                self._link_resolver(path, folder),
                                                folder, self._attachment_resolver(note, path),
                                                self._tag_resolver(note, path),
                                                self._link_resolver(path, folder, True))),
                  "source_links": lambda: written and Markup(render_links(
                      self.links_md, written, self._link_resolver(path, folder), folder or ""))},
            note=note,
            source_url=safe_url(note.source.url if note.source else None),
            view=self.views.connections(note.id),
            questions=questions,
            local_graph=local_graph,
            jsonld=self._jsonld(note),
            degree=self.views.degree.get(note.id, 0),
        )
        names = [name for t, _ in targets for name in lookup_names(t, folder)]
        if note.id in self.attached:
            names.append(f"a:{note.id}")
        return replace(page, reads=Reads.of((note.path, note.digest), shown, names))

    def _tag_resolver(self, note: Note, here: PagePath) -> TagResolver:
        """Links to the pages of the note's own tags, which its page's key holds: a ``#tag``
        the note scanner did not take as one (in a table cell) stays text."""
        own = set(note.tags)

        def find(tag: str) -> str | None:
            name = tag_name(tag)
            slug = self.views.tag_slugs.get(name) if name in own else None
            return link(here, page(f"tags/{slug}.html")) if slug else None

        return find

    def _attachment_resolver(self, note: Note, here: PagePath) -> AttachmentResolver:
        found = {ref: rel for ref, rel in self.attached.get(note.id, ()) if rel is not None}
        up = "../" * here.count("/")
        return lambda ref: up + attachment_href(found[ref]) if ref in found else None

    def attachment_pages(self) -> list[Page]:
        """The files notes embed or link, copied at their path in the wiki under ``files/``;
        keyed by their stat, so a file is read only when it changed."""
        rels = sorted({rel for found in self.attached.values() for _, rel in found if rel})
        pages = []
        for rel in rels:
            source = self.config.wiki / rel
            try:
                st = source.stat()
            except OSError:
                continue  # removed since it was found: the reference shows as written
            key = data_key(f"{rel}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|"
                           f"{st.st_ino}".encode())
            pages.append(Page(page(site_path(rel)), key, partial(_read_file, source),
                              partial(_copy_file, source)))
        return pages

    @property
    def unresolved_attachments(self) -> bool:
        """Whether a note names a file the wiki does not have (yet: adding it must be seen
        by the next build, which a stat of the notes would not show)."""
        return any(rel is None for found in self.attached.values() for _, rel in found)

    def _ends(self, nid: NoteId) -> Iterator[NoteId]:
        """The other end of every edge of ``nid``."""
        for edge in self.views.out.get(nid, ()):
            yield edge.target
        for edge in self.views.inc.get(nid, ()):
            yield edge.source

    def placeholder(self, nid: NoteId) -> Page:
        path = note_page(nid)
        if self.plan is not None and (kept := self.plan.kept(path, None)) is not None:
            return Page(path, kept[0], lambda: self._placeholder(nid, path).make(),
                        reads=Kept.READS)
        return self._placeholder(nid, path)

    def _placeholder(self, nid: NoteId, path: PagePath) -> Page:
        local_graph = self.graphs.local_graph(nid)
        page = self._page("placeholder.html", path, placeholder=self.wiki.placeholders[nid],
                          view=self.views.connections(nid), local_graph=local_graph)
        shown = {nid, *self._ends(nid), *(row[0] for row in local_graph["nodes"])}
        return replace(page, reads=Reads.of(None, shown, ()))

    def _jsonld(self, note: Note) -> dict[str, Any]:
        """The note's JSON-LD island: schema.org's terms, as search engines read them, and,
        read as RDF (:data:`JSONLD_CONTEXT`, inline), triples of the graph about the note,
        its authors, its source and its questions, with the graph's IRIs; but for its
        ``url``, ``keywords`` (the tags as text) and ``citation`` (the notes it links), which
        the graph says otherwise or not at all."""
        iris = Iris(self.config.base_iri)
        data: dict[str, Any] = {
            "@context": JSONLD_CONTEXT,
            "@type": TYPE_CLASSES.get(note.type, "CreativeWork"),
            "@id": _iri_text(iris.note(note.id)),
            "identifier": note.id,
            "name": note.title,
            "genre": note.type,
        }
        if self.base_url:
            data["url"] = self.base_url + note_page(note.id)
        if note.date:
            data["datePublished"] = note.date.isoformat()
        if note.modified:
            data["dateModified"] = note.modified.isoformat()
        if note.authors:
            data["author"] = [{"@type": "Person", "@id": _iri_text(iris.person(a)), "name": a}
                              for a in note.authors]
        if note.tags:
            data["keywords"] = list(note.tags)
        if note.summary:
            data["abstract"] = note.summary
        source = note.source
        if source and source.url:
            if safe_url(source.url):  # the graph's IRI of it, which is its url too
                url = _iri_text(source.url)
                based: dict[str, Any] = {"@type": "CreativeWork", "@id": url, "url": url}
                if source.title:
                    based["name"] = source.title
                if source.publisher:
                    based["publisher"] = source.publisher  # a name, as in the graph
                data["isBasedOn"] = based
        elif source and (source.title or source.publisher):
            data["isBasedOn"] = source.title or source.publisher  # the graph's text of it
        if note.aliases:
            data["alternateName"] = list(note.aliases)
        cited = sorted({e.target for e in self.views.out.get(note.id, [])
                        if e.target in self.wiki.notes})
        if cited:
            data["citation"] = [{"@id": _iri_text(iris.note(nid))} for nid in cited]
        if note.questions:
            data["hasPart"] = [
                {"@type": "Question", "@id": _iri_text(iris.item(q.id)), "text": q.text}
                for q in note.questions
            ]
        return data

    # -- index pages ---------------------------------------------------------------------

    def index(self) -> Page:
        tiers = [(t, notes[:PER_TIER_ON_HOME], len(notes))
                 for t, notes in self.views.tier_rows(self.config.tiers) if notes]
        return self._page("index.html", page("index.html"), nav="home", key=self.tags_key,
                          shows=LISTED,
                          recent=list(itertools.islice(filter(_DATED, self.views.by_date),
                                                       RECENT)),
                          tiers=tiers, tags=self.views.top_tags(40),
                          counts=self.views.counts())

    def tier_pages(self) -> Iterator[Page]:
        rows = self.views.tier_rows(self.config.tiers)
        # a tier page lists its own notes and shows the other tiers' counts: an edit to a
        # note's summary makes its own tier's page again, not every tier's
        counts = [(tier, len(notes)) for tier, notes in rows]
        for tier, notes in rows:
            name = "none" if tier is None else str(tier)
            yield self._page("tier.html", page(f"tiers/{name}.html"), nav="tiers", stream=True,
                             key=(self.tags_key, counts,
                                  key_of(note_list(notes), note_fields=LISTED)),
                             tier=tier,
                             late={"notes": partial(list, notes), "all_tiers": lambda: rows})

    def tag_pages(self) -> Iterator[Page]:
        yield self._page("tags.html", page("tags.html"), nav="tags", key=self.tags_key,
                         tags=self.views.top_tags())
        for tag, notes in self.views.by_tag.items():
            yield self._page("tag.html", page(f"tags/{self.views.tag_slugs[tag]}.html"),
                             nav="tags", key=self.tags_key, shows=LISTED, stream=True,
                             tag=tag, notes=note_list(notes))

    def timeline(self) -> Page:
        return self._page("timeline.html", page("timeline.html"), nav="timeline", stream=True,
                          shows=("id", "title", "tier", "date", "summary"),
                          months=[(month, note_list(notes))
                                  for month, notes in self.views.timeline()])

    def placeholders(self) -> Page:
        return self._page("placeholders.html", page("placeholders.html"), nav="placeholders",
                          rows=self.views.placeholder_rows())

    # -- trackers ------------------------------------------------------------------------

    def questions(self) -> Page:
        tracked = self.wiki.questions
        notes = self.wiki.notes
        asking = [notes[nid] for nid in self.views.questions if nid in notes]  # in their order

        def rows() -> list[tuple[TrackedQuestion, Note | None, int | None]]:
            made = []
            for tq in sorted(tracked, key=open_first):
                note = notes.get(tq.question.note)
                made.append((tq, note, question_age(tq, note, self.today)))
            return made

        path = page("questions.html")
        # keyed by what the rows are made from, not by the rows (25,000 at 10,000 notes):
        # each asking note's questions and the fields the tracker shows of it (hashed once
        # per record), each question's state (kept per record), the day (ages)
        marks = _QUESTION_MARKS.of(tracked)
        marked = set(marks)
        linking = _marked(tracked, marks, marked, 1)
        answered = _marked(tracked, marks, marked, 4)
        return self._page("questions.html", path, nav="questions", stream=True,
                          key=(self.today, self.today_basis, self.tags_key,
                               self._links(map(_QUESTION_TEXT, linking), path),
                               self._labels(set(_chained(answered, "answered_by"))),
                               blake2b(b"".join(_QUESTION_STATES.of(tracked)),
                                       digest_size=16).digest(),
                               key_of(NoteList(asking), note_fields=TRACKER_FIELDS)),
                          tags=sorted(set(_chained(asking, "tags"))),
                          tiers=sorted({n.tier for n in asking if n.tier is not None}),
                          math=any(mark & 2 for mark in marked),
                          late={"rows": rows})

    def angles(self) -> Page:
        notes = NoteList(self.views.angle_rows())
        path = page("angles.html")
        marks = _ANGLE_MARKS.of(notes)
        marked = set(marks)
        linking = _marked(notes, marks, marked, 1)
        return self._page("angles.html", path, nav="angles", stream=True,
                          key=self._links(_chained(_chained(linking, "angles"), "title", "text"),
                                          path),
                          shows=("id", "title", "tier", "date", "angles"), notes=notes,
                          math=any(mark & 2 for mark in marked))

    def forecasts(self) -> Page:
        fv = self.views.forecasts(self.today)
        names = sorted({f.resolved_by for note in self.notes for f in note.forecasts
                        if f.resolved_by})
        resolved = {name: self._resolved_by(name) for name in names}
        return self._page("forecasts.html", page("forecasts.html"), nav="forecasts",
                          key=(self.today, self.today_basis, resolved,
                               self._labels(n for n in resolved.values() if n is not None)),
                          shows=("id", "title"), fv=fv,
                          late={"resolver_link": lambda: self._resolved_by})

    def _resolved_by(self, name: str | None) -> NoteId | None:
        """The note a forecast's ``resolved_by`` names, as the graph's ``kg:resolvedBy``
        does (:func:`kg.resolve.forecast_resolvers`); None when it names none (or two)."""
        nid = forecast_resolvers(self.wiki).get(name) if name else None
        return nid if nid is not None and nid in self.wiki.notes else None

    # -- graph and search ----------------------------------------------------------------

    def graph(self) -> Iterator[Page]:
        """The global graph: its data made (and laid out) once, only if nodes or edges
        changed; a note's text does not move it."""
        g = self.graphs
        key = _graph_key((self.global_key, tuple(g._nodes), tuple(g._nodes.values()),
                          g._edges, tuple(g.relations()), tuple(g.tiers()),
                          tuple(self.views.by_tag)))
        data = cache(g.global_graph)

        def script() -> bytes:
            return b"window.KG_GRAPH = " + json.dumps(
                data().as_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8") + b";\n"

        yield Page(page("data/graph.js"), key, script)
        yield self._page("graph.html", page("graph.html"), nav="graph", key=key,
                         late={"data": data})

    def search(self) -> Iterator[Page]:
        """``search.json``, its entries made one at a time into the file (40 MB at 10,000
        notes, never held), then ``data/search.js``, the same entries copied from it."""
        def made(head: bytes, tail: bytes) -> bytes:  # (tests, small sites)
            buffer = io.BytesIO()
            write_index(buffer, index_entries(self.wiki), head, tail)
            return buffer.getvalue()

        def json_file(target: Path) -> None:
            def whole(f: IO[bytes]) -> None:
                write_index(f, index_entries(self.wiki), INDEX_HEAD, INDEX_TAIL)

            self.splices.write_search("search.json", target, INDEX_HEAD, INDEX_TAIL, whole=whole)

        def script_file(target: Path) -> None:
            def whole(f: IO[bytes]) -> None:
                try:  # the index this task has just put in the same folder
                    rewrap(target.parent.parent / "search.json", f, SCRIPT_HEAD, SCRIPT_TAIL)
                except FileNotFoundError:
                    write_index(f, index_entries(self.wiki), SCRIPT_HEAD, SCRIPT_TAIL)

            self.splices.write_search("data/search.js", target, SCRIPT_HEAD, SCRIPT_TAIL,
                                      whole=whole)

        yield Page(page("search.json"), self.search_key, partial(made, INDEX_HEAD, INDEX_TAIL),
                   json_file)
        yield Page(page("data/search.js"), self.search_key,
                   partial(made, SCRIPT_HEAD, SCRIPT_TAIL), script_file)
        yield self._page("search.html", page("search.html"), nav="search",
                         key=len(self.wiki.notes))

    # -- the graph's files and the saved queries -----------------------------------------

    def graph_files(self) -> Iterator[Page]:
        """graph.nt, graph.ttl, graph.jsonld, vocab.ttl and the saved queries' pages: one
        task, since all of them are made from one N-Triples file, made at most once (or
        none: the exports spliced from the last build's, :mod:`kg.splice`)."""
        from kg import rdf
        from kg.vocab import vocabulary_turtle

        nt = self._ntriples

        def write_nt(target: Path) -> None:
            self.splices.write_graph("nt", target, lambda _: copy_ntriples(nt(), target),
                                     then=self._kept_ntriples)

        def write_from_nt(fmt: str, target: Path) -> None:  # from graph.nt, just made above
            try:
                self.splices.write_graph(fmt, target, lambda _: rdf.serialize_file(
                    target.with_name("graph.nt"), fmt, target))
            except SyntaxError as err:  # the cache's triples, damaged in place
                from kg.cache import damaged_ntriples

                raise damaged_ntriples(nt(), err) from None

        yield Page(page("graph.nt"), self.rdf_key, lambda: ntriples_bytes(nt()), write_nt)
        for fmt in ("ttl", "jsonld"):
            yield Page(page(f"graph.{fmt}"), self.rdf_key,
                       partial(lambda f: rdf.serialize(ntriples_bytes(nt()), f), fmt),
                       partial(write_from_nt, fmt))
        vocab = vocabulary_turtle().encode("utf-8")
        yield Page(page("vocab.ttl"), data_key(vocab), lambda: vocab)
        yield from self.query_pages(self.rdf_key)

        def done() -> None:
            if nt.made:  # made for these pages: a temporary file done with
                from kg.cache import discard_temporary

                discard_temporary(nt())

        self.splices.after(done)  # once the exports are written (beside, they may not be yet)

    def query_pages(self, graph_key: str) -> Iterator[Page]:
        results = cache(self._run_queries)
        key = (graph_key, self.config.query_seconds)
        for i, query in enumerate(self.queries):
            yield replace(
                self._page("query.html", query_page(query), nav="queries", key=key,
                           query=query, late={"result": partial(lambda n: results()[n][1], i)}),
                settled=partial(lambda n: results()[n][1].settled, i))
        yield replace(
            self._page("queries.html", page("queries.html"), nav="queries",
                       key=(key, self.queries), late={"results": results}),
            settled=lambda: all(result.settled for _, result in results()))

    def _run_queries(self) -> list[tuple[SavedQuery, QueryResult]]:
        if not self.queries:
            return []
        from kg import rdf

        self.splices.triples_written()  # the spliced ones, kept, rather than made again
        runner = QueryRunner(rdf.to_store(self._ntriples()), self.wiki, self.config)
        seconds = self.config.query_seconds
        return [(query, runner.run_within(query, seconds)) for query in self.queries]

    # -- feed, sitemap, 404 --------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return self.base_url + path

    def feed(self) -> Page:
        entries = list(itertools.islice(filter(_DATED, self.views.by_date), FEED_ENTRIES))
        updated = entries[0].date if entries and entries[0].date else dt.date(1970, 1, 1)

        def make() -> bytes:
            xml = self.env.get_template("feed.xml").render(
                site=self.config, entries=entries, updated=updated, absolute=self.absolute,
                note_page=note_page, feed_id=f"{self.config.base_iri}feed",
                note_iri=lambda nid: f"{self.config.base_iri}note/{nid}",
            )
            return xml.encode("utf-8")

        return Page(page("feed.xml"), key_of(self.global_key, "feed", entries, updated), make)

    def sitemap(self, paths: Iterable[str]) -> Page | None:
        """The sitemap of the pages made (every ``.html`` but the 404 page); None without a
        ``base_url``: a sitemap lists full URLs, and readers reject relative ones."""
        if not self.base_url:
            return None
        pages = sorted(p for p in paths if p.endswith(".html") and p != "404.html")
        dates: dict[str, dt.date] = {
            note_page(n.id): n.date for n in self.notes if n.date
        }
        dates = {p: dates[p] for p in pages if p in dates}

        def make() -> bytes:
            xml = self.env.get_template("sitemap.xml").render(
                pages=pages, dates=dates, absolute=self.absolute)
            return xml.encode("utf-8")

        return Page(page("sitemap.xml"), key_of(self.global_key, "sitemap", pages, dates), make)

    def not_found(self) -> Page:
        return self._page("404.html", page("404.html"), absolute=True)

    # -- everything ----------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        """Every page but the sitemap, in groups made together; the slowest first, so that
        a pool of workers finishes together, but the global graph's, made last and
        :class:`~kg.incremental.Alone` (its layout imports numpy, networkx and pyvis)."""
        tasks: list[Task] = [
            self.graph_files, self.search,
            lambda: [self.questions()], lambda: [self.angles()], lambda: [self.timeline()],
            self.tag_pages, self.tier_pages,
            lambda: [self.index(), self.forecasts(), self.placeholders(), self.not_found(),
                     self.feed()],
        ]
        made: list[Note] = []
        kept: list[Note] = []
        keys: list[str] = []
        for note in self.notes:
            key = self._kept_keys[note.id] = self._kept(note)
            if key is None:
                made.append(note)
            else:
                kept.append(note)
                keys.append(key)
        self.making = len(made)
        for start in range(0, len(made), NOTES_PER_TASK):
            tasks.append(partial(map, self.note, made[start:start + NOTES_PER_TASK]))
        for start in range(0, len(kept), KEPT_PER_TASK):
            run = kept[start:start + KEPT_PER_TASK]
            tasks.append(KeptPages([note_page(n.id) for n in run],
                                   keys[start:start + KEPT_PER_TASK], Kept.READS,
                                   partial(lambda notes, n: self.note(notes[n]), run)))
        ids = sorted(self.wiki.placeholders)
        for start in range(0, len(ids), NOTES_PER_TASK):
            tasks.append(partial(map, self.placeholder, ids[start:start + NOTES_PER_TASK]))
        tasks.append(lambda: static_assets(self.dirs))
        tasks.append(self.attachment_pages)
        tasks.append(Alone(self.graph))
        return tasks

    def task_done(self) -> None:
        """Forget the snippets rendered for the last task's pages: a task makes a group of
        pages together (every tag page, a run of notes), and what its lists repeat is
        rendered once for the group. Kept for the whole build, they were 40 MB of the
        build's process at 10,000 notes, and as much again in each worker."""
        self._helper_cache.clear()

    def page_count(self) -> int:
        """The wiki's note and placeholder pages, made or kept: how large its lists, trackers
        and exports are, which every build makes or splices."""
        return len(self.wiki.notes) + len(self.wiki.placeholders)

    def warm(self) -> None:
        """Make now what an edit's build makes of every note (``kg serve``, once its first
        build is done, before it serves): each node's facts, the exports' states, the
        list pages' keys and the lines they show, so that the first edit takes them again
        as the later ones do (at 10,000 notes it took 2.4 s, the next ones 0.7 s). Nothing
        is written but to the null device."""
        node_facts(self.views)
        self.splices.states(None, None)
        self._remembered.keeping = True
        self.questions()  # (its key: 25,000 rows of which no line is kept)
        self.angles()
        for made in (self.timeline(), *self.tag_pages(), *self.tier_pages(), self.index()):
            if made.write is not None:
                made.write(Path(os.devnull))
            else:
                made.make()

    def an_edit(self) -> bool:
        """Whether this build is an edit's (its exports spliced, few note pages made), which
        a forked worker may not pay for: it copies every page of memory either process
        then writes a record's reference count on (``kg serve``'s trackers' keys took twice
        as long beside one), and an edit's pages are mostly the splicing of the exports,
        which a thread can do (:meth:`kg.splice.Splices.beside`)."""
        return self.splices.planned and self.making < PARALLEL_MIN

    def outputs(self) -> Iterator[Output]:
        """Every file of the site, made in this process (tests, and small sites)."""
        paths: list[str] = []
        for task in self.tasks():
            for made in task():
                paths.append(made.path)
                yield Output(PagePath(made.path), made.make())
        for made in self.static(paths):
            paths.append(made.path)
            yield Output(PagePath(made.path), made.make())
        sitemap = self.sitemap(paths)
        if sitemap is not None:
            yield Output(PagePath(sitemap.path), sitemap.make())

    def static(self, made: Iterable[str]) -> list[Page]:
        """The files of ``static/`` beside kg.toml, as they are, at the same paths in the
        site (a ``CNAME``, a ``.nojekyll``, a ``robots.txt``); none may take the path of a
        page kg ``made``."""
        folder = self.config.root / "static"
        if not folder.is_dir() or not (self.config.root / "kg.toml").is_file():
            return []  # a project's own static/ is not the wiki's without a kg.toml
        taken = {*made, SITE_MARKER, *(["sitemap.xml"] if self.base_url else [])}
        pages = []
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.is_symlink() or scratch(path.name):
                continue
            rel = path.relative_to(folder).as_posix()
            if rel in taken:
                raise ConfigError(f"{path} has the path of a file kg makes ({rel})",
                                  file=path, hint="rename it, or remove it from static/")
            try:
                if not rel.isprintable():
                    raise ValueError(rel)
                target = page(rel)
                data = path.read_bytes()
            except (ValueError, OSError) as err:
                raise ConfigError(f"{path} cannot be published: {err}", file=path,
                                  hint="rename it (printable characters, no backslash), "
                                       "or make it readable") from err
            pages.append(Page(target, data_key(data), partial(bytes, data)))
        return pages


def folder_of(note: Note) -> str:
    """The folder of a note's file in the wiki ('' at its root)."""
    return note.path.rpartition("/")[0]


def _copy_file(source: Path, target: Path) -> None:
    import shutil

    _attachment(source).close()  # readable, or an error naming it
    shutil.copyfile(source, target)  # by the kernel (sendfile): a video attachment


def _read_file(source: Path) -> bytes:
    with _attachment(source) as read:
        return read.read()


def _attachment(source: Path) -> IO[bytes]:
    """An attachment opened to be published: one that cannot be read (its permissions) is
    an error naming it, not the site's ("could not write the site")."""
    try:
        return open(source, "rb")
    except OSError as err:
        raise KgError(f"cannot read the attachment: {err.strerror or err}", file=source,
                      hint="check the file's permissions, or remove the reference to it") from None


def static_assets(dirs: Sequence[Path] | None = None) -> list[Page]:
    """The theme's ``assets/``; a file of the same path in a wiki's templates wins."""
    chosen: dict[str, Path] = {}
    for folder in reversed(list(dirs) if dirs is not None else [theme_dir()]):
        assets = folder / "assets"
        if not assets.is_dir():
            continue
        for path in assets.rglob("*"):
            if path.is_file() and not path.is_symlink():
                chosen[path.relative_to(assets).as_posix()] = path
    pages = []
    for rel in sorted(chosen):
        data = chosen[rel].read_bytes()
        pages.append(Page(page("assets/" + rel), data_key(data), partial(bytes, data)))
    return pages
