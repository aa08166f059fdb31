"""Untrusted notes: no script from a note runs in the site, or the build fails cleanly.

The corpus is ``tests/hostile/`` (see its README). Pages are checked with a real HTML parser,
not a text search: what matters is what a browser would build from the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kg.build import BuildResult, build
from kg.config import Config
from kg.errors import ConfigError, Finding, KgError
from kg.ids import ATTACHMENTS

CORPUS = Path(__file__).parent / "hostile"
RENDER = CORPUS / "render"
REJECT = CORPUS / "reject"
EXPECT = tomllib.loads((CORPUS / "reject.toml").read_text(encoding="utf-8"))

# --------------------------------------------------------------------------------------------
# the audit: what a browser would run


URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "poster", "data", "cite",
    "background", "srcset", "ping", "lowsrc", "dynsrc", "longdesc", "usemap", "manifest",
    "codebase", "archive", "icon", "itemtype",
})
FORBIDDEN_TAGS = frozenset({
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg",
    "math", "style", "portal", "template", "noscript", "xmp", "plaintext",
})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
DATA_TYPES = frozenset({"application/ld+json", "application/json"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp)[;,]")


def dangerous_url(value: str) -> bool:
    """True for a URL a browser would run or render as a document: the audit's own rule."""
    squeezed = re.sub(r"[\x00-\x20\x7f]", "", value).lower()
    scheme = _SCHEME.match(squeezed)
    if scheme is None:
        return False
    if scheme.group(1) in SAFE_SCHEMES:
        return False
    return not (scheme.group(1) == "data" and _DATA_IMAGE.match(squeezed))


def own_file(src: str, suffix: str = ".js") -> bool:
    """A relative URL to the site's own files (``assets/`` or ``data/``), or one from the
    site's root (``/assets/``: the 404 page's, served at any address); never one of another
    host (``//evil.example/x.js``, ``/\\evil.example``)."""
    if _SCHEME.match(src.lower()) or src.startswith(("//", "\\", "/\\")):
        return False
    src = src.removeprefix("/")
    parts = [p for p in posixpath.normpath(src).split("/") if p != ".."]
    return bool(parts) and parts[0] in ("assets", "data") and src.endswith(suffix)


class Audit(HTMLParser):
    """Parses one page; ``problems`` lists everything that could run; ``text`` what is shown."""

    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.problems: list[str] = []
        self.text: list[str] = []
        self.csp: list[str] = []
        self.islands: list[str] = []
        self._island: list[str] | None = None
        self._hidden = 0

    def _problem(self, what: str) -> None:
        self.problems.append(f"{self.name}: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self._problem(f"<{tag} {name}=...> event handler")
            if name in ("style", "srcdoc"):
                self._problem(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value is not None and dangerous_url(value):
                self._problem(f"<{tag} {name}={value!r}> dangerous URL")
        if tag in FORBIDDEN_TAGS:
            self._problem(f"<{tag}> element")
        if tag == "meta" and found.get("http-equiv") is not None:
            if (found.get("http-equiv") or "").lower() == "content-security-policy":
                self.csp.append(found.get("content") or "")
            else:
                self._problem(f"<meta http-equiv={found.get('http-equiv')!r}>")
        if tag == "link":
            href = found.get("href") or ""
            rel = (found.get("rel") or "").lower()
            if rel not in ("stylesheet", "icon", "alternate") or dangerous_url(href):
                self._problem(f"<link rel={rel!r} href={href!r}>")
            if rel == "stylesheet" and not own_file(href, ".css"):
                self._problem(f"stylesheet from outside the site: {href!r}")
        if tag == "script":
            kind = (found.get("type") or "").lower()
            src = found.get("src")
            if src is None and kind in DATA_TYPES:
                self._island = []
            elif src is not None and own_file(src) and kind in ("", "module", "text/javascript"):
                self._hidden += 1
            else:
                self._problem(f"live <script type={kind!r} src={src!r}>")
                self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            if self._island is not None:
                text = "".join(self._island)
                self.islands.append(text)
                try:
                    json.loads(text)
                except ValueError as err:
                    self._problem(f"a JSON island that does not parse ({err}): {text[:80]!r}")
                self._island = None
            else:
                self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if self._island is not None:
            self._island.append(data)
        elif not self._hidden:
            self.text.append(data)

    @property
    def shown(self) -> str:
        return " ".join("".join(self.text).split())


def audit_page(path: Path, name: str) -> Audit:
    audit = Audit(name)
    audit.feed(path.read_text(encoding="utf-8"))
    audit.close()
    if not audit.csp:
        audit.problems.append(f"{name}: no Content-Security-Policy <meta>")
    for policy in audit.csp:
        rules = {r.split()[0]: r.split()[1:] for r in policy.split(";") if r.split()}
        scripts = rules.get("script-src", rules.get("default-src", []))
        if scripts != ["'self'"]:
            audit.problems.append(f"{name}: CSP script-src is {scripts}, not only 'self'")
        if rules.get("object-src") != ["'none'"] or rules.get("base-uri") != ["'none'"]:
            audit.problems.append(f"{name}: CSP lacks object-src/base-uri 'none'")
    return audit


def audit_data_script(path: Path, name: str) -> list[str]:
    """A generated ``data/*.js`` must be one assignment of JSON: data, not code."""
    text = path.read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"(?:window\.[A-Za-z_]\w*\s*=\s*)(.*?);?", text, re.S)
    if match is None:
        return [f"{name}: not a single `window.X = <JSON>` assignment"]
    try:
        json.loads(match.group(1))
    except ValueError as err:
        return [f"{name}: its value is not JSON ({err})"]
    return []


def audit_site(out: Path) -> dict[str, Audit]:
    """Every page of a built site audited; fails the test on any problem."""
    audits: dict[str, Audit] = {}
    problems: list[str] = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            audits[rel] = audit_page(path, rel)
            problems += audits[rel].problems
        elif path.suffix == ".js" and rel.startswith("data/"):
            problems += audit_data_script(path, rel)
        elif path.suffix in (".svg", ".xhtml", ".xml", ".html", ".htm") and rel.startswith(
                f"{ATTACHMENTS}/"):
            problems.append(f"{rel}: a document type copied as an attachment")
    assert audits, f"no pages under {out}"
    assert not problems, "\n".join(problems)
    return audits


# --------------------------------------------------------------------------------------------
# helpers


def make_config(root: Path) -> Config:
    return Config(root=root, wiki=root / "wiki", out=root / "site")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (or nothing) and a hash of its bytes."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()
    }


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def findings(err: KgError) -> tuple[Finding, ...]:
    return err.findings or (err.as_finding(),)


