"""The image stage: which step images a build needs, their sizes and keys, and what is missing.

Planning reads every screenshot's facts (content hash, size; from the source index when the
file has not changed), every marker, and decides each step image: its output size, its
cache key (content and parameters, never time), the warnings its geometry earns, and the
render job when the cache lacks it. The plan is plain, immutable data: the build submits
its jobs (render.submit_images), `check` reads it, and nobody keeps a mode or a counter.
Rendering itself happens in the workers (imagejobs.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from generator import transform
from generator.cache import IMAGES, Store, key
from generator.cloudimg import SCRIBE_ORANGE, scribe_marker_colour
from generator.errors import GuideError
from generator.fetch import Fetcher, FetchError
from generator.fsutil import fingerprint
from generator.imagejobs import ImageProblem, RenderJob, decode, is_animated, render_job, verify_job
from generator.loader import LoadedGuide
from generator.markers import MARKER_SIZE, parse_builtin
from generator.model import Image
from generator.progress import QUIET, Meter
from generator.sources import SourceFacts, SourceIndex
from generator.views import StepImage
from generator.workers import POOL_BROKEN, Workers

# The largest side each encoder writes (libjpeg: 65500, libwebp: 16383); PNG has no such
# limit, so JPEG's stands for it: nothing taller is a sensible step image.
MAX_SIDE = {"jpeg": 65500, "webp": 16383, "png": 65500}
Size = tuple[int, int]


@dataclass(frozen=True)
class PlannedImage:
    """One step's image as planned: where it will be, and the job that makes it if missing."""

    index: int  # the step's index in `guide.steps`: where it is written in the YAML
    image: StepImage
    job: RenderJob | None  # None: the cache has it


@dataclass(frozen=True)
class GuideImages:
    """The planned images of one guide, in step order."""

    loaded: LoadedGuide
    planned: tuple[PlannedImage, ...]

    @property
    def images(self) -> dict[int, StepImage]:
        """Step number -> its image."""
        return {p.image.number: p.image for p in self.planned}

    @property
    def jobs(self) -> list[PlannedImage]:
        return [p for p in self.planned if p.job is not None]


@dataclass(frozen=True)
class ImagePlan:
    """Every guide's images, and what planning found: errors stop the build, warnings not."""

    guides: tuple[GuideImages, ...]
    problems: tuple[GuideError, ...]
    placeholders: int = 0  # how many screenshots are stand-ins

    @property
    def errors(self) -> list[GuideError]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def jobs(self) -> int:
        """How many images are rendered: steps that show the same image share one job."""
        return len({p.image.path for guide in self.guides for p in guide.jobs})


@dataclass(frozen=True)
class _Source:
    """A screenshot as planning has it: its facts and the file a worker reads it from (the
    bytes only when no file has them: a download the cache could not keep)."""

    facts: SourceFacts | None
    path: Path | None = None
    data: bytes | None = None
    seen: list[int] | None = None  # a local file's fingerprint, taken before it was read
    problem: ImageProblem | None = None  # why its header cannot be read


@dataclass(frozen=True)
class _Marker:
    """A marker as planning has it: its bytes, size and sha256, or the built-in marker's
    colour."""

    data: bytes | None
    colour: str | None
    size: Size
    digest: str | None = None


# A fetched marker, decoded once for every step that shows it; or why it cannot be had.
_FetchedMarker = _Marker | FetchError | ImageProblem


def _decoded_marker(got: bytes | FetchError) -> _FetchedMarker:
    if isinstance(got, FetchError):
        return got
    try:
        size = decode(got, "marker.src").size
    except ImageProblem as exc:
        return exc
    return _Marker(got, None, size, hashlib.sha256(got).hexdigest())


