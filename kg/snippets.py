"""The small pieces of HTML every list and note page repeats, written in Python.

A Jinja macro call costs some twenty times a Python call, and a site of 10,000 notes lists
each note on many pages: :func:`snippets` gives the templates ``note_link``, ``note_item``,
``timeline_item``, ``tier_badge``, ``date``, ``tag_list``, the lists of items and a note's
connection view, each remembering what it wrote; :class:`Remembered` keeps the items of
one build for the next in the same process (``kg serve``). :func:`tracker_rows` and
:func:`angle_sections` write the two longest pages' bodies (the question tracker's 25,000
rows and the research angles at 10,000 notes) from those pieces.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from kg.bidi import isolate
from kg.ids import note_page, slugify
from kg.memo import filled
from kg.model import Note, TrackedQuestion, Wiki
from kg.views import ConnectionView, Group

LISTED_TAGS = 12
"""A list of notes shows this many of each note's tags, then how many more."""


class Remembered:
    """The notes' list items (a note's line on the timeline, its item in a tier's or a tag's
    list) the last build rendered, by everything each is made from, for the next build in
    this process: ``kg serve`` renders again every list that shows an edited note, at
    10,000 notes 17,000 items of which one changed.

    Only an incremental build keeps them (its lists are few), and only until the next one
    ends: a full build lists every note on many pages and keeps nothing across its tasks
    (:meth:`kg.site.Site.task_done`), for memory.
    """

    def __init__(self, previous: dict[tuple[Any, ...], Markup],
                 previous_lines: dict[tuple[Any, ...], dict[int, str]] | None = None,
                 previous_held: dict[int, Any] | None = None) -> None:
        self.previous = previous
        self.now: dict[tuple[Any, ...], Markup] = {}
        self.keeping = False
        self.previous_lines = previous_lines or {}
        self.previous_held = previous_held or {}
        """The last build's lines (:meth:`lines`) by list kind, then by the record's
        ``id``; ``previous_held`` holds those records, so that no other object has their
        ``id`` while this lives."""
        self.now_lines: dict[tuple[Any, ...], dict[int, str]] = {}
        self.now_held: dict[int, Any] = {}

    def next(self, notes: Collection[Note]) -> Remembered:
        """What the next build starts from: what this one rendered, and, after an
        incremental build, the lines the last one had of the lists this one left as they
        were (an edit renders again the lists that show it: a note of another tier or tag
        edited next would otherwise have its lists made line by line, 3,000 lines at
        10,000 notes). The records no longer among ``notes`` are let go once they are
        many."""
        if not self.keeping:
            return Remembered(self.now, self.now_lines, self.now_held)
        lines = dict(self.previous_lines)
        for kind, found in self.now_lines.items():  # (a kind is a folder's: every tag page)
            lines[kind] = {**lines[kind], **found} if kind in lines else found
        held = {**self.previous_held, **self.now_held}
        if len(held) > len(notes) + _GONE_HELD:
            live = set(map(id, notes))
            held = {i: record for i, record in held.items() if i in live}
            lines = {kind: {i: line for i, line in found.items() if i in live}
                     for kind, found in lines.items()}
        return Remembered(self.now, lines, held)

    def lines(self, kind: tuple[Any, ...], notes: Iterable[Note],
              line: Callable[[Note], str]) -> str:
        """``line(note)`` of each of ``notes``, joined: the last build's line of the very
        same record looked up in C (a record is frozen, and ``kind`` holds all that a line
        depends on besides it), the others made."""
        if not isinstance(notes, (tuple, list)):
            notes = list(notes)  # a template's filtered list
        ids = list(map(id, notes))
        found: list[str] = list(map(self.previous_lines.get(kind, {}).get, ids))  # type: ignore[arg-type]
        filled(found, notes, line)
        if self.keeping:
            self.now_lines.setdefault(kind, {}).update(zip(ids, found, strict=True))
            self.now_held.update(zip(ids, notes, strict=True))
        return "".join(found)

    def get(self, key: tuple[Any, ...]) -> Markup | None:
        found = self.now.get(key)
        if found is None and (found := self.previous.get(key)) is not None and self.keeping:
            self.now[key] = found
        return found

    def put(self, key: tuple[Any, ...], value: Markup) -> None:
        if self.keeping:
            self.now[key] = value


_GONE_HELD = 256
"""How many records no longer in the wiki :meth:`Remembered.next` lets it hold."""


