"""Attachments: the images and files notes embed or link are copied into the site under
``files/``, and the page shows or links them there; nothing else of the wiki is published."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import parse_html, site_tree

from kg.build import build
from kg.config import Config

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.4\n%%EOF\n"

NOTE = """---
title: Charts
---
## TL;DR
The curve: ![[curve.png|320x200]] and ![[curve.png|The curve]]. A plot:
![the plot](img/My%20plot.png). The paper: [read it](papers/paper.pdf#page=2) or
[[paper.pdf|the paper]], its [[paper.pdf#page=3|third page]] (![[paper.pdf#page=4]]).

## Why it matters
Not there: ![[missing.png]]. Not published: ![[drawing.svg]], ![x](../../outside.png),
![[secret.png]] (a link out of the wiki). In code: `![[curve.png]]`.
"""


def files(config: Config) -> dict[str, bytes]:
    return {rel: data for rel, data in site_tree(config.out).items()
            if rel.startswith("files/")}


def body(config: Config, name: str = "charts") -> str:
    return (config.out / "notes" / f"{name}.html").read_text(encoding="utf-8")


def wiki_with_charts(write_wiki, tmp_path: Path) -> Config:
    (tmp_path / "outside.png").write_bytes(PNG)
    config = write_wiki({
        "sub/charts.md": NOTE,
        "sub/img/My plot.png": PNG + b"plot",
        "assets/curve.png": PNG + b"curve",
        "papers/paper.pdf": PDF,
        "sub/drawing.svg": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        "unused.png": PNG,
    })
    os.symlink(tmp_path / "outside.png", config.wiki / "sub" / "secret.png")
    return config


def test_embedded_and_linked_files_are_published_and_shown(write_wiki, tmp_path: Path) -> None:
    config = wiki_with_charts(write_wiki, tmp_path)
    build(config)
    assert files(config) == {
        "files/assets/curve.png": PNG + b"curve",
        "files/sub/img/My plot.png": PNG + b"plot",
        "files/papers/paper.pdf": PDF,
    }
    page = parse_html(body(config))
    images = {img.attrs["alt"]: img.attrs for img in page.select("main img")}
    assert images["curve.png"]["src"] == "../files/assets/curve.png"
    assert (images["curve.png"]["width"], images["curve.png"]["height"]) == ("320", "200")
    assert images["The curve"]["src"] == "../files/assets/curve.png"
    assert images["the plot"]["src"] == "../files/sub/img/My%20plot.png"
    links = {a.text: a.attrs["href"] for a in page.select("main a")}
    assert links["read it"] == "../files/papers/paper.pdf#page=2"
    assert links["the paper"] == "../files/papers/paper.pdf"
    assert links["third page"] == "../files/papers/paper.pdf#page=3"  # as the Markdown link
    assert links["paper.pdf"] == "../files/papers/paper.pdf#page=4"
    for img in page.select("main img"):  # every src leads to a file of the site
        assert (config.out / "notes" / unquote(img.attrs["src"])).resolve().is_file()
    text = page.select_one("main").text
    assert "![[missing.png]]" in text and "![[drawing.svg]]" in text
    assert "![[secret.png]]" in text


def test_an_attachment_added_changed_or_removed_is_seen_by_the_next_build(
        write_wiki, tmp_path: Path) -> None:
    config = wiki_with_charts(write_wiki, tmp_path)
    build(config)
    write_wiki({"missing.png": PNG + b"late"})  # named by a note before it existed
    build(config)
    assert files(config)["files/missing.png"] == PNG + b"late"
    assert 'src="../files/missing.png"' in body(config)
    (config.wiki / "assets" / "curve.png").write_bytes(PNG + b"redrawn")
    build(config)
    assert files(config)["files/assets/curve.png"] == PNG + b"redrawn"
    (config.wiki / "papers" / "paper.pdf").unlink()
    build(config)
    assert "files/papers/paper.pdf" not in files(config)
    assert "[[paper.pdf|the paper]]" in parse_html(body(config)).select_one("main").text
    full = replace(config, out=tmp_path / "full")
    build(full, full=True)
    assert site_tree(config.out) == site_tree(full.out)


def test_a_bare_name_finds_the_file_nearest_the_note(write_wiki) -> None:
    config = write_wiki({
        "a/note.md": "---\ntitle: Note\n---\nHere: ![[fig.png]]\n",
        "b/deep/fig.png": PNG + b"deep",
        "c/fig.png": PNG + b"shallow",
        "other.md": "---\ntitle: Other\n---\nHere: ![[fig.png]]\n",
    })
    build(config)
    assert 'src="../files/c/fig.png"' in body(config, "note")  # the shortest path
    write_wiki({"a/fig.png": PNG + b"beside"})
    build(config)
    assert 'src="../files/a/fig.png"' in body(config, "note")  # the note's own folder
    assert 'src="../files/a/fig.png"' in body(config, "other")  # shortest, then by name
    assert "files/b/deep/fig.png" not in site_tree(config.out)


def test_a_file_added_anywhere_is_seen_even_when_the_notes_did_not_change(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.cachefile

    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)  # the stat alone is trusted
    config = write_wiki({"a/note.md": "---\ntitle: Note\n---\nHere: ![[fig.png]]\n",
                         "c/fig.png": PNG})
    build(config)
    assert "nothing changed" in build(config).summary()
    write_wiki({"a/fig.png": PNG + b"beside"})  # nearer the note: the link now finds it
    assert "nothing changed" not in build(config).summary()
    assert 'src="../files/a/fig.png"' in body(config, "note")


def test_odd_references_are_text_and_never_stop_the_build(write_wiki) -> None:
    long = "a" * 300  # longer than a file name may be
    config = write_wiki({"note.md": f"---\ntitle: N\n---\n![[{long}.png]] ![[pic.avif]] "
                                    "[[data.txt]] ![x](../../out.png)\n"})
    result = build(config)
    assert result.placeholders == 0  # files, not notes
    text = parse_html(body(config, "note")).select_one("main").text
    assert f"![[{long}.png]]" in text and "![[pic.avif]]" in text


def test_a_reference_out_of_the_wiki_does_not_keep_builds_from_stopping_early(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.cachefile

    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)
    config = write_wiki({"note.md": "---\ntitle: N\n---\n![x](../../out.png)\n"})
    build(config)
    assert "nothing changed" in build(config).summary()


def test_a_reference_style_image_is_published_too(write_wiki) -> None:
    config = write_wiki({"note.md": "---\ntitle: N\n---\nThe plot: ![the plot][p].\n\n"
                                    "[p]: img/plot.png \"Plot\"\n",
                         "img/plot.png": PNG})
    build(config)
    img = parse_html(body(config, "note")).select_one("main img")
    assert img.attrs["src"] == "../files/img/plot.png" and img.attrs["alt"] == "the plot"
    assert files(config) == {"files/img/plot.png": PNG}


def test_a_named_pipe_named_like_an_image_is_no_attachment(write_wiki) -> None:
    """Found by its bare name in a folder below, a pipe ``pics/live.png`` had been taken for
    the image: the build failed "could not write the site: ... is a named pipe" (check free
    space and permissions), and kg check had found nothing wrong."""
    from kg.check import check

    config = write_wiki({"a.md": "# A\nLive: ![[live.png]]\n", "pics/still.png": PNG})
    os.mkfifo(config.wiki / "pics" / "live.png")
    build(config)
    assert "![[live.png]]" in body(config, "a") and files(config) == {}
    assert [f.code for f in check(config).findings if f.code.endswith("attachment")] == [
        "missing-attachment"]


def test_an_attachment_that_cannot_be_read_is_an_error_naming_it(
        write_wiki, monkeypatch: pytest.MonkeyPatch) -> None:
    """It had been said as the site's: "could not write the site: [Errno 13] Permission
    denied: …/pic.png (check free space and permissions)"."""
    import kg.site
    from kg.errors import KgError

    config = write_wiki({"a.md": "# A\n![[pic.png]]\n", "pic.png": PNG})
    locked = str(config.wiki / "pic.png")

    def opening(path: object, *args: object, **kwargs: object) -> object:
        if str(path) == locked:  # as chmod 000 makes it for anyone but root
            raise PermissionError(13, "Permission denied", locked)
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(kg.site, "open", opening, raising=False)
    with pytest.raises(KgError) as failed:
        build(config)
    assert str(failed.value) == (f"{locked}: cannot read the attachment: Permission denied\n"
                                 "  hint: check the file's permissions, or remove the "
                                 "reference to it")
    assert not config.out.exists()
