"""New wikis and new notes: ``kg init`` and ``kg new``.

A new note is rendered from ``templates/note.md`` (the wiki's own first, then the theme's),
its front-matter written by a YAML emitter so any title survives, and the result parsed back
with :func:`kg.parse.parse_note` before anything is written. Files are created with
exclusive-create, so nothing is ever overwritten, not even by a race.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.config import CONFIG_NAME, Config, dendron_workspace
from kg.errors import ConfigError, EditorFailed, KgError, NoteError, NotFound
from kg.ids import NoteId, as_note_id, name_key, slugify, tag_name, title_id
from kg.model import Placeholder, Wiki
from kg.relations import DEFAULT, Relation, lookup, unknown_hint
from kg.resolve import Resolver


@dataclass(frozen=True, slots=True)
class Link:
    """A connection asked for with ``--connect``, resolved."""

    target: NoteId
    title: str
    relation: Relation
    annotation: str
    exists: bool

    @property
    def label(self) -> str:
        """The title, safe inside ``[[target|label]]``."""
        return " ".join(self.title.replace("|", "/").replace("[", "(").replace("]", ")").split())


@dataclass(frozen=True, slots=True)
class Created:
    """A note written by ``kg new`` or ``kg import``."""

    id: NoteId
    path: Path
    rel: str
    title: str
    placeholder: Placeholder | None = None


# -- front-matter ------------------------------------------------------------------------------


def front_matter(fields: dict[str, Any]) -> str:
    """YAML for ``fields`` in the given order: lists of text in flow style, connections and
    other mappings in block style, every string quoted exactly when it needs to be."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

    def dump(value: Any, flow: bool) -> str:
        return yaml.dump(value, Dumper=Dumper, default_flow_style=flow, allow_unicode=True,
                         sort_keys=False, width=1_000_000)

    lines: list[str] = []
    for key, value in fields.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            lines.append(f"{key}: {dump(value, True)}")
        else:
            lines.append(dump({key: value}, False))
    return "".join(lines)


# -- kg new -----------------------------------------------------------------------------------


def _refuse_unwritable(values: Iterable[tuple[str, str]], holder: str = "a note") -> None:
    """A control character, U+FFFE or U+FFFF in what a note (or ``holder``) would hold:
    refused before it is written, since it would not parse (it would stop every build)."""
    from kg.discover import printable
    from kg.frontmatter import unwritable

    for what, value in values:
        char = unwritable(value)
        if char is not None and "\udc80" <= char <= "\udcff":  # argv's undecodable byte
            raise ConfigError(f"the {what} '{printable(value)}' holds the byte "
                              f"0x{ord(char) - 0xDC00:02X}, which is not UTF-8",
                              hint="type it as UTF-8 (a terminal set to UTF-8: LANG=C.UTF-8)")
        if char is not None:
            raise ConfigError(f"the {what} '{printable(value)}' holds U+{ord(char):04X},"
                              f" which {holder} cannot hold", hint="leave that character out")


