"""The body of a note: its sections, its ``[[wikilinks]]``, its questions and research angles.

The body is scanned line by line (fenced code and inline code skipped), so every item keeps
the file line it was written on. Rendering to HTML is :mod:`kg.markdown`'s job, at emit time.
"""

from __future__ import annotations

import bisect
import posixpath
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from kg import attachments
from kg.ids import from_folder as from_folder  # where the renderer and checks take it

WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
BLOCK_REF = re.compile(r"\(\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{12})\)\)")
"""A Logseq block reference, ``((65a1b2c3-…))``: a link to the block whose ``id::`` is that
uuid, in whichever note holds it."""
BLOCK_UUID = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?id:: *([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})[ \t]*$", re.MULTILINE)
"""A block's ``id::`` line as Logseq writes it once the block is referred to."""
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})[ \t]+")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_BULLET = re.compile(r"^( {0,3})[-*+][ \t]+(.*)$")
_ORDERED = re.compile(r"^( {0,3})(\d{1,9})[.)][ \t]+(.*)$")
_TASK = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_STRIKE = re.compile(r"^~~(?!~)(.+?)(?<!~)~~(?!~)(.*)$")
_NESTED_ITEM = re.compile(r"^\s+(?:[-*+]|\d{1,9}[.)])[ \t]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[\"“(])")
_MARKUP = re.compile(r"[*_`]+")
_MARKS = re.compile(r"[*`]+")
EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w\\])_+(?=\w)|(?<=\w)_+(?![\w{])")
"""``_`` that opens or closes emphasis; not one inside a word (``reward_hacking``,
``x_1``) nor TeX's (``\\sum_{i=1}``)."""
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
UNPUBLISHED_KINDS = frozenset({
    "svg", "html", "htm", "xls", "xlsx", "zip", "canvas", "excalidraw",
    "heic", "heif", "tif", "tiff", "mov", "mkv", "avi", "doc", "docx", "ppt", "pptx", "odt",
    "ods", "odp", "rtf", "epub", "bib", "ris", "ipynb", "json", "drawio", "gz", "tgz", "7z",
    "rar",
})
"""Files, not notes, that the site never publishes (an ``.svg`` or ``.html`` would run its
scripts in it; the others a browser does not show): ``[[plan.xlsx]]`` names no note, nor do
a phone's photo, ``![[IMG_1.heic]]``, and ``![[Drawing.excalidraw]]`` (Obsidian's name of
``Drawing.excalidraw.md``, never read). Not ``js`` nor ``net``: ``[[Node.js]]`` and
``[[ASP.NET]]`` are notes."""
_NON_NOTE_EXT = re.compile(
    r"\.(" + "|".join(sorted(attachments.KINDS | UNPUBLISHED_KINDS)) + r")$", re.I)
"""A target with one of these extensions names a file, not a note (``![[chart.png]]``)."""

SECTION_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tldr", ("tl;dr", "tldr", "tl dr", "summary",
              "zusammenfassung", "kurzfassung", "resume", "en bref", "synthese", "resumen",
              "en resumen", "riassunto", "in breve", "sintesi", "resumo", "em resumo",
              "samenvatting")),
    ("why", ("why it matters", "why this matters", "significance",
             "warum es wichtig ist", "warum das wichtig ist", "warum es zahlt", "bedeutung",
             "relevanz", "pourquoi c'est important", "pourquoi cela compte",
             "pourquoi ca compte", "enjeux", "por que importa",
             "por que es importante", "por que esto importa", "importancia", "relevancia",
             "perche e importante", "perche conta", "importanza", "rilevanza",
             "por que e importante", "porque importa",
             "waarom het ertoe doet", "waarom het belangrijk is", "waarom dit belangrijk is",
             "belang")),
    ("connections", ("connections", "related",
                     "verbindungen", "zusammenhange", "bezuge", "connexions", "liens",
                     "conexiones", "relaciones", "connessioni", "collegamenti", "conexoes",
                     "ligacoes", "verbindingen", "verbanden")),
    ("angles", ("research angle", "research angles", "research directions",
                "forschungsansatz", "forschungsansatze", "forschungsrichtung",
                "forschungsrichtungen", "forschungsfragen und ansatze", "piste de recherche",
                "pistes de recherche", "angle de recherche", "axes de recherche",
                "linea de investigacion", "lineas de investigacion",
                "angulo de investigacion", "enfoque de investigacion", "linea di ricerca",
                "linee di ricerca", "spunti di ricerca", "direzioni di ricerca",
                "linha de pesquisa", "linhas de pesquisa", "angulo de pesquisa",
                "direcoes de pesquisa", "onderzoekshoek", "onderzoeksrichting",
                "onderzoeksrichtingen")),
    ("questions", ("open questions", "questions", "open question",
                   "offene fragen", "offene frage", "fragen", "questions ouvertes",
                   "questions en suspens", "question ouverte", "preguntas abiertas",
                   "pregunta abierta", "preguntas", "cuestiones abiertas", "domande aperte",
                   "domande", "questioni aperte", "perguntas abertas", "perguntas",
                   "questoes em aberto", "questoes abertas", "open vragen", "vragen")),
)
"""The sections a note's (and a digest's) headings name, in English and in German, French,
Spanish, Italian, Portuguese and Dutch; each name is written without its accents, as a
heading is compared (``Résumé``, ``Pourquoi c’est important``, ``Líneas de investigación``)."""
_SECTION_OF = {name: key for key, names in SECTION_KEYS for name in names}
_SECTION_NAME = re.compile(
    "(" + "|".join(re.escape(n) for n in sorted(_SECTION_OF, key=len, reverse=True))
    + r")(?:$|(?=[ (]))")
