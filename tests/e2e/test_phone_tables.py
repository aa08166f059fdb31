"""A note's own wide table on a phone scrolls in its box; the page does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import built_site

pytestmark = pytest.mark.browser

ROW = "| " + " | ".join(f"column {c} with words" for c in "abcdefg") + " |\n"
NOTE = ("---\ntitle: Wide\n---\n## TL;DR\nA table.\n\n" + ROW
        + "|" + "---|" * 7 + "\n" + ROW)


def test_a_wide_table_in_a_note_scrolls_in_its_box_on_a_phone(tmp_path: Path,
                                                              browser: Any) -> None:
    config = built_site(tmp_path, {"wide.md": NOTE})
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto((config.out / "notes" / "wide.html").as_uri())
        page_overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        table = page.evaluate("(() => { const t = document.querySelector('.body .table-wrap');"
                              " return [t.scrollWidth, t.clientWidth]; })()")
    finally:
        context.close()
    assert page_overflow <= 1  # the page itself does not scroll sideways
    assert table[0] > table[1]  # the table scrolls in its own box, a table still


def test_the_forecasts_table_fits_a_phone_s_screen(tmp_path: Path, browser: Any) -> None:
    """It had run 6–94 px past its box: the claim squeezed, the source's title cut."""
    config = built_site(tmp_path, {"f.md": (
        "---\ntitle: Import AI 455 AI Systems Are About to Start Building Themselves\n"
        "date: 2026-05-04\nforecasts:\n  - {claim: Fully autonomous AI R&D (a model trains its"
        " own successor without humans) happens by end of 2027, p: 0.3, by: 2027-12-31}\n"
        "---\nx\n")})
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto((config.out / "forecasts.html").as_uri())
        widths = page.evaluate("[...document.querySelectorAll('.table-wrap table')]"
                               ".map(t => [t.scrollWidth, t.parentElement.clientWidth])")
    finally:
        context.close()
    assert widths and all(table <= box for table, box in widths), widths
