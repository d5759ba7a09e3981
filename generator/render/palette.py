"""The site's palette stylesheet: Material's colour variables set to the theme's shades.

The plugin publishes it beside the theme's own stylesheets (and `guidesmith markdown`
writes it into its folder), and the theme override links it, so the site's bars, links,
focus and callouts are the colours the standalone pages and the PDFs are drawn with.
"""

from __future__ import annotations

from generator.render.environment import environment
from generator.theme import DARK_SURFACES, LIGHT_SURFACES, Theme

# Where the stylesheet is published in the site (site_overrides/main.html links it).
PALETTE_CSS = "assets/stylesheets/guidesmith-palette.css"


def render_palette(theme: Theme) -> str:
    """The stylesheet: one block per Material scheme, selected by the colour names."""
    schemes = [
        ("default", theme.primary_name, theme.accent_name, theme.light, LIGHT_SURFACES[0]),
        ("slate", theme.dark_primary_name, theme.dark_accent_name, theme.dark, DARK_SURFACES[0]),
    ]
    return environment().get_template("palette.css").render(schemes=schemes)