class ImagePlanner:
    """Plans the step images of a project's guides; one per build, or per `serve`.

    It holds only what outlives a plan: where sources come from (the fetcher), the source
    index, the image cache, and the settings of the build.
    """

    def __init__(
        self, fetcher: Fetcher, cache_root: Path, *, placeholders: bool = False,
        print_box: Size | None = None, meter: Meter = QUIET,
    ) -> None:
        self.fetcher = fetcher
        self.store = Store.of(cache_root, IMAGES)
        self.index = SourceIndex(cache_root / "sources.json")
        self.placeholders = placeholders
        self.print_box = print_box
        self.meter = meter

    def plan(self, guides: list[LoadedGuide]) -> ImagePlan:
        """Read every source's facts and every marker; plan every step image.

        Every step whose image cannot be had is an error of the plan, in every guide: one
        run reports them all.
        """
        images = [
            (loaded, image)
            for loaded in guides
            for _, step in loaded.guide.numbered_steps()
            if (image := step.image) is not None
        ]
        sources = self._sources({(image.src, loaded.base_dir) for loaded, image in images})
        marker_requests = {
            (image.marker.src, loaded.base_dir)
            for loaded, image in images
            if image.marker is not None and parse_builtin(image.marker.src) is None
        }
        fetched = self.fetcher.read_many(sorted(marker_requests, key=_request_order))
        markers = {src: _decoded_marker(got) for src, got in fetched.items()}
        problems: list[GuideError] = []
        planned = tuple(
            GuideImages(loaded, tuple(self._plan_guide(loaded, sources, markers, problems)))
            for loaded in guides
        )
        self.index.save()
        stand_ins = sum(
            1 for guide in planned for p in guide.planned if p.image.placeholder
        )
        return ImagePlan(planned, tuple(problems), stand_ins)

    # -- sources -----------------------------------------------------------------------

    def _sources(self, requests: set[tuple[str, Path]]) -> dict[str, _Source | FetchError]:
        """Each source's facts: unchanged files (local, or downloads in the cache) from the
        index, the rest read (in threads, each reduced to its facts there, so few bytes are
        held at once)."""
        known: dict[str, _Source] = {}
        files: dict[str, tuple[Path, list[int]]] = {}
        for src, base_dir in requests:
            try:
                path = (self.fetcher.cached_download(src) if "://" in src
                        else self.fetcher.local_file(src, base_dir))
                if path is None:
                    continue  # not downloaded yet: read_many fetches it
                seen = fingerprint(path)
            except (FetchError, OSError):
                continue  # read_many says what is wrong with it
            facts = self.index.get(path)
            if facts is not None:
                known[src] = _Source(facts, path, seen=seen)
            else:
                files[src] = (path, seen)
        unknown = sorted((r for r in requests if r[0] not in known), key=_request_order)
        done = self.meter.phase("Reading screenshots", len(unknown))
        read = self.fetcher.read_many(unknown, reduce=lambda src, data: self._facts(
            src, data, *files.get(src, (None, None))), done=done)
        for src, (path, seen) in files.items():
            if isinstance(got := read.get(src), _Source) and got.facts is not None:
                self.index.put(path, got.facts, seen)
        return {**read, **known}

    def _facts(self, src: str, data: bytes, path: Path | None, seen: list[int] | None) -> _Source:
        """What planning keeps of a source it has just read (in a reading thread); `path` is
        None for a download made just now."""
        if path is None:
            path = self.fetcher.cached_download(src)
        try:
            opened = decode(data)
            facts = SourceFacts(hashlib.sha256(data).hexdigest(), opened.size,
                                is_animated(opened))
        except ImageProblem as exc:
            return _Source(None, path, seen=seen, problem=exc)
        return _Source(facts, path, None if path is not None else data, seen)

    # -- steps -------------------------------------------------------------------------

    def _plan_guide(
        self, loaded: LoadedGuide, sources: Mapping[str, _Source | FetchError],
        markers: Mapping[str, _FetchedMarker], problems: list[GuideError],
    ) -> list[PlannedImage]:
        planned = []
        for index, number, step in loaded.guide.indexed_steps():
            if step.image is None:
                continue
            say = _Teller(loaded, index, number, problems)
            try:
                planned.append(self._plan_step(say, step.image, sources, markers))
            except ImageProblem as exc:
                say(exc.field, exc.message, once_a_guide=exc.field == "marker.src",
                    cause=exc.cause, host=exc.host)
        return planned

    def _plan_step(
        self, say: _Teller, image: Image, sources: Mapping[str, _Source | FetchError],
        markers: Mapping[str, _FetchedMarker],
    ) -> PlannedImage:
        got = sources[image.src]
        source: _Source | None = None
        if isinstance(got, FetchError):
            if not self.placeholders:
                raise ImageProblem("src", str(got), got.cause, got.host or "")
            size = _placeholder_source_size(image)
            say("src", f"{got}; rendered a placeholder", "warning", cause=got.cause,
                host=got.host or "")
            digest = None
        else:
            if got.problem is not None or got.facts is None:
                raise got.problem or ImageProblem("src", "cannot read the image")
            source, size, digest = got, got.facts.size, got.facts.digest
            if got.facts.animated:
                say("src", "animated image: using its first frame", "warning")
        marker = self._marker(say, image, markers)
        try:
            box, _ = transform.crop_box(size, image.crop)
        except transform.TransformError as exc:
            raise ImageProblem("crop", str(exc)) from None
        width, height = transform.output_size(box[2] - box[0], box[3] - box[1], image.width)
        if too_large := output_too_large((width, height), image.format):
            raise ImageProblem("width" if image.width is not None else "crop", too_large)
        for note in transform.notes(size, image, marker.size if marker else None):
            say(note.field, note.message, "warning")
        entry_key = image_key(digest, marker, image, f"{size}" if source is None else "")
        out_path = self.store.path(entry_key, image.extension)
        filename = f"step-{say.number:02d}.{image.extension}"
        step_image = StepImage(say.number, filename, out_path, width, height, source is None)
        job = None
        if self.store.meta(entry_key, image.extension) is None:
            job = RenderJob(
                source.data if source else None, marker.data if marker else None,
                marker.colour if marker else None, image.model_dump(mode="json"), out_path,
                size if source is None else None, self.print_box,
                source_path=source.path if source and source.data is None else None,
                source_digest=digest, max_bytes=self.fetcher.settings.max_bytes,
            )
        return PlannedImage(say.index, step_image, job)

    def _marker(
        self, say: _Teller, image: Image, markers: Mapping[str, _FetchedMarker]
    ) -> _Marker | None:
        if image.marker is None:
            return None
        colour = parse_builtin(image.marker.src)
        if colour is not None:
            return _Marker(None, colour, (MARKER_SIZE, MARKER_SIZE))
        got = markers[image.marker.src]
        if isinstance(got, _Marker):
            return got
        if isinstance(got, ImageProblem):
            if not self.placeholders:
                raise ImageProblem(got.field, f"marker {image.marker.src}: {got}")
            got = FetchError(str(got))
        # Scribe's marker (any of its shapes), or with --placeholders any marker that cannot
        # be had, is drawn as the built-in one: a warning, not a failure.
        scribe = scribe_marker_colour(image.marker.src)
        if scribe is None and not self.placeholders:
            raise ImageProblem("marker.src", f"marker {image.marker.src}: {got}", got.cause,
                               got.host or "")
        colour = scribe or SCRIBE_ORANGE
        say("marker.src",
            f"marker {image.marker.src} unavailable ({got}); using builtin:circle#{colour}",
            "warning", once_a_guide=True, cause=got.cause, host=got.host or "")
        return _Marker(None, colour, (MARKER_SIZE, MARKER_SIZE))


