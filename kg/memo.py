"""What ``kg serve``'s next build takes again of the last one's: a value made of a tuple of
records, while the records are equal (:class:`LastMade`); a value made of each record, while
it is the very same record (:class:`PerRecord`).

``kg serve`` builds again and again in one process, and most edits (a note's text) leave
most of what a build derives as it was: the 71,000 edges of a 10,000-note wiki, the index
of them, the graph's edge records; every record but the edited note's. Comparing the new
tuple with the last one, or looking each record up by its address, costs a C loop over
mostly the very same objects; making the value again, a Python loop over all of them.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")

_between_builds = False


def keep_between_builds(keep: bool = True) -> None:
    """Have the values made of each record (:class:`PerRecord`, and the tables of the same
    kind in kg's modules) kept for the next build of this process: ``kg serve``'s. A single
    build (``kg build``) keeps none past its end: at 10,000 notes they are 10 MB more at the
    peak of a full build, in each process that made them."""
    global _between_builds
    _between_builds = keep


def between_builds() -> bool:
    """Whether this process builds again (:func:`keep_between_builds`)."""
    return _between_builds


class LastMade(Generic[T]):
    """``make(records)``, made again only when ``records`` differ from the last call's: the
    last value otherwise. Records equal but not the same objects (a resolution made anew)
    are kept in the last ones' place, so that the next comparison is by identity.

    ``patch(value, changes)``, if given, makes the value from the last one when as many
    records came, a few of them changed (``changes``: each changed place with the old and
    the new record), or gives None to have it made again.

    ``identical``: the records must be the very same objects, not equal ones, for a value
    that holds them (a list of notes), which identity-keyed tables downstream look up."""

    def __init__(self, make: Callable[[tuple[Any, ...]], T],
                 patch: Callable[[T, list[tuple[int, Any, Any]]], T | None] | None = None,
                 *, identical: bool = False) -> None:
        self._make = make
        self._patch = patch
        self._identical = identical
        self._of: tuple[Any, ...] | None = None
        self._value: T | None = None

    def _same(self, last: tuple[Any, ...] | None, records: tuple[Any, ...]) -> bool:
        if last is records:
            return True
        if last is None or not self._identical:
            return last == records
        return len(last) == len(records) and all(map(operator.is_, last, records))

    def __call__(self, records: tuple[Any, ...]) -> T:
        last, value = self._of, self._value
        if value is None or not self._same(last, records):
            patched = None
            if (self._patch is not None and value is not None and last is not None
                    and len(last) == len(records)):
                changes = _changes(last, records)
                if len(changes) <= max(64, len(records) // 100):  # an edit's few
                    patched = self._patch(value, changes)
            self._value = value = patched if patched is not None else self._make(records)
        self._of = records
        return value

    def forget(self) -> None:
        """Let the last records and value go (a test's fresh start)."""
        self._of = self._value = None


def places(items: list[Any], value: Any) -> Iterator[int]:
    """Each place of ``items`` that holds ``value`` (compared as ``list.index`` does), found
    in C: the few an edit changed among 10,000."""
    at = -1
    with contextlib.suppress(ValueError):
        while True:
            at = items.index(value, at + 1)
            yield at


def others(old: Iterable[Any], new: Iterable[Any]) -> Iterator[int]:
    """Each place where ``new`` holds another object than ``old`` (compared in C)."""
    return places(list(map(operator.is_, old, new)), False)


def changed_keys(old: Mapping[K, Any], new: Mapping[K, Any]) -> list[K]:
    """The keys whose values differ, or that only one of the two has; compared in C (the
    tables of an edit's build: 10,000 notes, a few changed; most often none)."""
    if old == new:
        return []
    keys = list(old.keys() | new.keys())
    same = map(operator.eq, map(old.get, keys), map(new.get, keys))
    return list(itertools.compress(keys, map(operator.not_, same)))


def _changes(old: tuple[Any, ...], new: tuple[Any, ...]) -> list[tuple[int, Any, Any]]:
    """Each place where ``new`` holds another object than ``old``, with both."""
    return [(at, old[at], new[at]) for at in others(old, new)]


class PerRecord:
    """A value made of each frozen record (a tracked question, a note), kept by the record's
    identity from one build to the next (``kg serve``: an edit makes a few records anew, of
    25,000): looked up in C, the records not touched beyond their address."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self._make = make
        self._values: dict[int, Any] = {}
        self._held: dict[int, Any] = {}  # so that no other object has their ids

    def of(self, records: Sequence[Any]) -> list[Any]:
        """The value of each of ``records``, in order, held for the next call while this
        process builds again (:func:`keep_between_builds`)."""
        ids = list(map(id, records))
        values = self._values
        found = list(map(values.get, ids))
        made = filled(found, records, self._make)
        if not _between_builds:
            if values:  # (a serve before, in this process)
                self._values, self._held = {}, {}
            return found
        if len(values) > 2 * len(records) + 64:  # most gone: only the records' kept
            self._values = dict(zip(ids, found, strict=True))
            self._held = dict(zip(ids, records, strict=True))
        else:  # the records gone since are let go once they are most
            for at in made:
                values[ids[at]] = found[at]
                self._held[ids[at]] = records[at]
        return found


def kept_values(keys: Sequence[Any], same: Sequence[Sequence[Any]],
                equal: Sequence[Sequence[Any]], last: dict[Any, tuple[Any, ...]],
                make: Callable[[int], Any]) -> tuple[list[Any], dict[Any, tuple[Any, ...]]]:
    """A value for each of ``keys``: the ``last`` call's where each of its parts is as it
    was, those of ``same`` the very same objects (records), those of ``equal`` equal
    (ids, counts, tuples of records); else ``make`` of its place. Gives the values, and the
    ``last`` of the next call (empty unless this process builds again). Each part is
    compared in C, for 10,000 notes: a Python loop would ask a few dictionaries each."""
    width = len(same) + len(equal)
    unknown = tuple(object() for _ in range(width + 1))  # equal to nothing
    known = list(map(last.get, keys, repeat(unknown)))
    ok = [True] * len(keys)
    for at, part in enumerate(same):
        ok = list(map(operator.and_, ok, map(operator.is_, map(itemgetter(at), known), part)))
    for at, part in enumerate(equal, len(same)):
        ok = list(map(operator.and_, ok, map(operator.eq, map(itemgetter(at), known), part)))
    values = list(map(itemgetter(width), known))
    for at in places(ok, False):
        values[at] = make(at)
    kept = dict(zip(keys, zip(*same, *equal, values, strict=True), strict=True)) if (
        _between_builds) else {}
    return values, kept


def filled(found: list[Any], records: Sequence[Any], make: Callable[[Any], Any]) -> list[int]:
    """Fill each None of ``found`` (values looked up for ``records``, in order) with
    ``make`` of its record, found in C (an edit leaves one of 10,000); the places filled."""
    made = list(places(found, None))
    for at in made:
        found[at] = make(records[at])
    return made
