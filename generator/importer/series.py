"""A Scribe series index: which chapter each export belongs to, and in what order.

A lab guide published as many Scribe exports usually has one more Markdown page that
links to them under `## Chapter` headings; `find_series_index` finds it beside the
exports and `read_series_index` reads it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.importer.scribe import (
    _FENCE,
    _HEADING,
    _URL,
    MARKDOWN_SUFFIXES,
    ImportProblem,
    ImportResult,
    order_for,
    read_export,
)

_INDEX_LINK = re.compile(rf'(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>{_URL})(?:\s+"[^"]*")?\)')


def _linked_markdown(target: str) -> str | None:
    """The file name a relative link points at, when it is a Markdown file."""
    target = target.strip().strip("<>")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    name = PurePosixPath(unquote(parts.path)).name
    return name if name.lower().endswith(MARKDOWN_SUFFIXES) else None


def read_series_index(path: Path) -> dict[str, tuple[str, int]]:
    """Linked file name -> (chapter, order) from an index of `## Chapter` headings and links.

    The order is the file name's prefix (`07.x.md` -> 7), else the link's position (from
    1). Links above the first `## ` heading have the chapter "".
    """
    chapter = ""
    position = 0
    series: dict[str, tuple[str, int]] = {}
    in_fence = False
    for line in read_export(path).splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if (m := _HEADING.match(line)) and len(m[1]) <= 2:
            chapter = m[2].strip() if len(m[1]) == 2 else ""
            continue
        for link in _INDEX_LINK.finditer(line):
            name = _linked_markdown(link["target"])
            if name is None or name in series:
                continue
            position += 1
            order = order_for(name)
            series[name] = (chapter, order if order is not None else position)
    return series


def find_series_index(src_dir: Path, exports: list[Path]) -> Path | None:
    """The .md beside the exports whose links under `## ` headings point at them, if any."""
    names = {p.name for p in exports}
    best: tuple[int, Path] | None = None
    for path in sorted(src_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() not in MARKDOWN_SUFFIXES or path in exports:
            continue
        try:
            series = read_series_index(path)
        except ImportProblem:
            continue
        count = sum(1 for name, (chapter, _) in series.items() if chapter and name in names)
        if count and (best is None or count > best[0]):
            best = (count, path)
    return best[1] if best else None


def apply_series(result: ImportResult, chapter: str, order: int) -> ImportResult:
    """The result with the chapter (none when "") and order an index gives it."""
    update: dict[str, Any] = {"order": order, "chapter": chapter or None}
    return replace(result, guide=result.guide.model_copy(update=update))

