"""fsutil: atomic writes leave the old file or the new one; containment follows symlinks."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from generator import fsutil
from generator.fsutil import atomic_write, cache_dir, inside


def test_atomic_write_bytes_creates_parents_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.bin"

    atomic_write(target, b"\x00\x01payload")

    assert target.read_bytes() == b"\x00\x01payload"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def test_atomic_write_str_is_utf8_and_replaces_old_content(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old", encoding="utf-8")

    atomic_write(target, "Schritt 1 — öffnen ✓")

    assert target.read_bytes() == "Schritt 1 — öffnen ✓".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_atomic_write_gives_the_usual_file_mode_not_0600(tmp_path: Path) -> None:
    target = tmp_path / "index.html"

    atomic_write(target, "x")

    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~fsutil._UMASK


def test_atomic_write_failure_keeps_old_content_and_removes_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old content", encoding="utf-8")

    def fail_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail_replace)

    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(target, "new content")

    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_failure_while_writing_removes_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"

    def fail_fsync(fd: int) -> None:
        raise OSError("no space left")

    monkeypatch.setattr(os, "fsync", fail_fsync)

    with pytest.raises(OSError, match="no space left"):
        atomic_write(target, "new content")

    assert list(tmp_path.iterdir()) == []


def test_cache_dir_is_under_the_project(tmp_path: Path) -> None:
    assert cache_dir(tmp_path) == tmp_path / ".cache" / "guidesmith"


def test_inside(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "guides").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    (root / "guides" / "link").symlink_to(tmp_path / "outside.txt")
    (root / "guides" / "inner").symlink_to(root / "guides")

    assert inside(root, root)
    assert inside(root / "guides" / "missing.png", root)
    assert inside(root / "guides" / ".." / "x.png", root)
    assert inside(root / "guides" / "inner", root)
    assert not inside(root / "guides" / ".." / ".." / "outside.txt", root)
    assert not inside(root / "guides" / "link", root)
    assert not inside(tmp_path / "project-sibling", root)


def test_a_checked_entry_nobody_touched_is_trusted_without_hashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = tmp_path / "e.bin"
    fsutil.write_checked(entry, b"rendered", width=3)
    hashed: list[bytes] = []
    real = fsutil.hashlib.sha256
    monkeypatch.setattr(
        fsutil.hashlib, "sha256", lambda data=b"": hashed.append(data) or real(data)
    )
    assert fsutil.read_checked(entry) == {
        "sha256": real(b"rendered").hexdigest(), "width": 3, "stat": fsutil.fingerprint(entry)
    }
    assert hashed == []


def test_a_checked_entry_written_in_place_is_hashed_and_dropped(tmp_path: Path) -> None:
    entry = tmp_path / "e.bin"
    fsutil.write_checked(entry, b"rendered")
    recorded = fsutil.fingerprint(entry)
    with entry.open("r+b") as f:  # same inode, same size: only the mtime tells
        f.write(b"R")
    os.utime(entry, ns=(recorded[2] + 10**9, recorded[2] + 10**9))
    assert fsutil.read_checked(entry) is None
    assert not entry.exists() and not fsutil.sidecar(entry).exists()


def test_an_intact_entry_with_a_new_fingerprint_is_verified_once_then_trusted(
    tmp_path: Path,
) -> None:
    entry = tmp_path / "e.bin"
    fsutil.write_checked(entry, b"rendered")
    copy = tmp_path / "copy.bin"
    copy.write_bytes(entry.read_bytes())  # as rsync or cp would leave it: a new inode
    fsutil.sidecar(copy).write_text(fsutil.sidecar(entry).read_text())
    assert fsutil.read_checked(copy) is not None
    assert json.loads(fsutil.sidecar(copy).read_text())["stat"] == fsutil.fingerprint(copy)
