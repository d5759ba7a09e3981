"""`make bench`: guidesmith's build against a plain Pillow loop, measured in one run.

Generates a corpus outside the repository (24 guides x 10 steps of 2842x1932 JPEG
screenshots, the seed's parameters varied), then times:

1. baseline: a single-process Pillow loop (open, crop, resize LANCZOS, paste the marker,
   save JPEG) over the same images, and nothing else;
2. `guidesmith build` cold (empty caches), with pages, standalone HTML and PDFs;
3. `guidesmith build` again with nothing changed;
4. `guidesmith build` after editing one step's crop in one guide.

Then `guidesmith capture` against Playwright alone (scripts/bench_capture.py), and the
AutoCon series built offline with placeholders against a plain Pillow loop drawing them
(scripts/bench_placeholders.py).

Peak RSS is sampled from /proc over the whole process tree of each build.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchutil import GUIDESMITH
from PIL import Image, ImageDraw

GUIDES = int(os.environ.get("GUIDESMITH_BENCH_GUIDES", "24"))  # more, to see memory stay flat
STEPS = 10
SOURCE_SIZE = (2842, 1932)
WIDTH = 1120
CROPS = [(45, 196, 2797, 1735), (90, 0, 2842, 1538), (0, 393, 2752, 1932), (0, 0, 2752, 1538)]
PADS = [(1059, -8), (888, 277), (117, 388), (244, 96), (115, 156), (866, 51), (308, 276)]


@dataclass
class Run:
    name: str
    seconds: float
    images: int
    peak_rss_mb: float


def draw_source(path: Path, seed: int) -> None:
    """A screenshot-like JPEG: flat UI blocks plus some texture, different per seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", SOURCE_SIZE, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SOURCE_SIZE[0], 120), fill=(36, 41, 47))
    draw.rectangle((0, 120, 520, SOURCE_SIZE[1]), fill=(246, 248, 250))
    for _ in range(60):
        x, y = rng.randrange(560, 2700), rng.randrange(160, 1850)
        colour = tuple(rng.randrange(120, 250) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(80, 600), y + rng.randrange(20, 90)), fill=colour)
    for y in range(200, 1900, 36):
        draw.line((40, y, 40 + rng.randrange(120, 440), y), fill=(87, 96, 106), width=6)
    image.save(path, quality=90)


def make_corpus(root: Path) -> list[tuple[Path, tuple[int, int, int, int], tuple[int, int]]]:
    """The project and the (source, crop, pad) list of every step; sources drawn once."""
    guides_dir = root / "guides"
    assets = guides_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Bench\ndocs_dir: guides\ntheme:\n  name: material\n"
        "plugins:\n  - guidesmith\n"
    )
    (guides_dir / "index.md").write_text("# Bench\n")
    steps = []
    for g in range(GUIDES):
        lines = [
            f"title: Bench guide {g:02d}", f"order: {g}", f"chapter: Chapter {g // 6}",
            "image_defaults:", f"  width: {WIDTH}", "  quality: 100",
            "  marker: {src: 'builtin:circle#FB923C', opacity: 0.7, gravity: northwest}",
            "steps:",
        ]
        for s in range(STEPS):
            n = g * STEPS + s
            source = assets / f"{n:03d}.jpg"
            if not source.exists():
                draw_source(source, n)
            crop, pad = CROPS[n % len(CROPS)], PADS[n % len(PADS)]
            steps.append((source, crop, pad))
            lines += [
                f"  - text: Step {s + 1} of guide {g}, click the thing",
                "    image:",
                f"      src: assets/{source.name}",
                f"      crop: [{', '.join(map(str, crop))}]",
                f"      marker: {{pad: [{pad[0]}, {pad[1]}]}}",
            ]
        (guides_dir / f"g{g:02d}.yml").write_text("\n".join(lines) + "\n")
    return steps


def baseline(steps: list[tuple[Path, tuple[int, int, int, int], tuple[int, int]]],
             out: Path) -> Run:
    """The plain loop: what any script would do with Pillow, single process."""
    from generator.markers import builtin_marker

    marker = builtin_marker("FB923C")
    alpha = marker.getchannel("A").point(lambda a: round(a * 0.7))
    marker.putalpha(alpha)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, (source, crop, pad) in enumerate(steps):
        with Image.open(source) as image:
            cropped = image.crop(crop)
            height = round(cropped.height * WIDTH / cropped.width)
            resized = cropped.resize((WIDTH, height), Image.Resampling.LANCZOS)
            resized.paste(marker, pad, marker)
            resized.save(out / f"{i:03d}.jpg", quality=100)
    return Run("1 baseline: plain Pillow loop", time.perf_counter() - start, len(steps),
               _self_rss_mb())


def _self_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def timed_build(root: Path, name: str) -> tuple[Run, str]:
    """Run `guidesmith build --offline` and sample the tree's memory while it runs."""
    command = [GUIDESMITH, "build", "--offline"]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{name}: build failed:\n{output}")
    rendered = next(
        (int(w) for line in output.splitlines() if "image(s) rendered" in line
         for w in [line.split("guide(s), ")[1].split(" ")[0]]), -1)
    return Run(name, seconds, rendered, peak / 1024), output


def main() -> None:
    default = Path(tempfile.gettempdir()) / "guidesmith-bench"
    work = Path(os.environ.get("GUIDESMITH_BENCH_DIR", default))
    width, height = SOURCE_SIZE
    print(f"corpus: {work} ({GUIDES} guides x {STEPS} steps, {width}x{height} JPEG)")
    steps = make_corpus(work)
    shutil.rmtree(work / "site", ignore_errors=True)
    shutil.rmtree(work / ".cache", ignore_errors=True)
    runs = [baseline(steps, work / ".baseline-out")]
    runs.append(timed_build(work, "2 guidesmith build, cold")[0])
    runs.append(timed_build(work, "3 rebuild, nothing changed")[0])
    guide = work / "guides/g05.yml"
    text = guide.read_text()
    guide.write_text(text.replace("crop: [", "crop: [1", 1))  # x1 45 -> 145: one step's crop
    try:
        runs.append(timed_build(work, "4 rebuild, one crop edited")[0])
    finally:
        guide.write_text(text)
    print()
    print(f"{'run':34} {'wall s':>8} {'images':>7} {'img/s':>8} {'peak RSS MB':>12}")
    for run in runs:
        rate = run.images / run.seconds if run.images > 0 else 0
        print(f"{run.name:34} {run.seconds:8.2f} {run.images:7d} {rate:8.1f} "
              f"{run.peak_rss_mb:12.0f}")
    base, cold, again, edit = (r.seconds for r in runs)
    print()
    print(f"cold / baseline      = {cold / base:.3f}   (target <= 0.60)")
    print(f"no-change / cold     = {again / cold:.3f}   (target <= 0.10)")
    print(f"one-edit / cold      = {edit / cold:.3f}   (target <= 0.15)")
    print()
    from bench_capture import measure  # scripts/ is on the path: this file's folder

    measure()
    from bench_placeholders import measure as measure_placeholders

    measure_placeholders()


if __name__ == "__main__":
    main()