def written(root: Path, files: dict[str, bytes | str]) -> Path:
    wiki = root / "wiki"
    for name, content in files.items():
        path = wiki / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return wiki


# --------------------------------------------------------------------------------------------
# render/: every note builds and no script survives


@pytest.fixture(scope="module", params=["escaped", "unsafe-html"])
def rendered(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BuildResult, Path]]:
    root = tmp_path_factory.mktemp(request.param)
    shutil.copytree(RENDER, root / "wiki")
    result = build(make_config(root), unsafe_html=request.param == "unsafe-html")
    yield result, root


def test_no_page_runs_anything_from_a_note(rendered: tuple[BuildResult, Path]) -> None:
    result, root = rendered
    audits = audit_site(root / "site")
    assert result.notes == len(list(RENDER.glob("*.md")))
    for note in RENDER.glob("*.md"):
        assert f"notes/{note.stem}.html" in audits, note.name


def test_the_corpus_is_big_enough() -> None:
    assert len(list(RENDER.glob("*.md"))) + len(list(REJECT.glob("*.md"))) >= 30


SHOWN_AS_TEXT = {
    "body-script": ['<script>alert("body-script")</script>', "<img src=x onerror=alert(1)>",
                    '<a href="javascript:alert(7)">raw anchor</a>'],
    "body-links": ["[plain](javascript:alert(1))", "[vb](vbscript:msgbox(1))"],
    "title-xss": ["</title><script>alert('title')</script><title>"],
    "logseq-page": ["<script>alert('logseq-title')</script>", "<i>paper</i>",
                    "<b onmouseover=alert('logseq-author')>Smith</b>",
                    "<img src=x onerror=alert('logseq-alias')>"],
    "aliases-tags": ["<img src=x onerror=alert('alias')>", "<b onmouseover=alert('author')>"],
    "annotations": ["</script><script>alert('annotation')</script>",
                    "\"><svg onload=alert(1)>"],
    "questions": ["<script>alert('question')</script> is this shown as text?"],
    "entities": ["&lt;script&gt;alert('entity-title')&lt;/script&gt;",
                 "<script>alert('entity')</script>", "<script>alert('fence')</script>"],
    "template-injection": ["{{ 7*7 }} {% raw %}", "{{ 7*7 }}"],
    "yaml-types": ["NO", "012345", "1:20", "0x1F", ".inf", "yes", "on", "3.10", "2026-05-04"],
    "bom": ["Byte order mark"],
    "crlf": ["Windows line ends", "Does CRLF parse?"],
    "cr-only": ["Old Mac line ends", "Does CR-only parse?"],
    "logseq-macros": ["<img src=x onerror=alert('cloze')>", "javascript:alert('video')",
                      "data:text/html,<script>alert('data')</script>", "▶ ²",
                      "Logseq query: </p><img src=x onerror=alert('query-title')>",
                      "<script>alert('export')</script>"],
    "quotes-in-attrs": ["Quotes ' \" ` and ampersands & &amp; in every field",
                        "it's \"quoted\" & `ticked`"],
}


@pytest.mark.parametrize("note", sorted(SHOWN_AS_TEXT))
def test_raw_html_and_odd_values_are_shown_as_written(
    rendered: tuple[BuildResult, Path], note: str, request: pytest.FixtureRequest
) -> None:
    _result, root = rendered
    if "unsafe-html" in request.node.callspec.id and note in ("body-script", "questions"):
        pytest.skip("with --unsafe-html raw HTML is cleaned, not shown")
    audit = audit_page(root / "site" / "notes" / f"{note}.html", note)
    for text in SHOWN_AS_TEXT[note]:
        assert " ".join(text.split()) in audit.shown, (note, text)


def test_template_syntax_in_a_note_is_not_evaluated(rendered: tuple[BuildResult, Path]) -> None:
    _result, root = rendered
    shown = audit_page(root / "site/notes/template-injection.html", "t").shown
    assert "49" not in shown


def test_json_ld_carries_hostile_text_intact(rendered: tuple[BuildResult, Path]) -> None:
    _result, root = rendered
    audit = audit_page(root / "site/notes/jsonld-breakout.html", "jsonld-breakout")
    data = [json.loads(text) for text in audit.islands]
    names = [d.get("name") for d in data if isinstance(d, dict)]
    assert "</script><script>alert('jsonld')</script>" in names


def test_unsafe_html_keeps_harmless_markup_and_drops_the_rest(
    rendered: tuple[BuildResult, Path], request: pytest.FixtureRequest
) -> None:
    _result, root = rendered
    page = (root / "site/notes/body-script.html").read_text(encoding="utf-8")
    if "unsafe-html" in request.node.callspec.id:
        assert "<div>div</div>" in page  # kept as an element, its handler and style gone
        assert "alert(&quot;body-script&quot;)" not in page and 'alert("body-script")' not in page
    else:
        assert "&lt;div onclick=" in page


def test_unsafe_html_keeps_only_the_classes_of_the_notes_own_markdown(write_wiki) -> None:
    """A class in a note's raw HTML would let it restyle the page around it or pass for its
    parts (the site's header, its search results): with --unsafe-html only the classes kg's
    Markdown gives (callouts, links, code) are kept."""
    from click.testing import CliRunner
    from conftest import parse_html

    from kg.cli import main

    config = write_wiki({"a.md": "---\ntitle: A\n---\n"
                         '<div class="site-header skip callout">Sign in again</div>\n\n'
                         '<p>Results: <span class="search-results result-title">x</span></p>\n\n'
                         "> [!warning] Careful\n> text\n\n```python\nx = 1\n```\n"})
    result = CliRunner().invoke(main, ["build", "--wiki", str(config.wiki), "--out",
                                       str(config.out), "--unsafe-html"])
    assert result.exit_code == 0, result.output
    page = parse_html((config.out / "notes" / "a.html").read_text(encoding="utf-8"))
    body = page.select_one("div.body")
    assert [div.classes for div in body.select("div") if "Sign in" in div.text] == [{"callout"}]
    assert [span.classes for span in body.select("span") if span.text == "x"] == [set()]
    assert len(page.select(".site-header")) == 1  # the site's own, not the note's
    assert body.select_one("div.callout-warning") is not None
    assert body.select_one("code.language-python") is not None