"""A known section's name at a heading's start, the whole heading or before a space or a
``(`` (``Research angle (Tier 1)``, ``Open questions for later``)."""


@dataclass(frozen=True, slots=True)
class Link:
    target: str
    label: str | None
    heading: str | None
    line: int
    context: str
    rooted: bool = False
    """A Markdown link to a note's file: a path from the note's folder, else from the wiki's
    root (:func:`kg.ids.from_root`); a ``[[wikilink]]`` is the path it writes alone."""
    block: bool = False
    """A Logseq block reference, ``((uuid))``: its target is the block's id."""


@dataclass(frozen=True, slots=True)
class Item:
    """A list item of a section: its text (continuation lines joined), first line, and its
    lead: its text before a list nested in it or a blank line (an open question's own
    words, without the bullets of detail under it)."""

    text: str
    line: int
    lead: str
    number: int | None = None


@dataclass(frozen=True, slots=True)
class RawSection:
    key: str
    heading: str
    line: int
    lines: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class Body:
    h1: str | None
    sections: tuple[RawSection, ...]
    links: tuple[Link, ...]
    words: int
    files: tuple[str, ...] = ()
    """The attachments it links or embeds, as written (:mod:`kg.attachments`)."""
    tags: tuple[str, ...] = ()
    """Its inline ``#tags``, as written."""
    refs: frozenset[str] = frozenset()
    """The labels its reference definitions define (``[c]: …``): ``[text][c]`` reads "text"."""


_COMMENT_OPEN = re.compile(r"%%|<!--")
_COMMENT_CLOSE = {"%%": "%%", "<!--": "-->"}


def strip_comments(body: str) -> str:
    """The body without its comments: Obsidian's ``%%…%%`` and HTML's ``<!-- … -->``, on
    one line or many. A comment is the writer's, not the reader's: it is left out of the
    page, the search index and the graph (a link in it is no link). Each comment leaves its
    line breaks, so every line keeps its number; comment marks in code are code, and an
    opening mark never closed is text."""
    if "%%" not in body and "<!--" not in body:
        return body
    code = _code_ranges(body)
    starts = [start for start, _ in code]

    def code_end(at: int) -> int | None:
        """The end of the code ``at`` is in, if it is in code."""
        i = bisect.bisect_right(starts, at) - 1
        return code[i][1] if i >= 0 and at < code[i][1] else None

    unclosed: set[str] = set()  # marks with no closing mark after the last one tried
    out: list[str] = []
    pos = 0
    search = 0
    while (opened := _COMMENT_OPEN.search(body, search)) is not None:
        mark = opened.group()
        if (skip := code_end(opened.start())) is not None:
            search = skip
            continue
        if mark in unclosed:
            search = opened.end()
            continue
        close = _COMMENT_CLOSE[mark]
        at = opened.end()
        while (end := body.find(close, at)) >= 0 and (skip := code_end(end)) is not None:
            at = skip  # a closing mark in code is code: look after it
        if end < 0:
            unclosed.add(mark)
            search = opened.end()
            continue
        out.append(body[pos:opened.start()])
        out.append("\n" * body.count("\n", opened.start(), end + len(close)))
        pos = search = end + len(close)
    out.append(body[pos:])
    return "".join(out)


