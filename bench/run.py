"""The kg benchmark: kg against Hugo, MkDocs and Eleventy on the same synthetic notes.

One run on one machine measures, for N = 1,000 and 10,000 notes (and 50,000 with --huge):

- ``kg build``: full (cold: no site, no cache), no change, one note edited, one added, one
  deleted; wall time of the whole process; peak memory of the full build;
- ``kg connections`` and ``kg sparql`` per whole process (first call, then median of 5);
- ``kg --help`` per process, and ``kg connections`` on the sample wiki (issue 4);
- the size of the site and of its global graph page: ``graph.html`` and its data
  (``data/graph.js``), if it has them; with ``--browser``, the time headless Chromium takes to
  open and draw that page, and its JS heap then;
- the same notes laid out for Hugo, MkDocs and Eleventy, each built from clean and again,
  with kg's ratios to them;

then prints a table (machine, date, tool versions) and checks the targets of issues 4 and 5.

    .venv/bin/python bench/run.py [--install] [--huge] [--sizes 1000,10000] [--json FILE|-]
                                  [--browser]

A tool that is not installed is reported with its install command; ``--install`` installs
Hugo (apt-get), MkDocs (a venv in bench/.cache) and Eleventy (npm, into bench/.cache).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
MKDOCS_VENV = CACHE / "mkdocs-venv"
ELEVENTY_DIR = CACHE / "eleventy"
TIMEOUT = 3 * 3600  # seconds; a build that takes longer than this is reported as failed
REPEAT = 5
SERVE_EDITS = 3
EXPORTED = ("graph.nt", "graph.ttl", "graph.jsonld", "search.json", "data/search.js")
"""The whole-wiki files an edit changes, which kg serve puts in place after the pages."""
BROWSER_REPEAT = 3
CHROMIUM = Path(os.environ.get("KG_CHROMIUM", "/usr/bin/chromium"))
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--disable-extensions"]

_spec = importlib.util.spec_from_file_location("bench_generate", HERE / "generate.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


# -- running a process and measuring it ----------------------------------------------------


@dataclass
class Run:
    seconds: float
    rc: int
    cpu_seconds: float
    max_rss_mb: float  # the largest single process (wait4's ru_maxrss)
    tree_peak_mb: float  # PSS summed over the process tree, sampled (0 if not sampled)
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def peak_mb(self) -> float:
        return max(self.max_rss_mb, self.tree_peak_mb)

    def error(self) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return f"exit {self.rc}: " + (" | ".join(text[-3:]) if text else "no output")


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _process_table() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, RSS in kB) of every process, from /proc."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            table[int(entry.name)] = (int(fields[1]), int(fields[21]) * _PAGE_KB)
        except (OSError, IndexError, ValueError):
            continue
    return table


def _pss_kb(pid: int, rss_kb: int) -> int:
    """A process's proportional set size: its own pages, plus its share of the pages it
    shares. Forked workers share most of their parent's memory; summing their RSS would
    count it once per worker. RSS where PSS cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss_kb


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants (PSS summed) until stopped."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        if not os.path.isdir("/proc"):
            return
        while not self._stop_event.is_set():
            table = _process_table()
            tree, frontier = {self.pid}, [self.pid]
            children: dict[int, list[int]] = {}
            for pid, (ppid, _rss) in table.items():
                children.setdefault(ppid, []).append(pid)
            while frontier:
                for child in children.get(frontier.pop(), []):
                    if child not in tree:
                        tree.add(child)
                        frontier.append(child)
            total = sum(_pss_kb(p, table[p][1]) for p in tree if p in table)
            self.peak_kb = max(self.peak_kb, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run(cmd: Sequence[str | Path], *, cwd: Path | None = None, sample: bool = False,
        timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to the end; its wall time, CPU time and peak memory."""
    argv = [str(c) for c in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, env=env)
        except OSError as error:
            return Run(0.0, 127, 0.0, 0.0, 0.0, "", str(error))
        sampler = TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave no build running behind
            timer.cancel()
            proc.kill()
            proc.wait()
            if sampler:
                sampler.stop()
            raise
        seconds = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop()
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            rc=proc.returncode,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            max_rss_mb=usage.ru_maxrss / 1024,
            tree_peak_mb=(sampler.peak_kb / 1024) if sampler else 0.0,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def repeated(cmd: Sequence[str | Path], times: int = REPEAT, **kwargs: Any) -> dict[str, Any]:
    """The first run of ``cmd`` (may fill a cache), then the median of ``times`` more (ms)."""
    first = run(cmd, **kwargs)
    if not first.ok:
        return {"error": first.error()}
    rest = [run(cmd, **kwargs) for _ in range(times)]
    bad = next((r for r in rest if not r.ok), None)
    if bad:
        return {"error": bad.error()}
    ms = [r.seconds * 1000 for r in rest]
    return {"first_ms": first.seconds * 1000, "median_ms": statistics.median(ms),
            "min_ms": min(ms), "max_ms": max(ms), "runs": len(ms)}


# -- the machine and the tools -------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    mem_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "load_at_start": _load(),
    }


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _version(cmd: Sequence[str | Path]) -> str:
    """The version number ``cmd`` prints (``hugo v0.111.3+extended …`` → ``0.111.3``)."""
    r = run(cmd, timeout=120)
    m = re.search(r"\bv?(\d+\.\d+(?:\.\d+)?)", r.stdout or r.stderr)
    return m.group(1) if r.ok and m else "?"


@dataclass
class Tool:
    name: str
    label: str
    find: Callable[[], Path | None]
    install: list[list[str]]
    version_args: list[str]
    path: Path | None = None
    version: str = ""

    def install_hint(self) -> str:
        return " && ".join(" ".join(c) for c in self.install)


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _find_mkdocs() -> Path | None:
    local = MKDOCS_VENV / "bin" / "mkdocs"
    return local if local.exists() else _which("mkdocs")


def _find_eleventy() -> Path | None:
    local = ELEVENTY_DIR / "node_modules" / ".bin" / "eleventy"
    return local if local.exists() else _which("eleventy")


def tools() -> list[Tool]:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    return [
        Tool("hugo", "Hugo", lambda: _which("hugo"),
             [[*sudo, "apt-get", "install", "-y", "hugo"]], ["version"]),
        Tool("mkdocs", "MkDocs", _find_mkdocs,
             [[sys.executable, "-m", "venv", str(MKDOCS_VENV)],
              [str(MKDOCS_VENV / "bin" / "pip"), "install", "-q", "mkdocs"]], ["--version"]),
        Tool("eleventy", "Eleventy", _find_eleventy,
             [["npm", "install", "--no-fund", "--no-audit", "--prefix", str(ELEVENTY_DIR),
               "@11ty/eleventy"]], ["--version"]),
    ]


def install_tools(selected: list[Tool]) -> None:
    for tool in selected:
        if tool.find():
            print(f"· {tool.label} is installed", file=sys.stderr)
            continue
        print(f"· installing {tool.label}: {tool.install_hint()}", file=sys.stderr)
        CACHE.mkdir(exist_ok=True)
        for cmd in tool.install:
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, check=False)
            if r.returncode != 0:
                print(f"  failed ({r.returncode}): {r.stderr.strip()[-500:]}", file=sys.stderr)
                break


# -- laying the notes out for each tool ----------------------------------------------------

_LINK = re.compile(r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|([^\]]+))?\]\]")
_ALIAS = re.compile(r"^P(\d{5,})$")


def _split(text: str) -> tuple[str, str]:
    """Front-matter YAML (without the fences) and body of a generated note."""
    _, yaml, body = text.split("---\n", 2)
    return yaml, body


def _target_id(name: str) -> str | None:
    """The note id a generated link names (id or alias); None for a placeholder."""
    m = _ALIAS.match(name.strip())
    if m:
        return gen.note_id(int(m.group(1)))
    name = name.strip()
    return name if name.startswith("paper-") else None


def _links(body: str, url: Callable[[str], str]) -> str:
    """Wikilinks as plain Markdown links (a placeholder stays as its text)."""

    def repl(m: re.Match[str]) -> str:
        nid = _target_id(m.group(1))
        label = m.group(2) or m.group(1)
        return f"[{label}]({url(nid)})" if nid else label

    return _LINK.sub(repl, body)


HUGO_CONFIG = """\
baseURL = "https://example.org/"
languageCode = "en"
title = "kg benchmark"
"""
HUGO_BASEOF = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>{{ block "main" . }}{{ end }}</body></html>
"""
HUGO_SINGLE = """\
{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2006-01-02" }} · tier {{ .Params.tier }} ·
{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">#{{ . }}</a> {{ end }}</p>
{{ .Content }}
<h2>Connections</h2><ul>{{ range .Params.connections }}
<li>{{ .rel }} → {{ .to }}: {{ .note }}</li>{{ end }}</ul>
</article>{{ end }}
"""
HUGO_LIST = """\
{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul>{{ end }}
"""


def layout_hugo(notes: dict[str, str], dest: Path) -> None:
    """Hugo: content/<id>.md with the YAML front-matter kept and a minimal theme layout.

    Two keys are renamed because Hugo gives them another meaning: ``aliases`` (Hugo writes a
    redirect page for each) and ``type`` (Hugo picks the layout by it).
    """
    content = dest / "content"
    layouts = dest / "layouts" / "_default"
    content.mkdir(parents=True)
    layouts.mkdir(parents=True)
    (dest / "config.toml").write_text(HUGO_CONFIG)
    (layouts / "baseof.html").write_text(HUGO_BASEOF)
    (layouts / "single.html").write_text(HUGO_SINGLE)
    (layouts / "list.html").write_text(HUGO_LIST)
    for nid, text in notes.items():
        yaml, body = _split(text)
        yaml = re.sub(r"^aliases:", "names:", yaml, flags=re.M)
        yaml = re.sub(r"^type:", "note_type:", yaml, flags=re.M)
        body = _links(body, lambda t: f"../{t}/")
        (content / f"{nid}.md").write_text(f"---\n{yaml}---\n{body}", encoding="utf-8")


MKDOCS_CONFIG = """\
site_name: kg benchmark
theme:
  name: mkdocs
nav:
  - Home: index.md
"""


def layout_mkdocs(notes: dict[str, str], dest: Path) -> None:
    """MkDocs: docs/<id>.md (front-matter is MkDocs' page meta) and mkdocs.yml.

    The nav lists only the home page: MkDocs' default nav of every page would put 10,000
    entries into each of 10,000 pages.
    """
    docs = dest / "docs"
    docs.mkdir(parents=True)
    (dest / "mkdocs.yml").write_text(MKDOCS_CONFIG)
    index = ["# kg benchmark", ""] + [f"- [{nid}]({nid}.md)" for nid in notes]
    (docs / "index.md").write_text("\n".join(index) + "\n")
    for nid, text in notes.items():
        yaml, body = _split(text)
        body = _links(body, lambda t: f"{t}.md")
        (docs / f"{nid}.md").write_text(f"---\n{yaml}---\n{body}", encoding="utf-8")


ELEVENTY_LAYOUT = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><article><h1>{{ title }}</h1>
<p>{{ page.date.toISOString().slice(0, 10) }} · tier {{ tier }} ·
{% for t in tags %}<a href="/tags/{{ t | slugify }}/">#{{ t }}</a> {% endfor %}</p>
{{ content | safe }}
<h2>Connections</h2><ul>{% for c in connections %}
<li>{{ c.rel }} → {{ c.to }}: {{ c.note }}</li>{% endfor %}</ul>
</article></body></html>
"""
ELEVENTY_INDEX = """\
---
title: kg benchmark
---
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><ul>
{% for p in collections.all %}<li><a href="{{ p.url }}">{{ p.data.title }}</a></li>{% endfor %}
</ul></body></html>
"""


def layout_eleventy(notes: dict[str, str], dest: Path) -> None:
    """Eleventy: src/notes/<id>.md with a directory data file naming a Nunjucks layout."""
    src = dest / "src"
    folder = src / "notes"
    (src / "_includes").mkdir(parents=True)
    folder.mkdir(parents=True)
    (src / "_includes" / "note.njk").write_text(ELEVENTY_LAYOUT)
    (src / "index.njk").write_text(ELEVENTY_INDEX)
    (folder / "notes.11tydata.json").write_text(json.dumps({"layout": "note.njk"}))
    for nid, text in notes.items():
        yaml, body = _split(text)
        body = _links(body, lambda t: f"/notes/{t}/")
        (folder / f"{nid}.md").write_text(f"---\n{yaml}---\n{body}", encoding="utf-8")


def tool_commands(tool: Tool, dest: Path) -> tuple[list[str | Path], Path]:
    """The build command of ``tool`` in ``dest`` and the folder it writes."""
    assert tool.path is not None
    if tool.name == "hugo":
        return [tool.path, "--quiet", "-s", dest, "-d", dest / "public"], dest / "public"
    if tool.name == "mkdocs":
        return [tool.path, "build", "-q", "-f", dest / "mkdocs.yml", "-d", dest / "site"], \
            dest / "site"
    return [tool.path, "--quiet", "--input=src", "--output=_site"], dest / "_site"


LAYOUTS = {"hugo": layout_hugo, "mkdocs": layout_mkdocs, "eleventy": layout_eleventy}


# -- the kg measurements -------------------------------------------------------------------


@dataclass
class Kg:
    exe: Path
    commands: set[str] = field(default_factory=set)
    build_options: str = ""
    version: str = ""

    @classmethod
    def find(cls, exe: Path) -> Kg:
        kg = cls(exe)
        r = run([exe, "--help"], timeout=120)
        if not r.ok:
            raise SystemExit(f"{exe} --help failed: {r.error()}")
        section = r.stdout.split("Commands:", 1)[-1]
        kg.commands = {m.group(1) for m in re.finditer(r"^\s{2}([a-z][\w-]*)\s", section, re.M)}
        kg.build_options = run([exe, "build", "--help"], timeout=120).stdout
        kg.version = _version([exe, "--version"])
        return kg

    def build(self, wiki: Path, out: Path, *, sample: bool = False) -> Run:
        quiet = ["-q"] if "--quiet" in self.build_options else []
        return run([self.exe, "build", "--wiki", wiki, "--out", out, *quiet], cwd=wiki.parent,
                   sample=sample)


def _sizes_of(folder: Path) -> tuple[int, int]:
    files = total = 0
    for path in folder.rglob("*"):
        if path.is_file():
            files += 1
            total += path.stat().st_size
    return files, total


def _reported_seconds(r: Run) -> float | None:
    m = re.search(r" in ([\d.]+)s\s*$", r.stdout.strip())
    return float(m.group(1)) if m else None


def graph_page_in_browser(site: Path, times: int = BROWSER_REPEAT) -> dict[str, Any]:
    """Open ``site``'s graph.html from the disk in headless Chromium ``times`` times, each in a
    fresh context: the wall time from navigation until the page says it has drawn
    (``data-drawn`` on the graph), the page's own clock for the same, and the JS heap then."""
    page_file = site / "graph.html"
    if not page_file.exists():
        return {"skipped": "no graph.html"}
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} is missing: apt-get install chromium"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "Playwright is missing: pip install playwright"}
    seconds: list[float] = []
    page_ms: list[float] = []
    heaps: list[float] = []
    counts: dict[str, Any] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
            try:
                for _ in range(times):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(page_file.as_uri(), wait_until="commit")
                    page.wait_for_selector("#global-graph[data-drawn=true]", state="attached",
                                           timeout=600_000)
                    seconds.append(time.perf_counter() - started)
                    graph = page.locator("#global-graph")
                    own = graph.get_attribute("data-draw-ms")  # the page's own clock, if kept
                    if own:
                        page_ms.append(float(own))
                    cdp = context.new_cdp_session(page)
                    cdp.send("Performance.enable")
                    metrics = {m["name"]: m["value"]
                               for m in cdp.send("Performance.getMetrics")["metrics"]}
                    heaps.append(metrics.get("JSHeapUsedSize", 0) / 1e6)
                    counts = {key: graph.get_attribute(f"data-{key}")
                              for key in ("node-count", "edge-count", "edges-drawn")}
                    context.close()
            finally:
                browser.close()
    except Exception as error:  # a page that does not draw is a result, not a crash
        return {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    return {"median_s": statistics.median(seconds), "first_s": seconds[0],
            "page_ms": statistics.median(page_ms) if page_ms else None,
            "heap_mb": statistics.median(heaps),
            "runs": len(seconds)} | {k.replace("-", "_"): v for k, v in counts.items()}


RACY_SECONDS = 3.5
"""kg's racy window (``kg.cachefile.RACY_NS``, 3 s) and a margin: a note file changed
less than that before a build's scan is read again by content, as its stat cannot vouch for
it (a second change could keep the stat), and such a build writes no stamp for the next one
to stop at."""


def _past_racy_window(wiki: Path) -> None:
    """Wait until the notes just generated are older than the racy window: a wiki in use is
    not written whole a moment before its build (run after Hugo, they always were; without
    anchors, the no-change build read all 10,000 notes again, 4 s)."""
    newest = max((p.stat().st_mtime for p in wiki.rglob("*.md")), default=0.0)
    time.sleep(max(0.0, newest + RACY_SECONDS - time.time()))


def bench_kg(kg: Kg, base: Path, n: int, seed: int, log: Callable[[str], None], *,
             browser: bool = False) -> dict[str, Any]:
    wiki, out = base / "wiki", base / "site"
    res: dict[str, Any] = {}

    def build(name: str, sample: bool = False) -> bool:
        log(f"kg build ({name}, {n} notes)")
        r = kg.build(wiki, out, sample=sample)
        entry: dict[str, Any] = {"seconds": r.seconds, "cpu_seconds": r.cpu_seconds}
        if sample:
            entry |= {"peak_mb": r.peak_mb, "max_process_rss_mb": r.max_rss_mb,
                      "tree_peak_mb": r.tree_peak_mb}
        if (reported := _reported_seconds(r)) is not None:
            entry["reported_seconds"] = reported
        if not r.ok:
            entry = {"error": r.error()}
        res[name] = entry
        return r.ok

    for stale in (out, base / ".kg"):
        shutil.rmtree(stale, ignore_errors=True)
    _past_racy_window(wiki)
    if not build("full", sample=True):
        return res
    files, total = _sizes_of(out)
    res["site"] = {"files": files, "bytes": total}
    graph = out / "graph.html"
    res["graph_html_bytes"] = graph.stat().st_size if graph.exists() else None
    graph_data = out / "data" / "graph.js"
    res["graph_data_bytes"] = graph_data.stat().st_size if graph_data.exists() else None
    if browser:
        log(f"graph.html in headless Chromium ({n} notes)")
        res["graph_browser"] = graph_page_in_browser(out)

    build("no_change")

    edited = wiki / f"{gen.note_id(n // 2)}.md"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("## TL;DR\n", "## TL;DR\nEdited by the benchmark. ", 1),
                      encoding="utf-8")
    build("edit_one")

    (wiki / f"{gen.note_id(n)}.md").write_text(gen.note_text(n, n + 1, seed), encoding="utf-8")
    build("add_one")

    (wiki / f"{gen.note_id(n // 3)}.md").unlink()
    build("delete_one")

    if "serve" in kg.commands:
        log(f"kg serve, {SERVE_EDITS} notes edited one by one ({n} notes)")
        res["serve_edit"] = serve_edits(kg, wiki, out, n, log)
    else:
        res["serve_edit"] = {"skipped": "no `kg serve` command yet"}

    hub = gen.note_id(0)
    if "connections" in kg.commands:
        log(f"kg connections ({n} notes)")
        res["connections"] = repeated([kg.exe, "connections", hub, "--wiki", wiki],
                                      cwd=base)
    else:
        res["connections"] = {"skipped": "no `kg connections` command yet"}
    if "sparql" in kg.commands:
        log(f"kg sparql ({n} notes)")
        query = ('PREFIX dcterms: <http://purl.org/dc/terms/> '
                 f'SELECT ?s ?p WHERE {{ ?s ?p ?o . ?o dcterms:title "{gen.title(0, seed)}" }}')
        res["sparql"] = repeated([kg.exe, "sparql", query, "--wiki", wiki], cwd=base)
    else:
        res["sparql"] = {"skipped": "no `kg sparql` command yet"}
    return res


def serve_edits(kg: Kg, wiki: Path, out: Path, n: int, log: Callable[[str], None],
                times: int = SERVE_EDITS) -> dict[str, Any]:
    """``kg serve`` on the wiki, then ``times`` notes edited one after another: each rebuild's
    own time as serve prints it (the build in the running process, as MkDocs' dirty serve is
    timed), and the wall time from the file's write until serve said so (with the watcher's
    wait for the editor to finish saving)."""
    import queue
    import socket

    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [str(kg.exe), "serve", "--wiki", str(wiki), "--out", str(out), "--port", str(port)],
        cwd=wiki.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()],
                              daemon=True)
    reader.start()

    def next_build(timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith(("Built ", "error:")):
                return line.strip()

    def inode(path: Path) -> int:
        try:
            return path.stat().st_ino
        except FileNotFoundError:  # (being put in place: a folder renamed over another)
            return 0

    def inodes() -> list[int]:
        return [inode(out / name) for name in EXPORTED]

    def exports_replaced(before: list[int], timeout: float = 60) -> bool:
        """Wait until every export is a new file (they follow the pages shown); whether
        they all were within ``timeout``."""
        deadline = time.monotonic() + timeout
        while any(a == b for a, b in zip(inodes(), before, strict=True)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    builds: list[float] = []
    walls: list[float] = []
    exported: list[float] = []
    try:
        first = next_build(1800)  # the first build: nothing changed since the last
        if first.startswith("error:"):
            return {"error": first}
        while "serving" not in lines.get(timeout=60):
            pass
        time.sleep(1.0)  # serve starts watching right after it says so
        for k in range(times):
            note = wiki / f"{gen.note_id((n // 5) * (k + 1) % n)}.md"
            text = note.read_text(encoding="utf-8")
            before = inodes()
            started = time.perf_counter()
            note.write_text(text.replace("## TL;DR\n", f"## TL;DR\nServed edit {k}. ", 1),
                            encoding="utf-8")
            line = next_build(600)
            walls.append(time.perf_counter() - started)
            if exports_replaced(before):
                exported.append(time.perf_counter() - started)
            if (m := re.search(r" in ([\d.]+)s\s*$", line)) is None:
                return {"error": line}
            builds.append(float(m.group(1)))
            log(f"  edit {k + 1}: rebuilt in {builds[-1]:.2f} s ({walls[-1]:.2f} s from the save;"
                f" every export in place: {len(exported)} of {k + 1} edits)")
    except queue.Empty:
        return {"error": "kg serve did not report a build in time"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"seconds": statistics.median(builds), "first_seconds": builds[0],
            "wall_seconds": statistics.median(walls),
            "exports_seconds": statistics.median(exported) if exported else None,
            "runs": len(builds)}


def bench_tool(tool: Tool, notes: dict[str, str], base: Path,
               log: Callable[[str], None], keep: bool = False) -> dict[str, Any]:
    dest = base / tool.name
    LAYOUTS[tool.name](notes, dest)
    cmd, out = tool_commands(tool, dest)
    res: dict[str, Any] = {}
    for name, sample in (("full", True), ("again", False)):
        if name == "full":
            shutil.rmtree(out, ignore_errors=True)
        log(f"{tool.label} build ({name}, {len(notes)} notes)")
        r = run(cmd, cwd=dest, sample=sample)
        if not r.ok:
            res[name] = {"error": r.error()}
            break
        res[name] = {"seconds": r.seconds, "cpu_seconds": r.cpu_seconds}
        if sample:
            res[name]["peak_mb"] = r.peak_mb
            files, total = _sizes_of(out)
            res["site"] = {"files": files, "bytes": total}
    if not keep:
        shutil.rmtree(dest, ignore_errors=True)
    return res


# -- targets and the report ----------------------------------------------------------------


def _get(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


@dataclass
class Target:
    issue: int
    measure: str
    limit: str
    value: float | None  # measured
    bound: float | None  # the bound, in the measure's unit
    unit: str
    note: str = ""

    def verdict(self) -> str:
        if self.value is None or self.bound is None:
            return "not measured" + (f" ({self.note})" if self.note else "")
        ratio = self.value / self.bound if self.bound else float("inf")
        amount = _fmt(abs(self.value - self.bound), self.unit)
        if self.unit == "×":  # a ratio to another tool: say it in times and in seconds
            amount = f"{abs(self.value - self.bound):.2f}× the anchor"
        extra = f"; {self.note}" if self.note else ""
        if self.value <= self.bound:
            return f"met, {amount} under ({ratio:.2f}× the bound){extra}"
        return f"MISSED by {amount} ({ratio:.1f}× the bound){extra}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:g} {unit}"


def targets(results: dict[str, Any]) -> tuple[int | None, list[Target]]:
    sizes = sorted(int(k) for k in results["sizes"])
    at = 10_000 if 10_000 in sizes else (max(sizes) if sizes else None)
    r = results["sizes"].get(str(at), {}) if at else {}
    kg = r.get("kg", {})
    hugo_s = _get(r, "hugo", "full", "seconds")
    kg_full = _get(kg, "full", "seconds")
    full_ratio = kg_full / hugo_s if kg_full and hugo_s else None
    g = results["global"]
    versus = (f"kg {kg_full:.2f} s vs Hugo {hugo_s:.2f} s" if kg_full and hugo_s
              else "Hugo not measured" if not hugo_s else "")
    out = [
        Target(5, "full build", "≤ 1.0 × Hugo", full_ratio, 1.0, "×", versus),
        Target(5, "one note edited, rebuilt", "≤ 0.5 s", _get(kg, "edit_one", "seconds"),
               0.5, "s", "kg build, a new process"),
        Target(5, "one note edited, kg serve", "≤ 0.5 s", _get(kg, "serve_edit", "seconds"),
               0.5, "s", "the rebuild in the running server, as MkDocs' dirty serve"),
        Target(5, "no change, rebuilt", "≤ 0.3 s", _get(kg, "no_change", "seconds"), 0.3, "s"),
        Target(5, "peak memory, full build", "≤ 500 MB", _get(kg, "full", "peak_mb"), 500, "MB"),
        Target(5, "kg connections per process", "≤ 300 ms",
               _get(kg, "connections", "median_ms"), 300, "ms",
               _get(kg, "connections", "skipped") or _get(kg, "connections", "error") or ""),
        Target(4, "kg --help per process", "< 150 ms", _get(g, "help", "median_ms"), 150, "ms"),
        Target(4, "kg connections, sample wiki", "< 200 ms",
               _get(g, "sample_connections", "median_ms"), 200, "ms",
               _get(g, "sample_connections", "skipped")
               or _get(g, "sample_connections", "error") or ""),
        Target(4, f"kg connections, {at or 10_000:,} notes", "< 300 ms",
               _get(kg, "connections", "median_ms"), 300, "ms",
               _get(kg, "connections", "skipped") or _get(kg, "connections", "error") or ""),
    ]
    return at, out


def _cell(entry: Any, key: str = "seconds", unit: str = "s") -> str:
    if entry is None:
        return "—"
    if isinstance(entry, dict) and "error" in entry:
        return "failed"
    if isinstance(entry, dict) and "skipped" in entry:
        return "n/a"
    if isinstance(entry, dict) and "not_installed" in entry:
        return "not inst."
    value = entry.get(key) if isinstance(entry, dict) else entry
    return _fmt(value, unit) if value is not None else "—"


def _bytes(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return "?"


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"kg benchmark · {m['date']}",
        f"machine: {m['nproc']} CPUs · {m['cpu']} · {m['memory_gb']} GB RAM · {m['os']} · "
        f"Python {m['python']}",
        f"load average (1/5/15 min): {m.get('load_at_start', '?')} at the start, "
        f"{m.get('load_at_end', '?')} at the end",
        "versions: " + (" · ".join(
            f"{name} {info.get('version') or 'not installed'}"
            for name, info in results["tools"].items()) or "no anchors run"),
        "",
    ]
    sizes = sorted(results["sizes"], key=int)
    head = f"{'measure':<40}" + "".join(f"{int(s):>20,}" for s in sizes)
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("kg build, full (cold)", lambda r: _cell(_get(r, "kg", "full"))),
        ("  CPU time (user+sys)", lambda r: _cell(_get(r, "kg", "full"), "cpu_seconds")),
        ("  peak memory (process tree)", lambda r: _cell(_get(r, "kg", "full"), "peak_mb", "MB")),
        ("kg build, no change", lambda r: _cell(_get(r, "kg", "no_change"))),
        ("  CPU time", lambda r: _cell(_get(r, "kg", "no_change"), "cpu_seconds")),
        ("kg build, one note edited", lambda r: _cell(_get(r, "kg", "edit_one"))),
        ("kg build, one note added", lambda r: _cell(_get(r, "kg", "add_one"))),
        ("kg build, one note deleted", lambda r: _cell(_get(r, "kg", "delete_one"))),
        (f"kg serve, one note edited (median of {SERVE_EDITS})",
         lambda r: _cell(_get(r, "kg", "serve_edit"))),
        ("  from the save, the watcher's wait incl.",
         lambda r: _cell(_get(r, "kg", "serve_edit"), "wall_seconds")),
        ("  from the save, every export in place",
         lambda r: _cell(_get(r, "kg", "serve_edit"), "exports_seconds")),
        ("kg connections (median of 5)",
         lambda r: _cell(_get(r, "kg", "connections"), "median_ms", "ms")),
        ("  first call after the edits",
         lambda r: _cell(_get(r, "kg", "connections"), "first_ms", "ms")),
        ("kg sparql (median of 5)", lambda r: _cell(_get(r, "kg", "sparql"), "median_ms", "ms")),
        ("  first call", lambda r: _cell(_get(r, "kg", "sparql"), "first_ms", "ms")),
        ("site size", lambda r: _bytes(_get(r, "kg", "site", "bytes"))
         + f" / {_get(r, 'kg', 'site', 'files') or 0} f"),
        ("graph.html size", lambda r: _bytes(_get(r, "kg", "graph_html_bytes"))
         if _get(r, "kg", "graph_html_bytes") else "no graph.html"),
        ("  its data (data/graph.js)", lambda r: _bytes(_get(r, "kg", "graph_data_bytes"))
         if _get(r, "kg", "graph_data_bytes") else "—"),
        ("  drawn in Chromium (--browser)",
         lambda r: _cell(_get(r, "kg", "graph_browser"), "median_s")),
        ("  JS heap once drawn", lambda r: _cell(_get(r, "kg", "graph_browser"), "heap_mb", "MB")),
    ]
    for name, info in results["tools"].items():
        label = info["label"]
        rows += [
            (f"{label} build, full", lambda r, n=name: _cell(_get(r, n, "full"))),
            ("  CPU time", lambda r, n=name: _cell(_get(r, n, "full"), "cpu_seconds")),
            ("  peak memory", lambda r, n=name: _cell(_get(r, n, "full"), "peak_mb", "MB")),
            (f"{label} build, again (no change)", lambda r, n=name: _cell(_get(r, n, "again"))),
        ]
    for name, info in results["tools"].items():
        rows.append((f"kg full ÷ {info['label']} full",
                     lambda r, n=name: _ratio(_get(r, "kg", "full", "seconds"),
                                              _get(r, n, "full", "seconds"))))
        rows.append(("  the same in CPU time",
                     lambda r, n=name: _ratio(_get(r, "kg", "full", "cpu_seconds"),
                                              _get(r, n, "full", "cpu_seconds"))))
        rows.append((f"kg no-change ÷ {info['label']} again",
                     lambda r, n=name: _ratio(_get(r, "kg", "no_change", "seconds"),
                                              _get(r, n, "again", "seconds"))))
    lines.append(head)
    lines.append("-" * len(head))
    for label, fn in rows:
        lines.append(f"{label:<40}" + "".join(f"{fn(results['sizes'][s]):>20}" for s in sizes))
    g = results["global"]
    lines += [
        "",
        f"kg --help per process: median {_cell(g.get('help'), 'median_ms', 'ms')} "
        f"(first {_cell(g.get('help'), 'first_ms', 'ms')})",
        f"kg connections import-ai-455 on the sample wiki: median "
        f"{_cell(g.get('sample_connections'), 'median_ms', 'ms')} "
        f"(first {_cell(g.get('sample_connections'), 'first_ms', 'ms')})",
    ]
    for info in results["tools"].values():
        if not info.get("version"):
            lines.append(f"{info['label']}: not installed — install with `{info['install']}` "
                         "or run with --install")
    if results.get("interrupted"):
        lines.append("INTERRUPTED: the run was stopped; the sizes and measures above are partial")
    for entry in _errors(results):
        lines.append(f"failed: {entry}")
    at, tgts = targets(results)
    lines += ["", f"Targets (issue 5 at {at or 0:,} notes; issue 4)",
              f"{'issue':<6}{'measure':<34}{'target':<15}{'measured':<12}verdict"]
    for t in tgts:
        lines.append(f"#{t.issue:<5}{t.measure:<34}{t.limit:<15}{_fmt(t.value, t.unit):<12}"
                     f"{t.verdict()}")
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "—"


def _errors(results: dict[str, Any]) -> list[str]:
    found = []
    for size, r in results["sizes"].items():
        for tool, entries in r.items():
            if not isinstance(entries, dict):
                continue
            for name, entry in entries.items():
                if isinstance(entry, dict) and "error" in entry:
                    found.append(f"{tool} {name} at {size}: {entry['error'][:300]}")
    return found


# -- main ----------------------------------------------------------------------------------


def compile_kg(exe: Path) -> None:
    """Write kg's bytecode before timing it, as an installed kg has it: where bytecode is
    not written (``PYTHONDONTWRITEBYTECODE``, a read-only checkout) every run would
    otherwise compile kg's modules first, ~50 ms of each query."""
    python = exe.with_name("python")
    if not python.exists():
        return
    subprocess.run([str(python), "-c", "import compileall, os, kg; "
                    "compileall.compile_dir(os.path.dirname(kg.__file__), quiet=1)"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated note counts (default 1000,10000)")
    parser.add_argument("--huge", action="store_true", help="also 50,000 notes")
    parser.add_argument("--install", action="store_true",
                        help="install Hugo, MkDocs and Eleventy first")
    parser.add_argument("--tools", default="hugo,mkdocs,eleventy",
                        help="which anchors to build (default hugo,mkdocs,eleventy; '' for none)")
    parser.add_argument("--kg", type=Path, default=None,
                        help="the kg executable (default .venv/bin/kg, else kg on PATH)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--browser", action="store_true",
                        help="also time graph.html drawing in headless Chromium (Playwright)")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="also write the results as JSON to FILE ('-': print JSON only)")
    parser.add_argument("--report", metavar="FILE", default=None,
                        help="print the report of a saved --json FILE and stop")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)

    if args.report:
        print(report(json.loads(Path(args.report).read_text())))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.huge and 50_000 not in sizes:
        sizes.append(50_000)
    exe = args.kg or (ROOT / ".venv" / "bin" / "kg")
    if not exe.exists():
        found = shutil.which("kg")
        if not found:
            raise SystemExit("kg not found: install it (pip install .) or pass --kg")
        exe = Path(found)

    def log(message: str) -> None:
        print(f"· {message}", file=sys.stderr, flush=True)

    wanted = [t for t in tools() if t.name in {s.strip() for s in args.tools.split(",")}]
    if args.install:
        install_tools(wanted)
    for tool in wanted:
        tool.path = tool.find()
        if tool.path:
            tool.version = _version([tool.path, *tool.version_args])

    compile_kg(exe)
    kg = Kg.find(exe)
    results: dict[str, Any] = {
        "machine": machine(),
        "kg": {"exe": str(exe), "version": kg.version, "commands": sorted(kg.commands)},
        "tools": {t.name: {"label": t.label, "version": t.version or None,
                           "path": str(t.path) if t.path else None, "install": t.install_hint()}
                  for t in wanted},
        "global": {},
        "sizes": {},
    }

    work = args.keep or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        log("kg --help")
        results["global"]["help"] = repeated([exe, "--help"], cwd=work)
        sample = work / "sample"
        shutil.rmtree(sample, ignore_errors=True)
        shutil.copytree(ROOT / "wiki", sample / "wiki")
        if (ROOT / "kg.toml").exists():
            shutil.copy(ROOT / "kg.toml", sample / "kg.toml")
        if "connections" in kg.commands:
            log("kg connections on the sample wiki")
            results["global"]["sample_connections"] = repeated(
                [exe, "connections", "import-ai-455", "--wiki", sample / "wiki"], cwd=sample)
        else:
            results["global"]["sample_connections"] = {"skipped": "no `kg connections` yet"}

        for n in sizes:
            base = work / f"n{n}"
            shutil.rmtree(base, ignore_errors=True)
            log(f"generating {n} notes")
            started = time.perf_counter()
            gen.generate(base / "wiki", n, args.seed)
            entry: dict[str, Any] = {"generate_seconds": time.perf_counter() - started}
            results["sizes"][str(n)] = entry
            notes = {p.stem: p.read_text(encoding="utf-8")
                     for p in sorted((base / "wiki").glob("*.md"))}
            for tool in wanted:
                if tool.path is None:
                    entry[tool.name] = {"not_installed": tool.install_hint()}
                    continue
                entry[tool.name] = bench_tool(tool, notes, base, log, keep=bool(args.keep))
            del notes
            save(results, args.json)
            entry["kg"] = bench_kg(kg, base, n, args.seed, log, browser=args.browser)
            save(results, args.json)
            if not args.keep:
                shutil.rmtree(base, ignore_errors=True)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: report what was measured so far
        results["interrupted"] = True
        log("interrupted; reporting what was measured")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    save(results, args.json)
    if args.json == "-":
        print(json.dumps(results, indent=2))
    else:
        print(report(results))
    return 1 if results.get("interrupted") else 0


def save(results: dict[str, Any], where: str | None) -> None:
    """Complete ``results`` with the load and the targets; write them to ``where`` if a file.

    Called after each size, so a long run that is stopped still leaves its numbers.
    """
    results["machine"]["load_at_end"] = _load()
    at, tgts = targets(results)
    results["targets"] = {"at_notes": at, "rows": [
        asdict(t) | {"verdict": t.verdict()} for t in tgts]}
    if where and where != "-":
        Path(where).write_text(json.dumps(results, indent=2) + "\n")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())
