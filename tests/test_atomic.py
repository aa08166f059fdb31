"""A build either puts its whole site in place or leaves the previous one untouched.

The pages are written into ``.<out>.tmp-<pid>`` beside the output; at the end they are moved
into the site (an edit's dozen pages) or the folder is swapped in whole. These tests break a
build half way (an exception, a full disk, SIGKILL of a real ``kg build``) and check that the
previous site is byte for byte what it was, and that no temporary folder outlives the next
build; and that a site updated in place is the same as one built whole.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import kg
import kg.build
import kg.cache
import kg.incremental
from kg.build import build
from kg.config import Config
from kg.errors import KgError
from kg.ids import NoteId


def make_wiki(root: Path, notes: int, *, version: str = "v1") -> Config:
    wiki = root / "wiki"
    wiki.mkdir(parents=True, exist_ok=True)
    for i in range(notes):
        nxt = (i + 1) % notes
        (wiki / f"note-{i:04d}.md").write_text(
            f"---\ntitle: Note {i} {version}\ndate: 2026-01-{1 + i % 28:02d}\ntier: {1 + i % 3}\n"
            f"tags: [t{i % 7}]\nconnections:\n  - to: note-{nxt:04d}\n    rel: supports\n"
            f"    note: \"{version} annotation {i}\"\n---\n## TL;DR\nSee [[note-{nxt:04d}]].\n\n"
            f"## Open questions\n- Question {i} {version}?\n",
            encoding="utf-8",
        )
    return Config(root=root, wiki=wiki, out=root / "site")


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


Writer = Callable[[Path, bytes], None]


def failing_writer(real: Writer, after: int, error: BaseException,
                   seen: list[Path]) -> Writer:
    """Writes ``after`` files of the new site, then fails as ``error``."""
    count = 0

    def write(target: Path, data: bytes) -> None:
        nonlocal count
        seen.append(target)
        if count == after:
            raise error
        count += 1
        real(target, data)

    return write


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    RuntimeError("a bug in a template"),
    KeyboardInterrupt(),
], ids=["disk-full", "bug", "ctrl-c"])
def test_a_build_that_fails_half_way_leaves_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    config = make_wiki(tmp_path, 12)
    build(config)
    before = snapshot(config.out)
    make_wiki(tmp_path, 12, version="v2")
    seen: list[Path] = []
    monkeypatch.setattr(kg.incremental, "write_page",
                        failing_writer(kg.incremental.write_page, 8, error, seen))
    with pytest.raises((KgError, RuntimeError, KeyboardInterrupt)) as caught:
        build(config)
    if isinstance(error, OSError):
        assert isinstance(caught.value, KgError)
        assert "could not write the site" in str(caught.value)
        assert "previous site is unchanged" in str(caught.value)
    else:
        assert caught.value is error
    staged = seen[0].relative_to(config.out.parent).parts[0]  # written beside, never in, out
    assert staged.startswith(".site.tmp-")
    assert snapshot(config.out) == before
    assert leftovers(tmp_path) == []


def test_a_successful_build_replaces_everything(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 5)
    build(config)
    (config.wiki / "note-0004.md").unlink()
    make_wiki(tmp_path, 4, version="v2")
    build(config)
    assert not (config.out / "notes" / "note-0004.html").exists()
    assert "v2" in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


def test_without_an_atomic_exchange_the_two_renames_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kg.build, "_exchange", lambda a, b: False)
    config = make_wiki(tmp_path, 3)
    build(config)
    make_wiki(tmp_path, 3, version="v2")
    build(config)
    assert "v2" in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


def tree(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's digest, and every folder (an emptied one left behind would show)."""
    folders = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())
    return snapshot(folder), folders


def full_build(config: Config, out: Path) -> Config:
    fresh = Config(root=config.root, wiki=config.wiki, out=out)
    build(fresh, full=True)
    return fresh


