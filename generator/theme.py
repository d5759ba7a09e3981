"""The site's look and language as one value, which every output takes from mkdocs.yml.

The site names its colours the Material way (`primary: deep orange`, `accent: orange`), but
many of Material's shades are too light to read: white on its deep orange is 2.8:1, and WCAG
AA asks 4.5:1 for text. Each colour is kept in its hue and moved in lightness just as far as
it takes to pass where it is used, for the light scheme and the dark one. The site (a
stylesheet the plugin renders from templates/palette.css), the standalone page and the PDFs
all draw with these shades, so one guide looks the same in each, and a colour means one
thing: the primary and the accent are the brand (bars, step numbers, links, focus), teal is
a tip and red an alert, whatever the brand is.

Plain frozen data with no imports of ours: it travels to the worker processes inside each
job, and it is part of the cache key of everything it colours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Material for MkDocs' named colours (its palette stylesheet: --md-primary-fg-color and
# --md-accent-fg-color), and the ones it writes dark text on rather than white.
MATERIAL_PRIMARY = {
    "red": "#EF5552", "pink": "#E92063", "purple": "#AB47BD", "deep-purple": "#7E56C2",
    "indigo": "#4051B5", "blue": "#2094F3", "light-blue": "#02A6F2", "cyan": "#00BDD6",
    "teal": "#009485", "green": "#4CAE4F", "light-green": "#8BC34B", "lime": "#CBDC38",
    "yellow": "#FFEC3D", "amber": "#FFC105", "orange": "#FFA724", "deep-orange": "#FF6E42",
    "brown": "#795649", "grey": "#757575", "blue-grey": "#546D78", "white": "#FFFFFF",
    "black": "#151619",
}
MATERIAL_ACCENT = {
    "red": "#FF1A47", "pink": "#F50056", "purple": "#DF41FB", "deep-purple": "#7C4DFF",
    "indigo": "#526CFE", "blue": "#4287FF", "light-blue": "#0091EB", "cyan": "#00BAD6",
    "teal": "#00BDA4", "green": "#00C753", "light-green": "#63DE17", "lime": "#B0EB00",
    "yellow": "#FFD500", "amber": "#FFAA00", "orange": "#FF9100", "deep-orange": "#FF6E42",
}
DARK_TEXT_ON = frozenset({"amber", "lime", "orange", "yellow", "white", "light-green"})
# Material's defaults when mkdocs.yml names no colour, or a `custom` one (its own CSS).
DEFAULT_PRIMARY = "indigo"
DEFAULT_ACCENT = "indigo"
# One meaning per colour: a tip is Material's `tip` teal, an alert its crimson `bug` red,
# which stays apart from an orange brand (its `danger` red is only 17 degrees of hue away).
TIP = "#00BFA5"
ALERT = "#F50057"
WHITE = "#FFFFFF"
INK = "#1A1A1A"
# The backgrounds colours are read on: the site's page (Material's white and its slate,
# hsl(225, 15%, 14%)), and the standalone page's grey page and cards (standalone.css).
LIGHT_SURFACES = ("#FFFFFF", "#F6F7F9")
DARK_SURFACES = ("#1E2129", "#111317", "#1A1D23")
# WCAG 2.1 AA for text (1.4.3); a little above it, so rounding to #RRGGBB never falls short.
AA = 4.5
MARGIN = 0.1
TINT = 0.12  # how much of a callout's hue its background takes
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


@dataclass(frozen=True)
class Scheme:
    """One colour scheme's shades, each readable where it is used (#RRGGBB)."""

    primary: str  # bars and step numbers, under `on_primary` text
    on_primary: str
    text: str  # links, buttons and active navigation, on the page
    accent: str  # hover and focus, on the page
    tip: str  # a tip's line and title, on `tip_background`
    tip_background: str
    alert: str
    alert_background: str


@dataclass(frozen=True)
class Theme:
    """What every output takes from the site: its colours and its language (BCP 47)."""

    light: Scheme
    dark: Scheme
    language: str = "en"
    primary_name: str = "deep-orange"  # Material's names, which the site's CSS selects on
    accent_name: str = "orange"
    dark_primary_name: str = "deep-orange"
    dark_accent_name: str = "orange"

    def lang(self, guide_lang: str | None) -> str:
        """A guide's language: its own when it says one, else the site's."""
        return guide_lang or self.language


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of #RRGGBB."""
    r, g, b = (_linear(c / 255) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, on: Iterable[str] | str, ratio: float = AA) -> str:
    """`colour`'s hue at the lightness nearest its own that reads at `ratio` on every `on`.

    Darker on light backgrounds, lighter on dark ones; unchanged when it already passes.
    Lightness is OKLab's, which keeps the hue a reader sees (HSL's turns orange red), and
    the chroma is reduced only as much as the sRGB gamut needs.
    """
    backgrounds = (on,) if isinstance(on, str) else tuple(on)
    colour = normal(colour)
    goal = ratio + MARGIN
    if min(contrast(colour, b) for b in backgrounds) >= goal:
        return colour
    lightness, a, b = _oklab(colour)
    darker = sum(luminance(b) for b in backgrounds) / len(backgrounds) > 0.18

    def passes(level: float) -> bool:
        return min(contrast(_at(level, a, b), back) for back in backgrounds) >= goal

    # passes(lo) is False and passes(hi) True; the search narrows them onto the edge.
    lo, hi = lightness, (0.0 if darker else 1.0)
    if not passes(hi):
        raise ValueError(f"no shade of {colour} reads at {ratio}:1 on {', '.join(backgrounds)}")
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if passes(mid) else (mid, hi)
    return _at(hi, a, b)


