"""Rendered step images: fetch sources, key them by content, render what is missing.

Work is planned early (sources fetched, output sizes known from image headers, render
jobs submitted to a process pool) and collected late, the way Material's social plugin
does it, so MkDocs builds pages while Pillow works. Rendered files are cached under
`.cache/guidesmith/images/`, named by a hash of everything that affects their pixels.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import PIL.Image
from PIL import ImageDraw, ImageFont

from generator import __version__, transform
from generator.cloudimg import scribe_marker_colour
from generator.errors import GuideError, GuideErrors
from generator.fetch import Fetcher, FetchError
from generator.fsutil import atomic_write
from generator.loader import LoadedGuide, format_loc
from generator.markers import builtin_marker, ensure_rgba, parse_builtin
from generator.model import Image
from generator.yamlsource import locate

CACHE_VERSION = "1"
POOL_BROKEN = (
    "a worker process stopped abruptly (killed, or out of memory?); nothing was published, "
    "run the build again"
)
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass(frozen=True)
class StepImage:
    """One rendered screenshot, as pages need to know it."""

    number: int
    filename: str
    path: Path
    width: int
    height: int
    placeholder: bool = False


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker process needs; plain data so it pickles cheaply."""

    source: bytes | None
    marker: bytes | None
    marker_colour: str | None
    spec: dict[str, Any]
    out_path: Path
    placeholder_size: tuple[int, int] | None = None


@dataclass
class GuideImages:
    """The images of one guide: known sizes now, files once `wait()` returns."""

    loaded: LoadedGuide
    images: dict[int, StepImage] = field(default_factory=dict)
    # (image, its render job or None when cached, index of the step in guide.steps)
    pending: list[tuple[StepImage, Future[list[str]] | None, int]] = field(default_factory=list)


def _decode(data: bytes) -> PIL.Image.Image:
    """Open image bytes; Pillow's decompression-bomb guard stays on (and is an error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
        image = PIL.Image.open(io.BytesIO(data))
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
    return image


def _placeholder(size: tuple[int, int], crop_box: tuple[int, int, int, int]) -> PIL.Image.Image:
    """A neutral source image with a label centred in the crop box."""
    canvas = PIL.Image.new("RGB", size, "#E5E7EB")
    draw = ImageDraw.Draw(canvas)
    x1, y1, x2, y2 = crop_box
    font_size = max(12, (x2 - x1) // 24)
    font = (
        ImageFont.truetype(str(_FONT), font_size)
        if _FONT.exists()
        else ImageFont.load_default(size=font_size)
    )
    draw.rectangle(crop_box, outline="#9CA3AF", width=max(2, font_size // 6))
    draw.text(
        ((x1 + x2) // 2, (y1 + y2) // 2), "screenshot unavailable", fill="#4B5563", font=font,
        anchor="mm",
    )
    return canvas


def render_job(job: RenderJob) -> list[str]:
    """Render one step image into the cache (runs in a worker process); return warnings."""
    spec = Image.model_validate(job.spec)
    if job.source is None:
        assert job.placeholder_size is not None
        box, _ = transform.crop_box(job.placeholder_size, spec.crop)
        source = _placeholder(job.placeholder_size, box)
        full_size = None
    else:
        source = _decode(job.source)
        full_size = source.size
        if source.format == "JPEG" and (wanted := transform.draft_size(full_size, spec)):
            source.draft(None, wanted)
    marker = None
    if spec.marker is not None:
        marker = (
            ensure_rgba(_decode(job.marker))
            if job.marker is not None
            else builtin_marker(job.marker_colour or "FB923C")
        )
    rendered, notes = transform.render(source, spec, marker, full_size=full_size)
    data = transform.encode(rendered, spec.format, spec.quality)
    meta = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": rendered.width,
        "height": rendered.height,
        "warnings": notes,
    }
    atomic_write(job.out_path, data)
    atomic_write(job.out_path.with_suffix(".json"), json.dumps(meta))
    return notes


def _cached(path: Path) -> dict[str, Any] | None:
    """The cache entry's metadata if the file is intact, else None (and it is dropped)."""
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text())
        if hashlib.sha256(path.read_bytes()).hexdigest() == meta["sha256"]:
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for stale in (path, meta_path):
        stale.unlink(missing_ok=True)
    return None