def snippets(url: Callable[..., str], tier_url: Callable[[int | None], str],
             tag_url: Callable[[str], str], tier_label: Callable[[int | None], str],
             remembered: Remembered | None = None, context: tuple[Any, ...] = ()
             ) -> dict[str, Callable[..., Markup]]:
    """The small pieces every list repeats, in Python: a Jinja macro call costs ~20x more.

    ``note_link``, ``note_item``, ``timeline_item``, ``tier_badge``, ``date`` and
    ``tag_list`` are called in templates like macros. Every piece is remembered (a tag's
    link, a tier's badge, a note's item), as the same note is listed on many pages of one
    folder and the same tags and tiers on every line. A note's items are also looked up in
    ``remembered`` by ``context`` (all that the helpers' output depends on besides the note:
    the folder, the links' base, the tiers' labels, the tags' pages) and the note's fields.
    """
    links: dict[tuple[str, str, bool, str, bool], Markup] = {}
    items: dict[tuple[str, bool], Markup] = {}
    across = remembered or Remembered({})
    tags: dict[str, str] = {}
    badges: dict[tuple[int | None, bool], Markup] = {}
    dates: dict[dt.date | None, Markup] = {}

    def note_link(nid: str, title: str, exists: bool = True, fragment: str = "",
                  mark: bool = True) -> Markup:
        key = (nid, title, exists, fragment, mark)
        found = links.get(key)
        if found is not None:
            return found
        href = escape(url(note_page(nid), fragment))
        if exists:
            html = f'<a class="note-link" href="{href}">{escape(isolate(title))}</a>'
        else:
            html = (f'<a class="note-link ghost" href="{href}" title="not written yet">'
                    f"{escape(isolate(title))}</a>")
            if mark:
                html += ' <span class="ghost-mark">not written yet</span>'
        links[key] = made = Markup(html)
        return made

    def tier_badge(tier: int | None, link: bool = False) -> Markup:
        found = badges.get((tier, link))
        if found is not None:
            return found
        if tier is None:
            made = Markup("")
        elif link:
            label = escape(tier_label(tier))
            made = Markup(f'<a class="tier tier-{tier}" href="{escape(tier_url(tier))}" '
                          f'title="{label}">Tier {tier}</a>')
        else:
            label = escape(tier_label(tier))
            made = Markup(f'<span class="tier tier-{tier}" title="{label}">Tier {tier}</span>')
        badges[tier, link] = made
        return made

    def date(value: dt.date | None) -> Markup:
        found = dates.get(value)
        if found is None:
            iso = value.isoformat() if value is not None else ""
            found = dates[value] = Markup(f'<time datetime="{iso}">{iso}</time>' if iso else "")
        return found

    def tag_link(tag: str) -> str:
        found = tags.get(tag)
        if found is None:
            found = tags[tag] = (f'<a class="tag" href="{escape(tag_url(tag))}">'
                                 f"#{escape(isolate(tag))}</a>")
        return found

    def tag_list(names: Sequence[str], limit: int | None = None) -> Markup:
        """The tags as links; past ``limit``, how many more (a note may have thousands, and
        a list of notes would repeat them on each of their pages)."""
        shown = names if limit is None or len(names) <= limit else names[:limit]
        more = (f' <span class="more-tags">+{len(names) - len(shown)}</span>'
                if len(shown) < len(names) else "")
        return Markup(" ".join(map(tag_link, shown)) + more)

    def note_item(note: Note, summary: bool = True) -> Markup:
        """One note in a list: link, tier, date, and (with ``summary``) summary and tags."""
        key = (note.id, summary)
        found = items.get(key)
        if found is not None:
            return found
        fields = (context, 0, note.id, note.title, note.tier, note.date,
                  *((note.summary, note.tags) if summary else ()))
        if (found := across.get(fields)) is not None:
            items[key] = found
            return found
        line = f"{note_link(note.id, note.title)} {tier_badge(note.tier)} {date(note.date)}"
        html = f'<li class="note-item">\n  <div class="note-line">{line}</div>'
        if summary and note.summary:
            text = note.summary if len(note.summary) <= 240 else (
                note.summary[:237].rsplit(" ", 1)[0] + "...")
            html += f'\n  <p class="summary">{escape(text)}</p>'
        if summary and note.tags:
            html += f'\n  <p class="note-tags">{tag_list(note.tags, LISTED_TAGS)}</p>'
        items[key] = made = Markup(html + "\n</li>")
        across.put(fields, made)
        return made

    def timeline_item(note: Note) -> Markup:
        """A note on the timeline: date, link, tier and its summary cut at 200 characters
        (as Jinja's ``truncate(200)`` cuts: at a word, when more than 205)."""
        fields = (context, 1, note.id, note.title, note.tier, note.date, note.summary)
        if (found := across.get(fields)) is not None:
            return found
        html = f"<li>{date(note.date)} {note_link(note.id, note.title)} {tier_badge(note.tier)}"
        if note.summary:
            text = note.summary
            if len(text) > 205:
                text = text[:197].rsplit(" ", 1)[0] + "..."
            html += f'<p class="summary">{escape(text)}</p>'
        made = Markup(html + "</li>")
        across.put(fields, made)
        return made

    def note_items(notes: Iterable[Note], summary: bool = True) -> Markup:
        """``note_item`` of each note, a line each, as a template's loop writes them (a
        loop of ten thousand in Jinja costs three times this)."""
        return Markup(across.lines((context, 2, summary), notes,
                                   lambda note: f"  {note_item(note, summary)}\n"))

    def timeline_items(notes: Iterable[Note]) -> Markup:
        """``timeline_item`` of each note, a line each (see ``note_items``)."""
        return Markup(across.lines((context, 3), notes,
                                   lambda note: f"    {timeline_item(note)}\n"))

    def connection_html(view: ConnectionView) -> Markup:
        """A note's connection view: its typed connections out and in, grouped by relation
        with their annotations, the mentions in its text by sentence, and the notes that
        mention it with their sentences (a Jinja macro per link took a third of a note
        page's template)."""
        html = ['<p class="empty">No connections yet.</p>\n'] if view.empty else []
        for way, groups, heading in (("out", view.outgoing, _OUTGOING),
                                     ("in", view.incoming, _INCOMING)):
            if groups:
                html.append(heading)
                html += (_group(group, way) for group in groups)
                html.append("</section>\n")
        if view.mentions_out:
            html.append(_MENTIONS_OUT)
            for context, links in view.mentions_out_by_context:
                named = ", ".join(note_link(link.other, link.title, link.exists, mark=False)
                                  for link in links)
                html.append(f'  <li class="link" data-kind="mention">\n    {named}'
                            f"{_context(context)}\n  </li>\n")
            html.append("</ul>\n</section>\n")
        if view.mentions_in:
            html.append(_MENTIONS_IN)
            for link, contexts in view.mentions_in_by_note:
                more = (f'\n    <p class="more">and {len(contexts) - _SHOWN} more</p>'
                        if len(contexts) > _SHOWN else "")
                html.append(f'  <li class="link" data-kind="mention">\n    '
                            f"{note_link(link.other, link.title, link.exists, mark=False)}"
                            f"{''.join(map(_context, contexts[:_SHOWN]))}{more}\n  </li>\n")
            html.append("</ul>\n</section>\n")
        return Markup("".join(html))

    def _group(group: Group, way: str) -> str:
        relation = escape(isolate(group.relation))
        items = "".join(
            f'    <li class="link{"" if link.exists else " ghost"}" data-direction="{way}" '
            f'data-kind="connection">\n      {note_link(link.other, link.title, link.exists)}'
            + (f'\n      <p class="annotation">{escape(isolate(link.annotation))}</p>'
               if link.annotation else "") + "\n    </li>\n"
            for link in group.links)
        return (f'<section class="rel-group" data-relation="{relation}">\n'
                f'  <h4><span class="rel rel-{relation}">{escape(isolate(group.label))}</span> '
                f'<small class="count">{len(group.links)}</small></h4>\n'
                f'  <ul class="links">\n{items}  </ul>\n</section>\n')

    return {"note_link": note_link, "note_item": note_item, "tier_badge": tier_badge,
            "date": date, "tag_list": tag_list, "timeline_item": timeline_item,
            "note_items": note_items, "timeline_items": timeline_items,
            "connection_html": connection_html}


