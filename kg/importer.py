"""``kg import``: plain-text digests (the seed's form) into notes.

The form, as an LLM or a newsletter pipeline writes it::

    llms-foundation-models · 2026-05-04 · Tier 1
    Import AI 455: AI Systems Are About to Start Building Themselves — Jack Clark
    Source: Import AI 455, 2026-05-04 · Post Raw: raw/rss/….md Tier: 1 (research direction, …)
    TL;DR / Why it matters            paragraphs
    Connections                       • Title (YYYY-MM-DD) — how it connects
    Research angle (Tier 1)           1. Lead sentence. More text
    Open questions                    • A question

The first line that is not blank must be the header (``tags · YYYY-MM-DD · Tier N``) and the
next one the title: any other text file is refused at its first line, not made a note.
Each "Connections" bullet becomes a typed connection: its target resolved to an existing note
by title, alias or id (tolerant of "+"/"&" joins, dashes, date suffixes and parentheticals),
its annotation the bullet's text, its relation inferred from the words where they say so.
A name written as a wikilink (``[[Some Note]] — …``, ``[[some-note|Some Note]]: …``, several
joined by ``+``) is that link's target, looked up as a link's is, shown by its label.
A target no note matches stays as written: a placeholder, reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.body import WIKILINK, parse_wikilink, section_key
from kg.config import Config
from kg.errors import KgError, NoteError, NotFound, ResolveError
from kg.ids import NoteId, slugify, title_id
from kg.model import Note, Wiki
from kg.relations import BY_NAME, DEFAULT, Relation
from kg.resolve import Resolver

_DATE = r"\d{4}-\d{2}-\d{2}"
# A run of spaces is entered only at its start, (?<!\s): a pattern that may begin anywhere in
# it tries the whole run from each of its spaces, and a line of 20,000 took minutes.
_HEADER = re.compile(rf"^(?P<tags>.*?)(?<!\s)\s*·\s*(?P<date>{_DATE})\s*·\s*Tier\s*(?P<tier>\d)\b",
                     re.IGNORECASE)
_EMOJI = r"[\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?(?=\s)"
_BULLET = re.compile(rf"^\s*(?:(?:[•●▪◦‣∙·]|[-–—*](?=\s))(?:\s+{_EMOJI})?|"
                     rf"(?:[\u2190-\u21ff]\ufe0f?(?=\s)|{_EMOJI}))\s*(?P<text>.*)$")
"""A list item: a bullet sign, a dash or ``*`` before a space (``**TL;DR**`` is a heading
in bold), or an emoji or arrow before a space, as chat tools and LLMs bullet (``🔗 MiMo``),
an emoji alone or after a dash (``- 🔗 MiMo``: the emoji is no part of the name)."""
_NUMBERED = re.compile(r"^\s*(?P<n>\d{1,3})[.)]\s+(?P<text>.*)$")
_SEPARATOR = re.compile(r"(?<!\s)\s+(?:[—–→⇒⟶]|-{1,2}>?|=>)\s+")
"""What ends a bullet's name: a dash, or an arrow (``->``, ``→``, ``=>``), between spaces."""
_PAREN = re.compile(r"(?<!\s)\s*\(([^()]*)\)\s*$")
_TRAILING_DATE = re.compile(rf"(?<![\s,;·])[\s,;·]*(?:{_DATE}|\d{{2}}-\d{{2}})\s*$")
_JOINS = re.compile(r"(?<!\s)\s+(?:\+|&|and|/)\s+|(?<!\s)\s*;\s*", re.IGNORECASE)
_SEVERAL = re.compile(r"(?<!\s)\s+\+\s+|(?<!\s)\s*;\s*")
"""What joins the names of several works in one bullet (``&``, ``and`` and ``/`` join the
words of one name as often: those parts are only tried for a match)."""
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.\-]*|and|&|de|van|von|der|la|le|et|al\.?)$")