def _spec_for_key(image: Image) -> dict[str, Any]:
    """The parameters that change pixels: not where the bytes came from."""
    return image.model_dump(mode="json", exclude={"src", "origin", "params"})


def cache_key(
    source: bytes | None, marker: bytes | str | None, image: Image, extra: str = ""
) -> str:
    """Content, parameters and generator version; never time."""
    digest = hashlib.sha256
    parts = {
        "v": CACHE_VERSION,
        "generator": __version__,
        "source": digest(source).hexdigest() if source is not None else f"placeholder:{extra}",
        "marker": digest(marker).hexdigest() if isinstance(marker, bytes) else marker,
        "spec": _spec_for_key(image),
    }
    return digest(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class ImageBuilder:
    """Plans and renders the step images of a build; one per build (or per `serve`)."""

    def __init__(
        self,
        fetcher: Fetcher,
        cache_root: Path,
        *,
        placeholders: bool = False,
        workers: int | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.cache_root = cache_root / "images"
        self.placeholders = placeholders
        self.workers = workers or os.cpu_count() or 1
        self._pool: Executor | None = None
        self.rendered = 0
        self.render = True
        self.notes: list[GuideError] = []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run `fn(*args)` in the build's worker processes (started on first use)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("forkserver"))
        return self._pool.submit(fn, *args)

    def _submit(self, job: RenderJob) -> Future[list[str]]:
        self.rendered += 1
        return self.submit(render_job, job)

    def plan(self, guides: list[LoadedGuide], *, render: bool = True) -> list[GuideImages]:
        """Fetch every source, size every image, submit what the cache lacks (if `render`).

        Raises GuideErrors listing every step whose image cannot be had.
        """
        self.render = render
        requests = {
            (image.src, loaded.base_dir)
            for loaded in guides
            for _, step in loaded.guide.numbered_steps()
            if (image := step.image) is not None
        } | {
            (image.marker.src, loaded.base_dir)
            for loaded in guides
            for _, step in loaded.guide.numbered_steps()
            if (image := step.image) is not None
            and image.marker is not None
            and parse_builtin(image.marker.src) is None
        }
        fetched = self.fetcher.read_many(sorted(requests, key=lambda r: (r[0], str(r[1]))))
        problems: list[GuideError] = []
        planned = [self._plan_guide(loaded, fetched, problems) for loaded in guides]
        if any(p.severity == "error" for p in problems):
            raise GuideErrors(problems)
        self.notes = problems
        return planned

    def _plan_guide(
        self,
        loaded: LoadedGuide,
        fetched: dict[str, bytes | FetchError],
        problems: list[GuideError],
    ) -> GuideImages:
        result = GuideImages(loaded)
        for index, number, step in loaded.guide.indexed_steps():
            if step.image is None:
                continue
            try:
                planned = self._plan_step(loaded, number, step.image, fetched, problems, index)
            except (FetchError, transform.TransformError, OSError, PIL.Image.DecompressionBombError,
                    PIL.Image.DecompressionBombWarning, PIL.UnidentifiedImageError) as exc:
                problems.append(_step_problem(loaded, index, number, "src", _describe(exc)))
                continue
            result.images[number] = planned[0]
            result.pending.append(planned)
        return result

    def _marker(
        self, loaded: LoadedGuide, image: Image, fetched: dict[str, bytes | FetchError],
        problems: list[GuideError], index: int, number: int,
    ) -> tuple[bytes | None, str | None]:
        if image.marker is None:
            return None, None
        colour = parse_builtin(image.marker.src)
        if colour is not None:
            return None, colour
        got = fetched[image.marker.src]
        if isinstance(got, bytes):
            return got, None
        scribe = scribe_marker_colour(image.marker.src)
        if scribe is None:
            raise got
        message = f"marker {image.marker.src} unavailable ({got}); using builtin:circle#{scribe}"
        if not any(p.message == message for p in problems):
            problems.append(_step_problem(loaded, index, number, "marker.src", message, "warning"))
        return None, scribe

    def _plan_step(
        self, loaded: LoadedGuide, number: int, image: Image,
        fetched: dict[str, bytes | FetchError], problems: list[GuideError], index: int,
    ) -> tuple[StepImage, Future[list[str]] | None, int]:
        marker_bytes, colour = self._marker(loaded, image, fetched, problems, index, number)
        got = fetched[image.src]
        placeholder_size = None
        if isinstance(got, FetchError):
            if not self.placeholders:
                raise got
            placeholder_size = _placeholder_source_size(image)
            problems.append(_step_problem(
                loaded, index, number, "src", f"{got}; rendered a placeholder", "warning"))
            source_size, source = placeholder_size, None
        else:
            source = got
            source_size = _decode(got).size
        box, clamp_notes = transform.crop_box(source_size, image.crop)
        width, height = transform.output_size(box[2] - box[0], box[3] - box[1], image.width)
        for note in clamp_notes:
            problems.append(_step_problem(loaded, index, number, "crop", note, "warning"))
        key = cache_key(source, marker_bytes if marker_bytes is not None else colour, image,
                        extra=f"{placeholder_size}")
        out_path = self.cache_root / key[:2] / f"{key}.{image.extension}"
        filename = f"step-{number:02d}.{image.extension}"
        step_image = StepImage(number, filename, out_path, width, height, source is None)
        future = None
        if self.render and _cached(out_path) is None:
            job = RenderJob(source, marker_bytes, colour, image.model_dump(mode="json"), out_path,
                            placeholder_size)
            future = self._submit(job)
        return step_image, future, index

    def wait(self, planned: list[GuideImages]) -> None:
        """Block until every submitted image is in the cache; raise GuideErrors on failures."""
        problems = []
        for guide_images in planned:
            for step_image, future, index in guide_images.pending:
                if future is None:
                    continue
                try:
                    future.result()
                except BrokenProcessPool:
                    self.close()  # a later build (under `serve`) starts a fresh pool
                    raise GuideErrors([GuideError(
                        guide_images.loaded.display, POOL_BROKEN)]) from None
                except Exception as exc:  # a worker's failure is reported, never raised raw
                    problems.append(_step_problem(
                        guide_images.loaded, index, step_image.number, "src",
                        f"cannot render the image: {_describe(exc)}"))
            guide_images.pending = [(s, None, i) for s, _, i in guide_images.pending]
        if problems:
            raise GuideErrors(problems)


def _placeholder_source_size(image: Image) -> tuple[int, int]:
    """A source size in which the crop box fits, so the output size is what it implies."""
    x1, y1, x2, y2 = image.crop or (None, None, None, None)
    if x2 is not None and y2 is not None:
        return x2, y2
    width = image.width or 1120
    return (x1 or 0) + width, (y1 or 0) + round(width * 9 / 16)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PIL.Image.DecompressionBombError | PIL.Image.DecompressionBombWarning):
        return f"refused as a possible decompression bomb: {exc}"
    if isinstance(exc, PIL.UnidentifiedImageError):
        return "not an image Pillow can read"
    return str(exc) or type(exc).__name__


def _step_problem(
    loaded: LoadedGuide, index: int, number: int, field_name: str, message: str,
    severity: str = "error",
) -> GuideError:
    loc = ("steps", index, "image", *field_name.split("."))
    line, col = locate(loaded.node, loc)
    return GuideError(loaded.display, message, line, col, f"{format_loc(loc)} (step {number})",
                      severity)
