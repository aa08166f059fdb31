"""Front-matter on strings: every form a note may use, and every error with its file line."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.errors import KgError, NoteError
from kg.frontmatter import Node, load, normalise_newlines, split


def values(node: Node) -> object:
    """A Node tree as plain Python values (lines dropped)."""
    if isinstance(node.value, list):
        return [values(n) for n in node.value]
    if isinstance(node.value, dict):
        return {k: values(v) for k, v in node.value.items()}
    return node.value


def fields(front: str) -> dict[str, object]:
    return {k: values(v) for k, v in load(front, file="a.md").items()}


# -- the YAML loader keeps what was written --------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("answer: NO", "NO"),  # YAML 1.1 would make this False
        ("flag: yes", "yes"),
        ("off: off", "off"),
        ("zip: 012345", "012345"),  # octal / int surprise
        ("hex: 0x1F", "0x1F"),
        ("time: 1:20", "1:20"),  # sexagesimal 80 in YAML 1.1
        ("date: 2026-05-04", "2026-05-04"),  # stays a string until kg.parse types it
        ("version: 1.10", "1.10"),  # not the float 1.1
        ("tier: 1", "1"),
        ("quoted: 'NO'", "NO"),
        ("inf: .inf", ".inf"),
    ],
)
def test_scalars_are_kept_as_written(yaml_text: str, expected: str) -> None:
    key = yaml_text.split(":")[0]
    assert fields(yaml_text)[key] == expected


def test_null_forms_become_none_but_quoted_empty_does_not() -> None:
    got = fields("a:\nb: ~\nc: null\nd: ''\ne: 'null'\n")
    assert got == {"a": None, "b": None, "c": None, "d": "", "e": "null"}


def test_lists_block_and_flow() -> None:
    got = fields("authors: [Jack Clark, 'Ada L']\ntags:\n  - one\n  - two\n")
    assert got == {"authors": ["Jack Clark", "Ada L"], "tags": ["one", "two"]}


def test_flow_and_block_mappings() -> None:
    got = fields('source: {title: "Import AI 455", url: "https://x.org/", publisher: Import AI}\n'
                 "nested:\n  a: 1\n  b: [x]\n")
    assert got["source"] == {"title": "Import AI 455", "url": "https://x.org/",
                             "publisher": "Import AI"}
    assert got["nested"] == {"a": "1", "b": ["x"]}


def test_every_node_remembers_its_file_line() -> None:
    loaded = load("title: T\ntags:\n  - one\n  - two\nsource: {url: 'https://x.org'}\n",
                  first_line=2, file="a.md")
    assert loaded["title"].line == 2
    assert [n.line for n in loaded["tags"].value] == [4, 5]  # type: ignore[union-attr]
    assert loaded["source"].value["url"].line == 6  # type: ignore[index]


def test_empty_front_matter_is_no_fields() -> None:
    assert load("", file="a.md") == {}
    assert load("# only a comment\n", file="a.md") == {}


# -- splitting a note into front-matter and body ----------------------------------------------


def test_split_front_matter_and_body_lines() -> None:
    parts = split("---\ntitle: A\n---\n# Body\ntext\n", file="a.md")
    assert parts.front == "title: A\n"
    assert parts.front_line == 2
    assert parts.body == "# Body\ntext\n"
    assert parts.body_line == 4


def test_split_accepts_dots_as_closer_and_no_trailing_newline() -> None:
    assert split("---\ntitle: A\n...\nbody", file="a.md").body == "body"
    parts = split("---\ntitle: A\n---", file="a.md")
    assert parts.front == "title: A\n" and parts.body == ""


def test_no_front_matter_is_all_body() -> None:
    parts = split("# Just a heading\n---\nnot front-matter\n", file="a.md")
    assert parts.front is None and parts.body_line == 1
    assert split("----\ntitle: x\n----\n", file="a.md").front is None


def test_bom_crlf_and_cr_only_are_normalised() -> None:
    assert normalise_newlines("\ufeff---\r\ntitle: A\r\n---\r\nx\r\n") == "---\ntitle: A\n---\nx\n"
    assert normalise_newlines("---\rtitle: A\r---\rx\r") == "---\ntitle: A\n---\nx\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf---\r\ntitle: NO\r\ndate: 2026-05-04\r\n---\r\n## TL;DR\r\nHello [[b]].\r\n",
        b"---\rtitle: NO\rdate: 2026-05-04\r---\r## TL;DR\rHello [[b]].\r",
        b"---\ntitle: NO\ndate: 2026-05-04\n---\n## TL;DR\nHello [[b]].\n",
    ],
    ids=["bom-crlf", "cr-only", "lf"],
)
def test_note_reads_the_same_with_any_line_ends(parse, raw: bytes) -> None:
    note = parse(raw)
    assert note.title == "NO"
    assert note.date == dt.date(2026, 5, 4)
    assert note.body_line == 5
    assert [(m.target, m.line) for m in note.mentions] == [("b", 6)]
    assert note.summary == "Hello b."


# -- errors name the file and the line --------------------------------------------------------


def error_of(parse, text: str | bytes) -> NoteError:
    with pytest.raises(NoteError) as info:
        parse(text, "notes/bad.md")
    err = info.value
    assert err.file == "notes/bad.md"
    assert str(err).startswith(f"notes/bad.md:{err.line}: ")
    return err


def test_duplicate_key_names_both_lines(parse) -> None:
    err = error_of(parse, "---\ntitle: A\ntags: [x]\ntitle: B\n---\n")
    assert err.line == 4
    assert "'title'" in err.message and "2" in err.message and "4" in err.message


def test_duplicate_key_inside_a_connection(parse) -> None:
    err = error_of(parse, "---\ntitle: A\nconnections:\n  - to: b\n    to: c\n---\n")
    assert err.line == 5 and "'to'" in err.message and "lines 4 and 5" in err.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: A\nbase: &x hello\nother: *x\n---\n", 3),
        ("---\ntitle: A\nother: *x\n---\n", 3),
        ("---\na: &a [1, 2]\nb: [*a, *a, *a]\n---\n", 2),
    ],
    ids=["anchor", "alias", "bomb"],
)
def test_anchors_and_aliases_are_refused(parse, text: str, line: int) -> None:
    err = error_of(parse, text)
    assert err.line == line
    assert "anchors and aliases" in err.message


@pytest.mark.parametrize(
    "value", ["!!python/object:os.system ls", "!!python/name:os.system", "!custom x",
              "!!binary aGVsbG8="],
)
def test_yaml_tags_are_refused(parse, value: str) -> None:
    err = error_of(parse, f"---\ntitle: A\nx: {value}\n---\n")
    assert err.line == 3
    assert "tag" in err.message


def test_explicit_str_tag_is_allowed(parse) -> None:
    assert parse("---\ntitle: !!str 012\n---\n").title == "012"


def test_tex_in_double_quotes_is_said_to_need_single_quotes(parse) -> None:
    # YAML reads "\alpha" in double quotes as BEL and "lpha": a TeX title's usual trap.
    err = error_of(parse, '---\ntitle: "Scaling $\\alpha$ laws"\n---\n')
    assert err.line == 2 and "U+0007" in err.message
    assert "'\\a'" in err.hint and "single quotes" in err.hint


def test_unclosed_front_matter(parse) -> None:
    err = error_of(parse, "---\ntitle: A\n\nbody text\n")
    assert err.line == 1
    assert "never closed" in err.message
    assert "---" in err.hint


@pytest.mark.parametrize(
    ("front", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "a single value")],
)
def test_front_matter_must_be_a_mapping(parse, front: str, kind: str) -> None:
    err = error_of(parse, f"---\n{front}---\n")
    assert err.line == 2
    assert kind in err.message and "key: value" in err.hint


def test_invalid_yaml_points_into_the_file(parse) -> None:
    err = error_of(parse, "---\ntitle: A\ndate: 2026-05-04\nauthors: [a, b\n---\n")
    assert err.line is not None and 4 <= err.line <= 5
    assert "not valid YAML" in err.message


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [('---\ntitle: T\ntags: [#ml, "#nlp"]\n---\n', 3, "the [ opened here is never closed"),
     ("---\ntitle: T\ntags: [ml, nlp] #x\nsource: {title: S, tags: [#a]}\n---\n", 4,
      "the [ opened here is never closed"),
     ("---\ntitle: T\nsource: {title: S #1}\n---\n", 3, "flow mapping that starts here")],
    ids=["list", "inner-list", "mapping"],
)
def test_an_unclosed_flow_is_reported_where_it_opened(parse, text: str, line: int,
                                                      said: str) -> None:
    """A # in a flow list comments out its end: the parser runs out of text at the closing
    ---, but the line to fix is the one where the [ (or {) opened, and the # is why."""
    err = error_of(parse, text)
    assert err.line == line and said in err.message, str(err)
    assert "starts a YAML comment" in err.hint and "quote the value" in err.hint


def test_an_unclosed_flow_without_a_comment_keeps_the_usual_hint(parse) -> None:
    err = error_of(parse, "---\ntitle: T\ntags: [ml, nlp\n---\n")
    assert err.line == 3 and "comment" not in err.hint


def test_non_utf8_names_byte_offset_and_line(parse) -> None:
    data = b"---\ntitle: A\n---\nfirst\nsecond caf\xe9\n"
    err = error_of(parse, data)
    offset = data.index(b"\xe9")
    assert err.line == 5
    assert f"offset {offset}" in err.message and "0xe9" in err.message
    assert "UTF-8" in err.hint


def test_nul_bytes_are_refused(parse) -> None:
    with pytest.raises(KgError, match="NUL"):
        parse(b"---\ntitle: A\n---\n\x00\x01")
