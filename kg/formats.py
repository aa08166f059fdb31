"""Listings for the terminal: the same rows as a table, JSON or CSV.

A query prints one listing per process, so the JSON and CSV writers are imported only when
asked for (json, csv and shutil cost ~13 ms of a ~200 ms command).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.ids import small_number

if TYPE_CHECKING:
    from kg.errors import Finding

FORMATS = ("table", "json", "csv")


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2,
                          ensure_ascii=False)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_cell(row.get(c)) for c in columns})
        return buf.getvalue().rstrip("\n")
    return table(rows, columns)


def plural(n: int, word: str) -> str:
    """``1 note``, ``2 notes``, ``0 notes``: a count for a message."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _csv_cell(value: Any) -> str:
    """A CSV field: booleans as ``true``/``false`` (as JSON writes them, not Python's
    ``True``), numbers as they are, the rest as in a table, but text that a spreadsheet
    would take for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return: a note's ``=HYPERLINK(…)``) after a ``'``, as OWASP advises, so that it opens as
    the text it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _cell(value)
    if text.startswith(_FORMULA) and text != "->" and not isinstance(value, int | float):
        return "'" + text  # ("->", kg path's and neighbors' direction, runs nothing)
    return text


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


PATH_COLUMNS = frozenset({"where", "file"})
"""Columns of file paths (``kg check``'s ``where``): never cut in their file's name."""
WHOLE_COLUMNS = frozenset({"id"})
"""Columns never cut: an id is what another command or a note's ``answers:`` is given."""


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned table; the last column wraps to the terminal's width. The first
    column (what a row is about: a note, a file and line) is cut at 60 characters, the
    others at 40, in the middle, but ids (:data:`WHOLE_COLUMNS`), never. A first column of
    paths (:data:`PATH_COLUMNS`) takes what the terminal leaves the others (40 for the
    last) and is cut in its folders, never in its file's name, so that two files of a long
    folder stay two."""
    if not rows:
        return "(none)"
    from kg.discover import printable  # a tab or ESC in a title: shown escaped, not let loose

    cells = [[printable(_cell(r.get(c)).replace("\n", " ")) for c in columns] for r in rows]
    widths = [max(len(c), *(_width(row[i]) for row in cells)) for i, c in enumerate(columns)]
    total = terminal_width()
    caps = [60, *[40] * (len(columns) - 1)]
    paths = columns[0] in PATH_COLUMNS and len(columns) > 1
    if paths:
        others = sum(min(w, 40) + 2 for w in widths[1:-1]) + 2 + min(widths[-1], 40)
        caps[0] = max(caps[0], total - others, *(_narrowest(row[0]) for row in cells))
    caps = [widths[i] if c in WHOLE_COLUMNS else cap
            for i, (c, cap) in enumerate(zip(columns, caps, strict=True))]
    widths = [min(w, cap) for w, cap in zip(widths[:-1], caps, strict=False)] + widths[-1:]
    fixed = sum(w + 2 for w in widths[:-1])
    widths[-1] = max(20, min(widths[-1], total - fixed))
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        parts = [_fit(v, w) for v, w in zip(row[:-1], widths[:-1], strict=True)]
        if paths:
            parts[0] = _fit_path(row[0], widths[0])
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def terminal_width(default: int = 120) -> int:
    """``$COLUMNS``, else the terminal's width, else ``default`` (as ``shutil`` decides)."""
    columns = os.environ.get("COLUMNS", "")
    if small_number(columns) and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(1).columns or default
    except (OSError, ValueError):
        return default


def _width(text: str) -> int:
    """The columns ``text`` takes in a terminal: two for a wide character (CJK, most
    emoji), none for a combining mark."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _fit(value: str, width: int) -> str:
    """``value`` in ``width`` columns, cut in the middle with ``…`` if it is wider."""
    if _width(value) <= width:
        return _pad(value, width)
    half = (width - 1) // 2
    if value.isascii():
        return value[:half] + "…" + value[len(value) - (width - 1 - half):]
    start, end = _columns(value, half), _columns(value[::-1], width - 1 - half)[::-1]
    return _pad(start + "…" + end, width)


def _columns(text: str, width: int) -> str:
    """The start of ``text`` that fits in ``width`` columns."""
    taken = 0
    for n, char in enumerate(text):
        taken += _width(char)
        if taken > width:
            return text[:n]
    return text


def _narrowest(path: str) -> int:
    """The width ``path`` takes with its folders cut to ``…``: its file name is never cut."""
    _, slash, name = path.rpartition("/")
    return _width(name) + (2 if slash else 0)


def _fit_path(path: str, width: int) -> str:
    """``path`` in ``width``, its folders cut in the middle (or to ``…``) to keep the name."""
    if _width(path) <= width:
        return _pad(path, width)
    folder, _, name = path.rpartition("/")
    room = width - _width(name) - 1
    short = _fit(folder, room) if room >= 5 else "…"
    return _pad(f"{short}/{name}", width)


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it;
    control characters in it shown escaped."""
    from kg.discover import printable

    if not path.is_absolute():
        return printable(str(path))
    try:
        return printable(str(path.resolve().relative_to(Path.cwd().resolve())))
    except (ValueError, OSError):
        return printable(str(path))


SHOWN_WARNINGS = 20
"""The most warnings a build lists one by one; ``kg check`` lists every one."""


def warning_lines(warnings: Sequence[Finding], limit: int = SHOWN_WARNINGS) -> list[str]:
    """What a build says of its ``warnings``: the first ``limit`` each on a line, then how
    many more of each code (a vault of Dataview fields, one warning a line, would otherwise
    fill the terminal on every build), and where the rest are."""
    lines = [str(w) for w in warnings[:limit]]
    rest = warnings[limit:]
    if rest:
        counts = Counter(w.code for w in rest)
        codes = ", ".join(f"{code} {n:,}" for code, n in
                          sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"… and {plural(len(rest), 'more warning')} ({codes}): `kg check` lists "
                     f"them all; a code in kg.toml's ignore = [...] is not said")
    return lines
