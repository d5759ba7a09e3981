"""cloudimg URLs <-> image fields. Pure: no I/O, and below the model (which reads URLs here).

A Scribe export describes each screenshot as a cloudimg URL: the origin image's URL after
the cloudimg host, and the operations in the query string. `parse_image_url` takes one
apart into the fields of the guide format; explain.build_image_url puts them back.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from generator.errors import shown

Crop = tuple[int | None, int | None, int | None, int | None]
# What an image is encoded as when nothing says otherwise: the guide format's defaults too.
DEFAULT_FORMAT = "jpeg"
DEFAULT_QUALITY = 90
# Scribe's click marker orange (Tailwind orange-400): its default, and the built-in marker's.
SCRIBE_ORANGE = "FB923C"

# Markdown exports escape '&' and '_' in various ways; undo them before parsing.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CLOUDIMG_HOST = re.compile(r"^[a-z0-9-]+\.cloudimg\.io$", re.IGNORECASE)
_SCRIBE_MARKER = re.compile(r"/([0-9A-Fa-f]{6})_standard\.png$")
_SCRIBE_WATERMARK = re.compile(r"/watermarks/(?:[^/]+/)*(?P<name>[^/]+)\.png$", re.IGNORECASE)
_COLOUR_NAME = re.compile(r"^([0-9A-Fa-f]{6})(?:[_-].*)?$")
# Scribe's default orange, the colour of the marker a guide gets when it names none.
_INTEGER = re.compile(r"([-+]?\d+)(?:\.0*)?")

KNOWN_PARAMS = frozenset(
    {"tl_px", "br_px", "width", "force_format", "q", "wat", "wat_url", "wat_opacity",
     "wat_gravity", "wat_pad", "wat_scale"}
)


class CloudimgError(ValueError):
    """A cloudimg URL or parameter that cannot be understood."""


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unclosed '[' in the host: not a URL we can take apart
        return None


def unescape(url: str) -> str:
    """A URL as it was before Markdown and HTML escaping."""
    url = url.strip().replace("&amp;", "&")
    return _MARKDOWN_ESCAPE.sub(r"\1", url)


def is_cloudimg_url(url: str) -> bool:
    """True for `https://<token>.cloudimg.io/<origin>?<operations>`."""
    parts = _split(unescape(url))
    return (
        parts is not None
        and parts.scheme in ("http", "https")
        and bool(_CLOUDIMG_HOST.match(parts.hostname or ""))
    )


def _origin(path: str) -> str:
    """The origin image URL embedded in a cloudimg path, with its scheme restored."""
    path = path.lstrip("/")
    if path.startswith("v7/"):
        path = path[3:]
    match = re.match(r"^(https?):/+(.*)$", path)
    origin = f"{match[1]}://{match[2]}" if match else f"https://{path}"
    if origin.endswith("://"):
        raise CloudimgError("the cloudimg URL names no image after its host")
    return origin


def _problem(name: str, value: str, expected: str) -> CloudimgError:
    return CloudimgError(f"expected {expected}, got {shown(value)} (cloudimg parameter {name})")


def _pair(name: str, value: str) -> list[str]:
    """'x,y' -> [x, y]; one value is both."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(parts):
        raise _problem(name, value, "one value or two 'x,y'")
    return parts


def _int_pair(name: str, value: str) -> tuple[int, int]:
    numbers = []
    for part in _pair(name, value):
        match = _INTEGER.fullmatch(part)
        if not match or len(match[1]) > 10:
            raise _problem(name, value, "two integers 'x,y'")
        numbers.append(int(match[1]))
    return numbers[0], numbers[1]


def parse_query(query: str) -> dict[str, str]:
    """cloudimg parameters in order; a repeated parameter keeps its last value."""
    return dict(parse_qsl(query, keep_blank_values=True))


def fields_from_params(params: dict[str, str]) -> dict[str, Any]:
    """Image fields (as plain data, ready for the model) from cloudimg parameters.

    Everything a cloudimg URL leaves unsaid is written out explicitly, so that
    `image_defaults` never changes what a URL describes.
    """
    fields: dict[str, Any] = {
        "width": params.get("width"),
        "format": params.get("force_format", DEFAULT_FORMAT),
        "quality": params.get("q", DEFAULT_QUALITY),
        "marker": None,
    }
    # A corner left out is the image edge (None), as in the guide format.
    crop: list[int | None] = [None, None, None, None]
    if "tl_px" in params:
        crop[0], crop[1] = _int_pair("tl_px", params["tl_px"])
    if "br_px" in params:
        crop[2], crop[3] = _int_pair("br_px", params["br_px"])
    if "tl_px" in params or "br_px" in params:
        fields["crop"] = crop
    if params.get("wat") != "0" and (params.get("wat") == "1" or "wat_url" in params):
        marker: dict[str, Any] = {}
        if "wat_url" in params:
            marker["src"] = params["wat_url"]
        if "wat_opacity" in params:
            marker["opacity"] = params["wat_opacity"]
        if "wat_gravity" in params:
            marker["gravity"] = params["wat_gravity"].lower()
        if "wat_pad" in params:
            marker["pad"] = _pair("wat_pad", params["wat_pad"])
        if "wat_scale" in params:
            marker["scale"] = params["wat_scale"]
        fields["marker"] = marker
    fields["params"] = {k: v for k, v in params.items() if k not in KNOWN_PARAMS}
    return fields


def parse_image_url(url: str) -> dict[str, Any]:
    """Image fields from a cloudimg URL; any other URL is a plain `src`."""
    clean = unescape(url)
    parts = _split(clean)
    if parts is None or not is_cloudimg_url(clean):
        return {"src": clean}
    origin = _origin(parts.path)
    return {"src": origin, **fields_from_params(parse_query(parts.query))}


def scribe_marker_colour(src: str) -> str | None:
    """The colour of Scribe's click marker when `src` is one, else None.

    Every shape Scribe has used: `.../<RRGGBB>_standard.png` (that colour), and any other
    PNG under `/watermarks/` (2023's `watermark_default.png`: Scribe's default orange).
    """
    parts = _split(src)
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        return None
    if match := _SCRIBE_MARKER.search(parts.path):
        return match[1].upper()
    if match := _SCRIBE_WATERMARK.search(parts.path):
        named = _COLOUR_NAME.match(match["name"])
        return named[1].upper() if named else SCRIBE_ORANGE
    return None


def crop_params(crop: Crop) -> list[tuple[str, str]]:
    """tl_px/br_px for a crop; the top-left edge is 0, the bottom-right edge has no number."""
    x1, y1, x2, y2 = crop
    params = []
    if x1 is not None or y1 is not None:
        params.append(("tl_px", f"{x1 or 0},{y1 or 0}"))
    if x2 is not None and y2 is not None:
        params.append(("br_px", f"{x2},{y2}"))
    return params


def number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