def test_only_allowed_images_keep_their_source(rendered: tuple[BuildResult, Path]) -> None:
    _result, root = rendered
    page = (root / "site/notes/data-image.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page
    assert 'src="data:image/svg' not in page


# --------------------------------------------------------------------------------------------
# reject/: the build stops, names the file and line, and writes nothing


def test_every_reject_note_has_an_expectation() -> None:
    assert sorted(p.name for p in REJECT.glob("*.md")) == sorted(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_hostile_note_stops_the_build(tmp_path: Path, name: str) -> None:
    wiki = written(tmp_path, {"target.md": (RENDER / "target.md").read_bytes()})
    config = make_config(tmp_path)
    build(config)
    before = snapshot(tmp_path / "site")
    shutil.copy(REJECT / name, wiki / name)
    wiki_before = snapshot(wiki)
    with pytest.raises(KgError) as caught:
        build(config)
    expected = EXPECT[name]
    matching = [f for f in findings(caught.value) if f.where and f.where.file == name]
    assert matching, str(caught.value)
    assert matching[0].where is not None and matching[0].where.line == expected["line"], (
        str(caught.value))
    assert expected["message"] in matching[0].message, str(caught.value)
    assert snapshot(tmp_path / "site") == before
    assert snapshot(wiki) == wiki_before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_hostile_note_writes_nothing_on_a_first_build(tmp_path: Path, name: str) -> None:
    written(tmp_path, {name: (REJECT / name).read_bytes()})
    with pytest.raises(KgError):
        build(make_config(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wiki"]


def _oversize_value() -> bytes:
    return ("---\ntitle: ok\nalias: " + "x" * (64 * 1024 + 1) + "\n---\nBody.\n").encode()


def _oversize_front_matter() -> bytes:
    lines = "".join(f"k{i}: {'y' * 60}\n" for i in range(17000))  # 1.1 MB
    return ("---\ntitle: ok\n" + lines + "---\nBody.\n").encode()


def _oversize_property() -> bytes:  # Logseq's key:: value lines, read as front-matter
    return ("title:: ok\nalias:: " + "x" * (64 * 1024 + 1) + "\n\nBody.\n").encode()


def _oversize_file() -> bytes:
    return b"---\ntitle: big\n---\n" + b"word " * (1024 * 1024)


@pytest.mark.parametrize(("maker", "line", "message"), [
    (_oversize_value, 3, "a front-matter value is 65537 characters long"),
    (_oversize_front_matter, 2, "front-matter is"),
    (_oversize_property, 2, "the property 'alias' is 65537 characters long"),
    (_oversize_file, None, "file is 5242899 bytes"),
], ids=["value", "front-matter", "property", "file"])
def test_size_limits(tmp_path: Path, maker: object, line: int | None, message: str) -> None:
    assert callable(maker)
    written(tmp_path, {"big.md": maker()})
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    (finding,) = findings(caught.value)
    assert finding.where is not None and finding.where.file == "big.md"
    assert finding.where.line == line
    assert message in finding.message
    assert not (tmp_path / "site").exists()


# --------------------------------------------------------------------------------------------
# layouts: paths that cannot escape

NOTE = "---\ntitle: {title}\n---\nBody of {title}.\n"


def collision_error(tmp_path: Path, names: list[str]) -> str:
    written(tmp_path, {n: NOTE.format(title=f"note {i}") for i, n in enumerate(names)})
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    assert not (tmp_path / "site").exists()
    return str(caught.value)


def test_names_differing_in_case_collide(tmp_path: Path) -> None:
    message = collision_error(tmp_path, ["Foo.md", "foo.md"])
    assert "'Foo.md'" in message and "'foo.md'" in message and "differ only in case" in message


def test_names_differing_in_unicode_normalisation_collide(tmp_path: Path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "Café.md"), unicodedata.normalize("NFD", "Café.md")
    written(tmp_path, {nfc: NOTE.format(title="one")})
    if len(list((tmp_path / "wiki").iterdir())) != 1:  # pragma: no cover - macOS folds names
        pytest.skip("this file system normalises names itself")
    (tmp_path / "wiki" / nfd).write_text(NOTE.format(title="two"), encoding="utf-8")
    if len(list((tmp_path / "wiki").iterdir())) != 2:  # pragma: no cover
        pytest.skip("this file system normalises names itself")
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    message = str(caught.value)
    assert "Unicode normalisation (NFC and NFD)" in message
    assert "Café.md" in message and "Cafe\\u0301.md" in message


def test_names_differing_in_accents_are_two_notes_and_folders_tell_them_apart(
        tmp_path: Path) -> None:
    """Café.md and cafe.md are two names (as Obsidian has them): cafe.md keeps the id it
    writes, Café.md takes it with a hash of its name; a/x.md and b/x.md take a-x and b-x."""
    from kg.ids import hashed_id

    written(tmp_path, {n: NOTE.format(title=f"note {i}")
                       for i, n in enumerate(["Café.md", "cafe.md", "a/x.md", "b/x.md"])})
    build(make_config(tmp_path))
    pages = sorted(p.name for p in (tmp_path / "site" / "notes").iterdir())
    assert pages == sorted(["a-x.html", "b-x.html", "cafe.html",
                            f"{hashed_id('Café')}.html"])


@pytest.mark.parametrize(("name", "message"), [
    ("CON.md", "reserved device name on Windows"),
    ("aux.md", "reserved device name on Windows"),
    ("Nul.md", "reserved device name on Windows"),
    ("com1.md", "reserved device name on Windows"),
    ("LPT9.md", "reserved device name on Windows"),
    ("!!!.md", "has no letters or digits"),
    ("---.md", "has no letters or digits"),
    (" .md", "empty file name"),
])
def test_file_names_that_cannot_be_ids(tmp_path: Path, name: str, message: str) -> None:
    written(tmp_path, {name: NOTE.format(title="x"), "fine.md": NOTE.format(title="y")})
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    (finding,) = findings(caught.value)
    assert finding.where is not None and finding.where.file == name
    assert message in finding.message
    assert not (tmp_path / "site").exists()


def test_a_file_name_with_control_characters_is_an_error_shown_escaped(tmp_path: Path) -> None:
    """ESC and BEL in a file name would be the note's title (breaking the feed's and
    GraphML's XML) and, printed, a terminal's command (OSC: set the title, the clipboard)."""
    name = "x\x1b]0;PWNED\x07y.md"
    written(tmp_path, {name: NOTE.format(title="x"), "fine.md": NOTE.format(title="y")})
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    (finding,) = findings(caught.value)
    assert finding.where is not None and finding.where.file == "x\\x1b]0;PWNED\\x07y.md"
    assert "control character U+001B" in finding.message
    assert "\x1b" not in str(caught.value) + str(finding)
    assert not (tmp_path / "site").exists()


def test_a_long_file_name_takes_a_shortened_id_of_its_own(tmp_path: Path) -> None:
    """A long name (or one spelled long in ASCII: 中 is "Zhong") is no error: its id is
    cut to 100 characters and told apart from the others by a hash of the whole name."""
    names = ["a" * 101 + ".md", "a" * 120 + ".md", "注意力机制" * 16 + ".md"]
    written(tmp_path, {name: NOTE.format(title=str(i)) for i, name in enumerate(names)})
    build(make_config(tmp_path))
    ids = sorted(p.stem for p in (tmp_path / "site" / "notes").glob("*.html"))
    assert len(ids) == 3 and all(len(i) == 100 for i in ids)
    assert len({i[:91] for i in ids if i.startswith("a")}) == 1  # the same cut, two hashes
    assert any(i.startswith("zhuyilijizhizhuyilijizhi") for i in ids)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    wiki = written(tmp_path, {"fine.md": NOTE.format(title="y")})
    with open(os.path.join(os.fsencode(wiki), b"caf\xe9.md"), "wb") as handle:
        handle.write(NOTE.format(title="x").encode())
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    assert "caf\\udce9.md" in str(caught.value)
    assert "not valid UTF-8" in str(caught.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_wiki_and_a_site_in_folders_whose_names_are_not_utf8(tmp_path: Path) -> None:
    """A folder named in Latin-1 (an old disk's, or typed in a Latin-1 terminal) reaches
    Python as a lone surrogate (\\udce9); hashed as text for the cache's and the site's
    keys, and written in the site's manifest, it made every command a traceback."""
    from click.testing import CliRunner

    from kg.cli import main

    latin = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9")))
    wiki = latin / "wiki"
    wiki.mkdir(parents=True)
    (wiki / "a.md").write_text("# A\nSee [[b]].\n", encoding="utf-8")
    (wiki / "b.md").write_text("# B\n", encoding="utf-8")
    site = str(latin / "site")

    def kg(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--wiki", str(wiki)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "Built 2 notes" in kg("build", "--out", site)
    assert (latin / "site" / "notes" / "b.html").is_file()
    assert "nothing changed" in kg("build", "--out", site)
    assert "mentions" in kg("connections", "b")
    kg("check")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_folder_of_the_wiki_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """A note in it had been read with its folder's lone surrogate (\\udce9) in its path:
    \\udce9 written into the graph's kg:sourceFile, and a traceback when its page linked an
    attachment; a folder of images alone was walked for them likewise."""
    wiki = written(tmp_path, {"fine.md": NOTE.format(title="y") + "![[pic.png]]\n"})
    latin = os.path.join(os.fsencode(wiki), b"caf\xe9")
    os.mkdir(latin)
    with open(os.path.join(latin, b"pic.png"), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
    build(make_config(tmp_path))  # its images are none of the wiki's: pic.png is missing
    assert not (tmp_path / "site" / "files").exists()
    with open(os.path.join(latin, b"note.md"), "wb") as handle:
        handle.write(NOTE.format(title="x").encode() + b"![[pic.png]]\n")
    with pytest.raises(KgError) as caught:
        build(make_config(tmp_path))
    assert str(caught.value).endswith("\n  caf\\udce9/note.md: error: a folder of its path has "
                                      "a name that is not valid UTF-8 (rename the folder)")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_saved_query_whose_file_name_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """Its name (a lone surrogate, \\udce9) went into its page as it was: a traceback."""
    wiki = written(tmp_path, {"fine.md": NOTE.format(title="y")})
    (wiki / "queries").mkdir()
    with open(os.path.join(os.fsencode(wiki), b"queries", b"caf\xe9.rq"), "wb") as handle:
        handle.write(b"SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    build(make_config(tmp_path))
    page = (tmp_path / "site" / "queries" / "caf-udce9.html").read_text(encoding="utf-8")
    assert "caf\\udce9.rq" in page and "\ufffd" not in page


def test_hostile_file_names_build_into_safe_pages(tmp_path: Path) -> None:
    names = ["<img src=x onerror=alert(1)>.md", "javascript:alert(1).md",
             "\"onmouseover=alert(1) x.md", "con.txt.md", "日本語.md"]
    written(tmp_path, {n: "Body [[con.txt]] and [[CON]].\n" for n in names})
    result = build(make_config(tmp_path))
    assert result.notes == len(names)
    audits = audit_site(tmp_path / "site")
    assert "<img src=x onerror=alert(1)>" in audits["notes/img-src-x-onerror-alert-1.html"].shown
    assert "javascript:alert(1)" in audits["notes/javascript-alert-1.html"].shown
    assert not any(Path(p).stem in ("con", "aux", "nul") for p in audits)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: SECRET-OUTSIDE\n---\nSECRET-BODY\n")
    wiki = written(tmp_path / "project", {"real.md": NOTE.format(title="Real"),
                                          "sub/inner.md": NOTE.format(title="Inner")})
    (wiki / "leak.md").symlink_to(outside / "secret.md")
    (wiki / "leakdir").symlink_to(outside, target_is_directory=True)
    (wiki / "twin.md").symlink_to(wiki / "real.md")
    (wiki / "subtoo").symlink_to(wiki / "sub", target_is_directory=True)
    (wiki / "loop-a.md").symlink_to(wiki / "loop-b.md")
    (wiki / "loop-b.md").symlink_to(wiki / "loop-a.md")
    (wiki / "dangling.md").symlink_to(wiki / "missing.md")
    (wiki / "folder.md").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(wiki / "pipe.md")
    result = build(make_config(tmp_path / "project"))
    skipped = {(w.where.file if w.where else "", w.code) for w in result.warnings}
    assert ("leak.md", "symlink-skipped") in skipped
    assert ("leakdir", "symlink-skipped") in skipped
    assert ("dangling.md", "symlink-skipped") in skipped  # said to lead nowhere
    assert {"loop-a.md", "loop-b.md"} <= {f for f, _ in skipped}
    if hasattr(os, "mkfifo"):
        assert ("pipe.md", "file-skipped") in skipped
    assert not any(f.startswith("subtoo") for f, _ in skipped)  # inside: skipped quietly
    assert result.notes == 2  # real and inner, each once, at its real place (not twin, subtoo)
    out = tmp_path / "project" / "site"
    for path in out.rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path


@pytest.mark.parametrize("where", ["wiki", "wiki/site", "root", "symlink-into-wiki"])
def test_an_output_folder_overlapping_the_wiki_is_refused(tmp_path: Path, where: str) -> None:
    wiki = written(tmp_path, {"a.md": NOTE.format(title="A")})
    out = {"wiki": wiki, "wiki/site": wiki / "site", "root": tmp_path,
           "symlink-into-wiki": tmp_path / "link"}[where]
    if where == "symlink-into-wiki":
        (wiki / "sub").mkdir()
        out.symlink_to(wiki / "sub", target_is_directory=True)
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match="overlaps the wiki"):
        build(Config(root=tmp_path, wiki=wiki, out=out))
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == [] and leftovers(wiki) == []


@pytest.mark.parametrize("marker", ["file", "folder", "symlink"])
def test_a_folder_with_a_site_marker_kg_did_not_write_is_never_replaced(
        tmp_path: Path, marker: str) -> None:
    """Only a marker kg wrote makes a folder a site kg may replace: a ``.kg-site`` of
    another's (a file of other text, a folder, a link to kg's own marker) does not."""
    written(tmp_path, {"a.md": NOTE.format(title="A")})
    build(Config(root=tmp_path, wiki=tmp_path / "wiki", out=tmp_path / "real"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("years of work")
    if marker == "file":
        (docs / ".kg-site").write_text("x\n")
    elif marker == "folder":
        (docs / ".kg-site").mkdir()
    else:
        (docs / ".kg-site").symlink_to(tmp_path / "real" / ".kg-site")
    with pytest.raises(ConfigError, match="kg did not write"):
        build(Config(root=tmp_path, wiki=tmp_path / "wiki", out=docs))
    assert (docs / "thesis.txt").read_text() == "years of work"


def test_a_folder_kg_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    written(tmp_path, {"a.md": NOTE.format(title="A")})
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "thesis.tex").write_text("years of work")
    with pytest.raises(ConfigError, match=r"kg did not write \(thesis\.tex\)"):
        build(make_config(tmp_path))
    assert (tmp_path / "site" / "thesis.tex").read_text() == "years of work"
    (tmp_path / "site" / "thesis.tex").unlink()
    (tmp_path / "site").rmdir()
    (tmp_path / "site").write_text("a file")
    with pytest.raises(ConfigError, match="is a file"):
        build(make_config(tmp_path))


def test_kg_never_writes_inside_the_wiki(tmp_path: Path) -> None:
    sample = Path(__file__).parent.parent / "wiki"
    shutil.copytree(sample, tmp_path / "wiki")
    shutil.copytree(RENDER, tmp_path / "wiki" / "hostile")
    before = snapshot(tmp_path / "wiki")
    names_before = sorted(p.as_posix() for p in (tmp_path / "wiki").rglob("*"))
    build(make_config(tmp_path))
    build(make_config(tmp_path), unsafe_html=True)
    assert snapshot(tmp_path / "wiki") == before
    assert sorted(p.as_posix() for p in (tmp_path / "wiki").rglob("*")) == names_before


# --------------------------------------------------------------------------------------------
# the audit itself, and the templates


CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; "
       "script-src 'self'; object-src 'none'; base-uri 'none'\">")


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>",
    "<script src='https://cdn.example/x.js'></script>",
    "<script src='//evil.example/assets/x.js'></script>",
    "<script src='/\\evil.example/assets/x.js'></script>",
    "<link rel='stylesheet' href='//evil.example/assets/x.css'>",
    "<script src='../assets/../../x.js'></script>",
    "<script type='module'>import x from 'y'</script>",
    "<script type='application/ld+json'>{}</script><script>alert(1)</script>",
    "<script type='application/ld+json'>{\"a\": \"</script><p>\"}</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href=' java\tscript:alert(1)'>x</a>",
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "<a href='vbscript:x'>x</a>",
    "<iframe src='data:text/html,x'></iframe>",
    "<img src='data:image/svg+xml,<svg onload=alert(1)>'>",
    "<svg><circle/></svg>",
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
    "<base href='https://evil.example/'>",
    "<div style='background:red'>x</div>",
    "<link rel='import' href='x.html'>",
], ids=lambda h: h[:40])
def test_the_audit_catches_live_content(html: str) -> None:
    audit = Audit("snippet")
    audit.feed(CSP + html)
    audit.close()
    assert audit.problems, html


def test_the_audit_passes_the_site_s_own_markup() -> None:
    audit = Audit("snippet")
    audit.feed(CSP + "<link rel='stylesheet' href='../assets/style.css'>"
               "<script src='../assets/site.js' defer></script>"
               "<script type='application/ld+json'>{\"name\": \"\\u003c/script\\u003e\"}</script>"
               "<a href='https://example.org'>x</a><a href='mailto:a@b.c'>m</a>"
               "<img src='data:image/png;base64,AA'><p>&lt;script&gt;</p>")
    audit.close()
    assert audit.problems == []
    assert "<script>" in audit.shown


def test_templates_escape_everything_and_quote_every_attribute() -> None:
    from kg.site import theme_dir

    problems = []
    for path in sorted(theme_dir().glob("*.*")):
        if path.suffix not in (".html", ".xml"):
            continue
        source = path.read_text(encoding="utf-8")
        for number, line in enumerate(source.splitlines(), start=1):
            if re.search(r"\|\s*safe\b|autoescape\s+false|\|\s*e?scape\s*\(\s*false", line):
                problems.append(f"{path.name}:{number}: turns escaping off: {line.strip()}")
            if re.search(r"[\w-]=\s*\{[{%]", line):
                problems.append(f"{path.name}:{number}: unquoted attribute: {line.strip()}")
    assert problems == []


def test_the_template_environment_autoescapes(tmp_path: Path) -> None:
    from kg.site import environment

    env = environment(make_config(tmp_path))
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert env.from_string('<a title="{{ x }}">').render(x='"><b>') == (
        '<a title="&#34;&gt;&lt;b&gt;">')


def test_the_site_s_own_scripts_only_ever_insert_text() -> None:
    """Search results and graph tooltips carry note text: built as DOM text, never parsed."""
    from kg.site import theme_dir

    sinks = re.compile(r"\.(inner|outer)HTML\s*\+?=|insertAdjacentHTML\s*\(|document\.write"
                       r"|\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*['\"`]")
    problems = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted((theme_dir() / "assets").glob("*.js"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if sinks.search(line)
    ]
    assert problems == []


# --------------------------------------------------------------------------------------------
# the allowlists, table-driven


@pytest.mark.parametrize(("url", "safe"), [
    ("https://example.org/a?b=c#d", True),
    ("http://[::1]:8080/", True),
    ("mailto:someone@example.org", True),
    ("notes/other.html#h-part", True),
    ("../raw/x.md", True),
    ("data:image/png;base64,AAAA", True),
    ("data:image/webp,AAAA", True),
    ("javascript:alert(1)", False),
    ("JAVASCRIPT:alert(1)", False),
    (" \tjava\nscript:alert(1)", False),
    ("vbscript:msgbox(1)", False),
    ("data:text/html,<script>", False),
    ("data:image/svg+xml,<svg onload=alert(1)>", False),
    ("file:///etc/passwd", False),
    ("//evil.example/x", False),
    ("/\\evil.example/x", False),
    ("https://example.org/%zz", False),
    ("https:no-host", False),
    ("https://[::1/", False),
    ("https://[::1]x/", False),
    ("https://x[::1]/", False),
    ("https://[fe80::1%25eth0]/", False),
    ("https://user@[::1]:8080/a[b]", True),
    ("https://a@@example.org/", False),
    ("ht\ttps://example.org/", False),
    ("https://example.org:8\t/", False),
    ("https://example.org/a\tb", True),
    ("https://example.org:99999/", False),
])
def test_link_allowlist(url: str, safe: bool) -> None:
    from kg.urls import is_safe_link

    assert is_safe_link(url) is safe


@pytest.mark.parametrize(("path", "problem"), [
    ("raw/rss/2026-05-04 issue.md", None),
    ("raw/./x.md", None),
    ("/etc/passwd", "absolute"),
    ("../secret", "outside"),
    ("raw/../../secret", "outside"),
    ("raw\\x.md", "backslash"),
    ("raw/x\x1b.md", "control"),
])
def test_raw_path_check(path: str, problem: str | None) -> None:
    from kg.urls import check_path

    found = check_path(path)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(("text", "slug"), [
    ("CON", "con-0"), ("aux", "aux-0"), ("Lpt1", "lpt1-0"), ("con.txt", "con-txt"),
    ("Café", "cafe"), ("Cafe\u0301", "cafe"), ("<script>", "script"), ("../..", None),
    ("", None), ("日本語", "ribenyu"), ("Привет мир", "privet-mir"), ("Straße", "strasse"),
    ("🚀", "rocket"),
])
def test_slugs_are_always_safe_file_names(text: str, slug: str | None) -> None:
    from kg.ids import is_note_id, slugify

    made = slugify(text)
    assert is_note_id(made)
    if slug is not None:
        assert made == slug


def test_xml_outputs_stay_well_formed(rendered: tuple[BuildResult, Path]) -> None:
    """Titles with <, & and quotes in the feed and the sitemap are escaped, not markup."""
    from xml.etree import ElementTree

    _result, root = rendered
    documents = sorted((root / "site").rglob("*.xml"))
    for path in documents:
        tree = ElementTree.parse(path)
        assert not any(el.tag.endswith("script") for el in tree.iter()), path
    assert documents


@pytest.mark.parametrize("body", [
    "# a" + " " * 3000 + "b\n",                    # a heading of spaces: was cubic
    "==a " * 20000 + "\n",                          # unclosed highlights: was quadratic
    "x:// " * 12000 + "\n",                         # URL-like marks: linkify was quadratic
    "a" + " " * 60000 + "b ^ c\n",                  # a block id's spaces: was quadratic
    "[a](" * 20000 + "\n",                          # unclosed links: the search index's
    "[" * 60000 + "\n",                             # unclosed "[": markdown-it's label search
])
def test_notes_that_were_slow_build_in_seconds(tmp_path: Path, body: str) -> None:
    """Each took a minute or more (one of them hours) before; a build is now quick."""
    written(tmp_path, {"slow.md": "---\ntitle: Slow\n---\n" + body})
    started = time.perf_counter()
    build(make_config(tmp_path), jobs=1)
    assert time.perf_counter() - started < 30


def test_a_paragraph_of_brackets_renders_in_time_linear_in_its_length() -> None:
    """The shortcode-link rule looked through the whole paragraph for a ``](`` from every
    ``[``: 100 KB of ``[`` before one took 19 s to build, 150 KB about 40 s (2 s before the
    rule; 3 s again now)."""
    from kg.markdown import make_renderer

    md = make_renderer()
    started = time.perf_counter()
    md.render("[" * 150_000 + "](x) and {{< ref >}}\n")
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("text", ["{{query " * 30_000, "{{query a}" * 30_000,
                                  "{{video x\n" * 30_000 + "}}"])
def test_logseq_macros_render_in_time_linear_in_their_length(text: str) -> None:
    """A macro was matched by a regex from each ``{{`` to the line's end: 20,000
    ``{{query `` (160 KB) took 42 s to render, a 4 MiB note hours."""
    from kg.markdown import make_renderer

    started = time.perf_counter()
    html = make_renderer().render(text)
    assert time.perf_counter() - started < 10
    assert "{{" in html  # never closed on its line: as written


@pytest.mark.parametrize("text", ["#+BEGIN_QUOTE\n" * 30_000, "x\n#+BEGIN_QUOTE\n" * 30_000,
                                  "<aside>\n" * 30_000])
def test_unclosed_logseq_blocks_render_in_time_linear_in_their_length(text: str) -> None:
    """Each ``#+BEGIN_…`` (or ``<aside>``) line looked for its end marker to the note's
    end: 8,000 unclosed ones took 12 s to render, a 4 MiB note hours."""
    from kg.markdown import make_renderer

    started = time.perf_counter()
    html = make_renderer().render(text)
    assert time.perf_counter() - started < 10
    assert html.count("#+BEGIN_QUOTE") + html.count("aside&gt;") == 30_000  # as written


@pytest.mark.parametrize("unsafe_html", [False, True])
def test_logseq_blocks_nested_past_python_s_stack_render(unsafe_html: bool) -> None:
    """Blocks of 400 kinds nested (``#+BEGIN_AAA`` in ``#+BEGIN_AAB`` …) were each read
    inside the last, a RecursionError (a traceback of the build); past 16 deep a block is
    its text as written."""
    from kg.markdown import make_renderer

    kinds = [a + b + c for a in "abcd" for b in "abcdefghij" for c in "abcdefghij"]
    text = ("".join(f"#+BEGIN_{k}\n" for k in kinds) + "deepest\n"
            + "".join(f"#+END_{k}\n" for k in reversed(kinds)))
    html = make_renderer(unsafe_html=unsafe_html).render(text)
    assert "deepest" in html and "#+BEGIN_aaa" not in html and "#+BEGIN_abg" in html


@pytest.mark.parametrize("seconds", ["²", "٣", "9" * 5000, "1" * 20])
def test_a_youtube_timestamp_of_odd_digits_is_shown_as_written(seconds: str) -> None:
    """``{{youtube-timestamp ²}}`` (a digit ``int()`` cannot read) and one of 5,000 digits
    (past ``int()``'s limit) were a ValueError, a traceback of the build."""
    from kg.markdown import make_renderer

    html = make_renderer().render("{{youtube-timestamp " + seconds + "}}\n")
    assert f'<span class="macro">▶ {seconds}</span>' in html


@pytest.mark.parametrize(("value", "warned"), [
    ("2024-05-01T" + "1" * 5000, "the hour is a number of 5,000 digits"),
    ("2024-05-01T1:" + "9" * 60000, "the minute is a number of 60,000 digits"),
    ("2024-05-01 00:" + "0" * 5000 + "1", None),  # minute 1
])
def test_a_time_of_thousands_of_digits_is_a_bad_date_not_a_crash(
        tmp_path: Path, value: str, warned: str | None) -> None:
    """Python reads no number of more than 4,300 digits: the check of a date's time read the
    hour, minute or second so, and the build ended in a ValueError's traceback."""
    written(tmp_path, {"a.md": f"---\ntitle: A\ndate: {value}\nupdated: {value}\n---\nx\n"})
    result = build(make_config(tmp_path))
    bad = [w for w in result.warnings if w.code == "bad-date"]
    assert [w.where.line for w in bad if w.where] == ([3, 4] if warned else []), bad
    assert all(warned in w.message for w in bad), bad


def test_a_link_repeating_its_note_s_folder_thousands_of_times_builds(tmp_path: Path) -> None:
    """A link from a note in a/ to a/a/a/…/x was looked up from the root once for each a/,
    each lookup calling the next: 3,000 of them (6 KB) ended the build in a RecursionError."""
    deep = "a/" * 3000
    written(tmp_path, {"a/n.md": f"---\ntitle: N\nconnections:\n  - to: {deep}x\n---\n"
                                 f"[[{deep}y]] [z]({deep}z.md) [w](/{deep}w.md)\n"})
    result = build(make_config(tmp_path))
    assert (result.notes, result.connections, result.mentions) == (1, 1, 3)


@pytest.mark.parametrize(("setting", "message"), [
    ("tiers = 5", "tiers must be a table"),
    ('[kg.tiers]\n0 = "Zero"', "tier '0' is no tier a note can have: tiers are 1 to 9"),
    ('[kg.tiers]\n10 = "Ten"', "tier '10' is no tier a note can have"),
    ('[kg.tiers]\n"01" = "One again"', "tier '01' is no tier a note can have"),
    ('base_iri = "not an iri"', "base_iri must be an http(s) IRI"),
    ('base_url = "javascript:alert(1)//"', "base URL must be an http(s) URL"),
    ('base_iri = "https://[::1]x/"', "base_iri has a host with characters a URL cannot hold"),
    ('base_iri = "https://a@@example.org/"', "base_iri has more than one '@' before its host"),
    ('base_iri = "https://example.org:99999/"', "base_iri is not a valid URL"),
    ('base_iri = "https://me:secret@example.org/"', "base_iri names a user or password"),
    ('base_url = "https://example.org/wiki?x=1"', "the base URL has a query or a fragment"),
    ('base_url = "https://example.org/#top"', "the base URL has a query or a fragment"),
    ('base_url = "https://me:secret@example.org/"', "the base URL names a user or password"),
    ('base_url = "https://[::1]x/"', "the base URL has a host with characters a URL cannot"),
    ('wiki = "\\u0000"', "wiki must be text"),
    ("title = 3", "title must be text"),
    ('query_seconds = "30"', "query_seconds must be a number"),
    ("query_seconds = 0", "query_seconds must be a number"),
    ("query_seconds = inf", "query_seconds must be a number"),
    ("query_seconds = nan", "query_seconds must be a number"),
    ("query_seconds = true", "query_seconds must be a number"),
    ('line_breaks = "yes"', "line_breaks must be true or false"),
])
def test_settings_of_the_wrong_kind_are_errors_naming_kg_toml(tmp_path: Path, setting: str,
                                                                message: str) -> None:
    """Not a traceback, nor a javascript: link on every page."""
    from kg.config import load_config

    (tmp_path / "kg.toml").write_text(f"[kg]\n{setting}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(tmp_path)
    assert caught.value.file is not None and caught.value.file.endswith("kg.toml")


@pytest.mark.parametrize(("setting", "line", "message"), [
    ('title = "Wiki \\u001b[31m"', 2, "title holds the control character U+001B"),
    ('title = "Wiki \\u0001"', 2, "title holds the control character U+0001"),
    ('base_iri = "https://example.org/\\u0001/"', 2, "base_iri holds the control character"),
    ('base_url = "https://example.org/\\u0085/"', 2, "base_url holds the control character"),
    ('[kg.tiers]\n2 = "Notable \\uFFFE"', 3, "tier 2 holds the noncharacter U+FFFE"),
])
def test_a_setting_the_site_shows_holding_a_control_character_is_an_error(
        tmp_path: Path, setting: str, line: int, message: str) -> None:
    """The title and tier labels are in every page and the feed, the base IRI in every
    triple: a control character there had made feed.xml and sitemap.xml no XML."""
    from kg.config import load_config

    (tmp_path / "kg.toml").write_text(f"[kg]\n{setting}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(tmp_path)
    assert caught.value.file is not None and caught.value.file.endswith("kg.toml")
    assert caught.value.line == line
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Tabs\\tand\\nlines"\n',
                                      encoding="utf-8")
    assert load_config(tmp_path).title == "Tabs\tand\nlines"


@pytest.mark.parametrize(("text", "line", "message"), [
    ('[kg]\ntitle = "x"\nbad line\n', 3, "Expected '=' after a key"),
    ('[kg]\ntitle = "x"\n\nfoo = 1\n', 4, "unknown setting(s): foo"),
    ('[kg]\n[kg.tiers]\n1 = 5\n', 3, "tier '1' must be a number with a text label"),
    ('[kg]\ntitle = "x"\nignore = ["missing-tierz"]\n', 3, "unknown finding code"),
    ('[kg]\nignore = "missing-tier"\n', 2, "ignore must be a list"),
    ('[kg]\n\nquery_seconds = -1\n', 3, "query_seconds must be a number"),
    ('[kg]\nwiki = "w"\nout = 5\n', 3, "out must be text"),
    ('[kg]\nbase_iri = "ftp://example.org/"\n', 2, "base_iri must be an http(s) IRI"),
    ('[kg]\ntitle = "ok"\nbase_url = "ftp://example.org/"\n', 3, "base URL must be"),
    (b'[kg]\ntitle = "caf\xe9"\n', 2, "not UTF-8: byte 0xe9 at offset 17"),
])
def test_an_error_of_kg_toml_names_its_line(tmp_path: Path, text: str | bytes, line: int,
                                            message: str) -> None:
    """Each had named kg.toml alone (a TOML error its line only inside its message)."""
    from kg.config import load_config

    (tmp_path / "kg.toml").write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(tmp_path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{tmp_path / 'kg.toml'}:{line}: ")


@pytest.mark.parametrize(("value", "message"), [
    ("[" * 100_000 + "]" * 100_000, "it is nested too deeply"),
    ("{a = " * 5_000 + "1" + "}" * 5_000, "it is nested too deeply"),
    ("1" * 5_000, "it holds a number too long to read"),
])
def test_a_kg_toml_nested_past_the_stack_or_of_a_huge_number_is_an_error(
        tmp_path: Path, value: str, message: str) -> None:
    """Python's TOML reader recurses, and reads an integer of any length: each had been a
    traceback (RecursionError, ValueError) of every command."""
    from kg.config import load_config

    (tmp_path / "kg.toml").write_text(f'[kg]\ntitle = "T"\nquery_seconds = {value}\n',
                                      encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'kg.toml'}: cannot read kg.toml: "
                                        f"{message}\n  hint: remove the ")


@pytest.mark.parametrize(("setting", "line", "message"), [
    ("tiers = 5", 4, "tiers must be a table"),
    ('base_iri = "not an iri"', 4, "base_iri must be an http(s) IRI"),
    ('base_url = "ftp://x"', 4, "base URL must be an http(s) URL"),
    ("wiki = 3", 4, "wiki must be text"),
    ("query_seconds = 0", 4, "query_seconds must be a number"),
    ('ignore = ["one-way", "nope"]', 4, "unknown finding code 'nope' in ignore"),
    ('titel = "T"', 4, "unknown setting(s): titel"),
    ('wikilinks = "roam"', 4, 'wikilinks must be "obsidian" ([[target|label]]) or "dendron"'),
    ('[kg.tiers]\n1 = "A"\nfour = "B"', 6, "tier 'four' must be a number"),
    ('out = "site', 4, "cannot read kg.toml"),
])
def test_a_wrong_setting_is_said_at_its_line_of_kg_toml(tmp_path: Path, setting: str, line: int,
                                                         message: str) -> None:
    """Every error of kg.toml names its line, as the note's errors do (only templates'
    had): `kg.toml:4: unknown setting(s): titel`, with the setting it is closest to."""
    from kg.config import load_config

    (tmp_path / "kg.toml").write_text(f"# settings\n[kg]\ntitle = \"T\"\n{setting}\n",
                                      encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(tmp_path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{tmp_path / 'kg.toml'}:{line}: ")
    if "titel" in setting:
        assert caught.value.hint.startswith("did you mean 'title'? known settings: ")


def test_a_templates_setting_naming_no_folder_is_an_error_naming_kg_toml(tmp_path: Path) -> None:
    """It had been taken silently, and the theme's templates used instead of the wiki's."""
    from click.testing import CliRunner

    from kg.cli import main
    from kg.config import load_config

    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "T"\ntemplates = "nowhere"\n',
                                      encoding="utf-8")
    (tmp_path / "wiki").mkdir()
    with pytest.raises(ConfigError, match=r'templates = "nowhere": .* does not exist') as caught:
        load_config(tmp_path)
    assert caught.value.file is not None and caught.value.file.endswith("kg.toml")
    assert caught.value.line == 3
    result = CliRunner().invoke(main, ["build", "--wiki", str(tmp_path / "wiki")])
    assert result.exit_code == 1 and "kg.toml:3: templates = \"nowhere\"" in result.stderr
    (tmp_path / "nowhere").write_text("a file")
    with pytest.raises(ConfigError, match="is not a folder"):
        load_config(tmp_path)
    (tmp_path / "nowhere").unlink()
    (tmp_path / "nowhere").mkdir()
    assert load_config(tmp_path).templates == (tmp_path / "nowhere").resolve()


def test_a_base_url_option_that_is_no_web_url_is_an_error(tmp_path: Path) -> None:
    from kg.config import load_config

    with pytest.raises(ConfigError, match="base URL"):
        load_config(tmp_path).with_options(base_url="javascript:alert(1)//")
    with pytest.raises(ConfigError, match="base URL has a query or a fragment"):
        load_config(tmp_path).with_options(base_url="https://example.org/?page=")
    # typed in a Latin-1 terminal: a lone surrogate, which had been a traceback as it was
    # written into the first page
    with pytest.raises(ConfigError, match="base_url holds the byte 0xE9, which is not UTF-8"):
        load_config(tmp_path).with_options(base_url="https://example.org/caf\udce9/")


def test_a_tag_s_parts_that_are_empty_or_dots_are_left_out_of_it_and_its_iri(
        tmp_path: Path) -> None:
    """A tag's IRI is <base>tag/<name>: a tag ``../note/b`` made one that, resolved as a
    browser or a Turtle reader with a base resolves it, is note b's IRI (a note made a
    skos:Concept and given a label by another's tag), and ``/lead`` a broader tag ``tag/``
    of no name."""
    wiki = written(tmp_path, {
        "a.md": '---\ntitle: A\ntags: ["../note/b", "/lead", "x//y/", ".", "..", ".net", '
                '"v1.5"]\n---\nAlso #c//d here.\n',
        "b.md": "---\ntitle: B\n---\nx\n"})
    build(Config(root=tmp_path, wiki=wiki, out=tmp_path / "site"))
    nt = (tmp_path / "site" / "graph.nt").read_text(encoding="utf-8")
    tags = set(re.findall(r"<https://example\.org/kg/tag/([^>]*)>", nt))
    assert tags == {"note/b", "note", "lead", "x/y", "x", ".net", "v1.5", "c/d", "c"}
    assert not any(part in ("", ".", "..") for tag in tags for part in tag.split("/"))


def test_a_form_feed_is_a_space_and_the_feed_stays_well_formed(tmp_path: Path) -> None:
    """XML may hold no form feed: an old page break in a note must not break feed.xml."""
    import xml.etree.ElementTree as ET

    written(tmp_path, {"ff.md": "---\ntitle: Page\fbreak\ndate: 2026-01-05\n---\n"
                                "## TL;DR\nOne\fpage.\n"})
    build(make_config(tmp_path))
    ET.parse(tmp_path / "site" / "feed.xml")
    assert "One page." in (tmp_path / "site" / "feed.xml").read_text(encoding="utf-8")


@pytest.mark.skipif(os.name != "posix", reason="control characters in file names")
def test_a_foreign_folder_s_file_names_are_shown_escaped(tmp_path: Path) -> None:
    written(tmp_path, {"a.md": NOTE.format(title="A")})
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "x\x1b]0;pwned\x07").write_text("years of work")
    with pytest.raises(ConfigError) as caught:
        build(make_config(tmp_path))
    assert "\x1b" not in str(caught.value) and "x\\x1b]0;pwned\\x07" in str(caught.value)