def _code_ranges(body: str) -> list[tuple[int, int]]:
    """Where ``body`` holds code: fenced blocks (to their end, or the body's) and inline
    code spans, as (start, end) offsets in order."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    fence: str | None = None
    fence_start = 0
    for line in body.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                ranges.append((fence_start, offset + len(line)))
                fence = None
        elif opened:
            fence, fence_start = opened.group(1), offset
        elif "`" in line:
            ranges.extend((offset + m.start(), offset + m.end())
                          for m in _INLINE_CODE.finditer(line))
        offset += len(line)
    if fence is not None:
        ranges.append((fence_start, len(body)))
    return ranges


def without_code(body: str) -> str:
    """``body`` with its code (fenced blocks, inline spans) blanked, lines kept: what a
    link in it is not."""
    ranges = _code_ranges(body) if "`" in body or "~~~" in body else []
    if not ranges:
        return body
    out: list[str] = []
    pos = 0
    for start, end in ranges:
        out.append(body[pos:start])
        out.append(re.sub(r"[^\n]", " ", body[start:end]))
        pos = end
    out.append(body[pos:])
    return "".join(out)


SHORTCODE_LINK = re.compile(r'\{\{[<%]\s*(?:rel)?ref\s+"([^"\n]+)"\s*[>%]\}\}'
                            r"|\{%\s*(link|post_url)\s+([^\s%]+)\s*%\}")
"""A link's destination as Hugo writes it, ``{{< ref "posts/x.md" >}}`` (``relref``,
``{{% %}}``), or Jekyll, ``{% link _posts/x.md %}``, ``{% post_url 2024-05-01-x %}``."""
MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
                     r"\(\s*(<[^<>\n]*>|" + SHORTCODE_LINK.pattern
                     + r"|(?:[^\s()<>]|\([^\s()<>]*\))+)"
                     r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
"""An inline Markdown link, ``[text](destination "title")``: its text and destination
(which may hold balanced parentheses: ``BERT%20(2018).md``, or be a site generator's
shortcode, :data:`SHORTCODE_LINK`)."""

LINK_DEFINITION = re.compile(r" {0,3}\[([^\[\]\n]{1,999})\]:[ \t]*(<[^<>\n]*>|\S+)")
"""A link reference definition, ``[r]: img/plot.png``: its label and destination (what
``![x][r]`` embeds, ``[x][r]`` links)."""
_QUOTE_MARKS = re.compile(r"^(?: {0,3}> ?)+")
_RULE = re.compile(r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")

REF_LINK = re.compile(r"(?<![!\]\\])\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]"
                      r"(?:\[([^\[\]\n]*)\])?(?![(:\[])")
"""A reference link, ``[text][label]``, ``[text][]`` or ``[text]``: its text and label;
the text may hold brackets one deep (an image: ``[![plot](p.png)][c]``)."""


def ref_label(label: str) -> str:
    """A reference label as Markdown matches it: case and runs of spaces ignored."""
    return " ".join(label.split()).casefold()


def reference_definitions(body: str) -> dict[str, str]:
    """The reference definitions of ``body``: each label's destination. The first definition
    of a label counts, as Markdown reads them; none in code, nor a footnote's (``[^1]:``),
    nor one that would go on a paragraph (a definition cannot interrupt one: it begins
    after a blank line, a heading, a rule or another definition, in a quote too)."""
    first: dict[str, str] = {}
    if "]:" not in body:
        return first
    may_begin = True
    for line in without_code(body).split("\n"):
        inner = _QUOTE_MARKS.sub("", line)
        found = LINK_DEFINITION.match(inner) if may_begin and "]:" in inner else None
        if found is not None:
            if not found.group(1).startswith("^"):
                first.setdefault(ref_label(found.group(1)), found.group(2))
            continue
        text = inner.strip()
        may_begin = not text or text.startswith("#") or _RULE.match(text) is not None
    return first


def note_definitions(body: str, folder: str, defined: Mapping[str, str] | None = None
                     ) -> dict[str, tuple[str, str | None]]:
    """The reference definitions of ``body`` (``defined``, if already read) that name a
    note's file, by label: what ``[text][label]`` links to (:func:`note_link_target`)."""
    found = reference_definitions(body) if defined is None else defined
    return {label: note for label, destination in found.items()
            if (note := note_link_target(destination, folder)) is not None}


def referenced_notes(body: str, folder: str) -> set[tuple[str, str | None]]:
    """The notes that reference links of ``body`` (:data:`REF_LINK`, outside code and
    wikilinks) lead to: those the scanner makes mentions of, and so the only ones the
    renderer may link (a link it reads that the scanner does not would go stale)."""
    refs = note_definitions(body, folder)
    if not refs:
        return set()
    # a paragraph's lines read as one, as the scanner joins them
    text = WIKILINK.sub(lambda m: " " * len(m.group(0)), without_code(body)).replace("\n", " ")
    return {note for match in REF_LINK.finditer(text)
            if (note := refs.get(ref_label(match.group(2) or match.group(1)))) is not None}


MD_LINK_OR_IMAGE = re.compile("!?" + MD_LINK.pattern.removeprefix("(?<!!)"))
""":data:`MD_LINK`, or an image (``![alt](destination)``)."""

_MATH = re.compile(r"\$\$.+?\$\$|\$(?![\s$])[^$]*?(?<!\s)\$(?!\d)")
"""TeX as :mod:`kg.markdown` keeps it from Markdown (``$x$``, ``$$x$$``): no tags in it."""


_COMBINING = ("\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
          "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8"
          "\u06ea-\u06ed\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
          "\u1000-\u109f\u17b4-\u17d3\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f")
