"""What a cloudimg URL does, spelled out: crop, output size, marker place and click point.

Pure, no I/O: the URL is taken apart by generator.cloudimg and every number comes from
generator.transform's geometry, so `guidesmith explain` says exactly what a build would
render. No image is fetched, so the source size is unknown unless it is given; without it,
only what does not depend on it is stated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from pydantic import ValidationError

from generator import transform
from generator.cloudimg import (
    CloudimgError,
    crop_params,
    is_cloudimg_url,
    number_text,
    parse_image_url,
    scribe_marker_colour,
    unescape,
)
from generator.markers import MARKER_SIZE, parse_builtin
from generator.model import Image, Marker
from generator.yamlwriter import dump_yaml, image_data

Size = tuple[int, int]


class ExplainError(ValueError):
    """A URL that does not describe an image guidesmith can render."""


@dataclass
class Explanation:
    """Labelled lines, a YAML equivalent and warnings; `text()` lays them out."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    yaml: str = ""
    warnings: list[str] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.lines.append((label, value))

    def text(self) -> str:
        width = max(len(label) for label, _ in self.lines) + 2
        out = [f"{label + ':':<{width}}{value}".rstrip() for label, value in self.lines]
        out += [f"warning: {warning}" for warning in self.warnings]
        out += ["", "As YAML:", self.yaml.rstrip("\n")]
        return "\n".join(out) + "\n"


def _point(point: tuple[int, int]) -> str:
    return f"({point[0]}, {point[1]})"


def _size(size: Size) -> str:
    return f"{size[0]}x{size[1]}"


def _marker_source(marker: Marker) -> tuple[str, Size | None]:
    """How the marker image is described, and its size when guidesmith knows it."""
    colour = parse_builtin(marker.src)
    if colour is not None:
        return f"{marker.src} (built-in, {MARKER_SIZE}x{MARKER_SIZE}, #{colour})", (
            MARKER_SIZE, MARKER_SIZE)
    colour = scribe_marker_colour(marker.src)
    if colour is not None:
        return f"{marker.src} (Scribe's marker, {MARKER_SIZE}x{MARKER_SIZE}, #{colour})", (
            MARKER_SIZE, MARKER_SIZE)
    return marker.src, None


def _crop_box(
    image: Image, source_size: Size | None, result: Explanation
) -> tuple[int, int, int, int] | None:
    """The crop box in source pixels when it can be known without the image, else None."""
    if source_size is not None:
        try:
            box, notes = transform.crop_box(source_size, image.crop)
        except transform.TransformError as exc:
            raise ExplainError(str(exc)) from None
        result.warnings += notes
        return box
    crop = image.crop or (None, None, None, None)
    if None not in crop:
        return crop  # type: ignore[return-value]
    return None


