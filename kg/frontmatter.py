"""Front-matter: split a note's text, and read its YAML so that nothing surprises.

One pure function, :func:`split`, cuts the text into front-matter and body; :func:`load`
reads the YAML into :class:`Node` values that remember the file line of every value. The
loader works on the parser's events, so it can refuse what PyYAML would quietly accept:

- every scalar stays the string that was written (``NO``, ``012345``, ``1:20``, ``2026-05-04``);
  typing happens once, field by field, in :mod:`kg.parse`;
- anchors and aliases are refused (no "billion laughs"), and so are explicit tags
  (``!!python/object``…);
- a key written twice is an error naming both lines;
- nesting deeper than :data:`MAX_DEPTH`, values longer than :data:`MAX_SCALAR` and control
  characters inside values are errors, so no note can exhaust the stack or smuggle a NUL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import yaml

from kg.errors import NoteError

try:  # the C parser is ~6x faster; the pure-Python one gives the same events
    from yaml import CBaseLoader as _Loader

    _BYTE_POSITIONS = True  # libyaml reports a reader error's position in UTF-8 bytes
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]

    _BYTE_POSITIONS = False

MAX_FRONT_MATTER = 1024 * 1024
"""Front-matter longer than this is an error. A hub note of 3,000 connections, each with an
annotation, is 450 KB: 256 KiB (the limit before) stopped its build; 1 MiB of the worst YAML
(a list of one-letter items) reads in 0.6 s and 40 MB."""
MAX_SCALAR = 64 * 1024
MAX_DEPTH = 16
# C0/C1 controls other than tab and newline, and the noncharacters U+FFFE and U+FFFF (no XML
# may hold them); YAML and TOML escapes ("\0", "\x07", "\uFFFE") can write them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\v": "\\v", "\f": "\\f",
            "\x1b": "\\e", "\x85": "\\N"}
"""The control characters YAML's double quotes write by a letter's escape."""


def _control_hint(char: str, *, quoted: bool) -> str:
    """What to do about a control character in a value: in double quotes it is an escape,
    most often TeX written there (``"$\\alpha$"`` is BEL and ``lpha``)."""
    if not quoted:
        return "remove the escape (\\0, \\x.., \\u00..) that writes it"
    escape = _ESCAPES.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x100 else
                          f"\\u{ord(char):04x}")
    return (f"in double quotes YAML reads '{escape}' as U+{ord(char):04X}: write the value "
            f"in single quotes, where a backslash is itself (TeX's '\\alpha'), or the "
            f"backslash twice")


_SURROGATE = re.compile("[\ud800-\udfff]")
_FENCE = "---"
_CLOSERS = ("---", "...")

Value: TypeAlias = "str | list[Node] | dict[str, Node] | None"


@dataclass(frozen=True, slots=True)
class Node:
    """A YAML value and the 1-based line of the file it starts on."""

    value: Value
    line: int

    def __repr__(self) -> str:
        return f"Node({self.value!r}, line={self.line})"


@dataclass(frozen=True, slots=True)
class Split:
    front: str | None
    front_line: int
    body: str
    body_line: int
    toml: bool = False
    """The front-matter is TOML between ``+++`` lines (Hugo's), not YAML."""
    properties: bool = False
    """The front-matter is ``key:: value`` lines at the top of the file (Logseq's page
    properties, Dataview's inline fields), not YAML."""

    @property
    def syntax(self) -> Syntax:
        return "toml" if self.toml else "properties" if self.properties else "yaml"


Syntax: TypeAlias = Literal["yaml", "toml", "properties"]
"""How a note's front-matter writes a field: ``key: value`` (YAML), ``key = value`` (TOML,
between ``+++`` lines) or ``key:: value`` (Logseq's properties, Dataview's fields)."""


def field_line(key: str, value: str, syntax: Syntax = "yaml") -> str:
    """``key: value`` as a front-matter of ``syntax`` writes it, for a message or a hint:
    ``tier = 1`` in TOML, ``tier:: 1`` as a property."""
    return f"{key}{_SEPARATORS[syntax]}{value}"


_SEPARATORS: dict[str, str] = {"yaml": ": ", "toml": " = ", "properties": ":: "}


def unwritable(value: str) -> str | None:
    """The first character of ``value`` that no front-matter value may hold (a control
    character, U+FFFE, U+FFFF: :func:`load` refuses them, written raw or as an escape; a
    surrogate, which is no character: a byte of the command line that was not UTF-8), else
    None: what ``kg new`` checks before it writes a note that would not parse."""
    found = _CONTROL.search(value) or _SURROGATE.search(value)
    return found.group() if found else None


def normalise_newlines(text: str) -> str:
    """Strip a BOM and turn CRLF and CR-only line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split(text: str, *, file: str | None = None) -> Split:
    """Cut ``text`` (newlines already normalised) into front-matter and body.

    A first line of ``---`` opens front-matter, which runs to the next line that is ``---`` or
    ``...``. An opening with no close is an error: reading it as body would silently lose
    every field (python-frontmatter's behaviour).
    """
    fence = text[:3]
    if PROPERTY.match(text):
        return _properties(text)
    if fence not in (_FENCE, _TOML_FENCE) or text[3:4] not in ("\n", " ", "\t", ""):
        return Split(None, 0, text, 1)
    first_nl = text.find("\n")
    if first_nl == -1 or text[:first_nl].strip() != fence:
        return Split(None, 0, text, 1)
    closers = _CLOSERS if fence == _FENCE else (_TOML_FENCE,)
    pos = first_nl + 1
    line = 2
    while pos <= len(text):
        end = text.find("\n", pos)
        current = text[pos:] if end == -1 else text[pos:end]
        if current.rstrip() in closers:
            front = text[first_nl + 1 : pos]
            body = "" if end == -1 else text[end + 1 :]
            return Split(front, 2, body, line + 1, toml=fence == _TOML_FENCE)
        if end == -1:
            break
        pos = end + 1
        line += 1
    raise NoteError(
        "front-matter opened on line 1 is never closed",
        file=file,
        line=1,
        hint=f"end the front-matter with a line holding only {fence}",
    )


PROPERTY = re.compile(r"([A-Za-z][\w-]*)::(?:[ \t]+(.*)|[ \t]*$)", re.M)
"""A ``key:: value`` line: Logseq's page property, Dataview's inline field (``std::vector``
is neither)."""


def _properties(text: str) -> Split:
    """The ``key:: value`` lines a file opens with, as its front-matter (Logseq writes a
    page's ``title::``, ``alias::`` and ``tags::`` so), and the rest as its body."""
    pos, line = 0, 1
    while pos < len(text) and PROPERTY.match(text, pos):
        end = text.find("\n", pos)
        if end == -1:
            return Split(text, 1, "", line + 1, properties=True)
        pos, line = end + 1, line + 1
    return Split(text[:pos], 1, text[pos:], line, properties=True)


_PAGE_REF = re.compile(r"\[\[([^\[\]\n]*)\]\]")
_LISTS = frozenset({"alias", "aliases", "tags", "tag"})
"""Properties whose pages Logseq writes as links (``tags:: [[deep learning]], nlp``): here,
names, each one as a quoted part is. Logseq separates them by commas alone: ``tags:: ml
nlp`` is one page, where a YAML line of words is two tags, as Obsidian reads it."""


def load_properties(front: str, *, first_line: int = 1, file: str | None = None
                    ) -> dict[str, Node]:
    """Read ``key:: value`` lines into the same :class:`Node` values as YAML's: each value
    its text, the first of a key written twice read."""
    if len(front) > MAX_FRONT_MATTER:
        return load(front, first_line=first_line, file=file)  # the same error as YAML's
    fields: dict[str, Node] = {}
    for n, line in enumerate(front.split("\n")):
        found = PROPERTY.fullmatch(line.rstrip())
        if found is None:
            continue
        key, value = found.group(1), (found.group(2) or "").strip()
        if len(value) > MAX_SCALAR:  # as YAML's: a title of 200 KB on every list of notes
            raise NoteError(f"the property '{key}' is {len(value)} characters long",
                            file=file, line=first_line + n,
                            hint=f"keep values under {MAX_SCALAR} characters")
        if (bad := unwritable(value)) is not None:
            raise NoteError(f"the property '{key}' holds the control character "
                            f"U+{ord(bad):04X}", file=file, line=first_line + n,
                            hint="delete the invisible character")
        if key.lower() in _LISTS:  # [[deep learning]] is one name, as "deep learning" is
            value = _PAGE_REF.sub(r'"\1"', value)
            if value and "," not in value and value[0] not in "\"'":
                value = f'"{value}"'  # separated by commas alone: 'ml nlp' is one page
        fields.setdefault(key, Node(value or None, first_line + n))
    return fields


def load_toml(front: str, *, first_line: int = 2, file: str | None = None
              ) -> dict[str, Node]:
    """Read TOML front-matter (Hugo's, between ``+++`` lines) into the same :class:`Node`
    values as YAML's: every scalar the text TOML gives it (``true``, ``2024-03-05``), each
    value at the line of its top-level key (TOML's reader tells no lines)."""
    import tomllib

    if len(front) > MAX_FRONT_MATTER:
        return load(front, first_line=first_line, file=file)  # the same error as YAML's
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+)", str(err))
        raise NoteError(
            f"front-matter is not valid TOML: {re.sub(r' [(]at .*', '', str(err))}",
            file=file,
            line=first_line + int(found.group(1)) - 1 if found else first_line,
            hint='write fields as key = "value" lines, e.g. title = "My note"',
        ) from None
    except (ValueError, RecursionError) as err:  # a number of 5,000 digits; [[[[… nested
        raise NoteError(
            "front-matter is not valid TOML: " + ("it is nested too deeply" if isinstance(
                err, RecursionError) else "it holds a number too long to read"),
            file=file, line=first_line,
            hint=f"keep numbers short and nesting under {MAX_DEPTH} levels") from None
    lines, tables = _toml_lines(front, first_line)
    out: dict[str, Node] = {}
    for key, value in data.items():
        line = lines.get(key, first_line)
        headers = tables.get(key, [])
        if isinstance(value, list) and headers and all(isinstance(v, dict) for v in value):
            # [[connections]] tables: each item at the line of its own header
            items = [_toml_node(v, headers[min(i, len(headers) - 1)], file, 2)
                     for i, v in enumerate(value)]
            out[key] = Node(items, headers[0])
        else:
            out[key] = _toml_node(value, line, file, 1)
    return out


_TOML_FENCE = "+++"
_TOML_HEADER = re.compile(r'^\s*(\[\[?)\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)')
_TOML_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*[.=]')


def _toml_lines(front: str, first_line: int) -> tuple[dict[str, int], dict[str, list[int]]]:
    """The file line of each top-level key of TOML ``front`` (``key = …``, ``key.sub = …``
    or a ``[key]`` table's header), and each ``[[key]]`` header's line, in order; lines
    inside a multi-line string are text, not keys."""
    lines: dict[str, int] = {}
    tables: dict[str, list[int]] = {}
    in_table = False  # after a [header], keys are the table's, not the top level's
    quote: str | None = None
    for n, text in enumerate(front.split("\n")):
        if quote is not None:  # inside a multi-line string: only its end matters
            if text.count(quote) % 2:
                quote = None
            continue
        header = _TOML_HEADER.match(text)
        if header:
            name = header.group(2).strip("\"'")
            if header.group(1) == "[[":
                tables.setdefault(name, []).append(first_line + n)
            lines.setdefault(name, first_line + n)
            in_table = True
        elif not in_table and (key := _TOML_KEY.match(text)):
            lines.setdefault(key.group(1).strip("\"'"), first_line + n)
        for opener in ('"""', "'''"):
            if text.count(opener) % 2:
                quote = opener
                break
    return lines, tables


def _toml_node(value: object, line: int, file: str | None, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise NoteError(f"front-matter is nested more than {MAX_DEPTH} levels deep",
                        file=file, line=line,
                        hint="flatten the value; no field of a note needs that much nesting")
    if isinstance(value, dict):
        return Node({str(k): _toml_node(v, line, file, depth + 1) for k, v in value.items()},
                    line)
    if isinstance(value, list):
        return Node([_toml_node(v, line, file, depth + 1) for v in value], line)
    if isinstance(value, bool):
        return Node("true" if value else "false", line)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if len(text) > MAX_SCALAR or _CONTROL.search(text):
        raise NoteError("a front-matter value is too long or holds a control character",
                        file=file, line=line, hint=f"keep values under {MAX_SCALAR} "
                        "characters of printable text")
    return Node(text, line)


def load(front: str, *, first_line: int = 2, file: str | None = None,
         twice: list[NoteError] | None = None) -> dict[str, Node]:
    """Read front-matter YAML into a mapping of :class:`Node` (empty text gives ``{}``).
    A key written twice is an error, raised, or put in ``twice`` if given (its first value
    read), so that the note's other errors are said with it."""
    if len(front) > MAX_FRONT_MATTER:
        raise NoteError(
            f"front-matter is {len(front)} characters long",
            file=file,
            line=first_line,
            hint=f"keep front-matter under {MAX_FRONT_MATTER} characters; move text to the body",
        )
    loader = _Loader(front)
    try:
        root = _Builder(loader, first_line, file, twice).document()
    except yaml.MarkedYAMLError as err:
        raise _syntax_error(err, front, first_line, file) from None
    except yaml.reader.ReaderError as err:
        raise NoteError(
            f"front-matter holds the control character U+{err.character:04X}",
            file=file,
            line=first_line + _newlines_before(front, err.position),
            hint="delete the invisible character; YAML allows only printable text",
        ) from None
    except yaml.YAMLError as err:
        raise NoteError(f"front-matter is not valid YAML: {err}", file=file,
                        line=first_line) from None
    finally:
        loader.dispose()
    if root is None or root.value is None:
        return {}
    if not isinstance(root.value, dict):
        kind = "a list" if isinstance(root.value, list) else "a single value"
        raise NoteError(
            f"front-matter is {kind}, not a set of fields",
            file=file,
            line=root.line,
            hint="write fields as 'key: value' lines, e.g. 'title: My note'",
        )
    return root.value


def _syntax_error(
    err: yaml.MarkedYAMLError, front: str, first_line: int, file: str | None
) -> NoteError:
    """The error at the line to fix: an unclosed ``[`` or ``"`` is reported where it opened,
    not at the closing ``---`` where the parser ran out of text."""
    last = front.count("\n")
    problem, context = err.problem_mark, err.context_mark
    message = err.problem or err.context or "syntax error"
    mark = problem or context
    if context is not None and (problem is None or problem.line >= last):
        mark = context
        if err.context and err.problem:
            message = f"{err.problem} ({err.context} that starts here)"
    at = min(mark.line, last) if mark is not None else 0
    if at >= last and (opened := _unclosed_flow(front)) is not None:
        # libyaml's context is then the empty node at the end ("while parsing a flow node")
        at, bracket = opened
        message = f"{err.problem or message} (the {bracket} opened here is never closed)"
    lines = front.split("\n")
    line_text = lines[at] if at < len(lines) else ""
    tabbed = line_text[:len(line_text) - len(line_text.lstrip())].count("\t")
    if tabbed:
        hint = "YAML indents with spaces, never tabs: replace the tabs at the start of the line"
    elif " #" in line_text or "[#" in line_text:
        hint = ("a # after a space or a [ starts a YAML comment, which hides the rest of the "
                "line: quote the value ('#ml'), or write tags without # (tags: [ml])")
    elif "[[" in line_text:  # related: [[A]], [[B]]: a list in a list, then more
        hint = ('YAML reads [[ as a list in a list: quote each value that holds a [[link]], '
                'as Obsidian writes them (related: ["[[A]]", "[[B]]"], up: "[[A]] and more")')
    else:
        hint = "check quoting and indentation; quote text that holds ': ' or starts with [ { * &"
    return NoteError(f"front-matter is not valid YAML: {message}", file=file,
                     line=first_line + at, hint=hint)


def _unclosed_flow(front: str) -> tuple[int, str] | None:
    """The line (from 0) of the innermost ``[`` or ``{`` that is never closed, and which,
    read with PyYAML's scanner as far as it goes (only for text that does not parse)."""
    opened: list[tuple[int, str]] = []
    try:
        for token in yaml.scan(front, Loader=yaml.BaseLoader):
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                bracket = "[" if isinstance(token, yaml.FlowSequenceStartToken) else "{"
                opened.append((token.start_mark.line, bracket))
            elif opened and isinstance(token, yaml.FlowSequenceEndToken
                                       | yaml.FlowMappingEndToken):
                opened.pop()
    except yaml.YAMLError:
        pass  # the brackets opened before the scanner stopped
    return opened[-1] if opened else None


def _newlines_before(text: str, position: int) -> int:
    if _BYTE_POSITIONS:
        return text.encode("utf-8")[:position].count(b"\n")
    return text[:position].count("\n")  # pragma: no cover - libyaml missing


class _Builder:
    """Turns parser events into :class:`Node` values, refusing what could surprise."""

    def __init__(self, loader: Any, first_line: int, file: str | None,
                 twice: list[NoteError] | None = None) -> None:
        self.loader = loader
        self.first_line = first_line
        self.file = file
        self.depth = 0
        self.twice = twice
        """Where a key written twice is told (else raised), its first value kept."""

    def _line(self, event: yaml.Event) -> int:
        mark = event.start_mark
        return self.first_line + (mark.line if mark is not None else 0)

    def _next(self) -> yaml.Event:
        event: yaml.Event = self.loader.get_event()  # CBaseLoader is untyped
        return event

    def document(self) -> Node | None:
        self._expect(yaml.StreamStartEvent)
        event = self._next()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        if not isinstance(event, yaml.DocumentStartEvent):  # pragma: no cover - parser guarantees
            raise NoteError("unexpected YAML structure", file=self.file, line=self._line(event))
        root = self._node(self._next())
        end = self._next()
        if not isinstance(end, yaml.DocumentEndEvent):  # pragma: no cover
            raise NoteError("unexpected YAML structure", file=self.file, line=self._line(end))
        extra = self._next()
        if not isinstance(extra, yaml.StreamEndEvent):
            raise NoteError(
                "front-matter holds more than one YAML document",
                file=self.file,
                line=self._line(extra),
                hint="remove the extra '---' inside the front-matter",
            )
        return root

    def _expect(self, kind: type[yaml.Event]) -> yaml.Event:
        event = self._next()
        if not isinstance(event, kind):  # pragma: no cover - parser guarantees
            raise NoteError("unexpected YAML structure", file=self.file, line=self._line(event))
        return event

    def _refuse_extras(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise NoteError(
                "YAML anchors and aliases (& and *) are not allowed in front-matter",
                file=self.file,
                line=self._line(event),
                hint="write the value out in full where it is used",
            )
        tag = getattr(event, "tag", None)
        if tag and tag not in ("!", "tag:yaml.org,2002:str"):
            raise NoteError(
                f"YAML tag {tag} is not allowed in front-matter",
                file=self.file,
                line=self._line(event),
                hint="remove the '!' tag; values are read as plain text",
            )

    def _node(self, event: yaml.Event) -> Node:
        self._refuse_extras(event)
        line = self._line(event)
        if isinstance(event, yaml.ScalarEvent):
            value = event.value
            if len(value) > MAX_SCALAR:
                raise NoteError(
                    f"a front-matter value is {len(value)} characters long",
                    file=self.file,
                    line=line,
                    hint=f"keep values under {MAX_SCALAR} characters",
                )
            control = _CONTROL.search(value)
            if control:
                raise NoteError(
                    f"a front-matter value holds the control character "
                    f"U+{ord(control.group()):04X}",
                    file=self.file,
                    line=line,
                    hint=_control_hint(control.group(), quoted=event.style == '"'),
                )
            plain = event.implicit[0] and not event.style
            if plain and value in ("", "~", "null", "Null", "NULL"):
                return Node(None, line)
            return Node(value, line)
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise NoteError(
                    f"front-matter is nested more than {MAX_DEPTH} levels deep",
                    file=self.file,
                    line=line,
                    hint="flatten the value; no field of a note needs that much nesting",
                )
            try:
                return self._collection(event, line)
            finally:
                self.depth -= 1
        raise NoteError(  # pragma: no cover - parser guarantees
            "unexpected YAML structure", file=self.file, line=line
        )

    def _collection(self, event: yaml.Event, line: int) -> Node:
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Node] = []
            while not isinstance(nxt := self._next(), yaml.SequenceEndEvent):
                items.append(self._node(nxt))
            return Node(items, line)
        if isinstance(event, yaml.MappingStartEvent):
            mapping: dict[str, Node] = {}
            key_lines: dict[str, int] = {}
            while not isinstance(nxt := self._next(), yaml.MappingEndEvent):
                key = self._node(nxt)
                if not isinstance(key.value, str) and getattr(event, "flow_style", False):
                    raise NoteError(  # date: {{date}}, a template's placeholder
                        "a value in braces is read as a YAML mapping, and this one cannot be",
                        file=self.file,
                        line=key.line,
                        hint="put a template placeholder in quotes, e.g. date: \"{{date}}\"",
                    )
                if not isinstance(key.value, str):
                    raise NoteError(
                        "a front-matter key must be plain text",
                        file=self.file,
                        line=key.line,
                        hint="write keys as words, e.g. 'title:'",
                    )
                if key.value in mapping:
                    twice = NoteError(
                        f"key '{key.value}' is written twice, on lines "
                        f"{key_lines[key.value]} and {key.line}",
                        file=self.file,
                        line=key.line,
                        hint="keep one of them",
                    )
                    if self.twice is None:
                        raise twice
                    self.twice.append(twice)  # the first one read, the note's other errors too
                    self._node(self._next())
                    continue
                key_lines[key.value] = key.line
                mapping[key.value] = self._node(self._next())
            return Node(mapping, line)
        raise NoteError(  # pragma: no cover - parser guarantees
            "unexpected YAML structure", file=self.file, line=line
        )
