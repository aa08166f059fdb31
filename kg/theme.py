"""Where templates come from: the wiki's own ``templates/`` first, then the shipped theme.

Kept apart from :mod:`kg.site` so that finding them costs no Jinja import (a build with
nothing to do stops before rendering anything).
"""

from __future__ import annotations

from pathlib import Path

import kg
from kg.config import Config


def template_dirs(config: Config) -> list[Path]:
    """The wiki's own templates first (overrides), then the shipped theme."""
    dirs: list[Path] = []
    for candidate in (config.templates, config.root / "templates"):
        if candidate is not None and candidate.is_dir() and candidate not in dirs:
            dirs.append(candidate)
    dirs.append(theme_dir())
    return dirs


def theme_dir() -> Path:
    packaged = Path(kg.__file__).parent / "templates"  # in the wheel: kg/templates
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"  # a source checkout
