"""What Logseq (and Notion) write in a page's Markdown that Markdown is not, shown as a
reader expects.

Logseq keeps Org mode's blocks in its Markdown pages (``#+BEGIN_QUOTE`` … ``#+END_QUOTE``,
``#+BEGIN_NOTE``, ``#+BEGIN_SRC python``, ``#+BEGIN_QUERY``) and its own macros in double
braces (``{{query (task TODO)}}``, ``{{video https://…}}``, ``{{youtube …}}``). Left to
CommonMark they were shown as written, markers and braces and all. Here a quote is a quote,
an admonition a callout (as ``> [!note]`` is), a source block a code block; a video a link
to it; and what only Logseq can run (a query, flashcards, a plugin's renderer) a quiet line
saying what it is, its text shown as code. Everything is text to the page: no macro's
argument becomes HTML, and a link is made only of an address :func:`kg.urls.is_safe_link`
accepts. ``{{embed …}}`` is :func:`kg.markdown._logseq_embeds`' (a link to what it embeds).
A Notion export's callout, lines ``<aside>`` … ``</aside>``, is a callout too: with raw
HTML off (the default) its tags were shown as text around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from kg.body import LABELLED_MACROS
from kg.urls import is_safe_link

_BEGIN = re.compile(r"#\+begin_([a-z]+)\b[ \t]*(.*)$", re.I)
_END = "#+end_"
_ASIDE, _ASIDE_END = "<aside>", "</aside>"
"""A Notion export's callout: its text between these lines (an icon's emoji first)."""

ADMONITIONS = {"note": "Note", "tip": "Tip", "important": "Important", "caution": "Caution",
               "warning": "Warning", "pinned": "Pinned"}
"""Logseq's admonition blocks, ``#+BEGIN_TIP``, each shown as the callout of its name."""
_CODE_BLOCKS = frozenset({"src", "example", "export"})
"""Blocks whose text is shown as written, in a code block (an ``EXPORT html`` too: as code,
never as HTML)."""
_QUERY_TITLE = re.compile(r""":title\s+"((?:[^"\\\n]|\\.){1,200})\"""")
"""An advanced query's ``:title "…"``: what the reader is told the query was for."""

MACRO_LABELS = {"query": "Logseq query", "cards": "Logseq flashcards",
                "renderer": "Logseq plugin", "namespace": "Logseq namespace",
                "function": "Logseq function", "pdf": "PDF", "video": "Video",
                "youtube": "Video", "vimeo": "Video", "bilibili": "Video",
                "tweet": "Tweet", "twitter": "Tweet"}
"""The macros read, and what a reader is told each is. Others (``{{title}}`` in a template,
a Hugo shortcode) stay as written: they are not Logseq's to read."""
_MACRO = re.compile(r"\{\{(" + "|".join((*LABELLED_MACROS, "cloze")) + ")"
                    r"(?:[ \t]+([^\n]*?))?[ \t]*\}\}", re.I)
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_ORG_DEPTH = 16
"""How deep ``#+BEGIN_…`` blocks of different kinds nest (``CENTER`` in ``VERSE`` in …);
a deeper one is its text as written (each level is three of Python's frames: 400 levels
had been a RecursionError, a traceback of the build)."""
_ORG_READS = 32
"""How many lines the search for ``#+END_…`` markers may read, per line of the note: a
note of 8,000 unclosed ``#+BEGIN_QUOTE`` lines read each to the note's end, 12 s (4 MiB,
hours); past the allowance a ``#+BEGIN_`` line is its text as written."""


