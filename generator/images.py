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
import struct
import threading
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import PIL.Image
from PIL import ImageDraw, ImageFile, ImageFont

from generator import __version__, transform
from generator.cloudimg import scribe_marker_colour
from generator.errors import GuideError, GuideErrors
from generator.fetch import Fetcher, FetchError, read_entry, read_limited
from generator.fsutil import fingerprint, read_checked, write_checked
from generator.loader import LoadedGuide, format_loc
from generator.markers import builtin_marker, ensure_rgba, parse_builtin
from generator.model import Image, Step
from generator.render.printimages import keep_print_version
from generator.render.views import StepImage
from generator.sources import SourceFacts, SourceIndex
from generator.workers import POOL_BROKEN, Workers

CACHE_VERSION = "1"
# The largest side each encoder writes (libjpeg: 65500, libwebp: 16383); PNG has no such
# limit, so JPEG's stands for it: nothing taller is a sensible step image.
MAX_SIDE = {"jpeg": 65500, "webp": 16383, "png": 65500}
# What a screenshot or a marker may be; Pillow is asked to open nothing else.
SOURCE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_WARNINGS_LOCK = threading.Lock()


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker process needs; plain data so it pickles cheaply."""

    source: bytes | None
    marker: bytes | None
    marker_colour: str | None
    spec: dict[str, Any]
    out_path: Path
    placeholder_size: tuple[int, int] | None = None
    # The print box (pixels) when the build makes PDFs: the print version is kept too.
    print_box: tuple[int, int] | None = None
    # The file the worker reads the source from (`source` is None then): the screenshot,
    # or its download cache entry (`source_packed`); and the hash it must have.
    source_path: Path | None = None
    source_digest: str | None = None
    source_packed: bool = False
    max_bytes: int = 0


@dataclass
class Fetched:
    """What planning has of every screenshot and marker, by src; failures in place."""

    sources: dict[str, Source | FetchError]
    markers: dict[str, bytes | FetchError]


@dataclass
class Source:
    """A step's screenshot as planning has it: its facts and the file a worker reads it
    from, so planning holds no screenshot's bytes (only when no file has them: a download
    the cache could not keep)."""

    data: bytes | None
    path: Path | None = None
    seen: list[int] | None = None  # a local file's fingerprint, taken before it was read
    facts: SourceFacts | None = None
    packed: bool = False  # `path` is a download cache entry
    problem: ImageProblem | None = None  # why its header cannot be read


@dataclass
class GuideImages:
    """The images of one guide: known sizes now, files once `wait()` returns."""

    loaded: LoadedGuide
    images: dict[int, StepImage] = field(default_factory=dict)
    # (image, its render job or None when cached, index of the step in guide.steps)
    pending: list[tuple[StepImage, Future[list[str]] | None, int]] = field(default_factory=list)

    def jobs(self) -> list[Future[list[str]]]:
        """The render jobs not yet collected: what this guide's pages and PDF wait for."""
        return [future for _, future, _ in self.pending if future is not None]


class ImageProblem(Exception):
    """An image (a step's source, or its marker) that cannot be used; said for the author.

    `field` is where the step names it: "src" or "marker.src". Both are the exception's
    args, so it pickles back from a worker process whole.
    """

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(field_name, message)
        self.field = field_name
        self.message = message

    def __str__(self) -> str:
        return self.message


# What Pillow raises on damaged data, depending on the format and where the damage is.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


def _decode(data: bytes, field_name: str = "src") -> PIL.Image.Image:
    """Open image bytes (headers only); Pillow's decompression-bomb guard stays on.

    A source over Pillow's pixel limit is refused (its warning is an error here), never
    decoded: a small file can declare a size that would take gigabytes of memory. Only
    screenshot formats are opened: Pillow's other plugins (EPS runs Ghostscript, for one)
    are more than a file from outside should reach.
    """
    try:
        # catch_warnings changes process-wide state: one thread at a time (planning reads
        # sources in threads).
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            return PIL.Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except (PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning) as exc:
        raise ImageProblem(field_name, f"refused as a possible decompression bomb: {exc}") from None
    except PIL.UnidentifiedImageError:
        raise ImageProblem(field_name, "not a PNG, JPEG, WebP or GIF image") from None
    except _DAMAGED as exc:
        raise ImageProblem(field_name, _damaged(exc)) from None


