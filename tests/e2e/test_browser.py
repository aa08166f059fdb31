"""The site in a real browser, opened from ``file://`` and from a local server under /kg/.

What a reader does: open the home page, go to Import AI 455, read its connection view, see the
local and the global graph drawn, search for PostTrainBench, narrow the question tracker. No
console error, no request outside the site (the ``watch`` fixture checks both after each test).
Screenshots land in ``artifacts/screenshots/``; ``KG_DOCS_SCREENSHOTS=1`` also refreshes the
README's in ``docs/screenshots/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from kg.config import load_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMPORT_AI = "Import AI 455: AI Systems Are About to Start Building Themselves"
DRAWN = 15_000


def visible_rows(page: Any) -> int:
    return int(page.locator("#tracker tbody tr.question:visible").count())


def test_home_to_a_note_and_its_connection_view(watch: Any) -> None:
    w = watch()
    page = w.page
    w.go("index.html")
    assert page.title() == "AI R&D digest wiki"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    w.screenshot("home")
    page.locator("section.recent").get_by_role("link", name=IMPORT_AI).click()
    page.wait_for_url(re.compile(r".*/notes/import-ai-455\.html$"))
    assert page.locator("h1").inner_text() == IMPORT_AI
    view = page.locator("section.connections")
    counter = view.locator("section.outgoing section.rel-group[data-relation=counterpoint]")
    assert "Counterpoint to" in counter.locator("h4").inner_text()
    trilemma = "Defense Trilemma + NP-hard reward hacking"
    assert counter.get_by_role("link", name=trilemma).is_visible()
    assert "adversarial mirror image" in counter.locator(".annotation").inner_text()
    assert "Countered by" in view.locator("section.incoming").inner_text()
    context = view.locator("section.mentions-out blockquote.context").first
    assert context.is_visible() and context.inner_text()
    page.wait_for_selector("#local-graph[data-drawn=true]", timeout=DRAWN)
    w.screenshot("note", doc="note.png")


def test_local_graph_draws_the_neighbourhood(watch: Any) -> None:
    w = watch()
    page = w.page
    w.go("notes/import-ai-455.html")
    page.wait_for_selector("#local-graph[data-drawn=true]", timeout=DRAWN)
    assert page.locator("#local-graph canvas").count() >= 1
    island = json.loads(page.locator("#local-graph-data").text_content() or "{}")
    count = int(page.get_attribute("#local-graph", "data-node-count") or 0)
    assert count == len(island["nodes"]) >= 10
    assert page.evaluate("window.kgGraphs.local.nodes.length") == count
    positions = page.evaluate("Object.keys(window.kgGraphs.local.network.getPositions()).length")
    assert positions == count
    # the names that fit, none over another, the note's own first (a hub's neighbours'
    # names had been drawn over each other)
    for _ in range(DRAWN // 50):  # (the page's Content-Security-Policy refuses
        # Playwright's wait_for_function)
        if page.evaluate("window.kgGraphs.local.labels.resting()"):
            break
        page.wait_for_timeout(50)
    labels = page.evaluate("window.kgGraphs.local.labels.shown()")
    assert 5 <= len(labels) < count
    assert "import-ai-455" in [label["id"] for label in labels]
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                     or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
            assert apart, (a["text"], b["text"])


def test_every_note_page_s_local_graph_names_the_note_itself(watch: Any, www: Path) -> None:
    """The note's own name is the first its local graph shows: on the pages of AHE, MIT
    superposition, Predictive interpretability and a placeholder it was not there at all,
    their node being the lowest, where fit() left no room for a name under it."""
    w = watch()
    page = w.page
    for path in sorted(www.glob("*/notes/*.html")):
        w.go(f"notes/{path.name}")
        page.wait_for_selector("#local-graph[data-drawn=true]", timeout=DRAWN)
        for _ in range(DRAWN // 50):
            if page.evaluate("window.kgGraphs.local.labels.resting()"):
                break
            page.wait_for_timeout(50)
        labels = page.evaluate("window.kgGraphs.local.labels.shown()")
        box = page.evaluate("[document.getElementById('local-graph').clientWidth,"
                            " document.getElementById('local-graph').clientHeight]")
        own = [label for label in labels if label["id"] == path.stem]
        assert own, (path.stem, [label["id"] for label in labels])
        assert own[0]["left"] >= 0 and own[0]["right"] <= box[0], own
        assert own[0]["top"] >= 0 and own[0]["bottom"] <= box[1], own


def test_global_graph_draws_filters_and_opens_a_note(watch: Any) -> None:
    w = watch()
    page = w.page
    w.go("graph.html")
    graph = page.locator("#global-graph")
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    assert page.locator("#global-graph canvas").count() >= 1
    assert graph.get_attribute("data-node-count") == "18"
    assert page.evaluate("window.kgGraphs.global.nodes.length") == 18
    w.screenshot("graph", doc="graph.png")

    page.locator("input[name=tier][value='1']").uncheck()
    assert graph.get_attribute("data-node-count") == "17"
    page.locator("input[name=tier][value=ghost]").uncheck()
    assert graph.get_attribute("data-node-count") == "11"
    assert "11 of 18" in page.locator("#graph-count").inner_text()
    page.get_by_role("button", name="Show all").click()
    page.wait_for_selector("#global-graph[data-node-count='18']")
    page.locator("#graph-tag").select_option("benchmarks")
    assert graph.get_attribute("data-node-count") == "2"
    edges_before = int(graph.get_attribute("data-edge-count") or 0)
    page.locator("#graph-tag").select_option("")
    page.locator("input[name=rel][value=mentions]").uncheck()
    assert int(graph.get_attribute("data-edge-count") or 0) < 52 and edges_before >= 1
    page.locator("input[name=rel][value=mentions]").check()

    where = page.evaluate(
        "(() => { const n = window.kgGraphs.global.network;"
        " return n.canvasToDOM(n.getPositions(['posttrainbench']).posttrainbench); })()")
    graph.click(position={"x": where["x"], "y": where["y"]})
    page.wait_for_url(re.compile(r".*/notes/posttrainbench\.html$"), timeout=DRAWN)
    assert page.locator("h1").inner_text() == "PostTrainBench"


def test_graph_filters_are_kept_on_coming_back(watch: Any) -> None:
    """A reader narrows the graph, opens another page, and comes back: the graph is drawn as
    the filters say. The browser had restored the unticked boxes and the tag after the page's
    scripts ran, over the whole graph ("18 nodes" under a filter that leaves 2)."""
    w = watch()
    page = w.page
    w.go("graph.html")
    graph = page.locator("#global-graph")
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    page.locator("input[name=tier][value=ghost]").uncheck()
    page.locator("#graph-tag").select_option("benchmarks")
    assert graph.get_attribute("data-node-count") == "2"
    page.locator(".site-nav").get_by_role("link", name="Questions").click()
    page.wait_for_url(re.compile(r".*/questions\.html$"))
    page.go_back()
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    page.wait_for_timeout(300)  # the browser's own restoring came after the load event
    assert not page.locator("input[name=tier][value=ghost]").is_checked()
    assert page.locator("#graph-tag").input_value() == "benchmarks"
    assert graph.get_attribute("data-node-count") == "2"
    assert "2 of 18" in page.locator("#graph-count").inner_text()
    page.get_by_role("button", name="Show all").click()
    page.wait_for_selector("#global-graph[data-node-count='18']")
    page.reload()
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    page.wait_for_timeout(300)
    assert graph.get_attribute("data-node-count") == "18"
    assert page.locator("input[name=tier][value=ghost]").is_checked()


LABELS_IN_VIEW = """(kind => { const n = window.kgGraphs[kind].network, out = [];
    const box = document.getElementById(kind + '-graph');
    for (const id of n.body.nodeIndices) {
      const b = n.body.nodes[id].shape.boundingBox;
      const a = n.canvasToDOM({x: b.left, y: b.top}), z = n.canvasToDOM({x: b.right, y: b.bottom});
      if (a.x < 0 || a.y < 0 || z.x > box.clientWidth || z.y > box.clientHeight) {
        out.push([id, Math.round(a.x), Math.round(z.x), box.clientWidth]);
      }
    }
    return out; })"""


def test_graph_labels_are_whole_on_a_phone(watch: Any) -> None:
    """On a phone the graphs framed their dots only: the labels of the notes at the edges ran
    off the canvas ("ostTrainBench", "Anthropic Automated Alignm")."""
    w = watch(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = w.page
    for path, kind in (("graph.html", "global"), ("notes/mimo.html", "local")):
        w.go(path)
        page.wait_for_selector(f"#{kind}-graph[data-drawn=true]", timeout=DRAWN)
        page.wait_for_timeout(200)
        assert page.evaluate(LABELS_IN_VIEW + f"({kind!r})") == [], path
    w.go("graph.html#posttrainbench")  # a node shown from the address keeps its view
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    page.wait_for_timeout(200)
    assert page.evaluate("window.kgGraphs.global.network.getScale()") == 1
    # the graph is on the first screen, the filters under it (they had filled that screen)
    top = page.evaluate("""[document.getElementById('global-graph'),
        document.getElementById('graph-filters')].map(e => e.getBoundingClientRect().top)""")
    assert top[0] < 844 / 2 and top[1] > top[0], top


def test_a_graph_is_one_tab_stop_its_focus_seen_and_hover_takes_no_focus(watch: Any) -> None:
    """The local graph had two stops in the Tab order: its box, where the arrow keys did
    nothing, then vis-network's, where they panned but whose ring the box cut off. And a
    mouse passing over a node took the focus: what the reader typed in the search box went
    to the graph."""
    w = watch()
    page = w.page
    w.go("notes/import-ai-455.html")
    page.wait_for_selector("#local-graph[data-drawn=true]", timeout=DRAWN)
    page.get_by_role("link", name="open in the full graph").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('#local-graph') !== null")
    assert page.evaluate("getComputedStyle(document.getElementById('local-graph'))"
                         ".outlineStyle") == "solid"
    before = page.evaluate("window.kgGraphs.local.network.getViewPosition().x")
    page.keyboard.down("ArrowRight")
    page.wait_for_timeout(200)
    page.keyboard.up("ArrowRight")
    assert page.evaluate("window.kgGraphs.local.network.getViewPosition().x") > before
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('#local-graph') === null")

    w.go("graph.html")
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    page.keyboard.press("/")
    page.keyboard.type("post")
    where = page.evaluate(
        "(() => { const n = window.kgGraphs.global.network;"
        " const p = n.canvasToDOM(n.getPositions(['mimo']).mimo);"
        " const r = document.getElementById('global-graph').getBoundingClientRect();"
        " return {x: p.x + r.left, y: p.y + r.top}; })()")
    page.mouse.move(where["x"], where["y"], steps=4)
    page.wait_for_timeout(300)
    page.keyboard.type("train")
    assert page.locator("#site-search").input_value() == "posttrain"


def test_search_finds_posttrainbench(watch: Any) -> None:
    w = watch()
    page = w.page
    w.go("index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("PostTrainBench")
    first = page.locator("#site-search-results a.result-title").first
    first.wait_for(timeout=DRAWN)
    assert first.inner_text() == "PostTrainBench"
    assert (first.get_attribute("href") or "").endswith("notes/posttrainbench.html")
    w.screenshot("search")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == "PostTrainBench"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/notes/posttrainbench\.html$"))

    w.go("search.html?q=fine-tuning%20uplift")
    titles = page.locator("#page-search-results a.result-title")
    titles.first.wait_for(timeout=DRAWN)
    assert "PostTrainBench" in titles.all_inner_texts()


def test_search_results_are_text_not_html(watch: Any) -> None:
    w = watch()
    page = w.page
    evil = "<img src=x onerror=alert(1)>"
    index = {"version": 1, "notes": [{"id": "posttrainbench", "t": evil + " PostTrainBench",
                                      "u": "notes/posttrainbench.html", "g": ["<b>tag</b>"],
                                      "x": "<b>bold</b> PostTrainBench <script>alert(2)</script>"}]}
    body = "window.KG_SEARCH_INDEX = " + json.dumps(index) + ";"
    page.route("**/data/search.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=body))
    w.go("search.html")
    page.locator("#page-search").fill("PostTrainBench")
    first = page.locator("#page-search-results a.result-title").first
    first.wait_for(timeout=DRAWN)
    assert first.inner_text() == evil + " PostTrainBench"
    results = page.locator("#page-search-results")
    assert results.locator("img, b, script").count() == 0
    assert "<b>bold</b>" in results.inner_text()


def test_question_tracker_filters_and_sorts(watch: Any) -> None:
    w = watch()
    page = w.page
    w.go("questions.html")
    assert visible_rows(page) == 6
    page.locator("#tracker-filters input[name=q]").fill("creativity")
    assert visible_rows(page) == 1
    assert "1 of 6" in page.locator("#tracker-count").inner_text()
    page.locator("#tracker-filters input[name=q]").fill("")
    page.locator("#tracker-filters select[name=tag]").select_option("fine-tuning")
    assert visible_rows(page) == 1
    assert "PostTrainBench" in page.locator("#tracker tbody tr.question:visible").inner_text()
    page.locator("#tracker-filters select[name=status]").select_option("answered")
    assert visible_rows(page) == 0
    assert page.locator("#tracker-none").is_visible()
    page.get_by_role("button", name="Clear").click()
    page.wait_for_selector("#tracker[data-shown='6']", state="attached")
    page.locator("#tracker-filters select[name=tier]").select_option("1")
    assert visible_rows(page) == 4
    w.screenshot("questions")
    page.locator("th[data-sort=note] button").click()
    assert page.get_attribute("th[data-sort=note]", "aria-sort") == "ascending"
    page.locator("th[data-sort=note] button").click()  # again: the other way
    order = page.locator("#tracker tbody tr.question:visible .qtext").all_inner_texts()
    assert page.url.endswith("#tier=1&sort=-note")
    # the sorted view survives a reload, as Back to it does: the column, its way, the rows
    page.reload()
    page.wait_for_selector("#tracker[data-shown='4']", state="attached")
    assert page.get_attribute("th[data-sort=note]", "aria-sort") == "descending"
    assert page.locator("#tracker tbody tr.question:visible .qtext").all_inner_texts() == order


def test_phone_and_dark_mode(watch: Any) -> None:
    w = watch(viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True,
              has_touch=True)
    page = w.page
    w.go("notes/import-ai-455.html")
    page.wait_for_selector("#local-graph[data-drawn=true]", timeout=DRAWN)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 27)"
    w.screenshot("note-phone-dark")
    w.go("questions.html")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    # each question is read whole on the phone: no cell runs past the screen's edge (the
    # table had scrolled sideways in its box, the question cut mid-word, its source unseen)
    edges = page.evaluate("""[...document.querySelectorAll('#tracker tbody tr.question')]
        .map(tr => [tr.querySelector('.qtext'), tr.querySelector('td:nth-child(3)')]
        .map(td => td.getBoundingClientRect().right))""")
    assert edges and all(right <= 390 for row in edges for right in row), edges


def test_search_ranks_a_note_by_its_alias_above_a_placeholder(watch: Any) -> None:
    """A word that opens a note's alias ("Kaplan scaling laws") finds the note before a
    placeholder whose name opens with it (a link written as `kaplan-scaling-laws`): an
    alias's start had counted as any substring, under half a ghost's title start."""
    w = watch()
    page = w.page
    index = {"version": 1, "notes": [
        {"id": "kaplan-scaling-laws", "t": "kaplan-scaling-laws",
         "u": "notes/kaplan-scaling-laws.html", "p": 1},
        {"id": "scaling-laws", "t": "Scaling Laws for Neural Language Models",
         "u": "notes/scaling-laws.html", "a": ["Kaplan scaling laws", "Kaplan 2020"]},
        {"id": "other", "t": "Other", "u": "notes/other.html", "a": ["The Kaplan paper"]},
    ]}
    body = "window.KG_SEARCH_INDEX = " + json.dumps(index) + ";"
    page.route("**/data/search.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=body))
    w.go("search.html")
    page.locator("#page-search").fill("kaplan")
    titles = page.locator("#page-search-results a.result-title")
    titles.first.wait_for(timeout=DRAWN)
    assert titles.all_inner_texts() == [
        "Scaling Laws for Neural Language Models", "Other", "kaplan-scaling-laws"]


def test_search_finds_a_note_by_its_author(watch: Any) -> None:
    """A researcher looks a paper up by who wrote it: "lovelace" finds the note by Ada
    Lovelace, whose title and text do not name her, before a note that only mentions her
    in its text (authors had not been in the index)."""
    w = watch()
    page = w.page
    index = {"version": 1, "notes": [
        {"id": "mentions", "t": "A survey", "u": "notes/mentions.html",
         "x": "after Lovelace's notes"},
        {"id": "engine", "t": "Notes on the Analytical Engine", "u": "notes/engine.html",
         "w": ["Ada Lovelace"], "x": "the engine"},
    ]}
    page.route("**/data/search.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript",
        body="window.KG_SEARCH_INDEX = " + json.dumps(index) + ";"))
    w.go("search.html?q=lovelace")
    titles = page.locator("#page-search-results a.result-title")
    titles.first.wait_for(timeout=DRAWN)
    assert titles.all_inner_texts() == ["Notes on the Analytical Engine", "A survey"]


def test_search_finds_a_tag_written_as_the_pages_show_it(watch: Any) -> None:
    """Every page shows a tag as `#fine-tuning`; searching that, as a reader copies it, had
    found nothing (tags are kept without their `#`). A `#` that is no tag's is text."""
    w = watch()
    page = w.page
    w.go("search.html?q=%23fine-tuning")
    titles = page.locator("#page-search-results a.result-title")
    titles.first.wait_for(timeout=DRAWN)
    assert "PostTrainBench" in titles.all_inner_texts()
    w.go("search.html?q=%23fine")
    titles.first.wait_for(timeout=DRAWN)
    assert "PostTrainBench" in titles.all_inner_texts()
    other = watch().page
    index = {"version": 1, "notes": [{"id": "one", "t": "The #1 paper", "u": "notes/one.html"}]}
    other.route("**/data/search.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript",
        body="window.KG_SEARCH_INDEX = " + json.dumps(index) + ";"))
    other.goto(w.base + "search.html?q=%231")
    found = other.locator("#page-search-results a.result-title")
    found.first.wait_for(timeout=DRAWN)
    assert found.all_inner_texts() == ["The #1 paper"]


