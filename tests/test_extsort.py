"""Sorting in bounded runs (:mod:`kg.extsort`): the same bytes as sorting every line at once."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg.extsort
from kg.extsort import write_sorted_unique

# Lines as N-Triples lines are: no line the start of another and then a character below "\n"
# (here: none below " "), some not ASCII.
LINE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF,
                             exclude_categories=("Cs",)), max_size=12).map(lambda s: s + " .")


def sorted_at_once(groups: list[list[str]]) -> bytes:
    return "".join(line + "\n" for line in sorted({x for g in groups for x in g})).encode()


def written(groups: list[list[str]], run_lines: int, folder: Path | None = None) -> bytes:
    out = io.BytesIO()
    write_sorted_unique(iter(groups), out, run_lines=run_lines, folder=folder)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(groups=st.lists(st.lists(LINE, max_size=8), max_size=30),
       run_lines=st.integers(min_value=1, max_value=12),
       read=st.sampled_from([1, 16, 1 << 20]))  # a run read a line at a time, a few, whole
def test_runs_merged_are_the_lines_sorted_each_once(groups: list[list[str]],
                                                   run_lines: int, read: int) -> None:
    with mock.patch.object(kg.extsort, "_READ", read):
        assert written(groups, run_lines) == sorted_at_once(groups)


def test_a_line_in_every_run_is_written_once() -> None:
    groups = [["b .", "a .", "z ."], ["a .", "m ."], ["a .", "é ."], ["a .", "b ."]]
    assert written(groups, run_lines=2) == b"a .\nb .\nm .\nz .\n\xc3\xa9 .\n"


@pytest.mark.parametrize("read", [1, 64, 1 << 20])
def test_runs_that_do_not_overlap_are_copied_in_order(read: int) -> None:
    groups = [[f"{i:06d} ."] for i in range(5000)]
    with mock.patch.object(kg.extsort, "_READ", read):  # the last run's rest copied as is
        out = written(groups, run_lines=100)
    assert out == sorted_at_once(groups)
    assert out.count(b"\n") == 5000


def test_runs_are_kept_in_the_folder_given_else_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporary_folders: list[Any]) -> None:
    groups = [[f"{i % 7} {i} ."] for i in range(40)]
    assert written(groups, run_lines=10, folder=tmp_path) == sorted_at_once(groups)
    assert temporary_folders == [tmp_path] * 4

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("no room for temporary files")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    assert written(groups, run_lines=10, folder=tmp_path) == sorted_at_once(groups)


def test_nothing_to_sort_writes_nothing() -> None:
    assert written([], run_lines=3) == b""
    assert written([[], []], run_lines=3) == b""
