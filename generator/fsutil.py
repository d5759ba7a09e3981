"""Filesystem helpers: atomic writes, checked cache entries, the cache's place, containment."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

# atomic_write's temp files: `.<name>.<random>.tmp`, beside the file they become. One left
# behind means its writer was killed; sweep_temp_files removes them.
TEMP_SUFFIX = ".tmp"

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
            delete=False, dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
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


def write_checked(path: Path, data: bytes | str, **meta: Any) -> None:
    """A cache entry: `data` at `path`, then a sidecar `path.json` with its sha256 and `meta`.

    The sidecar is written last, so an entry whose writer was killed half-way has none and
    reads as damaged; `read_checked` then drops it. It also keeps the file's fingerprint
    (inode, size, mtime), so a rebuild need not hash an entry nobody has touched.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_write(path, payload)
    record = {"sha256": hashlib.sha256(payload).hexdigest(), **meta, "stat": fingerprint(path)}
    atomic_write(sidecar(path), json.dumps(record))


def read_checked(path: Path) -> dict[str, Any] | None:
    """The sidecar of a cache entry whose bytes still match their sha256, else None.

    An entry whose fingerprint is the one its sidecar recorded is trusted without hashing,
    as git and make trust timestamps: only atomic_write writes entries, always as a new
    file, so anything else that touches one (a flipped byte, a truncation, a copy) changes
    its inode, size or mtime, and the entry is hashed again. A damaged entry (altered,
    truncated, missing its sidecar) is deleted, so it is made again rather than served.
    """
    meta_path = sidecar(path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        current = fingerprint(path)
        if meta.get("stat") == current and "sha256" in meta:
            return meta
        if hashlib.sha256(path.read_bytes()).hexdigest() == meta["sha256"]:
            meta["stat"] = current  # intact: trusted from now on
            with contextlib.suppress(OSError):
                atomic_write(meta_path, json.dumps(meta))
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for stale in (path, meta_path):
        with contextlib.suppress(OSError):
            stale.unlink(missing_ok=True)
    return None


def fingerprint(path: Path) -> list[int]:
    """What changes when a file is replaced or written in place: inode, size, mtime."""
    st = os.stat(path)
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def sidecar(path: Path) -> Path:
    """Where a cache entry's checksum is kept: `<key>.json` beside `<key>.<ext>`."""
    return path.with_suffix(".json")


def sweep_temp_files(root: Path) -> int:
    """Remove atomic_write's leftovers under `root` (a killed writer's temp files).

    Only for folders no one else writes into meanwhile: the build calls it under its lock.
    Returns how many were removed.
    """
    removed = 0
    if not root.is_dir():
        return removed
    for directory, _, names in os.walk(root):
        for name in names:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(directory, name))
                    removed += 1
    return removed


def cache_dir(project_root: Path) -> Path:
    """The project's cache, beside mkdocs.yml, as Material's plugins keep theirs."""
    return project_root / ".cache" / "guidesmith"


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks followed, is `root` or lies under it.

    Resolving both sides first is what makes `assets/../../x` and a symlink pointing out
    of the project count as outside.
    """
    return path.resolve(strict=False).is_relative_to(root.resolve(strict=False))


def publish(source: Path, target: Path) -> None:
    """Put a cache entry at `target` in an output folder: a hard link, else a copy.

    A link costs no copying, and is safe: the cache replaces an entry with a new file
    (atomic_write) and never writes one in place, so a published file never changes under
    a reader. Linking fails across filesystems (a cache elsewhere); then it is copied. The
    link (or copy) is made under a temp name and renamed over `target`, so a reader, or a
    second publisher of the same entry, never sees `target` missing or half-copied.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        try:
            os.link(source, temp)
        except OSError:
            shutil.copyfile(source, temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder `target` by `new` with renames, so readers see a whole old or a
    whole new folder, never a mix."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