def test_every_tier_is_drawn_in_a_colour_of_its_own(browser: Any, tmp_path: Path) -> None:
    """Notes of tiers 1 to 9 and one without a tier: ten colours on the global graph and on
    a note's local graph, in the light and the dark theme (tiers 4 to 9 were drawn in the
    grey of no tier)."""
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (tmp_path / "kg.toml").write_text('[kg]\ntitle = "Tiers"\n[kg.tiers]\n4 = "Speculative"\n',
                                      encoding="utf-8")
    for t in range(1, 10):
        (wiki / f"t{t}.md").write_text(f"---\ntitle: T{t}\ntier: {t}\n---\nSee [[hub]].\n",
                                       encoding="utf-8")
    (wiki / "hub.md").write_text("---\ntitle: Hub\n---\nNo tier.\n", encoding="utf-8")
    build(load_config(tmp_path).with_options(out=tmp_path / "site"))
    colours = ("(() => { const b = window.kgGraphs[KIND].network.body.nodes, out = {};"
               " for (const id in b) { out[id] = b[id].options.color.background; }"
               " return out; })()")
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        try:
            page = context.new_page()
            for path, kind in (("graph.html", "global"), ("notes/hub.html", "local")):
                page.goto((tmp_path / "site" / path).as_uri())
                page.wait_for_selector(f"#{kind}-graph[data-drawn=true]", timeout=DRAWN)
                drawn = page.evaluate(colours.replace("KIND", repr(kind)))
                assert set(drawn) == {"hub", *(f"t{t}" for t in range(1, 10))}
                assert len(set(drawn.values())) == 10, (scheme, kind, drawn)
        finally:
            context.close()


