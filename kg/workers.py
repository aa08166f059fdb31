"""How many worker processes kg uses, and whether it may fork them: one answer for the
parser's pool (:func:`kg.parse.parse_all`) and the page renderer's (:mod:`kg.incremental`);
work given a deadline in a child of its own (:func:`within`); workers that end with the
process that made them (:func:`die_with_parent`); and memory handed back
(:func:`release_memory`)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kg.ids import small_number

T = TypeVar("T")


def jobs_wanted() -> int:
    """Worker processes: ``KG_JOBS`` if set (1 turns the pools off), else the CPUs usable."""
    value = os.environ.get("KG_JOBS", "").strip()
    if small_number(value) and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork only where it is safe: Linux, and no other thread (``kg serve``'s watcher) whose
    locks a child could inherit held."""
    return sys.platform == "linux" and threading.active_count() == 1


def quiet_on_interrupt() -> None:
    """A pool's worker's start: Ctrl-C, which the terminal sends to every process of the
    command, ends the worker as it ends a program that does not handle it, without a word
    (the command says that it stopped). Python's own handler printed the traceback of each
    worker that was waiting for work."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


class TimedOut(Exception):
    """Raised by :func:`within` when the work took longer than it was allowed."""


class Died(RuntimeError):
    """:func:`within`'s child ended before it could say how its work went: ``signal`` is
    the signal that ended it (SIGSEGV, a stack overflowed; SIGABRT, Rust's allocator
    refused more memory), or None."""

    def __init__(self, message: str, signal: int | None) -> None:
        super().__init__(message)
        self.signal = signal


class NoProcess(RuntimeError):
    """Raised by :func:`within` when no process could be started for the work."""


def within(seconds: float | None, call: Callable[[], T], *,
           keep: tuple[type[Exception], ...] = (), memory: int | None = None) -> T:
    """``call()``, stopped after ``seconds`` (None: when this process is interrupted, by
    Ctrl-C, only): for work this process cannot interrupt (a SPARQL query runs in Rust and
    hears no signal until it is done).

    It runs in a forked child, killed at the deadline (:class:`TimedOut`) or when this
    process is interrupted; its result comes back pickled, and what it took in memory goes
    with it. An exception of ``call`` is a ``RuntimeError`` saying it, but one of ``keep``,
    raised as it was; a child that ends without a word is :class:`Died`. With ``memory``,
    the child may take that many bytes more than it holds (:func:`limit_memory`: past it,
    Rust's allocator aborts, a :class:`Died` of SIGABRT). It forks even while
    other threads run (:func:`can_fork` would not): a child that needs a lock one of them
    held would wait, and is stopped at the deadline like any other. Where there is no fork
    (not Linux), it is called here, without a limit.
    """
    if not sys.platform.startswith("linux"):
        return call()
    import pickle
    import select
    import signal
    import time

    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError as err:  # no process to spare (EAGAIN, ENOMEM)
        os.close(read)
        os.close(write)
        raise NoProcess(f"could not start a process for it: {err}") from err
    if pid == 0:  # pragma: no cover - the child (measured by its parent's tests)
        code = 0
        try:
            os.close(read)
            # stopped by the clock too, whatever becomes of the parent (killed outright) or
            # of the child (waiting on a lock another thread held when it forked)
            with contextlib.suppress(ValueError):  # (the default already, unless set)
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
            if seconds is not None:
                signal.alarm(int(seconds) + 2)
            if memory is not None:
                limit_memory(memory)
            try:
                data = pickle.dumps((True, call()))
            except keep as err:  # said in the parent as it is
                data = pickle.dumps((False, err))
            except Exception as err:  # said in the parent
                data = pickle.dumps((False, RuntimeError(str(err) or type(err).__name__)))
            with os.fdopen(write, "wb") as out:
                out.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)  # no atexit handlers, no flush of buffers the parent holds too
    os.close(write)
    chunks: list[bytes] = []
    deadline = None if seconds is None else time.monotonic() + seconds
    finished = False
    try:
        while not finished:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and (left <= 0 or not select.select([read], [], [], left)[0]):
                raise TimedOut(f"stopped after {seconds:g} s")
            chunk = os.read(read, 1 << 16)
            chunks.append(chunk)
            finished = not chunk  # the child closed its end: done
    finally:
        os.close(read)
        if not finished:  # out of time, or this process interrupted: the child goes too
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
    try:
        done, value = pickle.loads(b"".join(chunks))
    except Exception as err:  # the child died before it could say (killed, out of memory)
        raise Died("the work stopped before it was done",
                   os.WTERMSIG(status) if os.WIFSIGNALED(status) else None) from err
    if not done:
        raise value
    return value  # type: ignore[no-any-return]


def limit_memory(extra: int) -> None:
    """Let this process (a child of :func:`within`) take at most ``extra`` bytes more than
    it holds now, its address space limited, never above the user's ``ulimit -v``; and
    say nothing on stderr (Rust's allocator prints its backtrace there as it aborts: the
    parent says what happened). A query of a shared wiki (``VALUES`` joined with
    ``VALUES``) grew by 120 MB a second until its deadline."""
    import resource

    with open("/proc/self/statm", "rb") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    os.close(quiet)


def die_with_parent(parent: int) -> None:
    """Make this worker process end when ``parent``, the process that forked it, does (a
    pool's ``initializer``, with ``initargs=(os.getpid(),)``). A pool's worker waits for
    work on a pipe whose other end it holds too, so it never hears that its parent is gone:
    a build killed by SIGTERM or SIGKILL (``timeout``, a cancelled CI job, the OOM killer)
    left its workers waiting forever, holding the wiki's build lock
    (:func:`kg.build.output_lock`), and every later build waited for them. Linux's
    ``PR_SET_PDEATHSIG`` sends this one SIGKILL instead; elsewhere nothing is done."""
    import ctypes
    import signal

    if sys.platform != "linux":  # pragma: no cover - pools fork only on Linux
        return
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def worker_started(parent: int) -> None:
    """A pool's worker's start (its ``initializer``, with ``initargs=(os.getpid(),)``):
    quiet on Ctrl-C (:func:`quiet_on_interrupt`) and ended with its parent
    (:func:`die_with_parent`)."""
    quiet_on_interrupt()
    die_with_parent(parent)


def flush_output() -> None:
    """Flush standard output and error, those there are (a process started with one closed
    has None there) and that still take it (a closed pipe): before a fork, so that the
    child does not write the parent's buffered text again, and before ``os._exit``."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def release_memory() -> None:
    """Hand the memory freed since to the system (glibc's ``malloc_trim``): the heap of a
    process that made a large page keeps the freed space, and a build's two processes had
    kept 90 MB so at 10,000 notes. Elsewhere, nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has none)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