_OUTGOING = ('<section class="outgoing" aria-labelledby="out-heading">\n  <h3 id="out-heading" '
             'class="direction">Connects to <small>typed, from front-matter</small></h3>\n')
_INCOMING = ('<section class="incoming" aria-labelledby="in-heading">\n  <h3 id="in-heading" '
             'class="direction">Connected from <small>typed backlinks</small></h3>\n')
_MENTIONS_OUT = ('<section class="mentions-out" aria-labelledby="mout-heading">\n  <h3 '
                 'id="mout-heading" class="direction">Mentions <small>[[links]] in the text'
                 '</small></h3>\n<ul class="links mentions">\n')
_MENTIONS_IN = ('<section class="mentions-in" aria-labelledby="min-heading">\n  <h3 '
                'id="min-heading" class="direction">Mentioned by</h3>\n'
                '<ul class="links mentions">\n')
_SHOWN = 3
"""The sentences shown of a note that mentions this one (and how many more, said)."""


def _context(sentence: str) -> str:
    return f'<blockquote class="context">{escape(isolate(sentence))}</blockquote>' if (
        sentence) else ""


Helpers = Mapping[str, Callable[..., Any]]
"""A page folder's template helpers (:meth:`kg.site.Site._helpers`), these snippets among
them."""


def tracker_rows(rows: Iterable[tuple[TrackedQuestion, Note | None, int | None]],
                 helpers: Helpers, wiki: Wiki) -> Iterator[Markup]:
    """The question tracker's rows, one at a time (the page is written to its file as it
    renders, 30 MB at 10,000 notes): each question, its status, the note asking it and that
    note's tier, tags and date, its age in days and the notes that answered it (the same
    bytes as a Jinja loop over them, three times quicker)."""
    inline, note_link = helpers["inline"], helpers["note_link"]
    tier_badge, tag_list, date = helpers["tier_badge"], helpers["tag_list"], helpers["date"]
    asking: dict[str, tuple[str, ...]] = {}  # what a row shows of its note, once a note
    for order, (tq, note, age) in enumerate(rows):
        question, status = tq.question, tq.status.value
        shown_age = "" if age is None else str(age)
        if note is None:
            tier, tags, day, title, badge, tag_links, dated = (
                "none", "[]", "", _escaped(question.note), "", "", "")
        elif (of_note := asking.get(note.id)) is not None:
            tier, tags, day, title, badge, tag_links, dated = of_note
        else:
            of_note = asking[note.id] = (
                "none" if note.tier is None else str(note.tier),
                _escaped(_json(list(note.tags))), note.date.isoformat() if note.date else "",
                _escaped(note.title), tier_badge(note.tier), tag_list(note.tags, LISTED_TAGS),
                date(note.date))
            tier, tags, day, title, badge, tag_links, dated = of_note
        answered = ", ".join(note_link(nid, wiki.node_label(nid), nid in wiki.notes)
                             for nid in tq.answered_by)
        link = note_link(question.note, note.title if note is not None else question.note,
                         note is not None, question.id.split("#", 1)[1])
        yield Markup(
            f'    <tr class="question status-{status}" id="{_escaped(slugify(question.id))}" '
            f'data-status="{status}" data-tier="{tier}" data-tags="{tags}" data-date="{day}" '
            f'data-age="{shown_age}" data-note="{title}" data-order="{order}">\n'
            f'      <td><span class="status">{status}</span></td>\n'
            f'      <td class="qtext">{inline(question.text)} <code class="qid">'
            f"{_escaped(question.id)}</code></td>\n"
            f"      <td>{link}</td>\n"
            f"      <td>{badge}</td>\n"
            f'      <td class="col-tags">{tag_links}</td>\n'
            f"      <td>{dated}</td>\n"
            f'      <td class="num">{shown_age}</td>\n'
            f"      <td>{answered}</td>\n"
            "    </tr>\n")