def test_an_edit_moves_the_pages_it_made_into_the_site_in_place(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 12)
    (config.wiki / "figs" / "deep").mkdir(parents=True)
    (config.wiki / "figs" / "deep" / "plot.png").write_bytes(b"\x89PNG plot")
    note = config.wiki / "note-0003.md"
    note.write_text(note.read_text(encoding="utf-8") + "\n![[figs/deep/plot.png]]\n",
                    encoding="utf-8")
    build(config)
    assert (config.out / "files" / "figs" / "deep" / "plot.png").is_file()
    folder = config.out.stat().st_ino
    kept = (config.out / "notes" / "note-0007.html").stat().st_ino
    # one note edited, another loses its figure (and the site the figure's folders)
    edited = config.wiki / "note-0001.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("## TL;DR\n",
                                                                 "## TL;DR\nEdited. "))
    note.write_text(note.read_text(encoding="utf-8").replace("![[figs/deep/plot.png]]", ""))
    (config.wiki / "figs" / "deep" / "plot.png").unlink()
    result = build(config)

    assert 0 < result.rendered < result.files // 2 and result.removed == 1
    assert config.out.stat().st_ino == folder  # the same folder, not a new one swapped in
    assert (config.out / "notes" / "note-0007.html").stat().st_ino == kept
    assert "Edited." in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")
    assert not (config.out / "files").exists()  # emptied folders go with their files
    assert tree(config.out) == tree(full_build(config, tmp_path / "full").out)
    assert leftovers(tmp_path) == []
    assert build(config).rendered == 0  # the site written in place is the manifest's


def test_a_build_changing_much_of_the_site_swaps_in_a_new_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kg.build, "IN_PLACE_MAX", 0)
    config = make_wiki(tmp_path, 12)
    build(config)
    folder = config.out.stat().st_ino
    make_wiki(tmp_path, 12, version="v2")  # every note: more than a tenth of the pages
    build(config)
    assert config.out.stat().st_ino != folder
    assert tree(config.out) == tree(full_build(config, tmp_path / "full").out)
    assert leftovers(tmp_path) == []


