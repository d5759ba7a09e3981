"""`make bench`, part 3: a whole imported series built offline with placeholders.

The AutoCon workshop series (23 Scribe exports, 458 steps, every screenshot on Scribe's
servers) is imported into a new project, then, in one run:

1. baseline: a plain Pillow loop draws and saves 458 placeholder images of the very output
   sizes the build makes (a grey panel, a border, a label; JPEG), single process;
2. `guidesmith build --offline --placeholders`, cold: every page, step image (a stand-in
   with its marker), standalone page, guide PDF and the handout.

Three rounds, each the baseline then the build (`--clean`: cold), as the capture bench
does: the ratio is each round's, and the median is the figure (one run of each on a shared
machine varied from 5.8 to 8.2). Target (issue 14): the build within 8x the baseline. The
series is read from ../shared/scribe-exports/autocon3-ws-d2 beside the repository, or
GUIDESMITH_BENCH_SERIES.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchutil import GUIDESMITH, REPO, print_rounds, ratio_line, run_timed
from PIL import Image, ImageDraw, ImageFont

SERIES = Path(os.environ.get(
    "GUIDESMITH_BENCH_SERIES", REPO.parent / "shared/scribe-exports/autocon3-ws-d2"))
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TARGET = 8.0
ROUNDS = 3


def output_sizes(root: Path) -> list[tuple[int, int]]:
    """The size of every step image the build will make (from the image plan: no pixels)."""
    from generator.fetch import Fetcher, FetchSettings
    from generator.images import ImagePlanner
    from generator.loader import load_guide
    from generator.pipeline import find_guides

    guides = [load_guide(path, root) for path in find_guides(root / "guides")]
    cache = root / ".cache-sizes"
    fetcher = Fetcher(cache, root, FetchSettings(offline=True))
    try:
        plan = ImagePlanner(fetcher, cache, placeholders=True).plan(guides)
    finally:
        fetcher.close()
        shutil.rmtree(cache, ignore_errors=True)
    return [(p.image.width, p.image.height) for guide in plan.guides for p in guide.planned]


def baseline(sizes: list[tuple[int, int]], out: Path) -> float:
    """What any script would do: draw each stand-in at its output size and save it."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start = time.perf_counter()
    for index, (width, height) in enumerate(sizes):
        image = Image.new("RGB", (width, height), "#E5E7EB")
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype(str(FONT), max(12, width // 24))
        draw.rectangle((0, 0, width - 1, height - 1), outline="#9CA3AF", width=6)
        draw.text((width // 2, height // 2), "screenshot unavailable", fill="#4B5563",
                  font=font, anchor="mm")
        image.save(out / f"{index:03d}.jpg", quality=90)
    return time.perf_counter() - start


def measure() -> None:
    if not SERIES.is_dir():
        print(f"placeholders: skipped, no series at {SERIES} (set GUIDESMITH_BENCH_SERIES)")
        return
    work = Path(tempfile.gettempdir()) / "guidesmith-bench-series"
    shutil.rmtree(work, ignore_errors=True)
    run_timed([GUIDESMITH, "import", str(SERIES), "--init", str(work)], REPO)
    sizes = output_sizes(work)
    bases, builds = [], []
    for _ in range(ROUNDS):
        bases.append(baseline(sizes, work / ".baseline-out"))
        seconds, said = run_timed(
            [GUIDESMITH, "build", "--offline", "--placeholders", "--clean"], work)
        builds.append(seconds)
    built = next(line for line in said.splitlines() if line.startswith("Built "))
    ratios = [build / base for build, base in zip(builds, bases, strict=True)]
    print()
    print(f"series: {SERIES.name}, {len(sizes)} steps; {built}")
    print_rounds({"1 baseline: plain Pillow loop, placeholders": bases,
                  "2 build --offline --placeholders, cold, all": builds})
    print(ratio_line("placeholder build / baseline", ratios, f"{TARGET:g}", digits=2))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    measure()
