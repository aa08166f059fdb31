"""Which URLs a note may point to: the one allowlist for body links and front-matter.

A link or image may be ``http(s):``, ``mailto:``, relative, or (images only in practice)
``data:image/(png|gif|jpeg|webp)``; nothing else, so ``javascript:``, ``vbscript:`` and
``data:text/html`` can never reach an ``href`` or ``src``. Absolute URLs must also be well
formed (a host, valid ``%`` escapes), because the same text becomes an IRI in the RDF graph,
where a malformed one would stop the export.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp)[;,]", re.I)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_CONTROL_NOT_SPACE = re.compile(r"[\x00-\x1f\x7f]")
_WEB_START = re.compile(r"https?://[^/?#\t\n\r]*(?:[/?#]|$)", re.I)
"""An http(s) URL's scheme and authority as written: no tab or newline in them, which
``urlsplit`` drops but an IRI cannot hold."""
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"^[A-Za-z0-9\-._~%!$&'()*+,;=\u0080-\U0010ffff]+$")
_BRACKETED = re.compile(r"(?:[^@\[\]]*@)?\[[0-9A-Fa-f:.]+\](?::\d+)?")
"""An authority whose host is in brackets: an IPv6 address that is the whole host, and a port
of digits if any; what the RDF graph can hold as an IRI (``[::1]x`` and ``x[::1]`` are no
such host, though ``urlsplit`` gives them the host ``::1``, nor is a zone, ``%25eth0``)."""


def check_url(url: str, *, relative_ok: bool = True, data_images: bool = False) -> str | None:
    """None when ``url`` is safe to link; otherwise what is wrong with it."""
    # Browsers ignore tabs, newlines and leading spaces inside a scheme: "java\tscript:".
    squeezed = _CONTROL.sub("", url)
    if _BAD_ESCAPE.search(squeezed):
        return "has a '%' that is not followed by two hex digits"
    scheme = _SCHEME.match(squeezed)
    if scheme is None:
        if not relative_ok:
            return "is not an absolute URL"
        if squeezed.startswith(("//", "/\\", "\\")):
            return "is a protocol-relative URL"
        return None
    name = scheme.group(1).lower()
    if name in ("http", "https"):
        return _check_web_url(url)
    if name in _SAFE_SCHEMES:
        return None
    if data_images and _DATA_IMAGE.match(squeezed):
        return None
    return f"uses the scheme '{name}:', which is not allowed"


def _check_web_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as err:
        return f"is not a valid URL ({err})"
    host = parts.hostname or ""
    if not host:
        return "has no host (write it as https://host/path)"
    if "[" in parts.netloc or "]" in parts.netloc:
        if not _BRACKETED.fullmatch(parts.netloc):
            return "has a host with characters a URL cannot hold"
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return "has a host with characters a URL cannot hold"
    elif not _HOST.match(host) or _CONTROL.search(parts.netloc):
        return "has a host with characters a URL cannot hold"
    if parts.netloc.count("@") > 1:
        return "has more than one '@' before its host (write the others as %40)"
    if not _WEB_START.match(url.strip()):
        return "has a tab or newline in its 'http(s)://' or host"
    return None


def check_path(path: str) -> str | None:
    """None when ``path`` is a relative path that stays inside the project folder."""
    if "\\" in path:
        return "holds a backslash (write paths with '/')"
    if _CONTROL_NOT_SPACE.search(path):
        return "holds control characters"
    if path.startswith("/"):
        return "is an absolute path"
    norm = posixpath.normpath(path)
    if norm == ".." or norm.startswith("../"):
        return "leads outside the project folder with '..'"
    return None


def is_safe_link(url: str) -> bool:
    return check_url(url, relative_ok=True, data_images=True) is None


def safe_url(url: str | None) -> str | None:
    """An absolute http(s)/mailto URL, or None: a second check behind the parser's."""
    if not url or check_url(url, relative_ok=False) is not None:
        return None
    return url
