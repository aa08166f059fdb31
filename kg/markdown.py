"""Markdown to HTML: CommonMark with raw HTML escaped, safe URLs, and ``[[wikilinks]]``.

markdown-it-py's default preset passes raw HTML through; here ``html`` is off, so a
``<script>`` in a note is shown as text. Link and image URLs go through the one allowlist of
:mod:`kg.urls`. Wikilinks become links to the target note's page (a ghost link for a
placeholder), through a function the site passes in, so this module knows nothing of pages.

``make_renderer(unsafe_html=True)`` (``kg build --unsafe-html``) lets raw HTML through, but
the whole rendered page body then goes through nh3 (Ammonia): an allowlist of tags and
attributes, no ``on*`` handlers, no ``<script>``/``<style>``/``<iframe>``, URLs checked by
the same allowlist, and of ``class`` only the names kg's own Markdown gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from kg import macros
from kg.attachments import destination_ref, is_image
from kg.bidi import isolate
from kg.body import (
    BLOCK_ID_AT_END,
    BLOCK_PROPERTY,
    BLOCK_REF,
    HASHTAG,
    MD_LINK,
    SHORTCODE_LINK,
    from_folder,
    heading_path_end,
    note_link_target,
    parse_wikilink,
    plain_text,
    referenced_notes,
    wikilink_file,
)
from kg.ids import slugify
from kg.urls import is_safe_link


@dataclass(frozen=True, slots=True)
class LinkTarget:
    href: str
    title: str
    exists: bool


LinkResolver = Callable[[str, str | None], LinkTarget | None]
"""(target as written, heading) → where the link goes; None leaves the text as written."""

WIKILINK_SPAN = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
"""A ``[[…]]`` as the inline rule reads it: what the renderer asks the resolver about."""


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    """``[[target]]``, and ``![[target]]``: an embed of a note is shown as a link to it (as
    the graph counts it); an embed of a file (``![[chart.png]]``) stays text."""
    embed = state.src.startswith("![[", state.pos)
    if not embed and not state.src.startswith("[[", state.pos):
        return False
    match = WIKILINK_SPAN.match(state.src, state.pos + embed)
    if match is None:
        return False
    parsed = parse_wikilink(match.group(1))
    block = _BLOCK_LINK.match(match.group(1).replace("\\|", "|"))
    if parsed is None and block is not None and not block.group(1).strip():
        parsed = ("", None, (block.group(3) or "").strip() or None)  # [[#^id]]
    if parsed is None:
        parsed = _within_note(match.group(1))
    if parsed is None:
        ref = wikilink_file(match.group(1))
        if ref is None or state.env.get("attachment") is None:
            return False
        if not silent:
            token = state.push("attachment", "", 0)
            inner = match.group(1).replace("\\|", "|").partition("|")[0]
            token.meta = {"ref": ref, "options": match.group(1).split("|")[1:], "embed": embed,
                          "fragment": inner.partition("#")[2].strip()}  # a PDF's page=2
            token.content = state.src[state.pos:match.end()]
        state.pos = match.end()
        return True
    if not silent:
        target, heading, label = parsed
        token = state.push("wikilink", "", 0)
        token.meta = {"target": from_folder(target, state.env.get("folder", "")),
                      "written": target, "heading": heading, "label": label, "embed": embed,
                      "block": block.group(2) if block is not None else None}
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _block_refs(md: MarkdownIt) -> None:
    """Logseq's block reference ``((uuid))`` in a text: a link to the block, in the note
    whose block carries that ``id::``, shown by the note's title (:func:`_render_wikilink`);
    one no note holds stays as written."""

    def rule(state: Any) -> None:
        if "((" not in state.src:
            return
        for token in state.tokens:
            if token.type != "inline" or not token.children or "((" not in token.content:
                continue
            children: list[Token] = []
            inside = 0  # within a link's text, which a link cannot nest in
            for child in token.children:
                inside += child.nesting if child.type in ("link_open", "link_close") else 0
                if child.type != "text" or "((" not in child.content or inside:
                    children.append(child)
                    continue
                at = 0
                for match in BLOCK_REF.finditer(child.content):
                    if match.start() > at:
                        children.append(_text_token(child.content[at:match.start()]))
                    block = match.group(1).lower()
                    ref = Token("wikilink", "", 0)
                    ref.meta = {"target": block, "written": match.group(0), "heading": None,
                                "label": None, "embed": False, "block": block,
                                "block_ref": True}
                    ref.content = match.group(0)
                    children.append(ref)
                    at = match.end()
                if at < len(child.content):
                    children.append(_text_token(child.content[at:]))
            token.children = children

    md.core.ruler.push("block_refs", rule)


def _logseq_embeds(md: MarkdownIt) -> None:
    """Logseq's embed of a page or a block, ``{{embed [[page]]}}`` or ``{{embed ((uuid))}}``:
    the link it embeds, as an embed of a note is shown (the macro's braces were left
    around it)."""

    def rule(state: Any) -> None:
        if "{{embed" not in state.src:
            return
        for token in state.tokens:
            children = token.children if token.type == "inline" else None
            if not children or "{{embed" not in token.content:
                continue
            for before, link, after in zip(children, children[1:], children[2:], strict=False):
                if (link.type == "wikilink" and before.type == after.type == "text"
                        and _EMBED_OPEN.search(before.content)
                        and after.content.startswith("}}")):
                    before.content = _EMBED_OPEN.sub("", before.content)
                    after.content = after.content[2:]
            token.children = [c for c in children if c.type != "text" or c.content]

    md.core.ruler.push("logseq_embeds", rule)


_EMBED_OPEN = re.compile(r"\{\{embed\s+$")


def _text_token(text: str) -> Token:
    token = Token("text", "", 0)
    token.content = text
    return token


_BLOCK_LINK = re.compile(r"^([^#|]*)#\^([A-Za-z0-9-]+)\s*(?:\|(.*))?$")
"""A link to a block (``[[note#^id]]``, ``[[#^id|label]]``): its note, id and label."""
_BLOCK_MARK = re.compile(r"(?<!\S)\^([A-Za-z0-9-]+)$")
"""The id a block ends with, Obsidian's ``… text ^id``: not shown; the block's anchor."""


def block_anchor(block: str) -> str:
    return f"block-{block}"


def _block_ids(md: MarkdownIt) -> None:
    """A paragraph or list item that ends with ``^id`` loses the mark and takes the id as its
    anchor, where ``[[note#^id]]`` leads."""

    def rule(state: Any) -> None:
        tokens = state.tokens
        seen: set[str] = set()
        for i, token in enumerate(tokens):
            last = token.children[-1] if token.type == "inline" and token.children else None
            if last is None or last.type != "text" or "^" not in last.content:
                continue
            written = BLOCK_ID_AT_END.search(token.content)  # after a space as written:
            mark = _BLOCK_MARK.search(last.content)               # m*c*^2 is no mark
            if written is None or mark is None or written.group(1) in seen:
                continue
            before = last.content[:mark.start()].rstrip()
            if not before and len(token.children) == 1:
                continue  # a paragraph of nothing but "^id" is text
            opened = tokens[i - 1]  # the block it ends: a paragraph, or a list item's
            if opened.type == "paragraph_open" and opened.hidden:
                opened = tokens[i - 2] if tokens[i - 2].type == "list_item_open" else opened
            if opened.type == "paragraph_open" and opened.hidden:
                continue
            if opened.type not in ("paragraph_open", "list_item_open"):
                continue  # a heading has its own anchor; a table cell none
            last.content = before
            opened.attrSet("id", block_anchor(mark.group(1)))
            seen.add(mark.group(1))

    md.core.ruler.push("block_ids", rule)


def _block_properties(md: MarkdownIt) -> None:
    """A paragraph or list item's last lines that are Logseq's ``id::`` or ``collapsed::``
    are not shown; the id is the block's anchor, as ``^id`` is."""

    def rule(state: Any) -> None:
        if ":: " not in state.src:
            return
        tokens = state.tokens
        for i, token in enumerate(tokens):
            children = token.children if token.type == "inline" else None
            block = None
            while (children and len(children) >= 3 and children[-2].type == "softbreak"
                   and children[-1].type == "text"
                   and (found := BLOCK_PROPERTY.fullmatch(children[-1].content))):
                del children[-2:]
                block = found.group(2) if found.group(1) == "id" else block
            opened = tokens[i - 1] if block is not None else None
            if opened is not None and opened.type == "paragraph_open" and opened.hidden:
                opened = tokens[i - 2] if tokens[i - 2].type == "list_item_open" else opened
            if opened is not None and opened.attrGet("id") is None and block is not None:
                opened.attrSet("id", block_anchor(block))

    md.core.ruler.push("block_properties", rule)


def _shortcode_link_rule() -> Callable[[StateInline, bool], bool]:
    """``[text]({{< ref "posts/x.md" >}})`` (Hugo's) or ``[text]({% link x.md %})``
    (Jekyll's): a link, whose destination a link may not hold as written (spaces), to the
    note's file, which the note-links rule then leads to the note's page."""
    last: list[Any] = [None, -1]  # the paragraph's text, where its last "](" is

    def rule(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "[":
            return False
        if last[0] is not state.src:  # looked for once a paragraph, not from every "["
            last[:] = [state.src, state.src.rfind("](") if "{" in state.src else -1]
        return last[1] > state.pos and _shortcode_link(state, silent)

    return rule


def _shortcode_link(state: StateInline, silent: bool) -> bool:
    found = MD_LINK.match(state.src, state.pos, state.posMax)
    if found is None or SHORTCODE_LINK.fullmatch(found.group(2)) is None:
        return False
    if not silent:  # the text read as a link's is (emphasis, code, TeX), as the link rule does
        state.push("link_open", "a", 1).attrs = {"href": found.group(2)}
        end = state.posMax
        state.pos, state.posMax = found.start(1), found.end(1)
        state.linkLevel += 1
        state.md.inline.tokenize(state)
        state.linkLevel -= 1
        state.posMax = end
        state.push("link_close", "a", -1)
    state.pos = found.end()
    return True


def _within_note(inner: str) -> tuple[str, str | None, str | None] | None:
    """``#Heading`` or ``#Heading|label``: a link to a heading of the note itself."""
    target, _, label = inner.partition("|")
    heading = heading_path_end(target.strip()[1:]) if target.strip().startswith("#") else ""
    if not heading or heading.startswith("^"):
        return None
    return "", heading, label.strip() or None


def _render_wikilink(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    from markupsafe import escape

    meta = tokens[idx].meta
    target, heading, label = meta["target"], meta["heading"], meta["label"]
    written = meta.get("written", target)
    text = label or (f"{written} › {heading}" if heading and written else heading or written)
    block = meta.get("block")
    if not target and (heading or block):  # within the note
        fragment = heading_anchor(heading) if heading else block_anchor(str(block))
        shown = escape(isolate(text or f"^{block}"))
        return f'<a class="wikilink" href="#{escape(fragment)}">{shown}</a>'
    resolver: LinkResolver | None = env.get("resolve")
    found = resolver(target, heading) if resolver else None
    if meta.get("block_ref"):  # ((uuid)): the note's title, or as written where none has it
        if found is None or not found.exists:
            return str(escape(written))
        text = found.title
    if found is None:
        return f'<span class="wikilink unresolved">{escape(isolate(text))}</span>'
    cls = ("wikilink" if found.exists else "wikilink ghost") + (
        " embed" if meta.get("embed") else "")
    href = found.href
    if heading or block:
        fragment = heading_anchor(heading) if heading else block_anchor(str(block))
        href = f"{href.split('#', 1)[0]}#{fragment}"
    return (f'<a class="{cls}" href="{escape(href)}" title="{escape(found.title)}">'
            f"{escape(isolate(text))}</a>")


_SIZE = re.compile(r"^\s*(\d{1,5})(?:\s*x\s*(\d{1,5}))?\s*$")


def _render_attachment(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """``![[chart.png|300]]`` as the image, ``[[paper.pdf|the paper]]`` as a link to the
    file; the text as written if the wiki has no such file (:mod:`kg.attachments`)."""
    from markupsafe import escape

    token = tokens[idx]
    meta = token.meta
    ref: str = meta["ref"]
    found = env["attachment"](ref)
    if found is None:
        return str(escape(token.content))
    size = ""
    labels = []
    for option in meta["options"]:
        if (dims := _SIZE.match(option)) is not None:
            size = f' width="{dims.group(1)}"' + (f' height="{dims.group(2)}"' if dims.group(2)
                                                  else "")
        elif option.strip():
            labels.append(option.strip())
    text = labels[0] if labels else ref.rsplit("/", 1)[-1]
    if meta["embed"] and is_image(ref):
        return f'<img src="{escape(found)}" alt="{escape(text)}" loading="lazy"{size} />'
    if fragment := meta.get("fragment"):
        from urllib.parse import quote

        found += "#" + quote(fragment, safe="=&;,:+-._~!$'()*/?@")
    return f'<a class="attachment" href="{escape(found)}">{escape(text)}</a>'


def _attachment_links(md: MarkdownIt) -> None:
    """A Markdown image or link whose destination is a file of the wiki
    (``![plot](img/plot.png)``, ``[the paper](papers/x.pdf#page=2)``) leads to its copy in
    the site; found as the note scanner finds it, from the note's folder."""

    def rule(state: Any) -> None:
        find = state.env.get("attachment")
        if find is None or ("](" not in state.src and "]:" not in state.src):  # ![x][r]
            return
        for token in state.tokens:
            for child in token.children or ():
                attr = {"image": "src", "link_open": "href"}.get(child.type)
                if attr is None:
                    continue
                destination = str(child.attrGet(attr) or "")
                ref = destination_ref(destination)
                found = find(ref) if ref is not None else None
                if found is not None:
                    fragment = destination.partition("#")[2]
                    child.attrSet(attr, f"{found}#{fragment}" if fragment else found)

    md.core.ruler.push("attachment_links", rule)


_ALT_SIZE = re.compile(r"\|\s*(\d{1,5})(?:\s*x\s*(\d{1,5}))?\s*$")


def _image_sizes(md: MarkdownIt) -> None:
    """Obsidian's size in a Markdown image's text, ``![plot|300](x.png)`` or ``|300x200``:
    the image's width (and height), not words of its alt text."""

    def rule(state: Any) -> None:
        if "|" not in state.src:
            return
        for token in state.tokens:
            for child in token.children or ():
                if child.type != "image" or not child.children:
                    continue
                last = child.children[-1]
                if last.type != "text" or (size := _ALT_SIZE.search(last.content)) is None:
                    continue
                last.content = last.content[:size.start()].rstrip()
                child.attrSet("width", size.group(1))
                if size.group(2):
                    child.attrSet("height", size.group(2))

    md.core.ruler.push("image_sizes", rule)


APP_LINK = re.compile(r"(?:zotero|obsidian|logseq)://", re.I)
"""A link into a desktop app (Zotero's ``zotero://select/…`` of a paper or annotation,
``obsidian://open?…``): no page of the site may lead there, so its text is shown alone."""


def _is_shown_link(url: str) -> bool:
    return is_safe_link(url) or APP_LINK.match(url) is not None


def _app_links(md: MarkdownIt) -> None:
    """A Markdown link into a desktop app (:data:`APP_LINK`) is its text, not a link: a
    note digested in Zotero or Obsidian holds many, and showing them as written buried the
    text in URLs (a link of any other scheme not allowed is shown as written); so is a
    site generator's shortcode link that no note resolved."""

    def rule(state: Any) -> None:
        if "://" not in state.src and "{" not in state.src:
            return
        for token in state.tokens:
            if not token.children:
                continue
            kept: list[Token] = []
            closing = 0  # link_close tokens of dropped links still to drop
            for child in token.children:
                attr = {"link_open": "href", "image": "src"}.get(child.type)
                target = str(child.attrGet(attr) or "") if attr else ""
                if attr and (APP_LINK.match(target) or SHORTCODE_LINK.fullmatch(target)):
                    if child.type == "image":
                        text = Token("text", "", 0)
                        text.content = child.content
                        kept.append(text)
                    else:
                        closing += 1
                    continue
                if child.type == "link_close" and closing:
                    closing -= 1
                    continue
                kept.append(child)
            token.children = kept

    md.core.ruler.push("app_links", rule)


_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]{1,999}\]")


def _bounded_footnote_refs(md: MarkdownIt) -> None:
    """The footnote plugin looks for a reference's ``]`` to the end of the text from every
    ``[^``: ``[^[^[^…`` took seconds a kilobyte. A label is 999 characters at most, as a
    link's is; only a ``[^`` that closes within them is handed to the plugin."""
    original = md.inline.ruler.__rules__[md.inline.ruler.__find__("footnote_ref")].fn

    def bounded(state: StateInline, silent: bool) -> bool:
        if _FOOTNOTE_REF.match(state.src, state.pos, state.posMax) is None:
            return False
        result: bool = original(state, silent)
        return result

    md.inline.ruler.at("footnote_ref", bounded)


_CALLOUT = re.compile(r"^\[!([A-Za-z][\w-]{0,40})(?:\|[^\]\n]{0,100})?\]([+-]?)[ \t]*(.*)$")
"""A callout's first line: ``[!type]``, or ``[!type|meta]`` (Obsidian's metadata, which
themes and snippets read: ``[!note|wide]``; not shown), its fold and its title."""


def _callouts(md: MarkdownIt) -> None:
    """Obsidian's callouts, and GitHub's alerts: a quote whose first line is ``[!type]``,
    with a title after it or the type's name, ``[!type]-`` folded and ``[!type]+`` open
    (a ``<details>``); any other quote stays a quote. Made from the block tokens, before
    the inline parse, so that the title and the text are parsed as any other."""

    def rule(state: Any) -> None:
        tokens = state.tokens
        i = 0
        while i < len(tokens):
            if (tokens[i].type == "blockquote_open" and i + 2 < len(tokens)
                    and tokens[i + 1].type == "paragraph_open"):
                _make_callout(tokens, i)
            i += 1

    md.core.ruler.after("block", "callouts", rule)


def _make_callout(tokens: list[Token], at: int) -> None:
    inline = tokens[at + 2]
    first, _, rest = inline.content.partition("\n")
    found = _CALLOUT.match(first)
    if found is None:
        return
    kind, fold, title = found.group(1).lower(), found.group(2), found.group(3).strip()
    opened = tokens[at]
    close = next(j for j in range(at + 1, len(tokens))
                 if tokens[j].type == "blockquote_close" and tokens[j].level == opened.level)
    tag = "details" if fold else "div"
    for token in (opened, tokens[close]):
        token.type = token.type.replace("blockquote", "callout")
        token.tag = tag
    opened.attrs = {"class": f"callout callout-{kind}", "data-callout": kind}
    if fold == "+":
        opened.attrSet("open", "")
    heading_open = Token("callout_title_open", "summary" if fold else "p", 1, block=True,
                         attrs={"class": "callout-title"})
    heading = Token("inline", "", 0, content=title or kind.replace("-", " ").capitalize(),
                    map=inline.map, children=[])
    heading_close = Token("callout_title_close", heading_open.tag, -1, block=True)
    if rest.strip():
        inline.content = rest
        tokens[at + 1:at + 1] = [heading_open, heading, heading_close]
    else:  # the marker's line was the whole paragraph
        tokens[at + 1:at + 4] = [heading_open, heading, heading_close]


def _hashtag_rule(state: StateInline, silent: bool) -> bool:
    """``#tag`` after a space or at the start: a link to the tag's page (the note scanner
    gives the note the tag, :func:`kg.body.scan`)."""
    pos = state.pos
    if (state.src[pos] != "#" or (pos > 0 and not state.src[pos - 1].isspace())
            or state.linkLevel > 0):
        return False
    find = state.env.get("tag") if state.env else None
    match = HASHTAG.match(state.src, pos)
    if find is None or match is None:
        return False
    href = find(match.group(1))
    if href is None:
        return False
    if not silent:
        token = state.push("hashtag", "", 0)
        token.meta = {"href": href, "text": match.group(0)}
    state.pos = match.end()
    return True


def _mark_rule(state: StateInline, silent: bool) -> bool:
    """``==highlighted==`` as ``<mark>``: the text between is Markdown too, and neither
    begins nor ends with a space (``a == b`` stays as written)."""
    start = state.pos
    if not state.src.startswith("==", start) or start + 2 >= state.posMax:
        return False
    end = state.src.find("==", start + 3, state.posMax)
    inner = state.src[start + 2:end] if end > 0 else ""
    if not inner or inner[0].isspace() or inner[-1].isspace() or inner[0] == "=":
        return False
    if not silent:
        limit = state.posMax
        state.push("mark_open", "mark", 1)
        state.pos, state.posMax = start + 2, end
        state.md.inline.tokenize(state)
        state.push("mark_close", "mark", -1)
        state.posMax = limit
    state.pos = end + 2
    return True


def _render_hashtag(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    from markupsafe import escape

    meta = tokens[idx].meta
    return f'<a class="tag" href="{escape(meta["href"])}">{escape(meta["text"])}</a>'


HEADING_PREFIX = "h-"


def heading_anchor(heading: str) -> str:
    """The id of a heading in a note's body: ``h-`` and its slug.

    The prefix keeps a note's headings out of the page's own ids: a heading called "Main" or
    "Local graph data" must not shadow ``#main`` or the graph's data island for the site's
    scripts (DOM clobbering), nor a question's ``#q-…`` anchor.
    """
    return HEADING_PREFIX + slugify(heading)


def _heading_ids(md: MarkdownIt) -> None:
    """Give every heading an id so ``[[note#Heading]]`` can point at it."""

    def rule(state: Any) -> None:
        seen: dict[str, int] = {}
        tokens = state.tokens
        for i, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            inline = tokens[i + 1]
            text = "".join(_heading_text(c) for c in inline.children or [])
            slug = heading_anchor(text or inline.content)
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            token.attrSet("id", slug if n == 0 else f"{slug}-{n}")

    md.core.ruler.push("heading_ids", rule)


def _heading_text(token: Any) -> str:
    """What a heading's inline token adds to its text, as :func:`kg.body.plain_text` reads
    the heading (which ``kg check`` matches links against): a ``[[link]]`` its label or
    target (``## About [[Other]] stuff`` is "About Other stuff", as in Obsidian)."""
    if token.type in ("text", "code_inline", "math_inline", "math_inline_double"):  # as written
        return str(token.content)
    if token.type == "hashtag":
        return str(token.meta["text"])
    if token.type in ("wikilink", "attachment"):  # [[paper.pdf]] reads "paper.pdf"
        return plain_text(token.content)
    return ""


def _note_links(md: MarkdownIt) -> None:
    """A Markdown link to a note's file (``[B](b.md)``, ``[C](../c.md#Part)``) leads to the
    note's page, as a ``[[link]]`` does; the file's own path would lead nowhere in the site.
    Relative to the folder of the note being rendered (``env["folder"]``), else from the
    wiki's root: ``env["resolve_file"]`` where given (:func:`render`), else ``resolve``."""

    def rule(state: Any) -> None:
        resolve: LinkResolver | None = state.env.get("resolve_file") or state.env.get("resolve")
        if resolve is None or ("](" not in state.src and "]:" not in state.src):
            return
        folder = state.env.get("folder", "")
        # only the links the note scanner and the page keys see (:data:`kg.body.MD_LINK`,
        # and reference links to a note's file): an odd destination stays as written,
        # never a stale page
        seen = {note_link_target(m.group(2), folder) for m in MD_LINK.finditer(state.src)}
        seen.update(referenced_notes(state.src, folder))
        for token in state.tokens:
            for child in token.children or ():
                if child.type != "link_open":
                    continue
                note = note_link_target(str(child.attrGet("href") or ""), folder)
                if note is None or note not in seen:
                    continue
                found = resolve(*note)
                if found is not None:
                    href = found.href
                    if note[1]:
                        href = f"{href.split('#', 1)[0]}#{heading_anchor(note[1])}"
                    child.attrSet("href", href)
                    if not found.exists:  # a placeholder: shown as [[it]] is
                        child.attrSet("class", "ghost")
                        if not child.attrGet("title"):  # the author's own title stays
                            child.attrSet("title", "not written yet")

    md.core.ruler.push("note_links", rule)


class _SanitizingMarkdownIt(MarkdownIt):
    """A renderer that lets raw HTML in and cleans every rendered document with nh3."""

    def render(self, src: str, env: EnvType | None = None) -> str:
        return sanitize(super().render(src, env))

    def renderInline(self, src: str, env: EnvType | None = None) -> str:
        return sanitize(super().renderInline(src, env))


_HEADING_ID = re.compile(r"^(h-[a-z0-9][a-z0-9-]*|fn\d+|fnref\d+(:\d+)?|block-[A-Za-z0-9-]+)$")
"""The ids a note's body may have: its headings', its footnotes' and its blocks'."""


_BODY_CLASS = re.compile(
    r"wikilink|unresolved|ghost|embed|attachment|tag|table-wrap|math|inline|block|mathlabel"
    r"|callout|callout-[\w-]{1,41}|macro|contains-task-list|task-list-item"
    r"|task-list-item-checkbox"
    r"|footnotes|footnotes-sep|footnotes-list|footnote-item|footnote-ref|footnote-backref"
    r"|language-\S{1,80}")
"""The classes a note's body may have: those its Markdown gives (links, callouts, code,
footnotes, math, tasks). Raw HTML's others are dropped: ``class="site-header"``, or one the
site's scripts look for, would let a note restyle the page around it or pass for its parts."""


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src", "cite"):
        return value if is_safe_link(value) else None
    if attribute == "id":  # headings' and footnotes' anchors only: no clobbering of the page's
        return value if _HEADING_ID.match(value) else None
    if attribute == "class":
        kept = " ".join(name for name in value.split() if _BODY_CLASS.fullmatch(name))
        return kept or None
    return value


def sanitize(html: str) -> str:
    """Raw HTML from a note made harmless: Ammonia's allowlist, plus kg's URL allowlist."""
    import nh3

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "title", "lang", "dir"}
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li", "a", "p"):  # headings, notes, blocks
        attributes.setdefault(tag, set()).add("id")
    attributes.setdefault("img", set()).update({"src", "alt", "title"})
    for tag in ("div", "details"):  # callouts
        attributes.setdefault(tag, set()).add("data-callout")
    attributes.setdefault("details", set()).add("open")
    return nh3.clean(
        html,
        tags=set(nh3.ALLOWED_TAGS) | {"section"},  # footnotes
        attributes=attributes,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_keep_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def make_renderer(*, unsafe_html: bool = False, line_breaks: bool = False) -> MarkdownIt:
    """The notes' Markdown; ``line_breaks``: each line break in a paragraph shown as one."""
    md: MarkdownIt = (_SanitizingMarkdownIt if unsafe_html else MarkdownIt)(
        "commonmark", {"html": unsafe_html, "typographer": False, "linkify": True,
                       "breaks": line_breaks}
    )
    md.enable(["table", "strikethrough", "linkify"])
    # a bare https://… URL is a link, as in Obsidian; "example.com" or "a@b.org" stays text
    links = md.linkify
    assert links is not None  # linkify-it-py, a dependency
    links.set({"fuzzy_link": False, "fuzzy_email": False})
    links.pretest = partial(_few_links, links.pretest)
    # markdown-it's inline rule searches all the text before each "://" again (quadratic);
    # its core rule, on each paragraph's text once parsed, finds the same links
    md.inline.ruler.disable("linkify")
    md.helpers = _bounded_helpers(md.helpers)
    md.options["tasklists"] = True  # - [ ] and - [x]: disabled checkboxes
    md.use(footnote_plugin)  # [^1] and ^[inline] footnotes
    _bounded_footnote_refs(md)
    _tex(md)
    # a wide table scrolls in a box of its own, not the page (on a phone): the site's own
    # tables' wrapper, which keeps the table a table (display: block on it would not)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    md.validateLink = _is_shown_link  # type: ignore[method-assign]
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.inline.ruler.before("link", "shortcode_link", _shortcode_link_rule())
    md.inline.ruler.before("link", "hashtag", _hashtag_rule)
    md.inline.ruler.before("emphasis", "mark", _mark_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("attachment", _render_attachment)
    md.add_render_rule("hashtag", _render_hashtag)
    _heading_ids(md)
    _block_ids(md)
    _block_refs(md)
    _logseq_embeds(md)
    macros.use(md)  # Logseq's #+BEGIN_QUOTE blocks and {{query …}} macros
    _note_links(md)
    _attachment_links(md)
    _image_sizes(md)
    _block_properties(md)
    _app_links(md)
    _callouts(md)
    return md


def make_tex_renderer() -> MarkdownIt:
    """A renderer of a line whose TeX alone is read, marked as :func:`make_renderer` marks
    it (``$x^2$`` and ``$$…$$``, backslash escapes too); the rest is escaped text. For a line
    shown inside a link (an angle's title on the angles page): the links, tags and URLs that
    full inline Markdown makes could not nest there."""
    md = MarkdownIt("zero").enable("escape")
    _tex(md)
    return md


def make_links_renderer() -> MarkdownIt:
    """A renderer of a line whose ``[[wikilinks]]`` alone are read, rendered as the body's
    are; the rest is escaped text (no Markdown, no HTML). For a front-matter value shown on
    a note's page (its ``source``)."""
    md = MarkdownIt("zero")
    md.inline.ruler.push("wikilink", _wikilink_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    return md


def render_links(md: MarkdownIt, text: str, resolve: LinkResolver, folder: str = "") -> str:
    """``text`` on one line, its wikilinks resolved by ``resolve`` from ``folder``, by a
    renderer of :func:`make_links_renderer`."""
    html: str = md.renderInline(" ".join(text.split()), {"resolve": resolve, "folder": folder})
    return html


def _tex(md: MarkdownIt) -> None:
    """$x_1$ and $$…$$ kept as TeX, not read as emphasis; "$5 and $10" stays text; $$…$$
    within a line is display math, as Obsidian shows it (a span: a div may not be in a
    <p>)."""
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.add_render_rule("math_inline_double", _render_display_math)


def _render_table_open(self: Any, tokens: list[Token], idx: int, options: Any,
                       env: Any) -> str:
    return '<div class="table-wrap">\n' + str(self.renderToken(tokens, idx, options, env))


def _render_table_close(self: Any, tokens: list[Token], idx: int, options: Any,
                        env: Any) -> str:
    return str(self.renderToken(tokens, idx, options, env)) + "</div>\n"


def _render_display_math(self: Any, tokens: list[Token], idx: int, options: Any,
                         env: Any) -> str:
    return f'<span class="math block">{escapeHtml(tokens[idx].content)}</span>'


def _bounded_helpers(helpers: Any) -> Any:
    """markdown-it's link helpers, with a link label that cannot close found at once: its
    own search runs to the end of the paragraph from every ``[``, and a paragraph of many
    unclosed ``[`` took time quadratic in its length (50 KB: 3 s; 4 MB: hours)."""
    from types import SimpleNamespace

    parse_label = helpers.parseLinkLabel
    last: list[Any] = [None, 0, -1]  # the paragraph's text, its end, its last "]"

    def parseLinkLabel(state: Any, start: int, disableNested: bool = False) -> int:
        if last[0] is not state.src or last[1] != state.posMax:
            last[:] = [state.src, state.posMax, state.src.rfind("]", 0, state.posMax)]
        if last[2] <= start:  # no "]" after it: no label closes
            return -1
        result: int = parse_label(state, start, disableNested)
        return result

    return SimpleNamespace(parseLinkLabel=parseLinkLabel,
                           parseLinkDestination=helpers.parseLinkDestination,
                           parseLinkTitle=helpers.parseLinkTitle)


LINKS_PER_PARAGRAPH = 64
"""Bare URLs looked for in a paragraph with at most this many ``://`` (in one with more,
they stay text): a bound on what linkify-it is asked of one paragraph."""


def _few_links(pretest: Callable[[str], bool], text: str) -> bool:
    """linkify-it's pretest, asked only of text that holds a URL's ``://`` (its own pattern
    tripled the time of every note) and not too many of them."""
    count = text.count("://") + text.count("mailto:")
    return 0 < count <= LINKS_PER_PARAGRAPH and pretest(text)


AttachmentResolver = Callable[[str], str | None]
"""An attachment's reference as written → its URL from the page, or None if not found."""


TagResolver = Callable[[str], str | None]
"""An inline tag as written (without ``#``) → the URL of its page from the page, or None."""


def render(md: MarkdownIt, text: str, resolve: LinkResolver, folder: str = "",
           attachment: AttachmentResolver | None = None, tag: TagResolver | None = None,
           resolve_file: LinkResolver | None = None) -> str:
    """``text`` as HTML; links resolved by ``resolve``, relative ones from ``folder``, and
    Markdown links to a note's file by ``resolve_file`` where given (a path from
    ``folder``, else from the wiki's root: :meth:`kg.resolve.Resolver.resolve`'s
    ``rooted``); attachments by ``attachment`` and inline tags by ``tag`` (left as written
    without)."""
    html: str = md.render(text, {"resolve": resolve, "folder": folder,
                                 "attachment": attachment, "tag": tag,
                                 "resolve_file": resolve_file})
    return html