"""The combining marks a word holds that ``\\w`` leaves out: accents written apart (a
Mac's ``cafe`` + U+0301), the vowel signs and viramas of the Indic scripts (``हिन्दी``,
``தமிழ்``; their dandas are punctuation), Hebrew's points, Arabic's harakat, Myanmar's and
Khmer's signs."""
HASHTAG = re.compile(rf"#([\w/{_COMBINING}-]*[^\W\d][\w/{_COMBINING}-]*)")
"""An inline tag, as Obsidian reads one after a space or at the start of a line: letters
with their marks (:data:`_COMBINING`), digits, ``_``, ``-`` and ``/``, not only digits
(``#2024`` is no tag)."""
_TAG_IN_TEXT = re.compile(r"(?<!\S)" + HASHTAG.pattern)


def wikilink_file(inner: str) -> str | None:
    """The attachment a ``[[…]]`` names (``chart.png|300``, ``paper.pdf#page=2``), if any."""
    target = wikilink_path(inner)
    return target if attachments.kind(target) else None


def wikilink_path(inner: str) -> str:
    """What a ``[[…]]`` names, without its label or ``#heading``: a note or a file."""
    return inner.replace("\\|", "|").partition("|")[0].partition("#")[0].strip()


def note_link_target(destination: str, folder: str) -> tuple[str, str | None] | None:
    """The note a Markdown link's destination names (``other.md``, ``../b/c.md#Part``,
    ``My%20Note.md``, ``/Areas/Plan.md`` from the wiki's root, as GitHub reads it): its
    path in the wiki without ``.md``, as links are resolved, and the heading; None for
    anything else (a URL, a path out of the wiki, a file of another kind). ``folder`` is
    the linking note's, in the wiki."""
    if (shortcode := SHORTCODE_LINK.fullmatch(destination.strip())) is not None:
        destination = _shortcode_path(shortcode)
    destination = attachments.unescape_destination(destination.strip("<>"))
    parts = urlsplit(destination)
    if parts.scheme or parts.netloc or destination.startswith("//"):
        return None
    path = unquote(parts.path)
    if not path.lower().endswith(".md"):
        return None
    rel = posixpath.normpath(posixpath.join(folder, path) if not path.startswith("/")
                             else path.lstrip("/"))
    if rel == ".." or rel.startswith("../") or not rel[:-3].strip("/."):
        return None
    return rel[:-3], (unquote(parts.fragment).strip() or None)


def _shortcode_path(shortcode: re.Match[str]) -> str:
    """The file a :data:`SHORTCODE_LINK` names: Hugo's ``ref`` from the page's folder (or
    the root, ``/posts/x.md``), ``.md`` optional; Jekyll's ``link`` from the root, and
    ``post_url`` a post by its name."""
    if shortcode.group(1) is not None:
        path, _, fragment = shortcode.group(1).strip().partition("#")
        path = path if path.lower().endswith(".md") else f"{path.rstrip('/')}.md"
        return quote(path) + (f"#{quote(fragment)}" if fragment else "")
    if shortcode.group(2) == "link":
        return "/" + quote(shortcode.group(3).lstrip("/"))
    return quote(shortcode.group(3)) + ".md"  # found by name, from the folder or anywhere


def atx_heading(line: str) -> tuple[int, str] | None:
    """The level and text of a ``## heading`` line (its closing ``##`` left out), or None.
    In Python, not one regex: ``(.*?)[ \t]*#*[ \t]*$`` took seconds on a line of spaces."""
    opened = _ATX_OPEN.match(line)
    if opened is None:
        return None
    text = line[opened.end():].rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):  # a closing sequence: "## A ##"
        text = bare.rstrip(" \t")
    return len(opened.group(1)), text


def without_title(body: str, title: str) -> str:
    """``body`` without its first line when that is a ``# heading`` saying ``title``: the
    page shows the title above the body already (an Obsidian note begins so)."""
    start = len(body) - len(body.lstrip("\n"))
    first, newline, rest = body[start:].partition("\n")
    heading = atx_heading(first)
    if heading is None or heading[0] != 1 or plain_text(heading[1]) != title:
        return body
    return body[:start] + rest if newline else body[:start]


def section_key(heading: str) -> str:
    """The known section a heading names (``Research angle (Tier 1)`` → ``angles``), or ''."""
    text = _MARKUP.sub("", heading).strip().lower().lstrip("¿¡").rstrip(":? ")
    if not text.isascii():  # compared without accents; typographic apostrophes as plain
        text = "".join(c for c in unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
                       if not unicodedata.combining(c))
    found = _SECTION_NAME.match(text)
    return _SECTION_OF[found.group(1)] if found else ""


_HEADING_STEP = re.compile(r"(?<!\s)#")
"""A ``#`` that goes down a heading path (``Part#Detail``); one after a space is a tag of
the heading's text (``[[note#Plan #wip]]``, the heading "Plan #wip")."""


def heading_path_end(heading: str) -> str:
    """The heading a link's ``#Part#Detail`` names: Obsidian reads ``[[note#Part#Detail]]``
    as the heading Detail under Part, and leads to Detail; the last part that is not empty."""
    if "#" not in heading:
        return heading.strip()
    parts = [part.strip() for part in _HEADING_STEP.split(heading) if part.strip()]
    return parts[-1] if parts else ""