class _Teller:
    """Says a problem of one step, located at the field it is about."""

    def __init__(
        self, loaded: LoadedGuide, index: int, number: int, problems: list[GuideError]
    ) -> None:
        self.loaded, self.index, self.number, self.problems = loaded, index, number, problems

    def __call__(
        self, field: str | tuple[str | int, ...], message: str, severity: str = "error", *,
        once_a_guide: bool = False,
        cause: str = "", host: str = "",
    ) -> None:
        problem = step_problem(self.loaded, self.index, self.number, field, message, severity,
                               cause=cause, host=host)
        # A marker shared by the guide's steps is reported once a guide, at its first step.
        if once_a_guide and any(
            p.path == problem.path and p.message == problem.message for p in self.problems
        ):
            return
        self.problems.append(problem)


def image_key(digest: str | None, marker: _Marker | None, image: Image, stand_in: str) -> str:
    """Content (the screenshot's sha256, the marker's bytes or colour) and the parameters
    that change pixels (not where the bytes came from)."""
    return key(IMAGES, {
        "source": digest if digest is not None else f"placeholder:{stand_in}",
        "marker": (
            None if marker is None
            else marker.digest if marker.data is not None
            else marker.colour
        ),
        "spec": image.model_dump(mode="json", exclude={"src", "origin", "params"}),
    })


