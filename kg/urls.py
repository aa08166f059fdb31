"""Which URLs a note may point to: the one allowlist for body links and front-matter."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp)[;,]", re.I)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def check_url(url: str, *, relative_ok: bool = True, data_images: bool = False) -> str | None:
    """None when ``url`` is safe to link; otherwise what is wrong with it."""
    # Browsers ignore tabs, newlines and leading spaces inside a scheme: "java\tscript:".
    squeezed = _CONTROL.sub("", url)
    scheme = _SCHEME.match(squeezed)
    if scheme is None:
        if not relative_ok:
            return "is not an absolute URL"
        if squeezed.startswith("//"):
            return "is a protocol-relative URL"
        return None
    name = scheme.group(1).lower()
    if name in _SAFE_SCHEMES:
        return None
    if data_images and _DATA_IMAGE.match(squeezed):
        return None
    return f"uses the scheme '{name}:', which is not allowed"


def is_safe_link(url: str) -> bool:
    return check_url(url, relative_ok=True, data_images=True) is None
