"""Settings: ``kg.toml`` beside the wiki, overridden by command-line options."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kg.errors import ConfigError, unknown_codes
from kg.ids import small_number

DEFAULT_TIERS = MappingProxyType({1: "Research direction", 2: "Notable", 3: "Background"})
CONFIG_NAME = "kg.toml"
DEFAULT_TITLE = "Knowledge graph"
DEFAULT_BASE_IRI = "https://example.org/kg/"


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    wiki: Path
    out: Path
    title: str = DEFAULT_TITLE
    base_url: str = ""
    base_iri: str = DEFAULT_BASE_IRI
    tiers: MappingProxyType[int, str] = field(default_factory=lambda: DEFAULT_TIERS)
    templates: Path | None = None
    ignore: tuple[str, ...] = ()
    """Codes of warnings not worth showing for this wiki (``ignore = ["missing-tier"]``):
    left out of ``kg check`` and of what ``kg build`` prints."""
    query_seconds: float = 30.0
    """How long a saved query may run when the site is built; one that takes longer is
    stopped, and its page says so."""
    line_breaks: bool = False
    """Each line break in a note's text shown as one (Obsidian's default, its "strict line
    breaks" off), not joined into the paragraph as CommonMark reads them."""
    wiki_named: Path | None = None
    """The wiki folder as kg.toml's ``wiki`` or ``--wiki`` names it, absolute but with its
    symlinks kept (``wiki`` is where they lead): see :attr:`named_wiki`."""
    wikilinks: str | None = None
    """How a ``[[a|b]]`` link is read: ``"obsidian"``, target first (``[[target|label]]``,
    as Obsidian, Foam and Logseq write it), or ``"dendron"``, label first
    (``[[label|target]]``); None (not set): Dendron's in a Dendron workspace
    (:func:`dendron_workspace`), else Obsidian's."""

    @property
    def label_first(self) -> bool:
        """Whether the notes write a link's label before its target, as Dendron does."""
        if self.wikilinks is not None:
            return self.wikilinks == "dendron"
        return dendron_workspace(self.wiki) is not None

    @property
    def named_wiki(self) -> Path:
        """The wiki folder by its name: a ``wiki`` that is a symlink switched to another
        folder (``ln -sfn other wiki``) is still this wiki, now read where it leads."""
        return self.wiki_named or self.wiki

    def tier_label(self, tier: int | None) -> str:
        if tier is None:
            return "No tier"
        return self.tiers.get(tier, f"Tier {tier}")

    def with_options(self, **options: Any) -> Config:
        """A copy with the non-None options applied (paths made absolute)."""
        clean = {k: v for k, v in options.items() if v is not None}
        if "base_url" in clean:
            clean["base_url"] = checked_base_url(str(clean["base_url"]), None)
        if "wiki" in clean:
            clean["wiki_named"] = Path(os.path.abspath(clean["wiki"]))
        for key in ("wiki", "out", "templates"):
            if key in clean:
                clean[key] = Path(clean[key]).resolve()
        return replace(self, **clean)


WIKILINK_STYLES = ("obsidian", "dendron")
DENDRON_CONFIG = "dendron.yml"


def dendron_workspace(wiki: Path) -> Path | None:
    """The ``dendron.yml`` that makes ``wiki`` a Dendron vault: in the wiki itself (a
    self-contained vault, or a workspace built whole) or in the folder above it (the
    workspace, whose vaults are its folders); None when there is none."""
    for folder in (wiki, wiki.parent):
        if (folder / DENDRON_CONFIG).is_file():
            return folder / DENDRON_CONFIG
    return None


