"""Faults, end to end: bad images, killed and concurrent builds, damaged caches, offline.

Each case runs `guidesmith build` and `guidesmith check` as an author would (click's
CliRunner, or a real subprocess where a process must die), and holds guidesmith to one
promise: a clear line per problem naming the guide, the step and the field, exit 1, no
traceback, every guide checked in the same run, and the site already built left as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import PIL.Image
import pytest
from click.testing import CliRunner
from conftest import draw_screenshot, make_project, serve_second_screenshot
from PIL import Image
from pypdf import PdfReader

from generator.cli import main
from generator.fsutil import read_checked
from generator.sitebuild import project_lock

FIRST = "guides/10-first-guide.yml"
SECOND = "guides/05-second-guide.yml"
# Where the fixture guides name their screenshots (line:col of the value).
FIRST_STEP_1 = f"{FIRST}:14:12: steps[0].image.src (step 1)"
FIRST_STEP_3 = f"{FIRST}:23:12: steps[3].image.src (step 3)"
SECOND_STEP_1 = f"{SECOND}:7:12: steps[0].image.src (step 1)"


# -- running guidesmith ------------------------------------------------------------------


def run(root: Path, command: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, [command, "--config-file", str(root / "mkdocs.yml"), *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exception)
    return result.exit_code, result.output


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by relative path: equal snapshots, identical trees."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def step_images(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("step-*"))}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new))


def rendered_count(output: str) -> int:
    match = re.search(r"(\d+) image\(s\) rendered", output)
    assert match, output
    return int(match[1])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic project, built once for the module (copied by `built` for each test)."""
    root = make_project(tmp_path_factory.mktemp("pristine"))
    code, output = run(root, "build")
    assert code == 0, output
    return root


@pytest.fixture
def built(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the basic project with its site/ and caches: a previous good build."""
    root = tmp_path / "basic"
    shutil.copytree(pristine, root, symlinks=True)
    return root


def fails_cleanly(root: Path, *expected: str) -> None:
    """`build` and `check` both fail with exactly these problem lines; site/ untouched.

    An expected line ending in "..." is a prefix (for Pillow's wording of the details).
    """
    before = snapshot(root / "site")
    for command in ("build", "check"):
        code, output = run(root, command)
        assert code == 1, (command, output)
        assert "Traceback" not in output, output
        problems = [line for line in output.splitlines() if line.startswith("guides/")]
        assert len(problems) == len(expected), (command, output)
        for line, wanted in zip(problems, expected, strict=True):
            if wanted.endswith("..."):
                assert line.startswith(wanted[:-3]), (command, output)
            else:
                assert line == wanted, (command, output)
        assert snapshot(root / "site") == before, command
    assert not [p.name for p in root.iterdir() if p.name.startswith(".site.")]


# -- image bytes ---------------------------------------------------------------------------


def encoded(image: PIL.Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def screenshot_bytes(fmt: str, size: tuple[int, int] = (640, 400)) -> bytes:
    image = PIL.Image.new("RGB", size, "white")
    for x in range(0, size[0], 8):  # detail, so the compressed body is long enough to cut
        image.paste((x % 256, 80, 255 - x % 256), (x, 0, x + 4, size[1]))
    return encoded(image, fmt)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, body: bytes = b"") -> bytes:
    """A tiny PNG whose header declares `width` x `height` 8-bit RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(body or b"\0" * 64)) + chunk(b"IEND", b"")
    )


def animation(fmt: str, colours: tuple[str, ...] = ("#FF0000", "#0000FF", "#00FF00")) -> bytes:
    frames = [PIL.Image.new("RGB", (320, 240), colour) for colour in colours]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


# -- 1. images that cannot be used -----------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"Just some text, named .png\n" * 40,
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # EPS: Ghostscript, never
        encoded(PIL.Image.new("RGB", (640, 400)), "BMP"),  # Pillow reads it; not a screenshot
    ],
    ids=["text", "eps", "bmp"],
)
def test_a_file_that_is_not_a_screenshot_image(built: Path, content: bytes) -> None:
    (built / "guides/assets/first/01.png").write_bytes(content)
    fails_cleanly(built, f"{FIRST_STEP_1}: not a PNG, JPEG, WebP or GIF image")


