"""Where a footnote's mark or a link to a block (``[[note#^id]]``) leads is marked on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import built_site

pytestmark = pytest.mark.browser

NOTE = ("---\ntitle: Feet\n---\n## TL;DR\nA claim[^1] and another[^2].\n\nThe claim. ^claim1\n\n"
        "[^1]: The first footnote.\n[^2]: The second footnote.\n")
BACKGROUND = "(id => getComputedStyle(document.getElementById(id)).backgroundColor)"


def test_a_footnote_or_block_led_to_is_marked(tmp_path: Path, browser: Any) -> None:
    """A reader follows a footnote's mark: the page cannot scroll the footnotes (at its end)
    to the top, and nothing had said which of them it was about; nor which paragraph a
    link to a block (#block-claim1) meant."""
    config = built_site(tmp_path, {"feet.md": NOTE})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto((config.out / "notes" / "feet.html").as_uri())
        plain = page.evaluate(BACKGROUND + "('fn2')")
        page.locator("sup.footnote-ref a").nth(1).click()
        page.wait_for_url("**#fn2")
        marked = page.evaluate(BACKGROUND + "('fn2')")
        other = page.evaluate(BACKGROUND + "('fn1')")
        page.goto((config.out / "notes" / "feet.html").as_uri() + "#block-claim1")
        block = page.evaluate(BACKGROUND + "('block-claim1')")
    finally:
        context.close()
    assert plain == other == "rgba(0, 0, 0, 0)"
    assert marked != plain and block != plain
