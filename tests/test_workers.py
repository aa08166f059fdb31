"""Work under a deadline (:func:`kg.workers.within`): a child that answers, fails or is
stopped, and leaves nothing running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import ctrl_c_when_ready

from kg.workers import TimedOut, within


def _fail() -> int:
    raise ValueError("no such thing")


def test_the_child_s_answer_and_error_come_back() -> None:
    assert within(10, lambda: {"rows": [1, 2, 3], "pid": os.getpid()})["rows"] == [1, 2, 3]
    assert within(10, lambda: os.getpid()) != os.getpid()  # it did run elsewhere
    with pytest.raises(RuntimeError, match="no such thing"):
        within(10, _fail)


def _children() -> set[str]:
    """This process's children, zombies included (until waited for)."""
    return {pid for task in Path("/proc/self/task").iterdir()
            for pid in (task / "children").read_text().split()}


def test_work_past_its_deadline_is_stopped_and_reaped() -> None:
    before = _children()
    started = time.monotonic()
    with pytest.raises(TimedOut, match=r"stopped after 0\.5 s"):
        within(0.5, lambda: time.sleep(60))
    assert time.monotonic() - started < 10
    assert _children() <= before  # killed and waited for: no child left behind


def test_a_child_that_dies_without_answering_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="stopped before it was done"):
        within(10, lambda: os._exit(3))


def test_other_threads_do_not_lift_the_deadline() -> None:
    """A server's thread (kg serve's, a test's) must not turn the limit off."""
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        with pytest.raises(TimedOut):
            within(0.5, lambda: time.sleep(60))
        assert within(10, lambda: 7) == 7
    finally:
        stop.set()
        other.join()


CTRL_C_SCRIPT = """
import os, sys, time
from pathlib import Path
import kg.incremental, kg.parse
from kg.build import build
from kg.config import Config

root, pool = Path(sys.argv[1]), sys.argv[2]
ready = root / "ready"
parent = os.getpid()

def first():  # whether this is the first process here: it says it has begun
    try:
        os.close(os.open(ready, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True

real_run = kg.incremental.Emitter.run

def run(self, task):  # this process makes a page slowly, its worker waits for more
    if os.getpid() == parent and first():
        time.sleep(60)
    return real_run(self, task)

def parse(chunk, **options):  # one worker parses slowly, the other is done and waits for more
    if first():
        time.sleep(60)
    return b""

kg.incremental.PARALLEL_MIN = 1
kg.parse.POOL_MIN = 2
if pool == "pages":
    kg.incremental.Emitter.run = run
else:
    kg.parse._parse_pickled = parse
config = Config(root=root, wiki=root / "wiki", out=root / "site")
try:
    build(config, jobs=2 if pool == "pages" else 3)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
@pytest.mark.parametrize("pool", ["pages", "parse"])
def test_ctrl_c_stops_a_pool_s_workers_without_a_traceback(tmp_path: Path, pool: str) -> None:
    """Ctrl-C goes to every process of the command (``kg build``, ``kg serve`` in the
    middle of a rebuild): each worker of the pool printed the traceback of the
    KeyboardInterrupt that ended it. They end without a word; the command says it stopped."""

    wiki = tmp_path / "wiki"
    wiki.mkdir()
    for n in range(60):
        (wiki / f"n{n}.md").write_text(f"---\ntitle: N{n}\n---\nx\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    code, err = ctrl_c_when_ready(CTRL_C_SCRIPT, str(tmp_path), pool, ready=tmp_path / "ready",
                                  env=env, settle=0.3)
    assert code == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
