"""A cache file is data: a planted pickle cannot run code when a query loads it."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from kg.cachefile import SafeUnpickler, safe_loads


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_naming_os_system_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = pickle.dumps(_Exploit(marker))
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(data)
    assert not marker.exists()


def test_getattr_gadgets_are_refused() -> None:
    data = pickle.dumps(getattr)
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(data)


def test_records_round_trip(sample_config) -> None:  # type: ignore[no-untyped-def]
    from kg.build import load_wiki
    from kg.cachefile import dumps

    wiki = load_wiki(sample_config)
    note = wiki.notes["import-ai-455"]  # type: ignore[index]
    back = safe_loads(dumps(note))
    assert back == note
    assert isinstance(SafeUnpickler, type)


class _RecordOf:
    """Pickles as the cache's record maker applied to ``kind``."""

    def __init__(self, kind: type, fields: tuple[object, ...]) -> None:
        self.kind, self.fields = kind, fields

    def __reduce__(self):  # type: ignore[no-untyped-def]
        from kg.cachefile import _record

        return (_record, (self.kind, self.fields))


def test_the_record_maker_makes_only_records() -> None:
    """Loading makes records without their ``__init__``; a pickle that hands the maker a
    class that is not a record (here kg's settings) is refused, and so is one outside kg."""
    from kg.config import Config
    from kg.model import Section

    made = safe_loads(pickle.dumps(_RecordOf(Section, ("tldr", "TL;DR", 3, "body", 0, 4))))
    assert made == Section("tldr", "TL;DR", 3, "body", 0, 4)
    with pytest.raises(Exception, match=r"not a record|may not"):
        safe_loads(pickle.dumps(_RecordOf(Config, ())))
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(pickle.dumps(_RecordOf(Path, ("x",))))


def test_loaded_notes_share_their_front_matter_names(sample_config) -> None:  # type: ignore[no-untyped-def]
    """The names of a note's front-matter fields (the same few in every note) are one
    string each once loaded, not a copy per note."""
    from kg.build import load_wiki
    from kg.cachefile import dumps

    notes = list(load_wiki(sample_config).notes.values())
    loaded = [safe_loads(dumps(note)) for note in notes]
    assert loaded == notes
    names = [next(k for k in note.field_lines if k == "title") for note in loaded
             if "title" in note.field_lines]
    assert len(names) > 3 and all(name is names[0] for name in names)


def test_a_planted_cache_file_is_rebuilt_not_run(tmp_path: Path) -> None:
    import shutil

    from kg.cache import load_wiki_cached
    from kg.cachefile import cache_file
    from kg.config import Config

    shutil.copytree(Path(__file__).resolve().parent.parent / "wiki", tmp_path / "wiki")
    sample_config = Config(root=tmp_path, wiki=tmp_path / "wiki", out=tmp_path / "site")
    load_wiki_cached(sample_config)
    marker = tmp_path / "pwned"
    target = cache_file(sample_config)
    for path in [target, *target.parent.glob("*.pickle")]:
        path.write_bytes(pickle.dumps(_Exploit(marker)))
    wiki = load_wiki_cached(sample_config)
    assert "import-ai-455" in wiki.notes
    assert not marker.exists()


DEEP_JSON = "[" * 100_000 + "]" * 100_000
"""JSON nested past Python's stack: ``json.loads`` raises RecursionError, no ValueError."""


def test_planted_json_nested_past_the_stack_is_a_damaged_file_not_a_traceback(
        write_wiki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The site's manifest beside the cache, the push state and a vault's
    .obsidian/app.json are read as JSON; nested past the stack, each had been a traceback of
    kg build, kg push and kg init."""
    from kg.build import build
    from kg.errors import ConfigError
    from kg.incremental import manifest_path
    from kg.push import read_state, write_state
    from kg.scaffold import init

    config = write_wiki({"a.md": "# A\n"})
    build(config)
    manifest_path(config).write_text(DEEP_JSON, encoding="utf-8")
    (config.wiki / "a.md").write_text("# A\nEdited.\n", encoding="utf-8")
    assert build(config).rendered == build(config, full=True).rendered  # made again, whole
    state = tmp_path / ".kg" / "push-state.json"
    state.write_text(DEEP_JSON, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the push state"):
        read_state(state, "http://127.0.0.1:7878/store")
    write_state(state, "http://127.0.0.1:7878/store", {"g": "h"})  # replaced, as damaged
    assert read_state(state, "http://127.0.0.1:7878/store") == {"g": "h"}
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".obsidian" / "app.json").write_text(DEEP_JSON, encoding="utf-8")
    init(vault)
    assert "line_breaks = true" in (vault / "kg.toml").read_text(encoding="utf-8")
