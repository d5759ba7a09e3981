"""Downloading an imported guide's images into guides/assets/<slug>/."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from generator.fsutil import atomic_write
from generator.importer.scribe import ImportResult
from generator.model import Guide, Marker, Step
from generator.yamlwriter import guide_data

Fetch = Callable[[str], bytes]
IMAGE_SUFFIXES = {".jpg": "jpg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".webp": "webp"}


def _extension(url: str, data: bytes) -> str | None:
    """The image type from the content, else from the URL; None when it is not an image."""
    if data.startswith(b"\xff\xd8\xff"):
        sniffed = "jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        sniffed = "png"
    elif data.startswith((b"GIF87a", b"GIF89a")):
        sniffed = "gif"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        sniffed = "webp"
    else:
        return None
    from_url = IMAGE_SUFFIXES.get(PurePosixPath(urlsplit(url).path).suffix.lower())
    # Keep the URL's spelling (.jpeg or .jpg) when it agrees with the content.
    if from_url is not None and (from_url == sniffed or {from_url, sniffed} == {"jpg", "jpeg"}):
        return from_url
    return sniffed


def _is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def _safe_name(url: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(urlsplit(url).path).name).strip(".-")
    name = name or "marker.png"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, "png"
    candidate, n = f"{stem}.{suffix}", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.{suffix}"
    taken.add(candidate)
    return candidate


def download_images(
    result: ImportResult, assets_dir: Path, fetch: Fetch, base_dir: Path | None = None
) -> tuple[ImportResult, list[str]]:
    """Fetch every screenshot and marker into `assets_dir`; point `src` at the copies.

    Screenshots are named by step (`03.jpeg`; a screenshot that several steps share is
    fetched once), markers by their file name. Each step's image keeps its URL as `origin`.
    `src` is relative to `base_dir`, the guide file's folder (default: two levels above
    `assets_dir`, as in guides/assets/<slug>/). A failed download is listed ("step 3: ...")
    and that step keeps its URL.
    """
    base_dir = base_dir if base_dir is not None else assets_dir.parent.parent
    guide = result.guide
    failures: list[str] = []
    local: dict[str, str] = {}
    failed: set[str] = set()
    taken: set[str] = set()

    def get(url: str, name: str, label: str) -> str | None:
        if url in local:
            return local[url]
        if url in failed:
            failures.append(f"{label}: download failed before (see above): {url}")
            return None
        try:
            data = fetch(url)
        except Exception as exc:  # the injected fetcher's own error type is not known here
            message = str(exc).strip().splitlines()
            failures.append(f"{label}: {message[0] if message else type(exc).__name__}")
            failed.add(url)
            return None
        ext = _extension(url, data)
        if ext is None:
            failures.append(f"{label}: {url} is not a JPEG, PNG, GIF or WebP image")
            failed.add(url)
            return None
        filename = f"{name}.{ext}" if "." not in name else name
        taken.add(filename)
        atomic_write(assets_dir / filename, data)
        local[url] = Path(os.path.relpath(assets_dir / filename, base_dir)).as_posix()
        return local[url]

    def marker_src(marker: Marker | None, label: str) -> Marker | None:
        if marker is None or not _is_url(marker.src):
            return marker
        name = local.get(marker.src) or _safe_name(marker.src, taken)
        src = get(marker.src, name, label)
        return marker if src is None else marker.model_copy(update={"src": src})

    defaults = guide.image_defaults
    if defaults is not None and defaults.marker is not None:
        new_marker = marker_src(defaults.marker, "marker")
        defaults = defaults.model_copy(update={"marker": new_marker})
    items: list[Any] = []
    number = 0
    for item in guide.steps:
        if not isinstance(item, Step):
            items.append(item)
            continue
        number += 1
        image = item.image
        if image is not None and _is_url(image.src):
            src = get(image.src, f"{number:02d}", f"step {number}")
            if src is not None:
                image = image.model_copy(update={"src": src, "origin": image.origin or image.src})
        if image is not None and image.marker is not None:
            marker = marker_src(image.marker, f"step {number} marker")
            image = image.model_copy(update={"marker": marker})
        items.append(item.model_copy(update={"image": image}))
    updated = guide.model_copy(update={"steps": items, "image_defaults": defaults})
    # Through plain data and back: the Guide that loading the written file gives.
    return replace(result, guide=Guide.model_validate(guide_data(updated))), failures

