"""The one cache: the content key of every cached thing, and the store that keeps it.

Everything guidesmith keeps between builds (downloads, parsed guides, rendered step images,
standalone pages, PDFs and their laid-out sections) is named by `key(kind, content)`: a
sha256 of what decides the thing, with what decides every thing of its kind folded in once
(the cache format; for what guidesmith makes, its version; for what a template lays out,
every template file). Never a time. An edited template or an upgrade of guidesmith so
cannot serve a stale page, and nothing else has to remember to say so.

Entries live in `.cache/guidesmith/<kind>/<key[:2]>/<key>.<ext>`, named by their key (no
manifest to lose), written atomically with a checksum sidecar (fsutil.write_checked) and
trusted only while intact (fsutil.read_checked): `Store.get_or_make` is the one idiom.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from generator import __version__
from generator.fsutil import read_checked, write_checked

# Bump when the layout or meaning of entries changes, so every old entry is simply missed.
CACHE_FORMAT = "2"
TEMPLATES_DIR = Path(str(files("generator") / "templates")).resolve()


@dataclass(frozen=True)
class Kind:
    """One kind of cached thing: its folder, and what besides its content decides it."""

    name: str
    by_version: bool = True  # made by guidesmith's code: another version may make it otherwise
    by_templates: bool = False  # laid out from templates: an edited template makes it anew


# Downloads are what a server sent: no version of guidesmith changes them, so an upgrade
# never sends a project offline back to the network.
DOWNLOADS = Kind("downloads", by_version=False)
PARSED = Kind("parsed")
IMAGES = Kind("images")
PAGES = Kind("outputs", by_templates=True)
SECTIONS = Kind("sections", by_templates=True)


@lru_cache(maxsize=1)
def templates_digest() -> str:
    """Every file under generator/templates, by path and content: computed once a process."""
    digest = hashlib.sha256()
    for path in sorted(p for p in TEMPLATES_DIR.rglob("*") if p.is_file()):
        name = path.relative_to(TEMPLATES_DIR).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(kind: Kind, content: object) -> str:
    """The key of a `kind` thing decided by `content` (JSON-able; dataclasses by their
    fields, paths by their names, which for cache entries are their own keys)."""
    house: dict[str, str] = {"format": CACHE_FORMAT, "kind": kind.name}
    if kind.by_version:
        house["generator"] = __version__
    if kind.by_templates:
        house["templates"] = templates_digest()
    text = json.dumps({"house": house, "content": content}, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    """A dataclass as its fields (without dataclasses.asdict's deep copies); a path by its
    name: a cache entry's name is its content's key."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, Path):
        return value.name
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot key a {type(value).__name__}")


@dataclass(frozen=True)
class Store:
    """The entries of one kind under a cache root. Plain data: it travels to workers."""

    directory: Path

    @classmethod
    def of(cls, cache_root: Path, kind: Kind) -> Store:
        return cls(cache_root / kind.name)

    def path(self, entry_key: str, ext: str) -> Path:
        """Where the entry `entry_key` is (or would be) kept; its checksum is beside it in
        `<key>.json` (so no entry is a `.json`)."""
        if ext == "json":
            raise ValueError("a cache entry cannot be .json: that is its checksum's name")
        return self.directory / entry_key[:2] / f"{entry_key}.{ext}"

    def meta(self, entry_key: str, ext: str) -> dict[str, Any] | None:
        """What was kept with an intact entry (its checksum and more), else None; a damaged
        entry is dropped, so it is made again rather than used."""
        return read_checked(self.path(entry_key, ext))

    def has(self, entry_key: str, ext: str) -> bool:
        return self.meta(entry_key, ext) is not None

    def put(self, entry_key: str, ext: str, data: bytes | str, **meta: Any) -> Path:
        """Keep `data` (and `meta` beside it); returns where."""
        path = self.path(entry_key, ext)
        write_checked(path, data, **meta)
        return path

    def read(self, entry_key: str, ext: str) -> bytes | None:
        """The bytes of an intact entry, else None."""
        if self.meta(entry_key, ext) is None:
            return None
        try:
            return self.path(entry_key, ext).read_bytes()
        except OSError:
            return None

    def get_or_make(self, entry_key: str, ext: str, make: Callable[[], bytes]) -> bytes:
        """The entry's bytes, made (and kept) when there is no intact one."""
        kept = self.read(entry_key, ext)
        if kept is not None:
            return kept
        data = make()
        self.put(entry_key, ext, data)
        return data