# Words that say what kind of connection a bullet describes: the earliest match wins.
RELATION_CUES: tuple[tuple[str, str], ...] = (
    ("counterpoint", r"\bcounter-?(?:part|point|argument)\b|\bcontradict|\bdisagree|"
                     r"\bpushes back\b|\bin tension with\b|\brebut"),
    ("cites", r"\breferenced explicitly\b|\bexplicitly referenced\b|"
              r"\bcited (?:explicitly|directly|by name)\b"),
    ("evidence", r"\bproof[- ]of[- ]concept\b|\bevidence (?:for|that)\b"),
    ("extends", r"\bextends\b|\bbuilds on\b"),
    ("critiques", r"\bcritique[sd]?\b|\bcriticis|\bcriticiz"),
    ("supports", r"\bsupports\b|\bconfirms\b|\bcorroborat"),
    ("applies", r"\bapplies the method\b|\buses the method\b"),
    ("discusses", r"\bdiscuss(?:es|ed)\b"),
)


@dataclass(frozen=True, slots=True)
class Bullet:
    """A "Connections" bullet: the name it gives, its date, and what it says."""

    name: str
    date: dt.date | None
    annotation: str
    line: int
    extra: str = ""
    links: tuple[tuple[str, str | None, str | None], ...] = ()
    """A name written as wikilinks (``[[Some Note|label]]``, or several joined by ``+``):
    each link's target and label, the targets the note's connections (not words to match
    loosely)."""


