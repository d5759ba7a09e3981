"""What planning needs of each local screenshot, kept by the file's fingerprint.

Planning needs a source's content hash (its images' cache keys), its size and whether it
is animated. Reading and hashing every screenshot on every build is most of a no-change
rebuild, so these facts are kept in `.cache/guidesmith/sources.json` by path, with the
file's inode, size and mtime, and trusted while those stay the same, as git's index and
make trust timestamps. A file written in the last few seconds is not kept yet: a second
write in the same timestamp tick could otherwise go unseen. The worker that renders a
source reads it then, and checks it still has the hash its key was made from.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from generator.cache import CACHE_FORMAT
from generator.fsutil import atomic_write, fingerprint

# A file modified this recently (seconds) could change again within one mtime tick.
RACY_SECONDS = 2.0


@dataclass(frozen=True)
class SourceFacts:
    """A source image as planning sees it: content hash, pixel size, animated or not."""

    digest: str
    size: tuple[int, int]
    animated: bool


class SourceIndex:
    """The facts of the local sources seen before; one per project, saved after planning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, list[object]] = {}
        self._used: set[str] = set()
        self._changed = False
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == CACHE_FORMAT and isinstance(data.get("files"), dict):
                self._entries = data["files"]

    def get(self, file: Path) -> SourceFacts | None:
        """The facts kept for `file`, if it is still the file they were taken from."""
        entry = self._entries.get(str(file))
        self._used.add(str(file))
        try:
            if entry is None or entry[0] != fingerprint(file):
                return None
            digest, width, height, animated = entry[1:]
            return SourceFacts(str(digest), (int(width), int(height)), bool(animated))
        except (OSError, ValueError, TypeError):
            return None

    def put(self, file: Path, facts: SourceFacts, seen: list[int]) -> None:
        """Keep `facts` of `file`, whose fingerprint was `seen` when its bytes were read."""
        self._used.add(str(file))
        self._changed = True
        if seen[2] / 1e9 > time.time() - RACY_SECONDS:
            self._entries.pop(str(file), None)  # what was kept is stale; nothing new yet
            return
        self._entries[str(file)] = [seen, facts.digest, *facts.size, facts.animated]

    def save(self) -> None:
        """Write the index if it changed, keeping only the files this build used (a
        deleted screenshot leaves nothing behind). A cache that cannot be written costs
        time only."""
        kept = {name: entry for name, entry in self._entries.items() if name in self._used}
        self._used = set()
        if not self._changed and len(kept) == len(self._entries):
            return
        self._entries = kept
        with contextlib.suppress(OSError):
            atomic_write(self.path, json.dumps({"version": CACHE_FORMAT, "files": kept}))
            self._changed = False