# -- running the plan --------------------------------------------------------------------

Running = dict[str, list[tuple[PlannedImage, Future[list[str]]]]]


def submit_images(
    plan: ImagePlan, workers: Workers, *, verify: bool = False, meter: Meter = QUIET
) -> Running:
    """Start every job of the plan; by guide slug, each planned image with its future.

    `verify`: decode the sources and markers in full instead of rendering (`check`).
    """
    run = workers.submit_for(plan.jobs)
    job_fn = verify_job if verify else render_job
    done = meter.phase("Checking screenshots" if verify else "Rendering step images", plan.jobs)
    started: dict[Path, Future[list[str]]] = {}  # one job an image, however many show it

    def start(planned: PlannedImage) -> Future[list[str]]:
        if planned.image.path not in started:
            started[planned.image.path] = run(job_fn, planned.job)
            started[planned.image.path].add_done_callback(lambda _: done(1))
        return started[planned.image.path]

    return {
        guide.loaded.slug: [(p, start(p)) for p in guide.jobs]
        for guide in plan.guides
    }


def collect_images(plan: ImagePlan, running: Running, workers: Workers) -> list[GuideError]:
    """Wait for every job; a problem for each that failed (render warnings are the plan's)."""
    problems: list[GuideError] = []
    for guide in plan.guides:
        for planned, future in running.get(guide.loaded.slug, []):
            say = _Teller(guide.loaded, planned.index, planned.image.number, problems)
            try:
                future.result()
            except BrokenProcessPool:
                workers.close()  # a later build (under `serve`) starts a fresh pool
                return [GuideError(guide.loaded.display, POOL_BROKEN)]
            except ImageProblem as exc:
                message = exc.message
                marker = _spec(guide.loaded, planned.index).marker
                if exc.field == "marker.src" and marker is not None:
                    message = f"marker {marker.src}: {message}"
                say(exc.field, message, once_a_guide=exc.field == "marker.src")
            except Exception as exc:  # a worker's failure is reported, never raised raw
                say("src", f"cannot render the image: {str(exc) or type(exc).__name__}")
    return problems


def _spec(loaded: LoadedGuide, index: int) -> Image:
    step = loaded.guide.steps[index]
    image = getattr(step, "image", None)
    assert image is not None
    return image


def _request_order(request: tuple[str, Path]) -> tuple[str, str]:
    return request[0], str(request[1])


def output_too_large(size: Size, fmt: str) -> str | None:
    """Why an output of `size` cannot be made, or None: over its encoder's limit per side
    (a thin crop scaled to a large width gets very tall), or over Pillow's pixel limit."""
    import PIL.Image

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


def _placeholder_source_size(image: Image) -> Size:
    """A source size in which the crop box fits, so the output size is what it implies."""
    x1, y1, x2, y2 = image.crop or (None, None, None, None)
    if x2 is not None and y2 is not None:
        return x2, y2
    width = image.width or 1120
    return (x1 or 0) + width, (y1 or 0) + round(width * 9 / 16)


def step_problem(
    loaded: LoadedGuide, index: int, number: int, field_name: str | tuple[str | int, ...],
    message: str, severity: str = "error", *, cause: str = "", host: str = "",
) -> GuideError:
    """A problem of step `number` (at `index` in steps), located at its image's `field_name`
    (dotted, as a worker's ImageProblem names it: `marker.src`, `redact.0`; or the parts
    themselves, as transform.notes gives them)."""
    parts = field_name if isinstance(field_name, tuple) else tuple(
        int(p) if p.isdigit() else p for p in field_name.split(".") if p)
    loc = loaded.written(("steps", index, "image", *parts))
    return loaded.problem(loc, message, severity, step=number, cause=cause, host=host)
