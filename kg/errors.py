"""Errors and findings as values. Nothing here knows about click.

Every problem a user can cause names the file (and line, when there is one), says what is
wrong, and says what would be right. The CLI turns a :class:`KgError` into a message and a
non-zero exit; the library raises it and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: a file relative to the wiki and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the wiki; an error stops a build, a warning does not."""

    severity: Severity
    code: str
    message: str
    where: Location | None = None
    hint: str = ""

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        tail = f" ({self.hint})" if self.hint else ""
        return f"{head}{self.severity.value}: {self.message}{tail}"


class KgError(Exception):
    """A problem the user can fix. ``str(err)`` is the whole message, ready to print."""

    def __init__(
        self,
        message: str,
        *,
        file: str | PurePath | None = None,
        line: int | None = None,
        hint: str = "",
        findings: tuple[Finding, ...] = (),
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint
        self.findings = findings
        super().__init__(self.__str__())

    @property
    def where(self) -> Location | None:
        return Location(self.file, self.line) if self.file else None

    def as_finding(self, code: str = "error") -> Finding:
        return Finding(Severity.ERROR, code, self.message, self.where, self.hint)

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        tail = f"\n  hint: {self.hint}" if self.hint else ""
        more = "".join(f"\n  {f}" for f in self.findings)
        return f"{head}{self.message}{tail}{more}"


class NoteError(KgError):
    """A note cannot be read: bad encoding, front-matter, a field of the wrong shape."""


class ResolveError(KgError):
    """A link or connection target is ambiguous, or ids collide."""


class ConfigError(KgError):
    """``kg.toml`` or a command-line option is wrong."""


class NotFound(KgError):
    """A note, question or file asked for by name does not exist."""


class BuildFailed(KgError):
    """The wiki has errors; ``findings`` holds every one of them."""
