"""The client-side search index: titles, aliases, tags and text of every note, as JSON.

The site's script loads it only when a reader first searches, and renders every result as
text. It ships twice: ``search.json`` for tools and servers, and ``data/search.js``, the same
JSON assigned to a global, because a page opened from ``file://`` may load a script but may
not fetch a JSON file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kg.body import (
    EMPHASIS_UNDERSCORE,
    FOOTNOTE_MARK,
    HIGHLIGHT_MARK,
    REF_LINK,
    WIKILINK,
    ref_label,
    reference_definitions,
    wikilink_text,
)
from kg.ids import note_page
from kg.model import Note, Placeholder, Wiki

TEXT_LIMIT = 5000
"""Characters of each note's text in the index (a 430-word note has ~2,800)."""

# The regex engine finds a match fast when the pattern starts with a literal: it scans for
# that character in C, where a pattern starting with ``^`` (MULTILINE) or an optional ``!?``
# is tried at every position of every note's body. So the line-start patterns begin with
# "\n" and run through :func:`_sub_at_line_starts`, and the link patterns have variants
# without the "!" of embeds and images, for the usual body that has none.
_LINE_MARK = re.compile(r"\n[ \t]{0,3}(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]?"
                        r"|\[\^[^\]\s]{1,100}\]:[ \t]*)+"
                        r"(?:\[[ xX]\][ \t]+|\[![\w-]+(?:\|[^\]\n]{0,100})?\][+-]?[ \t]*)?")
"""A line's marks: heading, list item, quote, footnote's label, and a task's box or a
callout's type (``[!note]``, ``[!note|wide]``) after them."""
_FENCE = re.compile(r"\n[ \t]{0,3}(?:```|~~~).*")
_DEFINITION = re.compile(r"(?<=\n)[ \t]{0,3}\[([^\[\]\n]{1,999})\]:.*")
"""A reference definition (``[d]: other.md``): no words."""
_TABLE_RULE = re.compile(r"\n[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*"
                         r"\|?[ \t]*(?=\n)")
"""A table's rule row (``|---|:--:|``): no words."""
_BLOCK_PROPERTY = re.compile(r"\n[ \t]*(?:id|collapsed):: *\S+[ \t]*(?=\n)")
"""Logseq's ``id::`` or ``collapsed::`` line under a block (:data:`kg.body.BLOCK_PROPERTY`),
which its page does not show: no words."""
# bounded, and no "[" in a destination: each "[" would otherwise scan the rest of its line
# for "](…)", and a line of many unclosed "[a](" took minutes
_MD_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000})\]\([^)\n\[]{0,2000}\)")
_MD_LINK_NO_IMAGE = re.compile(r"\[([^\[\]\n]{0,1000})\]\([^)\n\[]{0,2000}\)")
# WIKILINK without its "!": the empty group 1 keeps the target in group 2 for wikilink_text.
_WIKILINK_NO_EMBED = re.compile(r"()\[\[([^\[\]\n]+?)\]\]")


def _sub_at_line_starts(pattern: re.Pattern[str], replacement: str, text: str) -> str:
    """``re.sub(f"(?m)^{p}", replacement, text)`` for a ``pattern`` written ``"\\n" + p``.

    The newline put in front of ``text`` lets the first line match too; the newline each
    match takes is given back with the replacement.
    """
    return pattern.sub("\n" + replacement, "\n" + text)[1:]


