"""`kg serve`: local hosts only, nothing outside the site, live reload, errors shown."""

from __future__ import annotations

import dataclasses
import http.client
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import site_tree

from kg.config import Config
from kg.serve import from_another_site, is_local_host, serve, site_file

NOTE = "---\ntitle: {title}\ntier: 1\n---\nBody of the note.\n"


def _config(tmp_path: Path) -> Config:
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "alpha.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
    return Config(root=tmp_path, wiki=wiki, out=tmp_path / "site")


def _serve_in_thread(config: Config, name: str | None = None, **options: Any
                     ) -> tuple[threading.Thread, threading.Event, list[str], int]:
    """``serve`` on a free port in a thread: the thread, its stop event, what it said, the
    port, once it says it is serving."""
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=serve, kwargs={"config": config, "port": 0, "say": lines.append, "stop": stop,
                              **options},
        daemon=True, name=name,
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not any(line.startswith("serving") for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    port = int(re.search(r":(\d+)/ ", next(li for li in lines if li.startswith("serving")))[1])
    return thread, stop, lines, port


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config)
    yield config, port, lines
    stop.set()
    thread.join(timeout=10)


def _get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers={"Host": f"{host}:{port}"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def _wait_version(port: int, after: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, version = _get(port, "/__kg/version")
        if version != after:
            return version
        time.sleep(0.1)
    raise AssertionError("no rebuild seen")


def test_serves_pages_with_reload_script(server) -> None:  # type: ignore[no-untyped-def]
    _, port, _ = server
    status, body = _get(port, "/notes/alpha.html")
    assert status == 200
    assert "Alpha" in body
    assert '<script src="/__kg/reload.js"></script></body>' in body
    status, index = _get(port, "/")
    assert status == 200 and "Alpha" in index


def test_a_port_in_use_is_said_before_any_build(tmp_path: Path) -> None:
    """No traceback, and no build first: the port is taken before the wiki is read."""
    import socket

    from kg.errors import KgError
    from kg.serve import serve

    config = _config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(KgError, match=f"cannot listen on 127.0.0.1:{port}") as err:
            serve(config, port=port, say=lambda _m: None, watch=False)
    assert "--port" in (err.value.hint or "")
    assert not config.out.exists()


def test_refuses_foreign_hosts_and_paths_outside(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, port, _ = server
    assert _get(port, "/", host="evil.example")[0] == 403
    (tmp_path / "secret.txt").write_text("secret")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/notes/..%2f..%2fsecret.txt"):
        status, body = _get(port, path)
        assert status == 404 and "secret" not in body


def test_the_404_page_at_a_nested_address_links_from_the_root(server) -> None:  # type: ignore[no-untyped-def]
    """A host serves 404.html at whatever address was missing (/notes/nope.html): its
    style, script and links lead from the site's root, not from the missing folder."""
    import re

    _, port, _ = server
    status, body = _get(port, "/notes/deep/nope.html")
    assert status == 404
    refs = re.findall(r'(?:href|src)="([^"#]+)"', body)
    assert refs and all(ref.startswith(("/", "https://")) for ref in refs), refs
    for ref in refs:
        if ref.startswith("/") and not ref.startswith("/__kg/"):
            assert _get(port, ref)[0] == 200, ref


@pytest.mark.parametrize(("host", "local"), [
    ("localhost", True), ("localhost:8000", True), ("127.0.0.1:80", True), ("[::1]:8000", True),
    ("[::1]", True), ("LOCALHOST", True), ("evil.com", False), ("[::1]evil.com", False),
    ("localhost:80@evil.com", False), ("[::1].attacker.example:8000", False),
    ("localhost.evil.com", False), ("127.0.0.1:", False), ("localhost:8o", False), ("", False),
    # this machine's other loopback addresses, as a browser writes them: `--host 127.0.0.2`
    # is reached at http://127.0.0.2:8000/ (an address, which no DNS can rebind)
    ("127.0.0.2:8000", True), ("127.255.255.254", True), ("[0:0:0:0:0:0:0:1]:8000", True),
    ("10.0.0.1", False), ("0.0.0.0:8000", False), ("[::]:8000", False), ("127.0.0.1.evil", False),
    ("[fe80::1]", False), ("2130706433", False),
    # a name written with the DNS root's dot is the same name, in any case
    ("localhost.", True), ("LOCALHOST.:8000", True), ("LocalHost", True), ("127.0.0.1.", True),
    ("127.0.0.2.:8000", True), ("localhost..", False), ("localhost.:", False), (".", False),
    ("[::1].", False), ("[::1]:8000.", False), ("localhost.evil.com.", False),
    ("127.0.0.1.evil.", False), ("evil.com.", False), ("10.0.0.1.", False),
])
def test_only_local_hosts_are_local(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_local_hosts_as_browsers_and_tools_write_them_are_served(server) -> None:  # type: ignore[no-untyped-def]
    """``Host`` as sent over HTTP: a trailing dot (the DNS root) and any case are the same
    local name; a foreign one, or none, is still refused."""
    _, port, _ = server
    for host in ("localhost.", "LOCALHOST", "LocalHost.", "127.0.0.1.", "[::1]"):
        assert _get(port, "/", host=host)[0] == 200, host
    for host in ("localhost.evil.com", "127.0.0.1.evil", "localhost..", "evil.com."):
        assert _get(port, "/", host=host)[0] == 403, host
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("GET", "/", skip_host=True)  # HTTP/1.1 with an empty Host
    conn.putheader("Host", "")
    conn.endheaders()
    assert conn.getresponse().status == 403
    conn.close()


@pytest.mark.parametrize(("site", "mode", "dest", "foreign"), [
    (None, None, None, False),  # curl, a browser too old to say
    ("same-origin", "no-cors", "script", False), ("none", "navigate", "document", False),
    ("Same-Origin", "cors", "empty", False),
    ("cross-site", "navigate", "document", False),  # a link followed to the site
    ("cross-site", "no-cors", "script", True), ("cross-site", "no-cors", "image", True),
    ("cross-site", "cors", "empty", True), ("same-site", "no-cors", "script", True),
    ("cross-site", "navigate", "iframe", True), ("cross-site", None, None, True),
])
def test_what_a_page_of_another_origin_asks_for_its_own_use_is_foreign(
        site: str | None, mode: str | None, dest: str | None, foreign: bool) -> None:
    assert from_another_site(site, mode, dest) is foreign


def test_a_page_of_another_origin_cannot_load_the_search_index(server) -> None:  # type: ignore[no-untyped-def]
    """``<script src="http://localhost:8000/data/search.js">`` in any web page set every
    note's text as a global of that page: its Host is local, so the Host check let it by."""
    _, port, _ = server
    fetched = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
               "Sec-Fetch-Dest": "script"}
    status, _, body = _request(port, "/data/search.js", fetched)
    assert status == 403 and b"Alpha" not in body
    status, headers, body = _request(port, "/data/search.js", {**fetched,
                                                               "Sec-Fetch-Site": "same-origin"})
    assert status == 200 and b"Alpha" in body
    assert headers["cross-origin-resource-policy"] == "same-origin"  # for browsers that don't say
    followed = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document"}
    assert _request(port, "/notes/alpha.html", followed)[0] == 200


@pytest.mark.parametrize("unsafe_html", [False, True])
def test_serve_lets_raw_html_through_only_when_asked_as_build_does(
        tmp_path: Path, unsafe_html: bool) -> None:
    config = _config(tmp_path)
    (config.wiki / "alpha.md").write_text(
        "---\ntitle: Alpha\n---\nA <kbd>Ctrl</kbd> key.<script>alert(1)</script>\n",
        encoding="utf-8")
    thread, stop, _, port = _serve_in_thread(config, unsafe_html=unsafe_html)
    try:
        body = _get(port, "/notes/alpha.html")[1]
        assert ("<kbd>Ctrl</kbd>" in body) is unsafe_html
        assert "<script>alert" not in body  # cleaned by nh3, or shown as text
    finally:
        stop.set()
        thread.join(timeout=10)


def test_listening_on_every_address_says_that_other_machines_get_403(tmp_path: Path) -> None:
    thread, stop, lines, port = _serve_in_thread(_config(tmp_path), host="0.0.0.0")
    try:
        deadline = time.monotonic() + 10  # said right after "serving", in serve's thread
        while not any(line.startswith("note: only requests for a local Host") and "403" in line
                      for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.02)
        assert _get(port, "/", host="192.0.2.7")[0] == 403
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_big_file_is_streamed_not_read_whole(server) -> None:  # type: ignore[no-untyped-def]
    config, port, _ = server
    (config.out / "big.bin").write_bytes(b"x" * (3 << 20))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/big.bin", headers={"Host": f"127.0.0.1:{port}"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Length") == str(3 << 20)
    assert response.read() == b"x" * (3 << 20)
    conn.close()


def _request(port: int, path: str, headers: dict[str, str], method: str = "GET"
             ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_range_requests_get_the_bytes_asked_for(server) -> None:  # type: ignore[no-untyped-def]
    """A browser seeks in an audio or video attachment, or a PDF viewer reads a page, with
    ``Range: bytes=a-b`` (RFC 9110): one range is answered with 206 and those bytes, what
    is past the end with 416, and anything else with the whole file."""
    config, port, _ = server
    data = bytes(range(256)) * 4
    (config.out / "clip.mp3").write_bytes(data)
    status, headers, body = _request(port, "/clip.mp3", {})
    assert (status, body, headers["accept-ranges"]) == (200, data, "bytes")
    tag = headers["etag"]
    for asked, first, last in [("bytes=0-9", 0, 9), ("bytes=1000-", 1000, 1023),
                               ("bytes=-24", 1000, 1023), ("bytes=-5000", 0, 1023),
                               ("bytes=1000-99999", 1000, 1023), ("bytes=5-5", 5, 5),
                               ("Bytes=0-0", 0, 0)]:
        for if_range in ({}, {"If-Range": tag}):
            status, headers, body = _request(port, "/clip.mp3", {"Range": asked, **if_range})
            assert status == 206, asked
            assert headers["content-range"] == f"bytes {first}-{last}/1024", asked
            assert headers["content-length"] == str(last + 1 - first)
            assert body == data[first:last + 1], asked
    for asked in ("bytes=1024-", "bytes=1024-2000", "bytes=-0"):
        status, headers, _ = _request(port, "/clip.mp3", {"Range": asked})
        assert (status, headers["content-range"]) == (416, "bytes */1024"), asked
    for whole in ({"Range": "bytes=5-1"}, {"Range": "bytes=a-b"}, {"Range": "items=0-5"},
                  {"Range": "bytes=0-1,4-5"}, {"Range": "bytes 0-5"}, {"Range": "bytes=-"},
                  {"Range": "bytes=0x1-2"}, {"Range": "bytes=0-9", "If-Range": '"other"'},
                  {"Range": "bytes=0-9", "If-Range": "Fri, 27 Nov 2026 20:00:00 GMT"}):
        status, headers, body = _request(port, "/clip.mp3", whole)
        assert (status, body) == (200, data), whole
        assert "content-range" not in headers
    status, headers, body = _request(port, "/clip.mp3", {"Range": "bytes=10-19"}, "HEAD")
    assert (status, headers["content-range"], headers["content-length"], body) == (
        206, "bytes 10-19/1024", "10", b"")
    # a page gets the reload script as it is served: a range of the file would be the wrong
    # bytes, so a page is always sent whole
    status, headers, body = _request(port, "/notes/alpha.html", {"Range": "bytes=0-9"})
    assert status == 200 and "accept-ranges" not in headers
    assert b"/__kg/reload.js" in body and body.startswith(b"<!doctype html>")


def test_a_browser_hanging_up_mid_answer_prints_no_traceback(server, capfd) -> None:  # type: ignore[no-untyped-def]
    import socket
    import struct

    config, port, _ = server
    (config.out / "big.bin").write_bytes(b"x" * (8 << 20))
    capfd.readouterr()
    for _ in range(3):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(f"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        client.recv(1024)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # a reset, as a browser leaving the page sends
    time.sleep(0.5)
    assert _get(port, "/index.html")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err


def test_symlink_out_of_site_is_not_served(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (site / "link.txt").symlink_to(tmp_path / "secret.txt")
    (site / "ok.txt").write_text("ok")
    assert site_file(site, "/link.txt") is None
    assert site_file(site, "/ok.txt") == (site / "ok.txt").resolve()


def test_edit_rebuilds_and_bad_note_shows_error_until_fixed(server) -> None:  # type: ignore[no-untyped-def]
    config, port, _ = server
    _, version = _get(port, "/__kg/version")
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha renamed"), encoding="utf-8")
    version = _wait_version(port, version)
    assert "Alpha renamed" in _get(port, "/notes/alpha.html")[1]

    (config.wiki / "alpha.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    version = _wait_version(port, version)
    status, body = _get(port, "/notes/alpha.html")
    assert status == 500
    assert "alpha.md:" in body and "not valid YAML" in body

    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha fixed"), encoding="utf-8")
    _wait_version(port, version)
    status, body = _get(port, "/notes/alpha.html")
    assert status == 200 and "Alpha fixed" in body


def _fix_line(body: str) -> str:
    """What the error page asks the reader to fix: its last paragraph's text."""
    return re.findall(r"<p>(.*?)</p>", body)[-1]


def test_the_error_page_asks_to_fix_what_has_the_error(tmp_path: Path) -> None:
    """The error page had asked to "Fix the note" whatever failed: now it names the note,
    kg.toml or the template that has the error."""
    from kg.config import load_config

    _config(tmp_path)
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\n', encoding="utf-8")
    config = load_config(tmp_path)
    thread, stop, _, port = _serve_in_thread(config, settings=lambda: load_config(tmp_path))
    try:
        _, version = _get(port, "/__kg/version")
        time.sleep(1.2)  # the watcher is watching
        (config.wiki / "alpha.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
        version = _wait_version(port, version)
        status, body = _get(port, "/")
        assert status == 500 and "alpha.md:" in body
        assert _fix_line(body) == ("Fix the note alpha.md and save; this page reloads by "
                                   "itself.")
        assert '<link rel=icon href="data:,">' in body  # no /favicon.ico asked: a 404
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
        version = _wait_version(port, version)

        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "unclosed\n', encoding="utf-8")
        version = _wait_version(port, version)
        status, body = _get(port, "/")
        assert status == 500 and "kg.toml" in body
        assert _fix_line(body) == "Fix kg.toml and save; this page reloads by itself."
        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\n', encoding="utf-8")
        version = _wait_version(port, version)

        (tmp_path / "templates").mkdir()
        (tmp_path / "templates" / "base.html").write_text("{% if %}", encoding="utf-8")
        version = _wait_version(port, version)
        status, body = _get(port, "/")
        assert status == 500 and "base.html" in body
        assert _fix_line(body) == ("Fix the template base.html (or remove it to use the "
                                   "theme&#x27;s) and save; this page reloads by itself.")
        (tmp_path / "templates" / "base.html").unlink()
        _wait_version(port, version)
        assert _get(port, "/")[0] == 200
    finally:
        stop.set()
        thread.join(timeout=10)


def test_kg_toml_templates_and_static_made_while_serving_are_seen(tmp_path: Path) -> None:
    """kg.toml is read again on a change, and a templates/ or static/ folder made after
    serve began is watched as the wiki is (the site, in the project folder, is not)."""
    from kg.config import load_config

    _config(tmp_path)
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "First title"\n', encoding="utf-8")
    config = load_config(tmp_path)
    from kg.serve import watched_paths

    # the wiki and such folders only, never the project's whole tree (a virtualenv, ~)
    assert watched_paths(config) == [config.wiki.resolve()]
    thread, stop, lines, port = _serve_in_thread(config, settings=lambda: load_config(tmp_path))
    try:
        _, version = _get(port, "/__kg/version")
        assert "First title" in _get(port, "/")[1]
        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Second title"\n', encoding="utf-8")
        version = _wait_version(port, version)
        assert "Second title" in _get(port, "/")[1]

        (tmp_path / "static").mkdir()
        (tmp_path / "static" / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
        version = _wait_version(port, version)
        assert _get(port, "/robots.txt") == (200, "User-agent: *\n")
        time.sleep(1.5)  # static/ is watched from now on: an edit in it is seen
        (tmp_path / "static" / "robots.txt").write_text("User-agent: kg\n", encoding="utf-8")
        version = _wait_version(port, version)
        assert _get(port, "/robots.txt") == (200, "User-agent: kg\n")

        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "unclosed\n', encoding="utf-8")
        version = _wait_version(port, version)
        status, body = _get(port, "/")
        assert status == 500 and "kg.toml" in body
        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Third title"\n', encoding="utf-8")
        _wait_version(port, version)
        status, body = _get(port, "/")
        assert status == 200 and "Third title" in body
        builds = sum(1 for line in lines if line.startswith("Built"))
        time.sleep(2.5)  # the builds' own writes to site/ and .kg/ start no build
        assert sum(1 for line in lines if line.startswith("Built")) == builds

        # templates that kg.toml comes to name are watched from then on
        (tmp_path / "mytpl").mkdir()
        (tmp_path / "mytpl" / "404.html").write_text(
            '{% extends "base.html" %}{% block main %}ONE{% endblock %}', encoding="utf-8")
        (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Third title"\ntemplates = "mytpl"\n',
                                          encoding="utf-8")
        version = _wait_version(port, _get(port, "/__kg/version")[1])
        assert "ONE" in (config.out / "404.html").read_text(encoding="utf-8")
        (tmp_path / "mytpl" / "404.html").write_text(
            '{% extends "base.html" %}{% block main %}TWO{% endblock %}', encoding="utf-8")
        _wait_version(port, version)
        assert "TWO" in (config.out / "404.html").read_text(encoding="utf-8")
    finally:
        stop.set()
        thread.join(timeout=10)


def test_the_page_reloads_once_the_site_is_in_place_not_after_the_bookkeeping(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the next build reads (the graph cache, the manifest) is written after the new
    site is swapped in: the server answers, with the new version and the new page, while
    that is still being written."""
    import kg.cache
    import kg.cachefile
    import kg.incremental

    writing, release, written = threading.Event(), threading.Event(), threading.Event()
    real_write = kg.incremental.write_manifest

    def write_manifest(*args: Any) -> None:
        if rebuilding.is_set():
            writing.set()
            release.wait(15)
            written.set()
        real_write(*args)

    rebuilding = threading.Event()
    monkeypatch.setattr(kg.incremental, "write_manifest", write_manifest)
    config = _config(tmp_path)
    thread, stop, _lines, port = _serve_in_thread(config)
    try:
        _, version = _get(port, "/__kg/version")
        rebuilding.set()
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha early"),
                                              encoding="utf-8")
        assert writing.wait(20), "the rebuild never wrote its manifest"
        assert _wait_version(port, version) != version
        assert not written.is_set()  # answered while the build still writes its manifest
        status, body = _get(port, "/notes/alpha.html")
        assert status == 200 and "Alpha early" in body
        release.set()
        # then the graph cache, once no change has come for a second: a query reads the
        # edit from it
        deadline = time.monotonic() + 20
        while True:
            try:
                graph = kg.cachefile.open_file(kg.cache.cache_file(config),
                                               kg.cache.code_key(), str(config.wiki))
            except FileNotFoundError:  # not yet
                graph = None
            if graph is not None:
                with graph:
                    if graph.stats() == kg.cache.scan(config.wiki):
                        break
            assert time.monotonic() < deadline, "the cache was never written"
            time.sleep(0.05)
    finally:
        release.set()
        stop.set()
        thread.join(timeout=10)


def test_the_server_pauses_while_a_rebuild_runs_and_answers_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build forks its page workers only with no other thread alive: the HTTP server's
    thread stops for the rebuild, and a request made meanwhile is answered when it ends."""
    import kg.serve

    before = set(threading.enumerate())  # other tests' threads (Playwright's) may live on
    during: list[set[threading.Thread]] = []
    release = threading.Event()
    real_build = kg.serve.build

    def build(config: Config, **options: Any) -> object:
        if during:  # a rebuild (the first build runs before the server starts)
            during.append(set(threading.enumerate()))
            release.wait(10)
        return real_build(config, **options)

    monkeypatch.setattr(kg.serve, "build", build)
    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config, name="serve-under-test")
    deadline = time.monotonic() + 40
    during.append(set())  # from now on every build is a rebuild
    _, version = _get(port, "/__kg/version")
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha paused"), encoding="utf-8")
    while len(during) < 2:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    assert during[1] - before == {thread}, during[1] - before
    answer: list[tuple[int, str]] = []
    waiting = threading.Thread(target=lambda: answer.append(_get(port, "/__kg/version")))
    waiting.start()
    time.sleep(0.3)
    assert answer == []  # queued while the build runs
    release.set()
    waiting.join(10)
    assert answer and answer[0][0] == 200
    assert _wait_version(port, version) != version
    stop.set()
    thread.join(timeout=10)


def test_serve_collects_between_builds_and_freezes_what_it_holds() -> None:
    """Garbage in cycles a build leaves is collected once it is done, and what is held is
    frozen out of the next build's collections (a full one walking every record held for
    the next build is a second of a rebuild at 10,000 notes)."""
    import gc
    import weakref

    from kg.serve import collect_between_builds

    class Cycle:
        me: object

    made = Cycle()
    made.me = made
    ref = weakref.ref(made)
    held = Cycle()
    del made
    gc.freeze()  # as a build that failed before it could unfreeze leaves it
    try:
        collect_between_builds()
        assert ref() is None  # collected although it had been frozen
        assert gc.get_freeze_count() > 0 and held is not None
    finally:
        gc.unfreeze()


def test_serve_reads_the_records_after_a_first_build_that_found_nothing_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build with nothing to do reads no note: ``kg serve`` then reads the records
    and resolves them while idle, so that its first rebuild takes them as the later ones do."""
    import kg.cache
    import kg.resolve
    from kg.build import build
    from kg.serve import warm_up

    config = _config(tmp_path)
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta") + "See [[Alpha]].\n",
                                         encoding="utf-8")
    build(config)
    monkeypatch.setattr(kg.cache, "_held", None)  # as a new process finds it
    monkeypatch.setattr(kg.resolve, "_last_resolved", None)
    assert build(config).rendered == 0  # (its files too new to trust their stat: it read them)
    monkeypatch.setattr(kg.cache, "_held", None)  # as a build that stopped at the stamp
    warm_up(config)
    held = kg.cache._held
    assert held is not None and held[1]._wiki is not None
    resolved = kg.resolve._last_resolved
    assert resolved is not None and resolved.notes["beta"] is held[1]._wiki.notes["beta"]
    assert [e.target for e in resolved.per_note["beta"].edges] == ["alpha"]


@pytest.mark.parametrize("where", ["inside-wiki", "foreign-folder", "project-folder",
                                   "inside-static"])
def test_an_output_folder_build_refuses_is_refused_before_anything_is_served(
        tmp_path: Path, where: str) -> None:
    """``kg build`` refuses to write over the wiki or a folder it did not make; ``kg serve``
    did so too, then went on serving that folder: its files (a secret beside the notes, the
    notes themselves, the cache) were answered to any local page. It stops at once now, as
    a build does, before it listens or builds."""
    import socket

    from kg.errors import KgError

    config = _config(tmp_path)
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\n', encoding="utf-8")
    out = {"inside-wiki": config.wiki / "site", "foreign-folder": tmp_path / "docs",
           "project-folder": tmp_path, "inside-static": tmp_path / "static" / "site"}[where]
    (tmp_path / "static").mkdir()  # watched: a site built there made a build without end
    if where == "foreign-folder":
        out.mkdir()
        (out / "secret.txt").write_text("secret", encoding="utf-8")
    with socket.socket() as probe:  # a free port, to see that nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    said: list[str] = []
    stopped = threading.Event()
    stopped.set()  # were it served, it would stop at once rather than hang the test
    with pytest.raises(KgError, match=r"overlaps the wiki|did not write|copied into every build"):
        serve(dataclasses.replace(config, out=out), port=port, say=said.append, watch=False,
              stop=stopped)
    assert said == []  # no build, no "serving"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not (config.wiki / "site").exists()


@pytest.mark.parametrize(("host", "family", "url_host"), [
    ("::1", "AF_INET6", "[::1]"), ("[::1]", "AF_INET6", "[::1]"),
    ("127.0.0.2", "AF_INET", "127.0.0.2"),
])
def test_serves_on_an_ipv6_or_other_loopback_address_to_its_own_url(
        tmp_path: Path, host: str, family: str, url_host: str) -> None:
    """``--host ::1`` could not listen (the server was IPv4 only: "Address family for
    hostname not supported"), and ``--host 127.0.0.2`` listened but answered 403 to the
    very URL it printed, its Host being no name of the short list; neither is another
    machine's, so neither is told that other machines get 403."""
    import socket

    thread, stop, lines, port = _serve_in_thread(_config(tmp_path), host=host)
    try:
        serving = next(line for line in lines if line.startswith("serving"))
        assert f" at http://{url_host}:{port}/ " in serving
        with socket.socket(getattr(socket, family)) as client:
            client.settimeout(5)
            client.connect((url_host.strip("[]"), port))
            client.sendall(f"GET /notes/alpha.html HTTP/1.0\r\nHost: {url_host}:{port}\r\n\r\n"
                           .encode())
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.0 200"), answer[:200]
        assert b"Alpha" in answer
        time.sleep(0.3)  # the note would be said right after "serving"
        assert not any(line.startswith("note: only requests") for line in lines), lines
    finally:
        stop.set()
        thread.join(timeout=10)


def _builds(lines: list[str]) -> int:
    return sum(1 for line in lines if line.startswith(("Built", "error:")))


def _wait_builds(lines: list[str], more_than: int) -> None:
    deadline = time.monotonic() + 20
    while _builds(lines) <= more_than:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)


def test_a_build_that_changes_nothing_reloads_no_page(tmp_path: Path) -> None:
    """A save that changes nothing (``:w`` again, an editor's scratch file beside the
    note) makes a build that finds nothing to do: the open page was reloaded all the same,
    losing what the reader was looking at. The page's version is now the site's (its
    marker file, which every build that writes anything writes anew) and the error shown:
    it moves when, and only when, what the page would show does."""
    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        _, version = _get(port, "/__kg/version")
        time.sleep(1.2)  # the watcher is watching
        builds = _builds(lines)
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
        _wait_builds(lines, builds)
        assert "nothing changed" in lines[-1]
        assert _get(port, "/__kg/version")[1] == version

        (config.wiki / "alpha.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
        version = _wait_version(port, version)  # the error shows
        builds = _builds(lines)
        (config.wiki / "beta.md").write_text(NOTE.format(title="Beta"), encoding="utf-8")
        _wait_builds(lines, builds)  # the same error again: nothing new to show
        assert _get(port, "/__kg/version")[1] == version
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
        version = _wait_version(port, version)  # fixed: the pages come back
        assert _get(port, "/notes/beta.html")[0] == 200
    finally:
        stop.set()
        thread.join(timeout=10)
    # a new kg serve on the same site: the pages left open stay as they are
    thread, stop, lines, port2 = _serve_in_thread(config, watch=False)
    try:
        assert _get(port2, "/__kg/version")[1] == version
    finally:
        stop.set()
        thread.join(timeout=10)


def _wait_status(port: int, path: str, status: int) -> str:
    deadline = time.monotonic() + 30
    while (got := _get(port, path))[0] != status:
        assert time.monotonic() < deadline, got
        time.sleep(0.1)
    return got[1]


def _site_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*"))


def test_a_site_removed_while_serving_is_built_again_whole(tmp_path: Path) -> None:
    """``rm -rf site`` while serving had every page 404 until the next save. The watcher
    sees it within a second and builds the site again, whole (what the cache kept of the
    last build describes the site removed: nothing of it is reused), each time."""
    import shutil

    config = _config(tmp_path)
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta") + "See [[alpha]].\n",
                                         encoding="utf-8")
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        files = _site_files(config.out)
        time.sleep(1.5)  # the watcher is watching (its first look builds what changed)
        for _ in range(2):
            shutil.rmtree(config.out)
            _wait_status(port, "/notes/alpha.html", 200)
            assert _site_files(config.out) == files
            assert "was removed: building the site again" in "\n".join(lines)
            assert _get(port, "/notes/beta.html")[0] == 200
        version = _get(port, "/__kg/version")[1]
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha again"), encoding="utf-8")
        _wait_version(port, version)  # and the next edit builds on the new site
        assert "Alpha again" in _get(port, "/notes/alpha.html")[1]
        assert "Alpha again" in _get(port, "/notes/beta.html")[1]
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_site_removed_while_a_note_has_an_error_is_tried_once(tmp_path: Path) -> None:
    """The build after the removal fails as the last one did: it is not tried again every
    second, and the error shows until the note is fixed, which builds the site whole."""
    import shutil

    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        files = _site_files(config.out)
        time.sleep(1.5)  # the watcher is watching
        version = _get(port, "/__kg/version")[1]
        (config.wiki / "alpha.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
        _wait_version(port, version)
        shutil.rmtree(config.out)
        deadline = time.monotonic() + 20
        while sum(line.startswith("error:") for line in lines) < 2:
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        time.sleep(2.5)  # two more looks at the site, which build nothing
        assert [line.startswith("error:") for line in lines[2:]] == [True, False, True], lines
        assert _get(port, "/notes/alpha.html")[0] == 500  # the note's error
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
        _wait_status(port, "/notes/alpha.html", 200)
        assert _site_files(config.out) == files
    finally:
        stop.set()
        thread.join(timeout=10)


def test_while_the_site_is_removed_pages_say_it_is_being_built(tmp_path: Path) -> None:
    """Not a 404 that stays (a page open had reloaded to it, the site's version gone): a
    page that says so and reloads itself until the site is back."""
    import shutil

    config = _config(tmp_path)
    thread, stop, _lines, port = _serve_in_thread(config, watch=False)
    try:
        shutil.rmtree(config.out)
        for path in ("/notes/alpha.html", "/", "/style.css", "/404.html"):
            status, body = _get(port, path)
            assert status == 503 and "building it again" in body, path
            assert "http-equiv=refresh" in body
        assert _get(port, "/__kg/version")[1] == "none"
        assert _get(port, "/", host="evil.example")[0] == 403
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_site_removed_while_a_rebuild_puts_it_in_place_is_built_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removed while a build of an edit was moving its pages into it: that build fails
    (the site it was updating is gone), and the site is built again, whole, with the edit."""
    import shutil

    import kg.build

    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        time.sleep(1.5)  # the watcher is watching
        settle = kg.build.staging._settle
        removed: list[bool] = []

        def remove_first(self: Any) -> None:
            if not removed:
                removed.append(True)
                shutil.rmtree(config.out)
            settle(self)

        monkeypatch.setattr(kg.build.staging, "_settle", remove_first)
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha again"), encoding="utf-8")
        deadline = time.monotonic() + 30
        while "Alpha again" not in (page := _get(port, "/notes/alpha.html"))[1]:
            assert time.monotonic() < deadline, (page, lines)
            time.sleep(0.1)
        assert removed and page[0] == 200
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_site_built_by_another_process_reloads_the_page(tmp_path: Path) -> None:
    """``kg build`` from the shell, or a second ``kg serve`` of the wiki that built the edit
    first (this one's build then finds nothing to do), changes the site served: its pages
    reload as after a build of its own."""
    from kg.build import build

    config = _config(tmp_path)
    thread, stop, _lines, port = _serve_in_thread(config, watch=False)
    try:
        _, version = _get(port, "/__kg/version")
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha elsewhere"),
                                              encoding="utf-8")
        build(config)
        assert _get(port, "/__kg/version")[1] != version
        assert "Alpha elsewhere" in _get(port, "/notes/alpha.html")[1]
    finally:
        stop.set()
        thread.join(timeout=10)


def test_editors_scratch_files_start_no_build(tmp_path: Path) -> None:
    """What editors write beside a note while it is open or saved: Vim's swap file and the
    ``4913`` it makes and removes to see that it may write the folder, Emacs's ``#auto-save#``
    file (every 30 s of idle time) and ``.#lock`` link, backups ending in ``~``, a JetBrains
    IDE's ``___jb_tmp___``. None of them is a note or anything a build reads: a build for
    them did nothing but say "nothing changed" again and again."""
    config = _config(tmp_path)
    thread, stop, lines, _port = _serve_in_thread(config)
    try:
        time.sleep(1.5)  # the watcher is watching
        builds = _builds(lines)
        wiki = config.wiki
        (wiki / "4913").write_text("", encoding="utf-8")
        (wiki / "4913").unlink()
        (wiki / ".alpha.md.swp").write_bytes(b"b0VIM 9.0")
        (wiki / "#alpha.md#").write_text("autosaved", encoding="utf-8")
        (wiki / ".#alpha.md").symlink_to("user@host.1234:1700000000")
        (wiki / "alpha.md~").write_text(NOTE.format(title="Alpha"), encoding="utf-8")
        (wiki / "alpha.md___jb_tmp___").write_text("", encoding="utf-8")
        time.sleep(3)  # the watcher's debounce, and a build's time
        assert _builds(lines) == builds, lines[builds:]
        (wiki / "alpha.md").write_text(NOTE.format(title="Alpha saved"), encoding="utf-8")
        _wait_builds(lines, builds)  # a note saved is built
    finally:
        stop.set()
        thread.join(timeout=10)


def test_an_obsidian_vault_s_own_state_starts_no_build(tmp_path: Path) -> None:
    """Obsidian writes ``.obsidian/workspace.json`` anew on every pane opened or file
    switched to: each write was a build that said "nothing changed", a line in the terminal
    for every click in the vault. Its settings that name the vault's templates are read by
    a build, and a change of them is still built."""
    config = _config(tmp_path)
    (config.wiki / ".obsidian").mkdir()
    (config.wiki / "Blueprints").mkdir()
    (config.wiki / "Blueprints" / "daily.md").write_text(NOTE.format(title="Daily"),
                                                         encoding="utf-8")
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        time.sleep(1.5)  # the watcher is watching
        assert _get(port, "/notes/daily.html")[0] == 200
        builds = _builds(lines)
        for n in range(3):
            (config.wiki / ".obsidian" / "workspace.json").write_text(
                f'{{"active": {n}}}', encoding="utf-8")
            time.sleep(0.3)
        time.sleep(2.5)  # the watcher's debounce, and a build's time
        assert _builds(lines) == builds, lines[builds:]
        (config.wiki / ".obsidian" / "templates.json").write_text(
            '{"folder": "Blueprints"}', encoding="utf-8")
        _wait_builds(lines, builds)  # the vault's templates named: no note of the wiki
        assert _get(port, "/notes/daily.html")[0] == 404
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_wiki_folder_replaced_while_serving_is_watched_in_its_new_place(tmp_path: Path) -> None:
    """A wiki folder moved aside and another put at its path (a clone, a backup restored, a
    sync tool's swap) within the second between serve's looks: the watcher went on watching
    the folder moved aside, and no edit of the new one was built again."""
    import shutil

    config = _config(tmp_path)
    thread, stop, lines, port = _serve_in_thread(config)
    try:
        time.sleep(1.2)  # the watcher is watching
        fresh = tmp_path / "fresh"
        shutil.copytree(config.wiki, fresh)
        (fresh / "beta.md").write_text(NOTE.format(title="Beta"), encoding="utf-8")
        builds = _builds(lines)
        config.wiki.rename(tmp_path / "aside")
        fresh.rename(config.wiki)
        _wait_builds(lines, builds)  # the new wiki, built
        assert _get(port, "/notes/beta.html")[0] == 200
        time.sleep(1.5)
        _, version = _get(port, "/__kg/version")
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha anew"), encoding="utf-8")
        _wait_version(port, version)
        assert "Alpha anew" in _get(port, "/notes/alpha.html")[1]
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_wiki_symlink_switched_while_serving_is_followed(tmp_path: Path) -> None:
    """``wiki`` a symlink, switched to another folder while serving (``ln -sfn two wiki``):
    serve went on watching and building the folder it led to at its start. It is now read
    where it leads, watched there, and no "restart kg serve" is said (kg.toml is the same);
    and a build after the switch is no build of "another wiki" into this wiki's site."""
    from kg.build import build
    from kg.config import load_config

    for name, titles in (("one", ["Alpha"]), ("two", ["Alpha two", "Beta"])):
        (tmp_path / name).mkdir()
        for title in titles:
            (tmp_path / name / f"{title.split()[0].lower()}.md").write_text(
                NOTE.format(title=title), encoding="utf-8")
    (tmp_path / "wiki").symlink_to("one")
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\n', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.wiki == tmp_path / "one" and config.named_wiki == tmp_path / "wiki"
    thread, stop, lines, port = _serve_in_thread(config,
                                                 settings=lambda: load_config(tmp_path))
    try:
        time.sleep(1.2)  # the watcher is watching
        assert _get(port, "/notes/beta.html")[0] == 404
        builds = _builds(lines)
        (tmp_path / "wiki.new").symlink_to("two")  # as ln -sfn does: one rename
        os.replace(tmp_path / "wiki.new", tmp_path / "wiki")
        _wait_builds(lines, builds)
        assert _get(port, "/notes/beta.html")[0] == 200
        assert "Alpha two" in _get(port, "/notes/alpha.html")[1]
        assert f"{tmp_path / 'wiki'} now leads to {tmp_path / 'two'}: building it" in lines
        time.sleep(1.5)
        _, version = _get(port, "/__kg/version")
        (tmp_path / "two" / "beta.md").write_text(NOTE.format(title="Beta anew"),
                                                  encoding="utf-8")
        _wait_version(port, version)  # the folder it leads to now is the one watched
        assert "Beta anew" in _get(port, "/notes/beta.html")[1]
        assert not any("restart kg serve" in line for line in lines)
    finally:
        stop.set()
        thread.join(timeout=10)
    (tmp_path / "wiki").unlink()
    (tmp_path / "wiki").symlink_to("one")
    build(load_config(tmp_path))  # this wiki's site, whichever folder the name leads to
    assert not (tmp_path / "site" / "notes" / "beta.html").exists()


def test_a_folder_is_served_at_its_address_with_a_slash(tmp_path: Path) -> None:
    """``/docs`` served ``docs/index.html`` as it was, so the browser read its relative
    links from ``/`` (``style.css`` → ``/style.css``: a page without its style, links that
    lead nowhere): a folder's address without its slash is redirected to it, as static
    hosts do, and a file's address with one (``/index.html/``) is no file."""
    config = _config(tmp_path)
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\n', encoding="utf-8")
    docs = tmp_path / "static" / "docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text('<link rel=stylesheet href="style.css"><body>Docs</body>',
                                     encoding="utf-8")
    (docs / "style.css").write_text("body {}", encoding="utf-8")
    thread, stop, _lines, port = _serve_in_thread(config)
    try:
        for asked, where in (("/docs", "/docs/"), ("/docs?lang=en", "/docs/?lang=en"),
                             ("//docs", "/docs/")):  # never //docs/, the host "docs"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", asked, headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            response.read()
            conn.close()
            assert (response.status, response.getheader("Location")) == (301, where)
        status, body = _get(port, "/docs/")
        assert status == 200 and "Docs" in body
        assert _get(port, "/docs/style.css")[0] == 200
        assert _get(port, "/index.html/")[0] == 404
        assert _get(port, "/docs/style.css/")[0] == 404
        assert _get(port, "/")[0] == 200
        assert _get(port, "/notes")[0] == 404  # a folder without an index.html is none
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_note_file_name_that_is_not_utf8_stops_no_server(tmp_path: Path) -> None:
    """A file made or renamed in the wiki under a name that is not UTF-8: the build says
    which (its name cannot be an id: rename it), but the watcher, which could not name the
    change (watchfiles' "Unable to decode path"), ended ``kg serve`` with a traceback,
    the first time on the very rename that fixes it."""
    import os

    config = _config(tmp_path)
    thread, stop, _lines, port = _serve_in_thread(config)
    try:
        time.sleep(1.2)  # the watcher is watching
        _, version = _get(port, "/__kg/version")
        bad = os.fsencode(config.wiki) + b"/\xff-bad.md"
        with open(bad, "wb") as f:
            f.write(NOTE.format(title="Bad name").encode())
        version = _wait_version(port, version)
        status, body = _get(port, "/notes/alpha.html")
        assert status == 500 and "not valid UTF-8" in body
        os.rename(bad, config.wiki / "good-name.md")
        version = _wait_version(port, version)
        assert _get(port, "/notes/good-name.html")[0] == 200
        assert thread.is_alive()
        time.sleep(1.2)  # a new watcher is watching
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha later"), encoding="utf-8")
        _wait_version(port, version)
        assert "Alpha later" in _get(port, "/notes/alpha.html")[1]
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_long_address_is_not_found_not_a_dropped_connection(server, capfd) -> None:  # type: ignore[no-untyped-def]
    """A name longer than a file name may be (255 bytes), or a path longer than a path may
    be: the lookup's "File name too long" was raised out of the handler, which closed the
    connection without an answer and printed a traceback; and a request line past 64 KiB
    is refused as too long."""
    _, port, _ = server
    capfd.readouterr()
    for path in ("/" + "a" * 300, "/" + "a" * 300 + "/", "/" + "a/" * 3000 + "x.html",
                 "/notes/" + "%41" * 400 + ".html"):
        status, body = _get(port, path)
        assert status == 404 and "<html" in body, path[:40]
    assert _get(port, "/" + "a" * 70_000)[0] == 414
    assert "Traceback" not in capfd.readouterr().err


def test_saves_close_together_wait_for_their_builds_alone(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The graph cache and the collection of garbage are put off until no change has come
    for a second (:meth:`Rebuilder.idle`), so that a save made right after a build (an
    editor's autosave) waits for its own build, not for them; then done once."""
    import kg.cache
    import kg.serve
    from kg.build import build
    from kg.serve import Listener, Rebuilder, ServeState, listen

    config = _config(tmp_path)
    build(config)
    collected: list[int] = []
    monkeypatch.setattr(kg.serve, "collect_between_builds", lambda: collected.append(1))
    state = ServeState(config.out)
    listener = Listener(listen("127.0.0.1", 0, state))
    listener.start()

    def cache_current() -> bool:
        opened = kg.cache.open_file(kg.cache.cache_file(config), kg.cache.code_key(),
                                    str(config.wiki))
        assert opened is not None
        with opened:
            return opened.stats() == kg.cache.scan(config.wiki)

    try:
        builder = Rebuilder(config, state, listener, lambda _line: None)
        for body in ("More.", "Much more.", "Less."):
            (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + body + "\n",
                                                  encoding="utf-8")
            builder()
            page = (config.out / "notes" / "alpha.html").read_text(encoding="utf-8")
            assert body in page
            assert not cache_current() and collected == []
        builder.idle()
        assert cache_current() and collected == [1]
        builder.idle()  # nothing put off since
        assert collected == [1]
        assert "Less." in kg.cache.open_graph(config).wiki().notes["alpha"].body
    finally:
        listener.close()


def test_serve_stopped_before_it_was_idle_writes_the_cache_it_put_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped (Ctrl-C) right after a build, kg serve first writes the graph cache that build
    put off: the next query finds it current."""
    import kg.cache
    import kg.serve

    stopping = threading.Event()
    real_idle = kg.serve.Rebuilder.idle

    def idle(self: kg.serve.Rebuilder) -> None:  # never idle until stopped
        if stopping.is_set():
            real_idle(self)

    monkeypatch.setattr(kg.serve.Rebuilder, "idle", idle)
    config = _config(tmp_path)
    thread, stop, _lines, port = _serve_in_thread(config)
    try:
        _, version = _get(port, "/__kg/version")
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "Later.\n",
                                              encoding="utf-8")
        _wait_version(port, version)
    finally:
        stopping.set()
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    opened = kg.cache.open_file(kg.cache.cache_file(config), kg.cache.code_key(),
                                str(config.wiki))
    assert opened is not None
    with opened:
        assert opened.stats() == kg.cache.scan(config.wiki)


def test_serve_writes_its_graph_cache_itself(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg build`` of an edit leaves its cache to a forked child; ``kg serve`` does not
    (its HTTP thread is paused while it builds, so it could fork): it keeps the graph for
    its next build, whose records are then read from a file no other program names, not
    from the cache file another program may cut short."""
    import kg.cache
    import kg.workers
    from kg.build import build
    from kg.serve import ServeState, rebuild

    monkeypatch.setattr(kg.workers, "can_fork", lambda: True)
    monkeypatch.setattr(kg.workers, "jobs_wanted", lambda: 2)
    asides: list[object] = []
    real = kg.cache.Graph.settle_aside

    def settle_aside(self: kg.cache.Graph) -> None:
        asides.append(self)
        real(self)

    monkeypatch.setattr(kg.cache.Graph, "settle_aside", settle_aside)
    config = _config(tmp_path)
    build(config)
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "More.\n",
                                          encoding="utf-8")
    assert rebuild(config, ServeState(config.out), lambda _line: None) is not None
    assert asides == []
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "Less.\n",
                                          encoding="utf-8")
    build(config)  # as kg build does it
    assert len(asides) == 1


def test_serve_holds_what_its_next_build_reads_until_idle(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """kg serve's build leaves its manifest, its pages' reads and its exports' states in
    memory (:class:`kg.build.Tail`): its next build takes them from there and makes only what
    the edit changed; they are written once idle, paired with the site, so that a build in
    a new process finds nothing to do; a tail whose site another build replaced meanwhile
    is dropped, not written over that build's."""
    import kg.build
    import kg.incremental as inc
    from kg.build import build, settle_tail
    from kg.serve import ServeState, rebuild

    config = _config(tmp_path)
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta") + "See [[Alpha]].\n",
                                         encoding="utf-8")
    whole = build(config)
    manifest = inc.manifest_path(config)
    written = manifest.read_bytes()
    marker = config.out / inc.SITE_MARKER

    def edit(text: str) -> kg.build.BuildResult:
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + text,
                                              encoding="utf-8")
        result = rebuild(config, ServeState(config.out), lambda _line: None)
        assert result is not None
        return result

    first = edit("More.\n")
    assert 0 < first.rendered < whole.rendered
    assert manifest.read_bytes() == written  # not yet: the old site's
    assert inc.read_manifest(config, marker) is None
    second = edit("Less.\n")
    assert 0 < second.rendered < whole.rendered  # the held manifest and reads, not a full build
    assert "Less." in (config.out / "notes" / "alpha.html").read_text(encoding="utf-8")
    assert settle_tail() and not settle_tail()
    assert inc.read_manifest(config, marker) is not None
    import kg.depends  # written, and held still: the next edit reads none of it again
    with monkeypatch.context() as patched:
        patched.setattr(kg.depends, "read_trace", lambda *_: pytest.fail("read again"))
        assert 0 < edit("After a pause.\n").rendered < whole.rendered
    assert settle_tail()
    monkeypatch.setattr(kg.build, "_tail", None)  # as a new process
    assert build(config).rendered == 0

    edit("Again.\n")
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta 2"), encoding="utf-8")
    build(config)  # from another terminal: the site replaced
    on_disk = manifest.read_bytes()
    assert not settle_tail()
    assert manifest.read_bytes() == on_disk and inc.read_manifest(config, marker) is not None


def test_an_edit_splices_its_exports_beside_unless_a_child_writes_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kg serve's edit makes its pages in its own process while a thread splices the graph
    exports (no worker is forked); kg build's, whose cache a forked child writes (sharing
    the records' memory already), makes them beside a forked worker as before. Either
    site is the one a full build makes."""
    import kg.splice
    import kg.workers
    from kg.build import build
    from kg.serve import ServeState, rebuild

    monkeypatch.setattr(kg.workers, "jobs_wanted", lambda: 2)
    beside: list[bool] = []
    real = kg.splice.Splices.beside

    def spy(self: kg.splice.Splices) -> Any:
        beside.append(True)
        return real(self)

    monkeypatch.setattr(kg.splice.Splices, "beside", spy)
    config = _config(tmp_path)
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta") + "See [[Alpha]].\n",
                                         encoding="utf-8")
    build(config)
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "More.\n",
                                          encoding="utf-8")
    assert rebuild(config, ServeState(config.out), lambda _line: None) is not None
    assert beside == [True]
    served = (config.out / "graph.nt").read_bytes()
    assert b"More." in served
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "Less.\n",
                                          encoding="utf-8")
    kg.build.settle_tail()
    if kg.workers.can_fork():  # the cache written by a forked child: a worker beside
        build(config)
        assert beside == [True]
    whole = tmp_path / "whole"
    build(Config(root=tmp_path / "w", wiki=config.wiki, out=whole), full=True)
    build(config)
    assert (config.out / "graph.nt").read_bytes() == (whole / "graph.nt").read_bytes()


def _edited_beside(tmp_path: Path, text: str) -> Config:
    """A wiki built once, then its note alpha edited: a build now is kg serve's edit, its
    exports spliced by a thread beside the pages."""
    from kg.build import build

    config = _config(tmp_path)
    (config.wiki / "beta.md").write_text(NOTE.format(title="Beta") + "See [[Alpha]].\n",
                                         encoding="utf-8")
    build(config)
    (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + text, encoding="utf-8")
    return config


def test_an_edit_s_pages_are_shown_before_its_exports_are_spliced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kg serve's edit puts its pages in place, and says so (the open page reloads), while
    the thread beside still splices the graph exports (hundreds of megabytes at 10,000
    notes); they follow before the build returns, and the site is a full build's."""
    import kg.splice
    from kg.build import build

    config = _edited_beside(tmp_path, "More.\n")
    shown = threading.Event()
    waited: list[bool] = []
    real = kg.splice.splice_file

    def held_back(*args: Any, **kwargs: Any) -> None:
        waited.append(shown.wait(timeout=10))
        real(*args, **kwargs)

    monkeypatch.setattr(kg.splice, "splice_file", held_back)
    seen: dict[str, bytes] = {}

    def published(_result: Any) -> None:
        seen["page"] = (config.out / "notes" / "alpha.html").read_bytes()
        seen["graph"] = (config.out / "graph.nt").read_bytes()
        shown.set()

    build(config, cache="later", published=published)
    assert waited and all(waited)  # no splice was waited for before the pages were shown
    assert b"More." in seen["page"] and b"More." not in seen["graph"]
    assert b"More." in (config.out / "graph.nt").read_bytes()
    whole = tmp_path / "whole"
    build(Config(root=tmp_path / "w", wiki=config.wiki, out=whole), full=True)
    assert site_tree(config.out) == site_tree(whole)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


_FULL_ELSEWHERE = """
import pathlib, sys
from kg.build import build
from kg.config import load_config
root, wiki, out = map(pathlib.Path, sys.argv[1:4])
build(load_config(root).with_options(wiki=wiki, out=out), full=True)
"""


def _full_elsewhere(config: Config, out: Path) -> dict[str, Any]:
    """The site a full build makes in a new process: none of this one's tables (what kg
    serve keeps from build to build) can shape it."""
    import shutil
    import subprocess
    import sys

    import kg

    root = out.with_name(f"{out.name}-root")
    root.mkdir()
    shutil.copy(config.root / "kg.toml", root / "kg.toml")  # its own cache, beside
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(kg.__file__).parents[1])}
    subprocess.run([sys.executable, "-c", _FULL_ELSEWHERE, str(root), str(config.wiki),
                    str(out)], check=True, env=env)
    return site_tree(out)


def test_serve_s_edits_make_what_a_new_process_makes(
        tmp_path: Path, write_wiki: Any, between_builds: None) -> None:
    """A run of kg serve's edits, each site compared with a full build in a new process:
    a renamed note that moves before the others of its day (its tag's, tier's, month's and
    the home page's lists in another order), a changed day, tag and tier, a question
    reworded, an answer, a new note."""
    from kg.build import build
    from kg.serve import ServeState, rebuild

    def note(title: str, day: str = "2024-01-05", tags: str = "x", tier: int = 1,
             extra: str = "") -> str:
        return (f"---\ntitle: {title}\ndate: {day}\ntags: [{tags}]\ntier: {tier}\n{extra}"
                f"---\n## TL;DR\nBody of {title}.\n\n## Open questions\n- Why {title}?\n")

    config = write_wiki({"a.md": note("Alpha"), "b.md": note("Beta"), "c.md": note("Gamma"),
                         "d.md": note("Delta", "2024-02-01", "y", 2)})
    build(config)
    state = ServeState(config.out)
    edits = [{"a.md": note("Zeta")},  # after Beta and Gamma now
             {"b.md": note("Beta", "2024-03-01")},
             {"c.md": note("Gamma", tags="y", tier=2)},
             {"d.md": note("Delta", "2024-02-01", "y", 2).replace("Why Delta?", "How?")},
             {"c.md": note("Gamma", tags="y", tier=2, extra="answers: [d#q-how]\n")},
             {"e.md": note("Epsilon")}]
    for n, files in enumerate(edits):
        write_wiki(files)
        assert rebuild(config, state, lambda _line: None) is not None, state.error
        assert site_tree(config.out) == _full_elsewhere(config, tmp_path / f"full{n}"), n


def test_exports_that_cannot_be_put_in_place_after_the_pages_are_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills as the spliced exports follow the pages already shown: kg serve
    shows the error (the pages are new, the exports may be the previous build's), and the
    next build, which finds no manifest of this site, writes it whole."""
    import errno
    import os

    import kg.build
    from kg.build import build, settle_tail
    from kg.errors import KgError
    from kg.serve import ServeState, rebuild

    config = _edited_beside(tmp_path, "More.\n")
    real = os.rename

    def full_disk(source: Any, target: Any) -> None:
        if Path(target) == config.out / "graph.ttl":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(kg.build.os, "rename", full_disk)
    state, said = ServeState(config.out), []
    assert rebuild(config, state, said.append) is None
    assert state.error is not None and "No space left" in str(state.error)
    assert "graph.ttl" in str(state.error.file) and "whole" in (state.error.hint or "")
    assert isinstance(state.error, KgError)
    assert b"More." in (config.out / "notes" / "alpha.html").read_bytes()
    monkeypatch.setattr(kg.build.os, "rename", real)
    assert not settle_tail()  # nothing held for a site it did not finish
    result = build(config)
    assert result.rendered == result.files
    whole = tmp_path / "whole"
    build(Config(root=tmp_path / "w", wiki=config.wiki, out=whole), full=True)
    assert site_tree(config.out) == site_tree(whole)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_serve_stopped_by_a_signal_writes_what_it_put_off(tmp_path: Path,
                                                           signal_name: str) -> None:
    """Stopped by SIGTERM (a service manager) or SIGHUP (its terminal closed), kg serve ends
    as after Ctrl-C, exit 0, having written what its builds put off until idle: the next
    ``kg build`` finds its site's manifest (it makes no page again) and a query the cache."""
    import os
    import signal
    import subprocess
    import sys

    import kg
    import kg.cache
    import kg.incremental as inc

    config = _config(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(kg.__file__).parents[1]), "KG_JOBS": "1",
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from kg.cli import run; run()", "serve", "--wiki",
         str(config.wiki), "--out", str(config.out), "--port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = iter(process.stdout.readline, "")
        assert any("serving" in line for line in lines)
        time.sleep(1.0)  # watching
        (config.wiki / "alpha.md").write_text(NOTE.format(title="Alpha") + "Signalled.\n",
                                              encoding="utf-8")
        assert any(line.startswith("Built") for line in lines)
        process.send_signal(getattr(signal, signal_name))
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert inc.read_manifest(config, config.out / inc.SITE_MARKER) is not None
    opened = kg.cache.open_file(kg.cache.cache_file(config), kg.cache.code_key(),
                                str(config.wiki))
    assert opened is not None
    with opened:
        assert opened.stats() == kg.cache.scan(config.wiki)


def test_serve_makes_what_its_first_edit_takes_again_before_the_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, between_builds: None) -> None:
    """Once its first build is done, ``kg serve`` makes what an edit's build makes of every
    note (the lists' lines among them: :meth:`kg.site.Site.warm`): its first edit then
    makes again only the edited note's line of the timeline, and the site is a full
    build's."""
    import kg.cache
    import kg.site
    import kg.snippets
    from kg.build import build
    from kg.serve import warm_up

    config = _config(tmp_path)
    for name in ("beta", "gamma"):
        (config.wiki / f"{name}.md").write_text(
            NOTE.format(title=name.title()) + "## TL;DR\nSome text.\n", encoding="utf-8")
    build(config)
    monkeypatch.setattr(kg.cache, "_held", None)  # as a new process finds it
    monkeypatch.setattr(kg.site, "_remembered", kg.snippets.Remembered({}))
    assert build(config).rendered == 0
    warm_up(config)
    made: list[str] = []
    real = kg.snippets.Remembered.lines

    def lines(self: kg.snippets.Remembered, kind: tuple[object, ...], notes: Any,
              line: Any) -> str:
        if kind[1] != 3:  # not the timeline's
            return real(self, kind, notes, line)
        return real(self, kind, notes, lambda note: made.append(note.id) or line(note))

    monkeypatch.setattr(kg.snippets.Remembered, "lines", lines)
    beta = config.wiki / "beta.md"
    beta.write_text(beta.read_text(encoding="utf-8").replace("Some text.", "Edited."),
                    encoding="utf-8")
    build(config)
    assert made == ["beta"]
    full = dataclasses.replace(config, out=tmp_path / "full")
    build(full, full=True)
    assert site_tree(config.out) == site_tree(full.out)