def use(md: MarkdownIt) -> None:
    """Add the block rule (``#+BEGIN_…``) and the inline rule (``{{macro …}}``) to ``md``."""
    md.block.ruler.before("fence", "org_block", _org_block,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("link", "logseq_macro", _macro_rule)
    md.add_render_rule("logseq_macro", _render_macro)
    md.add_render_rule("logseq_query", _render_query)


# -- #+BEGIN_… #+END_… ---------------------------------------------------------------------


def _org_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:  # indented code
        return False
    begin = state.bMarks[start] + state.tShift[start]
    if state.src[begin:state.eMarks[start]].rstrip().lower() == _ASIDE:
        kind, params, marker = "aside", "", _ASIDE_END
    elif state.src[begin:begin + 8].lower() == "#+begin_" and (
            opened := _BEGIN.match(state.src, begin, state.eMarks[start])) is not None:
        kind, params = opened.group(1).lower(), opened.group(2).strip()
        marker = _END + kind
    else:
        return False
    env = state.env
    depth = env.get("_kg_org_depth", 0)
    if depth >= _ORG_DEPTH:
        return False
    close = _closing_line(state, start, end, marker)
    if close is None:  # never closed: the text as written
        return False
    if silent:
        return True
    if kind in _CODE_BLOCKS:
        token = state.push("fence", "code", 0)
        token.info = params.split()[0] if kind == "src" and params else ""
        token.content = state.getLines(start + 1, close, state.sCount[start], True)
        token.markup, token.map = "```", [start, close + 1]
    elif kind == "query":
        token = state.push("logseq_query", "", 0)
        token.content = state.getLines(start + 1, close, state.sCount[start], False)
        token.map = [start, close + 1]
    else:
        env["_kg_org_depth"] = depth + 1
        try:
            _container(state, start, close, kind)
        finally:
            env["_kg_org_depth"] = depth
    state.line = close + 1
    return True


def _closing_line(state: StateBlock, start: int, end: int, marker: str) -> int | None:
    """The line of ``marker`` (``#+end_quote``) within the container of line ``start``;
    ``None`` too once the note's allowance of lines read (:data:`_ORG_READS`) is spent."""
    env = state.env
    left = env.get("_kg_org_reads")
    if left is None:
        left = _ORG_READS * (state.src.count("\n") + 1)
    found = None
    for line in range(start + 1, end):
        if left <= 0:
            break
        left -= 1
        first = state.bMarks[line] + state.tShift[line]
        text = state.src[first:state.eMarks[line]]
        if text and state.sCount[line] < state.blkIndent:
            break  # the list item (or quote) it began in has ended
        if text.rstrip().lower() == marker:
            found = line
            break
    env["_kg_org_reads"] = left
    return found


def _container(state: StateBlock, start: int, close: int, kind: str) -> None:
    """A quote as a quote, an admonition as a callout, any other block (``CENTER``,
    ``VERSE``) as its text: each read as Markdown, as the page's other blocks are."""
    if kind == "quote":
        opened, tag, closed = "blockquote_open", "blockquote", "blockquote_close"
    elif kind in ADMONITIONS or kind == "aside":
        opened, tag, closed = "callout_open", "div", "callout_close"
    else:
        opened = ""
    if opened:
        token = state.push(opened, tag, 1)
        token.map = [start, close + 1]
        if kind == "aside":  # untitled: its icon and text say what it is
            token.attrs = {"class": "callout callout-aside", "data-callout": "aside"}
        elif kind in ADMONITIONS:
            token.attrs = {"class": f"callout callout-{kind}", "data-callout": kind}
            state.push("callout_title_open", "p", 1).attrs = {"class": "callout-title"}
            title = state.push("inline", "", 0)
            title.content, title.map, title.children = ADMONITIONS[kind], [start, start + 1], []
            state.push("callout_title_close", "p", -1)
    parent, line_max = state.parentType, state.lineMax
    state.parentType = "blockquote" if kind == "quote" else "container"
    state.lineMax = close  # no paragraph runs on past the end marker
    state.md.block.tokenize(state, start + 1, close)
    state.parentType, state.lineMax = parent, line_max
    if opened:
        state.push(closed, tag, -1)


def _render_query(renderer: RendererHTML, tokens: Sequence[Token], idx: int,
                  options: OptionsDict, env: EnvType) -> str:
    from markupsafe import escape

    title = _QUERY_TITLE.search(tokens[idx].content)
    said = f": {escape(title.group(1))}" if title else ""
    return f'<p class="macro">Logseq query{said} (run in Logseq; not shown here)</p>\n'


# -- {{macro …}} ---------------------------------------------------------------------------


def _macro_rule(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if not state.src.startswith("{{", pos):
        return False
    # a macro ends at the first "}}" after it, on its line: each found once for a paragraph
    # (a regex from each "{{" read on to the line's end: 20,000 "{{query " took 42 s)
    close = _next(state, "}}", pos + 2)
    if close < 0 or close + 2 > state.posMax or 0 <= _next(state, "\n", pos) < close:
        return False
    found = _MACRO.fullmatch(state.src, pos, close + 2)
    if found is None:
        return False
    if not silent:
        token = state.push("logseq_macro", "", 0)
        token.meta = {"name": found.group(1).lower(), "args": (found.group(2) or "").strip()}
    state.pos = found.end()
    return True


def _next(state: StateInline, needle: str, at: int) -> int:
    """``state.src.find(needle, at)``, remembered for the paragraph: found again only when
    ``at`` is before the last search's start or past what it found."""
    memo: dict[str, tuple[int, int, str]] = state.env.setdefault("_kg_macro_next", {})
    known = memo.get(needle)
    if known is not None and known[2] is state.src and known[0] <= at and (
            known[1] < 0 or known[1] >= at):
        return known[1]
    found = state.src.find(needle, at)
    memo[needle] = (at, found, state.src)
    return found


def _render_macro(renderer: RendererHTML, tokens: Sequence[Token], idx: int,
                  options: OptionsDict, env: EnvType) -> str:
    from markupsafe import escape

    name, args = tokens[idx].meta["name"], tokens[idx].meta["args"]
    if name == "cloze":  # a flashcard's hidden words: the words
        return str(escape(args))
    if name == "youtube-timestamp":
        return f'<span class="macro">▶ {escape(_timestamp(args))}</span>'
    label = MACRO_LABELS[name]
    url = args
    if name == "youtube" and _YOUTUBE_ID.fullmatch(args):
        url = f"https://www.youtube.com/watch?v={args}"
    if url.lower().startswith(("https://", "http://")) and " " not in url and is_safe_link(url):
        return (f'<span class="macro">{label}:</span> <a href="{escape(url)}">'
                f"{escape(args)}</a>")
    code = f" <code>{escape(args)}</code>" if args else ""
    return f'<span class="macro">{label}</span>{code}'


def _timestamp(args: str) -> str:
    """``{{youtube-timestamp 123}}``'s seconds as a clock (``2:03``); a time written as one
    (``1:02:03``) as it is."""
    if not (args.isascii() and args.isdigit()) or len(args) > 15:
        return args  # not '²' (a digit int() cannot read), nor 5,000 digits (int() refuses)
    minutes, seconds = divmod(int(args), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
