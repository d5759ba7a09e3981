"""The date a document carries: SOURCE_DATE_EPOCH when set, else today (no time of day).

Builds are reproducible: the same guides give the same bytes
(https://reproducible-builds.org/specs/source-date-epoch/). Kept apart from the renderers
so the build process can key its PDFs by the date without importing WeasyPrint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class BuildDate:
    """The document's date: W3C form for the metadata, ISO date for the cover."""

    w3c: str
    printed: str


def build_date(environ: Mapping[str, str] = os.environ) -> BuildDate:
    """SOURCE_DATE_EPOCH (seconds, UTC) when set, else today's date without a time."""
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        today = date.today().isoformat()
        return BuildDate(today, today)
    try:
        moment = datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {raw!r}"
        ) from None
    return BuildDate(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.date().isoformat())
