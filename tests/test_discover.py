"""discover() walks the wiki with os.scandir; it must find what the os.walk walk it replaced
found, in the same order, with the same warnings and errors: held to a copy of that walk on
a tree with every case (nested and skipped folders, hidden files, symlinks in and out,
loops, dangling links, a folder named like a note, colliding ids, control characters)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg import discover as disc
from kg.errors import BuildFailed, Finding


def walked(wiki: Path) -> tuple[list[tuple[str, str, str]], list[Finding], list[Finding]]:
    """The files, warnings and errors of discover() as it was: os.walk, sorted names."""
    wiki = wiki.resolve()
    claims: dict[disc.NoteId, list[disc.NoteFile]] = {}
    warnings: list[Finding] = []
    errors: list[Finding] = []
    for folder, dirs, files in os.walk(wiki, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in disc.SKIP_DIRS and not d.startswith("."))
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                if (why := disc._not_followed(here / d, wiki)) is not None:
                    warnings.append(disc._skipped(here / d, wiki, "symlinked folder", why))
        for name in sorted(files):
            if not name.lower().endswith(".md") or name.startswith("."):
                continue
            path = here / name
            rel = disc.printable(path.relative_to(wiki).as_posix())
            if path.is_symlink() and (why := disc._not_followed(path, wiki)) is not None:
                warnings.append(disc._skipped(path, wiki, "symlinked file", why))
                continue
            if not path.is_file():
                warnings.append(Finding(disc.Severity.WARNING, "file-skipped",
                                        "skipped: not a regular file", disc.Location(rel),
                                        "make it a note file, or rename it not to end in .md"))
                continue
            nid = disc._id_of(name, rel, errors)
            if nid is not None:
                claims.setdefault(nid, []).append(disc.NoteFile(nid, path, rel))
    # a link to a note of the wiki is that note (read at its own place), not another
    real = {f.rel for claimed in claims.values() for f in claimed if not f.path.is_symlink()}
    claims = {nid: kept for nid, claimed in claims.items()
              if (kept := [f for f in claimed if not f.path.is_symlink()
                           or f.path.resolve().relative_to(wiki).as_posix() not in real])}
    found = disc._ids(claims, errors)  # which file takes which id: tested on its own below
    files = sorted(found.values(), key=lambda f: f.id)
    return [(f.id, str(f.path), f.rel) for f in files], warnings, errors


def tree(root: Path, collide: bool) -> Path:
    wiki = root / "wiki"
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.md").write_text("# Secret\n")
    names = ["a.md", "B.md", "c.txt", ".hidden.md", "z/deep/x.md", "z/deep/y.MD", "z/a-b.md",
             "m/n/o/p.md", ".git/g.md", "templates/t.md", "node_modules/n.md", ".kg/k.md",
             "dir.md/inside.md", "Café.md", "tab\tname.md", "sub/zeta.md", "sub/alpha.md"]
    if collide:  # two names of one folder giving one id
        names += ["sub/Zeta.md", "Cafe\u0301.md"]
    for rel in names:
        path = wiki / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {rel}\n")
    (wiki / "leak.md").symlink_to(outside / "secret.md")
    (wiki / "leakdir").symlink_to(outside, target_is_directory=True)
    (wiki / "twin.md").symlink_to(wiki / "a.md")
    (wiki / "other-name.md").symlink_to(wiki / "c.txt")
    (wiki / "m" / "again").symlink_to(wiki / "z", target_is_directory=True)
    (wiki / "loop-a.md").symlink_to(wiki / "loop-b.md")
    (wiki / "loop-b.md").symlink_to(wiki / "loop-a.md")
    (wiki / "gone.md").symlink_to(wiki / "missing.md")
    if hasattr(os, "mkfifo"):
        os.mkfifo(wiki / "pipe.md")
    return wiki


def test_the_same_files_and_warnings_as_the_walk_it_replaced(tmp_path: Path) -> None:
    wiki = tree(tmp_path, collide=False)
    files, warnings, errors = walked(wiki)
    assert errors == []
    found = disc.discover(wiki)
    assert [(f.id, str(f.path), f.rel) for f in found.files] == files
    assert list(found.warnings) == warnings
    assert {w.code for w in warnings} == {"symlink-skipped", "file-skipped"}
    said = {str(w.where): w.message for w in warnings}
    assert said["loop-a.md"] == ("symlinked file skipped: it is a symlink loop "
                                 "(it leads back to itself)")
    assert said["leak.md"] == "symlinked file skipped: links outside the wiki are never read"
    assert "z/deep/y.MD" in [rel for _, _, rel in files]  # any case of .md
    rels = [rel for _, _, rel in files]
    assert "twin.md" not in rels and "a.md" in rels  # a link to a note: that note, once
    assert "other-name.md" in rels  # a link to a file inside that is no note: a note
    assert not any(rel.startswith((".git", "templates", "node_modules", ".kg", "m/again"))
                   for _, _, rel in files)


def test_the_same_collisions_in_the_same_order(tmp_path: Path) -> None:
    wiki = tree(tmp_path, collide=True)
    _, _, errors = walked(wiki)
    assert len(errors) == 2
    with pytest.raises(BuildFailed) as raised:
        disc.discover(wiki)
    assert list(raised.value.findings) == errors
    assert [e.code for e in errors] == ["duplicate-id", "duplicate-id"]
    assert "both have the id 'cafe'" in str(errors[0])  # Café.md and Café.md (NFD)
    assert "both have the id 'zeta'" in str(errors[1])


def test_names_of_one_id_that_are_other_names_are_kept_apart(tmp_path: Path) -> None:
    """C.md and C++.md (Uber.md and Über.md) in one folder: the name that writes the id keeps
    it, the other takes the id a link to it gave its placeholder; Foo.md and foo.md (one
    name in two cases) stay an error."""
    from kg.ids import hashed_id

    wiki = tmp_path / "wiki"
    wiki.mkdir()
    for name in ["C.md", "C++.md", "Uber.md", "Über.md", "C+.md"]:
        (wiki / name).write_text("# x\n", encoding="utf-8")
    ids = {f.rel: f.id for f in disc.discover(wiki).files}
    assert ids == {"C.md": "c", "C++.md": hashed_id("C++"),
                   "C+.md": hashed_id("C+"), "Uber.md": "uber",
                   "Über.md": hashed_id("Über")}
    assert len(set(ids.values())) == 5 and ids["C++.md"].startswith("c-")
    (wiki / "c.md").write_text("# x\n", encoding="utf-8")
    if len(list(wiki.iterdir())) == 6:  # a file system that tells case apart
        with pytest.raises(BuildFailed, match="differ only in case"):
            disc.discover(wiki)
    for folder in ("a", "b"):  # in two folders each: four notes, by their paths
        (wiki / "c.md").unlink(missing_ok=True)
        (wiki / folder).mkdir()
        for name in ["C.md", "C++.md"]:
            (wiki / folder / name).write_text("# x\n", encoding="utf-8")
    ids = {f.rel: f.id for f in disc.discover(wiki).files}
    assert (ids["a/C.md"], ids["b/C.md"]) == ("a-c", "b-c")
    assert ids["a/C++.md"] == hashed_id("a C++") and ids["b/C++.md"] == hashed_id("b C++")
    assert len(set(ids.values())) == len(ids)


def test_thousands_of_names_of_one_id(tmp_path: Path) -> None:
    """3,000 names that slug alike (``Topic !``, ``Topic +``, ``Topic !+``…) and ``Topic``:
    ``Topic`` keeps the id, each other its hash; a name written again in another case, in
    another folder, is one name with it: both by their paths, as before (each file of the id
    had been compared with every other: n² comparisons of names made NFC and case-folded)."""
    import itertools

    from kg.ids import hashed_id

    wiki = tmp_path / "wiki"
    (wiki / "sub").mkdir(parents=True)
    others = ["Topic " + "".join(signs) for k in (1, 2, 3, 4)
              for signs in itertools.product("!+&@$%=~", repeat=k)]
    names = ["Topic", *others[:3000]]
    for name in names:
        (wiki / f"{name}.md").write_text("# x\n", encoding="utf-8")
    (wiki / "sub" / "TOPIC !.md").write_text("# x\n", encoding="utf-8")
    ids = {f.rel: f.id for f in disc.discover(wiki).files}
    assert len(ids) == len(names) + 1 == len(set(ids.values()))
    assert ids["Topic.md"] == "topic"
    assert all(ids[f"{n}.md"] == hashed_id(n) for n in names[1:])
    assert ids["sub/TOPIC !.md"] == hashed_id("sub TOPIC !")  # by its path, beside Topic !


def test_one_name_in_several_folders_takes_ids_of_the_paths(tmp_path: Path) -> None:
    """A README.md in each folder, as vaults have them: each takes the id of its path, and a
    path id another file's name gives is a collision."""
    wiki = tmp_path / "wiki"
    for rel in ["README.md", "Daily/README.md", "Projects/Sub Folder/README.md", "b.md",
                "x/b.md", "y/B.md"]:
        (wiki / rel).parent.mkdir(parents=True, exist_ok=True)
        (wiki / rel).write_text(f"# {rel}\n")
    found = disc.discover(wiki)
    assert [(f.id, f.rel) for f in found.files] == [
        ("b", "b.md"), ("daily-readme", "Daily/README.md"),
        ("projects-sub-folder-readme", "Projects/Sub Folder/README.md"),
        ("readme", "README.md"), ("x-b", "x/b.md"), ("y-b", "y/B.md")]
    (wiki / "daily-readme.md").write_text("# taken\n")
    with pytest.raises(BuildFailed) as raised:
        disc.discover(wiki)
    assert [str(f) for f in raised.value.findings] == [
        str(disc._collision("Daily/README.md", "daily-readme.md", disc.NoteId("daily-readme")))]
    (wiki / "daily-readme.md").unlink()
    (wiki / "Daily" / "readme.md").write_text("# twin\n")  # a twin in one folder only
    with pytest.raises(BuildFailed) as raised:
        disc.discover(wiki)
    assert [str(f) for f in raised.value.findings] == [
        str(disc._collision("Daily/readme.md", "Daily/README.md", disc.NoteId("readme")))]