def _load(image: PIL.Image.Image, field_name: str = "src") -> PIL.Image.Image:
    """Decode the pixels of an opened image: where a truncated or corrupt file shows.

    WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when it is imported, which
    would let a truncated screenshot through with grey rows: strict here, whatever ran.
    """
    saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        image.load()
    except _DAMAGED as exc:
        raise ImageProblem(field_name, _damaged(exc)) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved
    return image


def _is_animated(image: PIL.Image.Image, field_name: str = "src") -> bool:
    """True for a GIF or WebP of more than one frame (only the first frame is used)."""
    try:
        return bool(getattr(image, "is_animated", False))
    except _DAMAGED as exc:
        raise ImageProblem(field_name, _damaged(exc)) from None


def _damaged(exc: BaseException) -> str:
    return f"cannot decode the image (truncated or corrupt): {str(exc) or type(exc).__name__}"


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


def _inputs(
    job: RenderJob, spec: Image
) -> tuple[PIL.Image.Image, tuple[int, int] | None, PIL.Image.Image | None]:
    """The job's source (decoded, at draft size for a large JPEG), full size and marker."""
    data = job.source if job.source is not None else _read_source(job)
    if data is None:
        assert job.placeholder_size is not None
        box, _ = transform.crop_box(job.placeholder_size, spec.crop)
        source = _placeholder(job.placeholder_size, box)
        full_size = None
    else:
        source = _decode(data)
        full_size = source.size
        if source.format == "JPEG" and (wanted := transform.draft_size(full_size, spec)):
            source.draft(None, wanted)
        _load(source)  # an animated source stays on its first frame
    marker = None
    if spec.marker is not None:
        marker = (
            ensure_rgba(_load(_decode(job.marker, "marker.src"), "marker.src"))
            if job.marker is not None
            else builtin_marker(job.marker_colour or "FB923C")
        )
    return source, full_size, marker


def _read_source(job: RenderJob) -> bytes | None:
    """The source, read by the worker: it must still be the file planning keyed."""
    if job.source_path is None:
        return None
    try:
        if job.source_packed:
            data = read_entry(job.source_path, job.max_bytes) or b""
        else:
            data = read_limited(job.source_path, job.max_bytes, job.source_path.name)
    except (OSError, FetchError) as exc:
        raise ImageProblem("src", f"cannot read the file: {exc}") from None
    if hashlib.sha256(data).hexdigest() != job.source_digest:
        raise ImageProblem("src", "the file changed while the build was running: build again")
    return data


def render_job(job: RenderJob) -> list[str]:
    """Render one step image into the cache (runs in a worker process); return warnings."""
    spec = Image.model_validate(job.spec)
    source, full_size, marker = _inputs(job, spec)
    rendered, notes = transform.render(source, spec, marker, full_size=full_size)
    data = transform.encode(rendered, spec.format, spec.quality)
    write_checked(job.out_path, data, width=rendered.width, height=rendered.height,
                  warnings=notes)
    if job.print_box is not None:  # while the pixels are in memory: no decoding it again
        keep_print_version(rendered, job.out_path, job.print_box)
    return notes


def verify_job(job: RenderJob) -> list[str]:
    """Decode a step's source and marker in full, writing nothing (`guidesmith check`)."""
    _inputs(job, Image.model_validate(job.spec))
    return []


def _cached(path: Path) -> dict[str, Any] | None:
    """The cache entry's metadata if the file is intact, else None (and it is dropped)."""
    return read_checked(path)


def _spec_for_key(image: Image) -> dict[str, Any]:
    """The parameters that change pixels: not where the bytes came from."""
    return image.model_dump(mode="json", exclude={"src", "origin", "params"})