def parse_connect(spec: str, resolver: Resolver, placeholders: dict[NoteId, Placeholder],
                  wiki: Wiki, folder: Path | None = None) -> Link:
    """``ID[:REL[:ANNOTATION]]``: the target is the shortest prefix that names a note (or,
    with the wiki's ``folder``, whose file's path from here is: ``wiki/ahe.md``)."""
    from kg.discover import named_by_path

    parts = spec.split(":")
    first_error: KgError | None = None
    for i in range(1, len(parts) + 1):
        target = ":".join(parts[:i]).strip()
        if folder is not None:
            target = named_by_path(target, folder)
        rest = parts[i:]
        try:
            nid = resolver.resolve(target)
        except KgError as err:
            first_error = first_error or err
            continue
        if nid is None:
            slug = slugify(target)
            nid = NoteId(slug) if slug in placeholders else None
        if nid is None:
            continue
        rel_name = rest[0].strip() if rest else ""
        relation = lookup(rel_name) if rel_name else DEFAULT
        if relation is None:
            if i < len(parts) - 1 and lookup(parts[i + 1].strip()):
                continue  # the target itself held a colon
            raise ConfigError(f"unknown relation '{rel_name}' in --connect {spec}",
                              hint=unknown_hint(rel_name, target))
        annotation = " ".join(":".join(rest[1:]).split())
        exists = nid in wiki.notes
        title = wiki.notes[nid].title if exists else placeholders[nid].label
        return Link(nid, title, relation, annotation, exists)
    if first_error is not None:
        raise first_error
    target = parts[0].strip()
    matches: list[str] = []
    for name in resolver.suggestions(target):
        if all(slugify(name) != slugify(m) for m in matches):
            matches.append(name)
    raise NotFound(
        f"--connect {spec}: no note called '{target}'",
        hint=(f"closest: {', '.join(matches)}" if matches
              else "connect to an existing note's id or alias"),
    )


def new_note(
    config: Config,
    title: str,
    *,
    date: dt.date | None = None,
    tier: int | None = None,
    tags: Sequence[str] = (),
    aliases: Sequence[str] = (),
    connect: Sequence[str] = (),
    note_id: str | None = None,
    note_type: str | None = None,
    wiki: Wiki | None = None,
) -> Created:
    """Write a new note into the wiki from the note template; never overwrites a file.

    A title (or ``note_id``) that names a placeholder turns the placeholder into this note.
    """
    title = " ".join(title.split())
    if not title:
        raise ConfigError("the title is empty", hint='kg new "Title of the note"')
    _refuse_unwritable([("title", title), *(("tag", t) for t in tags),
                        *(("alias", a) for a in aliases), *(("--connect", c) for c in connect),
                        *((("--id", note_id),) if note_id else ()),
                        *((("--type", note_type),) if note_type else ())])
    if tier is not None and not 1 <= tier <= 9:
        raise ConfigError(f"tier {tier} is not a tier", hint="tiers are 1 to 9")
    if not config.wiki.is_dir():
        raise NoteError(f"no wiki folder at {config.wiki}", hint="run `kg init` first")
    if wiki is None:
        try:
            from kg.cache import load_wiki_cached

            wiki = load_wiki_cached(config)
        except KgError:
            if connect:
                raise
            # a note with an error elsewhere: the names of the others are still taken
            from kg.check import collect_leniently

            wiki = collect_leniently(config)[0]
    resolver = Resolver(wiki.notes.values())
    placeholders = dict(wiki.placeholders)

    nid = as_note_id(note_id) if note_id else title_id(title)
    placeholder = placeholders.get(nid)
    if placeholder is None and not note_id and title in placeholders:
        nid, placeholder = NoteId(title), placeholders[NoteId(title)]
    if placeholder is None and not note_id:  # [[C++]] beside C.md: its placeholder's id
        placeholder = placeholders.get(resolver.placeholder(title))
        if placeholder is not None and name_key(placeholder.label) == name_key(title):
            nid = placeholder.id
        else:  # another name whose id is cut alike (two long titles): not this one's
            placeholder = None
    if placeholder is not None and title in (placeholder.id, placeholder.label):
        title = _title_of(placeholder)
    refuse_taken(config, wiki, resolver, nid, title, aliases, explicit=bool(note_id))

    links = _one_each([parse_connect(spec, resolver, placeholders, wiki, config.wiki)
                       for spec in connect])
    fields: dict[str, Any] = {
        "title": title,
        "date": date or dt.date.today(),
        "tier": tier,
        "type": note_type,
        "aliases": list(dict.fromkeys(a.strip() for a in aliases if a.strip())),
        "tags": list(dict.fromkeys(t for t in (tag_name(t) for t in tags) if t)),
        "connections": [_connection(link) for link in links],
    }
    text = render_note(config, fields, links)
    return write_note(config, nid, text, title, placeholder)


