"""Names that cannot reorder the text shown after them.

A bidirectional control in a note's title, alias, tag or link text (U+202E RIGHT-TO-LEFT
OVERRIDE, an embedding, an isolate left open, a direction mark) changes the order in which
the text after it is shown, up to the end of its line: in a list of notes, the next note's
line of tags; in the graph's panel, ``A —supports→ B`` ("Trojan source"). :func:`isolate`
keeps such a name to itself, as HTML's ``<bdi>`` would, in text of any kind (an element, an
attribute, a page's ``<title>``, the graph's JSON): between U+2068 FIRST STRONG ISOLATE and
U+2069 POP DIRECTIONAL ISOLATE, which end every override and embedding opened inside them
and show the name in its own direction (an Arabic or Hebrew title right to left, as it is
without them). Text without these characters, nearly all of it, is not changed.
"""

from __future__ import annotations

CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                     "\u2066\u2067\u2068\u2069")
"""The characters that change the direction of the text after them."""

FSI = "\u2068"
PDI = "\u2069"
_INITIATORS = frozenset("\u2066\u2067\u2068")


def isolate(text: str) -> str:
    """``text`` as it is if it holds no bidirectional control (or is one isolate already),
    else between FSI and PDI: a PDI of its own that closes nothing it opened is left out (it
    would close the isolate around it) and an isolate it leaves open is closed."""
    if text.isprintable() or CONTROLS.isdisjoint(text):
        return text
    depth = 0
    whole = text[0] == FSI  # one isolate from the first character to the last
    kept: list[str] = []
    for at, char in enumerate(text):
        if char in _INITIATORS:
            depth += 1
        elif char == PDI:
            if not depth:
                whole = False
                continue
            depth -= 1
            if not depth and at < len(text) - 1:
                whole = False
        kept.append(char)
    if whole and not depth:
        return text
    return FSI + "".join(kept) + PDI * (depth + 1)