def parse_wikilink(inner: str) -> tuple[str, str | None, str | None] | None:
    """``target#heading|label`` → (target, heading, label); None for embeds of files and for
    links within the note (``#heading``). A block reference (``#^id``) is no heading: the
    link leads to the note."""
    # in a table a link's pipe is escaped, [[note\\|label]]: the same link
    target, _, label = inner.replace("\\|", "|").partition("|")
    target, _, heading = target.partition("#")
    if heading.lstrip().startswith("^"):
        heading = ""
    heading = heading_path_end(heading)
    target = target.strip()
    if target.lower().endswith(".md"):
        target = target[:-3]
    if not target or _NON_NOTE_EXT.search(target):
        return None
    return target, (heading.strip() or None), (label.strip() or None)


_DENDRON_VAULT = re.compile(r"^\s*dendron://[^/\]|]*/", re.I)
"""Dendron's cross-vault prefix, ``dendron://vault/`` before a note's name."""


def label_first_links(body: str) -> str:
    """``body`` with Dendron's links, ``[[label|target]]`` (``[[label|note#anchor]]``,
    ``[[dendron://vault/note]]``), written as the rest of kg reads them, target first:
    ``[[target|label]]``. The notes of a Dendron vault put the label first, Obsidian's the
    target. Code is left as it is; every line keeps its number."""
    if "[[" not in body:
        return body
    code_free = without_code(body)
    out: list[str] = []
    pos = 0
    for match in WIKILINK.finditer(code_free):
        inner = match.group(2)
        bar = "\\|" if "\\|" in inner else "|"  # in a table: [[label\|target]]
        label, found, target = inner.partition(bar)
        if not found:
            label, target = "", label
        target = _DENDRON_VAULT.sub("", target)
        written = f"{target}{bar}{label}" if found else target
        out.append(body[pos:match.start(2)])
        out.append(written)
        pos = match.end(2)
    out.append(body[pos:])
    return "".join(out)


def wikilink_text(match: re.Match[str]) -> str:
    """What a reader sees of a :data:`WIKILINK` match: its label, else target › heading."""
    parsed = parse_wikilink(match.group(2))
    if parsed is None:  # a file, or a place within the note: its label, else its name
        if match.group(1):  # an embed (an image in a sentence): no words
            return ""
        inner = match.group(2).replace("\\|", "|")
        name, _, label_text = inner.partition("|")
        return label_text.strip() or name.strip().lstrip("#^").rsplit("/", 1)[-1]
    target, heading, label = parsed
    return label or (f"{target} › {heading}" if heading else target)


HIGHLIGHT_MARK = re.compile(r"==(?=[^\s=])|(?<=[^\s=])==")
"""The marks of ``==highlighted==`` text, each found by itself (pairing them by one regex,
``==(.+?)==``, took half a minute on a line of many unclosed ``==a``)."""
FOOTNOTE_MARK = re.compile(r"\[\^[^\]\[\s]+\]|\^\[[^\]\[]*\]")
"""A footnote's mark, ``[^1]``, or an inline footnote, ``^[text]``."""


LABELLED_MACROS = ("query", "cards", "renderer", "namespace", "function", "pdf", "video",
                   "youtube-timestamp", "youtube", "vimeo", "bilibili", "tweet", "twitter")
"""Logseq's macros that a page shows as what they are (:mod:`kg.macros`), whose text is no
words of the note's."""
_MACRO_TEXT = re.compile(
    r"\{\{(cloze|embed)[ \t]+([^{}\n]*?)[ \t]*\}\}|\{\{(?:" + "|".join(LABELLED_MACROS)
    + r")\b[^{}\n]*\}\}", re.IGNORECASE)
"""A Logseq macro in text made plain: a flashcard's words and what an embed names are its
text; a query, a video, a plugin's renderer are none."""