def explain(url: str, source_size: Size | None = None) -> Explanation:
    """Explain an image URL (cloudimg or plain); `source_size` resolves edges left open."""
    result = Explanation()
    try:
        fields = parse_image_url(url)
        image = Image.model_validate(fields)
    except CloudimgError as exc:
        raise ExplainError(str(exc)) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'url'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ExplainError(problems) from None
    result.yaml = dump_yaml({"image": image_data(image, None)})
    if not is_cloudimg_url(unescape(url)):
        result.add("image", image.src)
        result.add("what", "not a cloudimg URL: the image is shown as it is "
                   "(no crop, no resize, no marker)")
        return result

    result.add("origin", image.src)
    box = _crop_box(image, source_size, result)
    x1, y1, x2, y2 = image.crop or (None, None, None, None)
    if box is not None:
        crop_w, crop_h = box[2] - box[0], box[3] - box[1]
        label = "the whole image" if image.crop is None else str(box)
        result.add("crop", f"{label}: {crop_w}x{crop_h} source pixels")
    elif image.crop is None:
        result.add("crop", "none: the whole image (size unknown: pass --source-size WxH)")
    else:
        edges = [name for name, value in (("right", x2), ("bottom", y2)) if value is None]
        result.add("crop", f"from ({x1 or 0}, {y1 or 0}) to the image's "
                   f"{' and '.join(edges)} edge{'s' if len(edges) > 1 else ''}"
                   + (f" (x2={x2})" if x2 is not None else "")
                   + (f" (y2={y2})" if y2 is not None else "")
                   + " (size unknown: pass --source-size WxH)")
    out: Size | None = None
    if box is not None:
        out = transform.output_size(box[2] - box[0], box[3] - box[1], image.width)
        how = (f"width {image.width}, height keeps the crop's aspect ratio"
               if image.width is not None else "no width: not resized")
        result.add("output", f"{_size(out)} ({how})")
    elif image.width is not None:
        result.add("output", f"{image.width} wide; height keeps the crop's aspect ratio")
    else:
        result.add("output", "the crop's size (no width: not resized)")
    result.add("format", f"{image.format}, quality {image.quality}")

    if image.marker is None:
        result.add("marker", "none")
    else:
        _explain_marker(image.marker, box, out, result)
    if image.params:
        unknown = ", ".join(f"{key}={value}" for key, value in image.params.items())
        result.add("unknown", f"{unknown} (kept as params, not applied)")
    return result


def _explain_marker(
    marker: Marker, box: tuple[int, int, int, int] | None, out: Size | None,
    result: Explanation,
) -> None:
    description, own_size = _marker_source(marker)
    result.add("marker", description)
    result.add("  gravity", marker.gravity)
    result.add("  pad", f"{marker.pad[0]}, {marker.pad[1]} (inward from the gravity side)")
    result.add("  scale", f"{marker.scale}" + ("" if marker.scale.percent else " %"))
    result.add("  opacity", f"{marker.opacity:g}")
    if out is None or box is None:
        result.add("  position", "needs the output size (pass --source-size WxH)")
        return
    if own_size is None:
        own_size = (MARKER_SIZE, MARKER_SIZE)
        result.warnings.append(
            f"the marker image is not fetched: its size is taken as {_size(own_size)}, "
            "the size of Scribe's markers"
        )
    size = transform.marker_size(own_size, marker, *out)
    click_out = None
    if marker.click is not None:
        click_out = transform.source_to_output(marker.click, box, out)
    left, top = transform.marker_position(out, size, marker, click_out)
    centre = (left + size[0] // 2, top + size[1] // 2)
    result.add("  size", f"{_size(size)} output pixels")
    result.add("  top-left", f"{_point((left, top))} output pixels")
    result.add("  centre", f"{_point(centre)} output pixels")
    click = marker.click or transform.output_to_source(centre, box, out)
    result.add("  click", f"{_point(click)} source pixels "
               f"(marker: {{click: [{click[0]}, {click[1]}]}})")
    if left >= out[0] or top >= out[1] or left + size[0] <= 0 or top + size[1] <= 0:
        result.warnings.append(
            f"the marker at {_point((left, top))} is entirely outside the {_size(out)} image"
        )


def build_image_url(image: Image, token: str = "example") -> str:
    """The cloudimg URL that describes `image` (for `explain` and round trips)."""
    params: list[tuple[str, str]] = []
    if image.crop is not None:
        params += crop_params(image.crop)
    params += [("force_format", image.format), ("q", str(image.quality))]
    if image.width is not None:
        params.append(("width", str(image.width)))
    if image.marker is not None:
        m = image.marker
        params += [
            ("wat", "1"),
            ("wat_opacity", number_text(m.opacity)),
            ("wat_gravity", m.gravity),
            ("wat_url", m.src),
            ("wat_pad", f"{m.pad[0]},{m.pad[1]}"),
            ("wat_scale", str(m.scale)),
        ]
    params += list(image.params.items())
    # '#' must be escaped: `builtin:circle#FB923C` would otherwise end the query.
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe=',:/.-')}" for k, v in params)
    return f"https://{token}.cloudimg.io/{image.src}?{query}"