@dataclass(frozen=True, slots=True)
class Digest:
    """What a plain-text digest says, before anything is resolved."""

    file: str
    title: str
    authors: tuple[str, ...]
    date: dt.date | None
    tier: int | None
    tags: tuple[str, ...]
    source_title: str | None
    source_url: str | None
    source_kind: str | None
    raw: str | None
    sections: tuple[tuple[str, str, tuple[tuple[int, str], ...]], ...]  # key, heading, lines
    connections: tuple[Bullet, ...]
    angles: tuple[tuple[str, str], ...]
    questions: tuple[str, ...]
    intro: tuple[str, ...] = ()
    """The lines between the title and the first section (a subtitle, a paragraph of its
    own) but the title written again: the note's text before its first heading."""

    @property
    def publisher(self) -> str | None:
        """``Import AI 455`` → ``Import AI``: a numbered source's series (its number set
        apart: ``arXiv 2305.18290`` and ``GPT-4`` name none)."""
        if not self.source_title:
            return None
        match = re.match(r"^(.*?\S)\s+(?:#|No\.?\s*|Issue\s*)?\d+$", self.source_title)
        return match.group(1) if match else None

    @property
    def note_id(self) -> NoteId:
        """The source's name when the title starts with it (``import-ai-455``), else the title."""
        if self.source_title and self.title.casefold().startswith(self.source_title.casefold()):
            return title_id(self.source_title)
        return title_id(self.title)

    @property
    def aliases(self) -> tuple[str, ...]:
        if self.source_title and self.title.casefold().startswith(
                self.source_title.casefold() + ":"):
            return (self.source_title,)
        return ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one "Connections" bullet was resolved."""

    name: str
    target: str
    relation: Relation
    annotation: str
    resolved: bool
    line: int
    candidates: tuple[str, ...] = ()
    label: str | None = None
    """The label of a name written as a link (``[[some-note|Some Note]]``), shown as it."""
    heading: str | None = None
    """The heading a name written as a link leads to (``[[some-note#Part]]``): the body's
    link keeps it (the connection is to the note)."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "relation": self.relation.name,
                "resolved": self.resolved, "annotation": self.annotation,
                "line": self.line, "candidates": list(self.candidates)}


@dataclass(frozen=True, slots=True)
class Imported:
    """One digest converted: the note's id, file and text, and how its connections resolved."""

    source: str
    id: NoteId
    rel: str
    path: Path
    title: str
    text: str
    connections: tuple[Resolution, ...]
    written: bool
    existing: str | None = None
    """The note already in the wiki that this digest would be, when it was skipped
    (``--skip-existing``): nothing else of it is read."""

    @property
    def placeholders(self) -> tuple[Resolution, ...]:
        return tuple(c for c in self.connections if not c.resolved)


# -- reading the plain text -------------------------------------------------------------------


def parse_digest(text: str, *, file: str) -> Digest:
    """Read the seed's plain-text form. A text that does not open with the header line
    (``tags · YYYY-MM-DD · Tier N``), or has no title line after it, is an error naming the
    file and line."""
    from kg.frontmatter import normalise_newlines

    lines = normalise_newlines(text).split("\n")
    _refuse_what_is_no_digest(lines, file)
    header: list[tuple[int, str]] = []
    sections: list[tuple[str, str, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] | None = None
    had: set[str] = set()  # the lines a section's first writing had, when it comes again
    again = False  # in a section written a second time: its lines joined to the first's
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        key = _heading(line)
        if key:  # a section written twice (two "Open questions") is one
            current = next((found for k, _, found in sections if k == key), None)
            again = current is not None
            if current is None:
                current = []
                sections.append((key, line, current))
            else:
                had = {text.strip() for _, text in current}
        elif current is not None:
            if again and line and line in had:
                continue  # a line the first time had (the section pasted twice)
            current.append((number, raw.rstrip()))
        elif line:
            header.append((number, line))
    tags: tuple[str, ...] = ()
    date: dt.date | None = None
    tier: int | None = None
    title: str | None = None
    written_title = ""  # the title line as written, which a digest may repeat
    intro: list[str] = []
    source: dict[str, str | None] = {}
    for number, line in header:
        match = _HEADER.match(line)
        if match and date is None:
            tags = _tags(re.split(r"[,·]", match.group("tags")))
            date = _date(match.group("date"))
            tier = int(match.group("tier"))
            if date is None or not 1 <= tier <= 9:
                what = (f"'{match.group('date')}' is no date" if date is None
                        else f"Tier {tier} is no tier (tiers are 1 to 9)")
                raise NoteError(f"the header's {what}", file=file, line=number,
                                hint=f"a digest starts with a line such as "
                                     f"'{FIRST_LINE_EXAMPLE}'")
        elif re.match(r"^[*_]*Source\s*:", line, re.IGNORECASE):
            source = _source_line(line)
        elif title is None:
            title, written_title = _markdown_title(line), line
        elif line not in (title, written_title) and _markdown_title(line) != title:
            intro.append(line)  # a subtitle, a paragraph: kept; the title again is not
    if not title:
        raise NoteError("no title line after the header", file=file,
                        line=header[0][0] if header else 1,
                        hint=f"a digest starts with '{FIRST_LINE}', then its title")
    title, authors = _split_authors(title)
    if date is None and source.get("date"):
        date = _date(source["date"] or "")
    if tier is None and source.get("tier"):
        tier = int(source["tier"] or 0) or None
    extra_tags = _tags(t for t in (source.get("tier_note") or "").split(",")
                       if not _is_tier_label(t))
    connections: list[Bullet] = []
    angles: list[tuple[str, str]] = []
    questions: list[str] = []
    for key, _, body in sections:
        if key == "connections":
            connections += [_bullet(t, n) for n, t in _items(body)]
        elif key == "angles":
            angles += [_lead(t) for _, t in _items(body)]
        elif key == "questions":
            questions += [t for _, t in _items(body) if t.strip()]  # not an empty bullet
    return Digest(
        file=file, title=title, authors=authors, date=date, tier=tier,
        tags=tuple(dict.fromkeys(tags + extra_tags)),
        source_title=source.get("title"), source_url=source.get("url"),
        source_kind=source.get("kind"), raw=source.get("raw"),
        sections=tuple((k, h, tuple(b)) for k, h, b in sections),
        connections=tuple(connections), angles=tuple(angles), questions=tuple(questions),
        intro=tuple(intro),
    )


def parse_digests(text: str, *, file: str) -> list[Digest]:
    """The digests of a file: one, or several one after another (a digest of several
    papers), each from its own header line (``tags · YYYY-MM-DD · Tier N``) to the next;
    an email's signature (from a line ``--``) is no part of any."""
    from kg.frontmatter import normalise_newlines

    lines = normalise_newlines(text).split("\n")
    starts = [n for n, line in enumerate(lines) if _HEADER.match(line.strip())]
    if not starts or any(line.strip() for line in lines[:starts[0]]):
        starts = [0, *starts[1:]]  # what opens the file is refused in parse_digest
    digests = []
    for a, b in zip(starts, [*starts[1:], len(lines)], strict=True):
        b = next((n for n in range(a + 1, b) if lines[n].rstrip() == "--"), b)
        # each digest keeps its lines' numbers: those before it are blank to it
        digests.append(parse_digest("\n" * a + "\n".join(lines[a:b]), file=file))
    return digests


FIRST_LINE = "tags · YYYY-MM-DD · Tier N"
FIRST_LINE_EXAMPLE = "llms-foundation-models · 2026-05-04 · Tier 1"


def _refuse_what_is_no_digest(lines: Sequence[str], file: str) -> None:
    """A digest opens with its header line (``tags · YYYY-MM-DD · Tier N``); any other text
    file (a log, a Markdown note, notes of one's own) would become a note named after its
    first line, so it is refused at that line."""
    first = next(((n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()),
                 None)
    if first is not None and _HEADER.match(first[1]):
        return
    number, line = first or (1, "")
    what = "it is empty" if first is None else f"its first line is not '{FIRST_LINE}'"
    hint = (f"a digest starts with a line such as '{FIRST_LINE_EXAMPLE}', then its title "
            "(`kg import --help` shows the whole form)")
    if line in ("---", "+++"):
        hint += "; a Markdown note goes into the wiki folder as it is"
    raise NoteError(f"not a digest: {what}", file=file, line=number, hint=hint)


def _markdown_title(line: str) -> str:
    """A title line without the marks of a Markdown heading or of bold (``# Title``,
    ``**Title**``)."""
    line = re.sub(r"^#{1,6}\s+", "", line)
    bold = re.fullmatch(r"(\*\*|__)(.+?)\1", line)
    return (bold.group(2) if bold else line).strip() or line


def _heading(line: str) -> str:
    """The section a line names when it is a bare heading (``Research angle (Tier 1)``)."""
    if (not line or len(line) > 60 or _BULLET.match(line)
            or line.endswith((".", "!", ",")) or (line.endswith("?") and line[0] != "¿")):
        return ""
    return section_key(line.lstrip("#").strip())


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _tags(items: Iterable[str]) -> tuple[str, ...]:
    out = []
    for item in items:
        item = re.sub(r"(?<=\w)&(?=\w)", "n", item.strip().lstrip("#"))  # R&D → rnd
        if item:
            out.append(slugify(item))
    return tuple(dict.fromkeys(out))


def _is_tier_label(text: str) -> bool:
    return text.strip().casefold() in {"research direction", "notable", "background"}


def _source_line(line: str) -> dict[str, str | None]:
    """``Source: Import AI 455, 2026-05-04 · Post Raw: raw/….md Tier: 1 (label, topic)``."""
    rest = re.sub(r"^[*_]*Source\s*:[*_]*\s*", "", line, flags=re.IGNORECASE)
    out: dict[str, str | None] = {}
    tier = re.search(r"\bTier\s*:\s*(\d)\s*(?:\(([^)]*)\))?", rest)
    if tier:
        out["tier"], out["tier_note"] = tier.group(1), tier.group(2)
        rest = rest[: tier.start()] + rest[tier.end():]
    raw = (re.search(r"\bRaw\s*:\s*(\S[^\n]{0,500}?\.[A-Za-z0-9]{1,8})(?=\s|$)", rest)
           or re.search(r"\bRaw\s*:\s*(\S+)", rest))  # a path with spaces, to its extension
    if raw:
        out["raw"] = raw.group(1)
        rest = rest[: raw.start()] + rest[raw.end():]
    head, _, kind = rest.partition("·")
    out["kind"] = kind.strip() or None
    head = head.strip().rstrip(",")
    url = re.search(r"https?://\S+", head)
    if url:
        out["url"] = url.group(0).rstrip(".,)")
        head = (head[: url.start()] + head[url.end():]).strip(" ,")
    date = re.search(rf",?\s*({_DATE})\s*$", head)
    if date:
        out["date"] = date.group(1)
        head = head[: date.start()].strip()
    out["title"] = head or None
    return out


def _split_authors(title: str) -> tuple[str, tuple[str, ...]]:
    """``Title — Jack Clark`` → (``Title``, (``Jack Clark``,)) when the tail reads as names."""
    head, sep, tail = title.rpartition(" — ")
    if not sep or not head.strip():
        return title, ()
    names = [n.strip() for n in re.split(r",\s*|(?<!\s)\s+(?:and|&)\s+", tail) if n.strip()]
    words = tail.replace(",", " ").split()
    if (len(words) <= 8 and all(_NAME_WORD.match(w) for w in words)
            and all(2 <= len(n.split()) <= 4 for n in names)):  # "— Revisited" is no author
        return head.strip(), tuple(names)
    return title, ()


def _items(body: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The list items of a section (bullets or numbers), continuation lines folded in."""
    items: list[tuple[int, str]] = []
    for number, line in body:
        if not line.strip():
            continue
        match = _BULLET.match(line) or _NUMBERED.match(line)
        if match:
            items.append((number, match.group("text").strip()))
        elif items:
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}")
    return items


def _lead(text: str) -> tuple[str, str]:
    """A research angle's lead sentence and the rest; a lead in bold (``**Cost curves.**
    Fit…``, ``**Cost curves**: fit…``) is the bold text."""
    bold = re.match(r"^(\*\*|__)(?P<lead>[^*_].*?)\1[\s:.—–-]*(?P<rest>.*)$", text.strip())
    if bold and len(bold.group("lead")) <= 160:
        return bold.group("lead").strip().rstrip(".:").strip(), bold.group("rest").strip()
    first, sep, rest = text.partition(". ")
    if sep and len(first) <= 160:
        return first.strip().rstrip("."), rest.strip()
    return text.strip(), ""


def _bullet(text: str, line: int) -> Bullet:
    # a link's own dashes and colons (``[[A — B]]``) do not end the name: links are masked
    masked = WIKILINK.sub(lambda m: _MASK * len(m.group(0)), text)
    if (lead := _LEADING_SEPARATOR.match(masked)) is not None:  # "— how", no name: no note
        return Bullet("", None, " ".join(text[lead.end():].split()), line, "")
    sep = _SEPARATOR.search(masked) or _AFTER_LINKS.match(masked)
    name, annotation = ((text[:sep.start(sep.lastindex or 0)], text[sep.end():]) if sep
                        else (text, ""))
    linked = _linked_name(name)
    if linked is not None:
        links, date, extra = linked
        return Bullet(" + ".join(t for t, _, _ in links), date, " ".join(annotation.split()),
                      line, extra, links)
    name, date, extra = _clean_name(name)
    return Bullet(name, date, " ".join(annotation.split()), line, extra)


_MASK = "\ue000"
_LEADING_SEPARATOR = re.compile(r"\s*(?:[—–→⇒⟶]|-{1,2}>?|=>)(?:\s+|$)")
"""A bullet that begins with the dash or arrow that would follow a name: it names nothing."""
_AFTER_LINKS = re.compile(r"[*_\s]*+\ue000[\ue000*_\s+;&,]*+(:)\s")
"""``[[Some Note]]: text``: after a name written as links, a colon ends it too (possessive:
a run of spaces is read once)."""
_LINKS = re.compile(r"(?:\s*+(?:[+;&,]|and(?=\s))?\s*+(?:\*\*|__|[*_])?+!?\[\[([^\[\]\n]+?)\]\]"
                    r"(?:\*\*|__|[*_])?+)++", re.IGNORECASE)


def _linked_name(name: str) -> tuple[tuple[tuple[str, str | None, str | None], ...],
                                     dt.date | None,
                                     str] | None:
    """A name written as wikilinks (``[[Some Note]]``, ``**[[a|A]]** + [[B]] (2024-05-01)``):
    each link's target, heading and label (a connection is to the note; the body's link
    keeps the heading), one per target, and the date and parenthetical after them; None for
    a name of words."""
    stripped = name.strip().strip("*_").strip()
    if not stripped.startswith(("[[", "![[")):
        return None
    run = _LINKS.match(name.strip())
    if run is None:
        return None
    links: list[tuple[str, str | None, str | None]] = []
    for match in WIKILINK.finditer(run.group(0)):
        parsed = parse_wikilink(match.group(2))
        if parsed is not None and parsed[0].strip("#"):
            links.append(parsed)
    if not links:
        return None
    tail = name.strip()[run.end():].strip().strip("*_").strip()
    _, date, extra = _clean_name(f"x {tail}") if tail else ("", None, "")
    one: dict[str, tuple[str, str | None, str | None]] = {}
    for link in links:  # the first link to each note
        one.setdefault(link[0], link)
    return tuple(one.values()), date, extra


def _clean_name(name: str) -> tuple[str, dt.date | None, str]:
    """Strip trailing parentheticals and dates from a bullet's name; keep the date."""
    date: dt.date | None = None
    extras: list[str] = []
    name = name.strip().strip("*_").strip().lstrip("#").strip()  # "#Topic": a name, and a
    while True:  # connection to "#…" would name a place in the note
        paren = _PAREN.search(name)
        if paren and paren.start() > 0:
            inner = paren.group(1).strip()
            if re.fullmatch(_DATE, inner):
                date = date or _date(inner)
            else:
                extras.insert(0, inner)
            name = name[: paren.start()].strip()
            continue
        trailing = _TRAILING_DATE.search(name)
        if trailing and trailing.start() > 0:
            date = date or _date(trailing.group(0).strip(" ,;·"))
            name = name[: trailing.start()].strip()
            continue
        return name, date, "; ".join(extras)


# -- resolving --------------------------------------------------------------------------------


def infer_relation(annotation: str) -> Relation:
    """The relation the words say: a relation's own name opening them (``— discusses``),
    else the earliest cue in the text, else ``related``."""
    first = re.match(r"\s*([A-Za-z][\w-]*)", annotation)
    if first is not None and first.group(1).lower() in BY_NAME:
        return BY_NAME[first.group(1).lower()]
    best: tuple[int, str] | None = None
    for name, pattern in RELATION_CUES:
        match = re.search(pattern, annotation, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return BY_NAME[best[1]] if best else DEFAULT


class Matcher:
    """Finds the note a bullet's name means: exactly (as links resolve), then by slug of
    titles, aliases and title leads (``AHE`` of ``AHE: making …``), then by parts of a
    joined name (``Defense Trilemma + NP-hard reward hacking``)."""

    def __init__(self, notes: Iterable[Note]) -> None:
        notes = list(notes)
        self.resolver = Resolver(notes)
        self.slugs: dict[str, set[NoteId]] = {}
        for note in notes:
            names = [note.title, *note.aliases, note.id]
            lead = re.split(r"(?<!\s)\s*[:—–]\s+", note.title, maxsplit=1)[0]
            if lead != note.title:
                names.append(lead)
            for name in names:
                self.slugs.setdefault(slugify(name), set()).add(note.id)

    def names(self, name: str) -> bool:
        """Whether ``name`` itself (not its lead nor its parts) is a note's name."""
        try:
            if self.resolver.resolve(name) is not None:
                return True
        except ResolveError:
            return True
        return bool(self.slugs.get(slugify(name)))

    def candidates(self, name: str, parts: bool = True) -> list[str]:
        """The names to try, most specific first: the whole, its lead, then (with ``parts``)
        its parts; each also without a leading article."""
        found: list[str] = []
        lead = re.split(r"(?<!\s)\s*[:—–]\s+", name, maxsplit=1)[0]
        for whole in dict.fromkeys([name, lead]):
            for part in [whole, *(_JOINS.split(whole) if parts else ())]:
                for variant in (part.strip(), re.sub(r"^(?:the|a|an)\s+", "", part.strip(),
                                                     flags=re.IGNORECASE)):
                    if variant and variant not in found:
                        found.append(variant)
        return found

    def match(self, name: str, parts: bool = True) -> tuple[NoteId | None, tuple[str, ...]]:
        """The note ``name`` means, or None with the notes it could mean when ambiguous."""
        ambiguous: set[str] = set()
        for candidate in self.candidates(name, parts):
            try:
                nid = self.resolver.resolve(candidate)
            except ResolveError as err:
                ambiguous.update(re.findall(r"[a-z0-9-]+(?=,|$)", err.message))
                continue
            if nid is not None:
                return nid, ()
            ids = self.slugs.get(slugify(candidate), set())
            if len(ids) == 1:
                return next(iter(ids)), ()
            ambiguous.update(ids)
        return None, tuple(sorted(ambiguous))


def resolve_bullets(digest: Digest, matcher: Matcher) -> tuple[Resolution, ...]:
    """Each bullet's connection; a bullet naming several works joined by ``+`` or ``;``
    (``Import AI 455 + MiMo``) that no note is named after as a whole is a connection to
    each, with the same annotation."""
    out: list[Resolution] = []
    for bullet in digest.connections:
        if not bullet.name:
            continue
        relation = infer_relation(bullet.annotation)
        if bullet.links:  # [[Some Note|label]]: its target names the note, as a link's does
            for target, heading, label in bullet.links:
                nid, candidates = matcher.match(target, parts=False)
                out.append(Resolution(target, nid or target, relation, bullet.annotation,
                                      nid is not None, bullet.line, candidates, label,
                                      heading))
            continue
        names, annotation = [bullet.name], bullet.annotation
        whole = matcher.match(bullet.name, parts=False)[0]
        lead, colon, rest = bullet.name.partition(": ")
        if (colon and not annotation and rest.strip() and not matcher.names(bullet.name)
                and matcher.match(lead, parts=False)[0] is not None):
            # "MiMo: a related release": no note's name, but a note's and what it says
            names, annotation = [lead], rest.strip()
            relation = infer_relation(annotation)
        elif whole is None:
            names = [n for n in _SEVERAL.split(bullet.name) if n.strip()] or names
        for name in names:
            nid, candidates = matcher.match(name)
            out.append(Resolution(name, nid or name, relation, annotation,
                                  nid is not None, bullet.line, candidates))
    return tuple(out)


# -- writing the note -------------------------------------------------------------------------


def note_fields(digest: Digest, links: Sequence[Resolution]) -> dict[str, Any]:
    source: dict[str, str] = {}
    if digest.source_title:
        source["title"] = digest.source_title
    if digest.source_url:
        source["url"] = digest.source_url
    if digest.publisher:
        source["publisher"] = digest.publisher
    return {
        "title": digest.title,
        "date": digest.date,
        "tier": digest.tier,
        "type": "digest",
        "authors": list(digest.authors),
        "source": source or None,
        "raw": digest.raw,
        "aliases": list(digest.aliases),
        "tags": list(digest.tags),
        "connections": [
            {"to": link.target, "rel": link.relation.name,
             **({"note": link.annotation} if link.annotation else {})}
            for link in links
        ],
    }


def note_body(digest: Digest, links: Sequence[Resolution], titles: dict[str, str]) -> str:
    """The Markdown body: the text before the first section, then the digest's sections in
    order, lists as Markdown lists."""
    # a line each, as the digest writes a paragraph (a subtitle, then a paragraph)
    parts: list[str] = ["\n\n".join(map(_markdown_line, digest.intro))] if digest.intro else []
    by_line: dict[int, list[Resolution]] = {}
    for link in links:  # a bullet naming several works: a link to each, on its line
        by_line.setdefault(link.line, []).append(link)
    for key, heading, lines in digest.sections:
        title = _markdown_title(heading.lstrip("#").strip())
        if key == "connections":
            items = []
            for bullet in digest.connections:
                named = by_line.get(bullet.line)
                if not named:
                    if not bullet.name and bullet.annotation:  # its words, kept as text
                        items.append(f"- {bullet.annotation}")
                    continue
                shown = " + ".join(
                    f"[[{link.target}{'#' + link.heading if link.heading else ''}|"
                    f"{_safe_label(link.label or titles.get(link.target, link.name))}]]"
                    for link in named)
                when = f" ({bullet.date.isoformat()})" if bullet.date else ""
                extra = f" ({bullet.extra})" if bullet.extra else ""
                said = named[0].annotation  # a "Name: text" bullet's text, when only the
                text = f" — {said}" if said else ""  # name before its colon is a note's
                items.append(f"- {shown}{when}{extra}{text}")
            parts.append(f"## {title}\n" + "\n".join(items))
        elif key == "angles":
            items = [f"{i}. **{lead}.** {rest}".rstrip()
                     for i, (lead, rest) in enumerate(digest.angles, start=1)]
            parts.append(f"## {title}\n" + "\n".join(items))
        elif key == "questions":
            parts.append(f"## {title}\n" + "\n".join(f"- {q}" for q in digest.questions))
        else:
            paragraphs = "\n".join(_markdown_line(t) for _, t in lines).strip()
            parts.append(f"## {title}\n{paragraphs}")
    return "\n\n".join(parts) + "\n"


def _markdown_line(line: str) -> str:
    bullet = _BULLET.match(line)
    if bullet and line.strip()[:1] in "•●▪◦‣∙·":
        return f"- {bullet.group('text').strip()}"
    return line.strip()


def _safe_label(text: str) -> str:
    return " ".join(text.replace("|", "/").replace("[", "(").replace("]", ")").split())


def import_digests(config: Config, files: Sequence[Path], *, dry_run: bool = False,
                   wiki: Wiki | None = None, skip_existing: bool = False) -> list[Imported]:
    """Convert each digest into a note of the wiki; all are checked before any is written,
    and a failure while writing removes the notes this call already wrote. A digest whose
    note the wiki has already is an error, or, with ``skip_existing`` (a folder of digests
    imported again as it grows), left out and given back with that note's path."""
    from kg.parse import decode, parse_note
    from kg.scaffold import refuse_taken, render_note

    if not files:
        raise NotFound("no digest files given", hint="kg import digest.txt ...")
    if wiki is None:
        from kg.cache import load_wiki_cached

        wiki = load_wiki_cached(config)
    digests: list[Digest] = []
    for file in files:
        try:
            data = Path(file).read_bytes()
        except OSError as err:
            raise NotFound(f"cannot read {file}: {err.strerror}", file=file) from None
        digests += parse_digests(decode(data, file=str(file)), file=str(file))
    taken: dict[NoteId, str] = {}
    resolver = Resolver(wiki.notes.values())
    skipped: list[Imported] = []
    for digest in list(digests):
        nid = digest.note_id
        existing = wiki.notes.get(nid)
        if existing is not None or (config.wiki / f"{nid}.md").exists():
            where = existing.path if existing else f"{nid}.md"
            if skip_existing:
                digests.remove(digest)
                skipped.append(Imported(digest.file, nid, where, config.wiki / where,
                                        digest.title, "", (), False, where))
                continue
            raise KgError(f"the wiki already has {where}; nothing was imported",
                          file=digest.file, hint="remove or rename that note to import "
                          "again, or give --skip-existing to import the others")
        try:  # as kg new refuses: a name another note has would take over its links
            refuse_taken(config, wiki, resolver, nid, digest.title, digest.aliases,
                         explicit=False)
        except KgError as err:
            clash = f" ({err.file})" if err.file else ""
            raise KgError(f"{err.message}{clash}; nothing was imported", file=digest.file,
                          hint="give the digest another title, or write the note with "
                               "kg new --id") from None
        if nid in taken:
            raise KgError(f"{digest.file} and {taken[nid]} would both be {nid}.md",
                          file=digest.file, hint="import them one at a time")
        taken[nid] = digest.file
    # the batch's own notes are targets too: a digest may connect to another one imported now
    batch = [parse_note(render_note(config, note_fields(d, []), body="").encode(), nid=d.note_id,
                        path=f"{d.note_id}.md") for d in digests]
    notes = [*wiki.notes.values(), *batch]
    matcher = Matcher(notes)
    titles: dict[str, str] = {n.id: n.title for n in notes}
    results: list[Imported] = []
    for digest in digests:
        links = resolve_bullets(digest, matcher)
        text = render_note(config, note_fields(digest, links), body=note_body(digest, links,
                                                                              titles).rstrip())
        nid = digest.note_id
        try:
            parse_note(text.encode("utf-8"), nid=nid, path=f"{nid}.md")
        except KgError as err:
            raise NoteError(f"the converted note does not parse: {err.message}",
                            file=digest.file, hint=err.hint) from None
        results.append(Imported(digest.file, nid, f"{nid}.md", config.wiki / f"{nid}.md",
                                digest.title, text, links, False))
    if dry_run:
        return skipped + results
    written: list[Imported] = []
    try:
        for item in results:
            with open(item.path, "x", encoding="utf-8", newline="\n") as f:
                f.write(item.text)
            written.append(item)
    except OSError as err:
        for item in written:
            item.path.unlink(missing_ok=True)
        raise KgError(f"could not write {item.rel}: {err}; nothing was imported",
                      file=item.path) from None
    return skipped + [_written(item) for item in results]


def _written(item: Imported) -> Imported:
    return Imported(item.source, item.id, item.rel, item.path, item.title, item.text,
                    item.connections, True)