def test_an_update_in_place_that_fails_half_way_moves_everything_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills while an edit's pages are moved into the site: what was moved goes
    back, and the site is the previous one; the next build, not trusting its record of a
    site it did not finish, makes every page."""
    config = make_wiki(tmp_path, 12)
    (config.wiki / "gone.md").write_text("---\ntitle: Gone\n---\nx\n", encoding="utf-8")
    build(config)
    before = tree(config.out)
    make_wiki(tmp_path, 12, version="v2")
    (config.wiki / "gone.md").unlink()
    (config.wiki / "new" / "deep").mkdir(parents=True)
    (config.wiki / "new" / "deep" / "fresh.md").write_text("---\ntitle: Fresh\n---\nx\n",
                                                          encoding="utf-8")
    real = os.rename
    moved: list[str] = []

    def failing(source: object, target: object) -> None:
        if Path(str(target)).parent.name == "notes" and Path(str(target)).is_relative_to(
                config.out) and Path(str(source)).is_relative_to(config.out.parent / (
                    f".{config.out.name}.tmp-{os.getpid()}")) and ".was" not in str(source):
            if len(moved) == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            moved.append(str(target))
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(kg.build.os, "rename", failing)
    with pytest.raises(KgError, match="could not write the site") as caught:
        build(config)
    assert "the previous site is as it was" in (caught.value.hint or "")
    monkeypatch.setattr(kg.build.os, "rename", real)
    assert len(moved) == 3 and leftovers(tmp_path) == []
    assert tree(config.out) == before
    result = build(config)  # the marker no longer pairs with the manifest: all made again
    assert result.rendered == result.files
    assert tree(config.out) == tree(full_build(config, tmp_path / "full").out)


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_ctrl_c_while_an_edit_s_pages_are_moved_in_leaves_a_whole_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (``kg serve``'s, a ``kg build``'s) in the milliseconds an edit's pages are
    moved into the site: the KeyboardInterrupt was raised between two moves and none was
    undone (only an OSError's are), so the site was part new, part old, its temporary
    folder left beside it. The moves are finished first, then the interrupt is raised."""
    config = make_wiki(tmp_path, 12)
    (config.wiki / "gone.md").write_text("---\ntitle: Gone\n---\nx\n", encoding="utf-8")
    build(config)
    edited = config.wiki / "note-0001.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("## TL;DR\n",
                                                                 "## TL;DR\nEdited. "))
    (config.wiki / "gone.md").unlink()
    real = os.rename
    moves: list[str] = []

    def interrupted(source: object, target: object) -> None:
        real(source, target)  # type: ignore[arg-type]
        if Path(str(target)).is_relative_to(config.out):
            moves.append(str(target))
            if len(moves) == 2:  # as if Ctrl-C were pressed now
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    monkeypatch.setattr(kg.build.os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(config)
    monkeypatch.setattr(kg.build.os, "rename", real)
    assert len(moves) > 2  # moved on after the interrupt
    assert leftovers(tmp_path) == []
    assert tree(config.out) == tree(full_build(config, tmp_path / "full").out)
    build(config)  # the next build (not trusting a manifest it did not write) works
    assert tree(config.out) == tree(tmp_path / "full")


def test_ctrl_c_after_the_site_is_in_place_lets_the_cache_be_written_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C just after a build put its site in place (``kg serve`` stopped right after a
    save): what the next build and the next query read is written whole first, then the
    interrupt is raised. The cache had been left unwritten, and the next query made it
    again (seconds at 10,000 notes)."""
    import kg.depends
    import kg.workers
    from kg.cache import open_graph

    config = make_wiki(tmp_path, 6)
    build(config)
    edited = config.wiki / "note-0001.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("## TL;DR\n",
                                                                 "## TL;DR\nEdited. "))
    real = kg.depends.write_trace

    def interrupted(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    monkeypatch.setattr(kg.depends, "write_trace", interrupted)
    monkeypatch.setattr(kg.cache, "_held", None)
    monkeypatch.setattr(kg.workers, "jobs_wanted", lambda: 1)  # the cache written here
    with pytest.raises(KeyboardInterrupt):
        build(config)
    monkeypatch.setattr(kg.cache, "_held", None)  # as the next process finds it
    graph = open_graph(config)
    assert graph._wiki is None  # read from the file the build wrote, not made again
    assert "Edited." in graph.note(NoteId("note-0001")).body  # type: ignore[union-attr]


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_next_build_cleans_up_after_a_killed_one(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 3)
    build(config)
    site = snapshot(config.out)
    pid = dead_pid()
    # killed while writing: a half-written temp folder
    (tmp_path / f".site.tmp-{pid}" / "notes").mkdir(parents=True)
    # killed between the two renames of a system without renameat2: the site set aside
    config.out.rename(tmp_path / f".site.old-{pid}")
    kg.build._recover(config.out)
    assert snapshot(config.out) == site
    assert leftovers(tmp_path) == []


def test_a_build_with_nothing_to_do_cleans_up_after_a_killed_one_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.cachefile

    monkeypatch.setattr(kg.cachefile, "RACY_NS", 0)  # the notes' stat trusted at once
    config = make_wiki(tmp_path, 3)
    build(config)  # records the stamp the next build stops at
    (tmp_path / f".site.tmp-{dead_pid()}" / "notes").mkdir(parents=True)
    monkeypatch.setattr(kg.build, "staging", None)  # it stops at the stamp: stages nothing
    assert build(config).rendered == 0
    assert leftovers(tmp_path) == []


def test_a_killed_build_s_half_written_cache_is_removed_by_a_later_build(
        tmp_path: Path) -> None:
    """Only an old one: a recent one may be another process's, writing now."""
    from kg.cachefile import cache_file

    config = make_wiki(tmp_path, 3)
    build(config)
    folder = cache_file(config).parent
    old, recent = folder / ".wiki-0.pickle.abc.tmp", folder / ".wiki-0.pickle.def.tmp"
    for path in (old, recent):
        path.write_bytes(b"half a cache")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    (config.wiki / "note-0000.md").write_text("---\ntitle: Edited\n---\nText.\n")
    build(config)
    assert not old.exists() and recent.exists()


def test_a_live_build_s_temp_folder_is_left_alone(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 2)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f".site.tmp-{other.pid}"
        live.mkdir()
        build(config)
        assert live.is_dir()
    finally:
        other.kill()
        other.wait()


KILLABLE_BUILD = """
import sys, time
import kg.incremental

real = kg.incremental.write_page

def paced(target, data):
    time.sleep(0.01)
    real(target, data)

kg.incremental.write_page = paced
from kg.cli import main
main()
"""


def slow_build(config: Config, pages: int, jobs: int = 1,
               ) -> tuple[subprocess.Popen[bytes], Path]:
    """A real `kg build` (one page every 10 ms, in ``jobs`` processes however few the pages)
    and its staging folder, once it has written ``pages`` note pages there; it is still
    running."""
    script = KILLABLE_BUILD.replace("from kg.cli", "kg.incremental.PARALLEL_MIN = 1\nfrom kg.cli")
    command = [sys.executable, "-c", script, "build", "--wiki", str(config.wiki),
               "--out", str(config.out), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "KG_JOBS": str(jobs),
                                    "PYTHONPATH": str(Path(kg.__file__).parents[1])})
    staging = config.out.parent / f".{config.out.name}.tmp-{process.pid}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        notes = staging / "notes"
        if notes.is_dir() and sum(1 for _ in notes.iterdir()) >= pages:
            break
        time.sleep(0.02)
    if process.poll() is not None:
        raise AssertionError(process.stderr.read() if process.stderr else "it stopped")
    return process, staging


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigkill_during_rendering_leaves_the_old_site_intact(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 80)
    build(config)
    before = snapshot(config.out)
    make_wiki(tmp_path, 80, version="v2")
    process, staging = slow_build(config, pages=10)
    try:
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert snapshot(config.out) == before  # the old site, byte for byte
    assert leftovers(tmp_path) == [staging.name]  # killed outright: nothing could clean up
    build(config)
    assert leftovers(tmp_path) == []
    assert "v2" in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")


