"""generator.theme: the site's colours in shades that read, and its language, everywhere.

The contrast figures are WCAG 2.1's; the shades are checked where each is used, for every
colour Material names. Then end to end: the palette and the language written in mkdocs.yml
reach the site's stylesheet, the standalone page and the PDF, and changing them remakes
what they colour.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import build_ok as build

from generator.render.palette import PALETTE_CSS, render_palette
from generator.theme import (
    AA,
    DARK_SURFACES,
    DEFAULT_THEME,
    LIGHT_SURFACES,
    MATERIAL_ACCENT,
    MATERIAL_PRIMARY,
    Theme,
    _oklab,
    contrast,
    mix,
    readable,
    theme_for,
    theme_from_material,
)


def hue(colour: str) -> float:
    """OKLab hue angle in degrees."""
    _, a, b = _oklab(colour)
    return math.degrees(math.atan2(b, a)) % 360


def test_contrast_is_wcag_s() -> None:
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("#FF6E42", "#FFFFFF") == contrast("#FFFFFF", "#FF6E42")


def test_a_colour_that_reads_is_kept() -> None:
    assert readable("#1d4ed8", "#FFFFFF") == "#1D4ED8"


def test_a_tint_mixes_a_colour_into_the_page() -> None:
    assert mix("#FF0000", "#FFFFFF", 0.5) == "#FF8080"
    assert mix("#00BFA5", "#FFFFFF", 0) == "#FFFFFF"


@pytest.mark.parametrize(("colour", "on"), [
    ("#FF6E42", "#FFFFFF"), ("#FF9100", "#FFFFFF"), ("#00BFA5", "#E0F7F4"),
    ("#4051B5", "#1E2129"), ("#7E56C2", "#111317"),
])
def test_a_shade_reads_and_keeps_its_hue(colour: str, on: str) -> None:
    shade = readable(colour, on)
    assert AA <= contrast(shade, on) < AA + 0.5  # as near the original as it can be
    assert abs(hue(shade) - hue(colour)) < 4
    lighter = _oklab(shade)[0] > _oklab(colour)[0]
    assert lighter == (on in ("#1E2129", "#111317"))  # lighter on dark, darker on light


@pytest.mark.parametrize("primary", sorted(MATERIAL_PRIMARY))
def test_every_material_colour_gives_shades_that_pass_where_they_are_used(primary: str) -> None:
    for accent in MATERIAL_ACCENT:
        check_scheme_contrasts(theme_for(primary, accent))


def check_scheme_contrasts(theme: Theme) -> None:
    for scheme, surfaces in ((theme.light, LIGHT_SURFACES), (theme.dark, DARK_SURFACES)):
        assert contrast(scheme.primary, scheme.on_primary) >= AA
        for surface in surfaces:
            assert contrast(scheme.text, surface) >= AA
            assert contrast(scheme.accent, surface) >= AA
        assert contrast(scheme.tip, scheme.tip_background) >= AA
        assert contrast(scheme.alert, scheme.alert_background) >= AA


def test_the_default_keeps_the_orange_and_gives_each_callout_its_own_colour() -> None:
    light = DEFAULT_THEME.light
    assert abs(hue(light.primary) - hue(MATERIAL_PRIMARY["deep-orange"])) < 4
    assert light.primary == "#D1440F"
    hues = [hue(light.primary), hue(light.accent), hue(light.tip), hue(light.alert)]
    # Orange is the brand; teal (a tip) and red (an alert) are far from it and each other.
    assert abs(hues[2] - hues[0]) > 90 and abs(hues[3] - hues[0]) > 20
    # Callout backgrounds are tints: the page's text reads on them as well as on the page.
    for background in (light.tip_background, light.alert_background):
        assert contrast("#1F2328", background) >= 12
    for background in (DEFAULT_THEME.dark.tip_background, DEFAULT_THEME.dark.alert_background):
        assert contrast("#E6E8EB", background) >= 10


@pytest.mark.parametrize(("palette", "language", "expected"), [
    ([{"scheme": "default", "primary": "deep orange", "accent": "orange"},
      {"scheme": "slate", "primary": "indigo", "accent": "pink"}],
     "es", ("deep-orange", "orange", "indigo", "pink", "es")),
    ({"primary": "teal", "accent": "purple"}, None, ("teal", "purple", "teal", "purple", "en")),
    (None, "ru", ("indigo", "indigo", "indigo", "indigo", "ru")),  # Material's defaults
    ({"primary": "custom", "accent": "Light Blue"}, "en",
     ("indigo", "light-blue", "indigo", "light-blue", "en")),
])
def test_the_theme_is_read_from_material_s_settings(
    palette: object, language: str | None, expected: tuple[str, ...]
) -> None:
    theme = theme_from_material(palette, language)
    assert (theme.primary_name, theme.accent_name, theme.dark_primary_name,
            theme.dark_accent_name, theme.language) == expected


def test_a_guide_speaks_its_own_language_or_the_site_s() -> None:
    site = theme_for(language="de")
    assert (site.lang("ru"), site.lang(None)) == ("ru", "de")


def test_the_site_stylesheet_sets_material_s_variables_per_scheme() -> None:
    theme = theme_for("teal", "purple", dark_primary="indigo")
    css = render_palette(theme)
    light = re.search(
        r'\[data-md-color-scheme="default"\]\[data-md-color-primary="teal"\] \{([^}]*)\}', css)
    dark = re.search(
        r'\[data-md-color-scheme="slate"\]\[data-md-color-primary="indigo"\] \{([^}]*)\}', css)
    assert light and f"--md-primary-fg-color: {theme.light.primary};" in light[1]
    assert f"--md-typeset-a-color: {theme.light.text};" in light[1]
    assert dark and f"--md-typeset-a-color: {theme.dark.text};" in dark[1]
    assert f"--gs-alert: {theme.dark.alert};" in css


# -- end to end --------------------------------------------------------------------------------


def with_theme(root: Path, palette: str, language: str) -> None:
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "  name: material\n",
        f"  name: material\n  language: {language}\n  palette: {palette}\n",
    ))


def test_mkdocs_yml_s_palette_and_language_reach_every_output_and_remake_them(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    with_theme(root, "{primary: teal, accent: purple}", "es")
    build(root)
    site = root / "site"
    teal = theme_for("teal", "purple", "es")
    assert render_palette(teal) == (site / PALETTE_CSS).read_text()
    alone = (site / "10-first-guide/10-first-guide.html").read_text()
    assert '<html lang="es">' in alone and teal.light.primary in alone
    with pikepdf.Pdf.open(io.BytesIO((site / "10-first-guide/10-first-guide.pdf").read_bytes())) \
            as pdf:
        assert str(pdf.Root.Lang) == "es"
    assert '<html lang="es"' in (site / "10-first-guide/index.html").read_text()  # Material's

    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("primary: teal", "primary: indigo"))
    build(root)
    indigo = theme_for("indigo", "purple", "es")
    alone = (site / "10-first-guide/10-first-guide.html").read_text()
    assert indigo.light.primary in alone and teal.light.primary not in alone
