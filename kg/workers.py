"""How many worker processes kg uses, and whether it may fork them: one answer for the
parser's pool (:func:`kg.parse.parse_all`) and the page renderer's (:mod:`kg.incremental`)."""

from __future__ import annotations

import os
import sys
import threading


def jobs_wanted() -> int:
    """Worker processes: ``KG_JOBS`` if set (1 turns the pools off), else the CPUs usable."""
    value = os.environ.get("KG_JOBS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork only where it is safe: Linux, and no other thread (``kg serve``'s watcher) whose
    locks a child could inherit held."""
    return sys.platform == "linux" and threading.active_count() == 1