def test_search_finds_a_title_spelled_with_a_slip(watch: Any) -> None:
    """A reader who types "postrainbench" (a letter left out) or "posttrianbench" (two
    swapped) finds PostTrainBench, under a line that says nothing matched as written; a word
    nothing is near still finds nothing, and short words are not guessed at."""
    w = watch()
    page = w.page
    for query in ("postrainbench", "posttrianbench", "PostTrainBenhc"):
        w.go(f"search.html?q={query}")
        titles = page.locator("#page-search-results a.result-title")
        titles.first.wait_for(timeout=DRAWN)
        assert titles.all_inner_texts()[0] == "PostTrainBench", query
        assert page.locator("#page-search-results .result-near").inner_text() == (
            f"No note matches “{query}”; spelled nearly so:")
    for query in ("zzyzxqwv", "ahx"):
        w.go(f"search.html?q={query}")
        page.wait_for_function(
            "document.getElementById('page-search-results').getAttribute('data-count') === '0'",
            timeout=DRAWN)
        assert page.locator("#page-search-results .result-near").count() == 0


@pytest.mark.parametrize("width", [700, 1000, 1280])
def test_search_results_open_within_the_window(watch: Any, width: int) -> None:
    """Where the header wraps and the search box sits at the left (700–1100 px wide), its
    results had opened from the box's right end leftwards, half of them off the window."""
    w = watch(viewport={"width": width, "height": 700})
    page = w.page
    w.go("index.html")
    page.keyboard.press("/")
    page.keyboard.type("posttrainbench")
    page.locator("#site-search-results a.result-title").first.wait_for(timeout=DRAWN)
    left, right = page.evaluate("(r => [r.left, r.right])(document.getElementById("
                                "'site-search-results').getBoundingClientRect())")
    assert left >= 0 and right <= width, (left, right)


LABELS_OVERLAPPING = """(() => { const n = window.kgGraphs.global.network, out = [];
  const ids = n.body.nodeIndices, box = id => n.body.nodes[id].labelModule.size;
  for (let a = 0; a < ids.length; a++) for (let b = a + 1; b < ids.length; b++) {
    const p = box(ids[a]), q = box(ids[b]);
    if (p.left < q.left + q.width && q.left < p.left + p.width &&
        p.top < q.top + q.height && q.top < p.top + p.height) { out.push([ids[a], ids[b]]); }
  } return out; })()"""


def test_the_global_graph_s_labels_do_not_overlap(watch: Any) -> None:
    """The precomputed layout spaced the nodes, not their labels: "AgenticQwe" ran into
    "Step-Level Optimization", "AHE: making harness evolu…" into a placeholder's name. The
    labels the browser draws, as vis-network measures them, now overlap nowhere."""
    w = watch(viewport={"width": 1280, "height": 900})
    page = w.page
    w.go("graph.html")
    page.wait_for_selector("#global-graph[data-drawn=true]", timeout=DRAWN)
    assert page.evaluate(LABELS_OVERLAPPING) == []
