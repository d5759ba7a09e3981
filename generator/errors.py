"""Expected failures: one GuideError per problem, collected and reported together."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def shown(value: Any) -> str:
    """A value as an error message quotes it: text in quotes, long values shortened."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."

_PLAIN_KEY = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class GuideError:
    """One problem in one guide, located as precisely as we know it."""

    path: str
    message: str
    line: int | None = None
    col: int | None = None
    loc: str = ""
    severity: str = "error"
    # For an image that could not be fetched: why (fetch.CAUSES) and from which host, so
    # that many of one cause can be said once (generator.summary).
    cause: str = ""
    host: str = ""

    def text(self) -> str:
        """`guides/x.yml:3:5: steps[2].image.crop: expected 4 integers ...`"""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        field = f"{self.loc}: " if self.loc else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{field}{self.message}"

    def github(self) -> str:
        """A GitHub Actions workflow command, so the problem shows on the PR's diff."""
        parts = [f"file={_escape(self.path, property_=True)}"]
        if self.line is not None:
            parts.append(f"line={self.line}")
        if self.col is not None:
            parts.append(f"col={self.col}")
        field = f"{self.loc}: " if self.loc else ""
        return f"::{self.severity} {','.join(parts)}::{_escape(field + self.message)}"


def _escape(text: str, property_: bool = False) -> str:
    """GitHub's workflow-command escaping (properties also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_ else text


class GuideErrors(Exception):
    """Every problem found in one or more guides; raised once, after checking them all.

    `partial`: what of a guide file still holds together without the steps that have errors
    (a loader.LoadedGuide), so a run can say the rest of its problems too.
    """

    def __init__(self, errors: Iterable[GuideError], partial: object = None) -> None:
        self.errors = list(errors)
        self.partial = partial
        super().__init__("\n".join(e.text() for e in self.errors))


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as authors see it: relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to((root or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return str(path)


def format_loc(loc: tuple[int | str, ...]) -> str:
    """('steps', 3, 'image', 'crop') -> 'steps[3].image.crop'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            text += f"[{part!r}]"  # a key with spaces or control characters stays one line
        else:
            text += f".{part}" if text else part
    return text
