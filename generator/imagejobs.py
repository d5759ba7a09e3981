"""Step images made in the worker processes: decode a source safely, render it into the cache.

What a render job needs travels with it (RenderJob, plain data): the source's file and the
hash planning keyed it by, or no source at all for a placeholder; the marker; the spec.
Decoding is strict and bounded whatever ran before in the process: only screenshot formats
are opened, Pillow's decompression-bomb guard is an error, truncated files are refused.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import PIL.Image
from PIL import ImageDraw, ImageFile, ImageFont

from generator import transform
from generator.cloudimg import SCRIBE_ORANGE
from generator.fetch import FetchError, read_limited
from generator.fsutil import write_checked
from generator.markers import builtin_marker, ensure_rgba
from generator.model import Image
from generator.printimages import keep_print_version

# What a screenshot or a marker may be; Pillow is asked to open nothing else.
SOURCE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_WARNINGS_LOCK = threading.Lock()
_PLACEHOLDER_FILL = "#E5E7EB"


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
    # or its download cache entry; and the hash it must have.
    source_path: Path | None = None
    source_digest: str | None = None
    max_bytes: int = 0


class ImageProblem(Exception):
    """An image (a step's source, or its marker) that cannot be used; said for the author.

    `field` is where the step names it: "src" or "marker.src". Both are the exception's
    args, so it pickles back from a worker process whole.
    """

    def __init__(self, field_name: str, message: str, cause: str = "", host: str = "") -> None:
        super().__init__(field_name, message, cause, host)
        self.field = field_name
        self.message = message
        self.cause, self.host = cause, host  # a fetch failure's (see GuideError)

    def __str__(self) -> str:
        return self.message


# What Pillow raises on damaged data, depending on the format and where the damage is.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


def decode(data: bytes, field_name: str = "src") -> PIL.Image.Image:
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


def load_pixels(image: PIL.Image.Image, field_name: str = "src") -> PIL.Image.Image:
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


def is_animated(image: PIL.Image.Image, field_name: str = "src") -> bool:
    """True for a GIF or WebP of more than one frame (only the first frame is used)."""
    try:
        return bool(getattr(image, "is_animated", False))
    except _DAMAGED as exc:
        raise ImageProblem(field_name, _damaged(exc)) from None


def _damaged(exc: BaseException) -> str:
    return f"cannot decode the image (truncated or corrupt): {str(exc) or type(exc).__name__}"


def _placeholder(out: tuple[int, int]) -> PIL.Image.Image:
    """What a missing screenshot's crop shows, drawn at the output size: a neutral panel with
    a label. Never at the source's size: a 2842x1932 canvas to shrink to 1120 px wide would
    be most of the cost of a build of stand-ins."""
    width, height = out
    canvas = PIL.Image.new("RGB", out, _PLACEHOLDER_FILL)
    draw = ImageDraw.Draw(canvas)
    font_size = max(12, width // 24)
    font = (
        ImageFont.truetype(str(_FONT), font_size)
        if _FONT.exists()
        else ImageFont.load_default(size=font_size)
    )
    draw.rectangle((0, 0, width - 1, height - 1), outline="#9CA3AF",
                   width=max(2, font_size // 6))
    draw.text((width // 2, height // 2), "screenshot unavailable", fill="#4B5563", font=font,
              anchor="mm")
    return canvas


def _inputs(
    job: RenderJob, spec: Image
) -> tuple[PIL.Image.Image, tuple[int, int], PIL.Image.Image | None]:
    """The job's source (decoded, at draft size for a large JPEG), its full size and the
    marker. Without a source (a stand-in), the source is a one-pixel panel of the
    stand-in's colour, of size `placeholder_size`: what a zoom inset magnifies."""
    data = job.source if job.source is not None else _read_source(job)
    if data is None:
        assert job.placeholder_size is not None
        source = PIL.Image.new("RGB", (1, 1), _PLACEHOLDER_FILL)
        full_size = job.placeholder_size
    else:
        source = decode(data)
        full_size = source.size
        if source.format == "JPEG" and (wanted := transform.draft_size(full_size, spec)):
            source.draft(None, wanted)
        load_pixels(source)  # an animated source stays on its first frame
    marker = None
    if spec.marker is not None:
        marker = (
            ensure_rgba(load_pixels(decode(job.marker, "marker.src"), "marker.src"))
            if job.marker is not None
            else builtin_marker(job.marker_colour or SCRIBE_ORANGE)
        )
    return source, full_size, marker


def _read_source(job: RenderJob) -> bytes | None:
    """The source, read by the worker: it must still be the file planning keyed."""
    if job.source_path is None:
        return None
    try:
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
    if job.source is None and job.source_path is None:  # a stand-in, drawn as it is shown
        box, _ = transform.crop_box(full_size, spec.crop)
        out = transform.output_size(box[2] - box[0], box[3] - box[1], spec.width)
        rendered, notes = transform.finish(_placeholder(out), source, spec, marker, full_size)
    else:
        rendered, notes = transform.render(source, spec, marker, full_size=full_size)
    data = transform.encode(rendered, spec.format, spec.quality)
    write_checked(job.out_path, data, width=rendered.width, height=rendered.height)
    if job.print_box is not None:  # while the pixels are in memory: no decoding it again
        stand_in = job.source is None and job.source_path is None and spec.format == "jpeg"
        keep_print_version(rendered, job.out_path, job.print_box, as_is=stand_in)
    return notes


def verify_job(job: RenderJob) -> list[str]:
    """Decode a step's source and marker in full, writing nothing (`guidesmith check`)."""
    _inputs(job, Image.model_validate(job.spec))
    return []