def running(pid: int) -> bool:
    """Whether ``pid`` is a process, not yet reaped or a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="forked workers, /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_build_leaves_no_worker_holding_the_wiki(tmp_path: Path, sig: str) -> None:
    """`timeout 60 kg build`, a CI job cancelled, the OOM killer: the build's forked page
    worker had gone on waiting for work that never came, holding the build lock, so that
    every later build of the wiki waited for it forever."""
    config = make_wiki(tmp_path, 80)
    build(config)
    make_wiki(tmp_path, 80, version="v2")
    process, _ = slow_build(config, pages=10, jobs=2)
    workers = children(process.pid)
    assert workers  # the page worker
    try:
        process.send_signal(getattr(signal, sig))
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(running, workers)):
        time.sleep(0.05)
    alive = [w for w in workers if running(w)]
    for worker in alive:  # not left running after a failed test
        os.kill(worker, signal.SIGKILL)
    assert alive == []
    again = subprocess.run([sys.executable, "-c", "from kg.cli import run; run()", "build",
                            "--wiki", str(config.wiki), "--out", str(config.out), "-q"],
                           capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(Path(kg.__file__).parents[1])})
    assert again.returncode == 0, again.stderr
    assert "v2" in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")



@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlinked_output_folder_keeps_its_link(tmp_path: Path) -> None:
    config = make_wiki(tmp_path / "project", 3)
    real = tmp_path / "www" / "site"
    real.mkdir(parents=True)
    config.out.symlink_to(real, target_is_directory=True)
    build(config)
    make_wiki(tmp_path / "project", 3, version="v2")
    build(config)
    assert config.out.is_symlink() and config.out.resolve() == real
    assert "v2" in (real / "notes" / "note-0001.html").read_text(encoding="utf-8")
    assert leftovers(tmp_path / "project") == [] and leftovers(tmp_path / "www") == []


def test_a_site_folder_under_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    config = make_wiki(tmp_path, 2)
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "x" / "site"
    with pytest.raises(KgError, match=f"{tmp_path / 'afile'} is a file"):
        build(Config(root=config.root, wiki=config.wiki, out=out))
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
@pytest.mark.parametrize("which", ["--wiki", "--out"])
def test_a_wiki_or_site_that_is_a_symlink_loop_is_said_to_be_one(tmp_path: Path,
                                                                   which: str) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    config = make_wiki(tmp_path, 2)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    paths = {"--wiki": str(config.wiki), "--out": str(tmp_path / "site"), which: str(loop)}
    result = CliRunner().invoke(main, ["build", *[x for kv in paths.items() for x in kv]])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"a symlink loop: '{loop}'" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_second_build_of_the_same_folder_waits_for_the_first(tmp_path: Path) -> None:
    """Two builds of one folder (kg serve's and one from the shell) take turns: the second
    links pages from the site the first swapped in, never from one being replaced."""
    config = make_wiki(tmp_path, 40)
    build(config)
    make_wiki(tmp_path, 40, version="v2")
    first, staging = slow_build(config, pages=5)
    try:
        make_wiki(tmp_path, 40, version="v3")
        build(config)  # waits for the first build's lock
        # the first had swapped its site in and removed the one it replaced (under the lock);
        # the process itself may still be exiting
        assert not staging.exists()
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
        first.wait()
    assert "v3" in (config.out / "notes" / "note-0001.html").read_text(encoding="utf-8")
    full = Config(root=tmp_path, wiki=config.wiki, out=tmp_path / "full")
    build(full, full=True)
    assert snapshot(full.out) == snapshot(config.out)


def test_an_edit_is_moved_into_a_site_where_there_are_no_hard_links(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT, exFAT, some network shares: os.link fails; the kept pages and the marker set
    aside are copies instead, and the site updated in place is a full build's."""
    config = make_wiki(tmp_path, 12)
    build(config)

    def no_links(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    note = config.wiki / "note-0001.md"
    note.write_text(note.read_text(encoding="utf-8").replace("## TL;DR\n", "## TL;DR\nNew. "),
                    encoding="utf-8")
    result = build(config)
    assert 0 < result.rendered < result.files // 2
    assert tree(config.out) == tree(full_build(config, tmp_path / "full").out)
    assert build(config).rendered == 0 and leftovers(tmp_path) == []
