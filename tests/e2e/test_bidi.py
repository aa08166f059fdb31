"""A name holding U+202E (RIGHT-TO-LEFT OVERRIDE) in a real browser: what it reverses is
itself, not the text the page shows after it (the tier after a title in a list, the next
alias, a search result's line of tags)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import built_site

pytestmark = pytest.mark.browser

RLO = "\u202e"
NOTE = (f"---\ntitle: '{RLO}gnp.exe'\naliases: ['{RLO}one', 'two']\ntags: ['{RLO}gat', zed]\n"
        "tier: 1\n---\nText.\n")

LEFT_OF = """([first, second, scope]) => {
  // where the text `first` and the text `second` start on the screen, within `scope`
  const where = (text) => {
    const walk = document.createTreeWalker(document.querySelector(scope), NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const at = node.data.indexOf(text);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + text.length);
        return range.getBoundingClientRect().left;
      }
    }
    throw new Error("no text " + text + " in " + scope);
  };
  return where(first) < where(second);
}"""


def test_an_override_in_a_name_reverses_the_name_alone(tmp_path: Path, browser: Any) -> None:
    config = built_site(tmp_path, {"evil.md": NOTE})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto((config.out / "tiers" / "1.html").as_uri())
        assert page.evaluate(LEFT_OF, ["gnp", "Tier 1", ".note-line"])  # the title first
        assert page.evaluate(LEFT_OF, ["exe", "gnp", ".note-line"])  # itself reversed
        page.goto((config.out / "notes" / "evil.html").as_uri())
        assert page.evaluate(LEFT_OF, ["one", "two", ".meta"])
        assert page.evaluate(LEFT_OF, ["gat", "zed", ".meta .tags"])
        page.goto((config.out / "search.html").as_uri() + "?q=gnp")
        page.locator("#page-search-results a.result-title").first.wait_for(timeout=10_000)
        assert page.evaluate(LEFT_OF, ["gat", "zed", "#page-search-results"])
        assert page.evaluate(LEFT_OF, ["one", "two", "#page-search-results"])
    finally:
        context.close()