def plain_text(markdown: str, refs: Collection[str] = ()) -> str:
    """Markdown inline text made readable as plain text (for contexts and summaries); a
    reference link whose label ``refs`` defines reads as its text (``M[i][j]``, with no
    definition of ``j``, stays as written)."""
    text = WIKILINK.sub(wikilink_text, markdown) if "[[" in markdown else markdown
    if "{{" in text:
        text = _MACRO_TEXT.sub(lambda m: m.group(2) or "", text)
    if "^" in text:
        text = FOOTNOTE_MARK.sub("", text)
    if "==" in text:
        text = HIGHLIGHT_MARK.sub("", text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    if refs and "]" in text:
        text = REF_LINK.sub(lambda m: m.group(1) if ref_label(m.group(2) or m.group(1)) in refs
                            else m.group(0), text)
    if "*" in text or "_" in text or "`" in text:  # TeX is kept: x_1 * y_2 is no emphasis
        text = _outside_math(_unmarked, text) if "$" in text else _unmarked(text)
    return " ".join(text.split())


def _unmarked(text: str) -> str:
    """``text`` without emphasis and code marks; a ``_`` inside a word stays."""
    text = _MARKS.sub("", text) if "*" in text or "`" in text else text
    return EMPHASIS_UNDERSCORE.sub("", text) if "_" in text else text


def _outside_math(change: Callable[[str], str], text: str) -> str:
    """``text`` with ``change`` made to what is not TeX (``$…$``, ``$$…$$``)."""
    out: list[str] = []
    pos = 0
    for match in _MATH.finditer(text):
        out.append(change(text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(change(text[pos:]))
    return "".join(out)


_TABLE_RULE = re.compile(r"\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?")
"""A table's rule under its header (``|---|:--:|``)."""
_TABLE_BAR = re.compile(r"(?<!\\)\|")
"""A bar between a table's cells (not ``\\|``, the bar of a link's label in a cell)."""


class _Sentences:
    """The sentences of one paragraph, each made plain text once, however many links it
    holds (a paragraph of ten thousand links costs ten thousand lookups, not scans)."""

    def __init__(self, paragraph: str) -> None:
        self.paragraph = paragraph
        self.bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(paragraph)),
                       len(paragraph)]
        self.texts: dict[int, str] = {}

    def around(self, start: int) -> str:
        """The sentence that holds the character at ``start``, as plain text (400 at most)."""
        i = bisect.bisect_right(self.bounds, start) - 1
        found = self.texts.get(i)
        if found is None:
            text = plain_text(self.paragraph[self.bounds[i]:self.bounds[i + 1]].replace("\0", ""))
            found = self.texts[i] = text if len(text) <= 400 else text[:397] + "…"
        return found


def scan(body: str, first_line: int, folder: str = "") -> Body:
    """Split the body into sections and collect its links (``[[wikilinks]]``, and Markdown
    links to notes, relative to ``folder``); ``first_line`` is its file line."""
    h1: str | None = None
    in_fence: str | None = None
    sections: list[RawSection] = []
    current: tuple[str, str, int] | None = None
    current_lines: list[tuple[int, str]] = []
    links: list[Link] = []
    files: list[str] = []
    tags: list[str] = []
    definitions: set[int] = set()  # lines of link reference definitions
    refs = reference_definitions(body)  # [text][label]: shown as its text
    note_refs = note_definitions(body, folder, refs)  # those to a note's file: links
    words = 0
    paragraph: list[tuple[int, str]] = []
    previous_blank, in_list, in_code = True, False, False

    def flush_paragraph() -> None:
        if not paragraph:
            return
        parts: list[str] = []
        offsets: list[tuple[int, int]] = []  # (offset in joined, file line)
        length = 0
        for lineno, text in paragraph:
            stripped = _LEAD.sub("", text.strip()).strip()  # > [!note], - [ ], 1.: no words
            if stripped.startswith("|") and _TABLE_RULE.fullmatch(stripped):
                continue  # a table's rule (|---|:--:|): no words, no sentence
            if "^" in stripped:  # a block id ending the line: an anchor, not a sentence's
                stripped = BLOCK_ID_AT_END.sub("", stripped)
            if parts and _block_property(text, stripped):  # not shown: no words either
                continue
            offsets.append((length, lineno))
            parts.append(stripped)
            length += len(stripped) + 1
        joined = " ".join(parts) + " "
        code_free = (_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), joined)
                     if "`" in joined else joined)
        starts = [off for off, _ in offsets]
        found: list[tuple[int, str, str | None, str | None, bool, bool]] = []
        for match in WIKILINK.finditer(code_free):  # an embed of a note links to it too
            parsed = parse_wikilink(match.group(2))
            if parsed is not None:
                target, heading, label = parsed
                found.append((match.start(), from_folder(target, folder), heading, label,
                              False, False))
            elif (ref := wikilink_file(match.group(2))) is not None:
                files.append(ref)
        if "((" in code_free:
            found.extend((match.start(), match.group(1).lower(), None, None, False, True)
                         for match in BLOCK_REF.finditer(code_free))
        if "](" in code_free:
            files.extend(ref for match in MD_LINK_OR_IMAGE.finditer(code_free)
                         if (ref := attachments.destination_ref(match.group(2))) is not None)
            for match in MD_LINK.finditer(code_free):
                note = note_link_target(match.group(2), folder)
                if note is not None:
                    found.append((match.start(), note[0], note[1],
                                  plain_text(match.group(1)) or None, True, False))
        readable = joined  # what a mention's sentence is made from
        if refs and "]" in code_free:
            text = WIKILINK.sub(lambda m: " " * len(m.group(0)), code_free)
            shown: list[tuple[int, int, str]] = []
            for match in REF_LINK.finditer(text):
                label = ref_label(match.group(2) or match.group(1))
                if label not in refs:
                    continue
                shown.append((match.start(), match.end(), match.group(1)))
                note = note_refs.get(label)
                if note is not None:
                    found.append((match.start(), note[0], note[1],
                                  plain_text(match.group(1)) or None, True, False))
            if shown:  # [text][label] reads "text", padded with NULs (which no note holds,
                # and a sentence drops) so that offsets stay
                readable = "".join(
                    joined[end_before:start] + words.ljust(end - start, "\0")
                    for (start, end, words), end_before in zip(
                        shown, [0, *(e for _, e, _ in shown)], strict=False)
                ) + joined[shown[-1][1]:]
        if parts and parts[0].startswith("|"):  # a table's row (a paragraph of its own):
            readable = _TABLE_BAR.sub(" ", readable)  # its cells, one for one (links' places)
        if "#" in code_free:  # not where the renderer makes none: links, math, definitions
            text = code_free if not definitions else " ".join(  # ``[r]: url "#x"`` shows none
                " " * len(part) if lineno in definitions else code_free[start:start + len(part)]
                for (start, lineno), part in zip(offsets, parts, strict=True)) + " "
            text = MD_LINK_OR_IMAGE.sub(" ", WIKILINK.sub(" ", text))
            if "$" in text:
                text = _MATH.sub(" ", text)
            tags.extend(m.group(1) for m in _TAG_IN_TEXT.finditer(text))
        if found:
            sentences = _Sentences(readable)
            for start, target, heading, label, rooted, block in sorted(found,
                                                                       key=lambda f: f[0]):
                line = offsets[bisect.bisect_right(starts, start) - 1][1]
                links.append(Link(target, label, heading, line, sentences.around(start),
                                  rooted, block))
        paragraph.clear()

    def close_section() -> None:
        if current is not None:
            key, heading, line = current
            sections.append(RawSection(key, heading, line, tuple(current_lines)))
        elif any(t.strip() for _, t in current_lines):  # text before the first heading
            sections.append(RawSection("", "", first_line, tuple(current_lines)))

    for index, text in enumerate(body.split("\n")):
        lineno = first_line + index
        fence = _FENCE.match(text)
        if in_fence:
            if fence and fence.group(1)[0] == in_fence[0] and len(fence.group(1)) >= len(in_fence):
                in_fence = None
            current_lines.append((lineno, ""))
            continue
        if fence:
            flush_paragraph()
            in_fence = fence.group(1)
            current_lines.append((lineno, ""))
            continue
        indented = text.startswith(("    ", "\t")) and bool(text.strip())
        if indented and (in_code or (previous_blank and not in_list)):
            in_code = True  # an indented code block: shown as code, so no links in it
            current_lines.append((lineno, ""))
            continue
        in_code = False
        heading = atx_heading(text)
        if heading:
            flush_paragraph()
            level, title = heading
            paragraph.append((lineno, title))  # a link in a heading is a mention too
            flush_paragraph()
            previous_blank, in_list = True, False
            if level == 1 and h1 is None:
                h1 = plain_text(title, refs)
            if level <= 3:
                close_section()
                current = (section_key(title), plain_text(title, refs), lineno)
                current_lines = []
                continue
        is_item = bool(_BULLET.match(text) or _ORDERED.match(text))
        is_row = text.lstrip().startswith("|")  # a table's: a sentence of its own
        if text.strip():
            in_list = is_item or (in_list and (indented or not previous_blank))
        previous_blank = not text.strip()
        if not text.strip() or is_item or is_row:
            flush_paragraph()
        if text.strip():
            paragraph.append((lineno, text))
            if is_row:
                flush_paragraph()
            if "]:" in text and (definition := LINK_DEFINITION.match(text)) is not None:
                definitions.add(lineno)
                ref = attachments.destination_ref(definition.group(2))  # for ![x][r]
                if ref is not None:
                    files.append(ref)
            words += len(text.split())
        current_lines.append((lineno, text))
    flush_paragraph()
    if current is None and current_lines:
        current = ("", "", first_line)
    close_section()
    return Body(h1, tuple(sections), tuple(links), words, tuple(dict.fromkeys(files)),
                tuple(dict.fromkeys(tags)), frozenset(refs))


