"""What ``kg serve``'s next build takes again of the last one's: a value made of a tuple of
records, while the records are equal.

``kg serve`` builds again and again in one process, and most edits (a note's text) leave
most of what a build derives as it was: the 71,000 edges of a 10,000-note wiki, the index
of them, the graph's edge records. Comparing the new tuple with the last one costs a C loop
over mostly the very same objects; making the value again, a Python loop over all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class LastMade(Generic[T]):
    """``make(records)``, made again only when ``records`` differ from the last call's: the
    last value otherwise. Records equal but not the same objects (a resolution made anew)
    are kept in the last ones' place, so that the next comparison is by identity."""

    def __init__(self, make: Callable[[tuple[Any, ...]], T]) -> None:
        self._make = make
        self._of: tuple[Any, ...] | None = None
        self._value: T | None = None

    def __call__(self, records: tuple[Any, ...]) -> T:
        if self._value is None or not (self._of is records or self._of == records):
            self._value = self._make(records)
        self._of = records
        return self._value

    def forget(self) -> None:
        """Let the last records and value go (a test's fresh start)."""
        self._of = self._value = None