_WEB_URL = re.compile(r"https?://[^\s/?#]+", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
"""What no setting the site or graph shows may hold: C0/C1 controls but tab and newline, and
the noncharacters U+FFFE and U+FFFF (TOML's escapes write them; no XML may hold them: the
feed, the sitemap)."""


def _unshowable(key: str, value: str, file: Path | None) -> ConfigError | None:
    """The error for a shown setting ``key`` holding a character no page or feed may hold."""
    found = _CONTROL.search(value)
    if found is None:
        undecoded = next((c for c in value if "\udc80" <= c <= "\udcff"), None)
        if undecoded is not None:  # typed in a Latin-1 terminal (an option's value)
            return ConfigError(f"{key} holds the byte 0x{ord(undecoded) - 0xDC00:02X}, which is "
                               "not UTF-8", hint="type it as UTF-8 (LANG=C.UTF-8)")
        return None
    kind = "noncharacter" if found.group() in "\ufffe\uffff" else "control character"
    return ConfigError(f"{key} holds the {kind} U+{ord(found.group()):04X}",
                       file=file, line=_line_of(file, key.split()[-1]) if file else None,
                       hint="remove the escape (\\u00.., \\b, \\e) that writes it")


def checked_base_url(value: str, file: Path | None) -> str:
    """The URL the site is served from: empty, or an http(s) URL (it is put in links)."""
    if (wrong := _unshowable("base_url", value, file)) is not None:
        raise wrong
    if value and (not _WEB_URL.match(value) or any(c in value for c in ' <>"\'`')):
        raise ConfigError(f"the base URL must be an http(s) URL, not '{value}'", file=file,
                          line=_line_of(file, "base_url") if file else None,
                          hint="e.g. https://me.github.io/wiki/")
    if value:
        from urllib.parse import urlsplit

        from kg.urls import check_url

        problem = check_url(value, relative_ok=False)
        parts = urlsplit(value) if problem is None else None
        if parts is not None and (parts.query or parts.fragment or "?" in value
                                  or "#" in value):
            problem = ("has a query or a fragment ('?…', '#…'), and every address of the site "
                       "is made by adding a page's path to it")
        elif parts is not None and "@" in parts.netloc:
            problem = "names a user or password, which every page would publish"
        if problem is not None:
            raise ConfigError(f"the base URL {problem}: '{value}'", file=file,
                              line=_line_of(file, "base_url") if file else None,
                              hint="the address the site is served from, e.g. "
                                   "https://me.github.io/wiki/")
    return value


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``kg.toml``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return start


def load_config(root: Path | None = None) -> Config:
    root = find_root(root or Path.cwd())
    path = root / CONFIG_NAME
    data: dict[str, Any] = {}
    if path.is_file():
        import tomllib  # only where there is a file: a sixtieth of a query's start-up

        try:
            raw = path.read_bytes()
            data = tomllib.loads(raw.decode("utf-8"))
        except OSError as err:
            raise ConfigError(f"cannot read {CONFIG_NAME}: {err.strerror or err}",
                              file=path) from None
        except UnicodeDecodeError as err:
            raise ConfigError(f"cannot read {CONFIG_NAME}: not UTF-8: byte 0x{raw[err.start]:02x}"
                              f" at offset {err.start}", file=path,
                              line=raw.count(b"\n", 0, err.start) + 1,
                              hint="save it as UTF-8") from None
        except tomllib.TOMLDecodeError as err:
            at = re.search(r"\(at line (\d+), column \d+\)", str(err))
            raise ConfigError(f"cannot read {CONFIG_NAME}: {err}", file=path,
                              line=int(at.group(1)) if at else None) from None
        except (ValueError, RecursionError) as err:  # a number of 5,000 digits; [[[[… nested
            deep = isinstance(err, RecursionError)
            raise ConfigError(f"cannot read {CONFIG_NAME}: " + (
                "it is nested too deeply" if deep else "it holds a number too long to read"),
                file=path, hint="remove the value nested so deeply (kg's settings are at most "
                "a table in [kg])" if deep else "remove the number of so many digits") from None
    section = data.get("kg", data)
    if not isinstance(section, dict):
        raise ConfigError("[kg] must be a table", file=path)
    known = {"title", "wiki", "out", "base_url", "base_iri", "tiers", "templates", "ignore",
             "query_seconds", "line_breaks", "wikilinks"}
    unknown = sorted(set(section) - known - {"kg"})
    if unknown:
        import difflib  # only for a setting that is none

        near = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise ConfigError(
            f"unknown setting(s): {', '.join(unknown)}",
            file=path, line=_line_of(path, unknown[0]),
            hint=(f"did you mean '{near[0]}'? " if near else "")
            + f"known settings: {', '.join(sorted(known))}",
        )
    tiers = dict(DEFAULT_TIERS)
    if not isinstance(section.get("tiers") or {}, dict):
        raise ConfigError("tiers must be a table of labels", file=path,
                          line=_line_of(path, "tiers"), hint='[kg.tiers]\n1 = "Research direction"')
    for key, label in (section.get("tiers") or {}).items():
        if not small_number(str(key)) or not isinstance(label, str):
            raise ConfigError(f"tier '{key}' must be a number with a text label", file=path,
                              line=_line_of(path, str(key)),
                              hint='[kg.tiers]\n1 = "Research direction"')
        if not 1 <= int(key) <= 9 or str(key) != str(int(key)):  # what a note's tier may be
            raise ConfigError(f"tier '{key}' is no tier a note can have: tiers are 1 to 9",
                              file=path, line=_line_of(path, str(key)),
                              hint='[kg.tiers]\n1 = "Research direction"')
        if (wrong := _unshowable(f"tier {key}", label, path)) is not None:
            raise wrong
        tiers[int(key)] = label
    for key in ("title", "wiki", "out", "base_url", "base_iri", "templates"):
        value = section.get(key)
        if value is not None and (not isinstance(value, str) or "\0" in value):
            raise ConfigError(f"{key} must be text", file=path, line=_line_of(path, key),
                              hint=f'{key} = "…"')
        if key == "title" and value and (wrong := _unshowable(key, value, path)) is not None:
            raise wrong
    base_iri = str(section.get("base_iri", DEFAULT_BASE_IRI))
    if (wrong := _unshowable("base_iri", base_iri, path)) is not None:
        raise wrong
    if not _WEB_URL.match(base_iri) or any(c in base_iri for c in ' <>"{}|\\^`'):
        raise ConfigError(f"base_iri must be an http(s) IRI, not '{base_iri}'", file=path,
                          line=_line_of(path, "base_iri"), hint='base_iri = "https://example.org/kg/"')
    from kg.urls import check_url  # every IRI of the graph starts with it

    if (problem := check_url(base_iri, relative_ok=False)) is None and "@" in base_iri.split(
            "//", 1)[-1].split("/", 1)[0]:
        problem = "names a user or password, which every IRI of the graph would publish"
    if problem is not None:
        raise ConfigError(f"base_iri {problem}: '{base_iri}'", file=path,
                          line=_line_of(path, "base_iri"),
                          hint='base_iri = "https://example.org/kg/"')
    if not base_iri.endswith(("/", "#")):
        base_iri += "/"
    base_url = checked_base_url(str(section.get("base_url", "")), path)
    templates = section.get("templates")
    if templates and not (root / str(templates)).is_dir():
        what = "is not a folder" if (root / str(templates)).exists() else "does not exist"
        raise ConfigError(
            f"templates = \"{templates}\": {root / str(templates)} {what}", file=path,
            line=_line_of(path, "templates"),
            hint="the folder of templates that override the theme's, relative to kg.toml: "
                 "make it, or remove the setting (a templates/ beside kg.toml is read anyway)")
    ignore = section.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(code, str) for code in ignore):
        raise ConfigError("ignore must be a list of finding codes", file=path,
                          line=_line_of(path, "ignore"),
                          hint='ignore = ["missing-tier", "missing-date"]')
    if (wrong := unknown_codes(ignore, where="ignore", file=path)) is not None:
        raise ConfigError(wrong.message, file=path, line=_line_of(path, "ignore"),
                          hint=wrong.hint)
    seconds = section.get("query_seconds", 30)
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
            or not 0 < seconds <= 86_400):
        raise ConfigError("query_seconds must be a number of seconds, above 0 and at most a "
                          "day (86400)", file=path, line=_line_of(path, "query_seconds"),
                          hint="query_seconds = 30")
    line_breaks = section.get("line_breaks", False)
    if not isinstance(line_breaks, bool):
        raise ConfigError("line_breaks must be true or false", file=path,
                          line=_line_of(path, "line_breaks"), hint="line_breaks = true")
    wikilinks = section.get("wikilinks")
    if wikilinks is not None and wikilinks not in WIKILINK_STYLES:
        raise ConfigError(f"wikilinks must be \"obsidian\" ([[target|label]]) or \"dendron\" "
                          f"([[label|target]]), not {wikilinks!r}", file=path,
                          line=_line_of(path, "wikilinks"), hint='wikilinks = "dendron"')
    return Config(
        root=root,
        wiki=(root / str(section.get("wiki", "wiki"))).resolve(),
        wiki_named=Path(os.path.abspath(root / str(section.get("wiki", "wiki")))),
        out=(root / str(section.get("out", "site"))).resolve(),
        title=str(section.get("title", DEFAULT_TITLE)),
        base_url=base_url,
        base_iri=base_iri,
        tiers=MappingProxyType(dict(sorted(tiers.items()))),
        templates=(root / str(templates)).resolve() if templates else None,
        ignore=tuple(ignore),
        query_seconds=float(seconds),
        line_breaks=line_breaks,
        wikilinks=wikilinks,
    )


def _line_of(path: Path, key: str) -> int | None:
    """The line of ``path`` that sets ``key`` (``key = …``), for an error about it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((n for n, line in enumerate(lines, start=1) if pattern.match(line)), None)


def epoch_date() -> dt.date | None:
    """The day of ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC), which reproducible builds
    set; None when it is not set. A value that is no such day is an error saying so."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        if not small_number(value, 12):
            raise ValueError(value)
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise ConfigError(f"SOURCE_DATE_EPOCH={value[:40]} is no day",
                          hint="set it to seconds since 1970 (e.g. $(date +%s)), or unset it"
                          ) from None