def test_a_truncated_jpeg_and_a_corrupt_png_fail_in_the_worker_with_a_clear_line(
    built: Path,
) -> None:
    # Their headers are sound, so planning sizes them; only decoding the pixels fails.
    jpeg = screenshot_bytes("JPEG")
    (built / "guides/assets/first/01.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    edit(built / FIRST, "src: assets/first/01.png", "src: assets/first/01.jpg")
    (built / "guides/assets/second/01.png").write_bytes(
        png_declaring(320, 240, body=bytes(range(256)) * 64)  # not rows of 320 RGB pixels
    )
    fails_cleanly(
        built,
        f"{SECOND_STEP_1}: cannot decode the image (truncated or corrupt): "
        "unrecognized data stream contents when reading image file",
        f"{FIRST_STEP_1}: cannot decode the image (truncated or corrupt): "
        "image file is truncated (...",
    )


def test_a_png_cut_short(built: Path) -> None:
    png = screenshot_bytes("PNG", (300, 200))
    (built / "guides/assets/first/02.png").write_bytes(png[: len(png) // 2])
    fails_cleanly(
        built, f"{FIRST_STEP_3}: cannot decode the image (truncated or corrupt): "
        "image file is truncated",
    )


@pytest.mark.parametrize(
    ("size", "pixels", "limit"),
    [
        ((100_000, 100_000), 10_000_000_000, 2 * PIL.Image.MAX_IMAGE_PIXELS),  # Pillow's error
        ((10_000, 10_000), 100_000_000, PIL.Image.MAX_IMAGE_PIXELS),  # its warning, made one
    ],
)
def test_a_decompression_bomb_is_refused_as_such(
    built: Path, size: tuple[int, int], pixels: int, limit: int
) -> None:
    # A few hundred bytes that declare gigabytes of pixels: never decoded, never allocated.
    bomb = png_declaring(*size)
    assert len(bomb) < 200
    (built / "guides/assets/second/01.png").write_bytes(bomb)
    fails_cleanly(
        built,
        f"{SECOND_STEP_1}: refused as a possible decompression bomb: Image size ({pixels} "
        f"pixels) exceeds limit of {limit} pixels, could be decompression bomb DOS attack.",
    )
    assert PIL.Image.MAX_IMAGE_PIXELS == 89_478_485  # the guard is still on


def test_a_crop_box_entirely_outside_the_image(built: Path) -> None:
    edit(built / FIRST, "crop: [100, 50, 500, 350]", "crop: [1000, 800, 1200, 900]")
    fails_cleanly(
        built,
        f"{FIRST}:15:13: steps[0].image.crop (step 1): crop box (1000, 800, 1200, 900) is "
        "outside the 640x400 image: nothing is left to show",
    )


def test_paths_escaping_the_project_are_refused(built: Path, tmp_path: Path) -> None:
    outside = draw_screenshot(tmp_path / "outside.png", (300, 200))  # a real image: still no
    (built / "guides/assets/first/link.png").symlink_to(outside)
    edit(built / FIRST, "src: assets/first/01.png", "src: ../../etc/passwd")
    edit(built / FIRST, "src: assets/first/02.png", "src: assets/first/link.png")
    edit(built / SECOND, "src: assets/second/01.png", "src: /etc/passwd")
    fails_cleanly(
        built,
        f"{SECOND_STEP_1}: refused: absolute path /etc/passwd (write it relative to the guide)",
        f"{FIRST_STEP_1}: path escapes the project: ../../etc/passwd",
        f"{FIRST_STEP_3}: path escapes the project: assets/first/link.png",
    )


def test_every_problem_of_every_guide_is_reported_in_one_run(built: Path) -> None:
    # A planning problem in one guide does not hide a decoding problem in another.
    jpeg = screenshot_bytes("JPEG")
    (built / "guides/assets/second/01.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    edit(built / SECOND, "src: assets/second/01.png", "src: assets/second/01.jpg")
    (built / "guides/assets/first/01.png").write_bytes(png_declaring(100_000, 100_000))
    edit(built / FIRST, "src: assets/first/02.png", "src: assets/first/missing.png")
    fails_cleanly(
        built,
        f"{SECOND_STEP_1}: cannot decode the image (truncated or corrupt): "
        "image file is truncated (...",
        f"{FIRST_STEP_1}: refused as a possible decompression bomb: Image size (10000000000 "
        "pixels) exceeds limit of 178956970 pixels, could be decompression bomb DOS attack.",
        f"{FIRST_STEP_3}: local file not found: guides/assets/first/missing.png",
    )


def test_a_marker_that_is_not_an_image_names_the_marker(built: Path) -> None:
    (built / "guides/assets/first/marker.png").write_bytes(b"<svg/>")
    edit(built / FIRST, "marker: {pad: [10, 20]}",
         "marker: {src: assets/first/marker.png, pad: [10, 20]}")
    fails_cleanly(
        built,
        f"{FIRST}:16:21: steps[0].image.marker.src (step 1): marker assets/first/marker.png: "
        "not a PNG, JPEG, WebP or GIF image",
    )


def test_a_shared_marker_cut_short_is_reported_once_a_guide(built: Path) -> None:
    png = encoded(palette_marker().convert("RGBA").resize((300, 300)), "PNG")
    (built / "guides/assets/marker.png").write_bytes(png[: len(png) // 2])
    edit(built / FIRST, 'src: "builtin:circle#FB923C"', "src: assets/marker.png")
    edit(built / FIRST, "      marker: null\n", "")  # step 3 takes the default marker too
    edit(built / SECOND, "format: png", "format: png\n      marker: {src: assets/marker.png}")
    fails_cleanly(
        built,
        f"{SECOND}:9:21: steps[0].image.marker.src (step 1): marker assets/marker.png: "
        "cannot decode the image (truncated or corrupt): image file is truncated",
        # Written in image_defaults: said there, once for the guide's steps that inherit it.
        f"{FIRST}:10:17: image_defaults.marker.src (step 1): marker assets/marker.png: "
        "cannot decode the image (truncated or corrupt): image file is truncated",
    )


def test_an_output_too_tall_for_its_format_is_refused_before_rendering(built: Path) -> None:
    # A 1 px wide crop scaled to 200 px wide would be 80000 px tall: JPEG stops at 65500.
    edit(built / FIRST, "crop: [100, 50, 500, 350]", "crop: [100, 0, 101, 400]")
    fails_cleanly(
        built,
        f"{FIRST}:7:10: image_defaults.width (step 1): the output would be 200x80000 pixels, "
        "but JPEG allows at most 65500 per side: crop a wider area or set a smaller width",
    )


# -- 1. images that work, with a word ---------------------------------------------------


def palette_marker() -> PIL.Image.Image:
    """A 40x40 P-mode marker: a blue square with a transparent 10 px frame."""
    marker = PIL.Image.new("P", (40, 40), 0)
    marker.putpalette([0, 0, 0, 0, 0, 255])
    marker.paste(1, (10, 10, 30, 30))
    marker.info["transparency"] = 0
    return marker


@pytest.mark.parametrize(
    ("marker", "inside", "frame"),
    [
        (palette_marker(), (0, 0, 255), None),  # the frame is transparent: the page shows
        (PIL.Image.new("RGB", (40, 40), (0, 200, 0)), (0, 200, 0), (0, 200, 0)),
    ],
    ids=["palette-with-transparency", "rgb"],
)
def test_a_marker_image_that_is_not_rgba_is_used(
    built: Path, marker: PIL.Image.Image, inside: tuple[int, int, int],
    frame: tuple[int, int, int] | None,
) -> None:
    assert marker.mode != "RGBA"
    marker.save(built / "guides/assets/first/marker.png")
    edit(built / FIRST, "marker: {pad: [10, 20]}",
         "marker: {src: assets/first/marker.png, pad: [10, 20]}")
    assert run(built, "check")[0] == 0
    code, output = run(built, "build")
    assert code == 0, output
    with Image.open(built / "site/10-first-guide/step-01.jpg") as image:
        rgb = image.convert("RGB")
        # northwest, pad (10, 20): the marker covers (10, 20)-(50, 60) of the output.
        assert near(rgb.getpixel((30, 40)), inside)
        below = rgb.getpixel((12, 22))  # in the marker's frame
        assert near(below, frame) if frame else not near(below, (0, 0, 255), 80)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animated_source_uses_its_first_frame_with_one_warning(built: Path, fmt: str) -> None:
    name = f"assets/second/anim.{fmt.lower()}"
    (built / "guides" / name).write_bytes(animation(fmt))
    edit(built / SECOND, "src: assets/second/01.png", f"src: {name}")
    for command in ("check", "build"):
        code, output = run(built, command)
        assert code == 0, output
        warning = f"{SECOND}:7:12: warning: steps[0].image.src (step 1): " \
                  "animated image: using its first frame"
        assert output.count("animated image") == 1, output
        assert warning in output
    with Image.open(built / "site/05-second-guide/step-01.png") as image:
        assert image.size == (320, 240)
        assert near(image.convert("RGB").getpixel((160, 120)), (255, 0, 0), 8)


def test_a_still_gif_is_not_warned_about(built: Path) -> None:
    (built / "guides/assets/second/still.gif").write_bytes(animation("GIF", ("#FF0000",)))
    edit(built / SECOND, "src: assets/second/01.png", "src: assets/second/still.gif")
    code, output = run(built, "build")
    assert code == 0, output
    assert "animated" not in output


# -- 2. output safety --------------------------------------------------------------------


def test_a_render_failure_keeps_the_previous_site(built: Path) -> None:
    before = snapshot(built / "site")
    (built / "guides/assets/second/01.png").write_bytes(png_declaring(320, 240))  # no pixels
    code, output = run(built, "build")
    assert code == 1
    assert "cannot decode the image (truncated or corrupt)" in output
    assert "was left as it was" in output and "Traceback" not in output
    assert snapshot(built / "site") == before


def many_steps_guide(root: Path, steps: int, width: int = 1120) -> None:
    """A guide with `steps` distinct 2000x1400 renders: enough work to be caught mid-way."""
    draw_screenshot(root / "guides/assets/many/shot.png", (2000, 1400), "#6366F1")
    items = "".join(
        f"  - text: Step {i}\n"
        f"    image: {{src: assets/many/shot.png, crop: [{i}, {i}, 2000, 1400]}}\n"
        for i in range(steps)
    )
    (root / "guides/20-many.yml").write_text(
        f"title: Many steps\norder: 20\nimage_defaults: {{width: {width}}}\nsteps:\n{items}"
    )


def group_members(pgid: int) -> list[int]:
    """The live processes of process group `pgid` (zombies left unreaped do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                members.append(int(stat.parent.name))
    return members


@contextlib.contextmanager
def session(args: list[str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own session; whatever is left of it is killed on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=out, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_build_killed_mid_way_loses_nothing_and_the_next_build_completes(
    built: Path, tmp_path: Path
) -> None:
    before = snapshot(built / "site")
    many_steps_guide(built, 30)
    images = built / ".cache/guidesmith/images"
    known = set(images.rglob("*.json"))
    command = [sys.executable, "-c", "from generator.cli import main; main()", "build"]
    with session(command, built, tmp_path / "killed.log") as process:
        deadline = time.monotonic() + 60
        while len(set(images.rglob("*.json")) - known) < 3:  # rendering is under way
            assert process.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the build never started rendering"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)  # the build itself, as `kill -9 PID` does
        assert process.wait(10) == -signal.SIGKILL
        assert snapshot(built / "site") == before  # the previous site, byte for byte

        # Its workers (and their forkserver) see the build's end of a pipe close and exit
        # at once, rather than idle as orphans forever.
        deadline = time.monotonic() + 30
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not group_members(process.pid)
    finished = len(set(images.rglob("*.json")) - known)

    code, output = run(built, "build")
    assert code == 0, output
    assert rendered_count(output) == 30 - finished  # what the killed build made is reused
    assert not [p.name for p in built.iterdir() if p.name.startswith(".site.")]
    assert not [p for p in (built / ".cache").rglob("*") if p.name.endswith(".tmp")]
    resumed = step_images(built / "site")
    assert len(resumed) == 33
    # Every published image is whole: the very bytes of a checked cache entry.
    checked = {json.loads(meta.read_text())["sha256"] for meta in images.rglob("*.json")}
    for image in (built / "site").rglob("step-*"):
        assert hashlib.sha256(image.read_bytes()).hexdigest() in checked, image


def test_what_a_killed_build_left_is_cleaned_up_by_the_next(built: Path) -> None:
    dead = 2**22 + 12345  # above pid_max's default: no such process
    for name in (f".site.new-{dead}", f".site.old-{dead + 1}"):
        (built / name / "x").mkdir(parents=True)
    alive = built / f".site.new-{os.getpid()}-not-ours"  # not a pid: left alone
    alive.mkdir()
    cache = built / ".cache/guidesmith"
    leftovers = [
        cache / "images/ab/.abcdef.jpg.k2j3h4g5.tmp",
        cache / "outputs/.0123.pdf.zzzzzzzz.tmp",
        cache / "downloads/cd/.cdef.q1w2e3r4.tmp",
    ]
    for leftover in leftovers:
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_bytes(b"half a file")
    code, output = run(built, "build")
    assert code == 0, output
    assert sorted(p.name for p in built.iterdir() if p.name.startswith(".site.")) == [alive.name]
    assert not any(leftover.exists() for leftover in leftovers)


def test_a_build_killed_between_its_two_renames_gets_its_site_back(built: Path) -> None:
    # Killed after site/ became .site.old-PID and before the new one took its place.
    before = snapshot(built / "site")
    dead = 2**22 + 54321
    os.replace(built / "site", built / f".site.old-{dead}")
    (built / f".site.new-{dead}").mkdir()
    (built / "guides/assets/second/01.png").write_bytes(b"broken")  # and this build fails
    code, output = run(built, "build")
    assert code == 1, output
    assert snapshot(built / "site") == before
    assert not [p.name for p in built.iterdir() if p.name.startswith(".site.")]


def cache_entry_of(root: Path, published: Path, folder: str) -> Path:
    """The cache file whose bytes were published as `published`."""
    data = published.read_bytes()
    matches = [
        p for p in (root / ".cache/guidesmith" / folder).rglob("*")
        if p.is_file() and p.suffix != ".json" and p.read_bytes() == data
    ]
    assert len(matches) == 1, matches
    return matches[0]


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flip", "truncate", "lose-checksum"])
def test_a_damaged_step_image_in_the_cache_is_rendered_again(built: Path, damage: str) -> None:
    published = built / "site/10-first-guide/step-01.jpg"
    good = published.read_bytes()
    entry = cache_entry_of(built, published, "images")
    if damage == "flip":
        flip_a_byte(entry)
    elif damage == "truncate":
        entry.write_bytes(good[: len(good) // 3])
    else:
        entry.with_suffix(".json").unlink()
    code, output = run(built, "build")
    assert code == 0, output
    assert rendered_count(output) == 1  # exactly that image
    assert published.read_bytes() == good
    assert entry.read_bytes() == good


@pytest.mark.parametrize(
    "companion", ["10-first-guide/10-first-guide.pdf", "10-first-guide/10-first-guide.html",
                  "handout.pdf"]
)
@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_companion_in_the_cache_is_made_again(
    built: Path, companion: str, damage: str
) -> None:
    published = built / "site" / companion
    good = published.read_bytes()
    entry = cache_entry_of(built, published, "outputs")
    others = contents_of_others(entry)
    if damage == "flip":
        flip_a_byte(entry)
    else:
        entry.write_bytes(good[: len(good) // 2])
    damaged = entry.read_bytes()
    code, output = run(built, "build", "--verbose")
    assert code == 0, output
    assert "remade 0 step image(s) and 1 page(s)/PDF(s) of " in output  # that one, made again
    assert read_checked(entry) is not None
    assert published.read_bytes() == entry.read_bytes() != damaged
    if companion.endswith(".pdf"):
        pages = [len(PdfReader(io.BytesIO(data)).pages) for data in (published.read_bytes(), good)]
        assert pages[0] == pages[1]
    else:
        assert published.read_text().rstrip().endswith("</html>")
    assert contents_of_others(entry) == others  # the others were not made again


def contents_of_others(entry: Path) -> dict[Path, object]:
    """The other entries beside `entry`: their bytes, and the checksums their sidecars
    record (a sidecar may be rewritten with a fresh fingerprint: see fsutil.read_checked)."""
    return {
        p: json.loads(p.read_text())["sha256"] if p.suffix == ".json" else p.read_bytes()
        for p in entry.parent.iterdir() if p != entry and p.is_file()
    }


def test_a_second_build_fails_at_once_while_another_holds_the_lock(built: Path) -> None:
    before = snapshot(built / "site")
    with project_lock(built):  # what a running build holds, for its whole duration
        started = time.monotonic()
        code, output = run(built, "build")
        assert time.monotonic() - started < 10  # it does not wait for the lock
    assert code == 1
    lock = built / ".cache/guidesmith/build.lock"
    assert output.strip() == (
        f"Error: another guidesmith build is running in this project ({lock} is locked); "
        "wait for it to finish"
    )
    assert snapshot(built / "site") == before
    code, output = run(built, "build")  # the lock is free again
    assert code == 0, output


def test_a_running_build_in_another_process_locks_out_a_second(
    built: Path, tmp_path: Path
) -> None:
    many_steps_guide(built, 16, width=1000)
    images = built / ".cache/guidesmith/images"
    known = set(images.rglob("*.json"))
    command = [sys.executable, "-c", "from generator.cli import main; main()", "build"]
    with session(command, built, tmp_path / "first.log") as first:
        deadline = time.monotonic() + 60
        while not set(images.rglob("*.json")) - known:  # the first build is rendering
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        code, output = run(built, "build")
        assert first.poll() is None, "the first build ended too soon to overlap"
        assert code == 1
        assert "another guidesmith build is running in this project" in output
    with project_lock(built):  # the first build was killed on the way out: its lock went too
        pass


# -- 3. --offline opens no socket -----------------------------------------------------------


def test_offline_builds_never_open_a_network_socket(
    project: Callable[[str], Path], httpserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("basic")
    serve_second_screenshot(root, httpserver)
    assert run(root, "build")[0] == 0  # online: the screenshot is downloaded and cached
    never = "http://127.0.0.1:9/never-downloaded.png"
    edit(root / FIRST, "src: assets/first/02.png", f"src: {never}")

    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("the network is off in this test")

    def connect(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX:  # the worker pool's forkserver: not the network
            return real_connect(self, address)
        return refuse(address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family == socket.AF_UNIX:
            return real_connect_ex(self, address)
        refuse(address)
        return 1

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

    code, output = run(root, "check", "--offline")
    assert code == 1
    assert output.splitlines()[0] == (
        f"{FIRST_STEP_3}: offline: {never} is not in the download cache"
    )
    code, output = run(root, "build", "--offline", "--placeholders")
    assert code == 0, output
    assert f"offline: {never} is not in the download cache; rendered a placeholder" in output
    assert rendered_count(output) == 1  # the placeholder; the cached download was reused
    assert attempts == []
    assert len(httpserver.log) == 1
    with Image.open(root / "site/05-second-guide/step-01.png") as image:
        assert image.size == (320, 240)
    with Image.open(root / "site/10-first-guide/step-03.jpg") as image:
        assert image.size == (200, 112)  # a 16:9 placeholder, 200 px wide