def mix(colour: str, other: str, amount: float) -> str:
    """`amount` of `colour` over `other` (0: `other`, 1: `colour`)."""
    return _hex(tuple(
        (a * amount + b * (1 - amount)) / 255
        for a, b in zip(_rgb(colour), _rgb(other), strict=True)
    ))


def scheme(primary: str, accent: str, *, dark: bool) -> Scheme:
    """The shades of Material's colours `primary` and `accent` (names) for one scheme.

    The bar keeps Material's choice of white or dark text on the colour. On the light page,
    text colours are darkened; on the dark one, lightened.
    """
    base = MATERIAL_PRIMARY[primary]
    on_primary = INK if primary in DARK_TEXT_ON else WHITE
    surfaces = DARK_SURFACES if dark else LIGHT_SURFACES
    page = surfaces[0]
    tip_background = mix(TIP, page, TINT)
    alert_background = mix(ALERT, page, TINT)
    return Scheme(
        primary=readable(base, on_primary),
        on_primary=on_primary,
        text=readable(base, surfaces),
        accent=readable(MATERIAL_ACCENT[accent], surfaces),
        tip=readable(TIP, tip_background),
        tip_background=tip_background,
        alert=readable(ALERT, alert_background),
        alert_background=alert_background,
    )


def theme_for(
    primary: str = "deep orange", accent: str = "orange", language: str = "en",
    *, dark_primary: str | None = None, dark_accent: str | None = None,
) -> Theme:
    """The theme of a site with these Material colour names (`deep orange` or `deep-orange`)."""
    light = (_name(primary, MATERIAL_PRIMARY, DEFAULT_PRIMARY),
             _name(accent, MATERIAL_ACCENT, DEFAULT_ACCENT))
    dark = (_name(dark_primary or primary, MATERIAL_PRIMARY, DEFAULT_PRIMARY),
            _name(dark_accent or accent, MATERIAL_ACCENT, DEFAULT_ACCENT))
    return Theme(
        light=scheme(*light, dark=False), dark=scheme(*dark, dark=True),
        language=language or "en",
        primary_name=light[0], accent_name=light[1],
        dark_primary_name=dark[0], dark_accent_name=dark[1],
    )


def theme_from_material(palette: Any, language: str | None) -> Theme:
    """The theme of mkdocs.yml's `theme.palette` (one mapping or a list) and `theme.language`.

    The light scheme comes from the first palette whose scheme is `default` (or has none),
    the dark one from the first `slate`; a site with one palette uses it for both.
    """
    palettes: Sequence[Mapping[str, Any]]
    if isinstance(palette, Mapping):
        palettes = [palette]
    elif isinstance(palette, list):
        palettes = [p for p in palette if isinstance(p, Mapping)]
    else:
        palettes = []
    light = next((p for p in palettes if p.get("scheme", "default") != "slate"), None)
    dark = next((p for p in palettes if p.get("scheme") == "slate"), None)
    light = light or dark or {}
    dark = dark or light
    return theme_for(
        str(light.get("primary") or DEFAULT_PRIMARY), str(light.get("accent") or DEFAULT_ACCENT),
        str(language or "en"),
        dark_primary=str(dark.get("primary") or DEFAULT_PRIMARY),
        dark_accent=str(dark.get("accent") or DEFAULT_ACCENT),
    )


def _name(name: str, table: Mapping[str, str], default: str) -> str:
    """Material's CSS name of a colour (`deep orange` -> `deep-orange`); unknown: default."""
    key = "-".join(name.strip().lower().split())
    return key if key in table else default


def normal(colour: str) -> str:
    """#RRGGBB in capitals."""
    match = _HEX.match(colour.strip())
    if not match:
        raise ValueError(f"expected a colour like #FB923C, got {colour!r}")
    return "#" + match[1].upper()


def _rgb(colour: str) -> tuple[int, int, int]:
    value = normal(colour)
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c * 255))):02X}" for c in rgb)


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _gamma(channel: float) -> float:
    channel = max(0.0, min(1.0, channel))
    return 12.92 * channel if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055


def _oklab(colour: str) -> tuple[float, float, float]:
    """OKLab (L, a, b) of #RRGGBB (https://bottosson.github.io/posts/oklab/)."""
    r, g, b = (_linear(c / 255) for c in _rgb(colour))
    l_ = (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b) ** (1 / 3)
    m_ = (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b) ** (1 / 3)
    s_ = (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b) ** (1 / 3)
    return (
        0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
        1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
        0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_,
    )


def _at(lightness: float, a: float, b: float) -> str:
    """#RRGGBB of OKLab lightness `lightness` in the hue of (a, b), the chroma cut to fit."""
    for step in range(101):
        keep = 1 - step / 100
        l_ = (lightness + 0.3963377774 * a * keep + 0.2158037573 * b * keep) ** 3
        m_ = (lightness - 0.1055613458 * a * keep - 0.0638541728 * b * keep) ** 3
        s_ = (lightness - 0.0894841775 * a * keep - 1.2914855480 * b * keep) ** 3
        rgb = (
            4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
            -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
            -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
        )
        if all(-1e-4 <= c <= 1 + 1e-4 for c in rgb):
            break
    return _hex(_gamma(c) for c in rgb)


DEFAULT_THEME = theme_for()