def cache_key(
    source: str | None, marker: bytes | str | None, image: Image, extra: str = ""
) -> str:
    """Content (`source` is the screenshot's sha256), parameters and generator version;
    never time."""
    digest = hashlib.sha256
    parts = {
        "v": CACHE_VERSION,
        "generator": __version__,
        "source": source if source is not None else f"placeholder:{extra}",
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
        workers: Workers | None = None,
        print_box: tuple[int, int] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.print_box = print_box
        self.cache_root = cache_root / "images"
        self.placeholders = placeholders
        self.workers = workers if workers is not None else Workers()
        self.index = SourceIndex(cache_root / "sources.json")
        self._queued: list[tuple[Callable[..., Any], RenderJob, Future[Any]]] = []
        self.rendered = 0
        self.render = True
        self.notes: list[GuideError] = []

    def _submit(self, job: RenderJob) -> Future[list[str]]:
        """Queue a job; `_dispatch` starts the queue once planning knows its length."""
        fn = verify_job if not self.render else render_job
        self.rendered += self.render
        placeholder: Future[list[str]] = Future()
        self._queued.append((fn, job, placeholder))
        return placeholder

    def _dispatch(self) -> None:
        queued, self._queued = self._queued, []
        run = self.workers.submit_for(len(queued))
        for fn, job, placeholder in queued:
            self.workers.after([], run, fn, job, target=placeholder)

    def plan(self, guides: list[LoadedGuide], *, render: bool = True) -> list[GuideImages]:
        """Fetch every source, size every image, submit what the cache lacks.

        With `render=False` (`guidesmith check`) nothing is written: the sources and markers
        the cache has not seen are decoded in full instead, and this waits for them.
        Raises GuideErrors listing every step whose image cannot be had, in every guide:
        when planning finds a problem, the jobs already submitted are waited for too, so
        one run reports them all (their work is cached for the next build).
        """
        self.render = render
        images = [
            (loaded, image)
            for loaded in guides
            for _, step in loaded.guide.numbered_steps()
            if (image := step.image) is not None
        ]
        sources = {(image.src, loaded.base_dir) for loaded, image in images}
        markers = {
            (image.marker.src, loaded.base_dir)
            for loaded, image in images
            if image.marker is not None and parse_builtin(image.marker.src) is None
        }
        known, local = self._local_sources(sources)
        unknown = sorted((r for r in sources if r[0] not in known), key=_request_order)
        read = self.fetcher.read_many(unknown, reduce=lambda src, data: self._source(
            src, data, *local.get(src, (None, None))))
        for src, (path, seen) in local.items():
            if isinstance(got := read.get(src), Source) and got.facts is not None:
                self.index.put(path, got.facts, seen)
        fetched = Fetched(
            sources={**read, **known},
            markers=self.fetcher.read_many(sorted(markers, key=_request_order)),
        )
        problems: list[GuideError] = []
        self.notes = problems  # warnings of planning, then of rendering (see _collect)
        planned = [self._plan_guide(loaded, fetched, problems) for loaded in guides]
        self.index.save()
        self._dispatch()
        if not render or _has_errors(problems):
            problems += self._collect(planned)
        if _has_errors(problems):
            order = {loaded.display: i for i, loaded in enumerate(guides)}
            raise GuideErrors(sorted(problems, key=lambda p: (order.get(p.path, 0), p.line or 0)))
        return planned

    def _local_sources(
        self, sources: set[tuple[str, Path]]
    ) -> tuple[dict[str, Source], dict[str, tuple[Path, list[int]]]]:
        """The local sources the index knows unchanged (not read), and the other local
        files with their fingerprints, taken before read_many reads them."""
        known: dict[str, Source] = {}
        local: dict[str, tuple[Path, list[int]]] = {}
        for src, base_dir in sources:
            if "://" in src:
                continue
            try:
                path = self.fetcher.local_file(src, base_dir)
                seen = fingerprint(path)
            except (FetchError, OSError):
                continue  # read_many says what is wrong with it
            facts = self.index.get(path)
            if facts is not None:
                known[src] = Source(None, path, seen, facts)
            else:
                local[src] = (path, seen)
        return known, local

    def _source(
        self, src: str, data: bytes, path: Path | None, seen: list[int] | None
    ) -> Source:
        """What planning keeps of a source it has just read (in a reading thread): its
        facts, and the file a worker will read it from; the bytes are let go."""
        packed = False
        if path is None and (entry := self.fetcher.cached_download(src)) is not None:
            path, packed = entry, True
        try:
            opened = _decode(data)
            facts = SourceFacts(hashlib.sha256(data).hexdigest(), opened.size,
                                _is_animated(opened))
        except ImageProblem as exc:
            return Source(None, path, seen, problem=exc)
        return Source(None if path is not None else data, path, seen, facts, packed)

    def _plan_guide(
        self,
        loaded: LoadedGuide,
        fetched: Fetched,
        problems: list[GuideError],
    ) -> GuideImages:
        result = GuideImages(loaded)
        for index, number, step in loaded.guide.indexed_steps():
            if step.image is None:
                continue
            try:
                planned = self._plan_step(loaded, number, step.image, fetched, problems, index)
            except ImageProblem as exc:
                problem = _step_problem(loaded, index, number, exc.field, exc.message)
                if exc.field != "marker.src" or not _said(problem, problems):
                    problems.append(problem)
                continue
            result.images[number] = planned[0]
            result.pending.append(planned)
        return result

    def _marker(
        self, loaded: LoadedGuide, image: Image, fetched: Fetched,
        problems: list[GuideError], index: int, number: int,
    ) -> tuple[bytes | None, str | None]:
        if image.marker is None:
            return None, None
        colour = parse_builtin(image.marker.src)
        if colour is not None:
            return None, colour
        got = fetched.markers[image.marker.src]
        if isinstance(got, bytes):
            try:
                _decode(got, "marker.src")
            except ImageProblem as exc:
                raise ImageProblem(exc.field, f"marker {image.marker.src}: {exc}") from None
            return got, None
        scribe = scribe_marker_colour(image.marker.src)
        if scribe is None:
            raise ImageProblem("marker.src", f"marker {image.marker.src}: {got}")
        message = f"marker {image.marker.src} unavailable ({got}); using builtin:circle#{scribe}"
        if not any(p.message == message for p in problems):
            problems.append(_step_problem(loaded, index, number, "marker.src", message, "warning"))
        return None, scribe

    def _plan_step(
        self, loaded: LoadedGuide, number: int, image: Image,
        fetched: Fetched, problems: list[GuideError], index: int,
    ) -> tuple[StepImage, Future[list[str]] | None, int]:
        got = fetched.sources[image.src]
        placeholder_size = None
        if isinstance(got, FetchError):
            if not self.placeholders:
                raise ImageProblem("src", str(got))
            placeholder_size = _placeholder_source_size(image)
            problems.append(_step_problem(
                loaded, index, number, "src", f"{got}; rendered a placeholder", "warning"))
            source_size, source, digest = placeholder_size, None, None
        else:
            source = got
            if got.problem is not None or got.facts is None:
                raise got.problem or ImageProblem("src", "cannot read the image")
            facts = got.facts
            source_size, digest = facts.size, facts.digest
            if facts.animated:
                problems.append(_step_problem(
                    loaded, index, number, "src", "animated image: using its first frame",
                    "warning"))
        marker_bytes, colour = self._marker(loaded, image, fetched, problems, index, number)
        try:
            box, clamp_notes = transform.crop_box(source_size, image.crop)
        except transform.TransformError as exc:
            raise ImageProblem("crop", str(exc)) from None
        width, height = transform.output_size(box[2] - box[0], box[3] - box[1], image.width)
        if too_large := output_too_large((width, height), image.format):
            raise ImageProblem("width" if image.width is not None else "crop", too_large)
        for note in clamp_notes:
            problems.append(_step_problem(loaded, index, number, "crop", note, "warning"))
        key = cache_key(digest, marker_bytes if marker_bytes is not None else colour, image,
                        extra=f"{placeholder_size}")
        out_path = self.cache_root / key[:2] / f"{key}.{image.extension}"
        filename = f"step-{number:02d}.{image.extension}"
        step_image = StepImage(number, filename, out_path, width, height, source is None)
        future = None
        # An intact rendering means this very source and marker decoded before: a check
        # need not decode them again.
        meta = _cached(out_path)
        if meta is None:
            job = RenderJob(
                source.data if source else None, marker_bytes, colour,
                image.model_dump(mode="json"), out_path, placeholder_size, self.print_box,
                source_path=source.path if source and source.data is None else None,
                source_digest=digest, source_packed=bool(source and source.packed),
                max_bytes=self.fetcher.settings.max_bytes,
            )
            future = self._submit(job)
        else:
            _render_notes(loaded, index, number, meta.get("warnings", []), problems)
        return step_image, future, index

    def wait(self, planned: list[GuideImages]) -> None:
        """Block until every submitted image is in the cache; raise GuideErrors on failures."""
        problems = self._collect(planned)
        if problems:
            raise GuideErrors(problems)

    def _collect(self, planned: list[GuideImages]) -> list[GuideError]:
        """Wait for the submitted jobs; a problem for each that failed."""
        problems: list[GuideError] = []
        for guide_images in planned:
            for step_image, future, index in guide_images.pending:
                if future is None:
                    continue
                try:
                    notes = future.result()
                    _render_notes(guide_images.loaded, index, step_image.number, notes,
                                  self.notes)
                except BrokenProcessPool:
                    self.workers.close()  # a later build (under `serve`) starts a fresh pool
                    raise GuideErrors([GuideError(
                        guide_images.loaded.display, POOL_BROKEN)]) from None
                except ImageProblem as exc:
                    message = exc.message
                    step = guide_images.loaded.guide.steps[index]
                    marker = step.image.marker if isinstance(step, Step) and step.image else None
                    if exc.field == "marker.src" and marker is not None:
                        message = f"marker {marker.src}: {message}"
                    problem = _step_problem(
                        guide_images.loaded, index, step_image.number, exc.field, message)
                    if exc.field != "marker.src" or not _said(problem, problems):
                        problems.append(problem)
                except Exception as exc:  # a worker's failure is reported, never raised raw
                    problems.append(_step_problem(
                        guide_images.loaded, index, step_image.number, "src",
                        f"cannot render the image: {str(exc) or type(exc).__name__}"))
            guide_images.pending = [(s, None, i) for s, _, i in guide_images.pending]
        return problems


def _request_order(request: tuple[str, Path]) -> tuple[str, str]:
    return request[0], str(request[1])


def _render_notes(
    loaded: LoadedGuide, index: int, number: int, notes: list[str], into: list[GuideError]
) -> None:
    """The transform's warnings for a step (crop clamped, marker or annotation off the
    image), each once: planning may already have said the same."""
    for note in notes:
        field_name = "crop" if note.startswith("crop") else ""
        problem = _step_problem(loaded, index, number, field_name, note, "warning")
        if not any(p.message == problem.message and p.loc == problem.loc for p in into):
            into.append(problem)


def _said(problem: GuideError, problems: list[GuideError]) -> bool:
    """Whether this guide already has this problem: a marker shared by its steps is
    reported once a guide, at the first step that uses it."""
    return any(p.path == problem.path and p.message == problem.message for p in problems)


def _has_errors(problems: list[GuideError]) -> bool:
    return any(p.severity == "error" for p in problems)


def output_too_large(size: tuple[int, int], fmt: str) -> str | None:
    """Why an output of `size` cannot be made, or None: over its encoder's limit per side
    (a thin crop scaled to a large width gets very tall), or over Pillow's pixel limit."""
    width, height = size
    side = MAX_SIDE[fmt]
    if width > side or height > side:
        return (
            f"the output would be {width}x{height} pixels, but {fmt.upper()} allows at most "
            f"{side} per side: crop a wider area or set a smaller width"
        )
    if width * height > PIL.Image.MAX_IMAGE_PIXELS:
        return (
            f"the output would be {width}x{height} pixels, more than Pillow's limit of "
            f"{PIL.Image.MAX_IMAGE_PIXELS}: crop a wider area or set a smaller width"
        )
    return None


def _placeholder_source_size(image: Image) -> tuple[int, int]:
    """A source size in which the crop box fits, so the output size is what it implies."""
    x1, y1, x2, y2 = image.crop or (None, None, None, None)
    if x2 is not None and y2 is not None:
        return x2, y2
    width = image.width or 1120
    return (x1 or 0) + width, (y1 or 0) + round(width * 9 / 16)


def _step_problem(
    loaded: LoadedGuide, index: int, number: int, field_name: str, message: str,
    severity: str = "error",
) -> GuideError:
    loc = loaded.written(("steps", index, "image", *(field_name.split(".") if field_name else ())))
    line, col = loaded.locate(loc)
    return GuideError(loaded.display, message, line, col, f"{format_loc(loc)} (step {number})",
                      severity)
