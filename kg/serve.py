"""``kg serve``: build, serve the site on localhost, rebuild on change, reload the browser.

The server answers only requests whose ``Host`` is local (a DNS-rebinding page cannot read
the wiki through it) and that no page of another origin makes for its own use (a
``<script src>`` of the search index would read every note: :func:`from_another_site`),
serves only files inside the built site (no ``..``, no encoded ``%2e%2e``, no symlinks out),
answers a ``Range`` of one span of a file (audio or video sought in), and adds a small
reload script to HTML pages as it serves them (so a page is always sent whole); the built
files stay exactly what ``kg build`` writes. While the wiki has an error, every page shows
it (file, line, what is wrong) until the next good build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import html
import http.server
import importlib
import mimetypes
import os
import posixpath
import shutil
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from kg.build import SITE_MARKER, BuildResult, build, check_output_folder, staging_out
from kg.config import CONFIG_NAME, Config
from kg.errors import BuildFailed, KgError, NoteError, ResolveError, TemplateError

RELOAD_PATH = "/__kg/reload.js"
VERSION_PATH = "/__kg/version"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_RELOAD_JS = b"""(function () {
  var seen = null;
  function poll() {
    fetch("/__kg/version", {cache: "no-store"}).then(function (r) { return r.text(); })
      .then(function (v) { if (seen !== null && v !== seen) { location.reload(); } seen = v; })
      .catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
"""


@dataclass
class ServeState:
    """What the server shows: the site folder, and the last error if any."""

    out: Path
    error: KgError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    said_moved: bool = False
    """Whether serve said that kg.toml names other folders than those it serves."""
    said_warnings: frozenset[str] = frozenset()
    """The last build's warnings: a build says only those the one before did not."""

    def built(self) -> None:
        with self.lock:
            self.error = None

    def failed(self, error: KgError) -> None:
        with self.lock:
            self.error = error

    def site_there(self) -> bool:
        """Whether there is a site to serve: not once the user removed it (``rm -rf site``)."""
        return (staging_out(self.out) / SITE_MARKER).is_file()

    def version(self) -> str:
        """What the open pages poll, to reload when it moves: the site's marker file (every
        build that changes a file of the site writes it anew; one that finds nothing to do
        leaves it) and the error shown. So a save that changes nothing reloads no page, a
        site built by another process (``kg build``, a second ``kg serve``) reloads them,
        and so does a new ``kg serve`` only if the site changed meanwhile."""
        from hashlib import blake2b

        from kg.incremental import marker_stat

        with self.lock:
            error = self.error
        site = ".".join(map(str, marker_stat(staging_out(self.out) / SITE_MARKER))) or "none"
        if error is None:
            return site
        return f"{site}-{blake2b(str(error).encode(), digest_size=8).hexdigest()}"


def is_local_host(header: str | None) -> bool:
    """Whether a request's ``Host`` is this machine's: a local name or address, in any case
    and with at most the DNS root's dot after a name or IPv4 address (``localhost.``), and
    at most a port after it (``[::1]evil.com`` and ``localhost:80@evil.com`` are not)."""
    if not header:
        return False
    host = header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        host, rest = (host[:end + 1], host[end + 1:]) if end > 0 else (host, "")
    else:
        host, colon, port = host.partition(":")
        host, rest = host.removesuffix("."), colon + port
    if rest and not (rest[0] == ":" and rest[1:].isdigit() and rest[1:].isascii()):
        return False
    return host in _LOCAL_HOSTS or _loopback_address(host)


def from_another_site(site: str | None, mode: str | None, dest: str | None) -> bool:
    """Whether a browser asks on behalf of a page of another origin, for something to use
    in that page (Fetch Metadata: ``Sec-Fetch-Site``, ``-Mode``, ``-Dest``). Any web page open
    while kg serve runs could otherwise read the wiki through it without a DNS rebinding:
    ``<script src="http://localhost:8000/data/search.js">`` sets the search index, every
    note's text, as a global of that page. A link followed to the site (a navigation to a
    page) is served, and so is a request that says nothing of where it comes from (curl, a
    browser too old to say)."""
    if site is None or site.strip().lower() in ("same-origin", "none"):
        return False
    return (mode or "").strip().lower() != "navigate" or (dest or "").strip().lower() != "document"


def _loopback_address(host: str) -> bool:
    """Whether ``host`` is written as an address of the loopback (``127.0.0.2``,
    ``[0:0:0:0:0:0:0:1]``; an IPv6 one in brackets, as a URL has it): what a browser sends
    for ``--host 127.0.0.2``. An address, not a name, so no DNS answer can rebind it."""
    import ipaddress

    bracketed = host.startswith("[") and host.endswith("]")
    try:
        address = ipaddress.ip_address(host[1:-1] if bracketed else host)
    except ValueError:
        return False
    return address.is_loopback and bracketed == (address.version == 6)


def site_file(root: Path, url_path: str) -> Path | None:
    """The file of the site that ``url_path`` names, or None if it is outside or missing.
    A folder's address names its ``index.html`` only with its slash, and a file's only
    without (see :func:`folder_address`)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None
    norm = posixpath.normpath("/" + path)
    if any(part == ".." for part in norm.split("/")):
        return None
    candidate = root / norm.lstrip("/")
    slash = path.endswith("/") or norm == "/"
    try:  # a name or path longer than the system takes is an OSError of its own
        if candidate.is_dir():
            if not slash:
                return None
            candidate = candidate / "index.html"
        elif slash:
            return None
        resolved = candidate.resolve(strict=True)
        if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
            return None
    except (RuntimeError, OSError):
        return None
    return resolved


def folder_address(root: Path, url_path: str) -> str | None:
    """The address with a slash of the folder of the site that ``url_path`` names without
    one, if it has an ``index.html``: a browser reads a page's relative links from its
    address, so ``docs/index.html`` served at ``/docs`` would have its ``style.css`` read
    from ``/style.css``. A static host redirects there; so does ``kg serve``."""
    parts = urllib.parse.urlsplit(url_path)
    if parts.path.endswith("/") or site_file(root, parts.path + "/") is None:
        return None
    folder = posixpath.normpath("/" + urllib.parse.unquote(parts.path)).strip("/")
    # one leading slash: ``//host/`` would be another site
    address = urllib.parse.quote(f"/{folder}/" if folder else "/")
    return address + (f"?{parts.query}" if parts.query else "")


def byte_range(header: str, size: int) -> range | None:
    """The bytes of a file of ``size`` bytes that a ``Range`` header asks for (RFC 9110
    §14.1.2: ``bytes=a-b``, ``bytes=a-``, the last n as ``bytes=-n``): None to send the
    whole file (no header, another unit, several ranges, a malformed one), an empty range
    when none of the file is asked for (416)."""
    unit, equals, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not equals or not dash or "," in spec:
        return None
    if not first:  # a suffix: the last ``last`` bytes, all if the file is shorter
        n = _number(last)
        return None if n is None else range(max(size - n, 0) if n else size, size)
    start, end = _number(first), _number(last) if last else size  # ``a-``: to the end
    if start is None or end is None or (last and end < start):
        return None
    return range(min(start, size), min(end + 1, size))


def _number(text: str) -> int | None:
    """A range's decimal position; None if it is not one (or absurdly long)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 30 else None


NO_ICON = '<link rel=icon href="data:,">'
"""The icon of kg serve's own pages: none, so that a browser asks for no /favicon.ico (a
404 in its console, where the site's pages name their own)."""


def error_page(error: KgError) -> bytes:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>kg: build error</title>"
        f"{NO_ICON}"
        f'<script src="{RELOAD_PATH}"></script></head>'
        '<body style="font-family:system-ui;margin:2rem">'
        "<h1>The wiki does not build</h1>"
        f'<pre style="white-space:pre-wrap">{html.escape(str(error))}</pre>'
        f"<p>{html.escape(what_to_fix(error))}; this page reloads by itself.</p></body></html>"
    ).encode()


def what_to_fix(error: KgError) -> str:
    """What the error page asks for, by where the error is: in notes (the files its findings
    name), kg.toml, a template, another file it names, or none."""
    files = sorted({f.where.file for f in error.findings if f.where}) or (
        [error.file] if error.file else [])
    if isinstance(error, TemplateError):
        which = f"the template {Path(files[0]).name}" if files else "the template it names"
        return f"Fix {which} (or remove it to use the theme's) and save"
    if isinstance(error, (BuildFailed, NoteError, ResolveError)) and files:
        which = f"the note {files[0]}" if len(files) == 1 else f"the {len(files)} notes"
        return f"Fix {which} and save"
    if files and Path(files[0]).name == CONFIG_NAME:
        return f"Fix {CONFIG_NAME} and save"
    if files:
        return f"Fix {files[0]} and save"
    return "Fix what it says, then save a note to build again"


def with_reload(page: bytes) -> bytes:
    """An HTML page with the reload script added (the built file stays as it is)."""
    tag = f'<script src="{RELOAD_PATH}"></script>'.encode()
    return page.replace(b"</body>", tag + b"</body>", 1)


def read_page(file: Path | None) -> bytes | None:
    """A page of the site with the reload script added; None if it is not there, or no
    longer (another process's build swapped the site out, or the user removed it)."""
    try:
        return with_reload(file.read_bytes()) if file is not None else None
    except OSError:
        return None


REBUILDING_PAGE = (
    # refreshed each second rather than by the reload script: the new site may be in place
    # before the script first asks for its version, which it would then take as the old
    b"<!doctype html><html lang=en><head><meta charset=utf-8>"
    b"<meta http-equiv=refresh content=1><title>kg: building the site</title>"
    + NO_ICON.encode() + b"</head>"
    b'<body style="font-family:system-ui;margin:2rem">'
    b"<h1>The site was removed; kg serve is building it again</h1>"
    b"<p>This page reloads by itself.</p></body></html>"
)


def make_handler(state: ServeState) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "kg-serve"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _head(self, status: int, content_type: str, length: int,
                  more: dict[str, str] | None = None) -> bool:
            """The status and headers; whether the body is to be sent (not for HEAD)."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
            for name, value in (more or {}).items():
                self.send_header(name, value)
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            # a browser too old to send Sec-Fetch-Site keeps another origin's page from a file
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
            self.end_headers()
            return self.command != "HEAD"

        def _send(self, status: int, body: bytes, content_type: str,
                  more: dict[str, str] | None = None) -> None:
            if self._head(status, content_type, len(body), more):
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if not is_local_host(self.headers.get("Host")):
                self._send(403, b"forbidden: kg serve answers only local hosts\n", "text/plain")
                return
            fetch = [self.headers.get(f"Sec-Fetch-{name}") for name in ("Site", "Mode", "Dest")]
            if from_another_site(*fetch):
                self._send(403, b"forbidden: kg serve answers only its own pages, and links "
                                b"followed to them\n", "text/plain")
                return
            path = urllib.parse.urlsplit(self.path).path
            if path == RELOAD_PATH:
                self._send(200, _RELOAD_JS, "text/javascript; charset=utf-8")
                return
            if path == VERSION_PATH:
                self._send(200, state.version().encode(), "text/plain")
                return
            with state.lock:
                error = state.error
            if error is not None and (path.endswith((".html", "/")) or "." not in path):
                self._send(500, error_page(error), "text/html; charset=utf-8")
                return
            file = site_file(state.out, self.path)
            if file is None and (folder := folder_address(state.out, self.path)) is not None:
                self.send_response(301)
                self.send_header("Location", folder)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if file is None and not state.site_there():  # removed: the watcher builds it
                self._send(503, REBUILDING_PAGE, "text/html; charset=utf-8", {"Retry-After": "1"})
                return
            if file is None:  # the site's 404 page, which reloads too: a note's page
                # opened before the note is saved shows once it is
                missing = read_page(site_file(state.out, "/404.html"))
                self._send(404, missing or b"not found\n",
                           "text/html; charset=utf-8" if missing else "text/plain")
                return
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith(
                ("json", "javascript", "turtle")) else ""
            if kind != "text/html":  # streamed: an attachment may be a gigabyte of video
                self._stream(file, kind + charset)
                return
            if (page := read_page(file)) is None:
                self._send(404, b"not found\n", "text/plain")
                return
            self._send(200, page, kind + charset)

        def _stream(self, file: Path, content_type: str) -> None:
            try:
                f = open(file, "rb")  # noqa: SIM115 - closed below; a file gone is a 404
            except OSError:
                self._send(404, b"not found\n", "text/plain")
                return
            with f:
                st = os.fstat(f.fileno())
                size, tag = st.st_size, f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'
                more = {"Accept-Ranges": "bytes", "ETag": tag}
                # several Range fields are several ranges (whole file); an If-Range other
                # than this file's ETag (an older file's, or a date) asks for the whole file
                asked = ",".join(self.headers.get_all("Range") or [])
                part = (byte_range(asked, size)
                        if self.headers.get("If-Range", tag).strip() == tag else None)
                if part is None:
                    if self._head(200, content_type, size, more):
                        shutil.copyfileobj(f, self.wfile, 1 << 16)
                elif not part:
                    more["Content-Range"] = f"bytes */{size}"
                    self._send(416, b"range not satisfiable\n", "text/plain", more)
                else:
                    more["Content-Range"] = f"bytes {part.start}-{part.stop - 1}/{size}"
                    if self._head(206, content_type, len(part), more):
                        f.seek(part.start)
                        left = len(part)
                        while left and (chunk := f.read(min(left, 1 << 16))):
                            self.wfile.write(chunk)
                            left -= len(chunk)

    return Handler


def rebuild(config: Config, state: ServeState, say: Callable[[str], None],
            resume: Callable[[], None] = lambda: None, *,
            quiet: bool = False, unsafe_html: bool = False) -> BuildResult | None:
    """Build, and show the new site (the open pages reload if it changed or an error
    was shown: :meth:`ServeState.version`); ``resume`` is called (to serve again) as soon
    as the new site is in place, while the build writes what the next one reads.
    ``quiet``: a build that found nothing to do says nothing."""
    def published(result: BuildResult) -> None:
        unchanged = result.rendered == 0 and result.removed == 0
        state.built()
        resume()
        if not (quiet and unchanged):
            from kg.formats import warning_lines

            # the warnings an edit brought (a typo in a connection's `to:`, a date that is
            # none), not every build's all again
            now = frozenset(map(str, result.warnings))
            for line in warning_lines([w for w in result.warnings
                                       if str(w) not in state.said_warnings]):
                say(f"  {line}")
            state.said_warnings = now
            say(result.summary())

    try:
        return build(config, published=published, unsafe_html=unsafe_html, cache="later")
    except KgError as err:
        state.failed(err)
        say(f"error: {err}")
        return None


def collect_between_builds() -> None:
    """Collect what a build left behind, then freeze what is still held (the records the
    next build reuses: millions of objects at 10,000 notes) out of the collector's walks.

    Otherwise the next build's first allocations start a full collection walking every one
    of them (a second of each rebuild). Called once no change has come for a while
    (:meth:`Rebuilder.idle`): a build leaves little garbage in cycles (70 objects at 10,000
    notes), but finding it walks everything held (0.3 s); between builds close together
    what is held is only frozen (:func:`hold_over`). A held object that dies later is still
    freed by its count, and the next build's end puts everything back in the collector's
    sight (:func:`kg.build.build`).
    """
    gc.unfreeze()  # a build that failed early did not
    gc.collect()
    gc.freeze()


def hold_over() -> None:
    """Freeze what a build left out of the collector's walks until the next build (the
    records it holds for that one), without looking for garbage first: that waits until no
    change has come for a while (:func:`collect_between_builds`). Freezing is a moment's
    work; a collection, a walk of every object held."""
    gc.freeze()


def warm_up(config: Config, unsafe_html: bool = False) -> None:
    """Read and make now what the first rebuild would: the records, held in memory, their
    resolution (a first build that found nothing changed read neither), and what a build
    makes of each of them (:meth:`kg.site.Site.warm`). The first edit is then as quick as
    the next ones."""
    from kg.cache import hold_records
    from kg.resolve import resolve_wiki
    from kg.site import Site

    importlib.import_module("kg.parse")  # what the first edit's note is parsed with (0.05 s)
    with contextlib.suppress(Exception):  # only a head start: the next build reads anyway
        Site(resolve_wiki(hold_records(config).notes.values()), config,
             unsafe_html=unsafe_html).warm()


def watched_paths(config: Config) -> list[Path]:
    """The folders whose changes make a rebuild: the wiki, the project's ``templates/`` and
    ``static/``, and the templates kg.toml names, those that are there (see :func:`project`
    for the rest of the project: its folder is not watched whole, which may hold a
    virtualenv or a home folder's thousands of folders)."""
    found = [p.resolve() for p in (config.wiki, config.root / "templates",
                                   config.root / "static", config.templates)
             if p is not None and p.is_dir()]
    return [p for n, p in enumerate(found) if p not in found[:n]
            and not any(p != q and p.is_relative_to(q) for q in found)]


class Folder(NamedTuple):
    """A folder watched, and which folder it is (another put at its path is not it)."""

    path: Path
    device: int
    inode: int


@dataclass(frozen=True, slots=True)
class Project:
    """What of the project folder a change of makes a rebuild, looked at once a second:
    kg.toml (its stat), and the folders watched (one made or removed while serving
    changes what is watched, and so does one put in the place of another: a watcher
    follows the folder it watches wherever it is moved)."""

    toml: tuple[int, int, int] | None
    folders: tuple[Folder, ...]
    wiki: Path | None = None
    """Where the wiki's name leads now: a ``wiki`` symlink switched to another folder
    (``ln -sfn other wiki``) is read there from then on (:func:`wiki_now`)."""


def project(config: Config) -> Project:
    try:
        st = (config.root / CONFIG_NAME).stat()
        toml: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        toml = None
    folders = []
    for path in watched_paths(config):
        with contextlib.suppress(OSError):  # gone since: not watched
            st = path.stat()
            folders.append(Folder(path, st.st_dev, st.st_ino))
    return Project(toml, tuple(folders), wiki_now(config))


def wiki_now(config: Config) -> Path:
    """The folder the wiki's name (:attr:`kg.config.Config.named_wiki`) leads to now."""
    try:
        return config.named_wiki.resolve()
    except (OSError, RuntimeError):  # a loop of symlinks: the folder read last
        return config.wiki


POLL_MS = 1000
"""How often (ms) serve looks at kg.toml and the folders it watches when nothing changed."""


def serve(config: Config, *, host: str = "127.0.0.1", port: int = 8000,
          say: Callable[[str], None] = print, watch: bool = True,
          stop: threading.Event | None = None,
          settings: Callable[[], Config] | None = None, unsafe_html: bool = False) -> None:
    """Build, then serve until interrupted (or ``stop`` is set), rebuilding on change;
    ``settings`` reads kg.toml again (its changes show without a restart; the wiki and
    site folders stay those serve began with); ``unsafe_html`` as ``kg build`` takes it.
    Each build keeps for the next what it made of each record (:mod:`kg.memo`)."""
    from kg.memo import keep_between_builds

    keep_between_builds()
    try:
        _serve(config, host, port, say, watch, stop, settings, unsafe_html)
    finally:
        keep_between_builds(False)


def _serve(config: Config, host: str, port: int, say: Callable[[str], None], watch: bool,
           stop: threading.Event | None, settings: Callable[[], Config] | None,
           unsafe_html: bool) -> None:
    # An output folder a build refuses (in the wiki, or one kg did not make: see
    # check_output_folder) is refused before anything is served: the server serves that
    # folder, and a build that fails does not stop it (it shows a note's error until the
    # note is fixed), so it would have answered with the folder's own files (the notes, the
    # cache, whatever was there).
    check_output_folder(config)
    state = ServeState(config.out)
    host = bind_address(host)
    server = listen(host, port, state)  # first: a port in use is said before a long build
    if rebuild(config, state, say, unsafe_html=unsafe_html) is not None:
        warm_up(config, unsafe_html)
        # what changed meanwhile (the watcher starts below): a build that stops at the stamp
        # when nothing did, and says nothing then
        rebuild(config, state, say, quiet=True, unsafe_html=unsafe_html)
    hold_over()  # the cache written and the garbage collected once idle (Rebuilder.idle)
    listener = Listener(server)
    listener.start()
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL writes it
    say(f"serving {config.out} at http://{shown}:{server.server_address[1]}/ (Ctrl-C stops)")
    if not is_local_host(shown):
        say(f"note: only requests for a local Host (localhost, 127.0.0.1, [::1]) are answered; "
            f"from another machine, http://<this machine>:{server.server_address[1]}/ gets "
            "403 (kg serve is a preview, not a web server: publish the built site instead)")
    stop = stop or threading.Event()
    builder = Rebuilder(config, state, listener, say, settings, unsafe_html,
                        site_there=state.site_there(), put_off=True)
    restore = stop_on_signals(stop)
    try:
        if watch:
            watch_project(builder, stop)
        else:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        listener.close()
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stopped as asked
            builder.idle()
        restore()


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGHUP (a service manager's stop, the terminal closed) set ``stop``:
    kg serve then ends as after Ctrl-C, its build done, writing what it put off until idle
    (the graph cache, what the next build reads), which Python's own ending on those signals
    would lose (the next `kg build` made every page again). Only in the main thread, which
    handles signals; gives what puts the previous handlers back."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, lambda _number, _frame: stop.set())

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore


@dataclass
class Rebuilder:
    """Builds the site again on a change: kg.toml read again first, the HTTP thread paused
    while the build runs. ``config`` is the settings the last build read."""

    config: Config
    state: ServeState
    listener: Listener
    say: Callable[[str], None]
    settings: Callable[[], Config] | None = None
    unsafe_html: bool = False
    site_there: bool = True
    """Whether there was a site at the last look, or when the last build began or was done
    (removed while a build ran, it is built again: see :meth:`site_removed`)."""

    put_off: bool = False
    """Whether a build's last work waits for :meth:`idle`."""

    def __call__(self, quiet: bool = False) -> None:
        began, built = self.state.site_there(), None
        with self.listener.paused() as resume:
            now = reread(self.config, self.settings, self.state, self.say)
            if now is not None and (target := wiki_now(now)) != now.wiki:
                self.say(f"{now.named_wiki} now leads to {target}: building it")
                now = dataclasses.replace(now, wiki=target)
            if now is not None:
                self.config = now
                built = rebuild(now, self.state, self.say, resume, quiet=quiet,
                                unsafe_html=self.unsafe_html)
        self.site_there = began or built is not None
        hold_over()
        self.put_off = True

    def idle(self) -> None:
        """What builds put off until no change has come for a while (a second), so that
        saves close together (an editor's autosave) each wait only for their build: what
        the next build reads (the manifest, the pages' reads, the exports' states: 0.3 s at
        10,000 notes; until then kg serve's next build takes them from memory,
        :class:`kg.build.Tail`), the graph cache, which queries in another terminal read
        (0.7 s; until then a query makes it itself), and the garbage collected (0.3 s).
        Also when kg serve stops: the next build and query then find them current."""
        if not self.put_off:
            return
        self.put_off = False
        from kg.build import interrupts_deferred, settle_tail
        from kg.cache import settle_held

        with interrupts_deferred():  # each file written whole, or not at all
            settle_tail()
            settle_held()
        collect_between_builds()

    def site_removed(self) -> bool:
        """Whether the site was removed (``rm -rf site``) since the last look or build: it
        is then built again, whole (the manifest pairs with no site: nothing is kept from
        it). Once each time: a build that could not make it is not tried every second."""
        there = self.state.site_there()
        removed, self.site_there = self.site_there and not there, there
        if removed:
            self.say(f"{self.config.out} was removed: building the site again")
        return removed


APP_STATE = ".obsidian"
"""The folder where an Obsidian vault keeps its own state: ``workspace.json`` is written
anew on every pane opened or file switched to, and each write made a build that said
"nothing changed". Of it a build reads only the settings that name the vault's templates
(:data:`kg.cachefile.TEMPLATE_SETTINGS`)."""


def watch_filter() -> Callable[[Any, str], bool]:
    """watchfiles' default filter, :data:`kg.theme.EDITORS_SCRATCH`, and what is written in
    :data:`APP_STATE` but its settings that a build reads."""
    from watchfiles import DefaultFilter

    from kg.cachefile import TEMPLATE_SETTINGS
    from kg.theme import EDITORS_SCRATCH

    read = tuple(os.sep + setting.replace("/", os.sep) for setting, _ in TEMPLATE_SETTINGS)
    inside = os.sep + APP_STATE + os.sep

    class Filter(DefaultFilter):
        ignore_entity_patterns = (*DefaultFilter.ignore_entity_patterns, *EDITORS_SCRATCH)

        def __call__(self, change: Any, path: str) -> bool:
            if inside in path and not path.endswith(read):
                return False
            return super().__call__(change, path)

    return Filter()


def watch_project(builder: Rebuilder, stop: threading.Event) -> None:
    """Build again on every change of the wiki and its project (:func:`project`) until
    ``stop`` is set. The folders are watched for their changes (watchfiles), kg.toml and
    which folders there are looked at once a second; a folder made or named while serving
    is watched from then on, and what changed while a watcher was being made is caught up
    by a quiet build (which reloads nothing when nothing changed). A site removed is built
    again (:meth:`Rebuilder.site_removed`)."""
    from watchfiles import watch as watch_changes
    from watchfiles._rust_notify import WatchfilesRustInternalError as WatcherError

    # what the last build read of the project: taken before it, so that a change made
    # while it runs is seen after it
    seen = project(builder.config)
    said = ""  # the watcher's last error, said once
    while not stop.is_set():
        watching = seen.folders
        if not watching:  # no wiki folder (removed, or being replaced): wait for one
            stop.wait(POLL_MS / 1000)
            if (now := project(builder.config)) != seen or builder.site_removed():
                seen = now
                builder()
            else:
                builder.idle()
            continue
        caught_up = False  # with what changed before this watcher began
        try:
            for changes in watch_changes(*(f.path for f in watching),
                                          watch_filter=watch_filter(), stop_event=stop,
                                          rust_timeout=POLL_MS, yield_on_timeout=True):
                now = project(builder.config)
                if not changes and now == seen:  # a second without a change
                    if not caught_up or builder.site_removed():
                        builder(quiet=True)
                    else:
                        builder.idle()
                    caught_up = True
                    continue
                caught_up, seen = True, now
                builder()
                folders = project(builder.config).folders  # as the settings just read them
                if folders != watching:
                    seen = dataclasses.replace(seen, folders=folders)
                    break  # other folders to watch: watched anew
        except WatcherError as err:
            # a change of a file whose name is not UTF-8 (made, or renamed to fix it: the
            # build says so), which watchfiles cannot name and ends its watcher for; or
            # another of its errors (inotify's limits): said once, then a build, and a new
            # watcher (not at once: an error that came again on every new watcher would be
            # a build without end)
            message = str(err)
            if "decode" not in message and message != said:
                builder.say(f"warning: watching the wiki failed ({message}); watching again"
                            " each second")
            said = message
            stop.wait(POLL_MS / 1000)
            seen = project(builder.config)
            builder(quiet=True)


def reread(config: Config, settings: Callable[[], Config] | None, state: ServeState,
           say: Callable[[str], None]) -> Config | None:
    """The settings as kg.toml now has them, in the wiki and site folders serve began
    with; None for a kg.toml with an error, which is said (and the pages show it until a
    change is read)."""
    if settings is None:
        return config
    try:
        now = settings()
    except KgError as err:
        state.failed(err)
        say(f"error: {err}")
        return None
    moved = (now.named_wiki, now.out) != (config.named_wiki, config.out)
    if moved and not state.said_moved:  # once, not on every change after it
        say("kg.toml names another wiki or site folder: restart kg serve to use it")
    state.said_moved = moved
    return dataclasses.replace(now, wiki=config.wiki, wiki_named=config.wiki_named,
                               out=config.out)


def bind_address(host: str) -> str:
    """``--host`` as a socket takes it: an IPv6 address without the brackets a URL puts
    around it (``[::1]`` → ``::1``)."""
    host = host.strip()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def listen(host: str, port: int, state: ServeState) -> Server:
    """The server, bound to ``host:port`` (requests wait in its queue until it serves);
    an address that cannot be listened on is an error saying why."""
    import socket

    try:
        return Server((host, port), make_handler(state))
    except (OSError, OverflowError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        hint = ("--host takes an address of this machine, e.g. 127.0.0.1"
                if isinstance(err, socket.gaierror) or getattr(err, "errno", None) == 99
                else "another kg serve may be running; pick another --port, e.g. "
                     f"--port {port + 1 if 0 < port < 65535 else 8001}")
        raise KgError(f"cannot listen on {host}:{port}: {reason}", hint=hint) from None


class Server(http.server.ThreadingHTTPServer):
    """The threaded HTTP server, quiet about browsers that hang up mid-answer (they do, on
    every reload and every page left early): that is no error to print a traceback of.
    An IPv6 address (``::1``) is listened on as one (the server is IPv4 by default)."""

    def __init__(self, address: tuple[str, int],
                 handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Listener:
    """The HTTP server on a thread of its own, paused while a build runs.

    A build forks its page workers only from a process with no other thread
    (:func:`kg.workers.can_fork`: a child could inherit a lock another thread holds), so with
    the server's thread running every rebuild made its pages in one process, a third slower.
    While paused the socket stays open: a request waits in its queue and is answered when
    the build is done (the reload script's poll then sees the new version at once).
    """

    NAME = "kg-serve-http"
    POLL = 0.05
    """Seconds between the server's checks for a pause: the most a rebuild waits to begin."""

    def __init__(self, server: http.server.ThreadingHTTPServer) -> None:
        self.server = server
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.NAME,
                                       kwargs={"poll_interval": self.POLL}, daemon=True)
        self.thread.start()

    @contextlib.contextmanager
    def paused(self) -> Iterator[Callable[[], None]]:
        """Paused for the block, which may resume it early by calling what it is given (a
        build once its site is in place: what is left forks no worker)."""
        if self.thread is not None:
            self.server.shutdown()  # returns once serve_forever has returned
            self.thread.join()
            self.thread = None
        try:
            yield self.resume
        finally:
            self.resume()

    def resume(self) -> None:
        if self.thread is None:
            self.start()

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
        self.server.server_close()