def note_text(note: Note, limit: int = TEXT_LIMIT) -> str:
    """The body as one line of plain text: no heading marks, bullets, emphasis or link syntax.

    Each step runs only when its syntax occurs: this runs over every note of the wiki.
    """
    text = note.body
    if "```" in text or "~~~" in text:
        text = _sub_at_line_starts(_FENCE, " ", text)
    if ":: " in text:
        text = _sub_at_line_starts(_BLOCK_PROPERTY, "", text + "\n")
    text = _sub_at_line_starts(_LINE_MARK, "", text)
    if "[[" in text:
        wikilink = WIKILINK if "![[" in text else _WIKILINK_NO_EMBED
        text = wikilink.sub(wikilink_text, text)
    if "](" in text:
        md_link = _MD_LINK if "![" in text else _MD_LINK_NO_IMAGE
        text = md_link.sub(r"\1", text)
    if "]:" in text and (refs := reference_definitions(note.body)):
        # the definitions Markdown reads are no text; [text][label] reads "text"
        text = _DEFINITION.sub(lambda m: " " if ref_label(m.group(1)) in refs else m.group(0),
                               "\n" + text)[1:]
        text = REF_LINK.sub(lambda m: m.group(1) if ref_label(m.group(2) or m.group(1))
                            in refs else m.group(0), text)
    if "|" in text:  # a table: its rule rows and pipes are no words
        text = _sub_at_line_starts(_TABLE_RULE, " ", text).replace("|", " ")
    if "[^" in text or "^[" in text:
        text = FOOTNOTE_MARK.sub("", text)
    if "==" in text:
        text = HIGHLIGHT_MARK.sub("", text)
    if "_" in text:
        text = EMPHASIS_UNDERSCORE.sub("", text)
    text = " ".join(text.replace("*", "").replace("`", "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def note_entry(note: Note) -> dict[str, Any]:
    """A note's entry: keys kept short for size. Entries are flat (strings, numbers, lists
    of strings; never an object): :mod:`kg.splice` finds where one ends by ``},{"``."""
    entry: dict[str, Any] = {"id": note.id, "t": note.title, "u": note_page(note.id)}
    if note.aliases:
        entry["a"] = list(note.aliases)
    if note.tags:
        entry["g"] = list(note.tags)
    if note.authors:
        entry["w"] = list(note.authors)
    if note.tier is not None:
        entry["r"] = note.tier
    if note.date:
        entry["d"] = note.date.isoformat()
    if note.summary:
        entry["s"] = note.summary
    entry["x"] = note_text(note)
    return entry


def placeholder_entry(ph: Placeholder) -> dict[str, Any]:
    return {"id": ph.id, "t": ph.label, "u": note_page(ph.id), "p": 1}


def index_entries(wiki: Wiki) -> Iterator[bytes]:
    """The entries of :func:`search_index` as their JSON, in its order, one at a time: what
    a site writes (40 MB at 10,000 notes, never held)."""
    items: list[tuple[str, Note | Placeholder]] = [(str(n.id), n) for n in wiki.notes.values()]
    items += [(str(ph.id), ph) for ph in wiki.placeholders.values()]
    items.sort(key=lambda item: item[0])
    for _, x in items:
        yield entry_json(note_entry(x) if isinstance(x, Note) else placeholder_entry(x))


def write_index(f: IO[bytes], entries: Iterable[bytes], head: bytes, tail: bytes) -> None:
    """``entries`` between ``head`` and ``tail`` (:data:`INDEX_HEAD`, :data:`SCRIPT_HEAD`),
    into ``f`` one by one: the same bytes as :func:`index_json`, never joined whole."""
    f.write(head)
    for i, entry in enumerate(entries):
        if i:
            f.write(b",")
        f.write(entry)
    f.write(tail)


def search_index(wiki: Wiki) -> dict[str, Any]:
    """One entry per note and placeholder, sorted by id."""
    entries = [note_entry(note) for note in wiki.notes.values()]
    entries += [placeholder_entry(ph) for ph in wiki.placeholders.values()]
    entries.sort(key=lambda e: str(e["id"]))
    return {"version": 1, "notes": entries}


INDEX_HEAD, INDEX_TAIL = b'{"notes":[', b'],"version":1}'
SCRIPT_HEAD, SCRIPT_TAIL = b"window.KG_SEARCH_INDEX = " + INDEX_HEAD, INDEX_TAIL + b";\n"
"""What stands around the entries in ``search.json`` and in ``data/search.js``: the index's
own keys, sorted (:mod:`kg.splice` replaces the entries of notes that changed)."""


def entry_json(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def rewrap(source: Path, f: IO[bytes], head: bytes, tail: bytes) -> None:
    """The index in the file ``source`` (``search.json``) into ``f`` between ``head`` and
    ``tail`` instead (``data/search.js``): its entries copied, not made again."""
    with open(source, "rb") as index:
        left = os.fstat(index.fileno()).st_size - len(INDEX_HEAD) - len(INDEX_TAIL)
        if left < 0 or index.read(len(INDEX_HEAD)) != INDEX_HEAD:
            raise ValueError(f"{source} is not a search index")
        f.write(head)
        while left:
            chunk = index.read(min(left, 1 << 20))
            if not chunk:
                raise ValueError(f"{source} was cut short")
            f.write(chunk)
            left -= len(chunk)
        f.write(tail)


def index_json(index: dict[str, Any]) -> bytes:
    """The index as JSON, its keys sorted, no spaces."""
    assert index.keys() == {"version", "notes"} and index["version"] == 1
    return INDEX_HEAD + b",".join(entry_json(e) for e in index["notes"]) + INDEX_TAIL


def index_script(index: dict[str, Any]) -> bytes:
    """The same JSON as a script: ``window.KG_SEARCH_INDEX = {...};``."""
    return b"window.KG_SEARCH_INDEX = " + index_json(index) + b";\n"
