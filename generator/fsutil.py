"""Filesystem helpers: atomic writes, where the cache lives, and path containment."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

# NamedTemporaryFile creates files 0600; outputs must get the usual umask-based mode so a
# web server can read site/. Reading the umask means setting it, so do it once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half of one.

    The temp file sits in the same directory so `os.replace` is a rename on one filesystem,
    which is atomic; fsync first so a crash after the rename cannot leave an empty file.
    `str` is written as UTF-8.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            delete=False, dir=path.parent, prefix=f".{path.name}."
        ) as tmp:
            tmp_name = tmp.name
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, path)
    except BaseException:
        if tmp_name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        raise


def cache_dir(project_root: Path) -> Path:
    """The project's cache, beside mkdocs.yml, as Material's plugins keep theirs."""
    return project_root / ".cache" / "guidesmith"


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks followed, is `root` or lies under it.

    Resolving both sides first is what makes `assets/../../x` and a symlink pointing out
    of the project count as outside.
    """
    return path.resolve(strict=False).is_relative_to(root.resolve(strict=False))
