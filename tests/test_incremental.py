"""Rebuilds do only what changed: unchanged screenshots are not even read, an edit remakes
one image and one guide's files, and outputs are linked from the cache, not copied."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import build_ok as build
from conftest import serve_second_screenshot
from PIL import Image

from generator import fetch
from generator.fetch import Fetcher
from generator.images import ImageProblem, RenderJob, render_job
from generator.model import Image as ImageSpec
from generator.sources import RACY_SECONDS
from generator.workers import Workers

GUIDE = "guides/10-first-guide.yml"


def age(*paths: Path) -> None:
    """Date these files a minute back, as files not written this instant are."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def built(project: Callable[[str], Path]) -> Path:
    root = project("basic")
    age(*(root / "guides/assets").rglob("*.png"))
    build(root)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The local files the build process reads, by name."""
    seen: list[str] = []
    real = fetch.read_limited

    def spy(path: Path, limit: int, src: str) -> bytes:
        seen.append(Path(src).name)
        return real(path, limit, src)

    monkeypatch.setattr(fetch, "read_limited", spy)
    return seen


def test_a_rebuild_reads_no_screenshot_it_has_seen_unchanged(built: Path, reads: list[str]) -> None:
    output = build(built)
    assert "0 image(s) rendered" in output
    assert reads == []


def test_a_replaced_screenshot_is_read_and_rendered_again(built: Path, reads: list[str]) -> None:
    source = built / "guides/assets/second/01.png"
    Image.new("RGB", (320, 240), "#1D4ED8").save(source)
    output = build(built)
    assert "1 image(s) rendered" in output
    assert reads == ["01.png"]
    with Image.open(built / "site/05-second-guide/step-01.png") as shown:
        assert shown.convert("RGB").getpixel((5, 5)) == (29, 78, 216)


def test_a_screenshot_written_just_now_is_not_trusted_by_its_timestamp(
    built: Path, reads: list[str]
) -> None:
    source = built / "guides/assets/first/02.png"
    index = built / ".cache/guidesmith/sources.json"
    Image.new("RGB", (300, 200), "#DC2626").save(source)  # mtime: now, within the racy window
    build(built)
    assert str(source.resolve()) not in json.loads(index.read_text())["files"]
    age(source)  # later, the same file no longer looks freshly written
    build(built)
    build(built)
    assert reads == ["02.png", "02.png"]  # by the first two builds, not the third
    assert str(source.resolve()) in json.loads(index.read_text())["files"]
    assert RACY_SECONDS <= 5


def test_a_worker_refuses_a_source_that_changed_after_planning(tmp_path: Path) -> None:
    source = tmp_path / "shot.png"
    Image.new("RGB", (64, 48), "white").save(source)
    planned_digest = hashlib.sha256(b"what planning read").hexdigest()
    spec = ImageSpec.model_validate({"src": "shot.png", "format": "png"})
    job = RenderJob(None, None, None, spec.model_dump(mode="json"), tmp_path / "out.png",
                    source_path=source, source_digest=planned_digest, max_bytes=10**6)
    with pytest.raises(ImageProblem, match="changed while the build was running"):
        render_job(job)
    assert not (tmp_path / "out.png").exists()


def test_one_crop_edit_remakes_one_image_and_that_guides_files_only(built: Path) -> None:
    guide = built / GUIDE
    guide.write_text(guide.read_text().replace("[100, 50, 500, 350]", "[100, 50, 500, 351]"))
    other = built / "site/05-second-guide"
    before = {p: p.stat().st_ino for p in other.iterdir() if p.name != "index.html"}
    output = build(built, "--verbose")
    # The image, the guide's standalone page and PDF, and the handout that prints it.
    assert ("remade 1 step image(s) and 3 page(s)/PDF(s) of guides/10-first-guide.yml, "
            "the handout; the rest came from the cache") in output
    after = {p: p.stat().st_ino for p in other.iterdir() if p.name != "index.html"}
    assert after == before  # the other guide's files are the very same cache entries


def test_published_files_are_links_to_the_cache_entries(built: Path) -> None:
    cache = built / ".cache/guidesmith"
    inodes = {p.stat().st_ino for p in cache.rglob("*") if p.is_file()}
    published = [p for p in (built / "site").rglob("*") if p.suffix in {".png", ".jpg", ".pdf"}
                 and "assets" not in p.parts]
    assert published
    assert all(p.stat().st_ino in inodes for p in published)


def test_the_render_job_keeps_the_print_version_of_each_image(built: Path) -> None:
    rendered = [p for p in (built / ".cache/guidesmith/images").rglob("*")
                if p.suffix in {".png", ".jpg"} and ".print-" not in p.name]
    assert rendered
    for path in rendered:
        prints = list(path.parent.glob(f"{path.stem}.print-*.jpg"))
        assert len(prints) == 1, path
        with Image.open(prints[0]) as printed:
            assert printed.format == "JPEG"


def test_render_jobs_carry_no_screenshot_bytes_whatever_the_source(
    project: Callable[[str], Path], httpserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("basic")
    serve_second_screenshot(root, httpserver)
    jobs: list[RenderJob] = []
    real = Workers.submit

    def spy(self: Workers, fn: Callable[..., object], *args: object):  # type: ignore[no-untyped-def]
        jobs.extend(arg for arg in args if isinstance(arg, RenderJob))
        return real(self, fn, *args)

    monkeypatch.setattr(Workers, "submit", spy)
    build(root)
    assert len(jobs) == 3
    assert all(job.source is None and job.source_path is not None for job in jobs)
    downloads = root / ".cache/guidesmith/downloads"
    downloaded = [job for job in jobs if job.source_path.is_relative_to(downloads)]
    assert len(downloaded) == 1
    assert downloaded[0].source_path.is_relative_to(root / ".cache/guidesmith/downloads")
    with Image.open(root / "site/05-second-guide/step-01.png") as shown:
        assert shown.convert("RGB").getpixel((5, 5)) == (245, 158, 11)  # #F59E0B, as drawn


def test_a_download_damaged_after_planning_is_refused_by_the_worker(
    project: Callable[[str], Path], httpserver
) -> None:
    root = project("basic")
    url, served = serve_second_screenshot(root, httpserver, rewrite=False)
    spec = ImageSpec.model_validate({"src": url, "format": "png"})
    cache = root / ".cache/guidesmith"
    fetcher = Fetcher(cache, root)
    assert fetcher.read(url, root) == served
    entry = fetcher.cached_download(url)
    assert entry is not None
    entry.write_bytes(entry.read_bytes()[:-10])  # damaged after planning hashed it
    job = RenderJob(None, None, None, spec.model_dump(mode="json"), cache / "out.png",
                    source_path=entry, source_digest=hashlib.sha256(served).hexdigest(),
                    max_bytes=10**6)
    with pytest.raises(ImageProblem, match="changed while the build was running"):
        render_job(job)
