"""A note's TeX typeset in a real browser: KaTeX writes MathML, under the site's CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import built_site
from kg.build import build

pytestmark = pytest.mark.browser

NOTE = """---
title: Scaling
---
## TL;DR
The loss falls as $L(N) = (N_c / N)^{\\alpha_N}$, for $5 and $10 of compute. Unreadable:
$\\frac{1}{$.

$$
\\sum_{i=1}^{n} x_i^2 \\le \\lambda
$$

Within a line, as Obsidian shows it: $$E = mc^2$$ on its own.
"""


def test_tex_is_typeset_as_mathml_without_errors(tmp_path: Path, browser: Any) -> None:
    config = built_site(tmp_path, {"scaling.md": NOTE,
                                   "plain.md": "---\ntitle: Plain\n---\nNo math.\n"})
    assert "katex" not in (config.out / "notes" / "plain.html").read_text(encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((config.out / "notes" / "scaling.html").as_uri())
        page.wait_for_selector(".math.typeset math")
        typeset = page.eval_on_selector_all(
            ".body .math", "els => els.map(e => [e.classList.contains('typeset'),"
                           " e.querySelector('math') ? e.querySelector('math').getAttribute("
                           "'display') : null, e.textContent])")
        body = page.inner_text(".body")
    finally:
        context.close()
    assert [(t[0], t[1]) for t in typeset] == [
        (True, None), (False, None), (True, "block"), (True, "block")]
    assert typeset[1][2] == "\\frac{1}{"  # KaTeX could not read it: left as written
    assert "for $5 and $10 of compute" in body
    assert errors == []


@pytest.mark.parametrize("tex", ["\\alpha < 1", "x^2"], ids=["markup", "no-markup"])
def test_tex_in_questions_and_angles_is_typeset_where_they_are_listed(
        tmp_path: Path, browser: Any, tex: str) -> None:
    """A question's or an angle's TeX, on the note's page outside its body and on the
    tracker and the angles page; a tracker without TeX loads no KaTeX. `$x^2$` holds none
    of the other signs that send a line through the Markdown renderer (`<`, `_`, `\\`), and
    had been escaped as plain text, shown as written; the angle's title, a link on the angles
    page, had been shown as written there."""
    note = (f"---\ntitle: Bounds\n---\n## Research angle\n"
            f"1. **Bound ${tex}$.** the ${tex}$ norm.\n\n"
            f"## Open questions\n- Is ${tex}$ always?\n")
    config = built_site(tmp_path, {"bounds.md": note})
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for name, count in (("notes/bounds.html", 6), ("questions.html", 1),
                            ("angles.html", 2)):
            page.goto((config.out / name).as_uri())
            page.wait_for_selector(".math.typeset math")
            typeset = page.eval_on_selector_all(
                "main .math", "els => els.map(e => e.classList.contains('typeset'))")
            assert typeset == [True] * count, name
            assert f"${tex}$" not in page.inner_text("main"), name
    finally:
        context.close()
    assert errors == []
    (tmp_path / "wiki" / "bounds.md").write_text(note.replace("$", ""), encoding="utf-8")
    build(config)
    assert "katex" not in (config.out / "questions.html").read_text(encoding="utf-8")
