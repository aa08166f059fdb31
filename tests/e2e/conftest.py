"""Fixtures of the browser tests: the sample site, a local server, and headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright for Python; neither is
downloaded by the tests. Without them the tests skip and say why. ``.ci/run`` installs both.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from kg.config import load_config

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("KG_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO / "artifacts" / "screenshots"
DOC_SCREENSHOTS = REPO / "docs" / "screenshots"
SUBPATH = "kg"
"""The site is served under /kg/, as on a static host's sub-path."""
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions",
]


def built_site(root: Path, notes: dict[str, str]) -> Any:
    """A wiki of ``notes`` (file name: text) in ``root/wiki``, built into ``root/site``: its
    Config."""
    (root / "wiki").mkdir()
    for name, text in notes.items():
        (root / "wiki" / name).write_text(text, encoding="utf-8")
    config = load_config(root).with_options(wiki=root / "wiki", out=root / "site")
    build(config)
    return config


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real headless Chromium (Playwright)")


def _why_no_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: pip install playwright (no `playwright install`)"
    return None


@pytest.fixture(scope="session")
def www(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the sample site at ``kg/``."""
    root = tmp_path_factory.mktemp("www")
    build(load_config(REPO).with_options(out=root / SUBPATH))
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def server(www: Path) -> Iterator[str]:
    """A static server on 127.0.0.1 (ephemeral port); yields the site's base URL."""
    handler = functools.partial(_QuietHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{SUBPATH}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _why_no_browser()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")  # .ci/run installs both
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(params=["file", "http"])
def origin(request: pytest.FixtureRequest, www: Path) -> str:
    """The site's base URL: from the disk (``file://``) or from the local server."""
    if request.param == "file":
        return (www / SUBPATH).as_uri() + "/"
    return str(request.getfixturevalue("server"))


@dataclass
class Watched:
    """A page and what it did: console errors, uncaught exceptions, requests that left."""

    page: Any
    base: str
    name: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def screenshot(self, name: str, *, full_page: bool = False, doc: str | None = None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        if doc and os.environ.get("KG_DOCS_SCREENSHOTS") == "1":
            DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOC_SCREENSHOTS / doc)
        return path


def _local(url: str, base: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    if base.startswith("file://"):
        return url.startswith("file://")
    return url.startswith(base.split("/" + SUBPATH + "/")[0] + "/")


@pytest.fixture
def watch(browser: Any, origin: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``watch(viewport=..., color_scheme=...)`` → a :class:`Watched` page on ``origin``.

    Every request to anything but the site's own origin is aborted and recorded; at the end
    of the test there must be none, and no console error or uncaught exception.
    """
    made: list[tuple[Any, Watched]] = []
    kind = "file" if origin.startswith("file:") else "http"

    def make(**options: Any) -> Watched:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        page = context.new_page()
        watched = Watched(page, origin, kind)

        def on_request(req: Any) -> None:
            if not _local(req.url, origin):
                watched.outside.append(req.url)

        def on_route(route: Any) -> None:
            if _local(route.request.url, origin):
                route.continue_()
            else:
                watched.outside.append(route.request.url)
                route.abort()

        page.on("request", on_request)
        context.route("**/*", on_route)
        page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watched.errors.append(f"uncaught: {e}"))
        made.append((context, watched))
        return watched

    yield make
    for context, watched in made:
        context.close()
        assert not watched.errors, f"console errors: {watched.errors}"
        assert not watched.outside, f"requests outside the site: {watched.outside}"
