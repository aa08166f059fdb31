"""Two builds of the same wiki are byte-identical, whatever the hash seed or the clock.

Each build runs ``kg build`` in its own process, with its own ``PYTHONHASHSEED`` (so set and
dict-of-str iteration orders differ) and a fake clock years apart (so any date taken from the
clock instead of the notes or ``SOURCE_DATE_EPOCH`` shows up as a difference).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kg

REPO = Path(kg.__file__).resolve().parents[1]

FAKE_CLOCK_BUILD = """
import datetime, sys, time

NOW = float(sys.argv.pop(1))
_date, _datetime = datetime.date, datetime.datetime


class FakeDate(_date):
    @classmethod
    def today(cls):
        return _date.fromtimestamp(NOW)


class FakeDateTime(_datetime):
    @classmethod
    def now(cls, tz=None):
        return _datetime.fromtimestamp(NOW, tz)

    @classmethod
    def utcnow(cls):
        return _datetime.fromtimestamp(NOW, datetime.timezone.utc).replace(tzinfo=None)

    @classmethod
    def today(cls):
        return _datetime.fromtimestamp(NOW)


datetime.date, datetime.datetime = FakeDate, FakeDateTime
time.time = lambda: NOW
time.time_ns = lambda: int(NOW * 1e9)

from kg.cli import main
main()
"""

YEAR_2001, YEAR_2099 = 978307200.0, 4102358400.0


def run_build(wiki: Path, out: Path, seed: str, clock: float) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update(PYTHONHASHSEED=seed, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", FAKE_CLOCK_BUILD, str(clock), "build", "--wiki", str(wiki),
         "--out", str(out), "-q"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    """The sample wiki with the hostile render corpus beside it: many odd strings to order."""
    shutil.copytree(REPO / "wiki", tmp_path / "wiki")
    shutil.copytree(REPO / "tests" / "hostile" / "render", tmp_path / "wiki" / "hostile")
    return tmp_path / "wiki"


def test_builds_are_byte_identical_across_hash_seeds_and_clocks(
    tmp_path: Path, wiki: Path
) -> None:
    run_build(wiki, tmp_path / "a", "1", YEAR_2001)
    run_build(wiki, tmp_path / "b", "4242", YEAR_2099)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert different == [], f"these files differ between the two builds: {different}"
    assert len(a) > 20


def test_no_clock_year_reaches_the_site(tmp_path: Path, wiki: Path) -> None:
    run_build(wiki, tmp_path / "a", "7", YEAR_2099)
    for name, data in tree(tmp_path / "a").items():
        if name.startswith("assets/vendor/"):  # third-party files, copied as they are
            assert data == (REPO / "templates" / name).read_bytes()
            continue
        assert b"2099" not in data, f"{name} shows the (fake) clock's year"
