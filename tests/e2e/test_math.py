"""A note's TeX typeset in a real browser: KaTeX writes MathML, under the site's CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from kg.config import load_config

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
    (tmp_path / "wiki").mkdir()
    (tmp_path / "wiki" / "scaling.md").write_text(NOTE, encoding="utf-8")
    (tmp_path / "wiki" / "plain.md").write_text("---\ntitle: Plain\n---\nNo math.\n",
                                                encoding="utf-8")
    config = load_config(tmp_path).with_options(wiki=tmp_path / "wiki", out=tmp_path / "site")
    build(config)
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