def _escaped(text: str) -> str:
    """``text`` escaped as markupsafe escapes it, without making a ``Markup`` of it."""
    return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


def _json(value: object) -> str:
    """``value | tojson`` as Jinja writes it: JSON with <, >, & and ' as escapes."""
    return (json.dumps(value, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


def angle_sections(notes: Iterable[Note], helpers: Helpers) -> Iterator[Markup]:
    """Each note's research angles, numbered, each linked to its place in the note, a note's
    section at a time (see :func:`tracker_rows`; the same bytes as a Jinja loop over them)."""
    note_link, note_url = helpers["note_link"], helpers["note_url"]
    tier_badge, date, tex, inline = (helpers["tier_badge"], helpers["date"], helpers["tex"],
                                     helpers["inline"])
    for note in notes:
        nid = _escaped(note.id)
        made = [f'<section class="angle-note" aria-labelledby="a-{nid}">\n'
                f'  <h2 id="a-{nid}" class="h3">{note_link(note.id, note.title)} '
                f"{tier_badge(note.tier)} {date(note.date)}</h2>\n"
                '  <ol class="angles">\n']
        page = note_url(note.id)
        for angle in note.angles:
            text = f" — {inline(angle.text)}" if angle.text else ""
            fragment = angle.id.split("#", 1)[1]
            href = _escaped(f"{page}#{fragment}" if fragment else page)  # as note_url writes
            made.append(f'    <li value="{angle.number}"><a class="anchor" href="{href}">'
                        f"<strong>{tex(angle.title)}</strong></a>{text}</li>\n")
        made.append("  </ol>\n</section>\n")
        yield Markup("".join(made))