def _title_of(placeholder: Placeholder) -> str:
    """A readable title for a placeholder written as an id: ``wang-huang`` → ``Wang Huang``."""
    label = placeholder.label
    if label != slugify(label):
        return label
    return " ".join(word.capitalize() for word in label.split("-"))


def refuse_taken(config: Config, wiki: Wiki, resolver: Resolver, nid: NoteId, title: str,
                 aliases: Sequence[str] = (), *, explicit: bool) -> None:
    """Refuse a new note whose id, file name, title (unless its id was ``explicit``) or an
    alias another note already has: written, it would take over that note's links, or
    make a name two notes claim (an error of every later build)."""
    if nid in wiki.notes:
        raise KgError(f"a note with the id '{nid}' exists already",
                      file=config.wiki / wiki.notes[nid].path,
                      hint="pick another title, or pass --id another-id")
    target = config.wiki / f"{nid}.md"
    if target.exists():
        raise KgError(f"{target.name} exists already", file=target,
                      hint="pick another title, or pass --id another-id")
    from kg.discover import discover

    taken = next((f for f in discover(config.wiki).files if f.id == nid), None)
    if taken is not None:  # a draft (not in the wiki's notes), or Draft.md for draft.md
        raise KgError(f"{taken.rel} has the id '{nid}' already", file=taken.path,
                      hint="pick another title, or pass --id another-id")
    named = _named(resolver, nid)
    if named is not None:
        raise KgError(
            f"'{nid}' already names {named}: a note with that file name would take over "
            "its links", file=config.wiki / wiki.notes[named].path,
            hint="pass --id another-id",
        )
    same = None if explicit else _named(resolver, title)
    if same is not None:
        raise KgError(f"'{title}' is already a note: {same}",
                      file=config.wiki / wiki.notes[same].path,
                      hint="edit that note, or pass --id to write another one")
    for alias in aliases:
        claimed = _named(resolver, alias)
        if claimed is not None:
            raise KgError(f"the alias '{alias}' already names {claimed}",
                          file=config.wiki / wiki.notes[claimed].path,
                          hint="leave the alias out, or pick another")


def _named(resolver: Resolver, name: str) -> NoteId | None:
    """The note ``name`` names (an ambiguous one: none in particular)."""
    try:
        return resolver.resolve(name)
    except KgError:
        return None


def _one_each(links: Sequence[Link]) -> list[Link]:
    """One connection to a note by a relation, as aliases and tags are each written once:
    ``--connect mimo --connect MiMo`` named one note twice (a ``duplicate-connection``
    warning of ``kg check``); annotations of the same connection are joined."""
    one: dict[tuple[NoteId, str], Link] = {}
    for link in links:
        key = (link.target, link.relation.name)
        first = one.get(key)
        if first is None:
            one[key] = link
        elif link.annotation and link.annotation not in first.annotation:
            joined = "; ".join(a for a in (first.annotation, link.annotation) if a)
            one[key] = replace(first, annotation=joined)
    return list(one.values())


def _connection(link: Link) -> dict[str, str]:
    out = {"to": str(link.target), "rel": link.relation.name}
    if link.annotation:
        out["note"] = link.annotation
    return out


def template_dirs(config: Config) -> list[Path]:
    from kg.theme import template_dirs as site_dirs

    return site_dirs(config)