def list_items(section: RawSection, *, ordered: bool | None = None) -> tuple[Item, ...]:
    """Top-level list items of a section, continuation lines folded in.

    ``ordered=True`` takes only numbered items, ``False`` only bullets, ``None`` both.
    """
    items: list[Item] = []
    text_parts: list[str] = []
    lead = 0  # how many of the parts are the item's lead; -1 while it is still running
    start = 0
    number: int | None = None
    indent_limit = 0

    def finish() -> None:
        if text_parts:
            own = text_parts if lead < 0 else text_parts[:lead]
            items.append(Item(" ".join(text_parts).strip(), start, " ".join(own).strip(),
                              number))
        text_parts.clear()

    for lineno, text in section.lines:
        bullet = _BULLET.match(text) if ordered is not True else None
        numbered = _ORDERED.match(text) if ordered is not False else None
        if bullet and len(bullet.group(1)) <= indent_limit:
            finish()
            start, number, indent_limit, lead = lineno, None, len(bullet.group(1)), -1
            text_parts.append(bullet.group(2).strip())
        elif numbered and len(numbered.group(1)) <= indent_limit:
            finish()
            start, number, lead = lineno, int(numbered.group(2)), -1
            indent_limit = len(numbered.group(1))
            text_parts.append(numbered.group(3).strip())
        elif text_parts and text.strip() and (text.startswith((" ", "\t"))):
            if lead < 0 and _NESTED_ITEM.match(text):
                lead = len(text_parts)
            text_parts.append(text.strip())
        elif not text.strip():
            if lead < 0:
                lead = len(text_parts)
            continue
        else:
            finish()
            indent_limit = 0
    finish()
    return tuple(items)


