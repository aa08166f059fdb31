"""Many notes are parsed in a process pool; the result is exactly the serial one: the same
records, the same errors with their file and line, in the same order."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest
from conftest import generate_wiki

import kg.parse
from kg.cache import load_notes
from kg.discover import discover
from kg.errors import BuildFailed
from kg.parse import POOL_MIN, parse_all, pool_size

REPO = Path(__file__).resolve().parent.parent
COUNT = POOL_MIN + 40
BROKEN = {
    "paper-00007.md": "---\ntitle: [unclosed\n---\n",
    "paper-00150.md": "---\ntitle: Fine\nconnections:\n  - to: paper-00001\n"
                      "    rel: counterpont\n---\n",
    "paper-00201.md": b"---\ntitle: Bytes\n---\n\xff\xfe not UTF-8\n",
}


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pool") / "wiki"
    generate_wiki(folder, COUNT, seed=5)
    return folder


def _sources(folder: Path) -> list[tuple[bytes, str, str]]:
    return [(f.path.read_bytes(), f.id, f.rel) for f in discover(folder).files]


@pytest.fixture(scope="module")
def serial(wiki: Path) -> list[object]:
    """The generated wiki parsed in this process."""
    return parse_all(_sources(wiki), jobs=1)  # type: ignore[arg-type]


def test_the_pool_gives_the_serial_records(wiki: Path) -> None:
    assert pool_size(COUNT, 2) == 2
    found = discover(wiki)
    assert load_notes(found, {}, jobs=2) == load_notes(found, {}, jobs=1)


def test_the_pool_gives_the_serial_errors_in_order(wiki: Path, tmp_path: Path) -> None:
    broken = tmp_path / "wiki"
    broken.mkdir()
    for source in wiki.iterdir():
        (broken / source.name).write_bytes(source.read_bytes())
    for name, text in BROKEN.items():
        (broken / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    sources = _sources(broken)
    here = parse_all(sources, jobs=1)  # type: ignore[arg-type]
    assert parse_all(sources, jobs=2) == here  # type: ignore[arg-type]
    errors = {}
    for jobs in (1, 2):
        with pytest.raises(BuildFailed) as err:
            load_notes(discover(broken), {}, jobs=jobs)
        errors[jobs] = err.value.findings
    assert errors[1] == errors[2]
    assert [str(f.where) for f in errors[2]] == ["paper-00007.md:2", "paper-00150.md:5",
                                                 "paper-00201.md:4"]


def test_the_notes_are_parsed_in_other_processes(wiki: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "pids"
    real = kg.parse.parse_note

    def logging(data: bytes, *, nid: str, path: str, **options):  # type: ignore[no-untyped-def]
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        return real(data, nid=nid, path=path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(kg.parse, "parse_note", logging)
    # forked, so the workers see the patch (an earlier test may have left a thread running,
    # e.g. Playwright's, which makes kg spawn instead)
    monkeypatch.setattr(kg.parse, "can_fork", lambda: True)
    parse_all(_sources(wiki), jobs=2)  # type: ignore[arg-type]
    pids = log.read_text(encoding="utf-8").split()
    assert len(pids) == COUNT
    assert str(os.getpid()) not in pids and len(set(pids)) <= 2


def test_few_notes_or_one_job_parse_here(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pool_size(POOL_MIN - 1, 8) == 1
    assert pool_size(10_000, 1) == 1
    assert pool_size(POOL_MIN, 8) == 2  # at least half of POOL_MIN notes a process
    monkeypatch.setenv("KG_JOBS", "1")
    assert pool_size(10_000) == 1
    monkeypatch.setenv("KG_JOBS", "3")
    assert pool_size(10_000) == 3
    monkeypatch.delenv("KG_JOBS")
    every_cpu = pool_size(10_000)
    monkeypatch.setenv("KG_JOBS", "many")  # as the page renderer reads it: not a number
    assert pool_size(10_000) == every_cpu


def test_with_another_thread_running_the_workers_are_spawned(
        wiki: Path, serial: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked child could inherit a lock another thread (kg serve's) holds."""
    methods: list[str | None] = []
    real = multiprocessing.get_context

    def spy(method: str | None = None):  # type: ignore[no-untyped-def]
        methods.append(method)
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    sources = _sources(wiki)
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        pooled = parse_all(sources, jobs=2)  # type: ignore[arg-type]
    finally:
        stop.set()
        watcher.join()
    assert methods == ["spawn"]
    assert pooled == serial