def render_note(config: Config, fields: dict[str, Any], links: Iterable[Link] = (),
                body: str | None = None, template: str = "note.md") -> str:
    """The text of a note: the front-matter, then ``body`` or the template's body."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(config)]),
        autoescape=False,  # Markdown, not HTML; the front-matter is emitted, not templated
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    try:
        tmpl = env.get_template(template)
        text = tmpl.render(
            front_matter=front_matter(fields),
            title=fields.get("title", ""),
            fields=fields,
            connections=list(links),
            body=body,
        )
    except jinja2.TemplateError as err:
        where = getattr(err, "filename", None) or template
        raise ConfigError(f"the note template cannot be rendered: {err}", file=where,
                          line=getattr(err, "lineno", None)) from None
    except (OSError, UnicodeDecodeError) as err:  # the wiki's own, unreadable or not UTF-8
        found = next((d / template for d in template_dirs(config) if (d / template).is_file()),
                     template)
        decoding = isinstance(err, UnicodeDecodeError)
        why = (f"it is not UTF-8: byte 0x{err.object[err.start]:02X} at offset {err.start}"
               if isinstance(err, UnicodeDecodeError) else err.strerror or str(err))
        raise ConfigError(f"cannot read the note template: {why}", file=found,
                          hint=f"{'save it as UTF-8' if decoding else 'check its permissions'}"
                               ", or remove it to use the theme's") from None
    return text


def write_note(config: Config, nid: NoteId, text: str, title: str,
               placeholder: Placeholder | None = None, *, folder: str = "") -> Created:
    """Check that ``text`` parses as a note, then create ``<wiki>/<folder>/<nid>.md``."""
    from kg.parse import parse_note

    rel = f"{folder.strip('/')}/{nid}.md" if folder.strip("/") else f"{nid}.md"
    try:
        parse_note(text.encode("utf-8"), nid=nid, path=rel)
    except NoteError as err:
        raise NoteError(f"the new note would not parse: {err.message}", file=rel,
                        line=err.line, hint="check templates/note.md") from None
    path = config.wiki / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except FileExistsError:
        raise KgError(f"{rel} exists already; nothing was written", file=path,
                      hint="pick another title, or pass --id another-id") from None
    return Created(nid, path, rel, title, placeholder)


FALLBACK_EDITORS = ("sensible-editor", "vim", "nano", "vi")
"""The editors tried, the first installed, when neither $VISUAL nor $EDITOR names one."""


def open_in_editor(path: Path) -> None:
    """Open the note at ``path`` in the user's editor and wait for it to close: $VISUAL, then
    $EDITOR (as git and click choose; one holding only spaces is unset), else the first of
    :data:`FALLBACK_EDITORS` installed. An editor that cannot be found, read or run, or that
    fails, is an :class:`EditorFailed` naming the note, which stays written."""
    import os
    import shlex
    import shutil
    import subprocess

    def failed(why: str, hint: str = "set $EDITOR to your editor's command "
               "(export EDITOR=nano; $VISUAL, if set, comes first), then open the note"
               ) -> EditorFailed:
        return EditorFailed(f"the note is written, but no editor opened it: {why}",
                            file=path, hint=hint)

    named = next(((f" (${key})", os.environ[key]) for key in ("VISUAL", "EDITOR")
                  if os.environ.get(key, "").strip()), None)
    if named is None:
        found = next((e for e in FALLBACK_EDITORS if shutil.which(e)), None)
        if found is None:
            raise failed(f"$EDITOR is not set and none of {', '.join(FALLBACK_EDITORS)} "
                         "is installed")
        named = ("", found)
    source, command = named
    try:
        words = shlex.split(command)
    except ValueError as err:  # '"unclosed'
        raise failed(f"the command{source} {command!r} cannot be read: {err}") from None
    program = words[0] if words else ""
    if not program:  # '""'
        raise failed(f"the command{source} {command!r} names no program")
    # ~/bin/ed and $HOME/bin/ed, as the shell that click.edit (and git) run it through reads
    # them; the note's path is never read by a shell
    words[0] = os.path.expanduser(os.path.expandvars(program))
    try:
        code = subprocess.run([*words, str(path)], check=False).returncode
    except FileNotFoundError:
        raise failed(f"'{program}'{source} was not found") from None
    except OSError as err:
        raise failed(f"'{program}'{source} cannot be run: {err.strerror}") from None
    if code:
        what = f"was stopped by signal {-code}" if code < 0 else f"exited with status {code}"
        raise failed(f"'{program}'{source} {what}",
                     hint="what it saved is in the note; open the note again to finish it")


# -- kg init ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Initialised:
    root: Path
    config: Path
    wiki: Path
    first_note: Path | None
    written: tuple[Path, ...]
    ignored: tuple[str, ...] = ()
    """The lines added to a ``.gitignore`` that was there already."""
    outside: tuple[str, ...] = ()
    """Notes in the folder but outside ``wiki/`` (a vault's own, :func:`notes_beside`),
    which the wiki does not read."""


def init(root: Path, *, title: str = "Knowledge graph", today: dt.date | None = None
         ) -> Initialised:
    """A new wiki in ``root``: ``kg.toml``, ``wiki/`` with a first note, a ``.gitignore``.

    Refuses a folder that has a ``kg.toml``; keeps notes that are already in ``wiki/``.
    """
    # before anything is written: a title kg.toml cannot hold left a half-made wiki (an
    # undecodable byte of a Latin-1 terminal), or one whose first build refused it (ESC)
    _refuse_unwritable([("title", title)], "kg.toml")
    root = root.resolve()
    config_path = root / CONFIG_NAME
    if config_path.exists() or config_path.is_symlink():  # a dangling link: not written
        raise ConfigError(f"{CONFIG_NAME} exists already: this is a wiki", file=config_path,
                          hint="run kg commands here, or `kg init` another folder")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file", hint="pass a folder to `kg init`")
    wiki = root / "wiki"
    written: list[Path] = []
    ignore = root / ".gitignore"
    # read before anything is written: one that cannot be read leaves no half-made wiki
    missing = _missing_ignores(ignore) if ignore.exists() or ignore.is_symlink() else None
    try:
        wiki.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file on the way (afile/sub), a folder we may not write
        raise ConfigError(f"cannot make the wiki folder {wiki}: {err.strerror or err}",
                          hint="pass a folder you can write to `kg init`") from None
    config_path.write_text(_TOML.format(title=json.dumps(title, ensure_ascii=False),
                                        line_breaks=str(_obsidian_breaks(root)).lower(),
                                        wikilinks=_DENDRON if dendron_workspace(root) else ""),
                           encoding="utf-8")
    written.append(config_path)
    added: tuple[str, ...] = ()
    if missing is None:
        ignore.write_text("".join(f"{line}\n" for line in IGNORED), encoding="utf-8")
        written.append(ignore)
    else:
        added = _add_to_gitignore(ignore, missing)
    first: Path | None = None
    outside = notes_beside(root, wiki)
    if not any(wiki.rglob("*.md")):
        first = wiki / "start-here.md"
        day = (today or dt.date.today()).isoformat()
        with open(first, "x", encoding="utf-8", newline="\n") as f:
            f.write(_FIRST_NOTE.replace("{date}", day))
        written.append(first)
    return Initialised(root, config_path, wiki, first, tuple(written), added, outside)


def _obsidian_breaks(root: Path) -> bool:
    """Whether ``root`` is an Obsidian vault that shows each line break of a note: one with
    ``.obsidian/`` whose "Strict line breaks" is off (its default)."""
    if not (root / ".obsidian").is_dir():
        return False
    try:
        app = json.loads((root / ".obsidian" / "app.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # none yet (Obsidian writes it once a
        return True  # setting changes); nested past the stack
    return not (isinstance(app, dict) and app.get("strictLineBreaks") is True)


_PROJECT_FILES = frozenset({
    "README", "CHANGELOG", "CHANGES", "HISTORY", "CONTRIBUTING", "CODE_OF_CONDUCT", "LICENSE",
    "LICENCE", "SECURITY", "SUPPORT", "AUTHORS", "NOTICE"})
"""A project's own documents: a folder with them is a repository that kg init was run in,
not a vault whose notes it leaves out."""


def notes_beside(root: Path, wiki: Path) -> tuple[str, ...]:
    """The note files in ``root`` and its folders one deep (not hidden nor skipped, as the
    wiki's are), but for ``wiki``'s: an Obsidian vault or a Logseq graph that ``kg init``
    was run in, whose notes a ``wiki/`` beside them leaves out. Sorted, by path."""
    from kg.discover import skipped_folder

    def note(file: Path) -> bool:  # a project's README.md, CHANGELOG.md: no vault's notes
        return (file.is_file() and file.name.lower().endswith(".md")
                and file.name[:-3].upper() not in _PROJECT_FILES)

    found: list[str] = []
    try:
        for top in sorted(root.iterdir()):
            if note(top):
                found.append(top.name)
            elif top.is_dir() and top != wiki and not skipped_folder(top.name):
                found.extend(f"{top.name}/{f.name}" for f in sorted(top.iterdir()) if note(f))
    except OSError:  # a folder that cannot be listed: nothing said of it
        pass
    return tuple(found)


IGNORED = ("site/", ".kg/")
"""What git should not track in a wiki: the built site and kg's cache."""


def _missing_ignores(path: Path) -> tuple[str, ...]:
    """The lines of :data:`IGNORED` that the ``.gitignore`` at ``path`` lacks (``site``,
    ``/site/`` and the like count as there); one that cannot be read is an error."""
    import stat

    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe would be waited on for ever
            raise ConfigError(f"{path.name} is not a regular file", file=path,
                              hint="make it a file, or remove it: kg init writes one")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path.name}: {getattr(err, 'strerror', None) or err}",
                          file=path, hint="add site/ and .kg/ to it by hand") from None
    present = {line.strip().strip("/") for line in text.splitlines()}
    return tuple(line for line in IGNORED if line.strip("/") not in present)


