"""Sorting more lines than a build should hold at once: the graph's N-Triples (a million
lines, 220 MB as Python strings, at 10,000 notes).

The lines are sorted in runs of a bounded size, each run kept in a temporary file, and the
runs merged into the output. UTF-8's byte order is the characters' order, so the bytes
written are those of sorting every line in memory. Lines come nearly in order (note by
note), so the runs barely overlap: the merge copies each stretch that no other run
interleaves as one slice, rather than line by line as :func:`heapq.merge` would (1.6 s
for a million lines).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from kg.cachefile import scratch_file

RUN_LINES = 200_000
"""Lines sorted together in memory (about 40 MB of N-Triples)."""

_READ = 1 << 20
"""Bytes of a run read at a time."""


def write_sorted_unique(groups: Iterable[list[str]], out: IO[bytes], *,
                        run_lines: int | None = None, folder: Path | None = None) -> None:
    """Every line of ``groups`` (lists of lines without their newlines), sorted, each once,
    into ``out`` as UTF-8 lines ending in ``\\n``; ``run_lines`` (default
    :data:`RUN_LINES`) sorted together at most, the runs kept in ``folder`` (else the
    system's temporary folder, which may be memory; where neither takes a file, the runs
    are kept in memory).

    A line is merged with its newline, which orders the lines as without unless one line
    is the start of another followed by a character below ``\\n`` (a tab): an N-Triples
    line is one whole statement, never the start of another."""
    run_lines = run_lines or RUN_LINES
    with contextlib.ExitStack() as stack:
        runs: list[IO[bytes]] = []
        batch: list[str] = []

        def spill() -> None:
            run = stack.enter_context(scratch_file("kg-sort-", folder))
            _spill(batch, run)
            run.seek(0)
            runs.append(run)
            batch.clear()

        for group in groups:
            batch += group
            if len(batch) >= run_lines:
                spill()
        if not runs:  # all of it fitted in one run: no file
            _spill(batch, out)
            return
        if batch:
            spill()
        _merge(runs, out)


def _spill(batch: list[str], f: IO[bytes]) -> None:
    """``batch`` sorted, each line once, into ``f``."""
    batch.sort()  # made note by note, nearly in order: timsort takes the runs as they are
    unique = [line for line, _ in itertools.groupby(batch)]
    for start in range(0, len(unique), 8192):
        f.write(("\n".join(unique[start:start + 8192]) + "\n").encode("utf-8"))


def _merge(runs: list[IO[bytes]], out: IO[bytes]) -> None:
    """The sorted lines of ``runs`` (each sorted, each line once in it) merged into ``out``,
    each line once."""
    buffers: list[list[bytes]] = []  # each run's lines read and not yet written
    at: list[int] = []  # where the unwritten lines of each buffer begin
    heads: list[bytes] = []  # the least unwritten line of each run
    live: list[IO[bytes]] = []
    for run in runs:
        if lines := run.readlines(_READ):
            buffers.append(lines)
            at.append(0)
            heads.append(lines[0])
            live.append(run)
    last = b""
    while len(live) > 1:
        # the run with the least next line writes all its lines up to the others' least
        first, second = sorted(range(len(heads)), key=heads.__getitem__)[:2]
        lines, start = buffers[first], at[first]
        end = bisect.bisect_right(lines, heads[second], start)
        if lines[start] == last:  # written from another run already
            start += 1
        out.write(b"".join(lines[start:end]))
        last = lines[end - 1]
        if end < len(lines):
            at[first], heads[first] = end, lines[end]
        elif more := live[first].readlines(_READ):
            buffers[first], at[first], heads[first] = more, 0, more[0]
        else:
            for held in (buffers, at, heads, live):
                del held[first]
    if live:  # the last run: the rest of it as it is
        lines, start = buffers[0], at[0]
        if lines[start] == last:
            start += 1
        out.write(b"".join(lines[start:]))
        shutil.copyfileobj(live[0], out, _READ)
