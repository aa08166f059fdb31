"""``kg serve`` as a reader sees it in a real browser: the pages open reload by themselves
when a save changes what they show, show a bad note's error until it is fixed, and stay as
they are (scrolled where the reader was) when a save changes nothing."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.config import Config
from kg.serve import serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTE = "---\ntitle: {title}\ndate: 2026-01-0{day}\ntier: 1\n---\n## TL;DR\n{body}\n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Config, str, list[str]]]:
    """``kg serve`` of a small wiki on a free port: its config, base URL and what it said."""
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "alpha.md").write_text(NOTE.format(title="Alpha", day=1, body="First words."),
                                   encoding="utf-8")
    (wiki / "beta.md").write_text(NOTE.format(title="Beta", day=2, body="See [[alpha]]."),
                                  encoding="utf-8")
    config = Config(root=tmp_path, wiki=wiki, out=tmp_path / "site")
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True, kwargs={
        "config": config, "port": 0, "say": lines.append, "stop": stop})
    thread.start()
    deadline = time.monotonic() + 30
    while not any(line.startswith("serving") for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    url = re.search(r"http://\S+/", next(li for li in lines if li.startswith("serving")))
    assert url is not None
    time.sleep(1.2)  # the watcher is watching
    try:
        yield config, url[0], lines
    finally:
        stop.set()
        thread.join(timeout=10)


def _open(browser: Any, url: str) -> tuple[Any, list[float]]:
    """A page at ``url`` and the times it (re)loaded."""
    page = browser.new_page()
    loads: list[float] = []
    page.on("load", lambda: loads.append(time.monotonic()))
    page.goto(url)
    page.wait_for_function("document.readyState === 'complete'")
    return page, loads


def _shows(page: Any, text: str, timeout: float = 20) -> None:
    page.wait_for_function("t => document.body && document.body.innerText.includes(t)",
                           arg=text, timeout=timeout * 1000)


def _built(lines: list[str], before: int) -> str:
    deadline = time.monotonic() + 20
    while True:
        done = [li for li in lines[before:] if li.startswith(("Built", "error:"))]
        if done:
            return done[-1]
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)


def test_pages_reload_on_a_change_and_only_then(served: tuple[Config, str, list[str]],
                                                browser: Any) -> None:
    config, base, lines = served
    note, note_loads = _open(browser, base + "notes/alpha.html")
    timeline, timeline_loads = _open(browser, base + "timeline.html")
    try:
        _shows(note, "First words.")

        # an edit: the note's page and an index showing its title reload with it
        (config.wiki / "alpha.md").write_text(
            NOTE.format(title="Alpha retitled", day=1, body="Second words."), encoding="utf-8")
        _shows(note, "Second words.")
        _shows(timeline, "Alpha retitled")

        # saved again unchanged (`:w`): a build that finds nothing to do reloads nothing
        note.evaluate("window.kgMark = 'still here'")
        loads = (len(note_loads), len(timeline_loads))
        said = len(lines)
        (config.wiki / "alpha.md").write_text(
            NOTE.format(title="Alpha retitled", day=1, body="Second words."), encoding="utf-8")
        assert "nothing changed" in _built(lines, said)
        time.sleep(2)  # three of the pages' polls
        assert (len(note_loads), len(timeline_loads)) == loads
        assert note.evaluate("window.kgMark") == "still here"

        # a bad note: every page shows its error, file and line, until it is fixed
        (config.wiki / "alpha.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
        _shows(note, "The wiki does not build")
        _shows(timeline, "alpha.md:")
        (config.wiki / "alpha.md").write_text(
            NOTE.format(title="Alpha fixed", day=1, body="Third words."), encoding="utf-8")
        _shows(note, "Third words.")
        _shows(timeline, "Alpha fixed")
    finally:
        note.close()
        timeline.close()


def test_a_missing_page_reloads_once_its_note_is_written(
        served: tuple[Config, str, list[str]], browser: Any) -> None:
    """The page of a note not written yet (a link followed before saving it, a note renamed
    while its page was open) is the site's 404 page: it had no reload script, so it stayed
    "not found" after the note was saved."""
    config, base, _lines = served
    page, _loads = _open(browser, base + "notes/gamma.html")
    try:
        (config.wiki / "gamma.md").write_text(
            NOTE.format(title="Gamma", day=3, body="Written at last."), encoding="utf-8")
        _shows(page, "Written at last.")
    finally:
        page.close()


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """A server of another origin (``localhost`` on a port of its own, where the site is at
    ``127.0.0.1``): the page it serves is the first of the list it yields with its URL."""
    import http.server

    pages = [""]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages[0].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/page.html", pages
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_page_of_another_origin_cannot_read_the_wiki_through_the_server(
        served: tuple[Config, str, list[str]], elsewhere: tuple[str, list[str]],
        browser: Any) -> None:
    """Any web page open while kg serve runs could load its search index as a script
    (``<script src="http://127.0.0.1:8000/data/search.js">``), which sets every note's
    text as a global of that page, with no DNS rebinding (its Host is local). The server
    refuses what another origin's page asks for its own use; a link followed from it to the
    site still opens, and the site's own pages still load the index."""
    _config, base, _lines = served
    evil, pages = elsewhere
    pages[0] = (f'<!doctype html><title>evil</title><a id="go" href="{base}notes/alpha.html">go'
                f'</a><script src="{base}data/search.js"></script>'
                f'<script src="{base}data/graph.js"></script>'
                f'<img id="img" src="{base}assets/favicon.svg">')
    page = browser.new_page()
    try:
        page.goto(evil)
        page.wait_for_function("document.readyState === 'complete'")
        assert page.evaluate("typeof window.KG_SEARCH_INDEX") == "undefined"
        assert page.evaluate("typeof window.KG_GRAPH") == "undefined"
        assert page.evaluate("document.getElementById('img').naturalWidth") == 0
        page.click("#go")
        page.wait_for_url(base + "notes/alpha.html")
        _shows(page, "First words.")
        page.goto(base + "search.html?q=alpha")
        page.locator("#page-search-results a.result-title").first.wait_for(timeout=10_000)
        assert "Alpha" in page.locator("#page-search-results").inner_text()
    finally:
        page.close()