def _add_to_gitignore(path: Path, missing: tuple[str, ...]) -> tuple[str, ...]:
    """Append the lines ``missing`` to the ``.gitignore`` at ``path``; the lines added."""
    if missing:
        text = path.read_text(encoding="utf-8")
        lead = "" if not text or text.endswith("\n") else "\n"
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(lead + "".join(f"{line}\n" for line in missing))
        except OSError as err:
            raise ConfigError(f"cannot add {', '.join(missing)} to {path.name}: "
                              f"{err.strerror or err}", file=path,
                              hint="add them by hand") from None
    return missing


_TOML = """\
# Settings of this wiki; paths are relative to this file.
[kg]
title = {title}
wiki = "wiki"
out = "site"
base_iri = "https://example.org/kg/"
# true: each line break in a note is shown (Obsidian's way); false: lines join (CommonMark's)
line_breaks = {line_breaks}
{wikilinks}
[kg.tiers]
1 = "Research direction"
2 = "Notable"
3 = "Background"
"""

_DENDRON = """\
# a Dendron workspace (dendron.yml is here): a link's label comes first, [[label|target]]
wikilinks = "dendron"
"""

_FIRST_NOTE = """\
---
title: "Start here"
date: {date}
tier: 3
type: concept
tags: [kg]
---
## TL;DR
This wiki keeps one Markdown note per paper, newsletter issue, post or benchmark. Each note
says in its front-matter how it connects to other notes; `kg build` turns the folder into a
knowledge graph and a static site in `site/`.

## Why it matters
Connections carry a relation (`related`, `extends`, `supports`, `counterpoint`, `critiques`,
`applies`, `evidence`, `example-of`, `answers`, `cites`, …) and a sentence saying why, so
`kg connections NOTE` can answer how two pieces of work relate.

## Connections
Add a note with `kg new "Title" --tier 1 --tag topic --connect start-here:related:why`, or
convert a plain-text digest with `kg import digest.txt`. Links such as [[start-here]]
anywhere in a body are mentions.

## Research angle
1. **Write the first real note.** Replace this one when the wiki has a few of its own.

## Open questions
- Which notes should this wiki hold first?
"""