def task_state(text: str) -> tuple[str, str]:
    """``[x] text`` → ("done", text); ``~~text~~`` → ("dropped", text), also with a word on
    why after it (``~~text~~ moot since v2``), but not with a question after it, which is
    the question reworded (``~~Old?~~ New?`` → ("open", "New?")); else ("open", text)."""
    task = _TASK.match(text)
    if task:
        state = "done" if task.group(1) in "xX" else "open"
        return state, text[task.end() :].strip()
    strike = _STRIKE.match(text.strip())
    if strike:
        after = strike.group(2).strip()
        if "?" in after:  # ~~Old wording?~~ New wording? — the question as it stands now
            return "open", after
        return "dropped", strike.group(1).strip()
    return "open", text


def split_title(text: str) -> tuple[str, str]:
    """A research angle's lead (``**Title.** rest``, ``**Title** — rest``, or the first
    sentence) and the rest, without the dash or colon that parted them (the pages put
    their own)."""
    bold = re.match(r"^\*\*(.+?)\*\*[.:]?\s*(?:[—–]\s*|--?\s+)?(.*)$", text)
    if bold:
        return plain_text(bold.group(1)).rstrip(".:"), bold.group(2).strip()
    first, sep, rest = text.partition(". ")
    if sep and len(first) <= 140:
        return plain_text(first), rest.strip()
    return plain_text(text)[:140], ""


BLOCK_ID_AT_END = re.compile(r"\s\^([A-Za-z0-9-]+)$")
"""A block id ending a line as written (``The claim. ^claim1``): an anchor, not text to show
(:mod:`kg.markdown` makes it one, ``kg check`` lists it)."""
BLOCK_PROPERTY = re.compile(r"(id|collapsed):: *(\S+)")
"""A line Logseq writes under a block (``id:: <uuid>`` once the block is referred to,
``collapsed:: true``): its own bookkeeping, not the block's text; the id is the block's
anchor, as ``^id`` is (:mod:`kg.markdown` makes it one, ``kg check`` lists it)."""


_LEAD = re.compile(r"^(?:>[ \t]?)*(?:\[![\w-]+(?:\|[^\]\n]{0,100})?\][+-]?[ \t]*)?"
                   r"(?:[-*+][ \t]+|\d{1,9}[.)][ \t]+)?(?:\[[ xX]\][ \t]+)?")
"""What opens a line of a paragraph but is no text of it: quote marks, a callout's type
(``> [!warning]-``, ``> [!note|wide]``, its title kept), a list marker, a task's box."""


def first_paragraph(section: RawSection, refs: Collection[str] = ()) -> str:
    """The section's first paragraph (or first list item) as plain text: a note's summary
    (``refs``: the labels its note defines). Tables and fenced code are passed over; quote
    and list marks are not text."""
    parts: list[str] = []
    fenced = code = False
    for _, text in section.lines:
        stripped = text.strip()
        if not fenced and "#+" in stripped and (org := _ORG_MARK.match(_LEAD.sub("", stripped))):
            # Logseq's #+BEGIN_QUOTE … #+END_QUOTE: the quote's words, not its marks; a
            # source block's or a query's lines are passed over as fenced code is
            code = org.group(1).lower() == "begin" and org.group(2).lower() in _ORG_CODE
            if code and parts:
                break
            continue
        if code:
            continue
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            if parts:
                break
            continue
        if fenced:
            continue
        if stripped.startswith("|"):  # a table row: no sentence to show
            if parts:
                break
            continue
        line = _LEAD.sub("", stripped).strip()
        if not line:
            if parts:
                break
            continue
        if (_BULLET.match(text) or _ORDERED.match(text)) and parts:
            break
        if parts and _block_property(text, line):
            continue
        parts.append(BLOCK_ID_AT_END.sub("", line))
    return plain_text(" ".join(parts), refs)


_ORG_MARK = re.compile(r"#\+(begin|end)_([a-z]+)\b", re.IGNORECASE)
_ORG_CODE = frozenset({"src", "example", "export", "query"})


def _block_property(text: str, line: str) -> bool:
    """Whether ``text``, a line under a block's first (``line`` without its marks), is one
    of Logseq's :data:`BLOCK_PROPERTY` lines, which the page does not show."""
    return (":: " in line and BLOCK_PROPERTY.fullmatch(line) is not None
            and not _BULLET.match(text) and not _ORDERED.match(text))