def test_names_in_any_script_take_readable_distinct_ids(tmp_path: Path) -> None:
    """Ids spell every script in ASCII (they are file names, URLs and IRIs): names that
    differ only in their non-Latin words stay apart, none becomes an opaque hash."""
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    for name in ["Notes 中文.md", "Notes 日本語.md", "中文笔记.md", "Привет мир.md",
                 "Ελληνικά.md", "Straße.md"]:
        (wiki / name).write_text("# x\n")
    assert sorted(f.id for f in disc.discover(wiki).files) == [
        "ellinika", "notes-ribenyu", "notes-zhongwen", "privet-mir", "strasse", "zhongwenbiji"]


def test_a_vault_s_templates_and_drawings_are_not_notes(tmp_path: Path) -> None:
    """Obsidian's Templates/ (any case, or the folder its settings name) holds notes with
    ``{{date}}`` placeholders, and an Excalidraw drawing is a ``.excalidraw.md`` file: none
    is a note of the wiki, and attachments there are not looked for either."""
    wiki = tmp_path / "wiki"
    files = {"a.md": "# A\n", "Templates/Daily.md": "---\ndate: {{date}}\n---\n",
             "Meta/Tpl/Paper.md": "# {{title}}\n", "Meta/kept.md": "# Kept\n",
             "Sketch.excalidraw.md": "# Text Elements\n",
             ".obsidian/plugins/templater-obsidian/data.json":
                 '{"templates_folder": "Meta/Tpl/"}'}
    for rel, text in files.items():
        (wiki / rel).parent.mkdir(parents=True, exist_ok=True)
        (wiki / rel).write_text(text)
    assert [f.rel for f in disc.discover(wiki).files] == ["a.md", "Meta/kept.md"]
    assert [top for top, _ in disc.walk_folders(wiki)] == [str(wiki), str(wiki / "Meta")]
    (wiki / ".obsidian" / "templates.json").write_text('{"folder": "Meta"}')
    assert [f.rel for f in disc.discover(wiki).files] == ["a.md"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes")
def test_a_hostile_template_setting_is_not_read(tmp_path: Path) -> None:
    """JSON nested past the recursion limit, a pipe (which would never end), a link to
    /dev/zero or out of the wiki: the setting is left unread, the wiki read as it is."""
    wiki = tmp_path / "wiki"
    (wiki / ".obsidian").mkdir(parents=True)
    (wiki / "a.md").write_text("# A\n")
    (wiki / "Meta").mkdir()
    (wiki / "Meta" / "t.md").write_text("# T\n")
    (tmp_path / "outside.json").write_text('{"folder": "Meta"}')
    setting = wiki / ".obsidian" / "templates.json"
    makers = [lambda: setting.write_text("[" * 100_000 + "]" * 100_000),
              lambda: os.mkfifo(setting),
              lambda: setting.symlink_to("/dev/zero"),
              lambda: setting.symlink_to(tmp_path / "outside.json"),
              lambda: setting.symlink_to(setting)]  # a loop
    for make in makers:
        setting.unlink(missing_ok=True)
        make()
        assert [f.rel for f in disc.discover(wiki).files] == ["a.md", "Meta/t.md"]
    setting.unlink()
    setting.write_text('{"folder": "Meta"}')  # the same setting, in the wiki: read
    assert [f.rel for f in disc.discover(wiki).files] == ["a.md"]


def test_a_change_to_the_vault_s_template_setting_is_seen_by_the_next_build(
        tmp_path: Path) -> None:
    from kg.build import build
    from kg.config import load_config

    wiki = tmp_path / "wiki"
    for rel, text in {"a.md": "# A\n![[Tpl/pic.png]]\n", "Tpl/t.md": "# T\n",
                      "Tpl/pic.png": "png"}.items():
        (wiki / rel).parent.mkdir(parents=True, exist_ok=True)
        (wiki / rel).write_text(text)
    config = load_config(tmp_path).with_options(wiki=wiki, out=tmp_path / "site")
    assert build(config).notes == 2
    assert (tmp_path / "site" / "files" / "Tpl" / "pic.png").is_file()
    (wiki / ".obsidian").mkdir()
    (wiki / ".obsidian" / "templates.json").write_text('{"folder": "Tpl"}')
    assert build(config).notes == 1
    assert not (tmp_path / "site" / "notes" / "t.html").exists()
    assert not (tmp_path / "site" / "files" / "Tpl").exists()  # not published by path either


def test_long_names_of_one_id_still_collide(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / ("A" * 101 + ".md")).write_text("# A\n")
    (wiki / ("a" * 101 + ".md")).write_text("# a\n")
    with pytest.raises(BuildFailed, match="differ only in case"):
        disc.discover(wiki)


def test_a_markdown_file_of_another_ending_is_said_not_to_be_a_note(tmp_path: Path) -> None:
    """Jekyll's ``.markdown`` (and .mdown, .mkd): not read, and said so, with the name to
    give it; a link to it is then no longer a mystery placeholder."""
    wiki = tmp_path / "wiki"
    (wiki / "posts").mkdir(parents=True)
    (wiki / "posts" / "old.markdown").write_text("# Old\n", encoding="utf-8")
    (wiki / "a.md").write_text("# A\n", encoding="utf-8")
    (wiki / ".hidden.markdown").write_text("# H\n", encoding="utf-8")
    found = disc.discover(wiki)
    assert [f.rel for f in found.files] == ["a.md"]
    assert [(w.code, str(w.where), w.hint) for w in found.warnings] == [
        ("file-skipped", "posts/old.markdown", "rename it old.md to make it a note")]


def test_a_symlink_to_nothing_is_said_to_lead_nowhere(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "a.md").write_text("# A\n", encoding="utf-8")
    (wiki / "gone.md").symlink_to(wiki / "was-here.md")
    (wiki / "far.md").symlink_to(tmp_path / "elsewhere" / "x.md")
    said = {str(w.where): (w.code, w.message) for w in disc.discover(wiki).warnings}
    assert said == {
        "far.md": ("symlink-skipped", "symlinked file skipped: what it links to is not there"),
        "gone.md": ("symlink-skipped", "symlinked file skipped: what it links to is not there"),
    }


def test_printable_escapes_controls_and_direction_overrides_not_scripts() -> None:
    assert disc.printable("abc\u202eevil.md") == "abc\\u202eevil.md"  # "Trojan source"
    assert disc.printable("x\x1b]0;t\x07") == "x\\x1b]0;t\\x07"
    assert disc.printable("שלום/مرحبا/中文.md") == "שלום/مرحبا/中文.md"
