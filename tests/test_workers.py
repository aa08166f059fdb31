"""Work under a deadline (:func:`kg.workers.within`): a child that answers, fails or is
stopped, and leaves nothing running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

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
